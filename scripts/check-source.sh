#!/usr/bin/env bash
# check-source.sh - banned functions and cppcheck over src/ (any finding fails).
set -euo pipefail
cd "$(dirname "$0")/.."
banned='\b(strcpy|sprintf|strcat|gets|atoi|atol|strtok|vsprintf)\s*\('
if grep -rnE "$banned" src tests bench --include='*.c' --include='*.h'; then
  echo "check-source: banned function used (use snprintf/memcpy/strtol instead)" >&2
  exit 1
fi
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
  --inline-suppr --suppress=missingIncludeSystem -I src src
# ---- src/auth/ (owner: auth) -------------------------------------------------------------------
# Secrets (password hashes, MACs, token hashes, API keys) are compared only with sodium_memcmp.
# Any memcmp/strcmp-family call in src/auth/ must carry a "cmp-ok: <why>" comment on the same
# line stating that it compares public data (format tags, claim names, issuer/audience).
auth_cmp='\b(memcmp|strcmp|strncmp|strcasecmp|strncasecmp|bcmp|timingsafe_bcmp)\s*\('
if grep -rnE "$auth_cmp" src/auth --include='*.c' --include='*.h' | grep -v 'cmp-ok:'; then
  echo "check-source: src/auth compares with memcmp/strcmp; use sodium_memcmp for secrets" \
       "(or mark a public comparison with /* cmp-ok: why */)" >&2
  exit 1
fi
# ---- end src/auth/ -----------------------------------------------------------------------------
scripts/check-layers.sh src
echo "check-source: ok"
