//! The time zone the console's pages show times in: a fixed UTC offset
//! (`-03:00`) or a zone of the system's tz database (`America/Sao_Paulo`,
//! read by `tz-rs` from /usr/share/zoneinfo), by default the system's own
//! (`TZ`, else /etc/localtime; UTC when neither reads).
//!
//! Invariants: a named zone gives each moment its own offset (a zone that
//! changes its clocks shows each date as it was there); a zone is read once,
//! when the console starts, and lives as long as the process.

use time::UtcOffset;

/// A time zone, as `time_zone` (or `--time-zone`) names it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Zone {
    Fixed(UtcOffset),
    Named {
        name: &'static str,
        tz: &'static tz::TimeZone,
    },
}

impl Zone {
    pub(crate) const UTC: Zone = Zone::Fixed(UtcOffset::UTC);

    /// `-03:00`, `UTC`, or a tz database name (`America/Sao_Paulo`).
    pub(crate) fn parse(text: &str) -> Result<Zone, String> {
        let t = text.trim();
        if let Ok(offset) = super::i18n::parse_offset(t) {
            return Ok(Zone::Fixed(offset));
        }
        // A name of the database only: never a path, nor a POSIX rule.
        let named = !t.is_empty()
            && !t.starts_with('/')
            && !t.contains("..")
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c));
        let bad = || {
            format!(
                "{t:?} is neither a UTC offset (-03:00, UTC) nor a time zone of the system's \
                 database (America/Sao_Paulo; see /usr/share/zoneinfo)"
            )
        };
        if !named || !t.chars().any(|c| c.is_ascii_alphabetic()) {
            return Err(bad());
        }
        let tz = tz::TimeZone::from_posix_tz(&format!(":{t}")).map_err(|_| bad())?;
        Ok(Zone::Named {
            name: Box::leak(t.to_owned().into_boxed_str()),
            tz: Box::leak(Box::new(tz)),
        })
    }

    /// The system's zone: `TZ` when set, else /etc/localtime; UTC when neither
    /// can be read (said in the log).
    pub(crate) fn system() -> Zone {
        let from_env = std::env::var("TZ").ok().filter(|t| !t.trim().is_empty());
        if let Some(t) = from_env {
            match Zone::parse(t.trim_start_matches(':')) {
                Ok(z) => return z,
                Err(e) => tracing::warn!("TZ: {e}; times are shown in UTC"),
            }
            return Zone::UTC;
        }
        match tz::TimeZone::local() {
            Ok(tz) => Zone::Named {
                name: local_name(),
                tz: Box::leak(Box::new(tz)),
            },
            Err(_) => Zone::UTC,
        }
    }

    /// The offset at `ms` since the epoch.
    pub(crate) fn offset_at(&self, ms: i64) -> UtcOffset {
        match self {
            Zone::Fixed(o) => *o,
            Zone::Named { tz, .. } => tz
                .find_local_time_type(ms.div_euclid(1000))
                .ok()
                .and_then(|t| UtcOffset::from_whole_seconds(t.ut_offset()).ok())
                .unwrap_or(UtcOffset::UTC),
        }
    }

    /// What a page says times are in: `UTC-03:00`, or
    /// `America/Sao_Paulo, UTC-03:00` at `now_ms` (no brackets: pages put
    /// it in their own, `When (America/Sao_Paulo, UTC-03:00)`).
    pub(crate) fn describe(&self, now_ms: i64) -> String {
        let offset = format!("UTC{}", super::i18n::offset_text(self.offset_at(now_ms)));
        match self {
            Zone::Fixed(_) => offset,
            Zone::Named { name, .. } => format!("{name}, {offset}"),
        }
    }
}

/// The name /etc/localtime links to (`America/Sao_Paulo`), else `localtime`.
fn local_name() -> &'static str {
    let name = std::fs::read_link("/etc/localtime")
        .ok()
        .and_then(|p| {
            let text = p.to_string_lossy().into_owned();
            text.split_once("zoneinfo/").map(|(_, n)| n.to_owned())
        })
        .unwrap_or_else(|| "localtime".to_owned());
    Box::leak(name.into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_names_of_the_database() {
        let sp = Zone::parse("-03:00").unwrap();
        assert_eq!(sp.offset_at(0), UtcOffset::from_hms(-3, 0, 0).unwrap());
        for bad in ["/etc/passwd", "../x", "Nowhere/Not_A_Zone", "", "12"] {
            assert!(Zone::parse(bad).is_err(), "{bad}");
        }
        if !std::path::Path::new("/usr/share/zoneinfo/America/Sao_Paulo").exists() {
            eprintln!(
                "*** skipped: no tz database at /usr/share/zoneinfo (apt-get install tzdata) ***"
            );
            return;
        }
        let named = Zone::parse("America/Sao_Paulo").unwrap();
        // 2026-01-15: no daylight saving in Brazil since 2019.
        let jan_2026 = 1_768_435_200_000;
        assert_eq!(
            named.offset_at(jan_2026),
            UtcOffset::from_hms(-3, 0, 0).unwrap()
        );
        // 2018-01-15: Brasília summer time, -02:00.
        let jan_2018 = 1_515_974_400_000;
        assert_eq!(
            named.offset_at(jan_2018),
            UtcOffset::from_hms(-2, 0, 0).unwrap()
        );
        assert_eq!(named.describe(jan_2026), "America/Sao_Paulo, UTC-03:00");
    }
}
