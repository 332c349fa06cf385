#!/bin/sh
# check_man.sh KCHAT_BINARY MAN_PAGE UI_EVENT_C
#
# Checks that man/kchat.1 is clean and complete:
#   1. `mandoc -Tlint -W warning` exits 0 and prints nothing (and groff, when installed, prints
#      no warnings either);
#   2. every long option printed by `kchat --help` and `kchat {listen,connect,id,forget} --help`
#      appears in the page (as \-\-name or --name, not as part of a longer option);
#   3. every batch event name of ui/ui_event.c (except "done") is described in the BATCH MODE
#      section, in bold (.B name, .BR name ..., or \fBname\fR).
# Prints everything that is missing and exits 1 if anything is.
set -u

if [ $# -ne 3 ]; then
    echo "usage: $0 KCHAT_BINARY MAN_PAGE UI_EVENT_C" >&2
    exit 2
fi
bin=$1
page=$2
events_c=$3
failed=0
nopts=0

fail() {
    echo "FAIL: $*"
    failed=1
}

for f in "$page" "$events_c"; do
    if [ ! -r "$f" ]; then
        echo "FAIL: cannot read $f"
        exit 1
    fi
done
if [ ! -x "$bin" ]; then
    echo "FAIL: $bin is not an executable"
    exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# ---- 1. lint ----
if ! command -v mandoc >/dev/null 2>&1; then
    fail "mandoc is not installed (apt-get install mandoc)"
else
    mandoc -Tlint -W warning "$page" >"$tmp/lint" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ] || [ -s "$tmp/lint" ]; then
        fail "mandoc -Tlint -W warning exited $rc:"
        sed 's/^/    /' "$tmp/lint"
    fi
fi
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww -z "$page" >"$tmp/groff" 2>&1
    if [ -s "$tmp/groff" ]; then
        fail "groff -man -ww reports:"
        sed 's/^/    /' "$tmp/groff"
    fi
fi

# The page as plain text: \- and \(hy become -, font and zero-width escapes go away.
sed -e 's/\\-/-/g' -e 's/\\(hy/-/g' "$page" >"$tmp/dashes"
sed -e 's/\\f\[[^]]*\]//g' -e 's/\\f(..//g' -e 's/\\f.//g' \
    -e 's/\\&//g' -e 's/\\%//g' "$tmp/dashes" >"$tmp/page"

# ---- 2. long options of every help text ----
for cmd in "" listen connect id forget; do
    # shellcheck disable=SC2086 # $cmd is one word or nothing
    "$bin" $cmd --help >"$tmp/help" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "'kchat $cmd --help' exited with status $rc"
        sed 's/^/    /' "$tmp/help"
        continue
    fi
    grep -o -e '--[a-z0-9][a-z0-9-]*' "$tmp/help" | sort -u >"$tmp/opts"
    if [ ! -s "$tmp/opts" ]; then
        fail "'kchat $cmd --help' printed no long options"
        continue
    fi
    while IFS= read -r opt; do
        nopts=$((nopts + 1))
        if ! grep -q -E -e "(^|[^a-zA-Z0-9-])$opt([^a-zA-Z0-9-]|\$)" "$tmp/page"; then
            fail "option $opt (kchat $cmd --help) is not in $page"
        fi
    done <"$tmp/opts"
done

# ---- 3. batch events in BATCH MODE ----
# The section runs from its .SH line to the next .SH; fonts are kept to find bold names.
awk '/^\.SH/ { on = ($0 ~ /BATCH MODE/) } on' "$tmp/dashes" >"$tmp/batch"
if [ ! -s "$tmp/batch" ]; then
    fail "no BATCH MODE section in $page"
fi
grep -o -e '\[UI_EV_[A-Z_]*\] *= *"[^"]*"' "$events_c" | sed 's/.*"\(.*\)"$/\1/' |
    grep -v -x -e done | sort -u >"$tmp/events"
nevents=$(wc -l <"$tmp/events")
if [ "$nevents" -lt 5 ]; then
    fail "found only $nevents event names in $events_c (parser out of date?)"
fi
while IFS= read -r ev; do
    if ! grep -q -E -e "^\.BR? +\"?$ev\"?( |\$)" "$tmp/batch" &&
        ! grep -q -F -e "\\fB$ev\\f" "$tmp/batch"; then
        fail "batch event '$ev' is not described (in bold) in the BATCH MODE section"
    fi
done <"$tmp/events"

if [ "$failed" -ne 0 ]; then
    echo "man page check failed"
    exit 1
fi
echo "man page OK: lint clean; all $nopts long options of the 4 help texts and all $nevents batch events found"
exit 0
