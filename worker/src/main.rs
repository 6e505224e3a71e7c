//! `worker`: runs background jobs from the Redis queue in production (any number of these
//! processes may run). The embedded default needs none: the server runs the worker itself.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use worker::mail::Mailer;
use worker::{Config, JobQueue, WorkerState};

#[derive(Parser)]
#[command(
    name = "worker",
    version,
    about = "Runs Ustaz background jobs (e-mail now; verification, reminders and reports later).",
    long_about = "Runs Ustaz background jobs from the queue.\n\nReads the same settings as the server: defaults, an optional TOML file (--config or USTAZ_CONFIG), then USTAZ_-prefixed environment variables (USTAZ_DATABASE_URL, USTAZ_REDIS_URL, USTAZ_SMTP_URL, USTAZ_PUBLIC_URL, USTAZ_MAIL_FROM). Also relays the job outbox, so jobs committed while Redis was down are queued once it is back."
)]
struct Cli {
    /// A TOML file with settings (overridden by USTAZ_* variables).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Jobs run at once by this process.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load_or_exit("worker", cli.config.as_deref());
    let _telemetry = worker::telemetry::init("ustaz-worker", config.json_logs);
    let db = domain::db::connect(&config.database_url(), config.database_max_connections).await?;
    let queue = match &config.redis_url {
        Some(url) => {
            JobQueue::redis(
                url,
                &config.queue_name,
                worker::queue::Liveness::from_config(&config),
            )
            .await?
        }
        None => {
            JobQueue::sqlite(
                &db,
                &config.queue_name,
                worker::queue::Liveness::from_config(&config),
            )
            .await?
        }
    };
    let mailer = match &config.smtp_url {
        Some(url) => Mailer::smtp(url)?,
        None => Mailer::files(config.outbox_dir())?,
    };
    let state = WorkerState {
        db: db.clone(),
        mailer,
        mail_from: config.mail_from.clone(),
        public_url: config.public_url(),
        storage: config.open_storage().await?,
        checks: config.checks()?,
        pause_before_recording: Duration::ZERO,
    };
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = worker::schedule::Scheduler {
        db: db.clone(),
        reminder_hour: config.reminder_hour,
    };
    let (cron, stop_scheduler) = (config.schedule.clone(), stop_rx.clone());
    tokio::spawn(async move {
        if let Err(e) = worker::schedule::run_scheduler(scheduler, &cron, stop_scheduler).await {
            tracing::error!(error = %e, "the scheduler stopped");
        }
    });
    let relay = tokio::spawn(worker::outbox::relay_loop(
        db,
        queue.clone(),
        Duration::from_secs(1),
        stop_rx.clone(),
    ));
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: running jobs finish first");
        let _ = stop.send(true);
    });
    if let Some(addr) = config.health_addr {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!(%addr, "answering /healthz and /readyz");
        let (db, queue, stop) = (state.db.clone(), queue.clone(), stop_rx.clone());
        tokio::spawn(async move {
            if let Err(e) = worker::health::serve(listener, db, queue, stop).await {
                tracing::error!(error = %e, "the health endpoint stopped");
            }
        });
    }
    if let Some(addr) = config.metrics_addr {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!(%addr, "answering /metrics");
        let (db, queue, stop) = (state.db.clone(), queue.clone(), stop_rx.clone());
        tokio::spawn(async move {
            if let Err(e) = worker::metrics::serve(listener, db, queue, stop).await {
                tracing::error!(error = %e, "the metrics endpoint stopped");
            }
        });
    }
    tracing::info!(concurrency = cli.concurrency, "worker started");
    worker::run_supervised(queue, state, cli.concurrency, stop_rx).await;
    let _ = relay.await;
    Ok(())
}
