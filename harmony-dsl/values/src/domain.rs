//! [`DomainName`]: an RFC 1123 host name.

use std::fmt;
use std::str::FromStr;

use super::{ParseValueError, ValueError, ValueKind};

const EMPTY: &str = "invalid domain name: it is empty; write a host name, e.g. `api.example.com`";
const TOO_LONG: &str = "invalid domain name: it is longer than 253 characters; use a shorter name, e.g. `api.example.com`";
const EMPTY_LABEL: &str = "invalid domain name: a label between dots is empty, e.g. `api.example.com` rather than `api..example.com`";
const LABEL_LONG: &str = "invalid domain name: each label between dots must be at most 63 characters, e.g. `api.example.com`";
const CHARS: &str = "invalid domain name: labels may contain only letters, digits and `-`, e.g. `my-api.example.com`";
const HYPHEN: &str =
    "invalid domain name: a label must not start or end with `-`, e.g. `my-api.example.com`";
const NUMERIC: &str = "invalid domain name: the last label must not be all digits (that looks like an IP address; use an IP address field for addresses), e.g. `api.example.com`";

/// An RFC 1123 host name such as `api.example.com`.
///
/// Rules: at most 253 characters; labels of 1-63 letters, digits and `-`
/// that neither start nor end with `-`; the last label is not all digits.
/// Uppercase is accepted and normalised to lowercase. A single trailing dot
/// (fully qualified form, `example.com.`) is accepted and removed.
///
/// ```
/// use harmony_values::DomainName;
/// let d: DomainName = "API.Example.com.".parse().unwrap();
/// assert_eq!(d.as_str(), "api.example.com");
/// assert_eq!(d.labels().collect::<Vec<_>>(), ["api", "example", "com"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    /// Validates a name in a const context; the single validator for this type.
    pub const fn validate(s: &str) -> Result<(), ValueError> {
        let b = s.as_bytes();
        match check(b, 0, b.len()) {
            Ok(_) => Ok(()),
            Err(m) => Err(ValueError::new(ValueKind::DomainName, m)),
        }
    }

    /// The normalised (lowercase, no trailing dot) name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The labels between dots, from left to right.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.0.split('.')
    }
}

/// Validates a name without keeping it.
pub(crate) const fn validate(s: &str) -> Result<(), ValueError> {
    DomainName::validate(s)
}

const SCHEME: &str = "invalid domain name: write the name alone, without a scheme or a path, e.g. `shop.example.com` rather than `https://shop.example.com/`";

/// Checks `b[start..end]`; returns the end of the name without a trailing dot.
pub(crate) const fn check(b: &[u8], start: usize, end: usize) -> Result<usize, &'static str> {
    let mut end = end;
    if end > start + 1 && b[end - 1] == b'.' {
        end -= 1;
    }
    if start >= end {
        return Err(EMPTY);
    }
    if super::scan::contains(b, start, end, b"://") {
        return Err(SCHEME);
    }
    if end - start > 253 {
        return Err(TOO_LONG);
    }
    let mut i = start;
    loop {
        let label = i;
        let mut all_digits = true;
        while i < end && b[i] != b'.' {
            let c = b[i];
            if !(c.is_ascii_alphanumeric() || c == b'-') {
                return Err(CHARS);
            }
            if !c.is_ascii_digit() {
                all_digits = false;
            }
            i += 1;
        }
        if i == label {
            return Err(EMPTY_LABEL);
        }
        if i - label > 63 {
            return Err(LABEL_LONG);
        }
        if b[label] == b'-' || b[i - 1] == b'-' {
            return Err(HYPHEN);
        }
        if i == end {
            if all_digits {
                return Err(NUMERIC);
            }
            return Ok(end);
        }
        i += 1; // the dot
    }
}

impl FromStr for DomainName {
    type Err = ParseValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        match check(b, 0, b.len()) {
            Ok(end) => Ok(DomainName(s[..end].to_ascii_lowercase())),
            Err(m) => Err(ParseValueError::new(
                s,
                ValueError::new(ValueKind::DomainName, m),
            )),
        }
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DomainName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

super::string_value!(DomainName, ValueKind::DomainName);

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;
    use crate::tests::{assert_invalid, assert_valid_roundtrip};

    const LABEL_63: &str = "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123";
    const LABEL_64: &str = "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234";
    // 4 * 63 + 3 dots = 255 characters.
    const NAME_255: &str = "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123.abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123.abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123.abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123";
    // 3 * 63 + 61 + 3 dots = 253 characters.
    const NAME_253: &str = "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123.abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123.abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123.abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1";

    #[test]
    fn valid_names() {
        assert_eq!(NAME_253.len(), 253);
        assert_eq!(NAME_255.len(), 255);
        assert_eq!(LABEL_63.len(), 63);
        for (input, normalised) in [
            ("localhost", "localhost"),
            ("db", "db"),
            ("api.example.com", "api.example.com"),
            ("API.Example.COM", "api.example.com"),
            ("example.com.", "example.com"),
            ("my-api.example.com", "my-api.example.com"),
            ("a--b.example", "a--b.example"),
            ("1password.com", "1password.com"),
            ("10.0.0.x", "10.0.0.x"),
            ("x", "x"),
            (LABEL_63, LABEL_63),
            (NAME_253, NAME_253),
        ] {
            let d: DomainName = assert_valid_roundtrip(input);
            assert_eq!(d.as_str(), normalised);
            assert_eq!(d.to_string(), normalised);
        }
    }

    #[test]
    fn invalid_names() {
        for (input, fragment) in [
            ("", "it is empty"),
            (".", "label between dots is empty"),
            (NAME_255, "longer than 253"),
            ("api..example.com", "label between dots is empty"),
            (".example.com", "label between dots is empty"),
            ("example.com..", "label between dots is empty"),
            (LABEL_64, "at most 63 characters"),
            ("my_api.example.com", "only letters, digits and `-`"),
            ("api example.com", "only letters, digits and `-`"),
            ("exämple.com", "only letters, digits and `-`"),
            ("-api.example.com", "must not start or end with `-`"),
            ("api-.example.com", "must not start or end with `-`"),
            ("api.example.com-", "must not start or end with `-`"),
            ("10.0.0.1", "must not be all digits"),
            ("123", "must not be all digits"),
        ] {
            assert_invalid::<DomainName>(input, fragment);
        }
    }
}
