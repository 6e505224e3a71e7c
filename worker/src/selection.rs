//! The selection room's scheduled work: results day.

use std::time::Duration;

use sea_orm::DatabaseConnection;

/// Announces the results of every programme whose results date has come, checking every
/// `every`. Every worker runs it; `announce_due` makes concurrent runs send nothing twice.
pub async fn results_day_loop(
    db: DatabaseConnection,
    every: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        match domain::selection::results::announce_due(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(programmes = n, "results day: outcomes announced"),
            Err(e) => tracing::warn!(error = %e, "results day check failed; will retry"),
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
