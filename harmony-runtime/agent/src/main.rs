//! `harmony-agent`: the device side of Harmony's NATS fleet (see the `harmony_agent` library).

fn main() -> std::process::ExitCode {
    harmony_agent::cli::main()
}
