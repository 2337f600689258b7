"""Running one WASM (WASI preview 1) function module in a sandbox: the only importer of `wasmtime`.

The module gets the ResourceList on stdin and must write one on stdout. It
gets nothing else: argv is just `fn`, no environment variables, no
preopened directories (so no file can be opened), no sockets (preview 1 has
none), no clocks beyond WASI's. Limits, per call:

- fuel (`Config.consume_fuel`): about one unit per instruction; running out
  is reported as the fuel limit;
- linear memory (`Store.set_limits`): growth past it fails inside the guest
  (a Go guest dies with "out of memory"); a failed run whose memory is near
  the cap, or that says "out of memory", is reported as the memory limit;
- wall time: an epoch deadline, ticked by a timer at the pipeline's deadline;
  sleeping is refused (`poll_oneoff` answers ENOTSUP), since a guest blocked
  in the host burns no fuel and sees no epoch;
- stdout and stderr: each bounded; output past the bound fails the call
  (stdout) or is cut (stderr, which is only ever quoted in messages).

Each call has its own engine, store and instance: nothing survives a call.
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import wasmtime

from syncd.render.kpt.model import Deadline

MAX_MODULE_BYTES: Final = 64 * 1024 * 1024
MAX_STDERR_BYTES: Final = 4096
_MEMORY_SLACK: Final = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class WasmLimits:
    """What one call may use."""

    fuel: int
    memory_bytes: int
    max_stdout_bytes: int
    deadline: Deadline


class _Sink:
    """Collects one output stream up to a bound."""

    __slots__ = ("chunks", "limit", "overflow", "size")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.overflow = False

    def write(self, data: bytes) -> int:
        room = self.limit - self.size
        if len(data) > room:
            self.overflow = True
            data = data[: max(room, 0)]
        self.chunks.append(bytes(data))
        self.size += len(data)
        return len(data) if not self.overflow else len(data) + 1

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", "replace").strip()


def run_wasm(module_file: Path, stdin: bytes, *, limits: WasmLimits) -> bytes | str:
    """The module's stdout, or a message saying why the call failed."""
    code = _read_module(module_file)
    if isinstance(code, str):
        return code
    remaining = limits.deadline.remaining(time.monotonic())
    if remaining <= 0:
        return "not started: the pipeline's time limit passed"
    config = wasmtime.Config()
    config.consume_fuel = True
    config.epoch_interruption = True
    engine = wasmtime.Engine(config)
    try:
        module = wasmtime.Module(engine, code)
    except wasmtime.WasmtimeError as exc:
        return f"not a valid WASM module: {_first_line(str(exc))}"
    stdout = _Sink(limits.max_stdout_bytes)
    stderr = _Sink(MAX_STDERR_BYTES)
    timer = threading.Timer(remaining, engine.increment_epoch)
    timer.daemon = True
    with tempfile.TemporaryDirectory(prefix="syncd-wasm-") as scratch:
        stdin_file = Path(scratch) / "stdin"
        stdin_file.write_bytes(stdin)
        store = wasmtime.Store(engine)
        wasi = wasmtime.WasiConfig()
        wasi.argv = ["fn"]
        wasi.stdin_file = os.fspath(stdin_file)
        wasi.stdout_custom = stdout.write
        wasi.stderr_custom = stderr.write
        store.set_wasi(wasi)
        store.set_limits(memory_size=limits.memory_bytes)
        store.set_fuel(limits.fuel)
        store.set_epoch_deadline(1)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        _refuse_sleep(linker)
        timer.start()
        try:
            failure = _call(linker, store, module, limits=limits, stderr=stderr)
        finally:
            timer.cancel()
    if failure is not None:
        return failure
    if stdout.overflow:
        return f"its output passed the limit of {limits.max_stdout_bytes} bytes"
    return b"".join(stdout.chunks)


_ENOTSUP = 58
"""WASI's errno for "not supported"."""


def _refuse_sleep(linker: wasmtime.Linker) -> None:
    """Make `poll_oneoff` (sleeping, waiting on clocks) fail at once.

    While a guest sleeps the host blocks inside this call: no fuel is burnt
    and no epoch interrupt is seen, so a sleeping function would outlast every
    limit. A KRM function has nothing to wait for; it gets ENOTSUP instead.
    """
    linker.allow_shadowing = True
    i32 = wasmtime.ValType.i32()
    linker.define_func(
        "wasi_snapshot_preview1",
        "poll_oneoff",
        wasmtime.FuncType([i32, i32, i32, i32], [i32]),
        lambda *_args: _ENOTSUP,
    )


def _call(  # noqa: PLR0911 - one return per way a call ends
    linker: wasmtime.Linker,
    store: wasmtime.Store,
    module: wasmtime.Module,
    *,
    limits: WasmLimits,
    stderr: _Sink,
) -> str | None:
    instance: wasmtime.Instance | None = None
    try:
        instance = linker.instantiate(store, module)
        start = instance.exports(store).get("_start")
        if not isinstance(start, wasmtime.Func):
            return "the module has no _start function (not a WASI command)"
        start(store)
    except wasmtime.ExitTrap as exc:
        if exc.code == 0:
            return None
        if _near_memory_cap(store, instance, limits) or "out of memory" in stderr.text():
            return _memory_message(limits, stderr)
        return f"exited with code {exc.code}: {_stderr(stderr)}"
    except wasmtime.Trap as exc:
        if exc.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
            return f"stopped: the fuel limit of {limits.fuel} was hit (wasm_fuel)"
        if exc.trap_code == wasmtime.TrapCode.INTERRUPT:
            return "stopped: the pipeline's time limit passed"
        if _near_memory_cap(store, instance, limits):
            return _memory_message(limits, stderr)
        return f"trapped: {_first_line(exc.message)}; stderr: {_stderr(stderr)}"
    except wasmtime.WasmtimeError as exc:
        message = str(exc)
        if instance is None and "memory" in message.lower():
            return _memory_message(limits, stderr)
        return f"could not run: {_first_line(message)}"
    return None


def _near_memory_cap(
    store: wasmtime.Store, instance: wasmtime.Instance | None, limits: WasmLimits
) -> bool:
    if instance is None:
        return False
    memory = instance.exports(store).get("memory")
    if not isinstance(memory, wasmtime.Memory):
        return False
    return memory.data_len(store) + _MEMORY_SLACK >= limits.memory_bytes


def _memory_message(limits: WasmLimits, stderr: _Sink) -> str:
    return (
        f"stopped: the memory limit of {limits.memory_bytes} bytes was hit "
        f"(wasm_memory_bytes); stderr: {_stderr(stderr)}"
    )


def _stderr(stderr: _Sink) -> str:
    text = stderr.text()
    if not text:
        return "(empty)"
    return text + (" [truncated]" if stderr.overflow else "")


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "(no message)"


def _read_module(module_file: Path) -> bytes | str:
    """The module's bytes, read without following a final symlink and with a bound."""
    try:
        fd = os.open(module_file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC)
    except OSError as exc:
        return f"the module cannot be read: {exc.strerror}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "the module is not a regular file"
        data = os.read(fd, MAX_MODULE_BYTES + 1)
        chunks = [data]
        while data and sum(map(len, chunks)) <= MAX_MODULE_BYTES:
            data = os.read(fd, MAX_MODULE_BYTES + 1)
            chunks.append(data)
    except OSError as exc:
        return f"the module cannot be read: {exc.strerror}"
    finally:
        os.close(fd)
    code = b"".join(chunks)
    if len(code) > MAX_MODULE_BYTES:
        return f"the module is larger than {MAX_MODULE_BYTES} bytes"
    return code
