//! All cross-crate tests in one binary (one link, shared helpers): accounts and sessions, the
//! refusal table over every route, PostgreSQL with row-level security and Redis, and the
//! browser journey in Chromium.

mod accounts;
mod attacks;
mod browser;
mod deploy;
mod email;
mod forms;
mod grants;
mod groups;
mod jobs;
mod matching;
mod once;
mod pairs;
mod postgres;
mod record_documents;
mod recruitment;
mod refusals;
mod reminders;
mod reports;
mod selection;
mod selection_pages;
mod traces;
mod waiting;
