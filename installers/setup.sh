#!/usr/bin/env bash
# Set up Soumu Desk from a fresh clone, then run the app or the tests.
#   installers/setup.sh run    — .venv + everything, demo models, demo knowledge base indexed, app started
#   installers/setup.sh test   — .venv + test extras (with llama-cpp-python's server extra: the tests start a
#                                 real model server on 127.0.0.1) + tiny test model, then the whole test suite
#   installers/setup.sh deps   — only the set-up (used by `make venv`)
set -euo pipefail
mode="${1:-run}"
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
PY="${PYTHON:-python3}"

APT_PACKAGES="fonts-noto-cjk xvfb xauth imagemagick libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 \
libxkbcommon-x11-0 libx11-xcb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 cmake build-essential"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_linux_packages() {
  [ "$(uname -s)" = "Linux" ] || return 0
  command -v dpkg >/dev/null 2>&1 || { say "not a Debian/Ubuntu system: install Qt's xcb libraries and a CJK font yourself"; return 0; }
  local missing=""
  for p in $APT_PACKAGES; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  [ -n "$missing" ] || return 0
  if [ "$(id -u)" = "0" ]; then
    say "installing Linux packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    say "some Linux packages are missing; run this once, then again this command:"
    echo "  sudo apt-get install -y$missing" >&2
    [ "$mode" = "test" ] && return 0   # offscreen tests need none of the xcb ones
    exit 1
  fi
}

ensure_postgresql() {
  # The team-logbook tests start a throwaway PostgreSQL cluster (tests/desktop/pg_cluster.py): they need the
  # server binaries (initdb), not a running service. Without them the tests skip and say why.
  command -v initdb >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && return 0
  if [ "$(uname -s)" = "Linux" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    say "installing PostgreSQL server binaries (Debian's postgresql) for the team-logbook tests"
    # no 'main' cluster: nothing should be left listening on 5432 after the tests
    mkdir -p /etc/postgresql-common
    [ -e /etc/postgresql-common/createcluster.conf ] || echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold \
        postgresql >/dev/null; } || say "could not install postgresql: the team-logbook tests will skip"
  else
    say "PostgreSQL (initdb) not found and apt-get is not usable here: the team-logbook tests will skip"
  fi
}

make_venv() {
  "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || { say "Python 3.11 or newer is needed (found $("$PY" --version 2>&1))"; exit 1; }
  if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    "$PY" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  local extras=""
  [ "$mode" = "test" ] && extras="[test,server]"
  say "installing soumu-desk$extras (llama-cpp-python compiles on first install: ~5 min on 2 cores; pip keeps the wheel)"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
}

fetch_models() {
  local which="$1"
  say "fetching demo model(s): $which"
  .venv/bin/python installers/fetch_models.py $which \
    || say "model download failed: the app still runs (search and logbook) without a model"
}

install_linux_packages
make_venv

case "$mode" in
  deps)
    fetch_models "--tiny --default --embedder"
    ;;
  run)
    fetch_models "--tiny --default --embedder"
    say "indexing the demo knowledge base"
    .venv/bin/soumu-desk kb index "$ROOT/kb/demo" >/dev/null
    say "starting Soumu Desk"
    exec .venv/bin/soumu-desk
    ;;
  test)
    fetch_models "--tiny --embedder"
    ensure_postgresql
    export QT_QPA_PLATFORM=offscreen
    say "ruff, mypy"
    .venv/bin/ruff check .
    .venv/bin/mypy
    say "pytest"
    rc=0
    .venv/bin/python -m pytest -p no:cacheprovider "${@:2}" || rc=$?
    if [ "${CI:-}" = "true" ] && [ -d .git ] && [ -n "$(git status --porcelain --untracked-files=all)" ]; then
      say "the tests left files in the work tree (they must write only to temp folders and the data home):"
      git status --porcelain --untracked-files=all >&2
      [ "$rc" = "0" ] && rc=1
    fi
    exit "$rc"
    ;;
  *)
    echo "usage: $0 run|test|deps" >&2; exit 2 ;;
esac
