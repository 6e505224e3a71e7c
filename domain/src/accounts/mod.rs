//! People and access: users, roles and memberships, sign-in, sessions, invitations,
//! password resets and API tokens.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

#[cfg(feature = "server")]
pub mod entity;
pub mod notifications;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod submissions;
#[cfg(feature = "server")]
pub mod throttle;
#[cfg(feature = "server")]
pub mod tokens;

/// An e-mail address that has been checked; stored and compared in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, Error> {
        let value = raw.trim().to_lowercase();
        let bad = || Error::invalid("email", "error-email-invalid");
        if value.is_empty() || value.len() > 254 {
            return Err(bad());
        }
        let parsed: email_address::EmailAddress = value.parse().map_err(|_| bad())?;
        // RFC 5322 allows `user@localhost` and quoted local parts; nobody mails a mentor there.
        let domain = parsed.domain();
        let plain = |c: char| c.is_ascii_alphanumeric() || ".-_+".contains(c);
        if !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || !parsed.local_part().chars().all(plain)
            || !domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(bad());
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a new password. Long passphrases are welcome; a cap keeps hashing cheap to refuse.
pub fn validate_new_password(password: &str) -> Result<(), Error> {
    let n = password.chars().count();
    if n < 10 {
        return Err(Error::invalid("password", "error-password-too-short"));
    }
    if n > 128 {
        return Err(Error::invalid("password", "error-password-too-long"));
    }
    if password.trim().is_empty() {
        return Err(Error::invalid("password", "error-password-too-short"));
    }
    Ok(())
}

/// A person's display name as entered, trimmed; 1–120 characters, no control characters.
pub fn validate_full_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 {
        return Err(Error::invalid("full_name", "error-name-required"));
    }
    if n > 120 || name.chars().any(char::is_control) {
        return Err(Error::invalid("full_name", "error-name-invalid"));
    }
    Ok(name.to_string())
}

/// What someone may do within a tenant. `PlatformAdmin` is the platform operator's role and is
/// never held inside a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    TenantAdmin,
    Coordinator,
    Psychologist,
    CommitteeMember,
    Trainer,
    Mentor,
    Applicant,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::PlatformAdmin,
        Role::TenantAdmin,
        Role::Coordinator,
        Role::Psychologist,
        Role::CommitteeMember,
        Role::Trainer,
        Role::Mentor,
        Role::Applicant,
    ];

    /// Roles a tenant admin may give to staff by invitation.
    pub const STAFF: [Role; 6] = [
        Role::TenantAdmin,
        Role::Coordinator,
        Role::Psychologist,
        Role::CommitteeMember,
        Role::Trainer,
        Role::Mentor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::TenantAdmin => "tenant_admin",
            Role::Coordinator => "coordinator",
            Role::Psychologist => "psychologist",
            Role::CommitteeMember => "committee_member",
            Role::Trainer => "trainer",
            Role::Mentor => "mentor",
            Role::Applicant => "applicant",
        }
    }

    /// The i18n key of the role's name.
    pub fn label_key(self) -> String {
        format!("role-{}", self.as_str().replace('_', "-"))
    }

    /// Whether the role belongs to the organisation's team (as opposed to mentors/applicants).
    pub fn is_staff(self) -> bool {
        matches!(
            self,
            Role::TenantAdmin
                | Role::Coordinator
                | Role::Psychologist
                | Role::CommitteeMember
                | Role::Trainer
        )
    }

    /// Roles whose work is limited to one region when a region is set on the membership.
    pub fn is_region_scoped(self) -> bool {
        matches!(
            self,
            Role::Coordinator | Role::Psychologist | Role::CommitteeMember | Role::Trainer
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| Error::invalid("role", "error-role-invalid"))
    }
}

/// The low-vision setting (issue 20): larger text and a high-contrast scheme, each chosen by
/// the person, remembered on their account (and in a cookie before they sign in), and drawn
/// as classes on the page's root element, so it works without any script.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Display {
    pub large_text: bool,
    pub high_contrast: bool,
}

impl Display {
    /// The cookie's value and the root element's classes: `large`, `contrast`, both, or none.
    pub fn classes(self) -> String {
        [
            self.large_text.then_some("large"),
            self.high_contrast.then_some("contrast"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
    }

    /// Reads [`Display::classes`] back (from the cookie); anything else is ignored.
    pub fn from_classes(s: &str) -> Display {
        let words = || s.split([' ', '+', ',']);
        Display {
            large_text: words().any(|w| w == "large"),
            high_contrast: words().any(|w| w == "contrast"),
        }
    }
}

/// A membership as pages and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MembershipView {
    pub tenant_slug: String,
    pub tenant_name: String,
    pub role: Role,
    pub region_id: Option<uuid::Uuid>,
}

/// A tenant's user as the staff page and `list_users` show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct StaffMember {
    pub membership_id: uuid::Uuid,
    pub user_id: uuid::Uuid,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub region_id: Option<uuid::Uuid>,
    pub region_name: Option<String>,
    pub active: bool,
}

/// An open invitation as the staff page and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct InvitationView {
    pub id: uuid::Uuid,
    pub email: String,
    pub role: Role,
    pub region_id: Option<uuid::Uuid>,
    pub expires_at: chrono::DateTime<chrono::FixedOffset>,
    pub accepted: bool,
}

/// What the accept-invitation page shows before the person sets a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct InvitationPreview {
    pub tenant_name: String,
    pub email: String,
    pub role: Role,
    /// The address already has a confirmed account: accepting keeps its name and replaces its
    /// password with the one chosen now.
    pub has_account: bool,
}

/// One of a person's API tokens as its owner sees it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ApiTokenView {
    pub id: uuid::Uuid,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Neither revoked nor expired.
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Admin@Almaty-Mentors.Demo ")
                .unwrap()
                .as_str(),
            "admin@almaty-mentors.demo"
        );
        for bad in [
            "",
            "no-at-sign",
            "a@b",
            "a b@c.kz",
            "a@@c.kz",
            "a@.kz",
            "a@kz.",
            "\"q\"@c.kz",
            "a\u{7}@c.kz",
        ] {
            assert_eq!(
                Email::parse(bad).unwrap_err().code(),
                "error-email-invalid",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn passwords_and_names() {
        assert!(validate_new_password("short").is_err());
        assert!(validate_new_password("correct horse battery").is_ok());
        assert!(validate_new_password(&"x".repeat(129)).is_err());
        assert_eq!(validate_full_name("  Айгерим Н. ").unwrap(), "Айгерим Н.");
        assert!(validate_full_name("a\u{7}b").is_err());
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }
}

#[cfg(test)]
mod display_tests {
    use super::Display;

    #[test]
    fn a_display_setting_is_read_back_from_its_classes() {
        for large_text in [false, true] {
            for high_contrast in [false, true] {
                let d = Display {
                    large_text,
                    high_contrast,
                };
                assert_eq!(Display::from_classes(&d.classes()), d);
            }
        }
        assert_eq!(Display::default().classes(), "");
        assert_eq!(
            Display::from_classes("large+contrast"),
            Display {
                large_text: true,
                high_contrast: true
            }
        );
        // A cookie someone wrote by hand sets nothing it does not name.
        assert_eq!(
            Display::from_classes("larger; contrasty <b>"),
            Display::default()
        );
    }
}
