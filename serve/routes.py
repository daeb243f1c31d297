"""The native routes: health, readiness, metrics, drift and /generate (the OpenAI ones: serve/openai_api.py).

No `from __future__ import annotations` here: FastAPI reads the request model (built from the configured
limits) from the live annotation.
"""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from serve.config import Limits
from serve.core import ServeError, Service
from serve.drift import DriftMonitor
from serve.episode import generate_episode
from serve.metrics import ServeMetrics
from serve.schemas import ErrorResponse, GenerateResponse, Health, Ready, generate_response, request_model
from serve.tool_loop import generate_with_tools


def error_response(status: int, message: str, detail: Any = None) -> JSONResponse:
    """The native routes' error body (the /v1 routes use OpenAI's error object)."""
    return JSONResponse({"error": message, "detail": detail}, status_code=status)


def health_router(service: Service, engine: Any, metrics: ServeMetrics, drift: DriftMonitor) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/health",
        response_model=Health,
        responses={503: {"model": ErrorResponse}},
        summary="Liveness: the process answers and its model process is alive",
    )
    async def health() -> Any:
        if service.failure:
            return error_response(503, service.failure)
        return {"status": "ok"}

    @router.get(
        "/ready", response_model=Ready, responses={503: {"model": Ready}}, summary="Readiness: the model is loaded"
    )
    async def ready() -> Any:
        if service.ready and service.failure:
            return JSONResponse({"ready": False, "model": engine.source, "error": service.failure}, status_code=503)
        if service.ready:
            return {"ready": True, "model": engine.source}
        return JSONResponse({"ready": False, "model": None, "error": service.load_error}, status_code=503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def prometheus() -> Response:
        metrics.queue_depth.set(service.batcher.depth() if service.batcher else 0)
        metrics.update_drift(drift.report())
        return Response(metrics.render(), media_type=metrics.content_type)

    @router.get("/monitoring/drift", summary="Served reward/length distributions vs the training run's")
    async def drift_report() -> dict:
        report = drift.report()
        metrics.update_drift(report)
        return report

    return router


def trained_with(provider: Any) -> bool:
    """The run's tools or environment group is set (runs from before a group have none)."""
    return provider is not None and provider.enabled


def generate_router(service: Service, parts: Any, engine: Any, limits: Limits, errors: dict[int, Any]) -> APIRouter:
    router = APIRouter()
    GenerateRequest = request_model(limits)

    @router.post(
        "/generate", response_model=GenerateResponse, responses=errors, summary="Sample rollouts and return the best"
    )
    async def generate(body: GenerateRequest) -> Any:  # type: ignore[valid-type]
        service.check_available()
        messages = parts.prompts.build(body.prompt)
        rendered, prompt_tokens = engine.render(messages)
        max_new = body.max_new_tokens or limits.default_max_new_tokens
        if trained_with(parts.environment):  # an environment: the request's episode, one instance per rollout
            return await generate_episode(service, parts.environment, body, messages, max_new)
        if body.episode is not None:
            raise ServeError(
                422, "episode: this run was trained without environments; drop the field", "invalid_episode", "episode"
            )
        if trained_with(parts.tools):  # trained with tools: the same multi-turn loop
            return await generate_with_tools(service, parts.tools, body, messages, max_new)
        job = service.job(
            rendered, prompt_tokens, max_new, "prompt", num_rollouts=body.num_rollouts, temperature=body.temperature
        )
        completions = await service.run(job)
        chosen = await service.score(messages, body.prompt, [c.text for c in completions], body.ground_truth)
        service.record("/generate", completions, chosen)
        return generate_response(completions, chosen, body.temperature, engine.source)

    return router
