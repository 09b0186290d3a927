#!/usr/bin/env bash
# Runs every test of the workspace: formatting, lints, unit/integration/ui/doc tests.
# Installs what the tests need when it is missing. Usage: ./test.sh
set -euo pipefail
cd "$(dirname "$0")"

# rust-toolchain.toml pins 1.95.0, the compiler the ui-tests' .stderr files were blessed with;
# rustup does not install it by itself. Where rustup has that release only as `stable`, give it the
# pinned name too (rustup refuses `toolchain link` for release-like names, hence the symlink).
if command -v rustup >/dev/null && ! rustup toolchain list | grep -q '^1\.95\.0-'; then
  host=$(rustc +stable -vV 2>/dev/null | sed -n 's/^host: //p')
  if [ -n "$host" ] && rustc +stable --version | grep -q '^rustc 1\.95\.0 '; then
    ln -s -T "stable-$host" "${RUSTUP_HOME:-$HOME/.rustup}/toolchains/1.95.0-$host"
  fi
fi

# The editor test (ui-tests/tests/editor.rs) drives the toolchain's rust-analyzer; it skips, with a
# message, where the component cannot be installed.
if command -v rustup >/dev/null && ! rustup which rust-analyzer >/dev/null 2>&1; then
  rustup component add rust-analyzer || echo "rust-analyzer not installed: the editor test skips"
fi

echo "== rustfmt"
cargo fmt --all -- --check

echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests (unit, integration, ui, doc tests of every crate and of the book)"
cargo test --workspace --locked

echo "== package (each published crate builds from its .crate file alone; nothing is uploaded)"
# The verification builds take our crates from a local registry, as version 0.1.0 every time, and
# cargo never refreshes a registry crate of a version it has seen: it keeps the sources it unpacked
# under $CARGO_HOME/registry/src and the builds in the target directory. Without removing both, a
# second run verifies each crate against an earlier run's copy of the others.
published=(harmony-values harmony-derive harmony-dsl harmony-runtime harmony-fleet-wire harmony-agent harmony-podman)
for crate in "${published[@]}"; do
  rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$crate"-0.1.0
done
cargo clean --quiet "${published[@]/#/-p}"
cargo package --workspace --locked \
  --exclude ui-tests --exclude harmony-examples --exclude harmony-example-ca --exclude harmony-fleet-tests

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
