"""Python executor: runs the model's program in the code reward's sandbox (components/sandbox/runner.py).

Never in the training process: each call is a fresh `python -I -S` under bubblewrap (no host files, no network),
with rlimits, an audit hook and a wall-clock kill. What the program prints is the tool's result.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

from components.sandbox.runner import ISOLATION, run_program
from components.tools.base import ToolError, ToolTimeout

# SIGXCPU then SIGKILL from RLIMIT_CPU: a negative code without bubblewrap, 128 + signal through it.
_CPU_LIMIT_KILLS = {code for sig in (signal.SIGXCPU, signal.SIGKILL) for code in (-sig, 128 + sig)}


class PythonExecutor:
    def __init__(
        self, timeout_s: float = 5.0, memory_mb: int = 512, max_output_chars: int = 2000, isolation: str = "auto"
    ) -> None:
        if isolation not in ISOLATION:
            raise ValueError(f"tools.tools[python].isolation={isolation!r}: choose one of {', '.join(ISOLATION)}")
        if timeout_s <= 0 or memory_mb <= 0 or max_output_chars <= 0:
            raise ValueError("tools.tools[python]: timeout_s, memory_mb and max_output_chars must be > 0")
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
