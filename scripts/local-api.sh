# Sourced by scripts that test against a running platform: starts `local-api dev`
# on the emulators at $1 (DynamoDB) and $2 (moto), port $3, state in folder $4
# ($4/dev.json, $4/api.log); waits for dev.json; stops the server on exit.
# Sets LOCAL_API_PID.
start_local_api() {
  local ddb=$1 moto=$2 port=$3 run=$4
  rm -rf "$run"; mkdir -p "$run"
  PRM_DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb" PRM_AWS_ENDPOINT="http://127.0.0.1:$moto" PRM_API_PORT="$port" \
    PRM_DEV_JSON="$run/dev.json" LOG_LEVEL=warn target/debug/local-api dev >"$run/api.log" 2>&1 &
  LOCAL_API_PID=$!
  trap 'kill "$LOCAL_API_PID" 2>/dev/null || true; wait "$LOCAL_API_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 1 300); do
    [ -f "$run/dev.json" ] && return 0
    kill -0 "$LOCAL_API_PID" 2>/dev/null || { cat "$run/api.log"; return 1; }
    sleep 0.2
  done
  echo "local-api did not start"; cat "$run/api.log"; return 1
}
