//! [`ImageRef`]: an OCI image reference.

use std::fmt;
use std::str::FromStr;

use super::scan::{Span, eq_at, find, is_lower_alnum, rfind};
use super::{ParseValueError, ValueError, ValueKind};

const EMPTY: &str = "invalid image reference: it is empty; write a repository with an optional tag, e.g. `registry.example.com/acme/web:1.4.2`";
const MISSING_REPO: &str = "invalid image reference: the repository name is missing, e.g. `nginx:1.27` or `registry.example.com/acme/web:1.4.2`";
const TOO_LONG: &str = "invalid image reference: the name is longer than 255 characters; use a shorter repository path, e.g. `acme/web`";
const UPPERCASE: &str = "invalid image reference: repository names must be lowercase, e.g. `acme/web` rather than `Acme/Web`";
const EMPTY_COMPONENT: &str = "invalid image reference: a repository path component is empty, e.g. `acme/web` rather than `acme//web`";
const COMPONENT: &str = "invalid image reference: repository path components are lowercase letters and digits, optionally joined by `.`, `_`, `__` or `-`, e.g. `acme/web-frontend`";
const EMPTY_TAG: &str =
    "invalid image reference: the tag after `:` is empty; write a tag, e.g. `nginx:1.27`";
const TAG: &str = "invalid image reference: a tag must start with a letter, digit or `_` and contain only letters, digits, `_`, `.` and `-` (at most 128 characters), e.g. `web:1.4.2`";
const DIGEST: &str = "invalid image reference: the digest after `@` must be `sha256:` followed by 64 lowercase hexadecimal digits, e.g. `nginx@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`";
const REGISTRY: &str = "invalid image reference: the registry must be a host name with an optional port, e.g. `registry.example.com:5000/acme/web:1.0`";

/// An OCI image reference: `[registry[:port]/]repository[:tag][@sha256:<hex>]`.
///
/// The first path component is the registry when it contains `.` or `:` or is
/// `localhost`. Repository components match
/// `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`; tags match
/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; only `sha256` digests are accepted.
/// The reference is kept as written (no `docker.io/library/` expansion).
///
/// ```
/// use harmony_values::ImageRef;
/// let img: ImageRef = "registry.example.com:5000/acme/web:1.4.2".parse().unwrap();
/// assert_eq!(img.registry(), Some("registry.example.com:5000"));
/// assert_eq!(img.repository(), "acme/web");
/// assert_eq!(img.tag(), Some("1.4.2"));
/// assert_eq!(img.digest(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    text: String,
    parts: Parts,
}

/// Where each part of a reference lies in its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Parts {
    registry: Option<Span>,
    repository: Span,
    tag: Option<Span>,
    digest: Option<Span>,
}

impl ImageRef {
    /// Validates a reference in a const context; the single validator for this type.
    pub const fn validate(s: &str) -> Result<(), ValueError> {
        match parse(s) {
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The registry host (with port), if the reference names one.
    pub fn registry(&self) -> Option<&str> {
        self.parts.registry.map(|s| s.of(&self.text))
    }

    /// The repository path without registry, tag or digest, e.g. `acme/web`.
    pub fn repository(&self) -> &str {
        self.parts.repository.of(&self.text)
    }

    /// The tag, if any, e.g. `1.4.2`.
    pub fn tag(&self) -> Option<&str> {
        self.parts.tag.map(|s| s.of(&self.text))
    }

    /// The digest including its algorithm, if any, e.g. `sha256:e3b0…`.
    pub fn digest(&self) -> Option<&str> {
        self.parts.digest.map(|s| s.of(&self.text))
    }

    /// The reference as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Validates a reference without keeping it.
pub(crate) const fn validate(s: &str) -> Result<(), ValueError> {
    ImageRef::validate(s)
}

const fn err(message: &'static str) -> ValueError {
    ValueError::new(ValueKind::ImageRef, message)
}

/// The single parser: splits and validates a reference.
const fn parse(s: &str) -> Result<Parts, ValueError> {
    if super::scan::contains(s.as_bytes(), 0, s.len(), b"://") {
        return Err(err(
            "invalid image reference: an image is named without a scheme, e.g. `ghcr.io/acme/web:1.0` rather than `https://ghcr.io/acme/web:1.0`",
        ));
    }
    let b = s.as_bytes();
    let len = b.len();
    if len == 0 {
        return Err(err(EMPTY));
    }

    // Digest.
    let at = find(b, 0, len, b'@');
    let mut digest = None;
    if at < len {
        let prefix = b"sha256:";
        let start = at + 1;
        if len - start != prefix.len() + 64 || !eq_at(b, start, start + prefix.len(), prefix) {
            return Err(err(DIGEST));
        }
        let mut i = start + prefix.len();
        while i < len {
            if !matches!(b[i], b'0'..=b'9' | b'a'..=b'f') {
                return Err(err(DIGEST));
            }
            i += 1;
        }
        digest = Some(Span::new(start, len));
    }

    // Tag: a `:` after the last `/`.
    let mut name_end = at;
    let last_slash = match rfind(b, 0, name_end, b'/') {
        Some(i) => i + 1,
        None => 0,
    };
    let mut tag = None;
    if let Some(colon) = rfind(b, last_slash, name_end, b':') {
        let start = colon + 1;
        if start == name_end {
            return Err(err(EMPTY_TAG));
        }
        if name_end - start > 128 {
            return Err(err(TAG));
        }
        let mut i = start;
        while i < name_end {
            let c = b[i];
            let ok =
                c.is_ascii_alphanumeric() || c == b'_' || (i > start && (c == b'.' || c == b'-'));
            if !ok {
                return Err(err(TAG));
            }
            i += 1;
        }
        tag = Some(Span::new(start, name_end));
        name_end = colon;
    }

    if name_end == 0 {
        return Err(err(MISSING_REPO));
    }
    if name_end > 255 {
        return Err(err(TOO_LONG));
    }

    // Registry: the first component, if it looks like a host.
    let first_slash = find(b, 0, name_end, b'/');
    let mut registry = None;
    let mut repo_start = 0;
    if first_slash < name_end {
        let looks_like_host = find(b, 0, first_slash, b'.') < first_slash
            || find(b, 0, first_slash, b':') < first_slash
            || eq_at(b, 0, first_slash, b"localhost");
        if looks_like_host {
            if !valid_registry(b, 0, first_slash) {
                return Err(err(REGISTRY));
            }
            registry = Some(Span::new(0, first_slash));
            repo_start = first_slash + 1;
        }
    }
    if repo_start == name_end {
        return Err(err(MISSING_REPO));
    }

    // Repository path.
    let mut i = repo_start;
    while i < name_end {
        if b[i].is_ascii_uppercase() {
            return Err(err(UPPERCASE));
        }
        i += 1;
    }
    let mut i = repo_start;
    loop {
        let comp_end = find(b, i, name_end, b'/');
        if comp_end == i {
            return Err(err(EMPTY_COMPONENT));
        }
        if !valid_component(b, i, comp_end) {
            return Err(err(COMPONENT));
        }
        if comp_end == name_end {
            break;
        }
        i = comp_end + 1;
    }

    Ok(Parts {
        registry,
        repository: Span::new(repo_start, name_end),
        tag,
        digest,
    })
}

/// `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*` over `b[start..end]` (non-empty).
const fn valid_component(b: &[u8], start: usize, end: usize) -> bool {
    let mut i = start;
    loop {
        // An alphanumeric run.
        let run = i;
        while i < end && is_lower_alnum(b[i]) {
            i += 1;
        }
        if i == run {
            return false;
        }
        if i == end {
            return true;
        }
        // A separator.
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if i < end && b[i] == b'_' {
                    i += 1;
                }
            }
            b'-' => {
                while i < end && b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

/// `host[:port]` where host is dot-separated labels or a bracketed IPv6 address.
const fn valid_registry(b: &[u8], start: usize, end: usize) -> bool {
    let mut host_end = end;
    if start < end && b[start] == b'[' {
        let close = find(b, start, end, b']');
        if close == end || super::ip::parse_v6(b, start + 1, close).is_err() {
            return false;
        }
        host_end = close + 1;
        if host_end < end && b[host_end] != b':' {
            return false;
        }
    } else {
        let colon = find(b, start, end, b':');
        host_end = if colon < host_end { colon } else { host_end };
        if start == host_end {
            return false;
        }
        let mut i = start;
        loop {
            let label = i;
            while i < host_end && b[i] != b'.' {
                if !(b[i].is_ascii_alphanumeric() || b[i] == b'-') {
                    return false;
                }
                i += 1;
            }
            if i == label || b[label] == b'-' || b[i - 1] == b'-' {
                return false;
            }
            if i == host_end {
                break;
            }
            i += 1;
        }
    }
    if host_end < end {
        // `:port`
        return super::port::parse_bytes(b, host_end + 1, end).is_ok();
    }
    true
}

impl FromStr for ImageRef {
    type Err = ParseValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse(s) {
            Ok(parts) => Ok(ImageRef {
                text: s.to_owned(),
                parts,
            }),
            Err(e) => Err(ParseValueError::new(s, e)),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl AsRef<str> for ImageRef {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

super::string_value!(ImageRef, ValueKind::ImageRef);

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;
    use crate::tests::{assert_invalid, assert_valid_roundtrip};

    const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn valid_references() {
        let digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        type Case = (
            &'static str,
            Option<&'static str>,
            &'static str,
            Option<&'static str>,
            Option<&'static str>,
        );
        let cases: [Case; 14] = [
            ("nginx", None, "nginx", None, None),
            ("nginx:1.27", None, "nginx", Some("1.27"), None),
            (
                "library/nginx:latest",
                None,
                "library/nginx",
                Some("latest"),
                None,
            ),
            (
                "registry.example.com/acme/web:1.4.2",
                Some("registry.example.com"),
                "acme/web",
                Some("1.4.2"),
                None,
            ),
            (
                "Registry.Example.com:5000/acme/web",
                Some("Registry.Example.com:5000"),
                "acme/web",
                None,
                None,
            ),
            ("localhost/web", Some("localhost"), "web", None, None),
            (
                "localhost:5000/web:dev",
                Some("localhost:5000"),
                "web",
                Some("dev"),
                None,
            ),
            ("[::1]:5000/web", Some("[::1]:5000"), "web", None, None),
            ("localhost:5000", None, "localhost", Some("5000"), None),
            (
                "acme/web_app__x.y--z:_V1.2-rc.3",
                None,
                "acme/web_app__x.y--z",
                Some("_V1.2-rc.3"),
                None,
            ),
            (
                "ghcr.io/acme/web@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                Some("ghcr.io"),
                "acme/web",
                None,
                Some(digest),
            ),
            (
                "ghcr.io/acme/web:1.0@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                Some("ghcr.io"),
                "acme/web",
                Some("1.0"),
                Some(digest),
            ),
            ("a/b/c/d", None, "a/b/c/d", None, None),
            ("0", None, "0", None, None),
        ];
        for (input, registry, repository, tag, dig) in cases {
            let img: ImageRef = assert_valid_roundtrip(input);
            assert_eq!(img.registry(), registry, "{input}");
            assert_eq!(img.repository(), repository, "{input}");
            assert_eq!(img.tag(), tag, "{input}");
            assert_eq!(img.digest(), dig, "{input}");
            assert_eq!(img.to_string(), input);
        }
        let long_tag = format!("web:{}", "a".repeat(128));
        assert!(long_tag.parse::<ImageRef>().is_ok());
        assert!(HEX.len() == 64);
    }

    #[test]
    fn invalid_references() {
        for (input, fragment) in [
            ("", "it is empty"),
            ("Acme/Web:1.0", "must be lowercase"),
            ("registry.example.com/Acme/web", "must be lowercase"),
            ("NGINX", "must be lowercase"),
            ("web:", "the tag after `:` is empty"),
            ("acme/web:", "the tag after `:` is empty"),
            ("web:-1", "a tag must start with"),
            ("web:.1", "a tag must start with"),
            ("web:1+2", "a tag must start with"),
            ("web:1:2", "joined by `.`, `_`, `__` or `-`"),
            ("web@sha256:abc", "64 lowercase hexadecimal"),
            (
                "web@md5:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "`sha256:`",
            ),
            (
                "web@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                "64 lowercase hexadecimal",
            ),
            ("web@", "64 lowercase hexadecimal"),
            (":1.0", "repository name is missing"),
            (
                "@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "repository name is missing",
            ),
            ("registry.example.com/", "repository name is missing"),
            ("acme//web", "component is empty"),
            ("acme/web/", "component is empty"),
            ("/web", "component is empty"),
            ("acme/-web", "joined by `.`, `_`, `__` or `-`"),
            ("acme/web.", "joined by `.`, `_`, `__` or `-`"),
            ("acme/we___b", "joined by `.`, `_`, `__` or `-`"),
            ("acme/we..b", "joined by `.`, `_`, `__` or `-`"),
            ("acme/web app", "joined by `.`, `_`, `__` or `-`"),
            ("reg_istry.io/web", "registry must be a host name"),
            ("registry.io:0/web", "registry must be a host name"),
            ("registry.io:/web", "registry must be a host name"),
            ("-registry.io/web", "registry must be a host name"),
            ("[::1/web", "registry must be a host name"),
        ] {
            assert_invalid::<ImageRef>(input, fragment);
        }
        let long_tag: &'static str = format!("web:{}", "a".repeat(129)).leak();
        assert_invalid::<ImageRef>(long_tag, "at most 128 characters");
        let long_name: &'static str = "a".repeat(256).leak();
        assert_invalid::<ImageRef>(long_name, "longer than 255");
    }
}
