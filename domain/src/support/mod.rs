//! Ongoing support: meeting protocols, psychologists' consultations and concerns. This first
//! part is the one definition of "overdue" that every page, the API, the reminders and the
//! reports use: a pair (or a group) is overdue when no meeting was logged within the
//! programme's cadence since the last one (or since the pair began).

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::recruitment::Cadence;

/// When the next meeting is due after `since` (the last meeting, or the start of the pair):
/// a week later for a weekly cadence, the same day of the next month for a monthly one (the
/// last day of that month when it is shorter, e.g. 31 January → 28 or 29 February).
pub fn next_due(cadence: Cadence, since: NaiveDate) -> NaiveDate {
    match cadence {
        Cadence::Weekly => since + chrono::Days::new(7),
        Cadence::Monthly => since
            .checked_add_months(Months::new(1))
            .unwrap_or(NaiveDate::MAX),
    }
}

/// Where a pair stands against its cadence on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Standing {
    /// The next meeting is due on `due` (today or later).
    OnTrack { due: NaiveDate },
    /// The meeting due on `due` was not logged: `days` days late.
    Overdue { due: NaiveDate, days: u32 },
}

impl Standing {
    pub fn is_overdue(self) -> bool {
        matches!(self, Standing::Overdue { .. })
    }

    /// Days late (0 when on track).
    pub fn days_late(self) -> u32 {
        match self {
            Standing::OnTrack { .. } => 0,
            Standing::Overdue { days, .. } => days,
        }
    }
}

/// The overdue rule. `started_on` is the first day of the pair (or the group's mentoring),
/// `last_meeting` the date of the latest logged meeting, `today` the organisation's date.
/// A meeting logged with a date before the start counts from the start.
pub fn standing(
    cadence: Cadence,
    started_on: NaiveDate,
    last_meeting: Option<NaiveDate>,
    today: NaiveDate,
) -> Standing {
    let since = last_meeting.map_or(started_on, |m| m.max(started_on));
    let due = next_due(cadence, since);
    if today <= due {
        Standing::OnTrack { due }
    } else {
        let days = (today - due).num_days();
        Standing::Overdue {
            due,
            days: u32::try_from(days).unwrap_or(u32::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekly_is_due_seven_days_after_the_last_meeting_and_late_the_day_after() {
        let start = d(2027, 3, 1);
        let met = Some(d(2027, 3, 10));
        assert_eq!(
            standing(Cadence::Weekly, start, met, d(2027, 3, 17)),
            Standing::OnTrack {
                due: d(2027, 3, 17)
            }
        );
        assert_eq!(
            standing(Cadence::Weekly, start, met, d(2027, 3, 18)),
            Standing::Overdue {
                due: d(2027, 3, 17),
                days: 1
            }
        );
        // No meeting yet: counted from the start of the pair.
        assert!(standing(Cadence::Weekly, start, None, d(2027, 3, 9)).is_overdue());
    }

    #[test]
    fn monthly_keeps_the_day_of_month_and_clamps_to_short_months() {
        assert_eq!(next_due(Cadence::Monthly, d(2027, 1, 31)), d(2027, 2, 28));
        assert_eq!(next_due(Cadence::Monthly, d(2028, 1, 31)), d(2028, 2, 29));
        assert_eq!(next_due(Cadence::Monthly, d(2027, 5, 15)), d(2027, 6, 15));
    }

    fn date() -> impl Strategy<Value = NaiveDate> {
        (0i64..3650).prop_map(|n| d(2025, 1, 1) + chrono::Days::new(n as u64))
    }

    fn cadence() -> impl Strategy<Value = Cadence> {
        prop_oneof![Just(Cadence::Weekly), Just(Cadence::Monthly)]
    }

    proptest! {
        /// A meeting logged today (or later) is never overdue today.
        #[test]
        fn a_meeting_today_is_never_overdue(c in cadence(), start in date(), after in 0u64..400) {
            let today = start + chrono::Days::new(after);
            prop_assert!(!standing(c, start, Some(today), today).is_overdue());
        }

        /// Overdue exactly when today is past the due date, by that many days.
        #[test]
        fn overdue_means_past_the_due_date(c in cadence(), start in date(), met in proptest::option::of(date()), today in date()) {
            let s = standing(c, start, met, today);
            let since = met.map_or(start, |m| m.max(start));
            let due = next_due(c, since);
            prop_assert_eq!(s.is_overdue(), today > due);
            prop_assert_eq!(i64::from(s.days_late()), (today - due).num_days().max(0));
        }

        /// Time passing never makes a pair less late; a newer meeting never makes it more late.
        #[test]
        fn lateness_grows_with_time_and_shrinks_with_meetings(
            c in cadence(), start in date(), met in date(), later in 0u64..60, gap in 0u64..60, today in date(),
        ) {
            let tomorrow = today + chrono::Days::new(later);
            prop_assert!(standing(c, start, Some(met), tomorrow).days_late() >= standing(c, start, Some(met), today).days_late());
            let newer = met + chrono::Days::new(gap);
            prop_assert!(standing(c, start, Some(newer), today).days_late() <= standing(c, start, Some(met), today).days_late());
        }

        /// The due date is always after the day it counts from, and within a cadence's length.
        #[test]
        fn the_due_date_is_one_cadence_later(c in cadence(), since in date()) {
            let due = next_due(c, since);
            let days = (due - since).num_days();
            match c {
                Cadence::Weekly => prop_assert_eq!(days, 7),
                Cadence::Monthly => prop_assert!((28..=31).contains(&days)),
            }
        }
    }
}
