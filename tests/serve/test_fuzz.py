"""Property-based fuzzing of the live server's OpenAPI schema (schemathesis): valid (positive) and invalid
(negative) inputs alike must never produce a 5xx, and responses must match the documented codes and schemas.

schemathesis' pytest plugin (`from_fixture`) does not run under pytest 9, so each operation's strategy is
driven by hypothesis directly; max_examples bounds the fuzz (~50 per operation and mode).
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = {
    GenerationMode.POSITIVE: [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ],
    # Invalid input must be refused with a documented 4xx, never a 5xx.
    GenerationMode.NEGATIVE: [not_a_server_error, status_code_conformance, content_type_conformance],
}


@pytest.fixture(scope="module")
def operations(server):
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    return {op.label: op for op in (result.ok() for result in schema.get_all_operations())}


MODEL = "tiny_random"  # the served model id (serve.model_name defaults to the model's source)
POSTS = ["POST /generate", "POST /v1/chat/completions", "POST /v1/completions"]
ENDPOINTS = [
    *POSTS,
    "GET /health",
    "GET /ready",
    "GET /metrics",
    "GET /monitoring/drift",
    "GET /v1/models",
    "GET /v1/models/{model_id}",
]
CASES = [(label, GenerationMode.POSITIVE) for label in ENDPOINTS] + [
    (label, GenerationMode.NEGATIVE) for label in POSTS
]


def test_schema_lists_every_endpoint(operations) -> None:
    assert set(operations) == set(ENDPOINTS)


@pytest.mark.parametrize("label,mode", CASES, ids=[f"{label}-{mode.value}" for label, mode in CASES])
def test_fuzz_no_server_errors(operations, server, label, mode) -> None:
    operation = operations[label]
    statuses = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=50,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case) -> None:
        if mode is GenerationMode.POSITIVE and label.startswith("POST /v1") and isinstance(case.body, dict):
            # A random model id is a 404 (tested on its own); naming the served one lets the fuzz reach generation.
            case.body["model"] = MODEL
        response = case.call(base_url=server.url, timeout=30)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS[mode])

    fuzz()
    assert statuses and max(statuses) < 500
    if label in POSTS:
        assert len(statuses) >= 25  # the fuzz really explored the body (hypothesis stops early on input-less GETs)
    if mode is GenerationMode.NEGATIVE:
        assert all(400 <= s < 500 for s in statuses), sorted(set(statuses))
