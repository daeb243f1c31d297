"""Start `python <script> <args>` as a fork of an interpreter that has already imported torch, transformers, TRL and
the pipeline's modules: the tests launch the pipeline over a hundred times, and each fresh interpreter spends most of
its ~6 CPU-seconds importing the same libraries before it reads its first config key.

One server per test process (`WarmStarter`), started on first use with that process's environment. Each request is
answered by a fork of the server: the child takes the request's argv, working directory, environment and output
files, and runs the script as `__main__` (runpy) to its normal interpreter exit (atexit handlers, thread joins,
flushes), so the exit code and output are those of a fresh process. A fork is used only when it would behave as a
fresh one: when the environment differs from the server's (variables some libraries read once, at import: the HF
offline switches and cache folders, OMP_NUM_THREADS) the caller starts a fresh interpreter instead (`matches`).

Why not in the test process itself: the pipeline's global state (logging handlers, Hydra's singleton, seeds, the
working directory) would leak from one run into the next, and a pytest worker has threads, which a fork does not
copy. The server is single-threaded and never runs a torch op before forking (OpenMP is not fork-safe once used).
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import runpy
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import weakref
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# What pipeline runs import (TRL, transformers and peft load most of theirs lazily, on first use): every module of
# components/ (the process entry points aside), then what a tiny GRPO, SFT or export run pulls in beyond that.
PRELOAD = [
    "run_pipeline",  # first: as in a fresh run, it picks OpenMP's wait policy before torch loads
    "trl.trainer.grpo_trainer",
    "trl.trainer.sft_trainer",
    "transformers.trainer",
    "transformers.models.llama.modeling_llama",
    "transformers.integrations.integration_utils",
    "peft.tuners.lora.bnb",
    "datasets",
    "deepspeed",
    "mlflow",
    "wandb",
    "matplotlib.pyplot",
    "scipy.stats",
]
ENTRY_POINTS = {"components.sandbox.child", "components.reward.math_worker"}  # import-time side effects (audit hook)
# Variables that change per test, or that the test process gains as libraries load or run, without changing what an
# import reads: a private `_X` marker (mlflow's session id), torch's compile cache folder and its NVML switch (read
# when CUDA is first queried, not at import), and OpenMP's wait policy (how idle threads wait: speed, never results;
# run_pipeline.py sets it as the server starts).
PER_CALL = (
    "PYTEST_CURRENT_TEST",
    "RLVR_",
    "HYDRA_FULL_ERROR",
    "WANDB_RUN",
    "COLUMNS",
    "_",
    "TORCHINDUCTOR_CACHE_DIR",
    "PYTORCH_NVML_BASED_CUDA_CHECK",
    "OMP_WAIT_POLICY",
)


def _comparable(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith(PER_CALL)}


def differing(a: dict[str, str], b: dict[str, str]) -> list[str]:
    a, b = _comparable(a), _comparable(b)
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def _send(sock: socket.socket, message: dict) -> None:
    data = json.dumps(message).encode()
    sock.sendall(struct.pack("!I", len(data)) + data)


def _receive(sock: socket.socket) -> dict:
    header = _read_exactly(sock, 4)
    return json.loads(_read_exactly(sock, struct.unpack("!I", header)[0]))


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the warm-start server closed the connection")
        data += chunk
    return data


class WarmStarter:
    """The client: `run()` has subprocess.run's shape for the calls the tests make."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = dict(env)
        self.fresh_because: dict[str, int] = {}  # variable -> runs it sent to a fresh interpreter
        self.folder = folder = Path(tempfile.mkdtemp(prefix="rlvr-warm-"))
        self.address = str(folder / "server.sock")
        self.server = subprocess.Popen(
            [sys.executable, __file__, self.address],
            cwd=REPO,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(folder / "server.log", "w"),  # noqa: SIM115 - the server's own log, kept for a failure
        )

    def matches(self, env: dict[str, str]) -> bool:
        """Whether a fork behaves as a fresh process with this environment."""
        return self.server.poll() is None and not differing(env, self.env)

    def count_fresh(self, env: dict[str, str]) -> None:
        for key in differing(env, self.env):
            self.fresh_because[key] = self.fresh_because.get(key, 0) + 1

    def run(
        self, argv: list[str], cwd: Path, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess | None:
        """The finished run, or None when the server cannot take it (it stopped): then start a fresh process."""
        out = tempfile.NamedTemporaryFile(prefix="rlvr-warm-out-", delete=False)
        err = tempfile.NamedTemporaryFile(prefix="rlvr-warm-err-", delete=False)
        out.close()
        err.close()
        try:
            code = self._request(argv, cwd, env, out.name, err.name, timeout)
            stdout, stderr = Path(out.name).read_text(errors="replace"), Path(err.name).read_text(errors="replace")
        except TimeoutError:
            raise subprocess.TimeoutExpired(argv, timeout, Path(out.name).read_text(errors="replace")) from None
        finally:
            os.unlink(out.name)
            os.unlink(err.name)
        return None if code is None else subprocess.CompletedProcess(argv, code, stdout, stderr)

    def _request(self, argv, cwd, env, out: str, err: str, timeout: float) -> int | None:
        """The run's exit code; None when the server stopped; TimeoutError past the timeout (the run killed)."""
        deadline = time.monotonic() + timeout
        with socket.socket(socket.AF_UNIX) as sock:
            while True:  # the server is importing (seconds) on first use
                try:
                    sock.connect(self.address)
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    if self.server.poll() is not None:
                        return None
                    time.sleep(0.05)
            _send(sock, {"argv": argv, "cwd": str(cwd), "env": env, "stdout": out, "stderr": err})
            pid = _receive(sock)["pid"]
            sock.settimeout(max(0.0, deadline - time.monotonic()))
            try:
                return _receive(sock)["returncode"]
            except TimeoutError:
                os.killpg(pid, signal.SIGKILL)  # the child leads its own process group: its children go too
                raise

    def close(self) -> None:
        self.server.terminate()
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------- the server


def serve(address: str) -> None:
    import importlib

    project = sorted(".".join(p.relative_to(REPO).with_suffix("").parts) for p in (REPO / "components").rglob("*.py"))
    for name in [*PRELOAD, *(m.removesuffix(".__init__") for m in project if m not in ENTRY_POINTS)]:
        importlib.import_module(name)
    # A fork copies only the calling thread. A Python thread a library started would be missing in every child; the
    # native ones found here (OpenBLAS's workers for numpy and scipy, jemalloc's background thread for pyarrow)
    # restart in the child through their pthread_atfork handlers, and no torch op (OpenMP) has run.
    if threading.active_count() > 1:
        sys.exit(f"not serving: the imports started threads {[t.name for t in threading.enumerate()]}")
    # close() terminates: exit normally, so the server removes what its imports made (wandb's media folder)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    gc.freeze()  # the collector leaves the preloaded objects alone: a child's collections copy none of their pages
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the handlers below are reaped without a wait
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(address)
        listener.listen(16)
        while True:
            conn, _ = listener.accept()
            if os.fork() == 0:  # a handler per request: it forks the run and reports its exit code
                listener.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the run gets a fresh process's dispositions
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _handle(conn)
            conn.close()


def _handle(conn: socket.socket) -> None:
    request = _receive(conn)
    pid = os.fork()
    if pid == 0:
        conn.close()
        _become(request)  # never returns
    _send(conn, {"pid": pid})
    _, status = os.waitpid(pid, 0)
    _send(conn, {"returncode": os.waitstatus_to_exitcode(status)})
    os._exit(0)


def _become(request: dict) -> None:
    """Turn this fork into `python <argv>` run in the request's folder, environment and output files."""

    os.setpgid(0, 0)
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    for finalizer in list(weakref.finalize._registry):  # the server's objects are its to clean up, not a run's
        finalizer.detach()
    _own_folders()
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    script = request["argv"][0]
    sys.argv = list(request["argv"])
    sys.path[0] = str(Path(script).resolve().parent)
    try:
        runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as stop:
        code = _exit_code(stop.code)
    except BaseException:
        traceback.print_exc()
        code = 1
    # The interpreter's exit, as a forked multiprocessing child does it: wait for the threads the run started, run its
    # atexit handlers, flush; then skip tearing down the preloaded modules (seconds of copy-on-write page copies).
    threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


def _own_folders() -> None:
    """A folder a preloaded library made at import for its process alone: a fresh process makes its own, so a run gets
    its own too. wandb (imported by TRL's GRPO trainer) writes media into one and deletes it when a run exits."""
    media = getattr(sys.modules.get("wandb.sdk.data_types._private"), "MEDIA_TMP", None)
    if media is not None:  # the one object every wandb module imported: renaming it moves them all
        media.name = tempfile.mkdtemp("wandb-media")


def _exit_code(code) -> int:
    """What the interpreter makes of SystemExit's argument: None is 0, an int itself, anything else printed and 1."""
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.path[0] = str(REPO)  # as for `python run_pipeline.py`: the repo, not tests/, on the path
    serve(sys.argv[1])
