#!/usr/bin/env bash
# The web portal in a real browser: builds it, serves it with local-api on the
# emulators that make test started (as make dev does), and runs the
# playwright-core suite in web/test with Debian's chromium.
# usage: scripts/web-e2e.sh DYNAMODB_PORT MOTO_PORT
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ddb=${1:?dynamodb port}; moto=${2:?moto port}
port=${WEB_E2E_PORT:-3020}
run=.local/run/web
rm -rf "$run"; mkdir -p "$run"
scripts/web.sh build
PRM_DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb" PRM_AWS_ENDPOINT="http://127.0.0.1:$moto" PRM_API_PORT="$port" \
  PRM_DEV_JSON="$run/dev.json" LOG_LEVEL=warn target/debug/local-api dev >"$run/api.log" 2>&1 &
api=$!
trap 'kill "$api" 2>/dev/null || true; wait "$api" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do [ -f "$run/dev.json" ] && break; kill -0 "$api" || { cat "$run/api.log"; exit 1; }; sleep 0.2; done
[ -f "$run/dev.json" ] || { echo "local-api did not start"; cat "$run/api.log"; exit 1; }
(cd web && PRM_DEV_JSON="$root/$run/dev.json" PRM_SCREENSHOTS="$root/.local/screenshots" node --test test/)
echo "screenshots: .local/screenshots"
