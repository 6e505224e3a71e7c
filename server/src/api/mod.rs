//! The JSON API under `/api/v1`, for partners' own tools. Bearer-token authentication (no
//! cookies, so no CSRF), described by the OpenAPI document at `/api/openapi.json`. Handlers
//! only translate HTTP to domain calls; every rule is in `domain`.

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use domain::Error;
use domain::tenancy::context::{Actor, TenantCtx};
use frontend::state::AppState;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::errors::ApiError;

mod accounts;
mod matching;
mod recruitment;
mod reports;
mod selection;
mod support;
mod tenancy;

/// `Json<T>` whose rejections are our JSON errors.
#[derive(FromRequest)]
#[from_request(via(Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `Query<T>` whose rejections (an unknown filter value) are our JSON errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `Path<T>` whose rejections (an id that is not a UUID) are our JSON errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `Multipart` whose rejections (no boundary, not multipart) are our JSON errors.
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(ApiMultipart)
            .map_err(|_| Error::invalid("body", "error-upload-not-multipart").into())
    }
}

/// The page a list operation is asked for. Every list is paged: at most `limit` items (1 to
/// 200, and 200 when not given), after the item whose key is `cursor` (the `next-cursor`
/// header of the previous page). The items keep the order the operation documents.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many, 1 to 200 (default 200).
    pub limit: Option<u64>,
    /// The previous page's `next-cursor` header.
    pub cursor: Option<String>,
}

/// A page of a list: the items, and the next page's cursor in the `next-cursor` header.
pub type Paged<T> = (axum::http::HeaderMap, Json<Vec<T>>);

/// The response header with the next page's cursor (absent on the last page).
pub const NEXT_CURSOR: &str = "next-cursor";

/// The page of `items` that `page` asks for; `key` names an item for the cursor.
pub fn paged<T>(
    items: Vec<T>,
    page: &PageParams,
    key: impl Fn(&T) -> String,
) -> Result<Paged<T>, ApiError> {
    let limit = page.limit.unwrap_or(domain::tenancy::MAX_PAGE);
    if !(1..=domain::tenancy::MAX_PAGE).contains(&limit) {
        return Err(Error::invalid("limit", "error-page-limit").into());
    }
    let start = match page.cursor.as_deref() {
        None | Some("") => 0,
        Some(cursor) => {
            items
                .iter()
                .position(|i| key(i) == cursor)
                .ok_or_else(|| Error::invalid("cursor", "error-page-cursor"))?
                + 1
        }
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let more = rest.len() as u64 > limit;
    rest.truncate(limit as usize);
    let mut headers = axum::http::HeaderMap::new();
    if more
        && let Some(last) = rest.last()
        && let Ok(v) = axum::http::HeaderValue::from_str(&key(last))
    {
        headers.insert(NEXT_CURSOR, v);
    }
    Ok((headers, Json(rest)))
}

/// The caller inside the path's `{tenant}`: authenticated, then a member of that tenant (a
/// stranger to it, or to every tenant, gets 404). An extractor of the request's head, so it
/// runs before anything reads the body: a caller without the right learns nothing about what
/// the operation would have accepted.
pub struct TenantAccess(pub TenantCtx);

impl FromRequestParts<AppState> for TenantAccess {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ApiActor(actor) = ApiActor::from_request_parts(parts, state).await?;
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound)?;
        let slug = params
            .iter()
            .find(|(name, _)| *name == "tenant")
            .map(|(_, slug)| slug)
            .ok_or(Error::NotFound)?;
        Ok(TenantAccess(
            TenantCtx::resolve(&state.db, &actor, slug).await?,
        ))
    }
}

/// The caller, authenticated by `Authorization: Bearer <token>`.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Error::Unauthenticated)?;
        let actor = domain::accounts::service::resolve_api_token(&state.db, token)
            .await?
            .ok_or(Error::Unauthenticated)?;
        tracing::Span::current().record("user_id", tracing::field::display(actor.user_id));
        Ok(ApiActor(actor))
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Ustaz API", version = "1", description = "Mentorship programmes: the same operations as the portal, for partners' own tools. Errors are `{error, message, field}` with a stable `error` code."),
    modifiers(&BearerAuth),
    tags((name = "accounts"), (name = "tenancy"), (name = "recruitment"), (name = "selection"), (name = "matching"), (name = "support"), (name = "reports"))
)]
struct ApiDoc;

/// The largest upload request accepted at all: the largest document plus multipart framing.
pub const UPLOAD_BODY_LIMIT: usize = domain::recruitment::MAX_DOCUMENT_BYTES as usize + 1024 * 1024;

/// The API's routes and its OpenAPI description, built from the same handler annotations.
pub fn router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::me))
        .routes(routes!(
            accounts::get_notification_preferences,
            accounts::set_notification_preferences
        ))
        .routes(routes!(accounts::unsubscribe))
        .routes(routes!(accounts::list_api_tokens))
        .routes(routes!(accounts::revoke_api_token))
        .routes(routes!(accounts::resend_verification))
        .routes(routes!(accounts::request_password_reset))
        .routes(routes!(accounts::reset_password))
        .routes(routes!(accounts::accept_invitation))
        .routes(routes!(accounts::list_users))
        .routes(routes!(accounts::update_membership))
        .routes(routes!(
            accounts::list_invitations,
            accounts::create_invitation
        ))
        .routes(routes!(accounts::revoke_invitation))
        .routes(routes!(tenancy::list_regions, tenancy::create_region))
        .routes(routes!(tenancy::rename_region, tenancy::remove_region))
        .routes(routes!(
            tenancy::list_institutions,
            tenancy::create_institution
        ))
        .routes(routes!(tenancy::list_tenants, tenancy::create_tenant))
        .routes(routes!(recruitment::register))
        .routes(routes!(recruitment::verify_email))
        .routes(routes!(
            recruitment::list_programmes,
            recruitment::create_programme
        ))
        .routes(routes!(
            recruitment::get_programme,
            recruitment::update_programme
        ))
        .routes(routes!(recruitment::check_eligibility))
        .routes(routes!(recruitment::start_application))
        .routes(routes!(recruitment::list_applications))
        .routes(routes!(
            recruitment::get_application,
            recruitment::update_application
        ))
        .routes(routes!(recruitment::submit_application))
        .routes(routes!(
            recruitment::get_document,
            recruitment::withdraw_document
        ))
        .routes(routes!(recruitment::document_history))
        .routes(routes!(recruitment::download_document))
        .routes(routes!(recruitment::review_document))
        .routes(routes!(recruitment::list_review_queue))
        .routes(routes!(selection::list_candidates))
        .routes(routes!(selection::get_candidate))
        .routes(routes!(selection::advance_stage))
        .routes(routes!(selection::record_stage_result))
        .routes(routes!(selection::schedule_stage))
        .routes(routes!(selection::cast_vote))
        .routes(routes!(selection::list_cohorts, selection::create_cohort))
        .routes(routes!(selection::get_cohort))
        .routes(routes!(selection::enrol_candidate))
        .routes(routes!(selection::withdraw_member))
        .routes(routes!(selection::record_attendance))
        .routes(routes!(selection::announce_results))
        .routes(routes!(selection::activate_account))
        .routes(routes!(selection::create_contract))
        .routes(routes!(selection::get_contract))
        .routes(routes!(selection::sign_contract))
        .routes(routes!(matching::register_child))
        .routes(routes!(matching::list_waiting_children))
        .routes(routes!(matching::get_child, matching::erase_child))
        .routes(routes!(matching::suggest_mentors))
        .routes(routes!(matching::list_child_matches))
        .routes(routes!(matching::export_child))
        .routes(routes!(matching::list_audit_events))
        .routes(routes!(matching::propose_match))
        .routes(routes!(matching::decide_match))
        .routes(routes!(matching::list_pairs))
        .routes(routes!(matching::get_pair))
        .routes(routes!(matching::close_pair))
        .routes(routes!(matching::grant_guest_visits))
        .routes(routes!(
            matching::get_mentor_profile,
            matching::set_mentor_profile
        ))
        .routes(routes!(matching::acknowledge_rules))
        .routes(routes!(support::log_meeting))
        .routes(routes!(support::update_meeting, support::delete_meeting))
        .routes(routes!(support::list_meetings))
        .routes(routes!(reports::request_report, reports::list_reports))
        .routes(routes!(reports::get_report))
        .routes(routes!(reports::download_report))
        .routes(routes!(reports::create_grant, reports::list_grants))
        .routes(routes!(reports::get_grant_progress))
        .routes(routes!(reports::request_funder_report))
        .routes(routes!(support::list_overdue_pairs))
        .routes(routes!(
            support::record_consultation,
            support::list_consultations
        ))
        .routes(routes!(support::get_consultation))
        .routes(routes!(support::raise_concern, support::list_concerns))
        .routes(routes!(support::act_on_concern))
        .routes(routes!(matching::create_group, matching::list_groups))
        .routes(routes!(matching::get_group))
        .routes(routes!(matching::add_group_member))
        .routes(routes!(matching::remove_group_member))
        .routes(routes!(matching::assign_group_mentor))
        .routes(routes!(matching::unassign_group_mentor))
        .routes(routes!(
            support::log_group_session,
            support::list_group_sessions
        ))
        .merge(
            // Uploads stream up to the largest document a programme may allow; each document's
            // own limit is enforced while streaming.
            OpenApiRouter::new()
                .routes(routes!(recruitment::upload_document))
                .routes(routes!(selection::upload_contract_scan))
                .routes(routes!(matching::upload_consent))
                .routes(routes!(matching::upload_guest_permission))
                .routes(routes!(support::upload_meeting_attachment))
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .split_for_parts()
}
