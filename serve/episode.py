"""/generate for a run trained with an environment: the request's `episode` played in a fresh instance per rollout.

The request names the episode as the training rows do: `environment` (optional when the run has one) and the
keywords of that environment's `reset` (`{"environment": "guess_number", "seed": 123}`). The environment set
(components/environments/environment_set.py) builds and resets one instance per rollout, exactly as evaluation
does (`EnvironmentSet.start`); the instance's bound methods are that rollout's tools in the shared episode loop
(serve/tool_loop.py); its `Outcome` and the run's RewardSet (the `environment` reward reads the instance, as in
training) score it.
"""

from __future__ import annotations

from typing import Any

from components.environments.environment_set import ENV_COLUMN, environment_tools
from components.environments.metrics import final_text
from components.environments.replay import reset_fields  # one reading of reset's fields, mode=score's too
from components.tools.trajectory import trajectory_stats
from serve.core import ServeError
from serve.schemas import EpisodeOutcome, GenerateResponse, generate_response
from serve.tool_loop import episodes


def _refuse(field: str, message: str) -> ServeError:
    return ServeError(422, f"{field}: {message}", "invalid_episode", field)


def episode_row(environments: Any, episode: dict[str, Any] | None, prompt: list[dict]) -> dict[str, Any]:
    """The training-style row of the requested episode, or a one-line 422 naming the field."""
    names = list(environments.specs)
    if episode is None:
        raise _refuse("episode", f"required: this run was trained with environments ({', '.join(names)})")
    fields = dict(episode)
    name = fields.pop(ENV_COLUMN, None)
    if name is None and len(names) > 1:
        raise _refuse("episode.environment", f"required: this run has several environments ({', '.join(names)})")
    name = names[0] if name is None else name
    if name not in environments.specs:
        raise _refuse("episode.environment", f"{name!r} is not one of this run's environments ({', '.join(names)})")
    required, accepted = reset_fields(environments.make(name))
    missing = [key for key in required if key not in fields]
    if missing:
        raise _refuse(f"episode.{missing[0]}", f"required by {name}'s reset (it takes {', '.join(accepted)})")
    unknown = [key for key in fields if key not in accepted]
    if unknown:
        raise _refuse(f"episode.{unknown[0]}", f"{name}'s reset takes no such field (it takes {', '.join(accepted)})")
    return {**fields, ENV_COLUMN: name, "prompt": prompt}


def start(environments: Any, row: dict[str, Any], n: int) -> tuple[list[Any], list[list[dict]]]:
    """n fresh instances reset from the row (EnvironmentSet.start); a value reset refuses answers 422."""
    try:
        return environments.start([dict(row) for _ in range(n)])
    except (TypeError, ValueError, KeyError) as err:  # the request's values, not a server fault
        raise _refuse("episode", f"{row[ENV_COLUMN]}'s reset refused it ({type(err).__name__}: {err})") from None


def outcome(name: str, environment: Any, trajectory: list[dict]) -> EpisodeOutcome:
    ended = environment(final_text(trajectory))
    turns = trajectory_stats(trajectory).turns
    return EpisodeOutcome(environment=name, turns=turns, **ended.as_dict())


async def generate_episode(
    service: Any, environments: Any, body: Any, messages: list[dict], max_new: int
) -> GenerateResponse:
    row = episode_row(environments, body.episode, messages)
    instances, prompts = start(environments, row, body.num_rollouts)
    functions = [environment_tools(e) for e in instances]  # each rollout's own instance: no state is shared
    trajectories, completions = await episodes(service, environments, prompts, functions, body.temperature, max_new)
    outcomes = [outcome(row[ENV_COLUMN], e, t) for e, t in zip(instances, trajectories)]
    # The run's reward set judges each episode by its instance (the `environment` column TRL passes in training).
    chosen = await service.score(prompts[0], body.prompt, trajectories, body.ground_truth, {"environments": instances})
    service.record("/generate", completions, chosen)
    return generate_response(completions, chosen, body.temperature, service.engine.source, trajectories, outcomes)
