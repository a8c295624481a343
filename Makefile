# One command to run the app, one to run the tests; both set up what they need first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL_STAMP := var/models/multilingual-e5-small/onnx/e5.onnx
export OMP_NUM_THREADS ?= 1

.PHONY: setup run test bench calibrate ingest screenshots clean

$(STAMP): requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

$(MODEL_STAMP): $(STAMP)
	$(BIN)/python -m ingest.bundled_model

setup: $(STAMP) $(MODEL_STAMP)

run: setup
	$(BIN)/python -m bot serve --host 127.0.0.1 --port 7860

ingest: setup
	$(BIN)/python -m ingest

test: setup
	$(BIN)/python -m pytest -q tests

bench: setup
	$(BIN)/python -m bench.evaluation
	$(BIN)/python -m bench.items
	$(BIN)/python -m bench

calibrate: setup
	$(BIN)/python -m bot.calibrate eval/dev.jsonl eval/dev3.jsonl eval/legacy.jsonl --grading eval/grading.jsonl eval/grading-dev.jsonl eval/grading-dev2.jsonl

# the README's pictures, taken by the browser tests in headless Chromium
screenshots: setup
	KB_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q tests/test_browser.py tests/test_browser_history.py
	for name in answer history quiz exam phone; do cp tests/artifacts/$$name.png docs/screenshot-$$name.png; done

clean:
	rm -rf var/store
