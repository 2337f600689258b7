"""The hostile-package corpus: each case is a package and what syncd must make of it.

Every package holds `ok.yaml` (the ConfigMap `ok`) next to the hostile part,
so each case also shows that one bad file never hides the good ones.
`codes` are the error codes `decode_directory` must report (as a set),
`objects` the names it must decode, `rendered` the names `syncd render`
must print (default: `objects`) and `vet_codes` what `syncd vet` reports
(default: `codes`). `crash` marks the cases that killed, hung or exhausted
the process before: they also run through a real `syncd` subprocess, so that
a crash cannot take pytest down with it.

Most cases come from the tables below: one hostile YAML value, one hostile
top-level YAML snippet, one hostile JSON member, one hostile file name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from syncd.core.limits import DecodeLimits
from tests.hostile import builders as b

P, L = "SD1006", "SD1072"
MIB = 1024 * 1024
DEPENDS_ON = "config.kubernetes.io/depends-on"


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One hostile package and the verdict it must get."""

    name: str
    build: b.Build
    codes: frozenset[str]
    objects: tuple[str, ...] = ("ok",)
    rendered: tuple[str, ...] | None = None
    vet_codes: frozenset[str] | None = None
    limits: DecodeLimits = field(default_factory=DecodeLimits)
    crash: bool = False
    needs_mknod: bool = False

    @property
    def render_names(self) -> tuple[str, ...]:
        return self.objects if self.rendered is None else self.rendered

    @property
    def expected_vet_codes(self) -> frozenset[str]:
        return self.codes if self.vet_codes is None else self.vet_codes


def _codes(code: str) -> frozenset[str]:
    return frozenset(code.split()) if code else frozenset()


def _case(name: str, build: b.Build, code: str, **kw: object) -> Case:
    return Case(name=name, build=build, codes=_codes(code), **kw)  # type: ignore[arg-type]


# (name, top-level YAML of ConfigMap "bad", expected codes, crashed before)
SNIPPETS: list[tuple[str, str, str, bool]] = [
    ("flow-lists-30k-levels", "x: " + b.flow_nesting(30_000), L, True),
    ("flow-maps-30k-levels", "x: " + "{a: " * 30_000 + "}" * 30_000, L, True),
    ("unclosed-flow-8mb", "x: " + "[" * (8 * MIB - 100), L, True),
    ("block-mappings-3k-levels", b.block_mappings(3000), L, False),
    ("block-sequences-3k-levels", "x:\n" + b.block_sequences(3000), L, False),
    ("nesting-one-past-max-depth", "x: " + b.flow_nesting(100), L, False),
    (
        "alias-deepens-past-max-depth",
        f"a: &a {b.flow_nesting(60)}\nb: {b.around('*a', 45)}",
        L,
        False,
    ),
    ("billion-laughs", b.laughs(), L, True),
    ("billion-laughs-mappings", b.laughs(levels=12, width=4, mappings=True), L, False),
    ("doubling-merge-keys", b.doubling_merges(60), L, True),
    ("wide-merges", b.wide_merges(keys=2000, merges=200), L, False),
    ("merge-of-a-scalar", "x: {<<: 1}\n", P, False),
    ("recursive-alias", "x: &a [1, *a]\n", P, False),
    ("undefined-alias", "x: *nowhere\n", P, False),
    ("duplicate-anchor", "x: &a 1\ny: &a 2\n", P, False),
    ("complex-mapping-key", "? [a, b]\n: c\n", P, False),
    ("alias-of-mapping-as-key", "q: &q {a: 1}\n? *q\n: c\n", P, False),
    ("control-character", "x: a\x01b\n", P, False),
    ("nul-byte", "x: a\x00b\n", P, False),
    ("integer-key-5000-digits", "data: {" + "9" * 5000 + ": x}\n", P, False),
    ("broken-stream-drops-whole-file", "---\nmetadata: [unclosed\n", P, False),
]

# (name, value of data.x in ConfigMap "bad"): every one is SD1006
VALUES: list[tuple[str, str]] = [
    ("tag-int-abc", "!!int abc"),
    ("tag-bool-maybe", "!!bool maybe"),
    ("tag-null-x", "!!null x"),
    ("tag-float-abc", "!!float abc"),
    ("tag-binary", "!!binary aGVsbG8="),
    ("tag-set", "!!set {a: null}"),
    ("tag-omap", "!!omap [a: 1]"),
    ("tag-timestamp", "!!timestamp 2024-01-01"),
    ("tag-unknown-local", "!Ref bucket"),
    ("tag-with-escaped-newline", "!foo%0ASD0000 1"),
    ("integer-5000-digits", "9" * 5000),
    ("integer-past-uint64", "18446744073709551616"),
    ("integer-below-int64", "-9223372036854775809"),
    ("binary-integer-without-digits", "0b_"),
    ("hex-integer-without-digits", "0x_"),
    ("sexagesimal-integer-huge", "1" + ":59" * 3000),
    ("nan", ".nan"),
    ("infinity", "-.inf"),
    ("float-overflow", "1.0e+999"),
    ("surrogate-escape", '"\\ud800"'),
]

# (name, members added to the JSON ConfigMap "bad", expected codes, crashed before)
JSON_MEMBERS: list[tuple[str, str, str, bool]] = [
    ("json-400-levels", ', "x": ' + b.flow_nesting(399), L, False),
    ("json-100k-levels", ', "x": ' + b.flow_nesting(100_000), L, True),
    ("json-unclosed-1m-levels", ', "x": ' + "[" * 1_000_000, L, True),
    ("json-nan", ', "x": NaN', P, False),
    ("json-infinity", ', "x": -Infinity', P, False),
    ("json-float-overflow", ', "x": 1e999', P, False),
    ("json-5000-digit-integer", ', "x": ' + "7" * 5000, P, False),
    ("json-integer-past-uint64", ', "x": 18446744073709551616', P, False),
    ("json-lone-surrogate", ', "x": "\\ud800"', P, False),
    ("json-lone-surrogate-key", ', "x": {"\\udc00": 1}', P, False),
]

# (name, file name of a valid manifest): every one is SD1006, shown escaped
NAMES: list[tuple[str, bytes]] = [
    ("name-with-a-fake-document", b"a.yaml\n---\nkind: Secret\nmetadata: {name: s}\n# .yaml"),
    ("name-with-carriage-return", b"cr\r.yaml"),
    ("name-with-tab", b"tab\t.yaml"),
    ("name-with-terminal-escape", b"esc\x1b[2K.yaml"),
    ("name-not-utf8", b"\xff\xfe.yaml"),
    ("name-with-line-separator", "ls\u2028.yaml".encode()),
    ("name-with-next-line", "nel\u0085.yaml".encode()),
    ("name-with-bidi-override", "rtl\u202egnp.yaml".encode()),
    ("directory-name-with-newline", b"evil\ndir/x.yaml"),
]

_annotated = b.configmap("dep").replace("  namespace: n\n", "  namespace: n\n  annotations:\n")
_cms = "---\n".join(b.configmap(f"c{i}") for i in range(30))
_items = "".join(
    f"- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: i{i}}}}}\n" for i in range(30)
)

OTHERS: list[Case] = [
    _case(
        "nesting-at-max-depth",
        b.text("d.yaml", b.configmap("d", "x: " + b.flow_nesting(99))),
        "",
        objects=("d", "ok"),
    ),
    _case(
        "merge-keys-supported",
        b.text("m.yaml", b.configmap("m", "base: &b {a: 1}\ndata: {<<: *b, c: '2'}\n")),
        "",
        objects=("m", "ok"),
    ),
    _case("not-a-mapping", b.text("bad.yaml", "- a\n- b\n"), P),
    _case("not-utf8-content", b.text("bad.yaml", b.configmap("bad").encode() + b"x: \xff\n"), P),
    _case("utf16-content", b.text("bad.yaml", b.configmap("bad").encode("utf-16")), P),
    _case(
        "json-at-max-depth",
        b.text("d.json", b.json_configmap("d", ', "x": ' + b.flow_nesting(99))),
        "",
        objects=("d", "ok"),
    ),
    _case(
        "json-brackets-in-strings",
        b.text("s.json", b.json_configmap("s", ', "x": "' + "[{" * 5000 + '\\"]"')),
        "",
        objects=("ok", "s"),
    ),
    _case(
        "json-too-many-values",
        b.text("bad.json", b.json_configmap("bad", ', "x": [' + "0," * 5000 + "0]")),
        L,
        limits=DecodeLimits(max_nodes=1000),
    ),
    _case("fifo", b.fifo("pipe.yaml"), P, crash=True),
    _case("socket", b.unix_socket("sock.yaml"), P),
    _case("dev-zero-device", b.char_device("zero.yaml"), P, crash=True, needs_mknod=True),
    _case("symlink-to-dev-zero", b.symlink("zero.yaml", "/dev/zero"), P),
    _case("symlink-outside-root", b.symlink("passwd.yaml", "/etc/passwd"), P),
    _case("symlink-loop", b.every(b.symlink("a.yaml", "b.yaml"), b.symlink("b.yaml", "a.yaml")), P),
    _case("dangling-symlink", b.symlink("gone.yaml", "missing.yaml"), P),
    _case(
        "symlink-to-fifo-inside",
        b.every(b.fifo("pipe"), b.symlink("pipe.yaml", "pipe")),
        P,
        crash=True,
    ),
    _case("symlink-to-directory", b.every(b.directory("sub"), b.symlink("sub.yaml", "sub")), P),
    _case(
        "symlink-inside-root-is-read",
        b.every(b.text("real.yml", b.configmap("real")), b.symlink("link.yaml", "real.yml")),
        "",
        objects=("ok", "real", "real"),
        rendered=("ok",),
        vet_codes=_codes("SD1029"),
    ),
    _case("path-past-path-max", b.deep_directories(20, b.configmap("deep")), P),
    _case("sparse-200mb-file", b.sparse("huge.yaml", 200 * MIB), L, crash=True),
    _case(
        "file-past-max-file-bytes",
        b.text("big.yaml", b.configmap("big", "#" * 5000)),
        L,
        limits=DecodeLimits(max_file_bytes=4096),
    ),
    _case(
        "package-past-max-package-bytes",
        b.every(*(b.text(f"f{i}.yaml", "#" * 3000) for i in range(4))),
        L,
        objects=(),
        limits=DecodeLimits(max_package_bytes=10_000),
    ),
    _case(
        "objects-past-max-objects",
        b.text("many.yaml", _cms),
        L,
        objects=(),
        limits=DecodeLimits(max_objects=20),
    ),
    _case(
        "list-items-past-max-objects",
        b.text("l.yaml", "apiVersion: v1\nkind: List\nitems:\n" + _items),
        L,
        objects=(),
        limits=DecodeLimits(max_objects=20),
    ),
    _case("100k-empty-documents", b.text("empty.yaml", "---\n" * 100_000), L, objects=()),
    _case(
        "documents-that-are-not-objects",
        b.text("ints.yaml", "---\n1\n" * 1000),
        f"{P} {L}",
        objects=(),
        limits=DecodeLimits(max_objects=50),
    ),
    _case(
        "depends-on-as-a-list",
        b.text("dep.yaml", _annotated + f"    {DEPENDS_ON}: [/namespaces/n/ConfigMap/ok]\n"),
        "",
        objects=("dep", "ok"),
        rendered=("ok",),
        vet_codes=_codes("SD1070"),
    ),
    _case(
        "depends-on-as-a-number",
        b.text("dep.yaml", _annotated + f"    {DEPENDS_ON}: 7\n"),
        "",
        objects=("dep", "ok"),
        rendered=("ok",),
        vet_codes=_codes("SD1070"),
    ),
    _case(
        "object-name-forging-a-line",
        b.text("x.yaml", b.HEAD.format(name='"x\\nSD0000: fine"')),
        "",
        objects=("ok", "x\nSD0000: fine"),
        rendered=("ok",),
        vet_codes=_codes("SD1036"),
    ),
]

CASES: tuple[Case, ...] = (
    *(
        _case(name, b.text("bad.yaml", b.configmap("bad", snippet)), code, crash=crash)
        for name, snippet, code, crash in SNIPPETS
    ),
    *(
        _case(name, b.text("bad.yaml", b.configmap("bad", f"data:\n  x: {value}\n")), P)
        for name, value in VALUES
    ),
    *(
        _case(name, b.text("bad.json", b.json_configmap("bad", member)), code, crash=crash)
        for name, member, code, crash in JSON_MEMBERS
    ),
    *(_case(name, b.text(file_name, b.configmap("named")), P) for name, file_name in NAMES),
    *OTHERS,
)
