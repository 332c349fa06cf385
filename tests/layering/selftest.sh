#!/usr/bin/env bash
# selftest: check_layering.sh must report exactly the broken includes of the fixture tree bad/.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$("$here/check_layering.sh" "$here/bad" 2>/dev/null)"
rc=$?
want="crypto/bad.c:2: crypto/ may not include \"net/producer.h\" (allowed: crypto sys)
crypto/bad.c:3: crypto/ may not include <librdkafka/rdkafka.h>
crypto/bad.c:4: crypto/ may not include <readline/readline.h>
net/bad.c:2: net/ may not include \"crypto/channel.h\" (allowed: net sys)
net/bad.c:3: net/ may not include \"../ui/tui.h\" (allowed: net sys)
net/bad.c:4: net/ may not include <sodium.h>
net/bad.c:5: net/ may not include <ncursesw/curses.h>
sys/bad.c:2: sys/ may not include \"crypto/identity.h\" (allowed: sys)
sys/bad.c:3: sys/ may not include \"src/app.h\" (allowed: sys)
sys/bad.c:4: sys/ may not include <sodium.h>
sys/bad.c:5: sys/ may not include <curses.h>
ui/bad.h:2: ui/ may not include \"net/consumer.h\" (allowed: ui sys)
ui/bad.h:3: ui/ may not include \"wrap.h\" (allowed: ui sys)
ui/bad.h:4: ui/ may not include <librdkafka/rdkafka.h>
ui/bad.h:5: ui/ may not include <sodium.h>"
if [[ $rc -ne 1 || "$(sort <<<"$out")" != "$(sort <<<"$want")" ]]; then
    echo "selftest: check_layering.sh gave (exit $rc):"
    echo "$out"
    echo "selftest: expected (exit 1):"
    echo "$want"
    exit 1
fi
echo "selftest: all 15 broken includes reported, allowed ones passed"
