//! Civil dates in UTC from seconds since the epoch, for the AIX texts that print them (`date` in
//! alt_disk_inst.log, `lslpp -h`, the `.toc` header): one conversion instead of one per printer.

/// Seconds since the epoch now (0 if the clock is before 1970).
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A UTC date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1-12.
    pub month: u32,
    /// Day of the month, 1-31.
    pub day: u32,
    /// Hour, 0-23.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
    /// Day of the week, 0 = Sunday.
    pub weekday: u32,
}

/// The UTC civil date of `secs` seconds since 1970-01-01 (proleptic Gregorian; Howard Hinnant's
/// days-to-civil algorithm).
pub fn civil(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    // 1970-01-01 was a Thursday.
    let weekday = (days + 4).rem_euclid(7) as u32;
    Civil { year, month, day, hour: tod / 3600, minute: tod / 60 % 60, second: tod % 60, weekday }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(
            civil(0),
            Civil { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, weekday: 4 }
        );
        // `date -u -d @1589364000` → Wed May 13 10:00:00 UTC 2020.
        let c = civil(1_589_364_000);
        assert_eq!((c.year, c.month, c.day, c.hour, c.weekday), (2020, 5, 13, 10, 3));
        // A leap day and a date before the epoch.
        let c = civil(951_782_400);
        assert_eq!((c.year, c.month, c.day), (2000, 2, 29));
        let c = civil(-1);
        assert_eq!((c.year, c.month, c.day, c.hour, c.minute, c.second), (1969, 12, 31, 23, 59, 59));
    }
}
