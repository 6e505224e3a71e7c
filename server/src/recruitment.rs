//! Files of the recruitment room at the HTTP edge: streaming an upload into object storage and
//! streaming a document back to staff. The API and the portal share these; the portal adds its
//! session and CSRF check, the API its bearer token. Every rule is in
//! `domain::recruitment::service`.

use axum::body::Body;
use axum::extract::multipart::{Field, Multipart};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use domain::recruitment::service::{self, StoredFile, UploadPlan};
use domain::recruitment::{DocumentView, check_file_type};
use domain::storage::PutError;
use domain::tenancy::context::TenantCtx;
use domain::{Error, Locale};
use frontend::server::RequestLocale;
use frontend::state::AppState;
use serde::Deserialize;
use uuid::Uuid;

use crate::errors::ApiError;

/// Multipart framing around the file (boundaries, headers, small fields) may add this much to
/// the request beyond the file itself.
pub(crate) const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// Where an upload goes and what the applicant said about it.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The document code from the programme's list, e.g. `police_clearance`.
    pub doc_type: String,
    /// The date the document was issued (`YYYY-MM-DD`); needed for documents that expire.
    pub issued_on: Option<String>,
}

fn parse_issued_on(raw: Option<&str>) -> Result<Option<NaiveDate>, Error> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| Error::invalid("issued_on", "error-date-invalid")),
    }
}

/// Streams the `file` field into storage under the plan's generated key, then records it.
/// Nothing is kept when anything fails: the object is deleted if the row cannot be written.
pub async fn receive(
    state: &AppState,
    ctx: &TenantCtx,
    application_id: Uuid,
    params: &UploadParams,
    headers: &HeaderMap,
    field: Field<'_>,
) -> Result<DocumentView, Error> {
    let issued_on = parse_issued_on(params.issued_on.as_deref())?;
    let plan =
        service::plan_upload(&state.db, ctx, application_id, &params.doc_type, issued_on).await?;
    store_planned(state, &plan, headers, field, async |file: StoredFile| {
        service::record_upload(&state.db, ctx, &plan, &file).await
    })
    .await
}

/// Streams a file into storage under the plan's key, checks its real type, and hands it to
/// `record` (which writes its row). If the type is refused or `record` fails, the stored
/// object is deleted: nothing is kept half-way.
pub async fn store_with<T>(
    state: &AppState,
    plan: &UploadPlan,
    field: Field<'_>,
    upload_length: Option<u64>,
    record: impl AsyncFnOnce(StoredFile) -> Result<T, Error>,
) -> Result<T, Error> {
    let original_name = field.file_name().unwrap_or("document").to_string();
    let declared_type = field
        .content_type()
        .unwrap_or("application/octet-stream")
        .to_string();
    let key = &plan.storage_key;
    let limit = plan.rule.max_bytes;
    let stored = match upload_length {
        Some(size) => {
            state
                .storage
                .put_sized(key, &declared_type, Box::pin(field), size, limit)
                .await
        }
        None => {
            state
                .storage
                .put_stream(key, &declared_type, Box::pin(field), limit)
                .await
        }
    }
    .map_err(|e| match e {
        PutError::TooLarge { limit } => Error::TooLarge { limit },
        PutError::Empty => Error::invalid("file", "error-file-empty"),
        PutError::Body(_) => Error::invalid("file", "error-upload-interrupted"),
        PutError::SizeMismatch { .. } => Error::invalid("file", "error-upload-length-differs"),
        PutError::Storage(msg) => internal("storage", &msg),
    })?;
    let detected = worker::recruitment::verify::sniff(&stored.head);
    let name = domain::recruitment::display_name(&original_name);
    let recorded = match check_file_type(&plan.rule, &name, detected) {
        Ok(()) => {
            let file = StoredFile {
                original_name: name,
                declared_type,
                detected_type: detected.map(String::from),
                size_bytes: stored.size,
                sha256: stored.sha256,
            };
            record(file).await
        }
        Err(e) => Err(e),
    };
    if recorded.is_err()
        && let Err(e) = state.storage.delete(&plan.storage_key).await
    {
        tracing::error!(key = %plan.storage_key, error = %e, "could not remove a refused upload; the sweeper will");
    }
    recorded
}

fn internal(what: &str, msg: &str) -> Error {
    let reference = Uuid::now_v7().to_string();
    tracing::error!(%reference, what, error = msg, "internal error");
    Error::Internal { reference }
}

/// Streams `field` under an upload plan another room made (a contract's scan, a consent, a
/// permission, a protocol's attachment): a declared body already over the limit is refused
/// before a byte is read, then `record` writes the row; a refused file leaves nothing.
pub(crate) async fn store_planned<T>(
    state: &AppState,
    plan: &UploadPlan,
    headers: &HeaderMap,
    field: Field<'_>,
    record: impl AsyncFnOnce(StoredFile) -> Result<T, Error>,
) -> Result<T, Error> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > plan.rule.max_bytes + MULTIPART_OVERHEAD) {
        return Err(Error::TooLarge {
            limit: plan.rule.max_bytes,
        });
    }
    store_with(state, plan, field, upload_length(headers)?, record).await
}

/// The file's size in bytes as the client declares it in the `Upload-Length` header (the
/// page's script always does; API clients may). With it the file goes to storage in one
/// request while it arrives; a file of another size is refused.
pub(crate) fn upload_length(headers: &HeaderMap) -> Result<Option<u64>, Error> {
    let Some(value) = headers.get(UPLOAD_LENGTH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| Error::invalid("upload-length", "error-upload-length"))
}

/// The request header with the file's declared size.
pub const UPLOAD_LENGTH: &str = "upload-length";

/// The upload routes' optional header, for the OpenAPI document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct UploadHeaders {
    /// The file's size in bytes, if the client knows it. The server then streams the file to
    /// storage in one request while it arrives (faster than in parts); a file of another size
    /// is refused (422) and nothing is kept.
    #[param(rename = "Upload-Length")]
    upload_length: Option<u64>,
}

/// Reads the multipart body up to the `file` field, collecting the small fields before it
/// (CSRF token, document code, date). A macro, not a function: the field borrows the body,
/// and returning that borrow from a loop is beyond today's borrow checker.
macro_rules! next_file {
    ($multipart:expr, $fields:expr) => {
        loop {
            let field = $multipart
                .next_field()
                .await
                .map_err(|e| $crate::recruitment::multipart_refusal(&e))?;
            let Some(field) = field else {
                break None;
            };
            let name = field.name().unwrap_or_default().to_string();
            if name == "file" {
                break Some(field);
            }
            if $fields.len() >= $crate::recruitment::SMALL_FIELDS {
                return Err(Error::invalid("body", "error-bad-request"));
            }
            let value = $crate::recruitment::small_text(field).await?;
            $fields.push((name, value));
        }
    };
}
pub(crate) use next_file;

/// How many small fields may come before the file, and how long each may be: a CSRF token, a
/// document code and a date need far less.
pub(crate) const SMALL_FIELDS: usize = 10;
const SMALL_FIELD_BYTES: usize = 200;

/// A small field before the file, read a chunk at a time and refused as soon as it is longer
/// than it can be: a multi-gigabyte "field" is never held in memory.
pub(crate) async fn small_text(mut field: Field<'_>) -> Result<String, Error> {
    let mut value = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_refusal(&e))? {
        if value.len() + chunk.len() > SMALL_FIELD_BYTES {
            return Err(Error::invalid("body", "error-form-field-too-long"));
        }
        value.extend_from_slice(&chunk);
    }
    String::from_utf8(value).map_err(|_| Error::invalid("body", "error-bad-request"))
}

/// A multipart body that cannot be read, said in words the uploader can act on. The parser's
/// errors are told apart by what it says of them (axum does not expose its kinds): a part whose
/// headers cannot be read is almost always a file name with a control character (a NUL byte)
/// in it; a body that is not multipart is the client's fault; the rest is a connection that
/// broke off.
pub(crate) fn multipart_refusal(e: &axum::extract::multipart::MultipartError) -> Error {
    let what = e.body_text();
    if what.contains("header") {
        Error::invalid("file", "error-upload-file-name")
    } else if what.contains("boundary") || what.contains("multipart/form-data") {
        Error::invalid("body", "error-upload-not-multipart")
    } else if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::invalid("body", "error-body-too-large")
    } else {
        Error::invalid("file", "error-upload-interrupted")
    }
}

/// The file of a multipart upload sent to the API (small fields before it are ignored); a
/// macro for the same reason as `next_file`.
macro_rules! api_file {
    ($multipart:expr) => {{
        let mut fields: Vec<(String, String)> = Vec::new();
        let field: Option<Field<'_>> = next_file!($multipart, fields);
        field.ok_or_else(|| Error::invalid("file", "error-file-missing"))?
    }};
}
pub(crate) use api_file;

/// `POST /api/v1/t/{tenant}/applications/{id}/documents?doc_type=…` with a multipart `file`.
pub async fn api_upload(
    state: &AppState,
    ctx: &TenantCtx,
    application_id: Uuid,
    params: &UploadParams,
    headers: &HeaderMap,
    mut multipart: Multipart,
) -> Result<DocumentView, Error> {
    let field = api_file!(multipart);
    receive(state, ctx, application_id, params, headers, field).await
}

/// The portal's upload: the same, signed in by the session cookie, with the CSRF token (in the
/// `x-csrf-token` header from the page's script, or as a form field before the file when the
/// form is posted without script). The script gets JSON; a plain form post is sent back to the
/// application page.
pub async fn page_upload(
    State(state): State<AppState>,
    Path((tenant, application_id)): Path<(String, Uuid)>,
    request: axum::extract::Request,
) -> Response {
    let back = format!("/t/{tenant}/applications/{application_id}");
    page_form_upload(
        &state,
        &tenant,
        &back,
        request,
        async |state, ctx, fields, headers, field| {
            let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let params = UploadParams {
                doc_type: headers
                    .get("x-doc-type")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
                    .or_else(|| get("doc_type"))
                    .unwrap_or_default(),
                issued_on: headers
                    .get("x-issued-on")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
                    .or_else(|| get("issued_on")),
            };
            receive(state, ctx, application_id, &params, headers, field).await
        },
    )
    .await
}

/// A file posted from a portal page: the session, its CSRF token (header or a form field
/// before the file) and the tenant are checked, then `store` receives the small fields and the
/// file. The page's script gets JSON (201 with the result); a plain form post goes back to
/// `back` with `?uploaded=1`, or `?upload_error=` and the translated reason.
pub(crate) async fn page_form_upload<T: serde::Serialize>(
    state: &AppState,
    tenant: &str,
    back: &str,
    request: axum::extract::Request,
    store: impl AsyncFnOnce(
        &AppState,
        &TenantCtx,
        &[(String, String)],
        &HeaderMap,
        Field<'_>,
    ) -> Result<T, Error>,
) -> Response {
    let (locale, session) = who_asks(&request);
    // `back` holds the address: one with a line break decoded into it would not make a header.
    if !domain::tenancy::Slug::is_exact(tenant) {
        return ApiError {
            error: Error::NotFound,
            locale,
        }
        .into_response();
    }
    let headers = request.headers().clone();
    let wants_json = headers.contains_key("x-csrf-token");
    let result: Result<T, Error> = async {
        let session = session.ok_or(Error::Unauthenticated)?;
        let mut multipart =
            <Multipart as axum::extract::FromRequest<()>>::from_request(request, &())
                .await
                .map_err(|_| Error::invalid("body", "error-bad-request"))?;
        let mut fields: Vec<(String, String)> = Vec::new();
        let field: Option<Field<'_>> = next_file!(multipart, fields);
        let csrf = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(String::from)
            .or_else(|| {
                fields
                    .iter()
                    .find(|(n, _)| n == "csrf")
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_default();
        frontend::server::check_csrf(&session, &csrf).map_err(|e| match e {
            frontend::errors::AppError::Domain(d) => d,
            frontend::errors::AppError::Transport(_) => Error::invalid("csrf", "error-csrf"),
        })?;
        let ctx = TenantCtx::resolve(&state.db, &session.actor, tenant).await?;
        let field = field.ok_or_else(|| Error::invalid("file", "error-file-missing"))?;
        store(state, &ctx, &fields, &headers, field).await
    }
    .await;
    let back = |query: &str| Redirect::to(&format!("{back}{query}")).into_response();
    match (result, wants_json) {
        (Ok(doc), true) => (StatusCode::CREATED, axum::Json(doc)).into_response(),
        (Ok(_), false) => back("?uploaded=1"),
        (Err(e), true) => ApiError { error: e, locale }.into_response(),
        // Refusals are real statuses; a mistake goes back to the page, translated.
        (Err(e @ (Error::Unauthenticated | Error::NotFound | Error::Forbidden)), false) => {
            ApiError { error: e, locale }.into_response()
        }
        (Err(e), false) => back(&format!(
            "?upload_error={}",
            frontend::encode_query_value(&e.message(locale))
        )),
    }
}

/// The language and session the request middleware found for a portal request.
pub(crate) fn who_asks(
    request: &axum::extract::Request,
) -> (Locale, Option<domain::accounts::service::LiveSession>) {
    let locale = request
        .extensions()
        .get::<RequestLocale>()
        .map(|l| l.0)
        .unwrap_or_default();
    let session = request
        .extensions()
        .get::<Option<domain::accounts::service::LiveSession>>()
        .cloned()
        .flatten();
    (locale, session)
}

/// `Content-Disposition: attachment` with an ASCII fallback and the UTF-8 name (RFC 6266), so
/// Cyrillic and Kazakh names survive and nothing in the name can break the header.
fn attachment(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._- ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        frontend::encode_query_value(name)
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// Streams a document (or its preview) to staff who may see it; the audit record is written
/// before the first byte leaves.
pub async fn download(
    state: &AppState,
    ctx: &TenantCtx,
    document_id: Uuid,
    preview: bool,
) -> Result<Response, Error> {
    let d = service::authorize_download(&state.db, ctx, document_id, preview).await?;
    stored_attachment(state, &d.storage_key, &d.content_type, &d.file_name).await
}

/// A stored object as a download: `Content-Disposition: attachment`, `nosniff`, not cached,
/// and sandboxed should a browser open it anyway. Callers check who may have it first.
pub(crate) async fn stored_attachment(
    state: &AppState,
    storage_key: &str,
    content_type: &str,
    file_name: &str,
) -> Result<Response, Error> {
    let (size, stream) = state
        .storage
        .get_stream(storage_key)
        .await
        .map_err(|e| match e {
            domain::storage::StorageError::NotFound => Error::NotFound,
            other => internal("storage", &other.to_string()),
        })?;
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(header::CONTENT_DISPOSITION, attachment(file_name));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct Which {
    #[serde(default)]
    preview: bool,
}

/// The portal's download link: `GET /t/{tenant}/documents/{id}/file[?preview=true]`.
pub async fn page_download(
    State(state): State<AppState>,
    Path((tenant, document_id)): Path<(String, Uuid)>,
    Query(which): Query<Which>,
    request: axum::extract::Request,
) -> Response {
    let (locale, session) = who_asks(&request);
    let result = async {
        let session = session.ok_or(Error::Unauthenticated)?;
        let ctx = TenantCtx::resolve(&state.db, &session.actor, &tenant).await?;
        download(&state, &ctx, document_id, which.preview).await
    }
    .await;
    match result {
        Ok(r) => r,
        Err(error) => ApiError { error, locale }.into_response(),
    }
}

/// Removes what crashed uploads left every hour: partial files, stale multipart uploads, and
/// stored files whose document row was never written.
pub async fn sweep_loop(
    db: sea_orm::DatabaseConnection,
    storage: domain::storage::Storage,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    // Longer than any upload takes, so nothing still on its way is touched.
    let older_than = std::time::Duration::from_secs(3600);
    loop {
        match storage.sweep(older_than).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "swept interrupted uploads"),
            Err(e) => tracing::debug!(error = %e, "upload sweep not available"),
        }
        match domain::recruitment::service::sweep_orphan_files(&db, &storage, older_than).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "swept stored files without a document"),
            Err(e) => tracing::warn!(error = %e, "orphan file sweep failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// The editor's stage checkboxes (`stage`, repeated), in the product's order; a form without
/// them keeps the default pipeline.
fn stages_from_form(
    fields: &[(String, String)],
) -> Result<Vec<domain::selection::StageKind>, Error> {
    let mut stages = fields
        .iter()
        .filter(|(n, _)| n == "stage")
        .map(|(_, v)| domain::selection::StageKind::parse(v))
        .collect::<Result<Vec<_>, _>>()?;
    if stages.is_empty() && !fields.iter().any(|(n, _)| n == "stages_shown") {
        return Ok(domain::selection::DEFAULT_STAGES.to_vec());
    }
    stages.sort();
    stages.dedup();
    Ok(stages)
}

/// Reads the programme editor's form (repeated fields: regions, roles, file types; numbered
/// document rows) into a `ProgrammeInput`. Every number and date is checked here, by field.
fn programme_from_form(
    fields: &[(String, String)],
) -> Result<(String, domain::recruitment::ProgrammeInput), Error> {
    use domain::recruitment::{
        Cadence, DisqualifyingRole, DocumentRule, Eligibility, ProgrammeInput, ProgrammeKind, Texts,
    };
    let one = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let all = |k: &str| -> Vec<String> {
        fields
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    };
    let num = |k: &str| -> Result<u32, Error> {
        one(k)
            .parse()
            .map_err(|_| Error::invalid(k, "error-number-invalid"))
    };
    let date = |k: &str| -> Result<NaiveDate, Error> {
        one(k)
            .parse()
            .map_err(|_| Error::invalid(k, "error-date-invalid"))
    };
    let texts = |prefix: &str| Texts {
        kk: one(&format!("{prefix}_kk")),
        ru: one(&format!("{prefix}_ru")),
        en: one(&format!("{prefix}_en")),
    };
    let mut documents = Vec::new();
    for i in 0..50 {
        let code = one(&format!("doc_type_{i}"));
        if code.is_empty() {
            continue;
        }
        let validity = one(&format!("doc_validity_{i}"));
        documents.push(DocumentRule {
            doc_type: code,
            labels: domain::recruitment::Texts::default().clone_with_suffix(i, fields),
            accepted_types: all(&format!("doc_types_{i}")),
            max_bytes: u64::from(num(&format!("doc_max_mb_{i}"))?) * 1024 * 1024,
            max_count: num(&format!("doc_max_count_{i}"))?,
            validity_months: if validity.is_empty() {
                None
            } else {
                Some(
                    validity
                        .parse()
                        .map_err(|_| Error::invalid("validity_months", "error-number-invalid"))?,
                )
            },
            required: !one(&format!("doc_required_{i}")).is_empty(),
        });
    }
    let region_ids = all("region")
        .iter()
        .map(|r| r.parse::<Uuid>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| Error::invalid("region_ids", "error-region-unknown"))?;
    let disqualifying_roles = all("disqualifying")
        .iter()
        .map(|r| DisqualifyingRole::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    let input = ProgrammeInput {
        slug: one("slug"),
        names: texts("name"),
        descriptions: texts("desc"),
        kind: ProgrammeKind::parse(&one("kind"))?,
        region_ids,
        eligibility: Eligibility {
            min_age: num("min_age")?,
            min_residence_months: num("min_residence_months")?,
            min_youth_work_years: num("min_youth_work_years")?,
            disqualifying_roles,
            min_days_per_week: num("min_days_per_week")?,
        },
        documents,
        opens_on: date("opens_on")?,
        closes_on: date("closes_on")?,
        results_on: date("results_on")?,
        contract_months: num("contract_months")?,
        meeting_cadence: Cadence::parse(&one("meeting_cadence"))?,
        stages: stages_from_form(fields)?,
        committee: domain::selection::CommitteeRule {
            majority: match one("committee_rule").as_str() {
                "" => Default::default(),
                rule => domain::selection::MajorityRule::parse(rule)?,
            },
            quorum: match one("committee_quorum").trim() {
                "" => 3,
                q => q
                    .parse()
                    .map_err(|_| Error::invalid("committee_quorum", "error-committee-quorum"))?,
            },
        },
        open_next_stage: one("open_next_stage") == "yes",
        reminders: {
            let days = |name: &str, default: u32| match one(name).trim() {
                "" => Ok(default),
                d => d
                    .parse()
                    .map_err(|_| Error::invalid("reminders", "error-reminder-range")),
            };
            let d = domain::support::ReminderDelays::default();
            domain::support::ReminderDelays {
                mentor_days: days("reminder_mentor_days", d.mentor_days)?,
                coordinator_days: days("reminder_coordinator_days", d.coordinator_days)?,
            }
        },
    };
    Ok((one("original"), input))
}

/// Document labels are `doc_label_<lang>_<row>`.
trait RowLabels {
    fn clone_with_suffix(&self, row: usize, fields: &[(String, String)]) -> Self;
}

impl RowLabels for domain::recruitment::Texts {
    fn clone_with_suffix(&self, row: usize, fields: &[(String, String)]) -> Self {
        let get = |lang: &str| {
            let key = format!("doc_label_{lang}_{row}");
            fields
                .iter()
                .find(|(n, _)| *n == key)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        domain::recruitment::Texts {
            kk: get("kk"),
            ru: get("ru"),
            en: get("en"),
        }
    }
}

/// `POST /t/{tenant}/programmes/save`: the programme editor's form (tenant admin). Back to the
/// list when saved; back to the form with the error, translated, when not.
pub async fn page_save_programme(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let (locale, session) = who_asks(&request);
    // The address goes back into a redirect: a decoded path segment with a line break in it
    // would not make a header (a 500); no organisation has such an address.
    if !domain::tenancy::Slug::is_exact(&tenant) {
        return ApiError {
            error: Error::NotFound,
            locale,
        }
        .into_response();
    }
    let mut original = String::new();
    let result: Result<(), Error> = async {
        let session = session.ok_or(Error::Unauthenticated)?;
        let axum::extract::Form(fields) = <axum::extract::Form<Vec<(String, String)>> as axum::extract::FromRequest<()>>::from_request(request, &())
            .await
            .map_err(|_| Error::invalid("body", "error-bad-request"))?;
        let field = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        // Whichever way it is refused, it goes back to the editor it came from.
        original = field("original");
        frontend::server::check_csrf(&session, &field("csrf"))
            .map_err(|_| Error::invalid("csrf", "error-csrf"))?;
        let ctx = TenantCtx::resolve(&state.db, &session.actor, &tenant).await?;
        ctx.require_admin()?;
        let (orig, input) = programme_from_form(&fields)?;
        original = orig;
        if original.is_empty() {
            service::create_programme(&state.db, &ctx, &input).await?;
        } else {
            service::update_programme(&state.db, &ctx, &original, &input).await?;
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/t/{tenant}/programmes?saved=1")).into_response(),
        Err(e @ (Error::Unauthenticated | Error::NotFound | Error::Forbidden)) => {
            ApiError { error: e, locale }.into_response()
        }
        Err(e) => {
            // Only a programme's address goes into ours (the field is the sender's to write).
            let which = if original.is_empty() || !domain::tenancy::Slug::is_exact(&original) {
                "new"
            } else {
                &original
            };
            // The message over the form, and the error as a server function gives it: the
            // form comes back with everything typed and the message by its field too.
            let mut message = e.message(locale);
            if let Some(field) = e.field() {
                message = format!("{message} ({field})");
            }
            let page = format!(
                "/t/{tenant}/programmes/{which}/edit?error={}",
                frontend::encode_query_value(&message)
            );
            Redirect::to(&crate::form_echo::refused_to(
                &page,
                &frontend::errors::AppError::from(e),
            ))
            .into_response()
        }
    }
}
