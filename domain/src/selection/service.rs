//! Selection services: the candidates' board, the stage gate and stage results, cohorts with
//! their seats and attendance, and the committee's votes. Every function checks the tenant
//! (through `TenantCtx`), the role and the region itself.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entity::{attendance, cohort, cohort_member, committee_vote, stage_result};
use super::*;
use crate::accounts::Role;
use crate::accounts::entity::{membership, user};
use crate::accounts::service::members_with_roles;
use crate::db;
use crate::error::{Error, Result, Unmet};
use crate::recruitment::entity::{application, document, programme, required_document};
use crate::recruitment::{ApplicationStatus, DocStatus, Texts};
use crate::tenancy::audit;
use crate::tenancy::context::TenantCtx;
use crate::tenancy::entity::region;

/// Who sees the board and candidates' pages (region-scoped roles: their region only).
const BOARD: [Role; 4] = [
    Role::TenantAdmin,
    Role::Coordinator,
    Role::Psychologist,
    Role::CommitteeMember,
];
/// Who moves candidates through the stages and runs cohorts.
const MANAGERS: [Role; 2] = [Role::TenantAdmin, Role::Coordinator];

// ---------------------------------------------------------------- programme settings

/// A programme's pipeline (a stored value that no longer checks falls back to the default).
pub fn stages_of(p: &programme::Model) -> Vec<StageKind> {
    serde_json::from_str::<Vec<StageKind>>(&p.stages)
        .ok()
        .filter(|s| check_stages(s).is_ok())
        .unwrap_or_else(|| DEFAULT_STAGES.to_vec())
}

pub fn committee_rule_of(p: &programme::Model) -> CommitteeRule {
    CommitteeRule {
        majority: MajorityRule::parse(&p.committee_rule).unwrap_or_default(),
        quorum: (p.committee_quorum.max(1) as u32).min(MAX_QUORUM),
    }
}

/// Who may decide a stage: coordinators and admins, psychologists for the psychological
/// stages. The committee stage is decided from the votes; the contract by signing it.
fn deciders(stage: StageKind) -> &'static [Role] {
    match stage {
        StageKind::PsychTest | StageKind::Interview => &[Role::Psychologist],
        _ => &MANAGERS,
    }
}

// ---------------------------------------------------------------- loading

pub(crate) struct Candidate {
    pub(crate) app: application::Model,
    pub(crate) programme: programme::Model,
}

/// A submitted application of this tenant that the actor, holding one of `roles` for its
/// region, may act on. Staff without the role are refused (403); a region that is not theirs,
/// or a draft, is not found.
pub(crate) async fn candidate(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
    roles: &[Role],
) -> Result<Candidate> {
    ctx.require_any(roles)?;
    let app = application::Entity::find_by_id(id)
        .filter(application::Column::TenantId.eq(ctx.tenant_id()))
        .filter(application::Column::Status.eq(ApplicationStatus::Submitted.as_str()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    if !sees_application(ctx, roles, &app) {
        return Err(Error::NotFound);
    }
    let programme = programme::Entity::find_by_id(app.programme_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Candidate { app, programme })
}

/// Whether the actor, holding one of `roles` here, sees a submitted application: staff of its
/// region; a committee member of its region only once it has reached the committee
/// ([`crate::selection::committee_sees`]).
pub(crate) fn sees_application(ctx: &TenantCtx, roles: &[Role], app: &application::Model) -> bool {
    let staff: Vec<Role> = roles
        .iter()
        .copied()
        .filter(|r| *r != Role::CommitteeMember)
        .collect();
    if ctx.covers_region(&staff, app.region_id) {
        return true;
    }
    roles.contains(&Role::CommitteeMember)
        && ctx.covers_region(&[Role::CommitteeMember], app.region_id)
        && crate::selection::committee_sees(
            app.stage.as_deref().and_then(|s| StageKind::parse(s).ok()),
        )
}

async fn records_of(
    conn: &impl ConnectionTrait,
    application_id: Uuid,
) -> Result<Vec<stage_result::Model>> {
    Ok(stage_result::Entity::find()
        .filter(stage_result::Column::ApplicationId.eq(application_id))
        .order_by_asc(stage_result::Column::OpenedAt)
        .all(conn)
        .await?)
}

fn statuses(records: &[stage_result::Model]) -> Vec<(StageKind, StageStatus)> {
    records
        .iter()
        .filter_map(|r| {
            Some((
                StageKind::parse(&r.stage).ok()?,
                StageStatus::parse(&r.status)?,
            ))
        })
        .collect()
}

/// A candidate's stages so far.
pub(crate) async fn stage_statuses(
    conn: &impl ConnectionTrait,
    application_id: Uuid,
) -> Result<Vec<(StageKind, StageStatus)>> {
    Ok(statuses(&records_of(conn, application_id).await?))
}

pub(crate) async fn refresh_candidate(conn: &impl ConnectionTrait, c: &Candidate) -> Result<()> {
    refresh(conn, c).await.map(|_| ())
}

/// Opens a stage the caller has checked the gate for.
pub(crate) async fn open_stage(
    conn: &impl ConnectionTrait,
    c: &Candidate,
    stage: StageKind,
    by: Option<Uuid>,
) -> Result<()> {
    insert_stage(conn, c, stage, by).await.map(|_| ())
}

/// Passes an open stage that is decided by an event rather than a stage result (the contract
/// signed), and updates where the candidate stands.
pub(crate) async fn pass_stage(
    conn: &impl ConnectionTrait,
    c: &Candidate,
    stage: StageKind,
    assessor: Uuid,
) -> Result<()> {
    let record = open_record(conn, c.app.id, stage).await?;
    let result = CheckedResult {
        decision: StageStatus::Passed,
        score: None,
        notes: None,
        reason: None,
    };
    decide(conn, assessor, record, result).await?;
    refresh(conn, c).await.map(|_| ())
}

/// Writes where the candidate stands onto the application, for the board's filters.
async fn refresh(conn: &impl ConnectionTrait, c: &Candidate) -> Result<application::Model> {
    let stages = stages_of(&c.programme);
    let st = statuses(&records_of(conn, c.app.id).await?);
    let current = current_stage(&stages, &st);
    let mut am = c.app.clone().into_active_model();
    am.stage = Set(current.map(|(k, _)| k.as_str().to_string()));
    am.stage_status = Set(current.map(|(_, s)| s.as_str().to_string()));
    am.outcome = Set(outcome_of(&stages, &st).as_str().to_string());
    am.updated_at = Set(Utc::now());
    Ok(am.update(conn).await?)
}

async fn names_of(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect())
}

async fn rows_of(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    apps: Vec<application::Model>,
) -> Result<Vec<CandidateRow>> {
    let locale = ctx.actor.locale;
    let users: HashMap<Uuid, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(apps.iter().map(|a| a.applicant_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let programmes: HashMap<Uuid, programme::Model> = programme::Entity::find()
        .filter(programme::Column::TenantId.eq(ctx.tenant_id()))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let regions: HashMap<Uuid, String> = region::Entity::find()
        .filter(region::Column::TenantId.eq(ctx.tenant_id()))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    // The votes on candidates before the committee now: whether the reader voted, and
    // whether the committee has decided.
    let at_committee = apps.iter().filter(|a| {
        a.stage.as_deref() == Some(StageKind::Committee.as_str())
            && a.stage_status.as_deref() == Some(StageStatus::Open.as_str())
    });
    let mut votes: HashMap<Uuid, Vec<committee_vote::Model>> = HashMap::new();
    for v in committee_vote::Entity::find()
        .filter(committee_vote::Column::ApplicationId.is_in(at_committee.map(|a| a.id)))
        .all(conn)
        .await?
    {
        votes.entry(v.application_id).or_default().push(v);
    }
    Ok(apps
        .into_iter()
        .filter_map(|a| {
            let u = users.get(&a.applicant_id)?;
            let p = programmes.get(&a.programme_id)?;
            let names: Texts = serde_json::from_str(&p.names).unwrap_or_default();
            let stage = a.stage.as_deref().and_then(|s| StageKind::parse(s).ok());
            let status = a.stage_status.as_deref().and_then(StageStatus::parse);
            let cast = votes.get(&a.id).map(Vec::as_slice).unwrap_or_default();
            let ballots: Vec<Vote> = cast
                .iter()
                .filter_map(|v| Vote::parse(&v.vote).ok())
                .collect();
            let standing = Standing {
                stage,
                status,
                next: stage.and_then(|s| stage_after(&stages_of(p), s)),
                voted: cast.iter().any(|v| v.voter_id == ctx.actor.user_id),
                decided: !matches!(
                    committee_decision(committee_rule_of(p), &ballots),
                    CommitteeDecision::NoQuorum { .. }
                ),
            };
            Some(CandidateRow {
                awaits: awaits(standing, |role| ctx.covers_region(&[role], a.region_id)),
                id: a.id,
                name: u.full_name.clone(),
                email: u.email.clone(),
                programme_id: p.id,
                programme_slug: p.slug.clone(),
                programme_name: names.get(locale).to_string(),
                region_id: a.region_id,
                region_name: a.region_id.and_then(|r| regions.get(&r).cloned()),
                stage,
                stage_status: status,
                outcome: Outcome::parse(&a.outcome).unwrap_or(Outcome::Pending),
                submitted_at: a.submitted_at.map(|t| ctx.local(t)),
            })
        })
        .collect())
}

// ---------------------------------------------------------------- the board

/// The candidates the actor may see (their region for coordinators, psychologists and
/// committee members), filtered, oldest submission first.
pub async fn list_candidates(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    filter: &CandidateFilter,
) -> Result<Vec<CandidateRow>> {
    ctx.require_any(&BOARD)?;
    let txn = ctx.read(db).await?;
    let apps: Vec<application::Model> = application::Entity::find()
        .filter(application::Column::TenantId.eq(ctx.tenant_id()))
        .filter(application::Column::Status.eq(ApplicationStatus::Submitted.as_str()))
        .order_by_asc(application::Column::SubmittedAt)
        .all(&txn)
        .await?
        .into_iter()
        .filter(|a| sees_application(ctx, &BOARD, a))
        .collect();
    let rows = rows_of(&txn, ctx, apps).await?;
    txn.commit().await?;
    Ok(rows.into_iter().filter(|r| filter.matches(r)).collect())
}

/// One candidate's whole history. Notes of psychological stages are shown to psychologists
/// of the region only, and each such read is audit-logged.
pub async fn get_candidate(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<CandidateView> {
    let txn = ctx.write(db).await?;
    let c = candidate(&txn, ctx, id, &BOARD).await?;
    let view = candidate_view(&txn, ctx, &c).await?;
    txn.commit().await?;
    Ok(view)
}

async fn candidate_view(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    c: &Candidate,
) -> Result<CandidateView> {
    let stages = stages_of(&c.programme);
    let records = records_of(conn, c.app.id).await?;
    let st = statuses(&records);
    let psychologist = ctx.covers_region(&[Role::Psychologist], c.app.region_id);
    let votes = committee_vote::Entity::find()
        .filter(committee_vote::Column::ApplicationId.eq(c.app.id))
        .order_by_asc(committee_vote::Column::CastAt)
        .all(conn)
        .await?;
    let mut people: Vec<Uuid> = records
        .iter()
        .flat_map(|r| [r.opened_by, r.assessor_id])
        .flatten()
        .chain(votes.iter().map(|v| v.voter_id))
        .collect();
    people.sort();
    people.dedup();
    let names = names_of(conn, &people).await?;
    let name = |id: Option<Uuid>| id.and_then(|i| names.get(&i).cloned());
    let mut shown_notes = Vec::new();
    let record_views = records
        .iter()
        .filter_map(|r| {
            let stage = StageKind::parse(&r.stage).ok()?;
            let hidden = stage.is_psychological() && !psychologist && r.notes.is_some();
            if stage.is_psychological() && psychologist && r.notes.is_some() {
                shown_notes.push(r.id);
            }
            Some(StageRecord {
                stage,
                status: StageStatus::parse(&r.status)?,
                opened_at: ctx.local(r.opened_at),
                opened_by: name(r.opened_by),
                assessor: name(r.assessor_id),
                decided_at: r.decided_at.map(|t| ctx.local(t)),
                score: r.score,
                notes: if hidden { None } else { r.notes.clone() },
                notes_hidden: hidden,
                reason: r.reason.clone(),
                scheduled_at: r.scheduled_at.map(|t| ctx.local(t)),
                scheduled_local: r
                    .scheduled_at
                    .map(|at| ctx.local(at).format("%d.%m.%Y %H:%M").to_string()),
                place: r.place.clone(),
            })
        })
        .collect();
    for record in shown_notes {
        audit::record(
            conn,
            Some(ctx.tenant_id()),
            Some(ctx.actor.user_id),
            "stage_notes.read",
            "stage_result",
            Some(record),
            Some(serde_json::json!({ "application_id": c.app.id })),
        )
        .await?;
    }
    let rule = committee_rule_of(&c.programme);
    let committee_open = st
        .iter()
        .any(|(k, s)| *k == StageKind::Committee && *s == StageStatus::Open);
    let ballots: Vec<Vote> = votes
        .iter()
        .filter_map(|v| Vote::parse(&v.vote).ok())
        .collect();
    let voted = votes.iter().any(|v| v.voter_id == ctx.actor.user_id);
    let seats = seats_of(conn, c.app.id).await?;
    let row = rows_of(conn, ctx, vec![c.app.clone()])
        .await?
        .pop()
        .ok_or(Error::NotFound)?;
    Ok(CandidateView {
        candidate: row,
        next_stage: stages
            .iter()
            .copied()
            .find(|s| check_can_open(&stages, &st, *s).is_ok()),
        stages,
        records: record_views,
        committee: rule,
        decision: committee_open.then(|| committee_decision(rule, &ballots)),
        can_vote: committee_open
            && !voted
            && ctx.covers_region(&[Role::CommitteeMember], c.app.region_id),
        votes: votes
            .iter()
            .filter_map(|v| {
                Some(VoteView {
                    voter_id: v.voter_id,
                    voter: names.get(&v.voter_id).cloned().unwrap_or_default(),
                    vote: Vote::parse(&v.vote).ok()?,
                    comment: v.comment.clone(),
                    cast_at: ctx.local(v.cast_at),
                })
            })
            .collect(),
        seats,
        contract: super::contracts::of_application(conn, ctx, c.app.id).await?,
    })
}

// ---------------------------------------------------------------- stages

/// Opens the programme's first stage when an application is submitted (called by the
/// recruitment service inside the submission's transaction).
pub async fn open_first_stage(
    conn: &impl ConnectionTrait,
    app: &application::Model,
    programme: &programme::Model,
) -> Result<()> {
    let c = Candidate {
        app: app.clone(),
        programme: programme.clone(),
    };
    let first = stages_of(programme)[0];
    insert_stage(conn, &c, first, None).await?;
    refresh(conn, &c).await?;
    Ok(())
}

async fn insert_stage(
    conn: &impl ConnectionTrait,
    c: &Candidate,
    stage: StageKind,
    by: Option<Uuid>,
) -> Result<stage_result::Model> {
    stage_result::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(c.app.tenant_id),
        application_id: Set(c.app.id),
        stage: Set(stage.as_str().to_string()),
        status: Set(StageStatus::Open.as_str().to_string()),
        opened_at: Set(Utc::now()),
        opened_by: Set(by),
        assessor_id: Set(None),
        decided_at: Set(None),
        score: Set(None),
        notes: Set(None),
        reason: Set(None),
        scheduled_at: Set(None),
        place: Set(None),
    }
    .insert(conn)
    .await
    .map_err(|e| {
        // Two people opening the same stage at once: the second is told it is open.
        if db::is_unique_violation(&e) {
            Error::Conflict("error-stage-already-open".into())
        } else {
            e.into()
        }
    })
}

/// Opens `stage` for a candidate, if the gate allows it (coordinator of the region, admin).
pub async fn advance_stage(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    stage: StageKind,
) -> Result<CandidateView> {
    let txn = ctx.write(db).await?;
    let c = candidate(&txn, ctx, id, &MANAGERS).await?;
    let stages = stages_of(&c.programme);
    check_can_open(
        &stages,
        &statuses(&records_of(&txn, c.app.id).await?),
        stage,
    )?;
    let record = insert_stage(&txn, &c, stage, Some(ctx.actor.user_id)).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "stage.opened",
        "stage_result",
        Some(record.id),
        Some(serde_json::json!({ "application_id": c.app.id, "stage": stage.as_str() })),
    )
    .await?;
    committed_view(txn, ctx, c).await
}

/// Records the result of an open stage: the decision, score, notes and reason, with the
/// assessor and the date. Each stage has its own conditions (see the match below).
pub async fn record_stage_result(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    stage: StageKind,
    input: &StageResultInput,
) -> Result<CandidateView> {
    if stage == StageKind::Contract {
        return Err(Error::Conflict("error-stage-contract-by-signing".into()));
    }
    let checked = check_stage_result(stage, input)?;
    let decision = checked.decision;
    let txn = ctx.write(db).await?;
    let c = candidate(&txn, ctx, id, deciders(stage)).await?;
    let record = open_record(&txn, c.app.id, stage).await?;
    super::check_result_after_appointment(record.scheduled_at, Utc::now())?;
    if decision == StageStatus::Passed {
        match stage {
            StageKind::Documents => {
                let missing = unverified_documents(&txn, &c, ctx.actor.locale).await?;
                if !missing.is_empty() {
                    return Err(Error::Unmet {
                        code: "error-documents-not-verified".into(),
                        items: missing,
                    });
                }
            }
            StageKind::School => {
                let seats = seats_of(&txn, c.app.id).await?;
                if !seats.iter().any(|s| s.completed) {
                    return Err(Error::Conflict("error-school-not-completed".into()));
                }
            }
            _ => {}
        }
    }
    if stage == StageKind::Committee {
        let votes: Vec<Vote> = committee_vote::Entity::find()
            .filter(committee_vote::Column::ApplicationId.eq(c.app.id))
            .all(&txn)
            .await?
            .iter()
            .filter_map(|v| Vote::parse(&v.vote).ok())
            .collect();
        let expected = match committee_decision(committee_rule_of(&c.programme), &votes) {
            CommitteeDecision::NoQuorum { .. } => {
                return Err(Error::Conflict("error-committee-no-quorum".into()));
            }
            CommitteeDecision::Approved => StageStatus::Passed,
            CommitteeDecision::Rejected => StageStatus::Failed,
        };
        if expected != decision {
            return Err(Error::Conflict("error-committee-decision-differs".into()));
        }
    }
    decide(&txn, ctx.actor.user_id, record, checked).await?;
    if decision == StageStatus::Passed {
        after_pass(&txn, ctx, &c, stage).await?;
    }
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "stage.decided",
        "application",
        Some(c.app.id),
        Some(serde_json::json!({ "stage": stage.as_str(), "decision": decision.as_str() })),
    )
    .await?;
    committed_view(txn, ctx, c).await
}

/// Sets when and where the candidate is expected for an open stage met in person (the
/// psychological test, the interview), in the organisation's time, and e-mails the candidate
/// the invitation; the day before, the scheduler reminds them and the region's psychologists.
/// Setting it again moves the appointment (and invites again). Coordinators of the region,
/// admins.
pub async fn schedule_stage(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    stage: StageKind,
    input: &AppointmentInput,
) -> Result<CandidateView> {
    let txn = ctx.write(db).await?;
    let c = candidate(&txn, ctx, id, &MANAGERS).await?;
    if !stage.is_appointment() {
        return Err(Error::Conflict("error-stage-no-appointment".into()));
    }
    let place = input.place.trim().to_string();
    if place.is_empty() || place.chars().count() > 200 || place.chars().any(char::is_control) {
        return Err(Error::invalid("place", "error-appointment-place"));
    }
    let tz = crate::recruitment::service::tz_of(&ctx.tenant);
    let at = crate::recruitment::service::tenant_local_to_utc(&ctx.tenant, input.at)
        .ok_or_else(|| Error::invalid("at", "error-appointment-time"))?
        .with_timezone(&tz);
    if at.with_timezone(&Utc) <= Utc::now() {
        return Err(Error::invalid("at", "error-appointment-past"));
    }
    let record = open_record(&txn, c.app.id, stage).await?;
    let record_id = record.id;
    let mut am = record.into_active_model();
    am.scheduled_at = Set(Some(at.with_timezone(&Utc)));
    am.place = Set(Some(place.clone()));
    am.update(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "stage.scheduled",
        "stage_result",
        Some(record_id),
        Some(serde_json::json!({ "stage": stage.as_str(), "at": at.to_rfc3339() })),
    )
    .await?;
    if let Some(applicant) = user::Entity::find_by_id(c.app.applicant_id)
        .one(&txn)
        .await?
    {
        crate::jobs::enqueue(
            &txn,
            &crate::jobs::Job::SendEmail(crate::jobs::EmailJob {
                tenant_id: Some(ctx.tenant_id()),
                unsubscribe: None,
                dedupe_key: format!("appointment:{record_id}:{}", at.timestamp()),
                to: applicant.email.clone(),
                locale: applicant.locale.parse().unwrap_or(crate::Locale::Ru),
                message: crate::jobs::EmailMessage::Appointment {
                    tenant_name: ctx.tenant.name.clone(),
                    stage,
                    date: at.format("%d.%m.%Y").to_string(),
                    time: at.format("%H:%M").to_string(),
                    place,
                    path: format!("/t/{}/applications/{}", ctx.tenant.slug, c.app.id),
                },
            }),
        )
        .await?;
    }
    committed_view(txn, ctx, c).await
}

/// The end of every change to a candidate's stages: their application's stage refreshed from
/// the records, the view the staff see, and the change committed.
async fn committed_view(
    txn: sea_orm::DatabaseTransaction,
    ctx: &TenantCtx,
    c: Candidate,
) -> Result<CandidateView> {
    let app = refresh(&txn, &c).await?;
    let view = candidate_view(
        &txn,
        ctx,
        &Candidate {
            app,
            programme: c.programme,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// The candidate's record of `stage`, which must be open.
async fn open_record(
    conn: &impl ConnectionTrait,
    application_id: Uuid,
    stage: StageKind,
) -> Result<stage_result::Model> {
    let record = stage_result::Entity::find()
        .filter(stage_result::Column::ApplicationId.eq(application_id))
        .filter(stage_result::Column::Stage.eq(stage.as_str()))
        .one(conn)
        .await?
        .ok_or_else(|| Error::Conflict("error-stage-not-open".into()))?;
    if record.status != StageStatus::Open.as_str() {
        return Err(Error::Conflict("error-stage-already-decided".into()));
    }
    Ok(record)
}

async fn decide(
    conn: &impl ConnectionTrait,
    assessor: Uuid,
    record: stage_result::Model,
    result: CheckedResult,
) -> Result<()> {
    let mut am = record.into_active_model();
    am.status = Set(result.decision.as_str().to_string());
    am.assessor_id = Set(Some(assessor));
    am.decided_at = Set(Some(Utc::now()));
    am.score = Set(result.score);
    am.notes = Set(result.notes);
    am.reason = Set(result.reason);
    am.update(conn).await?;
    Ok(())
}

/// After a stage passed: where the programme says so, the next stage opens at once; either
/// way, whoever opens or runs it next hears of it by e-mail (the coordinators of the
/// candidate's region, or the admins where it has none; not the person who passed it).
async fn after_pass(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    c: &Candidate,
    passed: StageKind,
) -> Result<()> {
    let stages = stages_of(&c.programme);
    let Some(next) = stage_after(&stages, passed) else {
        return Ok(());
    };
    let opened = c.programme.open_next_stage
        && check_can_open(&stages, &statuses(&records_of(conn, c.app.id).await?), next).is_ok();
    if opened {
        let record = insert_stage(conn, c, next, None).await?;
        audit::record(
            conn,
            Some(ctx.tenant_id()),
            Some(ctx.actor.user_id),
            "stage.opened",
            "stage_result",
            Some(record.id),
            Some(serde_json::json!({
                "application_id": c.app.id, "stage": next.as_str(), "automatic": true
            })),
        )
        .await?;
    }
    let tid = ctx.tenant_id();
    let mut to = members_with_roles(conn, tid, &[Role::Coordinator], c.app.region_id).await?;
    if to.is_empty() {
        to = members_with_roles(conn, tid, &[Role::TenantAdmin], None).await?;
    }
    for u in to.iter().filter(|u| u.id != ctx.actor.user_id) {
        let message = crate::jobs::EmailMessage::StageReady {
            tenant_name: ctx.tenant.name.clone(),
            passed: passed.as_str().into(),
            next: next.as_str().into(),
            opened,
            path: format!("/t/{}/candidates/{}", ctx.tenant.slug, c.app.id),
        };
        let key = format!("stage-ready:{}:{}:{}", c.app.id, next.as_str(), u.id);
        crate::accounts::notifications::service::remind(
            conn,
            tid,
            u,
            crate::accounts::notifications::Topic::StageReady,
            key,
            message,
        )
        .await?;
    }
    Ok(())
}

/// Required documents without a verified file, each named.
async fn unverified_documents(
    conn: &impl ConnectionTrait,
    c: &Candidate,
    locale: crate::Locale,
) -> Result<Vec<Unmet>> {
    let rules = required_document::Entity::find()
        .filter(required_document::Column::ProgrammeId.eq(c.programme.id))
        .filter(required_document::Column::Required.eq(true))
        .order_by_asc(required_document::Column::Position)
        .all(conn)
        .await?;
    let verified: Vec<String> = document::Entity::find()
        .filter(document::Column::ApplicationId.eq(c.app.id))
        .filter(document::Column::Status.eq(DocStatus::Verified.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|d| d.doc_type)
        .collect();
    Ok(rules
        .iter()
        .filter(|r| !verified.contains(&r.doc_type))
        .map(|r| {
            let labels: Texts = serde_json::from_str(&r.labels).unwrap_or_default();
            Unmet::new(
                "missing-verified-document",
                &[("document", labels.get(locale).to_string())],
            )
        })
        .collect())
}

// ---------------------------------------------------------------- committee

/// A committee member of the candidate's region votes once, while the committee stage is open.
pub async fn cast_vote(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    vote: Vote,
    comment: Option<String>,
) -> Result<CandidateView> {
    let comment = comment
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT)
    {
        return Err(Error::invalid("comment", "error-comment-too-long"));
    }
    ctx.require_any(&[Role::CommitteeMember])?;
    let txn = ctx.write(db).await?;
    // Another region's committee: not theirs to vote on.
    let c = candidate(&txn, ctx, id, &[Role::CommitteeMember])
        .await
        .map_err(|e| match e {
            Error::NotFound => Error::Forbidden,
            e => e,
        })?;
    open_record(&txn, c.app.id, StageKind::Committee)
        .await
        .map_err(|_| Error::Conflict("error-committee-not-open".into()))?;
    committee_vote::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id()),
        application_id: Set(c.app.id),
        voter_id: Set(ctx.actor.user_id),
        vote: Set(vote.as_str().to_string()),
        comment: Set(comment),
        cast_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            Error::Conflict("error-vote-duplicate".into())
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "committee.voted",
        "application",
        Some(c.app.id),
        Some(serde_json::json!({ "vote": vote.as_str() })),
    )
    .await?;
    let view = candidate_view(&txn, ctx, &c).await?;
    txn.commit().await?;
    Ok(view)
}

// ---------------------------------------------------------------- cohorts

pub(crate) fn trainers_of(c: &cohort::Model) -> Vec<Uuid> {
    serde_json::from_str(&c.trainers).unwrap_or_default()
}

async fn find_cohort(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<cohort::Model> {
    cohort::Entity::find_by_id(id)
        .filter(cohort::Column::TenantId.eq(ctx.tenant_id()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// Staff who see cohorts: the board's roles and trainers.
fn sees_cohorts(ctx: &TenantCtx) -> Result<()> {
    ctx.require_any(&[
        Role::TenantAdmin,
        Role::Coordinator,
        Role::Psychologist,
        Role::CommitteeMember,
        Role::Trainer,
    ])
}

/// Whether the actor sees this cohort: its trainers and managers; staff of its region (a cohort
/// for all regions: staff of any region). Region-scoped staff see no other region's cohorts,
/// as they see no other region's candidates.
fn sees_cohort(ctx: &TenantCtx, c: &cohort::Model) -> bool {
    const READERS: [Role; 5] = [
        Role::TenantAdmin,
        Role::Coordinator,
        Role::Psychologist,
        Role::CommitteeMember,
        Role::Trainer,
    ];
    runs(ctx, c)
        || match c.region_id {
            None => ctx.has_any(&READERS),
            Some(_) => ctx.covers_region(&READERS, c.region_id),
        }
}

/// Whether the actor runs this cohort: one of its trainers, or a coordinator of its region
/// (or any region when it has none) or an admin.
fn runs(ctx: &TenantCtx, c: &cohort::Model) -> bool {
    trainers_of(c).contains(&ctx.actor.user_id) || ctx.covers_region(&MANAGERS, c.region_id)
}

/// The organisation's active trainers, for the cohort form (coordinators, admins).
pub async fn list_trainers(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<Vec<(Uuid, String)>> {
    ctx.require_any(&MANAGERS)?;
    let txn = ctx.read(db).await?;
    let out = members_with_roles(&txn, ctx.tenant_id(), &[Role::Trainer], None)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    txn.commit().await?;
    Ok(out)
}

/// Creates a School of Mentors cohort or another training (coordinators, admins).
pub async fn create_cohort(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: &CohortInput,
) -> Result<CohortView> {
    ctx.require_any(&MANAGERS)?;
    let (title, place, min_days) = input.check()?;
    // A coordinator's cohort is in their region unless they name one.
    let region_id = input.region_id.or_else(|| {
        (!ctx.covers_region(&MANAGERS, None))
            .then(|| {
                ctx.roles
                    .iter()
                    .find_map(|(r, scope)| (*r == Role::Coordinator).then_some(*scope).flatten())
            })
            .flatten()
    });
    if !ctx.covers_region(&MANAGERS, region_id) {
        return Err(Error::invalid("region_id", "error-region-not-yours"));
    }
    let txn = ctx.write(db).await?;
    let tid = ctx.tenant_id();
    if let Some(p) = input.programme_id {
        programme::Entity::find_by_id(p)
            .filter(programme::Column::TenantId.eq(tid))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::invalid("programme_id", "error-programme-unknown"))?;
    }
    if let Some(r) = region_id {
        region::Entity::find_by_id(r)
            .filter(region::Column::TenantId.eq(tid))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::invalid("region_id", "error-region-unknown"))?;
    }
    let mut trainers = input.trainers.clone();
    trainers.sort();
    trainers.dedup();
    let trainer_members = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(tid))
        .filter(membership::Column::Role.eq(Role::Trainer.as_str()))
        .filter(membership::Column::Active.eq(true))
        .filter(membership::Column::UserId.is_in(trainers.iter().copied()))
        .all(&txn)
        .await?;
    if trainer_members.len() != trainers.len() {
        return Err(Error::invalid("trainers", "error-trainer-unknown"));
    }
    let model = cohort::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tid),
        programme_id: Set(input.programme_id),
        region_id: Set(region_id),
        kind: Set(input.kind.as_str().to_string()),
        title: Set(title),
        starts_on: Set(input.starts_on),
        days: Set(input.days as i32),
        academic_hours: Set(input.academic_hours as i32),
        place: Set(place),
        trainers: Set(serde_json::to_string(&trainers).expect("serialises")),
        capacity: Set(input.capacity as i32),
        min_days: Set(min_days as i32),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(tid),
        Some(ctx.actor.user_id),
        "cohort.created",
        "cohort",
        Some(model.id),
        None,
    )
    .await?;
    let view = cohort_view(&txn, &model).await?;
    txn.commit().await?;
    Ok(view)
}

/// Every cohort, newest first (staff and trainers).
pub async fn list_cohorts(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<Vec<CohortSummary>> {
    sees_cohorts(ctx)?;
    let txn = ctx.read(db).await?;
    let cohorts = cohort::Entity::find()
        .filter(cohort::Column::TenantId.eq(ctx.tenant_id()))
        .order_by_desc(cohort::Column::StartsOn)
        .all(&txn)
        .await?;
    let mut out = Vec::new();
    for c in cohorts.iter().filter(|c| sees_cohort(ctx, c)) {
        let members = members_of(&txn, c.id).await?;
        out.push(summary(c, &members));
    }
    txn.commit().await?;
    Ok(out)
}

pub async fn get_cohort(db: &DatabaseConnection, ctx: &TenantCtx, id: Uuid) -> Result<CohortView> {
    sees_cohorts(ctx)?;
    let txn = ctx.read(db).await?;
    let c = find_cohort(&txn, ctx, id).await?;
    if !sees_cohort(ctx, &c) {
        return Err(Error::NotFound);
    }
    let view = cohort_view(&txn, &c).await?;
    txn.commit().await?;
    Ok(view)
}

async fn members_of(
    conn: &impl ConnectionTrait,
    cohort_id: Uuid,
) -> Result<Vec<cohort_member::Model>> {
    Ok(cohort_member::Entity::find()
        .filter(cohort_member::Column::CohortId.eq(cohort_id))
        .order_by_asc(cohort_member::Column::CreatedAt)
        .order_by_asc(cohort_member::Column::Id)
        .all(conn)
        .await?)
}

fn count(members: &[cohort_member::Model], status: SeatStatus) -> u32 {
    members
        .iter()
        .filter(|m| m.status == status.as_str())
        .count() as u32
}

fn summary(c: &cohort::Model, members: &[cohort_member::Model]) -> CohortSummary {
    let enrolled = count(members, SeatStatus::Enrolled);
    let capacity = c.capacity.max(0) as u32;
    CohortSummary {
        id: c.id,
        kind: CohortKind::parse(&c.kind).unwrap_or_default(),
        title: c.title.clone(),
        programme_id: c.programme_id,
        region_id: c.region_id,
        starts_on: c.starts_on,
        days: c.days.max(0) as u32,
        academic_hours: c.academic_hours.max(0) as u32,
        place: c.place.clone(),
        capacity,
        min_days: c.min_days.max(0) as u32,
        enrolled,
        waitlisted: count(members, SeatStatus::Waitlisted),
        fill_rate: percent(enrolled, capacity),
    }
}

async fn cohort_view(conn: &impl ConnectionTrait, c: &cohort::Model) -> Result<CohortView> {
    let members = members_of(conn, c.id).await?;
    let days = c.days.max(0) as usize;
    let marks = attendance::Entity::find()
        .filter(attendance::Column::MemberId.is_in(members.iter().map(|m| m.id)))
        .all(conn)
        .await?;
    let apps: HashMap<Uuid, Uuid> = application::Entity::find()
        .filter(application::Column::Id.is_in(members.iter().map(|m| m.application_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| (a.id, a.applicant_id))
        .collect();
    let trainer_ids = trainers_of(c);
    let mut people: Vec<Uuid> = apps.values().copied().chain(trainer_ids.clone()).collect();
    people.sort();
    people.dedup();
    let names = names_of(conn, &people).await?;
    let (mut present, mut recorded) = (0, 0);
    let mut views: Vec<MemberView> = members
        .iter()
        .filter(|m| m.status != SeatStatus::Withdrawn.as_str())
        .map(|m| {
            let mut grid = vec![None; days];
            for a in marks.iter().filter(|a| a.member_id == m.id) {
                if let Some(slot) = grid.get_mut((a.day - 1).max(0) as usize) {
                    *slot = Some(a.present);
                    recorded += 1;
                    present += u32::from(a.present);
                }
            }
            let days_present = grid.iter().filter(|d| **d == Some(true)).count() as u32;
            MemberView {
                id: m.id,
                application_id: m.application_id,
                name: apps
                    .get(&m.application_id)
                    .and_then(|u| names.get(u).cloned())
                    .unwrap_or_default(),
                status: SeatStatus::parse(&m.status).unwrap_or(SeatStatus::Waitlisted),
                attendance: grid,
                days_present,
                completed: completed(days_present, c.min_days.max(1) as u32),
            }
        })
        .collect();
    // Enrolled first; the waiting list in the order people joined it.
    views.sort_by_key(|m| m.status != SeatStatus::Enrolled);
    Ok(CohortView {
        cohort: summary(c, &members),
        trainers: trainer_ids
            .iter()
            .filter_map(|t| names.get(t).cloned())
            .collect(),
        trainer_ids,
        completed: views.iter().filter(|m| m.completed).count() as u32,
        attendance_rate: percent(present, recorded),
        members: views,
    })
}

async fn seats_of(conn: &impl ConnectionTrait, application_id: Uuid) -> Result<Vec<SeatView>> {
    let seats = cohort_member::Entity::find()
        .filter(cohort_member::Column::ApplicationId.eq(application_id))
        .all(conn)
        .await?;
    let mut out = Vec::new();
    for s in seats {
        let Some(c) = cohort::Entity::find_by_id(s.cohort_id).one(conn).await? else {
            continue;
        };
        let days_present = attendance::Entity::find()
            .filter(attendance::Column::MemberId.eq(s.id))
            .filter(attendance::Column::Present.eq(true))
            .all(conn)
            .await?
            .len() as u32;
        out.push(SeatView {
            id: s.id,
            cohort_id: c.id,
            cohort_title: c.title.clone(),
            status: SeatStatus::parse(&s.status).unwrap_or(SeatStatus::Waitlisted),
            days_present,
            completed: s.status == SeatStatus::Enrolled.as_str()
                && CohortKind::parse(&c.kind).ok() == Some(CohortKind::School)
                && completed(days_present, c.min_days.max(1) as u32),
        });
    }
    Ok(out)
}

/// A cohort whose seats the actor manages (its region's coordinator, or an admin), its row
/// locked (PostgreSQL) so two seat changes at once cannot both take the last seat; SQLite's
/// write transaction is already exclusive. Other staff are refused (403).
async fn managed_cohort(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    cohort_id: Uuid,
) -> Result<cohort::Model> {
    let c = cohort::Entity::find_by_id(cohort_id)
        .filter(cohort::Column::TenantId.eq(ctx.tenant_id()))
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    if !ctx.covers_region(&MANAGERS, c.region_id) {
        sees_cohorts(ctx)?;
        return Err(Error::Forbidden);
    }
    Ok(c)
}

/// Tells the candidate about their seat (or their place in the queue), in their language,
/// through the outbox: once per seat change, whatever retries happen.
async fn seat_email(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    c: &cohort::Model,
    member: &cohort_member::Model,
) -> Result<()> {
    let Some(app) = application::Entity::find_by_id(member.application_id)
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    let Some(person) = user::Entity::find_by_id(app.applicant_id).one(conn).await? else {
        return Ok(());
    };
    let waitlisted = member.status == SeatStatus::Waitlisted.as_str();
    crate::jobs::enqueue(
        conn,
        &crate::jobs::Job::SendEmail(crate::jobs::EmailJob {
            tenant_id: Some(ctx.tenant_id()),
            unsubscribe: None,
            dedupe_key: format!(
                "cohort-seat:{}:{}:{}",
                member.id,
                member.status,
                member.updated_at.timestamp_millis()
            ),
            to: person.email.clone(),
            locale: person.locale.parse().unwrap_or(crate::Locale::Ru),
            message: crate::jobs::EmailMessage::CohortSeat {
                tenant_name: ctx.tenant.name.clone(),
                title: c.title.clone(),
                first_day: c.starts_on.format("%d.%m.%Y").to_string(),
                days: c.days.max(0) as u32,
                place: c.place.clone(),
                waitlisted,
                path: format!("/t/{}/applications/{}", ctx.tenant.slug, app.id),
            },
        }),
    )
    .await
}

/// Gives a candidate a seat: enrolled while seats are free, otherwise on the waiting list. A
/// School of Mentors takes candidates of its programme whose School stage is open.
pub async fn enrol_candidate(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    cohort_id: Uuid,
    application_id: Uuid,
) -> Result<CohortView> {
    let txn = ctx.write(db).await?;
    let c = managed_cohort(&txn, ctx, cohort_id).await?;
    let cand = candidate(&txn, ctx, application_id, &MANAGERS).await?;
    if CohortKind::parse(&c.kind).ok() == Some(CohortKind::School) {
        if c.programme_id != Some(cand.programme.id) {
            return Err(Error::Conflict("error-cohort-other-programme".into()));
        }
        let st = statuses(&records_of(&txn, cand.app.id).await?);
        if !st.contains(&(StageKind::School, StageStatus::Open)) {
            return Err(Error::Conflict("error-cohort-stage-not-reached".into()));
        }
        // One School of Mentors at a time: a seat, or a place in the queue, in another cohort
        // of the programme is given up there first (issue 19, principle 9).
        let seats_elsewhere = cohort_member::Entity::find()
            .filter(cohort_member::Column::TenantId.eq(ctx.tenant_id()))
            .filter(cohort_member::Column::ApplicationId.eq(cand.app.id))
            .filter(cohort_member::Column::CohortId.ne(c.id))
            .filter(cohort_member::Column::Status.ne(SeatStatus::Withdrawn.as_str()))
            .all(&txn)
            .await?;
        if !seats_elsewhere.is_empty() {
            let other_schools = cohort::Entity::find()
                .filter(cohort::Column::TenantId.eq(ctx.tenant_id()))
                .filter(cohort::Column::Id.is_in(seats_elsewhere.iter().map(|m| m.cohort_id)))
                .filter(cohort::Column::Kind.eq(CohortKind::School.as_str()))
                .filter(cohort::Column::ProgrammeId.eq(cand.programme.id))
                .count(&txn)
                .await?;
            if other_schools > 0 {
                return Err(Error::Conflict("error-cohort-enrolled-elsewhere".into()));
            }
        }
    }
    let members = members_of(&txn, c.id).await?;
    let existing = members.iter().find(|m| m.application_id == cand.app.id);
    if existing.is_some_and(|m| m.status != SeatStatus::Withdrawn.as_str()) {
        return Err(Error::Conflict("error-already-enrolled".into()));
    }
    let seat = seat_for_newcomer(
        count(&members, SeatStatus::Enrolled),
        c.capacity.max(0) as u32,
    );
    let now = Utc::now();
    let member = match existing {
        // Back after withdrawing: joins again at the end of the queue.
        Some(m) => {
            let mut am = m.clone().into_active_model();
            am.status = Set(seat.as_str().to_string());
            am.created_at = Set(now);
            am.updated_at = Set(now);
            am.update(&txn).await?
        }
        None => {
            cohort_member::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(ctx.tenant_id()),
                cohort_id: Set(c.id),
                application_id: Set(cand.app.id),
                status: Set(seat.as_str().to_string()),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "cohort.enrolled",
        "cohort_member",
        Some(member.id),
        Some(serde_json::json!({ "cohort_id": c.id, "seat": seat.as_str() })),
    )
    .await?;
    seat_email(&txn, ctx, &c, &member).await?;
    let view = cohort_view(&txn, &c).await?;
    txn.commit().await?;
    Ok(view)
}

/// Frees a seat; the first on the waiting list takes it.
pub async fn withdraw_member(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    cohort_id: Uuid,
    member_id: Uuid,
) -> Result<CohortView> {
    let txn = ctx.write(db).await?;
    let c = managed_cohort(&txn, ctx, cohort_id).await?;
    let members = members_of(&txn, c.id).await?;
    let m = members
        .iter()
        .find(|m| m.id == member_id && m.status != SeatStatus::Withdrawn.as_str())
        .ok_or(Error::NotFound)?;
    let was_enrolled = m.status == SeatStatus::Enrolled.as_str();
    let now = Utc::now();
    let mut am = m.clone().into_active_model();
    am.status = Set(SeatStatus::Withdrawn.as_str().to_string());
    am.updated_at = Set(now);
    am.update(&txn).await?;
    if was_enrolled
        && let Some(next) = members
            .iter()
            .find(|m| m.status == SeatStatus::Waitlisted.as_str())
    {
        let mut am = next.clone().into_active_model();
        am.status = Set(SeatStatus::Enrolled.as_str().to_string());
        am.updated_at = Set(now);
        let promoted = am.update(&txn).await?;
        seat_email(&txn, ctx, &c, &promoted).await?;
    }
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "cohort.withdrawn",
        "cohort_member",
        Some(member_id),
        None,
    )
    .await?;
    let view = cohort_view(&txn, &c).await?;
    txn.commit().await?;
    Ok(view)
}

/// Records one day's attendance (a trainer of the cohort, or its coordinator). Participants
/// of a School of Mentors who have now attended enough days pass their School stage.
pub async fn record_attendance(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    cohort_id: Uuid,
    input: &AttendanceInput,
) -> Result<CohortView> {
    let txn = ctx.write(db).await?;
    let c = find_cohort(&txn, ctx, cohort_id).await?;
    if !runs(ctx, &c) {
        sees_cohorts(ctx)?;
        return Err(Error::Forbidden);
    }
    check_attendance_day(
        c.starts_on,
        c.days.max(0) as u32,
        input.day,
        crate::recruitment::service::tenant_today(&ctx.tenant),
    )?;
    let enrolled: Vec<cohort_member::Model> = members_of(&txn, c.id)
        .await?
        .into_iter()
        .filter(|m| m.status == SeatStatus::Enrolled.as_str())
        .collect();
    if input
        .present
        .iter()
        .any(|p| !enrolled.iter().any(|m| m.id == *p))
    {
        return Err(Error::invalid("present", "error-attendance-member"));
    }
    let now = Utc::now();
    for m in &enrolled {
        let present = input.present.contains(&m.id);
        let existing = attendance::Entity::find_by_id((m.id, input.day as i32))
            .one(&txn)
            .await?;
        match existing {
            Some(a) => {
                let mut am = a.into_active_model();
                am.present = Set(present);
                am.recorded_by = Set(ctx.actor.user_id);
                am.recorded_at = Set(now);
                am.update(&txn).await?;
            }
            None => {
                attendance::ActiveModel {
                    member_id: Set(m.id),
                    day: Set(input.day as i32),
                    tenant_id: Set(ctx.tenant_id()),
                    present: Set(present),
                    recorded_by: Set(ctx.actor.user_id),
                    recorded_at: Set(now),
                }
                .insert(&txn)
                .await?;
            }
        }
    }
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "cohort.attendance",
        "cohort",
        Some(c.id),
        Some(serde_json::json!({ "day": input.day, "present": input.present.len() })),
    )
    .await?;
    if CohortKind::parse(&c.kind).ok() == Some(CohortKind::School) {
        pass_completed(&txn, ctx, &c, &enrolled).await?;
    }
    let view = cohort_view(&txn, &c).await?;
    txn.commit().await?;
    Ok(view)
}

/// The completion rule: enrolled participants who attended `min_days` days pass an open
/// School stage, recorded with the person who recorded the attendance as assessor.
async fn pass_completed(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    c: &cohort::Model,
    enrolled: &[cohort_member::Model],
) -> Result<()> {
    for m in enrolled {
        let days_present = attendance::Entity::find()
            .filter(attendance::Column::MemberId.eq(m.id))
            .filter(attendance::Column::Present.eq(true))
            .all(conn)
            .await?
            .len() as u32;
        if !completed(days_present, c.min_days.max(1) as u32) {
            continue;
        }
        let Some(app) = application::Entity::find_by_id(m.application_id)
            .one(conn)
            .await?
        else {
            continue;
        };
        let Ok(record) = open_record(conn, app.id, StageKind::School).await else {
            continue;
        };
        let Some(programme) = programme::Entity::find_by_id(app.programme_id)
            .one(conn)
            .await?
        else {
            continue;
        };
        let result = CheckedResult {
            decision: StageStatus::Passed,
            score: None,
            notes: Some(c.title.clone()),
            reason: None,
        };
        decide(conn, ctx.actor.user_id, record, result).await?;
        let candidate = Candidate { app, programme };
        after_pass(conn, ctx, &candidate, StageKind::School).await?;
        refresh(conn, &candidate).await?;
    }
    Ok(())
}
