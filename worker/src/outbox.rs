//! The outbox relay: moves jobs committed to the `outbox` table onto the queue. If the queue is
//! unreachable the rows stay and the next round retries, so no committed job is lost.

use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::queue::JobQueue;

/// Hands every waiting outbox row to the queue; returns how many went over.
pub async fn relay_once(db: &DatabaseConnection, queue: &JobQueue) -> anyhow::Result<usize> {
    let mut moved = 0;
    for (id, job) in domain::jobs::pending(db, 100).await? {
        // The outbox id is the idempotency key: a row relayed twice (two relays, or a crash
        // between push and delete) is queued once.
        queue.push(&format!("outbox:{id}"), job).await?;
        domain::jobs::handed_over(db, id).await?;
        moved += 1;
    }
    Ok(moved)
}

/// Relays until `shutdown` resolves, every `every`.
pub async fn relay_loop(
    db: DatabaseConnection,
    queue: JobQueue,
    every: Duration,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut shutdown = shutdown;
    loop {
        match relay_once(&db, &queue).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(jobs = n, "outbox relayed"),
            Err(e) => tracing::warn!(error = %e, "outbox relay failed; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => break,
        }
        if *shutdown.borrow() {
            break;
        }
    }
}
