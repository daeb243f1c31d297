# The two commands for a fresh Linux machine:
#   make run    # install .venv from poetry.lock if needed, run the default pipeline
#   make test   # install .venv (+ dev group) if needed, run the test suite
# Extra arguments: make run ARGS='train.max_steps=2'   make test PYTEST_ARGS='-k reward -x'
# Docs site (an extra, not a set-up step): make docs   -> site/index.html (first renders the figures from results/)

SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: run test test-fast docs install install-test install-deepspeed install-lm-eval lock lock-check vllm clean-venv

run: install
	$(PY) run_pipeline.py $(ARGS)

# Both run on every core (pytest-xdist, at most 8 workers: each holds a warm interpreter, tests/warm_start.py);
# PYTEST_ARGS='-n 0' runs in one process.
XDIST := -n auto --maxprocesses 8 --dist worksteal

test: install-test
	@set +e; $(PY) -m pytest -q $(XDIST) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected/ran no tests (exit 5): treating as a failure" >&2; fi; \
	exit $$rc

# The edit loop: unit tests only (no test that starts a process; tests/conftest.py sorts them), every module covered.
test-fast: install-test
	@set +e; $(PY) -m pytest -q -m "not e2e" --every-module $(XDIST) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected/ran no tests (exit 5): treating as a failure" >&2; fi; \
	exit $$rc

# The docs group is part of the test install (tests/docs build the site and run the tutorials).
# The two variables silence a banner that mkdocs-material and a plugin print on every build.
docs: install-test
	$(PY) bench/render_docs.py
	NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(PY) -m mkdocs build --strict --site-dir site

install:
	@scripts/install.sh runtime

install-test:
	@scripts/install.sh test

# The one extra step for the DeepSpeed ZeRO launch configs (conf/accelerate/zero*.yaml): .venv + the locked
# deepspeed group, no CUDA ops compiled at install time (docs/SCALING.md)
install-deepspeed:
	@scripts/install.sh --deepspeed

# The optional lm-evaluation-harness group (evaluation_component=lm_eval): .venv + the locked lm_eval group
install-lm-eval:
	@scripts/install.sh --lm-eval

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
