//! The background worker: takes jobs off the queue (apalis on SQLite in the embedded default,
//! on Redis in production) and runs them. The embedded server runs it in-process; production
//! runs any number of `worker` processes on one Redis.
//!
//! Every job is safe to run twice: the queue may hand a job over again after a crash, and the
//! outbox relay may enqueue a job twice. Side effects carry dedupe keys. Scheduled work
//! (`schedule`) claims its period, so it runs once however many workers tick.

pub mod health;
pub mod mail;
pub mod metrics;
pub mod outbox;
pub mod queue;
pub mod recruitment;
pub mod reports;
pub mod runner;
pub mod schedule;
pub mod settings;
pub mod telemetry;

pub use queue::JobQueue;
pub use runner::{WorkerState, run_supervised, run_worker};
pub use settings::{Config, Mode};
