"""An example custom reward, for ``function: components.reward.custom_example.brevity``.

Any importable callable with TRL's signature works there; ``@register_reward("name")`` on a function in
a module of components/reward/ makes it usable as ``name: ...`` instead (found by discovery.py, no list to edit).
Keyword-only parameters are its params, settable from the YAML.
"""

from __future__ import annotations

from components.reward.base import completion_text


def brevity(completions, *, max_words: int = 50, **_) -> list[float]:
    """1.0 at or under ``max_words`` words, falling linearly to 0 at twice that.

    >>> brevity(["one two", "a " * 75], max_words=50)
    [1.0, 0.5]
    """
    out = []
    for completion in completions:
        n = len(completion_text(completion).split())
        out.append(max(0.0, min(1.0, 2.0 - n / max_words)))
    return out
