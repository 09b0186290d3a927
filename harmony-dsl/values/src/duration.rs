//! [`Duration`]: a Go/Kubernetes style duration such as `1h30m`.

use std::fmt;
use std::str::FromStr;

use super::scan::is_digit;
use super::{ParseValueError, ValueError, ValueKind};

const EMPTY: &str =
    "invalid duration: it is empty; write a number with a unit, e.g. `30s` or `1h30m`";
const NUMBER: &str = "invalid duration: each part must be a whole number followed by a unit (ns, us, ms, s, m, h, d), e.g. `30s` or `1h30m`";
const MISSING_UNIT: &str =
    "invalid duration: a number needs a unit such as `s` or `m`, e.g. `30s` rather than `30`";
const UNIT: &str =
    "invalid duration: unknown unit; use ns, us, ms, s, m, h or d, e.g. `30s`, `1h30m` or `250ms`";
const FRACTION: &str = "invalid duration: fractions are not allowed; combine units instead, e.g. `1h30m` rather than `1.5h`";
const OVERFLOW: &str = "invalid duration: it is too long to represent (over 584 years); use a smaller value, e.g. `365d`";

const NS: u64 = 1;
const US: u64 = 1_000;
const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;
const M: u64 = 60 * S;
const H: u64 = 60 * M;
const D: u64 = 24 * H;

/// A non-negative duration written as `<digits><unit>` parts, e.g. `30s`,
/// `1h30m`, `250ms`.
///
/// Units: `ns`, `us`, `ms`, `s`, `m` (minutes), `h`, `d` (24 hours). Parts may
/// repeat and come in any order; they are summed. Fractions and signs are
/// rejected; a bare `0` is accepted, as in Go. Display is normalised from days down to nanoseconds (`90m` shows
/// as `1h30m`, zero as `0s`). The total must fit `u64` nanoseconds.
///
/// ```
/// use harmony_values::Duration;
/// const TIMEOUT: Duration = match Duration::parse("1h30m") {
///     Ok(d) => d,
///     Err(e) => panic!("{}", e.message()),
/// };
/// assert_eq!(TIMEOUT.as_std(), std::time::Duration::from_secs(5400));
/// assert_eq!("90m".parse::<Duration>().unwrap().to_string(), "1h30m");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Duration {
    nanos: u64,
}

impl Duration {
    /// Parses a duration in a const context; the single validator for this type.
    pub const fn parse(s: &str) -> Result<Self, ValueError> {
        if super::scan::number_space_unit(s.as_bytes()) {
            return Err(err(
                "invalid duration: write each number with its unit right after it, without a space; the units are ns, us, ms, s, m, h and d, e.g. `10s`, `10m` or `1h30m`",
            ));
        }
        let b = s.as_bytes();
        let len = b.len();
        if len == 0 {
            return Err(err(EMPTY));
        }
        if len == 1 && b[0] == b'0' {
            // Go's `time.ParseDuration` accepts a bare zero.
            return Ok(Duration { nanos: 0 });
        }
        let mut total: u64 = 0;
        let mut i = 0;
        while i < len {
            let start = i;
            let mut n: u64 = 0;
            let mut overflow = false;
            while i < len && is_digit(b[i]) {
                match n.checked_mul(10) {
                    Some(v) => match v.checked_add((b[i] - b'0') as u64) {
                        Some(v) => n = v,
                        None => overflow = true,
                    },
                    None => overflow = true,
                }
                i += 1;
            }
            if i == start {
                return Err(err(NUMBER));
            }
            if i == len {
                return Err(err(MISSING_UNIT));
            }
            let (unit, width) = match b[i] {
                b'n' | b'u' | b'm' if i + 1 < len && b[i + 1] == b's' => match b[i] {
                    b'n' => (NS, 2),
                    b'u' => (US, 2),
                    _ => (MS, 2),
                },
                b's' => (S, 1),
                b'm' => (M, 1),
                b'h' => (H, 1),
                b'd' => (D, 1),
                b'.' => return Err(err(FRACTION)),
                _ => return Err(err(UNIT)),
            };
            i += width;
            if overflow {
                return Err(err(OVERFLOW));
            }
            total = match n.checked_mul(unit) {
                Some(part) => match total.checked_add(part) {
                    Some(t) => t,
                    None => return Err(err(OVERFLOW)),
                },
                None => return Err(err(OVERFLOW)),
            };
        }
        Ok(Duration { nanos: total })
    }

    /// A duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Self {
        Duration { nanos }
    }

    /// The length in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// The standard library equivalent.
    pub const fn as_std(self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.nanos)
    }
}

const fn err(message: &'static str) -> ValueError {
    ValueError::new(ValueKind::Duration, message)
}

/// Validates a duration without keeping it.
pub(crate) const fn validate(s: &str) -> Result<(), ValueError> {
    match Duration::parse(s) {
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}

impl FromStr for Duration {
    type Err = ParseValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Duration::parse(s).map_err(|e| ParseValueError::new(s, e))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.nanos;
        for (unit, name) in [
            (D, "d"),
            (H, "h"),
            (M, "m"),
            (S, "s"),
            (MS, "ms"),
            (US, "us"),
            (NS, "ns"),
        ] {
            let n = rest / unit;
            if n > 0 {
                write!(f, "{n}{name}")?;
                rest %= unit;
            }
        }
        Ok(())
    }
}

impl From<Duration> for std::time::Duration {
    fn from(d: Duration) -> Self {
        d.as_std()
    }
}

super::string_value!(Duration, ValueKind::Duration);

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;
    use crate::tests::{assert_invalid, assert_valid_roundtrip};

    #[test]
    fn valid_durations() {
        for (input, nanos, display) in [
            ("0s", 0, "0s"),
            ("0", 0, "0s"),
            ("0ms", 0, "0s"),
            ("30s", 30 * S, "30s"),
            ("1h30m", 90 * M, "1h30m"),
            ("90m", 90 * M, "1h30m"),
            ("250ms", 250 * MS, "250ms"),
            ("1500ms", 1500 * MS, "1s500ms"),
            ("7d", 7 * D, "7d"),
            (
                "1d2h3m4s5ms6us7ns",
                D + 2 * H + 3 * M + 4 * S + 5 * MS + 6 * US + 7,
                "1d2h3m4s5ms6us7ns",
            ),
            ("30s1h", H + 30 * S, "1h30s"),
            ("10s10s", 20 * S, "20s"),
            ("1ns", 1, "1ns"),
            (
                "18446744073709551615ns",
                u64::MAX,
                "213503d23h34m33s709ms551us615ns",
            ),
            ("0010s", 10 * S, "10s"),
        ] {
            let d: Duration = assert_valid_roundtrip(input);
            assert_eq!(d.as_nanos(), nanos, "{input}");
            assert_eq!(d.to_string(), display, "{input}");
            assert_eq!(d.as_std(), std::time::Duration::from_nanos(nanos));
        }
    }

    #[test]
    fn invalid_durations() {
        for (input, fragment) in [
            ("", "it is empty"),
            ("30", "needs a unit"),
            ("00", "needs a unit"),
            ("1h30", "needs a unit"),
            ("s", "whole number followed by a unit"),
            ("-5s", "whole number followed by a unit"),
            (" 5s", "whole number followed by a unit"),
            ("5s ", "whole number followed by a unit"),
            ("5 s", "without a space"),
            ("5sec", "whole number followed by a unit"),
            ("5w", "unknown unit"),
            ("5S", "unknown unit"),
            ("5µs", "unknown unit"),
            ("1.5h", "fractions are not allowed"),
            ("18446744073709551616ns", "too long"),
            ("213504d", "too long"),
            ("213503d24h", "too long"),
        ] {
            assert_invalid::<Duration>(input, fragment);
        }
    }
}
