//! Parsing of the `--timeout` value.

use std::time::Duration;

/// Why a `--timeout` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseTimeoutError {
    /// Nothing was given.
    #[error("the timeout is empty")]
    Empty,
    /// The number part is not a non-negative decimal number.
    #[error("`{0}` is not a number of milliseconds or seconds (try 1500, 1500ms or 1.5s)")]
    NotANumber(String),
    /// The value is under a millisecond, the finest step any network timer here takes; a zero
    /// timeout would make every operation fail at once.
    #[error("the timeout must be at least 1ms")]
    TooShort,
    /// The value does not fit in a duration (over about 584 million years).
    #[error("the timeout `{0}` is too large")]
    TooLarge(String),
}

/// Parses `1500`, `1500ms`, `2s` or `1.5s` into a [`Duration`]; a bare number is milliseconds.
pub fn parse_timeout(text: &str) -> Result<Duration, ParseTimeoutError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ParseTimeoutError::Empty);
    }
    let (number, seconds_per_unit) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 0.001)
    };
    let number = number.trim();
    let well_formed = !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        && number.chars().filter(|&c| c == '.').count() <= 1
        && number != ".";
    if !well_formed {
        return Err(ParseTimeoutError::NotANumber(text.to_owned()));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| ParseTimeoutError::NotANumber(text.to_owned()))?;
    let duration = Duration::try_from_secs_f64(value * seconds_per_unit)
        .map_err(|_| ParseTimeoutError::TooLarge(text.to_owned()))?;
    if duration < Duration::from_millis(1) {
        return Err(ParseTimeoutError::TooShort);
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_numbers_are_milliseconds() {
        assert_eq!(parse_timeout("1500"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn units_are_understood() {
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_timeout("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout(" 3s "), Ok(Duration::from_secs(3)));
    }

    #[test]
    fn bad_values_are_rejected_with_a_reason() {
        assert_eq!(parse_timeout(""), Err(ParseTimeoutError::Empty));
        assert_eq!(parse_timeout("0"), Err(ParseTimeoutError::TooShort));
        assert_eq!(parse_timeout("0.5ms"), Err(ParseTimeoutError::TooShort));
        assert_eq!(parse_timeout("0.001s"), Ok(Duration::from_millis(1)));
        for bad in [
            "-1", "abc", "1.2.3s", "s", "ms", ".", "1e3", "5m", "inf", "NaN",
        ] {
            assert_eq!(
                parse_timeout(bad),
                Err(ParseTimeoutError::NotANumber(bad.to_owned())),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_timeout("99999999999999999999999s"),
            Err(ParseTimeoutError::TooLarge(_))
        ));
    }
}
