# Build dist\SoumuDesk\SoumuDesk.exe (run in PowerShell with Python 3.11+ and VS Build Tools + CMake installed).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
py -3.11 -m venv .venv
.venv\Scripts\pip install -q -e ".[package]"
.venv\Scripts\pyinstaller installers\soumu_desk.spec --noconfirm --distpath dist --workpath build\pyinstaller
# smoke test: the frozen CLI answers and indexes the demo knowledge base
$home_dir = Join-Path $env:TEMP "soumu-smoke"
& dist\SoumuDesk\SoumuDesk.exe --home $home_dir kb index kb\demo
if ($LASTEXITCODE -ne 0) { throw "frozen build failed its smoke test" }
Compress-Archive -Path dist\SoumuDesk -DestinationPath dist\SoumuDesk-windows.zip -Force
