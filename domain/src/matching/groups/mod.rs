//! Youth groups (the Zhas model): a group of a group programme in one region, hosted by an
//! organisation and working on a project, with its members and the mentors assigned to it.
//! Its mentors log one session a month (`crate::support::sessions`); whether a group is
//! overdue is the same rule as for pairs (`crate::support::standing`) with its programme's
//! cadence.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Error;
use crate::support::Standing;

#[cfg(feature = "server")]
pub mod service;

/// Youth-group members are young people, not children of the waiting list: from 10 to 35.
pub const MEMBER_AGES: std::ops::RangeInclusive<u32> = 10..=35;
pub const MAX_GROUP_NAME: usize = 200;
pub const MAX_PROJECT_TEXT: usize = 4000;

/// A new group, as a coordinator or an admin registers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GroupInput {
    /// A group programme of the organisation (its cadence applies).
    pub programme_id: Uuid,
    pub region_id: Uuid,
    pub name: String,
    pub host_organisation: String,
    #[serde(default)]
    pub project: String,
    /// The group's first day; today when absent.
    #[serde(default)]
    pub started_on: Option<NaiveDate>,
}

/// The cleaned texts of a group: name, host organisation, project.
pub type GroupTexts = (String, String, String);

fn one_line(field: &str, text: &str, max: usize, code: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(Error::invalid(field, code));
    }
    Ok(text.to_string())
}

impl GroupInput {
    /// Names are one line; the project is bounded; a group does not start in the future.
    pub fn check(&self, today: NaiveDate) -> Result<GroupTexts, Error> {
        let name = one_line("name", &self.name, MAX_GROUP_NAME, "error-group-name")?;
        let host = one_line(
            "host_organisation",
            &self.host_organisation,
            MAX_GROUP_NAME,
            "error-group-host",
        )?;
        let project = crate::support::clean_text("project", &self.project, MAX_PROJECT_TEXT)?;
        if self.started_on.is_some_and(|d| d > today) {
            return Err(Error::invalid("started_on", "error-group-start"));
        }
        Ok((name, host, project))
    }
}

/// A member joining a group: the minimum, like a child's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GroupMemberInput {
    pub first_name: String,
    /// One letter.
    pub last_initial: String,
    pub date_of_birth: NaiveDate,
}

impl GroupMemberInput {
    /// The cleaned name and initial; the member is of youth-group age (`MEMBER_AGES`) today.
    pub fn check(&self, today: NaiveDate) -> Result<(String, String), Error> {
        let (first_name, last_initial) = super::check_name(&self.first_name, &self.last_initial)?;
        if self.date_of_birth > today
            || !MEMBER_AGES.contains(&crate::recruitment::age_on(self.date_of_birth, today))
        {
            return Err(Error::invalid("date_of_birth", "error-member-age"));
        }
        Ok((first_name, last_initial))
    }
}

/// A mentor to assign to a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GroupMentorInput {
    pub mentor_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GroupMemberView {
    pub id: Uuid,
    /// First name and initial, e.g. "Дана С.".
    pub name: String,
    pub age: u32,
    pub joined_on: NaiveDate,
    /// Set when the member left; they stay in the group's history.
    pub left_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GroupMentorView {
    pub mentor_id: Uuid,
    pub name: String,
    pub assigned_on: NaiveDate,
    pub unassigned_on: Option<NaiveDate>,
}

/// A group as its lists and page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GroupView {
    pub id: Uuid,
    pub name: String,
    pub host_organisation: String,
    pub project: String,
    pub region_id: Uuid,
    pub region_name: String,
    pub programme_id: Uuid,
    pub programme_name: String,
    pub started_on: NaiveDate,
    /// `active` or `closed`.
    pub status: String,
    /// Current and past members, current first.
    pub members: Vec<GroupMemberView>,
    /// Mentors assigned now and before, current first.
    pub mentors: Vec<GroupMentorView>,
    /// The latest session's date.
    pub last_session: Option<NaiveDate>,
    /// Where the group stands against its programme's cadence (active groups).
    pub standing: Option<Standing>,
}

impl GroupView {
    /// Members who have not left.
    pub fn current_members(&self) -> usize {
        self.members.iter().filter(|m| m.left_on.is_none()).count()
    }

    /// Whether `mentor` is assigned to the group now.
    pub fn has_mentor(&self, mentor: Uuid) -> bool {
        self.mentors
            .iter()
            .any(|m| m.mentor_id == mentor && m.unassigned_on.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn group() -> GroupInput {
        GroupInput {
            programme_id: Uuid::nil(),
            region_id: Uuid::nil(),
            name: "  Жас көшбасшылар ".into(),
            host_organisation: "Школа №12".into(),
            project: "Экологический субботник".into(),
            started_on: None,
        }
    }

    #[test]
    fn a_group_needs_a_name_and_a_host_and_cannot_start_tomorrow() {
        let today = day(2026, 11, 22);
        let (name, host, _) = group().check(today).unwrap();
        assert_eq!(name, "Жас көшбасшылар");
        assert_eq!(host, "Школа №12");
        let mut g = group();
        g.name = " ".into();
        assert_eq!(g.check(today).unwrap_err().code(), "error-group-name");
        let mut g = group();
        g.host_organisation = "a\u{7}b".into();
        assert_eq!(g.check(today).unwrap_err().code(), "error-group-host");
        let mut g = group();
        g.started_on = Some(day(2026, 11, 23));
        assert_eq!(g.check(today).unwrap_err().code(), "error-group-start");
        let mut g = group();
        g.project = "x".repeat(MAX_PROJECT_TEXT + 1);
        assert_eq!(g.check(today).unwrap_err().code(), "error-text-too-long");
    }

    #[test]
    fn members_are_of_youth_group_age() {
        let today = day(2026, 11, 22);
        let member = |born| GroupMemberInput {
            first_name: "Дана".into(),
            last_initial: "с".into(),
            date_of_birth: born,
        };
        assert_eq!(
            member(day(2010, 1, 1)).check(today).unwrap(),
            ("Дана".into(), "С".into())
        );
        // Ten today is in; nine is out; thirty-six is out; a birth tomorrow is out.
        assert!(member(day(2016, 11, 22)).check(today).is_ok());
        assert!(member(day(2016, 11, 23)).check(today).is_err());
        assert!(member(day(1990, 11, 21)).check(today).is_err());
        assert!(member(day(2026, 11, 23)).check(today).is_err());
        let mut m = member(day(2010, 1, 1));
        m.last_initial = "Си".into();
        assert_eq!(m.check(today).unwrap_err().code(), "error-child-initial");
    }
}
