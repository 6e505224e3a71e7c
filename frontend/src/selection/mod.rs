//! Selection in the portal: the candidates' board and table with bulk actions, a candidate's
//! page with their whole history (stages, scores, votes, seats, contract), cohorts with seats
//! and the trainers' attendance grid, the results announcement, the mentor's activation page
//! and the mentor's own account.
//!
//! Every form is a plain HTML form posting to a server function that redirects back, so the
//! pages work before (and without) the bundle; the rules are all in `domain::selection`.

// A server function takes one argument per form field, so the forms post plain HTML.
#![allow(clippy::too_many_arguments)]

mod pages;

pub use pages::{
    ActivatePage, CandidatePage, CandidatesPage, CohortPage, CohortsPage, MentorAccountPage,
};

use domain::recruitment::ProgrammeView;
use domain::selection::{
    CandidateFilter, CandidateRow, CandidateView, CohortSummary, CohortView, MentorAccount,
};
use domain::tenancy::RegionView;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::errors::AppError;

#[cfg(feature = "ssr")]
use crate::forms::{optional, parse};

#[cfg(feature = "ssr")]
fn stage_of(raw: &str) -> Result<domain::selection::StageKind, AppError> {
    Ok(domain::selection::StageKind::parse(raw.trim())?)
}

// ---------------------------------------------------------------- the board

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidatesData {
    /// The candidates the filter lets through.
    pub rows: Vec<CandidateRow>,
    /// How many the reader sees in all, before the filter.
    pub total: usize,
    /// The programmes and regions among all of them, for the filter's choices.
    pub programmes: Vec<(String, String)>,
    pub regions: Vec<(Uuid, String)>,
    /// Whether the reader moves candidates (coordinators, admins): the bulk actions.
    pub can_manage: bool,
    /// Cohorts that take enrolments, for the bulk action.
    pub cohorts: Vec<CohortSummary>,
}

#[server(endpoint = "candidates_page")]
pub async fn candidates_page(
    slug: String,
    filter: Option<CandidateFilter>,
) -> Result<CandidatesData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::accounts::Role;
    use domain::selection::service;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let all = service::list_candidates(db, &ctx, &CandidateFilter::default()).await?;
    let mut programmes: Vec<(String, String)> = all
        .iter()
        .map(|r| (r.programme_slug.clone(), r.programme_name.clone()))
        .collect();
    programmes.sort();
    programmes.dedup();
    let mut regions: Vec<(Uuid, String)> = all
        .iter()
        .filter_map(|r| Some((r.region_id?, r.region_name.clone()?)))
        .collect();
    regions.sort_by(|a, b| a.1.cmp(&b.1));
    regions.dedup();
    let can_manage = ctx.has(Role::TenantAdmin) || ctx.has(Role::Coordinator);
    let cohorts = if can_manage {
        service::list_cohorts(db, &ctx).await?
    } else {
        Vec::new()
    };
    Ok(CandidatesData {
        total: all.len(),
        rows: all
            .into_iter()
            .filter(|r| filter.as_ref().is_none_or(|f| f.matches(r)))
            .collect(),
        programmes,
        regions,
        can_manage,
        cohorts,
    })
}

/// A bulk action on the selected rows of the table: open each one's next stage, or enrol each
/// in a cohort. Each candidate is done on their own: one refusal does not stop the others,
/// and the page lists who was not moved and why.
#[server(endpoint = "bulk_candidates")]
pub async fn bulk_candidates(
    csrf: String,
    slug: String,
    action: String,
    cohort: String,
    ids: Option<Vec<Uuid>>,
) -> Result<(), AppError> {
    use crate::server::{request_locale, session_for_change, state, tenant_ctx};
    use domain::selection::service;
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let l = request_locale();
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(domain::Error::invalid("ids", "error-bulk-none-selected").into());
    }
    if ids.len() > 200 {
        return Err(domain::Error::invalid("ids", "error-bulk-too-many").into());
    }
    let cohort: Option<Uuid> = match action.as_str() {
        "advance" => None,
        "enrol" => Some(parse("cohort", &cohort, "error-bulk-cohort")?),
        _ => return Err(domain::Error::invalid("action", "error-bad-request").into()),
    };
    let mut done = 0;
    let mut failed: Vec<String> = Vec::new();
    for id in ids {
        let result: Result<(), domain::Error> = async {
            match cohort {
                None => {
                    let c = service::get_candidate(db, &ctx, id).await?;
                    let next = c.next_stage.ok_or_else(|| {
                        domain::Error::Conflict("error-bulk-no-next-stage".into())
                    })?;
                    service::advance_stage(db, &ctx, id, next).await?;
                }
                Some(cohort) => {
                    service::enrol_candidate(db, &ctx, cohort, id).await?;
                }
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => done += 1,
            // Someone else's candidate stops the whole request, as a single call would.
            Err(e @ (domain::Error::Forbidden | domain::Error::NotFound)) => {
                return Err(e.into());
            }
            Err(e) => {
                let name = service::get_candidate(db, &ctx, id)
                    .await
                    .map(|c| c.candidate.name)
                    .unwrap_or_default();
                failed.push(format!("{name}: {}", e.message(l)));
            }
        }
    }
    let failures: String = failed
        .iter()
        .take(50)
        .map(|f| format!("&failed={}", crate::encode_query_value(f)))
        .collect();
    leptos_axum::redirect(&format!(
        "/t/{slug}/candidates?view=table&done={done}{failures}"
    ));
    Ok(())
}

// ---------------------------------------------------------------- one candidate

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidatePageData {
    pub view: CandidateView,
    /// Coordinator of the candidate's region, or admin: opens stages, decides documents,
    /// School and committee, enrols, makes the contract.
    pub can_manage: bool,
    /// Psychologist of the candidate's region: decides testing and interview.
    pub is_psychologist: bool,
    /// School cohorts of the candidate's programme, when their School stage is open.
    pub cohorts: Vec<CohortSummary>,
    pub today: chrono::NaiveDate,
}

#[server(endpoint = "candidate_page")]
pub async fn candidate_page(slug: String, id: Uuid) -> Result<CandidatePageData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::accounts::Role;
    use domain::selection::{CohortKind, StageKind, StageStatus, service};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let view = service::get_candidate(db, &ctx, id).await?;
    let region = view.candidate.region_id;
    let can_manage = ctx.covers_region(&[Role::TenantAdmin, Role::Coordinator], region);
    let school_open = view
        .records
        .iter()
        .any(|r| r.stage == StageKind::School && r.status == StageStatus::Open);
    let cohorts = if can_manage && school_open {
        service::list_cohorts(db, &ctx)
            .await?
            .into_iter()
            .filter(|c| {
                c.kind == CohortKind::School && c.programme_id == Some(view.candidate.programme_id)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(CandidatePageData {
        is_psychologist: ctx.covers_region(&[Role::Psychologist], region),
        can_manage,
        cohorts,
        today: domain::recruitment::service::tenant_today(&ctx.tenant),
        view,
    })
}

/// Opens a candidate's next stage.
#[server(endpoint = "open_stage")]
pub async fn open_stage(
    csrf: String,
    slug: String,
    id: Uuid,
    stage: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    domain::selection::service::advance_stage(&state().db, &ctx, id, stage_of(&stage)?).await?;
    leptos_axum::redirect(&format!("/t/{slug}/candidates/{id}?saved=1"));
    Ok(())
}

/// Records an open stage's result: decision, score where the stage has one, notes, reason.
#[server(endpoint = "decide_stage")]
pub async fn decide_stage(
    csrf: String,
    slug: String,
    id: Uuid,
    stage: String,
    decision: String,
    score: Option<String>,
    notes: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = domain::selection::StageResultInput {
        decision,
        score: optional(
            "score",
            score.as_deref().unwrap_or(""),
            "error-stage-score-range",
        )?,
        notes: Some(notes),
        reason: Some(reason),
    };
    domain::selection::service::record_stage_result(
        &state().db,
        &ctx,
        id,
        stage_of(&stage)?,
        &input,
    )
    .await?;
    leptos_axum::redirect(&format!("/t/{slug}/candidates/{id}?saved=1"));
    Ok(())
}

/// Sets the open stage's appointment (the psychological test, the interview): the date and
/// time where the organisation is, and the place.
#[server(endpoint = "schedule_appointment")]
pub async fn schedule_appointment(
    csrf: String,
    slug: String,
    id: Uuid,
    stage: String,
    at: String,
    place: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let at = chrono::NaiveDateTime::parse_from_str(at.trim(), "%Y-%m-%dT%H:%M")
        .map_err(|_| AppError::Domain(domain::Error::invalid("at", "error-appointment-time")))?;
    let input = domain::selection::AppointmentInput { at, place };
    domain::selection::service::schedule_stage(&state().db, &ctx, id, stage_of(&stage)?, &input)
        .await?;
    leptos_axum::redirect(&format!("/t/{slug}/candidates/{id}?scheduled=1"));
    Ok(())
}

/// A committee member's vote with its comment.
#[server(endpoint = "vote_on_candidate")]
pub async fn vote_on_candidate(
    csrf: String,
    slug: String,
    id: Uuid,
    vote: String,
    comment: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let vote = domain::selection::Vote::parse(vote.trim())?;
    domain::selection::service::cast_vote(&state().db, &ctx, id, vote, Some(comment)).await?;
    leptos_axum::redirect(&format!("/t/{slug}/candidates/{id}?voted=1"));
    Ok(())
}

/// Makes the selected candidate's contract.
#[server(endpoint = "make_contract")]
pub async fn make_contract(
    csrf: String,
    slug: String,
    id: Uuid,
    starts_on: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = domain::selection::ContractInput {
        starts_on: parse("starts_on", &starts_on, "error-date-invalid")?,
    };
    domain::selection::contracts::create_contract(&state().db, &ctx, id, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/candidates/{id}?saved=1"));
    Ok(())
}

/// Signs the contract whose scan passed its checks: the candidate becomes an active mentor.
#[server(endpoint = "sign_contract_page")]
pub async fn sign_contract_page(
    csrf: String,
    slug: String,
    id: Uuid,
    contract: Uuid,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let c = domain::selection::contracts::get_contract(&state().db, &ctx, contract).await?;
    if c.application_id != id {
        return Err(domain::Error::NotFound.into());
    }
    domain::selection::contracts::sign_contract(&state().db, &ctx, contract).await?;
    leptos_axum::redirect(&format!("/t/{slug}/candidates/{id}?signed=1"));
    Ok(())
}

// ---------------------------------------------------------------- cohorts

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortsData {
    pub cohorts: Vec<CohortSummary>,
    pub can_manage: bool,
    /// For the new-cohort form (managers only).
    pub programmes: Vec<ProgrammeView>,
    pub regions: Vec<RegionView>,
    pub trainers: Vec<(Uuid, String)>,
    pub today: chrono::NaiveDate,
}

#[server(endpoint = "cohorts_page")]
pub async fn cohorts_page(slug: String) -> Result<CohortsData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::accounts::Role;
    use domain::selection::service;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let cohorts = service::list_cohorts(db, &ctx).await?;
    let can_manage = ctx.has(Role::TenantAdmin) || ctx.has(Role::Coordinator);
    let (programmes, regions, trainers) = if can_manage {
        (
            domain::recruitment::service::list_programmes(db, &slug, ctx.actor.locale).await?,
            domain::tenancy::service::list_regions(db, &ctx).await?,
            service::list_trainers(db, &ctx).await?,
        )
    } else {
        Default::default()
    };
    Ok(CohortsData {
        cohorts,
        can_manage,
        programmes,
        regions,
        trainers,
        today: domain::recruitment::service::tenant_today(&ctx.tenant),
    })
}

/// Creates a cohort from the form; trainers come as `trainers[i]` check boxes.
#[server(endpoint = "new_cohort")]
pub async fn new_cohort(
    csrf: String,
    slug: String,
    kind: String,
    title: String,
    programme: String,
    region: String,
    starts_on: String,
    days: String,
    academic_hours: String,
    place: String,
    capacity: String,
    min_days: String,
    trainers: Option<Vec<Uuid>>,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    use domain::selection::{CohortInput, CohortKind};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = CohortInput {
        kind: CohortKind::parse(kind.trim())?,
        title,
        programme_id: optional("programme_id", &programme, "error-programme-unknown")?,
        region_id: optional("region_id", &region, "error-region-unknown")?,
        starts_on: parse("starts_on", &starts_on, "error-date-invalid")?,
        days: parse("days", &days, "error-cohort-days")?,
        academic_hours: parse("academic_hours", &academic_hours, "error-cohort-hours")?,
        place,
        trainers: trainers.unwrap_or_default(),
        capacity: parse("capacity", &capacity, "error-cohort-capacity")?,
        min_days: optional("min_days", &min_days, "error-cohort-min-days")?,
    };
    let c = domain::selection::service::create_cohort(&state().db, &ctx, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/cohorts/{}?created=1", c.cohort.id));
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortPageData {
    pub view: CohortView,
    /// The reader may enrol and withdraw (a coordinator of its region, or an admin).
    pub can_manage: bool,
    /// The reader records attendance (one of its trainers, or a manager).
    pub can_record: bool,
    /// Candidates who may be invited now: School stage open, in the cohort's programme, and
    /// without a seat here (School of Mentors only; other trainings take anyone in selection).
    pub invitable: Vec<CandidateRow>,
    /// Days that have begun (attendance can be recorded for them).
    pub days_begun: u32,
}

#[server(endpoint = "cohort_page")]
pub async fn cohort_page(slug: String, id: Uuid) -> Result<CohortPageData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::accounts::Role;
    use domain::selection::{CohortKind, Outcome, SeatStatus, StageKind, StageStatus, service};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let view = service::get_cohort(db, &ctx, id).await?;
    let c = &view.cohort;
    let managers = [Role::TenantAdmin, Role::Coordinator];
    let can_manage = ctx.covers_region(&managers, c.region_id);
    let can_record = can_manage || view.trainer_ids.contains(&ctx.actor.user_id);
    let invitable = if can_manage {
        let seated: Vec<Uuid> = view
            .members
            .iter()
            .filter(|m| m.status != SeatStatus::Withdrawn)
            .map(|m| m.application_id)
            .collect();
        let filter = match c.kind {
            CohortKind::School => CandidateFilter {
                stage: Some(StageKind::School),
                ..Default::default()
            },
            CohortKind::Training => CandidateFilter {
                outcome: Some(Outcome::Pending),
                ..Default::default()
            },
        };
        service::list_candidates(db, &ctx, &filter)
            .await?
            .into_iter()
            .filter(|r| {
                !seated.contains(&r.id)
                    && (c.kind == CohortKind::Training
                        || (Some(r.programme_id) == c.programme_id
                            && r.stage_status == Some(StageStatus::Open)))
            })
            .collect()
    } else {
        Vec::new()
    };
    let today = domain::recruitment::service::tenant_today(&ctx.tenant);
    let days_begun = (0..c.days)
        .take_while(|d| domain::selection::day_date(c.starts_on, d + 1) <= today)
        .count() as u32;
    Ok(CohortPageData {
        view,
        can_manage,
        can_record,
        invitable,
        days_begun,
    })
}

/// Enrols a candidate in a cohort (a seat, or the waiting list), from the cohort's or the
/// candidate's page; back to the page it came from.
#[server(endpoint = "enrol_in_cohort")]
pub async fn enrol_in_cohort(
    csrf: String,
    slug: String,
    cohort: Uuid,
    application: Uuid,
) -> Result<(), AppError> {
    use crate::server::{referer_path, session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    domain::selection::service::enrol_candidate(&state().db, &ctx, cohort, application).await?;
    let back = referer_path();
    leptos_axum::redirect(&format!(
        "{}?enrolled=1",
        back.split('?').next().unwrap_or("/")
    ));
    Ok(())
}

#[server(endpoint = "withdraw_seat")]
pub async fn withdraw_seat(
    csrf: String,
    slug: String,
    cohort: Uuid,
    member: Uuid,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    domain::selection::service::withdraw_member(&state().db, &ctx, cohort, member).await?;
    leptos_axum::redirect(&format!("/t/{slug}/cohorts/{cohort}?withdrawn=1"));
    Ok(())
}

/// One day of the attendance grid: the ticked seats were present, the others absent.
#[server(endpoint = "save_attendance")]
pub async fn save_attendance(
    csrf: String,
    slug: String,
    cohort: Uuid,
    day: String,
    present: Option<Vec<Uuid>>,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = domain::selection::AttendanceInput {
        day: parse("day", &day, "error-attendance-day")?,
        present: present.unwrap_or_default(),
    };
    domain::selection::service::record_attendance(&state().db, &ctx, cohort, &input).await?;
    leptos_axum::redirect(&format!(
        "/t/{slug}/cohorts/{cohort}?recorded={}",
        input.day
    ));
    Ok(())
}

// ---------------------------------------------------------------- results and activation

/// Announces a programme's results now (admins; refused while candidates are pending).
#[server(endpoint = "announce_programme_results")]
pub async fn announce_programme_results(
    csrf: String,
    slug: String,
    programme: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let done = domain::selection::results::announce_results(&state().db, &ctx, &programme).await?;
    leptos_axum::redirect(&format!(
        "/t/{slug}/programmes?announced={}&selected={}&not_selected={}",
        programme, done.selected, done.not_selected
    ));
    Ok(())
}

/// The activation link's form: the selected candidate chooses their password.
#[server(endpoint = "activate_mentor")]
pub async fn activate_mentor(token: String, password: String) -> Result<(), AppError> {
    use crate::server::state;
    let a = domain::selection::results::activate(&state().db, &token, &password).await?;
    leptos_axum::redirect(&format!(
        "/activate?done=1&tenant={}&email={}",
        crate::encode_query_value(&a.tenant_slug),
        crate::encode_query_value(&a.email)
    ));
    Ok(())
}

/// The mentor's own account in an organisation.
#[server(endpoint = "mentor_account_page")]
pub async fn mentor_account_page(slug: String) -> Result<(String, Vec<MentorAccount>), AppError> {
    use crate::server::{session, state, tenant_ctx};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let mine = domain::selection::contracts::my_account(&state().db, &ctx).await?;
    Ok((ctx.tenant.name.clone(), mine))
}
