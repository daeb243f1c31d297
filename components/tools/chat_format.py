"""How tool calls look in the model's chat template, and how TRL / transformers parse them back.

A tool call is rendered and parsed in the Hermes style that Qwen2.5/3 and TRL's `qwen3_template` use:
`<tool_call>{"name": ..., "arguments": {...}}</tool_call>` inside the assistant turn, the result in a `tool` turn.

- `model`: the model's own chat template, when it can render a tool conversation (TRL's `supports_tool_calling`)
  and TRL knows how to parse its replies (`add_response_schema`: Qwen2.5/3, Llama 3.1/3.2, GLM-4, gpt-oss, ...).
- `chatml`: SmolLM2's template (ChatML: `<|im_start|>role\\n ... <|im_end|>`) cannot render tool calls: it prints
  only `content` and drops `tool_calls`, and TRL has no parser for it. This format keeps SmolLM2's turn markers
  and adds the Hermes tool-call block, a compact tool list in the system turn and a `tool` turn.
- `role_tags`: the same on the tiny test model's markers (`<|role|> ... <|eos|>`).
- `auto`: `model` when TRL supports the model's template, else `chatml` when the vocabulary has `<|im_start|>`,
  else `role_tags` when it has `<|assistant|>`.

Written by hand because neither TRL nor transformers ships a tool-capable template for these two models; the
parser itself is transformers' `parse_response` driven by a `response_template` dict, like TRL's own.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

log = logging.getLogger(__name__)

FORMATS = ("auto", "model", "chatml", "role_tags")
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"

# The tool list is compact on purpose (one line per tool: name(args): description) rather than the JSON schemas
# Qwen's template prints: a 135M model reads a short list better and every prompt token costs CPU time per step.
_TOOL_LIST = (  # transformers renders with trim_blocks, so every newline is an explicit {{ '\n' }}
    "{%- if messages and messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}{{ '\\n\\n' }}{% endif %}"
    "You can call these tools:"
    "{%- for t in tools %}{% set f = t['function'] if 'function' in t else t %}"
    "{{ '\\n- ' }}{{ f['name'] }}({{ (f['parameters']['properties'] | list) | join(', ') }}): {{ f['description'] }}"
    "{%- endfor %}{{ '\\n' }}"
    "To call a tool, reply with "
    + CALL_OPEN
    + '{"name": "<tool>", "arguments": {<args>}}'
    + CALL_CLOSE
    + ". The result comes back in a tool turn; then give the final answer."
)


def _template(open_: str, close: str) -> str:
    """A prefix-preserving chat template; `open_` holds `ROLE` where the role name goes."""
    head = open_.replace("ROLE", "' + ROLE + '")
    turn = "{{ '" + head + "' }}"
    return (
        "{%- set sys = messages and messages[0]['role'] == 'system' %}"
        "{%- if tools %}" + turn.replace("ROLE", "'system'") + _TOOL_LIST + "{{ '" + close + "' }}"
        "{%- elif sys %}" + turn.replace("ROLE", "'system'") + "{{ messages[0]['content'] }}{{ '" + close + "' }}"
        "{%- endif %}"
        "{%- for m in messages %}{%- if not (loop.first and sys) %}"
        + turn.replace("ROLE", "m['role']")
        + "{{ m['content'] if m['content'] is string else '' }}"
        "{%- for c in m.get('tool_calls') or [] %}{% set f = c['function'] if 'function' in c else c %}"
        "{{ '"
        + CALL_OPEN
        + "' }}{{ {'name': f['name'], 'arguments': f['arguments']} | tojson }}{{ '"
        + CALL_CLOSE
        + "' }}"
        "{%- endfor %}{{ '" + close + "' }}"
        "{%- endif %}{%- endfor %}"
        "{%- if add_generation_prompt %}" + turn.replace("ROLE", "'assistant'") + "{%- endif %}"
    )


def _response_template(assistant_open: str, close_pattern: str) -> dict[str, Any]:
    """transformers' response_template (the shape of TRL's qwen3_template, without the reasoning field)."""
    return {
        "defaults": {"role": "assistant"},
        "start_anchor": assistant_open,
        "fields": {
            "tool_calls": {
                "open": CALL_OPEN,
                "close_pattern": r"</tool_call>\s*",
                "repeats": True,
                "content": "json",
                "transform": {"type": "function", "function": "{content}"},
            },
            "content": {"close_pattern": close_pattern, "content": "text"},
        },
    }


_FORMATS = {  # name: (chat template, response template, the token that must be in the vocabulary)
    "chatml": (
        _template("<|im_start|>ROLE\\n", "<|im_end|>\\n"),
        _response_template("<|im_start|>assistant\n", r"<\|im_end\|>\s*"),
        "<|im_start|>",
    ),
    "role_tags": (
        _template("<|ROLE|>", "<|eos|>"),
        _response_template("<|assistant|>", r"<\|eos\|>\s*"),
        "<|assistant|>",
    ),
}


def _model_format_works(tokenizer: Any) -> bool:
    from trl.chat_template_utils import add_response_schema, supports_tool_calling

    if not tokenizer.chat_template or not supports_tool_calling(tokenizer):
        return False
    if getattr(tokenizer, "response_template", None) or getattr(tokenizer, "response_schema", None):
        return True
    try:
        add_response_schema(tokenizer)  # sets the parser TRL knows for this template
    except ValueError:
        return False
    return True


def resolve_format(tokenizer: Any, chat_format: str) -> str:
    if chat_format not in FORMATS:
        raise ValueError(f"tools.chat_format={chat_format!r}: choose one of {', '.join(FORMATS)}")
    if chat_format == "model":
        if not _model_format_works(tokenizer):
            raise ValueError(
                "tools.chat_format=model: this model's chat template cannot render tool calls or TRL "
                "has no parser for it; use chatml or role_tags (or auto)"
            )
        return "model"
    if chat_format == "auto":
        if _model_format_works(tokenizer):
            return "model"
        vocab = tokenizer.get_vocab()
        found = next((name for name, (_, _, token) in _FORMATS.items() if token in vocab), None)
        if found is None:
            raise ValueError(
                "tools.chat_format=auto: the model's template cannot render tool calls and its vocabulary "
                "has neither <|im_start|> nor <|assistant|>; set tools.chat_format explicitly"
            )
        return found
    return chat_format


def install(tokenizer: Any, chat_format: str) -> str:
    """Give the tokenizer a tool-capable chat template and a response parser; returns the format used.

    Idempotent (the evaluator, the trainer and the server each call it). The saved tokenizer keeps both, so a
    served run renders and parses tool calls exactly as it was trained.
    """
    if getattr(tokenizer, "_rlvr_tool_format", None):
        return tokenizer._rlvr_tool_format
    used = resolve_format(tokenizer, chat_format)
    if used != "model":
        template, response, _ = _FORMATS[used]
        tokenizer.chat_template = template
        tokenizer.response_template = copy.deepcopy(response)
    log.info("tools: chat format %s (requested %s)", used, chat_format)
    tokenizer._rlvr_tool_format = used
    return used
