"""The Python tool runs in the code reward's sandbox: output comes back, limits hold, the host stays hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.sandbox import isolation
from components.sandbox.runner import _CHILD
from components.tools.base import ToolError, ToolTimeout
from components.tools.python_exec import PythonExecutor
from components.tools.toolset import ToolSet


def test_prints_come_back():
    assert PythonExecutor().run("print(6 * 7)") == "42"


def test_timeout_is_a_tool_timeout_and_the_program_is_killed():
    with pytest.raises(ToolTimeout, match="^timeout"):
        PythonExecutor(timeout_s=1).run("while True: pass")


def test_errors_are_tool_errors_with_the_traceback_tail():
    with pytest.raises(ToolError, match="ZeroDivisionError"):
        PythonExecutor().run("1 / 0")


def test_host_files_are_not_readable():
    found = isolation.checked_probe(_CHILD, "")
    if found.flags is None:
        pytest.skip(f"bubblewrap unusable here: {found.reason}")
    secret = Path(__file__).resolve()  # a host file the program must not see
    with pytest.raises(ToolError):
        PythonExecutor(isolation="required").run(f"print(open({str(secret)!r}).read())")


def test_a_failing_call_in_the_toolset_is_an_error_result_never_a_raise():
    tools = ToolSet({"python": PythonExecutor(timeout_s=1)})
    result = tools.call("python", {"code": "while True: pass"})
    assert result.startswith("{'error': 'timeout")
    assert tools.call("nope", {}).startswith("{'error': 'Tool nope not found.")
    assert tools.call("python", {"source": "1"}).startswith("{'error':")  # wrong argument name
    assert tools.call("python", "print(1)").startswith("{'error':")  # arguments not a JSON object
