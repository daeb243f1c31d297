"""FastAPI app factory: routes, error handlers and the lifespan that loads the model.

    python -m serve model_component=tiny_random serve.port=8123
    RLVR_SERVE_OVERRIDES="model_component=tiny_random" uvicorn --factory serve.app:app_from_env --port 8123

No `from __future__ import annotations` here: FastAPI reads the request model (built from the configured
limits inside create_app) from the live annotation.
"""

import asyncio
import logging
import os
import shlex
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from omegaconf import DictConfig
from starlette.exceptions import HTTPException as StarletteHTTPException

from components.validation import validate
from serve.auth import ApiKeyMiddleware, load_api_key
from serve.batcher import DynamicBatcher
from serve.config import build_components, compose_config, settings_from
from serve.core import ServeError, Service
from serve.drift import monitor_from
from serve.engine import BatchStats, Engine
from serve.metrics import MetricsMiddleware, ServeMetrics
from serve.openai_api import is_openai, openai_error, openai_invalid, openai_router
from serve.openai_schemas import OpenAIError
from serve.routes import error_response, generate_router, health_router
from serve.schemas import (
    ErrorResponse,
    validation_message,
)
from serve.worker import EngineProcess

log = logging.getLogger("serve")
ERRORS = {code: {"model": ErrorResponse} for code in (400, 422, 500, 503, 504)}  # 400: body is not JSON


def create_app(cfg: DictConfig, engine: Engine | None = None) -> FastAPI:
    """The app for a composed conf/serve.yaml. Validates the config now; the model loads in the lifespan."""
    validate(cfg, mode="serve")  # the same checks as every run_pipeline mode: one line naming the key
    settings = settings_from(cfg.serve)
    parts = build_components(cfg, settings)
    api_key = load_api_key(settings.api_key_env, settings.api_key_file)
    engine = engine or make_engine(parts, settings)
    drift = monitor_from(settings.drift, parts.run_dir)
    metrics = ServeMetrics()
    limits = settings.limits
    service = Service(engine, parts, settings, metrics, drift)
    errors = {**ERRORS, **({401: {"model": OpenAIError}} if api_key else {})}
    lifespan = make_lifespan(engine, service, settings, metrics)
    app = FastAPI(
        title="RLVR policy server",
        version="0.1.0",
        lifespan=lifespan,
        description="Sample rollouts from a trained policy, score them with the training reward, return the best. "
        "The OpenAI-compatible /v1 routes serve the same model through the same batcher."
        + (" Model endpoints need `Authorization: Bearer <key>`." if api_key else ""),
    )
    if api_key:  # added before the metrics middleware, so refused requests are still counted
        app.add_middleware(ApiKeyMiddleware, key=api_key)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.state.settings, app.state.engine, app.state.drift, app.state.metrics = settings, engine, drift, metrics
    app.state.service = service
    log.info(
        "API key: %s",
        f"required on /generate and /v1/* (from {api_key.source})" if api_key else "none (model endpoints are open)",
    )

    add_error_handlers(app)
    app.include_router(health_router(service, engine, metrics, drift))
    app.include_router(generate_router(service, parts, engine, limits, errors))
    app.include_router(openai_router(service, limits, errors))
    return app


def make_engine(parts: Any, settings: Any) -> Engine | EngineProcess:
    """The model engine: in a child process (serve.engine_process) or in this one."""
    if settings.engine_process:
        return EngineProcess(
            parts.model_component,
            parts.run_dir,
            settings.merge_adapter,
            settings.compile,
            settings.torch_threads,
            settings.log_level,
        )
    return Engine(
        parts.model_component, parts.run_dir, settings.merge_adapter, settings.compile, settings.torch_threads
    )


def make_lifespan(engine: Any, service: Service, settings: Any, metrics: ServeMetrics) -> Any:
    """Start the batcher and load the model in the background on startup; stop them on shutdown."""

    def on_batch(stats: BatchStats) -> None:
        metrics.batch_rows.observe(stats.rows)
        metrics.batch_requests.observe(stats.requests)
        metrics.generate_seconds.observe(stats.seconds)
        metrics.tokens.inc(stats.new_tokens)

    def load_model() -> None:
        try:
            engine.load()
        except Exception as err:  # /ready reports it; /health stays up so the failure can be read
            log.exception("model failed to load")
            service.load_error = f"{type(err).__name__}: {err}"
            return
        service.ready = True
        metrics.ready.set(1)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        batcher = DynamicBatcher(
            engine.generate,
            settings.max_batch_rows,
            settings.batch_wait_ms / 1000,
            settings.max_queue,
            settings.batching,
            on_batch,
        )
        batcher.start()
        service.batcher = batcher
        # The model loads in the background: /health answers at once, /ready turns 200 once it is loaded.
        # A loading thread cannot be cancelled; shutdown does not wait for it.
        app.state.loader = asyncio.create_task(asyncio.to_thread(load_model))
        try:
            yield
        finally:
            await batcher.stop()
            if isinstance(engine, EngineProcess):
                await asyncio.to_thread(engine.close)

    return lifespan


def add_error_handlers(app: FastAPI) -> None:
    """One error shape per API: OpenAI's error object under /v1, `{"error", "detail"}` elsewhere."""

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        if is_openai(request):
            return openai_invalid(err)
        detail = [{k: e.get(k) for k in ("loc", "msg", "type")} for e in err.errors()]
        return error_response(422, validation_message(err.errors()), detail)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        if is_openai(request):
            return openai_error(ServeError(err.status_code, str(err.detail)))
        return error_response(err.status_code, str(err.detail))

    @app.exception_handler(ServeError)
    async def _on_serve_error(request: Request, err: ServeError) -> JSONResponse:
        if is_openai(request):
            return openai_error(err)
        return JSONResponse({"error": err.message, "detail": None}, status_code=err.status, headers=err.headers)

    @app.exception_handler(Exception)
    async def _on_crash(request: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        if is_openai(request):
            return openai_error(ServeError(500, f"internal error ({type(err).__name__})"))
        return error_response(500, f"internal error ({type(err).__name__})")


def app_from_env() -> FastAPI:
    """`uvicorn --factory serve.app:app_from_env`: overrides come from $RLVR_SERVE_OVERRIDES (shell-quoted)."""
    return create_app(compose_config(shlex.split(os.environ.get("RLVR_SERVE_OVERRIDES", ""))))
