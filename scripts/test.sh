#!/usr/bin/env bash
# The whole test suite: installs what the tests need beyond Rust (the Zowe
# CLI from npm, into target/zowe-cli), then runs every test.
#
#   bash scripts/test.sh [cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# The corpus of real z/OS files: ../shared/corpus beside the clone, or
# ZHA_CORPUS, or where this workplace keeps it.
if [ -z "${ZHA_CORPUS:-}" ]; then
  for c in ../shared/corpus /work/shared/corpus; do
    if [ -d "$c" ]; then ZHA_CORPUS="$(cd "$c" && pwd)"; break; fi
  done
fi
if [ -z "${ZHA_CORPUS:-}" ] || [ ! -d "$ZHA_CORPUS/tcpip" ]; then
  echo "test.sh: the corpus (shared/corpus) is missing beside this clone; set ZHA_CORPUS to its folder" >&2
  exit 1
fi
export ZHA_CORPUS

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

# --no-fail-fast: one failing test binary does not hide the others' results.
cargo test --workspace --no-fail-fast "$@"
