//! The one error type of domain services.
//!
//! Every variant carries an i18n key (`Error::code`), so pages show it in the user's language
//! and the API returns it as a stable machine-readable code. HTTP mapping lives in the server
//! (`server::errors`), once. Another tenant's resource is `NotFound`, never `Forbidden`, so a
//! refusal does not reveal that the thing exists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::i18n::Locale;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("sign-in required")]
    Unauthenticated,
    /// Bad input in one field; `code` is an i18n key such as `error-email-invalid`.
    #[error("invalid {field}: {code}")]
    Invalid { field: String, code: String },
    /// The request clashes with the current state; `code` is an i18n key.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many attempts, retry in {retry_after_secs}s")]
    RateLimited { retry_after_secs: u64 },
    /// Rules that are not met (eligibility, or what an application still lacks); `code` is
    /// the i18n key of the heading, each item names one rule.
    #[error("{code}: {} rule(s) not met", items.len())]
    Unmet { code: String, items: Vec<Unmet> },
    /// A file whose real type (from its bytes) is not accepted.
    #[error("unsupported file type: {code}")]
    UnsupportedType {
        code: String,
        detected: Option<String>,
    },
    /// A body or file over its limit; nothing was kept.
    #[error("too large: more than {limit} bytes")]
    TooLarge { limit: u64 },
    /// Details go to the log under `reference`; the user sees only the reference.
    #[error("internal error (reference {reference})")]
    Internal { reference: String },
}

/// One rule a person does not meet, with what it asked and what they said. `code` is an i18n
/// key; `args` fill its placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Unmet {
    pub code: String,
    pub args: BTreeMap<String, String>,
}

impl Unmet {
    pub fn new(code: &str, args: &[(&str, String)]) -> Unmet {
        Unmet {
            code: code.to_string(),
            args: args
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }
    pub fn message(&self, locale: Locale) -> String {
        locale.t_map(&self.code, &self.args)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: &str, code: &str) -> Self {
        Error::Invalid {
            field: field.to_string(),
            code: code.to_string(),
        }
    }

    /// The i18n key of the message, also the API's `error` code.
    pub fn code(&self) -> &str {
        match self {
            Error::NotFound => "error-not-found",
            Error::Forbidden => "error-forbidden",
            Error::Unauthenticated => "error-unauthenticated",
            Error::Invalid { code, .. } => code,
            Error::Conflict(code) => code,
            Error::RateLimited { .. } => "error-rate-limited",
            Error::Unmet { code, .. } => code,
            Error::UnsupportedType { code, .. } => code,
            Error::TooLarge { .. } => "error-file-too-large",
            Error::Internal { .. } => "error-internal",
        }
    }

    /// The message in the user's language.
    pub fn message(&self, locale: Locale) -> String {
        match self {
            Error::RateLimited { retry_after_secs } => locale.t_args(
                "error-rate-limited",
                &[("minutes", retry_after_secs.div_ceil(60).max(1).to_string())],
            ),
            Error::TooLarge { limit } => locale.t_args(
                "error-file-too-large",
                &[("size", crate::recruitment::human_size(*limit))],
            ),
            Error::UnsupportedType {
                code,
                detected: Some(detected),
            } => locale.t_args(code, &[("detected", detected.clone())]),
            Error::Internal { reference } => {
                locale.t_args("error-internal", &[("reference", reference.clone())])
            }
            other => locale.t(other.code()),
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

#[cfg(feature = "server")]
impl Error {
    /// An internal failure: `detail` goes to the log under a fresh reference.
    pub fn internal(detail: impl std::fmt::Display) -> Error {
        let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        tracing::error!(%reference, error = %detail, "internal error");
        Error::Internal { reference }
    }
}

#[cfg(feature = "server")]
impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        tracing::error!(%reference, error = %err, "database error");
        Error::Internal { reference }
    }
}
