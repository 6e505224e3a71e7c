//! Reports through the API: asking for one, following its progress, fetching its files; and
//! funders' grants with their progress and funder reports.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::reports::grants::{self, GrantInput, GrantProgress, GrantView};
use domain::reports::service;
use domain::reports::{ReportRequest, ReportView};
use frontend::state::AppState;
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery, PageParams, Paged, TenantAccess, paged};
use crate::errors::{ApiResult, ErrorBody};

/// Asks for a report of any period up to a year (tenant admins). The worker makes it; follow
/// it with `get_report`. `locale` defaults to the caller's language.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/reports", operation_id = "request_report", tag = "reports",
    security(("bearer" = [])), request_body = ReportRequest, params(("tenant" = String, Path)),
    responses((status = 202, body = ReportView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_report(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<ReportRequest>,
) -> ApiResult<(StatusCode, Json<ReportView>)> {
    let r = service::request_report(&state.db, &ctx, &body).await?;
    Ok((StatusCode::ACCEPTED, Json(r)))
}

/// The tenant's reports, newest first: monthly, quarterly and asked for (tenant admins).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/reports", operation_id = "list_reports", tag = "reports",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<ReportView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn list_reports(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<ReportView>> {
    paged(service::list_reports(&state.db, &ctx).await?, &page, |i| {
        i.id.to_string()
    })
}

/// One report: status, progress (0–100) and, once done, the links to its PDF, CSV and XLSX.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/reports/{id}", operation_id = "get_report", tag = "reports",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ReportView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn get_report(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<Json<ReportView>> {
    Ok(Json(service::get_report(&state.db, &ctx, id).await?))
}

/// A finished report's file (`pdf`, `csv` or `xlsx`) as an attachment (tenant admins).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/reports/{id}/files/{format}", operation_id = "download_report", tag = "reports",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), ("format" = String, Path, description = "pdf, csv or xlsx")),
    responses((status = 200, description = "The file, `Content-Disposition: attachment`", content_type = "application/octet-stream"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_report(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id, format)): ApiPath<(String, Uuid, String)>,
) -> ApiResult<Response> {
    Ok(crate::reports::download(&state, &ctx, id, &format).await?)
}

/// Records a funder's grant: period, amount, the programmes and regions it pays for (none: all)
/// and its targets, each a measured metric with the funder's wording (tenant admins).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/grants", operation_id = "create_grant", tag = "reports",
    security(("bearer" = [])), request_body = GrantInput, params(("tenant" = String, Path)),
    responses((status = 201, body = GrantView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_grant(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<GrantInput>,
) -> ApiResult<(StatusCode, Json<GrantView>)> {
    let g = grants::service::create_grant(&state.db, &ctx, &body).await?;
    Ok((StatusCode::CREATED, Json(g)))
}

/// The tenant's grants, the latest first (tenant admins).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/grants", operation_id = "list_grants", tag = "reports",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<GrantView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn list_grants(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<GrantView>> {
    paged(
        grants::service::list_grants(&state.db, &ctx).await?,
        &page,
        |i| i.id.to_string(),
    )
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProgressQuery {
    /// Count up to this day (default today; never past the grant's last day).
    pub as_of: Option<chrono::NaiveDate>,
}

/// A grant's progress against each target: achieved so far (people under five withheld),
/// the share of the target, and what a steady pace would have reached by now (tenant admins).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/grants/{id}/progress", operation_id = "get_grant_progress", tag = "reports",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), ProgressQuery),
    responses((status = 200, body = GrantProgress), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_grant_progress(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiQuery(q): ApiQuery<ProgressQuery>,
) -> ApiResult<Json<GrantProgress>> {
    Ok(Json(
        grants::service::get_grant_progress(&state.db, &ctx, id, q.as_of).await?,
    ))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunderReportRequest {
    /// The report's language (default: the caller's).
    #[serde(default)]
    pub locale: Option<domain::Locale>,
}

/// Asks for a grant's funder report: its progress from the grant's first day to today as a
/// PDF with a chart, a CSV and an XLSX, made by the worker (tenant admins). Follow it with
/// `get_report`.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/grants/{id}/report", operation_id = "request_funder_report", tag = "reports",
    security(("bearer" = [])), request_body = FunderReportRequest, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 202, body = ReportView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_funder_report(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<FunderReportRequest>,
) -> ApiResult<(StatusCode, Json<ReportView>)> {
    let r = service::request_funder_report(&state.db, &ctx, id, body.locale).await?;
    Ok((StatusCode::ACCEPTED, Json(r)))
}
