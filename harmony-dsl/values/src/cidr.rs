//! [`Cidr`]: an IP network such as `10.0.0.0/8`.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::ip::parse_ip;
use super::scan::{decimal, find};
use super::{ParseValueError, ValueError, ValueKind};

const NO_SLASH: &str =
    "invalid CIDR: it needs a prefix length after `/`, e.g. `10.0.0.0/8` or `fd00::/64`";
const ADDRESS: &str = "invalid CIDR: the part before `/` must be an IPv4 or IPv6 address, e.g. `10.0.0.0/8` or `fd00::/64`";
const PREFIX_V4: &str = "invalid CIDR: the prefix length after `/` must be 0-32 for an IPv4 network, e.g. `192.168.1.0/24`";
const PREFIX_V6: &str =
    "invalid CIDR: the prefix length after `/` must be 0-128 for an IPv6 network, e.g. `fd00::/64`";
const HOST_V4: &str = "invalid CIDR: the address has bits set after the prefix; write the network address, e.g. `192.168.1.0/24` rather than `192.168.1.10/24`";
const HOST_V6: &str = "invalid CIDR: the address has bits set after the prefix; write the network address, e.g. `fd00:1::/64` rather than `fd00:1::5/64`";

/// An IP network: a network address and a prefix length (IPv4 /0-32, IPv6 /0-128).
///
/// Host bits must be zero, so `192.168.1.10/24` is rejected in favour of
/// `192.168.1.0/24`.
///
/// ```
/// use harmony_values::Cidr;
/// let net: Cidr = "192.168.1.0/24".parse().unwrap();
/// assert!(net.contains("192.168.1.77".parse().unwrap()));
/// assert!("192.168.1.10/24".parse::<Cidr>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    address: IpAddr,
    prefix_len: u8,
}

impl Cidr {
    /// Parses a network in a const context; the single validator for this type.
    pub const fn parse(s: &str) -> Result<Self, ValueError> {
        let b = s.as_bytes();
        let slash = find(b, 0, b.len(), b'/');
        if slash == b.len() {
            return Err(err(NO_SLASH));
        }
        let address = match parse_ip(b, 0, slash) {
            Ok(a) => a,
            Err(_) => return Err(err(ADDRESS)),
        };
        let prefix = decimal(b, slash + 1, b.len());
        match address {
            IpAddr::V4(a) => {
                let p = match prefix {
                    Some(p) if p <= 32 => p as u32,
                    _ => return Err(err(PREFIX_V4)),
                };
                let host_mask = if p == 32 { 0 } else { u32::MAX >> p };
                if a.to_bits() & host_mask != 0 {
                    return Err(err(HOST_V4));
                }
                Ok(Cidr {
                    address,
                    prefix_len: p as u8,
                })
            }
            IpAddr::V6(a) => {
                let p = match prefix {
                    Some(p) if p <= 128 => p as u32,
                    _ => return Err(err(PREFIX_V6)),
                };
                let host_mask = if p == 128 { 0 } else { u128::MAX >> p };
                if a.to_bits() & host_mask != 0 {
                    return Err(err(HOST_V6));
                }
                Ok(Cidr {
                    address,
                    prefix_len: p as u8,
                })
            }
        }
    }

    /// The network address (host bits are zero).
    pub const fn address(&self) -> IpAddr {
        self.address
    }

    /// The prefix length in bits.
    pub const fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether `ip` lies inside this network (always false across IP versions).
    pub const fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix_len == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix_len as u32)
                };
                ip.to_bits() & mask == net.to_bits()
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix_len == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix_len as u32)
                };
                ip.to_bits() & mask == net.to_bits()
            }
            _ => false,
        }
    }
}

const fn err(message: &'static str) -> ValueError {
    ValueError::new(ValueKind::Cidr, message)
}

/// Validates a network without keeping it.
pub(crate) const fn validate(s: &str) -> Result<(), ValueError> {
    match Cidr::parse(s) {
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}

impl FromStr for Cidr {
    type Err = ParseValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cidr::parse(s).map_err(|e| ParseValueError::new(s, e))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

super::string_value!(Cidr, ValueKind::Cidr);

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;
    use crate::tests::{assert_invalid, assert_valid_roundtrip};

    #[test]
    fn valid_networks() {
        for (input, display, prefix) in [
            ("10.0.0.0/8", "10.0.0.0/8", 8),
            ("0.0.0.0/0", "0.0.0.0/0", 0),
            ("192.168.1.0/24", "192.168.1.0/24", 24),
            ("192.168.1.10/32", "192.168.1.10/32", 32),
            ("172.16.0.0/12", "172.16.0.0/12", 12),
            ("::/0", "::/0", 0),
            ("fd00::/8", "fd00::/8", 8),
            ("fd00:1::/64", "fd00:1::/64", 64),
            ("2001:DB8::/32", "2001:db8::/32", 32),
            ("::1/128", "::1/128", 128),
        ] {
            let net: Cidr = assert_valid_roundtrip(input);
            assert_eq!(net.to_string(), display);
            assert_eq!(net.prefix_len(), prefix);
        }
    }

    #[test]
    fn invalid_networks() {
        for (input, fragment) in [
            ("", "prefix length after `/`"),
            ("10.0.0.0", "prefix length after `/`"),
            ("10.0.0.0/", "0-32 for an IPv4 network"),
            ("10.0.0.0/33", "0-32 for an IPv4 network"),
            ("10.0.0.0/08", "0-32 for an IPv4 network"),
            ("10.0.0.0/-1", "0-32 for an IPv4 network"),
            ("10.0.0.0/8/8", "0-32 for an IPv4 network"),
            (
                "10.0.0.0/99999999999999999999999",
                "0-32 for an IPv4 network",
            ),
            ("fd00::/129", "0-128 for an IPv6 network"),
            ("fd00::/x", "0-128 for an IPv6 network"),
            ("10.0.0.256/8", "before `/` must be an IPv4 or IPv6 address"),
            ("/8", "before `/` must be an IPv4 or IPv6 address"),
            (
                "example.com/8",
                "before `/` must be an IPv4 or IPv6 address",
            ),
            ("10.0.0.1/8", "write the network address"),
            ("192.168.1.10/24", "`192.168.1.0/24` rather than"),
            ("0.0.0.1/0", "write the network address"),
            ("fd00:1::5/64", "`fd00:1::/64` rather than"),
        ] {
            assert_invalid::<Cidr>(input, fragment);
        }
    }

    #[test]
    fn contains() {
        let net: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.255.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains("fe80::1".parse().unwrap()));
    }
}
