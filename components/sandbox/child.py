"""Runs ONE untrusted program inside the sandbox process. Standalone: stdlib only, no repo imports.

Started by runner.py as ``python -I -S child.py`` (isolated mode, no site-packages) in a
private temp dir, with its own session. It reads a JSON spec from stdin, then, before touching
the untrusted code: sets resource limits (which the code cannot raise again), and installs an
audit hook that refuses processes, signals, sockets, ctypes, other threads' frames and writes
outside the temp dir. The program runs in a worker thread, so no frame it can reach holds the
nonce. Only if the whole program (solution + tests) runs to the end does the main thread print
the random nonce; every early exit path (sys.exit, os._exit, atexit, signals, limits) skips it.
Exit codes: 0 ran to the end, 1 raised, 3 SyntaxError (unparseable).
"""

import json
import os
import resource
import sys
import threading

_BLOCKED_EVENTS = {
    "os.fork",
    "os.forkpty",
    "os.posix_spawn",
    "os.spawn",
    "os.exec",
    "os.system",
    "subprocess.Popen",
    "os.kill",
    "os.killpg",
    "signal.pthread_kill",
    "os.setuid",
    "resource.setrlimit",
    "resource.prlimit",
    "socket.__new__",
    "socket.connect",
    "socket.bind",
    "socket.getaddrinfo",
    "socket.sendto",
    "socket.sendmsg",
    "ctypes.dlopen",
    "ctypes.dlsym",
    "ctypes.cdata",
    "ctypes.call_function",
    "ctypes.addressof",
    "sys._current_frames",
    "sys.settrace",
    "sys.setprofile",
    "sys._current_exceptions",
    "os.chdir",
    "os.chroot",
    "os.setxattr",
    "os.removexattr",
    "pty.spawn",
    "winreg.ConnectRegistry",
}
# Modules that reach processes, raw memory, other threads' frames or the main thread (signal
# handlers run there) without an audit event.
_BLOCKED_IMPORTS = {
    "_posixsubprocess",
    "_ctypes",
    "ctypes",
    "_socket",
    "socket",
    "pty",
    "multiprocessing",
    "gc",
    "signal",
    "_signal",
    "faulthandler",
}
_PATH_EVENTS = {  # event -> indexes of path arguments that must stay inside the temp dir
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.link": (0, 1),
    "os.symlink": (1,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.copyfile": (1,),
    "shutil.move": (1,),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _install_guard(workdir: str) -> None:
    root = os.path.realpath(workdir) + os.sep

    def inside(path) -> bool:
        if isinstance(path, int):  # an fd we already hold (stdout) or was opened inside
            return True
        try:
            path = os.fsdecode(path)
        except TypeError:
            return False
        return (os.path.realpath(os.path.join(root, path)) + os.sep).startswith(root)

    def hook(event, args):
        if event in _BLOCKED_EVENTS:
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "import" and args[0].split(".")[0] in _BLOCKED_IMPORTS:
            raise ImportError(f"sandbox: import {args[0]} is not allowed")
        if event == "open":
            path, mode, flags = args
            if isinstance(path, (str, bytes)) and os.fsdecode(path).startswith("/proc/"):
                raise PermissionError("sandbox: /proc is not readable")  # /proc/self/mem holds the nonce
            writing = (mode and any(c in str(mode) for c in "wax+")) or (flags or 0) & _WRITE_FLAGS
            if writing and not inside(path):
                raise PermissionError(f"sandbox: writing {path!r} outside the temp dir is not allowed")
        elif event in _PATH_EVENTS:
            for i in _PATH_EVENTS[event]:
                if i < len(args) and not inside(args[i]):
                    raise PermissionError(f"sandbox: {event} outside the temp dir is not allowed")

    sys.addaudithook(hook)


def _limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(which, (value, value))  # hard == soft: the program cannot raise it back


def main() -> None:
    spec = json.loads(sys.stdin.read())
    sys.stdin.close()
    nonce = spec.pop("nonce")
    _limit(resource.RLIMIT_CPU, int(spec["cpu_s"]))
    _limit(resource.RLIMIT_AS, int(spec["memory_mb"]) << 20)
    _limit(resource.RLIMIT_FSIZE, int(spec["max_output_bytes"]))  # stdout is a file: floods stop here
    _limit(resource.RLIMIT_NOFILE, 64)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_NPROC, int(spec["max_procs"]))
    os.chdir(spec["workdir"])
    try:
        code = compile(spec["source"], "<program>", "exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        os._exit(3)
    del spec
    # The program runs in a worker thread so no frame it can walk (sys._getframe, tracebacks)
    # leads to this one, which holds the nonce; the main thread only waits.
    finished = []

    def target() -> None:
        try:
            exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
            sys.stdout.flush()
            finished.append(True)
        except BaseException as exc:  # noqa: BLE001  (SystemExit included: exiting early is failing)
            finished.clear()
            sys.stdout.write(f"\n{type(exc).__name__}: {str(exc)[:300]}\n")

    threading.stack_size(64 << 20)  # deep recursion in solutions needs more than the default
    worker = threading.Thread(target=target, daemon=True)
    _install_guard(os.getcwd())
    worker.start()
    worker.join()
    if not finished:
        sys.stdout.flush()
        os._exit(1)
    sys.stdout.write("\n" + nonce + "\n")
    sys.stdout.flush()
    os._exit(0)  # skips atexit hooks and lingering threads


if __name__ == "__main__":
    main()
