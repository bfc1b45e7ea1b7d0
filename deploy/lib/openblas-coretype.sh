# Sourced by deploy/atmanrl, deploy/submit/common.sh and the test JVMs' launcher check: chooses
# the OpenBLAS core type for processors the OpenBLAS that ND4J bundles (0.3.19) does not know
# (docs/design.md 6.1, "The BLAS core type"). Bash functions only; nothing runs on sourcing.

# atmanrl_openblas_coretype [CPUINFO]: prints the core type this processor needs, or nothing when
# OpenBLAS 0.3.19 picks good kernels itself. Known case, measured: AMD family 0x1A (Zen 5) and
# later, which 0.3.19 does not know; it falls back to generic kernels (an n=2048 float GEMM at
# 79 GFLOP/s here, against 174-178 with Haswell's AVX2 kernels, which Zen 5 runs correctly).
atmanrl_openblas_coretype() {
    local info="${1:-/proc/cpuinfo}" vendor family flags
    [[ -r "$info" ]] || return 0
    vendor="$(sed -n 's/^vendor_id[[:space:]]*:[[:space:]]*//p' "$info" | head -n 1)"
    family="$(sed -n 's/^cpu family[[:space:]]*:[[:space:]]*//p' "$info" | head -n 1)"
    flags=" $(sed -n 's/^flags[[:space:]]*:[[:space:]]*//p' "$info" | head -n 1) "
    [[ "$family" =~ ^[0-9]+$ ]] || return 0
    if [[ "$vendor" == AuthenticAMD ]] && (( family >= 26 )) && [[ "$flags" == *" avx2 "* ]]; then
        echo Haswell
    fi
}

# atmanrl_openblas_env [CPUINFO]: exports OPENBLAS_CORETYPE when this processor needs one and the
# user has not set it (a value the user set always wins).
atmanrl_openblas_env() {
    [[ -n "${OPENBLAS_CORETYPE:-}" ]] && return 0
    local core
    core="$(atmanrl_openblas_coretype "${1:-/proc/cpuinfo}")"
    if [[ -n "$core" ]]; then export OPENBLAS_CORETYPE="$core"; fi
    return 0
}
