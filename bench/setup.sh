# Sourced by the bench scripts: a release build of zosmf-ha ($ZHA), a high
# descriptor limit, a work folder ($W) and the processes to stop ($PIDS),
# both cleaned up on exit. Expects $ROOT.
echo "== building zosmf-ha (release)"
cargo build --release -q -p zosmf-ha
ZHA="$ROOT/target/release/zosmf-ha"
ulimit -n 20000 2>/dev/null || true
W="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$W"; }
trap cleanup EXIT
