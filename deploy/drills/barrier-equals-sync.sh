#!/usr/bin/env bash
# barrier-equals-sync.sh: on the loopback standalone cluster (deploy/cluster/loopback.sh: a real
# Master, one 1-core Worker per rank, authentication and encryption on), trains the same config in
# sync mode and in barrier mode at P = 2 and at P = 3, 5 steps each from MODEL, and checks that the
# final checkpoints hold the same weights and the same AdamW moments, tensor by tensor, bit for bit
# (deploy/drills/same-tensors.py: sync mode writes one file, barrier mode shards; docs/deployment.md,
# "Barrier mode on the loopback cluster"). A documented command, not CI: four cluster runs take a few
# minutes on 2 cores.
#
# Usage: deploy/drills/barrier-equals-sync.sh MODEL [WORK_DIR]
#   MODEL     a trained starting model (an untrained one has no reward variance, hence no gradient,
#             and every run would trivially end equal), e.g. from `deploy/atmanrl sft --out runs/sft`
#   WORK_DIR  where the four runs go (default runs/barrier-equals-sync); must not exist yet
#
# Environment: as for loopback.sh (ATMANRL_MAVEN_ARGS, JAVA_HOME, LOOPBACK_MASTER_PORT ...).
set -euo pipefail

die() { echo "barrier-equals-sync: $*" >&2; exit 1; }
say() { echo "barrier-equals-sync: $*" >&2; }

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
[[ $# -ge 1 && $# -le 2 && "$1" != -h && "$1" != --help ]] \
    || { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
model="$1"
work="${2:-runs/barrier-equals-sync}"
[[ -f "$model/config.json" ]] || die "$model: no config.json there (not a model directory)"
[[ ! -e "$work" ]] || die "$work exists: give a new WORK_DIR (nothing is written over)"
command -v python3 >/dev/null || die "python3 is needed to compare the checkpoints (deploy/drills/same-tensors.py)"
mkdir -p "$work"

steps=5
final="checkpoints/step-$(printf '%08d' "$steps")"
status=0
for p in 2 3; do
    for mode in sync barrier; do
        say "P = $p, $mode mode: $steps steps (log $work/$mode-p$p.log)"
        "$root/deploy/cluster/loopback.sh" --model "$model" --steps "$steps" --workers "$p" \
            --work "$work/$mode-p$p" --set partitions="$p" --set mode="$mode" \
            --set prompts_per_step=8 --set grpo.group_size=8 > "$work/$mode-p$p.log" 2>&1 \
            || die "P = $p, $mode mode: the run failed (see $work/$mode-p$p.log)"
        grep "^train: step" "$work/$mode-p$p.log" >&2 || true
    done
    a="$work/sync-p$p/run/$final" b="$work/barrier-p$p/run/$final"
    if python3 "$root/deploy/drills/same-tensors.py" "$a/model" "$b/model" model \
        && python3 "$root/deploy/drills/same-tensors.py" "$a" "$b" optimizer; then
        say "P = $p: barrier mode's weights and moments are sync mode's, bit for bit"
    else
        say "P = $p: barrier mode's checkpoint differs from sync mode's"
        status=1
    fi
done
exit "$status"
