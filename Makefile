# LODAA: make env | make lint | make test | make test-fast | make demo | make docs
VENV ?= .venv
PY := $(VENV)/bin/python
# auto, 0 (mmcv-lite) or 1 (mmcv with compiled ops): tools/setup_env.sh
LODAA_MMCV_OPS ?= auto
ENV_STAMP := $(VENV)/.lodaa-env-ok-mmcv-$(LODAA_MMCV_OPS)
PYTEST_ARGS ?=
DEMO ?= all
LINT_PATHS := lodaa_plugin projects tools tests configs setup.py

.PHONY: env lint format test test-fast test-ops demo docs dist gpu-wheels clean-env

env: $(ENV_STAMP)

# Rebuilt when the dependencies or the recipe change; the script itself
# skips whatever is already installed.
$(ENV_STAMP): setup.cfg pyproject.toml tools/setup_env.sh
	VENV=$(VENV) LODAA_MMCV_OPS=$(LODAA_MMCV_OPS) ENV_STAMP=$(ENV_STAMP) \
		bash tools/setup_env.sh

# flake8, isort and yapf with the settings in setup.cfg (as pre-commit runs them)
lint: env
	$(PY) -m flake8 $(LINT_PATHS)
	$(PY) -m isort --check-only --diff $(LINT_PATHS)
	$(PY) -m yapf --diff --recursive $(LINT_PATHS)

# rewrite the files the way `make lint` wants them
format: env
	$(PY) -m isort $(LINT_PATHS)
	$(PY) -m yapf --in-place --recursive $(LINT_PATHS)

test: env
	$(PY) -m pytest tests $(PYTEST_ARGS)

# everything except the tests marked slow (training, subprocesses)
test-fast: env
	$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

# the kernel parity tests in a second environment whose mmcv has compiled
# ops (a matching wheel on LODAA_WHEELS, else an hour's compile)
OPS_VENV ?= .venv-ops
test-ops:
	$(MAKE) env VENV=$(OPS_VENV) LODAA_MMCV_OPS=1
	$(OPS_VENV)/bin/python -m pytest tests/test_compat/test_kernels.py $(PYTEST_ARGS)

# an sdist and a wheel in dist/ (python -m build)
dist: env
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .

# the wheels the GPU machine lacks, for its Python 3.12, in .whl/
gpu-wheels:
	bash tools/analysis/prepare_gpu_wheels.sh .whl

# DEMO=detection or DEMO=classification (the latter includes the t-SNE view)
demo: env
	$(PY) tools/demo.py --part $(DEMO)

clean-env:
	rm -rf $(VENV) $(OPS_VENV) build

# the documentation site in docs/_build/html; warnings (a broken link, a
# path that does not exist, a docstring Sphinx cannot read) are errors
docs: env
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
