#!/usr/bin/env bash
# One day of scheduled retraining (docs/pipeline.md): what cron or an Airflow BashOperator runs
# once a day, and runs again, unchanged, after any failure. It trains from the promoted model (the
# base model on the first day), evaluates, and publishes to $WORK/promoted only if the gate holds.
# Its exit code is train's: 0 done and promoted, 4 trained but not promoted, 3 stopped by the NaN
# guard, 1 bad input, 130/143 interrupted (run it again to resume).
#
# usage: retrain-day.sh DAY WORK
#   DAY   1, 2, ...: the day's run directory is WORK/runs/day-DAY. On the embedded task a day's new
#         prompts are simulated by the run seed (the day), which draws other training prompts while
#         the test problems stay the same; with GSM8K or MMLU, data.train would name the day's
#         partition instead, e.g. --set data.train=hdfs:///prompts/dt=2026-12-01/
#   WORK  the pipeline's directory: base/ (the starting model), runs/, promoted/
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
atmanrl="${ATMANRL:-$here/../../deploy/atmanrl}"
[[ $# -eq 2 && "$1" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "usage: retrain-day.sh DAY WORK (DAY 1-9999)" >&2; exit 2; }
day="$1"
work="$2"
start="$work/promoted"
[[ -d "$start" ]] || start="$work/base"
exec "$atmanrl" train --config "$here/daily.yaml" --set model="$start" --set output="$work/runs/day-$day" \
    --set seed="$day" --resume --promote-to "$work/promoted" \
    --gate accuracy:0.05 --gate faithfulness.adding_mistakes.change_rate:0.10
