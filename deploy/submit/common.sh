# common.sh: sourced by standalone.sh, yarn.sh and kubernetes.sh (not run by itself). The settings
# every cluster example shares, so that the three cannot drift apart on security or GPUs.
#
# Environment (all optional):
#   SPARK_HOME          a Spark 3.5.x distribution built for Scala 2.12 (the standard one); the jar
#                       is built for Scala 2.12 and must match the cluster's Scala version
#   ATMANRL_JAR         the application jar; default: the CUDA build's shaded jar,
#                       driver/target/atmanrl-driver-<version>-shaded-cuda.jar
#                       (mvn -B -DskipTests -Pshaded,cuda package)
#   EXECUTORS           executors, one GPU each (default 8; match the config's partitions)
#   EXECUTOR_CORES      cores per executor = spark.task.cpus: one task per executor at a time,
#                       and ND4J/OpenBLAS size their thread pools to it (default 8)
#   EXECUTOR_MEMORY     executor heap (default 64g; see the example configs' sizing notes)
#   EXECUTOR_OVERHEAD   off-heap room per executor: ND4J's host arrays and CUDA's pinned buffers
#                       live outside the heap (default 32g)
#   DRIVER_MEMORY       driver heap (default 96g: sync mode's policy, AdamW's moments, the P results;
#                       barrier mode's driver holds no model and needs far less)
#   GPU_DISCOVERY       path of deploy/gpu/discover-gpus.sh on the executor hosts / in the image
#                       (default /opt/atmanrl/discover-gpus.sh, where deploy/docker/Dockerfile puts it)
#   ATMANRL_DRY_RUN=1   print the spark-submit command instead of running it
#
# Arguments: CONFIG, then the train command's options; a --conf KEY=VALUE among them goes to
# spark-submit instead (after the scripts' own settings, so it can change sizing), except one that
# would turn authentication or encryption off, or put the secret on the command line: that is
# refused (security.sh).
# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are read by the scripts that source this file

# One line, whatever it quotes: a newline or carriage return in a path or value shows as \n or \r.
die() { local m="$*"; m="${m//$'\n'/\\n}"; m="${m//$'\r'/\\r}"; echo "$(basename "$0"): $m" >&2; exit 1; }

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
# shellcheck source=deploy/submit/security.sh
source "$root/deploy/submit/security.sh"
# shellcheck source=deploy/lib/openblas-coretype.sh
source "$root/deploy/lib/openblas-coretype.sh"

[[ $# -ge 1 ]] || die "usage: $(basename "$0") CONFIG [train options, e.g. --resume, --set KEY=VALUE] [--conf SPARK_KEY=VALUE]"
config="$1"
shift
train_args=()
user_conf=()
while [[ $# -gt 0 ]]; do
    if [[ "$1" == --conf ]]; then
        [[ $# -ge 2 ]] || die "--conf needs SPARK_KEY=VALUE"
        check_security_setting "${2%%=*}" "${2#*=}" --conf
        user_conf+=(--conf "$2")
        shift 2
    else
        train_args+=("$1")
        shift
    fi
done

version="$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$root/driver/pom.xml")"
jar="${ATMANRL_JAR:-$root/driver/target/atmanrl-driver-$version-shaded-cuda.jar}"
executors="${EXECUTORS:-8}"
executor_cores="${EXECUTOR_CORES:-8}"
executor_memory="${EXECUTOR_MEMORY:-64g}"
executor_overhead="${EXECUTOR_OVERHEAD:-32g}"
driver_memory="${DRIVER_MEMORY:-96g}"
gpu_discovery="${GPU_DISCOVERY:-/opt/atmanrl/discover-gpus.sh}"

if [[ "${ATMANRL_DRY_RUN:-0}" == "1" ]]; then
    spark_submit="${SPARK_HOME:-\$SPARK_HOME}/bin/spark-submit"
else
    [[ -n "${SPARK_HOME:-}" ]] || die "set SPARK_HOME to a Spark 3.5 (Scala 2.12) distribution"
    spark_submit="$SPARK_HOME/bin/spark-submit"
    [[ -x "$spark_submit" ]] || die "no spark-submit in SPARK_HOME=$SPARK_HOME"
fi

# Authentication and encryption, on in every example. spark.authenticate: every RPC and block
# transfer is authenticated with a shared secret (YARN and Kubernetes make one per application;
# standalone needs the cluster's secret, see standalone.sh). network.crypto: AES encryption of
# RPC and block transfers, with no fallback to the older SASL scheme. io.encryption: shuffle and
# broadcast blocks spilled to executors' local disks are encrypted.
security_conf=(
    --conf spark.authenticate=true
    --conf spark.network.crypto.enabled=true
    --conf spark.network.crypto.saslFallback=false
    --conf spark.io.encryption.enabled=true
)

# One GPU per executor and per task: a task holds the executor's cached model copy on its GPU.
gpu_conf=(
    --conf spark.executor.resource.gpu.amount=1
    --conf spark.task.resource.gpu.amount=1
    --conf "spark.executor.resource.gpu.discoveryScript=$gpu_discovery"
)

# Sizing and the application's needs. Kryo with registration required is set by the application
# itself (SparkSetup), as are OMP_WAIT_POLICY and OPENBLAS_THREAD_TIMEOUT; they are repeated here so
# the command line says them (a value set in this environment wins).
# minRegisteredResourcesRatio=1: the first step waits for every executor, so the model copies are
# spread over all GPUs from the start. maxResultSize=0: the driver collects P gradient sums of
# 4 bytes per parameter each, above Spark's 1g default already for small models.
app_conf=(
    --conf "spark.executor.cores=$executor_cores"
    --conf "spark.task.cpus=$executor_cores"
    --conf "spark.executor.memory=$executor_memory"
    --conf "spark.executor.memoryOverhead=$executor_overhead"
    --conf "spark.driver.memory=$driver_memory"
    --conf spark.executorEnv.OMP_WAIT_POLICY=PASSIVE
    --conf "spark.executorEnv.OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-$ATMANRL_OPENBLAS_THREAD_TIMEOUT}"
    --conf spark.scheduler.minRegisteredResourcesRatio=1.0
    --conf spark.scheduler.maxRegisteredResourcesWaitingTime=600s
    --conf spark.driver.maxResultSize=0
)
# The OpenBLAS core type (docs/design.md 6.1): the one set in this environment, else the one this
# host needs, stands for the executors' (a cluster of one processor kind); every executor's model
# load still checks a small GEMM and stops its task with one line if the product is wrong.
executor_coretype="${OPENBLAS_CORETYPE:-$(atmanrl_openblas_coretype)}"
if [[ -n "$executor_coretype" ]]; then
    app_conf+=(--conf "spark.executorEnv.OPENBLAS_CORETYPE=$executor_coretype")
fi

# Runs (or, with ATMANRL_DRY_RUN=1, prints) spark-submit with the given arguments and the user's
# --conf settings, then the main class, the jar and the train command.
submit() {
    local -a cmd=("$spark_submit" "$@" ${user_conf[@]+"${user_conf[@]}"} --class org.atmanrl.driver.Main "$app_jar" train --config "$config"
                  ${train_args[@]+"${train_args[@]}"})
    if [[ "${ATMANRL_DRY_RUN:-0}" == "1" ]]; then
        printf '%q ' "${cmd[@]}"
        echo
    else
        exec "${cmd[@]}"
    fi
}
