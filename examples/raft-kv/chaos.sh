#!/usr/bin/env bash
# Chaos against three real raft-kv processes on loopback: for SECONDS, a load of six clients runs
# while nodes are killed with SIGKILL (one, two or all three at once) and restarted on their data
# directories, or paused with SIGSTOP for 1-2 s and resumed. Then the cluster must serve a put and
# a get within 20 s, and the load's history must be linearizable.
#
#   cargo build --release -p raft-kv --bins -p sandtable-check
#   examples/raft-kv/chaos.sh [SEED] [SECONDS]      # SEED picks the faults (bash's RANDOM) and ports
#
# Exit 0: linearizable and serving; 1: not; 2: usage. B=DIR picks the binaries (target/release);
# BUG=NAME plants one of the bugs of `cargo run --example raft -- --list` in every node.
set -u
SEED=${1:-1}
DUR=${2:-40}
case "$SEED$DUR" in *[!0-9]*) echo "usage: $0 [SEED] [SECONDS] (both whole numbers)" >&2; exit 2 ;; esac
[ "$DUR" -ge 5 ] || { echo "$0: SECONDS must be at least 5" >&2; exit 2; }
B=${B:-target/release}
for bin in raft-kv raft-kv-client sandtable-check; do
  [ -x "$B/$bin" ] || { echo "$0: $B/$bin not found: cargo build --release -p raft-kv --bins -p sandtable-check" >&2; exit 2; }
done
RANDOM=$SEED
BASE=$((20000 + (SEED % 1000) * 10))
P=n1=127.0.0.1:$((BASE + 1)),n2=127.0.0.1:$((BASE + 2)),n3=127.0.0.1:$((BASE + 3))
D=$(mktemp -d "${TMPDIR:-/tmp}/raft-kv-chaos.XXXXXX")
declare -A PID
LOAD=
cleanup() {
  for n in n1 n2 n3; do [ -n "${PID[$n]:-}" ] && kill -CONT "${PID[$n]}" 2>/dev/null && kill -9 "${PID[$n]}" 2>/dev/null; done
  [ -n "$LOAD" ] && kill -9 "$LOAD" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT
BUG_FLAG=()
[ -n "${BUG:-}" ] && BUG_FLAG=(--bug "$BUG")
start() { "$B/raft-kv" --id "$1" --peers "$P" --data "$D/$1" "${BUG_FLAG[@]}" 2>>"$D/$1.log" & PID[$1]=$!; }
for n in n1 n2 n3; do start $n; done
"$B/raft-kv-client" --peers "$P" load --clients 6 --duration "$DUR" --history "$D/h.jsonl" >"$D/load.out" 2>&1 &
LOAD=$!
kills=0 pauses=0
end=$((SECONDS + DUR - 3))
while [ $SECONDS -lt $end ]; do
  sleep 0.$((RANDOM % 9 + 1))
  r=$((RANDOM % 10))
  if [ $r -lt 3 ]; then
    v=n$((RANDOM % 3 + 1))
    kill -STOP "${PID[$v]}"; sleep 1.$((RANDOM % 9)); kill -CONT "${PID[$v]}"
    pauses=$((pauses + 1)); continue
  elif [ $r -lt 6 ]; then victims=n$((RANDOM % 3 + 1))
  elif [ $r -lt 9 ]; then a=$((RANDOM % 3 + 1)); victims="n$a n$((a % 3 + 1))"
  else victims="n1 n2 n3"; fi
  for v in $victims; do kill -9 "${PID[$v]}" 2>/dev/null; wait "${PID[$v]}" 2>/dev/null; kills=$((kills + 1)); done
  sleep 0.$((RANDOM % 9 + 1))
  for v in $victims; do start "$v"; done
done
wait "$LOAD"; load_rc=$?; LOAD=
serving=no
for _ in $(seq 1 40); do
  if "$B/raft-kv-client" --peers "$P" put 999999 "$SEED" >/dev/null 2>&1 &&
     [ "$("$B/raft-kv-client" --peers "$P" get 999999 2>/dev/null)" = "$SEED" ]; then serving=yes; break; fi
  sleep 0.5
done
echo "seed $SEED: $kills kills, $pauses pauses; load exit $load_rc; serving after: $serving; $(tail -1 "$D/load.out")"
verdict=$("$B/sandtable-check" --model kv "$D/h.jsonl" 2>&1); check_rc=$?
echo "$verdict" | head -20
echo "data, logs and history: $D"
[ $load_rc -eq 0 ] && [ $serving = yes ] && [ $check_rc -eq 0 ] || exit 1
