//! A form is carried out once (issue 19, principle 2): Back and Save, a double click or a
//! retry after a timeout does not make a second protocol, vote or session.
//!
//! Every portal form carries a token drawn with it (`once`, written by `frontend::forms::keys`
//! beside the CSRF field). For a form post to a server function (or the programme editor's
//! plain handler, `form_echo::is_form_action`) from a signed-in browser this
//! layer asks `domain::accounts::submissions` first: a new submission is carried out and its
//! answer written down; a repeat is not carried out again but answered as the first was — a
//! redirect to the same page with `again=1`, where the page says it was already done and shows
//! it, or the server function's first result. A refused form is forgotten, so it can be sent
//! again once corrected. Page loads by server function carry no token and pass untouched.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::accounts::submissions::{self, Answer, Claim};
use frontend::accounts::SESSION_COOKIE;
use frontend::forms::ONCE_FIELD;
use frontend::server::cookie_in;
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};

use crate::form_echo::is_form_action;

/// The largest form body read here: the server's default body limit.
const MAX_FORM_BYTES: usize = 1024 * 1024;
/// A server function's answer larger than this is not kept (ours are a few bytes of JSON).
const MAX_KEPT_ANSWER: usize = 64 * 1024;
/// The header a repeated answer carries, for scripts and tests.
pub const REPEAT_HEADER: &str = "ustaz-repeat";

/// Fields that differ between two sendings of the same form and say nothing about what it does.
fn compared(name: &str) -> bool {
    name != "csrf" && name != ONCE_FIELD
}

/// The digest of what a form says: its action and its fields, in order, but for the CSRF field
/// and the token.
pub fn digest(action: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(action.as_bytes());
    for (name, value) in form_urlencoded::parse(body).filter(|(n, _)| compared(n)) {
        h.update([0]);
        h.update(name.as_bytes());
        h.update([1]);
        h.update(value.as_bytes());
    }
    hex::encode(h.finalize())
}

pub async fn once_per_form(
    State(db): State<DatabaseConnection>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let is_form = req.method() == Method::POST
        && is_form_action(&path)
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let owner = cookie_in(req.headers(), SESSION_COOKIE).map(|c| hex::encode(Sha256::digest(c)));
    let (true, Some(owner)) = (is_form, owner) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let token = form_urlencoded::parse(&bytes)
        .find(|(n, _)| n == ONCE_FIELD)
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty() && t.len() <= 64);
    let req = Request::from_parts(parts, Body::from(bytes.clone()));
    let Some(token) = token else {
        return next.run(req).await;
    };
    let id = match submissions::claim(&db, &owner, &token, &path, &digest(&path, &bytes)).await {
        Ok(Claim::New(id)) => id,
        Ok(Claim::Repeat(answer)) => return replay(&answer),
        Err(e) => return crate::errors::ApiError::from(e).into_response(),
    };
    let res = next.run(req).await;
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let refused = res.status().as_u16() >= 400
        || location
            .as_deref()
            .is_some_and(|l| l.contains("__err=") || l.contains("__echo="));
    if refused {
        if let Err(e) = submissions::release(&db, id).await {
            tracing::warn!(error = %e, "a refused form's token could not be released");
        }
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        // The answer broke off while being sent: nothing to keep, and the form may be sent again.
        let _ = submissions::release(&db, id).await;
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // Larger than any answer of ours: carried out, but a repeat gets an empty answer.
    let kept = if bytes.len() <= MAX_KEPT_ANSWER {
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        tracing::warn!(%path, "a form's answer is too large to keep for a repeat");
        String::new()
    };
    let answer = Answer {
        status: parts.status.as_u16(),
        location,
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: kept,
    };
    if let Err(e) = submissions::finish(&db, id, &answer).await {
        tracing::warn!(error = %e, "a form's answer could not be kept for a repeat");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The API's idempotency key (issue 20): a phone that sent a protocol while its connection
/// dropped does not know whether it arrived, and sends it again with the same key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// An API request (`POST /api/v1/…` with a JSON body) that carries an `Idempotency-Key` is
/// carried out once per key and bearer token: the same key again gets the first answer (with
/// `ustaz-repeat: 1`), not a second protocol; the same key for another request is refused. A
/// refused request is forgotten, so it may be sent again once corrected. Requests without the
/// header, and uploads (multipart), pass untouched.
pub async fn once_per_idempotency_key(
    State(db): State<DatabaseConnection>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let key = req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(str::to_owned));
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // Bound to the bearer token: one person's key never answers another's request.
    let owner = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| format!("api:{}", hex::encode(Sha256::digest(v.as_bytes()))));
    let (true, true, true, Some(key), Some(owner)) = (
        req.method() == Method::POST,
        path.starts_with("/api/v1/"),
        json,
        key,
        owner,
    ) else {
        return next.run(req).await;
    };
    let key = match key {
        Ok(k) if !k.is_empty() && k.len() <= 64 && k.bytes().all(|b| b.is_ascii_graphic()) => k,
        _ => {
            return crate::errors::ApiError::from(domain::Error::invalid(
                "Idempotency-Key",
                "error-idempotency-key-invalid",
            ))
            .into_response();
        }
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let mut h = Sha256::new();
    h.update(path.as_bytes());
    h.update([0]);
    h.update(&bytes);
    let digest = hex::encode(h.finalize());
    let req = Request::from_parts(parts, Body::from(bytes));
    let id = match submissions::claim_key(&db, &owner, &key, &path, &digest).await {
        Ok(Claim::New(id)) => id,
        Ok(Claim::Repeat(answer)) => return replay(&answer),
        Err(e) => return crate::errors::ApiError::from(e).into_response(),
    };
    let res = next.run(req).await;
    if res.status().as_u16() >= 400 {
        if let Err(e) = submissions::release(&db, id).await {
            tracing::warn!(error = %e, "a refused request's key could not be released");
        }
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        let _ = submissions::release(&db, id).await;
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let answer = Answer {
        status: parts.status.as_u16(),
        location: parts
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: if bytes.len() <= MAX_KEPT_ANSWER {
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            String::new()
        },
    };
    if let Err(e) = submissions::finish(&db, id, &answer).await {
        tracing::warn!(error = %e, "a request's answer could not be kept for a repeat");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The first answer again, marked as a repeat: a redirect goes to the same page with
/// `again=1` (the page says it was already done), a result is given as it was.
fn replay(answer: &Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut res = Response::new(Body::from(answer.body.clone()));
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(REPEAT_HEADER, HeaderValue::from_static("1"));
    if let Some(v) = answer
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Some(v) = answer
        .location
        .as_deref()
        .and_then(|l| HeaderValue::from_str(&again(l)).ok())
    {
        headers.insert(header::LOCATION, v);
    }
    res
}

/// `location` with `again=1` in its query (before any fragment).
pub fn again(location: &str) -> String {
    let (rest, fragment) = match location.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (location, None),
    };
    let mut out = match rest.split_once('?') {
        Some((base, query)) if !query.is_empty() => format!("{base}?{query}&again=1"),
        Some((base, _)) => format!("{base}?again=1"),
        None => format!("{rest}?again=1"),
    };
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}
