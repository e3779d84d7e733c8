#!/usr/bin/env bash
# Smoke test of a frozen build: CLI help, index the demo knowledge base, search it, one screenshot offscreen.
set -euo pipefail
bin="$1"
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
"$bin" --help | grep -q "kb"
"$bin" --home "$home" kb index "$(dirname "$0")/../kb/demo" >/dev/null
"$bin" --home "$home" kb search "慶弔休暇" --json | grep -q '"path"'
tiny="$(dirname "$0")/../local_models/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ -f "$tiny" ]; then  # llama.cpp inside the bundle loads and generates
  "$bin" --home "$home" ask "慶弔休暇は何日？" --model "$tiny" --json | grep -q '"grounded": true'
fi
# a throwaway home on a machine without a keyring: the logbook key comes from a passphrase
SOUMU_DESK_PASSPHRASE="smoke-test-only" QT_QPA_PLATFORM=offscreen "$bin" --home "$home" screenshots "$home/shots" --model none >/dev/null
ls "$home/shots"/*.png >/dev/null
echo "frozen build OK: $bin"
