//! The portal's download of everything held about a child (an admin's subject access request):
//! the same export as the API's `export_child`, as a JSON file behind the portal session.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use domain::Error;
use domain::tenancy::context::TenantCtx;
use frontend::state::AppState;
use uuid::Uuid;

use crate::errors::ApiError;
use crate::recruitment::who_asks;

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
        domain::matching::service::export_child(&state.db, &ctx, id).await
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
