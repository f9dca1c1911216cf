#!/usr/bin/env bash
# Run the whole test suite N times in a row, optionally with the CPUs kept busy, and print one line per
# run plus the pass count and wall times: the check that the suite does not depend on machine speed.
#   benchmarks/suite_stability.sh RUNS [BUSY_PROCS] [pytest args...]
#   benchmarks/suite_stability.sh 10        # idle
#   benchmarks/suite_stability.sh 5 2       # both cores of a 2-core machine busy
# Logs go to $LOG_DIR (default /tmp/cgan-tui-stability); a failing run's log is kept there.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:?usage: suite_stability.sh RUNS [BUSY_PROCS] [pytest args...]}
busy=${2:-0}
shift $(( $# >= 2 ? 2 : 1 ))
log_dir=${LOG_DIR:-/tmp/cgan-tui-stability}
mkdir -p "$log_dir"
./dev setup >/dev/null 2>&1 || { echo "set-up failed" >&2; exit 2; }
pids=()
for _ in $(seq 1 "$busy"); do python3 -c "while True: pass" & pids+=($!); done
trap '[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null' EXIT
passed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  ./dev test -q -p no:cacheprovider "$@" >"$log_dir/run-$i.log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  summary=$(grep -E "^[0-9]+ (passed|failed)|(passed|failed).* in [0-9.]+s" "$log_dir/run-$i.log" | tail -1)
  [ "$rc" = 0 ] && passed=$((passed + 1))
  echo "run $i/$runs: rc=$rc wall=${took}s busy=$busy load=$(cut -d' ' -f1 /proc/loadavg) :: $summary"
done
echo "passed $passed/$runs (busy processes: $busy; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores)"
[ "$passed" = "$runs" ]
