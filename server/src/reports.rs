//! Report files, for the API and the portal's download links.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use domain::Error;
use domain::reports::service;
use domain::tenancy::context::TenantCtx;
use frontend::state::AppState;
use uuid::Uuid;

use crate::errors::ApiError;
use crate::recruitment::internal;

/// Streams a finished report's file to a tenant admin.
pub async fn download(
    state: &AppState,
    ctx: &TenantCtx,
    id: Uuid,
    format: &str,
) -> Result<Response, Error> {
    let f = service::report_file(&state.db, ctx, id, format).await?;
    let (size, stream) = state
        .storage
        .get_stream(&f.storage_key)
        .await
        .map_err(|e| match e {
            domain::storage::StorageError::NotFound => Error::NotFound,
            other => internal("storage", &other.to_string()),
        })?;
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(f.content_type),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(
        header::CONTENT_DISPOSITION,
        crate::recruitment::attachment(&f.file_name),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
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
