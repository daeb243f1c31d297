"""The engine with the real tiny model: per-row budgets, temperatures and cancellation in one generate call,
and loading a finished run's adapter merged into its base model."""

from __future__ import annotations

import time

import pytest
import torch
from omegaconf import OmegaConf

from serve.config import build_components, settings_from
from serve.engine import Engine, Job, RowTemperature
from tests.conftest import compose


@pytest.fixture(scope="module")
def engine() -> Engine:
    cfg = compose(["model_component=tiny_random"], config_name="serve")
    eng = Engine(build_components(cfg, settings_from(cfg.serve)).model_component)
    eng.load()
    return eng


def job(engine: Engine, text: str, k: int, temperature: float, budget: int) -> Job:
    rendered, _ = engine.render([{"role": "user", "content": text}])
    return Job(rendered, k, temperature, budget, time.monotonic() + 60)


def test_row_temperature_makes_zero_rows_greedy() -> None:
    scores = torch.tensor([[1.0, 3.0, 2.0], [1.0, 3.0, 2.0]])
    out = RowTemperature(torch.tensor([0.0, 2.0]))(None, scores)
    assert out[0].tolist() == [float("-inf"), 0.0, float("-inf")]  # only the argmax can be sampled
    assert out[1].tolist() == [0.5, 1.5, 1.0]


def test_one_call_serves_requests_with_different_settings(engine: Engine) -> None:
    jobs = [job(engine, "What is 1 + 1?", 2, 0.0, 3), job(engine, "A much longer question about 12 * 7?", 3, 1.2, 9)]
    stats = engine.generate(jobs)
    assert stats.rows == 5 and stats.requests == 2 and [len(c) for c in stats.per_job] == [2, 3]
    assert all(c.tokens <= 3 for c in stats.per_job[0]) and all(c.tokens <= 9 for c in stats.per_job[1])
    assert stats.per_job[0][0].text == stats.per_job[0][1].text  # greedy rows agree
    alone = engine.generate([jobs[0]]).per_job[0][0]
    assert alone.text == stats.per_job[0][0].text  # batching (padding, neighbours) does not change greedy output


def test_cancelled_rows_stop_at_once(engine: Engine) -> None:
    cancelled = job(engine, "What is 2 + 2?", 2, 0.7, 200)
    cancelled.cancelled = True
    stats = engine.generate([cancelled, job(engine, "What is 3 + 3?", 1, 0.0, 5)])
    assert all(c.tokens <= 1 for c in stats.per_job[0])
    assert stats.new_tokens <= 2 + 5


def _finished_run(tmp_path, lora: bool):
    """A run dir shaped like run_pipeline.py leaves it: .hydra/config.yaml and model/ (adapter or full model)."""
    cfg = compose(["model_component=tiny_random", "prompts=gsm8k"], config_name="config")
    (tmp_path / ".hydra").mkdir()
    OmegaConf.save(cfg, tmp_path / ".hydra" / "config.yaml")
    loaded = build_components(cfg, settings_from({})).model_component.load()
    model = loaded.model
    if lora:
        from peft import get_peft_model

        model = get_peft_model(model, loaded.peft_config)
        with torch.no_grad():  # LoRA B starts at zero; make the adapter change the output
            for name, p in model.named_parameters():
                if "lora_B" in name:
                    p.normal_(0, 0.5)
    model.save_pretrained(tmp_path / "model")
    loaded.tokenizer.save_pretrained(tmp_path / "model")
    return model, loaded.tokenizer


@pytest.mark.parametrize("lora", [True, False], ids=["adapter", "full_model"])
def test_serves_a_finished_run(tmp_path, lora: bool) -> None:
    trained, tokenizer = _finished_run(tmp_path, lora)
    settings = settings_from({"run_dir": str(tmp_path)})
    parts = build_components(compose(["model_component=tiny_random"], config_name="serve"), settings)
    assert parts.prompts.system_prompt.startswith("Solve the problem")  # the run's prompts, not serve.yaml's
    eng = Engine(parts.model_component, parts.run_dir, merge_adapter=True)
    eng.load()
    assert not any("lora" in name for name, _ in eng.model.named_parameters())  # merged: plain Linear layers
    ids = tokenizer("What is 2 + 3?", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        torch.testing.assert_close(eng.model(ids).logits, trained.eval()(ids).logits, atol=1e-4, rtol=1e-4)
    assert ("adapter merged" in eng.source) is lora


def test_bad_run_dir_names_the_key(tmp_path) -> None:
    cfg = compose(["model_component=tiny_random"], config_name="serve")
    with pytest.raises(ValueError, match=r"serve.run_dir=.*not a finished run dir"):
        build_components(cfg, settings_from({"run_dir": str(tmp_path)}))


@pytest.mark.parametrize(
    "raw,message",
    [
        ({"max_batch_rows": 4}, "serve: limits.max_rollouts=16 exceeds max_batch_rows=4; raise serve.max_batch_rows"),
        (
            {"limits": {"default_max_new_tokens": 500}},
            "serve.limits: default_max_new_tokens=500 exceeds max_new_tokens=256",
        ),
        ({"port": 70000}, "serve.port: Input should be less than or equal to 65535"),
        ({"batch_wait": 3}, "serve.batch_wait: Extra inputs are not permitted"),
        ({"drift": {"ks_alpha": 2}}, "serve.drift.ks_alpha: Input should be less than 1"),
    ],
)
def test_bad_serve_settings_are_one_line_errors(raw, message) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        settings_from(raw)


def test_rows_past_their_deadline_stop(engine: Engine) -> None:
    late = job(engine, "What is 4 + 4?", 1, 0.7, 100)
    late.deadline = time.monotonic() - 1  # the request has already been answered 504
    assert engine.generate([late]).per_job[0][0].tokens <= 1


# slow: inductor compiles C++ kernels for every warm-up shape (minutes on 2 cores); the eager Engine tests above
# keep serve/engine.py in the fast loop.
@pytest.mark.slow
def test_compiled_engine_matches_eager_and_never_compiles_under_requests() -> None:
    # serve.compile=true: the warm-up in load() must compile every graph a request can need (a compile while
    # serving stalls every request for seconds), and the compiled model must generate what the eager one does.
    from torch._dynamo.utils import counters

    cfg = compose(["model_component=tiny_random"], config_name="serve")
    component = build_components(cfg, settings_from(cfg.serve)).model_component
    compiled, eager = Engine(component, compile=True), Engine(component)
    compiled.load()
    eager.load()
    graphs = counters["stats"]["unique_graphs"]
    assert graphs > 0  # the warm-up compiled

    def batch(engine: Engine) -> list[Job]:
        return [
            job(engine, "What is 1 + 1?", 2, 0.0, 12),
            job(engine, "A much longer question about 12 * 7 and then some?", 3, 0.9, 7),
            job(engine, "7?", 1, 0.0, 16),
            job(engine, "What is 40 + 2?", 1, 0.5, 16),
        ]

    for jobs in (batch(compiled), batch(compiled)[2:3], batch(compiled)[:2] * 3):
        stats = compiled.generate(jobs)
        assert [len(c) for c in stats.per_job] == [j.num_rollouts for j in jobs]
        assert all(c.tokens <= j.max_new_tokens for j, cs in zip(jobs, stats.per_job) for c in cs)
    assert counters["stats"]["unique_graphs"] == graphs  # no compile under requests of new sizes and lengths
    greedy = [0, 2]  # the greedy jobs: same text from both engines
    ours, theirs = compiled.generate(batch(compiled)).per_job, eager.generate(batch(eager)).per_job
    assert [ours[i] for i in greedy] == [theirs[i] for i in greedy]
