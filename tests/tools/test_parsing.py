"""Tool calls in SmolLM2's (ChatML) and the tiny model's chat formats: rendered, parsed back, malformed ones kept
as text and counted."""

from __future__ import annotations

import copy

import pytest

from components.model.tiny_random import build_tokenizer
from components.tools.calculator import Calculator
from components.tools.chat_format import install, resolve_format
from components.tools.rollout import parse_turn
from components.tools.trajectory import trajectory_stats

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def chatml_tokenizer():
    """The tiny tokenizer with ChatML's markers and SmolLM2's template (its tool-less ChatML)."""
    tokenizer = copy.deepcopy(build_tokenizer(512))
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tokenizer.eos_token = "<|im_end|>"
    tokenizer.chat_template = CHATML
    return tokenizer


@pytest.fixture(params=["chatml", "role_tags"])
def tokenizer(request):
    tokenizer = chatml_tokenizer() if request.param == "chatml" else copy.deepcopy(build_tokenizer(512))
    assert install(tokenizer, "auto") == request.param
    return tokenizer


TOOLS = [Calculator().function()]
PROMPT = [{"role": "system", "content": "Be exact."}, {"role": "user", "content": "What is 12 * 34?"}]


def parse(tokenizer, text):
    rendered = tokenizer.apply_chat_template(PROMPT, tools=TOOLS, tokenize=False, add_generation_prompt=True)
    return parse_turn(tokenizer, text, rendered, TOOLS)


def test_prompt_lists_the_tool_and_trl_accepts_the_template(tokenizer):
    from trl.chat_template_utils import is_chat_template_prefix_preserving, supports_tool_calling

    rendered = tokenizer.apply_chat_template(PROMPT, tools=TOOLS, tokenize=False, add_generation_prompt=True)
    assert "- calculator(expression):" in rendered and "Be exact." in rendered
    assert supports_tool_calling(tokenizer) and is_chat_template_prefix_preserving(tokenizer)


def test_a_call_parses_into_tool_calls(tokenizer):
    message = parse(
        tokenizer, 'Let me check. <tool_call>{"name": "calculator", "arguments": {"expression": "12*34"}}</tool_call>'
    )
    assert message["tool_calls"][0]["function"] == {"name": "calculator", "arguments": {"expression": "12*34"}}
    assert trajectory_stats([message]).tool_calls == 1


def test_plain_answer_has_no_tool_calls(tokenizer):
    message = parse(tokenizer, "12 * 34 = 408")
    assert message["content"] == "12 * 34 = 408" and not message.get("tool_calls")


@pytest.mark.parametrize(
    "text",
    [
        '<tool_call>{"name": "calculator", "arguments": {"expression": "12*34"</tool_call>',  # broken JSON
        '<tool_call>{"name": "calcul',  # cut off
        '<tool_call>{"arguments": {"expression": "1"}}</tool_call>',  # no name
    ],
)
def test_malformed_calls_stay_text_and_are_counted(tokenizer, text):
    message = parse(tokenizer, text)
    assert not message.get("tool_calls")
    stats = trajectory_stats([message])
    assert stats.malformed == 1 and stats.tool_calls == 0


def test_tool_turns_render_and_the_next_turn_opens(tokenizer):
    call = {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"type": "function", "function": {"name": "calculator", "arguments": {"expression": "12*34"}}}],
    }
    messages = [*PROMPT, call, {"role": "tool", "name": "calculator", "content": "408"}]
    rendered = tokenizer.apply_chat_template(messages, tools=TOOLS, tokenize=False, add_generation_prompt=True)
    assert '<tool_call>{"name": "calculator", "arguments": {"expression": "12*34"}}</tool_call>' in rendered
    assert "408" in rendered and rendered.rstrip().endswith(("assistant", "<|assistant|>"))


def test_unknown_format_and_model_format_without_support_are_refused():
    with pytest.raises(ValueError, match="chat_format"):
        resolve_format(chatml_tokenizer(), "hermes")
    with pytest.raises(ValueError, match="chat_format=model"):
        resolve_format(chatml_tokenizer(), "model")  # plain ChatML drops tool_calls
