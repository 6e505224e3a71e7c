//! Asking for reports, listing them and fetching their files (tenant admins), and the worker's
//! side: claiming a report, recording its progress and its files, telling the admins.

use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entity::report;
use super::{Period, ReportFormat, ReportKind, ReportStatus};
pub use super::{ReportLink, ReportRequest, ReportView};
use crate::accounts::Role;
use crate::accounts::notifications::Topic;
use crate::accounts::service::members_with_roles;
use crate::db::{self, Scope};
use crate::error::{Error, Result};
use crate::i18n::Locale;
use crate::jobs::{EmailMessage, Job};
use crate::recruitment::service::tenant_today;
use crate::tenancy::context::TenantCtx;
use crate::tenancy::entity::tenant;

/// How many reports the list shows (newest first).
const LIST_LIMIT: u64 = 100;

fn period_of(r: &report::Model) -> Period {
    Period {
        from: r.period_from,
        to: r.period_to,
    }
}

fn view(slug: &str, r: &report::Model) -> ReportView {
    let status = ReportStatus::parse(&r.status).unwrap_or(ReportStatus::Failed);
    let links = if status == ReportStatus::Done {
        ReportFormat::ALL
            .into_iter()
            .filter(|f| key_of(r, *f).is_some())
            .map(|format| ReportLink {
                format,
                url: format!(
                    "/api/v1/t/{slug}/reports/{}/files/{}",
                    r.id,
                    format.as_str()
                ),
            })
            .collect()
    } else {
        Vec::new()
    };
    ReportView {
        id: r.id,
        kind: ReportKind::parse(&r.kind).unwrap_or(ReportKind::Custom),
        from: r.period_from,
        to: period_of(r).last_day(),
        locale: r.locale.parse().unwrap_or(Locale::Ru),
        status,
        progress: r.progress.clamp(0, 100) as u8,
        error: r.error.clone(),
        created_at: r.created_at,
        finished_at: r.finished_at,
        links,
        grant_id: r.grant_id,
        shared: super::Audience::of(
            ReportKind::parse(&r.kind).unwrap_or(ReportKind::Custom),
            r.shared,
        ) == super::Audience::Shared,
    }
}

fn key_of(r: &report::Model, format: ReportFormat) -> Option<&str> {
    match format {
        ReportFormat::Pdf => r.pdf_key.as_deref(),
        ReportFormat::Csv => r.csv_key.as_deref(),
        ReportFormat::Xlsx => r.xlsx_key.as_deref(),
    }
}

/// What a new report is.
struct NewReport {
    tenant_id: Uuid,
    kind: ReportKind,
    period: Period,
    locale: Locale,
    requested_by: Option<Uuid>,
    /// Scheduled reports: makes a second insert for the same period a no-op.
    run_key: Option<String>,
    grant_id: Option<Uuid>,
    /// For readers outside the organisation.
    shared: bool,
}

/// A new report row and its job, in the caller's transaction; `None` when its `run_key` was
/// already there.
async fn insert(conn: &impl ConnectionTrait, new: NewReport) -> Result<Option<report::Model>> {
    let NewReport {
        tenant_id,
        kind,
        period,
        locale,
        requested_by,
        run_key,
        grant_id,
        shared,
    } = new;
    let row = report::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        kind: Set(kind.as_str().into()),
        period_from: Set(period.from),
        period_to: Set(period.to),
        locale: Set(locale.code().into()),
        status: Set(ReportStatus::Queued.as_str().into()),
        progress: Set(0),
        requested_by: Set(requested_by),
        run_key: Set(run_key),
        error: Set(None),
        pdf_key: Set(None),
        csv_key: Set(None),
        xlsx_key: Set(None),
        created_at: Set(Utc::now()),
        started_at: Set(None),
        finished_at: Set(None),
        grant_id: Set(grant_id),
        shared: Set(shared),
    };
    let id = row.id.clone().unwrap();
    // The conflict to ignore is a period already scheduled (`run_key`), not the new id.
    let inserted = report::Entity::insert(row)
        .on_conflict_do_nothing_on([report::Column::RunKey])
        .exec_without_returning(conn)
        .await?;
    if !matches!(inserted, sea_orm::TryInsertResult::Inserted(1)) {
        return Ok(None);
    }
    crate::jobs::enqueue(
        conn,
        &Job::GenerateReport {
            tenant_id,
            report_id: id,
        },
    )
    .await?;
    Ok(report::Entity::find_by_id(id).one(conn).await?)
}

/// Asks for a report of any period (tenant admins); the worker makes it.
pub async fn request_report(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: &ReportRequest,
) -> Result<ReportView> {
    ctx.require_admin()?;
    let period = Period::custom(input.from, input.to, tenant_today(&ctx.tenant))?;
    let locale = match input.locale {
        Some(l) => l,
        None => ctx.actor.locale,
    };
    let txn = ctx.write(db).await?;
    let kind = if input.network {
        // Partners' figures: whole calendar units only, so no two reports differ by a day.
        if !period.is_whole_calendar_unit() {
            return Err(Error::invalid("from", "error-report-network-period"));
        }
        // Only a lead organisation has a network to report on.
        if partners(&txn, ctx.tenant_id()).await?.is_empty() {
            return Err(Error::invalid("network", "error-report-no-partners"));
        }
        ReportKind::Network
    } else {
        // A report that leaves the organisation: like the network report, whole calendar
        // units only, so two of them cannot be differenced into a hidden day.
        if input.shared && !period.is_whole_calendar_unit() {
            return Err(Error::invalid("from", "error-report-shared-period"));
        }
        ReportKind::Custom
    };
    let r = insert(
        &txn,
        NewReport {
            tenant_id: ctx.tenant_id(),
            kind,
            period,
            locale,
            requested_by: Some(ctx.actor.user_id),
            run_key: None,
            grant_id: None,
            shared: input.shared || input.network,
        },
    )
    .await?
    .ok_or(Error::NotFound)?;
    txn.commit().await?;
    Ok(view(&ctx.tenant.slug, &r))
}

/// The organisations whose lead is `lead`, by name.
pub async fn partners(conn: &impl ConnectionTrait, lead: Uuid) -> Result<Vec<tenant::Model>> {
    Ok(tenant::Entity::find()
        .filter(tenant::Column::LeadTenantId.eq(lead))
        .order_by_asc(tenant::Column::Name)
        .all(conn)
        .await?)
}

/// Whether the tenant leads a network (the reports page offers the network report then).
pub async fn leads_network(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<bool> {
    ctx.require_admin()?;
    let txn = ctx.read(db).await?;
    let any = !partners(&txn, ctx.tenant_id()).await?.is_empty();
    txn.commit().await?;
    Ok(any)
}

/// A network report's figures (the worker): the lead's own and each partner's, each computed
/// in that organisation's own scope, then presented side by side as counts only.
pub async fn network_figures(
    db: &DatabaseConnection,
    lead: &tenant::Model,
    period: Period,
    l: Locale,
) -> Result<super::NetworkFigures> {
    let members = {
        let txn = db::read(db, Scope::System).await?;
        let p = partners(&txn, lead.id).await?;
        txn.commit().await?;
        p
    };
    let mut organisations = Vec::with_capacity(members.len() + 1);
    for t in std::iter::once(lead).chain(members.iter()) {
        let txn = db::read(db, Scope::Tenant(t.id)).await?;
        let f = super::figures::compute(&txn, t, period, l).await?;
        txn.commit().await?;
        organisations.push((t.name.clone(), f));
    }
    Ok(super::NetworkFigures {
        period,
        organisations,
    })
}

/// Asks for a grant's funder report (tenant admins): its progress from the grant's first day
/// to the end of the last whole month (or its last day, once it has ended), made by the worker
/// like any report.
pub async fn request_funder_report(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    grant_id: Uuid,
    locale: Option<Locale>,
) -> Result<ReportView> {
    ctx.require_admin()?;
    let txn = ctx.write(db).await?;
    let g = super::grants::service::find(&txn, ctx.tenant_id(), grant_id).await?;
    let today = tenant_today(&ctx.tenant);
    if g.starts_on > today {
        return Err(Error::Conflict("error-grant-not-started".into()));
    }
    // To the grant's last day once it has ended; while it runs, to the end of the last whole
    // month. Reports asked for day after day would otherwise differ by one day's counts, and
    // their difference would give away what suppression hides.
    let last = if g.ends_on < today {
        g.ends_on
    } else {
        let month_began = today.with_day(1).unwrap_or(today);
        month_began.pred_opt().unwrap_or(month_began)
    };
    if last < g.starts_on {
        return Err(Error::Conflict("error-grant-no-whole-month".into()));
    }
    let period = Period {
        from: g.starts_on,
        to: last.succ_opt().unwrap_or(last),
    };
    let r = insert(
        &txn,
        NewReport {
            tenant_id: ctx.tenant_id(),
            kind: ReportKind::Funder,
            period,
            locale: locale.unwrap_or(ctx.actor.locale),
            requested_by: Some(ctx.actor.user_id),
            run_key: None,
            grant_id: Some(g.id),
            shared: true,
        },
    )
    .await?
    .ok_or(Error::NotFound)?;
    txn.commit().await?;
    Ok(view(&ctx.tenant.slug, &r))
}

/// The tenant's reports, newest first (tenant admins).
pub async fn list_reports(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<Vec<ReportView>> {
    ctx.require_admin()?;
    let txn = ctx.read(db).await?;
    let rows = report::Entity::find()
        .filter(report::Column::TenantId.eq(ctx.tenant_id()))
        .order_by_desc(report::Column::CreatedAt)
        .order_by_desc(report::Column::Id)
        .limit(LIST_LIMIT)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows.iter().map(|r| view(&ctx.tenant.slug, r)).collect())
}

async fn find(conn: &impl ConnectionTrait, ctx: &TenantCtx, id: Uuid) -> Result<report::Model> {
    report::Entity::find_by_id(id)
        .filter(report::Column::TenantId.eq(ctx.tenant_id()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// One report with its status, progress and links (tenant admins).
pub async fn get_report(db: &DatabaseConnection, ctx: &TenantCtx, id: Uuid) -> Result<ReportView> {
    ctx.require_admin()?;
    let txn = ctx.read(db).await?;
    let r = find(&txn, ctx, id).await?;
    txn.commit().await?;
    Ok(view(&ctx.tenant.slug, &r))
}

/// Where a finished report's file is stored, and the name it is downloaded under.
#[derive(Debug, Clone)]
pub struct ReportFile {
    pub storage_key: String,
    pub file_name: String,
    pub content_type: &'static str,
}

/// The stored file (`pdf`, `csv` or `xlsx`) of a finished report (tenant admins); `NotFound`
/// for another format and until the report is done.
pub async fn report_file(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    format: &str,
) -> Result<ReportFile> {
    ctx.require_admin()?;
    let format = ReportFormat::parse(format).ok_or(Error::NotFound)?;
    let txn = ctx.read(db).await?;
    let r = find(&txn, ctx, id).await?;
    txn.commit().await?;
    let key = key_of(&r, format).ok_or(Error::NotFound)?;
    let kind = ReportKind::parse(&r.kind).unwrap_or(ReportKind::Custom);
    Ok(ReportFile {
        storage_key: key.to_string(),
        file_name: format!(
            "{}-{}-{}.{}",
            ctx.tenant.slug,
            kind.as_str(),
            period_of(&r).key(kind),
            format.as_str()
        ),
        content_type: format.content_type(),
    })
}

/// The object-storage key of a report's file: fixed per report, so a job run twice writes the
/// same objects.
pub fn storage_key(tenant_id: Uuid, report_id: Uuid, format: ReportFormat) -> String {
    format!("reports/{tenant_id}/{report_id}.{}", format.as_str())
}

/// Queues the tenant's scheduled reports due on `today` (its own date): last month's, and last
/// quarter's. Each period's `run_key` makes it happen once however often this runs; a day
/// missed is caught up the next day. Runs in the scheduler's transaction for the tenant's day.
pub async fn schedule_due(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    today: NaiveDate,
) -> Result<usize> {
    let locale: Locale = t.default_locale.parse().unwrap_or(Locale::Ru);
    let mut queued = 0;
    for (kind, period) in [
        (ReportKind::Monthly, Period::month_before(today)),
        (ReportKind::Quarterly, Period::quarter_before(today)),
    ] {
        // A tenant that did not exist in the period has nothing to report for it.
        if t.created_at.date_naive() >= period.to {
            continue;
        }
        let run_key = format!("{}:{}:{}", kind.as_str(), t.id, period.key(kind));
        let new = NewReport {
            tenant_id: t.id,
            kind,
            period,
            locale,
            requested_by: None,
            run_key: Some(run_key),
            grant_id: None,
            shared: false,
        };
        if insert(conn, new).await?.is_some() {
            queued += 1;
        }
    }
    Ok(queued)
}

/// What the worker needs to make a report.
#[derive(Debug, Clone)]
pub struct Work {
    pub tenant: tenant::Model,
    pub report_id: Uuid,
    pub period: Period,
    pub locale: Locale,
    pub kind: ReportKind,
    /// A funder report's grant.
    pub grant_id: Option<Uuid>,
    /// Whom its tables are for.
    pub audience: super::Audience,
}

/// The worker takes the report: `None` when it is already done or failed (a job handed over
/// twice), else it is marked running.
pub async fn start(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    report_id: Uuid,
) -> Result<Option<Work>> {
    let txn = db::write(db, Scope::Tenant(tenant_id)).await?;
    let Some(r) = report::Entity::find_by_id(report_id)
        .filter(report::Column::TenantId.eq(tenant_id))
        .one(&txn)
        .await?
    else {
        txn.commit().await?;
        return Ok(None);
    };
    if ReportStatus::parse(&r.status).is_none_or(ReportStatus::is_finished) {
        txn.commit().await?;
        return Ok(None);
    }
    let t = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let work = Work {
        tenant: t,
        report_id,
        period: period_of(&r),
        locale: r.locale.parse().unwrap_or(Locale::Ru),
        kind: ReportKind::parse(&r.kind).unwrap_or(ReportKind::Custom),
        grant_id: r.grant_id,
        audience: super::Audience::of(
            ReportKind::parse(&r.kind).unwrap_or(ReportKind::Custom),
            r.shared,
        ),
    };
    let mut am: report::ActiveModel = r.into();
    am.status = Set(ReportStatus::Running.as_str().into());
    am.progress = Set(5);
    am.started_at = Set(Some(Utc::now()));
    am.update(&txn).await?;
    txn.commit().await?;
    Ok(Some(work))
}

/// Records how far the worker has got (never backwards).
pub async fn progress(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    report_id: Uuid,
    pct: u8,
) -> Result<()> {
    let txn = db::write(db, Scope::Tenant(tenant_id)).await?;
    report::Entity::update_many()
        .col_expr(
            report::Column::Progress,
            sea_orm::sea_query::Expr::value(i32::from(pct.min(99))),
        )
        .filter(report::Column::Id.eq(report_id))
        .filter(report::Column::TenantId.eq(tenant_id))
        .filter(report::Column::Status.eq(ReportStatus::Running.as_str()))
        .filter(report::Column::Progress.lt(i32::from(pct)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Records the stored files, marks the report done and tells the tenant's admins (reminder
/// topic `reports`), once: a second call finds it done and does nothing.
pub async fn finish(db: &DatabaseConnection, w: &Work) -> Result<()> {
    let tid = w.tenant.id;
    let txn = db::write(db, Scope::Tenant(tid)).await?;
    let Some(r) = report::Entity::find_by_id(w.report_id)
        .filter(report::Column::TenantId.eq(tid))
        .one(&txn)
        .await?
    else {
        txn.commit().await?;
        return Ok(());
    };
    if r.status == ReportStatus::Done.as_str() {
        txn.commit().await?;
        return Ok(());
    }
    let mut am: report::ActiveModel = r.into();
    am.status = Set(ReportStatus::Done.as_str().into());
    am.progress = Set(100);
    am.error = Set(None);
    am.pdf_key = Set(Some(storage_key(tid, w.report_id, ReportFormat::Pdf)));
    am.csv_key = Set(Some(storage_key(tid, w.report_id, ReportFormat::Csv)));
    am.xlsx_key = Set(Some(storage_key(tid, w.report_id, ReportFormat::Xlsx)));
    am.finished_at = Set(Some(Utc::now()));
    am.update(&txn).await?;
    for admin in members_with_roles(&txn, tid, &[Role::TenantAdmin], None).await? {
        crate::accounts::notifications::service::remind(
            &txn,
            tid,
            &admin,
            Topic::Reports,
            format!("report:{}:{}", w.report_id, admin.id),
            EmailMessage::ReportReady {
                tenant_name: w.tenant.name.clone(),
                period: w.period.label(),
                path: format!("/t/{}/reports", w.tenant.slug),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Marks the report failed with `code` (an i18n key); its files are not offered.
pub async fn fail(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    report_id: Uuid,
    code: &str,
) -> Result<()> {
    let txn = db::write(db, Scope::Tenant(tenant_id)).await?;
    report::Entity::update_many()
        .col_expr(
            report::Column::Status,
            sea_orm::sea_query::Expr::value(ReportStatus::Failed.as_str()),
        )
        .col_expr(report::Column::Error, sea_orm::sea_query::Expr::value(code))
        .col_expr(
            report::Column::FinishedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(report::Column::Id.eq(report_id))
        .filter(report::Column::TenantId.eq(tenant_id))
        .filter(report::Column::Status.ne(ReportStatus::Done.as_str()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The tenant's active admins.
/// The figures and tables of the current month so far, for the dashboard's charts (tenant
/// admins).
pub async fn dashboard_tables(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<(Period, Vec<super::Table>)> {
    ctx.require_admin()?;
    let today = tenant_today(&ctx.tenant);
    let period = Period {
        from: chrono::Datelike::with_day(&today, 1).unwrap_or(today),
        to: today.succ_opt().unwrap_or(today),
    };
    let txn = ctx.read(db).await?;
    let f = super::figures::compute(&txn, &ctx.tenant, period, ctx.actor.locale).await?;
    txn.commit().await?;
    // The admins' own figures: exact.
    Ok((period, f.tables(ctx.actor.locale, super::Audience::Own)))
}
