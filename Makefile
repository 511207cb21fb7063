# mmkit: every command a learner, teacher or maintainer needs.
#
#   make lab      set up (first time only) and start JupyterLab on notebooks/
#   make test     set up (first time only), lint, run the unit tests and every notebook
#   make refresh  re-execute the notebooks in place (after changing mmkit/ or a notebook)
#   make bench    time each notebook, record its peak memory, time the from-scratch MLP
#                 against PyTorch (results in benchmarks/results/, to commit)
#   make student  students' copies of the notebooks in student/: solutions out, outputs cleared
#   make lock     re-pin every indirect dependency in constraints.txt
#   make clean    remove the virtual environment
#
# Set-up needs Python 3.11; point at it with `make test PYTHON=/path/to/python3.11`.

PYTHON ?= python3.11
PYTHON_NEEDED := 3.11
VENV ?= .venv
PY := $(VENV)/bin/python
JOBS ?= 2
# What to install: the kit (editable) with its test tools, every package pinned.
# environment.yml's pip section installs exactly this too (a test checks).
INSTALL_ARGS := -c constraints.txt -e .[dev]
# The install is redone only when the dependency files change.
DEPS_KEY := $(shell cat pyproject.toml constraints.txt 2>/dev/null | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(DEPS_KEY)

# The environment of every notebook run (tests, refresh, benchmarks): set here only.
RUN_ENV := PYTHONHASHSEED=0 SOURCE_DATE_EPOCH=1767225600 \
	MMKIT_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 \
	TQDM_DISABLE=1 JUPYTER_PLATFORM_DIRS=1 PYDEVD_DISABLE_FILE_VALIDATION=1 \
	IPYTHONDIR=$(CURDIR)/$(VENV)/ipython PYTHONPATH=$(CURDIR)/tests/offline
# JupyterLab for learners: offline too, but with their own thread count and progress bars.
LAB_ENV := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 \
	JUPYTER_PLATFORM_DIRS=1 PYDEVD_DISABLE_FILE_VALIDATION=1

.PHONY: lab test lint refresh bench student lock install check-python clean

lab: install
	$(LAB_ENV) $(PY) -m tools.lab

test: install lint
	$(RUN_ENV) $(PY) -m pytest -n $(JOBS) --dist loadscope $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check mmkit tests tools benchmarks

refresh: install
	$(RUN_ENV) $(PY) -m tools.notebooks refresh $(NOTEBOOKS)

bench: install
	$(RUN_ENV) $(PY) -m benchmarks notebooks $(NOTEBOOKS)
	$(RUN_ENV) $(PY) -m benchmarks scratch
	$(RUN_ENV) $(PY) -m benchmarks calibration

student: install
	$(PY) -m tools.student $(NOTEBOOKS)

install: $(STAMP)

check-python:
	@v=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); \
	if [ -z "$$v" ]; then \
		echo "mmkit needs Python $(PYTHON_NEEDED), but '$(PYTHON)' was not found."; \
		echo "Install Python $(PYTHON_NEEDED), or name it: make $(MAKECMDGOALS) PYTHON=/path/to/python$(PYTHON_NEEDED)"; \
		exit 1; \
	elif [ "$$v" != "$(PYTHON_NEEDED)" ]; then \
		echo "mmkit needs Python $(PYTHON_NEEDED), but '$(PYTHON)' is Python $$v."; \
		echo "Install Python $(PYTHON_NEEDED), or name it: make $(MAKECMDGOALS) PYTHON=/path/to/python$(PYTHON_NEEDED)"; \
		exit 1; \
	fi

$(STAMP): | check-python
	@if [ -x $(PY) ] && [ "$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$(PYTHON_NEEDED)" ]; then \
		echo "$(VENV) was made with another Python: recreating it"; rm -rf $(VENV); fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned packages into $(VENV) (first run only; a few minutes)..."
	$(PY) -m pip install --quiet --disable-pip-version-check $(INSTALL_ARGS)
	@rm -f $(VENV)/.installed-*
	@touch $@

lock: | check-python
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check -e .[dev]
	@echo "# Every package the kit installs, pinned (made by make lock; edit pyproject.toml instead)." > constraints.txt
	.venv-lock/bin/python -m pip freeze --exclude-editable | sed 's/+cpu$$//' >> constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV)
