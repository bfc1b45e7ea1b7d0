#!/usr/bin/env bash
# The scheduled-retraining example end to end (docs/pipeline.md), as CI runs it: three days in a
# row on the embedded task, the second killed by SIGTERM after its first checkpoint and run again,
# then run a third time once finished; each day publishes only if its gate holds. It checks what a
# pipeline relies on and stops with one line at the first broken promise.
#
# usage: three-days.sh WORK   (WORK must not exist; it is left for inspection)
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
atmanrl="${ATMANRL:-$here/../../deploy/atmanrl}"
[[ $# -eq 1 ]] || { echo "usage: three-days.sh WORK" >&2; exit 2; }
work="$1"
[[ ! -e "$work" ]] || { echo "three-days: $work exists; choose a new directory" >&2; exit 2; }
fail() { echo "three-days: $*" >&2; exit 1; }
day() { # DAY: runs the day's job, prints and returns its exit code without stopping the script
    local code=0
    "$here/retrain-day.sh" "$1" "$work" > "$work/day-$1.log" 2>&1 || code=$?
    echo "day $1: exit $code ($(grep -o 'status [a-z_]*' "$work/day-$1.log" | tail -1))" >&2
    return "$code"
}
status() { grep -o '"status" : "[a-z_]*"' "$work/runs/day-$1/summary.json" | cut -d'"' -f4; }
promoted_hash() { cat "$work/promoted/"* | sha256sum | cut -d' ' -f1; }

mkdir -p "$work"
"$atmanrl" init-model --shipped --out "$work/base" >&2

day 1 || fail "day 1 exited $?; see $work/day-1.log"
[[ "$(status 1)" == promoted ]] || fail "day 1: the first run must publish, status is $(status 1)"

echo "day 2: started, to be killed after its first checkpoint" >&2
"$here/retrain-day.sh" 2 "$work" > "$work/day-2-killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    [[ -d "$work/runs/day-2/checkpoints/step-00000001" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
kill -TERM "$pid" 2>/dev/null || fail "day 2 ended before it could be killed; see $work/day-2-killed.log"
code=0; wait "$pid" || code=$?
[[ "$code" -eq 143 ]] || fail "the killed day 2 exited $code, expected 143 (SIGTERM)"
[[ "$(status 2)" == interrupted ]] || fail "the killed day 2's summary says $(status 2), expected interrupted"
echo "day 2: killed (exit 143, status interrupted); running the same command again" >&2

before2="$(promoted_hash)"
code=0; day 2 || code=$?
case "$code" in
    0) [[ "$(status 2)" == promoted ]] || fail "day 2 exited 0 with status $(status 2)" ;;
    4) [[ "$(status 2)" == not_promoted && "$(promoted_hash)" == "$before2" ]] \
           || fail "day 2's gate failed but the promoted model changed" ;;
    *) fail "day 2 exited $code; see $work/day-2.log" ;;
esac
grep -q "resuming after step" "$work/day-2.log" || fail "day 2 did not resume from its checkpoint"
[[ "$(grep -c '"step"' "$work/runs/day-2/metrics.jsonl")" -eq 3 ]] || fail "day 2 has not 3 metric lines"

summary2="$(sha256sum < "$work/runs/day-2/summary.json")"
again=0; day 2 || again=$?
[[ "$again" -eq "$code" ]] || fail "day 2 run again after it finished exited $again, not $code"
[[ "$(sha256sum < "$work/runs/day-2/summary.json")" == "$summary2" ]] || fail "day 2 run again rewrote summary.json"
grep -q "already finished" "$work/day-2.log" || fail "day 2 run again did not see its finished run"

code=0; day 3 || code=$?
[[ "$code" -eq 0 || "$code" -eq 4 ]] || fail "day 3 exited $code; see $work/day-3.log"

echo "three-days: done. promoted model from $(grep -o '"run_dir" : "[^"]*"' "$work/promoted/atmanrl_summary.json" \
    | cut -d'"' -f4); days: $(status 1), $(status 2), $(status 3)" >&2
