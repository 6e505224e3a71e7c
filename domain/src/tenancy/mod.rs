//! Organisations on the platform: tenants, their regions and institutions, the request's
//! tenant context (who acts, with which roles) and the audit log.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Error;
use crate::i18n::Locale;

#[cfg(feature = "server")]
pub mod audit;
#[cfg(feature = "server")]
pub mod context;
#[cfg(feature = "server")]
pub mod entity;
#[cfg(feature = "server")]
pub mod service;

/// One entry of an audit log as staff read it: who did what to which record, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AuditEventView {
    pub id: Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    /// `None` for the system's own work (a job, the scheduler).
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    /// What was done, e.g. `child.read`, `consultation.read`, `pairs.listed`.
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<Uuid>,
}

/// A page of a list: its items and, when there are more, the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    /// Pass as `cursor` for the older events; `None` on the last page.
    pub next_cursor: Option<Uuid>,
}

/// The largest page of a list anyone may ask for, and the page size when they ask for none.
pub const MAX_PAGE: u64 = 200;
pub const DEFAULT_PAGE: u64 = 50;

/// Path segments the portal uses itself; a tenant cannot take them as its slug.
const RESERVED_SLUGS: [&str; 8] = [
    "api", "t", "platform", "pkg", "assets", "login", "admin", "static",
];

/// A tenant's address in URLs (`/t/{slug}/…`): 3–40 of `a-z`, `0-9` and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Slug, Error> {
        let s = raw.trim().to_ascii_lowercase();
        let ok_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !(3..=40).contains(&s.len())
            || !ok_chars
            || s.starts_with('-')
            || s.ends_with('-')
            || s.contains("--")
            || RESERVED_SLUGS.contains(&s.as_str())
        {
            return Err(Error::invalid("slug", "error-slug-invalid"));
        }
        Ok(Slug(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Whether `raw` is a slug exactly as written (nothing to trim or lower): what an address
    /// taken from a request must be before it goes into a redirect or a selector.
    pub fn is_exact(raw: &str) -> bool {
        Slug::parse(raw).is_ok_and(|s| s.0 == raw)
    }
}

impl TryFrom<String> for Slug {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Slug::parse(&value)
    }
}
impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

/// A short free-text name (region, institution, tenant): trimmed, 1–200 characters.
pub fn validate_name(field: &str, raw: &str) -> Result<String, Error> {
    let s = raw.trim();
    let n = s.chars().count();
    if n == 0 {
        return Err(Error::invalid(field, "error-name-required"));
    }
    if n > 200 || s.chars().any(char::is_control) {
        return Err(Error::invalid(field, "error-name-invalid"));
    }
    Ok(s.to_string())
}

/// An IANA time zone name such as `Asia/Almaty`.
pub fn validate_time_zone(raw: &str) -> Result<String, Error> {
    #[cfg(feature = "server")]
    {
        raw.trim()
            .parse::<chrono_tz::Tz>()
            .map(|tz| tz.name().to_string())
            .map_err(|_| Error::invalid("time_zone", "error-time-zone-invalid"))
    }
    #[cfg(not(feature = "server"))]
    {
        Ok(raw.trim().to_string())
    }
}

pub const DEFAULT_TIME_ZONE: &str = "Asia/Almaty";

/// The zones the portal offers an organisation (IANA names, each with its label's key):
/// Kazakhstan's, then its neighbours'. The API takes any IANA name.
pub const TIME_ZONES: [(&str, &str); 11] = [
    ("Asia/Almaty", "zone-almaty"),
    ("Asia/Qostanay", "zone-qostanay"),
    ("Asia/Qyzylorda", "zone-qyzylorda"),
    ("Asia/Aqtobe", "zone-aqtobe"),
    ("Asia/Aqtau", "zone-aqtau"),
    ("Asia/Atyrau", "zone-atyrau"),
    ("Asia/Oral", "zone-oral"),
    ("Asia/Tashkent", "zone-tashkent"),
    ("Asia/Bishkek", "zone-bishkek"),
    ("Asia/Dushanbe", "zone-dushanbe"),
    ("Europe/Moscow", "zone-moscow"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TenantView {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub default_locale: Locale,
    pub time_zone: String,
    pub lead_tenant_slug: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct RegionView {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct InstitutionView {
    pub id: Uuid,
    pub name: String,
    pub kind: InstitutionKind,
    pub region_id: Option<Uuid>,
    pub region_name: Option<String>,
    pub address: Option<String>,
}

/// The kinds of places children live or youth groups meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    Orphanage,
    BoardingSchool,
    HostOrganisation,
    Other,
}

impl InstitutionKind {
    pub const ALL: [InstitutionKind; 4] = [
        InstitutionKind::Orphanage,
        InstitutionKind::BoardingSchool,
        InstitutionKind::HostOrganisation,
        InstitutionKind::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            InstitutionKind::Orphanage => "orphanage",
            InstitutionKind::BoardingSchool => "boarding_school",
            InstitutionKind::HostOrganisation => "host_organisation",
            InstitutionKind::Other => "other",
        }
    }
    pub fn label_key(self) -> String {
        format!("institution-kind-{}", self.as_str().replace('_', "-"))
    }
    pub fn parse(raw: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| Error::invalid("kind", "error-institution-kind-invalid"))
    }
}

/// What the tenant dashboard counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DashboardCounts {
    pub staff: u64,
    pub mentors: u64,
    pub regions: u64,
    pub institutions: u64,
    pub open_invitations: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_slug_is_one_as_written() {
        let written = String::from("almaty") + "-mentors";
        assert!(Slug::is_exact(&written));
        for bad in [
            "Almaty-mentors",
            " almaty-mentors",
            "almaty-mentors\n",
            "almaty\nmentors",
            "",
        ] {
            assert!(!Slug::is_exact(bad), "{bad:?}");
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(
            Slug::parse(" Almaty-Mentors ").unwrap().as_str(),
            "almaty-mentors"
        );
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a--b",
            "api",
            "кар",
            "a b c",
            &"x".repeat(41),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_and_zones() {
        assert_eq!(validate_name("name", "  Орбита-3 ").unwrap(), "Орбита-3");
        assert!(validate_name("name", "   ").is_err());
        assert_eq!(validate_time_zone("Asia/Almaty").unwrap(), "Asia/Almaty");
        assert!(validate_time_zone("Mars/Olympus").is_err());
    }
}
