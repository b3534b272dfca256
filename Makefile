# pos_app — the two commands a newcomer needs:  `make run`  and  `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed


.PHONY: run test lint typecheck pytest bench screenshots venv clean system-deps package messages messages-compile sync-demo

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

## pytest-xdist processes for the offscreen run (a file's tests stay together, in order, on one of them);
## PYTEST_WORKERS=0 runs it in this one process.
PYTEST_WORKERS ?= auto
## The suite offscreen, then the tests marked `xvfb` (they print, preview or open dialogs) under a real X server:
## the offscreen platform hides crashes there. A failure or crash in either run fails make; a run that selects
## no test at all (pytest's exit code 5, e.g. PYTEST_ARGS=tests/domain) does not.
pytest: $(STAMP) messages-compile
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --durations 15 \
		-m "not xvfb" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	xvfb-run -a env QT_QPA_PLATFORM=xcb $(BIN)/pytest -q -p no:cacheprovider -m xvfb $(PYTEST_ARGS) || [ $$? -eq 5 ]

## Sync in a minute (README "Sync"): a central server on its embedded SQLite in a temp folder, two stores paired
## with it, a recharge in store A, one sync round each, and a spend of that money in store B. Leaves nothing behind.
DEMO_PORT ?= 8765
sync-demo: $(STAMP) messages-compile
	@set -e; D=$$(mktemp -d); export POS_CONFIG=$$D/config.toml POS_LANG=en; C="--db sqlite:///$$D/central.db"; \
	trap 'kill $$SRV 2>/dev/null; rm -rf $$D' EXIT; \
	$(BIN)/python -m pos_app.central init $$C >/dev/null; \
	$(BIN)/python -m pos_app.central serve $$C --port $(DEMO_PORT) >$$D/central.log 2>&1 & SRV=$$!; \
	for i in $$(seq 100); do $(BIN)/python -c "import httpx,sys; httpx.get('http://127.0.0.1:$(DEMO_PORT)/openapi.json')" \
	  2>/dev/null && break; sleep 0.1; done; \
	echo "== central server on http://127.0.0.1:$(DEMO_PORT) (log: central.log)"; \
	for S in A001 B002; do \
	  $(BIN)/pos-app --db $$D/$$S.db init --manager admin --manager-pin 8888 --store-code $$S --store-name "store $$S" >/dev/null; \
	  $(BIN)/python -m pos_app.central store add "store $$S" --code $$S $$C >/dev/null; \
	  CODE=$$($(BIN)/python -m pos_app.central device code --store $$S $$C --json | $(BIN)/python -c "import json,sys; print(json.load(sys.stdin)['code'])"); \
	  $(BIN)/pos-app --db $$D/$$S.db --staff admin --pin 8888 pair --server http://127.0.0.1:$(DEMO_PORT) --code $$CODE; \
	done; \
	A="$(BIN)/pos-app --db $$D/A001.db --staff admin --pin 8888"; B="$(BIN)/pos-app --db $$D/B002.db --staff admin --pin 8888"; \
	echo "== store A: a new member recharges 500"; \
	$$A member add --phone 13800138001 --name Demo >/dev/null; $$A recharge --phone 13800138001 --amount 500 --pay cash; \
	echo "== store A syncs, then store B"; $$A sync; $$B sync; \
	echo "== store B: the member pays 120 from the balance recharged in A"; \
	$$B spend --phone 13800138001 --amount 120; \
	$$B sync; $$A sync; $$A sync status; \
	echo "== central's merged view"; $(BIN)/python -m pos_app.central member show --phone 13800138001 $$C

## Benchmarks: one JSON document on stdout and in bench.json, a table of the goals on stderr (see tests/bench);
## QUICK=1 runs the small sizes (under two minutes).
bench: $(STAMP)
	@QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.bench $(if $(QUICK),--quick) $(BENCH_ARGS)

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
