"""`python -m syncd.devenv`: the local environment for people (`make cluster`, `make demo`).

`cluster` starts a control plane and waits; `demo` also serves one of
`examples/` (`--example`, default hello) from a real Git server and syncs it.
Both print how to reach what they started, and stop everything on Ctrl-C or
SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.demo import (
    DEFAULT_EXAMPLE,
    ExampleError,
    example_dir,
    example_names,
    example_summary,
    push_example,
    run_demo,
)
from syncd.devenv.gitrepo import GitRepo
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.proc import ServerError
from syncd.devenv.tools import locate_tools


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _kubectl_wrapper(plane: ControlPlane) -> Path:
    """Write `<workdir>/kubectl`, the built kubectl bound to the admin kubeconfig."""
    path = plane.workdir / "kubectl"
    argv = " ".join(plane.kubectl_argv())
    path.write_text(f'#!/bin/sh\nexec {argv} "$@"\n')
    path.chmod(0o755)
    return path


def _start_plane(workdir: Path) -> ControlPlane:
    _say("[devenv] locating the control plane build (the first build takes ~10 minutes)")
    tools = locate_tools()
    _say(f"[devenv] starting etcd, kube-apiserver, controllers and a fake node in {workdir}")
    plane = ControlPlane(workdir=workdir / "plane", tools=tools)
    plane.start()
    _say(f"[devenv] control plane ready in {plane.startup_seconds:.1f}s at {plane.server}")
    return plane


def _show_plane(plane: ControlPlane) -> None:
    kubectl = _kubectl_wrapper(plane)
    _say(f"  kubeconfig: {plane.kubeconfig}")
    _say(f"  try:        {kubectl} get namespaces")
    _say(f"  or:         KUBECONFIG={plane.kubeconfig} kubectl get namespaces")


def _wait(stop: threading.Event, *, once: bool) -> None:
    if once:
        return
    _say("[devenv] running; press Ctrl-C to stop")
    stop.wait()


def cmd_cluster(args: argparse.Namespace) -> int:
    """Start a control plane and wait."""
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="syncd-cluster-"))
    with _stop_on_signals() as stop:
        plane = _start_plane(workdir)
        try:
            _show_plane(plane)
            _wait(stop, once=args.once)
        finally:
            plane.stop()
            _say(f"[devenv] stopped in {plane.teardown_seconds:.2f}s")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Sync an example from a real Git server with `syncd run` (hello: follow a commit), wait."""
    try:
        example_dir(args.example)
    except ExampleError as exc:
        _say(f"[devenv] {exc}")
        return 2
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="syncd-demo-"))
    with _stop_on_signals() as stop:
        plane = _start_plane(workdir)
        git_root = workdir / "git"
        git_root.mkdir(parents=True, exist_ok=True)
        try:
            with GitHttpServer(git_root) as server:
                repo = GitRepo.create(git_root, "examples")
                sha = push_example(repo, args.example)
                _show_plane(plane)
                _say(f"  git repo:   {server.repo_url('examples')} (branch main, {sha[:7]})")
                _say(f"  example:    examples/{args.example}/ (its RootSync: root-sync.yaml)")
                syncd = run_demo(
                    plane,
                    repo,
                    repo_url=server.repo_url("examples"),
                    example=args.example,
                    workdir=workdir,
                    say=_say,
                )
                try:
                    _say(f"  status:     syncd status --resources --kubeconfig {plane.kubeconfig}")
                    _say(f"[demo] edit {repo.work_path} and `git commit` + `git push` to see more")
                    _wait(stop, once=args.once)
                finally:
                    syncd.stop(timeout=30)
        finally:
            plane.stop()
            _say(f"[devenv] stopped in {plane.teardown_seconds:.2f}s")
    return 0


DEMO_HELP = "sync one of examples/ from Git into a local cluster (make demo EXAMPLE=...)"


def _demo_description() -> str:
    rows = "\n".join(f"  {name:<10} {example_summary(name)}" for name in example_names())
    return f"""\
Start a local control plane and a Git server on 127.0.0.1, commit
examples/EXAMPLE/ to the server, install syncd's CRDs, start `syncd run`
(with the built kustomize and helm), create the RootSync in
examples/EXAMPLE/root-sync.yaml pointed at the server, wait until it is
Synced and show what it applied. For hello it then commits a change and
shows the cluster follow. It keeps running until Ctrl-C (or --once).

examples:
{rows}

  make demo EXAMPLE=kustomize
  python -m syncd.devenv demo --example helm
"""


def build_parser() -> argparse.ArgumentParser:
    """Arguments of `python -m syncd.devenv`."""
    parser = argparse.ArgumentParser(
        prog="python -m syncd.devenv",
        description="Run syncd's local environment: a real control plane on 127.0.0.1.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, handler, helptext, description in (
        ("cluster", cmd_cluster, "start a control plane and wait (make cluster)", None),
        ("demo", cmd_demo, DEMO_HELP, _demo_description()),
    ):
        sub = commands.add_parser(
            name,
            help=helptext,
            description=description or helptext,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("--workdir", help="where to keep state (default: a new temp dir)")
        sub.add_argument(
            "--once", action="store_true", help="start, print how to reach it, then stop"
        )
        if name == "demo":
            sub.add_argument(
                "--example",
                default=DEFAULT_EXAMPLE,
                metavar="EXAMPLE",
                help=f"which example to sync (default {DEFAULT_EXAMPLE}): "
                + ", ".join(example_names()),
            )
        sub.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except ServerError as exc:
        _say(f"[devenv] error: {exc}")
        return 1
    except ExampleError as exc:
        _say(f"[devenv] error: {exc}")
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
