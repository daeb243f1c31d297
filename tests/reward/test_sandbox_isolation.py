"""What a program under test can reach of the host, with bubblewrap and with the fallback layers.

Each probe is a program that passes only if its attack worked. With bubblewrap every probe must
fail (or be contained) and leave the host unchanged; with the fallback layers (no bubblewrap) the
probes marked LOST are checked to succeed, then reported as xfail with the reason: this file is
the list of guarantees the fallback does not give, and a test breaks if that list stops being true.
"""

import ctypes
import gzip
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from components.reward.code import code
from components.reward.reward_set import RewardSet
from components.sandbox import isolation
from components.sandbox.runner import _CHILD, namespace_prefix, run_program

REPO = Path(__file__).resolve().parents[2]
GOLD = REPO.parent / "shared" / "data" / "humaneval" / "HumanEval.jsonl.gz"
SECRET = f"rlvr-secret-{uuid.uuid4().hex}"
LIMIT_S = 2.0
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
SLACK_S = 4.0  # interpreter start-up + kill + a busy shared machine
FILES_LOST = "fallback: no mount namespace, every host file the scorer can read is readable"
LOST = {
    "read_gold_data": FILES_LOST,
    "read_repo_source": FILES_LOST,
    "read_other_run_file": FILES_LOST,
    "read_home": FILES_LOST,
    "list_host_processes": "fallback: the host's /proc is listable (the audit hook only refuses open())",
    "fill_scratch": "fallback: scratch is not size-capped (RLIMIT_FSIZE caps each file, not their sum)",
}


def _home_file() -> str:
    home = Path.home()
    found = [p for p in sorted(home.iterdir()) if p.is_file() and os.access(p, os.R_OK)]
    return str(found[0]) if found else ""


def probes(other_run_file: str, outside: str, port: int) -> dict[str, str]:
    """name -> program that reaches its last line only if the attack succeeded."""
    return {
        "read_gold_data": f"import gzip\nassert b'canonical_solution' in gzip.open({str(GOLD)!r}).read()",
        "read_repo_source": f"assert 'def run_program' in open({str(REPO / 'components/sandbox/runner.py')!r}).read()",
        "read_other_run_file": f"assert {SECRET!r} in open({other_run_file!r}).read()",
        "read_home": f"assert open({_home_file()!r}, 'rb').read(1) is not None",
        "list_host_processes": f"import os\nassert {str(os.getpid())!r} in os.listdir('/proc')",
        "read_proc_environ": f"assert open('/proc/{os.getpid()}/environ').read()",
        "read_proc_cmdline": f"assert open('/proc/{os.getpid()}/cmdline').read()",
        "read_pid1_environ": "assert open('/proc/1/environ').read()",
        "env_secret": f"import os\nassert {SECRET!r} in repr(os.environ)",
        "write_outside_scratch": f"open({outside!r}, 'w').write('escaped')",
        "write_repo": f"open({str(REPO / 'escaped.txt')!r}, 'w').write('escaped')",
        "connect_loopback": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)",
        # TEST-NET-1 (RFC 5737): reserved for documentation, no real host answers there
        "connect_public": "import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=1)",
        "fork_bomb": "import os\nwhile True:\n    os.fork()",
        "thread_bomb": (
            "import threading, time\nts = [threading.Thread(target=time.sleep, args=(60,)) "
            "for _ in range(100000)]\nfor t in ts:\n    t.start()"
        ),
        "flood_stdout": "while True:\n    print('x' * 10000)",
        "fill_scratch": "for i in range(2000):\n    open(f'f{i}', 'wb').write(b'x' * 60000)",
    }


def _sandbox_processes() -> set[int]:
    """Live sandbox children (bwrap or the child script) of this test process.

    Only this process's own: another pytest process may be running sandboxes at the same time (an xdist worker beside
    this one, a suite in another checkout). A child that escaped its parent is still counted: the `subreaper` fixture
    makes this process inherit orphaned descendants, where they would otherwise be re-parented to init.
    """
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
            state = _stat(int(pid))[0]
            ours = _descends_from_this_process(int(pid))
        except OSError:
            continue
        if ours and state != "Z" and (b"components/sandbox/child.py" in cmd or isolation.CHILD_PATH.encode() in cmd):
            found.add(int(pid))
    return found


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: [state, ppid, ...]."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def _descends_from_this_process(pid: int) -> bool:
    while pid > 1:
        pid = int(_stat(pid)[1])
        if pid == os.getpid():
            return True
    return False


@pytest.fixture
def subreaper():
    """Orphans of this process's descendants come back to it (prctl PR_SET_CHILD_SUBREAPER) instead of init, so a
    sandbox process that escaped by re-parenting is still found among this process's descendants."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        pytest.fail(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")
    yield
    libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


@pytest.fixture(params=["bwrap", "bwrap_without_userns", "fallback"])
def mode(request, monkeypatch):
    """The ``isolation`` argument. bwrap = the flag set the probe picked here; bwrap_without_userns
    = the last flag set (root where user namespaces are refused), forced when it works here."""
    if request.param == "fallback":
        return "off"  # unshare when permitted, plus rlimits, audit hook, nonce, wall-clock kill
    found = isolation.checked_probe(_CHILD, "")
    if found.flags is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs bubblewrap (scripts/install.sh installs it): {found.reason}")
        pytest.skip(f"bubblewrap unusable here: {found.reason}")
    if request.param == "bwrap_without_userns":
        flags = isolation._FLAG_SETS[-1]
        reason = isolation._try(flags, _CHILD, found.sized)
        if reason:
            pytest.skip(f"bwrap without a user namespace does not run here: {reason}")
        monkeypatch.setitem(isolation._found, _CHILD, isolation.Probe(flags, "", found.sized))
    return "required"


@pytest.mark.parametrize("name", sorted(probes("", "", 0)))
def test_probe_fails_or_is_contained(name, mode, listener, tmp_path, monkeypatch, subreaper):
    if name == "read_gold_data" and not GOLD.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{GOLD} is missing; CI must have ../shared/data")
        pytest.skip(f"{GOLD} is absent (the shared data is not checked out here)")
    if name == "read_home" and not _home_file():
        pytest.skip(f"no readable file in {Path.home()}")
    monkeypatch.setenv("RLVR_SANDBOX_TEST_SECRET", SECRET)  # in the scorer's environment
    other_run = tmp_path / "other-run.txt"  # a host temp file outside any scratch dir
    other_run.write_text(SECRET)
    outside = tmp_path / "escaped.txt"
    program = probes(str(other_run), str(outside), listener.getsockname()[1])[name]
    before = _sandbox_processes()
    start = time.monotonic()
    result = run_program(program, timeout_s=LIMIT_S, memory_mb=512, isolation=mode)
    assert time.monotonic() - start < LIMIT_S + SLACK_S
    time.sleep(0.1)  # a killed namespace takes a moment to disappear from /proc
    assert _sandbox_processes() - before == set(), "sandbox processes remain"
    assert not outside.exists() and not (REPO / "escaped.txt").exists(), "wrote outside scratch"
    assert len(result.output) <= 4096
    with pytest.raises(OSError):  # socket.timeout: nobody connected
        listener.accept()[0].close()
    if mode == "off" and name in LOST:
        assert result.passed, f"{name} is listed as lost in fallback but failed: {result.output}"
        pytest.xfail(LOST[name])
    assert SECRET not in result.output
    assert not result.passed, f"{name} succeeded: {result.output[-300:]}"


ESCAPE = """
import os, sys
if os.fork() == 0:  # the grandchild outlives its parent: re-parented, as a sandbox escape would be
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", "components/sandbox/child.py"])
"""


def test_a_sandbox_process_that_escaped_its_parent_is_still_counted(subreaper):
    subprocess.run([sys.executable, "-c", ESCAPE], check=True, timeout=30)
    deadline = time.monotonic() + 10
    while not (escaped := _sandbox_processes()) and time.monotonic() < deadline:
        time.sleep(0.05)  # the grandchild is exec'ing
    try:
        assert len(escaped) == 1
        assert int(_stat(escaped.pop())[1]) == os.getpid()  # re-parented to this process, not to init
    finally:
        for pid in _sandbox_processes():
            os.kill(pid, 9)
            os.waitpid(pid, 0)


def test_gold_program_still_passes_with_isolation():
    # What HumanEval solutions use: stdlib imports, scratch files, recursion, hashing, randomness.
    program = (
        "import hashlib, math, random, re, json, collections, itertools, heapq, string, sys\n"
        "open('scratch.txt', 'w').write('ok')\nassert open('scratch.txt').read() == 'ok'\n"
        "sys.setrecursionlimit(10000)\nf = lambda n: n if n < 2 else f(n - 1) + f(n - 2)\n"
        "assert f(15) == 610 and hashlib.md5(b'a').hexdigest()[:4] == '0cc1'\n"
        "assert len(str(random.random())) > 2 and math.isclose(math.pi, 3.14159, rel_tol=1e-5)\n"
    )
    assert run_program(program, isolation="auto").passed


@pytest.fixture
def no_bwrap(monkeypatch, tmp_path):
    """bwrap missing from PATH, as on a machine where it is not installed; probed afresh."""
    namespace_prefix()  # cache the unshare probe with the real PATH first
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(isolation, "_found", {})
    monkeypatch.setattr(isolation, "_found_log", set())


def test_missing_bwrap_warns_once_naming_the_layer(no_bwrap, caplog):
    with caplog.at_level(logging.WARNING, logger=isolation.__name__):
        for _ in range(3):
            assert run_program("print('ran unisolated')").passed  # fallback layers still run it
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "isolation layer MISSING: bubblewrap (bwrap) is not installed" in message
    assert "READ host files" in message and "\n" not in message


def test_require_isolation_refuses_without_bwrap(no_bwrap, caplog):
    with pytest.raises(ValueError, match=r"^require_isolation=true but bubblewrap") as err:
        run_program("pass", isolation="required")
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match=r"^reward_functions\[0\] \(code\): require_isolation=true"):
        RewardSet([{"name": "code", "weight": 1.0, "params": {"require_isolation": True}}])
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # the error says it


def test_require_isolation_is_one_line_exit_2_end_to_end(tmp_path):
    # bwrap absent from PATH, as on a machine without it: the run stops before scoring anything.
    # A one-row HumanEval-shaped file, so the test needs no ../shared/data.
    rows = tmp_path / "humaneval.jsonl"
    row = {"task_id": "t/0", "prompt": "def f():\n", "canonical_solution": "    return 1\n",
           "test": "def check(c):\n    assert c() == 1\n", "entry_point": "f"}  # fmt: skip
    rows.write_text(json.dumps(row) + "\n")
    cmd = [sys.executable, str(REPO / "run_pipeline.py"), "mode=check_rewards", "reward_component=code",
           "check_rewards.dataset=humaneval", f"check_rewards.path={rows}",
           "reward.reward_functions[0].params.require_isolation=true", f"hydra.run.dir={tmp_path}"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "PATH": str(tmp_path)})  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: reward.reward_functions[0] (code): require_isolation=true but bubblewrap")
    assert "Traceback" not in done.stderr


def test_require_isolation_scores_with_bwrap():
    if isolation.checked_probe(_CHILD, "").flags is None:
        pytest.skip("bubblewrap unusable here")
    stub, test = "def f():\n", "def check(c):\n    assert c() == 1\n"
    out = code(["    return 1\n", "    return 2\n"], code_prompt=stub, test=test, entry_point="f",
               require_isolation=True)  # fmt: skip
    assert out == [1.0, 0.0]


def test_isolation_off_cannot_be_required():
    with pytest.raises(ValueError, match="isolation='off' with require_isolation=True"):
        code([], require_isolation=True, isolation="off")


def test_gold_file_is_gzip_of_humaneval():
    # Guards the read probe: it reads the real gold file, so a pass above would be a real leak.
    if not GOLD.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{GOLD} is missing; CI must have ../shared/data")
        pytest.skip(f"{GOLD} is absent (the shared data is not checked out here)")
    with gzip.open(GOLD) as f:
        assert b"canonical_solution" in f.read()


def _served_reward(*overrides: str):
    from serve.config import build_components, compose_config, settings_from

    cfg = compose_config(["model_component=tiny_random", "reward_component=code", *overrides])
    return build_components(cfg, settings_from(cfg.serve)).reward


def test_serving_requires_isolation_by_default(no_bwrap):
    with pytest.raises(
        ValueError,
        match=r"^serve.require_code_isolation=true: reward_functions\[0\] \(code\): require_isolation=true",
    ):
        _served_reward()
    reward = _served_reward("serve.require_code_isolation=false")  # the explicit opt-out
    assert reward._entries[0].params["require_isolation"] is False


def test_serving_with_bwrap_scores_code():
    if isolation.checked_probe(_CHILD, "").flags is None:
        pytest.skip("bubblewrap unusable here")
    reward = _served_reward()
    assert reward._entries[0].params["require_isolation"] is True
