//! Request plumbing shared by pages and the API: who is asking (session cookie), in which
//! language, from where, and the cross-site request check for cookie-authenticated changes.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::Locale;
use domain::accounts::service::{self, LiveSession};
use frontend::accounts::{LANG_COOKIE, SESSION_COOKIE};
use frontend::server::{ClientIp, RequestLocale, cookie_in as cookie};
use frontend::state::AppState;
use ipnet::IpNet;

/// Resolves the session and language of page and server-function requests and records the
/// user on the request's span. The API (`/api/v1`) authenticates with bearer tokens instead.
pub async fn request_context(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if path.starts_with("/pkg/")
        || path.starts_with("/api/v1/")
        || path == "/healthz"
        || path == "/readyz"
    {
        return next.run(req).await;
    }
    let session: Option<LiveSession> = match cookie(req.headers(), SESSION_COOKIE) {
        Some(c) => match service::resume_session(&state.db, &c).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "session lookup failed");
                None
            }
        },
        _ => None,
    };
    let locale = session
        .as_ref()
        .map(|s| s.actor.locale)
        .or_else(|| cookie(req.headers(), LANG_COOKIE).and_then(|l| l.parse().ok()))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or_default();
    if let Some(s) = &session {
        tracing::Span::current().record("user_id", tracing::field::display(s.actor.user_id));
    }
    req.extensions_mut().insert(session);
    req.extensions_mut().insert(RequestLocale(locale));
    next.run(req).await
}

/// Our own proxies (`USTAZ_TRUSTED_PROXIES`).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Arc<Vec<IpNet>>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client's address. A request from one of our proxies carries the client's address in
    /// `X-Forwarded-For`, each proxy appending the address it was reached from: walking from
    /// the right past our own proxies, the first other address is the client. Anything further
    /// left was written by the client and is not believed, nor is the header of anyone who is
    /// not one of our proxies.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// Puts the client's address on every request ([`ClientIp`]): sign-in limits and the audit
/// log count people, not the load balancer in front of them.
pub async fn client_address(
    State(trusted): State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| trusted.client_ip(c.0.ip(), req.headers()).to_string())
        .unwrap_or_else(|| "unknown".into());
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

/// Refuses state-changing requests that a browser says came from another site. Session cookies
/// are also SameSite=Lax and every form carries a CSRF token; this is the wall in front of both.
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.uri().path().starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let cross_site = match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some("null") => true,
        Some(origin) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        None => headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site"),
    };
    if cross_site {
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    next.run(req).await
}

/// Records the tenant of `/t/{slug}/…` and `/api/v1/t/{slug}/…` requests on the span. Slugs are
/// not personal data; user ids are recorded where the user is resolved.
pub fn tenant_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api/v1").unwrap_or(path);
    rest.strip_prefix("/t/")?.split('/').next()
}
