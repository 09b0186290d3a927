//! Small `const fn` byte helpers shared by the validators.

/// A byte range `start..end` into the validated input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Span {
    /// Creates `start..end`.
    pub(crate) const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The text of this span in `s` (run time only).
    pub(crate) fn of(self, s: &str) -> &str {
        &s[self.start..self.end]
    }
}

/// `0-9`.
pub(crate) const fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}

/// `a-z` or `0-9`.
pub(crate) const fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// Value of a hex digit (either case), or `None`.
pub(crate) const fn hex_value(b: u8) -> Option<u16> {
    match b {
        b'0'..=b'9' => Some((b - b'0') as u16),
        b'a'..=b'f' => Some((b - b'a' + 10) as u16),
        b'A'..=b'F' => Some((b - b'A' + 10) as u16),
        _ => None,
    }
}

/// First index of `needle` in `b[start..end]`, or `end`.
pub(crate) const fn find(b: &[u8], start: usize, end: usize, needle: u8) -> usize {
    let mut i = start;
    while i < end {
        if b[i] == needle {
            return i;
        }
        i += 1;
    }
    end
}

/// Last index of `needle` in `b[start..end]`, or `None`.
pub(crate) const fn rfind(b: &[u8], start: usize, end: usize, needle: u8) -> Option<usize> {
    let mut i = end;
    while i > start {
        i -= 1;
        if b[i] == needle {
            return Some(i);
        }
    }
    None
}

/// Whether `b[start..end]` equals `lit`.
pub(crate) const fn eq_at(b: &[u8], start: usize, end: usize, lit: &[u8]) -> bool {
    if end - start != lit.len() {
        return false;
    }
    let mut i = 0;
    while i < lit.len() {
        if b[start + i] != lit[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Parses `b[start..end]` as a decimal number with no sign and no leading
/// zeros, saturating at `u64::MAX`. `None` if empty, non-digit or `0`-prefixed.
pub(crate) const fn decimal(b: &[u8], start: usize, end: usize) -> Option<u64> {
    if start >= end {
        return None;
    }
    if b[start] == b'0' && end - start > 1 {
        return None;
    }
    let mut v: u64 = 0;
    let mut i = start;
    while i < end {
        if !is_digit(b[i]) {
            return None;
        }
        v = v.saturating_mul(10).saturating_add((b[i] - b'0') as u64);
        i += 1;
    }
    Some(v)
}

/// Whether `pat` occurs in `b[start..end]`.
pub(crate) const fn contains(b: &[u8], start: usize, end: usize, pat: &[u8]) -> bool {
    let mut i = start;
    while i + pat.len() <= end {
        if eq_at(b, i, i + pat.len(), pat) {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether `b` has a number and a unit apart (`10 Gi`, `10 s`): a digit, spaces, a letter.
pub(crate) const fn number_space_unit(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let mut j = i + 1;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            if j > i + 1 && j < b.len() && b[j].is_ascii_alphabetic() {
                return true;
            }
        }
        i += 1;
    }
    false
}
