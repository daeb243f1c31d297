"""Bubblewrap around the code sandbox: the program sees Python, read-only, and a private /tmp.

Why a tool and not more checks: the audit hook in child.py can only refuse the calls it
knows about, and reads were never among them. In a bubblewrap (``bwrap``) mount namespace the
rest of the host is simply absent: gold data, the repo, $HOME, other runs' temp files.

What the program sees (read-only unless said otherwise):
- the interpreter's prefix (``sys.base_prefix``: binary + stdlib; the child runs ``-I -S``, so no
  site-packages), /usr/lib, /usr/lib64 and the /lib links (libc and the libraries stdlib
  extension modules load), and child.py at /sandbox/child.py;
- /tmp: a fresh tmpfs capped at ``scratch_mb``, writable, its cwd, HOME and TMPDIR;
- /dev: null, zero, full, random, urandom, tty, fd links; /proc of its own PID namespace only;
- its own user (uid/gid 65534, no capabilities), mount, PID, network (loopback with nothing
  listening, no route out), IPC, UTS (hostname "sandbox") and cgroup namespaces; it dies with
  its parent and runs in a new session (no TIOCSTI into a terminal). / and /dev are remounted
  read-only so nothing outside /tmp can be written, even by a root without user namespaces.

Which namespace flags work depends on the machine; ``probe()`` tries them in order (see
_FLAG_SETS) with the real command line and keeps the first that runs Python.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)

CHILD_PATH = "/sandbox/child.py"  # where this package's child.py appears inside
SCRATCH = "/tmp"  # the program's only writable directory inside
_NOBODY = ("--uid", "65534", "--gid", "65534")
_FLAG_SETS = (
    # 1. user namespace (unprivileged or root): the program is nobody with no capabilities, and
    #    cannot make nested user namespaces (bubblewrap >= 0.8).
    ("--unshare-all", "--unshare-user", *_NOBODY, "--disable-userns"),
    # 2. the same for bubblewrap < 0.8 (Ubuntu 22.04 ships 0.6), which lacks --disable-userns.
    ("--unshare-all", "--unshare-user", *_NOBODY),
    # 3. root where user namespaces are refused (some container seccomp profiles): bwrap drops
    #    every capability; the program is uid 0 without them, and / is read-only.
    ("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"),
)


@dataclass(frozen=True)
class Probe:
    flags: tuple[str, ...] | None  # the working namespace flags, None when bwrap is unusable
    reason: str  # why it is unusable ("" when usable)
    sized: bool = True  # tmpfs --size works (bubblewrap >= 0.7); else /tmp is capped by RAM only


def interpreter() -> tuple[str, str]:
    """(binary, prefix) of the base Python: what must be visible for ``python -I -S`` to start."""
    prefix = os.path.realpath(sys.base_prefix)
    exe = os.path.realpath(sys.executable)
    if not exe.startswith(prefix + os.sep):  # a venv with a copied binary: use the base one
        base = os.path.join(prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}")
        exe = base if os.access(base, os.X_OK) else exe
    return exe, prefix


def _runtime_mounts() -> list[str]:
    exe, prefix = interpreter()
    args = ["--ro-bind", prefix, prefix]
    if not exe.startswith(prefix + os.sep):
        args += ["--ro-bind", os.path.dirname(exe), os.path.dirname(exe)]
    for path in ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/lib32"):
        if os.path.islink(path):  # merged /usr (Debian 12, Ubuntu): keep the link, not a copy
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path) and not path.startswith(prefix + os.sep):
            args += ["--ro-bind", path, path]
    return args


def command(flags: tuple[str, ...], child: str, scratch_mb: int | None) -> list[str]:
    """The bwrap command line up to (not including) the Python binary; every mount is explicit."""
    size = ["--size", str(scratch_mb << 20)] if scratch_mb else []
    return [
        shutil.which("bwrap") or "bwrap",
        *flags,
        "--hostname", "sandbox",
        "--die-with-parent",
        "--new-session",
        *_runtime_mounts(),
        "--ro-bind", child, CHILD_PATH,
        "--proc", "/proc",
        "--dev", "/dev",
        "--remount-ro", "/dev",
        *size,
        "--tmpfs", SCRATCH,
        "--remount-ro", "/",
        "--chdir", SCRATCH,
    ]  # fmt: skip


def _version() -> tuple[int, ...]:
    try:
        out = subprocess.run(["bwrap", "--version"], check=False, capture_output=True, text=True, timeout=10)
        return tuple(int(p) for p in out.stdout.split()[-1].split(".")[:2])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        return (0,)


def _try(flags: tuple[str, ...], child: str, sized: bool) -> str:
    """'' when Python starts under these flags, else bwrap's last error line."""
    argv = [
        *command(flags, child, 1 if sized else None),
        interpreter()[0],
        "-I",
        "-S",
        "-c",
        "pass",
    ]
    try:
        done = subprocess.run(
            argv,
            check=False,
            capture_output=True,
            timeout=30,
            env={"PATH": "/usr/bin:/bin"},
            cwd="/",
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{type(err).__name__}: {err}"
    err = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return "" if done.returncode == 0 else (err[-1] if err else f"exit code {done.returncode}")


_lock = threading.Lock()
_found: dict[str, Probe] = {}  # child path -> probe result, filled once per process
_found_log: set[str] = set()  # "warned" once the result has been logged


def probe(child: str) -> Probe:
    """The first flag set that runs Python here (about 0.1 s a try); uncached, see checked_probe."""
    if shutil.which("bwrap") is None:
        return Probe(None, "bubblewrap (bwrap) is not installed")
    sized = _version() >= (0, 7)  # --size arrived in bubblewrap 0.7
    reasons = []
    for flags in _FLAG_SETS:
        reason = _try(flags, child, sized)
        if not reason:
            return Probe(flags, "", sized)
        reasons.append(reason)
    return Probe(None, f"bwrap cannot create its namespaces here ({reasons[0]})")


def checked_probe(child: str, fallback: str, warn: bool = True) -> Probe:
    """``probe`` once per process; the first caller that will run unisolated (``warn``) gets one
    loud warning naming the missing layer and what still protects the host."""
    with _lock:  # pool threads arrive together: probe and warn once
        if child not in _found:
            _found[child] = probe(child)
        result = _found[child]
        announce = warn and "warned" not in _found_log
        if announce:
            _found_log.add("warned")
    if announce and result.flags is None:
        log.warning(
            "code sandbox: isolation layer MISSING: %s. Programs under test can READ host files "
            "(gold data, the repo, $HOME, other runs' temp files) and list host processes; still "
            "active: %s, rlimits, audit hook, nonce, wall-clock kill. Fix: scripts/install.sh as "
            "root (apt-get install bubblewrap); require_isolation=true refuses to run without it.",
            result.reason,
            fallback,
        )
    elif announce:
        log.info("code sandbox: bubblewrap isolation on (%s)", " ".join(result.flags))
    return result
