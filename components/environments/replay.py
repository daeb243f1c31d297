"""Replay a recorded episode in a fresh environment instance, so its verdict can be given again offline (mode=score).

A row names its episode as the server's `episode` object and the evaluation rows do: `environment` (optional when
the set has one environment), the fields its `reset` names (`seed` for guess_number, `answer` for gpt3_calculator)
and `trajectory`, the messages after the prompt (assistant turns, with `tool_calls` where the model called a tool,
and `tool` turns). A fresh instance is reset from those fields and every assistant turn is played again through the
episode loop's own step (components/tools/rollout.py `take_turn`): its calls run on the instance exactly as they ran
live, an unknown function or bad arguments included (an `{'error': ...}` result, as in the loop). As in the loop,
the calls of the trajectory's last message are not run: the live loop ends there (the turn budget is spent).
The instance then holds the state the live episode left behind, as long as the environment is deterministic given
its reset fields and the calls; the recorded `tool` turns are compared with the replayed ones to show when not.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from components.environments.base import Environment
from components.environments.environment_set import ENV_COLUMN, environment_tools
from components.environments.metrics import final_text
from components.tools.rollout import take_turn

_FIELDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def reset_fields(environment: Any) -> tuple[list[str], list[str]]:
    """(required, accepted) keywords of an instance's `reset`; `prompt` is the conversation's, never an episode's."""
    params = [
        p for p in inspect.signature(environment.reset).parameters.values() if p.kind in _FIELDS and p.name != "prompt"
    ]
    return [p.name for p in params if p.default is inspect.Parameter.empty], [p.name for p in params]


def episode_record(row: dict[str, Any], environment: Any, trajectory: list[dict]) -> dict[str, Any]:
    """What evaluation records beside each episode's `environment` and `trajectory` so it can be replayed: the
    row's reset fields (`episode`) and the live `outcome`, for a replay to be checked against."""
    accepted = reset_fields(environment)[1]
    episode = {key: row[key] for key in accepted if key in row}
    return {"episode": episode, "outcome": environment(final_text(trajectory)).as_dict()}


@dataclass(frozen=True)
class Replayed:
    environment: Environment  # reset, with every replayed call applied: what the `environment` reward reads
    trajectory: list[dict]  # the messages as replayed (tool turns answered again by this instance)
    mismatch: bool  # a recorded tool turn differs from the replayed one: the environment is not deterministic


class BadRow(ValueError):
    """One row's problem, already naming its field; the caller adds the file and row number."""


def environment_name(row: dict[str, Any], names: list[str]) -> str:
    name = row.get(ENV_COLUMN)
    if name is None and len(names) == 1:
        return names[0]
    if name is None:
        raise BadRow(f"missing field {ENV_COLUMN!r} (this run has several environments: {', '.join(names)})")
    if name not in names:
        raise BadRow(f"field {ENV_COLUMN!r}: {name!r} is not one of this run's environments ({', '.join(names)})")
    return str(name)


def check_trajectory(trajectory: Any) -> list[dict]:
    """The trajectory's messages, or a BadRow naming the first message that is not one."""
    if not isinstance(trajectory, list):
        raise BadRow(f"field 'trajectory': a list of chat messages, got {type(trajectory).__name__}")
    for k, message in enumerate(trajectory):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise BadRow(f"field 'trajectory': message {k} is not a chat message (a dict with a string 'role')")
        calls = message.get("tool_calls") or []
        if not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls):
            raise BadRow(f"field 'trajectory': message {k}: 'tool_calls' must be a list of objects")
        for call in calls:
            if not isinstance(call.get("function", call).get("name"), str):
                raise BadRow(f"field 'trajectory': message {k}: a tool call without a function 'name'")
    if not any(m["role"] == "assistant" for m in trajectory):
        raise BadRow("field 'trajectory': no assistant message (an episode has at least one model turn)")
    return trajectory


def start(environments: Any, row: dict[str, Any]) -> tuple[str, Environment]:
    """A fresh instance of the row's environment, reset from the row's fields that its `reset` names."""
    name = environment_name(row, list(environments.specs))
    environment = environments.make(name)
    required, accepted = reset_fields(environment)
    missing = [key for key in required if key not in row]
    if missing:
        raise BadRow(f"missing field {missing[0]!r} (required by {name}'s reset, which takes {', '.join(accepted)})")
    try:
        environment.reset(**{key: row[key] for key in accepted if key in row})
    except (TypeError, ValueError, KeyError) as err:  # the row's values, not a fault of the replay
        raise BadRow(f"{name}'s reset refused the row's fields ({type(err).__name__}: {err})") from None
    return name, environment


def replay(environments: Any, row: dict[str, Any]) -> tuple[str, Replayed]:
    """(environment name, the replayed episode) of one row; BadRow when the row cannot name an episode."""
    if "trajectory" not in row:
        raise BadRow("missing field 'trajectory' (the episode's messages; this run has an environment_component)")
    recorded = check_trajectory(row["trajectory"])
    name, environment = start(environments, row)
    functions = environment_tools(environment)
    history: list[dict] = []
    trajectory: list[dict] = []
    for k, message in enumerate(recorded):
        if message["role"] == "assistant":  # the loop's own step; its tool turns are answered again, not copied
            take_turn(history, trajectory, dict(message), functions, last_turn=k == len(recorded) - 1)
    recorded_results = [m.get("content") for m in recorded if m["role"] == "tool"]
    replayed_results = [m.get("content") for m in trajectory if m["role"] == "tool"]
    mismatch = bool(recorded_results) and recorded_results != replayed_results  # none recorded: nothing to compare
    return name, Replayed(environment, trajectory, mismatch)
