//! The selection room's HTTP pieces that are more than a JSON call: the signed contract's
//! scan, streamed through the same upload path as applicants' documents.

use axum::extract::multipart::{Field, Multipart};
use axum::http::{HeaderMap, header};
use domain::Error;
use domain::selection::contracts::{self, ContractView};
use domain::tenancy::context::TenantCtx;
use frontend::state::AppState;
use uuid::Uuid;

use crate::recruitment::{MULTIPART_OVERHEAD, next_file, store_with};

/// Streams the `file` field as the contract's signed scan; refused files leave nothing.
pub async fn api_contract_scan(
    state: &AppState,
    ctx: &TenantCtx,
    contract_id: Uuid,
    headers: &HeaderMap,
    mut multipart: Multipart,
) -> Result<ContractView, Error> {
    let plan = contracts::plan_scan(&state.db, ctx, contract_id).await?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > plan.rule.max_bytes + MULTIPART_OVERHEAD) {
        return Err(Error::TooLarge {
            limit: plan.rule.max_bytes,
        });
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    let field: Option<Field<'_>> = next_file!(multipart, fields);
    let field = field.ok_or_else(|| Error::invalid("file", "error-file-missing"))?;
    store_with(state, &plan, field, async |file| {
        contracts::record_scan(&state.db, ctx, contract_id, &plan, &file).await
    })
    .await
}
