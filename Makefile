# deploydocs: every target bootstraps .venv with the pinned dependencies on
# first use, so a fresh clone needs only Python 3.11 and the package registries.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
BUILDDIR ?= _build
SPHINXOPTS ?= -W --keep-going -n
# Lab backend for verify/lab-up: docker (default), ssh (INVENTORY=file), qemu.
LAB ?= docker
INVENTORY ?=
TOOLS_DIR ?=
STRICT ?=

STAMP := $(VENV)/.installed

.PHONY: help html verify plan accept test bench lab-up lab-down lab-status lint clean

help:
	@echo "make html      build the site in render mode (no lab, no commands run)"
	@echo "make verify    run every tutorial block on the lab, then build the site"
	@echo "make plan      print which command goes to which host, run nothing"
	@echo "make test      run the whole test suite (starts the docker lab)"
	@echo "make bench     run the benchmarks, append to bench/RESULTS.md"
	@echo "make lab-up / lab-down / lab-status   manage the lab"
	@echo "make lint      ruff"
	@echo "make clean     remove build output"

# Debian packages the lab and the tests drive for real (debootstrap builds
# the node images, rsync pushes images, systemd-analyze checks units). The
# tests also read the site in Debian's headless Chromium (browser tests).
SYSTEM_PACKAGES := debootstrap rsync systemd
SYSTEM_COMMANDS := /usr/sbin/debootstrap /usr/bin/rsync /usr/bin/systemd-analyze
# The qemu lab (LAB=qemu) also runs qemu and makes its copy-on-write disks with qemu-img.
# qemu-utils comes from bookworm itself: a newer backported qemu-utils (some machine images
# ship one) refuses bookworm's qemu-system-x86, so apt may have to downgrade it.
ifeq ($(LAB),qemu)
SYSTEM_PACKAGES += qemu-system-x86 qemu-utils/bookworm
SYSTEM_COMMANDS += /usr/bin/qemu-system-x86_64 /usr/bin/qemu-img
endif
TEST_PACKAGES := $(SYSTEM_PACKAGES) chromium chromium-driver
TEST_COMMANDS := $(SYSTEM_COMMANDS) /usr/bin/chromium /usr/bin/chromedriver

# $(call install-missing,commands,packages): apt-get install the packages when a command is
# missing (as root), else say what to install and stop.
define install-missing
	@missing=""; for c in $(1); do test -x $$c || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing $(2) from Debian"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --allow-downgrades $(2); \
	  else echo "missing system packages: sudo apt-get install $(2)" >&2; exit 2; fi; \
	fi
endef

.PHONY: system-deps test-deps
system-deps:
	$(call install-missing,$(SYSTEM_COMMANDS),$(SYSTEM_PACKAGES))

test-deps:
	$(call install-missing,$(TEST_COMMANDS),$(TEST_PACKAGES))

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

html: $(STAMP)
	DEPLOYDOCS_MODE=render $(BIN)/sphinx-build -b html -j auto $(SPHINXOPTS) . $(BUILDDIR)/html
	@echo "Open $(BUILDDIR)/html/index.html"

verify: $(STAMP) system-deps
	DEPLOYDOCS_MODE=verify DEPLOYDOCS_LAB=$(LAB) DEPLOYDOCS_INVENTORY=$(INVENTORY) \
	DEPLOYDOCS_TOOLS_DIR=$(TOOLS_DIR) DEPLOYDOCS_STRICT=$(STRICT) \
	$(BIN)/sphinx-build -b html $(SPHINXOPTS) . $(BUILDDIR)/verify
	@echo "Report: $(BUILDDIR)/verify/reference/verification.html (JUnit and transcripts: $(BUILDDIR)/verify/deploydocs/)"

plan: $(STAMP)
	DEPLOYDOCS_MODE=plan $(BIN)/sphinx-build -b html -q . $(BUILDDIR)/plan

accept: $(STAMP) system-deps
	DEPLOYDOCS_MODE=accept DEPLOYDOCS_LAB=$(LAB) DEPLOYDOCS_INVENTORY=$(INVENTORY) \
	DEPLOYDOCS_TOOLS_DIR=$(TOOLS_DIR) \
	$(BIN)/sphinx-build -b html $(SPHINXOPTS) . $(BUILDDIR)/verify

test: $(STAMP) test-deps
	TOOLS_DIR=$(TOOLS_DIR) $(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-pythons

# The tools tests once per supported Python, each in a venv holding only the
# deploydocs-tools distribution (installed from a copy of tools/, so no build
# files land next to the code) and the test pins. The interpreter is looked up
# under pyenv's versions, then on PATH; a missing one fails the target.
TOOLS_PYTHONS ?= 3.11 3.12 3.13
.PHONY: test-pythons
test-pythons:
	@set -e; for v in $(TOOLS_PYTHONS); do \
	  py=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -n1); \
	  [ -n "$$py" ] || py=$$(command -v python$$v || true); \
	  if [ -z "$$py" ] || ! "$$py" -c pass 2>/dev/null; then \
	    echo "test-pythons: no Python $$v (looked in pyenv's versions and on PATH): install it" >&2; exit 1; fi; \
	  venv=$(BUILDDIR)/venvs/py$$v; \
	  if [ ! -e $$venv/.installed ] || [ tools/pyproject.toml -nt $$venv/.installed ] \
	     || [ tests/tools/requirements.txt -nt $$venv/.installed ]; then \
	    echo "test-pythons: installing deploydocs-tools into $$venv ($$py)"; \
	    "$$py" -m venv --clear $$venv; \
	    src=$$(mktemp -d); cp -r tools $$src/; \
	    $$venv/bin/python -m pip install --quiet "$$src/tools[lab]" -r tests/tools/requirements.txt; \
	    rm -rf $$src; touch $$venv/.installed; \
	  fi; \
	  echo "test-pythons: the tools tests on $$($$venv/bin/python -V)"; \
	  $$venv/bin/python -m pytest tests/tools -q -p no:cacheprovider \
	    -m "not lab and not qemu and not real_tools"; \
	done

bench: $(STAMP)
	$(BIN)/python -m bench

lab-up: $(STAMP) system-deps
	$(BIN)/python -m tools lab up --backend $(LAB) $(if $(TOOLS_DIR),--tools-dir $(TOOLS_DIR)) $(if $(INVENTORY),--inventory $(INVENTORY))

lab-status: $(STAMP)
	$(BIN)/python -m tools lab status $(if $(filter qemu,$(LAB)),--backend qemu) $(if $(INVENTORY),--inventory $(INVENTORY))

lab-down: $(STAMP)
	$(BIN)/python -m tools lab down $(if $(filter qemu,$(LAB)),--backend qemu)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy tools _ext/deploydocs

clean:
	rm -rf $(BUILDDIR) reference/api
