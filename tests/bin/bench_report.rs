//! Benchmark for issue 6: the monthly report of one large tenant among 1,000, on PostgreSQL.
//! Not a test: it prints a table (see docs/BENCHMARKS.md) and fails only when something does
//! not work, never because a target is missed.
//!
//! ```text
//! cargo run --release -p ustaz-tests --bin bench-report
//! ```
//!
//! PostgreSQL: `USTAZ_TEST_PG_URL` (a superuser; default
//! `postgres://postgres:postgres@127.0.0.1:5432/postgres`). It builds, once, a database
//! `ustaz_bench_report` (migrated, demo-seeded, then 1,000 tenants generated in SQL; about two
//! minutes) and reuses it on later runs; `BENCH_REBUILD=1` builds it again.
//! `BENCH_RUNS` (default 5) sets the timed runs per line.
//!
//! The data: tenant `bench-0` has 10,000 mentor–child pairs (2,500 mentors, 10,000 children
//! with their matches, 2,500 applications) and 500,000 meeting protocols over the last year;
//! 999 other tenants each have 100 pairs and 5,000 protocols (4,995,000 in all: ten times the
//! large tenant's). Timed, as the application's role with row-level security on, in one run:
//!
//! 1. the raw SQL aggregates the report needs (the statements `figures::compute` issues, sent
//!    as they are, rows fetched and dropped);
//! 2. `figures::compute` (the same queries plus the Rust that assembles the figures);
//! 3. the whole report: figures, tables with suppression, CSV, XLSX and the PDF with its charts.
//!
//! Each is timed first with only `bench-0`'s data loaded (the 999 others empty) and again after
//! the others' 4.995 million protocols are added: the second must not be slower.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use domain::db::{self, Scope};
use domain::reports::{Period, figures};
use sea_orm::{ColumnTrait, DbBackend};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement};

const DB_NAME: &str = "ustaz_bench_report";
const OWNER: &str = "ustaz_bench_owner";
const APP: &str = "ustaz_bench_app";
const TENANTS: i64 = 1000;

fn with_user(url: &str, user: &str, db: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    let host = host.split('/').next().unwrap_or("127.0.0.1:5432");
    format!("postgres://{user}:{user}@{host}/{db}")
}

async fn exec(db: &DatabaseConnection, sql: &str) -> anyhow::Result<()> {
    db.execute_unprepared(sql)
        .await
        .with_context(|| sql.chars().take(120).collect::<String>())?;
    Ok(())
}

/// Pairs, children, matches, mentors (users, memberships, applications) and meetings for the
/// tenants `first..=last`: `pairs` pairs each (four per mentor) and a tenth as many children
/// waiting, `meetings` protocols per pair, about weekly up to 20 November 2026. Ids are `md5(...)::uuid` of their place, so rows refer to each
/// other without lookups.
async fn generate(
    db: &DatabaseConnection,
    first: i64,
    last: i64,
    pairs: i64,
    meetings: i64,
) -> anyhow::Result<()> {
    let mentors = pairs / 4;
    let t = "md5('t' || i)::uuid";
    let region = "md5('r' || i || '-' || (k % 3))::uuid";
    let steps = [
        format!(
            "INSERT INTO users (id, email, full_name, locale, password_hash, is_platform_admin, created_at, email_verified_at) \
             SELECT md5('u' || i || '-' || k)::uuid, 'mentor-' || i || '-' || k || '@bench.example', \
                    'Mentor ' || i || '-' || k, 'ru', NULL, false, now(), now() \
             FROM generate_series({first}, {last}) i, generate_series(0, {mentors} - 1) k"
        ),
        format!(
            "INSERT INTO memberships (id, user_id, tenant_id, role, region_id, active, created_at) \
             SELECT md5('m' || i || '-' || k)::uuid, md5('u' || i || '-' || k)::uuid, {t}, 'mentor', NULL, true, now() \
             FROM generate_series({first}, {last}) i, generate_series(0, {mentors} - 1) k"
        ),
        format!(
            "INSERT INTO applications (id, tenant_id, programme_id, applicant_id, region_id, status, answers, created_at, updated_at, submitted_at, stage, stage_status, outcome) \
             SELECT md5('a' || i || '-' || k)::uuid, {t}, md5('p' || i)::uuid, md5('u' || i || '-' || k)::uuid, {region}, \
                    'submitted', '{{}}', now() - interval '2 years', now() - interval '2 years', \
                    now() - interval '2 years' + (k % 300) * interval '1 day', NULL, NULL, 'selected' \
             FROM generate_series({first}, {last}) i, generate_series(0, {mentors} - 1) k"
        ),
        format!(
            "INSERT INTO children (id, tenant_id, region_id, institution_id, first_name, last_initial, date_of_birth, gender, languages, interests, needs, preferred_mentor_gender, consent_by, consent_name, consent_on, status, waiting_since, created_by, created_at, updated_at) \
             SELECT md5('c' || i || '-' || k)::uuid, {t}, {region}, NULL, 'Child', 'B', date '2012-01-01' + (k % 1000), \
                    CASE WHEN k % 2 = 0 THEN 'f' ELSE 'm' END, '[]', '[]', NULL, NULL, 'institution', 'Home', date '2024-01-01', \
                    CASE WHEN k >= {pairs} THEN 'waiting' ELSE 'matched' END, now() - interval '2 years' - (k % 90) * interval '1 day', NULL, now(), now() \
             FROM generate_series({first}, {last}) i, generate_series(0, {pairs} + {pairs} / 10 - 1) k"
        ),
        format!(
            "INSERT INTO matches (id, tenant_id, region_id, child_id, mentor_id, application_id, score, reasons, status, proposed_by, proposed_at, decided_by, decided_at, decision_reason) \
             SELECT md5('x' || i || '-' || k)::uuid, {t}, {region}, md5('c' || i || '-' || k)::uuid, md5('u' || i || '-' || (k / 4))::uuid, \
                    md5('a' || i || '-' || (k / 4))::uuid, 50, '[]', 'approved', NULL, now() - interval '2 years', NULL, now() - interval '2 years', NULL \
             FROM generate_series({first}, {last}) i, generate_series(0, {pairs} - 1) k"
        ),
        // Nine pairs in ten are active; one in ten was closed last month (their children wait
        // again, so the closures and the waiting list have figures too).
        format!(
            "INSERT INTO pairs (id, tenant_id, region_id, child_id, mentor_id, programme_id, match_id, starts_on, ends_on, status, closed_on, close_reason, close_note, closed_by, created_at) \
             SELECT md5('q' || i || '-' || k)::uuid, {t}, {region}, md5('c' || i || '-' || k)::uuid, md5('u' || i || '-' || (k / 4))::uuid, \
                    md5('p' || i)::uuid, md5('x' || i || '-' || k)::uuid, date '2025-01-01' + (k % 200), date '2027-01-01' + (k % 200), \
                    CASE WHEN k % 10 = 8 THEN 'closed' ELSE 'active' END, \
                    CASE WHEN k % 10 = 8 THEN date '2026-10-01' + (k % 28) END, \
                    CASE WHEN k % 10 = 8 THEN (ARRAY['term_completed','child_moved','mentor_withdrew','other'])[1 + k % 4] END, \
                    NULL, NULL, now() - interval '2 years' \
             FROM generate_series({first}, {last}) i, generate_series(0, {pairs} - 1) k"
        ),
        // About weekly for a year, a little irregular (some pairs fall behind).
        format!(
            "INSERT INTO meetings (id, tenant_id, pair_id, mentor_id, held_on, minutes, format, issues, agreements, mood, next_steps, created_at, updated_at) \
             SELECT md5('g' || i || '-' || k || '-' || n)::uuid, {t}, md5('q' || i || '-' || k)::uuid, md5('u' || i || '-' || (k / 4))::uuid, \
                    date '2026-11-20' - (n * 7 + (k + n) % 9), 60, 'visit', '', '', 'good', '', now(), now() \
             FROM generate_series({first}, {last}) i, generate_series(0, {pairs} - 1) k, generate_series(0, {meetings} - 1) n"
        ),
    ];
    for sql in steps {
        let started = Instant::now();
        exec(db, &sql).await?;
        let what = sql.split_whitespace().nth(2).unwrap_or("?");
        eprintln!("  {what}: {:.1} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Builds the database: migrated, the demo seeded, 1,000 tenants each with three regions and a
/// one-to-one programme (a copy of the demo's), and `bench-0`'s pairs and meetings.
async fn build(admin_url: &str) -> anyhow::Result<()> {
    let admin = db::connect(admin_url, 2).await?;
    for (role, extra) in [(OWNER, "CREATEDB"), (APP, "")] {
        let _ = admin
            .execute_unprepared(&format!(
                "CREATE ROLE {role} LOGIN PASSWORD '{role}' {extra}"
            ))
            .await;
    }
    exec(
        &admin,
        &format!("DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"),
    )
    .await?;
    exec(&admin, &format!("CREATE DATABASE {DB_NAME} OWNER {OWNER}")).await?;
    admin.close().await.ok();
    let owner = db::connect(&with_user(admin_url, OWNER, DB_NAME), 2).await?;
    server::migrate(&owner).await?;
    migrations::grant_app_role(&owner, APP).await?;
    domain::seed::seed_demo(&owner).await?;
    exec(
        &owner,
        &format!(
            "INSERT INTO tenants (id, slug, name, default_locale, time_zone, lead_tenant_id, created_at) \
             SELECT md5('t' || i)::uuid, 'bench-' || i, 'Bench NGO ' || i, 'ru', 'Asia/Almaty', NULL, now() - interval '3 years' \
             FROM generate_series(0, {TENANTS} - 1) i"
        ),
    )
    .await?;
    exec(
        &owner,
        &format!(
            "INSERT INTO regions (id, tenant_id, name, created_at) \
             SELECT md5('r' || i || '-' || r)::uuid, md5('t' || i)::uuid, 'Region ' || r, now() - interval '3 years' \
             FROM generate_series(0, {TENANTS} - 1) i, generate_series(0, 2) r"
        ),
    )
    .await?;
    // Each tenant's programme: the demo programme's row with a new id, tenant and slug.
    let columns: Vec<String> = owner
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_name = 'programmes' ORDER BY ordinal_position",
        ))
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?;
    let values: Vec<String> = columns
        .iter()
        .map(|c| match c.as_str() {
            "id" => "md5('p' || i)::uuid".to_string(),
            "tenant_id" => "md5('t' || i)::uuid".to_string(),
            "slug" => "'bench'".to_string(),
            other => format!("p.{other}"),
        })
        .collect();
    exec(
        &owner,
        &format!(
            "INSERT INTO programmes ({}) SELECT {} FROM programmes p, generate_series(0, {TENANTS} - 1) i \
             WHERE p.slug = 'mentors-2027'",
            columns.join(", "),
            values.join(", ")
        ),
    )
    .await?;
    eprintln!("bench-0: 10,000 pairs, 500,000 meetings");
    generate(&owner, 0, 0, 10_000, 50).await?;
    exec(&owner, "ANALYZE").await?;
    owner.close().await.ok();
    Ok(())
}

/// The 999 other tenants' pairs and meetings (ten times `bench-0`'s protocols in all).
async fn grow_others(admin_url: &str) -> anyhow::Result<()> {
    let owner = db::connect(&with_user(admin_url, OWNER, DB_NAME), 2).await?;
    let done: i64 = owner
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(*) FROM pairs WHERE tenant_id = md5('t1')::uuid",
        ))
        .await?
        .map(|r| r.try_get_by_index(0))
        .transpose()?
        .unwrap_or(0);
    if done == 0 {
        eprintln!("999 other tenants: 100 pairs and 5,000 meetings each");
        generate(&owner, 1, TENANTS - 1, 100, 50).await?;
        exec(&owner, "ANALYZE").await?;
    }
    owner.close().await.ok();
    Ok(())
}

async fn count(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    Ok(db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .map(|r| r.try_get_by_index(0))
        .transpose()?
        .unwrap_or(0))
}

/// The statements `figures::compute` sends for a month, with their values: sent as they are
/// (as the application's role, in the tenant's scope), every row fetched.
async fn raw_sql(
    app: &DatabaseConnection,
    t: &domain::tenancy::entity::tenant::Model,
    period: Period,
) -> anyhow::Result<usize> {
    use sea_orm::Value;
    let from = figures::day_start(t, period.from);
    let to = figures::day_start(t, period.to);
    let last = period.last_day();
    let tid = t.id;
    let statements: Vec<(&str, Vec<Value>)> = vec![
        (
            "SELECT id, name FROM regions WHERE tenant_id = $1 ORDER BY name",
            vec![tid.into()],
        ),
        (
            "SELECT region_id, COUNT(*) AS n, SUM(CASE WHEN outcome = 'selected' THEN 1 ELSE 0 END) AS selected \
             FROM applications WHERE tenant_id = $1 AND submitted_at >= $2 AND submitted_at < $3 GROUP BY region_id",
            vec![tid.into(), from.into(), to.into()],
        ),
        (
            "SELECT a.region_id AS region_id, s.stage AS stage, COUNT(DISTINCT s.application_id) AS n \
             FROM stage_results s JOIN applications a ON a.id = s.application_id \
             WHERE s.tenant_id = $1 AND a.tenant_id = $1 AND a.submitted_at >= $2 AND a.submitted_at < $3 \
             GROUP BY a.region_id, s.stage",
            vec![tid.into(), from.into(), to.into()],
        ),
        (
            "SELECT reasons FROM documents WHERE tenant_id = $1 AND application_id IS NOT NULL \
             AND status = 'auto_failed' AND checked_at >= $2 AND checked_at < $3",
            vec![tid.into(), from.into(), to.into()],
        ),
        (
            "SELECT NULL AS key, COUNT(*) AS n FROM documents WHERE tenant_id = $1 \
             AND application_id IS NOT NULL AND status = 'rejected' AND reviewed_at >= $2 AND reviewed_at < $3",
            vec![tid.into(), from.into(), to.into()],
        ),
        (
            "SELECT * FROM cohorts WHERE tenant_id = $1 AND starts_on >= $2 AND starts_on < $3 ORDER BY starts_on",
            vec![tid.into(), period.from.into(), period.to.into()],
        ),
        (
            "SELECT m.cohort_id AS cohort_id, COUNT(a.day) AS days FROM cohort_members m \
             JOIN cohorts c ON c.id = m.cohort_id \
             LEFT JOIN attendance a ON a.member_id = m.id AND a.present = $4 \
             WHERE m.tenant_id = $1 AND c.tenant_id = $1 AND m.status = 'enrolled' \
             AND c.starts_on >= $2 AND c.starts_on < $3 GROUP BY m.cohort_id, m.id",
            vec![
                tid.into(),
                period.from.into(),
                period.to.into(),
                true.into(),
            ],
        ),
        (
            "SELECT * FROM pairs WHERE tenant_id = $1 AND starts_on <= $2 AND (closed_on IS NULL OR closed_on > $2)",
            vec![tid.into(), last.into()],
        ),
        (
            "SELECT pair_id, MAX(held_on) AS last FROM meetings WHERE tenant_id = $1 AND held_on <= $2 GROUP BY pair_id",
            vec![tid.into(), last.into()],
        ),
        (
            "SELECT id, meeting_cadence FROM programmes WHERE tenant_id = $1",
            vec![tid.into()],
        ),
        (
            "SELECT p.region_id AS region_id, COUNT(*) AS n FROM meetings m JOIN pairs p ON p.id = m.pair_id \
             WHERE m.tenant_id = $1 AND p.tenant_id = $1 AND m.held_on >= $2 AND m.held_on < $3 GROUP BY p.region_id",
            vec![tid.into(), period.from.into(), period.to.into()],
        ),
        (
            "SELECT g.region_id AS region_id, COUNT(*) AS n FROM group_sessions s JOIN youth_groups g ON g.id = s.group_id \
             WHERE s.tenant_id = $1 AND g.tenant_id = $1 AND s.held_on >= $2 AND s.held_on < $3 GROUP BY g.region_id",
            vec![tid.into(), period.from.into(), period.to.into()],
        ),
        (
            "SELECT * FROM youth_groups WHERE tenant_id = $1 AND started_on <= $2 AND status = 'active'",
            vec![tid.into(), last.into()],
        ),
        (
            "SELECT * FROM group_mentors WHERE tenant_id = $1 AND assigned_on <= $2 AND (unassigned_on IS NULL OR unassigned_on > $2)",
            vec![tid.into(), last.into()],
        ),
        (
            "SELECT c.region_id AS region_id, c.waiting_since AS waiting_since FROM children c \
             WHERE c.tenant_id = $1 AND c.waiting_since < $3 AND (c.status = $2 OR EXISTS ( \
               SELECT 1 FROM pairs p WHERE p.tenant_id = $1 AND p.child_id = c.id \
               AND p.created_at >= $3 AND p.created_at >= c.waiting_since))",
            vec![tid.into(), "waiting".into(), to.into()],
        ),
        (
            "SELECT close_reason AS key, COUNT(*) AS n FROM pairs \
             WHERE tenant_id = $1 AND closed_on >= $2 AND closed_on < $3 GROUP BY close_reason",
            vec![tid.into(), period.from.into(), period.to.into()],
        ),
        (
            "SELECT severity AS key, COUNT(*) AS n FROM concerns \
             WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY severity",
            vec![tid.into(), from.into(), to.into()],
        ),
        (
            "SELECT severity AS key, COUNT(*) AS n FROM concerns \
             WHERE tenant_id = $1 AND resolved_at >= $2 AND resolved_at < $3 GROUP BY severity",
            vec![tid.into(), from.into(), to.into()],
        ),
    ];
    let txn = db::read(app, Scope::Tenant(tid)).await?;
    let mut rows = 0;
    for (sql, values) in statements {
        let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
        rows += txn.query_all_raw(stmt).await?.len();
    }
    txn.commit().await?;
    Ok(rows)
}

async fn compute(
    app: &DatabaseConnection,
    t: &domain::tenancy::entity::tenant::Model,
    period: Period,
) -> anyhow::Result<domain::reports::Figures> {
    let txn = db::read(app, Scope::Tenant(t.id)).await?;
    let f = figures::compute(&txn, t, period, domain::Locale::Ru).await?;
    txn.commit().await?;
    Ok(f)
}

/// Figures, tables, and the three files, as the worker makes them (without storing them).
async fn whole_report(
    app: &DatabaseConnection,
    t: &domain::tenancy::entity::tenant::Model,
    period: Period,
) -> anyhow::Result<usize> {
    use worker::reports::render;
    let l = domain::Locale::Ru;
    let f = compute(app, t, period).await?;
    // The organisation's own report (exact counts); shared ones only add the suppression.
    let tables = f.tables(l, domain::reports::Audience::Own);
    let heading = render::Heading {
        title: l.t("report-kind-monthly"),
        tenant: t.name.clone(),
        period: period.label(),
        generated: String::new(),
        note: l.t("report-exact-note"),
        language: l.code().to_string(),
        summary_sheet: l.t("report-sheet-summary"),
    };
    let csv = render::csv(&heading, &tables)?;
    let xlsx = render::xlsx(&heading, &tables)?;
    let pdf = tokio::task::spawn_blocking(move || render::pdf(&heading, &tables)).await??;
    Ok(csv.len() + xlsx.len() + pdf.len())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

async fn measure(
    app: &DatabaseConnection,
    t: &domain::tenancy::entity::tenant::Model,
    period: Period,
    runs: usize,
    label: &str,
) -> anyhow::Result<()> {
    // One untimed run of each warms the caches, as a running server's would be.
    raw_sql(app, t, period).await?;
    let f = compute(app, t, period).await?;
    whole_report(app, t, period).await?;
    let (mut raw, mut figs, mut whole) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let s = Instant::now();
        raw_sql(app, t, period).await?;
        raw.push(s.elapsed());
        let s = Instant::now();
        compute(app, t, period).await?;
        figs.push(s.elapsed());
        let s = Instant::now();
        whole_report(app, t, period).await?;
        whole.push(s.elapsed());
    }
    let pairs: u64 = f.activity.iter().map(|a| a.pairs).sum();
    let meetings: u64 = f.activity.iter().map(|a| a.meetings).sum();
    println!(
        "| {label} | {} | {} | {} | {pairs} active pairs, {meetings} meetings in the month |",
        ms(median(raw.clone())),
        ms(median(figs.clone())),
        ms(median(whole.clone())),
    );
    eprintln!("  raw runs: {raw:?}\n  figures runs: {figs:?}\n  whole runs: {whole:?}");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let admin_url = std::env::var("USTAZ_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into());
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let admin = db::connect(&admin_url, 1).await.context("PostgreSQL")?;
    let exists = count(
        &admin,
        &format!("SELECT COUNT(*) FROM pg_database WHERE datname = '{DB_NAME}'"),
    )
    .await?
        > 0;
    admin.close().await.ok();
    let rebuild = std::env::var("BENCH_REBUILD").is_ok_and(|v| v == "1");
    let app_url = with_user(&admin_url, APP, DB_NAME);
    if exists && !rebuild {
        eprintln!("reusing {DB_NAME} (BENCH_REBUILD=1 builds it again)");
    } else {
        let started = Instant::now();
        build(&admin_url).await?;
        eprintln!("built in {:.0} s", started.elapsed().as_secs_f64());
    }
    // The migrations (an index added since the build) are applied to a reused database too.
    {
        let owner = db::connect(&with_user(&admin_url, OWNER, DB_NAME), 1).await?;
        server::migrate(&owner).await?;
        migrations::grant_app_role(&owner, APP).await?;
        owner.close().await.ok();
    }
    let app = db::connect(&app_url, 4).await?;
    let big = {
        use domain::tenancy::entity::tenant;
        let txn = db::read(&app, Scope::System).await?;
        let t = tenant::Entity::find()
            .filter(tenant::Column::Slug.eq("bench-0"))
            .one(&txn)
            .await?
            .context("bench-0")?;
        txn.commit().await?;
        t
    };
    // The month before the data's last day (20 November 2026): October 2026.
    let period = Period::month_before(NaiveDate::from_ymd_opt(2026, 11, 20).context("date")?);
    let all_meetings = |app: DatabaseConnection| async move {
        let txn = db::read(&app, Scope::System).await?;
        let n = count_in(&txn, "SELECT COUNT(*) FROM meetings").await?;
        txn.commit().await?;
        anyhow::Ok(n)
    };
    println!(
        "| data | raw SQL | figures::compute | whole report (figures, CSV, XLSX, PDF) | month |"
    );
    println!("|---|---|---|---|---|");
    let before = all_meetings(app.clone()).await?;
    measure(
        &app,
        &big,
        period,
        runs,
        &format!("{before} protocols in all (bench-0 only)"),
    )
    .await?;
    grow_others(&admin_url).await?;
    let after = all_meetings(app.clone()).await?;
    measure(
        &app,
        &big,
        period,
        runs,
        &format!("{after} protocols in all (999 others added)"),
    )
    .await?;
    Ok(())
}

async fn count_in(txn: &impl ConnectionTrait, sql: &str) -> anyhow::Result<i64> {
    Ok(txn
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .map(|r| r.try_get_by_index(0))
        .transpose()?
        .unwrap_or(0))
}
