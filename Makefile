# pos_app — the two commands a newcomer needs:  `make run`  and  `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed


.PHONY: run test lint typecheck pytest bench screenshots venv clean system-deps package messages messages-compile

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pybabel compile --statistics -d $(LOCALE) -D pos_app
	touch $(STAMP)

venv: $(STAMP)

## Translations (README "Translations"): the .po sources in pos_app/locale/<lang>/LC_MESSAGES/ compiled to .mo
## (never committed), and the ids extracted from the code into the .po files (new ids get an empty text to fill).
LOCALE := pos_app/locale
messages-compile: $(STAMP)
	$(BIN)/pybabel compile --statistics -d $(LOCALE) -D pos_app

messages: $(STAMP)
	PYTHONPATH=$(CURDIR) $(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output --no-wrap \
		--project pos_app --version 0.1.0 -o $(LOCALE)/pos_app.pot pos_app
	$(BIN)/pybabel -q update -i $(LOCALE)/pos_app.pot -d $(LOCALE) -D pos_app --no-fuzzy-matching \
		--ignore-obsolete --no-wrap
	rm -f $(LOCALE)/pos_app.pot
	$(MAKE) --no-print-directory messages-compile

## Set everything up and start the desktop app on its embedded defaults (local SQLite, demo data).
run: system-deps $(STAMP) messages-compile
	$(BIN)/pos-app demo --if-empty
	$(BIN)/pos-app gui

## Lint, type-check and run the whole test suite.
test: system-deps $(STAMP) messages-compile lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check pos_app tests migrations

typecheck: $(STAMP)
	$(BIN)/mypy

## The suite offscreen, then the tests marked `xvfb` (they print, preview or open dialogs) under a real X server:
## the offscreen platform hides crashes there. A failure or crash in either run fails make; a run that selects
## no test at all (pytest's exit code 5, e.g. PYTEST_ARGS=tests/domain) does not.
pytest: $(STAMP) messages-compile
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -p no:cacheprovider -m "not xvfb" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	xvfb-run -a env QT_QPA_PLATFORM=xcb $(BIN)/pytest -q -p no:cacheprovider -m xvfb $(PYTEST_ARGS) || [ $$? -eq 5 ]

## Benchmarks: JSON on stdout (see tests/bench).
bench: $(STAMP)
	@QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.bench $(BENCH_ARGS)

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.ui.screenshots screenshots

## The packaged app: a one-folder PyInstaller build of the desktop app in dist/pos-app/ (README "The packaged app").
package: system-deps $(STAMP) messages-compile
	@$(BIN)/python -c "import PyInstaller" 2>/dev/null || $(BIN)/pip install --quiet 'pyinstaller>=6.10'
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller build.spec
	@echo "package: dist/pos-app/pos-app ($$(du -sh dist/pos-app | cut -f1))"

## Debian packages the GUI, printing and QR tests need (fonts-noto-cjk, zbar, poppler, Xvfb, Qt libs).
## Quick no-op when they are installed; uses sudo when not root.
system-deps:
	@bash .ci/system-deps.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
