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
    /// The server time the value was written at, in nanoseconds since the Unix epoch (`None` in
    /// a state saved by an agent that did not record it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp: Option<u64>,
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

/// Everything the device should run, by desired key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocalState {
    /// Desired keys and their values.
    pub keys: BTreeMap<String, Desired>,
}

impl LocalState {
    /// Why the store's last value of `key`, at `revision` written at server time `stamp`, cannot
    /// come from the store this device read `key` from; `None` when it can. In one stream
    /// sequences and timestamps never go back, so a lower revision, or the same revision written
    /// at another time, means the store was reset. A newer revision is just a newer value. Keys
    /// already stale (or unknown) never make a reset.
    pub fn reset_by(&self, key: &str, revision: u64, stamp: u64) -> Option<String> {
        let kept = self.keys.get(key).filter(|d| d.revision != STALE)?;
        if revision < kept.revision {
            return Some(format!(
                "`{key}` is at revision {revision} in the store, below revision {} this device \
                 runs",
                kept.revision
            ));
        }
        (revision == kept.revision && kept.stamp.is_some_and(|s| s != stamp)).then(|| {
            format!(
                "`{key}` revision {revision} in the store was written at another time than the \
                 one this device runs"
            )
        })
    }

    /// Why the store holding nothing for `key` (not even a deletion) means it was reset; `None`
    /// when this device does not run `key` from a store, or runs it already stale.
    pub fn reset_by_absence(&self, key: &str) -> Option<String> {
        let kept = self.keys.get(key).filter(|d| d.revision != STALE)?;
        Some(format!(
            "the store holds nothing for `{key}`, not even a deletion, though this device runs \
             its revision {}",
            kept.revision
        ))
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
                stamp: Some(1),
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

    fn state_at(revision: u64, stamp: Option<u64>) -> LocalState {
        let mut state = LocalState::default();
        state.keys.insert(
            "default.north.a".into(),
            Desired {
                revision,
                stamp,
                value: serde_json::json!({"device": "north", "workloads": []}),
            },
        );
        state
    }

    #[test]
    fn a_recreated_or_rewound_store_is_a_reset_and_the_same_one_is_not() {
        let key = "default.north.a";
        let state = state_at(7, Some(100));
        // The same value, and a newer one: the same store.
        assert_eq!(state.reset_by(key, 7, 100), None);
        assert_eq!(state.reset_by(key, 12, 300), None);
        // Gone back below the revision the device runs: a reset, whatever the time.
        let why = state.reset_by(key, 3, 500).expect("rewound");
        assert!(why.contains("below revision 7"), "{why}");
        // Created again and written up to the same revision, at another time: a reset.
        let why = state.reset_by(key, 7, 200).expect("recreated");
        assert!(why.contains("another time"), "{why}");
        // Nothing at all for a key the device runs: a reset; a key it does not run: nothing.
        let why = state.reset_by_absence(key).expect("absent");
        assert!(why.contains("not even a deletion"), "{why}");
        assert_eq!(state.reset_by_absence("default.north.b"), None);
        assert_eq!(state.reset_by("default.north.b", 1, 1), None);
        // A state saved without stamps: only the revision can tell.
        let old = state_at(7, None);
        assert_eq!(old.reset_by(key, 7, 200), None);
        assert!(old.reset_by(key, 2, 200).is_some());
        // After the resync every kept key is stale, and stale keys never make a reset.
        let mut resynced = state;
        resynced.forget_revisions();
        assert_eq!(resynced.stale_keys().collect::<Vec<_>>(), [key]);
        assert_eq!(resynced.reset_by(key, 1, 900), None);
        assert_eq!(resynced.reset_by_absence(key), None);
    }

    #[test]
    fn a_state_saved_before_stamps_still_loads() {
        let old = r#"{"keys": {"default.north.a": {"revision": 3, "value": {"device": "north", "workloads": []}}}}"#;
        let state: LocalState = serde_json::from_str(old).unwrap();
        assert_eq!(state.keys["default.north.a"].stamp, None);
        assert_eq!(state.keys["default.north.a"].revision, 3);
    }
}
