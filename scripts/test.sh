#!/usr/bin/env bash
# The whole test suite: installs what the tests need beyond Rust (the Zowe
# CLI from npm, into target/zowe-cli), then runs every test.
#
#   bash scripts/test.sh [cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

ZOWE_DIR="$PWD/target/zowe-cli"
if [ ! -x "$ZOWE_DIR/node_modules/.bin/zowe" ]; then
  if ! command -v npm >/dev/null; then
    echo "test.sh: npm is needed to install the Zowe CLI for the end-to-end tests (apt-get install -y nodejs npm)" >&2
    exit 2
  fi
  echo "== installing @zowe/cli@8 into $ZOWE_DIR"
  mkdir -p "$ZOWE_DIR"
  (cd "$ZOWE_DIR" && npm install --no-audit --no-fund --loglevel=error @zowe/cli@8 >/dev/null)
fi
export ZHA_ZOWE="$ZOWE_DIR/node_modules/.bin/zowe"

cargo test --workspace "$@"
