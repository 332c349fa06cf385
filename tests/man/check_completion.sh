#!/bin/sh
# check_completion.sh KCHAT_BINARY COMPLETION_FILE
#
# The bash completion (completion/kchat.bash) completes the commands, each command's options
# (every long option of `kchat CMD --help` is offered for CMD), -X property names (but none that
# kchat refuses) and the values of security.protocol. Exits 1 on any failure.
set -u
bin=$1
file=$2
command -v bash >/dev/null 2>&1 || { echo "FAIL: no bash"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# complete WORD...: prints bash's candidates for the last word of "kchat WORD..."
cat >"$tmp/run.sh" <<'EOS'
. "$1"
shift
COMP_WORDS=(kchat "$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_kchat
printf '%s\n' "${COMPREPLY[@]}"
EOS
failed=0
expect() {
    want=$1
    shift
    if ! bash "$tmp/run.sh" "$file" "$@" | grep -q -x -e "$want"; then
        echo "FAIL: kchat $* <Tab> does not offer '$want'"
        failed=1
    fi
}
refuse() {
    bad=$1
    shift
    if bash "$tmp/run.sh" "$file" "$@" | grep -q -x -e "$bad"; then
        echo "FAIL: kchat $* <Tab> offers '$bad'"
        failed=1
    fi
}
expect listen li
expect connect -b h:1 co
expect --echo listen --ec
expect --invitation-file connect --inv
expect security.protocol= connect -X security.pro
expect SASL_SSL listen -X security.protocol = SASL_
expect SCRAM-SHA-512 connect -X sasl.mechanism = SCRAM-SHA-5
refuse group.id= listen -X group
refuse --echo connect --ec
for cmd in listen connect id forget; do
    "$bin" $cmd --help | grep -o -e '--[a-z][a-z0-9-]*' | sort -u | while read -r opt; do
        if ! bash "$tmp/run.sh" "$file" $cmd -- | grep -q -x -e "$opt" &&
            ! bash "$tmp/run.sh" "$file" $cmd "$opt" | grep -q -x -e "$opt"; then
            echo "FAIL: kchat $cmd: option $opt is not completed"
            echo 1 >"$tmp/failed"
        fi
    done
done
[ -f "$tmp/failed" ] && failed=1
[ "$failed" -eq 0 ] && echo "completion OK"
exit "$failed"
