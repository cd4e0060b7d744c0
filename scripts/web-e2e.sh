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
scripts/web.sh build
. scripts/local-api.sh
start_local_api "$ddb" "$moto" "$port" "$run"
(cd web && PRM_DEV_JSON="$root/$run/dev.json" PRM_SCREENSHOTS="$root/.local/screenshots" node --test test/)
echo "screenshots: .local/screenshots"
