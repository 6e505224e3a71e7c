use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::tenancy::service::{self, NewInstitution, NewTenant};
use domain::tenancy::{InstitutionView, RegionView, TenantView};
use frontend::state::AppState;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ApiActor, ApiJson, ApiPath, ApiQuery, PageParams, Paged, TenantAccess, paged};
use crate::errors::{ApiResult, ErrorBody};

/// The tenant's regions and cities (staff).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/regions", operation_id = "list_regions", tag = "tenancy",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<RegionView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_regions(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<RegionView>> {
    paged(service::list_regions(&state.db, &ctx).await?, &page, |i| {
        i.id.to_string()
    })
}

#[derive(Deserialize, ToSchema)]
pub struct NewRegion {
    pub name: String,
}

/// Adds a region or city (tenant admin).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/regions", operation_id = "create_region", tag = "tenancy",
    security(("bearer" = [])), request_body = NewRegion, params(("tenant" = String, Path)),
    responses((status = 201, body = RegionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_region(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<NewRegion>,
) -> ApiResult<(StatusCode, Json<RegionView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_region(&state.db, &ctx, &body.name).await?),
    ))
}

/// Renames a region or city (tenant admin); everything in it stays.
#[utoipa::path(patch, path = "/api/v1/t/{tenant}/regions/{id}", operation_id = "rename_region", tag = "tenancy",
    security(("bearer" = [])), request_body = NewRegion, params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = RegionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rename_region(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<NewRegion>,
) -> ApiResult<Json<RegionView>> {
    Ok(Json(
        service::rename_region(&state.db, &ctx, id, &body.name).await?,
    ))
}

/// Removes a region nothing belongs to (tenant admin); one in use is refused (409).
#[utoipa::path(delete, path = "/api/v1/t/{tenant}/regions/{id}", operation_id = "remove_region", tag = "tenancy",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn remove_region(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<StatusCode> {
    service::remove_region(&state.db, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's institutions: orphanages, boarding schools, host organisations (staff).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/institutions", operation_id = "list_institutions", tag = "tenancy",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<InstitutionView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_institutions(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<InstitutionView>> {
    paged(
        service::list_institutions(&state.db, &ctx).await?,
        &page,
        |i| i.id.to_string(),
    )
}

/// Adds an institution (tenant admin). `kind`: orphanage, boarding_school, host_organisation, other.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/institutions", operation_id = "create_institution", tag = "tenancy",
    security(("bearer" = [])), request_body = NewInstitution, params(("tenant" = String, Path)),
    responses((status = 201, body = InstitutionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_institution(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<NewInstitution>,
) -> ApiResult<(StatusCode, Json<InstitutionView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_institution(&state.db, &ctx, body).await?),
    ))
}

/// Every tenant on the platform (platform operator).
#[utoipa::path(get, path = "/api/v1/platform/tenants", operation_id = "list_tenants", tag = "tenancy",
    security(("bearer" = [])), params(PageParams), responses((status = 200, body = Vec<TenantView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 403, body = ErrorBody)))]
pub async fn list_tenants(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<TenantView>> {
    paged(
        service::list_tenants(&state.db, &actor).await?,
        &page,
        |i| i.id.to_string(),
    )
}

/// Creates a tenant and invites its first administrator (platform operator).
#[utoipa::path(post, path = "/api/v1/platform/tenants", operation_id = "create_tenant", tag = "tenancy",
    security(("bearer" = [])), request_body = NewTenant,
    responses((status = 201, body = TenantView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_tenant(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<NewTenant>,
) -> ApiResult<(StatusCode, Json<TenantView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_tenant(&state.db, &actor, body).await?),
    ))
}
