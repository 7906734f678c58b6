#!/usr/bin/env bash
# test.sh - everything CI checks, in order; exits non-zero on the first failure.
#  1. source checks: banned functions, cppcheck (warnings are errors)
#  2. coverage build (-Werror) + the whole ctest suite but the cluster tests (label "cluster":
#     nginx + several processes; they run once, in step 3, where sanitizer reports are checked)
#     + gcovr line coverage floor
#  3. ASan + UBSan build + the whole ctest suite but the browser tests (label "browser": they
#     drive Chromium against the server and ran once already in step 2); the analysis
#     evaluation over the labelled corpus (label "eval") runs here only, optimised
#  4. libFuzzer targets for a bounded time (clang), when RR_FUZZ_SECONDS > 0
#  5. ThreadSanitizer build of the threaded tests (queue, worker pool, HTTP server)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
COVERAGE_FLOOR=${RR_COVERAGE_FLOOR:-85}
FUZZ_SECONDS=${RR_FUZZ_SECONDS:-60}

echo "== source checks"
scripts/check-source.sh

echo "== coverage build + tests"
cmake -S . -B build-cov -DCMAKE_BUILD_TYPE=Debug -DRR_WERROR=ON -DRR_COVERAGE=ON >/dev/null
cmake --build build-cov -j "$JOBS"
find build-cov -name '*.gcda' -delete
(cd build-cov && ctest --output-on-failure -j "$JOBS" -LE "eval|cluster")
echo "browser test screenshots: build-cov/test-artifacts/screenshots"
# The accuracy tables the real-media tests print (CTest keeps passing tests' output in its log).
scripts/print-measurements.sh build-cov/Testing/Temporary/LastTest.log
gcovr --root . --filter 'src/' --exclude 'src/cli/' --print-summary --fail-under-line "$COVERAGE_FLOOR" build-cov >build-cov/coverage.txt
tail -n 3 build-cov/coverage.txt

echo "== ASan + UBSan build + tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRR_WERROR=ON -DRR_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$JOBS"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ "$FUZZ_SECONDS" -gt 0 ] && command -v clang >/dev/null; then
  echo "== libFuzzer targets, ${FUZZ_SECONDS}s each"
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRR_SANITIZE=ON -DRR_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j "$JOBS"
  # $JOBS targets at a time; each one's last lines are printed when it ends, a crash fails
  fuzz_one() {
    local f=$1 name
    name=$(basename "$f")
    mkdir -p build-fuzz/corpus-"$name"
    if "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=4096 build-fuzz/corpus-"$name" \
         tests/fuzz/corpus/"$name" >build-fuzz/"$name".log 2>&1; then
      echo "$name: $(tail -n 1 build-fuzz/"$name".log)"
    else
      echo "$name: FAILED"; tail -n 40 build-fuzz/"$name".log; return 1
    fi
  }
  export -f fuzz_one
  export FUZZ_SECONDS
  find build-fuzz -maxdepth 1 -name 'fuzz_*' -type f -perm -u+x ! -name '*.log' | sort |
    xargs -P "$JOBS" -I{} bash -c 'fuzz_one "$1"' _ {}
fi
echo "== ThreadSanitizer: queue, worker pool, HTTP server and store group-commit tests"
tsan_tests='^(queue/|http/test_server|http/test_slow_clients|store/test_store_group_commit)'
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRR_WERROR=ON -DRR_TSAN=ON >/dev/null
# build exactly the programs of the tests the pattern selects (a test "mod/test_x" runs test_x)
# (not the *_pg twins: they rerun the same programs on PostgreSQL, whose pool runs under ASan)
tsan_targets=$(cd build-tsan && ctest -N -R "$tsan_tests" -E '_pg$' |
  sed -n 's|^ *Test *#[0-9]*: [a-z]*/||p')
[ -n "$tsan_targets" ] || { echo "no tests match $tsan_tests" >&2; exit 1; }
# shellcheck disable=SC2086 # one target per word
cmake --build build-tsan -j "$JOBS" --target $tsan_targets
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
   ctest --output-on-failure -j "$JOBS" -R "$tsan_tests" -E '_pg$')
# Last: its closing line is the one CI reads.
(cd build-asan && ctest --output-on-failure -j "$JOBS" -LE browser)
