//! Builds and runs the worker on whichever queue is configured.

use std::time::Duration;

use apalis::prelude::*;
use domain::jobs::{Job, Queued};
use sea_orm::DatabaseConnection;
use tracing::Instrument;

use crate::mail::{Mailer, send_email};
use crate::queue::JobQueue;

/// What job handlers need.
#[derive(Clone)]
pub struct WorkerState {
    pub db: DatabaseConnection,
    pub mailer: Mailer,
    pub mail_from: String,
    pub public_url: String,
    pub storage: domain::storage::Storage,
    /// How uploads are checked.
    pub checks: crate::recruitment::Checks,
    /// Fault injection for the crash tests: a pause between a job's work and recording its
    /// result. Zero everywhere else (no setting reaches it).
    pub pause_before_recording: Duration,
}

/// Runs one job. Every job kind is dispatched here, in one place, inside the job's span: a
/// child of the span that queued it (the upload's request, say), so one trace follows the work
/// from the request through every job it caused. The span names the job's kind and
/// organisation, never a person.
async fn handle(
    queued: Queued,
    state: Data<WorkerState>,
    attempt: Attempt,
) -> Result<(), BoxDynError> {
    let job = queued.job;
    let span = tracing::info_span!(
        "job",
        kind = job.kind(),
        tenant_id = tracing::field::Empty,
        attempt = attempt.current(),
    );
    if let Some(tenant_id) = job.tenant_id() {
        span.record("tenant_id", tracing::field::display(tenant_id));
    }
    domain::trace::follow(&span, queued.traceparent.as_deref());
    if let Some(at) = queued.queued_at {
        let waited = (chrono::Utc::now() - at).to_std().unwrap_or_default();
        crate::metrics::job_waited(job.kind(), waited);
    }
    let started = std::time::Instant::now();
    let result = run(&job, &state).instrument(span.clone()).await;
    crate::metrics::job_done(job.kind(), result.is_ok(), started.elapsed());
    if let Err(e) = &result {
        span.in_scope(|| {
            tracing::warn!(kind = job.kind(), attempt = attempt.current(), error = %e, "job failed; the queue retries it")
        });
    }
    result.map_err(|e| e.into())
}

async fn run(job: &Job, state: &WorkerState) -> anyhow::Result<()> {
    match job {
        Job::SendEmail(email) => {
            send_email(
                &state.db,
                &state.mailer,
                &state.mail_from,
                &state.public_url,
                email,
            )
            .await
        }
        Job::VerifyDocument {
            tenant_id,
            document_id,
        } => {
            crate::recruitment::verify_document(
                &state.db,
                &state.storage,
                &state.checks,
                *tenant_id,
                *document_id,
                state.pause_before_recording,
            )
            .await
        }
        Job::GenerateReport {
            tenant_id,
            report_id,
        } => {
            crate::reports::generate_report(
                &state.db,
                &state.storage,
                *tenant_id,
                *report_id,
                state.pause_before_recording,
            )
            .await
        }
    }
}

/// A name no other live worker has (the backends register workers by name).
fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("ustaz-worker-{}-{nanos}", std::process::id())
}

macro_rules! build_worker {
    ($backend:expr, $state:expr, $concurrency:expr) => {
        WorkerBuilder::new(unique_name())
            .backend($backend)
            .data($state)
            .concurrency($concurrency)
            .timeout(Duration::from_secs(120))
            .build(handle)
    };
}

/// Runs the worker until `shutdown` resolves; jobs already running are allowed to finish.
pub async fn run_worker(
    queue: JobQueue,
    state: WorkerState,
    concurrency: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let stop = async move {
        shutdown.await;
        Ok::<(), std::io::Error>(())
    };
    match queue {
        JobQueue::Sqlite(s) => {
            // Without a poll interval an idle worker only looks on its heartbeat (tens of seconds).
            let backend = s.poll_with_interval(Duration::from_millis(300));
            build_worker!(backend, state, concurrency)
                .run_until(stop)
                .await?
        }
        JobQueue::Redis(r) => build_worker!(r, state, concurrency).run_until(stop).await?,
    }
    Ok(())
}

/// Runs the worker until `stop` turns true, starting it again when it fails (for instance when
/// Redis restarted and forgot the worker's registration), with a growing pause between
/// attempts. Jobs it had in hand are recovered by the queue's orphan handling.
pub async fn run_supervised(
    queue: JobQueue,
    state: WorkerState,
    concurrency: usize,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut pause = Duration::from_secs(1);
    loop {
        let mut rx = stop.clone();
        let shutdown = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let result = run_worker(queue.clone(), state.clone(), concurrency, shutdown).await;
        if *stop.borrow() {
            return;
        }
        match result {
            Ok(()) => tracing::warn!("worker ended by itself; starting it again"),
            Err(e) => {
                tracing::error!(error = %e, retry_in = ?pause, "worker failed; starting it again")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}
