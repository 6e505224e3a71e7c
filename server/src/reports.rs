//! Report files, for the API and the portal's download links.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use domain::Error;
use domain::reports::service;
use domain::tenancy::context::TenantCtx;
use frontend::state::AppState;
use uuid::Uuid;

use crate::errors::ApiError;

/// Streams a finished report's file to a tenant admin.
pub async fn download(
    state: &AppState,
    ctx: &TenantCtx,
    id: Uuid,
    format: &str,
) -> Result<Response, Error> {
    let f = service::report_file(&state.db, ctx, id, format).await?;
    crate::recruitment::stored_attachment(state, &f.storage_key, f.content_type, &f.file_name).await
}

/// The portal's link: `GET /t/{tenant}/reports/{id}/files/{format}` (signed in).
pub async fn page_download(
    State(state): State<AppState>,
    Path((tenant, id, format)): Path<(String, Uuid, String)>,
    request: axum::extract::Request,
) -> Response {
    let (locale, session) = crate::recruitment::who_asks(&request);
    let result = async {
        let session = session.ok_or(Error::Unauthenticated)?;
        let ctx = TenantCtx::resolve(&state.db, &session.actor, &tenant).await?;
        download(&state, &ctx, id, &format).await
    }
    .await;
    match result {
        Ok(r) => r,
        Err(error) => ApiError { error, locale }.into_response(),
    }
}
