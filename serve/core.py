"""What every model endpoint shares, whatever its wire format: readiness, the one batching engine, scoring with
the run's reward, and the metrics and drift record. /generate (serve/app.py) and the OpenAI-compatible routes
(serve/openai_api.py) are thin translations around these calls, so they cannot drift apart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from serve.batcher import DynamicBatcher, QueueFull, Sink
from serve.drift import DriftMonitor
from serve.engine import Completion, Engine, Job
from serve.metrics import ServeMetrics
from serve.selection import Selection, select

log = logging.getLogger("serve")


class ServeError(Exception):
    """A request that cannot be served: each endpoint renders it in its own error format."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.headers = status, message, code, param, headers


class Service:
    def __init__(self, engine: Engine, parts: Any, settings: Any, metrics: ServeMetrics, drift: DriftMonitor) -> None:
        self.engine, self.parts, self.settings, self.metrics, self.drift = engine, parts, settings, metrics, drift
        self.batcher: DynamicBatcher | None = None  # started in the app's lifespan
        self.ready = False
        self.load_error: str | None = None
        self.started = int(time.time())

    @property
    def failure(self) -> str | None:
        return getattr(self.engine, "failure", None)  # set when the model process has died: nothing can recover

    @property
    def model_name(self) -> str:
        return self.settings.model_name or self.engine.source

    def check_available(self) -> None:
        if not self.ready:
            message = (
                "model is not loaded yet" if self.load_error is None else f"model failed to load: {self.load_error}"
            )
            raise ServeError(503, message, "model_not_ready", headers={"Retry-After": "5"})
        if self.failure:
            raise ServeError(503, self.failure, "model_process_died")

    def job(self, rendered: str, prompt_tokens: int, max_new: int, param: str, **sampling: Any) -> Job:
        """A Job for the batcher, refused (422) when prompt + completion would not fit the model's context."""
        limit = self.engine.max_positions
        if limit and prompt_tokens + max_new > limit:
            raise ServeError(
                422,
                f"{param}: {prompt_tokens} tokens after templating + {max_new} new tokens exceed the "
                f"model's context of {limit} tokens; shorten it",
                "context_length_exceeded",
                param,
            )
        return Job(
            rendered, max_new_tokens=max_new, deadline=time.monotonic() + self.settings.request_timeout_s, **sampling
        )

    async def run(self, job: Job, sink: Sink | None = None) -> list[Completion]:
        """The job's completions from the shared batcher; back-pressure, timeouts and failures as ServeError."""
        timeout = self.settings.request_timeout_s
        try:
            return await self.batcher.submit(job, timeout, sink)
        except QueueFull as err:
            self.metrics.rejected.labels("queue_full").inc()
            raise ServeError(503, str(err), "overloaded", headers={"Retry-After": "1"}) from None
        except TimeoutError:
            self.metrics.rejected.labels("timeout").inc()
            raise ServeError(504, f"request timed out after serve.request_timeout_s={timeout}s", "timeout") from None
        except Exception as err:  # answered here: an exception escaping the app would also drop the connection
            self.metrics.rejected.labels("generate_failed").inc()
            raise ServeError(
                500, f"generation failed ({type(err).__name__}); see the server log", "generate_failed"
            ) from None

    async def score(
        self, messages: Any, question: str, texts: list, ground_truth: str | None, columns: dict | None = None
    ) -> Selection:
        """The run's reward on each text (with a ground truth or per-rollout `columns`, serve/selection.py) or the
        majority vote over extracted answers."""
        try:
            return await asyncio.to_thread(select, self.parts.reward, messages, question, texts, ground_truth, columns)
        except Exception as err:  # the reward depends on the request's ground truth: a bad one is the client's
            log.exception("reward failed")
            raise ServeError(
                422,
                f"ground_truth: the reward could not score it ({type(err).__name__}: {err})",
                "invalid_ground_truth",
                "ground_truth",
            ) from None

    def record(self, endpoint: str, completions: list[Completion], selection: Selection | None) -> None:
        """Metrics and the drift windows, labelled by endpoint: every served rollout counts, whatever its API."""
        self.metrics.rollouts.labels(endpoint).inc(len(completions))
        for c in completions:
            self.metrics.completion_tokens.labels(endpoint).observe(c.tokens)
        self.drift.observe("completion_length", [c.tokens for c in completions])
        if selection is None:
            return
        scored = [r for r in selection.rewards if r is not None]
        for r in scored:
            self.metrics.reward.labels(endpoint).observe(r)
        self.drift.observe("reward", scored)
