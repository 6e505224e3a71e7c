//! Mentor recruitment: programmes, their eligibility rules and required documents, applicants'
//! applications and the documents they upload.
//!
//! The rules here are pure functions over plain types (eligibility, completeness, document
//! limits, file names), so the page, the API and the worker all apply the same ones, and the
//! wasm bundle can show the same answers before a form is sent.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Error;
use crate::i18n::Locale;

#[cfg(feature = "server")]
pub mod entity;
#[cfg(feature = "server")]
pub mod reminders;
#[cfg(feature = "server")]
pub mod service;

// ---------------------------------------------------------------- programmes

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeKind {
    /// One mentor, one child.
    #[default]
    OneToOne,
    /// One mentor with a youth group (the Zhas model).
    Group,
}

impl ProgrammeKind {
    pub const ALL: [ProgrammeKind; 2] = [ProgrammeKind::OneToOne, ProgrammeKind::Group];
    pub fn as_str(self) -> &'static str {
        match self {
            ProgrammeKind::OneToOne => "one_to_one",
            ProgrammeKind::Group => "group",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("kind", "error-programme-kind"))
    }
    pub fn label_key(self) -> &'static str {
        match self {
            ProgrammeKind::OneToOne => "programme-kind-one-to-one",
            ProgrammeKind::Group => "programme-kind-group",
        }
    }
}

/// How often a mentor is expected to meet (one definition of "overdue" builds on it later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    #[default]
    Weekly,
    Monthly,
}

impl Cadence {
    pub const ALL: [Cadence; 2] = [Cadence::Weekly, Cadence::Monthly];
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Weekly => "weekly",
            Cadence::Monthly => "monthly",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("meeting_cadence", "error-cadence"))
    }
    pub fn label_key(self) -> &'static str {
        match self {
            Cadence::Weekly => "cadence-weekly",
            Cadence::Monthly => "cadence-monthly",
        }
    }
}

/// A role that rules a person out of a programme (conflicts of interest in the seeds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DisqualifyingRole {
    YouthGroupMember,
    HostHead,
    HostAccountant,
}

impl DisqualifyingRole {
    pub const ALL: [DisqualifyingRole; 3] = [
        DisqualifyingRole::YouthGroupMember,
        DisqualifyingRole::HostHead,
        DisqualifyingRole::HostAccountant,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DisqualifyingRole::YouthGroupMember => "youth_group_member",
            DisqualifyingRole::HostHead => "host_head",
            DisqualifyingRole::HostAccountant => "host_accountant",
        }
    }
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("roles", "error-disqualifying-role"))
    }
    pub fn label_key(self) -> String {
        format!("disq-{}", self.as_str().replace('_', "-"))
    }
}

/// Who may apply. Zero means "no minimum".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Eligibility {
    pub min_age: u32,
    /// Months lived in one of the programme's regions.
    pub min_residence_months: u32,
    pub min_youth_work_years: u32,
    pub disqualifying_roles: Vec<DisqualifyingRole>,
    /// Days a week the mentor can give.
    pub min_days_per_week: u32,
}

/// A text in the three languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Texts {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

impl Texts {
    /// The text in `locale`, or the first non-empty one.
    pub fn get(&self, locale: Locale) -> &str {
        let own = match locale {
            Locale::Kk => &self.kk,
            Locale::Ru => &self.ru,
            Locale::En => &self.en,
        };
        if !own.trim().is_empty() {
            return own;
        }
        [&self.ru, &self.kk, &self.en]
            .into_iter()
            .find(|t| !t.trim().is_empty())
            .map(|s| s.as_str())
            .unwrap_or("")
    }
}

/// MIME types a programme may accept for a document; the worker can verify exactly these.
pub const KNOWN_TYPES: [&str; 4] = ["application/pdf", "image/jpeg", "image/png", "image/webp"];

/// The file-name extensions that belong to each known type.
pub fn extensions_of(mime: &str) -> &'static [&'static str] {
    match mime {
        "application/pdf" => &["pdf"],
        "image/jpeg" => &["jpg", "jpeg"],
        "image/png" => &["png"],
        "image/webp" => &["webp"],
        _ => &[],
    }
}

/// The largest file a programme may allow (the upload route's hard ceiling).
pub const MAX_DOCUMENT_BYTES: u64 = 100 * 1024 * 1024;

/// One document the programme asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DocumentRule {
    /// Short stable code, e.g. `police_clearance`.
    pub doc_type: String,
    pub labels: Texts,
    /// MIME types, e.g. `["application/pdf","image/jpeg"]`.
    pub accepted_types: Vec<String>,
    pub max_bytes: u64,
    /// At most this many files of this type (e.g. 3 certificates).
    pub max_count: u32,
    /// A document older than this many months is refused (e.g. police clearance).
    pub validity_months: Option<u32>,
    pub required: bool,
}

impl DocumentRule {
    pub fn validate(&self) -> Result<(), Error> {
        let code_ok = (2..=40).contains(&self.doc_type.len())
            && self
                .doc_type
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !code_ok {
            return Err(Error::invalid("doc_type", "error-doc-type-code"));
        }
        if self.labels.get(Locale::En).trim().is_empty() {
            return Err(Error::invalid("labels", "error-name-required"));
        }
        if self.accepted_types.is_empty()
            || self
                .accepted_types
                .iter()
                .any(|t| !KNOWN_TYPES.contains(&t.as_str()))
        {
            return Err(Error::invalid("accepted_types", "error-accepted-types"));
        }
        if self.max_bytes == 0 || self.max_bytes > MAX_DOCUMENT_BYTES {
            return Err(Error::invalid("max_bytes", "error-max-bytes"));
        }
        if !(1..=20).contains(&self.max_count) {
            return Err(Error::invalid("max_count", "error-max-count"));
        }
        if self
            .validity_months
            .is_some_and(|m| !(1..=120).contains(&m))
        {
            return Err(Error::invalid("validity_months", "error-validity-months"));
        }
        Ok(())
    }

    /// Whether a document issued on `issued_on` is still valid on `today`.
    pub fn is_current(&self, issued_on: NaiveDate, today: NaiveDate) -> bool {
        self.validity_months.is_none()
            || expires_on(self.validity_months, issued_on).is_some_and(|e| e >= today)
    }
}

/// The last day a document issued on `issued_on` is valid, for a validity of `months` (none:
/// it does not expire).
pub fn expires_on(months: Option<u32>, issued_on: NaiveDate) -> Option<NaiveDate> {
    months.and_then(|m| issued_on.checked_add_months(Months::new(m)))
}

/// How many days before a document expires, or before the window closes on a draft, the
/// applicant is reminded.
pub const DOCUMENT_NOTICE_DAYS: u64 = 30;
pub const DRAFT_NOTICE_DAYS: u64 = 3;

/// An organisation taking mentor applications now, as the public home page lists it: its name,
/// where its "become a mentor" page is, and the names of its open programmes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recruiting {
    pub name: String,
    pub slug: String,
    pub programmes: Vec<String>,
}

/// A programme as everyone sees it (the public list, the application pages, the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ProgrammeView {
    pub id: Uuid,
    pub slug: String,
    /// The name in the caller's language.
    pub name: String,
    pub description: String,
    pub kind: ProgrammeKind,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub results_at: DateTime<Utc>,
    pub window: WindowState,
    /// The same three moments as dates where the organisation is, for display.
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub results_on: NaiveDate,
    pub contract_months: u32,
    pub meeting_cadence: Cadence,
    /// The selection stages, in order.
    pub stages: Vec<crate::selection::StageKind>,
    pub committee: crate::selection::CommitteeRule,
    pub reminders: crate::support::ReminderDelays,
    pub eligibility: Eligibility,
    pub regions: Vec<crate::tenancy::RegionView>,
    pub required_documents: Vec<DocumentRule>,
}

/// Everything an admin edits about a programme. Window dates are the tenant's local dates:
/// the window opens at the start of `opens_on` and closes at the end of `closes_on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ProgrammeInput {
    pub slug: String,
    pub names: Texts,
    pub descriptions: Texts,
    pub kind: ProgrammeKind,
    pub region_ids: Vec<Uuid>,
    pub eligibility: Eligibility,
    pub documents: Vec<DocumentRule>,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub results_on: NaiveDate,
    pub contract_months: u32,
    pub meeting_cadence: Cadence,
    /// The selection stages, in order (default: all six of the seeds).
    #[serde(default = "default_stages")]
    pub stages: Vec<crate::selection::StageKind>,
    /// How the committee decides (default: simple majority, quorum 3).
    #[serde(default)]
    pub committee: crate::selection::CommitteeRule,
    /// Whether a passed stage opens the next one at once (default: a coordinator opens it,
    /// told by e-mail).
    #[serde(default)]
    pub open_next_stage: bool,
    /// When an overdue protocol is reminded (default: the mentor after 2 days, the
    /// coordinators after 7).
    #[serde(default)]
    pub reminders: crate::support::ReminderDelays,
}

fn default_stages() -> Vec<crate::selection::StageKind> {
    crate::selection::DEFAULT_STAGES.to_vec()
}

impl ProgrammeInput {
    /// Checks everything that does not need the database.
    pub fn validate(&self) -> Result<(), Error> {
        crate::tenancy::Slug::parse(&self.slug)?;
        if self.names.get(Locale::En).trim().is_empty() {
            return Err(Error::invalid("names", "error-name-required"));
        }
        for t in [&self.names.kk, &self.names.ru, &self.names.en] {
            if t.chars().count() > 200 || t.chars().any(char::is_control) {
                return Err(Error::invalid("names", "error-name-invalid"));
            }
        }
        for t in [
            &self.descriptions.kk,
            &self.descriptions.ru,
            &self.descriptions.en,
        ] {
            if t.chars().count() > 5000 {
                return Err(Error::invalid("descriptions", "error-text-too-long"));
            }
        }
        if self.region_ids.is_empty() {
            return Err(Error::invalid("region_ids", "error-regions-required"));
        }
        if self.closes_on < self.opens_on {
            return Err(Error::invalid("closes_on", "error-window-order"));
        }
        if self.results_on < self.closes_on {
            return Err(Error::invalid("results_on", "error-results-order"));
        }
        if !(1..=120).contains(&self.contract_months) {
            return Err(Error::invalid("contract_months", "error-contract-months"));
        }
        crate::selection::check_stages(&self.stages)?;
        self.committee.check()?;
        self.reminders.check()?;
        let e = &self.eligibility;
        if e.min_age > 99
            || e.min_residence_months > 600
            || e.min_youth_work_years > 60
            || e.min_days_per_week > 7
        {
            return Err(Error::invalid("eligibility", "error-eligibility-range"));
        }
        if self.documents.is_empty() {
            return Err(Error::invalid("documents", "error-documents-required"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for d in &self.documents {
            d.validate()?;
            if !seen.insert(d.doc_type.as_str()) {
                return Err(Error::invalid("doc_type", "error-doc-type-duplicate"));
            }
        }
        Ok(())
    }
}

/// Where "now" falls relative to the application window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    NotYetOpen,
    Open,
    Closed,
}

pub fn window_state(
    now: DateTime<Utc>,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
) -> WindowState {
    if now < opens_at {
        WindowState::NotYetOpen
    } else if now > closes_at {
        WindowState::Closed
    } else {
        WindowState::Open
    }
}

impl WindowState {
    /// The refusal for anything that needs an open window.
    pub fn require_open(self) -> Result<(), Error> {
        match self {
            WindowState::Open => Ok(()),
            WindowState::NotYetOpen => Err(Error::Conflict("error-window-not-open".into())),
            WindowState::Closed => Err(Error::Conflict("error-window-closed".into())),
        }
    }
}

// ---------------------------------------------------------------- eligibility

pub use crate::error::Unmet;

/// The answers the eligibility rules look at (the first step of the application, and the
/// public pre-check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct EligibilityAnswers {
    pub date_of_birth: NaiveDate,
    pub region_id: Uuid,
    pub residence_months: u32,
    pub youth_work_years: u32,
    #[serde(default)]
    pub roles: Vec<DisqualifyingRole>,
    pub days_per_week: u32,
}

/// Full years between `born` and `today`.
pub fn age_on(born: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// Every rule `answers` fails, in the order the form asks them. Empty means eligible.
pub fn check_eligibility(
    rules: &Eligibility,
    programme_regions: &[Uuid],
    answers: &EligibilityAnswers,
    today: NaiveDate,
) -> Vec<Unmet> {
    let mut unmet = Vec::new();
    let age = age_on(answers.date_of_birth, today);
    if answers.date_of_birth > today || age > 120 {
        unmet.push(Unmet::new("unmet-birth-date", &[]));
    } else if age < rules.min_age {
        unmet.push(Unmet::new(
            "unmet-min-age",
            &[("min", rules.min_age.to_string()), ("age", age.to_string())],
        ));
    }
    if !programme_regions.contains(&answers.region_id) {
        unmet.push(Unmet::new("unmet-region", &[]));
    }
    if answers.residence_months < rules.min_residence_months {
        unmet.push(Unmet::new(
            "unmet-residence",
            &[
                ("min", rules.min_residence_months.to_string()),
                ("months", answers.residence_months.to_string()),
            ],
        ));
    }
    if answers.youth_work_years < rules.min_youth_work_years {
        unmet.push(Unmet::new(
            "unmet-youth-work",
            &[
                ("min", rules.min_youth_work_years.to_string()),
                ("years", answers.youth_work_years.to_string()),
            ],
        ));
    }
    for role in &answers.roles {
        if rules.disqualifying_roles.contains(role) {
            unmet.push(Unmet::new(
                &format!("unmet-role-{}", role.as_str().replace('_', "-")),
                &[],
            ));
        }
    }
    if answers.days_per_week < rules.min_days_per_week {
        unmet.push(Unmet::new(
            "unmet-availability",
            &[
                ("min", rules.min_days_per_week.to_string()),
                ("days", answers.days_per_week.to_string()),
            ],
        ));
    }
    unmet
}

// ---------------------------------------------------------------- applications

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    Draft,
    Submitted,
}

impl ApplicationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Draft => "draft",
            ApplicationStatus::Submitted => "submitted",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(ApplicationStatus::Draft),
            "submitted" => Some(ApplicationStatus::Submitted),
            _ => None,
        }
    }
    pub fn label_key(self) -> &'static str {
        match self {
            ApplicationStatus::Draft => "application-status-draft",
            ApplicationStatus::Submitted => "application-status-submitted",
        }
    }
}

/// The second step: about the applicant. Each field may be saved empty in a draft; submission
/// needs them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Profile {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub occupation: String,
    #[serde(default)]
    pub experience: String,
    #[serde(default)]
    pub motivation: String,
    /// Language codes, e.g. `["kk","ru"]`.
    #[serde(default)]
    pub languages: Vec<String>,
}

impl Profile {
    /// Cleans and bounds what was typed; refuses only what can never be right.
    pub fn normalise(mut self) -> Result<Profile, Error> {
        self.phone = self.phone.trim().to_string();
        if !self.phone.is_empty() {
            let digits = self.phone.chars().filter(char::is_ascii_digit).count();
            let ok = self
                .phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()".contains(c));
            if !ok || !(7..=15).contains(&digits) {
                return Err(Error::invalid("phone", "error-phone-invalid"));
            }
        }
        for (field, text, max) in [
            ("occupation", &mut self.occupation, 200),
            ("experience", &mut self.experience, 4000),
            ("motivation", &mut self.motivation, 4000),
        ] {
            *text = text.trim().to_string();
            if text.chars().count() > max {
                return Err(Error::invalid(field, "error-text-too-long"));
            }
            if text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
            {
                return Err(Error::invalid(field, "error-text-invalid"));
            }
        }
        let mut langs: Vec<String> = self
            .languages
            .iter()
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty())
            .collect();
        langs.sort();
        langs.dedup();
        if langs.len() > 10
            || langs
                .iter()
                .any(|l| l.len() > 3 || !l.chars().all(|c| c.is_ascii_lowercase()))
        {
            return Err(Error::invalid("languages", "error-languages-invalid"));
        }
        self.languages = langs;
        Ok(self)
    }

    /// What is still missing before the application can be submitted.
    pub fn missing(&self) -> Vec<Unmet> {
        let mut out = Vec::new();
        for (field, empty) in [
            ("phone", self.phone.is_empty()),
            ("occupation", self.occupation.is_empty()),
            ("experience", self.experience.is_empty()),
            ("motivation", self.motivation.is_empty()),
            ("languages", self.languages.is_empty()),
        ] {
            if empty {
                out.push(Unmet::new(&format!("missing-{field}"), &[]));
            }
        }
        out
    }
}

/// The language names a profile may list.
pub const LANGUAGE_CODES: [&str; 3] = ["kk", "ru", "en"];

/// Everything the applicant answered, stored with the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Answers {
    pub eligibility: EligibilityAnswers,
    #[serde(default)]
    pub profile: Profile,
}

/// An application as its applicant and the staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ApplicationView {
    pub id: Uuid,
    pub status: ApplicationStatus,
    pub programme_id: Uuid,
    pub programme_slug: String,
    pub programme_name: String,
    pub applicant_name: String,
    pub applicant_email: String,
    pub email_verified: bool,
    pub region_id: Option<Uuid>,
    pub answers: Answers,
    pub documents: Vec<DocumentView>,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub window: WindowState,
    pub closes_at: DateTime<Utc>,
    /// The last day to submit, where the organisation is.
    pub closes_on: NaiveDate,
    pub results_at: DateTime<Utc>,
}

// ---------------------------------------------------------------- documents

/// Why the automatic check refused a file, in `l`: one sentence for each of its reason codes
/// (`pdf_encrypted`, `image_too_small`, …), as the applicant's page and e-mail both say it.
pub fn check_reasons_text(l: Locale, codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .map(|code| l.t(&format!("reason-{}", code.replace('_', "-"))))
        .collect()
}

/// Where an uploaded document is in its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    /// Stored; the worker has not looked at it yet.
    Uploaded,
    AutoPassed,
    AutoFailed,
    Verified,
    Rejected,
}

impl DocStatus {
    pub const ALL: [DocStatus; 5] = [
        DocStatus::Uploaded,
        DocStatus::AutoPassed,
        DocStatus::AutoFailed,
        DocStatus::Verified,
        DocStatus::Rejected,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DocStatus::Uploaded => "uploaded",
            DocStatus::AutoPassed => "auto_passed",
            DocStatus::AutoFailed => "auto_failed",
            DocStatus::Verified => "verified",
            DocStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
    pub fn label_key(self) -> String {
        format!("doc-status-{}", self.as_str().replace('_', "-"))
    }
    /// Whether the file still stands for its slot: it counts against the maximum and towards
    /// completeness. Failed and rejected files are history; the applicant uploads again.
    pub fn is_live(self) -> bool {
        !matches!(self, DocStatus::AutoFailed | DocStatus::Rejected)
    }
}

/// One uploaded document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DocumentView {
    pub id: Uuid,
    /// The owner: an application's file, or a child's consent, a pair's guest-visit
    /// permission or a meeting's attachment (with its pair).
    pub application_id: Option<Uuid>,
    pub child_id: Option<Uuid>,
    pub pair_id: Option<Uuid>,
    pub meeting_id: Option<Uuid>,
    pub doc_type: String,
    pub status: DocStatus,
    /// Machine-readable reasons from the checks, e.g. `pdf_encrypted`.
    pub reasons: Vec<String>,
    /// The file name as the applicant gave it (sanitised, for display only).
    pub original_name: String,
    pub detected_type: Option<String>,
    pub size_bytes: u64,
    pub pages: Option<u32>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub sha256: String,
    pub issued_on: Option<NaiveDate>,
    pub has_preview: bool,
    pub created_at: DateTime<Utc>,
    pub review_reason: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// Whose a document is (see `DocumentView`). A meeting's attachment names its pair too, so
/// every document but an application's has a pair or a child that says its region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocOwner {
    Application(Uuid),
    Child(Uuid),
    Pair(Uuid),
    Meeting { pair: Uuid, meeting: Uuid },
}

/// The rule of a file staff or a mentor attach to a record (a consent, a permission, a
/// protocol's attachment): a PDF or a photo, at most `max_mb` megabytes, `max_count` live files.
pub fn attachment_rule(doc_type: &str, labels: Texts, max_mb: u64, max_count: u32) -> DocumentRule {
    DocumentRule {
        doc_type: doc_type.into(),
        labels,
        accepted_types: vec![
            "application/pdf".into(),
            "image/jpeg".into(),
            "image/png".into(),
        ],
        max_bytes: max_mb * 1024 * 1024,
        max_count,
        validity_months: None,
        required: false,
    }
}

/// One line of a document's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DocumentEvent {
    pub action: String,
    pub actor_name: Option<String>,
    pub detail: Option<String>,
    pub at: chrono::DateTime<chrono::FixedOffset>,
}

/// A coordinator's decision on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Verified,
    Rejected,
}

/// A document waiting for review, with what the reviewer needs to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ReviewItem {
    pub document: DocumentView,
    pub doc_label: String,
    /// The applicant, or for a child's or a pair's document the child (first name and initial).
    pub applicant_name: String,
    pub programme_name: String,
    /// The portal page the document belongs to (the application, the child or the pair).
    pub subject_path: String,
    pub region_name: Option<String>,
    pub history: Vec<DocumentEvent>,
}

/// What an applicant may still upload for one document type, and what is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistRow {
    pub rule: DocumentRule,
    pub documents: Vec<DocumentView>,
    pub live: u32,
}

/// The checklist of an application: one row per required or optional document.
pub fn checklist(rules: &[DocumentRule], documents: &[DocumentView]) -> Vec<ChecklistRow> {
    rules
        .iter()
        .map(|rule| {
            let docs: Vec<DocumentView> = documents
                .iter()
                .filter(|d| d.doc_type == rule.doc_type)
                .cloned()
                .collect();
            let live = docs.iter().filter(|d| d.status.is_live()).count() as u32;
            ChecklistRow {
                rule: rule.clone(),
                documents: docs,
                live,
            }
        })
        .collect()
}

/// What stops an application from being submitted: profile fields and required documents.
pub fn missing_for_submission(
    profile: &Profile,
    rules: &[DocumentRule],
    documents: &[DocumentView],
    locale: Locale,
) -> Vec<Unmet> {
    let mut out = profile.missing();
    for row in checklist(rules, documents) {
        if row.rule.required && row.live == 0 {
            out.push(Unmet::new(
                "missing-document",
                &[("document", row.rule.labels.get(locale).to_string())],
            ));
        }
    }
    out
}

/// The checks an upload passes before a byte is stored: the type is one the programme asks
/// for, there is room for another file of it, and a dated document is still valid.
pub fn check_new_upload(
    rule: &DocumentRule,
    live_count: u32,
    issued_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), Error> {
    if live_count >= rule.max_count {
        return Err(Error::Conflict("error-document-count".into()));
    }
    if rule.validity_months.is_some() {
        let Some(issued) = issued_on else {
            return Err(Error::invalid("issued_on", "error-issued-on-required"));
        };
        if issued > today {
            return Err(Error::invalid("issued_on", "error-issued-on-future"));
        }
        if !rule.is_current(issued, today) {
            return Err(Error::invalid("issued_on", "error-document-expired"));
        }
    }
    Ok(())
}

/// The longest display name, in characters.
pub const DISPLAY_NAME_CHARS: usize = 120;

/// A file name safe to show: path parts, control and bidi-override characters removed,
/// whitespace collapsed, at most [`DISPLAY_NAME_CHARS`] characters with the extension kept
/// (a long name is cut in its stem, so `….pdf` stays a PDF); Cyrillic and Kazakh letters are
/// kept. The stored object never uses it.
pub fn display_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(
                    c,
                    '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                )
        })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = collapsed.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let short: String = if trimmed.chars().count() <= DISPLAY_NAME_CHARS {
        trimmed.to_string()
    } else if let Some(ext) = extension(trimmed) {
        let stem_chars = DISPLAY_NAME_CHARS - 1 - ext.chars().count();
        let (stem, ext) = trimmed.rsplit_once('.').expect("it has an extension");
        let stem: String = stem.chars().take(stem_chars).collect();
        format!("{}.{ext}", stem.trim_end())
    } else {
        trimmed.chars().take(DISPLAY_NAME_CHARS).collect()
    };
    if short.is_empty() {
        "document".to_string()
    } else {
        short
    }
}

/// The lower-case extension of a display name, if any.
pub fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() || ext.is_empty() || ext.len() > 8 {
        return None;
    }
    Some(ext.to_ascii_lowercase())
}

/// Refuses a file whose bytes are not a type the rule accepts, or whose name claims another
/// type than its bytes (a PNG named `.pdf`). `detected` comes from sniffing the bytes.
pub fn check_file_type(
    rule: &DocumentRule,
    name: &str,
    detected: Option<&str>,
) -> Result<(), Error> {
    let Some(detected) = detected else {
        return Err(Error::UnsupportedType {
            code: "error-file-type-unknown".into(),
            detected: None,
        });
    };
    if !rule.accepted_types.iter().any(|t| t == detected) {
        return Err(Error::UnsupportedType {
            code: "error-file-type-not-accepted".into(),
            detected: Some(detected.to_string()),
        });
    }
    if let Some(ext) = extension(name)
        && !extensions_of(detected).contains(&ext.as_str())
    {
        return Err(Error::UnsupportedType {
            code: "error-file-type-mismatch".into(),
            detected: Some(detected.to_string()),
        });
    }
    Ok(())
}

/// Bytes as people read them: "1.5 MB".
pub fn human_size(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / MB)
    } else if bytes >= 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn rules() -> Eligibility {
        Eligibility {
            min_age: 25,
            min_residence_months: 6,
            min_youth_work_years: 5,
            disqualifying_roles: vec![
                DisqualifyingRole::YouthGroupMember,
                DisqualifyingRole::HostHead,
            ],
            min_days_per_week: 1,
        }
    }

    fn answers(region: Uuid) -> EligibilityAnswers {
        EligibilityAnswers {
            date_of_birth: d("1990-05-01"),
            region_id: region,
            residence_months: 24,
            youth_work_years: 6,
            roles: vec![],
            days_per_week: 1,
        }
    }

    #[test]
    fn an_eligible_person_meets_every_rule() {
        let r = Uuid::now_v7();
        assert!(check_eligibility(&rules(), &[r], &answers(r), d("2026-11-22")).is_empty());
    }

    #[test]
    fn each_failed_rule_is_named_with_its_numbers() {
        let r = Uuid::now_v7();
        let mut a = answers(Uuid::now_v7());
        a.date_of_birth = d("2003-11-23"); // 22 the day before the 23rd birthday
        a.residence_months = 3;
        a.youth_work_years = 2;
        a.roles = vec![
            DisqualifyingRole::HostHead,
            DisqualifyingRole::HostAccountant,
        ];
        a.days_per_week = 0;
        let unmet = check_eligibility(&rules(), &[r], &a, d("2026-11-22"));
        let codes: Vec<&str> = unmet.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "unmet-min-age",
                "unmet-region",
                "unmet-residence",
                "unmet-youth-work",
                "unmet-role-host-head",
                "unmet-availability"
            ]
        );
        assert_eq!(unmet[0].args["age"], "22");
        assert!(unmet[0].message(Locale::En).contains("25"));
    }

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age_on(d("2001-11-22"), d("2026-11-22")), 25);
        assert_eq!(age_on(d("2001-11-23"), d("2026-11-22")), 24);
        assert_eq!(age_on(d("2000-02-29"), d("2025-02-28")), 24);
    }

    #[test]
    fn a_birth_date_in_the_future_is_refused() {
        let r = Uuid::now_v7();
        let mut a = answers(r);
        a.date_of_birth = d("2030-01-01");
        let unmet = check_eligibility(&rules(), &[r], &a, d("2026-11-22"));
        assert_eq!(unmet[0].code, "unmet-birth-date");
    }

    fn police() -> DocumentRule {
        DocumentRule {
            doc_type: "police_clearance".into(),
            labels: Texts {
                en: "Police clearance".into(),
                ..Default::default()
            },
            accepted_types: vec!["application/pdf".into()],
            max_bytes: 1024,
            max_count: 1,
            validity_months: Some(3),
            required: true,
        }
    }

    #[test]
    fn an_expired_clearance_and_a_full_slot_are_refused() {
        let today = d("2026-11-22");
        assert!(check_new_upload(&police(), 0, Some(d("2026-09-01")), today).is_ok());
        assert_eq!(
            check_new_upload(&police(), 0, Some(d("2026-08-21")), today).unwrap_err(),
            Error::invalid("issued_on", "error-document-expired")
        );
        assert_eq!(
            check_new_upload(&police(), 0, None, today).unwrap_err(),
            Error::invalid("issued_on", "error-issued-on-required")
        );
        assert_eq!(
            check_new_upload(&police(), 1, Some(d("2026-11-01")), today).unwrap_err(),
            Error::Conflict("error-document-count".into())
        );
    }

    #[test]
    fn a_png_named_pdf_is_refused_for_its_name() {
        let mut rule = police();
        rule.accepted_types.push("image/png".into());
        assert!(check_file_type(&rule, "scan.png", Some("image/png")).is_ok());
        assert!(matches!(
            check_file_type(&rule, "scan.pdf", Some("image/png")),
            Err(Error::UnsupportedType { code, .. }) if code == "error-file-type-mismatch"
        ));
        assert!(matches!(
            check_file_type(&police(), "scan.png", Some("image/png")),
            Err(Error::UnsupportedType { code, .. }) if code == "error-file-type-not-accepted"
        ));
    }

    #[test]
    fn display_names_drop_paths_and_control_characters_but_keep_letters() {
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(display_name("a\u{0}b\nc\u{202E}fdp.exe"), "abcfdp.exe");
        assert_eq!(
            display_name("Справка о несудимости.pdf"),
            "Справка о несудимости.pdf"
        );
        assert_eq!(
            display_name("Анықтама қағазы ұғым.pdf"),
            "Анықтама қағазы ұғым.pdf"
        );
        assert_eq!(display_name("../"), "document");
        assert_eq!(display_name(&"я".repeat(500)).chars().count(), 120);
        // A long name is cut in its stem: the extension stays (a 300-character name once lost
        // it and with it its type).
        let long = format!("{}.pdf", "Справка ".repeat(40));
        let shown = display_name(&long);
        assert!(shown.ends_with(".pdf"), "{shown}");
        assert!(shown.chars().count() <= DISPLAY_NAME_CHARS, "{shown}");
        assert!(shown.starts_with("Справка Справка"), "{shown}");
        let jpeg = display_name(&format!("{}.JPEG", "x".repeat(300)));
        assert_eq!(jpeg.chars().count(), 120);
        assert!(jpeg.ends_with(".JPEG"), "{jpeg}");
    }

    #[test]
    fn submission_lists_what_is_missing() {
        let rules = vec![police()];
        let missing = missing_for_submission(&Profile::default(), &rules, &[], Locale::En);
        assert_eq!(missing.len(), 6);
        assert_eq!(missing[5].code, "missing-document");
        assert_eq!(missing[5].args["document"], "Police clearance");
    }

    #[test]
    fn a_programme_needs_a_sane_window_and_documents() {
        let mut p = ProgrammeInput {
            slug: "mentors-2027".into(),
            names: Texts {
                en: "Mentors".into(),
                ..Default::default()
            },
            descriptions: Texts::default(),
            kind: ProgrammeKind::OneToOne,
            region_ids: vec![Uuid::now_v7()],
            eligibility: rules(),
            documents: vec![police()],
            opens_on: d("2027-03-15"),
            closes_on: d("2027-04-15"),
            results_on: d("2027-05-10"),
            contract_months: 24,
            meeting_cadence: Cadence::Weekly,
            stages: default_stages(),
            committee: Default::default(),
            open_next_stage: false,
            reminders: Default::default(),
        };
        assert!(p.validate().is_ok());
        p.reminders.coordinator_days = p.reminders.mentor_days;
        assert_eq!(
            p.validate().unwrap_err(),
            Error::invalid("reminders", "error-reminder-order"),
            "the coordinator is reminded after the mentor"
        );
        p.reminders.coordinator_days = 91;
        assert_eq!(
            p.validate().unwrap_err(),
            Error::invalid("reminders", "error-reminder-range")
        );
        p.reminders = Default::default();
        p.closes_on = d("2027-03-01");
        assert_eq!(
            p.validate().unwrap_err(),
            Error::invalid("closes_on", "error-window-order")
        );
        p.closes_on = d("2027-04-15");
        p.documents.push(police());
        assert_eq!(
            p.validate().unwrap_err(),
            Error::invalid("doc_type", "error-doc-type-duplicate")
        );
    }
}
