"""The fast loop's sorting (tests/conftest.py): a test that starts a process, itself or through a test helper it
calls, is `e2e` and left to `make test`; one that only calls in-process code stays in `make test-fast`."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

from tests.conftest import _starts_a_process


def _launches_a_child() -> None:
    subprocess.run([sys.executable, "-c", "pass"], check=True)  # never called: only its source is read


def _calls_the_launcher() -> None:
    _launches_a_child()


class _ChildServer:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", "pass"])  # never called


def _in_process_only() -> int:
    return sum(range(3))


def _item(function) -> SimpleNamespace:
    return SimpleNamespace(function=function, _fixtureinfo=None)


def _test_through_two_helpers() -> None:
    _calls_the_launcher()


def _test_through_a_class() -> None:
    _ChildServer()


def _test_in_process() -> None:
    assert _in_process_only() == 3


def test_a_process_started_through_helpers_or_a_class_makes_the_test_e2e() -> None:
    assert _starts_a_process(_item(_test_through_two_helpers))
    assert _starts_a_process(_item(_test_through_a_class))


def test_in_process_code_stays_in_the_fast_loop() -> None:
    assert not _starts_a_process(_item(_test_in_process))
    assert not _starts_a_process(_item(_in_process_only))
