//! [`Quantity`]: a Kubernetes resource quantity such as `512Mi` or `250m`.

use std::fmt;
use std::str::FromStr;

use super::scan::{Span, is_digit};
use super::{FromLiteral, Literal, ParseValueError, ScoreField, ValueError, ValueKind};

const EMPTY: &str = "invalid Kubernetes quantity: it is empty; write a number with an optional suffix, e.g. `512Mi` or `250m`";
const NO_NUMBER: &str =
    "invalid Kubernetes quantity: it must start with a number, e.g. `512Mi` or `250m`";
const SUFFIX: &str = "invalid Kubernetes quantity: unknown suffix; use a binary suffix (Ki, Mi, Gi, Ti, Pi, Ei) or a decimal one (m, k, M, G, T, P, E), e.g. `10Gi` or `500m`";
const EXPONENT: &str = "invalid Kubernetes quantity: the exponent after `e` must be a whole number, e.g. `1e3` or `5E-3`";

/// The suffix of a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Suffix {
    /// A power of 1024 (`Ki` = 1 ... `Ei` = 6).
    Binary(u32),
    /// A power of ten (`n` = -9 ... `E` = 18; no suffix = 0; `e<n>` = n).
    Decimal(i64),
}

/// The parsed parts of a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Parts {
    negative: bool,
    /// Integer digits (possibly empty, as in `.5`).
    int: Span,
    /// Fraction digits (possibly empty).
    frac: Span,
    suffix: Suffix,
}

/// A Kubernetes resource quantity: a signed decimal number and a suffix.
///
/// Suffixes: binary `Ki Mi Gi Ti Pi Ei`, decimal `n u m k M G T P E` (or
/// none), or an exponent `e<int>` / `E<int>`. The text is kept as written;
/// equality is textual (`1Gi != 1024Mi`), so compare magnitudes with
/// [`Quantity::milli_value`] or [`Quantity::to_f64`]. Integer literals are
/// accepted as plain numbers (`cpu = 2`).
///
/// ```
/// use harmony_values::Quantity;
/// let q: Quantity = "512Mi".parse().unwrap();
/// assert_eq!(q.to_f64(), 512.0 * 1024.0 * 1024.0);
/// assert_eq!("250m".parse::<Quantity>().unwrap().milli_value(), Some(250));
/// assert!("10Gb".parse::<Quantity>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Quantity {
    text: String,
    parts: Parts,
}

impl Quantity {
    /// Validates a quantity in a const context; the single validator for this type.
    pub const fn validate(s: &str) -> Result<(), ValueError> {
        match parse(s) {
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The quantity as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The approximate value as a float (`1Ki` is `1024.0`, `500m` is `0.5`).
    pub fn to_f64(&self) -> f64 {
        let p = &self.parts;
        let int = p.int.of(&self.text);
        let frac = p.frac.of(&self.text);
        let number: f64 = format!("{}.{}", if int.is_empty() { "0" } else { int }, frac)
            .trim_end_matches('.')
            .parse()
            .unwrap_or(0.0);
        let magnitude = match p.suffix {
            Suffix::Binary(k) => number * 1024f64.powi(k as i32),
            Suffix::Decimal(e) => number * 10f64.powi(e.clamp(-400, 400) as i32),
        };
        if p.negative { -magnitude } else { magnitude }
    }

    /// The exact value in thousandths (`250m` is `250`, `1Ki` is `1_024_000`),
    /// rounded up towards positive infinity; `None` if it does not fit an `i128`.
    pub fn milli_value(&self) -> Option<i128> {
        let p = &self.parts;
        let b = self.text.as_bytes();
        let mut mantissa: i128 = 0;
        for &c in &b[p.int.start..p.int.end] {
            mantissa = mantissa.checked_mul(10)?.checked_add((c - b'0') as i128)?;
        }
        for &c in &b[p.frac.start..p.frac.end] {
            mantissa = mantissa.checked_mul(10)?.checked_add((c - b'0') as i128)?;
        }
        let frac_len = (p.frac.end - p.frac.start) as i64;
        let (binary, exp10) = match p.suffix {
            Suffix::Binary(k) => (1024i128.checked_pow(k)?, 3 - frac_len),
            Suffix::Decimal(e) => (1, e.saturating_add(3).saturating_sub(frac_len)),
        };
        mantissa = mantissa.checked_mul(binary)?;
        let magnitude_ceil_floor = |m: i128, round_up: bool| -> Option<i128> {
            if exp10 >= 0 {
                let scale = 10i128.checked_pow(u32::try_from(exp10).ok()?);
                match scale {
                    Some(s) => m.checked_mul(s),
                    None if m == 0 => Some(0),
                    None => None,
                }
            } else {
                let divisor = u32::try_from(-exp10)
                    .ok()
                    .and_then(|e| 10i128.checked_pow(e));
                Some(match divisor {
                    Some(d) => m / d + i128::from(round_up && m % d != 0),
                    None => i128::from(round_up && m != 0),
                })
            }
        };
        if p.negative {
            Some(-magnitude_ceil_floor(mantissa, false)?)
        } else {
            magnitude_ceil_floor(mantissa, true)
        }
    }
}

/// Validates a quantity without keeping it.
pub(crate) const fn validate(s: &str) -> Result<(), ValueError> {
    Quantity::validate(s)
}

const NEGATIVE: &str = "invalid Kubernetes quantity: a quantity cannot be negative; write an amount, e.g. `512Mi`, `250m` or `2`";

const fn err(message: &'static str) -> ValueError {
    ValueError::new(ValueKind::Quantity, message)
}

/// The single parser: `[+-] (digits [. digits] | . digits) suffix`.
const fn parse(s: &str) -> Result<Parts, ValueError> {
    if super::scan::number_space_unit(s.as_bytes()) {
        return Err(err(
            "invalid Kubernetes quantity: write the number with its suffix right after it, without a space; the suffixes are Ki, Mi, Gi, Ti, Pi, Ei (binary) and m, k, M, G, T, P, E (decimal), e.g. `10Gi` or `500m`",
        ));
    }
    let b = s.as_bytes();
    let len = b.len();
    if len == 0 {
        return Err(err(EMPTY));
    }
    let mut i = 0;
    // Kubernetes can parse a negative quantity, but nothing Harmony manages (storage, memory,
    // CPU) takes one.
    if b[0] == b'-' {
        return Err(err(NEGATIVE));
    }
    let negative = false;
    if b[0] == b'+' {
        i += 1;
    }
    let int_start = i;
    while i < len && is_digit(b[i]) {
        i += 1;
    }
    let int = Span::new(int_start, i);
    let mut frac = Span::new(i, i);
    if i < len && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < len && is_digit(b[i]) {
            i += 1;
        }
        frac = Span::new(frac_start, i);
    }
    if int.start == int.end && frac.start == frac.end {
        return Err(err(NO_NUMBER));
    }
    let suffix = match parse_suffix(b, i, len) {
        Ok(s) => s,
        Err(e) => return Err(e),
    };
    Ok(Parts {
        negative,
        int,
        frac,
        suffix,
    })
}

/// Parses the suffix `b[i..len]`.
const fn parse_suffix(b: &[u8], i: usize, len: usize) -> Result<Suffix, ValueError> {
    let rest = len - i;
    if rest == 0 {
        return Ok(Suffix::Decimal(0));
    }
    if rest == 2 && b[i + 1] == b'i' {
        return match b[i] {
            b'K' => Ok(Suffix::Binary(1)),
            b'M' => Ok(Suffix::Binary(2)),
            b'G' => Ok(Suffix::Binary(3)),
            b'T' => Ok(Suffix::Binary(4)),
            b'P' => Ok(Suffix::Binary(5)),
            b'E' => Ok(Suffix::Binary(6)),
            _ => Err(err(SUFFIX)),
        };
    }
    if rest == 1 {
        return match b[i] {
            b'n' => Ok(Suffix::Decimal(-9)),
            b'u' => Ok(Suffix::Decimal(-6)),
            b'm' => Ok(Suffix::Decimal(-3)),
            b'k' => Ok(Suffix::Decimal(3)),
            b'M' => Ok(Suffix::Decimal(6)),
            b'G' => Ok(Suffix::Decimal(9)),
            b'T' => Ok(Suffix::Decimal(12)),
            b'P' => Ok(Suffix::Decimal(15)),
            b'E' => Ok(Suffix::Decimal(18)),
            _ => Err(err(SUFFIX)),
        };
    }
    if b[i] == b'e' || b[i] == b'E' {
        let mut j = i + 1;
        let next = b[j];
        if !(is_digit(next) || next == b'+' || next == b'-') {
            return Err(err(SUFFIX));
        }
        let negative = next == b'-';
        if next == b'+' || next == b'-' {
            j += 1;
        }
        if j == len {
            return Err(err(EXPONENT));
        }
        let mut e: i64 = 0;
        while j < len {
            if !is_digit(b[j]) {
                return Err(err(EXPONENT));
            }
            e = e.saturating_mul(10).saturating_add((b[j] - b'0') as i64);
            j += 1;
        }
        return Ok(Suffix::Decimal(if negative { -e } else { e }));
    }
    Err(err(SUFFIX))
}

impl FromStr for Quantity {
    type Err = ParseValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse(s) {
            Ok(parts) => Ok(Quantity {
                text: s.to_owned(),
                parts,
            }),
            Err(e) => Err(ParseValueError::new(s, e)),
        }
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl AsRef<str> for Quantity {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl ScoreField for Quantity {
    const KIND: ValueKind = ValueKind::Quantity;
}

impl FromLiteral for Quantity {
    fn from_literal(lit: Literal) -> Self {
        let parsed = match lit {
            Literal::Str(s) => s.parse::<Quantity>(),
            Literal::Int(n) => n.to_string().parse::<Quantity>(),
            other => {
                super::ensure_literal(ValueKind::Quantity, other);
                unreachable!("only string and integer literals are quantities")
            }
        };
        match parsed {
            Ok(q) => q,
            Err(e) => panic!("{}", e.error),
        }
    }
}

super::string_serde!(Quantity);

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;
    use crate::check_literal;
    use crate::tests::{assert_invalid, assert_valid_roundtrip};

    #[test]
    fn valid_quantities() {
        for (input, milli, float) in [
            ("0", Some(0), 0.0),
            ("1", Some(1000), 1.0),
            ("2", Some(2000), 2.0),
            ("250m", Some(250), 0.25),
            ("0.5", Some(500), 0.5),
            (".5", Some(500), 0.5),
            ("5.", Some(5000), 5.0),
            ("+1.5", Some(1500), 1.5),
            ("1Ki", Some(1_024_000), 1024.0),
            ("512Mi", Some(512 * 1024 * 1024 * 1000), 536_870_912.0),
            ("1.5Gi", Some(1_610_612_736_000), 1_610_612_736.0),
            ("10Gi", Some(10 * (1 << 30) * 1000), 10_737_418_240.0),
            (
                "1Ei",
                Some((1i128 << 60) * 1000),
                1_152_921_504_606_846_976.0,
            ),
            ("100k", Some(100_000_000), 100_000.0),
            ("1M", Some(1_000_000_000), 1e6),
            ("1G", Some(1_000_000_000_000), 1e9),
            ("1T", Some(1_000_000_000_000_000), 1e12),
            ("1P", Some(1_000_000_000_000_000_000), 1e15),
            ("1E", Some(1_000_000_000_000_000_000_000), 1e18),
            ("1n", Some(1), 1e-9),
            ("1u", Some(1), 1e-6),
            ("1500u", Some(2), 1.5e-3),
            ("1e3", Some(1_000_000), 1e3),
            ("1E3", Some(1_000_000), 1e3),
            ("5e-3", Some(5), 5e-3),
            ("12e+2", Some(1_200_000), 1200.0),
        ] {
            let q: Quantity = assert_valid_roundtrip(input);
            assert_eq!(q.milli_value(), milli, "{input}");
            let f = q.to_f64();
            assert!(
                (f - float).abs() <= float.abs() * 1e-12,
                "{input}: {f} != {float}"
            );
        }
        let huge: Quantity = "1e99".parse().unwrap();
        assert_eq!(huge.milli_value(), None);
        let tiny: Quantity = "1e-99".parse().unwrap();
        assert_eq!(tiny.milli_value(), Some(1));
        let extreme: Quantity = "1e-99999999999999999999999".parse().unwrap();
        assert_eq!(extreme.milli_value(), Some(1));
        assert_eq!(extreme.to_f64(), 0.0);
        let zero: Quantity = "0e99".parse().unwrap();
        assert_eq!(zero.milli_value(), Some(0));
    }

    #[test]
    fn invalid_quantities() {
        for (input, fragment) in [
            ("", "it is empty"),
            ("-1.5", "cannot be negative"),
            ("-10Gi", "cannot be negative"),
            (
                "10Gb",
                "unknown suffix; use a binary suffix (Ki, Mi, Gi, Ti, Pi, Ei)",
            ),
            ("10gi", "unknown suffix"),
            ("10KiB", "unknown suffix"),
            ("10K", "unknown suffix"),
            ("1 Gi", "without a space"),
            ("1e", "unknown suffix"),
            ("1.2.3", "unknown suffix"),
            ("1Ex", "unknown suffix"),
            ("Gi", "must start with a number"),
            ("-", "cannot be negative"),
            (".", "must start with a number"),
            ("+.Mi", "must start with a number"),
            (" 1", "must start with a number"),
            ("1e+", "exponent after `e`"),
            ("1e3.5", "exponent after `e`"),
            ("1e-x", "exponent after `e`"),
        ] {
            assert_invalid::<Quantity>(input, fragment);
        }
    }

    #[test]
    fn integer_literals() {
        assert_eq!(check_literal(ValueKind::Quantity, Literal::Int(2)), Ok(()));
        assert_eq!(Quantity::from_literal(Literal::Int(2)).as_str(), "2");
        assert!(check_literal(ValueKind::Quantity, Literal::Float(0.5)).is_err());
    }
}
