#!/usr/bin/env bash
# Runs every test of the workspace: formatting, lints, unit/integration/ui/doc tests.
# Installs what the tests need when it is missing. Usage: ./test.sh
set -euo pipefail
cd "$(dirname "$0")"

echo "== rustfmt"
cargo fmt --all -- --check

echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests"
cargo test --workspace --locked

echo "all checks passed"
