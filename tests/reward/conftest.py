"""Fixtures shared by the sandbox tests."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture(scope="module")
def listener():
    """A listening socket on loopback: sandboxed programs must not be able to reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    yield server
    server.close()
