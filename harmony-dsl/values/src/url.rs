//! [`Url`]: an absolute URL such as `https://api.example.com:8443/v1`.

use std::fmt;
use std::str::FromStr;

use super::port::Port;
use super::scan::{Span, eq_at, find};
use super::{ParseValueError, ValueError, ValueKind};

const MISSING_SCHEME: &str =
    "invalid URL: it must start with a scheme followed by `://`, e.g. `https://api.example.com/v1`";
const SCHEME_CASE: &str =
    "invalid URL: the scheme must be lowercase, e.g. `https://` rather than `HTTPS://`";
const USERINFO: &str = "invalid URL: credentials (`user:password@`) must not be written in a URL; keep them in a `Secret` from configuration, e.g. `https://db.example.com:5432/`";
const MISSING_HOST: &str =
    "invalid URL: the host is missing after `://`, e.g. `https://api.example.com/`";
const HOST: &str = "invalid URL: the host must be a domain name, an IPv4 address or an IPv6 address in brackets, e.g. `https://api.example.com/`, `http://10.0.0.1/` or `http://[fd00::1]/`";
const HOST_V4: &str = "invalid URL: the host looks like an IPv4 address but is not one; each part must be 0-255, e.g. `http://10.0.0.1:8080/`";
const PORT: &str =
    "invalid URL: the port after the host must be 1-65535, e.g. `https://api.example.com:8443/`";
const REST: &str = "invalid URL: the path, query and fragment may contain only printable ASCII without spaces; percent-encode other characters, e.g. `https://example.com/a%20b`";

/// An absolute URL: `scheme://host[:port][/path][?query][#fragment]`.
///
/// The scheme is `[a-z][a-z0-9+.-]*`; the host is a domain name, an IPv4
/// address or a bracketed IPv6 address; the port is 1-65535. Credentials
/// (`user@`) are rejected: they belong in a [`Secret`](super::Secret). The
/// path, query and fragment may contain printable ASCII except space. The URL
/// is kept as written.
///
/// ```
/// use harmony_values::Url;
/// let u: Url = "https://api.example.com:8443/v1/items?limit=5#top".parse().unwrap();
/// assert_eq!(u.scheme(), "https");
/// assert_eq!(u.host(), "api.example.com");
/// assert_eq!(u.port().map(|p| p.get()), Some(8443));
/// assert_eq!(u.path(), "/v1/items");
/// assert_eq!(u.query(), Some("limit=5"));
/// assert_eq!(u.fragment(), Some("top"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Url {
    text: String,
    parts: Parts,
}

/// Where each part of a URL lies in its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Parts {
    scheme: Span,
    host: Span,
    port: Option<Port>,
    path: Span,
    query: Option<Span>,
    fragment: Option<Span>,
}

impl Url {
    /// Validates a URL in a const context; the single validator for this type.
    pub const fn validate(s: &str) -> Result<(), ValueError> {
        match parse(s) {
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The scheme, e.g. `https`.
    pub fn scheme(&self) -> &str {
        self.parts.scheme.of(&self.text)
    }

    /// The host as written; IPv6 addresses without their brackets.
    pub fn host(&self) -> &str {
        self.parts.host.of(&self.text)
    }

    /// The explicit port, if any.
    pub const fn port(&self) -> Option<Port> {
        self.parts.port
    }

    /// The path, possibly empty, e.g. `/v1/items`.
    pub fn path(&self) -> &str {
        self.parts.path.of(&self.text)
    }

    /// The query after `?`, if any.
    pub fn query(&self) -> Option<&str> {
        self.parts.query.map(|s| s.of(&self.text))
    }

    /// The fragment after `#`, if any.
    pub fn fragment(&self) -> Option<&str> {
        self.parts.fragment.map(|s| s.of(&self.text))
    }

    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Validates a URL without keeping it.
pub(crate) const fn validate(s: &str) -> Result<(), ValueError> {
    Url::validate(s)
}

const fn err(message: &'static str) -> ValueError {
    ValueError::new(ValueKind::Url, message)
}

/// First index in `b[start..end]` of any of `a`, `b2`, `c`, or `end`.
const fn find_any(b: &[u8], start: usize, end: usize, a: u8, b2: u8, c: u8) -> usize {
    let mut i = start;
    while i < end {
        if b[i] == a || b[i] == b2 || b[i] == c {
            return i;
        }
        i += 1;
    }
    end
}

/// The single parser.
const fn parse(s: &str) -> Result<Parts, ValueError> {
    let b = s.as_bytes();
    let len = b.len();

    // Scheme.
    let mut i = 0;
    if i < len && b[i].is_ascii_lowercase() {
        i += 1;
        while i < len
            && (b[i].is_ascii_lowercase()
                || b[i].is_ascii_digit()
                || b[i] == b'+'
                || b[i] == b'.'
                || b[i] == b'-')
        {
            i += 1;
        }
    }
    if i == 0 || i + 3 > len || !eq_at(b, i, i + 3, b"://") {
        if i < len && b[i].is_ascii_uppercase() {
            return Err(err(SCHEME_CASE));
        }
        return Err(err(MISSING_SCHEME));
    }
    let scheme = Span::new(0, i);

    // Authority.
    let auth_start = i + 3;
    let auth_end = find_any(b, auth_start, len, b'/', b'?', b'#');
    if find(b, auth_start, auth_end, b'@') < auth_end {
        return Err(err(USERINFO));
    }
    if auth_start == auth_end {
        return Err(err(MISSING_HOST));
    }
    let host;
    let port_colon;
    if b[auth_start] == b'[' {
        let close = find(b, auth_start, auth_end, b']');
        if close == auth_end || super::ip::parse_v6(b, auth_start + 1, close).is_err() {
            return Err(err(HOST));
        }
        host = Span::new(auth_start + 1, close);
        if close + 1 < auth_end && b[close + 1] != b':' {
            return Err(err(HOST));
        }
        port_colon = close + 1;
    } else {
        port_colon = find(b, auth_start, auth_end, b':');
        if port_colon == auth_start {
            return Err(err(MISSING_HOST));
        }
        host = Span::new(auth_start, port_colon);
        let mut numeric = true;
        let mut j = auth_start;
        while j < port_colon {
            if !(b[j].is_ascii_digit() || b[j] == b'.') {
                numeric = false;
            }
            j += 1;
        }
        if numeric {
            if super::ip::parse_v4(b, auth_start, port_colon).is_err() {
                return Err(err(HOST_V4));
            }
        } else if super::domain::check(b, auth_start, port_colon).is_err() {
            return Err(err(HOST));
        }
    }
    let port = if port_colon < auth_end {
        match super::port::parse_bytes(b, port_colon + 1, auth_end) {
            Ok(p) => Some(p),
            Err(_) => return Err(err(PORT)),
        }
    } else {
        None
    };

    // Path, query and fragment.
    let mut j = auth_end;
    while j < len {
        if !(b[j] >= 0x21 && b[j] <= 0x7e) {
            return Err(err(REST));
        }
        j += 1;
    }
    let hash = find(b, auth_end, len, b'#');
    let question = find(b, auth_end, hash, b'?');
    let path = Span::new(auth_end, question);
    let query = if question < hash {
        Some(Span::new(question + 1, hash))
    } else {
        None
    };
    let fragment = if hash < len {
        Some(Span::new(hash + 1, len))
    } else {
        None
    };
    Ok(Parts {
        scheme,
        host,
        port,
        path,
        query,
        fragment,
    })
}

impl FromStr for Url {
    type Err = ParseValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse(s) {
            Ok(parts) => Ok(Url {
                text: s.to_owned(),
                parts,
            }),
            Err(e) => Err(ParseValueError::new(s, e)),
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl AsRef<str> for Url {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

super::string_value!(Url, ValueKind::Url);

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;
    use crate::tests::{assert_invalid, assert_valid_roundtrip};

    #[test]
    fn valid_urls() {
        type Case = (
            &'static str,
            &'static str,
            &'static str,
            Option<u16>,
            &'static str,
            Option<&'static str>,
            Option<&'static str>,
        );
        let cases: [Case; 11] = [
            (
                "https://api.example.com",
                "https",
                "api.example.com",
                None,
                "",
                None,
                None,
            ),
            (
                "https://api.example.com/",
                "https",
                "api.example.com",
                None,
                "/",
                None,
                None,
            ),
            (
                "http://localhost:8080/health",
                "http",
                "localhost",
                Some(8080),
                "/health",
                None,
                None,
            ),
            (
                "http://10.0.0.1:65535/",
                "http",
                "10.0.0.1",
                Some(65535),
                "/",
                None,
                None,
            ),
            (
                "http://[fd00::1]:8443/x",
                "http",
                "fd00::1",
                Some(8443),
                "/x",
                None,
                None,
            ),
            ("http://[::1]", "http", "::1", None, "", None, None),
            (
                "postgres+tls://DB.Example.com:5432/app?sslmode=require",
                "postgres+tls",
                "DB.Example.com",
                Some(5432),
                "/app",
                Some("sslmode=require"),
                None,
            ),
            (
                "https://example.com?q=1",
                "https",
                "example.com",
                None,
                "",
                Some("q=1"),
                None,
            ),
            (
                "https://example.com#frag?x",
                "https",
                "example.com",
                None,
                "",
                None,
                Some("frag?x"),
            ),
            (
                "https://example.com/a%20b?x=[1]#",
                "https",
                "example.com",
                None,
                "/a%20b",
                Some("x=[1]"),
                Some(""),
            ),
            (
                "s3://bucket-1/key/path",
                "s3",
                "bucket-1",
                None,
                "/key/path",
                None,
                None,
            ),
        ];
        for (input, scheme, host, port, path, query, fragment) in cases {
            let u: Url = assert_valid_roundtrip(input);
            assert_eq!(u.scheme(), scheme, "{input}");
            assert_eq!(u.host(), host, "{input}");
            assert_eq!(u.port().map(Port::get), port, "{input}");
            assert_eq!(u.path(), path, "{input}");
            assert_eq!(u.query(), query, "{input}");
            assert_eq!(u.fragment(), fragment, "{input}");
            assert_eq!(u.to_string(), input);
        }
    }

    #[test]
    fn invalid_urls() {
        for (input, fragment) in [
            ("", "scheme followed by `://`"),
            ("api.example.com", "scheme followed by `://`"),
            ("https:/api.example.com", "scheme followed by `://`"),
            ("://api.example.com", "scheme followed by `://`"),
            ("1http://x.com", "scheme followed by `://`"),
            ("HTTPS://api.example.com", "scheme must be lowercase"),
            ("hTtp://api.example.com", "scheme must be lowercase"),
            ("https://user:pw@db.example.com/", "credentials"),
            ("https://", "host is missing"),
            ("https:///path", "host is missing"),
            ("https://:8080/", "host is missing"),
            ("https://api_x.example.com/", "host must be a domain name"),
            ("https://-api.example.com/", "host must be a domain name"),
            ("https://[fd00::g]/", "host must be a domain name"),
            ("https://[fd00::1/", "host must be a domain name"),
            ("https://[fd00::1]x/", "host must be a domain name"),
            ("http://10.0.0.300/", "looks like an IPv4 address"),
            ("http://10.0.0/", "looks like an IPv4 address"),
            (
                "https://api.example.com:0/",
                "port after the host must be 1-65535",
            ),
            (
                "https://api.example.com:65536/",
                "port after the host must be 1-65535",
            ),
            (
                "https://api.example.com:/",
                "port after the host must be 1-65535",
            ),
            (
                "https://api.example.com:http/",
                "port after the host must be 1-65535",
            ),
            ("https://example.com/a b", "printable ASCII without spaces"),
            ("https://example.com/é", "printable ASCII without spaces"),
            ("https://example.com/\n", "printable ASCII without spaces"),
        ] {
            assert_invalid::<Url>(input, fragment);
        }
    }
}
