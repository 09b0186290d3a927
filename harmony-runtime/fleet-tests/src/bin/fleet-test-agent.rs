//! `harmony-agent` for the fleet tests: the same `main`, built in this package so that the tests
//! can name it with `CARGO_BIN_EXE_fleet-test-agent`.

fn main() -> std::process::ExitCode {
    harmony_agent::cli::main()
}
