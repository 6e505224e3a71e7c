//! Matching: children on the waiting list and the mentors suggested for them. This first part
//! is the ranking rule: every suggestion carries the reasons that made its score, so the
//! coordinator sees why a mentor is first, and a psychologist can check it before approving.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "server")]
pub mod entity;
pub mod groups;
#[cfg(feature = "server")]
pub mod pairs;
#[cfg(feature = "server")]
pub mod reminders;
#[cfg(feature = "server")]
pub mod service;

/// How long before a pair's term or a mentor's contract ends its people are told.
pub const TERM_NOTICE_DAYS: u64 = 60;

/// The document type of a child's consent (signed by the institution or the guardian).
pub const CONSENT: &str = "consent";
/// The document type of a signed guest-visit permission.
pub const GUEST_PERMISSION: &str = "guest_permission";

/// The rules of the documents staff attach to a child's record and to a pair. A new consent
/// (renewed or after a refusal) replaces the previous one, so one is live; a pair may hold one
/// permission per grant of guest visits (a new file for a grant replaces its previous one).
pub fn record_rule(doc_type: &str) -> Option<crate::recruitment::DocumentRule> {
    use crate::recruitment::{Texts, attachment_rule};
    let texts = |kk: &str, ru: &str, en: &str| Texts {
        kk: kk.into(),
        ru: ru.into(),
        en: en.into(),
    };
    match doc_type {
        CONSENT => Some(attachment_rule(
            CONSENT,
            texts("Келісім", "Согласие", "Consent"),
            20,
            1,
        )),
        GUEST_PERMISSION => Some(attachment_rule(
            GUEST_PERMISSION,
            texts(
                "Қонаққа баруға рұқсат",
                "Разрешение на гостевые визиты",
                "Guest-visit permission",
            ),
            20,
            GUEST_PERMISSIONS_PER_PAIR,
        )),
        _ => None,
    }
}

/// How many guest-visit permissions a pair may hold (one per grant; far above any real pair).
pub const GUEST_PERMISSIONS_PER_PAIR: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
}

/// A place on the map (degrees), for the distance to the child's institution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// Great-circle distance in kilometres (haversine; a city's scale needs nothing finer).
pub fn distance_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let r = 6371.0;
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dla = (b.lat - a.lat).to_radians();
    let dlo = (b.lon - a.lon).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().min(1.0).asin()
}

/// What the ranking needs to know about a waiting child (never their confidential needs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildForMatching {
    pub region_id: Option<Uuid>,
    pub languages: Vec<String>,
    pub interests: Vec<String>,
    /// The mentor's gender the child (or their institution) asked for, if any.
    pub preferred_mentor_gender: Option<Gender>,
    /// Where the child's institution is, when known.
    pub institution_at: Option<GeoPoint>,
}

/// What the ranking needs to know about an active mentor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentorForMatching {
    pub id: Uuid,
    pub name: String,
    pub region_id: Option<Uuid>,
    pub languages: Vec<String>,
    pub interests: Vec<String>,
    pub gender: Option<Gender>,
    /// Children the mentor has now, and how many they may have.
    pub mentees: u32,
    pub capacity: u32,
    pub home_at: Option<GeoPoint>,
}

impl MentorForMatching {
    pub fn at_capacity(&self) -> bool {
        self.mentees >= self.capacity
    }
}

/// Why a suggestion scored what it did; each reason carries its points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Reason {
    SameRegion { points: i32 },
    SharedLanguages { languages: Vec<String>, points: i32 },
    SharedInterests { interests: Vec<String>, points: i32 },
    PreferredGender { points: i32 },
    NotPreferredGender { points: i32 },
    FreeCapacity { free: u32, points: i32 },
    Distance { km: u32, points: i32 },
}

impl Reason {
    pub fn points(&self) -> i32 {
        match self {
            Reason::SameRegion { points }
            | Reason::SharedLanguages { points, .. }
            | Reason::SharedInterests { points, .. }
            | Reason::PreferredGender { points }
            | Reason::NotPreferredGender { points }
            | Reason::FreeCapacity { points, .. }
            | Reason::Distance { points, .. } => *points,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Suggestion {
    pub mentor_id: Uuid,
    pub mentor_name: String,
    /// The sum of the reasons' points.
    pub score: i32,
    pub reasons: Vec<Reason>,
}

pub const SAME_REGION: i32 = 30;
pub const PER_LANGUAGE: i32 = 10;
pub const PER_INTEREST: i32 = 5;
pub const MAX_INTERESTS: i32 = 20;
pub const PREFERRED_GENDER: i32 = 15;
pub const NOT_PREFERRED_GENDER: i32 = -40;
pub const PER_FREE_PLACE: i32 = 2;
pub const MAX_FREE_PLACES: i32 = 6;
/// Full points for the same place, one point less per kilometre, none beyond 20 km.
pub const NEAR_KM: i32 = 20;

fn shared(a: &[String], b: &[String]) -> Vec<String> {
    let mut out: Vec<String> = a
        .iter()
        .filter(|x| b.iter().any(|y| y.eq_ignore_ascii_case(x)))
        .map(|x| x.to_lowercase())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The reasons a mentor scores for a child, or `None` when the mentor cannot be suggested at
/// all: no free place, or no language in common (they could not talk).
pub fn reasons(child: &ChildForMatching, m: &MentorForMatching) -> Option<Vec<Reason>> {
    if m.at_capacity() {
        return None;
    }
    let languages = shared(&child.languages, &m.languages);
    if languages.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    if child.region_id.is_some() && child.region_id == m.region_id {
        out.push(Reason::SameRegion {
            points: SAME_REGION,
        });
    }
    out.push(Reason::SharedLanguages {
        points: PER_LANGUAGE * languages.len() as i32,
        languages,
    });
    let interests = shared(&child.interests, &m.interests);
    if !interests.is_empty() {
        out.push(Reason::SharedInterests {
            points: (PER_INTEREST * interests.len() as i32).min(MAX_INTERESTS),
            interests,
        });
    }
    if let Some(wanted) = child.preferred_mentor_gender {
        out.push(if m.gender == Some(wanted) {
            Reason::PreferredGender {
                points: PREFERRED_GENDER,
            }
        } else {
            Reason::NotPreferredGender {
                points: NOT_PREFERRED_GENDER,
            }
        });
    }
    let free = m.capacity - m.mentees;
    out.push(Reason::FreeCapacity {
        free,
        points: (PER_FREE_PLACE * free.min(i32::MAX as u32) as i32).min(MAX_FREE_PLACES),
    });
    if let (Some(a), Some(b)) = (child.institution_at, m.home_at) {
        let km = distance_km(a, b).round().min(u32::MAX as f64) as u32;
        out.push(Reason::Distance {
            km,
            points: (NEAR_KM - km.min(NEAR_KM as u32) as i32).max(0),
        });
    }
    Some(out)
}

/// Ranks the mentors for a child: best score first, then by name and id so the order is
/// stable. Mentors without a free place or a common language are left out.
pub fn suggest(child: &ChildForMatching, mentors: &[MentorForMatching]) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = mentors
        .iter()
        .filter_map(|m| {
            let reasons = reasons(child, m)?;
            Some(Suggestion {
                mentor_id: m.id,
                mentor_name: m.name.clone(),
                score: reasons.iter().map(Reason::points).sum(),
                reasons,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.mentor_name.cmp(&b.mentor_name))
            .then_with(|| a.mentor_id.cmp(&b.mentor_id))
    });
    out
}

// ---------------------------------------------------------------- children

/// Who gave consent for the child to take part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentBy {
    /// The child's institution (orphanage, boarding school, …).
    Institution,
    Guardian,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ConsentInput {
    pub by: ConsentBy,
    /// The person who signed (the institution's director, the guardian).
    pub name: String,
    pub given_on: chrono::NaiveDate,
}

/// A child as staff register them: the minimum a match needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ChildInput {
    pub first_name: String,
    /// The first letter of the family name only.
    pub last_initial: String,
    pub date_of_birth: chrono::NaiveDate,
    pub gender: Gender,
    /// Default: the coordinator's region.
    #[serde(default)]
    pub region_id: Option<Uuid>,
    #[serde(default)]
    pub institution_id: Option<Uuid>,
    /// Language codes (`kk`, `ru`, `en`); at least one.
    pub languages: Vec<String>,
    #[serde(default)]
    pub interests: Vec<String>,
    /// Confidential: staff who work with the child see it; mentors never do.
    #[serde(default)]
    pub needs: Option<String>,
    #[serde(default)]
    pub preferred_mentor_gender: Option<Gender>,
    pub consent: ConsentInput,
}

pub const MAX_CHILD_AGE: i32 = 25;
pub const MAX_INTERESTS_LISTED: usize = 20;

/// The checked, cleaned fields of a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedChild {
    pub first_name: String,
    pub last_initial: String,
    pub languages: Vec<String>,
    pub interests: Vec<String>,
    pub needs: Option<String>,
    pub consent_name: String,
}

/// A young person's name as records keep it: a first name (one line, at most 60 characters)
/// and one letter of the family name, upper-cased.
pub fn check_name(first_name: &str, last_initial: &str) -> Result<(String, String), crate::Error> {
    use crate::Error;
    let first_name = first_name.trim().to_string();
    if first_name.is_empty()
        || first_name.chars().count() > 60
        || first_name.chars().any(char::is_control)
    {
        return Err(Error::invalid("first_name", "error-child-first-name"));
    }
    let mut initial = last_initial.trim().chars();
    let last_initial = match (initial.next(), initial.next()) {
        (Some(c), None) if c.is_alphabetic() => c.to_uppercase().collect::<String>(),
        _ => return Err(Error::invalid("last_initial", "error-child-initial")),
    };
    Ok((first_name, last_initial))
}

impl ChildInput {
    /// Checks the fields against `today` (the organisation's date).
    pub fn check(&self, today: chrono::NaiveDate) -> Result<CheckedChild, crate::Error> {
        use crate::Error;
        let (first_name, last_initial) = check_name(&self.first_name, &self.last_initial)?;
        let oldest = today
            .checked_sub_months(chrono::Months::new(12 * MAX_CHILD_AGE as u32))
            .unwrap_or(chrono::NaiveDate::MIN);
        if self.date_of_birth > today || self.date_of_birth < oldest {
            return Err(Error::invalid("date_of_birth", "error-child-birth-date"));
        }
        let mut languages: Vec<String> = self
            .languages
            .iter()
            .map(|l| l.trim().to_lowercase())
            .collect();
        languages.sort();
        languages.dedup();
        if languages.is_empty() {
            return Err(Error::invalid("languages", "error-child-languages"));
        }
        if languages
            .iter()
            .any(|l| !crate::recruitment::LANGUAGE_CODES.contains(&l.as_str()))
        {
            return Err(Error::invalid("languages", "error-child-languages"));
        }
        let interests = clean_interests(&self.interests)
            .ok_or_else(|| Error::invalid("interests", "error-child-interests"))?;
        let needs = self
            .needs
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if needs.as_ref().is_some_and(|n| n.chars().count() > 2000) {
            return Err(Error::invalid("needs", "error-child-needs"));
        }
        let consent_name = self.consent.name.trim().to_string();
        if consent_name.is_empty() || consent_name.chars().count() > 200 {
            return Err(Error::invalid("consent.name", "error-consent-name"));
        }
        if self.consent.given_on > today || self.consent.given_on < self.date_of_birth {
            return Err(Error::invalid("consent.given_on", "error-consent-date"));
        }
        Ok(CheckedChild {
            first_name,
            last_initial,
            languages,
            interests,
            needs,
            consent_name,
        })
    }
}

/// Whole days a child has waited since `since`.
pub fn waiting_days(
    since: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> u32 {
    u32::try_from((now - since).num_days().max(0)).unwrap_or(u32::MAX)
}

/// Full years of age on `today` (one rule for applicants, children and group members).
pub use crate::recruitment::age_on;

/// A child on the waiting list, as the coordinator's list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct WaitingChild {
    pub id: Uuid,
    /// First name and initial, e.g. "Алия К.".
    pub name: String,
    pub age: u32,
    pub gender: Gender,
    pub region_id: Uuid,
    pub region_name: String,
    pub institution_name: Option<String>,
    pub languages: Vec<String>,
    pub interests: Vec<String>,
    pub waiting_since: chrono::DateTime<chrono::Utc>,
    pub waiting_days: u32,
    /// A match is proposed and waits for the psychologist's decision.
    pub proposed: bool,
}

/// A child's record for the staff who work with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ChildView {
    pub id: Uuid,
    pub first_name: String,
    pub last_initial: String,
    pub date_of_birth: chrono::NaiveDate,
    pub age: u32,
    pub gender: Gender,
    pub region_id: Uuid,
    pub region_name: String,
    pub institution_id: Option<Uuid>,
    pub institution_name: Option<String>,
    pub languages: Vec<String>,
    pub interests: Vec<String>,
    pub needs: Option<String>,
    pub preferred_mentor_gender: Option<Gender>,
    pub consent: ConsentInput,
    /// The consent's signed document and the ones it replaced, oldest first.
    #[serde(default)]
    pub consent_documents: Vec<crate::recruitment::DocumentView>,
    /// `waiting` or `matched`.
    pub status: String,
    pub waiting_since: chrono::DateTime<chrono::Utc>,
    pub waiting_days: u32,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Gender::Female, Gender::Male]
            .into_iter()
            .find(|g| g.as_str() == s)
    }
}

impl ConsentBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentBy::Institution => "institution",
            ConsentBy::Guardian => "guardian",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [ConsentBy::Institution, ConsentBy::Guardian]
            .into_iter()
            .find(|g| g.as_str() == s)
    }
}

/// Interests as the ranking compares them: trimmed, lower-case, sorted, without repeats; `None`
/// when there are too many or one is too long.
pub fn clean_interests(list: &[String]) -> Option<Vec<String>> {
    let mut interests: Vec<String> = list
        .iter()
        .map(|i| i.trim().to_lowercase())
        .filter(|i| !i.is_empty())
        .collect();
    interests.sort();
    interests.dedup();
    (interests.len() <= MAX_INTERESTS_LISTED && interests.iter().all(|i| i.chars().count() <= 40))
        .then_some(interests)
}

// ---------------------------------------------------------------- mentors, matches, pairs

/// What a mentor tells the ranking about themselves; staff set the capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MentorProfileInput {
    #[serde(default)]
    pub gender: Option<Gender>,
    #[serde(default)]
    pub interests: Vec<String>,
    /// Roughly where the mentor lives, for the distance to a child's institution.
    #[serde(default)]
    pub home_at: Option<GeoPoint>,
    /// How many children the mentor may have at once (staff only; 1 to 5).
    #[serde(default)]
    pub capacity: Option<u32>,
}

pub const MAX_CAPACITY: u32 = 5;

impl GeoPoint {
    /// A point on the Earth, or `None`.
    pub fn checked(self) -> Option<GeoPoint> {
        ((-90.0..=90.0).contains(&self.lat) && (-180.0..=180.0).contains(&self.lon)).then_some(self)
    }
    /// Micro-degrees, as stored.
    pub fn to_e6(self) -> (i32, i32) {
        (
            (self.lat * 1e6).round() as i32,
            (self.lon * 1e6).round() as i32,
        )
    }
    pub fn from_e6(lat: Option<i32>, lon: Option<i32>) -> Option<GeoPoint> {
        Some(GeoPoint {
            lat: f64::from(lat?) / 1e6,
            lon: f64::from(lon?) / 1e6,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MentorProfileView {
    pub mentor_id: Uuid,
    pub gender: Option<Gender>,
    pub interests: Vec<String>,
    pub home_at: Option<GeoPoint>,
    pub capacity: u32,
    /// When the mentor acknowledged the programme rules, if they have.
    pub rules_acknowledged_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A coordinator proposes this mentor for this child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MatchProposal {
    pub child_id: Uuid,
    pub mentor_id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MatchDecision {
    Approved,
    Declined,
}

/// The psychologist's decision on a proposed match; a decline needs a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MatchDecisionInput {
    pub decision: MatchDecision,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MatchView {
    pub id: Uuid,
    pub child_id: Uuid,
    pub mentor_id: Uuid,
    pub mentor_name: String,
    pub score: i32,
    pub reasons: Vec<Reason>,
    /// `proposed`, `approved` or `declined`.
    pub status: String,
    pub decision_reason: Option<String>,
    /// The pair the approval made.
    pub pair_id: Option<Uuid>,
}

/// Why a pair ended. Closing before the end of the term needs one of the early reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The term ended as agreed (only on or after its last day).
    TermCompleted,
    MentorWithdrew,
    ChildMoved,
    ChildDeclined,
    Incompatibility,
    Safeguarding,
    Other,
}

impl CloseReason {
    pub const ALL: [CloseReason; 7] = [
        CloseReason::TermCompleted,
        CloseReason::MentorWithdrew,
        CloseReason::ChildMoved,
        CloseReason::ChildDeclined,
        CloseReason::Incompatibility,
        CloseReason::Safeguarding,
        CloseReason::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::TermCompleted => "term_completed",
            CloseReason::MentorWithdrew => "mentor_withdrew",
            CloseReason::ChildMoved => "child_moved",
            CloseReason::ChildDeclined => "child_declined",
            CloseReason::Incompatibility => "incompatibility",
            CloseReason::Safeguarding => "safeguarding",
            CloseReason::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ClosePairInput {
    pub reason: CloseReason,
    /// Required with `other`.
    #[serde(default)]
    pub note: String,
}

/// The close rule: the reason fits the date, and `other` says what happened. Returns the
/// cleaned note.
pub fn check_close(
    input: &ClosePairInput,
    ends_on: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<Option<String>, crate::Error> {
    use crate::Error;
    let note = input.note.trim();
    if note.chars().count() > 2000 {
        return Err(Error::invalid("note", "error-text-too-long"));
    }
    if input.reason == CloseReason::TermCompleted && today < ends_on {
        return Err(Error::invalid("reason", "error-pair-term-not-ended"));
    }
    if input.reason == CloseReason::Other && note.is_empty() {
        return Err(Error::invalid("note", "error-pair-close-note"));
    }
    Ok((!note.is_empty()).then(|| note.to_string()))
}

/// Permission for weekend and holiday visits at the mentor's home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GuestVisitsInput {
    pub from_on: chrono::NaiveDate,
    pub until_on: chrono::NaiveDate,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GuestVisitsView {
    pub id: Uuid,
    pub pair_id: Uuid,
    pub from_on: chrono::NaiveDate,
    pub until_on: chrono::NaiveDate,
    pub approved_by: String,
    pub note: String,
    /// The signed permission, once uploaded.
    pub document: Option<crate::recruitment::DocumentView>,
}

/// A mentor's own work, for their start page (issue 20): their active pairs and the groups
/// they are assigned to now, each with its standing, whatever other roles they hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentorDesk {
    pub pairs: Vec<PairView>,
    pub groups: Vec<groups::GroupView>,
    /// They have acknowledged the programme's rules (asked once, on their profile page).
    pub rules_acknowledged: bool,
}

/// A pair as staff see it, with where it stands against the programme's cadence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PairView {
    pub id: Uuid,
    pub child_id: Uuid,
    /// First name and initial.
    pub child_name: String,
    pub child_age: u32,
    pub mentor_id: Uuid,
    pub mentor_name: String,
    pub region_id: Uuid,
    pub programme_name: String,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    /// `active` or `closed`.
    pub status: String,
    pub close_reason: Option<CloseReason>,
    pub closed_on: Option<chrono::NaiveDate>,
    pub last_meeting: Option<chrono::NaiveDate>,
    /// Only for active pairs.
    pub standing: Option<crate::support::Standing>,
    pub guest_visits: Vec<GuestVisitsView>,
    /// The child's languages and interests: what a mentor needs, never their needs.
    pub child_languages: Vec<String>,
    pub child_interests: Vec<String>,
}

/// Everything held about one child, for the organisation's admin (a subject access request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ChildExport {
    pub child: ChildView,
    pub matches: Vec<MatchView>,
    pub pairs: Vec<PairView>,
    pub meetings: Vec<crate::support::MeetingView>,
    pub consultations: Vec<crate::support::ConsultationView>,
    pub concerns: Vec<crate::support::ConcernView>,
    /// Every document about the child: consents, guest-visit permissions and protocols'
    /// attachments (the details; the files are downloaded one by one).
    pub documents: Vec<crate::recruitment::DocumentView>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LANGS: [&str; 3] = ["kk", "ru", "en"];
    const INTERESTS: [&str; 6] = ["football", "drawing", "music", "chess", "coding", "dance"];

    fn subset(all: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
        proptest::sample::subsequence(all.to_vec(), 0..=all.len())
            .prop_map(|v| v.into_iter().map(String::from).collect())
    }

    fn point() -> impl Strategy<Value = Option<GeoPoint>> {
        proptest::option::of(
            (43.1f64..43.4, 76.7f64..77.1).prop_map(|(lat, lon)| GeoPoint { lat, lon }),
        )
    }

    fn gender() -> impl Strategy<Value = Option<Gender>> {
        proptest::option::of(prop_oneof![Just(Gender::Female), Just(Gender::Male)])
    }

    fn region() -> impl Strategy<Value = Option<Uuid>> {
        proptest::option::of(prop_oneof![
            Just(Uuid::from_u128(1)),
            Just(Uuid::from_u128(2))
        ])
    }

    fn child() -> impl Strategy<Value = ChildForMatching> {
        (
            region(),
            subset(&LANGS),
            subset(&INTERESTS),
            gender(),
            point(),
        )
            .prop_map(
                |(region_id, languages, interests, preferred_mentor_gender, institution_at)| {
                    ChildForMatching {
                        region_id,
                        languages,
                        interests,
                        preferred_mentor_gender,
                        institution_at,
                    }
                },
            )
    }

    fn mentor() -> impl Strategy<Value = MentorForMatching> {
        (
            any::<u128>(),
            "[A-Z][a-z]{2,6}",
            region(),
            subset(&LANGS),
            subset(&INTERESTS),
            gender(),
            0u32..4,
            1u32..4,
            point(),
        )
            .prop_map(
                |(
                    id,
                    name,
                    region_id,
                    languages,
                    interests,
                    gender,
                    mentees,
                    capacity,
                    home_at,
                )| {
                    MentorForMatching {
                        id: Uuid::from_u128(id),
                        name,
                        region_id,
                        languages,
                        interests,
                        gender,
                        mentees,
                        capacity,
                        home_at,
                    }
                },
            )
    }

    #[test]
    fn a_mentor_at_capacity_is_never_suggested_nor_matched() {
        let child = ChildForMatching {
            region_id: Some(Uuid::from_u128(1)),
            languages: vec!["ru".into()],
            interests: vec![],
            preferred_mentor_gender: None,
            institution_at: None,
        };
        let mut mentor = MentorForMatching {
            id: Uuid::from_u128(7),
            name: "Айгерим".into(),
            region_id: Some(Uuid::from_u128(1)),
            languages: vec!["ru".into()],
            interests: vec![],
            gender: None,
            mentees: 1,
            capacity: 1,
            home_at: None,
        };
        assert!(mentor.at_capacity());
        assert!(reasons(&child, &mentor).is_none());
        assert!(suggest(&child, std::slice::from_ref(&mentor)).is_empty());
        mentor.capacity = 2;
        let s = suggest(&child, std::slice::from_ref(&mentor));
        assert_eq!(s.len(), 1);
        assert!(
            s[0].reasons.contains(&Reason::FreeCapacity {
                free: 1,
                points: s[0]
                    .reasons
                    .iter()
                    .find_map(|r| match r {
                        Reason::FreeCapacity { points, .. } => Some(*points),
                        _ => None,
                    })
                    .unwrap()
            })
        );
    }

    #[test]
    fn a_pair_closes_early_only_with_an_early_reason_and_other_says_what() {
        let (ends, before, after) = (
            chrono::NaiveDate::from_ymd_opt(2028, 10, 31).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2028, 10, 31).unwrap(),
        );
        let close = |reason, note: &str| ClosePairInput {
            reason,
            note: note.into(),
        };
        let code = |r: Result<Option<String>, crate::Error>| match r {
            Err(crate::Error::Invalid { code, .. }) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            code(check_close(
                &close(CloseReason::TermCompleted, ""),
                ends,
                before
            )),
            "error-pair-term-not-ended"
        );
        assert_eq!(
            check_close(&close(CloseReason::TermCompleted, ""), ends, after).unwrap(),
            None
        );
        assert_eq!(
            code(check_close(&close(CloseReason::Other, "  "), ends, before)),
            "error-pair-close-note"
        );
        assert_eq!(
            check_close(&close(CloseReason::Other, " Уехала "), ends, before)
                .unwrap()
                .as_deref(),
            Some("Уехала")
        );
        assert!(check_close(&close(CloseReason::ChildMoved, ""), ends, before).is_ok());
        for r in CloseReason::ALL {
            assert_eq!(CloseReason::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn places_round_trip_through_micro_degrees_and_off_the_map_is_refused() {
        let p = GeoPoint {
            lat: 43.238949,
            lon: 76.889709,
        };
        let (lat, lon) = p.to_e6();
        assert_eq!(GeoPoint::from_e6(Some(lat), Some(lon)), Some(p));
        assert_eq!(GeoPoint::from_e6(Some(lat), None), None);
        assert!(
            GeoPoint {
                lat: 91.0,
                lon: 0.0
            }
            .checked()
            .is_none()
        );
        assert!(
            GeoPoint {
                lat: 0.0,
                lon: -181.0
            }
            .checked()
            .is_none()
        );
        assert!(p.checked().is_some());
    }

    proptest! {
        /// Best first; each score is the sum of its reasons; nobody without a free place or a
        /// common language; every mentor at most once.
        #[test]
        fn suggestions_are_ranked_by_the_sum_of_their_reasons(c in child(), ms in proptest::collection::vec(mentor(), 0..12)) {
            let out = suggest(&c, &ms);
            for w in out.windows(2) {
                prop_assert!(w[0].score >= w[1].score);
            }
            for s in &out {
                prop_assert_eq!(s.score, s.reasons.iter().map(Reason::points).sum::<i32>());
                let m = ms.iter().find(|m| m.id == s.mentor_id).unwrap();
                prop_assert!(!m.at_capacity());
                prop_assert!(!shared(&c.languages, &m.languages).is_empty());
            }
            let mut ids: Vec<Uuid> = out.iter().map(|s| s.mentor_id).collect();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), out.len());
            let eligible = ms.iter().filter(|m| reasons(&c, m).is_some()).count();
            prop_assert_eq!(out.len(), eligible, "nobody eligible is dropped");
        }

        /// More in common never lowers a mentor's score: a shared interest added, the same region.
        #[test]
        fn more_in_common_never_scores_less(c in child(), m in mentor(), extra in proptest::sample::select(INTERESTS.to_vec())) {
            if let Some(before) = reasons(&c, &m) {
                let before: i32 = before.iter().map(Reason::points).sum();
                let mut closer = m.clone();
                if c.interests.iter().any(|i| i == extra) && !closer.interests.iter().any(|i| i == extra) {
                    closer.interests.push(extra.to_string());
                }
                if c.region_id.is_some() {
                    closer.region_id = c.region_id;
                }
                let after: i32 = reasons(&c, &closer).unwrap().iter().map(Reason::points).sum();
                prop_assert!(after >= before, "{before} -> {after}");
            }
        }

        /// Living nearer the child's institution never lowers the score.
        #[test]
        fn nearer_never_scores_less(c in child(), m in mentor()) {
            if let (Some(at), Some(home), Some(_)) = (c.institution_at, m.home_at, reasons(&c, &m)) {
                let mut nearer = m.clone();
                nearer.home_at = Some(GeoPoint { lat: (home.lat + at.lat) / 2.0, lon: (home.lon + at.lon) / 2.0 });
                let score = |m: &MentorForMatching| reasons(&c, m).unwrap().iter().map(Reason::points).sum::<i32>();
                prop_assert!(score(&nearer) >= score(&m));
            }
        }
    }

    fn child_input() -> ChildInput {
        ChildInput {
            first_name: " Алия ".into(),
            last_initial: "к".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(2014, 5, 2).unwrap(),
            gender: Gender::Female,
            region_id: None,
            institution_id: None,
            languages: vec!["KK".into(), "ru".into(), "kk".into()],
            interests: vec!["Рисование".into(), " ".into()],
            needs: Some("  ".into()),
            preferred_mentor_gender: None,
            consent: ConsentInput {
                by: ConsentBy::Institution,
                name: "Директор Д. Ахметова".into(),
                given_on: chrono::NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(),
            },
        }
    }

    #[test]
    fn a_child_is_registered_with_cleaned_minimal_data_and_each_bad_field_is_named() {
        let today = chrono::NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
        let ok = child_input().check(today).unwrap();
        assert_eq!(ok.first_name, "Алия");
        assert_eq!(ok.last_initial, "К");
        assert_eq!(ok.languages, vec!["kk", "ru"]);
        assert_eq!(ok.interests, vec!["рисование"]);
        assert_eq!(ok.needs, None);
        let field = |f: &dyn Fn(&mut ChildInput)| {
            let mut c = child_input();
            f(&mut c);
            match c.check(today) {
                Err(crate::Error::Invalid { field, .. }) => field,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(field(&|c| c.first_name = " ".into()), "first_name");
        assert_eq!(field(&|c| c.last_initial = "Ка".into()), "last_initial");
        assert_eq!(field(&|c| c.last_initial = "1".into()), "last_initial");
        assert_eq!(
            field(&|c| c.date_of_birth = today.succ_opt().unwrap()),
            "date_of_birth"
        );
        assert_eq!(
            field(&|c| c.date_of_birth = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap()),
            "date_of_birth"
        );
        assert_eq!(field(&|c| c.languages = vec![]), "languages");
        assert_eq!(field(&|c| c.languages = vec!["de".into()]), "languages");
        assert_eq!(
            field(&|c| c.interests = (0..21).map(|i| format!("i{i}")).collect()),
            "interests"
        );
        assert_eq!(field(&|c| c.needs = Some("x".repeat(2001))), "needs");
        assert_eq!(field(&|c| c.consent.name = String::new()), "consent.name");
        assert_eq!(
            field(&|c| c.consent.given_on = today.succ_opt().unwrap()),
            "consent.given_on"
        );
    }

    #[test]
    fn a_mentor_at_capacity_or_without_a_common_language_is_not_suggested() {
        let c = ChildForMatching {
            region_id: None,
            languages: vec!["kk".into()],
            interests: vec![],
            preferred_mentor_gender: None,
            institution_at: None,
        };
        let m = |mentees, langs: &[&str]| MentorForMatching {
            id: Uuid::now_v7(),
            name: "A".into(),
            region_id: None,
            languages: langs.iter().map(|s| s.to_string()).collect(),
            interests: vec![],
            gender: None,
            mentees,
            capacity: 1,
            home_at: None,
        };
        assert!(suggest(&c, &[m(1, &["kk"])]).is_empty(), "at capacity");
        assert!(
            suggest(&c, &[m(0, &["ru"])]).is_empty(),
            "no common language"
        );
        assert_eq!(suggest(&c, &[m(0, &["KK", "ru"])]).len(), 1);
    }

    #[test]
    fn the_reasons_explain_the_order() {
        let region = Uuid::now_v7();
        let c = ChildForMatching {
            region_id: Some(region),
            languages: vec!["kk".into(), "ru".into()],
            interests: vec!["football".into(), "chess".into()],
            preferred_mentor_gender: Some(Gender::Male),
            institution_at: Some(GeoPoint {
                lat: 43.238,
                lon: 76.889,
            }),
        };
        let base = MentorForMatching {
            id: Uuid::now_v7(),
            name: "Арман".into(),
            region_id: Some(region),
            languages: vec!["kk".into()],
            interests: vec!["football".into()],
            gender: Some(Gender::Male),
            mentees: 0,
            capacity: 1,
            home_at: Some(GeoPoint {
                lat: 43.25,
                lon: 76.9,
            }),
        };
        let far_woman = MentorForMatching {
            id: Uuid::now_v7(),
            name: "Айгерим".into(),
            gender: Some(Gender::Female),
            home_at: Some(GeoPoint {
                lat: 43.35,
                lon: 77.05,
            }),
            ..base.clone()
        };
        let out = suggest(&c, &[far_woman.clone(), base.clone()]);
        assert_eq!(out[0].mentor_id, base.id);
        assert!(out[0].reasons.contains(&Reason::PreferredGender {
            points: PREFERRED_GENDER
        }));
        assert!(out[1].reasons.contains(&Reason::NotPreferredGender {
            points: NOT_PREFERRED_GENDER
        }));
        assert!(
            out[0]
                .reasons
                .iter()
                .any(|r| matches!(r, Reason::Distance { km: 2, points: 18 })),
            "{:?}",
            out[0].reasons
        );
    }
}
