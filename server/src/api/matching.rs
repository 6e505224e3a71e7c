//! Matching through the API: children registered by staff and the waiting list.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::matching::service;
use domain::matching::{ChildInput, ChildView, WaitingChild};
use frontend::state::AppState;
use uuid::Uuid;

use super::{ApiActor, ApiJson};
use crate::errors::{ApiResult, ErrorBody};

/// Registers a child on the waiting list with the minimum a match needs and their consent
/// (coordinators in their region, admins). Needs are confidential.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/children", operation_id = "register_child", tag = "matching",
    security(("bearer" = [])), request_body = ChildInput, params(("tenant" = String, Path)),
    responses((status = 201, body = ChildView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_child(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(tenant): Path<String>,
    ApiJson(body): ApiJson<ChildInput>,
) -> ApiResult<(StatusCode, Json<ChildView>)> {
    let ctx = actor.in_tenant(&state, &tenant).await?;
    Ok((
        StatusCode::CREATED,
        Json(service::register_child(&state.db, &ctx, &body).await?),
    ))
}

/// Children waiting for a mentor, the longest waiting first, with the days each has waited
/// (coordinators and psychologists see their region). Audit-logged.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/children/waiting", operation_id = "list_waiting_children", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path)),
    responses((status = 200, body = Vec<WaitingChild>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_waiting_children(
    State(state): State<AppState>,
    actor: ApiActor,
    Path(tenant): Path<String>,
) -> ApiResult<Json<Vec<WaitingChild>>> {
    let ctx = actor.in_tenant(&state, &tenant).await?;
    Ok(Json(service::list_waiting_children(&state.db, &ctx).await?))
}

/// One child's record (staff of the child's region); every read is audit-logged.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/children/{id}", operation_id = "get_child", tag = "matching",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ChildView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_child(
    State(state): State<AppState>,
    actor: ApiActor,
    Path((tenant, id)): Path<(String, Uuid)>,
) -> ApiResult<Json<ChildView>> {
    let ctx = actor.in_tenant(&state, &tenant).await?;
    Ok(Json(service::get_child(&state.db, &ctx, id).await?))
}
