//! Numbers, sizes, times and dates as the report prints them.

/// `1234567` as `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count in decimal units: `950 B`, `12.3 kB`, `4.56 MB`, `1.20 GB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    format!("{} {unit}", three_digits(v))
}

/// A duration in milliseconds: `0.42 ms`, `12.3 ms`, `450 ms`, `1.25 s`, `3 min 20 s`,
/// `2 h 05 min`.
pub fn ms(v: f64) -> String {
    if !v.is_finite() || v <= 0.0 {
        return "0 ms".to_owned();
    }
    if v < 1000.0 {
        return format!("{} ms", three_digits(v));
    }
    let s = v / 1000.0;
    if s < 60.0 {
        return format!("{} s", three_digits(s));
    }
    let total = s.round() as u64;
    if total < 3600 {
        return format!("{} min {:02} s", total / 60, total % 60);
    }
    format!("{} h {:02} min", total / 3600, (total % 3600) / 60)
}

/// A rate with three significant digits (`7,326`, `12.5`, `0.333`).
pub fn rate(v: f64) -> String {
    if !v.is_finite() || v <= 0.0 {
        return "0".to_owned();
    }
    if v >= 1000.0 {
        return count(v.round() as u64);
    }
    three_digits(v)
}

/// Three significant digits, trailing zeros kept as precision (`1.20`, `45.0`, `950`).
fn three_digits(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Milliseconds since the epoch as `2026-12-01 00:15:03 UTC`.
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A time offset for an axis: `0 s`, `30 s`, `2 min`, `1.5 h`.
pub fn offset(ms: u64) -> String {
    let s = ms as f64 / 1000.0;
    if s < 120.0 {
        format!("{} s", trim(s))
    } else if s < 7200.0 {
        format!("{} min", trim(s / 60.0))
    } else {
        format!("{} h", trim(s / 3600.0))
    }
}

/// A number with at most one decimal, without a trailing `.0`.
pub fn trim(v: f64) -> String {
    let t = format!("{v:.1}");
    t.strip_suffix(".0").map(str::to_owned).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sizes() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(bytes(950), "950 B");
        assert_eq!(bytes(12_345), "12.3 kB");
        assert_eq!(bytes(4_560_000), "4.56 MB");
        assert_eq!(bytes(1_200_000_000), "1.20 GB");
    }

    #[test]
    fn durations_and_rates() {
        assert_eq!(ms(0.42), "0.420 ms");
        assert_eq!(ms(12.34), "12.3 ms");
        assert_eq!(ms(450.0), "450 ms");
        assert_eq!(ms(1250.0), "1.25 s");
        assert_eq!(ms(200_000.0), "3 min 20 s");
        assert_eq!(ms(7_500_000.0), "2 h 05 min");
        assert_eq!(ms(f64::NAN), "0 ms");
        assert_eq!(rate(7326.4), "7,326");
        assert_eq!(rate(12.5), "12.5");
        assert_eq!(offset(30_000), "30 s");
        assert_eq!(offset(150_000), "2.5 min");
        assert_eq!(offset(9_000_000), "2.5 h");
    }

    #[test]
    fn dates_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_764_566_400_000), "2025-12-01 05:20:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(4_107_542_399_000), "2100-02-28 23:59:59 UTC");
    }
}
