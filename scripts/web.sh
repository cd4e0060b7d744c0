#!/usr/bin/env bash
# The web portal: install its npm packages (from the lock) when needed and build it into web/dist.
# usage: scripts/web.sh build
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/web"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
case "${1:-build}" in
  build) npx tsc --noEmit && npx vite build --logLevel warn ;;
  *) echo "usage: $0 build" >&2; exit 2 ;;
esac
