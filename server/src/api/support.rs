//! Support through the API: meeting protocols, the overdue list, consultations and concerns.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use domain::recruitment::DocumentView;
use domain::support::service;
use domain::support::{
    ConcernActionInput, ConcernInput, ConcernView, ConsultationInput, ConsultationView,
    GroupSessionInput, GroupSessionView, MeetingInput, MeetingView, OverduePair,
};
use frontend::state::AppState;
use uuid::Uuid;

use super::{ApiJson, ApiMultipart, ApiPath, ApiQuery, PageParams, Paged, TenantAccess, paged};
use crate::errors::{ApiResult, ErrorBody};

/// The mentor attaches a file to their open protocol (multipart field `file`: PDF, JPEG or PNG,
/// up to 20 MB, at most 5 per protocol). Photos lose their metadata in the worker's check.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/meetings/{id}/attachments", operation_id = "upload_meeting_attachment", tag = "support",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), crate::recruitment::UploadHeaders),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = DocumentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_meeting_attachment(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<(StatusCode, Json<DocumentView>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::support::api_attachment(&state, &ctx, id, &headers, multipart).await?),
    ))
}

/// The mentor logs a meeting with their mentee.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/meetings", operation_id = "log_meeting", tag = "support",
    security(("bearer" = [])), request_body = MeetingInput, params(("tenant" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Sent again with the same key (a phone that lost the answer), the request is carried out once and answered as the first time; the same key for another request is refused (422).")),
    responses((status = 201, body = MeetingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn log_meeting(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<MeetingInput>,
) -> ApiResult<(StatusCode, Json<MeetingView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::log_meeting(&state.db, &ctx, &body).await?),
    ))
}

/// The mentor corrects a protocol; after 7 days it is locked (409).
#[utoipa::path(put, path = "/api/v1/t/{tenant}/meetings/{id}", operation_id = "update_meeting", tag = "support",
    security(("bearer" = [])), request_body = MeetingInput, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = MeetingView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_meeting(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<MeetingInput>,
) -> ApiResult<Json<MeetingView>> {
    Ok(Json(
        service::update_meeting(&state.db, &ctx, id, &body).await?,
    ))
}

/// The mentor withdraws their own protocol while it is open (one logged twice, or for the wrong
/// pair); its attachments go with it. A locked protocol is refused (409).
#[utoipa::path(delete, path = "/api/v1/t/{tenant}/meetings/{id}", operation_id = "delete_meeting", tag = "support",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_meeting(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<StatusCode> {
    service::delete_meeting(&state.db, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A pair's protocols, newest first (its mentor, staff of its region).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/pairs/{id}/meetings", operation_id = "list_meetings", tag = "support",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = Vec<MeetingView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_meetings(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<MeetingView>> {
    paged(
        service::list_meetings(&state.db, &ctx, id).await?,
        &page,
        |i| i.id.to_string(),
    )
}

/// Active pairs that missed their programme's cadence, the latest first (the one overdue rule).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/pairs/overdue", operation_id = "list_overdue_pairs", tag = "support",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<OverduePair>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_overdue_pairs(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<OverduePair>> {
    paged(
        service::list_overdue_pairs(&state.db, &ctx).await?,
        &page,
        |i| i.pair_id.to_string(),
    )
}

/// A psychologist schedules or records a consultation with a mentor, a child or a pair of their region.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/consultations", operation_id = "record_consultation", tag = "support",
    security(("bearer" = [])), request_body = ConsultationInput, params(("tenant" = String, Path)),
    responses((status = 201, body = ConsultationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_consultation(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<ConsultationInput>,
) -> ApiResult<(StatusCode, Json<ConsultationView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::record_consultation(&state.db, &ctx, &body).await?),
    ))
}

/// The region's consultations with their notes (psychologists only; logged).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/consultations", operation_id = "list_consultations", tag = "support",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<ConsultationView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_consultations(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<ConsultationView>> {
    paged(
        service::list_consultations(&state.db, &ctx).await?,
        &page,
        |i| i.id.to_string(),
    )
}

/// One consultation with its notes (psychologists of the region only; every read logged).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/consultations/{id}", operation_id = "get_consultation", tag = "support",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ConsultationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_consultation(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ConsultationView>> {
    Ok(Json(service::get_consultation(&state.db, &ctx, id).await?))
}

/// Raises a safeguarding concern about a child or a pair; the region's psychologists and coordinators are e-mailed at once.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/concerns", operation_id = "raise_concern", tag = "support",
    security(("bearer" = [])), request_body = ConcernInput, params(("tenant" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Sent again with the same key (a phone that lost the answer), the request is carried out once and answered as the first time; the same key for another request is refused (422).")),
    responses((status = 201, body = ConcernView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn raise_concern(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<ConcernInput>,
) -> ApiResult<(StatusCode, Json<ConcernView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::raise_concern(&state.db, &ctx, &body).await?),
    ))
}

/// Concerns, open first: staff see their region's, a mentor the ones they raised.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/concerns", operation_id = "list_concerns", tag = "support",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<ConcernView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_concerns(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<ConcernView>> {
    paged(service::list_concerns(&state.db, &ctx).await?, &page, |i| {
        i.id.to_string()
    })
}

/// Records an action on an open concern; `resolve` closes it once an action is on record.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/concerns/{id}/actions", operation_id = "act_on_concern", tag = "support",
    security(("bearer" = [])), request_body = ConcernActionInput, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ConcernView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act_on_concern(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<ConcernActionInput>,
) -> ApiResult<Json<ConcernView>> {
    Ok(Json(
        service::act_on_concern(&state.db, &ctx, id, &body).await?,
    ))
}

/// A mentor of the group logs its session for the month (one per group per month: 409 for a
/// second).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/groups/{id}/sessions", operation_id = "log_group_session", tag = "support",
    security(("bearer" = [])), request_body = GroupSessionInput, params(("tenant" = String, Path), ("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Sent again with the same key (a phone that lost the answer), the request is carried out once and answered as the first time; the same key for another request is refused (422).")),
    responses((status = 201, body = GroupSessionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn log_group_session(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<GroupSessionInput>,
) -> ApiResult<(StatusCode, Json<GroupSessionView>)> {
    Ok((
        StatusCode::CREATED,
        Json(domain::support::sessions::log_group_session(&state.db, &ctx, id, &body).await?),
    ))
}

/// A group's sessions, newest first (its mentors, staff of its region).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/groups/{id}/sessions", operation_id = "list_group_sessions", tag = "support",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = Vec<GroupSessionView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_group_sessions(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<GroupSessionView>> {
    paged(
        domain::support::sessions::list_group_sessions(&state.db, &ctx, id).await?,
        &page,
        |i| i.id.to_string(),
    )
}
