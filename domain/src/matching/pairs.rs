//! Mentors as the ranking sees them, proposed matches and the psychologist's decision, pairs
//! with their term and closing, and guest visits. Who may do what: coordinators (their region)
//! and admins propose, close and grant; psychologists (their region) decide; a mentor sees
//! only their own pairs, and only what a mentor needs of the child.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::entity::{child, guest_visit, mentor_profile, pair, proposal};
use super::service::list_of;
use super::*;
use crate::accounts::Role;
use crate::accounts::entity::{membership, user};
use crate::error::{Error, Result};
use crate::recruitment::entity::{application, document, programme};
use crate::recruitment::service::{
    StoredFile, UploadPlan, doc_view, insert_document, plan_for, programme_name, retire_live,
    tenant_today,
};
use crate::recruitment::{Answers, Cadence, DocOwner, ProgrammeKind};
use crate::selection::Outcome;
use crate::support::entity::meeting;
use crate::tenancy::audit;
use crate::tenancy::context::TenantCtx;
use crate::tenancy::entity::institution;

/// Who proposes matches, closes pairs and grants guest visits.
pub const MANAGERS: [Role; 2] = [Role::TenantAdmin, Role::Coordinator];
/// Who decides on proposed matches.
pub const DECIDERS: [Role; 1] = [Role::Psychologist];
/// Staff who follow pairs.
pub const FOLLOWERS: [Role; 3] = [Role::TenantAdmin, Role::Coordinator, Role::Psychologist];

pub const PROPOSED: &str = "proposed";
pub const APPROVED: &str = "approved";
pub const DECLINED: &str = "declined";
pub const ACTIVE: &str = "active";
pub const CLOSED: &str = "closed";
/// A child whose pair ran its whole term.
pub const COMPLETED: &str = "completed";
pub const MATCHED: &str = "matched";

/// An active mentor of the organisation: the selection that made them one (its programme gives
/// the term and cadence of their pairs) and what the ranking needs.
#[derive(Debug, Clone)]
pub struct PoolMentor {
    pub ranking: MentorForMatching,
    pub application_id: Uuid,
    pub programme_id: Uuid,
}

/// Mentors who can take a child now or later: an active mentor membership, and a selection in
/// a one-to-one programme that ended with a signed contract.
pub async fn mentor_pool(conn: &impl ConnectionTrait, ctx: &TenantCtx) -> Result<Vec<PoolMentor>> {
    let tid = ctx.tenant_id();
    let mentors: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(tid))
        .filter(membership::Column::Role.eq(Role::Mentor.as_str()))
        .filter(membership::Column::Active.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let one_to_one: HashMap<Uuid, programme::Model> = programme::Entity::find()
        .filter(programme::Column::TenantId.eq(tid))
        .filter(programme::Column::Kind.eq(ProgrammeKind::OneToOne.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let apps = application::Entity::find()
        .filter(application::Column::TenantId.eq(tid))
        .filter(application::Column::Outcome.eq(Outcome::Active.as_str()))
        .filter(application::Column::ApplicantId.is_in(mentors))
        .order_by_desc(application::Column::SubmittedAt)
        .all(conn)
        .await?;
    let profiles: HashMap<Uuid, mentor_profile::Model> = mentor_profile::Entity::find()
        .filter(mentor_profile::Column::TenantId.eq(tid))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p))
        .collect();
    let mut mentees: HashMap<Uuid, u32> = HashMap::new();
    for p in pair::Entity::find()
        .filter(pair::Column::TenantId.eq(tid))
        .filter(pair::Column::Status.eq(ACTIVE))
        .all(conn)
        .await?
    {
        *mentees.entry(p.mentor_id).or_default() += 1;
    }
    let mut out: Vec<PoolMentor> = Vec::new();
    for a in apps {
        // The latest selection of each mentor counts.
        if !one_to_one.contains_key(&a.programme_id)
            || out.iter().any(|m| m.ranking.id == a.applicant_id)
        {
            continue;
        }
        let Some(person) = user::Entity::find_by_id(a.applicant_id).one(conn).await? else {
            continue;
        };
        let answers: Option<Answers> = serde_json::from_str(&a.answers).ok();
        let profile = profiles.get(&a.applicant_id);
        out.push(PoolMentor {
            ranking: MentorForMatching {
                id: a.applicant_id,
                name: person.full_name,
                region_id: a.region_id,
                languages: answers.map(|x| x.profile.languages).unwrap_or_default(),
                interests: profile.map(|p| list_of(&p.interests)).unwrap_or_default(),
                gender: profile.and_then(|p| p.gender.as_deref().and_then(Gender::parse)),
                mentees: mentees.get(&a.applicant_id).copied().unwrap_or(0),
                capacity: profile.map_or(1, |p| p.capacity.max(0) as u32),
                home_at: profile.and_then(|p| GeoPoint::from_e6(p.home_lat_e6, p.home_lon_e6)),
            },
            application_id: a.id,
            programme_id: a.programme_id,
        });
    }
    Ok(out)
}

async fn child_in_reach(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
    roles: &[Role],
) -> Result<child::Model> {
    ctx.require_any(roles)?;
    let c = child::Entity::find_by_id(id)
        .filter(child::Column::TenantId.eq(ctx.tenant_id()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    if !ctx.covers_region(roles, Some(c.region_id)) {
        return Err(Error::NotFound);
    }
    Ok(c)
}

async fn for_matching(conn: &impl ConnectionTrait, c: &child::Model) -> Result<ChildForMatching> {
    let institution_at = match c.institution_id {
        Some(i) => institution::Entity::find_by_id(i)
            .one(conn)
            .await?
            .and_then(|i| GeoPoint::from_e6(i.lat_e6, i.lon_e6)),
        None => None,
    };
    Ok(ChildForMatching {
        region_id: Some(c.region_id),
        languages: list_of(&c.languages),
        interests: list_of(&c.interests),
        preferred_mentor_gender: c.preferred_mentor_gender.as_deref().and_then(Gender::parse),
        institution_at,
    })
}

/// Ranked mentors for a waiting child, each with the reasons for its score.
pub async fn suggest_mentors(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    child_id: Uuid,
) -> Result<Vec<Suggestion>> {
    let txn = ctx.read(db).await?;
    let c = child_in_reach(&txn, ctx, child_id, &FOLLOWERS).await?;
    if c.status != super::service::WAITING {
        return Err(Error::Conflict("error-child-not-waiting".into()));
    }
    let wanted = for_matching(&txn, &c).await?;
    let pool: Vec<MentorForMatching> = mentor_pool(&txn, ctx)
        .await?
        .into_iter()
        .map(|m| m.ranking)
        .collect();
    txn.commit().await?;
    Ok(suggest(&wanted, &pool))
}

async fn match_view(conn: &impl ConnectionTrait, m: &proposal::Model) -> Result<MatchView> {
    let mentor = user::Entity::find_by_id(m.mentor_id).one(conn).await?;
    let pair_id = pair::Entity::find()
        .filter(pair::Column::MatchId.eq(m.id))
        .one(conn)
        .await?
        .map(|p| p.id);
    Ok(MatchView {
        id: m.id,
        child_id: m.child_id,
        mentor_id: m.mentor_id,
        mentor_name: mentor.map(|u| u.full_name).unwrap_or_default(),
        score: m.score,
        reasons: serde_json::from_str(&m.reasons).unwrap_or_default(),
        status: m.status.clone(),
        decision_reason: m.decision_reason.clone(),
        pair_id,
    })
}

/// How many proposed matches wait for the reader's decision: a psychologist's, for the
/// children of their region (anyone else: none). A count, so no child's record is read.
pub async fn decisions_waiting(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<usize> {
    if !ctx.has_any(&DECIDERS) {
        return Ok(0);
    }
    let txn = ctx.read(db).await?;
    let open = proposal::Entity::find()
        .filter(proposal::Column::TenantId.eq(ctx.tenant_id()))
        .filter(proposal::Column::Status.eq(PROPOSED))
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(open
        .iter()
        .filter(|m| ctx.covers_region(&DECIDERS, Some(m.region_id)))
        .count())
}

/// The matches proposed for a child, newest first (staff of the child's region).
pub async fn child_matches(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    child_id: Uuid,
) -> Result<Vec<MatchView>> {
    let txn = ctx.read(db).await?;
    child_in_reach(&txn, ctx, child_id, &FOLLOWERS).await?;
    let mut out = Vec::new();
    for m in proposal::Entity::find()
        .filter(proposal::Column::TenantId.eq(ctx.tenant_id()))
        .filter(proposal::Column::ChildId.eq(child_id))
        .order_by_desc(proposal::Column::ProposedAt)
        .all(&txn)
        .await?
    {
        out.push(match_view(&txn, &m).await?);
    }
    txn.commit().await?;
    Ok(out)
}

/// A coordinator proposes a mentor for a waiting child; a psychologist decides. The mentor
/// must be one the ranking would suggest (free places, a common language).
pub async fn propose_match(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: &MatchProposal,
) -> Result<MatchView> {
    let txn = ctx.write(db).await?;
    let c = child_in_reach(&txn, ctx, input.child_id, &MANAGERS).await?;
    if c.status != super::service::WAITING {
        return Err(Error::Conflict("error-child-not-waiting".into()));
    }
    let open = proposal::Entity::find()
        .filter(proposal::Column::TenantId.eq(ctx.tenant_id()))
        .filter(proposal::Column::ChildId.eq(c.id))
        .filter(proposal::Column::Status.eq(PROPOSED))
        .one(&txn)
        .await?;
    if open.is_some() {
        return Err(Error::Conflict("error-match-pending".into()));
    }
    let pool = mentor_pool(&txn, ctx).await?;
    let mentor = pool
        .iter()
        .find(|m| m.ranking.id == input.mentor_id)
        .ok_or_else(|| Error::invalid("mentor_id", "error-mentor-unknown"))?;
    if mentor.ranking.at_capacity() {
        return Err(Error::invalid("mentor_id", "error-mentor-at-capacity"));
    }
    let wanted = for_matching(&txn, &c).await?;
    let reasons = reasons(&wanted, &mentor.ranking)
        .ok_or_else(|| Error::invalid("mentor_id", "error-mentor-no-language"))?;
    let m = proposal::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id()),
        region_id: Set(c.region_id),
        child_id: Set(c.id),
        mentor_id: Set(mentor.ranking.id),
        application_id: Set(mentor.application_id),
        score: Set(reasons.iter().map(Reason::points).sum()),
        reasons: Set(serde_json::to_string(&reasons).expect("serialises")),
        status: Set(PROPOSED.into()),
        proposed_by: Set(Some(ctx.actor.user_id)),
        proposed_at: Set(Utc::now()),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "match.proposed",
        "child",
        Some(c.id),
        Some(serde_json::json!({ "match": m.id, "mentor": m.mentor_id })),
    )
    .await?;
    let view = match_view(&txn, &m).await?;
    txn.commit().await?;
    Ok(view)
}

/// The psychologist of the child's region approves (the pair begins today, for the programme's
/// contract length) or declines with a reason (the child stays on the waiting list).
pub async fn decide_match(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    input: &MatchDecisionInput,
) -> Result<MatchView> {
    ctx.require_any(&DECIDERS)?;
    let reason = input.reason.trim().to_string();
    if input.decision == MatchDecision::Declined && reason.is_empty() {
        return Err(Error::invalid("reason", "error-match-reason"));
    }
    if reason.chars().count() > 2000 {
        return Err(Error::invalid("reason", "error-text-too-long"));
    }
    let txn = ctx.write(db).await?;
    let m = proposal::Entity::find_by_id(id)
        .filter(proposal::Column::TenantId.eq(ctx.tenant_id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if !ctx.covers_region(&DECIDERS, Some(m.region_id)) {
        return Err(Error::NotFound);
    }
    if m.status != PROPOSED {
        return Err(Error::Conflict("error-match-decided".into()));
    }
    let now = Utc::now();
    let mut am = m.clone().into_active_model();
    am.decided_by = Set(Some(ctx.actor.user_id));
    am.decided_at = Set(Some(now));
    am.decision_reason = Set((!reason.is_empty()).then_some(reason));
    if input.decision == MatchDecision::Approved {
        // Between proposal and decision the mentor may have filled up, or the child been
        // matched elsewhere: the decision checks again.
        let pool = mentor_pool(&txn, ctx).await?;
        let mentor = pool
            .iter()
            .find(|p| p.ranking.id == m.mentor_id)
            .ok_or(Error::Conflict("error-mentor-unknown".into()))?;
        if mentor.ranking.at_capacity() {
            return Err(Error::Conflict("error-mentor-at-capacity".into()));
        }
        let c = child::Entity::find_by_id(m.child_id)
            .one(&txn)
            .await?
            .ok_or(Error::NotFound)?;
        if c.status != super::service::WAITING {
            return Err(Error::Conflict("error-child-not-waiting".into()));
        }
        let p = programme::Entity::find_by_id(mentor.programme_id)
            .one(&txn)
            .await?
            .ok_or(Error::NotFound)?;
        let today = tenant_today(&ctx.tenant);
        let new_pair = pair::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id()),
            region_id: Set(c.region_id),
            child_id: Set(c.id),
            mentor_id: Set(m.mentor_id),
            programme_id: Set(p.id),
            match_id: Set(m.id),
            starts_on: Set(today),
            ends_on: Set(crate::selection::contracts::contract_end(
                today,
                p.contract_months.max(1) as u32,
            )),
            status: Set(ACTIVE.into()),
            closed_on: Set(None),
            close_reason: Set(None),
            close_note: Set(None),
            closed_by: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        // The mentor hears of it by e-mail, in the same transaction as the pair (the outbox).
        if let Some(person) = user::Entity::find_by_id(m.mentor_id).one(&txn).await? {
            crate::jobs::enqueue(
                &txn,
                &crate::jobs::Job::SendEmail(crate::jobs::EmailJob {
                    tenant_id: Some(ctx.tenant_id()),
                    unsubscribe: None,
                    dedupe_key: format!("match-approved:{}", m.id),
                    to: person.email,
                    locale: person.locale.parse().unwrap_or(crate::Locale::Ru),
                    message: crate::jobs::EmailMessage::MatchApproved {
                        tenant_name: ctx.tenant.name.clone(),
                        path: format!("/t/{}/pairs/{}", ctx.tenant.slug, new_pair.id),
                    },
                }),
            )
            .await?;
        }
        let mut ca = c.into_active_model();
        ca.status = Set(MATCHED.into());
        ca.updated_at = Set(now);
        ca.update(&txn).await?;
        am.status = Set(APPROVED.into());
    } else {
        am.status = Set(DECLINED.into());
    }
    let m = am.update(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "match.decided",
        "child",
        Some(m.child_id),
        Some(serde_json::json!({ "match": m.id, "decision": m.status })),
    )
    .await?;
    let view = match_view(&txn, &m).await?;
    txn.commit().await?;
    Ok(view)
}

/// The latest meeting date of each pair.
pub async fn last_meetings(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<HashMap<Uuid, NaiveDate>> {
    use sea_orm::QuerySelect;
    // One row per pair, read from the (tenant, pair, held_on) index: a tenant with half a
    // million protocols does not send them all to the server to keep one date per pair.
    let rows: Vec<(Uuid, NaiveDate)> = meeting::Entity::find()
        .select_only()
        .column(meeting::Column::PairId)
        .column_as(meeting::Column::HeldOn.max(), "last")
        .filter(meeting::Column::TenantId.eq(tenant_id))
        .group_by(meeting::Column::PairId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Pairs with what their lists show. `today` is the organisation's date.
async fn pair_views(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    pairs: Vec<pair::Model>,
) -> Result<Vec<PairView>> {
    let today = tenant_today(&ctx.tenant);
    let last = last_meetings(conn, ctx.tenant_id()).await?;
    let mut programmes: HashMap<Uuid, programme::Model> = HashMap::new();
    let mut out = Vec::with_capacity(pairs.len());
    for p in pairs {
        if let std::collections::hash_map::Entry::Vacant(e) = programmes.entry(p.programme_id)
            && let Some(row) = programme::Entity::find_by_id(p.programme_id)
                .one(conn)
                .await?
        {
            e.insert(row);
        }
        let prog = programmes.get(&p.programme_id);
        let cadence = prog
            .and_then(|x| Cadence::parse(&x.meeting_cadence).ok())
            .unwrap_or(Cadence::Weekly);
        let c = child::Entity::find_by_id(p.child_id)
            .one(conn)
            .await?
            .ok_or(Error::NotFound)?;
        let mentor = user::Entity::find_by_id(p.mentor_id).one(conn).await?;
        let visits = guest_visit::Entity::find()
            .filter(guest_visit::Column::PairId.eq(p.id))
            .order_by_asc(guest_visit::Column::FromOn)
            .all(conn)
            .await?;
        let mut guest_visits = Vec::with_capacity(visits.len());
        for v in visits {
            guest_visits.push(guest_view(conn, &v).await?);
        }
        let last_meeting = last.get(&p.id).copied();
        out.push(PairView {
            id: p.id,
            child_id: p.child_id,
            child_name: format!("{} {}.", c.first_name, c.last_initial),
            child_age: age_on(c.date_of_birth, today),
            mentor_id: p.mentor_id,
            mentor_name: mentor.map(|u| u.full_name).unwrap_or_default(),
            region_id: p.region_id,
            programme_name: prog
                .map(|x| programme_name(x, ctx.actor.locale))
                .unwrap_or_default(),
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            standing: (p.status == ACTIVE)
                .then(|| crate::support::standing(cadence, p.starts_on, last_meeting, today)),
            status: p.status,
            close_reason: p.close_reason.as_deref().and_then(CloseReason::parse),
            closed_on: p.closed_on,
            last_meeting,
            guest_visits,
            child_languages: list_of(&c.languages),
            child_interests: list_of(&c.interests),
        });
    }
    Ok(out)
}

async fn guest_view(
    conn: &impl ConnectionTrait,
    v: &guest_visit::Model,
) -> Result<GuestVisitsView> {
    let approver = match v.approved_by {
        Some(u) => user::Entity::find_by_id(u).one(conn).await?,
        None => None,
    };
    let document = match v.document_id {
        Some(d) => document::Entity::find_by_id(d)
            .one(conn)
            .await?
            .as_ref()
            .map(doc_view),
        None => None,
    };
    Ok(GuestVisitsView {
        id: v.id,
        pair_id: v.pair_id,
        from_on: v.from_on,
        until_on: v.until_on,
        approved_by: approver.map(|u| u.full_name).unwrap_or_default(),
        note: v.note.clone(),
        document,
    })
}

/// Pairs the actor follows: staff of a region see its pairs (active first, then closed); a
/// mentor sees their own.
pub async fn list_pairs(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<Vec<PairView>> {
    let staff = ctx.staff_or_mentor(&FOLLOWERS)?;
    let txn = ctx.write(db).await?;
    let mut q = pair::Entity::find().filter(pair::Column::TenantId.eq(ctx.tenant_id()));
    if !staff {
        q = q.filter(pair::Column::MentorId.eq(ctx.actor.user_id));
    }
    let rows: Vec<pair::Model> = q
        .order_by_asc(pair::Column::Status)
        .order_by_desc(pair::Column::StartsOn)
        .all(&txn)
        .await?
        .into_iter()
        .filter(|p| !staff || ctx.covers_region(&FOLLOWERS, Some(p.region_id)))
        .collect();
    audit::record_list_read(
        &txn,
        ctx.tenant_id(),
        ctx.actor.user_id,
        "pairs.listed",
        "pair",
        rows.iter().map(|p| p.child_id),
    )
    .await?;
    let views = pair_views(&txn, ctx, rows).await?;
    txn.commit().await?;
    Ok(views)
}

/// A pair the actor may act on with `roles` (in their region), or the mentor's own when
/// `mentor_may` is set.
pub async fn pair_in_reach(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
    roles: &[Role],
    mentor_may: bool,
) -> Result<pair::Model> {
    let as_mentor = mentor_may && ctx.has(Role::Mentor);
    if !as_mentor {
        ctx.require_any(roles)?;
    }
    let p = pair::Entity::find_by_id(id)
        .filter(pair::Column::TenantId.eq(ctx.tenant_id()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let staff_ok = ctx.covers_region(roles, Some(p.region_id));
    let mentor_ok = as_mentor && p.mentor_id == ctx.actor.user_id;
    if staff_ok || mentor_ok {
        Ok(p)
    } else {
        Err(Error::NotFound)
    }
}

/// One pair (its mentor, or staff of its region).
pub async fn get_pair(db: &DatabaseConnection, ctx: &TenantCtx, id: Uuid) -> Result<PairView> {
    let txn = ctx.read(db).await?;
    let p = pair_in_reach(&txn, ctx, id, &FOLLOWERS, true).await?;
    let view = pair_views(&txn, ctx, vec![p]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}

/// Ends a pair. Before the end of its term only with an early reason; the child goes back to
/// the waiting list (a completed term does not), and the pair stays in the history.
pub async fn close_pair(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    input: &ClosePairInput,
) -> Result<PairView> {
    let txn = ctx.write(db).await?;
    let p = pair_in_reach(&txn, ctx, id, &MANAGERS, false).await?;
    if p.status != ACTIVE {
        return Err(Error::Conflict("error-pair-closed".into()));
    }
    let today = tenant_today(&ctx.tenant);
    let note = check_close(input, p.ends_on, today)?;
    let now = Utc::now();
    let child_id = p.child_id;
    let mut am = p.into_active_model();
    am.status = Set(CLOSED.into());
    am.closed_on = Set(Some(today));
    am.close_reason = Set(Some(input.reason.as_str().into()));
    am.close_note = Set(note);
    am.closed_by = Set(Some(ctx.actor.user_id));
    let p = am.update(&txn).await?;
    let c = child::Entity::find_by_id(child_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let mut ca = c.into_active_model();
    if input.reason == CloseReason::TermCompleted {
        ca.status = Set(COMPLETED.into());
    } else {
        ca.status = Set(super::service::WAITING.into());
        ca.waiting_since = Set(now);
    }
    ca.updated_at = Set(now);
    ca.update(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "pair.closed",
        "pair",
        Some(p.id),
        Some(serde_json::json!({ "reason": input.reason.as_str() })),
    )
    .await?;
    let view = pair_views(&txn, ctx, vec![p]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}

/// Permission for weekend and holiday visits at the mentor's home, within the pair's term;
/// the approver is who grants it.
pub async fn grant_guest_visits(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    pair_id: Uuid,
    input: &GuestVisitsInput,
) -> Result<GuestVisitsView> {
    let txn = ctx.write(db).await?;
    let p = pair_in_reach(&txn, ctx, pair_id, &MANAGERS, false).await?;
    if p.status != ACTIVE {
        return Err(Error::Conflict("error-pair-closed".into()));
    }
    if input.from_on > input.until_on {
        return Err(Error::invalid("until_on", "error-guest-dates"));
    }
    if input.from_on < p.starts_on || input.until_on > p.ends_on {
        return Err(Error::invalid("from_on", "error-guest-term"));
    }
    let note = input.note.trim();
    if note.chars().count() > 2000 {
        return Err(Error::invalid("note", "error-text-too-long"));
    }
    let v = guest_visit::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id()),
        pair_id: Set(p.id),
        from_on: Set(input.from_on),
        until_on: Set(input.until_on),
        approved_by: Set(Some(ctx.actor.user_id)),
        document_id: Set(None),
        note: Set(note.to_string()),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "pair.guest_visits",
        "pair",
        Some(p.id),
        None,
    )
    .await?;
    let view = guest_view(&txn, &v).await?;
    txn.commit().await?;
    Ok(view)
}

/// A grant of guest visits the managers of its pair's region may attach the signed
/// permission to (the pair still active).
async fn managed_visit(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    visit_id: Uuid,
) -> Result<(guest_visit::Model, pair::Model)> {
    ctx.require_any(&MANAGERS)?;
    let v = guest_visit::Entity::find_by_id(visit_id)
        .filter(guest_visit::Column::TenantId.eq(ctx.tenant_id()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let p = pair_in_reach(conn, ctx, v.pair_id, &MANAGERS, false).await?;
    if p.status != ACTIVE {
        return Err(Error::Conflict("error-pair-closed".into()));
    }
    Ok((v, p))
}

/// Where the signed permission of a grant of guest visits goes (checked before any byte).
pub async fn plan_guest_permission(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    visit_id: Uuid,
) -> Result<UploadPlan> {
    let txn = ctx.read(db).await?;
    let (_, p) = managed_visit(&txn, ctx, visit_id).await?;
    txn.commit().await?;
    let rule = super::record_rule(super::GUEST_PERMISSION).ok_or(Error::NotFound)?;
    Ok(plan_for(ctx, DocOwner::Pair(p.id), rule, None))
}

/// Records the stored permission (verification queued with it) and links it to the grant; a
/// new file replaces the grant's previous one, which keeps its history.
pub async fn record_guest_permission(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    visit_id: Uuid,
    plan: &UploadPlan,
    file: &StoredFile,
) -> Result<GuestVisitsView> {
    let txn = ctx.write(db).await?;
    let (v, p) = managed_visit(&txn, ctx, visit_id).await?;
    if plan.owner != DocOwner::Pair(p.id) {
        return Err(Error::NotFound);
    }
    if let Some(old) = v.document_id {
        retire_live(&txn, plan.owner, super::GUEST_PERMISSION, Some(old), file).await?;
    }
    let d = insert_document(&txn, ctx, plan, file).await?;
    let mut am = v.into_active_model();
    am.document_id = Set(Some(d.id));
    let v = am.update(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "pair.guest_permission_uploaded",
        "pair",
        Some(p.id),
        Some(serde_json::json!({ "visits": v.id, "document": d.id })),
    )
    .await?;
    let view = guest_view(&txn, &v).await?;
    txn.commit().await?;
    Ok(view)
}

// ---------------------------------------------------------------- mentor profiles

fn profile_view(mentor_id: Uuid, p: Option<&mentor_profile::Model>) -> MentorProfileView {
    MentorProfileView {
        mentor_id,
        gender: p.and_then(|p| p.gender.as_deref().and_then(Gender::parse)),
        interests: p.map(|p| list_of(&p.interests)).unwrap_or_default(),
        home_at: p.and_then(|p| GeoPoint::from_e6(p.home_lat_e6, p.home_lon_e6)),
        capacity: p.map_or(1, |p| p.capacity.max(0) as u32),
        rules_acknowledged_at: p.and_then(|p| p.rules_acknowledged_at),
    }
}

async fn profile_row(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    mentor_id: Uuid,
) -> Result<Option<mentor_profile::Model>> {
    Ok(mentor_profile::Entity::find()
        .filter(mentor_profile::Column::TenantId.eq(ctx.tenant_id()))
        .filter(mentor_profile::Column::UserId.eq(mentor_id))
        .one(conn)
        .await?)
}

/// Checks that the actor may see or change this mentor's profile (their home location among
/// it): the mentor themselves, or a coordinator of a region the mentor was selected in, or an
/// admin. The person must be a mentor here.
async fn profile_access(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    mentor_id: Uuid,
) -> Result<()> {
    let own = ctx.actor.user_id == mentor_id && ctx.has(Role::Mentor);
    if !own {
        ctx.require_any(&MANAGERS)?;
    }
    let is_mentor = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(ctx.tenant_id()))
        .filter(membership::Column::UserId.eq(mentor_id))
        .filter(membership::Column::Role.eq(Role::Mentor.as_str()))
        .one(conn)
        .await?
        .is_some();
    if !is_mentor {
        return Err(Error::NotFound);
    }
    if !own {
        // A mentor belongs to the regions of their selections; one without any (none yet)
        // belongs to no region, so only those who cover every region follow them.
        let mut regions: Vec<Option<Uuid>> = application::Entity::find()
            .filter(application::Column::TenantId.eq(ctx.tenant_id()))
            .filter(application::Column::ApplicantId.eq(mentor_id))
            .all(conn)
            .await?
            .into_iter()
            .map(|a| a.region_id)
            .collect();
        if regions.is_empty() {
            regions.push(None);
        }
        if !regions.iter().any(|r| ctx.covers_region(&MANAGERS, *r)) {
            return Err(Error::Forbidden);
        }
    }
    Ok(())
}

/// The mentor's start page: their own active pairs and the groups they are assigned to now
/// (a coordinator who also mentors sees only their own here). Only a mentor has one.
pub async fn mentor_desk(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<MentorDesk> {
    if !ctx.has(Role::Mentor) {
        return Err(Error::Forbidden);
    }
    let me = ctx.actor.user_id;
    let pairs = list_pairs(db, ctx)
        .await?
        .into_iter()
        .filter(|p| p.mentor_id == me && p.status == ACTIVE)
        .collect();
    let groups = super::groups::service::list_groups(db, ctx)
        .await?
        .into_iter()
        .filter(|g| g.status == ACTIVE && g.has_mentor(me))
        .collect();
    let profile = get_mentor_profile(db, ctx, me).await?;
    Ok(MentorDesk {
        pairs,
        groups,
        rules_acknowledged: profile.rules_acknowledged_at.is_some(),
    })
}

pub async fn get_mentor_profile(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    mentor_id: Uuid,
) -> Result<MentorProfileView> {
    let txn = ctx.read(db).await?;
    profile_access(&txn, ctx, mentor_id).await?;
    let row = profile_row(&txn, ctx, mentor_id).await?;
    txn.commit().await?;
    Ok(profile_view(mentor_id, row.as_ref()))
}

/// What the ranking knows about a mentor. The mentor states gender, interests and where they
/// live; only staff change how many children a mentor may have.
pub async fn set_mentor_profile(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    mentor_id: Uuid,
    input: &MentorProfileInput,
) -> Result<MentorProfileView> {
    let interests = clean_interests(&input.interests)
        .ok_or_else(|| Error::invalid("interests", "error-child-interests"))?;
    let home = match input.home_at {
        Some(p) => Some(
            p.checked()
                .ok_or_else(|| Error::invalid("home_at", "error-home-location"))?,
        ),
        None => None,
    };
    let txn = ctx.write(db).await?;
    profile_access(&txn, ctx, mentor_id).await?;
    let staff = ctx.has_any(&MANAGERS);
    let existing = profile_row(&txn, ctx, mentor_id).await?;
    let current = existing.as_ref().map_or(1, |p| p.capacity.max(0) as u32);
    let capacity = match input.capacity {
        Some(c) if c != current && !staff => {
            return Err(Error::invalid("capacity", "error-capacity-staff"));
        }
        Some(c) if !(1..=MAX_CAPACITY).contains(&c) => {
            return Err(Error::invalid("capacity", "error-capacity-range"));
        }
        Some(c) => c,
        None => current,
    };
    let (lat, lon) = home.map(GeoPoint::to_e6).unzip();
    let now = Utc::now();
    let row = match existing {
        Some(p) => {
            let mut am = p.into_active_model();
            am.gender = Set(input.gender.map(|g| g.as_str().into()));
            am.interests = Set(serde_json::to_string(&interests).expect("serialises"));
            am.capacity = Set(capacity as i32);
            am.home_lat_e6 = Set(lat);
            am.home_lon_e6 = Set(lon);
            am.updated_at = Set(now);
            am.update(&txn).await?
        }
        None => {
            mentor_profile::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(ctx.tenant_id()),
                user_id: Set(mentor_id),
                gender: Set(input.gender.map(|g| g.as_str().into())),
                interests: Set(serde_json::to_string(&interests).expect("serialises")),
                capacity: Set(capacity as i32),
                home_lat_e6: Set(lat),
                home_lon_e6: Set(lon),
                rules_acknowledged_at: Set(None),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    txn.commit().await?;
    Ok(profile_view(mentor_id, Some(&row)))
}

/// The mentors of the pool a coordinator (their region) or an admin follows, by name: their
/// mentees and capacity, for the page where staff change capacity.
pub async fn list_mentors(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<Vec<MentorForMatching>> {
    ctx.require_any(&MANAGERS)?;
    let txn = ctx.read(db).await?;
    let mut out: Vec<MentorForMatching> = mentor_pool(&txn, ctx)
        .await?
        .into_iter()
        .map(|m| m.ranking)
        .filter(|m| ctx.covers_region(&MANAGERS, m.region_id))
        .collect();
    txn.commit().await?;
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Staff change how many children a mentor may have at once (1 to `MAX_CAPACITY`); the rest
/// of the profile is the mentor's and stays as it is.
pub async fn set_mentor_capacity(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    mentor_id: Uuid,
    capacity: u32,
) -> Result<MentorProfileView> {
    ctx.require_any(&MANAGERS)?;
    if !(1..=MAX_CAPACITY).contains(&capacity) {
        return Err(Error::invalid("capacity", "error-capacity-range"));
    }
    let txn = ctx.write(db).await?;
    profile_access(&txn, ctx, mentor_id).await?;
    let row = match profile_row(&txn, ctx, mentor_id).await? {
        Some(p) => {
            let mut am = p.into_active_model();
            am.capacity = Set(capacity as i32);
            am.updated_at = Set(Utc::now());
            am.update(&txn).await?
        }
        None => {
            mentor_profile::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(ctx.tenant_id()),
                user_id: Set(mentor_id),
                gender: Set(None),
                interests: Set("[]".into()),
                capacity: Set(capacity as i32),
                home_lat_e6: Set(None),
                home_lon_e6: Set(None),
                rules_acknowledged_at: Set(None),
                updated_at: Set(Utc::now()),
            }
            .insert(&txn)
            .await?
        }
    };
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "mentor.capacity_set",
        "user",
        Some(mentor_id),
        Some(serde_json::json!({ "capacity": capacity })),
    )
    .await?;
    txn.commit().await?;
    Ok(profile_view(mentor_id, Some(&row)))
}

/// The mentor acknowledges the programme rules (no money, no expensive gifts; a friend, not a
/// sponsor). Once: acknowledging again keeps the first date.
pub async fn acknowledge_rules(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<MentorProfileView> {
    ctx.require_any(&[Role::Mentor])?;
    let me = ctx.actor.user_id;
    let txn = ctx.write(db).await?;
    let now = Utc::now();
    let row = match profile_row(&txn, ctx, me).await? {
        Some(p) if p.rules_acknowledged_at.is_some() => p,
        Some(p) => {
            let mut am = p.into_active_model();
            am.rules_acknowledged_at = Set(Some(now));
            am.updated_at = Set(now);
            am.update(&txn).await?
        }
        None => {
            mentor_profile::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(ctx.tenant_id()),
                user_id: Set(me),
                gender: Set(None),
                interests: Set("[]".into()),
                capacity: Set(1),
                home_lat_e6: Set(None),
                home_lon_e6: Set(None),
                rules_acknowledged_at: Set(Some(now)),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(me),
        "mentor.rules_acknowledged",
        "user",
        Some(me),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(profile_view(me, Some(&row)))
}
