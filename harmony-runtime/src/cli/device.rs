//! `device ping|logs|restart`: device commands ([`DeviceCommands`]) from the command line.
//!
//! The fleet's NATS server is `--nats URL` or `HARMONY_NATS_URL`; credentials and TLS come from
//! the operator's `HARMONY_NATS_*` environment, as for `apply`. Neither the URL's password nor
//! any credential is printed, at any verbosity; what a device sends back is printed with
//! terminal control characters escaped.

use std::time::Duration;

use clap::Subcommand;

use super::{ExitStatus, Output};
use crate::providers::nats::commands::{CommandError, DeviceCommands};
use crate::providers::nats::connect::ConnectConfig;
use crate::redact::escape_control;

/// What to ask a device.
#[derive(Debug, Subcommand)]
pub(super) enum DeviceAction {
    /// Whether the device's agent answers: its version, uptime and the round trip.
    Ping {
        /// The device (its host name in the topology).
        device: String,
    },
    /// The last lines a workload on the device wrote.
    Logs {
        /// The device.
        device: String,
        /// The workload's name.
        workload: String,
        /// How many lines (at most 1000).
        #[arg(long, default_value_t = 50,
              value_parser = clap::value_parser!(u16).range(1..=1000))]
        lines: u16,
    },
    /// Restart a workload on the device now.
    Restart {
        /// The device.
        device: String,
        /// The workload's name.
        workload: String,
    },
}

/// Runs one device command; exit 0 on an answer, 1 when the device is offline, does not answer
/// or fails, 2 without a NATS URL.
pub(super) fn run(
    out: &Output,
    url: Option<String>,
    timeout: Duration,
    action: DeviceAction,
) -> ExitStatus {
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        return out.fail(
            ExitStatus::Usage,
            "device commands need the fleet's NATS server: give --nats URL or set HARMONY_NATS_URL"
                .to_string(),
        );
    };
    if let Err(e) = url.parse::<harmony_dsl::value::NatsUrl>() {
        return out.fail(ExitStatus::Usage, format!("--nats: {e}"));
    }
    let runtime = match out.runtime() {
        Ok(rt) => rt,
        Err(status) => return status,
    };
    runtime.block_on(async {
        let mut config = ConnectConfig::from_env();
        config.name = Some("harmony device".to_string());
        let commands = match DeviceCommands::connect(&url, &config).await {
            Ok(commands) => commands.with_timeout(timeout),
            Err(e) => return out.fail(ExitStatus::StepFailed, e.to_string()),
        };
        match action {
            DeviceAction::Ping { device } => match commands.ping(&device).await {
                Ok(pong) => {
                    if out.json {
                        out.print_json(&pong);
                    } else {
                        println!(
                            "device {}: agent {} up {}s, answered in {} ms",
                            escape_control(&pong.device),
                            escape_control(&pong.version),
                            pong.uptime_ms / 1000,
                            pong.round_trip_ms
                        );
                    }
                    ExitStatus::Ok
                }
                Err(e) => failed(out, e),
            },
            DeviceAction::Logs {
                device,
                workload,
                lines,
            } => match commands.logs(&device, &workload, usize::from(lines)).await {
                Ok(logs) => {
                    if out.json {
                        out.print_json(&logs);
                    } else {
                        if logs.truncated {
                            eprintln!("note: older lines left out to keep the reply small");
                        }
                        for line in &logs.lines {
                            println!("{}", escape_control(line));
                        }
                    }
                    ExitStatus::Ok
                }
                Err(e) => failed(out, e),
            },
            DeviceAction::Restart { device, workload } => {
                match commands.restart(&device, &workload).await {
                    Ok(previous) => {
                        if out.json {
                            out.print_json(&serde_json::json!({
                                "device": device,
                                "workload": workload,
                                "previous_pid": previous,
                            }));
                        } else {
                            match previous {
                                Some(pid) => println!(
                                    "device {}: restarting {} (was pid {pid})",
                                    escape_control(&device),
                                    escape_control(&workload)
                                ),
                                None => println!(
                                    "device {}: restarting {} (it was not running)",
                                    escape_control(&device),
                                    escape_control(&workload)
                                ),
                            }
                        }
                        ExitStatus::Ok
                    }
                    Err(e) => failed(out, e),
                }
            }
        }
    })
}

fn failed(out: &Output, error: CommandError) -> ExitStatus {
    out.fail(ExitStatus::StepFailed, error.to_string())
}
