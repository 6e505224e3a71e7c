//! The figures of one tenant's period, each from SQL aggregates over the tenant's own rows (the
//! tenant is the first condition of every query, so the time does not grow with other tenants'
//! volume). Dates are the tenant's: a period's days begin at local midnight.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value,
};
use uuid::Uuid;

use super::{
    CohortFigures, Figures, FunnelStep, Period, REJECTED_BY_STAFF, RegionActivity, no_region_label,
};
use crate::error::Result;
use crate::i18n::Locale;
use crate::matching::CloseReason;
use crate::matching::entity::{group_mentor, pair, youth_group};
use crate::recruitment::Cadence;
use crate::selection::StageKind;
use crate::selection::entity::cohort;
use crate::support::entity::meeting;
use crate::support::{Severity, standing};
use crate::tenancy::entity::{region, tenant};

/// Midnight at the start of `date` where the tenant is, as UTC (public for the benchmark, which
/// sends the same statements).
pub fn day_start(t: &tenant::Model, date: NaiveDate) -> DateTime<Utc> {
    crate::recruitment::service::local_instant(t, date, chrono::NaiveTime::MIN)
}

pub(crate) async fn query<T: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<T>> {
    // `$n` placeholders work on both backends (SQLite reads `$1` as parameter 1).
    let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, values);
    Ok(T::find_by_statement(stmt).all(conn).await?)
}

#[derive(FromQueryResult)]
struct RegionCount {
    region_id: Option<Uuid>,
    n: i64,
}

#[derive(FromQueryResult)]
struct SubmittedRow {
    region_id: Option<Uuid>,
    n: i64,
    selected: i64,
}

#[derive(FromQueryResult)]
struct StageRow {
    region_id: Option<Uuid>,
    stage: String,
    n: i64,
}

#[derive(FromQueryResult)]
struct KeyCount {
    key: Option<String>,
    n: i64,
}

#[derive(FromQueryResult)]
struct MemberDays {
    cohort_id: Uuid,
    days: i64,
}

/// Where each region's counts go: the tenant's regions by name, then "no region" if needed.
struct Regions {
    ids: Vec<Option<Uuid>>,
    names: Vec<String>,
}

impl Regions {
    fn index(&mut self, id: Option<Uuid>, l: Locale) -> usize {
        if let Some(i) = self.ids.iter().position(|r| *r == id) {
            return i;
        }
        // An application without a region, or a region deleted since.
        self.ids.push(id);
        self.names.push(no_region_label(l));
        self.ids.len() - 1
    }
}

fn grow<T: Default + Clone>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::default());
    }
}

/// Computes every figure of `period` for tenant `t`; labels that the figures carry (a region
/// with no name) are in `l`. Runs in the caller's (tenant-scoped) transaction.
pub async fn compute(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    period: Period,
    l: Locale,
) -> Result<Figures> {
    let tid = t.id;
    let from = day_start(t, period.from);
    let to = day_start(t, period.to);
    let last = period.last_day();

    let mut regions = {
        let rows = region::Entity::find()
            .filter(region::Column::TenantId.eq(tid))
            .order_by_asc(region::Column::Name)
            .all(conn)
            .await?;
        Regions {
            ids: rows.iter().map(|r| Some(r.id)).collect(),
            names: rows.into_iter().map(|r| r.name).collect(),
        }
    };

    // Applications and the funnel: those submitted in the period, and how far each has got.
    let submitted: Vec<SubmittedRow> = query(
        conn,
        "SELECT region_id, COUNT(*) AS n, \
         SUM(CASE WHEN outcome = 'selected' THEN 1 ELSE 0 END) AS selected \
         FROM applications WHERE tenant_id = $1 AND submitted_at >= $2 AND submitted_at < $3 \
         GROUP BY region_id",
        vec![tid.into(), from.into(), to.into()],
    )
    .await?;
    let stages: Vec<StageRow> = query(
        conn,
        "SELECT a.region_id AS region_id, s.stage AS stage, COUNT(DISTINCT s.application_id) AS n \
         FROM stage_results s JOIN applications a ON a.id = s.application_id \
         WHERE s.tenant_id = $1 AND a.tenant_id = $1 \
         AND a.submitted_at >= $2 AND a.submitted_at < $3 \
         GROUP BY a.region_id, s.stage",
        vec![tid.into(), from.into(), to.into()],
    )
    .await?;
    let mut funnel: HashMap<FunnelStep, Vec<u64>> = HashMap::new();
    for r in &submitted {
        let i = regions.index(r.region_id, l);
        for (step, n) in [
            (FunnelStep::Submitted, r.n),
            (FunnelStep::Selected, r.selected),
        ] {
            let v = funnel.entry(step).or_default();
            grow(v, i + 1);
            v[i] += n as u64;
        }
    }
    for r in &stages {
        let Ok(stage) = StageKind::parse(&r.stage) else {
            continue;
        };
        let i = regions.index(r.region_id, l);
        let v = funnel.entry(FunnelStep::Stage(stage)).or_default();
        grow(v, i + 1);
        v[i] += r.n as u64;
    }

    // Documents refused in the period: the checks' reason codes, and coordinators' rejections.
    #[derive(FromQueryResult)]
    struct Reasons {
        reasons: String,
    }
    let failed: Vec<Reasons> = query(
        conn,
        "SELECT reasons FROM documents WHERE tenant_id = $1 AND application_id IS NOT NULL \
         AND status = 'auto_failed' AND checked_at >= $2 AND checked_at < $3",
        vec![tid.into(), from.into(), to.into()],
    )
    .await?;
    let mut by_reason: HashMap<String, u64> = HashMap::new();
    for r in failed {
        let codes: Vec<String> = serde_json::from_str(&r.reasons).unwrap_or_default();
        for c in codes {
            *by_reason.entry(c).or_default() += 1;
        }
    }
    let rejected: Vec<KeyCount> = query(
        conn,
        "SELECT NULL AS key, COUNT(*) AS n FROM documents WHERE tenant_id = $1 \
         AND application_id IS NOT NULL AND status = 'rejected' \
         AND reviewed_at >= $2 AND reviewed_at < $3",
        vec![tid.into(), from.into(), to.into()],
    )
    .await?;
    let mut documents_rejected: Vec<(String, u64)> = by_reason.into_iter().collect();
    documents_rejected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let staff = rejected.first().map_or(0, |r| r.n as u64);
    if staff > 0 {
        documents_rejected.push((REJECTED_BY_STAFF.to_string(), staff));
    }

    // Cohorts that started in the period: enrolled, and who attended enough days.
    let cohort_rows = cohort::Entity::find()
        .filter(cohort::Column::TenantId.eq(tid))
        .filter(cohort::Column::StartsOn.gte(period.from))
        .filter(cohort::Column::StartsOn.lt(period.to))
        .order_by_asc(cohort::Column::StartsOn)
        .all(conn)
        .await?;
    let members: Vec<MemberDays> = query(
        conn,
        "SELECT m.cohort_id AS cohort_id, COUNT(a.day) AS days FROM cohort_members m \
         JOIN cohorts c ON c.id = m.cohort_id \
         LEFT JOIN attendance a ON a.member_id = m.id AND a.present = $4 \
         WHERE m.tenant_id = $1 AND c.tenant_id = $1 AND m.status = 'enrolled' \
         AND c.starts_on >= $2 AND c.starts_on < $3 \
         GROUP BY m.cohort_id, m.id",
        vec![
            tid.into(),
            period.from.into(),
            period.to.into(),
            true.into(),
        ],
    )
    .await?;
    let cohorts = cohort_rows
        .iter()
        .map(|c| {
            let mine = members.iter().filter(|m| m.cohort_id == c.id);
            CohortFigures {
                title: c.title.clone(),
                starts_on: c.starts_on,
                enrolled: mine.clone().count() as u64,
                completed: mine
                    .filter(|m| {
                        crate::selection::completed(m.days.max(0) as u32, c.min_days.max(0) as u32)
                    })
                    .count() as u64,
            }
        })
        .collect();

    // Pairs active on the period's last day, and whether each was on track that day.
    let active_pairs = pair::Entity::find()
        .filter(pair::Column::TenantId.eq(tid))
        .filter(pair::Column::StartsOn.lte(last))
        .filter(
            sea_orm::Condition::any()
                .add(pair::Column::ClosedOn.is_null())
                .add(pair::Column::ClosedOn.gt(last)),
        )
        .all(conn)
        .await?;
    let last_meeting: HashMap<Uuid, NaiveDate> = meeting::Entity::find()
        .select_only()
        .column(meeting::Column::PairId)
        .column_as(meeting::Column::HeldOn.max(), "last")
        .filter(meeting::Column::TenantId.eq(tid))
        .filter(meeting::Column::HeldOn.lte(last))
        .group_by(meeting::Column::PairId)
        .into_tuple::<(Uuid, NaiveDate)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let cadences = crate::support::service::cadences(conn, tid, Cadence::Weekly).await?;
    let mut activity: Vec<RegionActivity> = Vec::new();
    let mut mentors: HashSet<Uuid> = HashSet::new();
    for p in &active_pairs {
        let i = regions.index(Some(p.region_id), l);
        grow(&mut activity, i + 1);
        let cadence = cadences
            .get(&p.programme_id)
            .copied()
            .unwrap_or(Cadence::Weekly);
        let s = standing(cadence, p.starts_on, last_meeting.get(&p.id).copied(), last);
        activity[i].pairs += 1;
        activity[i].pairs_on_track += u64::from(!s.is_overdue());
        mentors.insert(p.mentor_id);
    }

    let meetings: Vec<RegionCount> = query(
        conn,
        "SELECT p.region_id AS region_id, COUNT(*) AS n FROM meetings m \
         JOIN pairs p ON p.id = m.pair_id \
         WHERE m.tenant_id = $1 AND p.tenant_id = $1 AND m.held_on >= $2 AND m.held_on < $3 \
         GROUP BY p.region_id",
        vec![tid.into(), period.from.into(), period.to.into()],
    )
    .await?;
    for r in meetings {
        let i = regions.index(r.region_id, l);
        grow(&mut activity, i + 1);
        activity[i].meetings += r.n as u64;
    }
    let sessions: Vec<RegionCount> = query(
        conn,
        "SELECT g.region_id AS region_id, COUNT(*) AS n FROM group_sessions s \
         JOIN youth_groups g ON g.id = s.group_id \
         WHERE s.tenant_id = $1 AND g.tenant_id = $1 AND s.held_on >= $2 AND s.held_on < $3 \
         GROUP BY g.region_id",
        vec![tid.into(), period.from.into(), period.to.into()],
    )
    .await?;
    for r in sessions {
        let i = regions.index(r.region_id, l);
        grow(&mut activity, i + 1);
        activity[i].group_sessions += r.n as u64;
    }

    // Groups running on the last day, and their mentors.
    let groups = youth_group::Entity::find()
        .filter(youth_group::Column::TenantId.eq(tid))
        .filter(youth_group::Column::StartedOn.lte(last))
        .filter(youth_group::Column::Status.eq(crate::matching::pairs::ACTIVE))
        .all(conn)
        .await?;
    for g in &groups {
        let i = regions.index(Some(g.region_id), l);
        grow(&mut activity, i + 1);
        activity[i].groups += 1;
    }
    let group_ids: HashSet<Uuid> = groups.iter().map(|g| g.id).collect();
    let assigned = group_mentor::Entity::find()
        .filter(group_mentor::Column::TenantId.eq(tid))
        .filter(group_mentor::Column::AssignedOn.lte(last))
        .filter(
            sea_orm::Condition::any()
                .add(group_mentor::Column::UnassignedOn.is_null())
                .add(group_mentor::Column::UnassignedOn.gt(last)),
        )
        .all(conn)
        .await?;
    mentors.extend(
        assigned
            .iter()
            .filter(|a| group_ids.contains(&a.group_id))
            .map(|a| a.mentor_id),
    );

    // Children waiting at the period's end, and for how long (up to then, or up to now): those
    // waiting still, and those matched since whose pair came after the period.
    #[derive(FromQueryResult)]
    struct Waiting {
        region_id: Uuid,
        waiting_since: DateTime<Utc>,
    }
    let waiting: Vec<Waiting> = query(
        conn,
        "SELECT c.region_id AS region_id, c.waiting_since AS waiting_since FROM children c \
         WHERE c.tenant_id = $1 AND c.waiting_since < $3 AND (c.status = $2 OR EXISTS ( \
           SELECT 1 FROM pairs p WHERE p.tenant_id = $1 AND p.child_id = c.id \
           AND p.created_at >= $3 AND p.created_at >= c.waiting_since))",
        vec![
            tid.into(),
            crate::matching::service::WAITING.into(),
            to.into(),
        ],
    )
    .await?;
    let until = to.min(Utc::now());
    for w in waiting {
        let i = regions.index(Some(w.region_id), l);
        grow(&mut activity, i + 1);
        activity[i].children_waiting += 1;
        activity[i].waiting_days += (until - w.waiting_since).num_days().max(0) as u64;
    }

    // Pairs closed in the period, by reason.
    let closed: Vec<KeyCount> = query(
        conn,
        "SELECT close_reason AS key, COUNT(*) AS n FROM pairs \
         WHERE tenant_id = $1 AND closed_on >= $2 AND closed_on < $3 GROUP BY close_reason",
        vec![tid.into(), period.from.into(), period.to.into()],
    )
    .await?;
    let closures = CloseReason::ALL
        .into_iter()
        .map(|reason| {
            let n = closed
                .iter()
                .filter(|r| {
                    r.key
                        .as_deref()
                        .and_then(CloseReason::parse)
                        .unwrap_or(CloseReason::Other)
                        == reason
                })
                .map(|r| r.n as u64)
                .sum();
            (reason, n)
        })
        .collect();

    // Concerns opened and resolved in the period, by severity.
    let opened: Vec<KeyCount> = query(
        conn,
        "SELECT severity AS key, COUNT(*) AS n FROM concerns \
         WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY severity",
        vec![tid.into(), from.into(), to.into()],
    )
    .await?;
    let resolved: Vec<KeyCount> = query(
        conn,
        "SELECT severity AS key, COUNT(*) AS n FROM concerns \
         WHERE tenant_id = $1 AND resolved_at >= $2 AND resolved_at < $3 GROUP BY severity",
        vec![tid.into(), from.into(), to.into()],
    )
    .await?;
    let of = |rows: &[KeyCount], s: Severity| -> u64 {
        rows.iter()
            .filter(|r| r.key.as_deref() == Some(s.as_str()))
            .map(|r| r.n as u64)
            .sum()
    };
    let concerns = Severity::ALL
        .iter()
        .map(|s| (*s, of(&opened, *s), of(&resolved, *s)))
        .collect();

    let n = regions.ids.len();
    grow(&mut activity, n);
    let funnel = FunnelStep::all()
        .into_iter()
        .map(|step| {
            let mut v = funnel.remove(&step).unwrap_or_default();
            grow(&mut v, n);
            (step, v)
        })
        .collect();
    Ok(Figures {
        period,
        regions: regions.names,
        funnel,
        documents_rejected,
        cohorts,
        active_mentors: mentors.len() as u64,
        activity,
        closures,
        concerns,
    })
}
