"""OpenMP wait policy: spin (OpenMP's default) on idle cores, sleep (PASSIVE) when cores are shared."""

from __future__ import annotations

import os

import pytest

from components.runtime import choose_openmp_wait_policy


@pytest.mark.parametrize(
    "environ,load,expected",
    [
        ({}, 0.1, None),  # a quiet machine: OpenMP's default spin-wait is fastest
        ({}, 64.0, "PASSIVE"),  # cores already busy: spinning would be 20-30x slower
        ({"LOCAL_WORLD_SIZE": "2"}, 0.1, "PASSIVE"),  # torchrun / accelerate: several ranks share this host
        ({"OMP_WAIT_POLICY": "ACTIVE"}, 64.0, None),  # the user's choice always wins
    ],
)
def test_policy_follows_how_the_cores_are_shared(monkeypatch, environ, load, expected) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    environ = dict(environ)
    user_value = environ.get("OMP_WAIT_POLICY")
    assert choose_openmp_wait_policy(environ) == expected
    assert environ.get("OMP_WAIT_POLICY") == (expected or user_value)
