//! Selection: how a submitted application becomes an active mentor. Gated stages per
//! programme, the School of Mentors and other trainings (cohorts, enrolment, waiting list,
//! attendance), the committee's votes and its decision rule.
//!
//! The rules are pure functions over plain types, so the board, the API and the worker all
//! apply the same gate, the same capacity and the same decision rule.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accounts::Role;
use crate::error::Error;

#[cfg(feature = "server")]
pub mod contracts;
#[cfg(feature = "server")]
pub mod entity;
#[cfg(feature = "server")]
pub mod reminders;
#[cfg(feature = "server")]
pub mod results;
#[cfg(feature = "server")]
pub mod service;

// ---------------------------------------------------------------- stages

/// One gate between a submitted application and an active mentor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// Every required document verified by a coordinator.
    Documents,
    /// Psychological testing.
    PsychTest,
    /// Interview with a psychologist.
    Interview,
    /// The School of Mentors: passed by attending a cohort.
    School,
    /// The regional committee's decision, from its members' votes.
    Committee,
    /// The mentor contract signed; passing it makes an active mentor.
    Contract,
}

impl StageKind {
    pub const ALL: [StageKind; 6] = [
        StageKind::Documents,
        StageKind::PsychTest,
        StageKind::Interview,
        StageKind::School,
        StageKind::Committee,
        StageKind::Contract,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Documents => "documents",
            StageKind::PsychTest => "psych_test",
            StageKind::Interview => "interview",
            StageKind::School => "school",
            StageKind::Committee => "committee",
            StageKind::Contract => "contract",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("stage", "error-stage-unknown"))
    }

    pub fn label_key(self) -> String {
        format!("stage-{}", self.as_str().replace('_', "-"))
    }

    /// Stages run by psychologists: their notes are for psychologists only.
    pub fn is_psychological(self) -> bool {
        matches!(self, StageKind::PsychTest | StageKind::Interview)
    }

    /// Stages the candidate comes to at a time and place (an appointment).
    pub fn is_appointment(self) -> bool {
        matches!(self, StageKind::PsychTest | StageKind::Interview)
    }

    /// Stages that end with a score (0–100).
    pub fn has_score(self) -> bool {
        self.is_psychological()
    }
}

/// The default pipeline of seeds 001 and 003.
pub const DEFAULT_STAGES: [StageKind; 6] = StageKind::ALL;

/// A programme's pipeline: at least one stage, none twice, in the product's order (documents
/// come first, a committee decides before a contract, and the contract is last). A programme
/// may leave stages out (a partner without a School of Mentors), not reorder them.
pub fn check_stages(stages: &[StageKind]) -> Result<(), Error> {
    if stages.is_empty() {
        return Err(Error::invalid("stages", "error-stages-empty"));
    }
    if stages.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::invalid("stages", "error-stages-order"));
    }
    Ok(())
}

/// Where one stage of one candidate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    Open,
    Passed,
    Failed,
}

impl StageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StageStatus::Open => "open",
            StageStatus::Passed => "passed",
            StageStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [StageStatus::Open, StageStatus::Passed, StageStatus::Failed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    pub fn label_key(self) -> &'static str {
        match self {
            StageStatus::Open => "stage-status-open",
            StageStatus::Passed => "stage-status-passed",
            StageStatus::Failed => "stage-status-failed",
        }
    }
}

/// The gate: whether `stage` may be opened for a candidate whose stages so far are `records`.
/// It must belong to the programme, not be open or decided already, and the stage before it
/// must have passed; nothing opens after a failed stage.
pub fn check_can_open(
    stages: &[StageKind],
    records: &[(StageKind, StageStatus)],
    stage: StageKind,
) -> Result<(), Error> {
    let Some(position) = stages.iter().position(|s| *s == stage) else {
        return Err(Error::invalid("stage", "error-stage-not-in-programme"));
    };
    if records.iter().any(|(_, s)| *s == StageStatus::Failed) {
        return Err(Error::Conflict("error-candidate-not-selected".into()));
    }
    if records.iter().any(|(k, _)| *k == stage) {
        return Err(Error::Conflict("error-stage-already-open".into()));
    }
    if let Some(previous) = position.checked_sub(1).map(|i| stages[i]) {
        let passed = records
            .iter()
            .any(|(k, s)| *k == previous && *s == StageStatus::Passed);
        if !passed {
            return Err(Error::Conflict("error-stage-previous-not-passed".into()));
        }
    }
    Ok(())
}

/// What the selection has made of a candidate so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Still going through the stages.
    Pending,
    /// The committee approved (or the programme has no committee and every stage before the
    /// contract passed): results day tells them so.
    Selected,
    /// A stage failed.
    NotSelected,
    /// Every stage passed, the contract included.
    Active,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Pending,
        Outcome::Selected,
        Outcome::NotSelected,
        Outcome::Active,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Selected => "selected",
            Outcome::NotSelected => "not_selected",
            Outcome::Active => "active",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label_key(self) -> &'static str {
        match self {
            Outcome::Pending => "outcome-pending",
            Outcome::Selected => "outcome-selected",
            Outcome::NotSelected => "outcome-not-selected",
            Outcome::Active => "outcome-active",
        }
    }
}

/// The outcome that follows from a candidate's stage records.
pub fn outcome_of(stages: &[StageKind], records: &[(StageKind, StageStatus)]) -> Outcome {
    let status = |k: StageKind| records.iter().find(|(s, _)| *s == k).map(|(_, st)| *st);
    if records.iter().any(|(_, s)| *s == StageStatus::Failed) {
        return Outcome::NotSelected;
    }
    if stages
        .iter()
        .all(|s| status(*s) == Some(StageStatus::Passed))
    {
        return Outcome::Active;
    }
    // Selected once everything before the contract has passed (the committee's approval
    // being the last of those when there is a committee).
    let before_contract = stages.iter().filter(|s| **s != StageKind::Contract);
    let mut any = false;
    for s in before_contract {
        any = true;
        if status(*s) != Some(StageStatus::Passed) {
            return Outcome::Pending;
        }
    }
    if any {
        Outcome::Selected
    } else {
        Outcome::Pending
    }
}

/// The stage a candidate is at: the last one opened (open or decided), if any.
pub fn current_stage(
    stages: &[StageKind],
    records: &[(StageKind, StageStatus)],
) -> Option<(StageKind, StageStatus)> {
    stages
        .iter()
        .rev()
        .find_map(|k| records.iter().find(|(s, _)| s == k).copied())
}

/// A stage result as an assessor records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct StageResultInput {
    /// `passed` or `failed`.
    pub decision: String,
    /// 0–100, for the stages that have a score (psychological testing, interview).
    #[serde(default)]
    pub score: Option<i32>,
    /// Notes; on psychological stages visible to psychologists only.
    #[serde(default)]
    pub notes: Option<String>,
    /// Why: required when the stage failed.
    #[serde(default)]
    pub reason: Option<String>,
}

pub const MAX_NOTES: usize = 5000;
pub const MAX_REASON: usize = 1000;

/// A stage result that passed the checks, notes and reason trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedResult {
    pub decision: StageStatus,
    pub score: Option<i32>,
    pub notes: Option<String>,
    pub reason: Option<String>,
}

/// Checks a stage result and returns the decision with the cleaned notes and reason.
pub fn check_stage_result(
    stage: StageKind,
    input: &StageResultInput,
) -> Result<CheckedResult, Error> {
    let decision = match input.decision.trim() {
        "passed" => StageStatus::Passed,
        "failed" => StageStatus::Failed,
        _ => return Err(Error::invalid("decision", "error-stage-decision")),
    };
    let score = match (stage.has_score(), input.score) {
        (true, Some(s)) if (0..=100).contains(&s) => Some(s),
        (true, Some(_)) => return Err(Error::invalid("score", "error-stage-score-range")),
        (true, None) => return Err(Error::invalid("score", "error-stage-score-required")),
        (false, Some(_)) => return Err(Error::invalid("score", "error-stage-score-not-used")),
        (false, None) => None,
    };
    let clean = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let notes = clean(&input.notes);
    if notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTES)
    {
        return Err(Error::invalid("notes", "error-notes-too-long"));
    }
    let reason = clean(&input.reason);
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON)
    {
        return Err(Error::invalid("reason", "error-reason-too-long"));
    }
    if decision == StageStatus::Failed && reason.is_none() {
        return Err(Error::invalid("reason", "error-reason-required"));
    }
    Ok(CheckedResult {
        decision,
        score,
        notes,
        reason,
    })
}

// ---------------------------------------------------------------- committee

/// One committee member's ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    Approve,
    Reject,
    Abstain,
}

impl Vote {
    pub const ALL: [Vote; 3] = [Vote::Approve, Vote::Reject, Vote::Abstain];
    pub fn as_str(self) -> &'static str {
        match self {
            Vote::Approve => "approve",
            Vote::Reject => "reject",
            Vote::Abstain => "abstain",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("vote", "error-vote-unknown"))
    }
    pub fn label_key(self) -> &'static str {
        match self {
            Vote::Approve => "vote-approve",
            Vote::Reject => "vote-reject",
            Vote::Abstain => "vote-abstain",
        }
    }
}

/// How a committee decides, per programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MajorityRule {
    /// More approvals than rejections among the votes cast (abstentions count for the quorum
    /// only); a tie is not an approval.
    #[default]
    SimpleMajority,
    /// At least two thirds of the approvals and rejections are approvals.
    TwoThirds,
    /// No rejection and at least one approval.
    Unanimous,
}

impl MajorityRule {
    pub const ALL: [MajorityRule; 3] = [
        MajorityRule::SimpleMajority,
        MajorityRule::TwoThirds,
        MajorityRule::Unanimous,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            MajorityRule::SimpleMajority => "simple_majority",
            MajorityRule::TwoThirds => "two_thirds",
            MajorityRule::Unanimous => "unanimous",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("committee_rule", "error-committee-rule"))
    }
    pub fn label_key(self) -> &'static str {
        match self {
            MajorityRule::SimpleMajority => "committee-rule-simple-majority",
            MajorityRule::TwoThirds => "committee-rule-two-thirds",
            MajorityRule::Unanimous => "committee-rule-unanimous",
        }
    }
}

/// A programme's committee rule: the majority needed and the quorum (ballots, abstentions
/// included, before anything is decided).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CommitteeRule {
    pub majority: MajorityRule,
    pub quorum: u32,
}

impl Default for CommitteeRule {
    fn default() -> Self {
        CommitteeRule {
            majority: MajorityRule::SimpleMajority,
            quorum: 3,
        }
    }
}

pub const MAX_QUORUM: u32 = 50;

impl CommitteeRule {
    pub fn check(&self) -> Result<(), Error> {
        if !(1..=MAX_QUORUM).contains(&self.quorum) {
            return Err(Error::invalid("committee_quorum", "error-committee-quorum"));
        }
        Ok(())
    }
}

/// What the votes cast so far decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum CommitteeDecision {
    /// Not enough ballots yet.
    NoQuorum {
        cast: u32,
        needed: u32,
    },
    Approved,
    Rejected,
}

/// The committee rule applied to the ballots.
pub fn committee_decision(rule: CommitteeRule, votes: &[Vote]) -> CommitteeDecision {
    let count = |v: Vote| votes.iter().filter(|x| **x == v).count() as u32;
    let (approve, reject) = (count(Vote::Approve), count(Vote::Reject));
    let cast = votes.len() as u32;
    if cast < rule.quorum {
        return CommitteeDecision::NoQuorum {
            cast,
            needed: rule.quorum,
        };
    }
    let approved = match rule.majority {
        MajorityRule::SimpleMajority => approve > reject,
        MajorityRule::TwoThirds => approve > 0 && approve * 3 >= (approve + reject) * 2,
        MajorityRule::Unanimous => approve > 0 && reject == 0,
    };
    if approved {
        CommitteeDecision::Approved
    } else {
        CommitteeDecision::Rejected
    }
}

pub const MAX_COMMENT: usize = 2000;

// ---------------------------------------------------------------- cohorts

/// A School of Mentors cohort, or another training run the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CohortKind {
    /// Its completion passes a candidate's School of Mentors stage.
    #[default]
    School,
    /// Any other training (e.g. the 4-day trainings of youth-group participants).
    Training,
}

impl CohortKind {
    pub const ALL: [CohortKind; 2] = [CohortKind::School, CohortKind::Training];
    pub fn as_str(self) -> &'static str {
        match self {
            CohortKind::School => "school",
            CohortKind::Training => "training",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("kind", "error-cohort-kind"))
    }
    pub fn label_key(self) -> &'static str {
        match self {
            CohortKind::School => "cohort-kind-school",
            CohortKind::Training => "cohort-kind-training",
        }
    }
}

/// A cohort as staff create it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CohortInput {
    #[serde(default)]
    pub kind: CohortKind,
    pub title: String,
    /// The programme whose candidates it trains (a School of Mentors needs one).
    #[serde(default)]
    pub programme_id: Option<Uuid>,
    #[serde(default)]
    pub region_id: Option<Uuid>,
    /// First day, in the organisation's time zone.
    pub starts_on: chrono::NaiveDate,
    /// Number of days (default 2).
    #[serde(default = "default_days")]
    pub days: u32,
    /// Academic hours in all (a School of Mentors has at least 15).
    pub academic_hours: u32,
    #[serde(default)]
    pub place: String,
    /// Users with the trainer role who run it and record attendance.
    #[serde(default)]
    pub trainers: Vec<Uuid>,
    /// Seats (20–25 for a School of Mentors); enrolment beyond goes to the waiting list.
    pub capacity: u32,
    /// Days a participant must attend to complete it (default: all days).
    #[serde(default)]
    pub min_days: Option<u32>,
}

fn default_days() -> u32 {
    2
}

pub const SCHOOL_MIN_HOURS: u32 = 15;
pub const MAX_COHORT_DAYS: u32 = 30;
pub const MAX_CAPACITY: u32 = 200;

impl CohortInput {
    /// Checks the fields; returns the cleaned title and place and the completion rule.
    pub fn check(&self) -> Result<(String, String, u32), Error> {
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(Error::invalid("title", "error-cohort-title"));
        }
        let place = self.place.trim().to_string();
        if place.chars().count() > 300 {
            return Err(Error::invalid("place", "error-cohort-place"));
        }
        if !(1..=MAX_COHORT_DAYS).contains(&self.days) {
            return Err(Error::invalid("days", "error-cohort-days"));
        }
        if self.academic_hours == 0 || self.academic_hours > self.days * 12 {
            return Err(Error::invalid("academic_hours", "error-cohort-hours"));
        }
        if self.kind == CohortKind::School {
            if self.academic_hours < SCHOOL_MIN_HOURS {
                return Err(Error::invalid("academic_hours", "error-school-hours"));
            }
            if self.programme_id.is_none() {
                return Err(Error::invalid("programme_id", "error-school-programme"));
            }
        }
        if !(1..=MAX_CAPACITY).contains(&self.capacity) {
            return Err(Error::invalid("capacity", "error-cohort-capacity"));
        }
        let min_days = self.min_days.unwrap_or(self.days);
        if !(1..=self.days).contains(&min_days) {
            return Err(Error::invalid("min_days", "error-cohort-min-days"));
        }
        Ok((title, place, min_days))
    }
}

/// A participant's place in a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SeatStatus {
    Enrolled,
    Waitlisted,
    Withdrawn,
}

impl SeatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SeatStatus::Enrolled => "enrolled",
            SeatStatus::Waitlisted => "waitlisted",
            SeatStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            SeatStatus::Enrolled,
            SeatStatus::Waitlisted,
            SeatStatus::Withdrawn,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
    pub fn label_key(self) -> &'static str {
        match self {
            SeatStatus::Enrolled => "seat-enrolled",
            SeatStatus::Waitlisted => "seat-waitlisted",
            SeatStatus::Withdrawn => "seat-withdrawn",
        }
    }
}

/// A new participant's seat: enrolled while seats are free, otherwise on the waiting list.
pub fn seat_for_newcomer(enrolled: u32, capacity: u32) -> SeatStatus {
    if enrolled < capacity {
        SeatStatus::Enrolled
    } else {
        SeatStatus::Waitlisted
    }
}

/// Whether a participant who attended `days_present` days completed the cohort.
pub fn completed(days_present: u32, min_days: u32) -> bool {
    days_present >= min_days
}

/// The date of day `day` (1-based) of a cohort starting on `starts_on`.
pub fn day_date(starts_on: chrono::NaiveDate, day: u32) -> chrono::NaiveDate {
    starts_on + chrono::Days::new(u64::from(day.saturating_sub(1)))
}

/// Attendance can be recorded for an existing day that has begun (not for tomorrow).
pub fn check_attendance_day(
    starts_on: chrono::NaiveDate,
    days: u32,
    day: u32,
    today: chrono::NaiveDate,
) -> Result<(), Error> {
    if !(1..=days).contains(&day) {
        return Err(Error::invalid("day", "error-attendance-day"));
    }
    if day_date(starts_on, day) > today {
        return Err(Error::invalid("day", "error-attendance-future-day"));
    }
    Ok(())
}

/// A stage met in person has no result before its appointment: a test not yet taken was
/// neither passed nor failed.
pub fn check_result_after_appointment(
    appointment: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), Error> {
    match appointment {
        Some(at) if at > now => Err(Error::Conflict("error-stage-before-appointment".into())),
        _ => Ok(()),
    }
}

/// Percent, rounded down; 0 of 0 is 0.
pub fn percent(part: u32, whole: u32) -> u32 {
    (part * 100).checked_div(whole).unwrap_or(0)
}

// ---------------------------------------------------------------- whose move

/// What a candidate waits for from the reader, if anything: the counts on the reader's start
/// page and the board's "waiting for me" filter are both this rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Awaits {
    /// A psychological stage is open: the psychologist records its result.
    Result,
    /// The committee stage is open and the reader, a member, has not voted.
    Vote,
    /// The committee has decided (a quorum voted): a coordinator records the decision.
    Decision,
    /// A stage passed and the next is not open yet: a coordinator opens it.
    Opening,
}

impl Awaits {
    pub const ALL: [Awaits; 4] = [
        Awaits::Result,
        Awaits::Vote,
        Awaits::Decision,
        Awaits::Opening,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Awaits::Result => "result",
            Awaits::Vote => "vote",
            Awaits::Decision => "decision",
            Awaits::Opening => "opening",
        }
    }

    pub fn parse(s: &str) -> Option<Awaits> {
        Awaits::ALL.into_iter().find(|a| a.as_str() == s.trim())
    }

    /// Who is asked for it (anywhere in the tenant; the region is the candidate's).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Awaits::Result => &[Role::Psychologist],
            Awaits::Vote => &[Role::CommitteeMember],
            Awaits::Decision | Awaits::Opening => &[Role::TenantAdmin, Role::Coordinator],
        }
    }

    /// The i18n key of the count on the start page (and of the filter's choice).
    pub fn label_key(self) -> String {
        format!("awaits-{}", self.as_str())
    }
}

/// Where a candidate stands, as far as whose move it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub stage: Option<StageKind>,
    pub status: Option<StageStatus>,
    /// The stage the gate would open next, if any.
    pub next: Option<StageKind>,
    /// Whether the reader has voted on the candidate.
    pub voted: bool,
    /// Whether the committee's votes decide already (a quorum).
    pub decided: bool,
}

/// What `standing` waits for from a reader who holds, for the candidate's region, the roles
/// `holds` says yes to. A member who is also a coordinator votes first.
pub fn awaits(standing: Standing, holds: impl Fn(Role) -> bool) -> Option<Awaits> {
    let asks = |a: Awaits| a.roles().iter().any(|r| holds(*r)).then_some(a);
    match (standing.stage?, standing.status?) {
        (s, StageStatus::Open) if s.is_psychological() => asks(Awaits::Result),
        (StageKind::Committee, StageStatus::Open) => (!standing.voted)
            .then(|| asks(Awaits::Vote))
            .flatten()
            .or_else(|| standing.decided.then(|| asks(Awaits::Decision)).flatten()),
        (_, StageStatus::Passed) if standing.next.is_some() => asks(Awaits::Opening),
        _ => None,
    }
}

/// The stage after `current` in a pipeline.
pub fn stage_after(stages: &[StageKind], current: StageKind) -> Option<StageKind> {
    stages.iter().skip_while(|s| **s != current).nth(1).copied()
}

// ---------------------------------------------------------------- views

/// One candidate on the board: a submitted application and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CandidateRow {
    /// The application's id.
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub programme_id: Uuid,
    pub programme_slug: String,
    pub programme_name: String,
    pub region_id: Option<Uuid>,
    pub region_name: Option<String>,
    pub stage: Option<StageKind>,
    pub stage_status: Option<StageStatus>,
    pub outcome: Outcome,
    pub submitted_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// What the candidate waits for from the reader (see [`awaits`]).
    pub awaits: Option<Awaits>,
}

/// Filters of the board and table (all optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "server", into_params(parameter_in = Query))]
pub struct CandidateFilter {
    /// A programme's slug.
    #[serde(default)]
    pub programme: Option<String>,
    #[serde(default)]
    pub stage: Option<StageKind>,
    #[serde(default)]
    pub region_id: Option<Uuid>,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// Part of a name or e-mail address.
    #[serde(default)]
    pub q: Option<String>,
    /// Only the candidates waiting for this from the reader.
    #[serde(default)]
    pub awaits: Option<Awaits>,
}

impl CandidateFilter {
    pub fn matches(&self, row: &CandidateRow) -> bool {
        let q = self
            .q
            .as_deref()
            .map(|q| q.trim().to_lowercase())
            .filter(|q| !q.is_empty());
        self.programme
            .as_deref()
            .is_none_or(|p| p.is_empty() || row.programme_slug == p)
            && self.stage.is_none_or(|s| row.stage == Some(s))
            && self.region_id.is_none_or(|r| row.region_id == Some(r))
            && self.outcome.is_none_or(|o| row.outcome == o)
            && self.awaits.is_none_or(|a| row.awaits == Some(a))
            && q.is_none_or(|q| {
                row.name.to_lowercase().contains(&q) || row.email.to_lowercase().contains(&q)
            })
    }
}

/// One stage of one candidate, as the reader may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct StageRecord {
    pub stage: StageKind,
    pub status: StageStatus,
    pub opened_at: chrono::DateTime<chrono::FixedOffset>,
    pub opened_by: Option<String>,
    pub assessor: Option<String>,
    pub decided_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub score: Option<i32>,
    /// `None` when there are none or the reader may not see them (`notes_hidden`).
    pub notes: Option<String>,
    /// Psychologists' notes exist but are not for this reader.
    pub notes_hidden: bool,
    pub reason: Option<String>,
    /// The appointment, for stages met in person (and as read where the organisation is,
    /// `01.12.2026 10:00`).
    pub scheduled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub scheduled_local: Option<String>,
    pub place: Option<String>,
}

/// When and where a candidate is expected for a stage met in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppointmentInput {
    /// Date and time where the organisation is, e.g. `2026-12-01T10:00:00`.
    pub at: chrono::NaiveDateTime,
    /// Up to 200 characters, e.g. the office's address and room.
    pub place: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct VoteView {
    pub voter_id: Uuid,
    pub voter: String,
    pub vote: Vote,
    pub comment: Option<String>,
    pub cast_at: chrono::DateTime<chrono::FixedOffset>,
}

/// A candidate's seat in a cohort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SeatView {
    /// The seat's id (a cohort member).
    pub id: Uuid,
    pub cohort_id: Uuid,
    pub cohort_title: String,
    pub status: SeatStatus,
    pub days_present: u32,
    pub completed: bool,
}

/// Everything about one candidate: the whole history of their selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CandidateView {
    pub candidate: CandidateRow,
    /// The programme's pipeline.
    pub stages: Vec<StageKind>,
    pub records: Vec<StageRecord>,
    /// The stage that may be opened now, if any.
    pub next_stage: Option<StageKind>,
    pub committee: CommitteeRule,
    pub votes: Vec<VoteView>,
    /// What the votes decide so far (once the committee stage is open).
    pub decision: Option<CommitteeDecision>,
    /// Whether the reader may vote on this candidate now.
    pub can_vote: bool,
    pub seats: Vec<SeatView>,
    /// The mentor contract, once made.
    pub contract: Option<ContractView>,
}

/// A cohort in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CohortSummary {
    pub id: Uuid,
    pub kind: CohortKind,
    pub title: String,
    pub programme_id: Option<Uuid>,
    pub region_id: Option<Uuid>,
    pub starts_on: chrono::NaiveDate,
    pub days: u32,
    pub academic_hours: u32,
    pub place: String,
    pub capacity: u32,
    pub min_days: u32,
    pub enrolled: u32,
    pub waitlisted: u32,
    /// Enrolled of capacity, in percent.
    pub fill_rate: u32,
}

/// One participant of a cohort with their attendance (`attendance[d]` is day `d + 1`: present,
/// absent, or not recorded yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MemberView {
    pub id: Uuid,
    pub application_id: Uuid,
    pub name: String,
    pub status: SeatStatus,
    pub attendance: Vec<Option<bool>>,
    pub days_present: u32,
    pub completed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CohortView {
    pub cohort: CohortSummary,
    pub trainers: Vec<String>,
    pub trainer_ids: Vec<Uuid>,
    /// Enrolled first, then the waiting list in the order people joined it.
    pub members: Vec<MemberView>,
    /// Presences of all recorded day-entries, in percent.
    pub attendance_rate: u32,
    pub completed: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ContractInput {
    /// The first day of the contract, in the organisation's time zone.
    pub starts_on: chrono::NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ContractView {
    pub id: Uuid,
    pub application_id: Uuid,
    pub mentor_id: Uuid,
    pub mentor_name: String,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    /// The signed scan, once uploaded.
    pub scan: Option<crate::recruitment::DocumentView>,
    pub signed_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// A mentor's own selection in an organisation: their personal account's first page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MentorAccount {
    /// The application the person was selected with.
    pub application_id: Uuid,
    pub programme_name: String,
    pub outcome: Outcome,
    pub contract: Option<ContractView>,
}

/// A day's attendance as a trainer records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AttendanceInput {
    /// 1-based day of the cohort.
    pub day: u32,
    /// Seats (cohort member ids) present that day; every other enrolled seat is recorded absent.
    pub present: Vec<Uuid>,
}

/// Whether committee members see a candidate whose current stage is `current`: from the
/// committee stage on, never before. Least privilege: the documents, tests and interviews
/// before it are the staff's, and a member who votes later has no need of them early.
pub fn committee_sees(current: Option<StageKind>) -> bool {
    matches!(current, Some(StageKind::Committee | StageKind::Contract))
}

#[cfg(test)]
mod tests {
    use super::*;
    use StageKind::*;
    use StageStatus::*;

    #[test]
    fn each_candidate_waits_for_one_move_of_one_role() {
        let at = |stage, status| Standing {
            stage: Some(stage),
            status: Some(status),
            next: stage_after(&DEFAULT_STAGES, stage),
            voted: false,
            decided: false,
        };
        let only = |role: Role| move |r: Role| r == role;
        let psych = only(Role::Psychologist);
        let member = only(Role::CommitteeMember);
        let coordinator = only(Role::Coordinator);
        let admin = only(Role::TenantAdmin);
        // The psychologist records the psychological stages, no one else.
        assert_eq!(awaits(at(PsychTest, Open), psych), Some(Awaits::Result));
        assert_eq!(awaits(at(Interview, Open), psych), Some(Awaits::Result));
        assert_eq!(awaits(at(Interview, Open), coordinator), None);
        assert_eq!(awaits(at(Documents, Open), psych), None);
        // A member votes once; after that, nothing waits for them.
        assert_eq!(awaits(at(Committee, Open), member), Some(Awaits::Vote));
        let voted = Standing {
            voted: true,
            ..at(Committee, Open)
        };
        assert_eq!(awaits(voted, member), None);
        // A decided committee waits for a coordinator or an admin, not before the quorum.
        assert_eq!(awaits(at(Committee, Open), coordinator), None);
        let decided = Standing {
            decided: true,
            ..at(Committee, Open)
        };
        assert_eq!(awaits(decided, coordinator), Some(Awaits::Decision));
        assert_eq!(awaits(decided, admin), Some(Awaits::Decision));
        assert_eq!(awaits(decided, member), Some(Awaits::Vote));
        let both = |r: Role| matches!(r, Role::CommitteeMember | Role::Coordinator);
        assert_eq!(awaits(decided, both), Some(Awaits::Vote));
        assert_eq!(
            awaits(
                Standing {
                    voted: true,
                    ..decided
                },
                both
            ),
            Some(Awaits::Decision)
        );
        // A passed stage with a next one waits to be opened; the last one, and a failed one, do not.
        assert_eq!(
            awaits(at(Documents, Passed), coordinator),
            Some(Awaits::Opening)
        );
        assert_eq!(awaits(at(Committee, Passed), admin), Some(Awaits::Opening));
        assert_eq!(awaits(at(Documents, Passed), psych), None);
        assert_eq!(awaits(at(Contract, Passed), coordinator), None);
        assert_eq!(awaits(at(Interview, Failed), coordinator), None);
        assert_eq!(awaits(at(Interview, Failed), psych), None);
        let nothing = Standing {
            stage: None,
            status: None,
            next: None,
            voted: false,
            decided: false,
        };
        assert_eq!(awaits(nothing, |_| true), None);
        // A pipeline without some stages: the next is the next one it has.
        assert_eq!(
            stage_after(&[Documents, Interview, Contract], Interview),
            Some(Contract)
        );
        assert_eq!(stage_after(&[Documents, Contract], Contract), None);
        assert_eq!(stage_after(&[Documents], School), None);
        for a in Awaits::ALL {
            assert_eq!(Awaits::parse(a.as_str()), Some(a));
        }
    }

    #[test]
    fn stages_keep_the_products_order_and_may_leave_some_out() {
        assert!(check_stages(&DEFAULT_STAGES).is_ok());
        assert!(check_stages(&[Documents, Interview, Committee, Contract]).is_ok());
        assert!(check_stages(&[Documents]).is_ok());
        let code = |s: &[StageKind]| check_stages(s).unwrap_err().code().to_string();
        assert_eq!(code(&[]), "error-stages-empty");
        assert_eq!(code(&[Documents, Documents]), "error-stages-order");
        assert_eq!(code(&[Contract, Committee]), "error-stages-order");
        assert_eq!(code(&[School, Interview]), "error-stages-order");
    }

    #[test]
    fn a_stage_opens_only_after_the_previous_one_passed() {
        let stages = DEFAULT_STAGES;
        let code = |r: &[(StageKind, StageStatus)], s| {
            check_can_open(&stages, r, s)
                .unwrap_err()
                .code()
                .to_string()
        };
        // The first stage opens on a fresh candidate; the second does not.
        assert!(check_can_open(&stages, &[], Documents).is_ok());
        assert_eq!(code(&[], PsychTest), "error-stage-previous-not-passed");
        // Opened early: documents still open.
        assert_eq!(
            code(&[(Documents, Open)], PsychTest),
            "error-stage-previous-not-passed"
        );
        // Skipping a stage.
        assert_eq!(
            code(&[(Documents, Passed)], Interview),
            "error-stage-previous-not-passed"
        );
        assert!(check_can_open(&stages, &[(Documents, Passed)], PsychTest).is_ok());
        // Twice.
        assert_eq!(
            code(&[(Documents, Passed), (PsychTest, Open)], PsychTest),
            "error-stage-already-open"
        );
        // After a failure nothing opens.
        assert_eq!(
            code(&[(Documents, Passed), (PsychTest, Failed)], Interview),
            "error-candidate-not-selected"
        );
        // Not part of this programme.
        assert_eq!(
            check_can_open(&[Documents, Committee], &[(Documents, Passed)], School)
                .unwrap_err()
                .code(),
            "error-stage-not-in-programme"
        );
        // A programme without a school: the committee follows the documents.
        assert!(check_can_open(&[Documents, Committee], &[(Documents, Passed)], Committee).is_ok());
    }

    #[test]
    fn outcome_follows_the_records() {
        let stages = DEFAULT_STAGES;
        assert_eq!(outcome_of(&stages, &[]), Outcome::Pending);
        assert_eq!(
            outcome_of(&stages, &[(Documents, Passed)]),
            Outcome::Pending
        );
        let before_contract: Vec<_> = stages[..5].iter().map(|s| (*s, Passed)).collect();
        assert_eq!(outcome_of(&stages, &before_contract), Outcome::Selected);
        let mut all = before_contract.clone();
        all.push((Contract, Open));
        assert_eq!(outcome_of(&stages, &all), Outcome::Selected);
        all.pop();
        all.push((Contract, Passed));
        assert_eq!(outcome_of(&stages, &all), Outcome::Active);
        assert_eq!(
            outcome_of(&stages, &[(Documents, Passed), (PsychTest, Failed)]),
            Outcome::NotSelected
        );
        assert_eq!(
            current_stage(&stages, &[(Documents, Passed), (PsychTest, Open)]),
            Some((PsychTest, Open))
        );
        assert_eq!(current_stage(&stages, &[]), None);
    }

    #[test]
    fn stage_results_are_checked_field_by_field() {
        let input = |d: &str, score, reason: Option<&str>| StageResultInput {
            decision: d.into(),
            score,
            notes: Some("  notes  ".into()),
            reason: reason.map(str::to_owned),
        };
        let checked = check_stage_result(PsychTest, &input("passed", Some(80), None)).unwrap();
        assert_eq!(
            (checked.decision, checked.score, checked.notes.as_deref()),
            (Passed, Some(80), Some("notes"))
        );
        let code =
            |s, i: &StageResultInput| check_stage_result(s, i).unwrap_err().code().to_string();
        assert_eq!(
            code(PsychTest, &input("maybe", Some(1), None)),
            "error-stage-decision"
        );
        assert_eq!(
            code(PsychTest, &input("passed", None, None)),
            "error-stage-score-required"
        );
        assert_eq!(
            code(Interview, &input("passed", Some(101), None)),
            "error-stage-score-range"
        );
        assert_eq!(
            code(Interview, &input("passed", Some(-1), None)),
            "error-stage-score-range"
        );
        assert_eq!(
            code(Documents, &input("passed", Some(5), None)),
            "error-stage-score-not-used"
        );
        assert_eq!(
            code(Documents, &input("failed", None, Some("  "))),
            "error-reason-required"
        );
        assert!(check_stage_result(Documents, &input("failed", None, Some("forged"))).is_ok());
        let long = StageResultInput {
            notes: Some("x".repeat(MAX_NOTES + 1)),
            ..input("passed", None, None)
        };
        assert_eq!(code(Documents, &long), "error-notes-too-long");
    }

    #[test]
    fn committee_rules_need_a_quorum_then_their_majority() {
        use Vote::*;
        let rule = |majority, quorum| CommitteeRule { majority, quorum };
        let simple = rule(MajorityRule::SimpleMajority, 3);
        assert_eq!(
            committee_decision(simple, &[Approve, Approve]),
            CommitteeDecision::NoQuorum { cast: 2, needed: 3 }
        );
        assert_eq!(
            committee_decision(simple, &[Approve, Approve, Reject]),
            CommitteeDecision::Approved
        );
        // Abstentions count for the quorum, not for the majority.
        assert_eq!(
            committee_decision(simple, &[Approve, Abstain, Abstain]),
            CommitteeDecision::Approved
        );
        // A tie is not an approval.
        assert_eq!(
            committee_decision(simple, &[Approve, Reject, Abstain]),
            CommitteeDecision::Rejected
        );
        assert_eq!(
            committee_decision(simple, &[Abstain, Abstain, Abstain]),
            CommitteeDecision::Rejected
        );
        let two_thirds = rule(MajorityRule::TwoThirds, 3);
        assert_eq!(
            committee_decision(two_thirds, &[Approve, Approve, Reject]),
            CommitteeDecision::Approved
        );
        assert_eq!(
            committee_decision(two_thirds, &[Approve, Approve, Reject, Reject]),
            CommitteeDecision::Rejected
        );
        let unanimous = rule(MajorityRule::Unanimous, 2);
        assert_eq!(
            committee_decision(unanimous, &[Approve, Abstain]),
            CommitteeDecision::Approved
        );
        assert_eq!(
            committee_decision(unanimous, &[Approve, Approve, Reject]),
            CommitteeDecision::Rejected
        );
        assert!(rule(MajorityRule::SimpleMajority, 0).check().is_err());
        assert!(CommitteeRule::default().check().is_ok());
    }

    fn cohort() -> CohortInput {
        CohortInput {
            kind: CohortKind::School,
            title: " School of Mentors, spring ".into(),
            programme_id: Some(Uuid::nil()),
            region_id: None,
            starts_on: chrono::NaiveDate::from_ymd_opt(2027, 4, 20).unwrap(),
            days: 2,
            academic_hours: 16,
            place: "Almaty".into(),
            trainers: vec![],
            capacity: 25,
            min_days: None,
        }
    }

    #[test]
    fn cohorts_are_checked_and_a_school_needs_fifteen_hours() {
        assert_eq!(
            cohort().check().unwrap(),
            ("School of Mentors, spring".into(), "Almaty".into(), 2)
        );
        let code = |c: CohortInput| c.check().unwrap_err().code().to_string();
        assert_eq!(
            code(CohortInput {
                academic_hours: 14,
                ..cohort()
            }),
            "error-school-hours"
        );
        assert_eq!(
            code(CohortInput {
                capacity: 0,
                ..cohort()
            }),
            "error-cohort-capacity"
        );
        assert_eq!(
            code(CohortInput {
                days: 0,
                ..cohort()
            }),
            "error-cohort-days"
        );
        assert_eq!(
            code(CohortInput {
                min_days: Some(3),
                ..cohort()
            }),
            "error-cohort-min-days"
        );
        assert_eq!(
            code(CohortInput {
                title: " ".into(),
                ..cohort()
            }),
            "error-cohort-title"
        );
        assert_eq!(
            code(CohortInput {
                programme_id: None,
                ..cohort()
            }),
            "error-school-programme"
        );
        assert_eq!(
            code(CohortInput {
                academic_hours: 30,
                ..cohort()
            }),
            "error-cohort-hours"
        );
        // A 4-day training needs no programme and may be short of 15 hours.
        let training = CohortInput {
            kind: CohortKind::Training,
            programme_id: None,
            days: 4,
            academic_hours: 8,
            min_days: Some(3),
            ..cohort()
        };
        assert_eq!(training.check().unwrap().2, 3);
    }

    #[test]
    fn seats_fill_to_capacity_then_the_waiting_list() {
        assert_eq!(seat_for_newcomer(0, 2), SeatStatus::Enrolled);
        assert_eq!(seat_for_newcomer(1, 2), SeatStatus::Enrolled);
        assert_eq!(seat_for_newcomer(2, 2), SeatStatus::Waitlisted);
        assert_eq!(seat_for_newcomer(3, 2), SeatStatus::Waitlisted);
        assert!(completed(2, 2) && !completed(1, 2));
        assert_eq!(percent(23, 25), 92);
        assert_eq!(percent(0, 0), 0);
    }

    #[test]
    fn attendance_is_for_a_day_of_the_cohort_that_has_begun() {
        let start = chrono::NaiveDate::from_ymd_opt(2027, 4, 20).unwrap();
        let day2 = start + chrono::Days::new(1);
        assert_eq!(day_date(start, 2), day2);
        assert!(check_attendance_day(start, 2, 1, start).is_ok());
        assert!(check_attendance_day(start, 2, 2, day2).is_ok());
        let code = |day, today| {
            check_attendance_day(start, 2, day, today)
                .unwrap_err()
                .code()
                .to_string()
        };
        assert_eq!(code(2, start), "error-attendance-future-day");
        assert_eq!(code(0, day2), "error-attendance-day");
        assert_eq!(code(3, day2), "error-attendance-day");
    }

    #[test]
    fn a_result_waits_for_its_appointment() {
        let now = chrono::Utc::now();
        let hour = chrono::Duration::hours(1);
        assert!(check_result_after_appointment(None, now).is_ok());
        assert!(check_result_after_appointment(Some(now - hour), now).is_ok());
        assert!(check_result_after_appointment(Some(now), now).is_ok());
        assert!(matches!(
            check_result_after_appointment(Some(now + hour), now),
            Err(Error::Conflict(c)) if c == "error-stage-before-appointment"
        ));
    }

    #[test]
    fn committee_members_see_candidates_from_the_committee_stage_on() {
        for stage in [
            None,
            Some(StageKind::Documents),
            Some(StageKind::PsychTest),
            Some(StageKind::Interview),
            Some(StageKind::School),
        ] {
            assert!(!committee_sees(stage), "{stage:?}");
        }
        assert!(committee_sees(Some(StageKind::Committee)));
        assert!(committee_sees(Some(StageKind::Contract)));
    }
}
