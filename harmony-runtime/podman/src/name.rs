//! Container and secret names valid under podman's rule `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, derived
//! from any logical name deterministically.

use sha2::{Digest, Sha256};

/// Prefix of every container name this crate makes.
pub const PREFIX: &str = "harmony-";
/// Longest readable part kept from the logical name.
const READABLE_MAX: usize = 48;

/// The podman container name for `logical`: `harmony-<readable>-<hash>`, where `<readable>` is
/// `logical` with every character outside `[a-zA-Z0-9_.-]` replaced by `-` (at most 48 of them)
/// and `<hash>` is the first 12 hex digits of SHA-256 of the whole logical name. Two logical
/// names that sanitize alike (`a/b`, `a=b`, `a-b`) still get different names; the same logical
/// name always gets the same one.
pub fn container_name(logical: &str) -> String {
    let readable: String = logical
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(READABLE_MAX)
        .collect();
    format!("{PREFIX}{readable}-{}", short_hash(logical.as_bytes()))
}

/// The podman secret name holding variable `var` of container `container` (a name from
/// [`container_name`]): `harmony.<VAR>.<hash>`, at most 64 characters and ending with an
/// alphanumeric, as podman requires of secret names; the hash (16 hex digits of SHA-256 of
/// container and variable) keeps secrets of different containers apart.
pub fn secret_name(container: &str, var: &str) -> String {
    let readable: String = var
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(32)
        .collect();
    let mut both = container.as_bytes().to_vec();
    both.push(0);
    both.extend_from_slice(var.as_bytes());
    let hash: String = Sha256::digest(&both)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("harmony.{readable}.{hash}")
}

/// Whether `name` is valid under podman's rule `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn is_valid(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWKWARD: &[&str] = &[
        "web",
        "default=2Ed1=2Ecam",
        "site/north/cam",
        "a.b.c",
        "..",
        ".hidden",
        "-dash",
        "caméra-été",
        "日本語",
        "emoji 🚀 app",
        "",
        "with\nnewline",
        "tab\there",
        "x=y/z:w@v",
    ];

    #[test]
    fn every_awkward_name_maps_to_a_valid_podman_name() {
        for logical in AWKWARD {
            let name = container_name(logical);
            assert!(is_valid(&name), "{logical:?} -> {name:?}");
            assert!(name.len() <= PREFIX.len() + READABLE_MAX + 13, "{name}");
            for var in ["DB_PASSWORD", "a=b", "é", ""] {
                let secret = secret_name(&name, var);
                assert!(is_valid(&secret), "{secret:?}");
                assert!(secret.len() <= 64, "{secret:?}");
                assert_ne!(secret, secret_name("harmony-other", var));
            }
        }
    }

    #[test]
    fn names_are_deterministic_and_distinct() {
        let mut seen = std::collections::BTreeSet::new();
        for logical in AWKWARD {
            assert_eq!(container_name(logical), container_name(logical));
            assert!(seen.insert(container_name(logical)), "{logical:?} collides");
        }
        // Names that sanitize alike still differ.
        let alike = ["a/b", "a=b", "a-b", "a b", "a\u{e9}b"];
        let names: std::collections::BTreeSet<_> =
            alike.iter().map(|n| container_name(n)).collect();
        assert_eq!(names.len(), alike.len(), "{names:?}");
        assert_eq!(
            container_name("default=2Ed1=2Ecam"),
            format!(
                "harmony-default-2Ed1-2Ecam-{}",
                short_hash(b"default=2Ed1=2Ecam")
            )
        );
    }

    #[test]
    fn long_names_are_bounded() {
        let long = "x".repeat(10_000);
        let name = container_name(&long);
        assert!(is_valid(&name));
        assert_eq!(name.len(), PREFIX.len() + READABLE_MAX + 1 + 12);
        assert_ne!(container_name(&long), container_name(&"x".repeat(9_999)));
    }

    #[test]
    fn validity_rule() {
        assert!(is_valid("a"));
        assert!(is_valid("a.b_c-d9"));
        assert!(!is_valid(""));
        assert!(!is_valid("-a"));
        assert!(!is_valid(".a"));
        assert!(!is_valid("a=b"));
        assert!(!is_valid("a/b"));
        assert!(!is_valid("é"));
    }
}
