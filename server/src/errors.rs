//! Errors at the HTTP edge. Domain services return `domain::Error`; this module maps it to a
//! status and a JSON body once, for every API handler. Pages map it in `frontend::server`.
//!
//! Body: `{"error": "<i18n key>", "message": "<text in the caller's language>", "field": …}`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::{Error, Locale};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub error: Error,
    pub locale: Locale,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `error-email-invalid`.
    pub error: String,
    /// Human-readable message in the caller's language.
    pub message: String,
    /// The input field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Each rule not met (eligibility, or what an application still lacks).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<ReasonBody>,
    /// The real type of a refused file, from its bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected_type: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonBody {
    /// Stable code of the rule, e.g. `unmet-min-age`.
    pub code: String,
    pub message: String,
    /// The numbers in the message (`min`, `age`, …).
    pub args: std::collections::BTreeMap<String, String>,
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError {
            error,
            locale: Locale::En,
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let code = match rejection {
            JsonRejection::BytesRejection(_) => "error-body-too-large",
            _ => "error-bad-request",
        };
        Error::invalid("body", code).into()
    }
}

impl From<QueryRejection> for ApiError {
    fn from(_: QueryRejection) -> Self {
        Error::invalid("query", "error-bad-query").into()
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        Error::invalid("path", "error-bad-path").into()
    }
}

pub fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::Unauthenticated => StatusCode::UNAUTHORIZED,
        Error::Invalid { code, .. } if code == "error-credentials" => StatusCode::UNAUTHORIZED,
        Error::Invalid { code, .. } if code == "error-body-too-large" => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        Error::Invalid { code, .. } if code == "error-bad-path" => StatusCode::NOT_FOUND,
        Error::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Unmet { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::UnsupportedType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        Error::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.error);
        let body = ErrorBody {
            error: self.error.code().to_string(),
            message: self.error.message(self.locale),
            field: self.error.field().map(String::from),
            reasons: match &self.error {
                Error::Unmet { items, .. } => items
                    .iter()
                    .map(|u| ReasonBody {
                        code: u.code.clone(),
                        message: u.message(self.locale),
                        args: u.args.clone(),
                    })
                    .collect(),
                _ => Vec::new(),
            },
            detected_type: match &self.error {
                Error::UnsupportedType { detected, .. } => detected.clone(),
                _ => None,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Error::RateLimited { retry_after_secs } = self.error
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Every refusal under `/api/v1/` in the documented body. Our handlers and extractors already
/// answer so; this catches whatever answers before them or without them (a route that does not
/// exist, a method a route does not have, a layer's own refusal), so a client never has to
/// parse plain text. The status and the `Allow` and `Retry-After` headers stay as they were.
/// (The portal's server functions, under `/api/` too, answer in their own encoding.)
pub async fn api_refusals(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if !req.uri().path().starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    let status = res.status();
    let json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let error = match status {
        StatusCode::NOT_FOUND => Error::NotFound,
        StatusCode::UNAUTHORIZED => Error::Unauthenticated,
        StatusCode::FORBIDDEN => Error::Forbidden,
        StatusCode::PAYLOAD_TOO_LARGE => Error::invalid("body", "error-body-too-large"),
        StatusCode::METHOD_NOT_ALLOWED => Error::invalid("method", "error-method-not-allowed"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::invalid("body", "error-bad-content-type"),
        s if s.is_server_error() => {
            let reference = uuid::Uuid::now_v7().to_string();
            tracing::error!(%reference, %status, "a refusal without a body of ours");
            Error::Internal { reference }
        }
        _ => Error::invalid("body", "error-bad-request"),
    };
    let mut out = ApiError::from(error).into_response();
    *out.status_mut() = status;
    for name in [axum::http::header::ALLOW, axum::http::header::RETRY_AFTER] {
        if let Some(v) = res.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

/// `/api/v1/…` that names no operation: 404 with its own code, so a client (and the test that
/// holds the OpenAPI document against the routes) tells a wrong address from a missing record.
pub async fn unknown_operation() -> Response {
    let mut res = ApiError::from(Error::invalid("path", "error-unknown-operation")).into_response();
    *res.status_mut() = StatusCode::NOT_FOUND;
    res
}

/// A server function's refusal with the status it means. Leptos answers every server function
/// error with 500, so a wrong date, a taken slug or another tenant's id looked like a crash: the
/// access log wrote ERROR for a person's typo, drowning real alerts. The error is in the body
/// (our `AppError`, JSON) and the `serverfnerror` header marks it; the status follows the same
/// table as the API's ([`status_of`]), an unreadable argument is 400, and only an internal
/// error stays 500. The browser's client reads any 4xx or 5xx body the same way.
pub async fn server_fn_statuses(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // An error body is a few hundred bytes; a larger one is passed on as it is.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    parts.status = match serde_json::from_slice::<frontend::errors::AppError>(&bytes) {
        Ok(frontend::errors::AppError::Domain(e)) => status_of(&e),
        Ok(frontend::errors::AppError::Transport(_)) => StatusCode::BAD_REQUEST,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
