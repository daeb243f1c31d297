"""Each value's range is declared once, on its parameter (`Annotated[int, Ge(1)]`, components/bounds.py).

The config schema reads those bounds when the config is composed, `@checked` / `check_fields` enforce them on a
direct Python call: so no constructor, dataclass or validation rule may also compare a bounded parameter to a
constant and raise (the duplicate this file guards against), and the bounds really stop the entry point.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Annotated

import pytest

from components.bounds import Ge, Interval, checked
from components.training.export_grpo_fields import TRL_BOUNDS
from tests.conftest import REPO, run_pipeline


def _bounded(annotation: ast.expr | None) -> bool:
    return annotation is not None and "Annotated[" in ast.unparse(annotation)


def _names(node: ast.expr) -> set[str]:
    """`x` and `self.x` read by an expression."""
    found = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    found |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    return found


def _compares_to_a_number(test: ast.expr, names: set[str]) -> bool:
    for node in ast.walk(test):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        numbers = [s for s in sides if isinstance(s, ast.Constant) and type(s.value) in (int, float)]
        if numbers and any(_names(s) & names for s in sides if s not in numbers):
            return True
    return False


def _raises_value_error(body: list[ast.stmt]) -> bool:
    return any(
        isinstance(n, ast.Raise) and n.exc is not None and "ValueError" in ast.unparse(n.exc)
        for stmt in body
        for n in ast.walk(stmt)
    )


def repeated_bounds(source: str) -> list[str]:
    """`if <bounded parameter> <op> <number>: raise ValueError(...)` in the function or class that declares it."""
    found = []
    for scope in ast.walk(ast.parse(source)):
        if isinstance(scope, ast.ClassDef):  # dataclass fields, compared in its methods as self.<field>
            names = {s.target.id for s in scope.body if isinstance(s, ast.AnnAssign) and _bounded(s.annotation)}
        elif isinstance(scope, ast.FunctionDef):
            args = scope.args.posonlyargs + scope.args.args + scope.args.kwonlyargs
            names = {a.arg for a in args if _bounded(a.annotation)}
        else:
            continue
        for node in ast.walk(scope):
            if isinstance(node, ast.If) and _compares_to_a_number(node.test, names) and _raises_value_error(node.body):
                found.append(f"line {node.lineno}: {ast.unparse(node.test)}")
    return found


def test_the_detector_finds_a_repeated_bound() -> None:
    # A detector that finds nothing would pass the tree below however many duplicates came back.
    repeated = """
class A:
    def __init__(self, batch_size: Annotated[int, Ge(1)] = 8, other: int = 0) -> None:
        if batch_size <= 0 or other < 0:
            raise ValueError(f"eval.batch_size={batch_size} must be > 0")

@dataclass
class B:
    r: Annotated[int, Ge(1)] = 16
    def __post_init__(self) -> None:
        if not self.r > 0:
            raise ValueError("model.lora.r must be > 0")
"""
    assert len(repeated_bounds(repeated)) == 2
    cross_key = "def f(n: Annotated[int, Ge(0)], t: float):\n    if n and t <= 0:\n        raise ValueError('t')\n"
    assert repeated_bounds(cross_key) == []  # `t` carries no bound of its own: a rule across keys stays


def test_no_bounded_parameter_is_checked_again_by_hand() -> None:
    files = sorted((REPO / "components").rglob("*.py")) + sorted((REPO / "serve").rglob("*.py"))
    repeated = [f"{p.relative_to(REPO)} {hit}" for p in files for hit in repeated_bounds(p.read_text("utf-8"))]
    assert not repeated, "\n".join(repeated)


def _a_name_beside_a_number(test: ast.expr, names: set[str]) -> bool:
    """Like `_compares_to_a_number`, per link of a chain: in `0 < buffer <= max_len` only `buffer` meets a number."""
    for node in ast.walk(test):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for left, right in zip(sides, sides[1:]):
                for side, other in ((left, right), (right, left)):
                    if isinstance(other, ast.Constant) and type(other.value) in (int, float) and _names(side) & names:
                        return True
    return False


def repeated_reward_bounds(source: str) -> list[str]:
    """A reward module's bounded params (`*, abs_tol: Annotated[float, Ge(0)]`) compared by hand anywhere in it.

    Module-wide, not per function: a reward used to hand its params to a helper (`_check_settings(timeout_s,
    memory_mb, ...)`) whose own parameters carry no bound, which the per-function scan above cannot see.
    """
    tree = ast.parse(source)
    names = {
        a.arg
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef)
        for a in f.args.kwonlyargs
        if _bounded(a.annotation)
    }
    return [
        f"line {n.lineno}: {ast.unparse(n.test)}"
        for n in ast.walk(tree)
        if isinstance(n, ast.If) and _a_name_beside_a_number(n.test, names) and _raises_value_error(n.body)
    ]


def test_the_reward_detector_finds_a_check_in_a_helper() -> None:
    repeated = """
@register_reward("code")
@verdict_reward
def code(completions, *, workers: Annotated[int, Ge(1)] = 2, isolation: str = "auto", **_):
    _check_settings(workers, isolation)

def _check_settings(workers, isolation):
    if workers < 1:
        raise ValueError(f"code: need workers >= 1 (got {workers})")
    if isolation not in ("auto", "off"):
        raise ValueError(isolation)
"""
    assert repeated_reward_bounds(repeated) == ["line 8: workers < 1"]
    across = "def f(c, *, n: Annotated[int, Ge(1)] = 2, m: int = 4, **_):\n    if not 0 < m <= n:\n        raise ValueError('m')\n"
    assert repeated_reward_bounds(across) == []  # `0 < m` is m's own rule; `m <= n` spans two params and stays


def test_no_bounded_reward_param_is_checked_again_by_hand() -> None:
    files = sorted((REPO / "components" / "reward").glob("*.py"))
    repeated = [f"{p.relative_to(REPO)} {hit}" for p in files for hit in repeated_reward_bounds(p.read_text("utf-8"))]
    assert not repeated, "\n".join(repeated)


def test_reward_params_declare_their_ranges() -> None:
    # The ranges that used to be hand checks inside each function, now read from the signatures by RewardSet.
    from components.reward.base import param_hints
    from components.reward.discovery import registry

    bounded = {
        name: sorted(n for n, hint in param_hints(entry.fn).items() if "Annotated" in str(hint))
        for name, entry in registry().items()
    }
    assert bounded["finqa"] == ["rel_tol"] and bounded["math"] == ["timeout_seconds"]
    assert bounded["regression"] == ["abs_tol", "rel_tol"] and bounded["cosine"] == ["max_len"]
    assert bounded["tool_use"] == ["call_reward", "error_penalty", "malformed_penalty"]
    assert bounded["repetition"] == ["max_penalty", "ngram_size"]
    assert bounded["code"] == ["max_output_bytes", "memory_mb", "scratch_mb", "timeout_s", "workers"]


def test_a_direct_reward_call_enforces_the_declared_bounds() -> None:
    from components.reward.code import code
    from components.reward.regression import regression
    from components.reward.repetition import repetition_penalty

    assert regression(["#### 100"], answer="100", abs_tol=0) == [1.0]
    with pytest.raises(ValueError, match=r"^regression: params\.abs_tol=-1: must be >= 0$"):
        regression(["#### 100"], answer="100", abs_tol=-1)
    with pytest.raises(ValueError, match=r"^repetition: params\.max_penalty=0\.5: must be <= 0$"):
        repetition_penalty.judge(["a a a"], max_penalty=0.5)  # the verdicts evaluation reads: the same bound
    with pytest.raises(ValueError, match=r"^code: params\.workers=0: must be >= 1$"):
        code([], workers=0)


def test_trl_fields_are_not_checked_again_by_hand() -> None:
    # The `train.<field>` keys TRL receives are bounded in export_grpo_fields.TRL_BOUNDS, not on a signature;
    # the training loops and the validation layer are where those keys are read (eval.temperature is another key).
    names = set(TRL_BOUNDS)
    repeated = []
    for path in sorted((REPO / "components" / "training").rglob("*.py")) + [REPO / "components" / "validation.py"]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.If) and _compares_to_a_number(node.test, names) and _raises_value_error(node.body):
                repeated.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node.test)}")
    assert not repeated, "\n".join(repeated)


def test_validation_holds_no_range_rule() -> None:
    source = (REPO / "components" / "validation.py").read_text("utf-8")
    ranges = [
        ast.unparse(n.test)
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.If) and _compares_to_a_number(n.test, _names(n.test)) and _raises_value_error(n.body)
    ]
    assert not ranges and "RULES" not in source, ranges


def test_a_direct_call_enforces_the_declared_bounds() -> None:
    @checked("eval")
    def build(batch_size: Annotated[int, Ge(1)], share: Annotated[float, Interval(gt=0, le=1)] | None = None) -> int:
        return batch_size

    assert build(2, share=None) == 2 and build(1, 1.0) == 1
    with pytest.raises(ValueError, match=r"^eval\.batch_size=0: must be >= 1$"):
        build(0)
    with pytest.raises(ValueError, match=r"^eval\.share=0: must be in \(0, 1\]$"):
        build(1, share=0)


ENTRY_POINT_CASES = [  # one bound of each kind, through the real entry point
    (["train.num_generations=1", "train.per_device_train_batch_size=8"], "train.num_generations=1: must be >= 2"),
    (["train.max_steps=0"], "train.max_steps=0: must be > 0 (or -1"),  # a Predicate: its docstring is the message
    (["train.guards.patience=0"], "train.guards.patience=0: must be >= 1"),  # a dataclass field
    (["data.max_train_samples=0"], "data.max_train_samples=0: must be >= 1"),  # `Annotated[int, Ge(1)] | None`
    (["eval.budget_check_tolerance=2"], "eval.budget_check_tolerance=2: must be in [0, 1]"),
    (["seed=-1"], "seed=-1: must be >= 0"),  # a run-level key (RunSettings)
    (  # a reward function's keyword-only param, read from its signature by RewardSet
        ["reward.reward_functions=[{name: regression, weight: 1.0, params: {abs_tol: -1}}]"],
        "reward.reward_functions[0] (regression): params.abs_tol=-1: must be >= 0",
    ),
    (  # one param of several bounded ones, set in a shipped reward config
        ["reward_component=code", "reward.reward_functions[0].params.memory_mb=32"],
        "reward.reward_functions[0] (code): params.memory_mb=32: must be >= 64",
    ),
]


@pytest.mark.parametrize("overrides,line", ENTRY_POINT_CASES, ids=[c[0][0] for c in ENTRY_POINT_CASES])
def test_entry_point_refuses_an_out_of_range_value(overrides: list[str], line: str, tmp_path: Path) -> None:
    out = run_pipeline(*overrides, f"hydra.run.dir={tmp_path}/run", timeout=120)
    assert out.returncode == 2, out.stderr[-2000:]
    errors = [row for row in out.stderr.splitlines() if row.startswith("error:")]
    assert len(errors) == 1 and line in errors[0], out.stderr[-2000:]
    assert "Traceback" not in out.stderr
