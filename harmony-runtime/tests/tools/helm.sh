#!/bin/sh
# Prints the path of a `helm`-compatible command for Harmony's chart tests, installing what it
# needs when missing.
#
# Order: $HELM_BIN when set (a real `helm` 3.16+ or 4); otherwise helm-sdk.py (beside this script), which runs
# Helm 4's template engine from the PyPI package `helm-python-sdk`, installed in a venv under
# ~/.cache/harmony-dsl. Idempotent: a second run only checks that the package imports.
set -eu

if [ -n "${HELM_BIN:-}" ]; then
    if [ -x "$HELM_BIN" ]; then
        echo "$HELM_BIN"
        exit 0
    fi
    echo "HELM_BIN=$HELM_BIN is not an executable file" >&2
    exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
command="$here/helm-sdk.py"
venv="${HOME}/.cache/harmony-dsl/helm-venv"

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import helm_python' 2>/dev/null; then
    echo "$command"
    exit 0
fi

mkdir -p "$(dirname "$venv")"
if [ ! -x "$venv/bin/pip" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check helm-python-sdk >&2
if ! "$venv/bin/python" -c 'import helm_python' >&2; then
    echo "installed helm-python-sdk but it does not import" >&2
    exit 1
fi
echo "$command"
