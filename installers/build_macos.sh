#!/usr/bin/env bash
# Build dist/SoumuDesk.app and a .dmg (run on macOS with the Xcode command-line tools).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q -e ".[package]"
.venv/bin/pyinstaller installers/soumu_desk.spec --noconfirm --distpath dist --workpath build/pyinstaller
installers/smoke_frozen.sh dist/SoumuDesk.app/Contents/MacOS/SoumuDesk
hdiutil create -volname "Soumu Desk" -srcfolder dist/SoumuDesk.app -ov -format UDZO dist/SoumuDesk.dmg
