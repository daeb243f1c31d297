"""The OpenAI-compatible routes: /v1/models, /v1/chat/completions, /v1/completions.

A translation layer only: requests become the same Jobs /generate submits to the same batcher (serve/core.py),
and choices are scored and ranked by the same selection code. Errors use OpenAI's error object and status codes
(validation is 400, not FastAPI's 422), so the official client raises its usual exception classes.
Chat requests are rendered with the model's chat template as sent (the run's prompt template is /generate's);
completion prompts are raw text.

No `from __future__ import annotations`: FastAPI reads the request models (built per server) from live annotations.
"""

import time
import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.requests import Request

from serve.config import Limits
from serve.core import ServeError, Service
from serve.engine import Completion
from serve.openai_schemas import (
    ChatChoice,
    ChatCompletion,
    ChatMessageOut,
    CompletionChoice,
    Model,
    ModelList,
    OpenAIError,
    TextCompletion,
    Usage,
    Verifier,
    error_body,
    openai_request_models,
)
from serve.openai_stream import Stream
from serve.schemas import validation_message
from serve.selection import Selection, ranked

PREFIX = "/v1"


def is_openai(request: Request) -> bool:
    return request.url.path.startswith(PREFIX + "/")


def openai_error(err: ServeError) -> JSONResponse:
    status = 400 if err.status == 422 else err.status  # OpenAI answers every invalid request with 400
    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse(error_body(err.message, kind, err.param, err.code), status_code=status, headers=err.headers)


def openai_invalid(err: RequestValidationError) -> JSONResponse:
    """400 naming the first bad field as `param`, with a one-line message."""
    errors = [
        dict(e, msg="unrecognized or unsupported parameter") if e.get("type") == "extra_forbidden" else e
        for e in err.errors()
    ]
    loc = [str(p) for p in (errors[0].get("loc", ()) if errors else ()) if p != "body"]
    return openai_error(ServeError(400, validation_message(errors), "invalid_value", ".".join(loc) or None))


def choices_and_verifier(
    kind: str, completions: list[Completion], chosen: Selection | None, n: int, rank: bool = True
) -> tuple[list, Verifier | None]:
    """The n choices to return (best first when a verifier ranked them; a stream keeps its order) and the summary."""
    order = ranked(chosen)[:n] if chosen and rank else list(range(n))
    out = []
    for index, k in enumerate(order):
        c = completions[k]
        scored = {}
        if chosen is not None:
            per_function = {name: values[k] for name, values in (chosen.per_function or {}).items()} or None
            scored = {"reward": chosen.rewards[k], "answer": chosen.answers[k], "reward_per_function": per_function}
        if kind == "chat":
            out.append(
                ChatChoice(index=index, message=ChatMessageOut(content=c.text), finish_reason=c.finish_reason, **scored)
            )
        else:
            out.append(CompletionChoice(index=index, text=c.text, finish_reason=c.finish_reason, **scored))
    if chosen is None:
        return out, None
    rewards = [r for r in chosen.rewards if r is not None]
    verifier = Verifier(
        selection=chosen.selection,
        candidates=len(completions),
        majority_answer=chosen.majority_answer,
        mean_reward=sum(rewards) / len(rewards) if rewards else None,
    )
    return out, verifier


SSE_EVENT = {
    "type": "object",
    "required": ["data"],
    "properties": {"data": {"type": "string"}, "event": {"type": "string"}, "id": {"type": "string"}},
}


def model_entry(service: Service) -> Model:
    return Model(id=service.model_name, created=service.started, owned_by="rlvr-pipeline")


def check_model(service: Service, name: str) -> None:
    service.check_available()
    if name != service.model_name:
        raise ServeError(
            404,
            f"The model `{name}` does not exist; this server serves `{service.model_name}` (GET /v1/models)",
            "model_not_found",
            "model",
        )


async def complete(
    service: Service,
    limits: Limits,
    body: Any,
    kind: str,
    endpoint: str,
    rendered: str,
    prompt_tokens: int,
    messages: Any,
    question: str,
    param: str,
) -> Any:
    """One chat or text completion request: a Job through the batcher, then scored choices (or a stream)."""
    arrived = time.perf_counter()
    candidates = max(body.best_of or body.n, body.n)
    job = service.job(
        rendered,
        prompt_tokens,
        body.max_new_tokens(limits.default_max_new_tokens),
        param,
        num_rollouts=candidates,
        temperature=body.temperature,
        top_p=body.top_p,
        seed=body.seed,
        stop=body.stops(),
        stream=body.stream,
    )
    rid = f"{'chatcmpl' if kind == 'chat' else 'cmpl'}-{uuid.uuid4().hex}"
    head = {"id": rid, "created": int(time.time()), "model": service.model_name}
    verify = body.ground_truth is not None or candidates > body.n

    async def scored(completions: list[Completion], rank: bool = True) -> tuple[list, Verifier | None]:
        chosen = (
            await service.score(messages, question, [c.text for c in completions], body.ground_truth)
            if verify
            else None
        )
        service.record(endpoint, completions, chosen)
        return choices_and_verifier(kind, completions, chosen, body.n, rank=rank)

    if body.stream:
        stream = Stream(service, kind, endpoint, head, job, arrived)
        await stream.start()  # errors before the first token still get their own status code
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(
            stream.events(prompt_tokens, include_usage, lambda completions: scored(completions, rank=False)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    completions = await service.run(job)
    choices, verifier = await scored(completions)
    generated = sum(c.tokens for c in completions)
    usage = Usage(prompt_tokens=prompt_tokens, completion_tokens=generated, total_tokens=prompt_tokens + generated)
    cls = ChatCompletion if kind == "chat" else TextCompletion
    return cls(**head, choices=choices, usage=usage, verifier=verifier)


def render_chat(service: Service, body: Any) -> tuple[str, int, list[dict[str, str]], str]:
    """A chat request's prompt rendered with the model's chat template: (text, tokens, messages, question)."""
    # "developer" is OpenAI's newer name for the system role; chat templates only know "system".
    messages = [{"role": "system" if m.role == "developer" else m.role, "content": m.text()} for m in body.messages]
    try:
        rendered, prompt_tokens = service.engine.render(messages)
    except Exception as err:  # e.g. a template that refuses a system message or two user turns in a row
        raise ServeError(
            400,
            f"messages: the model's chat template rejected them ({type(err).__name__}: {err})",
            "invalid_messages",
            "messages",
        ) from None
    question = next((m["content"] for m in reversed(messages) if m["role"] == "user"), messages[-1]["content"])
    return rendered, prompt_tokens, messages, question


def openai_router(service: Service, limits: Limits, errors: dict[int, Any]) -> APIRouter:
    ChatRequest, CompletionRequest = openai_request_models(limits)
    router = APIRouter(prefix=PREFIX, tags=["OpenAI-compatible"])
    responses = {code: {"model": OpenAIError} for code in (*errors, 404) if code != 422}
    streamed = {
        200: {
            # Before OpenAPI 3.2, the `schema` of text/event-stream describes one event (what each `data:` line
            # carries: a JSON chunk, or `[DONE]` last), not the whole body.
            "content": {"text/event-stream": {"schema": SSE_EVENT}},
            "description": "JSON, or server-sent events ending with `data: [DONE]` when stream=true",
        }
    }

    @router.get("/models", response_model=ModelList, responses=responses, summary="The served model")
    async def models() -> Any:
        service.check_available()
        return ModelList(data=[model_entry(service)])

    @router.get("/models/{model_id:path}", response_model=Model, responses=responses, summary="One model by id")
    async def model(model_id: str) -> Any:
        check_model(service, model_id)
        return model_entry(service)

    @router.post(
        "/chat/completions",
        response_model=ChatCompletion,
        responses={**responses, **streamed},
        summary="OpenAI chat completions (the messages rendered with the model's chat template)",
    )
    async def chat_completions(body: ChatRequest) -> Any:  # type: ignore[valid-type]
        check_model(service, body.model)
        rendered, prompt_tokens, messages, question = render_chat(service, body)
        endpoint = PREFIX + "/chat/completions"
        return await complete(
            service, limits, body, "chat", endpoint, rendered, prompt_tokens, messages, question, "messages"
        )

    @router.post(
        "/completions",
        response_model=TextCompletion,
        responses={**responses, **streamed},
        summary="OpenAI (legacy) completions: the prompt is raw text, no template",
    )
    async def completions(body: CompletionRequest) -> Any:  # type: ignore[valid-type]
        check_model(service, body.model)
        rendered, prompt_tokens = service.engine.render(body.prompt)
        messages = [{"role": "user", "content": body.prompt}]  # what the reward functions see as `prompts`
        endpoint = PREFIX + "/completions"
        return await complete(
            service, limits, body, "text", endpoint, rendered, prompt_tokens, messages, body.prompt, "prompt"
        )

    return router
