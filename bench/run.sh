#!/usr/bin/env bash
# Benchmark: direct connection vs zosmf-ha vs HAProxy (TCP mode), same
# preferred/backup setup, in one run; writes BENCHMARKS.md.
#
#   bash bench/run.sh [RUNS]        (default 3 runs; needs root for apt-get)
#
# Loopback only: backends on 127.0.1.11 (preferred) and 127.0.1.12 (backup),
# zosmf-ha on the DVIPA 127.0.1.10, HAProxy on 127.0.1.20.
set -euo pipefail
RUNS="${1:-3}"
DURATION="${BENCH_DURATION:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

need=()
for c in haproxy wrk nginx iperf3; do command -v "$c" >/dev/null || need+=("$c"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing haproxy wrk nginx-light iperf3"
  apt-get update -qq && apt-get install -y -qq haproxy wrk nginx-light iperf3 >/dev/null
fi
service nginx stop >/dev/null 2>&1 || true
service haproxy stop >/dev/null 2>&1 || true

. "$ROOT/bench/setup.sh"

A=127.0.1.11 B=127.0.1.12 DVIPA=127.0.1.10 HA=127.0.1.20 HTTP=8080 BULK=5201

# Backends: nginx (HTTP) and iperf3 (bulk) on each system.
mkdir -p "$W/www"
head -c 1024 /dev/zero | tr '\0' 'x' > "$W/www/small.html"
for s in A B; do
  ip=${!s}
  cat > "$W/nginx-$s.conf" <<EOF2
worker_processes 1;
pid $W/nginx-$s.pid;
error_log $W/nginx-$s.err;
worker_rlimit_nofile 20000;
events { worker_connections 19000; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server { listen $ip:$HTTP reuseport backlog=4096; root $W/www; }
}
EOF2
  nginx -c "$W/nginx-$s.conf" -p "$W"
  iperf3 -s -B "$ip" -p $BULK -D --pidfile "$W/iperf-$s.pid"
done
sleep 0.5
for f in "$W"/nginx-*.pid "$W"/iperf-*.pid; do PIDS+=("$(cat "$f")"); done

# zosmf-ha: the same VIPADISTRIBUTE a z/OS profile would hold.
cat > "$W/PROFILE.TCPIP" <<EOF2
IPCONFIG SYSPLEXROUTING DYNAMICXCF $A 255.0.0.0 1
VIPADYNAMIC
  VIPADEFINE 255.255.255.0 $DVIPA
  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY $DVIPA PORT $HTTP $BULK
    DESTIP $A PREFERRED $B BACKUP
ENDVIPADYNAMIC
EOF2
cat > "$W/zosmf-ha.toml" <<EOF2
[state]
dir = "$W/zha-state"
[log]
access = false
[limits]
max_connections = 19000
${ZHA_EXTRA:-}
EOF2
start_zha() {
  ZOSMF_HA_LOG=warn "$ZHA" distribute --profile "$W/PROFILE.TCPIP" --config "$W/zosmf-ha.toml" 2>>"$W/zha.log" &
  ZPID=$!; PIDS+=("$ZPID")
}

# HAProxy 2.6 in TCP mode: same preferred/backup, same checks.
cat > "$W/haproxy.cfg" <<EOF2
global
  maxconn 9000
  nbthread $(nproc)
defaults
  mode tcp
  timeout connect 500ms
  timeout client 300s
  timeout server 300s
listen http
  bind $HA:$HTTP
  server a $A:$HTTP check inter 1s rise 2 fall 2
  server b $B:$HTTP check inter 1s rise 2 fall 2 backup
listen bulk
  bind $HA:$BULK
  server a $A:$BULK check inter 1s rise 2 fall 2
  server b $B:$BULK check inter 1s rise 2 fall 2 backup
EOF2
start_haproxy() {
  haproxy -f "$W/haproxy.cfg" -D -p "$W/haproxy.pid"
  sleep 0.5
  HPID=$(head -1 "$W/haproxy.pid"); PIDS+=("$HPID")
}
# Each run starts both proxies afresh, so that memory is measured on a new
# process (allocators and HAProxy's pools keep memory once used).
restart() {
  for p in ${ZPID:-} ${HPID:-}; do kill "$p" 2>/dev/null || true; done
  sleep 1
  start_zha
  start_haproxy
  sleep 2
}

declare -A HOST=([direct]=$A [zosmf-ha]=$DVIPA [haproxy]=$HA)
RES="$ROOT/bench/results.jsonl"
: > "$RES"
emit() { printf '{"run":%s,"target":"%s","metric":"%s","value":%s}\n' "$1" "$2" "$3" "$4" >> "$RES"; }
to_ms() { python3 -c "import re,sys; v,u=re.match(r'([0-9.]+)(us|ms|s)',sys.argv[1]).groups(); print(float(v)*{'us':0.001,'ms':1,'s':1000}[u])" "$1"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

for run in $(seq 1 "$RUNS"); do
  restart
  declare -A PID=([zosmf-ha]=$ZPID [haproxy]=$HPID)
  for t in ${BENCH_TARGETS:-direct zosmf-ha haproxy}; do
    h=${HOST[$t]}
    echo "== run $run: $t"
    if [ "$t" != direct ]; then
      p=${PID[$t]}
      before=$(rss_kib "$p")
      coproc HOLD { python3 "$ROOT/bench/hold.py" "$h" $HTTP 5000; }
      read -r line <&"${HOLD[0]}"
      sleep 1
      after=$(rss_kib "$p")
      echo done >&"${HOLD[1]}"; wait "$HOLD_PID" 2>/dev/null || true
      emit "$run" "$t" mem_kib_per_conn "$(python3 -c "print(($after-$before)/5000)")"
      sleep 1
    fi
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "http://$h:$HTTP/small.html")
    emit "$run" "$t" rps_keepalive "$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    emit "$run" "$t" p50_ms "$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")")"
    emit "$run" "$t" p99_ms "$(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")"
    out=$(wrk -t2 -c64 -d"${DURATION}s" -H "Connection: close" "http://$h:$HTTP/small.html")
    emit "$run" "$t" rps_newconn "$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    bps=$(iperf3 -c "$h" -p $BULK -t "$DURATION" -J | python3 -c "import json,sys; print(json.load(sys.stdin)['end']['sum_received']['bits_per_second'])")
    emit "$run" "$t" bulk_gibps "$(python3 -c "print($bps/8/2**30)")"
  done
done

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(haproxy -v | head -1 | cut -d' ' -f1-3)"
python3 "$ROOT/bench/report.py" "$RES" "$ROOT/BENCHMARKS.md" "bash bench/run.sh $RUNS" "$machine"
