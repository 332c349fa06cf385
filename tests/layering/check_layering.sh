#!/usr/bin/env bash
# check_layering: fails when a source file breaks the house's layering rules
# (docs/ARCHITECTURE.md, "The floor and the layers"):
#   sys/     the floor: includes no other module and no librdkafka, libsodium, curses, readline
#   crypto/  sys/ only; nothing of librdkafka, curses, readline
#   net/     sys/ only; nothing of libsodium, curses, readline
#   ui/      sys/ only; nothing of librdkafka, libsodium
#   src/     wires everything (no rule); no module includes src/
# Project headers are named from the root ("net/consumer.h"); "../x.h" is refused everywhere.
#
#   tests/layering/check_layering.sh [ROOT]    (default: the repository)
set -uo pipefail

ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
bad=0

# check DIR ALLOWED_MODULES FORBIDDEN_SYSTEM_HEADER_REGEX
check() {
    local dir="$1" allowed="$2" forbidden="$3" file line n inc mod
    [[ -d "$ROOT/$dir" ]] || return 0
    while IFS= read -r file; do
        n=0
        while IFS= read -r line; do
            n=$((n + 1))
            [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*([\"\<])([^\"\>]*) ]] || continue
            inc="${BASH_REMATCH[2]}"
            if [[ "${BASH_REMATCH[1]}" == '"' ]]; then
                mod="${inc%%/*}"
                if [[ "$inc" != */* || " $allowed " != *" $mod "* ]]; then
                    echo "${file#"$ROOT"/}:$n: $dir/ may not include \"$inc\" (allowed: $allowed)"
                    bad=1
                fi
            elif [[ -n "$forbidden" && "$inc" =~ $forbidden ]]; then
                echo "${file#"$ROOT"/}:$n: $dir/ may not include <$inc>"
                bad=1
            fi
        done <"$file"
    done < <(find "$ROOT/$dir" -maxdepth 1 -name '*.[ch]' | sort)
}

readonly KAFKA='^librdkafka/'
readonly SODIUM='^sodium(\.h$|/)'
readonly SCREEN='^(n?curses(w)?\.h|ncursesw?/|term\.h$|readline/)'
readonly JSON='^jansson'

check sys "sys" "$KAFKA|$SODIUM|$SCREEN|$JSON"
check crypto "crypto sys" "$KAFKA|$SCREEN|$JSON"
check net "net sys" "$SODIUM|$SCREEN|$JSON"
check ui "ui sys" "$KAFKA|$SODIUM|$JSON"
check src "src ui net crypto sys" ""

if ((bad)); then
    echo "check_layering: the layering rules are broken (see docs/ARCHITECTURE.md)" >&2
    exit 1
fi
echo "check_layering: sys, crypto, net, ui and src keep to their layers"
