#!/usr/bin/env bash
# test_api_suite.sh - the black-box API suite (tests/api, not hostile/) against a cluster:
# nginx -> serve x2 -> one store, worker x2. Tests that need their own server skip; every
# other test must pass through the proxy. ~40 s.
set -euo pipefail
# shellcheck source=tests/cluster/lib.sh
. "$(dirname "$0")/lib.sh"
cluster_up
cd "$ROOT/tests/api"
# REPRIGHT_TEST_DATA_DIR: `repright admin` (partner tests) works on the cluster's store;
# REPRIGHT_TEST_LOGS: the serve logs, for tests that read the server's log lines
logs=$(printf '%s:' "$DIR"/serve*.log)
REPRIGHT_TEST_BASE_URL=$URL REPRIGHT_TEST_DATA_DIR=$DIR REPRIGHT_TEST_LOGS=${logs%:} "$PY" -m pytest -q -p no:cacheprovider -rf \
  --ignore=hostile "$ROOT/tests/api"
"$CLUSTER" status >/dev/null || { echo "a cluster process died during the suite"; "$CLUSTER" status; exit 1; }
