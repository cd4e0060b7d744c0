#!/usr/bin/env bash
# Contract fuzzing: schemathesis (PyPI) against local-api serving every router
# on the emulators that make test started, with the generated OpenAPI document
# and real tokens of a vendor admin, a partner admin and a partner user.
# usage: scripts/contract.sh DYNAMODB_PORT MOTO_PORT [MAX_EXAMPLES] [SEED]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ddb=${1:?dynamodb port}; moto=${2:?moto port}
examples=${3:-${CONTRACT_EXAMPLES:-5}}
seed=${4:-${CONTRACT_SEED:-20261204}}
port=${CONTRACT_API_PORT:-3010}
run=.local/run/contract
. scripts/local-api.sh
start_local_api "$ddb" "$moto" "$port" "$run"
failed=0
total_passed=0; total_failed=0
for user in admin@vendor.example.com admin@northwind.example.com user@contoso.example.com; do
  token=$(PRM_DEV_JSON="$run/dev.json" target/debug/local-api token "$user")
  echo "-- schemathesis as $user ($examples examples per operation, seed $seed)"
  if ! (cd "$run" && "$root/.local/fuzz-venv/bin/schemathesis" run "$root/openapi.json" \
      --url "http://127.0.0.1:$port" -H "Authorization: Bearer $token" \
      --checks not_a_server_error,response_schema_conformance,negative_data_rejection,ignored_auth \
      --max-examples "$examples" --seed "$seed" --no-color --request-timeout 30 >"${user%%@*}-${user#*@}.log" 2>&1); then
    failed=1
    cat "$run/${user%%@*}-${user#*@}.log"
  fi
  log="$run/${user%%@*}-${user#*@}.log"
  grep -E "generated|failures|passed" "$log" | tail -3
  line=$(grep -E "^ *[0-9]+ generated," "$log" | tail -1 || true)
  generated=$(echo "$line" | sed -E 's/^ *([0-9]+) generated.*/\1/')
  found=$(echo "$line" | sed -nE 's/.* ([0-9]+) found.*/\1/p')
  total_failed=$(( total_failed + ${found:-0} ))
  total_passed=$(( total_passed + ${generated:-0} - ${found:-0} ))
done
echo "contract: $total_passed passed, $total_failed failed"
exit "$failed"
