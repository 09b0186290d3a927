//! [`Error`]: a failed connection or bucket operation, and whether retrying can help.

use std::fmt;

/// A failed connection or bucket operation: a message, whether retrying can help, the cause.
///
/// `harmony-dsl`'s `Error` converts from it (transient or permanent).
pub struct Error {
    transient: bool,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A failure worth retrying (an unreachable server, a timeout).
    pub fn transient(message: impl Into<String>) -> Self {
        Error {
            transient: true,
            message: message.into(),
            source: None,
        }
    }

    /// A failure retrying cannot fix (bad credentials, an old server, a refused permission).
    pub fn permanent(message: impl Into<String>) -> Self {
        Error {
            transient: false,
            ..Self::transient(message)
        }
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Whether retrying can help.
    pub fn is_transient(&self) -> bool {
        self.transient
    }

    /// What failed, without the cause.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Splits the error into its message and cause, for conversion into another error type.
    pub fn into_parts(
        self,
    ) -> (
        String,
        Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) {
        (self.message, self.source)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
            .field("transient", &self.transient)
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
