# Sourced by deploy/atmanrl, deploy/submit/common.sh and the test JVMs' launcher check: chooses
# the OpenBLAS core type for processors the OpenBLAS that ND4J bundles (0.3.19) does not know or
# mistakes (docs/design.md 6.1, "The BLAS core type"), and how long its idle threads spin. Bash
# functions only; nothing runs on sourcing.

# atmanrl_openblas_coretype [CPUINFO]: prints the core type this processor needs, or nothing when
# OpenBLAS 0.3.19 picks good kernels itself. Two measured cases (docs/design.md 6.1):
# - AMD family 0x1A (Zen 5) and later, which 0.3.19 does not know: it falls back to generic kernels
#   (an n=2048 float GEMM at 79 GFLOP/s, against 174-178 with Haswell's AVX2 kernels).
# - AMD family 0x19 with AVX-512 (Zen 4): 0.3.19 takes it for Zen 3 and runs AVX2 kernels; the
#   SkylakeX (AVX-512) kernels, which need F, DQ, BW and VL, ran the mid training step 1.08-1.21x
#   and the mid forward 1.08-1.11x faster (docs/measurements.md, "The BLAS core type on Zen 4").
atmanrl_openblas_coretype() {
    local info="${1:-/proc/cpuinfo}" vendor family flags
    [[ -r "$info" ]] || return 0
    vendor="$(sed -n 's/^vendor_id[[:space:]]*:[[:space:]]*//p' "$info" | head -n 1)"
    family="$(sed -n 's/^cpu family[[:space:]]*:[[:space:]]*//p' "$info" | head -n 1)"
    flags=" $(sed -n 's/^flags[[:space:]]*:[[:space:]]*//p' "$info" | head -n 1) "
    [[ "$family" =~ ^[0-9]+$ ]] || return 0
    [[ "$vendor" == AuthenticAMD ]] || return 0
    if (( family >= 26 )) && [[ "$flags" == *" avx2 "* ]]; then
        echo Haswell
    elif (( family == 25 )) && [[ "$flags" == *" avx512f "* && "$flags" == *" avx512dq "* \
            && "$flags" == *" avx512bw "* && "$flags" == *" avx512vl "* ]]; then
        echo SkylakeX
    fi
}

# How long an idle OpenBLAS thread spins before it sleeps, as a power of two of TSC cycles: 2^22,
# about a millisecond. OpenBLAS 0.3.19's own 2^28 (about 90 ms) keeps its threads spinning through
# the model's Java passes between products (softmax, head layout, SwiGLU), which then share the
# cores with them: the tiny training step ran 1.15-1.45x faster at 22 (docs/design.md 6.1, "BLAS
# threads that spin").
ATMANRL_OPENBLAS_THREAD_TIMEOUT=22

# atmanrl_openblas_env [CPUINFO]: exports OPENBLAS_CORETYPE when this processor needs one, and
# OPENBLAS_THREAD_TIMEOUT, each unless the user has set it (a value the user set always wins).
atmanrl_openblas_env() {
    if [[ -z "${OPENBLAS_THREAD_TIMEOUT:-}" ]]; then export OPENBLAS_THREAD_TIMEOUT="$ATMANRL_OPENBLAS_THREAD_TIMEOUT"; fi
    [[ -n "${OPENBLAS_CORETYPE:-}" ]] && return 0
    local core
    core="$(atmanrl_openblas_coretype "${1:-/proc/cpuinfo}")"
    if [[ -n "$core" ]]; then export OPENBLAS_CORETYPE="$core"; fi
    return 0
}
