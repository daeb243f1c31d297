"""mode=export: LoRA, full fine-tune and 4-bit runs become plain transformers folders that load with nothing of this
project installed, compute what the run's own model computes, carry a model card from the run's files, and serve."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.modes import export as export_module
from tests.conftest import TINY_TRAIN, run_pipeline

TRAIN = [*TINY_TRAIN, "eval.probe_every_steps=0", "eval.budget_check_factor=0"]
IDS = [[1, 5, 9, 13, 2, 7]]

# Runs in a fresh interpreter, isolated (-I: no PYTHONPATH, no cwd on sys.path), from a folder outside the repo.
PLAIN_TRANSFORMERS = """
import json, sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
folder = sys.argv[1]
model = AutoModelForCausalLM.from_pretrained(folder)
tokenizer = AutoTokenizer.from_pretrained(folder)
assert not any(m.startswith(("components", "serve")) for m in sys.modules), "imported the project"
text = tokenizer.apply_chat_template([{"role": "user", "content": "What is 1 + 2?"}], tokenize=False,
                                     add_generation_prompt=True)
with torch.no_grad():
    logits = model(torch.tensor(IDS)).logits
print(json.dumps({"logits": logits[0, -1].tolist(), "dtype": str(model.dtype), "chat": text,
                  "quantized": hasattr(model.config, "quantization_config")}))
""".replace("IDS", str(IDS))


def train_tiny(run_dir: Path, *extra: str) -> Path:
    proc = run_pipeline(*TRAIN, *extra, f"hydra.run.dir={run_dir}", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return run_dir


def export_run(run_dir: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_pipeline(
        "mode=export",
        f"export.run_dir={run_dir}",
        f"export.output_dir={out}",
        *extra,
        f"hydra.run.dir={out.parent / (out.name + '_hydra')}",
        timeout=300,
    )


def plain_load(folder: Path, tmp: Path) -> dict:
    script = tmp / "load_plain.py"
    script.write_text(PLAIN_TRANSFORMERS)
    proc = subprocess.run(
        [sys.executable, "-I", str(script), str(folder)], cwd=tmp, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_logits(run_dir: Path) -> list[float]:
    """The run's own model, as mode=eval loads it (adapter on the base, unmerged): the reference."""
    import torch

    from components.model.finished_run import FinishedRun
    from components.runtime import build

    run = FinishedRun(run_dir)
    loaded = run.load(build(run.config().model), merge_adapter=False)
    with torch.no_grad():
        return loaded.model(torch.tensor(IDS)).logits[0, -1].tolist()


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory) -> Path:
    return train_tiny(tmp_path_factory.mktemp("lora") / "run")


@pytest.mark.parametrize("kind", ["lora", "full", "qlora"])
def test_an_exported_run_loads_with_plain_transformers_and_computes_the_same(kind, lora_run, tmp_path) -> None:
    import torch

    run_dir = {
        "lora": lambda: lora_run,
        "full": lambda: train_tiny(tmp_path / "run", "model.lora.enabled=false"),
        "qlora": lambda: train_tiny(tmp_path / "run", "model.load_in_4bit=true"),
    }[kind]()
    out = tmp_path / "exported"
    proc = export_run(run_dir, out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "model.safetensors").is_file() and not (out / "adapter_config.json").exists()
    assert {"config.json", "generation_config.json", "tokenizer.json", "README.md", "export.json"} <= {
        p.name for p in out.iterdir()
    }
    got = plain_load(out, tmp_path)
    assert got["dtype"] == "torch.float32" and not got["quantized"]  # QLoRA: de-quantized into the chosen dtype
    assert got["chat"].endswith("<|im_start|>assistant\n") or "assistant" in got["chat"]  # the run's chat template
    if kind != "qlora":  # a 4-bit base computes in 4-bit; its de-quantized export is what the adapter was fit on
        torch.testing.assert_close(torch.tensor(got["logits"]), torch.tensor(run_logits(run_dir)), rtol=1e-4, atol=1e-4)
    record = json.loads((out / "export.json").read_text())
    assert record["adapter_merged"] is (kind != "full") and record["dtype"] == "float32"


def test_plain_transformers_greedy_on_the_export_writes_the_runs_eval_after_completions(lora_run, tmp_path) -> None:
    """bench/export_parity.py: export, then a fresh `python -I` process with only torch + transformers generates
    greedily on the run's held-out prompts; text and token counts must match eval_after's, row by row."""
    record = tmp_path / "parity.json"
    proc = subprocess.run(
        [sys.executable, "bench/export_parity.py", "--run", str(lora_run), "--out", str(tmp_path / "parity"),
         "--record", str(record)],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (got,) = json.loads(record.read_text())["rows"]  # the record holds one row per run
    assert got["rows"] == 8 and got["identical_completions"] == 8 and got["rows_that_differ"] == []


def test_the_model_card_states_the_runs_own_figures_and_renders(lora_run, tmp_path) -> None:
    import markdown

    out = tmp_path / "exported"
    assert export_run(lora_run, out, "export.dtype=bfloat16").returncode == 0
    text = (out / "README.md").read_text()
    head, body = text.split("---\n", 2)[1:]
    meta = yaml.safe_load(head)
    summary = json.loads((lora_run / "summary.json").read_text())
    assert meta["library_name"] == "transformers" and "grpo" in meta["tags"]
    assert "base_model" not in meta  # the tiny model is not on the Hub: no made-up id
    [metric] = meta["model-index"][0]["results"][0]["metrics"]
    assert metric["value"] == round(100 * summary["accuracy_after"], 2)
    assert f"{100 * summary['accuracy_before']:.1f}%" in body and f"| steps | {summary['global_step']} |" in body
    assert f"Budget {summary['eval_max_new_tokens']} new tokens, grader `{summary['grader']}`" in body
    assert "python run_pipeline.py model_component=tiny_random" in body and "hydra.run.dir" not in body
    html = markdown.markdown(body, extensions=["tables", "fenced_code"])
    assert "<table>" in html and "<h2>Evaluation (held-out rows, greedy)</h2>" in html
    assert "bfloat16" in body


def test_the_exported_folder_is_what_the_server_serves(lora_run, tmp_path) -> None:
    from serve.config import build_components, settings_from
    from serve.engine import Engine
    from tests.conftest import compose

    out = tmp_path / "exported"
    assert export_run(lora_run, out).returncode == 0
    cfg = compose(["model_component=smollm2_135m", f"model.model_name_or_path={out}"], config_name="serve")
    engine = Engine(build_components(cfg, settings_from({})).model_component)
    engine.load()
    assert str(out) in engine.source


def test_bad_export_settings_stop_in_one_line_and_nothing_is_overwritten(lora_run, tmp_path) -> None:
    proc = run_pipeline("mode=export", f"export.run_dir={lora_run}", f"hydra.run.dir={tmp_path / 'h1'}")
    assert (
        proc.returncode == 2 and "mode=export needs export.run_dir=<finished run> and export.output_dir" in proc.stderr
    )
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    proc = export_run(lora_run, taken)
    assert proc.returncode == 2 and "already holds files (an export never overwrites)" in proc.stderr
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    proc = export_run(tmp_path, tmp_path / "new")
    assert proc.returncode == 2 and "no .hydra/config.yaml there" in proc.stderr


def test_push_to_hub_uploads_the_folder_and_a_failure_keeps_it(monkeypatch, tmp_path) -> None:
    """The Hub is unreachable here: the real client is replaced at its network calls, the code path is ours."""
    calls = []

    class FakeApi:
        def create_repo(self, repo_id, repo_type, private, exist_ok):
            calls.append(("create", repo_id, repo_type, private, exist_ok))

        def upload_folder(self, folder_path, repo_id, repo_type):
            calls.append(("upload", folder_path, repo_id, repo_type))
            return "url"

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    assert export_module.push(tmp_path, "me/model", private=True) == "url"
    assert calls == [("create", "me/model", "model", True, True), ("upload", str(tmp_path), "me/model", "model")]

    class Offline(FakeApi):
        def create_repo(self, *args, **kwargs):
            raise OSError("cannot reach the hub\nmore")

    monkeypatch.setattr(huggingface_hub, "HfApi", Offline)
    with pytest.raises(ValueError, match=r"export.push_to_hub=me/model: upload failed \(cannot reach the hub\)"):
        export_module.push(tmp_path, "me/model", private=True)
