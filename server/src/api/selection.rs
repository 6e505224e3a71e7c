//! Selection through the API: the candidates' board, stage gates and results, cohorts with
//! seats and attendance, and the committee's votes.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use domain::selection::contracts::{self, ContractInput, ContractView};
use domain::selection::results::{self, Activated, Announcement};
use domain::selection::service;
use domain::selection::{
    AppointmentInput, AttendanceInput, CandidateFilter, CandidateRow, CandidateView, CohortInput,
    CohortSummary, CohortView, StageKind, StageResultInput, Vote,
};
use frontend::state::AppState;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ApiJson, ApiMultipart, ApiPath, ApiQuery, PageParams, Paged, TenantAccess, paged};
use crate::errors::{ApiResult, ErrorBody};

/// Submitted applications and where they stand, filtered (staff; coordinators, psychologists
/// and committee members see their region).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/candidates", operation_id = "list_candidates", tag = "selection",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path), CandidateFilter),
    responses((status = 200, body = Vec<CandidateRow>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_candidates(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(filter): ApiQuery<CandidateFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<CandidateRow>> {
    paged(
        service::list_candidates(&state.db, &ctx, &filter).await?,
        &page,
        |i| i.id.to_string(),
    )
}

/// One candidate's whole history: stages, votes, seats. Psychologists' notes are for
/// psychologists of the region only (and each read is audit-logged).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/candidates/{id}", operation_id = "get_candidate", tag = "selection",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = CandidateView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_candidate(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<CandidateView>> {
    Ok(Json(service::get_candidate(&state.db, &ctx, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct AdvanceRequest {
    pub stage: StageKind,
}

/// Opens the next stage for a candidate; refused (409) before the previous stage passed.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/candidates/{id}/stages", operation_id = "advance_stage", tag = "selection",
    security(("bearer" = [])), request_body = AdvanceRequest, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 201, body = CandidateView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn advance_stage(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<AdvanceRequest>,
) -> ApiResult<(StatusCode, Json<CandidateView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::advance_stage(&state.db, &ctx, id, body.stage).await?),
    ))
}

/// Records the result of an open stage: `passed` or `failed`, a score (0–100) on the
/// psychological stages, notes, and a reason (required when failed).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/candidates/{id}/stages/{stage}/result", operation_id = "record_stage_result", tag = "selection",
    security(("bearer" = [])), request_body = StageResultInput,
    params(("tenant" = String, Path), ("id" = Uuid, Path), ("stage" = StageKind, Path)),
    responses((status = 200, body = CandidateView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_stage_result(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id, stage)): ApiPath<(String, Uuid, String)>,
    ApiJson(body): ApiJson<StageResultInput>,
) -> ApiResult<Json<CandidateView>> {
    let stage = StageKind::parse(&stage)?;
    Ok(Json(
        service::record_stage_result(&state.db, &ctx, id, stage, &body).await?,
    ))
}

/// Sets when and where the candidate comes for an open psychological test or interview (the
/// organisation's local time); the candidate is e-mailed the invitation and reminded, with the
/// region's psychologists, the day before. Coordinators of the region, admins.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/candidates/{id}/stages/{stage}/appointment", operation_id = "schedule_stage", tag = "selection",
    security(("bearer" = [])), request_body = AppointmentInput,
    params(("tenant" = String, Path), ("id" = Uuid, Path), ("stage" = StageKind, Path)),
    responses((status = 200, body = CandidateView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn schedule_stage(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id, stage)): ApiPath<(String, Uuid, String)>,
    ApiJson(body): ApiJson<AppointmentInput>,
) -> ApiResult<Json<CandidateView>> {
    let stage = StageKind::parse(&stage)?;
    Ok(Json(
        service::schedule_stage(&state.db, &ctx, id, stage, &body).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct VoteRequest {
    pub vote: Vote,
    #[serde(default)]
    pub comment: Option<String>,
}

/// A committee member of the candidate's region votes, once, while the committee stage is open.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/candidates/{id}/votes", operation_id = "cast_vote", tag = "selection",
    security(("bearer" = [])), request_body = VoteRequest, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 201, body = CandidateView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cast_vote(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<VoteRequest>,
) -> ApiResult<(StatusCode, Json<CandidateView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::cast_vote(&state.db, &ctx, id, body.vote, body.comment).await?),
    ))
}

/// Creates a School of Mentors cohort or another training (coordinators, admins).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/cohorts", operation_id = "create_cohort", tag = "selection",
    security(("bearer" = [])), request_body = CohortInput, params(("tenant" = String, Path)),
    responses((status = 201, body = CohortView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_cohort(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<CohortInput>,
) -> ApiResult<(StatusCode, Json<CohortView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_cohort(&state.db, &ctx, &body).await?),
    ))
}

/// Cohorts with their fill rate, newest first (staff, trainers).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/cohorts", operation_id = "list_cohorts", tag = "selection",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<CohortSummary>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_cohorts(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<CohortSummary>> {
    paged(service::list_cohorts(&state.db, &ctx).await?, &page, |i| {
        i.id.to_string()
    })
}

/// A cohort with its participants, waiting list, attendance grid and rates.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/cohorts/{id}", operation_id = "get_cohort", tag = "selection",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = CohortView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_cohort(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<CohortView>> {
    Ok(Json(service::get_cohort(&state.db, &ctx, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct EnrolRequest {
    /// The candidate's application id.
    pub application_id: Uuid,
}

/// Gives a candidate a seat: enrolled up to capacity, then the waiting list. A School of
/// Mentors takes its programme's candidates whose School stage is open.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/cohorts/{id}/members", operation_id = "enrol_candidate", tag = "selection",
    security(("bearer" = [])), request_body = EnrolRequest, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 201, body = CohortView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn enrol_candidate(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<EnrolRequest>,
) -> ApiResult<(StatusCode, Json<CohortView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::enrol_candidate(&state.db, &ctx, id, body.application_id).await?),
    ))
}

/// Frees a seat; the first on the waiting list takes it.
#[utoipa::path(delete, path = "/api/v1/t/{tenant}/cohorts/{id}/members/{member}", operation_id = "withdraw_member", tag = "selection",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), ("member" = Uuid, Path)),
    responses((status = 200, body = CohortView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn withdraw_member(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id, member)): ApiPath<(String, Uuid, Uuid)>,
) -> ApiResult<Json<CohortView>> {
    Ok(Json(
        service::withdraw_member(&state.db, &ctx, id, member).await?,
    ))
}

/// Records one day's attendance (a trainer of the cohort or its coordinator): the seats
/// present; every other enrolled seat is absent. Completing a School of Mentors passes the
/// candidate's School stage.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/cohorts/{id}/attendance", operation_id = "record_attendance", tag = "selection",
    security(("bearer" = [])), request_body = AttendanceInput, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = CohortView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_attendance(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<AttendanceInput>,
) -> ApiResult<Json<CohortView>> {
    Ok(Json(
        service::record_attendance(&state.db, &ctx, id, &body).await?,
    ))
}

/// Announces a programme's results now, before its results date (tenant admins): every
/// applicant of the round is e-mailed their outcome once; the selected get an activation link.
/// Refused (409) while candidates are still in selection; a second call sends nothing again.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/programmes/{programme}/results", operation_id = "announce_results", tag = "selection",
    security(("bearer" = [])), params(("tenant" = String, Path), ("programme" = String, Path)),
    responses((status = 200, body = Announcement), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn announce_results(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, programme)): ApiPath<(String, String)>,
) -> ApiResult<Json<Announcement>> {
    Ok(Json(
        results::announce_results(&state.db, &ctx, &programme).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct ActivateRequest {
    /// From the link in the results e-mail.
    pub token: String,
    /// The mentor's own new password.
    pub password: String,
}

/// Activates a selected candidate's mentor account with the password they choose. The link
/// works once and expires; no password is ever sent by e-mail.
#[utoipa::path(post, path = "/api/v1/auth/activate", operation_id = "activate_account", tag = "selection",
    request_body = ActivateRequest,
    responses((status = 200, body = Activated), (status = 422, body = ErrorBody)))]
pub async fn activate_account(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ActivateRequest>,
) -> ApiResult<Json<Activated>> {
    Ok(Json(
        results::activate(&state.db, &body.token, &body.password).await?,
    ))
}

/// Creates the contract of a selected candidate: start date, end after the programme's
/// contract length (24 months by default); opens the contract stage.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/candidates/{id}/contract", operation_id = "create_contract", tag = "selection",
    security(("bearer" = [])), request_body = ContractInput, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 201, body = ContractView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_contract(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<ContractInput>,
) -> ApiResult<(StatusCode, Json<ContractView>)> {
    Ok((
        StatusCode::CREATED,
        Json(contracts::create_contract(&state.db, &ctx, id, &body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/t/{tenant}/contracts/{id}", operation_id = "get_contract", tag = "selection",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ContractView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_contract(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ContractView>> {
    Ok(Json(contracts::get_contract(&state.db, &ctx, id).await?))
}

/// Uploads the signed contract's scan (multipart field `file`: PDF, JPEG or PNG, up to 20 MB),
/// through the same checks and verification job as applicants' documents.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/contracts/{id}/scan", operation_id = "upload_contract_scan", tag = "selection",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), crate::recruitment::UploadHeaders),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = ContractView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_contract_scan(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<(StatusCode, Json<ContractView>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::selection::api_contract_scan(&state, &ctx, id, &headers, multipart).await?),
    ))
}

/// Signs the contract once its scan passed the checks: the candidate becomes an active mentor.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/contracts/{id}/sign", operation_id = "sign_contract", tag = "selection",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ContractView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn sign_contract(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ContractView>> {
    Ok(Json(contracts::sign_contract(&state.db, &ctx, id).await?))
}
