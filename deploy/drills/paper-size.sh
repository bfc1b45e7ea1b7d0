#!/usr/bin/env bash
# The paper-size drill (docs/models.md, "Paper-size drill"; a documented command, not CI): a model
# with the exact shape of Llama-3.2-1B or -3B, random weights written by `init-model --preset`,
# the real Llama 3 tokenizer, and the project's evaluation on 2 GSM8K prompts with the chat
# template, 64 new tokens and 2 sampled completions per prompt (G = 2) besides the greedy one (the
# biased-hint probe samples them: --suggested-answer wrong). Random weights answer nothing, so no
# mask is fitted and the faithfulness probes find no answer to probe: what runs is the load, the
# prompts' forward passes and KV-cached decoding, which is what the drill measures.
# Each phase is its own JVM; the drill prints its wall time and peak resident memory (VmHWM).
#
# Usage: deploy/drills/paper-size.sh [1b|3b] [WORK_DIR]
#   1b|3b     the shape (default 1b)
#   WORK_DIR  where the model directory and the reports go (default runs/paper-size); the model
#             directory WORK_DIR/llama-3.2-SIZE is written only when absent
#
# Environment:
#   ATMANRL_SHARED_DATA  holds tokenizers/llama3/tokenizer.json and gsm8k/test.jsonl (default:
#                        ../shared/data beside the checkout)
#   DRILL_TRAIN=1        also run the training phase: GRPO with LoRA rank 16 on all seven projections
#                        on local Spark (2 prompts, G 2, 64 new tokens; 2 steps for 1B, 1 for 3B),
#                        evaluated on 2 test problems before and after
#   DRILL_EVAL=0         skip the evaluation phase (with DRILL_TRAIN=1: train only)
#   DRILL_SPARK=1        evaluate on local Spark (--partitions 1) instead of in one process. The
#                        eval command broadcasts the whole fp32 policy as Java arrays, so the JVM
#                        holds it three times more (heap snapshot, Spark's serialised blocks, the
#                        executor's copy): about 20 GB for 1B. Not run on the 24 GB drill machine.
#   ATMANRL_HEAP, ATMANRL_JAVA_OPTS  as for deploy/atmanrl; the defaults here: a 2 GB heap (4 GB for
#                        the model write) and JavaCPP's off-heap cap lifted to what the fp32
#                        weights and the passes need (10 GB for 1B, 20 GB for 3B): the eval
#                        phase holds the fp32 weights; training keeps a bf16 base
#                        (weight_storage, docs/design.md 3.4) and needs less, but one cap serves all
set -euo pipefail

die() { echo "paper-size.sh: $*" >&2; exit 1; }

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
size="${1:-1b}"
work="${2:-runs/paper-size}"
case "$size" in
    1b) offheap=10g ;;
    3b) offheap=20g ;;
    *) die "the size must be 1b or 3b, not '$size'" ;;
esac
steps=2
[[ "$size" == 3b ]] && steps=1
data="${ATMANRL_SHARED_DATA:-$root/../shared/data}"
tokenizer="$data/tokenizers/llama3/tokenizer.json"
gsm8k="$data/gsm8k/test.jsonl"
[[ -f "$tokenizer" ]] || die "no Llama 3 tokenizer at $tokenizer (set ATMANRL_SHARED_DATA)"
[[ -f "$gsm8k" ]] || die "no GSM8K test file at $gsm8k (set ATMANRL_SHARED_DATA)"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
model="$work/llama-3.2-$size"
stamp="$(date -u +%Y%m%d-%H%M%S)"
summary="$work/paper-size-$size-$stamp.txt"
atmanrl="$root/deploy/atmanrl"
export ATMANRL_JAVA_OPTS="${ATMANRL_JAVA_OPTS:--Dorg.bytedeco.javacpp.maxbytes=$offheap -Dorg.bytedeco.javacpp.maxphysicalbytes=0}"

# Build first, outside any measured phase.
"$atmanrl" --help > /dev/null

# Runs one phase: "$@" in the background, its VmHWM read from /proc just before it exits (the
# launcher execs java, so the pid is the JVM's), its wall time from the clock.
phase() {
    local name="$1"; shift
    local log="$work/$name-$size-$stamp.log"
    local start end hwm=0 pid
    start=$(date +%s.%N)
    "$@" > "$log.out" 2> "$log" &
    pid=$!
    while kill -0 "$pid" 2> /dev/null; do
        local h
        h=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2> /dev/null || true)
        [[ -n "$h" && "$h" -gt "$hwm" ]] && hwm="$h"
        sleep 0.5
    done
    local rc=0
    wait "$pid" || rc=$?
    end=$(date +%s.%N)
    printf "%-10s %8.1f s  peak RSS %6.2f GB  (%s)\n" "$name" "$(echo "$end - $start" | bc)" \
        "$(echo "scale=3; $hwm * 1024 / 1000000000" | bc)" "$log" | tee -a "$summary"
    [[ $rc -eq 0 ]] || { tail -3 "$log" >&2; die "$name failed (exit $rc); its log: $log"; }
}

{
    echo "paper-size drill, Llama-3.2-${size^^} shape, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "peak RSS: the JVM's VmHWM, sampled every 0.5 s, in GB of 10^9 bytes (the memory plan's unit)"
} | tee "$summary"

if [[ -e "$model" ]]; then
    echo "init       reusing $model" | tee -a "$summary"
else
    phase init env ATMANRL_HEAP="${ATMANRL_HEAP:-4g}" "$atmanrl" init-model --preset "llama-3.2-$size" \
        --seed 0 --tokenizer "$tokenizer" --out "$model"
    cat "$work/init-$size-$stamp.log.out" | tee -a "$summary"
fi

if [[ "${DRILL_EVAL:-1}" != 0 ]]; then
    partitions=0
    [[ "${DRILL_SPARK:-0}" == 1 ]] && partitions=1
    phase eval env ATMANRL_HEAP="${ATMANRL_HEAP:-2g}" "$atmanrl" eval --model "$model" --data gsm8k --test "$gsm8k" \
        --template chat --size 2 --max-new-tokens 64 --policy-samples 2 --suggested-answer wrong --rows-per-pass 2 \
        --partitions "$partitions" --json "$work/eval-$size-$stamp.json"
    cat "$work/eval-$size-$stamp.log.out" | tee -a "$summary"
fi

# The training phase (issue 15's acceptance 5): GRPO with LoRA adapters on the frozen base, local
# Spark, one task a step. The run directory is new each time (a stamp), so nothing is overwritten.
if [[ "${DRILL_TRAIN:-0}" == 1 ]]; then
    phase train env ATMANRL_HEAP="${ATMANRL_HEAP:-3g}" "$atmanrl" train --config "$root/deploy/configs/embedded.yaml" \
        --set model="$model" --set output="$work/train-$size-$stamp" --set steps="$steps" \
        --set data.task=gsm8k --set data.train="$gsm8k" --set data.test="$gsm8k" --set data.template=chat \
        --set data.test_size=2 --set prompts_per_step=2 --set partitions=1 --set grpo.group_size=2 \
        --set sampling.max_new_tokens=64 --set eval.size=2 --set eval.max_new_tokens=64 --set eval.samples=0 \
        --set eval.faithfulness=false --set checkpoint.every=0 --set lora.rank=16 --set lora.alpha=32 \
        --set weight_storage=bf16 --set spark.master='local[1]'
    grep -h "memory plan\|resident estimate\|step " "$work/train-$size-$stamp.log" | tee -a "$summary" || true
    echo "per step: $work/train-$size-$stamp/metrics.jsonl" | tee -a "$summary"
fi
echo "summary: $summary"
