//! Ustaz's business rules. Pages, API handlers and jobs all call these; none of them repeats a
//! rule. Without the `server` feature (the wasm bundle) only the shared types, validation and
//! translations are compiled.
//!
//! Rooms: `accounts`, `tenancy`, `recruitment`, `selection`, `matching` (for now the ranking
//! of mentors for a child), `support` (for now the overdue rule), `reports`.

pub mod accounts;
pub mod error;
pub mod i18n;
pub mod matching;
pub mod recruitment;
pub mod reports;
pub mod selection;
pub mod support;
pub mod tenancy;

#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod jobs;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod seed;
#[cfg(feature = "server")]
pub mod storage;
#[cfg(feature = "server")]
pub mod trace;

pub use error::{Error, Result};

/// A moment as the organisation's clock read it: the instant, with the offset of the tenant's
/// time zone at that instant. Views shown to people carry these, so a page prints the hour the
/// organisation lived (15:00 typed is 15:00 shown) without the bundle knowing any time zone.
/// View structs spell the type out (`chrono::DateTime<chrono::FixedOffset>`): the OpenAPI
/// derive knows a date-time by its name, not through an alias.
pub type Moment = chrono::DateTime<chrono::FixedOffset>;
pub use i18n::Locale;
