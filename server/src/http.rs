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
use frontend::accounts::{DISPLAY_COOKIE, LANG_COOKIE, SESSION_COOKIE};
use frontend::server::{ClientIp, RequestDisplay, RequestLocale, cookie_in as cookie};
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
    let display = match &session {
        Some(s) => s.actor.display,
        None => cookie(req.headers(), DISPLAY_COOKIE)
            .map(|c| domain::accounts::Display::from_classes(&c))
            .unwrap_or_default(),
    };
    if let Some(s) = &session {
        tracing::Span::current().record("user_id", tracing::field::display(s.actor.user_id));
    }
    req.extensions_mut().insert(session);
    req.extensions_mut().insert(RequestLocale(locale));
    req.extensions_mut().insert(RequestDisplay(display));
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

/// Whether people reach us over https (`USTAZ_PUBLIC_URL`): browsers are then told to come
/// back over https only.
#[derive(Clone, Copy, Debug)]
pub struct OverHttps(pub bool);

/// Hardening headers on every response that has not set its own: no content-type sniffing, no
/// framing (clickjacking), the address (which may hold a one-time token) never sent to another
/// site, and, over https, Strict-Transport-Security. Pages set their own
/// Content-Security-Policy with the response's nonce (`frontend::server::content_security_policy`);
/// anything else may load nothing and run nothing.
pub async fn security_headers(
    State(https): State<OverHttps>,
    req: Request,
    next: Next,
) -> Response {
    use axum::http::HeaderValue;
    // The service worker runs under its own script's policy: it fetches this site's pages.
    let worker = req.uri().path() == "/sw.js";
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(if worker {
            "default-src 'self'; frame-ancestors 'none'"
        } else if html {
            // A page rendered without our shell (an error page): styles and our scripts only.
            "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        } else {
            "default-src 'none'; frame-ancestors 'none'; sandbox"
        }));
    if https.0 {
        h.entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static(
                "max-age=31536000; includeSubDomains",
            ));
    }
    res
}

// ---------------------------------------------------------------- compression and caching

/// Whether an answer is text worth compressing on the way out (pages, JSON, CSS, scripts, SVG,
/// CSV, an uncompressed bundle in development). Files people uploaded (PDFs, images) are
/// compressed already; a stream of events must not wait for a compressor's buffer.
pub fn is_text(
    _: StatusCode,
    _: axum::http::Version,
    headers: &HeaderMap,
    _: &axum::http::Extensions,
) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|t| t.split(';').next().unwrap_or_default().trim())
        .is_some_and(|t| {
            (t.starts_with("text/") && t != "text/event-stream")
                || matches!(
                    t,
                    "application/json"
                        | "application/javascript"
                        | "application/wasm"
                        | "image/svg+xml"
                )
        })
}

/// A page asked for from another site (by its link, image or form) is sent uncompressed. The
/// compressed size of a page that holds a secret (the CSRF token) and text an attacker put in
/// its address would let them guess the secret a character at a time (BREACH). Our own pages,
/// asked for by our own pages, and the bundle's files, which hold no secret, are compressed.
pub async fn uncompressed_across_sites(mut req: Request, next: Next) -> Response {
    let from_elsewhere = req
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|v| v != "same-origin" && v != "none");
    if from_elsewhere && !req.uri().path().starts_with("/pkg/") {
        req.headers_mut().remove(header::ACCEPT_ENCODING);
    }
    next.run(req).await
}

/// `ustaz.<16 hex digits>.<ext>`: a bundle file named by its content (`cargo xtask` names them).
pub fn is_content_named(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3
        && parts[0] == "ustaz"
        && parts[1].len() == 16
        && parts[1].chars().all(|c| c.is_ascii_hexdigit())
}

/// The site's own files at its root (`frontend/public`): asked about on each use. The service
/// worker above all: a browser checks it for changes on each visit anyway, and a stale copy
/// would keep an old worker.
const PUBLIC_FILES: [&str; 5] = [
    "/favicon.svg",
    "/sw.js",
    "/manifest.webmanifest",
    "/icon-192.png",
    "/icon-512.png",
];

/// How long a browser keeps a static file (issue 20): the bundle's content-named files a year,
/// without asking again (a new build has new names); other static files are asked about each
/// time, cheaply (`If-Modified-Since` gets a 304). Pages are not touched: Back shows the page as
/// it was, so a form sent again from it is known as a repeat (`form_once`).
pub async fn static_caching(req: Request, next: Next) -> Response {
    use axum::http::HeaderValue;
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    let kept = matches!(res.status(), StatusCode::OK | StatusCode::NOT_MODIFIED);
    if kept && (path.starts_with("/pkg/") || PUBLIC_FILES.contains(&path.as_str())) {
        let name = path.rsplit('/').next().unwrap_or_default();
        let policy = if is_content_named(name) {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    res
}

// ---------------------------------------------------------------- unread request bodies

/// How much of a request body a refusal reads before answering, so the connection stays usable.
const DRAIN_BYTES: usize = 256 * 1024;
/// And for how long at most.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// The request body, shared between the handler and [`finish_request_body`], which takes back
/// what the handler left unread.
struct SharedBody(Arc<std::sync::Mutex<Option<axum::body::Body>>>);

impl http_body::Body for SharedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, axum::Error>>> {
        let mut slot = self.0.lock().expect("not poisoned");
        match slot.as_mut() {
            Some(body) => http_body::Body::poll_frame(std::pin::Pin::new(body), cx),
            None => std::task::Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.0
            .lock()
            .map(|s| s.as_ref().is_none_or(http_body::Body::is_end_stream))
            .unwrap_or(true)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.0
            .lock()
            .ok()
            .and_then(|s| s.as_ref().map(http_body::Body::size_hint))
            .unwrap_or_default()
    }
}

/// A request answered before its body was read (a 401 from the token check, a 404 for another
/// tenant, a 413 by the declared length) left the rest of the body on the connection: the
/// server then closed it, sometimes with a reset that failed the client's next request on it.
/// Now the rest is read (up to [`DRAIN_BYTES`], within [`DRAIN_TIME`]) before the answer goes,
/// and the connection stays open; a body larger than that gets `Connection: close`, so a
/// well-behaved client opens a new connection instead of reusing a closing one.
pub async fn finish_request_body(req: Request, next: Next) -> Response {
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() != "0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    if !has_body {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let slot = Arc::new(std::sync::Mutex::new(Some(body)));
    let req = Request::from_parts(parts, axum::body::Body::new(SharedBody(slot.clone())));
    let mut res = next.run(req).await;
    let rest = slot.lock().expect("not poisoned").take();
    if let Some(mut rest) = rest
        && !http_body::Body::is_end_stream(&rest)
        && !drain(&mut rest).await
    {
        res.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    res
}

/// Reads and drops what is left of a body; `true` when it ended within the bounds.
async fn drain(body: &mut axum::body::Body) -> bool {
    let work = async {
        let mut seen = 0usize;
        loop {
            let frame = std::future::poll_fn(|cx| {
                http_body::Body::poll_frame(std::pin::Pin::new(&mut *body), cx)
            })
            .await;
            match frame {
                None => return true,
                Some(Ok(frame)) => {
                    seen += frame.data_ref().map_or(0, |d| d.len());
                    if seen > DRAIN_BYTES {
                        return false;
                    }
                }
                Some(Err(_)) => return false,
            }
        }
    };
    tokio::time::timeout(DRAIN_TIME, work)
        .await
        .unwrap_or(false)
}

/// How long a request may run before the log says so (and again each time as long again).
const SLOW_REQUEST: std::time::Duration = std::time::Duration::from_secs(20);

/// Says in the log, at warning level and inside the request's span (method, path, request id),
/// when a request has been running for [`SLOW_REQUEST`] and every [`SLOW_REQUEST`] after, with
/// how busy the database pool is. A page that never answers (the README's known problems) then
/// leaves a trace of where it waits instead of silence.
pub async fn warn_when_slow(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let answer = next.run(req);
    tokio::pin!(answer);
    let mut waited = std::time::Duration::ZERO;
    loop {
        match tokio::time::timeout(SLOW_REQUEST, &mut answer).await {
            Ok(res) => return res,
            Err(_) => {
                waited += SLOW_REQUEST;
                let (connections, idle) = pool_use(&state.db);
                tracing::warn!(
                    seconds = waited.as_secs(),
                    connections,
                    idle,
                    "request still running"
                );
            }
        }
    }
}

/// Counts the request and its time by route pattern, for `/metrics` (worker::metrics): never
/// the address itself, which holds ids and tokens. Pages outside the router's patterns (files,
/// the not-found page) count as `other`.
pub async fn count_request(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "other".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    worker::metrics::request(
        &route,
        method.as_str(),
        res.status().as_u16(),
        started.elapsed(),
    );
    res
}

/// The pool's open and idle connections (`0, 0` where the pool does not say).
fn pool_use(db: &sea_orm::DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle())
        }
        sea_orm::DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle())
        }
        _ => (0, 0),
    }
}
