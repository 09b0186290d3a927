//! Spec digests: HMAC-SHA-256 under a per-host key, so the digest label that `podman inspect`
//! shows is no oracle for guessing a secret value the spec holds.

use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Length of the key, in bytes.
const KEY_LEN: usize = 32;
/// Name of the key file in the state directory.
pub const KEY_FILE: &str = "digest.key";

/// The per-host digest key, read from `<dir>/digest.key` or created there (0600, in a 0700
/// directory created when missing). Symbolic links are never followed; a directory or key
/// owned by another user, or open to others, is refused.
pub fn load_or_create_key(dir: &Path) -> std::io::Result<[u8; KEY_LEN]> {
    private_dir(dir)?;
    let path = dir.join(KEY_FILE);
    match read_key(&path) {
        Ok(key) => return Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut key = [0u8; KEY_LEN];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut key)?;
    // Written under a unique name, then linked into place: a concurrent creator's key wins
    // whole, never half of each.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(".{KEY_FILE}.{}.{nanos}", std::process::id()));
    {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        file.write_all(&key)?;
        file.sync_all()?;
    }
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key(&path),
        Err(e) => Err(e),
    }
}

fn private_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        }
        Err(e) => Err(e),
        Ok(meta) if !meta.is_dir() => Err(refuse(dir, "is not a directory (or is a symlink)")),
        // SAFETY: geteuid has no preconditions.
        Ok(meta) if meta.uid() != unsafe { libc::geteuid() } => {
            Err(refuse(dir, "belongs to another user"))
        }
        Ok(meta) if meta.mode() & 0o077 != 0 => {
            Err(refuse(dir, "is open to other users (want 0700)"))
        }
        Ok(_) => Ok(()),
    }
}

fn read_key(path: &Path) -> std::io::Result<[u8; KEY_LEN]> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let meta = file.metadata()?;
    // SAFETY: geteuid has no preconditions.
    if !meta.is_file() || meta.uid() != unsafe { libc::geteuid() } || meta.mode() & 0o077 != 0 {
        return Err(refuse(
            path,
            "is not a regular 0600 file of this user; remove it to make a new key",
        ));
    }
    let mut key = [0u8; KEY_LEN];
    file.read_exact(&mut key)
        .map_err(|_| refuse(path, "is shorter than a key; remove it to make a new key"))?;
    Ok(key)
}

fn refuse(path: &Path, why: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        format!("{} {why}", path.display()),
    )
}

/// HMAC-SHA-256 of `message` under `key`, hex.
pub fn hmac_hex(key: &[u8; KEY_LEN], message: &[u8]) -> String {
    hmac(key, message)
}

/// HMAC-SHA-256 (RFC 2104) with a key of at most one block (64 bytes), hex.
fn hmac(key: &[u8], message: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut padded = [0u8; BLOCK];
    padded[..key.len().min(BLOCK)].copy_from_slice(&key[..key.len().min(BLOCK)]);
    let inner_pad: Vec<u8> = padded.iter().map(|b| b ^ 0x36).collect();
    let outer_pad: Vec<u8> = padded.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&inner_pad)
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(&outer_pad)
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "harmony-podman-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hmac(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Same key, same message: same digest; different key: different digest.
        let a = hmac_hex(&[1; 32], b"spec");
        assert_eq!(a, hmac_hex(&[1; 32], b"spec"));
        assert_ne!(a, hmac_hex(&[2; 32], b"spec"));
        assert_ne!(a, hmac_hex(&[1; 32], b"spec2"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn key_is_private_and_stable() {
        let root = scratch("key");
        let dir = root.join("state");
        let key = load_or_create_key(&dir).unwrap();
        assert_eq!(load_or_create_key(&dir).unwrap(), key);
        let meta = std::fs::metadata(dir.join(KEY_FILE)).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        let dir_meta = std::fs::metadata(&dir).unwrap();
        assert_eq!(dir_meta.mode() & 0o777, 0o700);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_planted_symlink_is_refused_not_followed() {
        let root = scratch("symlink");
        let dir = root.join("state");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        let target = root.join("victim");
        std::fs::write(&target, [7u8; 32]).unwrap();
        std::os::unix::fs::symlink(&target, dir.join(KEY_FILE)).unwrap();
        let err = load_or_create_key(&dir).unwrap_err();
        assert!(
            err.to_string().contains("symbolic") || err.raw_os_error() == Some(libc::ELOOP),
            "{err}"
        );
        // A symlinked state directory is refused too.
        let link = root.join("linked");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(load_or_create_key(&link).is_err());
        // An open directory is refused.
        let open = root.join("open");
        std::fs::create_dir_all(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(load_or_create_key(&open).is_err());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
