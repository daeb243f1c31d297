"""Every shell command shown in the docs is executed, validated, or allow-listed below with its reason.

The commands come from every Markdown file of the repo (tests/docs/doc_commands.py finds fenced shell blocks and
inline `command` spans), so a command another engineer adds to any guide is checked without editing this file; a
command of a kind no class below covers fails `test_every_command_has_a_class` until it gets one.

    executed   run as shown, in a subprocess: `make -n <target>`, --help / --cfg / --info, scripts/lock.sh --check,
               the module CLIs, the bench scripts (their arguments, then --help: the parser checks the values,
               the help text must list every documented flag), the shell set-up lines, and the pipeline and
               server commands in EXECUTED (train / eval / score / check_rewards runs; `python -m serve` and
               uvicorn's factory each serve the tiny run until /ready)
    validated  every other `python run_pipeline.py ...`, also under torchrun / accelerate: composed with Hydra
               exactly as written and checked by components.validation.validate (what the entry point does
               before anything loads); `-m` checks every job of the grid; WORLD_SIZE = the launcher's process
               count. `python -m serve ...`: composed, settings parsed, components built (no weights load)
    allowed    ALLOWED: a pattern and why the command cannot run in a test (GPU, network, docker, a fragment)

Substitutions, the same in every class: a placeholder run dir (`outputs/<date>/<time>`, `<run>`, `<run_dir>`,
`outputs/2025-01-01/12-00-00`) becomes the tiny run this test trains first (the README's own
`model_component=tiny_random train.max_steps=2`; its final model doubles as `best_model/`); the README's reader's
own files become real ones beside it: `<my_model_folder>` = that run exported by `mode=export` (a plain HF folder),
`my_data.jsonl` = 40 written 2-digit additions in the README's `question`/`answer` form; `...`,
`<overrides>`, `[overrides]` and `key=...` are dropped; `<N>`/`<K>` become 8/4; `[optional parts]` are kept;
executed pipeline runs get `hydra.run.dir=<tmp>` so nothing lands in the repo; a server's port becomes a free
one; `mode=score` runs in a scratch dir holding the `in.jsonl` it names (three GSM8K-style rows) or its
`episodes.jsonl` (three guess_number episodes);
`python -m components.sweep.summary` gets a one-job sweep dir.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.docs.doc_commands import PYTHONS, REPO, Command, all_commands

COMMANDS: dict[str, list[Command]] = {}
for _cmd in all_commands():
    COMMANDS.setdefault(_cmd.text, []).append(_cmd)

RUN_DIR_PLACEHOLDERS = ("outputs/<date>/<time>", "outputs/2025-01-01/12-00-00", "outputs/<run>", "<run_dir>", "<run>")
NUMBER_PLACEHOLDERS = {"<N>": "8", "<K>": "4"}  # a template's counts (RECIPE_NOTES' probe command): small values
DROPPED = {"...", "<overrides>", "[overrides]", "<sweep_dir>"}  # a sweep dir: the module check makes its own
ALLOWED = {  # pattern (re.search on Command.text) -> why the command is not run by a test
    r"experiment=gpt3_arithmetic_smollm2 '?model\.model_name_or_path=<run>/model": "needs a warm start's full model "
    "folder (an SFT run's model/, not the tiny LoRA run's adapter); tests/training/test_sft.py and "
    "tests/bench/test_gpt3_arithmetic.py run both stages on the tiny model",
    r"^docker (build|run) ": "needs a Docker daemon (CI has none); tests/serve/test_deploy.py checks both Dockerfiles",
    r"^kubectl ": "needs a Kubernetes cluster; tests/serve/test_deploy.py validates deploy/k8s/ against the schema",
    r"^(pip|poetry) ": "a step scripts/install.sh or scripts/lock.sh runs (docs/INSTALL.md explains them): PyPI "
    "access, rewrites .venv; CI runs them through `make test`, never inside a test",
    r"^scripts/install\.sh": "installs .venv from poetry.lock (PyPI); every `make run` / `make test` runs it, CI too",
    r"^(POETRY_LOCK_ARGS=\S+ )?scripts/lock\.sh$|^python scripts/poetry_compat\.py lock$": "re-resolves poetry.lock against PyPI (network, minutes); `scripts/lock.sh --check` is executed instead",
    r"^STEPS=\d+ bash examples/bench/gpu_grpo\.sh ": "a CUDA GPU benchmark run (BENCHMARKS.md, GPU section)",
    r"^(\.venv/bin/)?python -m pytest |^pytest ": "runs part of this test suite, which `make test` (CI) runs whole; "
    "the file it names is checked to exist",
    r"^(\.venv/bin/)?mkdocs serve$": "a preview server that runs until stopped; the site it serves is built --strict by "
    "tests/docs/test_docs_build.py",
    r"data_component=jsonl data\.train_file=my\.jsonl ": "my.jsonl stands for the reader's own file; the jsonl option "
    "runs on written files with custom fields in tests/data/test_data_components.py",
    r"^mlflow ui |^tensorboard --logdir ": "a dashboard server that runs until stopped; the files it reads are written and "
    "read back by tests/observer/test_observers_read_back.py",
    r"^python -I -S$": "the flags the code sandbox starts its child interpreter with, not a command to type",
    r"^git archive$": "names the git command a benchmark copied the tree with, not a command to type",
    r"^accelerate launch( --config_file)?$|^torchrun --nproc_per_node 2$|^accelerate launch --cpu --num_processes 2 "
    r"\.\.\.$": "a fragment of a sentence (the full launch commands beside it are validated)",
    r"^accelerate launch --config_file conf/accelerate/zero2\.yaml$": "a fragment of the cheat-sheet row (its other words follow in the next span); the ZeRO configs run on CPU in "
    "tests/distributed/test_launch_runs.py",
}
REPO_PATH = re.compile(r"^(conf|deploy|scripts|bench|examples|docs|components|serve|tests)/")


def allowed(cmd: Command) -> str | None:
    return next((why for pattern, why in ALLOWED.items() if re.search(pattern, cmd.text)), None)


def kind(cmd: Command) -> str:
    a = (cmd.argv[0].removeprefix(".venv/bin/") if cmd.argv[0] not in PYTHONS else cmd.argv[0], *cmd.argv[1:])
    if allowed(cmd):
        return "allowed"
    if a[0] in PYTHONS and a[1:2] == ("run_pipeline.py",):
        return "pipeline"
    if a[0] in ("torchrun", "accelerate") and "run_pipeline.py" in a:
        return "launch"
    if (a[0] in PYTHONS and a[1:3] == ("-m", "serve")) or (a[0] == "uvicorn" and "serve.app:app_from_env" in a):
        return "serve"
    if a[0] in PYTHONS and len(a) > 1 and a[1].startswith("bench/"):
        return "bench"
    if a[0] in PYTHONS and a[1:2] == ("-m",) and a[2] in MODULES:
        return "module"
    if a[0] == "make":
        return "make"
    if a == ("scripts/lock.sh", "--check") or a[0] in (".", "source", "export", "uptime"):
        return "shell"
    return "unknown"


# ---------------------------------------------------------------- helpers


def substitute(args: tuple[str, ...], run_dir: Path) -> list[str]:
    own = {
        "<my_model_folder>": str(run_dir.parent / "my_model"),
        "=my_data.jsonl": f"={run_dir.parent / 'my_data.jsonl'}",
    }
    out = []
    for arg in args:
        if arg in DROPPED or arg.endswith("=..."):
            continue
        if arg.startswith("[") and arg.count("[") > arg.count("]"):  # `[a b]`: an optional part, checked as given
            arg = arg[1:]
        if arg.endswith("]") and arg.count("]") > arg.count("["):
            arg = arg[:-1]
        for placeholder in RUN_DIR_PLACEHOLDERS:
            arg = arg.replace(placeholder, str(run_dir))
        for placeholder, value in NUMBER_PLACEHOLDERS.items():
            arg = arg.replace(placeholder, value)
        for placeholder, value in own.items():
            arg = arg.replace(placeholder, value)
        assert not re.search(r"<[\w ]+>", arg), (
            f"unknown placeholder in {arg!r}: add it to RUN_DIR_PLACEHOLDERS/DROPPED"
        )
        out.append(arg)
    return out


def env_for(cmd: Command) -> dict[str, str]:
    return dict(
        os.environ,
        WANDB_MODE="offline",
        HF_HUB_OFFLINE="1",
        HYDRA_FULL_ERROR="0",
        PYTHONWARNINGS="ignore",
        **dict(cmd.env),
    )


def run(argv: list[str], cmd: Command, cwd: Path = REPO, timeout: int = 240) -> str:
    argv = [sys.executable if a in PYTHONS else a for a in argv]
    proc = subprocess.run(argv, cwd=cwd, env=env_for(cmd), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd.text} -> exit {proc.returncode}:\n{(proc.stdout + proc.stderr)[-3000:]}"
    return proc.stdout + proc.stderr


def pipeline_flags(args: list[str]) -> tuple[list[str], list[str], bool]:
    """(Hydra app flags such as --cfg job, overrides, multirun?)"""
    flags, overrides, multirun, i = [], [], False, 0
    while i < len(args):
        if args[i] in ("-m", "--multirun"):
            multirun = True
        elif args[i] in ("--cfg", "-c", "--info", "-i", "--package", "-p"):
            flags += args[i : i + 2]
            i += 1
        elif args[i].startswith("-"):
            flags.append(args[i])
        else:
            overrides.append(args[i])
        i += 1
    return flags, overrides, multirun


def validate_pipeline(overrides: list[str], monkeypatch, world_size: int = 1) -> None:
    """What run_pipeline does first, for each job of a -m grid: compose, then components.validation.validate."""
    from hydra import compose, initialize_config_dir
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from components.modes.evaluate import with_run_config
    from components.runtime import bracket_indices_to_dots
    from components.validation import validate
    from run_pipeline import MODES

    monkeypatch.chdir(REPO)  # relative data paths and ${hydra:runtime.cwd} resolve against the launch dir
    monkeypatch.setenv("WORLD_SIZE", str(world_size))
    overrides = bracket_indices_to_dots(overrides)
    choices = []
    for parsed in OverridesParser.create().parse_overrides(overrides):
        key = parsed.input_line.split("=", 1)[0]
        values = list(parsed.sweep_string_iterator()) if parsed.is_sweep_override() else None
        choices.append([f"{key}={v}" for v in values] if values else [parsed.input_line])
    for job in itertools.product(*choices):
        with initialize_config_dir(str(REPO / "conf"), version_base="1.3"):
            cfg = compose("config", overrides=list(job), return_hydra_config=True)
        HydraConfig.instance().set_config(cfg)
        validate(cfg, MODES)
        if cfg.mode == "eval":
            with_run_config(cfg)  # eval_run.run_dir must be a finished run


def world_size(launcher: list[str]) -> int:
    """Processes a torchrun / accelerate launch line starts in all (torchrun: per node x --nnodes)."""

    def value(*names: str) -> str | None:
        return next((launcher[i + 1] for i, a in enumerate(launcher[:-1]) if a in names), None)

    per_node = value("--num_processes", "--num-processes", "--nproc_per_node", "--nproc-per-node")
    config = value("--config_file", "--config-file")
    if per_node is None and config and (REPO / config).is_file():  # accelerate: the config file's count
        import yaml

        per_node = str((yaml.safe_load((REPO / config).read_text()) or {}).get("num_processes", 1))
    nodes = value("--nnodes") if launcher[0].endswith("torchrun") else None
    return int(per_node or 1) * (int(nodes) if nodes and nodes.isdigit() else 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_until_ready(argv: list[str], cmd: Command, log: Path, timeout: float = 150) -> None:
    port = free_port()
    argv = [a for a in argv if not a.startswith("serve.port=")]
    if argv[0] == "uvicorn":
        at = argv.index("--port") if "--port" in argv else None
        argv = [sys.executable, "-m", *(argv[:at] + argv[at + 2 :] if at is not None else argv), "--port", str(port)]
    else:
        argv = [sys.executable if a in PYTHONS else a for a in argv] + [f"serve.port={port}"]
    with open(log, "w") as out:
        proc = subprocess.Popen(
            argv, cwd=REPO, env=env_for(cmd), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )  # its own group: the engine child process ends with it
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        pytest.fail(f"{cmd.text}: not ready in {timeout}s (exit {proc.poll()}):\n{log.read_text()[-3000:]}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("doc_commands")


@pytest.fixture(scope="module")
def tiny_run(work, done) -> Path:
    """README's first command, as shown (plus a tmp run dir): the run every placeholder run dir stands for."""
    cmd = COMMANDS.get(TINY_RUN, [Command("test", (), tuple(TINY_RUN.split()))])[0]
    run_dir = work / "tiny_run"
    execute_pipeline(cmd, list(cmd.argv), work, done, "summary.json", run_dir=run_dir)
    # 2 steps end before the first probe (eval.probe_every_steps), so no best_model/ is kept: commands naming
    # `eval_run.model_subdir=best_model` get a copy of the final model there
    shutil.copytree(run_dir / "model", run_dir / "best_model")
    write_own_files(run_dir, cmd)
    return run_dir


def write_own_files(run_dir: Path, cmd: Command) -> None:
    """The README's "your own data / model": a JSONL file of its form and a plain HF folder (the tiny run exported)."""
    rows = [(a, b) for a, b in itertools.product(range(10, 99, 9), range(11, 99, 23))][:40]
    (run_dir.parent / "my_data.jsonl").write_text(
        "".join(json.dumps({"question": f"What is {a} + {b}?", "answer": str(a + b)}) + "\n" for a, b in rows)
    )
    out = run_dir.parent / "my_model"
    run(
        [
            "python",
            "run_pipeline.py",
            "mode=export",
            f"export.run_dir={run_dir}",
            f"export.output_dir={out}",
            f"hydra.run.dir={run_dir.parent / 'export'}",
        ],
        cmd,
    )
    assert (out / "config.json").is_file(), f"mode=export wrote no config.json into {out}"


@pytest.fixture(scope="module")
def done() -> dict[tuple, str]:
    return {}  # executed argv -> output: a command shown in several docs runs once


TINY_RUN = "python run_pipeline.py model_component=tiny_random train.max_steps=2"
SCORE_ROWS = (
    '{"completion": "The answer is 81", "answer": "81"}\n{"completion": "80", "answer": "81"}\n'
    '{"completion": "no idea", "answer": "81"}\n'
)
GUESS_4 = {
    "role": "assistant",
    "content": "",
    "tool_calls": [{"function": {"name": "guess", "arguments": {"number": "4"}}}],
}
EPISODE_ROWS = "".join(  # three guess_number games (high=8), one guess each, for the replaying mode=score command
    json.dumps({"seed": seed, "trajectory": [GUESS_4, {"role": "assistant", "content": "It is 4."}]}) + "\n"
    for seed in (1, 2, 3)
)
# Pipeline and server commands run for real (the rest are validated). What each run shows beyond exit code 0:
EXECUTED = {
    TINY_RUN: "summary.json",
    "python run_pipeline.py experiment=gsm8k_smollm2 +experiment@_global_=smoke": "summary.json",
    "python run_pipeline.py mode=eval eval_run.run_dir=outputs/2025-01-01/12-00-00": "eval.json",
    "python run_pipeline.py mode=eval 'model.model_name_or_path=<my_model_folder>'": "eval.json",
    "python run_pipeline.py data_component=jsonl data.train_file=my_data.jsonl reward_component=gsm8k "
    "model_component=tiny_random train.max_steps=2": "summary.json",
    "python run_pipeline.py mode=eval 'eval_run.run_dir=outputs/<date>/<time>'": "eval.json",
    "python run_pipeline.py mode=check_rewards reward_component=gsm8k check_rewards.dataset=gsm8k": "",
    "python run_pipeline.py mode=check_rewards reward_component=gsm8k": "",
    "python run_pipeline.py mode=check_rewards reward_component=code check_rewards.dataset=humaneval "
    "check_rewards.max_samples=20": "",
    "python run_pipeline.py mode=score reward_component=gsm8k score.input=in.jsonl score.output=out.jsonl": "",
    "python run_pipeline.py mode=score environment_component=guess_number reward_component=environment "
    "score.input=episodes.jsonl score.output=out.jsonl": "",
    "python -m serve serve.run_dir=outputs/2025-01-01/12-00-00": "",
    "python -m serve 'serve.run_dir=outputs/<date>/<time>'": "",
    "RLVR_SERVE_OVERRIDES=model_component=tiny_random uvicorn --factory serve.app:app_from_env --port 8123": "",
}
MODULES = ("components.report.writer", "components.sweep.summary", "components.training.export_grpo_fields")


# ---------------------------------------------------------------- tests


def test_commands_are_found():
    texts = set(COMMANDS)
    assert TINY_RUN in texts and len(texts) > 50, "the extractor lost the README's commands"


def test_every_command_has_a_class():
    unknown = [f"{cmds[0].where}: {text}" for text, cmds in COMMANDS.items() if kind(cmds[0]) == "unknown"]
    assert not unknown, (
        "commands in the docs that no test runs or validates; give each a class in "
        "tests/docs/test_doc_commands.py (or an ALLOWED entry with its reason):\n" + "\n".join(unknown)
    )


def test_allow_list_has_no_stale_entry():
    stale = [p for p in ALLOWED if not any(re.search(p, text) for text in COMMANDS)]
    assert not stale, f"ALLOWED patterns that match no command in the docs any more: {stale}"


def test_repo_paths_in_commands_exist():
    missing = [
        f"{cmds[0].where}: {arg}"
        for text, cmds in COMMANDS.items()
        for arg in cmds[0].argv
        if REPO_PATH.match(arg) and "<" not in arg and not (REPO / arg.split("=")[-1]).exists()
    ]
    assert not missing, "commands in the docs name files that do not exist:\n" + "\n".join(missing)


@pytest.mark.parametrize("text", sorted(COMMANDS), ids=lambda t: f"{COMMANDS[t][0].where} {t[:60]}")
def test_doc_command(text, tiny_run, work, done, monkeypatch):
    cmd = COMMANDS[text][0]
    what = kind(cmd)
    if what in ("allowed", "unknown"):
        pytest.skip(f"{what}: {allowed(cmd) or 'see test_every_command_has_a_class'}")
    args = substitute(cmd.argv, tiny_run)
    key = (tuple(args), cmd.env)
    if what == "pipeline":
        flags, overrides, multirun = pipeline_flags(args[2:])
        if text in EXECUTED and not flags:
            execute_pipeline(cmd, args, work, done, EXECUTED[text])
        elif flags:  # --help, --cfg job, --info defaults: cheap, nothing runs
            assert run(args, cmd).strip()
        else:
            validate_pipeline(overrides, monkeypatch)
    elif what == "launch":
        at = args.index("run_pipeline.py")
        validate_pipeline(pipeline_flags(args[at + 1 :])[1], monkeypatch, world_size=world_size(args[:at]))
    elif what == "serve":
        if text in EXECUTED:
            if key not in done:
                serve_until_ready(args, cmd, work / f"serve_{len(done)}.log")
                done[key] = "ready"
        else:
            from serve.config import build_components, compose_config, settings_from

            overrides = shlex.split(dict(cmd.env).get("RLVR_SERVE_OVERRIDES", "")) if args[0] == "uvicorn" else args[3:]
            cfg = compose_config(substitute(tuple(overrides), tiny_run))
            build_components(cfg, settings_from(cfg.serve))
    elif what == "bench":
        check_bench(cmd, args, monkeypatch)
    elif what == "module":
        check_module(cmd, args, work)
    elif what == "make":
        run(["make", "-n", *args[1:]], cmd)
        given = dict(a.split("=", 1) for a in args[1:] if "=" in a)
        if "run" in args and given.get("ARGS"):  # make run ARGS='...' = python run_pipeline.py ...
            validate_pipeline(substitute(tuple(shlex.split(given["ARGS"])), tiny_run), monkeypatch)
    elif what == "shell":
        run(["bash", "-c", text], cmd)


def execute_pipeline(cmd, args, work, done, expect, run_dir: Path | None = None) -> None:
    key = (tuple(args), cmd.env)
    if key in done:
        return
    cwd, run_dir = REPO, run_dir or work / f"run_{len(done)}"
    if "mode=score" in args:  # score.input=in.jsonl names a file in the launch dir: launch in a scratch dir
        cwd = work / f"score_{len(done)}"
        cwd.mkdir()
        (cwd / "in.jsonl").write_text(SCORE_ROWS)
        (cwd / "episodes.jsonl").write_text(EPISODE_ROWS)
        args = [args[0], str(REPO / "run_pipeline.py"), *args[2:]]
    done[key] = run([*args, f"hydra.run.dir={run_dir}"], cmd, cwd=cwd)
    if expect:
        assert (run_dir / expect).is_file(), f"{cmd.text}: no {expect} in {run_dir}"
    if "mode=score" in args:
        scored = [json.loads(line) for line in (cwd / "out.jsonl").read_text().splitlines()]
        assert len(scored) == 3 and all("reward" in row for row in scored)
        if "environment_component=guess_number" in args:  # the episodes were replayed: one guess each
            assert [row["replay"]["tool_calls"] for row in scored] == [1, 1, 1]


def check_bench(cmd: Command, args: list[str], monkeypatch) -> None:
    """The documented arguments, then --help: argparse checks types and choices on the way, then prints."""
    shown = [a.strip("[]") for a in args[2:]]  # `[--model smollm2]` = optional arguments
    out = run([args[0], args[1], *shown, "--help"], cmd)
    unknown = [a.split("=")[0] for a in shown if a.startswith("--") and a.split("=")[0] not in out]
    assert not unknown, f"{cmd.text}: {args[1]} has no {unknown} (its --help:\n{out})"
    flag, pipeline = None, []
    for arg in shown:  # positional key=value arguments are pipeline overrides (overhead.py, power_check.py)
        flag = arg if arg.startswith("-") else flag
        if "=" in arg and not arg.startswith("-") and flag not in ("--overrides", "--variant"):
            pipeline.append(arg)
    if pipeline:
        validate_pipeline(pipeline, monkeypatch)
    for i, arg in enumerate(shown[:-1]):  # the Hydra overrides a benchmark passes on must compose and validate
        value = shown[i + 1]
        if arg == "--variant" and ":" in value and "=" in value:
            validate_pipeline(value.split(":", 1)[1].split(","), monkeypatch)
        if arg == "--overrides":
            tail = flag_values(shown[i:], "--overrides")
            if args[1] == "bench/run_benchmarks.py":  # the overrides go to every experiment the suite runs
                experiments = [[f"experiment={name}"] for name in flag_values(shown, "--experiments")] or [[]]
                for experiment in experiments:
                    validate_pipeline(experiment + tail, monkeypatch)
            else:  # the serving benchmarks pass them to the server's config
                from serve.config import compose_config, settings_from

                settings_from(compose_config(tail).serve)


def flag_values(shown: list[str], flag: str) -> list[str]:
    """The values after `flag` up to the next flag (argparse's nargs="*")."""
    if flag not in shown:
        return []
    return list(itertools.takewhile(lambda a: not a.startswith("--"), shown[shown.index(flag) + 1 :]))


def check_module(cmd: Command, args: list[str], work: Path) -> None:
    module = args[2]
    if module == "components.training.export_grpo_fields":
        out = subprocess.run([sys.executable, "-m", module], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout == (REPO / cmd.redirect).read_text(encoding="utf-8"), (
            f"{cmd.redirect} is stale: rerun {cmd.text}"
        )
    elif module == "components.report.writer":
        run(args, cmd)
        assert (Path(args[3]) / "report.html").is_file()
    elif module == "components.sweep.summary":  # the sweep dir shown -> a one-job sweep whose job is the tiny run
        sweep = work / "sweep"
        if not sweep.exists():
            shutil.copytree(work / "tiny_run" / ".hydra", sweep / "0" / ".hydra")
            shutil.copy(work / "tiny_run" / "summary.json", sweep / "0")
        run([*args[:3], str(sweep)], cmd)
        assert (sweep / "sweep_summary.md").is_file()
