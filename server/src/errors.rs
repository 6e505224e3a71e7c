//! Errors at the HTTP edge. Domain services return `domain::Error`; this module maps it to a
//! status and a JSON body once, for every API handler. Pages map it in `frontend::server`.
//!
//! Body: `{"error": "<i18n key>", "message": "<text in the caller's language>", "field": …}`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
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

pub fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::Unauthenticated => StatusCode::UNAUTHORIZED,
        Error::Invalid { code, .. } if code == "error-credentials" => StatusCode::UNAUTHORIZED,
        Error::Invalid { code, .. } if code == "error-body-too-large" => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
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
