"""Adversarial sandbox suite: each attack scores 0, ends within its limit, and leaves the scorer,
the file system and the process table as they were."""

import os
import threading
import time
import uuid

import pytest

from components.reward.code import code
from components.sandbox.isolation import checked_probe
from components.sandbox.runner import _CHILD, namespace_prefix, run_program

LIMIT_S = 2.0
SLACK_S = 4.0  # interpreter start-up + kill + a busy shared machine
MARK = f"sandbox-probe-{uuid.uuid4().hex}"  # appears in argv/paths of anything an attack leaves behind
OUTSIDE = f"/var/tmp/{MARK}.txt"  # not /tmp: under bwrap that is the private scratch

ATTACKS = {
    "infinite_loop": "while True:\n    pass",
    "sleep_past_limit": "import time\ntime.sleep(60)",
    "sys_exit_0": "import sys\nsys.exit(0)",
    "os_exit_0": "import os\nos._exit(0)",
    "raise_systemexit_0": "raise SystemExit(0)",
    "atexit_hook": "import atexit, os\natexit.register(lambda: os._exit(0))\nassert False",
    "memory_bomb": "x = bytearray(8 * 1024**3)",
    "memory_growth": "a = []\nwhile True:\n    a.append(bytearray(50 * 1024**2))",
    "fork_storm": "import os\nwhile True:\n    os.fork()",
    "leftover_child": f"import subprocess\nsubprocess.Popen(['sleep', '600', '{MARK}'])",
    "leftover_thread": "import threading, time\nthreading.Thread(target=time.sleep, args=(600,)).start()\nassert False",
    "write_outside_tmp": f"open('{OUTSIDE}', 'w').write('escaped')",
    "os_open_outside_tmp": f"import os\nos.open('{OUTSIDE}', os.O_CREAT | os.O_WRONLY)",
    "remove_outside_tmp": f"import os\nos.remove('{OUTSIDE}.keep')",
    "network_loopback": "import socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=1).sendall(b'hi')",
    "kill_parent": "import os\nos.kill(os.getppid(), 9)",
    "kill_scorer": "import os, signal\nos.kill(SCORER_PID, signal.SIGKILL)",
    "flood_stdout": "while True:\n    print('x' * 10000)",
    # Find the sentinel in any reachable frame, print it, and leave before the tests.
    "forge_nonce_from_frames": (
        "import os, sys, re\nf = sys._getframe()\nwhile f is not None:\n"
        "    for v in list(f.f_locals.values()) + list(f.f_globals.values()):\n"
        "        if isinstance(v, str) and re.fullmatch('[0-9a-f]{32}', v): print(v, flush=True)\n"
        "    f = f.f_back\nos._exit(0)"
    ),
    "syntax_error": "def f(:\n    pass",
}


def _leftovers() -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if MARK.encode() in f.read():
                    found.append(pid)
        except OSError:
            pass
    return found


@pytest.fixture(params=["bwrap", "unshare", "no_namespaces"])
def layers(request, monkeypatch):
    """The ``isolation`` argument for each layer stack: bubblewrap, then the fallbacks without it
    (unshare, then nothing), so the in-process layers are tested alone too."""
    if request.param == "bwrap":
        found = checked_probe(_CHILD, "")
        if found.flags is None:
            pytest.skip(f"bubblewrap unusable here: {found.reason}")
        return "required"
    if request.param == "unshare" and not namespace_prefix():
        pytest.skip("unshare --net --pid is not permitted on this machine")
    if request.param == "no_namespaces":
        monkeypatch.setattr("components.sandbox.runner.namespace_prefix", lambda: ())
    return "off"


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_scores_zero_and_harms_nothing(name, layers, listener):
    keep = f"{OUTSIDE}.keep"
    with open(keep, "w") as f:
        f.write("keep")
    source = ATTACKS[name].replace("SCORER_PID", str(os.getpid())).replace("PORT", str(listener.getsockname()[1]))
    program = f"{source}\n\nprint('tests ran')\n"
    start = time.monotonic()
    try:
        result = run_program(program, timeout_s=LIMIT_S, memory_mb=512, max_output_bytes=1 << 16, isolation=layers)
        elapsed = time.monotonic() - start
        assert not result.passed, result
        assert elapsed < LIMIT_S + SLACK_S, elapsed
        assert not os.path.exists(OUTSIDE), "wrote outside the temp dir"
        assert open(keep).read() == "keep", "removed a file outside the temp dir"
        with pytest.raises(OSError):  # socket.timeout: nobody connected
            listener.accept()[0].close()
        assert _leftovers() == [], "sandbox processes remain"
        assert os.getpid() and threading.main_thread().is_alive()  # the scorer is still here
    finally:
        for path in (OUTSIDE, keep):
            if os.path.exists(path):
                os.remove(path)


def test_reward_is_zero_through_the_code_function():
    # The same attacks through the public reward with a worker pool; a good solution still passes.
    stub, test = "def f():\n", "def check(c):\n    assert c() == 1\n"
    bodies = [
        "    return 1\n",
        "    import sys; sys.exit(0)\n",
        "    while True: pass\n",
        "    import os; os._exit(0)\n",
    ]
    start = time.monotonic()
    out = code(bodies, code_prompt=stub, test=test, entry_point="f", timeout_s=LIMIT_S, workers=2)
    assert out == [1.0, 0.0, 0.0, 0.0]
    assert time.monotonic() - start < 2 * (LIMIT_S + SLACK_S)


def test_no_network_namespace_reported():
    # Documented behaviour: namespaces when the machine allows them (root + util-linux), else ().
    assert namespace_prefix() in ((), ("unshare", "--net", "--pid", "--fork", "--kill-child"))


def test_clean_program_passes_and_temp_dir_is_removed():
    before = {p for p in os.listdir("/tmp") if p.startswith("reward-sandbox-")}
    assert run_program("open('scratch.txt', 'w').write('ok')\nprint(open('scratch.txt').read())").passed
    after = {p for p in os.listdir("/tmp") if p.startswith("reward-sandbox-")}
    assert after <= before
