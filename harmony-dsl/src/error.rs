//! The structured error every capability operation returns.

use std::fmt;

/// What kind of failure an [`Error`] is: decides whether the runtime retries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Worth retrying with backoff: a timeout, a 429/5xx answer, a connection reset.
    Transient,
    /// Retrying will not help: bad input, a refused request, a missing file.
    Permanent,
    /// Somebody else changed what we were about to change (optimistic concurrency).
    Conflict,
    /// The topology does not offer a capability the operation needs.
    MissingCapability,
    /// The step ran out of time.
    Timeout,
    /// The run was cancelled (Ctrl-C, SIGTERM) before the step finished.
    Cancelled,
}

impl ErrorKind {
    /// Short lowercase name, as shown in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Transient => "transient",
            ErrorKind::Permanent => "permanent",
            ErrorKind::Conflict => "conflict",
            ErrorKind::MissingCapability => "missing capability",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

/// An error from planning or applying a step: what failed, in which capability, and whether to retry.
pub struct Error {
    kind: ErrorKind,
    capability: Option<&'static str>,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    retry_after: Option<std::time::Duration>,
}

impl Error {
    /// An error of the given kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            capability: None,
            message: message.into(),
            source: None,
            retry_after: None,
        }
    }

    /// A failure worth retrying.
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, message)
    }

    /// A failure that retrying will not fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Permanent, message)
    }

    /// A concurrent change by someone else.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// Names the capability the error came from (`"K8sCluster"`, `"FileSystem"`...).
    pub fn in_capability(mut self, capability: &'static str) -> Self {
        self.capability = Some(capability);
        self
    }

    /// Keeps the underlying error as the source.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// How long the other side asked to wait before retrying (an HTTP `Retry-After`); the
    /// runtime waits that long, within a bound, instead of its own backoff.
    pub fn with_retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// The wait the other side asked for before a retry, when it said.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.retry_after
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether the runtime should retry the step.
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, ErrorKind::Transient | ErrorKind::Timeout)
    }

    /// The capability the error came from, when known.
    pub fn capability(&self) -> Option<&'static str> {
        self.capability
    }

    /// The message, without kind or capability.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(capability) = self.capability {
            write!(f, "{capability}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("capability", &self.capability)
            .field("message", &self.message)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// Result with Harmony's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A fleet connection or bucket failure keeps its message, cause and retry class.
impl From<harmony_fleet_wire::Error> for Error {
    fn from(e: harmony_fleet_wire::Error) -> Self {
        let kind = if e.is_transient() {
            ErrorKind::Transient
        } else {
            ErrorKind::Permanent
        };
        let (message, source) = e.into_parts();
        Error {
            source,
            ..Error::new(kind, message)
        }
    }
}
