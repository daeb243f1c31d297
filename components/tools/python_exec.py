"""Python executor: runs the model's program in the code reward's sandbox (components/sandbox/runner.py).

Never in the training process: each call is a fresh `python -I -S` under bubblewrap (no host files, no network),
with rlimits, an audit hook and a wall-clock kill. What the program prints is the tool's result.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Annotated

from components.bounds import Ge, Gt, checked
from components.sandbox.runner import ISOLATION, run_program
from components.tools.base import ToolError, ToolTimeout

# SIGXCPU then SIGKILL from RLIMIT_CPU: a negative code without bubblewrap, 128 + signal through it.
_CPU_LIMIT_KILLS = {code for sig in (signal.SIGXCPU, signal.SIGKILL) for code in (-sig, 128 + sig)}


class PythonExecutor:
    @checked("tools.tools.python")
    def __init__(
        self,
        timeout_s: Annotated[float, Gt(0)] = 5.0,
        memory_mb: Annotated[int, Ge(1)] = 512,
        max_output_chars: Annotated[int, Ge(1)] = 2000,
        isolation: str = "auto",
    ) -> None:
        if isolation not in ISOLATION:
            raise ValueError(f"tools.tools[python].isolation={isolation!r}: choose one of {', '.join(ISOLATION)}")
        self.timeout_s, self.memory_mb, self.max_output_chars, self.isolation = (
            timeout_s,
            memory_mb,
            max_output_chars,
            isolation,
        )

    def run(self, code: str) -> str:
        result = run_program(
            str(code),
            timeout_s=self.timeout_s,
            memory_mb=self.memory_mb,
            max_output_bytes=4 * self.max_output_chars + 4096,
            isolation=self.isolation,
        )
        # The sandbox prints a nonce after the program's last line (shown as <nonce>); it is not the program's output.
        output = result.output.rstrip("\n").removesuffix("<nonce>").rstrip("\n")
        if result.status == "timeout":
            raise ToolTimeout(f"timeout: the program ran past {self.timeout_s:g}s and was killed")
        if result.returncode in _CPU_LIMIT_KILLS:  # the child's CPU-time rlimit fired before the wall clock did
            raise ToolTimeout(f"timeout: the program used up its CPU time ({self.timeout_s:g}s) and was killed")
        if not result.passed:
            raise ToolError(f"{result.status}: {output[-self.max_output_chars :]}")
        return output[-self.max_output_chars :]

    def function(self) -> Callable[[str], str]:
        run = self.run

        def python(code: str) -> str:
            """Run a Python program in a sandbox and return what it prints.

            Args:
                code: The Python source; use print() to show results.
            """
            return run(code)

        return python
