# LODAA: make env | make test | make demo
VENV ?= .venv
PY := $(VENV)/bin/python
ENV_STAMP := $(VENV)/.lodaa-env-ok
PYTEST_ARGS ?=

.PHONY: env test demo clean-env

env: $(ENV_STAMP)

# Rebuilt when the dependencies or the recipe change; the script itself
# skips whatever is already installed.
$(ENV_STAMP): setup.cfg pyproject.toml tools/setup_env.sh
	VENV=$(VENV) bash tools/setup_env.sh

test: env
	$(PY) -m pytest tests $(PYTEST_ARGS)

demo: env
	$(PY) tools/demo.py

clean-env:
	rm -rf $(VENV) build
