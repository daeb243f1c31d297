"""mode=score replays environment episodes: a real mode=eval run (tiny_random's tokenizer and chat template, the
episode loop, TRL's parser) records its episodes in completions_eval.jsonl, `run_pipeline.py mode=score` replays
them in fresh instances, and every row's outcome (success, reward, tool calls, invalid actions) is the live one.

The tiny random model never writes a tool call, so a scripted policy stands in for `generate` inside the loop
(components/tools/rollout.py): it reads the chat as rendered and answers with tool calls and final texts that make
episodes win, lose, make invalid moves, call a function the environment does not have, and end on a call the loop
never runs (the turn budget is spent), so every branch of the replay meets a recorded episode.
"""

from __future__ import annotations

import json
import re

import pytest
from omegaconf import open_dict

from components.environments.guess_number import secret_for
from components.model.generation import Generations
from components.modes import evaluate
from tests.conftest import compose, run_pipeline

GAME = ["environment_component=guess_number", "environment.environments.guess_number.num_eval=12"]
CALC = ["environment_component=gpt3_calculator", "environment.environments.gpt3_calculator.eval_rows=12"]
GOOD = [{"role": "assistant", "content": "done"}]  # a trajectory that names no call
EVAL = ["model_component=tiny_random", "reward_component=environment", "eval.max_new_tokens=200"]


def call(name: str, **arguments: str) -> str:
    return f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call>"


def play(rendered: str) -> str:
    """The scripted policy's next turn, from the episode as rendered so far (tiny_random's role tags)."""
    turn = rendered.count("<|assistant|>") - 1  # the prompt's generation marker is the last one
    results = re.findall(r"<\|tool\|>(.*?)<\|eos\|>", rendered, flags=re.S)
    if "<|user|>What is" in rendered:  # gpt3_calculator: 2-digit products
        a, b = map(int, re.search(r"What is (\d+) times (\d+)\?", rendered).groups())
        if turn == 0:  # a right call, a wrong one, an expression the calculator refuses (an invalid action)
            return call("calculator", expression=[f"{a} * {b}", f"{a} + {b}", f"{a} *"][a % 3])
        copied = results[-1] if results and results[-1].isdigit() else str(a * b)  # not copied: no success
        return f"The answer is {copied}."
    if results and results[-1].startswith("correct"):
        return "I found it."
    if turn == 0:
        return call("guess", number="nine")  # invalid: not a whole number
    if turn == 1:
        return call("peek", at="secret")  # no such function: an error result, as in the live loop
    low, high = map(int, re.findall(r"from (\d+) to (\d+)", "".join(results))[-1])
    return call("guess", number=str((low + high) // 2))  # on the last turn the loop never runs this call


class Scripted:
    def __call__(self, model, tokenizer, rendered, batch_size, max_new_tokens, **_):
        texts = [play(r) for r in rendered]
        return Generations(texts, [8] * len(texts), [False] * len(texts), 0.01)


def live_eval(tmp_path, monkeypatch, overrides: list[str]) -> list[dict]:
    """A mode=eval run (in process, the scripted policy in the loop): its completions_eval.jsonl rows."""
    import components.tools.rollout as rollout

    run_dir = tmp_path / "eval_run"
    run_dir.mkdir()
    monkeypatch.setattr(rollout, "generate", Scripted())
    monkeypatch.setattr(evaluate, "prepare_run_dir", lambda: run_dir)  # Hydra's run dir outside @hydra.main
    cfg = compose(["mode=eval", *EVAL, *overrides])
    with open_dict(cfg):
        cfg.observer.observers = []  # no console or metrics file: only the completions history is read here
    evaluate.run(cfg)
    return [json.loads(line) for line in (run_dir / "completions_eval.jsonl").read_text().splitlines()]


def score(tmp_path, rows: list[dict], *overrides: str):
    src, out = tmp_path / "episodes.jsonl", tmp_path / "scored.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = run_pipeline(
        "mode=score", "reward_component=environment", f"score.input={src}", f"score.output={out}", *overrides
    )
    scored = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else None
    return proc, scored


@pytest.mark.parametrize("overrides", [GAME, CALC], ids=["guess_number", "gpt3_calculator"])
def test_replaying_an_eval_runs_episodes_gives_the_live_outcomes(tmp_path, monkeypatch, overrides):
    live = live_eval(tmp_path, monkeypatch, overrides)
    outcomes = [row["outcome"] for row in live]
    assert len({json.dumps(o, sort_keys=True) for o in outcomes}) >= 3, outcomes  # wins, losses, invalid moves
    assert any(o["success"] for o in outcomes) and not all(o["success"] for o in outcomes)
    assert any(o["invalid_actions"] for o in outcomes)
    # The eval's own `reward` is a field mode=score writes: it refuses rows that have one, so it goes.
    proc, scored = score(tmp_path, [{k: v for k, v in r.items() if k != "reward"} for r in live], overrides[0])
    assert proc.returncode == 0, proc.stderr[-3000:]
    for n, (row, out) in enumerate(zip(live, scored, strict=True), 1):
        replayed = {k: out["replay"][k] for k in ("success", "reward", "tool_calls", "invalid_actions")}
        assert replayed == row["outcome"], f"row {n}"
        assert out["reward"] == pytest.approx(row["reward"]), f"row {n}"  # the eval's RewardSet total
        assert out["rewards"]["environment"] == row["outcome"]["reward"]
        assert out["replay"]["tool_result_mismatch"] is False
    name = live[0]["environment"]
    success = sum(o["success"] for o in outcomes) / len(outcomes)
    assert f"env/{name}/success: {success:.4f}" in proc.stdout
    assert "replay/tool_result_mismatches: 0" in proc.stdout


def test_the_last_messages_calls_are_not_run_unknown_functions_are_errors_and_forged_results_show(tmp_path):
    guess = {"type": "function", "function": {"name": "guess", "arguments": {"number": "1"}}}
    peek = {"type": "function", "function": {"name": "peek", "arguments": {}}}
    trajectory = [
        {"role": "assistant", "content": "", "tool_calls": [peek]},
        {"role": "tool", "name": "peek", "content": str({"error": "Tool peek not found."})},
        {"role": "assistant", "content": "", "tool_calls": [guess]},  # the last turn: the loop stops before it
    ]
    # A second episode whose recorded tool result is not what the game answers: a replay that differs is shown.
    forged = [trajectory[2], {"role": "tool", "name": "guess", "content": "correct: the number is 1"}, GOOD[0]]
    rows = [{"seed": 3, "trajectory": trajectory}, {"seed": 3, "trajectory": forged}]
    proc, scored = score(tmp_path, rows, *GAME)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert scored[0]["replay"] == {
        "success": False,
        "reward": 0.0,
        "tool_calls": 0,
        "invalid_actions": 0,
        "tool_result_mismatch": False,
    }
    assert scored[1]["replay"]["tool_calls"] == 1 and scored[1]["replay"]["tool_result_mismatch"] is True
    assert scored[1]["replay"]["success"] is (secret_for(3, 8) == 1)  # the game's own answer, not the forged one
    assert "replay/tool_result_mismatches: 1" in proc.stdout


@pytest.mark.parametrize(
    "row,message",
    [
        ({"environment": "chess", "seed": 1, "trajectory": GOOD}, "row 2: field 'environment': 'chess' is not one"),
        ({"trajectory": GOOD}, "row 2: missing field 'seed' (required by guess_number's reset"),
        ({"seed": "x", "trajectory": GOOD}, "row 2: guess_number's reset refused the row's fields (ValueError"),
        ({"seed": 1}, "row 2: missing field 'trajectory'"),
        ({"seed": 1, "trajectory": "hello"}, "row 2: field 'trajectory': a list of chat messages, got str"),
        ({"seed": 1, "trajectory": [{"content": "x"}]}, "row 2: field 'trajectory': message 0 is not a chat message"),
        ({"seed": 1, "trajectory": [{"role": "tool", "content": "x"}]}, "row 2: field 'trajectory': no assistant"),
        (
            {"seed": 1, "trajectory": [{"role": "assistant", "tool_calls": [{"function": {}}]}]},
            "row 2: field 'trajectory': message 0: a tool call without a function 'name'",
        ),
    ],
)
def test_bad_episode_rows_are_one_line_errors_naming_file_row_and_field(tmp_path, row, message):
    proc, scored = score(tmp_path, [{"seed": 1, "trajectory": GOOD}, row], *GAME)
    assert proc.returncode == 2 and scored is None, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "episodes.jsonl: " in errors[0] and message in errors[0], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


def test_without_an_environment_component_the_environment_reward_is_not_applicable(tmp_path):
    rows = [{"completion": "I found it.", "seed": 1, "trajectory": GOOD}]
    proc, scored = score(tmp_path, rows)  # environment_component=none: rows are scored as they are
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert scored[0]["rewards"] == {"environment": None} and "replay" not in scored[0]
    assert "reward/environment/not_applicable: 1" in proc.stdout
