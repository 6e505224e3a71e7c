//! Grants (tenant admins): recording a funder's grant with its targets, listing them, and
//! measuring progress against each target from what the programme has recorded.

use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::{
    GrantInput, GrantMetric, GrantProgress, GrantView, Named, TargetView, elapsed_percent,
    target_progress,
};
use crate::accounts::Role;
use crate::accounts::entity::membership;
use crate::error::{Error, Result};
use crate::i18n::Locale;
use crate::recruitment::entity::programme;
use crate::recruitment::service::{programme_name, tenant_today};
use crate::reports::entity::{grant, grant_target};
use crate::reports::figures::{day_start, query};
use crate::tenancy::context::TenantCtx;
use crate::tenancy::entity::{region, tenant};

/// The programmes and regions a grant can pay for, by name in the actor's language (for the
/// form).
pub async fn grant_options(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<(Vec<Named>, Vec<Named>)> {
    ctx.require_admin()?;
    let txn = ctx.read(db).await?;
    let names = Names::load(&txn, ctx.tenant_id(), ctx.actor.locale).await?;
    txn.commit().await?;
    Ok((names.programmes, names.regions))
}

/// The tenant's programme and region names, read once for any number of grants.
struct Names {
    programmes: Vec<Named>,
    regions: Vec<Named>,
}

impl Names {
    async fn load(conn: &impl ConnectionTrait, tenant_id: Uuid, l: Locale) -> Result<Self> {
        let programmes = programme::Entity::find()
            .filter(programme::Column::TenantId.eq(tenant_id))
            .order_by_desc(programme::Column::OpensAt)
            .all(conn)
            .await?
            .into_iter()
            .map(|p| Named {
                id: p.id,
                name: programme_name(&p, l),
            })
            .collect();
        let regions = region::Entity::find()
            .filter(region::Column::TenantId.eq(tenant_id))
            .order_by_asc(region::Column::Name)
            .all(conn)
            .await?
            .into_iter()
            .map(|r| Named {
                id: r.id,
                name: r.name,
            })
            .collect();
        Ok(Self {
            programmes,
            regions,
        })
    }
}

fn ids(json: &str) -> Vec<Uuid> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The targets of these grants, in their order, by grant (one query).
async fn targets_of(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    grants: &[Uuid],
) -> Result<HashMap<Uuid, Vec<TargetView>>> {
    let mut out: HashMap<Uuid, Vec<TargetView>> = HashMap::new();
    for t in grant_target::Entity::find()
        .filter(grant_target::Column::TenantId.eq(tenant_id))
        .filter(grant_target::Column::GrantId.is_in(grants.iter().copied()))
        .order_by_asc(grant_target::Column::Position)
        .all(conn)
        .await?
    {
        if let Some(metric) = GrantMetric::parse(&t.metric) {
            out.entry(t.grant_id).or_default().push(TargetView {
                metric,
                target: t.target.max(0) as u64,
                note: t.note,
            });
        }
    }
    Ok(out)
}

fn view(g: &grant::Model, names: &Names, targets: Vec<TargetView>) -> GrantView {
    let pick = |all: &[Named], wanted: Vec<Uuid>| -> Vec<Named> {
        all.iter()
            .filter(|n| wanted.contains(&n.id))
            .cloned()
            .collect()
    };
    GrantView {
        id: g.id,
        funder: g.funder.clone(),
        title: g.title.clone(),
        starts_on: g.starts_on,
        ends_on: g.ends_on,
        amount: g.amount,
        currency: g.currency.clone(),
        programmes: pick(&names.programmes, ids(&g.programme_ids)),
        regions: pick(&names.regions, ids(&g.region_ids)),
        targets,
    }
}

async fn view_one(conn: &impl ConnectionTrait, g: &grant::Model, l: Locale) -> Result<GrantView> {
    let names = Names::load(conn, g.tenant_id, l).await?;
    let mut targets = targets_of(conn, g.tenant_id, &[g.id]).await?;
    Ok(view(g, &names, targets.remove(&g.id).unwrap_or_default()))
}

/// Records a funder's grant with its targets (tenant admins). Its programmes and regions must
/// be the tenant's own.
pub async fn create_grant(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: &GrantInput,
) -> Result<GrantView> {
    ctx.require_admin()?;
    let input = input.validated()?;
    let tid = ctx.tenant_id();
    let txn = ctx.write(db).await?;
    let known_programmes: HashSet<Uuid> = programme::Entity::find()
        .filter(programme::Column::TenantId.eq(tid))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    if !input
        .programmes
        .iter()
        .all(|p| known_programmes.contains(p))
    {
        return Err(Error::invalid(
            "programmes",
            "error-grant-programme-unknown",
        ));
    }
    let known_regions: HashSet<Uuid> = region::Entity::find()
        .filter(region::Column::TenantId.eq(tid))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if !input.regions.iter().all(|r| known_regions.contains(r)) {
        return Err(Error::invalid("regions", "error-grant-region-unknown"));
    }
    let g = grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tid),
        funder: Set(input.funder.clone()),
        title: Set(input.title.clone()),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        amount: Set(input.amount),
        currency: Set(input.currency.clone()),
        programme_ids: Set(serde_json::to_string(&input.programmes).unwrap_or_default()),
        region_ids: Set(serde_json::to_string(&input.regions).unwrap_or_default()),
        created_by: Set(Some(ctx.actor.user_id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    for (i, t) in input.targets.iter().enumerate() {
        grant_target::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tid),
            grant_id: Set(g.id),
            position: Set(i as i32),
            metric: Set(t.metric.as_str().into()),
            target: Set(t.target),
            note: Set(t.note.clone()),
        }
        .insert(&txn)
        .await?;
    }
    crate::tenancy::audit::record(
        &txn,
        Some(tid),
        Some(ctx.actor.user_id),
        "grant.created",
        "grant",
        Some(g.id),
        None,
    )
    .await?;
    let out = view_one(&txn, &g, ctx.actor.locale).await?;
    txn.commit().await?;
    Ok(out)
}

/// The tenant's grants, the latest first (tenant admins).
pub async fn list_grants(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<Vec<GrantView>> {
    ctx.require_admin()?;
    let txn = ctx.read(db).await?;
    let rows = grant::Entity::find()
        .filter(grant::Column::TenantId.eq(ctx.tenant_id()))
        .order_by_desc(grant::Column::StartsOn)
        .order_by_desc(grant::Column::Id)
        .all(&txn)
        .await?;
    let names = Names::load(&txn, ctx.tenant_id(), ctx.actor.locale).await?;
    let ids: Vec<Uuid> = rows.iter().map(|g| g.id).collect();
    let mut targets = targets_of(&txn, ctx.tenant_id(), &ids).await?;
    txn.commit().await?;
    let out = rows
        .iter()
        .map(|g| view(g, &names, targets.remove(&g.id).unwrap_or_default()))
        .collect();
    Ok(out)
}

pub async fn find(conn: &impl ConnectionTrait, tenant_id: Uuid, id: Uuid) -> Result<grant::Model> {
    grant::Entity::find_by_id(id)
        .filter(grant::Column::TenantId.eq(tenant_id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// The day a grant's progress is counted to: `day` (today if not given), but not past the
/// grant's last day.
pub fn as_of(g: &grant::Model, day: NaiveDate) -> NaiveDate {
    day.min(g.ends_on)
}

/// A grant's progress up to `day` (default today; never past the grant's end), each target
/// counted (tenant admins).
pub async fn get_grant_progress(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    day: Option<NaiveDate>,
) -> Result<GrantProgress> {
    ctx.require_admin()?;
    let txn = ctx.read(db).await?;
    let g = find(&txn, ctx.tenant_id(), id).await?;
    let day = as_of(&g, day.unwrap_or_else(|| tenant_today(&ctx.tenant)));
    let out = progress(&txn, &ctx.tenant, &g, day, ctx.actor.locale).await?;
    txn.commit().await?;
    Ok(out)
}

/// A grant's progress up to `day`, in the caller's (tenant-scoped) transaction, names in `l`:
/// the funder report's figures.
pub async fn progress(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    g: &grant::Model,
    day: NaiveDate,
    l: Locale,
) -> Result<GrantProgress> {
    let grant = view_one(conn, g, l).await?;
    let scope = Scope {
        programmes: ids(&g.programme_ids),
        regions: ids(&g.region_ids),
    };
    let counts = measure(conn, t, &scope, g.starts_on, day).await?;
    let elapsed = elapsed_percent(g.starts_on, g.ends_on, day);
    let targets = grant
        .targets
        .iter()
        .map(|t| target_progress(t, counts.get(&t.metric).copied().unwrap_or(0), elapsed))
        .collect();
    Ok(GrantProgress {
        grant,
        as_of: day,
        elapsed_percent: elapsed,
        targets,
    })
}

/// The programmes and regions a grant covers (empty: all).
struct Scope {
    programmes: Vec<Uuid>,
    regions: Vec<Uuid>,
}

impl Scope {
    fn covers(&self, programme: Option<Uuid>, region: Option<Uuid>) -> bool {
        (self.programmes.is_empty() || programme.is_some_and(|p| self.programmes.contains(&p)))
            && self.covers_region(region)
    }
    fn covers_region(&self, region: Option<Uuid>) -> bool {
        self.regions.is_empty() || region.is_some_and(|r| self.regions.contains(&r))
    }
}

#[derive(FromQueryResult)]
struct Group {
    programme_id: Option<Uuid>,
    region_id: Option<Uuid>,
    n: i64,
}

#[derive(FromQueryResult)]
struct Applications {
    programme_id: Option<Uuid>,
    region_id: Option<Uuid>,
    n: i64,
    selected: i64,
}

#[derive(FromQueryResult)]
struct Trainee {
    programme_id: Option<Uuid>,
    region_id: Option<Uuid>,
    min_days: i64,
    days: i64,
}

#[derive(FromQueryResult)]
struct Child {
    child_id: Uuid,
    programme_id: Option<Uuid>,
    region_id: Option<Uuid>,
}

#[derive(FromQueryResult)]
struct First {
    programme_id: Option<Uuid>,
    region_id: Option<Uuid>,
    first: NaiveDate,
}

/// Every metric, exactly, for the tenant's rows in `scope` from `first` to `last` (inclusive):
/// grouped SQL aggregates by programme and region, the scope applied to the groups.
async fn measure(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    scope: &Scope,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<HashMap<GrantMetric, u64>> {
    let mut out: HashMap<GrantMetric, u64> = HashMap::new();
    let Some(end) = last.checked_add_days(Days::new(1)) else {
        return Ok(out);
    };
    if end <= first {
        return Ok(out);
    }
    let tid = t.id;
    let (from, to) = (day_start(t, first), day_start(t, end));
    let mut add = |m: GrantMetric, n: i64| *out.entry(m).or_default() += n.max(0) as u64;

    let apps: Vec<Applications> = query(
        conn,
        "SELECT programme_id, region_id, COUNT(*) AS n, \
         SUM(CASE WHEN outcome = 'selected' THEN 1 ELSE 0 END) AS selected \
         FROM applications WHERE tenant_id = $1 AND submitted_at >= $2 AND submitted_at < $3 \
         GROUP BY programme_id, region_id",
        vec![tid.into(), from.into(), to.into()],
    )
    .await?;
    for r in apps
        .iter()
        .filter(|r| scope.covers(r.programme_id, r.region_id))
    {
        add(GrantMetric::CandidatesRecruited, r.n);
        add(GrantMetric::MentorsSelected, r.selected);
    }

    let trainees: Vec<Trainee> = query(
        conn,
        "SELECT c.programme_id AS programme_id, c.region_id AS region_id, \
         CAST(c.min_days AS BIGINT) AS min_days, COUNT(a.day) AS days \
         FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id \
         LEFT JOIN attendance a ON a.member_id = m.id AND a.present = $4 \
         WHERE m.tenant_id = $1 AND c.tenant_id = $1 AND m.status = 'enrolled' \
         AND c.kind = $5 AND c.starts_on >= $2 AND c.starts_on < $3 \
         GROUP BY c.programme_id, c.region_id, c.min_days, m.id",
        vec![
            tid.into(),
            first.into(),
            end.into(),
            true.into(),
            crate::selection::CohortKind::School.as_str().into(),
        ],
    )
    .await?;
    let trained = trainees
        .iter()
        .filter(|r| scope.covers(r.programme_id, r.region_id))
        .filter(|r| crate::selection::completed(r.days.max(0) as u32, r.min_days.max(0) as u32))
        .count();
    add(GrantMetric::CandidatesTrained, trained as i64);

    let started: Vec<Group> = query(
        conn,
        "SELECT programme_id, region_id, COUNT(*) AS n FROM pairs \
         WHERE tenant_id = $1 AND starts_on >= $2 AND starts_on < $3 \
         GROUP BY programme_id, region_id",
        vec![tid.into(), first.into(), end.into()],
    )
    .await?;
    for r in started
        .iter()
        .filter(|r| scope.covers(r.programme_id, r.region_id))
    {
        add(GrantMetric::PairsStarted, r.n);
    }

    let children: Vec<Child> = query(
        conn,
        "SELECT DISTINCT child_id, programme_id, region_id FROM pairs \
         WHERE tenant_id = $1 AND starts_on < $3 AND (closed_on IS NULL OR closed_on >= $2)",
        vec![tid.into(), first.into(), end.into()],
    )
    .await?;
    let mentored: HashSet<Uuid> = children
        .iter()
        .filter(|r| scope.covers(r.programme_id, r.region_id))
        .map(|r| r.child_id)
        .collect();
    add(GrantMetric::ChildrenMentored, mentored.len() as i64);

    for sql in [
        "SELECT p.programme_id AS programme_id, p.region_id AS region_id, COUNT(*) AS n \
         FROM meetings m JOIN pairs p ON p.id = m.pair_id \
         WHERE m.tenant_id = $1 AND p.tenant_id = $1 AND m.held_on >= $2 AND m.held_on < $3 \
         GROUP BY p.programme_id, p.region_id",
        "SELECT g.programme_id AS programme_id, g.region_id AS region_id, COUNT(*) AS n \
         FROM group_sessions s JOIN youth_groups g ON g.id = s.group_id \
         WHERE s.tenant_id = $1 AND g.tenant_id = $1 AND s.held_on >= $2 AND s.held_on < $3 \
         GROUP BY g.programme_id, g.region_id",
    ] {
        let rows: Vec<Group> = query(conn, sql, vec![tid.into(), first.into(), end.into()]).await?;
        for r in rows
            .iter()
            .filter(|r| scope.covers(r.programme_id, r.region_id))
        {
            add(GrantMetric::MeetingsLogged, r.n);
        }
    }

    let groups: Vec<Group> = query(
        conn,
        "SELECT programme_id, region_id, COUNT(*) AS n FROM youth_groups \
         WHERE tenant_id = $1 AND started_on < $2 AND status = $3 \
         GROUP BY programme_id, region_id",
        vec![
            tid.into(),
            end.into(),
            crate::matching::pairs::ACTIVE.into(),
        ],
    )
    .await?;
    for r in groups
        .iter()
        .filter(|r| scope.covers(r.programme_id, r.region_id))
    {
        add(GrantMetric::GroupsActive, r.n);
    }

    // Cities: a coordinator counts for their region (memberships keep no history: now).
    let coordinated: HashSet<Uuid> = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(tid))
        .filter(membership::Column::Active.eq(true))
        .filter(membership::Column::Role.eq(Role::Coordinator.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|m| m.region_id)
        .filter(|r| scope.covers_region(Some(*r)))
        .collect();
    add(
        GrantMetric::CitiesWithCoordinators,
        coordinated.len() as i64,
    );

    let mut first_work: HashMap<Uuid, NaiveDate> = HashMap::new();
    for sql in [
        "SELECT programme_id, region_id, MIN(starts_on) AS first FROM pairs \
         WHERE tenant_id = $1 GROUP BY programme_id, region_id",
        "SELECT programme_id, region_id, MIN(started_on) AS first FROM youth_groups \
         WHERE tenant_id = $1 GROUP BY programme_id, region_id",
    ] {
        let rows: Vec<First> = query(conn, sql, vec![tid.into()]).await?;
        for r in rows
            .iter()
            .filter(|r| scope.covers(r.programme_id, r.region_id))
        {
            if let Some(region) = r.region_id {
                let e = first_work.entry(region).or_insert(r.first);
                *e = (*e).min(r.first);
            }
        }
    }
    let launched = first_work
        .values()
        .filter(|d| **d >= first && **d < end)
        .count();
    add(GrantMetric::CitiesLaunched, launched as i64);
    Ok(out)
}
