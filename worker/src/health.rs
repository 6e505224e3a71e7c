//! `/healthz` and `/readyz`, for an orchestrator's probes (issue 21). The server answers them on
//! its own port; a separate `worker` process, which has no other HTTP, answers them on
//! `USTAZ_HEALTH_ADDR` when that is set (its Kubernetes Deployment probes them).
//!
//! `/healthz`: the process runs (liveness: restart it if not). `/readyz`: the database and the
//! queue answer (readiness: 503 with which one does not, and no restart, while a service is
//! away).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use sea_orm::DatabaseConnection;

use crate::JobQueue;

/// The two probes' routes.
pub fn router(db: DatabaseConnection, queue: JobQueue) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state((db, queue))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State((db, queue)): State<(DatabaseConnection, JobQueue)>) -> impl IntoResponse {
    let database = domain::db::ping(&db).await;
    let queue = queue.ping(&db).await;
    let status = if database && queue {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(serde_json::json!({"database": database, "queue": queue})),
    )
}

/// Answers the probes on `listener` until `stop` turns true.
pub async fn serve(
    listener: tokio::net::TcpListener,
    db: DatabaseConnection,
    queue: JobQueue,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    serve_until(listener, router(db, queue), stop).await
}

/// Serves `router` on a port of its own (the probes, the metrics) until `stop` turns true.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    router: Router,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await
}
