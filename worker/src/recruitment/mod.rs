//! The recruitment room's jobs: verifying uploaded documents.

pub mod clamd;

pub use verify::{self, fixtures};

use std::path::PathBuf;
use std::time::Duration;

use domain::recruitment::service::{self, CheckResult};
use domain::storage::{Storage, StorageError};
use sea_orm::DatabaseConnection;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;
use verify::{Outcome, Reason};

/// How uploads are checked (`Config::checks` finds them).
#[derive(Clone, Debug, Default)]
pub struct Checks {
    /// The `ustaz-verify` program each inspection runs in, under `memory_mb` and a CPU limit;
    /// `None` inspects in this process.
    pub verifier: Option<PathBuf>,
    pub memory_mb: u64,
    /// A clamd daemon (`host:port`) asked about every upload; no scan when unset.
    pub clamd_addr: Option<String>,
}

/// How long the worker waits for the inspecting program before it ends it: its CPU limit, and
/// as long again for reading the file and writing the answer.
const CHILD_WALL_TIME: Duration = Duration::from_secs(2 * verify::child::CPU_SECONDS);

/// Inspects one uploaded document and records `auto_passed` or `auto_failed` with reasons.
///
/// Safe to run any number of times: a document already checked is skipped, the cleaned copy
/// and the preview are written under fixed keys (a rerun overwrites them with the same
/// content), and `record_check` changes only a document still `uploaded`.
pub async fn verify_document(
    db: &DatabaseConnection,
    storage: &Storage,
    checks: &Checks,
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
    let mut outcome = inspect(checks, &bytes, &task.accepted_types).await?;
    if let Some(addr) = &checks.clamd_addr {
        outcome.record_scan(&clamd::clamd_scan(addr, &bytes).await);
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
    if recorded {
        crate::metrics::upload_checked(result.passed);
    }
    tracing::info!(%document_id, passed = result.passed, reasons = ?result.reasons, recorded, "document checked");
    Ok(())
}

/// The verdict on `bytes`: from the inspecting program when there is one (its death or
/// silence is [`Reason::TooDemanding`]), otherwise from this process's blocking pool. `Err` is
/// ours, not the file's (the program cannot be started): the job is retried.
async fn inspect(checks: &Checks, bytes: &[u8], accepted: &[String]) -> anyhow::Result<Outcome> {
    let Some(program) = &checks.verifier else {
        let (bytes, accepted) = (bytes.to_vec(), accepted.to_vec());
        // Parsing and re-encoding are CPU work; keep them off the async threads.
        return Ok(tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = accepted.iter().map(String::as_str).collect();
            verify::inspect(&bytes, &refs)
        })
        .await?);
    };
    let mut child = tokio::process::Command::new(program)
        .arg("--memory-mb")
        .arg(checks.memory_mb.to_string())
        .arg(accepted.join(","))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", program.display()))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let feed = async move {
        // A child that stops reading (it died) closes the pipe; its exit status tells why.
        let _ = stdin.write_all(bytes).await;
    };
    let answer = tokio::time::timeout(CHILD_WALL_TIME, async {
        let ((), output) = tokio::join!(feed, child.wait_with_output());
        output
    })
    .await;
    let too_demanding = |why: &str| {
        tracing::warn!(why, "the inspection of a file went over its limits");
        let mut outcome = Outcome::default();
        outcome.fail(Reason::TooDemanding);
        Ok(outcome)
    };
    let output = match answer {
        Err(_) => return too_demanding("no answer in time"),
        Ok(output) => output?,
    };
    if output.status.code() == Some(verify::child::EXIT_OURS) {
        anyhow::bail!(
            "{} failed: {}",
            program.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    if !output.status.success() {
        // The first line says what ran out ("memory allocation of … failed"); not the trace.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or_default();
        return too_demanding(&format!("{}: {first}", output.status));
    }
    match verify::child::decode(&output.stdout) {
        Ok(outcome) => Ok(outcome),
        Err(e) => anyhow::bail!("{} answered badly: {e}", program.display()),
    }
}
