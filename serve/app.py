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
import time
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from omegaconf import DictConfig
from starlette.exceptions import HTTPException as StarletteHTTPException

from serve.batcher import DynamicBatcher, QueueFull
from serve.config import build_components, compose_config, settings_from
from serve.drift import monitor_from
from serve.engine import BatchStats, Engine, Job
from serve.metrics import MetricsMiddleware, ServeMetrics
from serve.schemas import ErrorResponse, GenerateResponse, Health, Ready, Rollout, request_model
from serve.selection import select
from serve.worker import EngineProcess

log = logging.getLogger("serve")
ERRORS = {code: {"model": ErrorResponse} for code in (400, 422, 500, 503, 504)}  # 400: body is not JSON


def _error(status: int, message: str, detail: Any = None) -> JSONResponse:
    return JSONResponse({"error": message, "detail": detail}, status_code=status)


def _validation_message(err: RequestValidationError) -> str:
    """One line naming the field: `num_rollouts: Input should be less than or equal to 16`."""
    parts = []
    for e in err.errors()[:3]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def create_app(cfg: DictConfig, engine: Engine | None = None) -> FastAPI:
    """The app for a composed conf/serve.yaml. Validates the config now; the model loads in the lifespan."""
    settings = settings_from(cfg.serve)
    parts = build_components(cfg, settings)
    if engine is None and settings.engine_process:
        engine = EngineProcess(parts.model_component, parts.run_dir, settings.merge_adapter, settings.compile,
                               settings.torch_threads, settings.log_level)
    engine = engine or Engine(parts.model_component, parts.run_dir, settings.merge_adapter, settings.compile,
                              settings.torch_threads)
    drift = monitor_from(settings.drift, parts.run_dir)
    metrics = ServeMetrics()
    limits = settings.limits
    GenerateRequest = request_model(limits)
    state: dict[str, Any] = {"ready": False, "error": None}

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
            state["error"] = f"{type(err).__name__}: {err}"
            return
        state["ready"] = True
        metrics.ready.set(1)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        batcher = DynamicBatcher(
            engine.generate, settings.max_batch_rows, settings.batch_wait_ms / 1000, settings.max_queue,
            settings.batching, on_batch,
        )
        batcher.start()
        state["batcher"] = batcher
        # The model loads in the background: /health answers at once, /ready turns 200 once it is loaded.
        loader = asyncio.create_task(asyncio.to_thread(load_model))
        state["loader"] = loader  # a loading thread cannot be cancelled; shutdown does not wait for it
        try:
            yield
        finally:
            await batcher.stop()
            if isinstance(engine, EngineProcess):
                await asyncio.to_thread(engine.close)

    app = FastAPI(title="RLVR policy server", version="0.1.0", lifespan=lifespan,
                  description="Sample rollouts from a trained policy, score them with the training reward, return the best.")
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.state.settings, app.state.engine, app.state.drift, app.state.metrics = settings, engine, drift, metrics

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        detail = [{k: e.get(k) for k in ("loc", "msg", "type")} for e in err.errors()]
        return _error(422, _validation_message(err), detail)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        return _error(err.status_code, str(err.detail))

    @app.exception_handler(Exception)
    async def _on_crash(request: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return _error(500, f"internal error ({type(err).__name__})")

    def engine_failure() -> str | None:
        return getattr(engine, "failure", None)  # set when the model process has died: nothing can recover

    @app.get("/health", response_model=Health, responses={503: {"model": ErrorResponse}},
             summary="Liveness: the process answers and its model process is alive")
    async def health() -> Any:
        if engine_failure():
            return _error(503, engine_failure())
        return {"status": "ok"}

    @app.get("/ready", response_model=Ready, responses={503: {"model": Ready}}, summary="Readiness: the model is loaded")
    async def ready() -> Any:
        if state["ready"] and engine_failure():
            return JSONResponse({"ready": False, "model": engine.source, "error": engine_failure()}, status_code=503)
        if state["ready"]:
            return {"ready": True, "model": engine.source}
        return JSONResponse({"ready": False, "model": None, "error": state["error"]}, status_code=503)

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def prometheus() -> Response:
        metrics.queue_depth.set(state["batcher"].depth() if "batcher" in state else 0)
        metrics.update_drift(drift.report())
        return Response(metrics.render(), media_type=metrics.content_type)

    @app.get("/monitoring/drift", summary="Served reward/length distributions vs the training run's")
    async def drift_report() -> dict:
        report = drift.report()
        metrics.update_drift(report)
        return report

    @app.post("/generate", response_model=GenerateResponse, responses=ERRORS, summary="Sample rollouts and return the best")
    async def generate(body: GenerateRequest) -> Any:  # type: ignore[valid-type]
        if not state["ready"]:
            return _error(503, "model is not loaded yet" if state["error"] is None else f"model failed to load: {state['error']}")
        if engine_failure():
            return _error(503, engine_failure())
        messages = parts.prompts.build(body.prompt)
        rendered, prompt_tokens = engine.render(messages)
        max_new = body.max_new_tokens or limits.default_max_new_tokens
        if engine.max_positions and prompt_tokens + max_new > engine.max_positions:
            return _error(422, f"prompt: {prompt_tokens} tokens after the chat template + max_new_tokens={max_new} "
                               f"exceed the model's context of {engine.max_positions} tokens; shorten the prompt")
        job = Job(rendered, body.num_rollouts, body.temperature, max_new, time.monotonic() + settings.request_timeout_s)
        try:
            completions = await state["batcher"].submit(job, settings.request_timeout_s)
        except QueueFull as err:
            metrics.rejected.labels("queue_full").inc()
            return JSONResponse({"error": str(err), "detail": None}, status_code=503, headers={"Retry-After": "1"})
        except TimeoutError:
            metrics.rejected.labels("timeout").inc()
            return _error(504, f"request timed out after serve.request_timeout_s={settings.request_timeout_s}s")
        except Exception as err:  # answered here: an exception escaping the app would also drop the connection
            metrics.rejected.labels("generate_failed").inc()
            return _error(500, f"generation failed ({type(err).__name__}); see the server log")
        texts = [c.text for c in completions]
        try:
            chosen = await asyncio.to_thread(select, parts.reward, messages, body.prompt, texts, body.ground_truth)
        except Exception as err:  # the reward depends on the request's ground truth: a bad one is the client's
            log.exception("reward failed")
            return _error(422, f"ground_truth: the reward could not score it ({type(err).__name__}: {err})")
        metrics.rollouts.inc(len(completions))
        for c in completions:
            metrics.completion_tokens.observe(c.tokens)
        drift.observe("completion_length", [c.tokens for c in completions])
        scored = [r for r in chosen.rewards if r is not None]
        for r in scored:
            metrics.reward.observe(r)
        drift.observe("reward", scored)
        rollouts = [
            Rollout(response=c.text, reward=r, temperature=body.temperature, answer=a, completion_tokens=c.tokens, truncated=c.truncated)
            for c, r, a in zip(completions, chosen.rewards, chosen.answers)
        ]
        return GenerateResponse(
            rollouts=rollouts, best_response=texts[chosen.best], best_reward=chosen.rewards[chosen.best],
            mean_reward=sum(scored) / len(scored) if scored else None, selection=chosen.selection,
            majority_answer=chosen.majority_answer, reward_per_function=chosen.per_function, model=engine.source,
        )

    return app


def app_from_env() -> FastAPI:
    """`uvicorn --factory serve.app:app_from_env`: overrides come from $RLVR_SERVE_OVERRIDES (shell-quoted)."""
    return create_app(compose_config(shlex.split(os.environ.get("RLVR_SERVE_OVERRIDES", ""))))
