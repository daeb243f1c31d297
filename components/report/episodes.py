"""The report's environment section: per environment, success, turns, tool calls and invalid actions before ->
after and, for a game with a known optimal strategy, the mean calls of a won episode beside that strategy's mean:
a policy that wins by scanning is told apart from one that bisects."""

from __future__ import annotations

from typing import Any

COLUMNS = ("success", "turns", "tool_calls", "invalid_actions", "solved_tool_calls")


def environment_names(metrics: dict[str, Any]) -> list[str]:
    return sorted({key.split("/")[1] for key in metrics if key.startswith("env/") and key.endswith("/success")})


def cell(values: list[Any], percent: bool = False) -> str:
    def one(value: Any) -> str:
        if not isinstance(value, (int, float)):
            return "—"
        return f"{value:.1%}" if percent else f"{value:.3g}"

    return " → ".join(one(v) for v in values)


def environment_blocks(columns: dict[str, dict]) -> list[tuple]:
    """columns: {"before": metrics, "after": metrics} or {"eval": metrics} (each an eval's metric dict)."""
    names = sorted({name for metrics in columns.values() for name in environment_names(metrics)})
    if not names:
        return []
    rows = []
    for name in names:
        values = {
            key: [m.get(f"env/{name}/{key}") for m in columns.values()] for key in (*COLUMNS, "optimal_tool_calls")
        }
        optimum = next((v for v in values["optimal_tool_calls"] if v is not None), None)
        cells = [cell(values[key], percent=key == "success") for key in COLUMNS]
        rows.append([name, *cells, "—" if optimum is None else f"{optimum:.4g}"])
    header = ["environment", *(f"{key} ({' → '.join(columns)})" for key in COLUMNS), "optimal strategy's calls"]
    note = (
        "Per episode, greedy, on held-out episodes. `solved_tool_calls`: mean tool calls in the episodes won; for a "
        "game with a known optimal strategy (guess_number: binary search) the last column is that strategy's mean."
    )
    return [("h", 2, "Environments"), ("p", note), ("table", header, rows)]
