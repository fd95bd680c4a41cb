#!/usr/bin/env bash
# Benchmark, in one run and inside a network namespace of its own (the
# host's ruleset and conntrack are untouched, and kernel forwarding can
# run): a direct connection without and with conntrack active, zosmf-ha's
# kernel forwarding, zosmf-ha's proxy, and HAProxy in TCP mode, with the
# same preferred/backup setup; writes BENCHMARKS.md.
#
#   bash bench/run.sh [RUNS]        (default 5 runs; needs root)
#
# Each contender has its own backend addresses (one nginx and one iperf3
# per address), so the TIME_WAIT tuples one contender's new-connection test
# leaves never slow the next one. Runs are interleaved: each run measures
# every contender once, in the same order. Environment: BENCH_DURATION
# (seconds per measure, default 10), BENCH_HOLD (idle connections held for
# the memory measure, default 7000: HAProxy asks for 2.5 descriptors per
# connection, and a process here may have 20,000 at most), BENCH_TARGETS (a
# subset).
set -euo pipefail
RUNS="${1:-5}"
DURATION="${BENCH_DURATION:-10}"
HOLD_N="${BENCH_HOLD:-7000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

need=()
for c in haproxy wrk nginx iperf3 nft ip; do command -v "$c" >/dev/null || need+=("$c"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing haproxy wrk nginx-light iperf3 nftables iproute2"
  apt-get update -qq && apt-get install -y -qq haproxy wrk nginx-light iperf3 nftables iproute2 >/dev/null
fi
service nginx stop >/dev/null 2>&1 || true
service haproxy stop >/dev/null 2>&1 || true

. "$ROOT/bench/setup.sh"
# What a proxy may hold: two descriptors per connection within the limit.
FDS=$(ulimit -n)
MAXCONN=$(( (FDS - 1000) * 2 / 5 ))

NS="zha-bench-$$"
ip netns add "$NS"
ip -n "$NS" link set lo up
# The daemons (nginx, iperf3, HAProxy) by their pid files, what still runs
# in the namespace, then the namespace and the work folder.
cleanup_ns() {
  cat "$W"/*.pid 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  cleanup
  ip netns del "$NS" 2>/dev/null || true
}
trap cleanup_ns EXIT
trap 'exit 130' INT TERM
in_ns() { ip netns exec "$NS" "$@"; }

HTTP=8080 BULK=5201
# Per contender: the address clients connect to, and its backends (preferred
# and backup) on addresses of their own.
declare -A FRONT BACK_A BACK_B
FRONT[direct]=127.0.1.11;    BACK_A[direct]=127.0.1.11;    BACK_B[direct]=127.0.1.12
FRONT[direct-ct]=127.0.2.11; BACK_A[direct-ct]=127.0.2.11; BACK_B[direct-ct]=127.0.2.12
FRONT[kernel]=127.0.3.10;    BACK_A[kernel]=127.0.3.11;    BACK_B[kernel]=127.0.3.12
FRONT[proxy]=127.0.4.10;     BACK_A[proxy]=127.0.4.11;     BACK_B[proxy]=127.0.4.12
FRONT[haproxy]=127.0.5.10;   BACK_A[haproxy]=127.0.5.11;   BACK_B[haproxy]=127.0.5.12
TARGETS="${BENCH_TARGETS:-direct direct-ct kernel proxy haproxy}"

# Backends: one nginx for every address (HTTP), an iperf3 per address (bulk).
mkdir -p "$W/www"
head -c 1024 /dev/zero | tr '\0' 'x' > "$W/www/small.html"
listens=""
for t in direct direct-ct kernel proxy haproxy; do
  for ip in "${BACK_A[$t]}" "${BACK_B[$t]}"; do
    listens+="    listen $ip:$HTTP reuseport backlog=4096;"$'\n'
  done
done
cat > "$W/nginx.conf" <<EOF2
worker_processes 1;
pid $W/nginx.pid;
error_log $W/nginx.err;
worker_rlimit_nofile $FDS;
events { worker_connections $((FDS - 100)); }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
$listens    root $W/www;
  }
}
EOF2
in_ns nginx -c "$W/nginx.conf" -p "$W"
for t in direct direct-ct kernel proxy haproxy; do
  for ip in "${BACK_A[$t]}" "${BACK_B[$t]}"; do
    in_ns iperf3 -s -B "$ip" -p $BULK -D --pidfile "$W/iperf-$ip.pid"
  done
done
sleep 0.5

# zosmf-ha: the same VIPADISTRIBUTE a z/OS profile would hold, one per mode.
for t in kernel proxy; do
  cat > "$W/PROFILE-$t.TCPIP" <<EOF2
IPCONFIG SYSPLEXROUTING DYNAMICXCF ${BACK_A[$t]} 255.0.0.0 1
VIPADYNAMIC
  VIPADEFINE 255.255.255.0 ${FRONT[$t]}
  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY ${FRONT[$t]} PORT $HTTP $BULK
    DESTIP ${BACK_A[$t]} PREFERRED ${BACK_B[$t]} BACKUP
ENDVIPADYNAMIC
EOF2
done
cat > "$W/kernel.toml" <<EOF2
forwarding = "kernel"
[state]
dir = "$W/kernel-state"
[log]
access = false
[limits]
max_connections = 100000
EOF2
cat > "$W/proxy.toml" <<EOF2
[state]
dir = "$W/proxy-state"
[log]
access = false
[limits]
max_connections = $MAXCONN
${ZHA_EXTRA:-}
EOF2
start_zha() { # mode; sets ZPID
  local m=$1
  local args=(distribute --profile "$W/PROFILE-$m.TCPIP" --config "$W/$m.toml")
  [ "$m" = kernel ] && args+=(--system SYSA --group "$W/group")
  ZOSMF_HA_LOG=warn ip netns exec "$NS" "$ZHA" "${args[@]}" >/dev/null 2>>"$W/zha-$m.log" &
  ZPID=$!
}

# HAProxy in TCP mode, tuned as its documentation recommends for it:
# splice-auto, a thread per core, maxconn and descriptors for the counts
# measured; same preferred/backup and checks.
cat > "$W/haproxy.cfg" <<EOF2
global
  maxconn $MAXCONN
  nbthread $(nproc)
defaults
  mode tcp
  option splice-auto
  maxconn $MAXCONN
  timeout connect 500ms
  timeout client 300s
  timeout server 300s
listen http
  bind ${FRONT[haproxy]}:$HTTP
  server a ${BACK_A[haproxy]}:$HTTP check inter 1s rise 2 fall 2
  server b ${BACK_B[haproxy]}:$HTTP check inter 1s rise 2 fall 2 backup
listen bulk
  bind ${FRONT[haproxy]}:$BULK
  server a ${BACK_A[haproxy]}:$BULK check inter 1s rise 2 fall 2
  server b ${BACK_B[haproxy]}:$BULK check inter 1s rise 2 fall 2 backup
EOF2

# conntrack active for `direct-ct`: a table whose rule needs conntrack (it
# tracks every connection of the namespace while it exists).
CT_ON='table ip bench_ct { chain out { type filter hook output priority 0; policy accept; ct state new counter; }; }'

RES="$ROOT/bench/results.jsonl"
: > "$RES"
emit() { printf '{"run":%s,"target":"%s","metric":"%s","value":%s}\n' "$1" "$2" "$3" "$4" >> "$RES"; }
to_ms() { python3 -c "import re,sys; v,u=re.match(r'([0-9.]+)(us|ms|s)',sys.argv[1]).groups(); print(float(v)*{'us':0.001,'ms':1,'s':1000}[u])" "$1"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# CPU time of the whole machine, in clock ticks (user+nice+system+irq+softirq).
cpu_all() { awk '/^cpu / {print $2+$3+$4+$7+$8}' /proc/stat; }
TCK=$(getconf CLK_TCK)
# conntrack's memory: active objects times the object size of its slab.
ct_kib() { awk '/^nf_conntrack / {print $2*$4/1024}' /proc/slabinfo 2>/dev/null || echo 0; }

# Run a load generator in the namespace, measuring the machine's CPU
# seconds minus the generator's own; sets OUT and CPU_S.
measure() {
  local before after gen
  before=$(cpu_all)
  local all
  all=$(in_ns python3 "$ROOT/bench/cpu.py" "$@" 2>>"$W/gen.err" || true)
  after=$(cpu_all)
  gen=$(awk '/^cpu / {print $2}' <<<"$all" | tail -1)
  OUT=$(grep -v '^cpu ' <<<"$all" || true)
  CPU_S=$(python3 -c "print(max(0.0, ($after - $before) / $TCK - ${gen:-0}))")
}

run_target() { # run target
  local run=$1 t=$2 h=${FRONT[$2]} pid="" mem_before mem_after
  case $t in
    direct-ct) echo "$CT_ON" | in_ns nft -f - ;;
    kernel|proxy) start_zha "$t"; pid=$ZPID; PIDS+=("$pid") ;;
    haproxy) in_ns haproxy -f "$W/haproxy.cfg" -D -p "$W/haproxy.pid"; sleep 0.3; pid=$(head -1 "$W/haproxy.pid"); PIDS+=("$pid") ;;
  esac
  # Wait until the front answers (the first probes are in).
  for _ in $(seq 100); do
    in_ns curl -s -o /dev/null "http://$h:$HTTP/small.html" && break
    sleep 0.1
  done
  sleep 1
  echo "== run $run: $t"
  # Memory per idle connection: the process's RSS (kernel: conntrack's
  # entries), with HOLD_N keep-alive connections open.
  if [ "$t" != direct ] && [ "$t" != direct-ct ]; then
    if [ "$t" = kernel ]; then mem_before=$(ct_kib); else mem_before=$(rss_kib "$pid"); fi
    coproc HOLD { in_ns python3 "$ROOT/bench/hold.py" "$h" $HTTP "$HOLD_N"; }
    read -r _ <&"${HOLD[0]}"
    sleep 1
    if [ "$t" = kernel ]; then mem_after=$(ct_kib); else mem_after=$(rss_kib "$pid"); fi
    echo done >&"${HOLD[1]}"; wait "$HOLD_PID" 2>/dev/null || true
    emit "$run" "$t" mem_kib_per_conn "$(python3 -c "print(($mem_after-$mem_before)/$HOLD_N)")"
    sleep 1
  fi
  for c in 64 512; do
    measure wrk -t2 -c$c -d"${DURATION}s" --latency "http://$h:$HTTP/small.html"
    emit "$run" "$t" "rps_keepalive_$c" "$(awk '/Requests\/sec/ {print $2}' <<<"$OUT")"
    if [ $c = 64 ]; then
      emit "$run" "$t" p50_ms "$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$OUT")")"
      emit "$run" "$t" p99_ms "$(to_ms "$(awk '$1=="99%" {print $2}' <<<"$OUT")")"
    fi
  done
  measure wrk -t2 -c64 -d"${DURATION}s" -H "Connection: close" "http://$h:$HTTP/small.html"
  local rps; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$OUT")
  emit "$run" "$t" rps_newconn "$rps"
  emit "$run" "$t" cpu_s_per_10k_conn "$(python3 -c "print($CPU_S / ($rps * $DURATION / 10000))")"
  measure iperf3 -c "$h" -p $BULK -t "$DURATION" -J
  local bytes; bytes=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['end']['sum_received']['bytes'])" "$OUT")
  emit "$run" "$t" bulk_gibps "$(python3 -c "print($bytes/2**30/$DURATION)")"
  emit "$run" "$t" cpu_s_per_gib "$(python3 -c "print($CPU_S / ($bytes/2**30))")"
  case $t in
    direct-ct) in_ns nft delete table ip bench_ct ;;
    kernel|proxy) kill "$pid"; wait "$pid" 2>/dev/null || true ;;
    haproxy) kill "$pid" 2>/dev/null || true; sleep 0.5 ;;
  esac
  sleep 1
}

for run in $(seq 1 "$RUNS"); do
  for t in $TARGETS; do run_target "$run" "$t"; done
done

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(haproxy -v | head -1 | cut -d' ' -f1-3)"
python3 "$ROOT/bench/report.py" "$RES" "$ROOT/BENCHMARKS.md" "bash bench/run.sh $RUNS" "$machine" "$DURATION" "$HOLD_N"
