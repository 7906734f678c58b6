#!/usr/bin/env bash
# print-measurements.sh LOG - show the tables and summary lines that the real-media tests print
# (pose accuracy against MediaPipe, clip agreement, rep counts against the ground truth), taken
# from CTest's LastTest.log, so CI logs carry the numbers and not only "Passed".
set -u
log=${1:?usage: print-measurements.sh build/Testing/Temporary/LastTest.log}
[ -f "$log" ] || { echo "print-measurements: no $log"; exit 0; }
echo "== measurements (from $log)"
awk '
  /^clip /                   { table = 1; print; next }   # a table starts at its header
  table && (/^\[/ || /^$/)   { table = 0 }                # and ends at the next cmocka line
  table                      { print; next }
  /^(squats \(|average over|reps exact|SKIP:)/ { print; next }
  /^(lite|full|heavy) (static|video) #0/      { print; next }
' "$log"
