//! Meeting protocols (the mentor's, editable for `MEETING_EDIT_DAYS`), the overdue list,
//! psychologists' consultations (notes for psychologists only, every read logged) and
//! safeguarding concerns (the region's psychologist and coordinator are e-mailed at once).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::entity::{concern, consultation, meeting};
use super::*;
use crate::accounts::Role;
use crate::accounts::entity::user;
use crate::accounts::service::members_with_roles;
use crate::error::{Error, Result};
use crate::matching::entity::{child, pair};
use crate::matching::pairs::{self, ACTIVE, FOLLOWERS};
use crate::recruitment::DocOwner;
use crate::recruitment::entity::document;
use crate::recruitment::entity::programme;
use crate::recruitment::service::{
    StoredFile, UploadPlan, doc_view, insert_document, plan_for, tenant_today,
};
use crate::tenancy::audit;
use crate::tenancy::context::TenantCtx;
use crate::tenancy::entity::region;

pub(crate) fn meeting_view(ctx: &TenantCtx, m: &meeting::Model) -> MeetingView {
    let now = Utc::now();
    MeetingView {
        id: m.id,
        pair_id: m.pair_id,
        mentor_id: m.mentor_id,
        held_on: m.held_on,
        minutes: m.minutes.max(0) as u32,
        format: MeetingFormat::parse(&m.format).unwrap_or(MeetingFormat::Visit),
        issues: m.issues.clone(),
        agreements: m.agreements.clone(),
        mood: Mood::parse(&m.mood).unwrap_or(Mood::Calm),
        next_steps: m.next_steps.clone(),
        logged_at: ctx.local(m.created_at),
        editable_until: ctx.local(m.created_at + chrono::Duration::days(MEETING_EDIT_DAYS)),
        locked: !meeting_editable(m.created_at, now),
        attachments: Vec::new(),
    }
}

/// Protocols with their attachments (one query for all of them).
async fn with_attachments(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    rows: &[meeting::Model],
) -> Result<Vec<MeetingView>> {
    let docs = document::Entity::find()
        .filter(document::Column::MeetingId.is_in(rows.iter().map(|m| m.id)))
        .order_by_asc(document::Column::CreatedAt)
        .all(conn)
        .await?;
    Ok(rows
        .iter()
        .map(|m| MeetingView {
            attachments: docs
                .iter()
                .filter(|d| d.meeting_id == Some(m.id))
                .map(doc_view)
                .collect(),
            ..meeting_view(ctx, m)
        })
        .collect())
}

/// The mentor's own active pair, or `NotFound` (someone else's mentee is not theirs to log).
async fn own_active_pair(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    pair_id: Uuid,
) -> Result<pair::Model> {
    ctx.require_any(&[Role::Mentor])?;
    let p = pair::Entity::find_by_id(pair_id)
        .filter(pair::Column::TenantId.eq(ctx.tenant_id()))
        .filter(pair::Column::MentorId.eq(ctx.actor.user_id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    if p.status != ACTIVE {
        return Err(Error::Conflict("error-pair-closed".into()));
    }
    Ok(p)
}

/// The mentor logs a meeting with their mentee.
pub async fn log_meeting(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: &MeetingInput,
) -> Result<MeetingView> {
    let txn = ctx.write(db).await?;
    let p = own_active_pair(&txn, ctx, input.pair_id).await?;
    let (issues, agreements, next_steps) = input.check(p.starts_on, tenant_today(&ctx.tenant))?;
    let now = Utc::now();
    let m = meeting::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id()),
        pair_id: Set(p.id),
        mentor_id: Set(ctx.actor.user_id),
        held_on: Set(input.held_on),
        minutes: Set(input.minutes as i32),
        format: Set(input.format.as_str().into()),
        issues: Set(issues),
        agreements: Set(agreements),
        mood: Set(input.mood.as_str().into()),
        next_steps: Set(next_steps),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "meeting.logged",
        "pair",
        Some(p.id),
        Some(serde_json::json!({ "meeting": m.id })),
    )
    .await?;
    txn.commit().await?;
    Ok(meeting_view(ctx, &m))
}

/// The mentor corrects their protocol while it is still open; after `MEETING_EDIT_DAYS` it is
/// locked and the correction is refused, the protocol unchanged.
pub async fn update_meeting(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    input: &MeetingInput,
) -> Result<MeetingView> {
    let txn = ctx.write(db).await?;
    let m = own_open_meeting(&txn, ctx, id).await?;
    if input.pair_id != m.pair_id {
        return Err(Error::invalid("pair_id", "error-meeting-pair"));
    }
    let p = own_active_pair(&txn, ctx, m.pair_id).await?;
    let (issues, agreements, next_steps) = input.check(p.starts_on, tenant_today(&ctx.tenant))?;
    let mut am = m.into_active_model();
    am.held_on = Set(input.held_on);
    am.minutes = Set(input.minutes as i32);
    am.format = Set(input.format.as_str().into());
    am.issues = Set(issues);
    am.agreements = Set(agreements);
    am.mood = Set(input.mood.as_str().into());
    am.next_steps = Set(next_steps);
    am.updated_at = Set(Utc::now());
    let m = am.update(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "meeting.updated",
        "pair",
        Some(m.pair_id),
        Some(serde_json::json!({ "meeting": m.id })),
    )
    .await?;
    let view = with_attachments(&txn, ctx, std::slice::from_ref(&m))
        .await?
        .remove(0);
    txn.commit().await?;
    Ok(view)
}

/// The mentor withdraws their own protocol while it is still open for changes (one logged twice,
/// or for the wrong pair or day); its attachments go with it, and their stored files are
/// removed by the orphan sweep. A locked protocol is refused unchanged.
pub async fn delete_meeting(db: &DatabaseConnection, ctx: &TenantCtx, id: Uuid) -> Result<()> {
    use crate::recruitment::entity::document_event;
    let txn = ctx.write(db).await?;
    let m = own_open_meeting(&txn, ctx, id).await?;
    let attachments: Vec<Uuid> = document::Entity::find()
        .filter(document::Column::TenantId.eq(ctx.tenant_id()))
        .filter(document::Column::MeetingId.eq(m.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    if !attachments.is_empty() {
        document_event::Entity::delete_many()
            .filter(document_event::Column::DocumentId.is_in(attachments.clone()))
            .exec(&txn)
            .await?;
        document::Entity::delete_many()
            .filter(document::Column::Id.is_in(attachments.clone()))
            .exec(&txn)
            .await?;
    }
    meeting::Entity::delete_by_id(m.id).exec(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "meeting.deleted",
        "pair",
        Some(m.pair_id),
        Some(serde_json::json!({ "meeting": m.id, "attachments": attachments.len() })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The mentor's own protocol, still open for changes (a locked one is refused unchanged).
async fn own_open_meeting(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<meeting::Model> {
    ctx.require_any(&[Role::Mentor])?;
    let m = meeting::Entity::find_by_id(id)
        .filter(meeting::Column::TenantId.eq(ctx.tenant_id()))
        .filter(meeting::Column::MentorId.eq(ctx.actor.user_id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    if !meeting_editable(m.created_at, Utc::now()) {
        return Err(Error::Conflict("error-meeting-locked".into()));
    }
    own_active_pair(conn, ctx, m.pair_id).await?;
    Ok(m)
}

/// Where a file attached to the mentor's open protocol goes (checked before any byte).
pub async fn plan_attachment(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    meeting_id: Uuid,
) -> Result<UploadPlan> {
    let txn = ctx.read(db).await?;
    let m = own_open_meeting(&txn, ctx, meeting_id).await?;
    txn.commit().await?;
    let rule = record_rule(MEETING_ATTACHMENT).ok_or(Error::NotFound)?;
    Ok(plan_for(
        ctx,
        DocOwner::Meeting {
            pair: m.pair_id,
            meeting: m.id,
        },
        rule,
        None,
    ))
}

/// Records a stored attachment (its check queued with it); a sixth live file is refused.
pub async fn record_attachment(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    meeting_id: Uuid,
    plan: &UploadPlan,
    file: &StoredFile,
) -> Result<crate::recruitment::DocumentView> {
    let txn = ctx.write(db).await?;
    let m = own_open_meeting(&txn, ctx, meeting_id).await?;
    let owner = DocOwner::Meeting {
        pair: m.pair_id,
        meeting: m.id,
    };
    if plan.owner != owner {
        return Err(Error::NotFound);
    }
    let d = insert_document(&txn, ctx, plan, file).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "meeting.attachment_uploaded",
        "pair",
        Some(m.pair_id),
        Some(serde_json::json!({ "meeting": m.id, "document": d.id })),
    )
    .await?;
    txn.commit().await?;
    Ok(doc_view(&d))
}

/// A pair's protocols, newest first: its mentor, or staff of its region.
pub async fn list_meetings(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    pair_id: Uuid,
) -> Result<Vec<MeetingView>> {
    let txn = ctx.write(db).await?;
    let p = pairs::pair_in_reach(&txn, ctx, pair_id, &FOLLOWERS, true).await?;
    let rows = meeting::Entity::find()
        .filter(meeting::Column::PairId.eq(p.id))
        .order_by_desc(meeting::Column::HeldOn)
        .order_by_desc(meeting::Column::CreatedAt)
        .all(&txn)
        .await?;
    let views = with_attachments(&txn, ctx, &rows).await?;
    if !rows.is_empty() {
        audit::record_list_read(
            &txn,
            ctx.tenant_id(),
            ctx.actor.user_id,
            "meetings.listed",
            "pair",
            [p.child_id],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(views)
}

/// Active pairs of the actor's region that missed their programme's cadence, the latest
/// first: the one overdue rule (`support::standing`) applied to each.
pub async fn list_overdue_pairs(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<Vec<OverduePair>> {
    ctx.require_any(&FOLLOWERS)?;
    let txn = ctx.read(db).await?;
    let out = overdue_pairs(&txn, ctx.tenant_id(), tenant_today(&ctx.tenant))
        .await?
        .into_iter()
        .filter(|o| ctx.covers_region(&FOLLOWERS, Some(o.region_id)))
        .collect();
    txn.commit().await?;
    Ok(out)
}

/// Each programme's meeting cadence (`default` for one stored wrongly).
pub(crate) async fn cadences(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    default: Cadence,
) -> Result<std::collections::HashMap<Uuid, Cadence>> {
    Ok(programme::Entity::find()
        .filter(programme::Column::TenantId.eq(tenant_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, Cadence::parse(&p.meeting_cadence).unwrap_or(default)))
        .collect())
}

/// Every overdue active pair of a tenant on `today` (also for reminders and reports).
pub async fn overdue_pairs(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    today: chrono::NaiveDate,
) -> Result<Vec<OverduePair>> {
    let last = pairs::last_meetings(conn, tenant_id).await?;
    let cadences = cadences(conn, tenant_id, Cadence::Weekly).await?;
    let mut late = Vec::new();
    for p in pair::Entity::find()
        .filter(pair::Column::TenantId.eq(tenant_id))
        .filter(pair::Column::Status.eq(ACTIVE))
        .all(conn)
        .await?
    {
        let cadence = cadences
            .get(&p.programme_id)
            .copied()
            .unwrap_or(Cadence::Weekly);
        let last_meeting = last.get(&p.id).copied();
        if let Standing::Overdue { due, days } = standing(cadence, p.starts_on, last_meeting, today)
        {
            late.push((p, last_meeting, due, days));
        }
    }
    // The names of the late pairs' children and mentors, in two queries (not two per pair).
    let children: std::collections::HashMap<Uuid, String> = child::Entity::find()
        .filter(child::Column::TenantId.eq(tenant_id))
        .filter(child::Column::Id.is_in(late.iter().map(|l| l.0.child_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, format!("{} {}.", c.first_name, c.last_initial)))
        .collect();
    let mentors: std::collections::HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(late.iter().map(|l| l.0.mentor_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    let mut out: Vec<OverduePair> = late
        .into_iter()
        .map(|(p, last_meeting, due, days)| OverduePair {
            pair_id: p.id,
            child_name: children.get(&p.child_id).cloned().unwrap_or_default(),
            mentor_id: p.mentor_id,
            mentor_name: mentors.get(&p.mentor_id).cloned().unwrap_or_default(),
            region_id: p.region_id,
            programme_id: p.programme_id,
            last_meeting,
            due,
            days_late: days,
        })
        .collect();
    out.sort_by(|a, b| {
        b.days_late
            .cmp(&a.days_late)
            .then(a.pair_id.cmp(&b.pair_id))
    });
    Ok(out)
}

// ---------------------------------------------------------------- consultations

const PSYCHOLOGISTS: [Role; 1] = [Role::Psychologist];

pub(crate) async fn consultation_view(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    c: &consultation::Model,
) -> Result<ConsultationView> {
    let who = match c.psychologist_id {
        Some(u) => user::Entity::find_by_id(u).one(conn).await?,
        None => None,
    };
    Ok(ConsultationView {
        id: c.id,
        region_id: c.region_id,
        psychologist_name: who.map(|u| u.full_name).unwrap_or_default(),
        mentor_id: c.mentor_id,
        child_id: c.child_id,
        pair_id: c.pair_id,
        scheduled_at: ctx.local(c.scheduled_at),
        status: c.status.clone(),
        notes: c.notes.clone(),
    })
}

/// The region a mentor works in: that of their latest pair, or of their selection.
async fn mentor_region(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    mentor_id: Uuid,
) -> Result<Uuid> {
    if let Some(p) = pair::Entity::find()
        .filter(pair::Column::TenantId.eq(ctx.tenant_id()))
        .filter(pair::Column::MentorId.eq(mentor_id))
        .order_by_desc(pair::Column::StartsOn)
        .one(conn)
        .await?
    {
        return Ok(p.region_id);
    }
    pairs::mentor_pool(conn, ctx)
        .await?
        .into_iter()
        .find(|m| m.ranking.id == mentor_id)
        .and_then(|m| m.ranking.region_id)
        .ok_or(Error::NotFound)
}

/// A psychologist schedules or records a consultation with a mentor, a child or a pair of their
/// region. The notes are for psychologists only.
pub async fn record_consultation(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: &ConsultationInput,
) -> Result<ConsultationView> {
    ctx.require_any(&PSYCHOLOGISTS)?;
    let notes = clean_text("notes", &input.notes, MAX_PROTOCOL_TEXT)?;
    input.check_time(Utc::now())?;
    let txn = ctx.write(db).await?;
    let tid = ctx.tenant_id();
    let (region_id, mentor_id, child_id) = if let Some(pid) = input.pair_id {
        let p = pair::Entity::find_by_id(pid)
            .filter(pair::Column::TenantId.eq(tid))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::invalid("pair_id", "error-consultation-subject"))?;
        (p.region_id, Some(p.mentor_id), Some(p.child_id))
    } else if let Some(cid) = input.child_id {
        let c = child::Entity::find_by_id(cid)
            .filter(child::Column::TenantId.eq(tid))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::invalid("child_id", "error-consultation-subject"))?;
        (c.region_id, input.mentor_id, Some(c.id))
    } else if let Some(mid) = input.mentor_id {
        let r = mentor_region(&txn, ctx, mid)
            .await
            .map_err(|_| Error::invalid("mentor_id", "error-consultation-subject"))?;
        (r, Some(mid), None)
    } else {
        return Err(Error::invalid("pair_id", "error-consultation-subject"));
    };
    if !ctx.covers_region(&PSYCHOLOGISTS, Some(region_id)) {
        return Err(Error::invalid("pair_id", "error-region-not-yours"));
    }
    let c = consultation::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tid),
        region_id: Set(region_id),
        psychologist_id: Set(Some(ctx.actor.user_id)),
        mentor_id: Set(mentor_id),
        child_id: Set(child_id),
        pair_id: Set(input.pair_id),
        scheduled_at: Set(input.scheduled_at),
        status: Set(if input.held { "held" } else { "scheduled" }.into()),
        notes: Set(notes),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(tid),
        Some(ctx.actor.user_id),
        "consultation.recorded",
        "consultation",
        Some(c.id),
        None,
    )
    .await?;
    let view = consultation_view(&txn, ctx, &c).await?;
    txn.commit().await?;
    Ok(view)
}

/// One consultation with its notes: psychologists of the region only, each read logged.
pub async fn get_consultation(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<ConsultationView> {
    ctx.require_any(&PSYCHOLOGISTS)?;
    let txn = ctx.write(db).await?;
    let c = consultation::Entity::find_by_id(id)
        .filter(consultation::Column::TenantId.eq(ctx.tenant_id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if !ctx.covers_region(&PSYCHOLOGISTS, Some(c.region_id)) {
        return Err(Error::NotFound);
    }
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "consultation.read",
        "consultation",
        Some(c.id),
        None,
    )
    .await?;
    let view = consultation_view(&txn, ctx, &c).await?;
    txn.commit().await?;
    Ok(view)
}

/// The consultations of a region (psychologists), newest first; reading the list is a read of
/// the notes, so it is logged too.
pub async fn list_consultations(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<Vec<ConsultationView>> {
    ctx.require_any(&PSYCHOLOGISTS)?;
    let txn = ctx.write(db).await?;
    let rows: Vec<consultation::Model> = consultation::Entity::find()
        .filter(consultation::Column::TenantId.eq(ctx.tenant_id()))
        .order_by_desc(consultation::Column::ScheduledAt)
        .all(&txn)
        .await?
        .into_iter()
        .filter(|c| ctx.covers_region(&PSYCHOLOGISTS, Some(c.region_id)))
        .collect();
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "consultations.read",
        "consultation",
        None,
        Some(serde_json::json!({ "count": rows.len() })),
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for c in &rows {
        out.push(consultation_view(&txn, ctx, c).await?);
    }
    txn.commit().await?;
    Ok(out)
}

// ---------------------------------------------------------------- concerns

/// Who works on concerns: staff of the region who follow children.
const CONCERN_HANDLERS: [Role; 3] = FOLLOWERS;

pub(crate) async fn concern_view(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    c: &concern::Model,
) -> Result<ConcernView> {
    let who = match c.raised_by {
        Some(u) => user::Entity::find_by_id(u).one(conn).await?,
        None => None,
    };
    Ok(ConcernView {
        id: c.id,
        region_id: c.region_id,
        child_id: c.child_id,
        pair_id: c.pair_id,
        severity: Severity::parse(&c.severity).unwrap_or(Severity::High),
        summary: c.summary.clone(),
        raised_by: who.map(|u| u.full_name).unwrap_or_default(),
        raised_at: ctx.local(c.created_at),
        status: c.status.clone(),
        actions: serde_json::from_str::<Vec<ConcernAction>>(&c.actions)
            .unwrap_or_default()
            .into_iter()
            .map(|a| ConcernAction {
                at: ctx.local(a.at.to_utc()),
                ..a
            })
            .collect(),
        resolved_at: c.resolved_at.map(|t| ctx.local(t)),
    })
}

/// Anyone on the team, or a mentor about their own mentee, raises a concern. The region's
/// psychologists and coordinators are e-mailed at once (through the outbox, so a committed
/// concern always gets its e-mails); the e-mail names no child.
pub async fn raise_concern(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: &ConcernInput,
) -> Result<ConcernView> {
    let staff = ctx.roles.iter().any(|(r, _)| r.is_staff());
    if !staff && !ctx.has(Role::Mentor) {
        return Err(Error::Forbidden);
    }
    let summary = input.check()?;
    let txn = ctx.write(db).await?;
    let tid = ctx.tenant_id();
    // The subject, and whether the actor may speak of it: a mentor only of their own pair or
    // mentee, staff of children in their reach.
    let (region_id, child_id, pair_id) = if let Some(pid) = input.pair_id {
        let p = pair::Entity::find_by_id(pid)
            .filter(pair::Column::TenantId.eq(tid))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound)?;
        (p.region_id, Some(p.child_id), Some(p.id))
    } else {
        let cid = input.child_id.expect("checked: a child or a pair");
        let c = child::Entity::find_by_id(cid)
            .filter(child::Column::TenantId.eq(tid))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound)?;
        (c.region_id, Some(c.id), None)
    };
    let staff_reach = ctx.roles.iter().any(|(r, scope)| {
        r.is_staff() && (!r.is_region_scoped() || scope.is_none() || *scope == Some(region_id))
    });
    let mentor_reach = ctx.has(Role::Mentor)
        && pair::Entity::find()
            .filter(pair::Column::TenantId.eq(tid))
            .filter(pair::Column::MentorId.eq(ctx.actor.user_id))
            .filter(pair::Column::ChildId.eq(child_id))
            .one(&txn)
            .await?
            .is_some();
    if !staff_reach && !mentor_reach {
        return Err(Error::NotFound);
    }
    let c = concern::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tid),
        region_id: Set(region_id),
        raised_by: Set(Some(ctx.actor.user_id)),
        child_id: Set(child_id),
        pair_id: Set(pair_id),
        severity: Set(input.severity.as_str().into()),
        summary: Set(summary),
        actions: Set("[]".into()),
        status: Set("open".into()),
        created_at: Set(Utc::now()),
        resolved_at: Set(None),
        resolved_by: Set(None),
    }
    .insert(&txn)
    .await?;
    let region_name = region::Entity::find_by_id(region_id)
        .one(&txn)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    for person in members_with_roles(
        &txn,
        tid,
        &[Role::Psychologist, Role::Coordinator],
        Some(region_id),
    )
    .await?
    {
        crate::jobs::enqueue(
            &txn,
            &crate::jobs::Job::SendEmail(crate::jobs::EmailJob {
                tenant_id: Some(ctx.tenant_id()),
                unsubscribe: None,
                dedupe_key: format!("concern:{}:{}", c.id, person.id),
                to: person.email.clone(),
                locale: person.locale.parse().unwrap_or(crate::Locale::Ru),
                message: crate::jobs::EmailMessage::ConcernRaised {
                    tenant_name: ctx.tenant.name.clone(),
                    region_name: region_name.clone(),
                    severity: input.severity,
                    path: format!("/t/{}/concerns", ctx.tenant.slug),
                },
            }),
        )
        .await?;
    }
    audit::record(
        &txn,
        Some(tid),
        Some(ctx.actor.user_id),
        "concern.raised",
        "concern",
        Some(c.id),
        Some(serde_json::json!({ "severity": input.severity.as_str() })),
    )
    .await?;
    let view = concern_view(&txn, ctx, &c).await?;
    txn.commit().await?;
    Ok(view)
}

/// Records an action taken on an open concern; `resolve` closes it, which needs at least one
/// action on record.
pub async fn act_on_concern(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    input: &ConcernActionInput,
) -> Result<ConcernView> {
    ctx.require_any(&CONCERN_HANDLERS)?;
    let action = input.check()?;
    let txn = ctx.write(db).await?;
    let c = concern::Entity::find_by_id(id)
        .filter(concern::Column::TenantId.eq(ctx.tenant_id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if !ctx.covers_region(&CONCERN_HANDLERS, Some(c.region_id)) {
        return Err(Error::NotFound);
    }
    if c.status != "open" {
        return Err(Error::Conflict("error-concern-resolved".into()));
    }
    let now = Utc::now();
    let mut actions: Vec<ConcernAction> = serde_json::from_str(&c.actions).unwrap_or_default();
    actions.push(ConcernAction {
        at: ctx.local(now),
        by: ctx.actor.full_name.clone(),
        action,
    });
    let mut am = c.into_active_model();
    am.actions = Set(serde_json::to_string(&actions).expect("serialises"));
    if input.resolve {
        am.status = Set("resolved".into());
        am.resolved_at = Set(Some(now));
        am.resolved_by = Set(Some(ctx.actor.user_id));
    }
    let c = am.update(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        if input.resolve {
            "concern.resolved"
        } else {
            "concern.action"
        },
        "concern",
        Some(c.id),
        None,
    )
    .await?;
    let view = concern_view(&txn, ctx, &c).await?;
    txn.commit().await?;
    Ok(view)
}

/// Concerns, open first then newest: staff of the region see theirs; a mentor sees the ones
/// they raised.
pub async fn list_concerns(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<Vec<ConcernView>> {
    let staff = ctx.staff_or_mentor(&CONCERN_HANDLERS)?;
    let txn = ctx.write(db).await?;
    let mut q = concern::Entity::find().filter(concern::Column::TenantId.eq(ctx.tenant_id()));
    if !staff {
        q = q.filter(concern::Column::RaisedBy.eq(ctx.actor.user_id));
    }
    let rows: Vec<concern::Model> = q
        .order_by_asc(concern::Column::Status)
        .order_by_desc(concern::Column::CreatedAt)
        .all(&txn)
        .await?
        .into_iter()
        .filter(|c| !staff || ctx.covers_region(&CONCERN_HANDLERS, Some(c.region_id)))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for c in &rows {
        out.push(concern_view(&txn, ctx, c).await?);
    }
    audit::record_list_read(
        &txn,
        ctx.tenant_id(),
        ctx.actor.user_id,
        "concerns.listed",
        "concern",
        rows.iter().filter_map(|c| c.child_id),
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}
