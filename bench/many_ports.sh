#!/usr/bin/env bash
# Many ports: a distributor for 1,024 DVIPA ports (10000-11023), each with
# its own preferred and backup target (2,048 endpoints, 2,048 probes a
# second). Measures how long the first round takes, how long netstat
# takes, and — SIGKILL of the preferred backend process — how long until
# every port has switched, with the control task's decision time (from
# the arrival of evidence to the published route, zosmf_ha_decision_seconds).
#
#   bash bench/many_ports.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
cargo build --release -q -p zosmf-ha
ZHA="$ROOT/target/release/zosmf-ha"
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT

NET=127.0.3
LO=10000; HI=11023
cat > "$W/backend.py" <<'PY'
import selectors, socket, sys
host, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sel = selectors.DefaultSelector()
for p in range(lo, hi + 1):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, p)); s.listen(128); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept(); c.close()
        except OSError:
            pass
PY
ulimit -n "$(ulimit -Hn)"
python3 "$W/backend.py" $NET.11 $LO $HI > "$W/a.out" & A=$!; PIDS+=($A)
python3 "$W/backend.py" $NET.12 $LO $HI > "$W/b.out" & B=$!; PIDS+=($B)
for f in a b; do for _ in $(seq 100); do grep -q ready "$W/$f.out" && break; sleep 0.1; done; done

cat > "$W/PROFILE.TCPIP" <<EOF2
IPCONFIG SYSPLEXROUTING DYNAMICXCF $NET.11 255.0.0.0 1
VIPADYNAMIC
  VIPADEFINE 255.255.255.0 $NET.10
  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY $NET.10 PORT $LO-$HI
    DESTIP $NET.11 PREFERRED $NET.12 BACKUP
ENDVIPADYNAMIC
EOF2
cat > "$W/zosmf-ha.toml" <<EOF2
[state]
dir = "$W/state"
[metrics]
address = "127.0.0.1:0"
[log]
access = false
EOF2
# A fixed metrics port: the first free one from 19464.
MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s/127.0.0.1:0/127.0.0.1:$MPORT/" "$W/zosmf-ha.toml"

now() { date +%s.%N; }
T0=$(now)
ZOSMF_HA_LOG=warn "$ZHA" distribute --profile "$W/PROFILE.TCPIP" --config "$W/zosmf-ha.toml" 2> "$W/zha.log" & D=$!; PIDS+=($D)
active_on() { # how many services have this target active
  "$ZHA" netstat vdpt --format json --config "$W/zosmf-ha.toml" 2>/dev/null \
    | python3 -c "import json,sys; r=json.load(sys.stdin); print(sum(1 for s in r['services'] if not s['starting'] and (s['active'] or '').startswith('$1')))" 2>/dev/null || echo 0
}
until [ "$(active_on $NET.11:)" = 1024 ]; do sleep 0.05; done
T1=$(now)
echo "first round over on every port: $(python3 -c "print(f'{$T1-$T0:.2f}')") s after start"
S=$(now); "$ZHA" netstat vdpt --format json --config "$W/zosmf-ha.toml" > /dev/null; E=$(now)
echo "netstat vdpt --format json (1,024 services): $(python3 -c "print(f'{($E-$S)*1000:.0f}')") ms"
curl -s "http://127.0.0.1:$MPORT/metrics" | grep '^zosmf_ha_decision_seconds_count' > "$W/before"
sleep 1
K=$(now); kill -9 $A; wait $A 2>/dev/null || true
until [ "$(active_on $NET.12:)" = 1024 ]; do sleep 0.02; done
F=$(now)
echo "SIGKILL of SYSA's backend to every port switched: $(python3 -c "print(f'{($F-$K)*1000:.0f}')") ms (detection by probes: fall 2 at 1 s)"
curl -s "http://127.0.0.1:$MPORT/metrics" | python3 -c '
import sys
b = []; count = 0; total = 0.0
for l in sys.stdin:
    if l.startswith("zosmf_ha_decision_seconds_bucket"):
        le = l.split("le=\"")[1].split("\"")[0]; n = float(l.rsplit(" ",1)[1])
        b.append((float("inf") if le == "+Inf" else float(le), n))
    elif l.startswith("zosmf_ha_decision_seconds_count"): count = float(l.rsplit(" ",1)[1])
    elif l.startswith("zosmf_ha_decision_seconds_sum"): total = float(l.rsplit(" ",1)[1])
def q(p):
    for le, n in b:
        if n >= p * count: return le
print(f"decision time over {int(count)} decisions: mean {total/count*1000:.2f} ms, p50 <= {q(0.5)*1000:.2f} ms, p99 <= {q(0.99)*1000:.2f} ms, max <= {q(1.0)*1000:.2f} ms")
'
