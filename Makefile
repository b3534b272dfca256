# pos_app — the two commands a newcomer needs:  `make run`  and  `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed


.PHONY: run test lint typecheck pytest bench screenshots venv clean system-deps package

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## Set everything up and start the desktop app on its embedded defaults (local SQLite, demo data).
run: system-deps $(STAMP)
	$(BIN)/pos-app demo --if-empty
	$(BIN)/pos-app gui

## Lint, type-check and run the whole test suite.
test: system-deps $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check pos_app tests migrations

typecheck: $(STAMP)
	$(BIN)/mypy

## The suite offscreen, then the tests marked `xvfb` (they print, preview or open dialogs) under a real X server:
## the offscreen platform hides crashes there. A failure or crash in either run fails make; a run that selects
## no test at all (pytest's exit code 5, e.g. PYTEST_ARGS=tests/domain) does not.
pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -p no:cacheprovider -m "not xvfb" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	xvfb-run -a env QT_QPA_PLATFORM=xcb $(BIN)/pytest -q -p no:cacheprovider -m xvfb $(PYTEST_ARGS) || [ $$? -eq 5 ]

## Benchmarks: JSON on stdout (see tests/bench).
bench: $(STAMP)
	@QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.bench $(BENCH_ARGS)

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.ui.screenshots screenshots

## The packaged app: a one-folder PyInstaller build of the desktop app in dist/pos-app/ (README "The packaged app").
package: system-deps $(STAMP)
	@$(BIN)/python -c "import PyInstaller" 2>/dev/null || $(BIN)/pip install --quiet 'pyinstaller>=6.10'
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller build.spec
	@echo "package: dist/pos-app/pos-app ($$(du -sh dist/pos-app | cut -f1))"

## Debian packages the GUI, printing and QR tests need (fonts-noto-cjk, zbar, poppler, Xvfb, Qt libs).
## Quick no-op when they are installed; uses sudo when not root.
system-deps:
	@bash .ci/system-deps.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
