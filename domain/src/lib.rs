//! Ustaz's business rules. Pages, API handlers and jobs all call these; none of them repeats a
//! rule. Without the `server` feature (the wasm bundle) only the shared types, validation and
//! translations are compiled.
//!
//! Rooms: `accounts`, `tenancy` (and, as the product grows, `recruitment`, `selection`,
//! `matching`, `support`, `reports`).

pub mod accounts;
pub mod error;
pub mod i18n;
pub mod recruitment;
pub mod selection;
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
