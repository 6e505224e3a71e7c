//! Matching through the API: children registered by staff and the waiting list, suggestions,
//! matches and the psychologist's decision, pairs, guest visits, mentors' profiles.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use domain::matching::groups::{GroupInput, GroupMemberInput, GroupMentorInput, GroupView};
use domain::matching::{
    ChildExport, ChildInput, ChildView, ClosePairInput, GuestVisitsInput, GuestVisitsView,
    MatchDecisionInput, MatchProposal, MatchView, MentorProfileInput, MentorProfileView, PairView,
    Suggestion, WaitingChild,
};
use domain::matching::{groups, pairs, service};
use domain::recruitment::DocumentView;
use frontend::state::AppState;
use uuid::Uuid;

use super::{ApiJson, ApiMultipart, ApiPath, ApiQuery, PageParams, Paged, TenantAccess, paged};
use crate::errors::{ApiResult, ErrorBody};

/// Registers a child on the waiting list with the minimum a match needs and their consent
/// (coordinators in their region, admins). Needs are confidential.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/children", operation_id = "register_child", tag = "matching",
    security(("bearer" = [])), request_body = ChildInput, params(("tenant" = String, Path)),
    responses((status = 201, body = ChildView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_child(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<ChildInput>,
) -> ApiResult<(StatusCode, Json<ChildView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::register_child(&state.db, &ctx, &body).await?),
    ))
}

/// Children waiting for a mentor, the longest waiting first, with the days each has waited
/// (coordinators and psychologists see their region). Audit-logged.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/children/waiting", operation_id = "list_waiting_children", tag = "matching",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<WaitingChild>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_waiting_children(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<WaitingChild>> {
    paged(
        service::list_waiting_children(&state.db, &ctx).await?,
        &page,
        |i| i.id.to_string(),
    )
}

/// One child's record (staff of the child's region); every read is audit-logged.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/children/{id}", operation_id = "get_child", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ChildView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_child(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ChildView>> {
    Ok(Json(service::get_child(&state.db, &ctx, id).await?))
}

/// Active mentors ranked for a waiting child, best first, each with the reasons that made its score (mentors at capacity or without a common language are left out).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/children/{id}/suggestions", operation_id = "suggest_mentors", tag = "matching",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Suggestion>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn suggest_mentors(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<Suggestion>> {
    paged(
        pairs::suggest_mentors(&state.db, &ctx, id).await?,
        &page,
        |i| i.mentor_id.to_string(),
    )
}

/// The matches proposed for a child, newest first, with their decisions.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/children/{id}/matches", operation_id = "list_child_matches", tag = "matching",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = Vec<MatchView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_child_matches(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<MatchView>> {
    paged(
        pairs::child_matches(&state.db, &ctx, id).await?,
        &page,
        |i| i.id.to_string(),
    )
}

/// Everything held about one child (admins): record, matches, pairs, protocols, consultations and concerns. Logged.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/children/{id}/export", operation_id = "export_child", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ChildExport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_child(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ChildExport>> {
    Ok(Json(service::export_child(&state.db, &ctx, id).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// How many, 1 to 200 (default 50).
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// Who saw or changed a child's record, newest first (admins): the record, its pairs,
/// protocols, concerns, consultations and documents, and every list that showed the child.
/// Reading it is logged too.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/children/{id}/audit", operation_id = "list_audit_events", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = domain::tenancy::AuditPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_audit_events(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<domain::tenancy::AuditPage>> {
    Ok(Json(
        service::child_audit(&state.db, &ctx, id, q.limit, q.cursor).await?,
    ))
}

/// Erases a child and everything held about them (admins). Logged without personal data.
#[utoipa::path(delete, path = "/api/v1/t/{tenant}/children/{id}", operation_id = "erase_child", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn erase_child(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<StatusCode> {
    service::erase_child(&state.db, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A coordinator proposes a mentor for a waiting child; a psychologist decides.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/matches", operation_id = "propose_match", tag = "matching",
    security(("bearer" = [])), request_body = MatchProposal, params(("tenant" = String, Path)),
    responses((status = 201, body = MatchView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn propose_match(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<MatchProposal>,
) -> ApiResult<(StatusCode, Json<MatchView>)> {
    Ok((
        StatusCode::CREATED,
        Json(pairs::propose_match(&state.db, &ctx, &body).await?),
    ))
}

/// The psychologist of the child's region approves (the pair begins, for the programme's contract length) or declines with a reason.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/matches/{id}/decision", operation_id = "decide_match", tag = "matching",
    security(("bearer" = [])), request_body = MatchDecisionInput, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = MatchView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_match(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<MatchDecisionInput>,
) -> ApiResult<Json<MatchView>> {
    Ok(Json(pairs::decide_match(&state.db, &ctx, id, &body).await?))
}

/// Pairs with where each stands against its cadence: staff see their region's, a mentor their own.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/pairs", operation_id = "list_pairs", tag = "matching",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<PairView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_pairs(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<PairView>> {
    paged(pairs::list_pairs(&state.db, &ctx).await?, &page, |i| {
        i.id.to_string()
    })
}

/// One pair (its mentor, or staff of its region).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/pairs/{id}", operation_id = "get_pair", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PairView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_pair(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<PairView>> {
    Ok(Json(pairs::get_pair(&state.db, &ctx, id).await?))
}

/// Ends a pair with a structured reason; early closing puts the child back on the waiting list. The pair stays in the history.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/pairs/{id}/close", operation_id = "close_pair", tag = "matching",
    security(("bearer" = [])), request_body = ClosePairInput, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PairView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn close_pair(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<ClosePairInput>,
) -> ApiResult<Json<PairView>> {
    Ok(Json(pairs::close_pair(&state.db, &ctx, id, &body).await?))
}

/// Permission for weekend and holiday visits at the mentor's home, within the pair's term (coordinators, admins).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/pairs/{id}/guest-visits", operation_id = "grant_guest_visits", tag = "matching",
    security(("bearer" = [])), request_body = GuestVisitsInput, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 201, body = GuestVisitsView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant_guest_visits(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<GuestVisitsInput>,
) -> ApiResult<(StatusCode, Json<GuestVisitsView>)> {
    Ok((
        StatusCode::CREATED,
        Json(pairs::grant_guest_visits(&state.db, &ctx, id, &body).await?),
    ))
}

/// Uploads a child's signed consent (multipart field `file`: PDF, JPEG or PNG, up to 20 MB;
/// coordinators of the child's region, admins). It replaces the previous consent file and
/// goes through the same checks and verification job as applicants' documents.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/children/{id}/consent", operation_id = "upload_consent", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), crate::recruitment::UploadHeaders),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = DocumentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_consent(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<(StatusCode, Json<DocumentView>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::matching::api_consent(&state, &ctx, id, &headers, multipart).await?),
    ))
}

/// Uploads the signed permission of a grant of guest visits (multipart field `file`: PDF,
/// JPEG or PNG, up to 20 MB; coordinators of the pair's region, admins; the pair active).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/guest-visits/{id}/permission", operation_id = "upload_guest_permission", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), crate::recruitment::UploadHeaders),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = GuestVisitsView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_guest_permission(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    headers: HeaderMap,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<(StatusCode, Json<GuestVisitsView>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::matching::api_guest_permission(&state, &ctx, id, &headers, multipart).await?),
    ))
}

/// What the ranking knows about a mentor (the mentor, coordinators, admins).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/mentors/{id}/profile", operation_id = "get_mentor_profile", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = MentorProfileView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_mentor_profile(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<MentorProfileView>> {
    Ok(Json(pairs::get_mentor_profile(&state.db, &ctx, id).await?))
}

/// The mentor states gender, interests and where they live; only staff change capacity.
#[utoipa::path(put, path = "/api/v1/t/{tenant}/mentors/{id}/profile", operation_id = "set_mentor_profile", tag = "matching",
    security(("bearer" = [])), request_body = MentorProfileInput, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = MentorProfileView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_mentor_profile(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<MentorProfileInput>,
) -> ApiResult<Json<MentorProfileView>> {
    Ok(Json(
        pairs::set_mentor_profile(&state.db, &ctx, id, &body).await?,
    ))
}

/// The signed-in mentor acknowledges the programme rules (once; the first date is kept).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/rules-acknowledgement", operation_id = "acknowledge_rules", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path)),
    responses((status = 200, body = MentorProfileView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn acknowledge_rules(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
) -> ApiResult<Json<MentorProfileView>> {
    Ok(Json(pairs::acknowledge_rules(&state.db, &ctx).await?))
}

// ---------------------------------------------------------------- youth groups

/// Registers a youth group of a group programme in a region (coordinators in their region,
/// admins).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/groups", operation_id = "create_group", tag = "matching",
    security(("bearer" = [])), request_body = GroupInput, params(("tenant" = String, Path)),
    responses((status = 201, body = GroupView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_group(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<GroupInput>,
) -> ApiResult<(StatusCode, Json<GroupView>)> {
    Ok((
        StatusCode::CREATED,
        Json(groups::service::create_group(&state.db, &ctx, &body).await?),
    ))
}

/// Youth groups: staff see their region's, a mentor the groups they lead.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/groups", operation_id = "list_groups", tag = "matching",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<GroupView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_groups(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<GroupView>> {
    paged(
        groups::service::list_groups(&state.db, &ctx).await?,
        &page,
        |i| i.id.to_string(),
    )
}

/// One youth group with its members, mentors and where it stands against its cadence.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/groups/{id}", operation_id = "get_group", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = GroupView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_group(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(groups::service::get_group(&state.db, &ctx, id).await?))
}

/// A member joins the group today (minimal data: first name, initial, date of birth).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/groups/{id}/members", operation_id = "add_group_member", tag = "matching",
    security(("bearer" = [])), request_body = GroupMemberInput, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 201, body = GroupView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_group_member(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<GroupMemberInput>,
) -> ApiResult<(StatusCode, Json<GroupView>)> {
    Ok((
        StatusCode::CREATED,
        Json(groups::service::add_group_member(&state.db, &ctx, id, &body).await?),
    ))
}

/// A member leaves the group today; they stay in its history.
#[utoipa::path(delete, path = "/api/v1/t/{tenant}/groups/{id}/members/{member}", operation_id = "remove_group_member", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), ("member" = Uuid, Path)),
    responses((status = 200, body = GroupView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_group_member(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id, member)): ApiPath<(String, Uuid, Uuid)>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(
        groups::service::remove_group_member(&state.db, &ctx, id, member).await?,
    ))
}

/// An active mentor of the organisation is assigned to the group.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/groups/{id}/mentors", operation_id = "assign_group_mentor", tag = "matching",
    security(("bearer" = [])), request_body = GroupMentorInput, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = GroupView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign_group_mentor(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<GroupMentorInput>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(
        groups::service::assign_group_mentor(&state.db, &ctx, id, &body).await?,
    ))
}

/// A mentor stops leading the group; their sessions stay.
#[utoipa::path(delete, path = "/api/v1/t/{tenant}/groups/{id}/mentors/{mentor}", operation_id = "unassign_group_mentor", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), ("mentor" = Uuid, Path)),
    responses((status = 200, body = GroupView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn unassign_group_mentor(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id, mentor)): ApiPath<(String, Uuid, Uuid)>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(
        groups::service::unassign_group_mentor(&state.db, &ctx, id, mentor).await?,
    ))
}
