#!/usr/bin/env bash
# kubernetes.sh: AtManRL training on Kubernetes with GPU executor pods (example; not run here: no
# Kubernetes, no GPU and no Docker on this machine).
#
#   K8S_API=https://k8s-api.example.com:6443 IMAGE=registry.example.com/atmanrl-executor:0.1.0 \
#   SPARK_HOME=/opt/spark-3.5.8-bin-hadoop3 \
#   deploy/submit/kubernetes.sh hdfs:///configs/llama-3.2-3b-gsm8k.yaml [--resume] [--set KEY=VALUE ...]
#
# The image is deploy/docker/Dockerfile's: CUDA 11.6, Java 17, Spark 3.5.8, the -Pshaded,cuda jar
# at /opt/atmanrl/atmanrl.jar and the discovery script at /opt/atmanrl/discover-gpus.sh. Cluster
# mode: driver and executors are pods of that image; the config and its paths are Hadoop paths the
# pods read (hdfs://, s3a://). The driver pod gets a GPU too: the CUDA jar gives its ND4J the CUDA
# backend, which fails without one.
#
# Security: with spark.authenticate=true Spark generates a secret per application and gives it to
# the executor pods through a Kubernetes Secret; RPC and I/O encryption as everywhere. The driver
# pod's service account (SERVICE_ACCOUNT, default spark) needs the right to create pods, services
# and secrets in NAMESPACE (default default).
#
# GPUs: the NVIDIA device plugin schedules nvidia.com/gpu; spark.*.resource.gpu.vendor=nvidia.com
# makes Spark request it for the pods, and discover-gpus.sh reports the one the pod got.
#
# Other settings: see deploy/submit/common.sh (EXECUTORS, EXECUTOR_CORES, memory, ATMANRL_DRY_RUN=1
# to print the command).
set -euo pipefail
# shellcheck source=deploy/submit/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

k8s_api="${K8S_API:-}"
[[ "$k8s_api" == https://* ]] || die "set K8S_API to the Kubernetes API server's URL, https://host:port"
image="${IMAGE:-}"
[[ -n "$image" ]] || die "set IMAGE to the executor image built from deploy/docker/Dockerfile"
[[ "$config" == *://* ]] || die "in cluster mode the config must be a Hadoop path the pods read (hdfs://...), got '$config'"
# The jar inside the image (local:// = a path in the container, nothing uploaded).
app_jar="local:///opt/atmanrl/atmanrl.jar"

submit --master "k8s://$k8s_api" --deploy-mode cluster \
    --name atmanrl-train \
    --conf "spark.kubernetes.container.image=$image" \
    --conf "spark.kubernetes.namespace=${NAMESPACE:-default}" \
    --conf "spark.kubernetes.authenticate.driver.serviceAccountName=${SERVICE_ACCOUNT:-spark}" \
    --conf "spark.executor.instances=$executors" \
    --conf spark.executor.resource.gpu.vendor=nvidia.com \
    --conf spark.driver.resource.gpu.amount=1 \
    --conf spark.driver.resource.gpu.vendor=nvidia.com \
    --conf "spark.driver.resource.gpu.discoveryScript=$gpu_discovery" \
    --conf spark.driver.cores=8 \
    --conf "spark.driver.memoryOverhead=$executor_overhead" \
    --conf spark.kubernetes.driverEnv.OMP_WAIT_POLICY=PASSIVE \
    "${security_conf[@]}" "${gpu_conf[@]}" "${app_conf[@]}"
