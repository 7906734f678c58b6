#!/usr/bin/env bash
# setup.sh - install what RepRight needs on Debian 12, idempotently, and fetch the pose models.
#
# Debian packages come from apt; the BlazePose models from the npm package @mediapipe/pose at a
# pinned version, verified by sha256 (tarball and each model file). Running it twice does nothing
# the second time. Usage: scripts/setup.sh [--test]   (--test adds the test-only tools)
set -euo pipefail

MP_VERSION=0.5.1675469404
MP_TGZ_SHA256=8bb349a7b3a3ba699df23be804ddd3b3eab810b50b15406894be257859388a84
MODEL_DIR=${REPRIGHT_MODEL_DIR:-${HOME:-/root}/.cache/repright/models}

BUILD_PKGS=(build-essential cmake pkg-config git ca-certificates
  libxnnpack-dev libpthreadpool-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libjansson-dev libsodium-dev libcmocka-dev libfreetype-dev fonts-dejavu-core
  libmicrohttpd-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev libicu-dev libseccomp-dev
  libhiredis-dev
  opencv-doc emscripten)
TEST_PKGS=(clang libclang-rt-14-dev cppcheck gcovr python3 python3-numpy python3-pytest python3-requests
  ffmpeg wrk chromium postgresql nginx curl python3-yaml redis-server)

want=("${BUILD_PKGS[@]}")
if [ "${1:-}" = "--test" ]; then
  want+=("${TEST_PKGS[@]}")
fi

# npm fetches the models; a machine may already have Node.js from elsewhere (Debian's npm
# package would then conflict), so only ask apt for it when there is no npm at all.
if ! command -v npm >/dev/null 2>&1; then
  want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# name:sha256 of every model file we use (../shared/docs/blazepose.md).
MODELS=(
  "pose_detection.tflite:a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85"
  "pose_landmark_lite.tflite:f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"
  "pose_landmark_full.tflite:e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"
  "pose_landmark_heavy.tflite:59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"
)

models_ok() {
  for m in "${MODELS[@]}"; do
    local f=${m%%:*} h=${m#*:}
    [ -f "$MODEL_DIR/$f" ] || return 1
    [ "$(sha256sum "$MODEL_DIR/$f" | cut -d' ' -f1)" = "$h" ] || return 1
  done
}

if ! models_ok; then
  echo "setup: fetching @mediapipe/pose@$MP_VERSION into $MODEL_DIR"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "@mediapipe/pose@$MP_VERSION" >/dev/null)
  tgz="$tmp/mediapipe-pose-$MP_VERSION.tgz"
  got=$(sha256sum "$tgz" | cut -d' ' -f1)
  if [ "$got" != "$MP_TGZ_SHA256" ]; then
    echo "setup: sha256 mismatch for $tgz: $got" >&2
    exit 1
  fi
  tar -xzf "$tgz" -C "$tmp"
  mkdir -p "$MODEL_DIR"
  cp "$tmp/package/pose_solution_packed_assets.data" "$tmp/pose_detection.tflite"
  for m in "${MODELS[@]}"; do
    f=${m%%:*}
    src="$tmp/package/$f"
    [ "$f" = pose_detection.tflite ] && src="$tmp/pose_detection.tflite"
    install -m 0644 "$src" "$MODEL_DIR/$f.part"
    mv "$MODEL_DIR/$f.part" "$MODEL_DIR/$f"
  done
  models_ok || { echo "setup: model sha256 mismatch after extraction" >&2; exit 1; }
fi

# The web app's npm packages (web/package.json): @mediapipe/pose (served to browsers by the live
# page) and playwright-core (browser tests). package-lock.json pins every version with its sha512;
# `npm ci` verifies them. Skipped when node_modules was installed from this exact lock file.
WEB_DIR="$(cd "$(dirname "$0")/.." && pwd)/web"
lock_sum=$(sha256sum "$WEB_DIR/package-lock.json" | cut -d' ' -f1)
stamp="$WEB_DIR/node_modules/.repright-lock.sha256"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "setup: npm ci in $WEB_DIR"
  (cd "$WEB_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >"$stamp"
fi
echo "setup: ok (models in $MODEL_DIR, web packages in $WEB_DIR/node_modules)"
