//! The selection room's HTTP pieces that are more than a JSON call: the signed contract's
//! scan, streamed through the same upload path as applicants' documents, from the API and from
//! the candidate's page.

use axum::extract::multipart::{Field, Multipart};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use domain::Error;
use domain::recruitment::DocOwner;
use domain::selection::contracts::{self, ContractView};
use domain::tenancy::context::TenantCtx;
use frontend::state::AppState;
use uuid::Uuid;

use crate::recruitment::{api_file, next_file, page_form_upload, store_planned};

/// Streams `field` as the contract's signed scan; refused files leave nothing. With
/// `application`, the contract must be that candidate's (the page's address names them).
async fn store_scan(
    state: &AppState,
    ctx: &TenantCtx,
    contract_id: Uuid,
    application: Option<Uuid>,
    headers: &HeaderMap,
    field: Field<'_>,
) -> Result<ContractView, Error> {
    let plan = contracts::plan_scan(&state.db, ctx, contract_id).await?;
    if application.is_some_and(|a| plan.owner != DocOwner::Application(a)) {
        return Err(Error::NotFound);
    }
    store_planned(state, &plan, headers, field, async |file| {
        contracts::record_scan(&state.db, ctx, contract_id, &plan, &file).await
    })
    .await
}

/// `POST /api/v1/t/{tenant}/contracts/{id}/scan` with a multipart `file`.
pub async fn api_contract_scan(
    state: &AppState,
    ctx: &TenantCtx,
    contract_id: Uuid,
    headers: &HeaderMap,
    mut multipart: Multipart,
) -> Result<ContractView, Error> {
    let field = api_file!(multipart);
    store_scan(state, ctx, contract_id, None, headers, field).await
}

/// The candidate page's scan upload (`POST /t/{tenant}/candidates/{application}/contract/scan`,
/// the contract's id in the `contract` field before the file); back to the candidate's page.
pub async fn page_contract_scan(
    State(state): State<AppState>,
    Path((tenant, application_id)): Path<(String, Uuid)>,
    request: axum::extract::Request,
) -> Response {
    let back = format!("/t/{tenant}/candidates/{application_id}");
    page_form_upload(
        &state,
        &tenant,
        &back,
        request,
        async |state, ctx, fields, headers, field| {
            let contract_id = crate::matching::field_id(fields, "contract")?;
            store_scan(
                state,
                ctx,
                contract_id,
                Some(application_id),
                headers,
                field,
            )
            .await
        },
    )
    .await
}
