//! The worker's scheduled work, on apalis-cron. Every worker ticks on the same schedule (a
//! minute by default); on each tick it
//! - hands e-mails whose next attempt is due back to the queue (`domain::jobs`),
//! - announces the results of programmes whose results day has come (`selection::results`),
//! - runs each tenant's daily reminders once the tenant's local clock passes the reminder hour:
//!   overdue protocols, tomorrow's consultations and training days, pair terms and contracts
//!   ending, committee votes waiting, drafts before the window closes, documents expiring.
//!
//! Work that must happen once per period claims the period in `schedule_runs` in the same
//! transaction as the work (`domain::jobs::claim_run`), so it fires once however many workers
//! tick, and a run that fails gives its claim back for the next tick. Missed ticks (no worker
//! running at 09:00) are caught up by the next one, since the claim is for the day.

use std::str::FromStr;

use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use chrono::{DateTime, Timelike, Utc};
use domain::db::{self, Scope};
use domain::tenancy::entity::tenant;
use sea_orm::{DatabaseConnection, EntityTrait};

/// What the scheduled work needs.
#[derive(Clone)]
pub struct Scheduler {
    pub db: DatabaseConnection,
    /// The tenant-local hour from which the day's reminders go out (9 by default).
    pub reminder_hour: u32,
}

/// What one tick did (logs and tests).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    pub emails_requeued: usize,
    pub programmes_announced: usize,
    /// Tenants whose daily reminders this tick ran (claimed).
    pub reminder_runs: usize,
    pub reminders_queued: usize,
}

/// Runs everything due at `now`. Safe to call from any number of workers at once.
pub async fn run_due(s: &Scheduler, now: DateTime<Utc>) -> anyhow::Result<TickReport> {
    let mut report = TickReport {
        emails_requeued: domain::jobs::requeue_due_emails(&s.db).await?,
        programmes_announced: domain::selection::results::announce_due(&s.db).await?,
        ..Default::default()
    };
    // Request counts older than any limit's window serve nothing (idempotent, any worker).
    domain::accounts::throttle::prune(&s.db).await?;
    // So are forms' answers older than a day (a repeat that late is a new submission).
    domain::accounts::submissions::prune(&s.db).await?;
    let tenants = {
        let txn = db::read(&s.db, Scope::System).await?;
        let all = tenant::Entity::find().all(&txn).await?;
        txn.commit().await?;
        all
    };
    for t in tenants {
        let zone: chrono_tz::Tz = t.time_zone.parse().unwrap_or(chrono_tz::Asia::Almaty);
        let local = now.with_timezone(&zone);
        if local.hour() < s.reminder_hour {
            continue;
        }
        let today = local.date_naive();
        // One tenant whose run fails must not keep the others from theirs: its claim is given
        // back (the transaction rolls back) and the next tick tries it again.
        match tenant_day(&s.db, &t, today).await {
            Ok(None) => {}
            Ok(Some(queued)) => {
                report.reminder_runs += 1;
                report.reminders_queued += queued;
                tracing::info!(tenant = %t.slug, %today, reminders = queued, "daily reminders queued");
            }
            Err(e) => {
                tracing::error!(tenant = %t.slug, %today, error = %e, "daily reminders failed; the next tick retries")
            }
        }
    }
    Ok(report)
}

/// Claims and runs one tenant's day: `None` when another run has it already.
async fn tenant_day(
    db: &DatabaseConnection,
    t: &tenant::Model,
    today: chrono::NaiveDate,
) -> anyhow::Result<Option<usize>> {
    let txn = db::write(db, Scope::Tenant(t.id)).await?;
    if !domain::jobs::claim_run(&txn, &format!("reminders:{}:{today}", t.id)).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    let queued = daily_reminders(&txn, t, today).await?;
    let reports = domain::reports::service::schedule_due(&txn, t, today).await?;
    if reports > 0 {
        tracing::info!(tenant = %t.slug, reports, "scheduled reports queued");
    }
    txn.commit().await?;
    Ok(Some(queued))
}

/// Every room's reminders for one tenant's day, in the transaction that claimed the day.
async fn daily_reminders(
    txn: &impl sea_orm::ConnectionTrait,
    t: &tenant::Model,
    today: chrono::NaiveDate,
) -> anyhow::Result<usize> {
    use domain::{matching, recruitment, selection, support};
    Ok(support::reminders::protocol_overdue(txn, t, today).await?
        + support::reminders::consultations_tomorrow(txn, t, today).await?
        + selection::reminders::training_days_tomorrow(txn, t, today).await?
        + selection::reminders::appointments_tomorrow(txn, t, today).await?
        + selection::reminders::contracts_ending(txn, t, today).await?
        + selection::reminders::votes_pending(txn, t, today).await?
        + matching::reminders::pairs_ending(txn, t, today).await?
        + recruitment::reminders::applications_incomplete(txn, t, today).await?
        + recruitment::reminders::documents_expiring(txn, t, today).await?)
}

async fn on_tick(tick: Tick, s: Data<Scheduler>) -> Result<(), BoxDynError> {
    let now = DateTime::<Utc>::from_timestamp(i64::try_from(tick.get_timestamp())?, 0)
        .unwrap_or_else(Utc::now);
    match run_due(&s, now).await {
        Ok(r) if r != TickReport::default() => tracing::info!(?r, "scheduled work done"),
        Ok(_) => {}
        // The next tick tries again; nothing was claimed by the part that failed.
        Err(e) => tracing::warn!(error = %e, "scheduled work failed; the next tick retries"),
    }
    Ok(())
}

/// Ticks on `cron` (six fields, seconds first: `0 * * * * *` is every minute) until `stop`.
pub async fn run_scheduler(
    scheduler: Scheduler,
    cron: &str,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let schedule = cron::Schedule::from_str(cron)
        .map_err(|e| anyhow::anyhow!("the schedule {cron:?} is not a cron expression: {e}"))?;
    let worker = WorkerBuilder::new(format!("ustaz-scheduler-{}", uuid::Uuid::now_v7()))
        .backend(CronScheduler::new(schedule))
        .data(scheduler)
        .build(on_tick);
    let shutdown = async move {
        let _ = stop.wait_for(|s| *s).await;
        Ok::<(), std::io::Error>(())
    };
    worker.run_until(shutdown).await?;
    Ok(())
}
