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
echo "check-source: ok"
