#!/usr/bin/env bash
# Smoke test of a frozen build: CLI help, index the demo knowledge base, search it, one screenshot offscreen.
set -euo pipefail
bin="$1"
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
"$bin" --help | grep -q "kb"
"$bin" --home "$home" kb index "$(dirname "$0")/../kb/demo" >/dev/null
"$bin" --home "$home" kb search "慶弔休暇" --json | grep -q '"path"'
QT_QPA_PLATFORM=offscreen "$bin" --home "$home" screenshots "$home/shots" >/dev/null
ls "$home/shots"/*.png >/dev/null
echo "frozen build OK: $bin"
