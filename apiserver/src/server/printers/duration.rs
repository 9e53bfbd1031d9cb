//! AGE: "how long ago", in two or three significant figures.
//!
//! Every Table has an AGE column, and kubectl prints the cell as the server wrote it, so the
//! server decides how a duration reads. This is upstream's
//! `k8s.io/apimachinery/pkg/util/duration/duration.go` (`HumanDuration`), unit for unit, and
//! `translateTimestampSince` from `pkg/printers/internalversion/printers.go`.
//!
//! The time "now" is always passed in, never read here: the printers stay pure functions
//! and their tests use a fixed clock.

use chrono::{DateTime, TimeDelta, Utc};

/// The AGE cell: how long ago `timestamp` (RFC 3339) was, or `<unknown>` without one
/// (upstream's `translateTimestampSince`).
pub fn age(timestamp: Option<&str>, now: DateTime<Utc>) -> String {
    match timestamp.and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
        Some(t) => human_duration(now.signed_duration_since(t)),
        None => "<unknown>".to_string(),
    }
}

/// A duration with two or three significant figures: `45s`, `119s`, `3m10s`, `70m`, `5h30m`,
/// `47h`, `2d1h`, `367d`, `2y1d`. Upstream's `duration.HumanDuration`, unit for unit.
///
/// Why `119s` and not `1m59s`? Below two minutes seconds are the useful unit (a pod that is
/// "1m" old could be 60 or 119 seconds old). Past that, precision drops as the number grows:
/// `3m10s` up to ten minutes, whole minutes up to three hours, `5h30m` up to eight hours,
/// whole hours up to two days, and so on. Up to a second in the future counts as "0s": the
/// clocks of two machines are never quite equal.
pub fn human_duration(d: TimeDelta) -> String {
    let seconds = d.num_seconds(); // truncates toward zero, like Go's int(d.Seconds())
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = d.num_minutes();
    if minutes < 10 {
        return match seconds % 60 {
            0 => format!("{minutes}m"),
            s => format!("{minutes}m{s}s"),
        };
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = d.num_hours();
    if hours < 8 {
        match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        }
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        match hours % 24 {
            0 => format!("{}d", hours / 24),
            h => format!("{}d{h}h", hours / 24),
        }
    } else if hours < 24 * 365 * 2 {
        format!("{}d", hours / 24)
    } else if hours < 24 * 365 * 8 {
        match (hours / 24) % 365 {
            0 => format!("{}y", hours / 24 / 365),
            dy => format!("{}y{dy}d", hours / 24 / 365),
        }
    } else {
        format!("{}y", hours / 24 / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_duration_matches_upstream_unit_for_unit() {
        let cases: &[(i64, &str)] = &[
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (1, "1s"),
            (70, "70s"),
            (119, "119s"),
            (120, "2m"),
            (190, "3m10s"),
            (599, "9m59s"),
            (600, "10m"),
            (70 * 60, "70m"),
            (179 * 60 + 59, "179m"),
            (3 * 3600, "3h"),
            (5 * 3600 + 30 * 60, "5h30m"),
            (47 * 3600, "47h"),
            (49 * 3600, "2d1h"),
            (72 * 3600, "3d"),
            ((8 * 24 + 2) * 3600, "8d"),
            (367 * 24 * 3600, "367d"),
            ((365 * 2 * 24 + 25) * 3600, "2y1d"),
            ((365 * 8 * 24 + 2) * 3600, "8y"),
        ];
        for (seconds, want) in cases {
            assert_eq!(
                human_duration(TimeDelta::seconds(*seconds)),
                *want,
                "{seconds}s"
            );
        }
    }

    #[test]
    fn age_is_measured_from_the_creation_timestamp_to_the_given_now() {
        let now = DateTime::parse_from_rfc3339("2025-01-01T00:10:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        assert_eq!(age(Some("2025-01-01T00:05:00Z"), now), "5m");
        assert_eq!(age(Some("2025-01-01T00:09:15Z"), now), "45s");
        assert_eq!(age(None, now), "<unknown>");
        assert_eq!(age(Some("yesterday"), now), "<unknown>");
    }
}
