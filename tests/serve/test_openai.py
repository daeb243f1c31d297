"""The official `openai` Python client, unchanged, against a real `python -m serve` process on 127.0.0.1 (the
session's tiny-model server from conftest): models, chat with n > 1, completions, stop/seed/max_tokens, streaming,
the verifier extension, errors raising the client's own classes, and concurrent requests through the one batcher."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

openai = pytest.importorskip("openai")

MODEL = "tiny_random"  # the tiny model's source: the default serve.model_name
CHAT = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "What is 2 + 3?"}]


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key="not-needed", max_retries=0, timeout=60)


def test_models_list_and_retrieve(client) -> None:
    (model,) = client.models.list().data
    assert model.id == MODEL and model.object == "model" and model.owned_by
    assert client.models.retrieve(MODEL).id == MODEL
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_chat_with_n_choices_and_usage(client) -> None:
    out = client.chat.completions.create(model=MODEL, messages=CHAT, n=3, temperature=0.9, max_tokens=6)
    assert out.object == "chat.completion" and out.id.startswith("chatcmpl-") and out.model == MODEL
    assert [c.index for c in out.choices] == [0, 1, 2]
    for c in out.choices:
        assert c.message.role == "assistant" and isinstance(c.message.content, str)
        assert c.finish_reason in ("stop", "length")
    assert 0 < out.usage.prompt_tokens and out.usage.completion_tokens <= 18
    assert out.usage.total_tokens == out.usage.prompt_tokens + out.usage.completion_tokens


def test_max_tokens_is_a_hard_budget_reported_as_length(client) -> None:
    out = client.chat.completions.create(model=MODEL, messages=CHAT, temperature=0, max_completion_tokens=3)
    assert out.usage.completion_tokens <= 3
    if out.usage.completion_tokens == 3:
        assert out.choices[0].finish_reason == "length"


def test_completions_raw_prompt_and_stop(client) -> None:
    full = client.completions.create(model=MODEL, prompt="12 + 30 =", temperature=0, max_tokens=12)
    assert full.object == "text_completion" and full.id.startswith("cmpl-")
    text = full.choices[0].text
    assert len(text) >= 4, text
    stop = text[2:4]  # a stop string the greedy completion is known to produce
    cut = client.completions.create(model=MODEL, prompt="12 + 30 =", temperature=0, max_tokens=12, stop=[stop])
    assert cut.choices[0].text == text[: text.find(stop)] and cut.choices[0].finish_reason == "stop"
    assert cut.usage.completion_tokens <= full.usage.completion_tokens


def test_seed_repeats_a_sampled_request(client) -> None:
    def ask(seed: int) -> list[str]:
        out = client.chat.completions.create(
            model=MODEL, messages=CHAT, n=2, temperature=1.0, top_p=0.9, max_tokens=8, seed=seed
        )
        return [c.message.content for c in out.choices]

    first = ask(1234)
    assert ask(1234) == first
    assert ask(99) != first  # 2 x 8 tokens sampled from a 512-token vocabulary: a collision is negligible


def test_streaming_chat_matches_the_plain_answer(client, server) -> None:
    plain = client.chat.completions.create(model=MODEL, messages=CHAT, temperature=0, max_tokens=10)
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=CHAT,
            temperature=0,
            max_tokens=10,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [plain.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == plain.usage.completion_tokens
    # On the wire: server-sent events ending with OpenAI's terminator.
    raw = httpx.post(
        server.url + "/v1/completions",
        json={"model": MODEL, "prompt": "1 +", "max_tokens": 4, "stream": True},
        timeout=60,
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert raw.text.rstrip().endswith("data: [DONE]")


def test_streaming_completions_with_n_and_stop(client) -> None:
    plain = client.completions.create(model=MODEL, prompt="7 * 6 =", temperature=0, max_tokens=12)
    stop = plain.choices[0].text[3:5] or "\n"
    stream = client.completions.create(
        model=MODEL, prompt="7 * 6 =", temperature=0, max_tokens=12, stop=stop, n=2, stream=True
    )
    texts = {0: "", 1: ""}
    finish = {}
    for chunk in stream:
        for c in chunk.choices:
            texts[c.index] += c.text
            if c.finish_reason:
                finish[c.index] = c.finish_reason
    expected = client.completions.create(
        model=MODEL, prompt="7 * 6 =", temperature=0, max_tokens=12, stop=stop
    ).choices[0]
    assert texts == {0: expected.text, 1: expected.text} and finish == {
        0: expected.finish_reason,
        1: expected.finish_reason,
    }


def test_ground_truth_extension_scores_every_choice_and_best_of_ranks(client) -> None:
    out = client.chat.completions.create(
        model=MODEL, messages=CHAT, n=2, max_tokens=8, extra_body={"ground_truth": "5"}
    )
    for c in out.choices:
        assert isinstance(c.reward, float) and set(c.reward_per_function) == {"gsm8k", "format"}
    assert out.verifier["selection"] == "reward" and out.verifier["candidates"] == 2
    best = client.completions.create(
        model=MODEL,
        prompt="What is 2 + 3?",
        n=1,
        max_tokens=8,
        temperature=1.0,
        extra_body={"ground_truth": "5", "best_of": 4},
    )
    assert len(best.choices) == 1 and best.verifier["candidates"] == 4
    assert isinstance(best.choices[0].reward, float) and best.choices[0].reward >= best.verifier["mean_reward"]
    plain = client.chat.completions.create(model=MODEL, messages=CHAT, max_tokens=4)
    assert plain.choices[0].reward is None and plain.verifier is None  # standard requests pay for no scoring


@pytest.mark.parametrize(
    "kwargs,param",
    [
        ({"n": 0}, "n"),
        ({"temperature": 3.5}, "temperature"),
        ({"max_tokens": 10_000}, "max_tokens"),
        ({"presence_penalty": 0.5}, "presence_penalty"),
        ({"logprobs": True}, "logprobs"),
        ({"extra_body": {"colour": "red"}}, "colour"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages.0.role"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ],
)
def test_bad_requests_raise_bad_request_error_naming_the_param(client, kwargs, param) -> None:
    args = {"model": MODEL, "messages": CHAT, **kwargs}
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(**args)
    err = info.value
    assert err.status_code == 400 and err.body["type"] == "invalid_request_error"
    assert err.body["param"] == param and err.body["message"].startswith(param + ":"), err.body


def test_unknown_model_and_malformed_json(client, server) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-4o", messages=CHAT)
    assert info.value.body["code"] == "model_not_found" and info.value.body["param"] == "model"
    r = httpx.post(
        server.url + "/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and set(r.json()["error"]) == {"message", "type", "param", "code"}
    assert httpx.get(server.url + "/v1/nope").json()["error"]["message"] == "Not Found"


def test_concurrent_clients_share_the_batcher_and_the_metrics(client, server) -> None:
    def call(i: int) -> str:
        if i % 3 == 0:
            return (
                client.completions.create(model=MODEL, prompt=f"{i} + {i} =", max_tokens=4 + i % 5)
                .choices[0]
                .finish_reason
            )
        if i % 3 == 1:
            chunks = client.chat.completions.create(model=MODEL, messages=CHAT, max_tokens=5, stream=True, n=1 + i % 2)
            return [c for c in chunks if c.choices and c.choices[0].finish_reason][-1].choices[0].finish_reason
        return httpx.post(
            server.url + "/generate", json={"prompt": "What is 1 + 1?", "max_new_tokens": 4}, timeout=60
        ).json()["model"]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, range(32)))
    assert all(r in ("stop", "length", MODEL) for r in results), results
    text = httpx.get(server.url + "/metrics").text
    for line in (
        'serve_requests_total{endpoint="/v1/chat/completions",method="POST",status="200"}',
        'serve_rollouts_total{endpoint="/v1/completions"}',
        'serve_rollouts_total{endpoint="/generate"}',
        'serve_completion_tokens_count{endpoint="/v1/chat/completions"}',
        'serve_time_to_first_token_seconds_count{endpoint="/v1/chat/completions"}',
        'serve_reward_count{endpoint="/v1/chat/completions"}',
    ):
        assert line in text, line
