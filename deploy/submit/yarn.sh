#!/usr/bin/env bash
# yarn.sh: AtManRL training on YARN with GPU executors (example; not run here: no YARN cluster
# and no GPU on this machine).
#
#   HADOOP_CONF_DIR=/etc/hadoop/conf SPARK_HOME=/opt/spark-3.5.8-bin-hadoop3 \
#   deploy/submit/yarn.sh hdfs:///configs/llama-3.2-3b-gsm8k.yaml [--resume] [--set KEY=VALUE ...]
#
# Cluster mode: the driver runs in the ApplicationMaster's container, so the config and every
# path in it (model, data, output) must be Hadoop paths the cluster reads (hdfs://, s3a://). The
# driver gets a GPU too: the CUDA jar gives its ND4J the CUDA backend, which fails without one.
#
# Security: with spark.authenticate=true YARN generates a secret per application and hands it to
# the driver and executors itself; nothing to configure. If the NodeManagers run Spark's external
# shuffle service, it needs spark.authenticate=true as well (this application does not use it).
#
# GPUs: Spark maps spark.executor.resource.gpu.amount to YARN's yarn.io/gpu resource (Hadoop 3.1+,
# with GPU scheduling enabled on the NodeManagers); YARN does not tell the container which GPU it
# got, so the discovery script (deploy/gpu/discover-gpus.sh) must be installed at GPU_DISCOVERY on
# every NodeManager host; with YARN's GPU isolation (cgroups) nvidia-smi sees only that GPU.
#
# Other settings: see deploy/submit/common.sh (EXECUTORS, EXECUTOR_CORES, memory, ATMANRL_JAR,
# ATMANRL_DRY_RUN=1 to print the command). QUEUE picks the YARN queue (default: default).
set -euo pipefail
# shellcheck source=deploy/submit/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

if [[ "${ATMANRL_DRY_RUN:-0}" != "1" ]]; then
    [[ -n "${HADOOP_CONF_DIR:-}${YARN_CONF_DIR:-}" ]] || die "set HADOOP_CONF_DIR (or YARN_CONF_DIR) to the cluster's Hadoop configuration"
    [[ -f "$jar" ]] || die "no application jar $jar (build it: mvn -B -DskipTests -Pshaded,cuda package)"
fi
[[ "$config" == *://* ]] || die "in cluster mode the config must be a Hadoop path the cluster reads (hdfs://...), got '$config'"
app_jar="$jar"

submit --master yarn --deploy-mode cluster \
    --queue "${QUEUE:-default}" \
    --conf "spark.executor.instances=$executors" \
    --conf spark.driver.resource.gpu.amount=1 \
    --conf "spark.driver.resource.gpu.discoveryScript=$gpu_discovery" \
    --conf spark.driver.cores=8 \
    --conf spark.yarn.appMasterEnv.OMP_WAIT_POLICY=PASSIVE \
    --conf "spark.driver.memoryOverhead=$executor_overhead" \
    "${security_conf[@]}" "${gpu_conf[@]}" "${app_conf[@]}"
