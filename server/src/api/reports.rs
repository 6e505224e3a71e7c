//! Reports through the API: asking for one, following its progress, fetching its files.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::reports::service;
use domain::reports::{ReportRequest, ReportView};
use frontend::state::AppState;
use uuid::Uuid;

use super::{ApiActor, ApiJson};
use crate::errors::{ApiResult, ErrorBody};

/// Asks for a report of any period up to a year (tenant admins). The worker makes it; follow
/// it with `get_report`. `locale` defaults to the caller's language.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/reports", operation_id = "request_report", tag = "reports",
    security(("bearer" = [])), request_body = ReportRequest, params(("tenant" = String, Path)),
    responses((status = 202, body = ReportView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_report(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(tenant): Path<String>,
    ApiJson(body): ApiJson<ReportRequest>,
) -> ApiResult<(StatusCode, Json<ReportView>)> {
    let ctx = actor.in_tenant(&state, &tenant).await?;
    let r = service::request_report(&state.db, &ctx, &body).await?;
    Ok((StatusCode::ACCEPTED, Json(r)))
}

/// The tenant's reports, newest first: monthly, quarterly and asked for (tenant admins).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/reports", operation_id = "list_reports", tag = "reports",
    security(("bearer" = [])), params(("tenant" = String, Path)),
    responses((status = 200, body = Vec<ReportView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn list_reports(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(tenant): Path<String>,
) -> ApiResult<Json<Vec<ReportView>>> {
    let ctx = actor.in_tenant(&state, &tenant).await?;
    Ok(Json(service::list_reports(&state.db, &ctx).await?))
}

/// One report: status, progress (0–100) and, once done, the links to its PDF, CSV and XLSX.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/reports/{id}", operation_id = "get_report", tag = "reports",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ReportView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn get_report(
    State(state): State<AppState>,
    actor: ApiActor,
    Path((tenant, id)): Path<(String, Uuid)>,
) -> ApiResult<Json<ReportView>> {
    let ctx = actor.in_tenant(&state, &tenant).await?;
    Ok(Json(service::get_report(&state.db, &ctx, id).await?))
}

/// A finished report's file (`pdf`, `csv` or `xlsx`) as an attachment (tenant admins).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/reports/{id}/files/{format}", operation_id = "download_report", tag = "reports",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path), ("format" = String, Path, description = "pdf, csv or xlsx")),
    responses((status = 200, description = "The file, `Content-Disposition: attachment`", content_type = "application/octet-stream"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_report(
    State(state): State<AppState>,
    actor: ApiActor,
    Path((tenant, id, format)): Path<(String, Uuid, String)>,
) -> ApiResult<Response> {
    let ctx = actor.in_tenant(&state, &tenant).await?;
    Ok(crate::reports::download(&state, &ctx, id, &format).await?)
}
