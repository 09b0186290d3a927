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

/// What the desired bucket's stream holds last for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLast {
    /// A value, at `revision` (its stream sequence), written at server time `stamp`
    /// (nanoseconds since the Unix epoch).
    Value {
        /// Stream sequence of the value.
        revision: u64,
        /// Server timestamp of the value.
        stamp: u64,
    },
    /// A deletion (or purge) marker: the operator removed the key.
    Deleted,
    /// Nothing at all: the stream never held the key, or no longer holds any trace of it.
    Absent,
}

/// What the desired bucket holds last for `key` (a direct get whose subject names the key).
pub async fn desired_key_last(stream: &Stream<()>, key: &str) -> Result<KeyLast, String> {
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
            Ok(match operation.as_deref() {
                Some("DEL") | Some("PURGE") => KeyLast::Deleted,
                _ => KeyLast::Value {
                    revision: message.sequence,
                    stamp: crate::nanos(message.time.unix_timestamp_nanos()),
                },
            })
        }
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(KeyLast::Absent),
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
    /// The writer of status key `key`, through the JetStream of `domain` when one is named (the
    /// hub's, seen from a site's leaf node): the publish then goes to
    /// `$JS.<domain>.API.$KV.harmony-status.<key>`, which that domain maps to its stream, as a
    /// key-value put in another domain does.
    pub fn new(js: jetstream::Context, key: &str, domain: Option<&str>) -> Self {
        let subject = match domain {
            Some(domain) => format!("$JS.{domain}.API.$KV.{STATUS_BUCKET}.{key}"),
            None => format!("$KV.{STATUS_BUCKET}.{key}"),
        };
        StatusWriter { js, subject }
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
