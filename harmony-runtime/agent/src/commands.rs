//! The agent's side of device commands ([`harmony_fleet_wire::command`]): while connected, it
//! answers requests on its own subject `harmony.cmd.<device>`: ping (version, uptime), the last
//! lines of a workload's output, restart a workload.
//!
//! A logs reply holds only what the workload wrote: the tail of its output file for a process
//! (the supervisor appends its standard output and error there), `podman logs` for a container.
//! Nothing of the workload's spec (its environment, secret values) is ever put in a reply. At
//! most [`MAX_CONCURRENT`] commands run at once; more are answered "unavailable".

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use harmony_fleet_wire::command::{
    CommandFailure, CommandReply, CommandRequest, MAX_LOG_LINES, MAX_REPLY_BYTES,
    MAX_REQUEST_BYTES, command_subject, cut_log_line,
};
use tokio::sync::Semaphore;

use crate::supervisor::{Output, WorkloadHandle, WorkloadRegistry};

/// Most commands answered at once.
pub const MAX_CONCURRENT: usize = 4;
/// Most bytes read from the end of a process workload's output file.
const TAIL_BYTES: u64 = 4 * MAX_REPLY_BYTES as u64;

/// What the responder knows about its agent.
#[derive(Debug, Clone)]
pub struct Responder {
    /// This device.
    pub device: String,
    /// When the agent started.
    pub started: Instant,
    /// The running workloads.
    pub workloads: WorkloadRegistry,
}

impl Responder {
    /// Answers commands on this device's subject until the connection ends (or the task is
    /// aborted). A subscription the server refuses is reported on stderr, and the agent goes on
    /// without commands.
    pub async fn serve(self, client: async_nats::Client) {
        let subject = command_subject(&self.device);
        let mut requests = match client.subscribe(subject.clone()).await {
            Ok(subscriber) => subscriber,
            Err(e) => {
                eprintln!(
                    "harmony-agent[{}]: cannot answer device commands on {subject}: {e}",
                    self.device
                );
                return;
            }
        };
        let this = Arc::new(self);
        let slots = Arc::new(Semaphore::new(MAX_CONCURRENT));
        while let Some(message) = requests.next().await {
            let Some(reply_to) = message.reply else {
                continue;
            };
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                let busy = failed(
                    CommandFailure::Unavailable,
                    format!("{MAX_CONCURRENT} commands are already running; try again"),
                );
                let _ = client.publish(reply_to, busy.encode().into()).await;
                continue;
            };
            let this = this.clone();
            let client = client.clone();
            tokio::spawn(async move {
                let reply = this.answer(&message.payload).await;
                let _ = client.publish(reply_to, reply.encode().into()).await;
                drop(slot);
            });
        }
    }

    /// The reply to one request's bytes.
    pub async fn answer(&self, payload: &[u8]) -> CommandReply {
        if payload.len() > MAX_REQUEST_BYTES {
            return failed(
                CommandFailure::BadRequest,
                format!("requests are at most {MAX_REQUEST_BYTES} bytes"),
            );
        }
        let request: CommandRequest = match serde_json::from_slice(payload) {
            Ok(request) => request,
            Err(e) => {
                return failed(
                    CommandFailure::BadRequest,
                    format!("not a device command: {e}"),
                );
            }
        };
        match request {
            CommandRequest::Ping => CommandReply::Pong {
                device: self.device.clone(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                uptime_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            },
            CommandRequest::Logs { workload, lines } => match self.find(&workload) {
                Err(reply) => reply,
                Ok(handle) => logs(&handle, lines.min(MAX_LOG_LINES)).await,
            },
            CommandRequest::Restart { workload } => match self.find(&workload) {
                Err(reply) => reply,
                Ok(handle) => {
                    let previous_pid = handle.status.lock().ok().and_then(|s| s.pid);
                    handle.restart.notify_one();
                    CommandReply::Restarted {
                        workload,
                        previous_pid,
                    }
                }
            },
        }
    }

    /// The running workload named `name`, or the reply saying which ones run.
    fn find(&self, name: &str) -> Result<WorkloadHandle, CommandReply> {
        let handles = self.workloads.lock().map(|h| h.clone()).unwrap_or_default();
        let matching: Vec<&WorkloadHandle> = handles.iter().filter(|h| h.name == name).collect();
        match matching.as_slice() {
            [one] => Ok((*one).clone()),
            [] => {
                let mut names: Vec<&str> = handles.iter().map(|h| h.name.as_str()).collect();
                names.sort();
                names.dedup();
                Err(failed(
                    CommandFailure::UnknownWorkload,
                    if names.is_empty() {
                        format!("no workload `{name}`: none runs on this device")
                    } else {
                        format!("no workload `{name}`; running: {}", names.join(", "))
                    },
                ))
            }
            several => Err(failed(
                CommandFailure::BadRequest,
                format!(
                    "{} workloads are named `{name}` (keys {}); this is ambiguous",
                    several.len(),
                    several
                        .iter()
                        .map(|h| h.key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
}

fn failed(failure: CommandFailure, message: String) -> CommandReply {
    CommandReply::Failed { failure, message }
}

/// The last `lines` lines of `handle`'s output.
async fn logs(handle: &WorkloadHandle, lines: usize) -> CommandReply {
    let read = match &handle.output {
        Output::File(path) => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || tail(&path, lines))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| format!("cannot read its output: {e}")))
        }
        Output::Container {
            program,
            state,
            logical,
        } => {
            let mut config = harmony_podman::Config::new(state, "agent");
            config.program = program.clone();
            match harmony_podman::Podman::new(config) {
                Ok(podman) => podman
                    .logs(logical, lines)
                    .await
                    .map(|all| all.iter().map(|l| cut_log_line(l)).collect())
                    .map_err(|e| e.message),
                Err(e) => Err(e.message),
            }
        }
    };
    match read {
        Ok(lines) => CommandReply::Logs {
            workload: handle.name.clone(),
            lines,
            truncated: false,
        },
        Err(message) => failed(CommandFailure::Unavailable, message),
    }
}

/// The last `lines` lines of the file at `path`, reading at most [`TAIL_BYTES`] from its end;
/// invalid UTF-8 is replaced, each line cut at the wire limit. A missing file has no lines.
pub fn tail(path: &Path, lines: usize) -> std::io::Result<Vec<String>> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let size = file.metadata()?.len();
    let start = size.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity((size - start) as usize);
    file.take(TAIL_BYTES).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut all: Vec<&str> = text.lines().collect();
    // Reading from the middle of the file: the first line is only the end of one.
    if start > 0 && !all.is_empty() {
        all.remove(0);
    }
    let skip = all.len().saturating_sub(lines);
    Ok(all[skip..].iter().map(|l| cut_log_line(l)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn tail_reads_the_last_lines_and_bounds_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.log");
        assert!(tail(&path, 10).unwrap().is_empty());
        let mut file = std::fs::File::create(&path).unwrap();
        for i in 0..100_000 {
            writeln!(file, "line {i}").unwrap();
        }
        writeln!(file, "{}", "y".repeat(5000)).unwrap();
        drop(file);
        let last = tail(&path, 3).unwrap();
        assert_eq!(last[..2], ["line 99998", "line 99999"]);
        assert!(last[2].len() <= harmony_fleet_wire::command::MAX_LOG_LINE_BYTES);
        let many = tail(&path, 1_000_000).unwrap();
        assert!(many.len() < 100_000, "read at most TAIL_BYTES");
        assert!(many[0].starts_with("line "), "{}", many[0]);
    }

    #[tokio::test]
    async fn bad_requests_and_unknown_workloads_are_typed_failures() {
        let responder = Responder {
            device: "north".into(),
            started: Instant::now(),
            workloads: WorkloadRegistry::default(),
        };
        let unknown = responder
            .answer(br#"{"command":"logs","workload":"web","lines":5}"#)
            .await;
        assert!(
            matches!(
                unknown,
                CommandReply::Failed {
                    failure: CommandFailure::UnknownWorkload,
                    ..
                }
            ),
            "{unknown:?}"
        );
        for bad in [
            &b"garbage"[..],
            br#"{"command":"shell","line":"rm -rf /"}"#,
            &vec![b' '; MAX_REQUEST_BYTES + 1],
        ] {
            let reply = responder.answer(bad).await;
            assert!(
                matches!(
                    reply,
                    CommandReply::Failed {
                        failure: CommandFailure::BadRequest,
                        ..
                    }
                ),
                "{reply:?}"
            );
        }
        match responder.answer(br#"{"command":"ping"}"#).await {
            CommandReply::Pong {
                device, version, ..
            } => {
                assert_eq!(device, "north");
                assert_eq!(version, env!("CARGO_PKG_VERSION"));
            }
            other => panic!("{other:?}"),
        }
    }
}
