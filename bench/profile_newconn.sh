#!/usr/bin/env bash
# Profile zosmf-ha's proxy on the new-connection path (issue 11: profile
# first): wrk opens a new connection per request through the DVIPA to an
# nginx backend while `perf record` samples the distributor; prints the top
# costs by symbol (self time) and by shared object, and the rate.
#
#   bash bench/profile_newconn.sh [SECONDS]   (default 10; needs root for
#                                             apt-get and perf)
#
# Loopback only: backend on 127.0.2.11, the DVIPA 127.0.2.10. Not part of CI.
set -euo pipefail
SECS="${1:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

need=()
command -v perf >/dev/null || need+=(linux-perf)
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

. "$ROOT/bench/setup.sh"

A=127.0.2.11 DVIPA=127.0.2.10 HTTP=8080
mkdir -p "$W/www"
head -c 1024 /dev/zero | tr '\0' 'x' > "$W/www/small.html"
cat > "$W/nginx.conf" <<EOF
worker_processes 1;
pid $W/nginx.pid;
error_log $W/nginx.err;
worker_rlimit_nofile 20000;
events { worker_connections 19000; }
http {
  access_log off;
  server { listen $A:$HTTP reuseport backlog=4096; root $W/www; }
}
EOF
nginx -c "$W/nginx.conf" -p "$W"
sleep 0.3
PIDS+=("$(cat "$W/nginx.pid")")

cat > "$W/PROFILE.TCPIP" <<EOF
IPCONFIG SYSPLEXROUTING DYNAMICXCF $A 255.0.0.0 1
VIPADYNAMIC
  VIPADEFINE 255.255.255.0 $DVIPA
  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY $DVIPA PORT $HTTP
    DESTIP $A PREFERRED 127.0.2.12 BACKUP
ENDVIPADYNAMIC
EOF
cat > "$W/zosmf-ha.toml" <<EOF
[state]
dir = "$W/zha-state"
[log]
access = false
[limits]
max_connections = 19000
EOF
ZOSMF_HA_LOG=warn "$ZHA" distribute --profile "$W/PROFILE.TCPIP" --config "$W/zosmf-ha.toml" 2>>"$W/zha.log" &
ZPID=$!
PIDS+=("$ZPID")
sleep 2

# Warm up, then sample while the load runs.
wrk -t2 -c64 -d2s -H "Connection: close" "http://$DVIPA:$HTTP/small.html" >/dev/null
perf record -F 999 -g -p "$ZPID" -o "$W/perf.data" -- sleep "$SECS" >/dev/null 2>&1 &
PERF=$!
out=$(wrk -t2 -c64 -d"${SECS}s" -H "Connection: close" "http://$DVIPA:$HTTP/small.html")
wait "$PERF" || true
# The reports below are cut short with head: no pipefail there.
set +o pipefail
echo "== new connections/s through zosmf-ha: $(awk '/Requests\/sec/ {print $2}' <<<"$out")"
echo "== top symbols (self time, % of the distributor's samples)"
perf report -i "$W/perf.data" --no-children --sort symbol --stdio 2>/dev/null \
  | grep -E '^ +[0-9]+\.[0-9]+%' | head -25
echo "== user space vs kernel (self time)"
perf report -i "$W/perf.data" --no-children --sort dso --stdio 2>/dev/null \
  | grep -E '^ +[0-9]+\.[0-9]+%' | head -6 | awk '{print "  " $1, $2}'
echo "== system calls, with what they cost inside the kernel (children)"
perf report -i "$W/perf.data" --children --sort symbol --stdio 2>/dev/null \
  | grep -E '^ +[0-9]+\.[0-9]+% .*(__x64_sys_|__do_sys_)' | head -15 \
  | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^__(x64|do)_sys_/) print "  " $1, $i}'
if command -v strace >/dev/null; then
  echo "== system calls per new connection (strace -c, 3 s)"
  timeout 3 strace -c -f -p "$ZPID" -o "$W/strace.txt" >/dev/null 2>&1 &
  ST=$!
  out=$(wrk -t2 -c64 -d3s -H "Connection: close" "http://$DVIPA:$HTTP/small.html")
  wait "$ST" || true
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  awk -v n="$n" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {printf "  %-16s %6.2f per connection\n", $NF, $4/n}' "$W/strace.txt" | sort -k2 -rn | head -15
fi
