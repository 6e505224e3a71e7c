//! The recruitment room's jobs: verifying uploaded documents.

pub mod fixtures;
pub mod verify;

use domain::recruitment::service::{self, CheckResult};
use domain::storage::{Storage, StorageError};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

/// Inspects one uploaded document and records `auto_passed` or `auto_failed` with reasons.
///
/// Safe to run any number of times: a document already checked is skipped, the cleaned copy
/// and the preview are written under fixed keys (a rerun overwrites them with the same
/// content), and `record_check` changes only a document still `uploaded`.
pub async fn verify_document(
    db: &DatabaseConnection,
    storage: &Storage,
    clamd_addr: Option<&str>,
    tenant_id: Uuid,
    document_id: Uuid,
    pause_before_recording: std::time::Duration,
) -> anyhow::Result<()> {
    let Some(task) = service::check_task(db, tenant_id, document_id).await? else {
        tracing::info!(%document_id, "document already checked or gone; nothing to do");
        return Ok(());
    };
    let bytes = match storage.get_bytes(&task.storage_key, task.max_bytes).await {
        Ok(b) => b,
        Err(StorageError::NotFound) => {
            let result = CheckResult {
                reasons: vec!["storage_missing".into()],
                ..CheckResult::default()
            };
            service::record_check(db, tenant_id, document_id, &result).await?;
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    // Counted before the inspection: if it kills this worker, the next one knows.
    let Some(attempts) = service::begin_inspection(db, tenant_id, document_id).await? else {
        return Ok(());
    };
    if attempts > service::MAX_CHECK_ATTEMPTS {
        tracing::error!(%document_id, attempts, "the inspection of this file never finished; failed for good");
        let result = CheckResult {
            reasons: vec![service::CHECK_CRASHED.into()],
            ..CheckResult::default()
        };
        service::record_check(db, tenant_id, document_id, &result).await?;
        return Ok(());
    }
    let accepted = task.accepted_types.clone();
    // Parsing and re-encoding are CPU work; keep them off the async threads.
    let (bytes, mut outcome) = tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = accepted.iter().map(String::as_str).collect();
        let outcome = verify::inspect(&bytes, &refs);
        (bytes, outcome)
    })
    .await?;
    if let Some(addr) = clamd_addr {
        outcome.record_scan(&verify::clamd_scan(addr, &bytes).await);
    }
    let mut cleaned = None;
    if let Some((clean, mime)) = outcome.cleaned.take() {
        use sha2::Digest;
        let digest = hex::encode(sha2::Sha256::digest(&clean));
        let size = clean.len() as u64;
        // The original may carry GPS coordinates; only the metadata-free copy is kept.
        storage.put_bytes(&task.storage_key, mime, clean).await?;
        cleaned = Some((size, digest));
    }
    let has_preview = if let Some(preview) = outcome.preview.take() {
        storage
            .put_bytes(&task.preview_key, "image/jpeg", preview)
            .await?;
        true
    } else {
        false
    };
    let result = CheckResult {
        passed: outcome.passed,
        reasons: outcome
            .reasons
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        detected_type: outcome.detected_type.clone(),
        pages: outcome.pages,
        width: outcome.width,
        height: outcome.height,
        has_preview,
        cleaned,
    };
    if !pause_before_recording.is_zero() {
        tokio::time::sleep(pause_before_recording).await;
    }
    let recorded = service::record_check(db, tenant_id, document_id, &result).await?;
    tracing::info!(%document_id, passed = result.passed, reasons = ?result.reasons, recorded, "document checked");
    Ok(())
}
