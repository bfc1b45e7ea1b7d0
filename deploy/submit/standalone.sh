#!/usr/bin/env bash
# standalone.sh: AtManRL training on a Spark standalone cluster with GPU executors (example; not
# run here: no GPU and no multi-host cluster on this machine. deploy/cluster/loopback.sh runs the
# same submission, CPU jar, on a real one-host standalone cluster).
#
#   MASTER=spark://master-host:7077 SPARK_SECRETS=/etc/atmanrl/spark-secret.properties \
#   SPARK_HOME=/opt/spark-3.5.8-bin-hadoop3 \
#   deploy/submit/standalone.sh hdfs:///configs/llama-3.2-3b-gsm8k.yaml [--resume] [--set KEY=VALUE ...]
#
# Client mode: the driver (optimizer, reduction, evaluation, checkpoints) runs here, on the
# submitting host, which therefore needs DRIVER_MEMORY of RAM, and a GPU with CUDA 11.6: the CUDA
# jar gives the driver's ND4J the CUDA backend too (it fails with UnsatisfiedLinkError libcuda.so.1
# without one).
#
# Standalone has one authentication secret for the whole cluster: the Master, every Worker and
# every application use the same spark.authenticate.secret. SPARK_SECRETS is a properties file
# that holds it (spark.authenticate.secret=<random hex>, e.g. from openssl rand -hex 32; at least
# 32 characters, not predictable; any Java properties syntax), readable by its owner only (a
# symlink is followed first); it is passed with --properties-file, so the secret never appears
# on a command line (ps) or in logs.
# Note that --properties-file replaces the distribution's conf/spark-defaults.conf for this run.
#
# The Workers must run with the same security settings and the same secret (their
# --properties-file or SPARK_WORKER_OPTS) and offer their GPUs:
#   spark.worker.resource.gpu.amount=<GPUs per host>
#   spark.worker.resource.gpu.discoveryScript=/opt/atmanrl/discover-gpus.sh   (deploy/gpu/)
# and the discovery script must be at GPU_DISCOVERY on every Worker host.
#
# Other settings: see deploy/submit/common.sh (EXECUTORS, EXECUTOR_CORES, memory, ATMANRL_JAR,
# ATMANRL_DRY_RUN=1 to print the command).
set -euo pipefail
# shellcheck source=deploy/submit/common.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

master="${MASTER:-}"
[[ "$master" == spark://* ]] || die "set MASTER to the standalone Master's URL, spark://host:7077"
secrets="${SPARK_SECRETS:-}"
[[ -n "$secrets" ]] || die "set SPARK_SECRETS to the properties file holding spark.authenticate.secret"
if [[ "${ATMANRL_DRY_RUN:-0}" != "1" ]]; then
    # Blank, short or predictable secrets, group-readable files and settings that turn security
    # off are refused; symlinks (as Kubernetes mounts Secrets) are followed first (security.sh).
    check_secret_file "$secrets"
    [[ -f "$jar" ]] || die "no application jar $jar (build it: mvn -B -DskipTests -Pshaded,cuda package)"
fi
app_jar="$jar"
# Client mode: this process becomes the driver; its ND4J threads wait passively (docs/deployment.md, "Build notes").
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

submit --master "$master" --deploy-mode client \
    --properties-file "$secrets" \
    "${security_conf[@]}" "${gpu_conf[@]}" "${app_conf[@]}" \
    --conf "spark.cores.max=$((executors * executor_cores))"
