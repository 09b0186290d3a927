#!/usr/bin/env bash
# Runs every test of the workspace: formatting, lints, unit/integration/ui/doc tests.
# Installs what the tests need when it is missing. Usage: ./test.sh
set -euo pipefail
cd "$(dirname "$0")"

echo "== rustfmt"
cargo fmt --all -- --check

echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests (unit, integration, ui, doc tests of every crate and of the book)"
cargo test --workspace --locked

echo "== book"
tools="${HARMONY_TOOLS:-$HOME/.cache/harmony-dsl/tools}"
export PATH="$tools/bin:$PATH"
if ! mdbook --version 2>/dev/null | grep -q "v0.5"; then
  cargo install mdbook --locked --version "^0.5" --root "$tools"
fi
if ! command -v mdbook-linkcheck2 >/dev/null; then
  cargo install mdbook-linkcheck2 --locked --version "^0.13" --root "$tools"
fi
mdbook build book

echo "all checks passed"
