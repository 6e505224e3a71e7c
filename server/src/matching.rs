//! The matching room's HTTP pieces that are more than a JSON call: the portal's download of
//! everything held about a child (an admin's subject access request, the same export as the
//! API's `export_child`), and the files staff attach to a child's record (the consent) and to a
//! pair (a guest-visit permission), streamed through the same upload path as applicants'
//! documents, from the API and from the pages.

use axum::extract::multipart::{Field, Multipart};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use domain::Error;
use domain::matching::GuestVisitsView;
use domain::matching::{pairs, service};
use domain::recruitment::{DocOwner, DocumentView};
use domain::tenancy::context::TenantCtx;
use frontend::state::AppState;
use uuid::Uuid;

use crate::errors::ApiError;
use crate::recruitment::{api_file, next_file, page_form_upload, store_planned, who_asks};

/// `GET /t/{tenant}/children/{id}/export`: a JSON attachment, never cached.
pub async fn page_export_child(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, Uuid)>,
    request: axum::extract::Request,
) -> Response {
    let (locale, session) = who_asks(&request);
    let result = async {
        let session = session.ok_or(Error::Unauthenticated)?;
        let ctx = TenantCtx::resolve(&state.db, &session.actor, &tenant).await?;
        service::export_child(&state.db, &ctx, id).await
    }
    .await;
    match result {
        Ok(export) => {
            let mut response = axum::Json(export).into_response();
            let h = response.headers_mut();
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"child-{id}.json\""))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            response
        }
        Err(error) => ApiError { error, locale }.into_response(),
    }
}

/// Streams `field` as the child's signed consent; refused files leave nothing.
async fn store_consent(
    state: &AppState,
    ctx: &TenantCtx,
    child_id: Uuid,
    headers: &HeaderMap,
    field: Field<'_>,
) -> Result<DocumentView, Error> {
    let plan = service::plan_consent(&state.db, ctx, child_id).await?;
    store_planned(state, &plan, headers, field, async |file| {
        service::record_consent(&state.db, ctx, child_id, &plan, &file).await
    })
    .await
}

/// `POST /api/v1/t/{tenant}/children/{id}/consent` with a multipart `file`.
pub async fn api_consent(
    state: &AppState,
    ctx: &TenantCtx,
    child_id: Uuid,
    headers: &HeaderMap,
    mut multipart: Multipart,
) -> Result<DocumentView, Error> {
    let field = api_file!(multipart);
    store_consent(state, ctx, child_id, headers, field).await
}

/// The child page's consent upload (`POST /t/{tenant}/children/{id}/consent`); back to the
/// child's page.
pub async fn page_consent(
    State(state): State<AppState>,
    Path((tenant, child_id)): Path<(String, Uuid)>,
    request: axum::extract::Request,
) -> Response {
    let back = format!("/t/{tenant}/children/{child_id}");
    page_form_upload(
        &state,
        &tenant,
        &back,
        request,
        async |state, ctx, _fields, headers, field| {
            store_consent(state, ctx, child_id, headers, field).await
        },
    )
    .await
}

/// Streams `field` as the signed permission of a grant of guest visits. With `pair`, the grant
/// must be that pair's (the page's address names it).
async fn store_guest_permission(
    state: &AppState,
    ctx: &TenantCtx,
    visit_id: Uuid,
    pair: Option<Uuid>,
    headers: &HeaderMap,
    field: Field<'_>,
) -> Result<GuestVisitsView, Error> {
    let plan = pairs::plan_guest_permission(&state.db, ctx, visit_id).await?;
    if pair.is_some_and(|p| plan.owner != DocOwner::Pair(p)) {
        return Err(Error::NotFound);
    }
    store_planned(state, &plan, headers, field, async |file| {
        pairs::record_guest_permission(&state.db, ctx, visit_id, &plan, &file).await
    })
    .await
}

/// `POST /api/v1/t/{tenant}/guest-visits/{id}/permission` with a multipart `file`.
pub async fn api_guest_permission(
    state: &AppState,
    ctx: &TenantCtx,
    visit_id: Uuid,
    headers: &HeaderMap,
    mut multipart: Multipart,
) -> Result<GuestVisitsView, Error> {
    let field = api_file!(multipart);
    store_guest_permission(state, ctx, visit_id, None, headers, field).await
}

/// The pair page's permission upload (`POST /t/{tenant}/pairs/{id}/guest-permission`, the
/// grant's id in the `visits` field before the file); back to the pair's page.
pub async fn page_guest_permission(
    State(state): State<AppState>,
    Path((tenant, pair_id)): Path<(String, Uuid)>,
    request: axum::extract::Request,
) -> Response {
    let back = format!("/t/{tenant}/pairs/{pair_id}");
    page_form_upload(
        &state,
        &tenant,
        &back,
        request,
        async |state, ctx, fields, headers, field| {
            let visit_id = field_id(fields, "visits")?;
            store_guest_permission(state, ctx, visit_id, Some(pair_id), headers, field).await
        },
    )
    .await
}

/// An id sent as a small form field before the file.
pub(crate) fn field_id(fields: &[(String, String)], name: &str) -> Result<Uuid, Error> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.trim().parse().ok())
        .ok_or_else(|| Error::invalid(name, "error-bad-request"))
}
