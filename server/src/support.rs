//! The support room's HTTP pieces that are more than a JSON call: the files a mentor attaches
//! to an open meeting protocol, streamed through the same upload path as applicants' documents
//! (photos lose their metadata in the worker's check), from the API and from the pair's page.

use axum::extract::multipart::{Field, Multipart};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use domain::Error;
use domain::recruitment::{DocOwner, DocumentView};
use domain::support::service;
use domain::tenancy::context::TenantCtx;
use frontend::state::AppState;
use uuid::Uuid;

use crate::matching::field_id;
use crate::recruitment::{api_file, next_file, page_form_upload, store_planned};

/// Streams `field` as an attachment of the mentor's open protocol. With `pair`, the protocol
/// must be that pair's (the page's address names it).
async fn store_attachment(
    state: &AppState,
    ctx: &TenantCtx,
    meeting_id: Uuid,
    pair: Option<Uuid>,
    headers: &HeaderMap,
    field: Field<'_>,
) -> Result<DocumentView, Error> {
    let plan = service::plan_attachment(&state.db, ctx, meeting_id).await?;
    if pair.is_some_and(|p| !matches!(plan.owner, DocOwner::Meeting { pair, .. } if pair == p)) {
        return Err(Error::NotFound);
    }
    store_planned(state, &plan, headers, field, async |file| {
        service::record_attachment(&state.db, ctx, meeting_id, &plan, &file).await
    })
    .await
}

/// `POST /api/v1/t/{tenant}/meetings/{id}/attachments` with a multipart `file`.
pub async fn api_attachment(
    state: &AppState,
    ctx: &TenantCtx,
    meeting_id: Uuid,
    headers: &HeaderMap,
    mut multipart: Multipart,
) -> Result<DocumentView, Error> {
    let field = api_file!(multipart);
    store_attachment(state, ctx, meeting_id, None, headers, field).await
}

/// The pair page's attachment upload (`POST /t/{tenant}/pairs/{id}/attachments`, the
/// protocol's id in the `meeting` field before the file); back to the pair's page.
pub async fn page_attachment(
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
            let meeting_id = field_id(fields, "meeting")?;
            store_attachment(state, ctx, meeting_id, Some(pair_id), headers, field).await
        },
    )
    .await
}
