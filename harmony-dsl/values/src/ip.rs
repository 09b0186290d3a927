//! [`IpAddress`]: an IPv4 or IPv6 address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::scan::hex_value;
use super::{ParseValueError, ValueError, ValueKind};

const EMPTY: &str = "invalid IP address: it is empty; write an IPv4 or IPv6 address, e.g. `192.168.1.10` or `fd00::1`";
const V4_CHARS: &str =
    "invalid IPv4 address: only digits and dots are allowed, e.g. `192.168.1.10`";
const V4_PARTS: &str = "invalid IPv4 address: it must have exactly four non-empty parts separated by dots, e.g. `192.168.1.10`";
const V4_RANGE: &str = "invalid IPv4 address: each part must be 0-255, e.g. `192.168.1.10`";
const V4_ZERO: &str = "invalid IPv4 address: parts must not have leading zeros, e.g. `192.168.1.10` rather than `192.168.001.010`";
const V6_GROUP: &str = "invalid IPv6 address: each group must be 1-4 hexadecimal digits, e.g. `fd00::1` or `2001:db8::8a2e:370:7334`";
const V6_COUNT: &str = "invalid IPv6 address: it must have eight groups, or use `::` once to stand for zero groups, e.g. `2001:db8::1`";
const V6_DOUBLE: &str = "invalid IPv6 address: `::` may appear only once, e.g. `2001:db8::1`";
const V6_COLON: &str =
    "invalid IPv6 address: it must not start or end with a single `:`, e.g. `::1` or `fd00::`";
const V6_V4: &str = "invalid IPv6 address: an embedded IPv4 part must be last and be a valid dotted quad, e.g. `::ffff:192.168.1.10`";

/// An IPv4 or IPv6 address, validated by a `const fn` parser.
///
/// IPv4 is a dotted quad with parts 0-255 and no leading zeros; IPv6 accepts
/// `::` compression and a trailing embedded IPv4 part. Zone ids are rejected.
///
/// ```
/// use harmony_values::IpAddress;
/// const GW: IpAddress = match IpAddress::parse("10.0.0.1") {
///     Ok(ip) => ip,
///     Err(e) => panic!("{}", e.message()),
/// };
/// assert_eq!(GW.to_string(), "10.0.0.1");
/// assert!("fd00::1".parse::<IpAddress>().unwrap().is_ipv6());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpAddress(IpAddr);

impl IpAddress {
    /// Parses an address in a const context; the single validator for this type.
    pub const fn parse(s: &str) -> Result<Self, ValueError> {
        let b = s.as_bytes();
        match parse_ip(b, 0, b.len()) {
            Ok(ip) => Ok(IpAddress(ip)),
            Err(m) => Err(ValueError::new(ValueKind::IpAddress, m)),
        }
    }

    /// Wraps a standard library address.
    pub const fn new(ip: IpAddr) -> Self {
        IpAddress(ip)
    }

    /// The standard library address.
    pub const fn get(self) -> IpAddr {
        self.0
    }

    /// Whether this is an IPv4 address.
    pub const fn is_ipv4(self) -> bool {
        matches!(self.0, IpAddr::V4(_))
    }

    /// Whether this is an IPv6 address.
    pub const fn is_ipv6(self) -> bool {
        matches!(self.0, IpAddr::V6(_))
    }
}

/// Validates an address without keeping it.
pub(crate) const fn validate(s: &str) -> Result<(), ValueError> {
    match IpAddress::parse(s) {
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Parses `b[start..end]` as IPv4 (no `:`) or IPv6 (contains `:`).
pub(crate) const fn parse_ip(b: &[u8], start: usize, end: usize) -> Result<IpAddr, &'static str> {
    if start >= end {
        return Err(EMPTY);
    }
    if super::scan::find(b, start, end, b':') < end {
        match parse_v6(b, start, end) {
            Ok(a) => Ok(IpAddr::V6(a)),
            Err(e) => Err(e),
        }
    } else {
        match parse_v4(b, start, end) {
            Ok(a) => Ok(IpAddr::V4(a)),
            Err(e) => Err(e),
        }
    }
}

/// Parses `b[start..end]` as a dotted-quad IPv4 address.
pub(crate) const fn parse_v4(b: &[u8], start: usize, end: usize) -> Result<Ipv4Addr, &'static str> {
    let mut parts = [0u8; 4];
    let mut n = 0;
    let mut i = start;
    loop {
        let part_start = i;
        let mut v: u32 = 0;
        while i < end && b[i] != b'.' {
            if !b[i].is_ascii_digit() {
                return Err(V4_CHARS);
            }
            if v <= 255 {
                v = v * 10 + (b[i] - b'0') as u32;
            }
            i += 1;
        }
        let len = i - part_start;
        if len == 0 || n == 4 {
            return Err(V4_PARTS);
        }
        if v > 255 {
            return Err(V4_RANGE);
        }
        if len > 1 && b[part_start] == b'0' {
            return Err(V4_ZERO);
        }
        parts[n] = v as u8;
        n += 1;
        if i == end {
            break;
        }
        i += 1; // the dot
    }
    if n != 4 {
        return Err(V4_PARTS);
    }
    Ok(Ipv4Addr::new(parts[0], parts[1], parts[2], parts[3]))
}

/// Parses `b[start..end]` as an IPv6 address.
pub(crate) const fn parse_v6(b: &[u8], start: usize, end: usize) -> Result<Ipv6Addr, &'static str> {
    let mut groups = [0u16; 8];
    let mut n = 0usize;
    let mut gap = usize::MAX; // number of groups before `::`, if any
    let mut i = start;
    if i >= end {
        return Err(EMPTY);
    }
    if b[i] == b':' {
        if i + 1 < end && b[i + 1] == b':' {
            gap = 0;
            i += 2;
        } else {
            return Err(V6_COLON);
        }
    }
    while i < end {
        let tok = i;
        let mut has_dot = false;
        while i < end && b[i] != b':' {
            if b[i] == b'.' {
                has_dot = true;
            }
            i += 1;
        }
        if tok == i {
            // `:::` or similar
            return Err(V6_DOUBLE);
        }
        if has_dot {
            if i != end || n > 6 {
                return Err(V6_V4);
            }
            match parse_v4(b, tok, i) {
                Ok(v4) => {
                    let o = v4.octets();
                    groups[n] = ((o[0] as u16) << 8) | o[1] as u16;
                    groups[n + 1] = ((o[2] as u16) << 8) | o[3] as u16;
                    n += 2;
                }
                Err(_) => return Err(V6_V4),
            }
            break;
        }
        if i - tok > 4 {
            return Err(V6_GROUP);
        }
        let mut v: u16 = 0;
        let mut j = tok;
        while j < i {
            match hex_value(b[j]) {
                Some(d) => v = (v << 4) | d,
                None => return Err(V6_GROUP),
            }
            j += 1;
        }
        if n == 8 {
            return Err(V6_COUNT);
        }
        groups[n] = v;
        n += 1;
        if i == end {
            break;
        }
        i += 1; // the colon
        if i < end && b[i] == b':' {
            if gap != usize::MAX {
                return Err(V6_DOUBLE);
            }
            gap = n;
            i += 1;
        } else if i == end {
            return Err(V6_COLON);
        }
    }
    let mut out = [0u16; 8];
    if gap == usize::MAX {
        if n != 8 {
            return Err(V6_COUNT);
        }
        out = groups;
    } else {
        if n > 7 {
            return Err(V6_COUNT);
        }
        let mut k = 0;
        while k < gap {
            out[k] = groups[k];
            k += 1;
        }
        let tail = n - gap;
        let mut k = 0;
        while k < tail {
            out[8 - tail + k] = groups[gap + k];
            k += 1;
        }
    }
    Ok(Ipv6Addr::new(
        out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7],
    ))
}

impl FromStr for IpAddress {
    type Err = ParseValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IpAddress::parse(s).map_err(|e| ParseValueError::new(s, e))
    }
}

impl fmt::Display for IpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<IpAddr> for IpAddress {
    fn from(ip: IpAddr) -> Self {
        IpAddress(ip)
    }
}

impl From<IpAddress> for IpAddr {
    fn from(ip: IpAddress) -> Self {
        ip.0
    }
}

super::string_value!(IpAddress, ValueKind::IpAddress);

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;
    use crate::tests::{assert_invalid, assert_valid_roundtrip};

    #[test]
    fn valid_addresses() {
        for (input, expected) in [
            ("0.0.0.0", "0.0.0.0"),
            ("192.168.1.10", "192.168.1.10"),
            ("255.255.255.255", "255.255.255.255"),
            ("10.0.0.1", "10.0.0.1"),
            ("::", "::"),
            ("::1", "::1"),
            ("fd00::", "fd00::"),
            ("fd00::1", "fd00::1"),
            ("2001:DB8::8A2E:370:7334", "2001:db8::8a2e:370:7334"),
            ("2001:db8:0:0:0:0:0:1", "2001:db8::1"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
            ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
            ("::ffff:192.168.1.10", "::ffff:192.168.1.10"),
            ("64:ff9b::10.0.0.1", "64:ff9b::a00:1"),
        ] {
            let ip: IpAddress = assert_valid_roundtrip(input);
            assert_eq!(ip.to_string(), expected, "{input}");
            assert_eq!(ip.get(), input.parse::<IpAddr>().unwrap(), "{input}");
        }
    }

    #[test]
    fn invalid_addresses() {
        for (input, fragment) in [
            ("", "it is empty"),
            ("192.168.1.300", "each part must be 0-255"),
            ("256.0.0.1", "each part must be 0-255"),
            ("192.168.1", "exactly four non-empty parts"),
            ("192.168.1.1.1", "exactly four non-empty parts"),
            ("192.168..1", "exactly four non-empty parts"),
            (".1.2.3", "exactly four non-empty parts"),
            ("1.2.3.4.", "exactly four non-empty parts"),
            ("192.168.001.10", "leading zeros"),
            ("192.168.1.x", "only digits and dots"),
            (" 10.0.0.1", "only digits and dots"),
            ("-1.0.0.0", "only digits and dots"),
            ("12345:db8::1", "1-4 hexadecimal digits"),
            ("fd00::g", "1-4 hexadecimal digits"),
            ("fe80::1%eth0", "1-4 hexadecimal digits"),
            ("1:2:3:4:5:6:7", "eight groups"),
            ("1:2:3:4:5:6:7:8:9", "eight groups"),
            ("1:2:3:4::5:6:7:8", "eight groups"),
            ("1::2::3", "only once"),
            (":::", "only once"),
            (":1::", "single `:`"),
            ("1::2:", "single `:`"),
            ("::ffff:1.2.3", "embedded IPv4"),
            ("::1.2.3.4:ffff", "embedded IPv4"),
        ] {
            assert_invalid::<IpAddress>(input, fragment);
        }
    }
}
