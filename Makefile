# The two commands for a fresh Linux machine:
#   make run    # install .venv from poetry.lock if needed, run the default pipeline
#   make test   # install .venv (+ dev group) if needed, run the test suite
# Extra arguments: make run ARGS='train.max_steps=2'   make test PYTEST_ARGS='-k reward -x'

SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: run test install install-test lock lock-check vllm clean-venv

run: install
	$(PY) run_pipeline.py $(ARGS)

test: install-test
	@set +e; $(PY) -m pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected/ran no tests (exit 5): treating as a failure" >&2; fi; \
	exit $$rc

install:
	@scripts/install.sh runtime

install-test:
	@scripts/install.sh test

# Maintainers: re-resolve poetry.lock and re-export scripts/requirements/*.txt
lock:
	scripts/lock.sh

lock-check:
	scripts/lock.sh --check

# CUDA machines only: separate, unlocked .venv-vllm with vLLM
vllm:
	scripts/install.sh --vllm

clean-venv:
	rm -rf .venv .venv-vllm
