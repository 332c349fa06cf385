#!/bin/sh
# check_cli.sh KCHAT_BINARY [ssl]
#
# The command line as a user meets it, without a broker: exit statuses and the one-line errors
# of `kchat` (argument order, --version, explicit paths). With "ssl": a configuration that
# librdkafka refuses when the client is made (a missing ssl.ca.location) is one error line
# naming the property or file and exit status 1 or 2 -- never a crash (in batch mode).
# Prints every failure and exits 1 if anything failed.
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 KCHAT_BINARY [ssl]" >&2
    exit 2
fi
bin=$1
failed=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
export XDG_CONFIG_HOME="$tmp/config" XDG_STATE_HOME="$tmp/state"
unset KCHAT_BROKERS KCHAT_PASSPHRASE

fail() {
    echo "FAIL: $*"
    failed=1
}

# expect STATUS PATTERN ARGS...: kchat ARGS exits STATUS and stderr matches PATTERN (grep -E).
expect() {
    want=$1 pattern=$2
    shift 2
    timeout 60 "$bin" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "kchat $*: exit $rc, want $want; stderr: $(cat "$tmp/err")"
    elif ! grep -q -E -e "$pattern" "$tmp/err"; then
        fail "kchat $*: stderr does not match /$pattern/: $(cat "$tmp/err")"
    fi
}

if [ "${2:-}" = ssl ]; then
    "$bin" id --identity "$tmp/id" >/dev/null || fail "kchat id failed"
    for cmd in listen connect; do
        if [ $cmd = listen ]; then
            set -- listen --state "$tmp/st"
        else
            set -- connect --trust-any --a2b kchat-x-a2b --b2a kchat-x-b2a
        fi
        expect 1 'ssl\.ca\.location|/nonexistent' "$@" --batch -b 127.0.0.1:1 \
            --identity "$tmp/id" -X security.protocol=SSL -X ssl.ca.location=/nonexistent
        lines=$(wc -l <"$tmp/err")
        [ "$lines" -eq 1 ] || fail "kchat $cmd with a bad ssl.ca.location: $lines stderr lines"
    done
    [ "$failed" -eq 0 ] && echo "cli ssl OK"
    exit "$failed"
fi

expect 2 'takes no arguments' --version extra
expect 2 'missing command' -b 127.0.0.1:1
expect 2 "unknown command 'lsten'" -b 127.0.0.1:1 lsten
expect 2 'option --identity needs a value' listen --identity
expect 2 'option -b needs a value' -v listen -b
expect 2 'kchat sets this property itself' -X group.id=mine listen --batch
# options before the command reach it
"$bin" --identity "$tmp/made" id >"$tmp/out" 2>"$tmp/err" || fail "kchat --identity F id: $(cat "$tmp/err")"
[ -s "$tmp/made" ] || fail "kchat --identity F id: no identity file made"
"$bin" --help listen | grep -q -e '--resume' || fail "kchat --help listen: not listen's help"
# an explicit identity that does not exist, a state that is a directory
expect 2 'does not exist.*kchat id --identity' listen --batch --identity "$tmp/typo"
expect 2 'does not exist.*kchat id --identity' connect --batch --identity "$tmp/typo" \
    --trust-any --a2b a --b2a b
mkdir "$tmp/dir"
expect 2 '--state .* is a directory' listen --batch --identity "$tmp/made" --state "$tmp/dir"
# the invitation is never echoed in an error about the arguments
expect 2 'not shown' listen kchat1:a2b:b2a:id:SECRETSECRET:chk
grep -q SECRET "$tmp/err" && fail "the invitation's secret appears in an error"

[ "$failed" -eq 0 ] && echo "cli OK"
exit "$failed"
