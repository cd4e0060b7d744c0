#!/usr/bin/env bash
# make test: formatting, lints, unit tests and the end-to-end tests against
# emulators that this script starts (on their own ports) and stops.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
DDB_PORT=${TEST_DDB_PORT:-8010}
MOTO_PORT=${TEST_MOTO_PORT:-5065}

echo "== infra: typecheck and unit tests (offline, no Rust build)"
(cd infra && npx tsc --noEmit && npx tsx --test test/*.test.ts)
echo "== infra: synth, cfn-lint, checkov"
for stage in dev prod; do
  out="$root/.local/run/cdk.out/$stage"
  rm -rf "$out"
  started=$(date +%s.%N)
  (cd infra && CDK_DISABLE_VERSION_CHECK=1 PRM_SKIP_BUNDLING=1 npx cdk synth --quiet -c stage=$stage -o "$out" >/dev/null)
  template="$out/prm-$stage.template.json"
  echo "$stage: synth $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $started}") s," \
    "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["Resources"]))' "$template") resources"
  .local/infra-venv/bin/cfn-lint --ignore-checks W3005 -- "$template"
  (cd "$out" && BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=true \
    "$root/.local/infra-venv/bin/checkov" --skip-download --quiet --compact --framework cloudformation -f "$template")
done
echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== build"
cargo test --workspace --locked --no-run
cargo build -q --locked -p local-api

peak() { # VmHWM of an emulator, from its pid file
  local f=".local/run/test/$1.pid"
  [ -f "$f" ] && awk '/VmHWM/ {printf "%d MiB", $2/1024}' "/proc/$(cat "$f")/status" 2>/dev/null || echo "?"
}
cleanup() {
  echo "== emulator peak memory: dynamodb $(peak dynamodb), moto $(peak moto)"
  scripts/emulators.sh stop test
}
trap cleanup EXIT
echo "== emulators"
scripts/emulators.sh start test "$DDB_PORT" "$MOTO_PORT"
echo "== tests"
PRM_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" PRM_TEST_AWS_ENDPOINT="http://127.0.0.1:$MOTO_PORT" \
  cargo test --workspace --locked
echo "== web portal in a browser (playwright-core, Debian chromium)"
scripts/web-e2e.sh "$DDB_PORT" "$MOTO_PORT"
echo "== contract fuzzing (schemathesis against local-api, fixed seed; make fuzz for longer)"
scripts/contract.sh "$DDB_PORT" "$MOTO_PORT" "${CONTRACT_EXAMPLES:-10}"

