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

.PHONY: demo lab test lint typecheck pytest test-runtime-pyspark35 bench docs screenshot binder-check system-deps \
  clean

demo: $(STAMP)
	$(BIN)/emrlab convert examples/workspace -o build/demo --config examples/emrlab.toml

# The whole product without an AWS account: JupyterLab with the EMR panel on a seeded local moto and Livy, in
# build/lab (with the sample Databricks export, to try the file browser's "Convert for EMR"). Ctrl-C stops it.
lab: $(STAMP)
	mkdir -p build/lab
	test -e build/lab/databricks-export || cp -R examples/workspace build/lab/databricks-export
	$(BIN)/emrlab lab --demo --root build/lab

# docs/panel.png, the README's picture of the panel, from the demo in the system Chromium
screenshot: $(STAMP)
	$(BIN)/python docs/make_screenshot.py

# What Binder does (binder/postBuild in a fresh venv, then binder/start), and a check that the demo answers.
binder-check: | system-deps
	PYTHON=$(PYTHON) bash binder/check.sh

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

# Debian packages, each only when missing (one `apt-get update` for all): Java for PySpark, Chromium for the
# panel's UI tests (they drive /usr/bin/chromium), Node.js for the panel's build (`pip install` runs jlpm).
SUDO := $(if $(shell command -v sudo),sudo,)
# exits 0 on a Node.js that @jupyter/builder's @rspack/core supports (^20.19 or >= 22.12)
NODE_OK := const [a, b] = process.versions.node.split(".").map(Number); \
  process.exit(a > 22 || (a === 22 && b >= 12) || (a === 20 && b >= 19) ? 0 : 1)
system-deps:
	@missing=""; \
	command -v java >/dev/null 2>&1 || missing="$$missing openjdk-17-jre-headless"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing (apt)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing || exit 1; \
	fi; \
	node -e '$(NODE_OK)' 2>/dev/null || \
	  echo "warning: the panel's build needs Node.js ^20.19 or >= 22.12; found $$(node --version 2>/dev/null)" >&2

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
	rm -rf extension/labextension extension/lib extension/node_modules extension/tsconfig.tsbuildinfo \
	  extension/.yarn/cache extension/.yarn/install-state.gz

# Regenerate the README's rules table from the rules themselves (tests/test_docs.py checks it).
docs: $(STAMP)
	$(BIN)/python -c "import re,pathlib; from emrlab.converters.rules import markdown_table as t; \
	p=pathlib.Path('README.md'); s=p.read_text(); \
	p.write_text(re.sub(r'(<!-- rules:start -->\n).*?(<!-- rules:end -->)', lambda m: m[1]+t()+m[2], s, flags=re.S))"
