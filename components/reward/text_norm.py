"""Text normalisation shared by exact_match, f1 and classification (SQuAD conventions)."""

from __future__ import annotations

import re
import string
import unicodedata

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.IGNORECASE)
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize(
    text: str,
    *,
    lowercase: bool = True,
    strip_punctuation: bool = True,
    remove_articles: bool = True,
    collapse_whitespace: bool = True,
) -> str:
    """SQuAD-style answer normalisation, each step switchable.

    >>> normalize("  The Eiffel-Tower! ")
    'eiffeltower'
    """
    text = unicodedata.normalize("NFKC", text)
    if lowercase:
        text = text.lower()
    if strip_punctuation:
        text = text.translate(_PUNCT)
    if remove_articles:
        text = _ARTICLES.sub(" ", text)
    if collapse_whitespace:
        text = " ".join(text.split())
    return text.strip()


def final_answer_text(text: str, tag: str | None) -> str | None:
    """The answer span: inside the last ``<tag>...</tag>`` when ``tag`` is set, else the whole text."""
    if not tag:
        return text
    found = re.findall(rf"<{re.escape(tag)}>(.*?)</{re.escape(tag)}>", text, re.DOTALL)
    return found[-1] if found else None


def first_text_line(text: str) -> str:
    """The first non-empty line: a short answer followed by an explanation is graded on the answer
    (lm-evaluation-harness's NQ-open task also stops generation at the first newline).

    >>> first_text_line("\\n Paris \\nIt is the capital.")
    ' Paris '
    """
    return next((line for line in text.splitlines() if line.strip()), "")
