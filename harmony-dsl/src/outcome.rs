//! What applying a step did, and what planning a step found.

use serde::{Deserialize, Serialize};

/// What applying one operation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The operation changed the world; `summary` says how.
    Changed {
        /// One line, e.g. "created file /etc/app.toml (312 bytes)".
        summary: String,
    },
    /// Everything was already as desired.
    Unchanged,
}

impl Outcome {
    /// A change with its summary.
    pub fn changed(summary: impl Into<String>) -> Self {
        Outcome::Changed {
            summary: summary.into(),
        }
    }

    /// Whether the world changed.
    pub fn is_changed(&self) -> bool {
        matches!(self, Outcome::Changed { .. })
    }
}

/// What applying an operation would change, as found by looking at the real system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Nothing there yet: it would be created.
    Create {
        /// What would be created.
        summary: String,
    },
    /// It exists and differs; `diff` holds one line per difference (secrets redacted).
    Update {
        /// Human-readable differences, `-` old / `+` new.
        diff: Vec<String>,
    },
    /// Already as desired.
    None,
    /// Exists but no longer declared: it would be removed.
    Delete {
        /// What would be removed.
        summary: String,
    },
}

impl Change {
    /// Whether applying would change anything.
    pub fn is_change(&self) -> bool {
        !matches!(self, Change::None)
    }
}

/// What a step read when it was planned, so `apply` of a saved plan can refuse when the world moved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Observed {
    /// Nothing existed.
    Absent,
    /// A content hash (files, processes' specs).
    Hash {
        /// Hex SHA-256 or similar of what was read.
        value: String,
    },
    /// An object resource version (Kubernetes).
    ResourceVersion {
        /// The `metadata.resourceVersion` read.
        value: String,
    },
    /// A key-value revision (NATS JetStream).
    Revision {
        /// The revision read.
        value: u64,
    },
}

/// The result of inspecting an operation: the change it would make and what was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    /// What applying would change.
    pub change: Change,
    /// What was read, to detect drift between `plan` and `apply`.
    pub observed: Observed,
}

/// One line of live status a provider reports (a device online and converged, an object ready).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveStatus {
    /// What it is about, e.g. `device north`.
    pub subject: String,
    /// Short state, e.g. `converged`, `offline`, `failed`.
    pub state: String,
    /// Details, e.g. the revision applied and the last heartbeat.
    pub detail: String,
}
