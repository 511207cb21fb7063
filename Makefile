# mmkit: every command a learner, teacher or maintainer needs.
#
#   make lab      set up (first time only) and start JupyterLab on your workspace/: your own
#                 copies of the notebooks, never overwritten (make lab SOLVED=1: the solved ones)
#   make restore NOTEBOOK=01  a fresh copy of one notebook in workspace/ (old one kept in backups/)
#   make test     set up (first time only), lint, run the unit tests and every notebook,
#                 then (on a full run, no PYTEST_ARGS) make ui-test
#   make ui-test  every widget driven in Chromium (installed when missing): each control
#                 changes the picture, no error, labels fit; screenshots in build/ui-test/
#   make refresh  re-execute the notebooks in place (after changing mmkit/ or a notebook)
#   make bench    time each notebook, record its peak memory, time the from-scratch MLP
#                 against PyTorch, time each widget's response in the browser
#                 (results in benchmarks/results/, to commit)
#   make student  students' copies of the notebooks in student/: solutions stubbed, check
#                 outputs cleared, nbgrader metadata kept (the same copies as workspace/)
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
# The browser of make ui-test: Debian's Chromium, with the fonts its labels are measured in
# (Playwright's own browser download is not used).
CHROMIUM ?= /usr/bin/chromium

# The environment of every notebook run (tests, refresh, benchmarks): set here only.
RUN_ENV := PYTHONHASHSEED=0 SOURCE_DATE_EPOCH=1767225600 \
	MMKIT_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 \
	TQDM_DISABLE=1 JUPYTER_PLATFORM_DIRS=1 PYDEVD_DISABLE_FILE_VALIDATION=1 \
	IPYTHONDIR=$(CURDIR)/$(VENV)/ipython PYTHONPATH=$(CURDIR)/tests/offline
# JupyterLab for learners: offline too, but with their own thread count and progress bars.
LAB_ENV := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 \
	JUPYTER_PLATFORM_DIRS=1 PYDEVD_DISABLE_FILE_VALIDATION=1

.PHONY: lab restore test ui-test chromium lint refresh bench student lock install check-python clean

lab: install
	$(LAB_ENV) $(PY) -m tools.lab $(if $(SOLVED),--solved)

restore: install
	$(PY) -m tools.workspace restore $(NOTEBOOK)

test: install lint
	$(RUN_ENV) $(PY) -m pytest -n $(JOBS) --dist loadscope $(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,@$(MAKE) --no-print-directory ui-test)

ui-test: install chromium
	$(RUN_ENV) MMKIT_CHROMIUM=$(CHROMIUM) $(PY) -m pytest tests/browser $(PYTEST_ARGS)

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Chromium for the browser tests (apt-get)..."; \
			apt-get update && apt-get install -y --no-install-recommends chromium fonts-liberation; \
		else \
			echo "The browser tests need Chromium at $(CHROMIUM). Install it (Debian, Ubuntu:"; \
			echo "sudo apt-get install chromium), or name it: make $(MAKECMDGOALS) CHROMIUM=/path/to/chromium"; \
			exit 1; \
		fi; \
	fi

lint: install
	$(VENV)/bin/ruff check mmkit tests tools benchmarks

refresh: install
	$(RUN_ENV) $(PY) -m tools.notebooks refresh $(NOTEBOOKS)

bench: install chromium
	$(RUN_ENV) $(PY) -m benchmarks notebooks $(NOTEBOOKS)
	$(RUN_ENV) $(PY) -m benchmarks scratch
	$(RUN_ENV) $(PY) -m benchmarks calibration
	$(RUN_ENV) $(PY) -m benchmarks fusion
	$(RUN_ENV) $(PY) -m benchmarks robustness
	$(RUN_ENV) $(PY) -m benchmarks compression
	$(RUN_ENV) $(PY) -m benchmarks distributed
	$(RUN_ENV) $(PY) -m benchmarks real_voices
	$(RUN_ENV) MMKIT_CHROMIUM=$(CHROMIUM) $(PY) -m benchmarks widgets $(NOTEBOOKS)

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
