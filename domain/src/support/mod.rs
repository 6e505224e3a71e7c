//! Ongoing support: meeting protocols, psychologists' consultations and concerns. This first
//! part is the one definition of "overdue" that every page, the API, the reminders and the
//! reports use: a pair (or a group) is overdue when no meeting was logged within the
//! programme's cadence since the last one (or since the pair began).

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::recruitment::Cadence;

#[cfg(feature = "server")]
pub mod entity;
#[cfg(feature = "server")]
pub mod reminders;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod sessions;

/// The document type of a meeting protocol's attachment (a photo, a drawing, a scan).
pub const MEETING_ATTACHMENT: &str = "meeting_attachment";
/// How many files one protocol may carry.
pub const ATTACHMENTS_PER_MEETING: u32 = 5;

/// The rule of a protocol's attachments: checked by the worker (photos lose their metadata,
/// location included), not reviewed by anyone.
pub fn record_rule(doc_type: &str) -> Option<crate::recruitment::DocumentRule> {
    (doc_type == MEETING_ATTACHMENT).then(|| {
        crate::recruitment::attachment_rule(
            MEETING_ATTACHMENT,
            crate::recruitment::Texts {
                kk: "Хаттамаға тіркеме".into(),
                ru: "Вложение к протоколу".into(),
                en: "Protocol attachment".into(),
            },
            20,
            ATTACHMENTS_PER_MEETING,
        )
    })
}

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

/// When the overdue-protocol reminder goes out, per programme: to the mentor once a pair or
/// group is `mentor_days` late, to the region's coordinators once `coordinator_days` late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ReminderDelays {
    pub mentor_days: u32,
    pub coordinator_days: u32,
}

impl Default for ReminderDelays {
    fn default() -> Self {
        ReminderDelays {
            mentor_days: 2,
            coordinator_days: 7,
        }
    }
}

impl ReminderDelays {
    /// Each delay 1–90 days, the coordinator's the longer: the mentor is asked first.
    pub fn check(&self) -> Result<(), crate::Error> {
        let range = 1..=90;
        if !range.contains(&self.mentor_days) || !range.contains(&self.coordinator_days) {
            return Err(crate::Error::invalid("reminders", "error-reminder-range"));
        }
        if self.coordinator_days <= self.mentor_days {
            return Err(crate::Error::invalid("reminders", "error-reminder-order"));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- meeting protocols

/// How long a mentor may correct a protocol after logging it; then it is locked, so what the
/// reports counted stays what was reported.
pub const MEETING_EDIT_DAYS: i64 = 7;

/// Whether a protocol logged at `logged_at` can still be edited at `now`.
pub fn meeting_editable(
    logged_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    now < logged_at + chrono::Duration::days(MEETING_EDIT_DAYS)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MeetingFormat {
    Visit,
    Outing,
    GuestWeekend,
    Call,
    GroupSession,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Mood {
    Good,
    Calm,
    Low,
    Upset,
}

macro_rules! str_enum {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

str_enum!(MeetingFormat { Visit => "visit", Outing => "outing", GuestWeekend => "guest_weekend", Call => "call", GroupSession => "group_session" });
str_enum!(Mood { Good => "good", Calm => "calm", Low => "low", Upset => "upset" });
str_enum!(Severity { Low => "low", Medium => "medium", High => "high", Critical => "critical" });

/// A meeting protocol as the mentor writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MeetingInput {
    pub pair_id: uuid::Uuid,
    pub held_on: NaiveDate,
    /// Length in minutes (1 to 1440).
    pub minutes: u32,
    pub format: MeetingFormat,
    #[serde(default)]
    pub issues: String,
    #[serde(default)]
    pub agreements: String,
    pub mood: Mood,
    #[serde(default)]
    pub next_steps: String,
}

pub const MAX_PROTOCOL_TEXT: usize = 4000;

/// A bounded free text (protocols, projects): trimmed, no control characters but line breaks
/// and tabs.
pub(crate) fn clean_text(field: &str, text: &str, max: usize) -> Result<String, crate::Error> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(crate::Error::invalid(field, "error-text-too-long"));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(crate::Error::invalid(field, "error-text-invalid"));
    }
    Ok(text.to_string())
}

/// The cleaned texts of a protocol: issues, agreements, next steps.
pub type ProtocolTexts = (String, String, String);

impl MeetingInput {
    /// A meeting happens within the pair's term and not in the future; it lasted a
    /// believable time; the texts are bounded. `starts_on` is the pair's first day.
    pub fn check(
        &self,
        starts_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<ProtocolTexts, crate::Error> {
        if self.held_on > today {
            return Err(crate::Error::invalid("held_on", "error-meeting-future"));
        }
        if self.held_on < starts_on {
            return Err(crate::Error::invalid(
                "held_on",
                "error-meeting-before-pair",
            ));
        }
        if !(1..=1440).contains(&self.minutes) {
            return Err(crate::Error::invalid("minutes", "error-meeting-minutes"));
        }
        Ok((
            clean_text("issues", &self.issues, MAX_PROTOCOL_TEXT)?,
            clean_text("agreements", &self.agreements, MAX_PROTOCOL_TEXT)?,
            clean_text("next_steps", &self.next_steps, MAX_PROTOCOL_TEXT)?,
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MeetingView {
    pub id: uuid::Uuid,
    pub pair_id: uuid::Uuid,
    pub mentor_id: uuid::Uuid,
    pub held_on: NaiveDate,
    pub minutes: u32,
    pub format: MeetingFormat,
    pub issues: String,
    pub agreements: String,
    pub mood: Mood,
    pub next_steps: String,
    pub logged_at: chrono::DateTime<chrono::FixedOffset>,
    /// Until when the mentor may still correct it.
    pub editable_until: chrono::DateTime<chrono::FixedOffset>,
    pub locked: bool,
    /// Files attached through the document pipeline, oldest first.
    #[serde(default)]
    pub attachments: Vec<crate::recruitment::DocumentView>,
}

/// A youth group's session, as one of its mentors logs it (one per group per month).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GroupSessionInput {
    pub held_on: NaiveDate,
    /// Length in minutes (1 to 1440).
    pub minutes: u32,
    /// Members present.
    pub attendees: u32,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub agreements: String,
    #[serde(default)]
    pub next_steps: String,
}

/// The first day of `day`'s month: a group's sessions are counted per calendar month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

impl GroupSessionInput {
    /// Like a meeting: not in the future, not before the group began, a believable length,
    /// bounded texts; and no more attendees than the group has members.
    pub fn check(
        &self,
        started_on: NaiveDate,
        today: NaiveDate,
        members: usize,
    ) -> Result<ProtocolTexts, crate::Error> {
        if self.held_on > today {
            return Err(crate::Error::invalid("held_on", "error-meeting-future"));
        }
        if self.held_on < started_on {
            return Err(crate::Error::invalid(
                "held_on",
                "error-session-before-group",
            ));
        }
        if !(1..=1440).contains(&self.minutes) {
            return Err(crate::Error::invalid("minutes", "error-meeting-minutes"));
        }
        if self.attendees as usize > members {
            return Err(crate::Error::invalid(
                "attendees",
                "error-session-attendees",
            ));
        }
        Ok((
            clean_text("topic", &self.topic, MAX_PROTOCOL_TEXT)?,
            clean_text("agreements", &self.agreements, MAX_PROTOCOL_TEXT)?,
            clean_text("next_steps", &self.next_steps, MAX_PROTOCOL_TEXT)?,
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GroupSessionView {
    pub id: uuid::Uuid,
    pub group_id: uuid::Uuid,
    pub mentor_id: uuid::Uuid,
    pub mentor_name: String,
    /// The first day of the month the session counts for.
    pub month: NaiveDate,
    pub held_on: NaiveDate,
    pub minutes: u32,
    pub attendees: u32,
    pub topic: String,
    pub agreements: String,
    pub next_steps: String,
    pub logged_at: chrono::DateTime<chrono::Utc>,
}

/// An active pair that missed its cadence, for the coordinator's list and the reminders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct OverduePair {
    pub pair_id: uuid::Uuid,
    pub child_name: String,
    pub mentor_id: uuid::Uuid,
    pub mentor_name: String,
    pub region_id: uuid::Uuid,
    pub programme_id: uuid::Uuid,
    pub last_meeting: Option<NaiveDate>,
    pub due: NaiveDate,
    pub days_late: u32,
}

// ---------------------------------------------------------------- psychologists

/// A consultation with a mentor, a child, or a pair (name the pair, and both are implied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ConsultationInput {
    #[serde(default)]
    pub mentor_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub child_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub pair_id: Option<uuid::Uuid>,
    pub scheduled_at: chrono::DateTime<chrono::Utc>,
    /// Whether it took place (otherwise it is scheduled).
    #[serde(default)]
    pub held: bool,
    /// Visible to psychologists only.
    #[serde(default)]
    pub notes: String,
}

impl ConsultationInput {
    /// A consultation recorded as held took place: not later than now. One still to come is
    /// scheduled, not held.
    pub fn check_time(&self, now: chrono::DateTime<chrono::Utc>) -> Result<(), crate::Error> {
        if self.held && self.scheduled_at > now {
            return Err(crate::Error::invalid(
                "scheduled_at",
                "error-consultation-held-in-future",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ConsultationView {
    pub id: uuid::Uuid,
    pub region_id: uuid::Uuid,
    pub psychologist_name: String,
    pub mentor_id: Option<uuid::Uuid>,
    pub child_id: Option<uuid::Uuid>,
    pub pair_id: Option<uuid::Uuid>,
    pub scheduled_at: chrono::DateTime<chrono::FixedOffset>,
    /// `scheduled` or `held`.
    pub status: String,
    pub notes: String,
}

// ---------------------------------------------------------------- concerns

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// A safeguarding concern about a child or a pair (a mentor raises it about their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ConcernInput {
    #[serde(default)]
    pub child_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub pair_id: Option<uuid::Uuid>,
    pub severity: Severity,
    pub summary: String,
}

impl ConcernInput {
    pub fn check(&self) -> Result<String, crate::Error> {
        let summary = clean_text("summary", &self.summary, MAX_PROTOCOL_TEXT)?;
        if summary.is_empty() {
            return Err(crate::Error::invalid("summary", "error-concern-summary"));
        }
        if self.child_id.is_none() && self.pair_id.is_none() {
            return Err(crate::Error::invalid("child_id", "error-concern-subject"));
        }
        Ok(summary)
    }
}

/// An action taken on a concern; `resolve` closes it (only once an action is recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ConcernActionInput {
    pub action: String,
    #[serde(default)]
    pub resolve: bool,
}

impl ConcernActionInput {
    pub fn check(&self) -> Result<String, crate::Error> {
        let action = clean_text("action", &self.action, MAX_PROTOCOL_TEXT)?;
        if action.is_empty() {
            return Err(crate::Error::invalid("action", "error-concern-action"));
        }
        Ok(action)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ConcernAction {
    pub at: chrono::DateTime<chrono::FixedOffset>,
    pub by: String,
    pub action: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ConcernView {
    pub id: uuid::Uuid,
    pub region_id: uuid::Uuid,
    pub child_id: Option<uuid::Uuid>,
    pub pair_id: Option<uuid::Uuid>,
    pub severity: Severity,
    pub summary: String,
    pub raised_by: String,
    pub raised_at: chrono::DateTime<chrono::FixedOffset>,
    /// `open` or `resolved`.
    pub status: String,
    pub actions: Vec<ConcernAction>,
    pub resolved_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_consultation_held_is_not_in_the_future() {
        let now = chrono::Utc::now();
        let hour = chrono::Duration::hours(1);
        let input = |held, at| super::ConsultationInput {
            mentor_id: None,
            child_id: None,
            pair_id: None,
            scheduled_at: at,
            held,
            notes: String::new(),
        };
        assert!(input(true, now - hour).check_time(now).is_ok());
        assert!(input(false, now + hour).check_time(now).is_ok());
        let e = input(true, now + hour).check_time(now).unwrap_err();
        assert_eq!(e.code(), "error-consultation-held-in-future");
    }

    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn protocol(held_on: NaiveDate, minutes: u32) -> MeetingInput {
        MeetingInput {
            pair_id: uuid::Uuid::nil(),
            held_on,
            minutes,
            format: MeetingFormat::Visit,
            issues: "  Оценки  ".into(),
            agreements: String::new(),
            mood: Mood::Good,
            next_steps: String::new(),
        }
    }

    #[test]
    fn a_group_session_counts_for_its_month_and_has_no_more_attendees_than_members() {
        assert_eq!(month_of(d(2026, 11, 30)), d(2026, 11, 1));
        assert_eq!(month_of(d(2024, 2, 29)), d(2024, 2, 1));
        let session = |held_on, attendees| GroupSessionInput {
            held_on,
            minutes: 90,
            attendees,
            topic: " Проект ".into(),
            agreements: String::new(),
            next_steps: String::new(),
        };
        let (start, today) = (d(2026, 9, 1), d(2026, 11, 22));
        assert_eq!(
            session(today, 8).check(start, today, 8).unwrap().0,
            "Проект"
        );
        let code = |r: Result<ProtocolTexts, crate::Error>| r.unwrap_err().code().to_string();
        assert_eq!(
            code(session(today, 9).check(start, today, 8)),
            "error-session-attendees"
        );
        assert_eq!(
            code(session(d(2026, 11, 23), 1).check(start, today, 8)),
            "error-meeting-future"
        );
        assert_eq!(
            code(session(d(2026, 8, 31), 1).check(start, today, 8)),
            "error-session-before-group"
        );
        let mut long = session(today, 1);
        long.minutes = 0;
        assert_eq!(code(long.check(start, today, 8)), "error-meeting-minutes");
    }

    #[test]
    fn a_protocol_is_dated_within_the_pair_and_not_ahead_and_its_texts_are_bounded() {
        let (start, today) = (d(2026, 11, 1), d(2026, 11, 20));
        let ok = protocol(d(2026, 11, 19), 60).check(start, today).unwrap();
        assert_eq!(ok.0, "Оценки");
        let code = |p: MeetingInput| match p.check(start, today) {
            Err(crate::Error::Invalid { code, .. }) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(code(protocol(d(2026, 11, 21), 60)), "error-meeting-future");
        assert_eq!(
            code(protocol(d(2026, 10, 31), 60)),
            "error-meeting-before-pair"
        );
        assert_eq!(code(protocol(today, 0)), "error-meeting-minutes");
        assert_eq!(code(protocol(today, 1441)), "error-meeting-minutes");
        let mut long = protocol(today, 60);
        long.next_steps = "я".repeat(MAX_PROTOCOL_TEXT + 1);
        assert_eq!(code(long), "error-text-too-long");
        let mut control = protocol(today, 60);
        control.agreements = "a\u{7}b".into();
        assert_eq!(code(control), "error-text-invalid");
    }

    #[test]
    fn a_protocol_locks_seven_days_after_it_was_logged() {
        let logged = chrono::DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let later = |h: i64| logged + chrono::Duration::hours(h);
        assert!(meeting_editable(logged, later(0)));
        assert!(meeting_editable(logged, later(7 * 24 - 1)));
        assert!(!meeting_editable(logged, later(7 * 24)));
        assert!(!meeting_editable(logged, later(30 * 24)));
    }

    #[test]
    fn a_concern_names_its_subject_and_says_what_happened() {
        let concern = |child: bool, summary: &str| ConcernInput {
            child_id: child.then(uuid::Uuid::nil),
            pair_id: None,
            severity: Severity::High,
            summary: summary.into(),
        };
        assert_eq!(concern(true, " Синяк ").check().unwrap(), "Синяк");
        assert!(matches!(concern(true, "  ").check(),
            Err(crate::Error::Invalid { code, .. }) if code == "error-concern-summary"));
        assert!(matches!(concern(false, "Синяк").check(),
            Err(crate::Error::Invalid { code, .. }) if code == "error-concern-subject"));
        let action = |a: &str| ConcernActionInput {
            action: a.into(),
            resolve: true,
        };
        assert!(action("Позвонили").check().is_ok());
        assert!(action(" ").check().is_err());
        assert!(Severity::Critical > Severity::Low);
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(*s));
        }
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
