use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::Locale;
use domain::recruitment::service;
use domain::recruitment::{
    ApplicationView, DocumentEvent, DocumentView, EligibilityAnswers, Profile, ProgrammeInput,
    ProgrammeView, ReviewDecision, ReviewItem, Unmet,
};
use frontend::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    ApiActor, ApiJson, ApiMultipart, ApiPath, ApiQuery, PageParams, Paged, TenantAccess, paged,
};
use crate::errors::{ApiResult, ErrorBody};
use crate::recruitment::UploadParams;

// ---------------------------------------------------------------- registration

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    pub full_name: String,
    #[serde(default)]
    pub locale: Locale,
}

#[derive(Serialize, ToSchema)]
pub struct Accepted {
    /// What happens next, in the caller's language.
    pub message: String,
}

/// Registers an applicant and e-mails a link to confirm the address. An address that already
/// has an account gets the same answer (and an e-mail saying so).
#[utoipa::path(post, path = "/api/v1/auth/register", operation_id = "register", tag = "recruitment",
    request_body = RegisterRequest,
    responses((status = 201, body = Accepted), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    axum::Extension(frontend::server::ClientIp(ip)): axum::Extension<frontend::server::ClientIp>,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    domain::accounts::service::register(
        &state.db,
        &body.email,
        &body.password,
        &body.full_name,
        body.locale,
        None,
        &ip,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Accepted {
            message: body.locale.t("register-check-email"),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyEmailRequest {
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct Verified {
    pub email: String,
    pub email_verified: bool,
}

/// Confirms an address with the token from the e-mailed link (single use, expires).
#[utoipa::path(post, path = "/api/v1/auth/verify-email", operation_id = "verify_email", tag = "recruitment",
    request_body = VerifyEmailRequest,
    responses((status = 200, body = Verified), (status = 422, body = ErrorBody)))]
pub async fn verify_email(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VerifyEmailRequest>,
) -> ApiResult<Json<Verified>> {
    let actor = domain::accounts::service::verify_email(&state.db, &body.token).await?;
    Ok(Json(Verified {
        email: actor.email,
        email_verified: actor.email_verified,
    }))
}

// ---------------------------------------------------------------- programmes

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// Language of names and messages (`kk`, `ru`, `en`); English by default.
    pub lang: Option<String>,
}

fn lang(q: &LangQuery) -> Locale {
    q.lang
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or(Locale::En)
}

/// The tenant's programmes with their windows and required documents. Public.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/programmes", operation_id = "list_programmes", tag = "recruitment",
    params(PageParams, ("tenant" = String, Path), LangQuery),
    responses((status = 200, body = Vec<ProgrammeView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 404, body = ErrorBody)))]
pub async fn list_programmes(
    State(state): State<AppState>,
    ApiPath(tenant): ApiPath<String>,
    ApiQuery(q): ApiQuery<LangQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<ProgrammeView>> {
    paged(
        service::list_programmes(&state.db, &tenant, lang(&q)).await?,
        &page,
        |i| i.id.to_string(),
    )
}

/// Creates a programme (tenant admin). Window dates are the tenant's local dates.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/programmes", operation_id = "create_programme", tag = "recruitment",
    security(("bearer" = [])), request_body = ProgrammeInput, params(("tenant" = String, Path)),
    responses((status = 201, body = ProgrammeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_programme(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<ProgrammeInput>,
) -> ApiResult<(StatusCode, Json<ProgrammeView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_programme(&state.db, &ctx, &body).await?),
    ))
}

/// One programme, by slug or id. Public.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/programmes/{programme}", operation_id = "get_programme", tag = "recruitment",
    params(("tenant" = String, Path), ("programme" = String, Path), LangQuery),
    responses((status = 200, body = ProgrammeView), (status = 404, body = ErrorBody)))]
pub async fn get_programme(
    State(state): State<AppState>,
    ApiPath((tenant, programme)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> ApiResult<Json<ProgrammeView>> {
    let (_, p) = service::get_programme(&state.db, &tenant, &programme, lang(&q)).await?;
    Ok(Json(p))
}

/// Replaces a programme's settings (tenant admin).
#[utoipa::path(put, path = "/api/v1/t/{tenant}/programmes/{programme}", operation_id = "update_programme", tag = "recruitment",
    security(("bearer" = [])), request_body = ProgrammeInput, params(("tenant" = String, Path), ("programme" = String, Path)),
    responses((status = 200, body = ProgrammeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_programme(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, programme)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ProgrammeInput>,
) -> ApiResult<Json<ProgrammeView>> {
    Ok(Json(
        service::update_programme(&state.db, &ctx, &programme, &body).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct EligibilityResult {
    pub eligible: bool,
    pub unmet: Vec<UnmetBody>,
}

#[derive(Serialize, ToSchema)]
pub struct UnmetBody {
    pub code: String,
    pub message: String,
    pub args: std::collections::BTreeMap<String, String>,
}

fn unmet_body(u: &Unmet, locale: Locale) -> UnmetBody {
    UnmetBody {
        code: u.code.clone(),
        message: u.message(locale),
        args: u.args.clone(),
    }
}

/// The eligibility pre-check: which rules the answers fail and why. Public; nothing is saved.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/programmes/{programme}/eligibility", operation_id = "check_eligibility", tag = "recruitment",
    request_body = EligibilityAnswers, params(("tenant" = String, Path), ("programme" = String, Path), LangQuery),
    responses((status = 200, body = EligibilityResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_eligibility(
    State(state): State<AppState>,
    ApiPath((tenant, programme)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<LangQuery>,
    ApiJson(body): ApiJson<EligibilityAnswers>,
) -> ApiResult<Json<EligibilityResult>> {
    let unmet = service::precheck(&state.db, &tenant, &programme, &body).await?;
    Ok(Json(EligibilityResult {
        eligible: unmet.is_empty(),
        unmet: unmet.iter().map(|u| unmet_body(u, lang(&q))).collect(),
    }))
}

// ---------------------------------------------------------------- applications

/// Starts an application as a draft with the eligibility answers; 422 lists every failed rule.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/programmes/{programme}/applications", operation_id = "start_application", tag = "recruitment",
    security(("bearer" = [])), request_body = EligibilityAnswers, params(("tenant" = String, Path), ("programme" = String, Path)),
    responses((status = 201, body = ApplicationView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_application(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((tenant, programme)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<EligibilityAnswers>,
) -> ApiResult<(StatusCode, Json<ApplicationView>)> {
    let view = service::start_application(&state.db, &actor, &tenant, &programme, &body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Applications in the caller's regions (staff).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/applications", operation_id = "list_applications", tag = "recruitment",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<ApplicationView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_applications(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<ApplicationView>> {
    paged(
        service::list_applications(&state.db, &ctx).await?,
        &page,
        |i| i.id.to_string(),
    )
}

/// One application with its documents (its applicant, or staff of its region).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/applications/{id}", operation_id = "get_application", tag = "recruitment",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ApplicationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_application(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(service::get_application(&state.db, &ctx, id).await?))
}

/// Saves the "about you" step of a draft (the applicant).
#[utoipa::path(put, path = "/api/v1/t/{tenant}/applications/{id}", operation_id = "update_application", tag = "recruitment",
    security(("bearer" = [])), request_body = Profile, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ApplicationView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_application(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<Profile>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(
        service::save_profile(&state.db, &ctx, id, body).await?,
    ))
}

/// Submits a complete application; 422 lists everything still missing.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/applications/{id}/submit", operation_id = "submit_application", tag = "recruitment",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ApplicationView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_application(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(
        service::submit_application(&state.db, &ctx, id).await?,
    ))
}

/// A multipart upload: one field named `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// Uploads one document, streamed to storage; then the worker checks it. 413 when over the
/// document's size limit (refused as soon as it is known), 415 when the bytes are not an
/// accepted type or do not match the name, 409 when the slot is full, 422 for other reasons.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/applications/{id}/documents", operation_id = "upload_document", tag = "recruitment",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), UploadParams, crate::recruitment::UploadHeaders),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = DocumentView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn upload_document(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(params): ApiQuery<UploadParams>,
    headers: HeaderMap,
    ApiMultipart(multipart): ApiMultipart,
) -> ApiResult<(StatusCode, Json<DocumentView>)> {
    let doc =
        crate::recruitment::api_upload(&state, &ctx, id, &params, &headers, multipart).await?;
    Ok((StatusCode::CREATED, Json(doc)))
}

// ---------------------------------------------------------------- documents

/// A document's status, check results and digest (its applicant, or staff of its region).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/documents/{id}", operation_id = "get_document", tag = "recruitment",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_document(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<DocumentView>> {
    Ok(Json(service::get_document(&state.db, &ctx, id).await?))
}

/// A document's history: upload, checks, decisions (its applicant, or staff of its region).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/documents/{id}/history", operation_id = "document_history", tag = "recruitment",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = Vec<DocumentEvent>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn document_history(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<DocumentEvent>> {
    paged(
        service::document_history(&state.db, &ctx, id).await?,
        &page,
        |i| format!("{}/{}", i.at.to_rfc3339(), i.action),
    )
}

/// The file itself, as an attachment (staff of its region; every download is audit-logged).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/documents/{id}/file", operation_id = "download_document", tag = "recruitment",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, description = "The file, `Content-Disposition: attachment`", content_type = "application/octet-stream"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_document(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Response> {
    Ok(crate::recruitment::download(&state, &ctx, id, false).await?)
}

/// The applicant removes a file of their own that is not reviewed yet, while the application
/// takes files (to upload a better one); a verified or rejected file is refused (409).
#[utoipa::path(delete, path = "/api/v1/t/{tenant}/documents/{id}", operation_id = "withdraw_document", tag = "recruitment",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn withdraw_document(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<StatusCode> {
    service::withdraw_document(&state.db, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewRequest {
    pub decision: ReviewDecision,
    /// Required for a rejection; e-mailed to the applicant.
    pub reason: Option<String>,
}

/// Records a coordinator's decision on a document that passed the automatic checks.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/documents/{id}/review", operation_id = "review_document", tag = "recruitment",
    security(("bearer" = [])), request_body = ReviewRequest, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review_document(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<ReviewRequest>,
) -> ApiResult<Json<DocumentView>> {
    Ok(Json(
        service::review_document(&state.db, &ctx, id, body.decision, body.reason.as_deref())
            .await?,
    ))
}

/// Documents waiting for review in the caller's regions (coordinators, admins).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/review-queue", operation_id = "list_review_queue", tag = "recruitment",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<ReviewItem>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_review_queue(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<ReviewItem>> {
    paged(service::review_queue(&state.db, &ctx).await?, &page, |i| {
        i.document.id.to_string()
    })
}
