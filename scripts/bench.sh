#!/usr/bin/env bash
# make bench: release bootstraps built as deployed (cargo lambda), then the
# prm-bench harness against its own emulators; prints the report (Markdown)
# and writes it to .local/bench/report.md. No figure is asserted.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
DDB_PORT=${BENCH_DDB_PORT:-8020}
MOTO_PORT=${BENCH_MOTO_PORT:-5075}
export PATH="$root/.local/build-venv/bin:$PATH"
packages=(-p portal -p deals -p mdf -p training -p alerts -p empty-lambda)
out=target/lambda-bench

unpack() { # the bootstrap out of each zip, to run it
  for z in "$1"/*/bootstrap.zip; do
    python3 -m zipfile -e "$z" "$(dirname "$z")"
    chmod +x "$(dirname "$z")/bootstrap"
  done
}

echo "== release build, x86_64 (cargo lambda build --release --output-format zip)"
rm -rf "$out"
cargo lambda build --release --output-format zip --lambda-dir "$out/x86_64" "${packages[@]}"
unpack "$out/x86_64"
if rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-gnu$'; then
  echo "== release build, arm64"
  cargo lambda build --release --arm64 --output-format zip --lambda-dir "$out/arm64" "${packages[@]}"
else
  echo "== arm64 skipped: the aarch64-unknown-linux-gnu standard library is not installed (rustup target add aarch64-unknown-linux-gnu)"
fi
echo "== Node.js reference"
(cd bench/node && npm ci --no-audit --no-fund --loglevel=error)

cleanup() { scripts/emulators.sh stop bench; }
trap cleanup EXIT
echo "== emulators"
scripts/emulators.sh start bench "$DDB_PORT" "$MOTO_PORT"
PRM_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" PRM_TEST_AWS_ENDPOINT="http://127.0.0.1:$MOTO_PORT" \
  cargo run -q --locked -p prm-bench -- --lambda-dir "$out/x86_64" --arm64-dir "$out/arm64" "$@"
