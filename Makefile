# kzguard: two entry points (README "Quick start").
#   make demo   set up .venv and run the simulated reboot demo
#   make test   set up .venv and run every check and test
# Needs only python3, pip and make (Debian's python3-venv is used when present).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: all demo test lint typecheck versions unit tools venv clean

all: test

# One .venv, two stamps: .runtime when it holds kzguard and its runtime dependencies
# (jinja2; tomli before Python 3.11), all `make demo` needs; .installed when it also
# holds the test tool chain (.[test]: pytest, ruff, mypy, lxml...), which `make test`
# needs and which includes the runtime set.
# Debian's python3 lacks ensurepip unless python3-venv is installed; fall back to a
# pip-less venv populated by the system pip (pip >= 22.3 has --python).
define venv_with
	$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); $(PYTHON) -m venv --without-pip $(VENV); }
	if [ -x $(BIN)/pip ]; then $(BIN)/python -m pip install -q --upgrade pip; \
	  $(BIN)/python -m pip install -q -e $(1); \
	else $(PYTHON) -m pip --python $(BIN)/python install -q -e $(1); fi
endef

$(BIN)/.runtime: setup.cfg pyproject.toml
	$(call venv_with,.)
	touch $@

$(BIN)/.installed: setup.cfg pyproject.toml
	$(call venv_with,'.[test]')
	touch $(BIN)/.runtime $@

venv: $(BIN)/.installed

demo: $(BIN)/.runtime
	$(BIN)/kzguard demo

lint: venv
	$(BIN)/ruff check kzguard tests bench
	$(BIN)/ruff format --check kzguard tests bench

# bench/'s scripts import each other by name (bench/README.md): MYPYPATH finds them.
typecheck: venv
	$(BIN)/mypy --strict kzguard
	$(BIN)/mypy --strict tests
	MYPYPATH=.:bench $(BIN)/mypy --strict bench

# Branch coverage: kzguard as a whole at least 95 %, and the pure core (no I/O; its
# module docstrings say "Pure") 100 %.  Coverage follows kzguard into its Python
# subprocesses (pyproject.toml [tool.coverage.run] patch), so the CLI and the SMF
# methods the integration tests run count, as do the simulated commands the
# simulator's own tests run.  The reboot-cycle soak runs hundreds of kzguard
# processes: measured, each would pay coverage's start-up, so its subprocesses are
# not (tests/soak).  Four pytest-xdist workers on two CPUs: most tests wait on
# simulated commands; the soak, the longest, is handed out first (tests/conftest.py).
PURE_CORE := errors model units text zonename policy/model policy/schema policy/selection policy/toml \
  policy/syntax policy/words policy/definitions policy/show policy/report policy/values \
  policy/tables policy/inheritance policy/rules policy/cycles policy/order \
  solaris/argv solaris/parse/common solaris/parse/df solaris/parse/kstat solaris/parse/svcprop \
  solaris/parse/beadm solaris/parse/who solaris/parse/zoneadm solaris/parse/zonecfg solaris/parse/zpool \
  journal/records journal/document journal/history journal/pace_record journal/configs \
  pace/limit pace/measure pace/search pace/tail pace/auto pace/choose stop/plan stop/image stop/outcome stop/promote start/plan \
  start/order start/outcome start/proof \
  solaris/protection status/checks status/health status/report status/cycle manifest/timeouts
empty :=
comma := ,
PURE_CORE_FILES := $(subst $(empty) $(empty),$(comma),$(strip $(PURE_CORE:%=kzguard/%.py)))

unit: venv tools
	rm -f .coverage .coverage.*
	$(BIN)/python -m pytest -q -n 4 --cov=kzguard --cov-branch \
	  --cov-report=term-missing:skip-covered --cov-fail-under=95 --durations=10
	$(BIN)/coverage report --include='$(PURE_CORE_FILES)' --no-skip-covered --fail-under=100

# The runtime code must run on Python 3.9.  Every module has `from __future__ import
# annotations` (tests/packaging/test_python_versions.py), so annotations are never
# evaluated and must not count: no --eval-annotations.
versions: venv
	$(BIN)/vermin -t=3.9- --violations --no-tips kzguard

# mandoc lints the man pages (a test).  Installed from Debian when we may (CI runs
# as root); elsewhere the test says it is missing and, outside CI, skips.
tools:
	@command -v mandoc >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mandoc >/dev/null); } || true

test: lint typecheck versions unit

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
