#!/usr/bin/env bash
# loopback.sh: a real Spark standalone cluster on 127.0.0.1 (one Master, two Workers with one core
# each, or --workers N), a short AtManRL training run submitted to it with the shaded application jar through
# Spark's own SparkSubmit (client mode), a check of its output, and then every process it started
# is stopped, by process id, on success, failure and Ctrl-C alike.
#
#   deploy/cluster/loopback.sh [--model DIR] [--steps N] [--workers N] [--work DIR] [--keep]
#                              [--config FILE] [--set KEY=VALUE ...] [--conf SPARK_KEY=VALUE ...]
#                              [--jar FILE]
#
#   --model DIR     starting model (Hugging Face directory); default: a fresh one from
#                   `atmanrl init-model`, run from the shaded jar
#   --steps N       training steps (default 3)
#   --workers N     Workers, one core and one executor each (default 2, at most 8): a barrier run
#                   needs one per partition at once (e.g. --workers 3 --set partitions=3)
#   --work DIR      work directory: Spark home, logs, run output; must be empty or absent.
#                   Default: a new temporary directory, removed after a successful run unless
#                   --keep (a failed run always keeps it, for its logs). A given --work is kept.
#   --keep          keep the temporary work directory after a successful run
#   --config FILE   training config (default deploy/cluster/loopback.yaml); model, output and steps
#                   are always set by this script
#   --set KEY=VALUE passed to `train` after the config (repeatable)
#   --conf K=V      a Spark setting passed to SparkSubmit (repeatable), e.g. --conf spark.executor.memory=2g
#                   (one that would turn authentication or encryption off is refused)
#   --jar FILE      the application jar; default driver/target/atmanrl-driver-*-shaded.jar, built
#                   (mvn -Pshaded package) when missing or older than a pom or main source
#   --drill NAME    instead of one run, a fault drill against an undisturbed run of the same config
#                   (checkpoint every step), compared byte for byte (model.safetensors, or a
#                   barrier run's shards and their index):
#                   executor-loss: kill -9 one Worker's executor while it runs a task after checkpoint
#                   1 (step 2, or a later one when it misses step 2's tasks); the run must finish
#                   bit-identical. driver-loss: kill -9 the driver once checkpoint 2 exists, then
#                   resubmit with --resume; it must finish bit-identical. checkpoint-crash: kill -9
#                   the driver while checkpoint 3 is being written (its temporary directory exists,
#                   the rename has not happened); the resumed run must start from checkpoint 2 and
#                   finish bit-identical. Needs --model (trained) and --steps >= 4.
#
# Spark comes from Maven (deploy/cluster/spark-jars/pom.xml: the project's Spark, Hadoop client and
# logging jars), linked into the jars/ folder of a Spark home in the work directory; no Spark
# distribution is downloaded. The cluster runs with authentication (a secret generated per run,
# kept in a mode-600 properties file, never printed or put on a command line), AES-based RPC
# encryption and I/O (local disk) encryption.
#
# Environment: JAVA_HOME (else java on PATH; Java 17), ATMANRL_MAVEN_ARGS (extra Maven arguments,
# e.g. -o), LOOPBACK_MASTER_PORT / LOOPBACK_UI_PORT (default 7077 / 8080; when taken, Spark moves
# to the next free port and the script follows it).
set -euo pipefail

die() { echo "loopback: $*" >&2; exit 1; }
say() { echo "loopback: $*" >&2; }

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
# shellcheck source=deploy/submit/security.sh
source "$root/deploy/submit/security.sh"

model=""
steps=3
workers=2
work=""
keep=0
config="$root/deploy/cluster/loopback.yaml"
jar=""
sets=()
confs=()
drill=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --model)  [[ $# -ge 2 ]] || die "--model needs a directory"; model="$2"; shift 2 ;;
        --steps)  [[ $# -ge 2 ]] || die "--steps needs a number"; steps="$2"; shift 2 ;;
        --workers) [[ $# -ge 2 ]] || die "--workers needs a number"; workers="$2"; shift 2 ;;
        --work)   [[ $# -ge 2 ]] || die "--work needs a directory"; work="$2"; shift 2 ;;
        --keep)   keep=1; shift ;;
        --config) [[ $# -ge 2 ]] || die "--config needs a file"; config="$2"; shift 2 ;;
        --set)    [[ $# -ge 2 ]] || die "--set needs KEY=VALUE"; sets+=(--set "$2"); shift 2 ;;
        --conf)   [[ $# -ge 2 ]] || die "--conf needs KEY=VALUE"
                  check_security_setting "${2%%=*}" "${2#*=}" --conf; confs+=(--conf "$2"); shift 2 ;;
        --jar)    [[ $# -ge 2 ]] || die "--jar needs a file"; jar="$2"; shift 2 ;;
        --drill)  [[ $# -ge 2 ]] || die "--drill needs executor-loss or driver-loss"; drill="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
case "$drill" in
    ""|executor-loss|driver-loss|checkpoint-crash) ;;
    *) die "--drill must be executor-loss, driver-loss or checkpoint-crash, got '$drill'" ;;
esac
[[ -z "$drill" || -n "$model" ]] || die "--drill needs --model: a trained model (an untrained one has no reward variance, so no gradient, and every run would trivially end equal)"
[[ "$steps" =~ ^[1-9][0-9]*$ ]] || die "--steps must be a positive whole number, got '$steps'"
[[ "$workers" =~ ^[2-8]$ ]] || die "--workers must be a whole number from 2 to 8, got '$workers'"
[[ -f "$config" ]] || die "config file not found: $config"
config="$(readlink -f "$config")"
if [[ -n "$model" ]]; then
    [[ -f "$model/config.json" ]] || die "--model $model: no config.json there (not a model directory)"
    model="$(readlink -f "$model")"
fi
[[ -z "$jar" || -f "$jar" ]] || die "--jar $jar: no such file"

java="java"
[[ -n "${JAVA_HOME:-}" ]] && java="$JAVA_HOME/bin/java"
command -v "$java" >/dev/null || die "no Java found (set JAVA_HOME or put Java 17 on PATH)"
command -v curl >/dev/null || die "curl is needed to ask the Master's JSON page whether the Workers registered"
command -v mvn >/dev/null || die "Maven (mvn) is needed to resolve Spark's jars"
# Spark 3.5 fails on newer JDKs (Hadoop's login code); the jar is built for 17.
java_major="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[[ "$java_major" == "17" ]] || die "Java 17 is required, found '$java_major' ($java)"

# Spark's Java 17 module opens, from their one definition in the root pom (spark.java.opens), for
# the JVMs started here (Master, Workers, SparkSubmit); Workers add them to executors themselves.
opens="$(sed -n 's:.*<spark.java.opens>\(.*\)</spark.java.opens>.*:\1:p' "$root/pom.xml")"
[[ -n "$opens" ]] || die "no <spark.java.opens> in $root/pom.xml"
read -r -a opens <<< "$opens"

# ---- work directory --------------------------------------------------------------------------
made_work=0
if [[ -z "$work" ]]; then
    work="$(mktemp -d "${TMPDIR:-/tmp}/atmanrl-loopback.XXXXXX")"
    made_work=1
else
    if [[ -e "$work" && -n "$(ls -A "$work" 2>/dev/null)" ]]; then
        die "--work $work is not empty (a run directory that holds another run is refused)"
    fi
    mkdir -p "$work"
    work="$(readlink -f "$work")"
fi
logs="$work/logs"
spark_home="$work/spark-home"
mkdir -p "$logs" "$spark_home/jars" "$spark_home/conf" "$work/local"

# ---- process bookkeeping and cleanup ---------------------------------------------------------
# Every process this script starts is recorded here as "name pid"; cleanup stops exactly those
# (and the executors the Workers started, found by their parent's pid), never by name.
started=()
succeeded=0
t0=$SECONDS

alive() { kill -0 "$1" 2>/dev/null; }

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local name pid child
    local -a victims=()
    # Newest first: the driver (it tells the Master its application ended), then the Workers (their
    # shutdown hooks stop their executors), then the Master.
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do
        read -r name pid <<< "${started[i]}"
        alive "$pid" || continue
        say "stopping $name (pid $pid)"
        # Children first: once a Worker is gone its executors would belong to init and could no
        # longer be told apart from anyone else's.
        for child in $(pgrep -P "$pid" 2>/dev/null || true); do victims+=("$child"); done
        victims+=("$pid")
        kill -TERM "$pid" 2>/dev/null || true
    done
    if [[ ${#victims[@]} -gt 0 ]]; then
        # Spark's shutdown hooks get 20 s; anything still there after that is killed outright.
        local deadline=$((SECONDS + 20)) left
        while :; do
            left=()
            for pid in "${victims[@]}"; do alive "$pid" && left+=("$pid"); done
            [[ ${#left[@]} -eq 0 || $SECONDS -ge $deadline ]] && break
            sleep 0.5
        done
        for pid in "${left[@]}"; do
            say "process $pid did not stop on TERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        done
        # Reap the shell's own background children so none is left as a zombie.
        wait 2>/dev/null || true
    fi
    if [[ $succeeded -eq 1 && $made_work -eq 1 && $keep -eq 0 ]]; then
        rm -rf "$work"
    else
        say "logs: $logs (Master, Workers, driver; executors under $work/worker-*/app-*/*/stderr)"
    fi
    say "total $((SECONDS - t0)) s; $( ((succeeded)) && echo "run OK" || echo "FAILED (exit $status)")"
    exit "$status"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

# Prints the tail of a log and fails, for a process that died or never got ready.
fail_with_log() {
    local what="$1" log="$2"
    echo "---- last lines of $log" >&2
    tail -n 30 "$log" >&2 || true
    die "$what"
}

# ---- build: the shaded jar and Spark's jars ---------------------------------------------------
maven_args="${ATMANRL_MAVEN_ARGS:-}"
if [[ -z "$jar" ]]; then
    version="$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$root/driver/pom.xml")"
    jar="$root/driver/target/atmanrl-driver-$version-shaded.jar"
    stale=""
    if [[ -f "$jar" ]]; then
        stale="$(find "$root/pom.xml" "$root"/*/pom.xml "$root"/*/src/main -type f -newer "$jar" -print -quit 2>/dev/null)"
    fi
    if [[ ! -f "$jar" || -n "$stale" ]]; then
        say "building the shaded jar (mvn -Pshaded package, ~20-30 s)..."
        mkdir -p "$root/driver/target"
        # The launcher's lock: two Maven runs in one tree clobber each other's target/.
        exec 9> "$root/driver/target/.atmanrl-build.lock"
        flock 9
        # shellcheck disable=SC2086  # ATMANRL_MAVEN_ARGS is a list of arguments
        (cd "$root" && mvn -q -B -DskipTests -Pshaded $maven_args package 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g' >&2) \
            || die "the shaded build failed (Maven's messages above)"
        flock -u 9
        exec 9>&-
        [[ -f "$jar" ]] || die "the build made no $jar"
    fi
fi
jar="$(readlink -f "$jar")"
say "application jar: $jar ($(du -m "$jar" | cut -f1) MB)"

# Spark's runtime jars, resolved by Maven (the local repository after the first time).
# shellcheck disable=SC2086
mvn -q -B $maven_args -f "$root/deploy/cluster/spark-jars/pom.xml" dependency:build-classpath \
    -DincludeScope=runtime -Dmdep.outputFile="$work/spark-jars.classpath" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g' >&2 \
    || die "Maven could not resolve Spark's jars (deploy/cluster/spark-jars/pom.xml)"
# (read fails at the end of a file without a final newline, as Maven writes it: hence the || true)
IFS=: read -r -a spark_jars < "$work/spark-jars.classpath" || true
[[ ${#spark_jars[@]} -gt 0 ]] || die "Maven resolved no Spark jars"
for j in "${spark_jars[@]}"; do ln -s "$j" "$spark_home/jars/"; done
# The launcher library finds the jars/ folder of a release by this file and wants the Scala
# version from the environment outside a source tree.
spark_core="$(basename "$(ls "$spark_home"/jars/spark-core_*.jar)")"
[[ "$spark_core" =~ ^spark-core_([0-9.]+)-(.+)\.jar$ ]] || die "no spark-core jar among Spark's jars"
scala_version="${BASH_REMATCH[1]}"
spark_version="${BASH_REMATCH[2]}"
echo "Spark $spark_version (Scala $scala_version), jars resolved by Maven for the loopback cluster" > "$spark_home/RELEASE"

# Logging: INFO for the daemons and executors (their logs are files, and the script reads the
# Master's for its bound ports); WARN for the driver, whose console carries the training progress,
# except for the lines that say which executors the cluster granted.
cat > "$spark_home/conf/log4j2.properties" <<'EOF'
rootLogger.level = info
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n
logger.jetty.name = org.sparkproject.jetty
logger.jetty.level = warn
logger.hadoopnative.name = org.apache.hadoop.util.NativeCodeLoader
logger.hadoopnative.level = error
# DJL's tokenizer binding probes for CUDA on load; the tokenizer runs on the CPU regardless.
logger.djlcuda.name = ai.djl.util.cuda.CudaUtils
logger.djlcuda.level = error
EOF
cat > "$spark_home/conf/log4j2-driver.properties" <<'EOF'
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.granted.name = org.apache.spark.scheduler.cluster.StandaloneSchedulerBackend
logger.granted.level = info
logger.hadoopnative.name = org.apache.hadoop.util.NativeCodeLoader
logger.hadoopnative.level = error
# DJL's tokenizer binding probes for CUDA on load; the tokenizer runs on the CPU regardless.
logger.djlcuda.name = ai.djl.util.cuda.CudaUtils
logger.djlcuda.level = error
EOF

# Security settings shared by every role. Standalone mode has one secret for the whole cluster:
# the Master, the Workers and the driver read it from this file (--properties-file), and each
# Worker hands it to its executors in their environment, never on a command line.
secrets="$work/conf/security.properties"
mkdir -p "$work/conf"
chmod 700 "$work/conf"
(
    umask 077
    {
        echo "spark.authenticate=true"
        # 32 random bytes, hex: straight from /dev/urandom into the file, through no variable or argument.
        printf 'spark.authenticate.secret='
        od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
        echo
        echo "spark.network.crypto.enabled=true"
        # No fallback to the older SASL encryption: AES (commons-crypto) or nothing.
        echo "spark.network.crypto.saslFallback=false"
        echo "spark.io.encryption.enabled=true"
    } > "$secrets"
)
[[ "$(stat -c %a "$secrets")" == "600" ]] || die "could not make $secrets private"
check_secret_file "$secrets" # what the submit scripts ask of a cluster's secret file, this one meets

export SPARK_HOME="$spark_home"
export SPARK_CONF_DIR="$spark_home/conf"
export SPARK_SCALA_VERSION="$scala_version"
export SPARK_LOCAL_IP=127.0.0.1
export SPARK_LOCAL_DIRS="$work/local"
# Executors inherit the Worker's environment; the application also sets this for them (SparkSetup).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
cp_spark="$spark_home/conf:$spark_home/jars/*"
t_build=$((SECONDS - t0))

# A config fault stops here, in 2 s, not after the cluster came up: the same command with
# --print-config validates the config and the --set overrides without training.
output="$work/run"
train_args=(train --config "$config" --set model="${model:-$work/model}" --set output="$output" --set steps="$steps"
            ${sets[@]+"${sets[@]}"})
"$java" -cp "$jar:$spark_home/jars/*" org.atmanrl.driver.Main "${train_args[@]}" --print-config \
    > "$work/resolved-config.yaml" 2> "$logs/config-check.log" \
    || fail_with_log "the training config does not load" "$logs/config-check.log"

# ---- the cluster ------------------------------------------------------------------------------
master_log="$logs/master.log"
"$java" "${opens[@]}" -Xmx512m -cp "$cp_spark" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "${LOOPBACK_MASTER_PORT:-7077}" --webui-port "${LOOPBACK_UI_PORT:-8080}" \
    --properties-file "$secrets" > "$master_log" 2>&1 &
started+=("master $!")
master_pid=$!

# The ports the Master really bound (it moves on to the next port when one is taken).
master_url="" ui_url=""
for _ in $(seq 1 120); do
    alive "$master_pid" || fail_with_log "the Master exited" "$master_log"
    master_url="$(sed -n 's/.*Starting Spark master at \(spark:[^ ]*\).*/\1/p' "$master_log" | head -n 1)"
    ui_url="$(sed -n 's/.*Bound MasterWebUI to [^,]*, and started at \(http:[^ ]*\).*/\1/p' "$master_log" | head -n 1)"
    [[ -n "$master_url" && -n "$ui_url" ]] && break
    sleep 0.5
done
[[ -n "$master_url" && -n "$ui_url" ]] || fail_with_log "the Master did not start within 60 s" "$master_log"
# The UI's URL names the host as "localhost"; it listens on 127.0.0.1 only (not on ::1).
ui_url="http://127.0.0.1:${ui_url##*:}"
ui_url="${ui_url%/}"
say "Master $master_url (pid $master_pid), UI $ui_url"

worker_pids=()
for w in $(seq 1 "$workers"); do
    mkdir -p "$work/worker-$w"
    "$java" "${opens[@]}" -Xmx512m -cp "$cp_spark" org.apache.spark.deploy.worker.Worker \
        --host 127.0.0.1 --cores 1 --memory 2g --webui-port 0 --work-dir "$work/worker-$w" \
        --properties-file "$secrets" "$master_url" > "$logs/worker-$w.log" 2>&1 &
    started+=("worker-$w $!")
    worker_pids+=("$!")
done

# Every Worker registered: the Master's JSON page counts them.
registered=0
for _ in $(seq 1 120); do
    for w in $(seq 1 "$workers"); do
        alive "${worker_pids[w-1]}" || fail_with_log "Worker $w exited" "$logs/worker-$w.log"
    done
    registered="$(curl -sf "$ui_url/json/" 2>/dev/null | sed -n 's/.*"aliveworkers" *: *\([0-9]*\).*/\1/p' | head -n 1)"
    [[ "${registered:-0}" -ge "$workers" ]] && break
    sleep 0.5
done
[[ "${registered:-0}" -ge "$workers" ]] \
    || fail_with_log "only ${registered:-0} of $workers Workers registered within 60 s" "$logs/worker-$workers.log"
t_cluster=$((SECONDS - t0))
say "$workers Workers registered (pids ${worker_pids[*]}), $((t_cluster - t_build)) s after the build"

# ---- the starting model -------------------------------------------------------------------------
if [[ -z "$model" ]]; then
    model="$work/model"
    # The same command as `deploy/atmanrl init-model`, run from the shaded jar on Spark's jars:
    # the jar proves it carries everything the application needs besides Spark.
    "$java" "${opens[@]}" -cp "$jar:$spark_home/jars/*" org.atmanrl.driver.Main init-model --out "$model" \
        > "$logs/init-model.log" 2>&1 || fail_with_log "init-model failed" "$logs/init-model.log"
    say "model: $(tail -n 1 "$logs/init-model.log")"
fi

# ---- the training run ------------------------------------------------------------------------
# Client mode: the SparkSubmit JVM is the driver. Each Worker has one core, so spark.cores.max=workers
# with one core per executor gives one executor per Worker; the scheduler waits for all of them
# before the first step, so all take part. The driver listens on loopback only. Starts in the background: sets
# driver_pid. Arguments: the log file, then extra `train` arguments.
submit() {
    local log="$1"; shift
    "$java" "${opens[@]}" -Xmx2g -cp "$cp_spark" \
        -Dlog4j2.configurationFile="$spark_home/conf/log4j2-driver.properties" \
        org.apache.spark.deploy.SparkSubmit \
        --master "$master_url" --deploy-mode client \
        --properties-file "$secrets" \
        --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
        --conf spark.executor.cores=1 --conf spark.executor.memory=1g \
        --conf spark.cores.max="$workers" --conf spark.task.cpus=1 \
        --conf spark.scheduler.minRegisteredResourcesRatio=1.0 \
        --conf spark.scheduler.maxRegisteredResourcesWaitingTime=120s \
        ${confs[@]+"${confs[@]}"} \
        --class org.atmanrl.driver.Main "$jar" "${train_args[@]}" "$@" \
        > >(tee "$log") 2>&1 &
    driver_pid=$!
    started+=("driver $driver_pid")
}

# Waits for the driver started last; fails with its log unless it exited 0.
finish() {
    local log="$1" status=0
    wait "$driver_pid" || status=$?
    [[ $status -eq 0 ]] || fail_with_log "the training run failed (SparkSubmit exit $status)" "$log"
}

# Blocks until a file exists (polling), failing if the driver died first or after 10 minutes.
await_file() {
    local file="$1" log="$2"
    for _ in $(seq 1 1200); do
        [[ -e "$file" ]] && return 0
        alive "$driver_pid" || fail_with_log "the driver exited before $file appeared" "$log"
        sleep 0.5
    done
    fail_with_log "$file did not appear within 10 minutes" "$log"
}

# Whether two model directories hold the same weight files byte for byte: model.safetensors, or a
# barrier run's shards (model-0000k-of-0000n.safetensors) and their index.
same_weights() {
    local a="$1" b="$2" names f
    names="$(cd "$a" && ls model*.safetensors* 2>/dev/null)" || return 1
    [[ -n "$names" && "$names" == "$(cd "$b" && ls model*.safetensors* 2>/dev/null)" ]] || return 1
    for f in $names; do
        cmp -s "$a/$f" "$b/$f" || return 1
    done
}

driver_log="$logs/driver.log"
t_submit=$SECONDS
if [[ -z "$drill" ]]; then
    say "submitting: $steps steps, config $config; driver log $driver_log"
    submit "$driver_log"
    finish "$driver_log"
else
    say "drill $drill: first the undisturbed run ($steps steps, checkpoint every step)"
    submit "$logs/driver-undisturbed.log" --set output="$work/undisturbed" --set checkpoint.every=1
    finish "$logs/driver-undisturbed.log"
    if [[ "$drill" == executor-loss ]]; then
        submit "$driver_log" --set checkpoint.every=1
        # Step 1 and its checkpoint are done; then wait until Worker 1's executor is running a task
        # (its log's last task line starts one), so that the kill lands mid-task: in barrier mode
        # a step's stage starts only after the previous checkpoint.
        await_file "$output/checkpoints/step-00000001/manifest.json" "$driver_log"
        victim="$(pgrep -P "${worker_pids[0]}" -f CoarseGrainedExecutorBackend | head -n 1 || true)"
        [[ -n "$victim" ]] || fail_with_log "Worker 1 has no executor to kill" "$logs/worker-1.log"
        shopt -s nullglob
        running=0
        for _ in $(seq 1 1200); do
            stderrs=("$work"/worker-1/app-*/*/stderr)
            if [[ ${#stderrs[@]} -gt 0 ]] \
                && grep -h "Executor: Running task\|Executor: Finished task" "${stderrs[@]}" | tail -n 1 | grep -q "Running task"; then
                running=1
                break
            fi
            sleep 0.05
        done
        shopt -u nullglob
        [[ $running -eq 1 ]] || fail_with_log "Worker 1's executor started no task after checkpoint 1" "$driver_log"
        say "killing Worker 1's executor (pid $victim) with SIGKILL while it runs a task of step 2 or later"
        kill -KILL "$victim"
        finish "$driver_log"
        grep -q "Lost executor\|ExecutorLostFailure\|lost executor" "$driver_log" \
            || say "note: the driver log does not mention the lost executor"
    elif [[ "$drill" == checkpoint-crash ]]; then
        submit "$driver_log" --set checkpoint.every=1
        await_file "$output/checkpoints/step-00000002/manifest.json" "$driver_log"
        # Poll fast: a checkpoint of the tiny model is written in a fraction of a second.
        shopt -s nullglob
        caught=0
        for _ in $(seq 1 30000); do
            temps=("$output"/checkpoints/.step-00000003.tmp-*)
            if [[ ${#temps[@]} -gt 0 ]]; then kill -KILL "$driver_pid"; caught=1; break; fi
            alive "$driver_pid" || break
            sleep 0.01
        done
        wait "$driver_pid" 2>/dev/null || true
        temps=("$output"/checkpoints/.step-00000003.tmp-*)
        shopt -u nullglob
        [[ $caught -eq 1 && ${#temps[@]} -gt 0 && ! -e "$output/checkpoints/step-00000003" ]] \
            || die "drill checkpoint-crash: missed the window (the kill did not land while checkpoint 3 was being written); run it again"
        say "killed the driver with SIGKILL while checkpoint 3 was being written (${temps[0]##*/} left behind)"
        submit "$logs/driver-resumed.log" --set checkpoint.every=1 --resume
        finish "$logs/driver-resumed.log"
        grep -q "resuming after step 2" "$logs/driver-resumed.log" || die "the resumed run did not start from checkpoint 2"
    else
        submit "$driver_log" --set checkpoint.every=1
        await_file "$output/checkpoints/step-00000002/manifest.json" "$driver_log"
        say "killing the driver (pid $driver_pid) with SIGKILL after checkpoint 2"
        kill -KILL "$driver_pid"
        wait "$driver_pid" 2>/dev/null || true
        say "resubmitting with --resume"
        submit "$logs/driver-resumed.log" --set checkpoint.every=1 --resume
        finish "$logs/driver-resumed.log"
        grep -q "resuming after step" "$logs/driver-resumed.log" || die "the resumed run did not resume from a checkpoint"
    fi
    if same_weights "$work/undisturbed/model" "$output/model"; then
        say "drill $drill: final weights bit-identical to the undisturbed run"
    else
        die "drill $drill: final weights differ from the undisturbed run"
    fi
fi
t_train=$((SECONDS - t_submit))

# ---- checks ----------------------------------------------------------------------------------
lines=0
[[ -f "$output/metrics.jsonl" ]] && lines="$(wc -l < "$output/metrics.jsonl")"
[[ "$lines" -eq "$steps" ]] || die "metrics.jsonl has $lines lines, expected $steps"
# one file, or a barrier run's shards with their index
[[ ( -f "$output/model/model.safetensors" || -f "$output/model/model.safetensors.index.json" ) \
    && -f "$output/model/config.json" ]] || die "the run saved no model/ in $output"
[[ -f "$output/summary.json" ]] || die "the run wrote no summary.json"
# The work ran on the cluster: each Worker launched an executor, and each executor ran tasks.
for w in $(seq 1 "$workers"); do
    shopt -s nullglob
    stderrs=("$work/worker-$w"/app-*/*/stderr)
    shopt -u nullglob
    [[ ${#stderrs[@]} -ge 1 ]] || die "Worker $w launched no executor"
    tasks="$(cat "${stderrs[@]}" | grep -c 'Executor: Running task' || true)"
    [[ "$tasks" -ge 1 ]] || die "the executor of Worker $w ran no task (see ${stderrs[0]})"
    grep -q "authentication enabled" "${stderrs[0]}" || die "the executor of Worker $w did not report authentication on"
    say "Worker $w: executor ran $tasks tasks"
done
grep -q "authentication enabled" "$master_log" || die "the Master did not report authentication on"

succeeded=1
say "trained $steps steps on the cluster: $output ($lines metric lines, model/ saved)"
say "times: build/resolve $t_build s, cluster up $((t_cluster - t_build)) s, training run (submit to exit) $t_train s"
