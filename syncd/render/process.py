"""Running a renderer binary: clean environment, private directory, time and size bounds.

A renderer (kustomize, helm) is someone else's program reading a package
someone else wrote, so it runs with:

- an environment built from nothing: `PATH` (the tool's own directory, then
  the system's), a private `HOME`, `TMPDIR` and tool caches inside the run's
  scratch directory, plus what the caller adds (Git credentials for remote
  bases, as `GIT_CONFIG_*` entries). Nothing of syncd's own environment
  (kubeconfig, service-account paths, proxies, `SYNCD_*`) leaks in;
- its working directory in the private copy of the package;
- a wall-clock limit: past it the process group is killed (SD1068);
- a bound on stdout: past `max_output_bytes` it is killed (SD1068); stderr
  keeps its first `max_stderr_bytes`;
- a bound on its address space (`memory_bytes`, through util-linux's
  `prlimit`), so a chart that builds gigabytes in memory dies alone (SD1068);
- stderr redacted of the given secrets before it reaches a message.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from syncd.core.errors import RenderError
from syncd.core.redact import redact_text
from syncd.core.render import RenderLimits
from syncd.render.workdir import SCRATCH_PREFIX

_SYSTEM_PATH: Final = "/usr/local/bin:/usr/bin:/bin"
_PRIVATE_COPY: Final = re.compile(
    rf"/[^\s'\"]*/{SCRATCH_PREFIX}[^/\s'\"]*/(?:checkout/|unit-\d+/)?"
)
"""Paths into the private copy: messages name files relative to the checkout instead."""
_OUT_OF_MEMORY: Final = re.compile(r"out of memory|cannot allocate", re.IGNORECASE)
_CHUNK: Final = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Completed:
    """What a finished renderer wrote."""

    stdout: bytes
    stderr: str
    seconds: float
    returncode: int = 0
    """The exit status (negative: killed by that signal); not 0 only with `check=False`."""


def clean_env(
    tool: Path,
    scratch: Path,
    extra: Mapping[str, str] | None = None,
    *,
    user_git: bool = False,
) -> dict[str, str]:
    """The environment a renderer gets: nothing inherited but a sane PATH and locale.

    With `user_git` (the CLI on a user's own machine) Git keeps the user's
    configuration: `HOME`, `SSH_AUTH_SOCK` and `GIT_*` pass through, so remote
    bases are fetched with the user's own credentials.
    """
    home = scratch / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": f"{tool.parent}:{_SYSTEM_PATH}",
        "HOME": str(home),
        "TMPDIR": str(scratch),
        "LANG": "C.UTF-8",
        "GIT_TERMINAL_PROMPT": "0",
    }
    if user_git:
        env.update(
            (key, value)
            for key, value in os.environ.items()
            if key.startswith("GIT_") or key in {"HOME", "SSH_AUTH_SOCK"}
        )
    else:
        env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull})
    env.update(extra or {})
    return env


def run_tool(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    limits: RenderLimits,
    what: str,
    secrets: Sequence[str] = (),
    stdin: Path | None = None,
    check: bool = True,
    limiter: Path | None = None,
) -> Completed:
    """Run `argv` to completion within `limits`; RenderError (SD1068) on any failure.

    `what` names the run in messages (`kustomize build overlays/prod`). `stdin`
    is a file the process reads. With `check=False` a non-zero exit is returned
    (as `returncode`), not raised; limits still raise. With `limiter` (the
    `prlimit` binary) the process's address space is bounded by
    `limits.memory_bytes`.
    """
    if limiter is not None:
        argv = [str(limiter), f"--as={limits.memory_bytes}", "--", *argv]
    began = time.monotonic()
    try:
        source = stdin.open("rb") if stdin is not None else subprocess.DEVNULL
    except OSError as exc:
        raise RenderError(f"{what}: its input cannot be read: {exc.strerror}") from None
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=source,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise RenderError(f"{what}: could not start {argv[0]}: {exc.strerror}") from None
    finally:
        if not isinstance(source, int):
            source.close()
    try:
        stdout, stderr, problem = _collect(proc, limits=limits, began=began)
    finally:
        _kill(proc)
    seconds = time.monotonic() - began
    text = _PRIVATE_COPY.sub("", redact_text(stderr.decode("utf-8", "replace"), secrets)).strip()
    if problem:
        raise RenderError(f"{what}: {problem}" + (f"; it said: {text}" if text else ""))
    if proc.returncode != 0 and check:
        if limiter is not None and _OUT_OF_MEMORY.search(text):
            raise RenderError(
                f"{what}: stopped: it needed more than {limits.memory_bytes // (1024 * 1024)} MiB "
                "of memory (the render memory limit, SYNCD_RENDER_MEMORY_BYTES)"
            )
        detail = text or f"exit status {proc.returncode}"
        raise RenderError(f"{what} failed: {detail}")
    return Completed(stdout=stdout, stderr=text, seconds=seconds, returncode=proc.returncode)


def _collect(
    proc: subprocess.Popen[bytes], *, limits: RenderLimits, began: float
) -> tuple[bytes, bytes, str]:
    """Read both pipes until the process exits; the problem when a limit was hit."""
    out, err = bytearray(), bytearray()
    streams: dict[int, bytearray] = {}
    pipes: list[IO[bytes]] = [p for p in (proc.stdout, proc.stderr) if p is not None]
    for pipe, buffer in zip(pipes, (out, err), strict=False):
        streams[pipe.fileno()] = buffer
    with selectors.DefaultSelector() as selector:
        for pipe in pipes:
            os.set_blocking(pipe.fileno(), False)
            selector.register(pipe, selectors.EVENT_READ)
        while selector.get_map():
            left = limits.timeout_seconds - (time.monotonic() - began)
            if left <= 0:
                return (
                    bytes(out),
                    bytes(err),
                    (f"stopped after {limits.timeout_seconds:g}s (the render time limit)"),
                )
            for key, _ in selector.select(timeout=min(left, 1.0)):
                chunk = os.read(key.fd, _CHUNK)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffer = streams[key.fd]
                if buffer is err:
                    room = limits.max_stderr_bytes - len(err)
                    err.extend(chunk[: max(room, 0)])
                    continue
                out.extend(chunk)
                if len(out) > limits.max_output_bytes:
                    return (
                        bytes(out),
                        bytes(err),
                        (
                            f"its output passed {limits.max_output_bytes} bytes "
                            "(the render size limit)"
                        ),
                    )
    left = max(limits.timeout_seconds - (time.monotonic() - began), 0.1)
    try:
        proc.wait(timeout=left)
    except subprocess.TimeoutExpired:
        return (
            bytes(out),
            bytes(err),
            (f"stopped after {limits.timeout_seconds:g}s (the render time limit)"),
        )
    return bytes(out), bytes(err), ""


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """End the process and everything it started (its own session), exited or not."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
