# security.sh: sourced by common.sh (standalone.sh, yarn.sh, kubernetes.sh) and
# deploy/cluster/loopback.sh (not run by itself). The checks that keep a cluster's authentication
# and encryption on: a --conf or a properties file cannot turn them off, and a standalone secret
# file must hold a secret worth the name, readable by its owner only. Expects die() defined.
# shellcheck shell=bash

# Settings that must keep these values; a --conf or a properties file that says otherwise is refused.
declare -A required_security=(
    [spark.authenticate]=true
    [spark.network.crypto.enabled]=true
    [spark.network.crypto.saslFallback]=false
    [spark.io.encryption.enabled]=true
)
secret_key=spark.authenticate.secret
# A secret must have this many characters and this much Shannon entropy per character
# (openssl rand -hex 32 gives 64 characters of ~3.8 bits; aaaa... has 0, abab... 1).
min_secret_chars=32
min_secret_bits_per_char=3
# A secrets file is a few lines; a larger one is the wrong file, refused before it is read.
max_secret_file_bytes=65536

# Refuses a Spark setting (KEY=VALUE, from --conf or a properties file named by SOURCE) that
# would weaken security. Spark reads booleans case-insensitively and trims properties' values.
check_security_setting() {
    local key="$1" value="$2" source="$3" want
    key="${key#"${key%%[![:space:]]*}"}"; key="${key%"${key##*[![:space:]]}"}"
    value="${value#"${value%%[![:space:]]*}"}"; value="${value%"${value##*[![:space:]]}"}"
    if [[ "$source" == --conf && "$key" == "$secret_key" ]]; then
        die "--conf $secret_key refused: a secret on the command line shows in ps and logs; put it in a properties file readable by its owner only"
    fi
    want="${required_security[$key]:-}"
    [[ -z "$want" || "${value,,}" == "$want" ]] ||
        die "$source: $key=$value refused: authentication and encryption stay on ($key must be $want)"
}

# Prints FILE's settings as KEY<TAB>VALUE lines, read as java.util.Properties reads them (and Spark
# after it, trimming values): # and ! comments, continuation lines ending in \, the key ending at
# the first unescaped =, : or whitespace, the separator surrounded by optional whitespace
# (key=value, key = value, key: value, key value). Escapes in keys and values are taken literally
# but for \\, \t, \n, \r, \f and \<separator>; \uXXXX is left as it is.
properties() {
    awk '
        function unescape(s,   out, i, c) {
            out = ""
            for (i = 1; i <= length(s); i++) {
                c = substr(s, i, 1)
                if (c == "\\" && i < length(s)) {
                    i++; c = substr(s, i, 1)
                    if (c == "t") c = "\t"; else if (c == "n") c = "\n"; else if (c == "r") c = "\r"; else if (c == "f") c = "\f"
                }
                out = out c
            }
            return out
        }
        function emit(line,   i, c, key, rest) {
            sub(/^[ \t\f]+/, "", line)
            if (line == "" || line ~ /^[#!]/) return
            for (i = 1; i <= length(line); i++) {
                c = substr(line, i, 1)
                if (c == "\\") { i++; continue }
                if (c == "=" || c == ":" || c == " " || c == "\t" || c == "\f") break
            }
            key = substr(line, 1, i - 1)
            rest = substr(line, i)
            sub(/^[ \t\f]*/, "", rest)
            if (rest ~ /^[=:]/) rest = substr(rest, 2)
            rest = unescape(rest)
            gsub(/^[ \t\f\r\n]+|[ \t\f\r\n]+$/, "", rest)
            printf "%s\t%s\n", unescape(key), rest
        }
        {
            sub(/\r$/, "")
            cur = $0
            if (continued) { sub(/^[ \t\f]+/, "", cur); line = pending cur } else line = cur
            n = match(line, /\\+$/) ? RLENGTH : 0
            if (n % 2 == 1) { pending = substr(line, 1, length(line) - 1); continued = 1; next }
            continued = 0
            emit(line)
        }
        END { if (continued) emit(pending) }
    ' "$1"
}

# Checks a standalone cluster's secret file (SPARK_SECRETS): a regular file of at most
# max_secret_file_bytes after symlinks are resolved (Kubernetes mounts Secrets as links; a device,
# FIFO or directory is refused by what it is, before it is read), readable by its owner only, whose security settings
# keep security on, and whose spark.authenticate.secret (the last one, as in Java) is long and
# unpredictable enough. Never prints the secret.
check_secret_file() {
    local file="$1" real key value secret="" found=0 chars bits size
    real="$(readlink -f -- "$file")" || die "$file: cannot resolve it"
    [[ -e "$real" ]] || die "$file: no such file"
    [[ "$real" == "$file" ]] || file="$file (-> $real)"
    [[ ! -d "$real" ]] || die "$file is a directory; a properties file holding $secret_key expected"
    [[ -f "$real" ]] || die "$file is not a regular file (a device, FIFO or socket); a properties file holding $secret_key expected"
    size="$(stat -c %s -- "$real")"
    [[ $size -le $max_secret_file_bytes ]] ||
        die "$file is $size bytes; at most $max_secret_file_bytes expected of a secrets file"
    # Group- or world-readable means the secret is not one.
    [[ "$(stat -c %a -- "$real")" =~ ^[4-7]00$ ]] || die "$file must be readable by its owner only (chmod 600 or 400)"
    while IFS=$'\t' read -r key value; do
        if [[ "$key" == "$secret_key" ]]; then
            secret="$value"; found=1
        else
            check_security_setting "$key" "$value" "$file"
        fi
    done < <(properties "$real")
    [[ $found == 1 ]] || die "$file holds no $secret_key"
    [[ -n "$secret" ]] || die "$file: $secret_key is blank"
    chars=${#secret}
    [[ $chars -ge $min_secret_chars ]] ||
        die "$file: $secret_key has $chars characters; at least $min_secret_chars are needed (e.g. openssl rand -hex 32)"
    bits="$(printf '%s' "$secret" | awk -v min="$min_secret_bits_per_char" '
        { for (i = 1; i <= length($0); i++) count[substr($0, i, 1)]++; n += length($0) }
        END { for (c in count) h -= count[c] / n * log(count[c] / n) / log(2); printf "%.1f %d\n", h, (h >= min) }')"
    [[ "${bits#* }" == 1 ]] ||
        die "$file: $secret_key is too predictable (${bits% *} bits of entropy per character, at least $min_secret_bits_per_char needed; e.g. openssl rand -hex 32)"
}
