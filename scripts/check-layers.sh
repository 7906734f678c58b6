#!/usr/bin/env bash
# check-layers.sh [SRC_DIR] - the include rules of docs/internals/app.md over a source tree
# (default src): exits 1 and names every offending line. Called by check-source.sh; tested by
# tests/cli/test_check_layers.sh on a tree with one violation of each rule.
set -euo pipefail
root=$(cd "${1:-src}" && pwd)
# ---- layering (docs/internals/app.md) ------------------------------------------------------------
# A module includes only itself and modules of a strictly lower layer, with rooted includes
# ("module/x.h"), and never another module's *_int.h. Layers, low to high:
#   0 base | 1 pose video analysis auth store net | 2 blob queue analytics pipeline | 3 app http
#   4 api | 5 cli
# so analysis/ and pose/ include only base/; queue/, store/, blob/ never api/, http/ or app/;
# app/ never http/, api/ or cli/; the graph has no cycle and no upward arrow.
declare -A layer=([base]=0 [pose]=1 [video]=1 [analysis]=1 [auth]=1 [store]=1 [net]=1 [blob]=2 [queue]=2
                  [analytics]=2 [pipeline]=2 [app]=3 [http]=3 [api]=4 [cli]=5)
bad=0
while IFS= read -r line; do
  file=${line%%:*}
  rest=${line#*:}; lineno=${rest%%:*}
  inc=$(sed -E 's/^[^"]*"([^"]+)".*/\1/' <<<"${rest#*:}")
  mod=$(cut -d/ -f2 <<<"$file")
  [ -n "${layer[$mod]+x}" ] || { echo "$file: module '$mod' has no layer (scripts/check-source.sh)"; bad=1; continue; }
  case "$inc" in
    */*) ;;
    *.c) continue ;;
    *) echo "$file:$lineno: #include \"$inc\": use a rooted include \"module/$inc\""; bad=1; continue ;;
  esac
  dep=${inc%%/*}
  [ "$dep" = "$mod" ] && continue
  if [ -z "${layer[$dep]+x}" ]; then
    echo "$file:$lineno: #include \"$inc\": '$dep' is not a module of src/"; bad=1
  elif [ "${layer[$dep]}" -ge "${layer[$mod]}" ]; then
    echo "$file:$lineno: #include \"$inc\": $mod (layer ${layer[$mod]}) may not include $dep (layer ${layer[$dep]})"; bad=1
  elif [[ "$inc" == *_int.h ]]; then
    echo "$file:$lineno: #include \"$inc\": another module's internal header"; bad=1
  fi
done < <(cd "$root/.." && grep -rnE '^\s*#\s*include\s+"' "$(basename "$root")" --include='*.c' --include='*.h')
if [ "$bad" -ne 0 ]; then
  echo "check-layers: layering broken (see the layer table above)" >&2
  exit 1
fi
# ---- --------------------------------------------------------------------------------
echo "check-layers: ok"
