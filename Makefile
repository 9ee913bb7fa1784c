# The README's first two commands: `make demo` and `make test`. Both work from a clean clone:
# they install what they need (apt packages where missing, .venv, the package in editable mode).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.emrlab-installed
TYPECHECK := $(VENV)/typecheck
PY35 := .venv-pyspark35
PY35_STAMP := $(PY35)/.emrlab-installed
export SPARK_LOCAL_IP := 127.0.0.1
export PYTHONDONTWRITEBYTECODE := 1
SPARKMAGIC_NEEDS := hdijupyterutils autovizwidget ipywidgets notebook nest_asyncio cryptography "pandas<3"

.PHONY: demo test lint typecheck pytest test-runtime-pyspark35 bench docs system-deps clean

demo: $(STAMP)
	$(BIN)/emrlab convert examples/workspace -o build/demo --config examples/emrlab.toml

test: lint typecheck pytest test-runtime-pyspark35

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy cannot follow setuptools' editable-install import hook, so it checks a symlink tree that
# mirrors the installed layout (emrlab/converters -> converters/, ...).
typecheck: $(STAMP)
	rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/emrlab
	for f in emrlab/*.py emrlab/py.typed; do ln -s ../../../$$f $(TYPECHECK)/emrlab/; done
	for d in converters runtime aws magics extension; do ln -s ../../../$$d $(TYPECHECK)/emrlab/$$d; done
	cd $(TYPECHECK) && ../bin/mypy --config-file ../../pyproject.toml -p emrlab
	MYPYPATH=$(TYPECHECK) $(BIN)/mypy --config-file pyproject.toml benchmarks

# The pyspark 3.5 venv first: some tests run code there too (skipped only where it is absent).
pytest: $(STAMP) $(PY35_STAMP)
	$(BIN)/pytest

# emrlab.runtime also runs on EMR 7's Spark: its tests again, in a venv with pyspark 3.5 (and pandas < 3).
test-runtime-pyspark35: $(PY35_STAMP)
	$(PY35)/bin/pytest -p no:cacheprovider tests/test_runtime_fs.py tests/test_runtime.py

$(PY35_STAMP): pyproject.toml | system-deps
	test -x $(PY35)/bin/python || $(PYTHON) -m venv $(PY35)
	$(PY35)/bin/python -m pip install -q --upgrade pip
	$(PY35)/bin/python -m pip install -q "pyspark==3.5.*" "pandas<3" boto3 "moto[server]" pytest pytest-timeout \
	  papermill nbclient ipykernel libcst
	$(PY35)/bin/python -m pip install -q --no-deps -e .
	touch $@

bench: $(STAMP)
	$(BIN)/python benchmarks/convert_bench.py
	$(BIN)/python benchmarks/livy_bench.py
	$(BIN)/python benchmarks/panel_bench.py

system-deps:
	@if ! command -v java >/dev/null 2>&1; then \
	  echo "installing a Java runtime for PySpark (apt)"; \
	  $(if $(shell command -v sudo),sudo,) apt-get update -qq && \
	  $(if $(shell command -v sudo),sudo,) apt-get install -y -qq openjdk-17-jre-headless; \
	fi

$(STAMP): pyproject.toml | system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	# sparkmagic (interop tests) without its Kerberos chain: gssapi has no wheel and needs libkrb5-dev
	# to compile (Kerberos is the optional extra `emrlab[kerberos]`). Its other needs first, then it alone.
	$(BIN)/python -m pip install -q $(SPARKMAGIC_NEEDS)
	$(BIN)/python -m pip install -q --no-deps "sparkmagic==0.23.*" requests-kerberos pyspnego
	touch $@

clean:
	rm -rf $(VENV) $(PY35) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache

# Regenerate the README's rules table from the rules themselves (tests/test_docs.py checks it).
docs: $(STAMP)
	$(BIN)/python -c "import re,pathlib; from emrlab.converters.rules import markdown_table as t; \
	p=pathlib.Path('README.md'); s=p.read_text(); \
	p.write_text(re.sub(r'(<!-- rules:start -->\n).*?(<!-- rules:end -->)', lambda m: m[1]+t()+m[2], s, flags=re.S))"
