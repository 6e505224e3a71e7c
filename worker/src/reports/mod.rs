//! The reports room's job: making a report.

pub mod render;

use std::time::Duration;

use chrono::Utc;
use domain::db::{self, Scope};
use domain::reports::service::{self, Work, storage_key};
use domain::reports::{Audience, ReportFormat, ReportKind, figures, grants};
use domain::storage::Storage;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

/// Computes the report's figures, writes its three files and marks it done, telling the
/// admins. Safe to run twice: a finished report is skipped, the files go under fixed keys, and
/// `finish` records (and e-mails) once. A report that cannot be made is marked failed (the
/// admin can ask again) rather than retried without end.
pub async fn generate_report(
    db: &DatabaseConnection,
    storage: &Storage,
    tenant_id: Uuid,
    report_id: Uuid,
    pause_between_steps: Duration,
) -> anyhow::Result<()> {
    let Some(work) = service::start(db, tenant_id, report_id).await? else {
        tracing::info!(%report_id, "report already made or gone; nothing to do");
        return Ok(());
    };
    match make(db, storage, &work, pause_between_steps).await {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::error!(%report_id, error = %e, "report failed");
            service::fail(db, tenant_id, report_id, "error-report-failed").await?;
            Ok(())
        }
    }
}

async fn make(
    db: &DatabaseConnection,
    storage: &Storage,
    w: &Work,
    pause: Duration,
) -> anyhow::Result<()> {
    let tid = w.tenant.id;
    let step = |pct: u8| async move {
        service::progress(db, tid, w.report_id, pct).await?;
        // Zero but in the tests that watch the progress bar move.
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        anyhow::Ok(())
    };
    step(10).await?;
    let l = w.locale;
    // A network report presents the lead's and its partners' counts; a funder report its
    // grant's progress; every other report the tenant's figures.
    let (tables, title) = if w.kind == ReportKind::Network {
        let n = service::network_figures(db, &w.tenant, w.period, l).await?;
        (n.tables(l), l.t(w.kind.label_key()))
    } else {
        let txn = db::read(db, Scope::Tenant(tid)).await?;
        let out = match w.grant_id {
            Some(grant_id) => {
                let g = grants::service::find(&txn, tid, grant_id).await?;
                let p =
                    grants::service::progress(&txn, &w.tenant, &g, w.period.last_day(), l).await?;
                let title = format!(
                    "{}: {} ({})",
                    l.t(w.kind.label_key()),
                    p.grant.title,
                    p.grant.funder
                );
                (p.tables(l), title)
            }
            None => {
                let f = figures::compute(&txn, &w.tenant, w.period, l).await?;
                (f.tables(l, w.audience), l.t(w.kind.label_key()))
            }
        };
        txn.commit().await?;
        out
    };
    step(40).await?;
    let heading = render::Heading {
        title,
        tenant: w.tenant.name.clone(),
        period: format!("{}: {}", l.t("report-period"), w.period.label()),
        generated: format!(
            "{}: {}",
            l.t("report-generated"),
            Utc::now()
                .with_timezone(
                    &w.tenant
                        .time_zone
                        .parse()
                        .unwrap_or(chrono_tz::Asia::Almaty)
                )
                .format("%d.%m.%Y %H:%M")
        ),
        note: match w.audience {
            Audience::Shared => l.t("report-suppression-note"),
            Audience::Own => l.t("report-exact-note"),
        },
        language: l.code().to_string(),
        summary_sheet: l.t("report-sheet-summary"),
    };
    let csv = render::csv(&heading, &tables)?;
    let xlsx = render::xlsx(&heading, &tables)?;
    step(55).await?;
    // Laying out the PDF is CPU work; it stays off the async threads.
    let pdf = tokio::task::spawn_blocking(move || render::pdf(&heading, &tables)).await??;
    step(80).await?;
    for (format, bytes) in [
        (ReportFormat::Csv, csv),
        (ReportFormat::Xlsx, xlsx),
        (ReportFormat::Pdf, pdf),
    ] {
        storage
            .put_bytes(
                &storage_key(tid, w.report_id, format),
                format.content_type(),
                bytes,
            )
            .await?;
    }
    step(95).await?;
    service::finish(db, w).await?;
    Ok(())
}
