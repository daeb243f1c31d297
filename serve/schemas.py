"""Request and response bodies. The request's bounds come from `serve.limits`, so /docs shows the real limits."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from serve.config import Limits


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One line naming the field: `num_rollouts: Input should be less than or equal to 16`."""
    parts = []
    for e in errors[:3]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {str(e.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "; ".join(parts) or "invalid request"


class _RequestBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("prompt", "ground_truth", check_fields=False)
    @classmethod
    def _utf8(cls, value: str | None) -> str | None:
        # JSON may carry lone surrogates ("\ud800"); tokenizers cannot encode them.
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("must be valid UTF-8 text (no lone surrogate code points)") from None
        return value


def request_model(limits: Limits) -> type[BaseModel]:
    """POST /generate's body with this server's bounds; anything outside them answers 422."""
    return create_model(
        "GenerateRequest",
        __base__=_RequestBase,
        prompt=(
            str,
            Field(
                min_length=1,
                max_length=limits.max_prompt_chars,
                description="The question; the prompts group's template and the chat template are applied",
            ),
        ),
        num_rollouts=(int, Field(1, ge=1, le=limits.max_rollouts, description="Completions sampled for this prompt")),
        temperature=(
            float,
            Field(0.7, ge=0.0, le=limits.max_temperature, allow_inf_nan=False, description="0 = greedy"),
        ),
        ground_truth=(
            str | None,
            Field(
                None,
                max_length=limits.max_ground_truth_chars,
                description="Gold answer: rollouts are scored with the training reward and the best by reward is returned; without it the best is chosen by majority vote",
            ),
        ),
        max_new_tokens=(
            int | None,
            Field(
                None,
                ge=1,
                le=limits.max_new_tokens,
                description=f"Default {limits.default_max_new_tokens}; with tools or an episode, the model's own "
                "tokens over every turn",
            ),
        ),
        episode=(
            dict[str, EpisodeValue] | None,
            Field(
                None,
                max_length=16,
                description="Runs trained with an environment (required there, refused elsewhere): which episode to "
                "play. `environment` names it (optional when the run has one); every other field is a keyword of "
                'that environment\'s reset, e.g. {"environment": "guess_number", "seed": 123}. Each rollout plays '
                "it in its own fresh instance",
            ),
        ),
    )


# An episode field's value (serve/episode.py hands them to the environment's reset): JSON scalars, strings bounded.
EpisodeValue = Annotated[str, Field(max_length=1000)] | int | float | bool


class EpisodeOutcome(BaseModel):
    """How a rollout's episode ended, from its own environment instance (components/environments/base.py)."""

    environment: str
    success: bool
    reward: float = Field(description="The environment's own reward (the run's reward set weighs it into `reward`)")
    turns: int = Field(description="Assistant turns")
    tool_calls: int = Field(description="Calls of the environment's tools")
    invalid_actions: int = Field(description="Calls the environment refused")


class Rollout(BaseModel):
    response: str
    reward: float | None = Field(description="Total weighted reward; null without ground_truth")
    temperature: float
    answer: str | None = Field(None, description="The answer the reward's verifier extracted, if any")
    completion_tokens: int
    truncated: bool = Field(description="Stopped by max_new_tokens rather than by end of sequence")
    trajectory: list[dict] | None = Field(
        None,
        description="Runs trained with tools: every turn of the episode "
        "(assistant turns with their tool_calls, tool results); response is the "
        "model's own text",
    )
    outcome: EpisodeOutcome | None = Field(None, description="Runs trained with an environment: the episode's end")


class GenerateResponse(BaseModel):
    rollouts: list[Rollout]
    best_response: str
    best_reward: float | None
    mean_reward: float | None
    selection: Literal["reward", "majority_vote", "first"] = Field(
        description="reward: highest reward (ground truth given); majority_vote: the most common extracted answer; "
        "first: no answer could be extracted, the first rollout"
    )
    majority_answer: str | None = None
    reward_per_function: dict[str, list[float | None]] | None = None
    model: str


def generate_response(
    completions: list,
    chosen: Any,
    temperature: float,
    model: str,
    trajectories: list | None = None,
    outcomes: list[EpisodeOutcome] | None = None,
) -> GenerateResponse:
    """/generate's answer from the scored completions (`trajectories`: the episodes of a run trained with tools or
    an environment; `outcomes`: how each environment episode ended)."""
    scored = [r for r in chosen.rewards if r is not None]
    rollouts = [
        Rollout(
            response=c.text,
            reward=r,
            temperature=temperature,
            answer=a,
            completion_tokens=c.tokens,
            truncated=c.truncated,
            trajectory=t,
            outcome=o,
        )
        for c, r, a, t, o in zip(
            completions,
            chosen.rewards,
            chosen.answers,
            trajectories or [None] * len(completions),
            outcomes or [None] * len(completions),
        )
    ]
    return GenerateResponse(
        rollouts=rollouts,
        best_response=completions[chosen.best].text,
        best_reward=chosen.rewards[chosen.best],
        mean_reward=sum(scored) / len(scored) if scored else None,
        selection=chosen.selection,
        majority_answer=chosen.majority_answer,
        reward_per_function=chosen.per_function,
        model=model,
    )


class ErrorResponse(BaseModel):
    error: str
    detail: Any = None


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    ready: bool
    model: str | None = None
    error: str | None = None
