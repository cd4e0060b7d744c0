#!/usr/bin/env bash
# make dev: start the emulators, provision and seed them, serve the API on
# http://127.0.0.1:3000 and write .local/dev.json. Ctrl-C (or SIGTERM) stops
# everything; a run killed outright is cleaned up by the next one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
DDB_PORT=${PRM_DEV_DYNAMODB_PORT:-8000}
MOTO_PORT=${PRM_DEV_MOTO_PORT:-5055}
API_PORT=${PRM_API_PORT:-3000}
run=.local/run/dev
mkdir -p "$run"

stop_api() {
  [ -f "$run/api.pid" ] || return 0
  local pid; pid=$(cat "$run/api.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$run/api.pid"
}

stop_api
rm -f .local/dev.json
cargo build -p local-api
scripts/web.sh build
cleanup() {
  trap - EXIT INT TERM
  stop_api
  scripts/emulators.sh stop dev >/dev/null 2>&1 || true
  rm -f .local/dev.json
}
trap cleanup EXIT INT TERM
scripts/emulators.sh start dev "$DDB_PORT" "$MOTO_PORT"
PRM_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" PRM_AWS_ENDPOINT="http://127.0.0.1:$MOTO_PORT" \
  PRM_API_PORT="$API_PORT" target/debug/local-api dev &
echo $! >"$run/api.pid"
# Returns when the server exits or a signal runs the trap.
wait "$(cat "$run/api.pid")"
