//! Resource quantities: `100m` CPU, `500Mi` memory, `1.5`, `2e3`.
//!
//! A pod asks for `cpu: 250m` and a node offers `cpu: "4"`; to compare them the scheduler needs
//! both as integers. Upstream keeps an arbitrary-precision decimal (`resource.Quantity` in
//! `apimachinery/pkg/api/resource/quantity.go`) and asks it for `MilliValue()` (CPU) or `Value()`
//! (memory, pods). We parse straight to those two integers, rounding **up** as upstream does, so
//! `0.1m` CPU still counts as 1 milli-CPU and never as free.
//!
//! The grammar (same as upstream):
//! ```text
//! quantity ::= sign? digits ( "." digits )? suffix
//! suffix   ::= binarySI (Ki Mi Gi Ti Pi Ei) | decimalSI (n u m "" k M G T P E) | ("e"|"E") sign? digits
//! ```
//! Everything is integer arithmetic on `i128`: floating point would turn `0.1` into
//! `0.1000000000000000055...` and round it up to the wrong value.

use thiserror::Error;

/// Why a quantity string was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum QuantityError {
    #[error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {0:?}")]
    Format(String),
    #[error("quantity {0:?} is too large")]
    TooLarge(String),
}

/// A parsed quantity as a fraction `numerator / denominator` (both positive powers of 2 and 10
/// times the digits), so that any scale can be taken without losing precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Exact {
    negative: bool,
    numerator: i128,
    denominator: i128,
}

/// The value of `q` in thousandths, rounded up: what upstream's `MilliValue()` returns.
/// `"100m"` → 100, `"2"` → 2000, `"0.5"` → 500.
pub fn parse_milli(q: &str) -> Result<i64, QuantityError> {
    scaled(q, 1000)
}

/// The value of `q` as a whole number, rounded up: upstream's `Value()`.
/// `"500Mi"` → 524288000, `"1k"` → 1000, `"110"` → 110.
pub fn parse_value(q: &str) -> Result<i64, QuantityError> {
    scaled(q, 1)
}

fn scaled(q: &str, scale: i128) -> Result<i64, QuantityError> {
    let exact = parse(q)?;
    let too_large = || QuantityError::TooLarge(q.to_string());
    let numerator = exact.numerator.checked_mul(scale).ok_or_else(too_large)?;
    // Round away from zero, like upstream's `Quantity.ScaledValue`.
    let magnitude = (numerator + exact.denominator - 1) / exact.denominator;
    let value = if exact.negative {
        -magnitude
    } else {
        magnitude
    };
    i64::try_from(value).map_err(|_| too_large())
}

fn parse(q: &str) -> Result<Exact, QuantityError> {
    let bad = || QuantityError::Format(q.to_string());
    let too_large = || QuantityError::TooLarge(q.to_string());
    let s = q.trim();
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    // Split the number from the suffix at the first character that is not a digit or '.'.
    let split = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(split);
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return Err(bad());
    }
    if fraction.contains('.') {
        return Err(bad());
    }
    // digits = whole followed by fraction; the value is digits / 10^len(fraction).
    let mut digits: i128 = 0;
    for c in whole.chars().chain(fraction.chars()) {
        let d = c.to_digit(10).ok_or_else(bad)? as i128;
        digits = digits
            .checked_mul(10)
            .and_then(|v| v.checked_add(d))
            .ok_or_else(too_large)?;
    }
    let mut numerator = digits;
    let mut denominator = pow(10, fraction.len() as u32).ok_or_else(too_large)?;

    // Binary suffixes multiply by 2^(10k); decimal ones by 10^e (e may be negative).
    let (base, exponent): (i128, i32) = match suffix {
        "" => (10, 0),
        "Ki" => (2, 10),
        "Mi" => (2, 20),
        "Gi" => (2, 30),
        "Ti" => (2, 40),
        "Pi" => (2, 50),
        "Ei" => (2, 60),
        "n" => (10, -9),
        "u" => (10, -6),
        "m" => (10, -3),
        "k" => (10, 3),
        "M" => (10, 6),
        "G" => (10, 9),
        "T" => (10, 12),
        "P" => (10, 15),
        "E" => (10, 18),
        other => {
            let exp = other
                .strip_prefix('e')
                .or_else(|| other.strip_prefix('E'))
                .ok_or_else(bad)?;
            if exp.is_empty() {
                return Err(bad());
            }
            (10, exp.parse::<i32>().map_err(|_| bad())?)
        }
    };
    let factor = pow(base, exponent.unsigned_abs()).ok_or_else(too_large)?;
    if exponent >= 0 {
        numerator = numerator.checked_mul(factor).ok_or_else(too_large)?;
    } else {
        denominator = denominator.checked_mul(factor).ok_or_else(too_large)?;
    }
    Ok(Exact {
        negative: negative && numerator != 0,
        numerator,
        denominator,
    })
}

fn pow(base: i128, exp: u32) -> Option<i128> {
    base.checked_pow(exp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities_become_millicores_rounded_up() {
        for (input, milli) in [
            ("100m", 100),
            ("1", 1000),
            ("0.5", 500),
            ("2.25", 2250),
            ("0.1", 100),
            ("0.1m", 1),
            ("1500u", 2),
            ("4", 4000),
            ("1e3", 1_000_000),
            ("-1", -1000),
        ] {
            assert_eq!(parse_milli(input), Ok(milli), "{input}");
        }
    }

    #[test]
    fn memory_quantities_become_bytes() {
        for (input, bytes) in [
            ("500Mi", 500 * 1024 * 1024),
            ("32Gi", 32 * 1024 * 1024 * 1024),
            ("1k", 1000),
            ("1M", 1_000_000),
            ("128974848", 128_974_848),
            ("129e6", 129_000_000),
            ("1.5Gi", 1_610_612_736),
            ("110", 110),
        ] {
            assert_eq!(parse_value(input), Ok(bytes), "{input}");
        }
    }

    #[test]
    fn malformed_quantities_are_refused_with_the_upstream_message() {
        for input in ["", "abc", "1.2.3", "1Xi", "1e", "Mi", "--1"] {
            let err = parse_value(input).unwrap_err();
            assert!(matches!(err, QuantityError::Format(_)), "{input}: {err}");
        }
    }

    #[test]
    fn values_beyond_i64_are_too_large_not_a_panic() {
        assert!(matches!(
            parse_value("99999999999999999999Ei"),
            Err(QuantityError::TooLarge(_))
        ));
    }
}
