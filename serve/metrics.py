"""Prometheus metrics of one app (its own registry, so several apps in one process never collide)."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
REWARD_BUCKETS = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.1, 1.5, 2.0)
LENGTH_BUCKETS = (1, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
ROW_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


class ServeMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter(
            "serve_requests_total", "HTTP requests by endpoint and status", ["endpoint", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "serve_request_duration_seconds",
            "HTTP request latency",
            ["endpoint", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter("serve_generated_tokens_total", "Completion tokens generated", registry=r)
        self.rollouts = Counter("serve_rollouts_total", "Rollouts (completions) returned", ["endpoint"], registry=r)
        self.rejected = Counter("serve_rejected_total", "Requests refused or abandoned", ["reason"], registry=r)
        self.reward = Histogram(
            "serve_reward",
            "Total reward per rollout (requests with ground truth)",
            ["endpoint"],
            buckets=REWARD_BUCKETS,
            registry=r,
        )
        self.completion_tokens = Histogram(
            "serve_completion_tokens", "Completion length in tokens", ["endpoint"], buckets=LENGTH_BUCKETS, registry=r
        )
        self.first_token = Histogram(
            "serve_time_to_first_token_seconds",
            "Streaming requests: arrival to the first content sent",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_rows = Histogram(
            "serve_batch_rows", "Rows per shared generate call", buckets=ROW_BUCKETS, registry=r
        )
        self.batch_requests = Histogram(
            "serve_batch_requests", "Requests per shared generate call", buckets=ROW_BUCKETS, registry=r
        )
        self.generate_seconds = Histogram(
            "serve_generate_seconds",
            "Model time of one shared generate call (a request's latency minus this is queueing and HTTP)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge("serve_queue_depth", "Requests waiting for a generate call", registry=r)
        self.ready = Gauge("serve_model_ready", "1 once the model is loaded", registry=r)
        self._drift_gauges(r)

    def _drift_gauges(self, r: CollectorRegistry) -> None:
        """Per-signal drift vs the training run's reference (update_drift sets them)."""
        self.drift_psi = Gauge(
            "serve_drift_psi", "Population Stability Index vs the training reference", ["signal"], registry=r
        )
        self.drift_ks = Gauge(
            "serve_drift_ks_statistic", "Two-sample KS statistic vs the training reference", ["signal"], registry=r
        )
        self.drift_ks_p = Gauge(
            "serve_drift_ks_pvalue", "Two-sample KS p-value vs the training reference", ["signal"], registry=r
        )
        self.drift_flag = Gauge(
            "serve_drift_detected", "1 when the signal drifted past its threshold", ["signal"], registry=r
        )
        self.drift_window = Gauge(
            "serve_drift_window_samples", "Served values in the drift window", ["signal"], registry=r
        )

    def update_drift(self, report: dict[str, Any]) -> None:
        nan = float("nan")  # "not computed yet" must not read as "no drift" on a dashboard
        for signal, s in report["signals"].items():
            self.drift_psi.labels(signal).set(nan if s["psi"] is None else s["psi"])
            self.drift_ks.labels(signal).set(nan if s["ks_statistic"] is None else s["ks_statistic"])
            self.drift_ks_p.labels(signal).set(nan if s["ks_pvalue"] is None else s["ks_pvalue"])
            self.drift_flag.labels(signal).set(1.0 if s["drift"] else 0.0)
            self.drift_window.labels(signal).set(s["window_samples"])

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI middleware: count and time every HTTP request by route template (not raw path) and status."""

    def __init__(self, app: Any, metrics: ServeMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            # Unmatched paths share one label: a scanner must not create a time series per URL.
            endpoint = getattr(route, "path", None) or "unmatched"
            code = str(status["code"])
            self.metrics.requests.labels(endpoint, scope.get("method", ""), code).inc()
            self.metrics.latency.labels(endpoint, code).observe(time.perf_counter() - start)
