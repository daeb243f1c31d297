"""Code reward: run the completion against the row's tests in the sandbox (never in-process).

Rows: HumanEval (``code_prompt`` or a string ``prompt`` = the stub, ``test``, ``entry_point``)
or MBPP (``test_list`` [+ ``test_setup_code``]). A completion may be a function body that
continues the stub, or text with a fenced code block holding the whole function.
Programs run on a thread pool of ``workers``; each thread only waits on its own sandbox process.
Isolation: bubblewrap when it works here (components/sandbox/: runner.py, isolation.py); ``require_isolation=True``
refuses to score without it, already when the reward is built (an empty-batch call).
"""

from __future__ import annotations

import functools
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

from components.bounds import Ge, Gt
from components.reward.base import (
    CORRECT,
    NOT_APPLICABLE,
    UNPARSEABLE,
    WRONG,
    Verdict,
    column,
    completion_text,
    register_reward,
    verdict_reward,
)
from components.sandbox.runner import ISOLATION, run_program
from components.sandbox.runner import require_isolation as check_isolation

_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)


def extract_code(text: str, entry_point: str | None = None) -> str:
    """The code in a completion: the fenced block defining ``entry_point`` (else the longest
    block), or the raw text when there is no fence.

    >>> extract_code("Here:\\n```python\\ndef f(x):\\n    return x\\n```\\nDone.")
    'def f(x):\\n    return x\\n'
    """
    blocks = _FENCE.findall(text)
    if not blocks:
        return text
    if entry_point:
        for block in blocks:
            if re.search(rf"^def\s+{re.escape(entry_point)}\s*\(", block, re.MULTILINE):
                return block
    return max(blocks, key=len)


def _compiles(source: str) -> bool:
    try:
        compile(source, "<stub>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def runnable_stub(stub: str) -> str:
    """The stub as code that runs on its own, to precede a completion that is a whole function.

    A stub that is a bare signature (``def f(x):`` with no docstring or body) is not valid Python on its
    own; it gets a ``pass`` body, so the completion's own ``def f`` replaces it and the stub's imports and
    helpers still run. A stub that cannot be mended is dropped (the completion stands alone).

    >>> runnable_stub("import math\\ndef f(x):\\n")
    'import math\\ndef f(x):\\n    pass\\n'
    """
    if _compiles(stub):
        return stub
    mended = stub.rstrip() + "\n    pass\n"
    return mended if _compiles(mended) else ""


def build_program(completion: str, row: dict) -> str | None:
    """Solution + tests as one program, or None when the row has no tests we know."""
    entry_point, test = row.get("entry_point"), row.get("test")
    stub = row.get("code_prompt") or (row["prompt"] if isinstance(row.get("prompt"), str) else "")
    if test and entry_point:
        code = extract_code(completion, entry_point)
        if re.search(rf"^def\s+{re.escape(entry_point)}\s*\(", code, re.MULTILINE):
            # whole function: redefines the stub, keeps its imports/helpers
            solution = f"{runnable_stub(stub)}\n{code}"
        else:
            solution = stub + code  # a body continuing the stub's signature + docstring
        return f"{solution}\n\n{test}\n\ncheck({entry_point})\n"
    tests = row.get("test_list")
    if tests:
        setup = row.get("test_setup_code") or ""
        return f"{setup}\n{extract_code(completion)}\n\n" + "\n".join(tests) + "\n"
    return None


@register_reward("code", correctness=True, full_marks="correct_reward")
@verdict_reward
def code(
    completions,
    code_prompt=None,
    prompt=None,
    test=None,
    entry_point=None,
    test_list=None,
    test_setup_code=None,
    *,
    timeout_s: Annotated[float, Gt(0)] = 10.0,
    memory_mb: Annotated[int, Ge(64)] = 1024,
    max_output_bytes: Annotated[int, Ge(1024)] = 65536,
    workers: Annotated[int, Ge(1)] = 2,
    scratch_mb: Annotated[int, Ge(1)] = 16,
    require_isolation: bool = False,
    isolation: str = "auto",
    correct_reward: float = 1.0,
    **_,
) -> list[Verdict]:
    """``correct_reward`` when every test ran to completion in the sandbox, else 0.

    ``isolation="off"`` skips bubblewrap on purpose: only to measure what it costs (bench).

    >>> code(["    return a + b\\n", "    return a - b\\n"], code_prompt="def add(a, b):\\n",
    ...      test="def check(f):\\n    assert f(2, 3) == 5\\n", entry_point="add")
    [1.0, 0.0]
    """
    _check_isolation(require_isolation, isolation)
    mode = "required" if require_isolation else isolation
    if mode == "required":
        check_isolation()  # at build time too: a run that cannot isolate stops before training
    columns = {
        "code_prompt": code_prompt,
        "prompt": prompt,
        "test": test,
        "entry_point": entry_point,
        "test_list": test_list,
        "test_setup_code": test_setup_code,
    }
    verdicts, programs = _programs(completions, columns)
    limits = {"timeout_s": timeout_s, "memory_mb": memory_mb, "max_output_bytes": max_output_bytes}
    run = functools.partial(run_program, **limits, scratch_mb=scratch_mb, isolation=mode)
    if programs:
        with ThreadPoolExecutor(max_workers=min(workers, len(programs))) as pool:
            results = list(pool.map(run, [p for _, p in programs]))
        for (i, _p), res in zip(programs, results):
            status = CORRECT if res.passed else UNPARSEABLE if res.status == "syntax_error" else WRONG
            verdicts[i] = Verdict(correct_reward if res.passed else 0.0, status)
    return verdicts


def _check_isolation(require_isolation: bool, isolation: str) -> None:
    # the limits' ranges are bounds on `code`'s params; a name from a set and a rule across two params stay here
    if isolation not in ISOLATION or (require_isolation and isolation == "off"):
        raise ValueError(
            f"code: isolation={isolation!r} with require_isolation={require_isolation}; "
            f"choose one of {', '.join(ISOLATION)} (not 'off' when isolation is required)"
        )


def _programs(completions, columns: dict) -> tuple[list[Verdict | None], list[tuple[int, str]]]:
    """Per completion: a verdict already known (no tests, empty text) or None; and the (index, program) to run."""
    programs, verdicts = [], []
    for i, completion in enumerate(completions):
        row = {key: column(values, i) for key, values in columns.items()}
        text = completion_text(completion)
        program = build_program(text, row)
        verdicts.append(None if program else Verdict(None, NOT_APPLICABLE))
        if program and not text.strip():
            verdicts[-1] = Verdict(0.0, UNPARSEABLE)
        elif program:
            programs.append((i, program))
    return verdicts, programs
