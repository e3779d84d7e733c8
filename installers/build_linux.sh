#!/usr/bin/env bash
# Build a one-folder Linux bundle (dist/SoumuDesk) and a tarball, then smoke-test the frozen binary.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pip install -q -e ".[package]"
.venv/bin/pyinstaller installers/soumu_desk.spec --noconfirm --distpath dist --workpath build/pyinstaller
installers/smoke_frozen.sh dist/SoumuDesk/SoumuDesk
tar -C dist -czf "dist/SoumuDesk-linux-$(uname -m).tar.gz" SoumuDesk
echo "dist/SoumuDesk-linux-$(uname -m).tar.gz"
