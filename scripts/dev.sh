#!/usr/bin/env bash
# make dev: start the emulators, provision and seed them, serve the API on
# http://127.0.0.1:3000 and write .local/dev.json. Ctrl-C stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
DDB_PORT=${PRM_DEV_DYNAMODB_PORT:-8000}
MOTO_PORT=${PRM_DEV_MOTO_PORT:-5055}
rm -f .local/dev.json
cargo build -p local-api
cleanup() { trap - EXIT INT TERM; scripts/emulators.sh stop dev >/dev/null 2>&1 || true; rm -f .local/dev.json; }
trap cleanup EXIT INT TERM
scripts/emulators.sh start dev "$DDB_PORT" "$MOTO_PORT"
PRM_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" PRM_AWS_ENDPOINT="http://127.0.0.1:$MOTO_PORT" \
  target/debug/local-api dev
