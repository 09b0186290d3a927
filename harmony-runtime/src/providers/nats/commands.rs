//! [`DeviceCommands`]: the operator's side of device commands (ping, logs, restart), with typed
//! errors ([`CommandError`]): a device whose agent is not connected is [`CommandError::Offline`]
//! at once (the server says nobody listens on its subject), one that does not answer in time is
//! [`CommandError::Timeout`], and an answer that is not a command reply, or too large, is
//! [`CommandError::BadReply`], never a panic.

use std::fmt;
use std::time::Duration;

use async_nats::{Request, RequestErrorKind};

use super::connect::{ConnectConfig, connect};
use super::wire::command::{CommandFailure, CommandReply, CommandRequest, command_subject};

/// How long a command waits for its answer unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a device command did not give an answer.
#[derive(Debug)]
pub enum CommandError {
    /// Nobody answers on the device's subject: its agent is not connected (or the server does
    /// not let it subscribe there).
    Offline {
        /// The device.
        device: String,
    },
    /// The device did not answer in time.
    Timeout {
        /// The device.
        device: String,
        /// How long we waited.
        after: Duration,
    },
    /// The answer is not a command reply, or not the reply to what was asked.
    BadReply {
        /// The device.
        device: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No workload of that name runs on the device.
    UnknownWorkload {
        /// The device.
        device: String,
        /// The workload asked for.
        workload: String,
        /// The device's explanation (the workloads it runs).
        message: String,
    },
    /// The device understood but could not do it.
    Failed {
        /// The device.
        device: String,
        /// Why.
        message: String,
    },
    /// Asking failed: the connection to NATS, a refused permission.
    Request {
        /// The device.
        device: String,
        /// What failed.
        message: String,
    },
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Offline { device } => write!(
                f,
                "device `{device}` is offline: no agent listens on {} (an agent the server does \
                 not allow to subscribe there cannot answer either)",
                command_subject(device)
            ),
            CommandError::Timeout { device, after } => write!(
                f,
                "device `{device}` did not answer within {:.1}s",
                after.as_secs_f64()
            ),
            CommandError::BadReply { device, reason } => {
                write!(f, "device `{device}` gave a bad reply: {reason}")
            }
            CommandError::UnknownWorkload {
                device, message, ..
            } => write!(f, "device `{device}`: {message}"),
            CommandError::Failed { device, message } => {
                write!(f, "device `{device}` could not do it: {message}")
            }
            CommandError::Request { device, message } => {
                write!(f, "cannot ask device `{device}`: {message}")
            }
        }
    }
}

impl std::error::Error for CommandError {}

/// What `ping` learnt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pong {
    /// The device that answered.
    pub device: String,
    /// Its agent's version.
    pub version: String,
    /// Its agent's uptime.
    pub uptime_ms: u64,
    /// Round trip of the request, milliseconds.
    pub round_trip_ms: u64,
}

/// A workload's last lines, as `logs` returns them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogLines {
    /// The workload.
    pub workload: String,
    /// Its lines, oldest first.
    pub lines: Vec<String>,
    /// Whether older lines were left out to keep the reply small.
    pub truncated: bool,
}

/// Asks devices' agents things over NATS request/reply (see the module docs).
#[derive(Clone)]
pub struct DeviceCommands {
    client: async_nats::Client,
    timeout: Duration,
}

impl fmt::Debug for DeviceCommands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCommands")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl DeviceCommands {
    /// Commands over an existing connection, waiting [`DEFAULT_TIMEOUT`] for each answer.
    pub fn new(client: async_nats::Client) -> Self {
        DeviceCommands {
            client,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Connects to `url` (credentials and TLS from `config`).
    pub async fn connect(url: &str, config: &ConnectConfig) -> Result<Self, harmony_dsl::Error> {
        Ok(Self::new(connect(url, config).await?))
    }

    /// Waits at most `timeout` for each answer.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether `device`'s agent answers: its version and uptime.
    pub async fn ping(&self, device: &str) -> Result<Pong, CommandError> {
        let started = std::time::Instant::now();
        match self.ask(device, &CommandRequest::Ping).await? {
            CommandReply::Pong {
                device: answered,
                version,
                uptime_ms,
            } if answered == device => Ok(Pong {
                device: answered,
                version,
                uptime_ms,
                round_trip_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            }),
            CommandReply::Pong {
                device: answered, ..
            } => Err(bad(
                device,
                format!("device `{answered}` answered on its subject"),
            )),
            other => Err(unexpected(device, "ping", other)),
        }
    }

    /// The last `lines` lines `workload` wrote on `device`.
    pub async fn logs(
        &self,
        device: &str,
        workload: &str,
        lines: usize,
    ) -> Result<LogLines, CommandError> {
        let request = CommandRequest::Logs {
            workload: workload.to_string(),
            lines,
        };
        match self.ask(device, &request).await? {
            CommandReply::Logs {
                workload: answered,
                lines,
                truncated,
            } if answered == workload => Ok(LogLines {
                workload: answered,
                lines,
                truncated,
            }),
            other => Err(unexpected(device, "logs", other)),
        }
    }

    /// Restarts `workload` on `device`; the pid it had before, if it was running.
    pub async fn restart(&self, device: &str, workload: &str) -> Result<Option<u32>, CommandError> {
        let request = CommandRequest::Restart {
            workload: workload.to_string(),
        };
        match self.ask(device, &request).await? {
            CommandReply::Restarted {
                workload: answered,
                previous_pid,
            } if answered == workload => Ok(previous_pid),
            other => Err(unexpected(device, "restart", other)),
        }
    }

    /// Sends `request` to `device` and reads its reply; a `Failed` reply becomes its error.
    async fn ask(
        &self,
        device: &str,
        request: &CommandRequest,
    ) -> Result<CommandReply, CommandError> {
        let payload = serde_json::to_vec(request).map_err(|e| CommandError::Request {
            device: device.to_string(),
            message: e.to_string(),
        })?;
        let message = self
            .client
            .send_request(
                command_subject(device),
                Request::new()
                    .payload(payload.into())
                    .timeout(Some(self.timeout)),
            )
            .await
            .map_err(|e| match e.kind() {
                RequestErrorKind::NoResponders => CommandError::Offline {
                    device: device.to_string(),
                },
                RequestErrorKind::TimedOut => CommandError::Timeout {
                    device: device.to_string(),
                    after: self.timeout,
                },
                _ => CommandError::Request {
                    device: device.to_string(),
                    message: e.to_string(),
                },
            })?;
        let reply = CommandReply::decode(&message.payload).map_err(|reason| bad(device, reason))?;
        match (reply, request) {
            (
                CommandReply::Failed {
                    failure: CommandFailure::UnknownWorkload,
                    message,
                },
                CommandRequest::Logs { workload, .. } | CommandRequest::Restart { workload },
            ) => Err(CommandError::UnknownWorkload {
                device: device.to_string(),
                workload: workload.clone(),
                message,
            }),
            (CommandReply::Failed { message, .. }, _) => Err(CommandError::Failed {
                device: device.to_string(),
                message,
            }),
            (reply, _) => Ok(reply),
        }
    }
}

fn bad(device: &str, reason: String) -> CommandError {
    CommandError::BadReply {
        device: device.to_string(),
        reason,
    }
}

fn unexpected(device: &str, asked: &str, reply: CommandReply) -> CommandError {
    let kind = match reply {
        CommandReply::Pong { .. } => "pong",
        CommandReply::Logs { .. } => "logs",
        CommandReply::Restarted { .. } => "restarted",
        CommandReply::Failed { .. } => "failed",
    };
    bad(
        device,
        format!("asked `{asked}`, got a `{kind}` reply that does not match"),
    )
}
