"""The `serve:` block as typed settings, and the components (model, reward, prompts) the server uses.

`serve.run_dir=<finished run>` serves what that run trained: its model, reward and prompt config come from
<run_dir>/.hydra/config.yaml and its weights (adapter or full model) plus tokenizer from <run_dir>/model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from components.config_schema import pydantic_error_line, register_section

REPO = Path(__file__).resolve().parents[1]
CONF_DIR = REPO / "conf"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """Request bounds; they become the OpenAPI schema of POST /generate (violations answer 422)."""

    max_prompt_chars: int = Field(4000, ge=1)
    max_ground_truth_chars: int = Field(1000, ge=1)
    max_rollouts: int = Field(16, ge=1)
    max_new_tokens: int = Field(256, ge=1)
    default_max_new_tokens: int = Field(64, ge=1)
    max_temperature: float = Field(2.0, gt=0)
    max_messages: int = Field(64, ge=1)  # /v1/chat/completions: messages per request (each bounded by max_prompt_chars)
    max_stop_sequences: int = Field(4, ge=0)  # OpenAI's own limit

    @model_validator(mode="after")
    def _default_within_max(self) -> Limits:
        if self.default_max_new_tokens > self.max_new_tokens:
            raise ValueError(
                f"default_max_new_tokens={self.default_max_new_tokens} exceeds max_new_tokens={self.max_new_tokens}"
            )
        return self


class DriftSettings(_Strict):
    reference: str | None = (
        None  # JSON from serve.drift.write_reference_distribution; null = <run_dir>/reference_distribution.json
    )
    window: int = Field(500, ge=2)  # served values kept per signal (a sliding window)
    min_samples: int = Field(30, ge=2)  # below this, no statistic is reported (too noisy to flag)
    bins: int = Field(10, ge=2)
    psi_threshold: float = Field(0.2, gt=0)  # PSI > 0.2 is the usual "significant shift" rule of thumb
    ks_alpha: float | None = Field(0.01, gt=0, lt=1)  # flag when the KS p-value falls below; null = PSI only


class ServeSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    run_dir: str | None = None
    merge_adapter: bool = True  # peft merge_and_unload: plain Linear layers generate faster than LoRA-wrapped ones
    compile: bool = False  # torch.compile + static KV cache: faster decoding after a warm-up at startup
    engine_process: bool = True  # the model runs in a child process (serve/worker.py); false = in the server process
    batching: bool = True  # false = one request per generate call (the unbatched baseline)
    max_batch_rows: int = Field(64, ge=1)  # rows (requests x rollouts) in one generate call
    batch_wait_ms: float = Field(5.0, ge=0)  # how long a batch waits for more requests before it runs
    max_queue: int = Field(128, ge=1)  # queued requests beyond this answer 503
    request_timeout_s: float = Field(30.0, gt=0)  # a request waiting or generating longer answers 504
    torch_threads: int | None = Field(None, ge=1)
    log_level: str = "info"
    model_name: str | None = Field(
        None, min_length=1
    )  # the id /v1/models lists and requests name; null = the model's source
    # Optional API key (serve/auth.py): the name of an environment variable holding it, or a file holding it.
    # The key itself is never a config value, so it never lands in .hydra/ or a log.
    api_key_env: str | None = Field(None, min_length=1)
    api_key_file: str | None = Field(None, min_length=1)
    # The code reward runs model-written programs: refuse to serve it without bubblewrap isolation.
    require_code_isolation: bool = True
    limits: Limits = Limits()
    drift: DriftSettings = DriftSettings()

    @model_validator(mode="after")
    def _one_key_source(self) -> ServeSettings:
        if self.api_key_env and self.api_key_file:
            raise ValueError("api_key_env and api_key_file are both set; keep one")
        return self

    @model_validator(mode="after")
    def _rollouts_fit_a_batch(self) -> ServeSettings:
        if self.limits.max_rollouts > self.max_batch_rows:
            raise ValueError(
                f"limits.max_rollouts={self.limits.max_rollouts} exceeds max_batch_rows={self.max_batch_rows}; "
                f"raise serve.max_batch_rows to at least {self.limits.max_rollouts}"
            )
        return self


register_section("serve", f"{__name__}.ServeSettings")  # conf/serve.yaml's `serve:` section, checked like any


def settings_from(node: DictConfig | dict[str, Any]) -> ServeSettings:
    raw = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else dict(node)
    try:
        return ServeSettings(**raw)
    except ValidationError as err:
        raise ValueError(pydantic_error_line(err, "serve")) from None


@dataclass(frozen=True)
class ServedComponents:
    model_component: Any  # ModelComponent (components/model/base.py)
    reward: Any  # RewardComponent (components/reward/base.py)
    prompts: Any  # Prompts (components/data/base.py)
    run_dir: Path | None
    tools: Any = None  # ToolSet (components/tools/toolset.py): the run's tools, or none = single-turn
    environment: Any = None  # EnvironmentSet (components/environments/environment_set.py): /generate plays episodes


def build_components(cfg: DictConfig, settings: ServeSettings) -> ServedComponents:
    """Cheap: constructors validate their config; no weights load here."""
    from components.runtime import build

    source = cfg
    run_dir = None
    if settings.run_dir:
        from components.model.finished_run import FinishedRun

        run = FinishedRun(settings.run_dir, key="serve", subdir_is_a_key=False)
        source = run.config()
        run.check_weights()
        run_dir = run.path
        for key in ("model", "reward", "prompts"):
            if key not in source:
                raise ValueError(f"serve.run_dir={settings.run_dir}: its .hydra/config.yaml has no `{key}` section")
        from components.validation import validate

        validate(source, mode="serve")  # the run's model, reward and prompts, as strictly as this command's
    from components.data.base import Prompts
    from components.model.base import ModelComponent
    from components.reward.base import RewardComponent

    model, prompts = build(source.model, ModelComponent), build(source.prompts, Prompts)
    # Found like the model: in the served run's own config (runs from before a group have none).
    tools = build(source.tools) if source.get("tools") else None
    environment = build(source.environment) if source.get("environment") else None
    if not settings.require_code_isolation:
        return ServedComponents(model, build(source.reward, RewardComponent), prompts, run_dir, tools, environment)
    try:
        reward = build(_require_code_isolation(source.reward), RewardComponent)
    except ValueError as err:  # name the serve key that asked for it, beside the reward's own message
        raise ValueError(f"serve.require_code_isolation=true: {err}") from None
    return ServedComponents(model, reward, prompts, run_dir, tools, environment)


def _require_code_isolation(reward: DictConfig) -> DictConfig:
    """The reward config with `require_isolation: true` on every `code` entry (training may leave it false)."""
    reward = OmegaConf.create(OmegaConf.to_container(reward, resolve=True))  # a copy: the run's config stays as it was
    for entry in reward.get("reward_functions") or []:
        if entry.get("name") == "code":
            entry.params = {**(entry.get("params") or {}), "require_isolation": True}
    return reward


def compose_config(overrides: list[str] | None = None) -> DictConfig:
    """conf/serve.yaml composed with Hydra's compose API (the `uvicorn --factory` path has no @hydra.main)."""
    from hydra import compose, initialize_config_dir

    from components.runtime import bracket_indices_to_dots

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return compose("serve", overrides=bracket_indices_to_dots(overrides or []))
