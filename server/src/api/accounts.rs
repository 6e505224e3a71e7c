use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::Locale;
use domain::accounts::notifications::{
    self, NotificationPreferences, PreferencesInput, Unsubscribed,
};
use domain::accounts::service;
use domain::accounts::{ApiTokenView, InvitationView, Role, StaffMember};
use frontend::server::ClientIp;
use frontend::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ApiActor, ApiJson, ApiPath, ApiQuery, PageParams, Paged, TenantAccess, paged};
use crate::errors::{ApiResult, ErrorBody};

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`; valid 30 days.
    pub token: String,
}

/// Exchanges e-mail and password for an API token. Rate-limited per account and address. An
/// account whose address is not confirmed yet gets no token (409 `error-email-unverified`).
#[utoipa::path(post, path = "/api/v1/auth/login", operation_id = "login", tag = "accounts",
    request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let actor = service::authenticate(&state.db, &body.email, &body.password, &ip).await?;
    let token = service::issue_api_token(&state.db, actor.user_id, "api login").await?;
    Ok(Json(TokenResponse { token }))
}

/// The caller's API tokens, newest first: live ones and those ended in the last 30 days.
#[utoipa::path(get, path = "/api/v1/me/tokens", operation_id = "list_api_tokens", tag = "accounts", security(("bearer" = [])),
    params(PageParams), responses((status = 200, body = Vec<ApiTokenView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 401, body = ErrorBody)))]
pub async fn list_api_tokens(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<ApiTokenView>> {
    paged(
        service::list_api_tokens(&state.db, &actor).await?,
        &page,
        |i| i.id.to_string(),
    )
}

/// Revokes one of the caller's own API tokens (the one in use too). Another person's is 404.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", operation_id = "revoke_api_token", tag = "accounts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The token's id from list_api_tokens")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_api_token(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    service::revoke_api_token(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct ResendRequest {
    pub email: String,
}

/// Sends a new confirmation link to an address whose account waits for confirmation; answers
/// 202 either way, so it reveals nothing. At most three links in ten minutes.
#[utoipa::path(post, path = "/api/v1/auth/verify-email/resend", operation_id = "resend_verification", tag = "accounts",
    request_body = ResendRequest, responses((status = 202), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn resend_verification(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    ApiJson(body): ApiJson<ResendRequest>,
) -> ApiResult<StatusCode> {
    service::resend_verification_to(&state.db, &body.email, &ip).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Serialize, ToSchema)]
pub struct MeMembership {
    /// The tenant's slug.
    pub tenant: String,
    pub role: Role,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub email: String,
    pub full_name: String,
    pub locale: Locale,
    pub memberships: Vec<MeMembership>,
}

/// The caller and the tenants and roles they hold.
#[utoipa::path(get, path = "/api/v1/me", operation_id = "me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<MeResponse>> {
    let memberships = service::memberships_of(&state.db, actor.user_id).await?;
    Ok(Json(MeResponse {
        email: actor.email,
        full_name: actor.full_name,
        locale: actor.locale,
        memberships: memberships
            .into_iter()
            .map(|m| MeMembership {
                tenant: m.tenant_slug,
                role: m.role,
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// Sends a password-reset link if the address has an account; answers 202 either way.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", operation_id = "request_password_reset", tag = "accounts",
    request_body = ResetRequest, responses((status = 202), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    ApiJson(body): ApiJson<ResetRequest>,
) -> ApiResult<StatusCode> {
    service::request_password_reset(&state.db, &body.email, &ip).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
pub struct ResetConfirm {
    pub token: String,
    pub password: String,
}

/// Sets a new password from a reset link's token (single use).
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", operation_id = "reset_password", tag = "accounts",
    request_body = ResetConfirm, responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetConfirm>,
) -> ApiResult<StatusCode> {
    service::reset_password(&state.db, &body.token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct AcceptRequest {
    pub token: String,
    pub full_name: String,
    pub password: String,
    pub locale: Option<Locale>,
}

/// Accepts an invitation (single use) and creates the account with the person's own password.
#[utoipa::path(post, path = "/api/v1/auth/accept-invitation", operation_id = "accept_invitation", tag = "accounts",
    request_body = AcceptRequest, responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AcceptRequest>,
) -> ApiResult<StatusCode> {
    service::accept_invitation(
        &state.db,
        &body.token,
        &body.full_name,
        &body.password,
        body.locale.unwrap_or_default(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's people with their roles (tenant admin).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/users", operation_id = "list_users", tag = "accounts", security(("bearer" = [])),
    params(PageParams, ("tenant" = String, Path, description = "tenant slug")),
    responses((status = 200, body = Vec<StaffMember>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<StaffMember>> {
    paged(service::list_staff(&state.db, &ctx).await?, &page, |i| {
        i.membership_id.to_string()
    })
}

/// What changes; a field left out stays as it is.
#[derive(Deserialize, ToSchema)]
pub struct MembershipUpdate {
    pub role: Option<Role>,
    /// A region of the tenant, or `null` for all regions.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub region_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from a field left out (`None`, by `default`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Changes a person's role and region, or (de)activates them (tenant admin).
#[utoipa::path(patch, path = "/api/v1/t/{tenant}/memberships/{id}", operation_id = "update_membership", tag = "accounts",
    security(("bearer" = [])), request_body = MembershipUpdate,
    params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_membership(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<MembershipUpdate>,
) -> ApiResult<StatusCode> {
    let change = service::MembershipChange {
        role: body.role,
        region_id: body.region_id,
        active: body.active,
    };
    service::change_membership(&state.db, &ctx, id, change).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's invitations, newest first (tenant admin).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/invitations", operation_id = "list_invitations", tag = "accounts",
    security(("bearer" = [])), params(PageParams, ("tenant" = String, Path)),
    responses((status = 200, body = Vec<InvitationView>, headers(("next-cursor" = String, description = "The next page's cursor; absent on the last page"))), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_invitations(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Paged<InvitationView>> {
    paged(
        service::list_invitations(&state.db, &ctx).await?,
        &page,
        |i| i.id.to_string(),
    )
}

#[derive(Deserialize, ToSchema)]
pub struct NewInvitation {
    pub email: String,
    pub role: Role,
    pub region_id: Option<Uuid>,
}

/// Withdraws a pending invitation: its link stops working (tenant admin).
#[utoipa::path(delete, path = "/api/v1/t/{tenant}/invitations/{id}", operation_id = "revoke_invitation", tag = "accounts",
    security(("bearer" = [])), params(("tenant" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn revoke_invitation(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> ApiResult<StatusCode> {
    service::revoke_invitation(&state.db, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invites a person by e-mail; they set their own password from the link (tenant admin).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/invitations", operation_id = "create_invitation", tag = "accounts",
    security(("bearer" = [])), request_body = NewInvitation, params(("tenant" = String, Path)),
    responses((status = 201, body = InvitationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_invitation(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<NewInvitation>,
) -> ApiResult<(StatusCode, Json<InvitationView>)> {
    let inv = service::invite(&state.db, &ctx, &body.email, body.role, body.region_id).await?;
    Ok((StatusCode::CREATED, Json(inv)))
}

// ---------------------------------------------------------------- reminder preferences

/// The signed-in person's e-mail reminders in this organisation, every topic on or off.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/me/notifications", operation_id = "get_notification_preferences", tag = "accounts",
    security(("bearer" = [])), params(("tenant" = String, Path)),
    responses((status = 200, body = NotificationPreferences), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_notification_preferences(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
) -> ApiResult<Json<NotificationPreferences>> {
    Ok(Json(
        notifications::service::get_preferences(&state.db, &ctx).await?,
    ))
}

/// Turns reminder topics on or off for the signed-in person (topics not listed stay as they
/// are). Each person changes only their own.
#[utoipa::path(put, path = "/api/v1/t/{tenant}/me/notifications", operation_id = "set_notification_preferences", tag = "accounts",
    security(("bearer" = [])), params(("tenant" = String, Path)), request_body = PreferencesInput,
    responses((status = 200, body = NotificationPreferences), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_notification_preferences(
    State(state): State<AppState>,
    TenantAccess(ctx): TenantAccess,
    ApiJson(body): ApiJson<PreferencesInput>,
) -> ApiResult<Json<NotificationPreferences>> {
    Ok(Json(
        notifications::service::set_preferences(&state.db, &ctx, &body).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    pub token: String,
    pub topic: String,
}

/// The one-click unsubscribe of a reminder's `List-Unsubscribe` header (RFC 8058): turns the
/// topic off for the person the link was sent to. No sign-in: the token is the proof.
#[utoipa::path(post, path = "/api/v1/unsubscribe", operation_id = "unsubscribe", tag = "accounts",
    params(UnsubscribeQuery),
    responses((status = 200, body = Unsubscribed), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<UnsubscribeQuery>,
) -> ApiResult<Json<Unsubscribed>> {
    Ok(Json(
        notifications::service::unsubscribe(&state.db, &q.token, &q.topic).await?,
    ))
}
