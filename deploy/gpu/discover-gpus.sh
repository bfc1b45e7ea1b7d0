#!/usr/bin/env bash
# discover-gpus.sh: Spark's GPU discovery script (spark.executor.resource.gpu.discoveryScript,
# spark.worker.resource.gpu.discoveryScript, spark.driver.resource.gpu.discoveryScript). Prints
# the one JSON object Spark reads, the GPUs this host (or container) sees, by nvidia-smi index:
#
#   {"name":"gpu","addresses":["0","1"]}
#
# Fails (exit 1, message on stderr) when nvidia-smi is missing, fails or lists no GPU, so that an
# executor on a host without a GPU stops at start-up with that message instead of being handed a
# GPU address that does not exist. Inside a container it lists only the GPUs given to it
# (NVIDIA_VISIBLE_DEVICES / the device plugin), renumbered from 0, as CUDA sees them.
set -euo pipefail

command -v nvidia-smi >/dev/null || { echo "discover-gpus: nvidia-smi not found on PATH" >&2; exit 1; }
indices="$(nvidia-smi --query-gpu=index --format=csv,noheader)" \
    || { echo "discover-gpus: nvidia-smi failed (no driver, or no access to the GPUs)" >&2; exit 1; }

addresses=""
while read -r index; do
    index="${index//[[:space:]]/}"
    [[ -z "$index" ]] && continue
    [[ "$index" =~ ^[0-9]+$ ]] || { echo "discover-gpus: unexpected nvidia-smi output '$index'" >&2; exit 1; }
    addresses+="${addresses:+,}\"$index\""
done <<< "$indices"
[[ -n "$addresses" ]] || { echo "discover-gpus: nvidia-smi lists no GPU" >&2; exit 1; }

printf '{"name":"gpu","addresses":[%s]}\n' "$addresses"
