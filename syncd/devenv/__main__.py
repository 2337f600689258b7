"""`python -m syncd.devenv`: the local environment for people (`make cluster`, `make demo`).

`cluster` starts a control plane and waits; `demo` also serves `examples/`
from a real Git server. Both print how to reach what they started, and stop
everything on Ctrl-C or SIGTERM.
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
from syncd.devenv.demo import run_demo
from syncd.devenv.gitrepo import GitRepo, read_tree
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.proc import ServerError
from syncd.devenv.tools import REPO_ROOT, locate_tools


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
    """Sync examples/ from a real Git server with `syncd run`, follow a commit, then wait."""
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="syncd-demo-"))
    examples = REPO_ROOT / "examples" / args.example
    if not examples.is_dir():
        _say(f"[devenv] no example named {args.example!r} under {examples.parent}")
        return 2
    with _stop_on_signals() as stop:
        plane = _start_plane(workdir)
        git_root = workdir / "git"
        git_root.mkdir(parents=True, exist_ok=True)
        try:
            with GitHttpServer(git_root) as server:
                repo = GitRepo.create(git_root, "examples")
                sha = repo.commit(
                    {f"{args.example}/{k}": v for k, v in read_tree(examples).items()},
                    f"Add examples/{args.example}",
                )
                _show_plane(plane)
                _say(f"  git repo:   {server.repo_url('examples')} (branch main, {sha[:7]})")
                _say(f"  directory:  {args.example}/")
                syncd = run_demo(
                    plane,
                    repo,
                    repo_url=server.repo_url("examples"),
                    example=args.example,
                    workdir=workdir,
                    say=_say,
                )
                try:
                    _say(f"[demo] edit {repo.work_path} and `git commit` + `git push` to see more")
                    _wait(stop, once=args.once)
                finally:
                    syncd.stop(timeout=30)
        finally:
            plane.stop()
            _say(f"[devenv] stopped in {plane.teardown_seconds:.2f}s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Arguments of `python -m syncd.devenv`."""
    parser = argparse.ArgumentParser(
        prog="python -m syncd.devenv",
        description="Run syncd's local environment: a real control plane on 127.0.0.1.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, handler, helptext in (
        ("cluster", cmd_cluster, "start a control plane and wait (make cluster)"),
        ("demo", cmd_demo, "sync examples/ from Git into a local cluster (make demo)"),
    ):
        sub = commands.add_parser(name, help=helptext, description=helptext)
        sub.add_argument("--workdir", help="where to keep state (default: a new temp dir)")
        sub.add_argument(
            "--once", action="store_true", help="start, print how to reach it, then stop"
        )
        if name == "demo":
            sub.add_argument("--example", default="hello", help="directory under examples/")
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
    return code


if __name__ == "__main__":
    sys.exit(main())
