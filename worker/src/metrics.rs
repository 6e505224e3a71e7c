//! Metrics in the Prometheus text format, on `/metrics` at `USTAZ_METRICS_ADDR` (a port of its
//! own, apart from the portal: an orchestrator scrapes it, people never reach it). Beside the
//! traces (issue 21): requests by route, the queue's depth and age, jobs by outcome, e-mails
//! sent and failed, uploads passed and refused by the automatic check.
//!
//! Labels name routes, kinds and outcomes, never a person or an organisation: a tenant label
//! would tell anyone who reads the metrics which NGOs are busy, and multiplies the series.

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::DatabaseConnection;

use crate::JobQueue;

/// Seconds: from a fast page to a slow report.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (tests start many apps in one process).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder installed first (a test harness) keeps the counting; ours renders
        // nothing then, which no test of ours does.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// One answered request: `route` is the route's pattern (`/api/v1/t/{tenant}/…`), never the
/// address itself, which holds ids.
pub fn request(route: &str, method: &str, status: u16, took: Duration) {
    let labels = [
        ("route", route.to_string()),
        ("method", method.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!("ustaz_http_requests_total", &labels).increment(1);
    metrics::histogram!("ustaz_http_request_duration_seconds", &labels[..2])
        .record(took.as_secs_f64());
}

/// A job the worker finished: `ok`, or failed (the queue tries it again); and how long it waited
/// between its commit and its start.
pub fn job_done(kind: &'static str, ok: bool, took: Duration) {
    let outcome = if ok { "done" } else { "failed" };
    metrics::counter!("ustaz_jobs_total", "kind" => kind, "outcome" => outcome).increment(1);
    metrics::histogram!("ustaz_job_duration_seconds", "kind" => kind).record(took.as_secs_f64());
}

pub fn job_waited(kind: &'static str, waited: Duration) {
    metrics::histogram!("ustaz_job_wait_seconds", "kind" => kind).record(waited.as_secs_f64());
}

/// An e-mail's attempt: `sent`, `retry` (the server refused for now or could not be reached),
/// `failed` (given up), `skipped` (its key was sent or is being sent already).
pub fn email(outcome: &'static str) {
    metrics::counter!("ustaz_emails_total", "outcome" => outcome).increment(1);
}

/// An upload the automatic check decided.
pub fn upload_checked(passed: bool) {
    let outcome = if passed { "passed" } else { "refused" };
    metrics::counter!("ustaz_uploads_checked_total", "outcome" => outcome).increment(1);
}

/// `/metrics`: the counters, and the queue's depth and age read at the moment of the scrape.
pub fn router(db: DatabaseConnection, queue: JobQueue) -> Router {
    // Installed now, so that the first scrape already has the process's counters.
    handle();
    Router::new()
        .route("/metrics", get(render))
        .with_state((db, queue))
}

async fn render(State((db, queue)): State<(DatabaseConnection, JobQueue)>) -> impl IntoResponse {
    if let Ok((waiting, age)) = domain::jobs::backlog_age(&db).await {
        metrics::gauge!("ustaz_outbox_jobs").set(waiting as f64);
        metrics::gauge!("ustaz_outbox_oldest_seconds")
            .set(age.num_milliseconds().max(0) as f64 / 1000.0);
    }
    for (state, count) in queue.depth().await {
        metrics::gauge!("ustaz_queue_jobs", "state" => state).set(count as f64);
    }
    let handle = handle();
    handle.run_upkeep();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
}

/// Answers `/metrics` on `listener` until `stop` turns true.
pub async fn serve(
    listener: tokio::net::TcpListener,
    db: DatabaseConnection,
    queue: JobQueue,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    crate::health::serve_until(listener, router(db, queue), stop).await
}
