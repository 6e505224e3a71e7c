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

pub use error::{Error, Result};
pub use i18n::Locale;
