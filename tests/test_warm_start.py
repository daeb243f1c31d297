"""tests/warm_start.py: a run forked from the warm interpreter ends as the same run in a fresh `python` process does
(exit code, output, exceptions, signals), a changed import-time variable gets a fresh process, and a run past its
timeout is killed with the processes it started."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, _warm_starter, pipeline_env
from tests.warm_start import differing

SCRIPTS = {
    "returns": "print('out'); import sys; print('err', file=sys.stderr)",
    "exits_2": "import sys; print('error: a.b=1: bad', file=sys.stderr); sys.exit(2)",
    "exits_with_text": "import sys; sys.exit('stopped: the reason')",
    "raises": "raise ValueError('boom')",
    "killed": "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
    "wandb_media_folder": (  # what wandb.init and a logged table do with the folder wandb made at import
        "import os\nfrom wandb.sdk.data_types import _private\n_private._cleanup_media_tmp_dir()\n"
        "open(os.path.join(_private.MEDIA_TMP.name, 'table.json'), 'w').write('{}')"
    ),
    "atexit_and_thread": (
        "import atexit, threading, time\natexit.register(lambda: print('atexit ran'))\n"
        "threading.Thread(target=lambda: (time.sleep(0.2), print('thread ran'))).start()"
    ),
}


@pytest.fixture(scope="module")
def starter():
    found = _warm_starter(pipeline_env())
    if found is None:
        pytest.skip("RLVR_TEST_FRESH_PROCESSES=1: every run starts a fresh interpreter")
    return found


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_warm_run_ends_as_a_fresh_process_does(name, starter, tmp_path) -> None:
    script = tmp_path / f"{name}.py"
    script.write_text(SCRIPTS[name])
    env = pipeline_env()
    fresh = subprocess.run([sys.executable, str(script)], cwd=REPO, env=env, capture_output=True, text=True)
    for _ in range(2):  # the second: nothing the first left or removed in the server's state changes it
        warm = starter.run([str(script)], REPO, env, timeout=60)
        assert warm is not None, "the warm-start server stopped"
        assert (warm.returncode, warm.stdout) == (fresh.returncode, fresh.stdout)
        assert warm.stderr.strip().splitlines()[-1:] == fresh.stderr.strip().splitlines()[-1:]


def test_the_pipelines_one_line_error_is_the_same_warm_and_fresh(starter) -> None:
    env = pipeline_env()
    argv = [str(REPO / "run_pipeline.py"), "model.lora.r=0"]
    fresh = subprocess.run([sys.executable, *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    warm = starter.run(argv, REPO, env, timeout=240)
    assert warm.returncode == fresh.returncode == 2
    assert (
        warm.stderr.strip().splitlines()[-1]
        == fresh.stderr.strip().splitlines()[-1]
        == ("error: model.lora.r=0: must be >= 1")
    )


def test_a_variable_read_at_import_gets_a_fresh_process(starter) -> None:
    env = dict(starter.env)  # the server's own; this process's may since have gained variables (the summary lists them)
    per_call = {"PYTEST_CURRENT_TEST": "another test", "RLVR_KILL_AFTER_STEP": "1", "_MLFLOW_TELEMETRY_SESSION_ID": "x"}
    assert starter.matches(env) and starter.matches({**env, **per_call})
    for changed in ({"HF_HOME": "/elsewhere"}, {"OMP_NUM_THREADS": "7"}, {"PYTHONPATH": "/a/package"}):
        assert not starter.matches({**env, **changed}), changed
        assert differing({**env, **changed}, env) == list(changed)


def test_a_run_past_its_timeout_is_killed_with_its_children(starter, tmp_path) -> None:
    pid_file = tmp_path / "child.pid"
    script = tmp_path / "hangs.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\ntime.sleep(120)\n"
    )
    with pytest.raises(subprocess.TimeoutExpired):
        starter.run([str(script)], REPO, pipeline_env(), timeout=5)
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the run's own child outlived the timeout"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
