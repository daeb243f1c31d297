"""lm-eval's HFLM, also counting each completion's tokens: lm-eval hands back text only, and re-tokenizing a
decoded text does not give the generated count back (special or undecodable tokens decode to nothing), while
truncation_rate, the figure that says whether an accuracy is an artefact of the budget, needs the real count.

Imported only by components/evaluation/lm_eval_harness.py once lm-eval is known to be installed.
"""

from __future__ import annotations

from typing import Any

from lm_eval.models.huggingface import HFLM


class CountingHFLM(HFLM):
    """`counts[context]` = (completion tokens up to the first end/pad token, whether the budget cut it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.counts: dict[str, tuple[int, bool]] = {}
        self._pending: list[tuple[int, bool]] = []  # rows generated, not yet paired with their context
        self.cache_hook = _PairWithContext(self)  # generate_until reports each row's context in generation order

    def _model_generate(self, context: Any, max_length: int, stop: list[str], **generation_kwargs: Any) -> Any:
        out = super()._model_generate(context, max_length, stop, **generation_kwargs)
        budget = max_length - context.shape[1]
        ends = {self.tokenizer.eos_token_id, self.tokenizer.pad_token_id}  # as the project's generate() counts
        for row in out[:, context.shape[1] :].tolist():
            n = next((j for j, token in enumerate(row) if token in ends), len(row))
            self._pending.append((n, n >= budget))
        return out


class _PairWithContext:
    """Stands in for lm-eval's cache hook, which generate_until calls once per row, in the order generated."""

    def __init__(self, lm: CountingHFLM) -> None:
        self.lm = lm

    def add_partial(self, attr: str, request: Any, result: Any) -> None:
        if attr == "generate_until" and self.lm._pending:
            self.lm.counts[request[0]] = self.lm._pending.pop(0)
