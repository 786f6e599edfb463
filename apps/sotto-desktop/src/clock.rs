// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! The clock the views read: "now" and the local time zone.
//!
//! Views never call `Local::now()` themselves; they ask the [`Clock`] they
//! are given. The app uses the system clock; tests fix both the time and
//! the zone, so "Today", "Yesterday" and "14:05" come out the same on every
//! machine and every day (which snapshot tests need).

use chrono::{DateTime, FixedOffset, Local, NaiveDate, TimeZone as _};

/// Where "now" and the local zone come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    fixed: Option<Fixed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fixed {
    now_ms: i64,
    offset: FixedOffset,
}

impl Clock {
    /// The system clock and the system's time zone.
    pub fn system() -> Self {
        Self::default()
    }

    /// A stopped clock at `now_ms` (Unix milliseconds) in a zone
    /// `offset_seconds` east of UTC; `None` if the offset is out of range.
    pub fn fixed(now_ms: i64, offset_seconds: i32) -> Option<Self> {
        let offset = FixedOffset::east_opt(offset_seconds)?;
        Some(Self {
            fixed: Some(Fixed { now_ms, offset }),
        })
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match self.fixed {
            Some(f) => f.now_ms,
            None => chrono::Utc::now().timestamp_millis(),
        }
    }

    /// A moment (Unix milliseconds) in the local zone; `None` when out of
    /// range.
    pub fn local(&self, ms: i64) -> Option<DateTime<FixedOffset>> {
        match self.fixed {
            Some(f) => f.offset.timestamp_millis_opt(ms).single(),
            None => Local
                .timestamp_millis_opt(ms)
                .single()
                .map(|t| t.fixed_offset()),
        }
    }

    /// Today's date in the local zone.
    pub fn today(&self) -> NaiveDate {
        self.local(self.now_ms())
            .map(|t| t.date_naive())
            .unwrap_or_else(|| Local::now().date_naive())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_keeps_its_time_and_zone() {
        // 2026-12-02 23:30 UTC is already the 3rd one hour east.
        let ms = 1_796_254_200_000;
        let utc = Clock::fixed(ms, 0).unwrap();
        let east = Clock::fixed(ms, 3_600).unwrap();
        assert_eq!(utc.now_ms(), ms);
        assert_eq!(utc.today().to_string(), "2026-12-02");
        assert_eq!(east.today().to_string(), "2026-12-03");
        assert_eq!(
            east.local(ms).map(|t| t.format("%H:%M").to_string()),
            Some("00:30".to_owned())
        );
        assert!(Clock::fixed(ms, 100_000).is_none());
    }
}
