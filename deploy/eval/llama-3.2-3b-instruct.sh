#!/usr/bin/env bash
# Greedy GSM8K and MMLU accuracy of a Llama-3.2-3B-Instruct directory with atmanrl eval, in one
# process (CPU, or the GPU with the -Pcuda build), as the instruct model is meant to be prompted:
#
#   gsm8k  zero-shot, Llama 3 chat template; the user message asks for step-by-step reasoning and a
#          last line "#### <number>"; the number after the last "####" must equal the reference
#          exactly (1,000 = 1000.00 = $1000; Gsm8kVerifier).
#   mmlu   five-shot from the dev split, chat template: the first 5 dev questions of the question's
#          subject as earlier user/assistant turns answered "#### <letter>", then the question,
#          which asks to think step by step and end with "#### <letter>" (MultipleChoiceVerifier).
#
# Usage: deploy/eval/llama-3.2-3b-instruct.sh MODEL_DIR DATA_DIR OUT_DIR [gsm8k|mmlu|both]
#   MODEL_DIR  the HF directory (config.json, *.safetensors, tokenizer.json); local or any Hadoop URI
#   DATA_DIR   holds gsm8k/test.jsonl and mmlu/mmlu_{dev,test}.jsonl (openai/grade-school-math,
#              hendrycks/test as JSON lines)
#   OUT_DIR    local directory for the JSON reports (created; existing reports are not overwritten)
#
# Environment (defaults sized for the 3B model; prompt lengths measured on the Llama 3 tokenizer):
#   GSM8K_SIZE=1319     the whole test set; GSM8K prompts are 109 tokens on average, 235 at most
#   MMLU_SIZE=14079     the whole test set (the shared copy's 14,079 rows; hendrycks/test has 14,042,
#                       and a size past the file only warns); five-shot prompts are 988 tokens on
#                       average, 3,403 at most. The file is sorted by subject, so a smaller size
#                       measures the first subjects only (500 = abstract algebra, anatomy,
#                       astronomy, business ethics and 13 clinical-knowledge questions).
#   GSM8K_TOKENS=512    completion budget: a worked GSM8K answer of this model is ~150-300 tokens
#   MMLU_TOKENS=256     a short chain of thought and the letter
#   ROWS=8              completions per forward pass. KV cache = 229 KB per token per row (28 layers
#                       x 2 x 8 KV heads x 128 x 4 B): an MMLU row of 1,000 + 256 tokens ~ 290 MB
#   SALIENCY=--no-saliency  set SALIENCY= to also fit AtMan masks on the correct completions (slow)
#   SYSTEM              a system message; unset = none. HF's Llama 3.2 template adds a dated
#                       "Cutting Knowledge Date: ..." system turn that this chat format does not.
#   ATMANRL_HEAP, ATMANRL_JAVA_OPTS as for deploy/atmanrl: the fp32 weights take 12.8 GB off-heap, so
#   e.g. ATMANRL_JAVA_OPTS="-Dorg.bytedeco.javacpp.maxbytes=0 -Dorg.bytedeco.javacpp.maxphysicalbytes=0"
set -euo pipefail

die() { echo "llama-3.2-3b-instruct.sh: $*" >&2; exit 1; }

[[ $# -ge 3 && $# -le 4 ]] || die "usage: $0 MODEL_DIR DATA_DIR OUT_DIR [gsm8k|mmlu|both]"
model="$1" data="$2" out="$3" which="${4:-both}"
case "$which" in gsm8k|mmlu|both) ;; *) die "the 4th argument must be gsm8k, mmlu or both, not '$which'" ;; esac

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
atmanrl="$root/deploy/atmanrl"
rows="${ROWS:-8}"
saliency="${SALIENCY---no-saliency}"
system=()
[[ -n "${SYSTEM:-}" ]] && system=(--system "$SYSTEM")
mkdir -p "$out"

run() { # name, then the eval options of the data set
    local name="$1" report="$out/$1.json"
    shift
    [[ -e "$report" ]] && die "$report exists; move it away or choose another OUT_DIR"
    echo "== $name: $*" >&2
    # shellcheck disable=SC2086  # $saliency is one option or none
    "$atmanrl" eval --model "$model" --template chat "${system[@]}" --rows-per-pass "$rows" $saliency \
        --json "$report" "$@"
}

if [[ "$which" != mmlu ]]; then
    run gsm8k --data gsm8k --test "$data/gsm8k/test.jsonl" \
        --size "${GSM8K_SIZE:-1319}" --max-new-tokens "${GSM8K_TOKENS:-512}"
fi
if [[ "$which" != gsm8k ]]; then
    run mmlu-5shot --data mmlu --test "$data/mmlu/mmlu_test.jsonl" --dev "$data/mmlu/mmlu_dev.jsonl" --shots 5 \
        --size "${MMLU_SIZE:-14079}" --max-new-tokens "${MMLU_TOKENS:-256}"
fi
echo "reports: $out" >&2
