"""Shared test fixtures: compose the real config, find the shared data, run the pipeline in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONF_DIR = REPO / "conf"
SHARED_DATA = REPO.parent / "shared" / "data"

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never touch the hub
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# `make test` runs the suite on every core with pytest-xdist (-n auto): one worker per core, so each worker's torch
# (and every process its tests start) gets its share of the cores instead of all of them: two workers with two
# OpenMP threads each on two cores would spin against each other. Read by torch when it is first imported, below.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    _share = max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    os.environ.setdefault("OMP_NUM_THREADS", str(_share))
    os.environ.setdefault("MKL_NUM_THREADS", str(_share))


def compose(overrides: list[str] | None = None, config_name: str = "config"):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from components.runtime import bracket_indices_to_dots

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return hydra_compose(config_name, overrides=bracket_indices_to_dots(overrides or []))


def shared_data(relative: str) -> Path:
    """Path under ../shared/data; CI always has it, so there a missing file fails instead of skipping."""
    path = SHARED_DATA / relative
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared data missing in CI: {path}")
        pytest.skip(f"shared data not found at {path} (it lives beside the repo in ../shared/data)")
    return path


def run_pipeline(*args: str, timeout: int = 240, script: str = "run_pipeline.py") -> subprocess.CompletedProcess:
    """`python <script> <args>` from the repo root. Run by a fork of a warm interpreter (tests/warm_start.py) when
    that behaves as a fresh one; RLVR_TEST_FRESH_PROCESSES=1 starts a fresh interpreter every time."""
    env = pipeline_env()
    argv = [str(REPO / script), *args]
    starter = _warm_starter(env)
    if starter is not None and starter.matches(env) and (done := starter.run(argv, REPO, env, timeout)) is not None:
        return done
    if starter is not None:
        starter.count_fresh(env)
    return subprocess.run([sys.executable, *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def pipeline_env() -> dict[str, str]:
    return dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore")


_STARTER: list = []


def _warm_starter(env: dict[str, str]):
    if os.environ.get("RLVR_TEST_FRESH_PROCESSES") == "1":
        return None
    if not _STARTER:
        import atexit

        from tests.warm_start import WarmStarter

        _STARTER.append(WarmStarter(env))
        atexit.register(_STARTER[0].close)
    return _STARTER[0]


# The tiny random model writes near-random tokens; a "starts with a digit" format check gives those
# completions different rewards, so GRPO has a non-zero advantage and the LoRA weights must move.
TINY_TRAIN = [
    "model_component=tiny_random",
    "reward.reward_functions[1].params.regex='^[0-9]'",
    "reward.reward_functions[1].weight=1.0",  # the default reward only monitors format (weight 0)
    "train.max_steps=2",
    "train.per_device_train_batch_size=4",
    "train.num_generations=4",
    "train.max_completion_length=16",
    "data.num_train=64",
    "data.num_eval=8",
]


# The fast loop (`make test-fast` = pytest -m "not e2e"): a test is `e2e` when it, or a fixture it uses, starts
# a process (the pipeline, a launcher, a server, a subprocess, a notebook kernel), or is marked slow. Read from the
# source, so a new test is sorted without a list to keep up to date: the test's and its fixtures' source, and that of
# the test helpers (functions, classes under tests/) they call, transitively (train_tiny() -> run_pipeline(),
# Server() -> Popen()). Code under components/ is not read: a reward's sandbox is the behaviour a unit test checks.
# `make test` runs everything.
E2E_CALLS = re.compile(r"run_pipeline\(|subprocess\.|launch\(|serve_until_ready\(|Popen\(|NotebookClient\(")
CALLED = re.compile(r"\b([A-Za-z_]\w*)\(")


def _local_helpers(fn, source: str) -> list:
    """The functions and classes defined under tests/ that fn's source calls by name."""
    named = (getattr(fn, "__globals__", {}).get(name) for name in CALLED.findall(source))
    return [h for h in named if callable(h) and _under_tests(getattr(sys.modules.get(h.__module__), "__file__", None))]


def _under_tests(file: str | None) -> bool:
    return file is not None and Path(file).resolve().is_relative_to(REPO / "tests")


def _starts_a_process(item: pytest.Item) -> bool:
    import inspect

    functions = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for defs in info.name2fixturedefs.values() if info is not None else []:
        functions += [d.func for d in defs]
    seen: set[int] = set()
    while functions:
        fn = functions.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        try:
            source = inspect.getsource(fn)
        except (OSError, TypeError):
            continue
        if E2E_CALLS.search(source):
            return True
        functions += _local_helpers(getattr(fn, "__func__", fn), source)
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "slow" in item.keywords or _starts_a_process(item):
            item.add_marker(pytest.mark.e2e)


# `make test-fast` passes --every-module: the fast loop must import every module of components/ and serve/ at least
# once (in-process, lazy imports included: sys.modules is read after the last test), so no module is left to the
# slow end-to-end tests alone. Entry points that only ever run as a process of their own are checked by e2e tests.
PROCESS_ENTRY_POINTS = {"components.sandbox.child", "components.reward.math_worker", "serve.__main__"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--every-module", action="store_true", help="fail if a components/ or serve/ module is never imported"
    )


def _project_modules() -> set[str]:
    names = set()
    for package in ("components", "serve"):
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names - PROCESS_ENTRY_POINTS


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(WorkerModules(), "rlvr-worker-modules")


class WorkerModules:
    """Under pytest-xdist the tests import modules in the workers: each reports its sys.modules when it finishes,
    and which variables sent pipeline runs to a fresh interpreter instead of a warm fork."""

    imported: set[str] = set()
    fresh_because: dict[str, int] = {}

    def pytest_testnodedown(self, node, error) -> None:
        output = getattr(node, "workeroutput", {})
        WorkerModules.imported.update(output.get("project_modules", []))
        for key, runs in output.get("fresh_because", {}).items():
            WorkerModules.fresh_because[key] = WorkerModules.fresh_because.get(key, 0) + runs


def pytest_terminal_summary(terminalreporter) -> None:
    reasons = dict(WorkerModules.fresh_because)
    for key, runs in (_STARTER[0].fresh_because if _STARTER else {}).items():
        reasons[key] = reasons.get(key, 0) + runs
    if reasons:  # a variable a test or an in-process library set: those runs paid a fresh interpreter's imports
        listed = ", ".join(f"{key} ({runs})" for key, runs in sorted(reasons.items()))
        terminalreporter.write_line(f"pipeline runs started fresh, not forked warm, because of: {listed}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workeroutput"):  # an xdist worker: hand its imports to the controller
        config.workeroutput["project_modules"] = sorted(_project_modules() & set(sys.modules))
        config.workeroutput["fresh_because"] = _STARTER[0].fresh_because if _STARTER else {}
        return
    whole_suite = config.args_source == pytest.Config.ArgsSource.TESTPATHS and not config.option.keyword
    if not config.getoption("--every-module") or exitstatus != 0 or not whole_suite:
        return  # a failing run or a chosen subset (paths, -k) says nothing about coverage
    missing = sorted(_project_modules() - set(sys.modules) - WorkerModules.imported)
    if missing:
        session.config.get_terminal_writer().line(
            f"ERROR: the tests run imported none of these {len(missing)} modules: {', '.join(missing)}", red=True
        )
        session.exitstatus = 1
