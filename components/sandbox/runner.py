"""Run one untrusted Python program in a separate, limited process; never in this one.

Layers (each covers the others' gaps; ARCHITECTURE.md "Code sandbox" says what each guarantees):
- isolation (isolation.py): bubblewrap shows the program only the Python runtime, read-only, and a
  private size-capped /tmp, in its own user, mount, PID, network, IPC and UTS namespaces;
- where bubblewrap is unusable, ``unshare --net --pid --fork --kill-child`` when available (root +
  util-linux): no network and a PID namespace, but the host's files stay READABLE. The sandbox
  then logs one warning naming the missing layer; ``isolation="required"`` refuses to run instead;
- a fresh process: ``python -I -S child.py``, own session/process group, minimal env,
  cwd = a private temp dir; the spec (program + random nonce) goes through stdin, not argv/disk;
- rlimits set inside the child before the program runs: CPU seconds, address space, file size
  (stdout goes to a file, so a flood stops at the cap), open files, processes, core dumps;
- an audit hook in the child (child.py) refusing fork/exec/kill/sockets/ctypes/frame
  introspection, /proc and writes outside the temp dir;
- here: a wall-clock deadline, then SIGKILL to the whole process group, then the temp dir removed.
Passing needs exit code 0 AND the nonce as the last output line (printed only after the tests).
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from components.sandbox import isolation as bwrap

_CHILD = str(Path(__file__).with_name("child.py"))
_STARTUP_S = 2.0  # interpreter start on a busy machine, on top of the program's own budget
ISOLATION = ("required", "auto", "off")  # off = the fallback layers only (to measure bwrap's cost)


@dataclass(frozen=True)
class SandboxResult:
    passed: bool
    status: str  # passed | failed | timeout | syntax_error
    output: str  # the tail of stdout+stderr, for debugging
    returncode: int | None


@functools.lru_cache(maxsize=1)
def namespace_prefix() -> tuple[str, ...]:
    """``unshare`` args when this machine allows network + PID namespaces, else ()."""
    cmd = ("unshare", "--net", "--pid", "--fork", "--kill-child")
    if shutil.which("unshare") is None:
        return ()
    try:
        probe = subprocess.run(
            [*cmd, sys.executable, "-I", "-S", "-c", "pass"],
            check=False,
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return cmd if probe.returncode == 0 else ()


def require_isolation() -> None:
    """Raise a one-line ValueError naming the fix when bubblewrap cannot isolate programs here."""
    found = bwrap.checked_probe(_CHILD, _fallback_name(), warn=False)  # the error says it all
    if found.flags is None:
        raise ValueError(
            f"require_isolation=true but {found.reason}; install it (scripts/install.sh as root, "
            "or apt-get install bubblewrap) or set require_isolation=false to run unisolated"
        )


def _fallback_name() -> str:
    return "unshare (no network, own PID namespace)" if namespace_prefix() else "no namespaces"


def _launch(isolation: str, scratch_mb: int) -> tuple[list[str], str | None]:
    """(argv that starts the child, its scratch dir inside bwrap or None when not isolated)."""
    if isolation not in ISOLATION:
        raise ValueError(f"isolation={isolation!r}: choose one of {', '.join(ISOLATION)}")
    if isolation == "required":
        require_isolation()
    found = bwrap.checked_probe(_CHILD, _fallback_name()) if isolation != "off" else None
    if found is not None and found.flags is not None:
        argv = bwrap.command(found.flags, _CHILD, scratch_mb if found.sized else None)
        return [*argv, bwrap.interpreter()[0], "-I", "-S", bwrap.CHILD_PATH], bwrap.SCRATCH
    return [*namespace_prefix(), sys.executable, "-I", "-S", _CHILD], None


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the session leader's pgid == its pid
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _spec_and_env(source: str, nonce: str, inside: str, timeout_s: float, limits: dict) -> tuple[dict, dict]:
    """The child's spec (read from stdin) and its minimal environment."""
    spec = {"nonce": nonce, "source": source, "workdir": inside, "cpu_s": max(1, int(timeout_s + 1)), **limits}
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": inside,
        "TMPDIR": inside,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
    }
    return spec, env


def _run_child(argv: list[str], spec: dict, env: dict, workdir: str, out_path: str, timeout_s: float) -> int | None:
    """Start the child, feed it the spec, wait; its exit code, or None when it ran past the deadline."""
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        try:
            try:
                proc.stdin.write(json.dumps(spec).encode())
                proc.stdin.close()
            except BrokenPipeError:
                pass
            return proc.wait(timeout=timeout_s + _STARTUP_S)
        except subprocess.TimeoutExpired:
            return None
        finally:
            _kill_group(proc)  # always: also reaps anything the program left behind


def _tail(path: str, size: int = 4096) -> str:
    with open(path, "rb") as out:
        out.seek(max(0, os.path.getsize(path) - size))
        return out.read().decode("utf-8", "replace")


def _status(passed: bool, returncode: int | None) -> str:
    if passed:
        return "passed"
    if returncode == 3:
        return "syntax_error"
    return "failed" if returncode is not None else "timeout"  # None: past the deadline


def run_program(
    source: str,
    *,
    timeout_s: float = 5.0,
    memory_mb: int = 1024,
    max_output_bytes: int = 1 << 16,
    max_procs: int = 1024,
    scratch_mb: int = 16,
    isolation: str = "auto",
) -> SandboxResult:
    """Run ``source`` as ``__main__`` in the sandbox; passed only if it ran to its last line.

    ``isolation``: "auto" uses bubblewrap when it works here and warns once when it does not,
    "required" raises instead of running unisolated, "off" runs the fallback layers only.

    >>> run_program("assert 1 + 1 == 2").passed, run_program("import sys; sys.exit(0)").passed
    (True, False)
    """
    argv, inside = _launch(isolation, scratch_mb)  # raises before anything exists to clean up
    root = tempfile.mkdtemp(prefix="reward-sandbox-")
    workdir = os.path.join(root, "work")  # the cwd of unisolated runs (bwrap's is its own tmpfs)
    os.mkdir(workdir, 0o700)
    out_path = os.path.join(root, "stdout")  # outside workdir: the program cannot open it by path
    nonce = secrets.token_hex(16)
    limits = {"memory_mb": memory_mb, "max_output_bytes": max_output_bytes, "max_procs": max_procs}
    spec, env = _spec_and_env(source, nonce, inside or workdir, timeout_s, limits)
    try:
        returncode = _run_child(argv, spec, env, workdir, out_path, timeout_s)
        tail = _tail(out_path)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    lines = tail.rstrip("\n").rsplit("\n", 1)
    passed = returncode == 0 and lines[-1] == nonce
    return SandboxResult(passed, _status(passed, returncode), tail.replace(nonce, "<nonce>")[-2000:], returncode)
