"""What TRL's multi-turn loop takes from a tool set or an environment set, set up once for both.

GRPOTrainer runs the episodes itself (`tools=` or `environment_factory=`, `max_tool_calling_iterations`); a
provider (components/tools/base.py ToolProvider, components/environments/base.py EnvironmentProvider) says which
trainer arguments it fills (`trainer_arguments()`), and this module checks the prompts, installs the provider's chat
template and sets the turn limit. The per-rollout metrics stay in their mixins (tool_metrics.py,
environment_metrics.py).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def trainer_multi_turn(
    provider: Any, args: Any, tokenizer: Any, train_dataset: Any, what: str, key: str
) -> dict[str, Any]:
    """Keyword arguments for GRPOTrainer (`{}` when the provider is off); sets TRL's turn limit on `args`.

    what: the provider's name in messages ("tools", "environments"); key: its turn-limit key (`tools.max_turns`)."""
    if provider is None or not provider.enabled:
        return {}
    set_turn_limit(provider, args, tokenizer, train_dataset, what=what, key=key)
    arguments = provider.trainer_arguments()
    log.info(
        "%s: up to %d turns per episode (TRL's multi-turn loop, %s=)", what, provider.max_turns, ", ".join(arguments)
    )
    return arguments


def set_turn_limit(provider: Any, args: Any, tokenizer: Any, train_dataset: Any, what: str, key: str) -> None:
    """What TRL's multi-turn loop needs from a tool set or an environment set: chat prompts, the provider's chat
    template on the tokenizer, and its turn limit as `max_tool_calling_iterations` (a user's own value is replaced)."""
    if isinstance(train_dataset[0]["prompt"], str):
        raise ValueError(f"{what} need chat prompts (TRL's tool loop works on messages): set prompts.chat=true")
    provider.prepare(tokenizer)
    if args.max_tool_calling_iterations not in (None, provider.max_tool_calling_iterations):
        log.warning(
            "train.max_tool_calling_iterations=%s is replaced by %s=%s (= %s rounds of calls)",
            args.max_tool_calling_iterations,
            key,
            provider.max_turns,
            provider.max_tool_calling_iterations,
        )
    args.max_tool_calling_iterations = provider.max_tool_calling_iterations
