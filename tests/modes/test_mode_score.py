"""mode=score run(): rows written back unchanged plus rewards, summary, bad input, no overwrite."""

import json

import pytest
from omegaconf import OmegaConf

from components.modes import score

GSM8K = "conf/reward_component/answer_format.yaml"


def _cfg(tmp_path, rows, reward=GSM8K, output="out.jsonl"):
    from tests.conftest import REPO

    src = tmp_path / "in.jsonl"
    if rows is not None:
        src.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return OmegaConf.create(
        {
            "reward": OmegaConf.load(REPO / reward),
            "score": {"input": str(src), "output": str(tmp_path / output)},
        }
    )


def test_scores_rows_and_keeps_them_unchanged(tmp_path, capsys):
    rows = [
        {"id": 1, "completion": "The answer is 81", "answer": "81", "extra": {"x": [1]}},
        {"id": 2, "completion": "80", "answer": "81"},
        {"id": 3, "completion": "no idea", "answer": "81"},
    ]
    summary = score.run(_cfg(tmp_path, rows))
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [{k: v for k, v in r.items() if k not in ("rewards", "reward")} for r in out] == rows
    assert [r["rewards"]["gsm8k"] for r in out] == [1.0, 0.0, 0.0]
    assert [r["rewards"]["format"] for r in out] == [1.0, 0.0, 0.0]  # "ends on its answer"; weight 0 by default
    assert [r["reward"] for r in out] == pytest.approx([1.0, 0.0, 0.0])
    assert summary["score/rows"] == 3 and summary["score/unparseable"] == 1
    assert summary["score/full_marks_fraction"] == pytest.approx(1 / 3)
    assert "1 unparseable" in capsys.readouterr().out


def test_humaneval_rows_with_string_prompt(tmp_path):
    stub, test = "def inc(x):\n", "def check(c):\n    assert c(1) == 2\n"
    rows = [
        {"prompt": stub, "test": test, "entry_point": "inc", "completion": body}
        for body in ("    return x + 1\n", "    return x\n")
    ]
    summary = score.run(_cfg(tmp_path, rows, reward="conf/reward_component/code.yaml"))
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["reward"] for r in out] == [1.0, 0.0] and summary["score/reward_mean"] == 0.5


@pytest.mark.parametrize(
    "rows,message",
    [
        (None, "input file not found"),
        ([{"answer": "1"}], r"in.jsonl: row 1: missing field 'completion'"),
        (
            [{"completion": "1", "answer": "1"}, {"completion": 5}],
            r"row 2: non-string field 'completion'",
        ),
        (['{"completion": "1"}', "{not json"], r"row 2: invalid JSON"),
        ([{"completion": "1", "reward": 3}], r"row 1: field 'reward' already present"),
    ],
)
def test_bad_input_names_file_row_and_field(tmp_path, rows, message):
    with pytest.raises(ValueError, match=message):
        score.run(_cfg(tmp_path, rows))
    assert not (tmp_path / "out.jsonl").exists()


def test_never_overwrites_output(tmp_path):
    (tmp_path / "out.jsonl").write_text("precious\n")
    with pytest.raises(ValueError, match="already exists.*out.jsonl"):
        score.run(_cfg(tmp_path, [{"completion": "1", "answer": "1"}]))
    assert (tmp_path / "out.jsonl").read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "in.jsonl",
        "out.jsonl",
    ]  # no temp files left


def test_missing_paths_are_a_clear_error(tmp_path):
    cfg = _cfg(tmp_path, [{"completion": "1"}])
    cfg.score.output = None
    with pytest.raises(ValueError, match="score.output"):
        score.run(cfg)
