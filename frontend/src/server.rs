//! Server-side helpers for server functions: the application state, the request's session,
//! language and tenant, and the CSRF check. Compiled only with `ssr`.

use axum::http::request::Parts;
use domain::Locale;
use domain::accounts::service::LiveSession;
use domain::tenancy::context::TenantCtx;
use leptos::prelude::*;

use crate::errors::AppError;
use crate::state::AppState;

pub fn state() -> AppState {
    expect_context::<AppState>()
}

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// The language the request was resolved to (see `server::http::locale`).
pub fn request_locale() -> Locale {
    parts()
        .and_then(|p| p.extensions.get::<RequestLocale>().copied())
        .map(|l| l.0)
        .unwrap_or_default()
}

/// Puts the page's Content-Security-Policy on the response: scripts only from us and from the
/// inline scripts Leptos writes with this response's nonce (hydration, resources, our upload
/// script); the wasm may compile; nothing may frame the page; forms post only to us. A script
/// injected into a page (a name someone typed, say) has no nonce and does not run.
pub fn content_security_policy() {
    use axum::http::{HeaderValue, header};
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    if let (Some(r), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&policy),
    ) {
        r.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// The session the server's middleware found for this request, if any.
pub fn session_opt() -> Option<LiveSession> {
    parts().and_then(|p| p.extensions.get::<Option<LiveSession>>().cloned().flatten())
}

pub fn session() -> Result<LiveSession, AppError> {
    session_opt().ok_or(AppError::Domain(domain::Error::Unauthenticated))
}

/// Refuses a state-changing call whose form token does not match the session's.
pub fn check_csrf(session: &LiveSession, token: &str) -> Result<(), AppError> {
    let expected = session.csrf_token.as_bytes();
    let given = token.as_bytes();
    // Length first, then every byte, so the comparison time does not depend on where it differs.
    let same = expected.len() == given.len()
        && expected
            .iter()
            .zip(given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(AppError::Domain(domain::Error::invalid(
            "csrf",
            "error-csrf",
        )))
    }
}

/// The signed-in session, with its CSRF token checked: the start of every change.
pub fn session_for_change(csrf: &str) -> Result<LiveSession, AppError> {
    let s = session()?;
    check_csrf(&s, csrf)?;
    Ok(s)
}

pub async fn tenant_ctx(session: &LiveSession, slug: &str) -> Result<TenantCtx, AppError> {
    Ok(TenantCtx::resolve(&state().db, &session.actor, slug).await?)
}

/// The language a request was resolved to; put into request extensions by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLocale(pub Locale);

/// The low-vision setting of a request (the account's, else the cookie's); put into request
/// extensions by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestDisplay(pub domain::accounts::Display);

/// The low-vision setting the page is drawn with.
pub fn request_display() -> domain::accounts::Display {
    parts()
        .and_then(|p| p.extensions.get::<RequestDisplay>().copied())
        .map(|d| d.0)
        .unwrap_or_default()
}

/// The client's address, put into request extensions by the server (for rate limiting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

pub fn client_ip() -> String {
    parts()
        .and_then(|p| p.extensions.get::<ClientIp>().cloned())
        .map(|c| c.0)
        .unwrap_or_else(|| "unknown".into())
}

/// Sets a cookie on the response.
pub fn set_cookie(value: String) {
    if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
        expect_context::<leptos_axum::ResponseOptions>()
            .append_header(axum::http::header::SET_COOKIE, v);
    }
}

/// The page the form was posted from, for redirecting back after a full-page post.
pub fn referer_path() -> String {
    parts()
        .and_then(|p| {
            p.headers
                .get(axum::http::header::REFERER)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        })
        .and_then(|r| {
            let after_scheme = r.split_once("://").map(|(_, rest)| rest.to_string())?;
            let path = after_scheme
                .find('/')
                .map(|i| after_scheme[i..].to_string())?;
            // Only our own paths, never `//evil.example`.
            (path.starts_with('/') && !path.starts_with("//")).then_some(path)
        })
        .unwrap_or_else(|| "/".into())
}

/// Status code for a page whose loader failed, so refusals are real 401/403/404 responses.
pub fn set_page_status(err: &AppError) {
    use axum::http::StatusCode;
    let status = match err.domain() {
        Some(domain::Error::NotFound) => StatusCode::NOT_FOUND,
        Some(domain::Error::Forbidden) => StatusCode::FORBIDDEN,
        Some(domain::Error::Unauthenticated) => StatusCode::UNAUTHORIZED,
        Some(domain::Error::Invalid { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
        Some(domain::Error::Conflict(_)) => StatusCode::CONFLICT,
        Some(domain::Error::RateLimited { .. }) => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.set_status(status);
    }
}

/// The value of cookie `name` in `headers`, if sent and not empty.
pub fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_string())
        })
}

/// The value of cookie `name` on the current request.
pub fn request_cookie(name: &str) -> Option<String> {
    parts().and_then(|p| cookie_in(&p.headers, name))
}
