#!/usr/bin/env bash
# test_chaos.sh - chaos on a cluster (tests/cluster/chaos.py): kill -9 a worker mid-job, kill -9
# a serve under uploads; with REPRIGHT_CLUSTER_BACKENDS=redis / pg also kill -9 Redis and
# restart PostgreSQL. Nothing acknowledged may be lost. ~40 s.
set -euo pipefail
# shellcheck source=tests/cluster/lib.sh
. "$(dirname "$0")/lib.sh"
export REPRIGHT_JOB_LEASE_S=3 # a killed worker's job runs again after 3 s, not a minute
cluster_up
export URL
"$PY" "$ROOT/tests/cluster/chaos.py" "$@"
