"""COMPONENT_GUIDE, followed literally: a new model, reward, evaluator, observer, training loop and tool, each a file
plus its YAML and nothing else edited, train and evaluate through the real entry point.

The throwaway files live in a tmp dir: the Python package on PYTHONPATH, the YAMLs on Hydra's search path
(`hydra.searchpath=[file://...]`), so the run proves that no list, registry or orchestrator line had to change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from tests.conftest import REPO

FILES = {
    "throwaway/__init__.py": "",
    "throwaway/model.py": '''
        """A 2-layer random Llama built in-process (the model interface: components/model/base.py)."""
        import torch
        from transformers import LlamaConfig, LlamaForCausalLM

        from components.model.lora import lora_settings
        from components.model.tiny_random import build_tokenizer
        from components.model.tokenizer_setup import prepare_tokenizer
        from components.types import LoadedModel


        class SmallLlama:
            dtype = torch.float32

            def __init__(self, hidden_size: int = 32, lora: dict | None = None, seed: int = 0,
                         gradient_checkpointing: bool = False) -> None:
                self.hidden_size, self.seed, self.gradient_checkpointing = hidden_size, seed, gradient_checkpointing
                self.lora, self.load_in_4bit = lora_settings(lora), False

            def hf_config(self):
                tokenizer = prepare_tokenizer(build_tokenizer(512))
                return LlamaConfig(vocab_size=len(tokenizer), hidden_size=self.hidden_size, intermediate_size=64,
                                   num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                                   max_position_embeddings=256, bos_token_id=tokenizer.bos_token_id,
                                   eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)

            def load(self) -> LoadedModel:
                torch.manual_seed(self.seed)
                tokenizer = prepare_tokenizer(build_tokenizer(512))
                model = LlamaForCausalLM(self.hf_config())
                return LoadedModel(model, tokenizer, self.lora.to_peft_config(), "small_llama")
    ''',
    "throwaway/rewards.py": '''
        """A reward outside components/reward/: named in the YAML by `function:`."""
        from components.reward.base import completion_text


        def starts_with_digit(completions, *, bonus: float = 1.0, **_) -> list[float]:
            return [bonus if completion_text(c)[:1].isdigit() else 0.0 for c in completions]
    ''',
    "throwaway/evaluator.py": '''
        """Greedy generation on the first rows (the evaluation interface: components/evaluation/base.py)."""
        import torch

        from components.types import EvalResult


        class FirstRows:
            def __init__(self, max_samples: int = 4, max_new_tokens: int = 8, tools=None) -> None:
                self.max_samples, self.max_new_tokens = max_samples, max_new_tokens

            def evaluate(self, model, tokenizer, dataset, reward) -> EvalResult:
                rows = [dataset[i] for i in range(min(self.max_samples, len(dataset)))]
                texts = [tokenizer.apply_chat_template(r["prompt"], tokenize=False, add_generation_prompt=True)
                         if not isinstance(r["prompt"], str) else r["prompt"] for r in rows]
                batch = tokenizer(texts, return_tensors="pt", padding=True)
                with torch.no_grad():
                    out = model.generate(**batch, max_new_tokens=self.max_new_tokens, do_sample=False)
                new = out[:, batch["input_ids"].shape[1]:]
                completions = tokenizer.batch_decode(new, skip_special_tokens=True)
                columns = {"answer": [r["answer"] for r in rows]}
                scores = reward.score(completions, **columns).total
                correct = reward.is_correct(completions, **columns)
                lengths = [int((t != tokenizer.pad_token_id).sum()) for t in new]
                samples = [{"index": i, "prompt": r["prompt"], "question": r["question"], "answer": r["answer"],
                            "completion": c, "reward": s, "correct": ok, "completion_tokens": n}
                           for i, (r, c, s, ok, n) in enumerate(zip(rows, completions, scores, correct, lengths))]
                n = len(samples)
                metrics = {"accuracy": sum(ok is True for ok in correct) / n, "mean_reward": sum(scores) / n,
                           "truncation_rate": sum(k >= self.max_new_tokens for k in lengths) / n,
                           "max_new_tokens": self.max_new_tokens, "num_samples": n}
                return EvalResult(metrics, samples)

            def probe(self, dataset, reward, tokenizer, run_dir, observer):
                from transformers import TrainerCallback

                class NoProbe(TrainerCallback):  # the Probe interface: listeners and summary()
                    listeners = []

                    def summary(self):
                        return {}

                return NoProbe()

            def recording(self, reward, run_dir):
                return reward

            def check_budget(self, model, tokenizer, dataset, reward, evaluated):
                return {}
    ''',
    "throwaway/observer.py": '''
        """Every logged metric into <run_dir>/seen.jsonl (the observer interface: components/observer/base.py)."""
        import json

        from components.observer.base import Observer


        class SeenObserver(Observer):
            def __init__(self, filename: str = "seen.jsonl") -> None:
                self.filename, self.path = filename, None

            def start(self, run_dir, config) -> None:
                self.path = run_dir / self.filename

            def log_metrics(self, metrics, step) -> None:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"step": step, **metrics}) + "\\n")
    ''',
    "throwaway/loop.py": '''
        """One plain SGD step on prompt + answer (the training-loop interface: components/training/base.py)."""
        import json
        from pathlib import Path

        import torch
        from trl import SFTConfig

        from components.types import TrainResult


        class OneStep:
            def __init__(self, output_dir: str, learning_rate: float = 0.01, max_length: int = 64, tools=None) -> None:
                self.output_dir, self.learning_rate, self.tools = Path(output_dir), learning_rate, tools
                # `args`: what the memory preflight reads (batch geometry, optimizer, sequence length)
                self.args = SFTConfig(output_dir=str(self.output_dir / "checkpoints"), max_length=max_length,
                                      per_device_train_batch_size=2, use_cpu=True, bf16=False, report_to=[])

            def fit(self, loaded, train_dataset, reward, callbacks) -> TrainResult:
                model, tokenizer = loaded.model, loaded.tokenizer
                rows = [train_dataset[i] for i in range(2)]
                texts = [tokenizer.apply_chat_template(r["prompt"], tokenize=False, add_generation_prompt=True)
                         + str(r["answer"]) for r in rows]
                batch = tokenizer(texts, return_tensors="pt", padding=True, truncation=True,
                                  max_length=self.args.max_length)
                labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
                params = [p for p in model.parameters() if p.requires_grad]
                before = [p.detach().clone() for p in params]
                model.train()
                loss = model(**batch, labels=labels).loss
                loss.backward()
                torch.optim.SGD(params, lr=self.learning_rate).step()
                model.eval()
                saved = self.output_dir / "model"
                model.save_pretrained(saved)
                report = {"loss": float(loss), "changed": any(not torch.equal(a, p) for a, p in zip(before, params)),
                          "tool": self.tools.call("convert", {"value": 2, "unit": "km"}),
                          "rounds": self.tools.max_tool_calling_iterations}
                (self.output_dir / "one_step.json").write_text(json.dumps(report))
                return TrainResult(model, 1, {"train_loss": float(loss)}, str(saved))
    ''',
    "throwaway/unit_convert.py": '''
        from components.tools.base import ToolError


        class UnitConvert:
            def __init__(self, max_chars: int = 50) -> None:
                self.max_chars = max_chars

            def function(self):
                def convert(value: float, unit: str) -> str:
                    """Convert a length to metres.

                    Args:
                        value: The number.
                        unit: One of km, cm, mm.
                    """
                    factors = {"km": 1000.0, "cm": 0.01, "mm": 0.001}
                    if unit not in factors:
                        raise ToolError(f"unknown unit {unit!r}")
                    return f"{value * factors[unit]:g}"[: self.max_chars]

                return convert
    ''',
    "conf/training_loop_component/one_step.yaml": """
        # @package train
        # Run: python run_pipeline.py training_loop_component=one_step
        _target_: throwaway.loop.OneStep
        learning_rate: 0.01
        max_length: 64
    """,
    "conf/tools_component/unit_convert.yaml": """
        # @package tools
        # Run: python run_pipeline.py tools_component=unit_convert
        _target_: components.tools.toolset.ToolSet
        tools:
          unit_convert:
            _target_: throwaway.unit_convert.UnitConvert
            max_chars: 50
        max_turns: 2
        chat_format: auto
        max_result_chars: 1000
    """,
    "conf/model_component/small_llama.yaml": """
        # @package model
        # Run: python run_pipeline.py model_component=small_llama
        _target_: throwaway.model.SmallLlama
        hidden_size: 32
        seed: ${seed}
        gradient_checkpointing: false   # the training loop reads it too (train.gradient_checkpointing)
        lora:
          r: 4
          alpha: 8
          dropout: 0.0
    """,
    "conf/reward_component/digit_first.yaml": """
        # @package reward
        # Run: python run_pipeline.py reward_component=digit_first
        _target_: components.reward.reward_set.RewardSet
        reward_functions:
          - function: throwaway.rewards.starts_with_digit
            weight: 1.0
            params:
              bonus: 1.0
    """,
    "conf/evaluation_component/first_rows.yaml": """
        # @package eval
        # Run: python run_pipeline.py evaluation_component=first_rows
        _target_: throwaway.evaluator.FirstRows
        max_samples: 4
        max_new_tokens: 8
    """,
    "conf/observer_component/seen.yaml": """
        # @package observer
        # Run: python run_pipeline.py observer_component=seen
        _target_: throwaway.observer.SeenObserver
        filename: seen.jsonl
    """,
}


def _write_files(tmp_path) -> dict[str, str]:
    """The throwaway package and YAMLs under tmp_path; the environment that finds them."""
    for relative, text in FILES.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO}", HYDRA_FULL_ERROR="1", WANDB_MODE="offline")


def test_new_model_reward_evaluator_observer_need_only_their_files(tmp_path) -> None:
    env = _write_files(tmp_path)
    run = tmp_path / "run"
    args = [
        "model_component=small_llama",
        "reward_component=digit_first",
        "evaluation_component=first_rows",
        "observer_component=seen",
        f"hydra.searchpath=[file://{tmp_path / 'conf'}]",
        f"hydra.run.dir={run}",
        "train.max_steps=1",
        "train.per_device_train_batch_size=4",
        "train.num_generations=4",
        "train.max_completion_length=8",
        "train.preflight=false",
        "data.num_train=16",
        "data.num_eval=4",
    ]
    out = subprocess.run(
        [sys.executable, str(REPO / "run_pipeline.py"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["global_step"] == 1 and summary["grader"] == "every reward at full marks"
    seen = [json.loads(line) for line in (run / "seen.jsonl").read_text().splitlines()]
    assert any("eval/accuracy" in row for row in seen) and any("eval_before/accuracy" in row for row in seen)

    # A bad value for the new model's own parameter is refused like any other: its signature types it.
    bad = subprocess.run(
        [sys.executable, str(REPO / "run_pipeline.py"), *args, "model.hidden_size=3.5"],
        cwd=REPO,
        env=dict(env, HYDRA_FULL_ERROR="0"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "model.hidden_size=3.5: expected an integer" in bad.stderr, bad.stderr[-2000:]


def test_new_training_loop_and_tool_need_only_their_files(tmp_path) -> None:
    """The loop gets output_dir= and tools= injected (COMPONENT_GUIDE step 1); the tool reaches it via the ToolSet."""
    env = _write_files(tmp_path)
    run = tmp_path / "run"
    args = [
        "model_component=tiny_random",
        "training_loop_component=one_step",
        "tools_component=unit_convert",
        f"hydra.searchpath=[file://{tmp_path / 'conf'}]",
        f"hydra.run.dir={run}",
        "data.num_train=4",
        "data.num_eval=4",
        "eval.max_new_tokens=8",
    ]
    out = subprocess.run(
        [sys.executable, str(REPO / "run_pipeline.py"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads((run / "one_step.json").read_text())
    assert report == {"loss": report["loss"], "changed": True, "tool": "2000", "rounds": 1}
    summary = json.loads((run / "summary.json").read_text())
    assert summary["global_step"] == 1 and summary["saved_model"] == str(run / "model")
