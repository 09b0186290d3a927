//! Device commands: the operator asks one device's agent something and waits for its answer
//! (NATS request/reply on [`command_subject`]).
//!
//! - [`CommandRequest::Ping`]: the agent answers with its version and uptime.
//! - [`CommandRequest::Logs`]: the last lines a workload wrote (at most [`MAX_LOG_LINES`] lines of
//!   at most [`MAX_LOG_LINE_BYTES`] bytes each, the whole reply at most [`MAX_REPLY_BYTES`]).
//! - [`CommandRequest::Restart`]: the agent restarts one workload now.
//!
//! The subject is per device, so the server's permissions decide who may ask (only the
//! operator) and who may answer (only that device, and only to requests it received). A reply
//! carries only what the agent knows about itself and what a workload printed: never the
//! workload's environment, so a secret value appears in a logs reply only if the workload itself
//! printed it.

use serde::{Deserialize, Serialize};

use crate::key_token;

/// Most lines a logs reply carries.
pub const MAX_LOG_LINES: usize = 1000;
/// Longest line in a logs reply, in bytes (longer ones are cut, marked with `…`).
pub const MAX_LOG_LINE_BYTES: usize = 1024;
/// Largest reply the operator accepts, in bytes; the agent drops the oldest log lines to fit.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;
/// Largest request the agent reads, in bytes.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024;

/// The subject `device`'s agent answers commands on: `harmony.cmd.<device token>`.
pub fn command_subject(device: &str) -> String {
    format!("harmony.cmd.{}", key_token(device))
}

/// What the operator asks a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum CommandRequest {
    /// Is the agent there: its version and uptime.
    Ping,
    /// The last `lines` lines workload `workload` wrote (at most [`MAX_LOG_LINES`]).
    Logs {
        /// The workload's name on the device.
        workload: String,
        /// How many lines, newest last.
        lines: usize,
    },
    /// Restart workload `workload` now (a new process or container).
    Restart {
        /// The workload's name on the device.
        workload: String,
    },
}

/// Why an agent could not do what it was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandFailure {
    /// No workload of that name runs on the device.
    UnknownWorkload,
    /// The request was not one the agent understands (or too large).
    BadRequest,
    /// The agent could not do it now (its logs unreadable, podman failing, too many commands).
    Unavailable,
}

/// What an agent answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum CommandReply {
    /// The answer to [`CommandRequest::Ping`].
    Pong {
        /// The device that answered.
        device: String,
        /// The agent's version.
        version: String,
        /// Milliseconds since the agent started.
        uptime_ms: u64,
    },
    /// The answer to [`CommandRequest::Logs`].
    Logs {
        /// The workload.
        workload: String,
        /// Its last lines, oldest first.
        lines: Vec<String>,
        /// Whether older lines were left out to keep the reply within [`MAX_REPLY_BYTES`].
        truncated: bool,
    },
    /// The answer to [`CommandRequest::Restart`].
    Restarted {
        /// The workload.
        workload: String,
        /// The pid it had before the restart, if it was running.
        previous_pid: Option<u32>,
    },
    /// The command failed on the device.
    Failed {
        /// Why, as a kind.
        failure: CommandFailure,
        /// Why, in words (for [`CommandFailure::UnknownWorkload`]: the workloads it has).
        message: String,
    },
}

impl CommandReply {
    /// The reply's bytes, at most [`MAX_REPLY_BYTES`]: a logs reply too large loses its oldest
    /// lines (and says so in `truncated`).
    pub fn encode(mut self) -> Vec<u8> {
        loop {
            let bytes = serde_json::to_vec(&self).unwrap_or_default();
            if bytes.len() <= MAX_REPLY_BYTES {
                return bytes;
            }
            match &mut self {
                CommandReply::Logs {
                    lines, truncated, ..
                } if !lines.is_empty() => {
                    // Drop about as many lines as the excess needs, at least one.
                    let average = bytes.len() / lines.len().max(1) + 1;
                    let excess = (bytes.len() - MAX_REPLY_BYTES) / average + 1;
                    lines.drain(..excess.min(lines.len()));
                    *truncated = true;
                }
                _ => {
                    return serde_json::to_vec(&CommandReply::Failed {
                        failure: CommandFailure::Unavailable,
                        message: "the reply was too large to send".to_string(),
                    })
                    .unwrap_or_default();
                }
            }
        }
    }

    /// Reads a reply, refusing one over [`MAX_REPLY_BYTES`] or not in this format.
    pub fn decode(bytes: &[u8]) -> Result<CommandReply, String> {
        if bytes.len() > MAX_REPLY_BYTES {
            return Err(format!(
                "the reply is {} bytes, more than the {MAX_REPLY_BYTES} a device may send",
                bytes.len()
            ));
        }
        serde_json::from_slice(bytes).map_err(|e| format!("the reply is not a command reply: {e}"))
    }
}

/// `line` cut to at most [`MAX_LOG_LINE_BYTES`] bytes on a character boundary, `…` marking a cut.
pub fn cut_log_line(line: &str) -> String {
    if line.len() <= MAX_LOG_LINE_BYTES {
        return line.to_string();
    }
    let mut end = MAX_LOG_LINE_BYTES - '…'.len_utf8();
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_round_trip() {
        for request in [
            CommandRequest::Ping,
            CommandRequest::Logs {
                workload: "web".into(),
                lines: 20,
            },
            CommandRequest::Restart {
                workload: "web".into(),
            },
        ] {
            let bytes = serde_json::to_vec(&request).unwrap();
            assert_eq!(
                serde_json::from_slice::<CommandRequest>(&bytes).unwrap(),
                request
            );
        }
        let reply = CommandReply::Pong {
            device: "north".into(),
            version: "0.1.0".into(),
            uptime_ms: 5,
        };
        assert_eq!(CommandReply::decode(&reply.clone().encode()), Ok(reply));
        assert_eq!(command_subject("no.rth"), "harmony.cmd.no=2Erth");
    }

    #[test]
    fn a_large_logs_reply_keeps_its_newest_lines_within_the_limit() {
        let lines: Vec<String> = (0..MAX_LOG_LINES)
            .map(|i| cut_log_line(&format!("{i:05} {}", "x".repeat(2000))))
            .collect();
        assert!(lines.iter().all(|l| l.len() <= MAX_LOG_LINE_BYTES));
        let bytes = CommandReply::Logs {
            workload: "w".into(),
            lines,
            truncated: false,
        }
        .encode();
        assert!(bytes.len() <= MAX_REPLY_BYTES);
        match CommandReply::decode(&bytes).unwrap() {
            CommandReply::Logs {
                lines, truncated, ..
            } => {
                assert!(truncated);
                assert!(lines.last().unwrap().starts_with("00999 "));
                assert!(lines.len() > 10);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn garbage_and_oversized_replies_are_errors() {
        assert!(CommandReply::decode(b"\xff\x00garbage").is_err());
        assert!(CommandReply::decode(b"{\"reply\":\"launch\"}").is_err());
        let huge = vec![b' '; MAX_REPLY_BYTES + 1];
        assert!(
            CommandReply::decode(&huge)
                .unwrap_err()
                .contains("more than")
        );
        assert_eq!(cut_log_line("é".repeat(600).as_str()).len(), 1023);
    }
}
