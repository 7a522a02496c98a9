#!/usr/bin/env bash
# Regenerate the hashed lock files from pyproject.toml, for Python 3.11 on Linux x86_64 (CI and the image):
#   requirements.lock          dependencies + the test extra + the build backend: CI and the README
#   requirements-runtime.lock  dependencies + the build backend, at the same versions: the Dockerfile
# The minilm extra is in neither (EMBED_MODEL=minilm is opt-in; no test needs it).
# Run it after changing dependencies in pyproject.toml, and commit both files. Pins that still satisfy
# pyproject.toml are kept; `bash scripts/lock.sh --upgrade` moves every pin to the newest release allowed.
# Needs python3.11 and PyPI; uv is installed, at a fixed version, into a throw-away venv.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3.11 -m venv "$tools/venv"
"$tools/venv/bin/pip" install -q "uv==${UV_VERSION}"
uv="$tools/venv/bin/uv"

# The build backend (pyproject's [build-system] requires) is locked too, so that
# `pip install --no-deps --no-build-isolation .` builds the project from hashed files only.
python3.11 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))' \
    > "$tools/build-system.in"
common=(--generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu
        --custom-compile-command "bash scripts/lock.sh" --quiet "$@")
"$uv" pip compile pyproject.toml "$tools/build-system.in" --extra test -o requirements.lock "${common[@]}"
# The runtime lock is constrained by the full one: a subset of it at the very same versions.
"$uv" pip compile pyproject.toml "$tools/build-system.in" --constraint requirements.lock \
    -o requirements-runtime.lock "${common[@]}"
# The throw-away input's path must not end up in the files (it changes every run).
sed -i "s|$tools/build-system.in|pyproject.toml (build-system)|" requirements.lock requirements-runtime.lock
echo "locked: requirements.lock ($(grep -c '^[a-z0-9]' requirements.lock) packages)," \
     "requirements-runtime.lock ($(grep -c '^[a-z0-9]' requirements-runtime.lock) packages)"
