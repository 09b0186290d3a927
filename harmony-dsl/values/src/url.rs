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

/// Whether `s` starts with one of `schemes` followed by `://`.
const fn scheme_is(s: &str, schemes: &[&str]) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < schemes.len() {
        let scheme = schemes[i].as_bytes();
        let n = scheme.len();
        if b.len() >= n + 3 && eq_at(b, 0, n, scheme) && eq_at(b, n, n + 3, b"://") {
            return true;
        }
        i += 1;
    }
    false
}

/// A URL type for one protocol: a [`Url`] whose scheme is one of the protocol's, checked by the
/// same `const fn` at compile time (literals) and at run time (configuration, environment).
macro_rules! scheme_url {
    ($(#[$doc:meta])* $name:ident, $kind:expr, [$($scheme:literal),+], $message:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(Url);

        impl $name {
            /// The schemes this URL may have.
            pub const SCHEMES: &'static [&'static str] = &[$($scheme),+];

            /// Validates the URL and its scheme in a const context.
            pub const fn validate(s: &str) -> Result<(), ValueError> {
                // The scheme first: its message names the accepted schemes, with an example
                // that fits the field.
                if !scheme_is(s, Self::SCHEMES) {
                    return Err(ValueError::new($kind, $message));
                }
                match parse(s) {
                    Ok(_) => Ok(()),
                    Err(e) => Err(ValueError::new($kind, e.message())),
                }
            }

            /// The URL.
            pub fn as_url(&self) -> &Url {
                &self.0
            }

            /// The URL as written.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl std::ops::Deref for $name {
            type Target = Url;
            fn deref(&self) -> &Url {
                &self.0
            }
        }

        impl From<$name> for Url {
            fn from(url: $name) -> Url {
                url.0
            }
        }

        impl FromStr for $name {
            type Err = ParseValueError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match Self::validate(s) {
                    Ok(()) => Ok($name(s.parse()?)),
                    Err(e) => Err(ParseValueError::new(s, e)),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.0.as_str()
            }
        }

        super::string_value!($name, $kind);
    };
}

scheme_url!(
    /// The URL of a NATS server: `nats://` or `tls://` (TLS required), e.g.
    /// `nats://nats.example.com:4222`. The port defaults to 4222. WebSocket URLs (`ws://`,
    /// `wss://`) are refused: Harmony's NATS client is built without WebSocket support, and would
    /// otherwise speak plain NATS to a WebSocket port.
    ///
    /// ```
    /// use harmony_values::NatsUrl;
    /// let u: NatsUrl = "tls://nats.example.com:4443".parse().unwrap();
    /// assert_eq!(u.scheme(), "tls");
    /// assert!("http://nats.example.com:4222".parse::<NatsUrl>().is_err());
    /// ```
    NatsUrl,
    ValueKind::NatsUrl,
    ["nats", "tls"],
    "invalid NATS URL: the scheme must be `nats://` or `tls://` (TLS), e.g. `nats://nats.example.com:4222`; WebSocket URLs (`ws://`, `wss://`) are not supported"
);

scheme_url!(
    /// The URL of an HTTP endpoint: `http://` or `https://`, e.g. `https://sso.example.com`.
    ///
    /// ```
    /// use harmony_values::HttpUrl;
    /// let u: HttpUrl = "https://sso.example.com/realms".parse().unwrap();
    /// assert_eq!(u.host(), "sso.example.com");
    /// assert!("ftp://sso.example.com".parse::<HttpUrl>().is_err());
    /// ```
    HttpUrl,
    ValueKind::HttpUrl,
    ["http", "https"],
    "invalid HTTP URL: the scheme must be `http://` or `https://`, e.g. `https://sso.example.com`"
);

scheme_url!(
    /// The URL of a PostgreSQL server: `postgres://` or `postgresql://`, e.g.
    /// `postgres://db.example.com:5432/app`. The port defaults to 5432; credentials are refused
    /// like in every [`Url`] (a password belongs in a `Secret`).
    ///
    /// ```
    /// use harmony_values::PostgresUrl;
    /// let u: PostgresUrl = "postgresql://db.example.com/app".parse().unwrap();
    /// assert_eq!(u.path(), "/app");
    /// assert!("mysql://db.example.com/app".parse::<PostgresUrl>().is_err());
    /// ```
    PostgresUrl,
    ValueKind::PostgresUrl,
    ["postgres", "postgresql"],
    "invalid PostgreSQL URL: the scheme must be `postgres://` or `postgresql://`, e.g. `postgres://db.example.com:5432/app`"
);

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

    #[test]
    fn urls_of_a_protocol_take_only_its_schemes() {
        for input in [
            "nats://127.0.0.1:4222",
            "tls://nats.example.com",
            "nats://[::1]:4222",
        ] {
            let u: NatsUrl = assert_valid_roundtrip(input);
            assert_eq!(u.as_str(), input);
        }
        for input in ["http://127.0.0.1:8080/", "https://sso.example.com"] {
            let _: HttpUrl = assert_valid_roundtrip(input);
        }
        for input in ["postgres://db:5432/app", "postgresql://db.example.com/app"] {
            let _: PostgresUrl = assert_valid_roundtrip(input);
        }
        for input in [
            "http://127.0.0.1:4222",
            "ws://127.0.0.1:8080",
            "wss://nats.example.com",
            "natss://x",
            "nat://x",
        ] {
            assert_invalid::<NatsUrl>(input, "the scheme must be `nats://` or `tls://`");
        }
        for input in ["ftp://x.example.com", "nats://x", "httpx://x"] {
            assert_invalid::<HttpUrl>(input, "the scheme must be `http://` or `https://`");
        }
        for input in ["mysql://db/app", "postgre://db/app", "http://db/app"] {
            assert_invalid::<PostgresUrl>(input, "`postgres://` or `postgresql://`");
        }
        // Other mistakes keep the URL's own message.
        assert_invalid::<NatsUrl>("nats://user:pw@x:4222", "credentials");
        assert_invalid::<NatsUrl>("127.0.0.1:4222", "the scheme must be `nats://` or `tls://`");
        // The run-time message is the compile-time one, with the input.
        let e = "http://x:4222".parse::<NatsUrl>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "`http://x:4222` is not a valid NATS URL: the scheme must be `nats://` or `tls://` (TLS), e.g. `nats://nats.example.com:4222`; WebSocket URLs (`ws://`, `wss://`) are not supported"
        );
        assert_eq!(
            crate::check_literal(ValueKind::NatsUrl, crate::Literal::Str("http://x")),
            Err(ValueError::new(
                ValueKind::NatsUrl,
                "invalid NATS URL: the scheme must be `nats://` or `tls://` (TLS), e.g. `nats://nats.example.com:4222`; WebSocket URLs (`ws://`, `wss://`) are not supported"
            ))
        );
    }
}
