"""Request and response bodies of the OpenAI-compatible API (/v1/models, /v1/chat/completions, /v1/completions).

Field names, defaults and shapes follow OpenAI's API reference, so the official client and tools built on it work
unchanged. Bounds come from `serve.limits`, so /docs shows this server's real limits. Two extension fields, which
standard clients never send (pass them with the client's `extra_body`):
  ground_truth  each choice then also carries `reward` (the run's reward component), `answer` and
                `reward_per_function`, and the response a `verifier` summary;
  best_of       sample this many candidates and return the n best: by reward with a ground truth, else by
                majority vote over the extracted answers (serve/selection.py; /generate's rule).
Parameters the server cannot honour (penalties, logprobs, logit_bias, tools, ...) answer 400 naming the field
rather than being silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from serve.config import Limits


def error_body(message: str, type_: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """OpenAI's error object: the official client reads `message` into the exception it raises."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextPart(_Strict):
    type: Literal["text"]
    text: str


class StreamOptions(_Strict):
    include_usage: bool = False


def _utf8(value: Any) -> Any:
    # JSON may carry lone surrogates ("\ud800"); tokenizers cannot encode them.
    for text in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
        if isinstance(text, str):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("must be valid UTF-8 text (no lone surrogate code points)") from None
    return value


class _Sampling(_Strict):
    """What both generation endpoints accept; the bounded fields are added per server by `openai_request_models`."""

    presence_penalty: float | None = Field(None, description="Not supported: omit it or send 0")
    frequency_penalty: float | None = Field(None, description="Not supported: omit it or send 0")
    logit_bias: dict[str, float] | None = Field(None, description="Not supported: omit it or send {}")
    user: str | None = Field(None, max_length=256, description="Accepted and ignored")
    stream: bool = False
    stream_options: StreamOptions | None = None

    @field_validator("presence_penalty", "frequency_penalty")
    @classmethod
    def _no_penalty(cls, value: float | None) -> float | None:
        if value:
            raise ValueError("not supported by this server; omit it or send 0")
        return value

    @field_validator("logit_bias")
    @classmethod
    def _no_bias(cls, value: dict | None) -> dict | None:
        if value:
            raise ValueError("not supported by this server; omit it or send {}")
        return value

    @field_validator("logprobs", "echo", check_fields=False)
    @classmethod
    def _no_logprobs(cls, value: Any) -> Any:
        if value:
            raise ValueError("not supported by this server; omit it")
        return value

    @field_validator("ground_truth", "stop", "prompt", check_fields=False)
    @classmethod
    def _valid_text(cls, value: Any) -> Any:
        return _utf8(value)

    @model_validator(mode="after")
    def _best_of_covers_n(self) -> Any:
        best_of = getattr(self, "best_of", None)
        if best_of is not None and best_of < self.n:
            raise ValueError(f"best_of={best_of} must be >= n={self.n}")
        if best_of is not None and best_of > 1 and self.stream:
            raise ValueError("best_of cannot be combined with stream (the best is known only at the end)")
        if self.stream_options is not None and not self.stream:
            raise ValueError("stream_options is only allowed with stream=true")
        return self

    def max_new_tokens(self, default: int) -> int:
        return getattr(self, "max_completion_tokens", None) or self.max_tokens or default

    def stops(self) -> tuple[str, ...]:
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())


class _Message(_Strict):
    @field_validator("content", check_fields=False)
    @classmethod
    def _valid_text(cls, value: Any) -> Any:
        _utf8(value if isinstance(value, str) else [part.text for part in value])
        return value

    def text(self) -> str:
        content = self.content
        return content if isinstance(content, str) else "".join(part.text for part in content)


def _message_model(limits: Limits) -> type[BaseModel]:
    return create_model(
        "ChatMessage",
        __base__=_Message,
        role=(Literal["system", "developer", "user", "assistant"], ...),
        content=(str | list[TextPart], Field(max_length=limits.max_prompt_chars)),
        name=(str | None, Field(None, max_length=64)),
    )


def openai_request_models(limits: Limits) -> tuple[type[BaseModel], type[BaseModel]]:
    """(ChatCompletionRequest, CompletionRequest) with this server's bounds."""
    max_new = Field(None, ge=1, le=limits.max_new_tokens, description=f"Default {limits.default_max_new_tokens}")
    one_stop = Annotated[str, Field(min_length=1, max_length=limits.max_prompt_chars)]
    common = dict(
        model=(str, Field(min_length=1, max_length=256, description="The id /v1/models lists")),
        n=(int, Field(1, ge=1, le=limits.max_rollouts, description="Choices returned")),
        temperature=(
            float,
            Field(1.0, ge=0.0, le=limits.max_temperature, allow_inf_nan=False, description="0 = greedy"),
        ),
        top_p=(float, Field(1.0, ge=0.0, le=1.0, allow_inf_nan=False)),
        max_tokens=(int | None, max_new),
        stop=(
            one_stop | list[one_stop] | None,
            Field(None, max_length=limits.max_stop_sequences, description="The text ends before the first of these"),
        ),
        seed=(int | None, Field(None, ge=-(2**63), le=2**63 - 1, description="Repeatable sampling for this request")),
        ground_truth=(
            str | None,
            Field(
                None,
                min_length=1,
                max_length=limits.max_ground_truth_chars,
                description="Extension: score each choice with the run's reward",
            ),
        ),
        best_of=(
            int | None,
            Field(
                None,
                ge=1,
                le=limits.max_rollouts,
                description="Candidates sampled; the n best are returned (by reward with ground_truth, else by majority vote)",
            ),
        ),
    )
    chat = create_model(
        "ChatCompletionRequest",
        __base__=_Sampling,
        messages=(list[_message_model(limits)], Field(min_length=1, max_length=limits.max_messages)),
        max_completion_tokens=(int | None, max_new),
        logprobs=(bool | None, Field(None, description="Not supported: omit it or send false")),
        **common,
    )
    completion = create_model(
        "CompletionRequest",
        __base__=_Sampling,
        prompt=(
            str,
            Field(
                min_length=1, max_length=limits.max_prompt_chars, description="Raw text: no chat template is applied"
            ),
        ),
        echo=(bool, Field(False, description="Not supported: omit it or send false")),
        logprobs=(int | None, Field(None, description="Not supported: omit it")),
        **common,
    )
    return chat, completion


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Verifier(BaseModel):
    """Extension: how the choices were picked and scored (present with ground_truth or best_of)."""

    selection: Literal["reward", "majority_vote", "first"]
    candidates: int
    mean_reward: float | None = None
    majority_answer: str | None = None


class _Scored(BaseModel):
    reward: float | None = Field(None, description="Extension: total reward (with ground_truth)")
    answer: str | None = Field(None, description="Extension: the answer the verifier extracted")
    reward_per_function: dict[str, float | None] | None = None


class ChatMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(_Scored):
    index: int
    message: ChatMessageOut
    finish_reason: Literal["stop", "length"]
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    verifier: Verifier | None = None


class CompletionChoice(_Scored):
    index: int
    text: str
    finish_reason: Literal["stop", "length"]
    logprobs: None = None


class TextCompletion(BaseModel):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage
    verifier: Verifier | None = None


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIError(BaseModel):
    error: ErrorDetail
