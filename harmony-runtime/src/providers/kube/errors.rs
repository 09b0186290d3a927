//! `kube::Error` → Harmony's [`Error`]: what is worth retrying and what is a conflict.

use std::time::Duration;

use harmony_dsl::{Error, ErrorKind};

/// Classifies a client error for `what` (e.g. "apply Deployment shop/web").
///
/// - 409 from server-side apply: [`ErrorKind::Conflict`], naming the other field managers and
///   fields (the server's message), and how to take them over.
/// - 429, 5xx, 504, and failures to connect or read: [`ErrorKind::Transient`] (retried by the
///   runtime with backoff).
/// - Everything else (400, 403, 404, 422, a bad kubeconfig): [`ErrorKind::Permanent`].
///
/// A 429 or 503 that says when to come back keeps that wait ([`Error::with_retry_after`]): the
/// API server sends it both as the `Retry-After` header and as the Status's
/// `details.retryAfterSeconds`, and the latter is what the `kube` client hands over.
pub fn from_kube(error: kube::Error, what: &str, conflict_hint: Option<&str>) -> Error {
    match error {
        kube::Error::Api(status) => {
            let code = status.code;
            let reason = if status.reason.is_empty() {
                String::new()
            } else {
                format!(" {}", status.reason)
            };
            let message = format!("{what}: {code}{reason}: {}", status.message);
            let kind = match code {
                409 => ErrorKind::Conflict,
                429 | 500..=599 => ErrorKind::Transient,
                _ => ErrorKind::Permanent,
            };
            let retry_after = status
                .details
                .as_ref()
                .map(|d| d.retry_after_seconds)
                .filter(|seconds| *seconds > 0 && matches!(code, 429 | 503));
            let error = match (kind, conflict_hint) {
                (ErrorKind::Conflict, Some(hint)) => Error::new(kind, format!("{message}; {hint}")),
                _ => Error::new(kind, message),
            };
            match retry_after {
                Some(seconds) => error.with_retry_after(Duration::from_secs(u64::from(seconds))),
                None => error,
            }
        }
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_)) => {
            Error::transient(format!("{what}: cannot reach the API server")).with_source(e)
        }
        other => Error::permanent(what.to_string()).with_source(other),
    }
}
