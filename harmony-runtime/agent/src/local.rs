//! The agent's local copy of its desired state, so a device that reboots without network keeps
//! running what it was last told.
//!
//! One file, `<state-dir>/desired.json`, mode 0600 (it holds secret values): every desired key of
//! the device with its revision and the exact bytes read from NATS. Written atomically: a temp
//! file in the same directory, `fsync`, `rename` over the old one, `fsync` of the directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use harmony_fleet_wire::DeviceSpec;
use serde::{Deserialize, Serialize};

use harmony_fleet_wire::decode_spec;

/// One desired key as last read from NATS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Desired {
    /// Its revision in the desired bucket; [`STALE`] when it was kept from a store that was reset
    /// and the current store has not delivered it (JetStream sequences start at 1).
    pub revision: u64,
    /// The value as stored (a device spec with secrets in clear).
    pub value: serde_json::Value,
}

impl Desired {
    /// The device spec.
    pub fn spec(&self) -> Result<DeviceSpec, serde_json::Error> {
        decode_spec(&serde_json::to_vec(&self.value)?)
    }
}

/// The revision of a key kept from a desired-state store that was reset and not (yet) delivered
/// by the current one.
pub const STALE: u64 = 0;

/// Which desired-state store revisions come from: the stream's creation time, as the server
/// reports it (nanoseconds since the Unix epoch, in decimal). A stream deleted and created again,
/// or a server restored from an empty disk, has another one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreIdentity {
    /// The stream's creation time.
    pub created: String,
}

/// Everything the device should run, by desired key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocalState {
    /// Desired keys and their values.
    pub keys: BTreeMap<String, Desired>,
    /// The store the revisions come from (`None` before the first connection, and in a state
    /// saved by an agent that did not record it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreIdentity>,
}

impl LocalState {
    /// Why the store now read (`current`, whose last sequence is `last_sequence`) is not the one
    /// the kept revisions came from, or `None` when it is. Never decided from a remembered
    /// revision alone: either the stream's identity changed, or the stream's last sequence (which
    /// never decreases in a stream) is below a revision the device runs.
    pub fn store_reset(&self, current: &StoreIdentity, last_sequence: u64) -> Option<String> {
        if let Some(known) = &self.store
            && known != current
        {
            return Some(format!(
                "the desired-state stream was created again (created {} ns, was {} ns)",
                current.created, known.created
            ));
        }
        let highest = self
            .keys
            .values()
            .map(|d| d.revision)
            .max()
            .unwrap_or(STALE);
        (last_sequence < highest).then(|| {
            format!(
                "the desired-state stream ends at sequence {last_sequence}, below revision \
                 {highest} this device runs"
            )
        })
    }

    /// After a reset: every kept key is [`STALE`] until the current store delivers it, which it
    /// then does at any revision.
    pub fn forget_revisions(&mut self) {
        for desired in self.keys.values_mut() {
            desired.revision = STALE;
        }
    }

    /// The keys kept from a reset store that the current one has not delivered.
    pub fn stale_keys(&self) -> impl Iterator<Item = &str> {
        self.keys
            .iter()
            .filter(|(_, d)| d.revision == STALE)
            .map(|(k, _)| k.as_str())
    }
}

/// Where [`LocalState`] lives on disk.
#[derive(Debug, Clone)]
pub struct LocalStore {
    path: PathBuf,
}

impl LocalStore {
    /// The store in `dir` (created when missing).
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(LocalStore {
            path: dir.join("desired.json"),
        })
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last saved state; empty when nothing was saved yet.
    pub fn load(&self) -> std::io::Result<LocalState> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not a saved desired state: {e}", self.path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LocalState::default()),
            Err(e) => Err(e),
        }
    }

    /// Saves `state` atomically and privately (`0600`): a temporary file with a random name
    /// created `O_EXCL` beside the target (never following a planted link), fsynced, renamed
    /// over the target (a link there is replaced, not followed), then the directory fsynced.
    pub fn save(&self, state: &LocalState) -> std::io::Result<()> {
        use std::io::Write as _;
        use std::os::unix::fs::PermissionsExt as _;
        let bytes = serde_json::to_vec_pretty(state)?;
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        let mut temp = tempfile::Builder::new()
            .prefix(".harmony-tmp-")
            .permissions(std::fs::Permissions::from_mode(0o600))
            .tempfile_in(dir)?;
        temp.write_all(&bytes)?;
        temp.as_file().sync_all()?;
        temp.persist(&self.path).map_err(|e| e.error)?;
        std::fs::File::open(dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load() {
        let dir = std::env::temp_dir().join(format!("harmony-agent-local-{}", std::process::id()));
        let store = LocalStore::open(&dir).unwrap();
        assert_eq!(store.load().unwrap(), LocalState::default());
        let mut state = LocalState::default();
        state.keys.insert(
            "default.north.a".into(),
            Desired {
                revision: 3,
                value: serde_json::json!({"device": "north", "workloads": []}),
            },
        );
        store.save(&state).unwrap();
        assert_eq!(store.load().unwrap(), state);
        assert_eq!(
            state.keys["default.north.a"].spec().unwrap().device,
            "north"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn state_at(revision: u64, created: &str) -> LocalState {
        let mut state = LocalState {
            store: Some(StoreIdentity {
                created: created.into(),
            }),
            ..LocalState::default()
        };
        state.keys.insert(
            "default.north.a".into(),
            Desired {
                revision,
                value: serde_json::json!({"device": "north", "workloads": []}),
            },
        );
        state
    }

    #[test]
    fn a_recreated_or_rewound_store_is_a_reset_and_the_same_one_is_not() {
        let same = StoreIdentity {
            created: "100".into(),
        };
        let other = StoreIdentity {
            created: "200".into(),
        };
        let state = state_at(7, "100");
        assert_eq!(state.store_reset(&same, 7), None);
        assert_eq!(state.store_reset(&same, 12), None);
        // Created again: a reset even when the new stream already went past revision 7.
        let why = state.store_reset(&other, 40).expect("recreated");
        assert!(why.contains("created again"), "{why}");
        // Same creation time (a restored backup) but gone back in time: a reset.
        let why = state.store_reset(&same, 3).expect("rewound");
        assert!(why.contains("below revision 7"), "{why}");
        // A state saved without the identity: only the sequence can tell.
        let old = LocalState {
            store: None,
            ..state.clone()
        };
        assert_eq!(old.store_reset(&other, 9), None);
        assert!(old.store_reset(&other, 2).is_some());
        // After the resync every kept key is stale, and stale keys never make a reset.
        let mut resynced = state;
        resynced.forget_revisions();
        assert_eq!(
            resynced.stale_keys().collect::<Vec<_>>(),
            ["default.north.a"]
        );
        resynced.store = Some(other.clone());
        assert_eq!(resynced.store_reset(&other, 0), None);
    }

    #[test]
    fn a_state_saved_before_store_identities_still_loads() {
        let old = r#"{"keys": {"default.north.a": {"revision": 3, "value": {"device": "north", "workloads": []}}}}"#;
        let state: LocalState = serde_json::from_str(old).unwrap();
        assert_eq!(state.store, None);
        assert_eq!(state.keys["default.north.a"].revision, 3);
    }
}
