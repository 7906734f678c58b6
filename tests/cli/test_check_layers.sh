#!/usr/bin/env bash
# test_check_layers.sh - scripts/check-layers.sh passes the real tree and refuses a copy of a
# tiny tree with one violation of each rule (upward include, same-layer include, bare include,
# another module's *_int.h, unknown module), naming each offending line.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
check="$here/scripts/check-layers.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$check" "$here/src" >/dev/null || fail "the real tree breaks its own layering"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mk() { mkdir -p "$tmp/src/$(dirname "$1")"; printf '%s\n' "$2" >"$tmp/src/$1"; }
mk base/b.h      '#include <stdio.h>'
mk http/h_int.h  '#include "base/b.h"'
mk store/s.h     '#include "base/b.h"'
mk app/a.c       '#include "app/a.h"'
mk app/a.h       '#include "store/s.h"'
"$check" "$tmp/src" >/dev/null || fail "a clean tree is refused"

expect_refused() { # file text expected-message
  mk "$1" "$2"
  if out=$("$check" "$tmp/src" 2>&1); then fail "accepted: $1: $2"; fi
  grep -qF "$3" <<<"$out" || fail "$1: expected '$3' in: $out"
  rm "$tmp/src/$1"
  echo "refused as expected: $1: $2"
}
expect_refused analysis/x.c '#include "store/s.h"' "analysis (layer 1) may not include store (layer 1)"
expect_refused store/y.c    '#include "app/a.h"'   "store (layer 1) may not include app (layer 3)"
expect_refused queue/z.c    '#include "http/h.h"'  "queue (layer 2) may not include http (layer 3)"
expect_refused app/w.c      '#include "http/h.h"'  "app (layer 3) may not include http (layer 3)"
expect_refused api/v.c      '#include "http/h_int.h"' "another module's internal header"
expect_refused app/u.c      '#include "a.h"'       'use a rooted include'
expect_refused app/t.c      '#include "nomod/q.h"' "'nomod' is not a module"
expect_refused newmod/s.c   '#include "base/b.h"'  "module 'newmod' has no layer"
echo "check-layers: every rule refuses its violation"
