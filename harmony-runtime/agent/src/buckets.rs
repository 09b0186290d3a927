//! The agent's access to the fleet's buckets with the fewest permissions: it never reads a
//! stream's info (`$JS.API.STREAM.INFO.*`), which would let a device list every key of a bucket
//! (the info request takes a `subjects_filter` and answers with every matching subject, that is
//! every device's key names). What it does instead:
//!
//! - the desired-state stream is addressed by name only ([`desired_stream`]), for the watch
//!   consumer and for direct gets of its own keys (`$JS.API.DIRECT.GET.KV_harmony-desired.<key>`,
//!   the key in the subject, so permissions limit it to the device's keys);
//! - the status is written as a JetStream publish to `$KV.harmony-status.<device>`
//!   ([`StatusWriter`]), acknowledged by the server.
//!
//! A bucket that does not exist shows up as the watch failing ("stream not found") or the
//! status write finding no stream; both end the session, and the agent retries with backoff.

use async_nats::jetstream::{self, stream::Stream};
use harmony_fleet_wire::{DESIRED_BUCKET, STATUS_BUCKET};

/// The desired-state bucket's stream, by name (no info request).
pub async fn desired_stream(js: &jetstream::Context) -> Result<Stream<()>, String> {
    js.get_stream_no_info(format!("KV_{DESIRED_BUCKET}"))
        .await
        .map_err(|e| format!("cannot open the desired-state stream: {e}"))
}

/// Whether `key` of the desired bucket holds a value now (neither absent nor deleted).
pub async fn desired_key_exists(stream: &Stream<()>, key: &str) -> Result<bool, String> {
    use async_nats::jetstream::stream::DirectGetErrorKind;
    match stream
        .direct_get_last_for_subject(format!("$KV.{DESIRED_BUCKET}.{key}"))
        .await
    {
        Ok(message) => {
            let operation = message
                .headers
                .get("KV-Operation")
                .map(|v| v.as_str().to_string());
            Ok(!matches!(operation.as_deref(), Some("DEL") | Some("PURGE")))
        }
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("cannot read {key}: {e}")),
    }
}

/// Writes this device's status key.
#[derive(Clone)]
pub struct StatusWriter {
    js: jetstream::Context,
    subject: String,
}

impl StatusWriter {
    /// The writer of status key `key`.
    pub fn new(js: jetstream::Context, key: &str) -> Self {
        StatusWriter {
            js,
            subject: format!("$KV.{STATUS_BUCKET}.{key}"),
        }
    }

    /// Stores `bytes` as the status, waiting for the server's acknowledgement.
    pub async fn put(&self, bytes: Vec<u8>) -> Result<(), String> {
        let ack = self
            .js
            .publish(self.subject.clone(), bytes.into())
            .await
            .map_err(|e| e.to_string())?;
        ack.await.map(|_| ()).map_err(|e| e.to_string())
    }
}
