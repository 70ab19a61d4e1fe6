//! Small helpers for what the CLI prints.

use chrono::{DateTime, SecondsFormat};

use crate::clock::UnixMillis;
use crate::model::Money;

/// Makes text safe to print on one terminal line: control characters (newlines, escapes, bidi
/// overrides) are shown escaped rather than acted on.
pub(super) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// An error message as one line, whatever its parts contain.
pub(super) fn one_line(message: &str) -> String {
    printable(message)
}

/// RFC 3339 in UTC with milliseconds, as JSON output carries times.
pub(super) fn rfc3339(at: UnixMillis) -> String {
    DateTime::from_timestamp_millis(at)
        .map(|time| time.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// "12 s", "3 min", "2 h", "5 d": how long ago, in the largest whole unit.
pub(super) fn age_words(seconds: i64) -> String {
    match seconds {
        ..60 => format!("{} s", seconds.max(0)),
        60..3_600 => format!("{} min", seconds / 60),
        3_600..86_400 => format!("{} h", seconds / 3_600),
        _ => format!("{} d", seconds / 86_400),
    }
}

/// An exact value in US dollars as people read it: rounded once to cents, thousands grouped
/// (`$1,234.57`); "—" for none.
pub(super) fn usd(exact: Option<&str>) -> String {
    let Some(cents) = exact
        .and_then(|exact| exact.parse::<Money>().ok())
        .map(|value| value.cents())
    else {
        return "—".to_owned();
    };
    let (whole, fraction) = cents.split_once('.').unwrap_or((&cents, "00"));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("${grouped}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            printable("a\nb\u{1b}[31m\u{202e}"),
            "a\\u{a}b\\u{1b}[31m\\u{202e}"
        );
        assert_eq!(printable("plain label ✓"), "plain label ✓");
    }

    #[test]
    fn times_and_ages_read_well() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(age_words(5), "5 s");
        assert_eq!(age_words(150), "2 min");
        assert_eq!(age_words(7_200), "2 h");
        assert_eq!(age_words(200_000), "2 d");
    }

    #[test]
    fn dollars_are_rounded_once_and_grouped() {
        assert_eq!(usd(Some("1234.565")), "$1,234.57");
        assert_eq!(usd(Some("0.0000001")), "$0.00");
        assert_eq!(usd(Some("1000000")), "$1,000,000.00");
        assert_eq!(usd(Some("999")), "$999.00");
        assert_eq!(usd(None), "—");
    }
}
