# HMP Studio: `make studio` sets everything up and opens the app on the sample video; `make test` sets
# everything up, runs the lint and type checks (ruff, mypy) and then the whole suite. `make setup` alone is
# idempotent and cheap when nothing changed.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# CPU build from the local wheel cache on our machines. On a CUDA machine use, for example:
#   make setup TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.setup-complete
SAMPLE := resources/samples/right_hand_gestures_720p30.mp4

.PHONY: setup studio test system-deps open-hand clean

setup: $(STAMP)

$(STAMP): pyproject.toml tools/system_deps.sh
	bash tools/system_deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

studio: setup
	$(BIN)/hmp-studio $(SAMPLE)

# Lint and type checks first (configured in pyproject.toml), then the suite.
test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen PYOPENGL_PLATFORM=egl $(BIN)/python -m pytest

system-deps:
	bash tools/system_deps.sh

# Rebuild the bundled open-hand model files and their picture from the WebXR source meshes.
open-hand: setup
	$(BIN)/python tools/build_open_hand.py
	PYOPENGL_PLATFORM=egl $(BIN)/python tools/render_open_hand.py

clean:
	rm -rf $(VENV) .pytest_cache
