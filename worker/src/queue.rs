//! The job queue: one apalis storage, SQLite or Redis, holding `domain::jobs::Queued` jobs
//! (each with the trace it belongs to).

use std::time::Duration;

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use apalis_sqlite::SqliteStorage;
use domain::jobs::Queued;
use sea_orm::DatabaseConnection;

/// The default queue name; set explicitly so renaming the Rust type strands nothing.
pub const QUEUE: &str = "ustaz-jobs";

/// Attempts the queue makes before a job is left failed for a person to look at.
pub const MAX_ATTEMPTS: usize = 8;

/// How a worker shows it is alive: a heartbeat every `heartbeat`; a worker that misses
/// `missed` of them in a row is presumed dead, and another worker runs its jobs again.
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    pub heartbeat: Duration,
    pub missed: usize,
}

impl Liveness {
    pub fn from_config(config: &crate::Config) -> Liveness {
        Liveness {
            heartbeat: Duration::from_secs(config.worker_heartbeat_secs.max(1)),
            missed: config.worker_missed_heartbeats.max(1),
        }
    }
}

#[derive(Clone)]
pub enum JobQueue {
    Sqlite(SqliteStorage<Queued>),
    Redis(RedisStorage<Queued>),
}

impl JobQueue {
    /// The embedded queue, in the application's own SQLite database, through a small pool of
    /// its own. Sharing the pages' pool, the queue's polling (timeouts and heartbeats that
    /// cancel waits for a connection) was suspected of leaving the pages' pool unable to hand
    /// out a connection: now and then a page never answered, with every thread idle. Apart, a
    /// page waits only for other pages, and never longer than the pool's acquire timeout.
    pub async fn sqlite(
        db: &DatabaseConnection,
        name: &str,
        liveness: Liveness,
    ) -> anyhow::Result<JobQueue> {
        let options = (*db.get_sqlite_connection_pool().connect_options()).clone();
        let pool = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await?;
        SqliteStorage::setup(&pool).await?;
        let config = apalis_sqlite::Config::default()
            .queue(name)
            .heartbeat_interval(liveness.heartbeat)
            .missed_heartbeats(liveness.missed);
        Ok(JobQueue::Sqlite(
            SqliteStorage::new(&pool).with_config(config),
        ))
    }

    /// The production queue on Redis.
    pub async fn redis(url: &str, name: &str, liveness: Liveness) -> anyhow::Result<JobQueue> {
        let conn = apalis_redis::connect(url).await?;
        let config = apalis_redis::Config::default()
            .queue(name)
            .heartbeat_interval(liveness.heartbeat)
            .missed_heartbeats(liveness.missed)
            // Without a TTL Redis keeps no record of idempotency keys, and a job relayed twice
            // would be stored twice.
            .idempotency_ttl(Some(Duration::from_secs(7 * 24 * 3600)));
        Ok(JobQueue::Redis(RedisStorage::new(conn).with_config(config)))
    }

    /// Puts `job` on the queue. `key` makes a second push of the same job a no-op.
    pub async fn push(&self, key: &str, job: Queued) -> anyhow::Result<()> {
        let task = TaskBuilder::new(job)
            .idempotency_key(key)
            .max_attempts(MAX_ATTEMPTS)
            .build();
        match self {
            JobQueue::Sqlite(s) => s
                .clone()
                .push_task(task)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            JobQueue::Redis(r) => r
                .clone()
                .push_task(task)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        }
        Ok(())
    }

    /// Jobs on the queue by state (`pending`, `running`, `failed`), as the backend counts
    /// them; nothing when it does not answer (the scrape goes on without them).
    pub async fn depth(&self) -> Vec<(&'static str, u64)> {
        use apalis_core::backend::Metrics;
        let stats = match self {
            JobQueue::Sqlite(s) => s.fetch_by_queue().await.map_err(|e| e.to_string()),
            JobQueue::Redis(r) => r.fetch_by_queue().await.map_err(|e| e.to_string()),
        };
        let stats = match stats {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, "the queue's counts are not available");
                return Vec::new();
            }
        };
        [
            ("pending", "PENDING_JOBS"),
            ("running", "RUNNING_JOBS"),
            ("failed", "FAILED_JOBS"),
        ]
        .into_iter()
        .filter_map(|(state, title)| {
            let value = stats.iter().find(|s| s.title == title)?;
            Some((state, value.value.parse::<f64>().ok()? as u64))
        })
        .collect()
    }

    /// Whether the queue answers; used by `/readyz`.
    pub async fn ping(&self, db: &DatabaseConnection) -> bool {
        match self {
            JobQueue::Sqlite(_) => domain::db::ping(db).await,
            JobQueue::Redis(r) => {
                let mut conn = r.clone().get_connection().clone();
                redis_ping(&mut conn).await
            }
        }
    }
}

async fn redis_ping(conn: &mut apalis_redis::ConnectionManager) -> bool {
    let cmd = redis::cmd("PING");
    tokio::time::timeout(Duration::from_secs(2), cmd.query_async::<String>(conn))
        .await
        .is_ok_and(|r| r.is_ok())
}
