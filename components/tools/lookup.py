"""Lookup: BM25 search over a local JSONL corpus of passages (one JSON object per line).

BM25 rather than plain token overlap: it discounts words that occur in many passages ("the", "of") and long
passages that match by sheer length, which is what makes the top hit the passage about the query's rare words.
Written here (about 30 lines) because no BM25 package is in the lock and the corpus fits in memory.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Annotated

from components.bounds import Ge, checked
from components.paths import command_path
from components.tools.base import ToolError

_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class CorpusLookup:
    @checked("tools.tools.lookup")
    def __init__(
        self,
        corpus: str,
        text_field: str = "text",
        title_field: str | None = "title",
        top_k: Annotated[int, Ge(1)] = 1,
        max_passage_chars: Annotated[int, Ge(1)] = 600,
        k1: float = 1.5,
        b: float = 0.75,
    ) -> None:
        path = command_path(corpus)  # relative paths are relative to where the command was run
        if not path.is_file():
            raise ValueError(f"tools.tools[lookup].corpus={corpus}: no such file")
        self.passages: list[str] = []
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if text_field not in row:
                    raise ValueError(f"tools.tools[lookup].text_field={text_field!r}: missing in {path} line {number}")
                title = row.get(title_field) if title_field else None
                self.passages.append(f"{title}: {row[text_field]}" if title else str(row[text_field]))
        if not self.passages:
            raise ValueError(f"tools.tools[lookup].corpus={corpus}: no passages")
        self.top_k, self.max_passage_chars, self.k1, self.b = top_k, max_passage_chars, k1, b
        self._counts = [Counter(tokens(p)) for p in self.passages]
        self._lengths = [sum(c.values()) for c in self._counts]
        self._mean_length = sum(self._lengths) / len(self._lengths)
        df = Counter(word for counts in self._counts for word in counts)
        n = len(self.passages)
        self._idf = {word: math.log(1 + (n - f + 0.5) / (f + 0.5)) for word, f in df.items()}

    def scores(self, query: str) -> list[float]:
        words = [w for w in tokens(query) if w in self._idf]
        out = []
        for counts, length in zip(self._counts, self._lengths):
            norm = self.k1 * (1 - self.b + self.b * length / self._mean_length)
            out.append(sum(self._idf[w] * counts[w] * (self.k1 + 1) / (counts[w] + norm) for w in words if w in counts))
        return out

    def search(self, query: str) -> str:
        scores = self.scores(str(query))
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[: self.top_k]
        hits = [self.passages[i][: self.max_passage_chars] for i in ranked if scores[i] > 0]
        if not hits:
            raise ToolError(f"no passage matches {query!r}")
        return "\n\n".join(hits)

    def function(self) -> Callable[[str], str]:
        search = self.search

        def lookup(query: str) -> str:
            """Search a local collection of passages and return the best match.

            Args:
                query: Keywords to search for.
            """
            return search(query)

        return lookup
