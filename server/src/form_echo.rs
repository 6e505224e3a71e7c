//! A refused form comes back with everything that was typed in it.
//!
//! Portal forms post to server functions. When one refuses (a date in the future, a missing
//! field, an expired page), the server function sends the browser back to the page it came from
//! with the error in the address (`__path`, `__err`), and the page showed the error over an
//! empty form: a mentor's whole meeting protocol was lost to a wrong date. Here, for every form
//! at once, with or without the wasm bundle:
//!
//! 1. [`remember_refused_forms`] keeps the fields of a refused form post for a few minutes,
//!    bound to the browser's session cookie (never passwords, tokens or the CSRF field), and
//!    adds `__echo=<key>` to the address it is sent back to;
//! 2. [`refill_echoed_forms`] takes them, once, when that page is rendered, and writes them into
//!    the form that posted them (inputs' values, text areas, selected options, ticked boxes).
//!    The field the error names is marked `aria-invalid`, focused, and gets the message at the
//!    end of its label, in the person's language.
//!
//! The values live in this process's memory only and never in a log: behind several servers
//! without sticky sessions, a page shown by another one comes back empty, as before.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use frontend::accounts::SESSION_COOKIE;
use frontend::errors::AppError;
use frontend::server::{RequestLocale, cookie_in as cookie};
use lol_html::html_content::{ContentType, Element};
use lol_html::{RewriteStrSettings, element, rewrite_str};
use sha2::{Digest, Sha256};

/// How long a refused form's values wait for the page that shows them again.
pub const ECHO_TTL: Duration = Duration::from_secs(10 * 60);
/// At most this many bytes of values wait at once, all browsers together (anyone can have a
/// form refused, so the store is bounded); the oldest go first.
const MAX_STORED_BYTES: usize = 32 * 1024 * 1024;
/// A refused form's values are kept up to this size (a whole meeting protocol is about 25 KB).
const MAX_KEPT_BYTES: usize = 128 * 1024;
/// The largest form body read here: the server's default body limit.
const MAX_FORM_BYTES: usize = 1024 * 1024;
/// A page larger than this is sent as it is.
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Fields never sent back: secrets and the page's own hidden values.
fn kept(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    // The form's own token is drawn afresh with the page that shows it again.
    !(n.contains("password") || n.contains("csrf") || n.contains("token"))
        && n != frontend::forms::ONCE_FIELD
}

/// A refused form's values, waiting.
pub struct Echo {
    /// The session cookie's digest: only the browser that typed them gets them back.
    pub owner: Option<[u8; 32]>,
    /// The server function the form posts to (its `action`).
    pub path: String,
    pub fields: Vec<(String, String)>,
    /// The field the refusal names, and its message in the person's language.
    pub invalid: Option<(String, String)>,
    pub made: Instant,
}

impl Echo {
    fn size(&self) -> usize {
        self.fields.iter().map(|(n, v)| n.len() + v.len()).sum()
    }
}

/// The refused forms waiting to be shown again.
#[derive(Clone, Default)]
pub struct Echoes(Arc<Mutex<HashMap<String, Echo>>>);

impl Echoes {
    /// Keeps `echo`; returns the key the page asks for it by.
    pub fn put(&self, echo: Echo) -> String {
        let key = {
            use rand::Rng;
            let bytes: [u8; 16] = rand::rng().random();
            hex(&bytes)
        };
        let mut all = self.0.lock().expect("echo store");
        all.retain(|_, e| e.made.elapsed() < ECHO_TTL);
        let mut stored: usize = all.values().map(Echo::size).sum();
        while stored + echo.size() > MAX_STORED_BYTES {
            let Some(oldest) = all
                .iter()
                .min_by_key(|(_, e)| e.made)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            stored -= all.remove(&oldest).map_or(0, |e| e.size());
        }
        all.insert(key.clone(), echo);
        key
    }

    /// The echo under `key` for the browser `owner`, once.
    pub fn take(&self, key: &str, owner: Option<[u8; 32]>) -> Option<Echo> {
        let mut all = self.0.lock().expect("echo store");
        let echo = all.remove(key)?;
        (echo.owner == owner && echo.made.elapsed() < ECHO_TTL).then_some(echo)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn owner_of(headers: &axum::http::HeaderMap) -> Option<[u8; 32]> {
    cookie(headers, SESSION_COOKIE).map(|c| Sha256::digest(c.as_bytes()).into())
}

/// A server function's path, as forms name it: `/api/` and a plain name.
pub fn is_server_fn(path: &str) -> bool {
    path.strip_prefix("/api/").is_some_and(|name| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

/// A portal form's action: a server function, or the one plain form handler, the programme
/// editor's `/t/{slug}/programmes/save` (its fields repeat under numbered names, which a server
/// function's arguments cannot read). Both send a refusal back with `__err` in the address.
pub fn is_form_action(path: &str) -> bool {
    is_server_fn(path)
        || path
            .strip_prefix("/t/")
            .and_then(|rest| rest.strip_suffix("/programmes/save"))
            .is_some_and(domain::tenancy::Slug::is_exact)
}

/// The address a plain form handler sends a refused form back to: `page` with the error as a
/// server function puts it (`__err`, URL-safe base64 of its JSON), so the form comes back
/// with what was typed as every other form does.
pub fn refused_to(page: &str, error: &AppError) -> String {
    let json = serde_json::to_vec(error).unwrap_or_default();
    let encoded = base64::engine::general_purpose::URL_SAFE.encode(json);
    let sep = if page.contains('?') { '&' } else { '?' };
    format!("{page}{sep}__err={encoded}")
}

/// Step 1: keeps the fields of a form post a server function refused.
pub async fn remember_refused_forms(
    State(echoes): State<Echoes>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let from_a_form = req.method() == Method::POST
        && is_form_action(&path)
        && header_has(
            &req,
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        && header_has(&req, header::ACCEPT, "text/html");
    if !from_a_form {
        return next.run(req).await;
    }
    let owner = owner_of(req.headers());
    let locale = req
        .extensions()
        .get::<RequestLocale>()
        .map(|l| l.0)
        .unwrap_or_default();
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes)
        .filter(|(name, _)| kept(name))
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    let mut res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let Some(location) = res
        .headers()
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned)
    else {
        return res;
    };
    if !res.status().is_redirection() {
        return res;
    }
    if fields.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>() > MAX_KEPT_BYTES {
        return res;
    }
    let (base, query) = location.split_once('?').unwrap_or((&location, ""));
    let Some(error) = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "__err")
        .and_then(|(_, v)| decode_error(&v))
    else {
        // Not a refusal (or not one of ours): the form's values are not needed.
        return res;
    };
    let invalid = match error.domain() {
        Some(domain::Error::Invalid { field, .. }) => Some((field.clone(), error.message(locale))),
        _ => None,
    };
    let key = echoes.put(Echo {
        owner,
        path,
        fields,
        invalid,
        made: Instant::now(),
    });
    // The key goes first; the rest of the address stays as the server function wrote it,
    // but for an older echo's key and an earlier success's notice (`done=`): the refusal is
    // the one message the page shows (issue 19, principle 3).
    let mut address = format!("{base}?__echo={key}");
    for pair in query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("__echo=") && !p.starts_with("done="))
    {
        address.push('&');
        address.push_str(pair);
    }
    if let Ok(v) = HeaderValue::from_str(&address) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

fn header_has(req: &Request, name: header::HeaderName, needle: &str) -> bool {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(needle))
}

/// The error a server function put in the address (`__err`: URL-safe base64 of its JSON).
fn decode_error(encoded: &str) -> Option<AppError> {
    let json = base64::engine::general_purpose::URL_SAFE
        .decode(encoded)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

/// Step 2: writes a refused form's values back into the page that shows it again.
pub async fn refill_echoed_forms(
    State(echoes): State<Echoes>,
    req: Request,
    next: Next,
) -> Response {
    let key = (req.method() == Method::GET)
        .then(|| req.uri().query())
        .flatten()
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "__echo")
                .map(|(_, v)| v.into_owned())
        });
    let Some(key) = key else {
        return next.run(req).await;
    };
    let echo = echoes.take(&key, owner_of(req.headers()));
    let res = next.run(req).await;
    let Some(echo) = echo else {
        return res;
    };
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let page = String::from_utf8_lossy(&bytes);
    let out = refill(&page, &echo).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "a refused form could not be refilled");
        page.into_owned()
    });
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(out))
}

/// What the handlers share while one page is rewritten.
#[derive(Default)]
struct Refill {
    /// False once a hidden field of the form being visited differs from what was posted: a
    /// page can have several forms posting to one server function (one per document, say),
    /// and only the one that was sent gets its values back. Hidden fields come first.
    this_form: bool,
    /// How many times each field name has been filled (several inputs can share a name).
    used: HashMap<String, usize>,
    /// The `<select>` whose options are being visited.
    select: Option<String>,
    /// The message waits here from the invalid field to the end of its label.
    message: Option<String>,
}

/// `page` with `echo`'s values in the form that posts to `echo.path`.
pub fn refill(page: &str, echo: &Echo) -> Result<String, lol_html::errors::RewritingError> {
    if !is_form_action(&echo.path) {
        return Ok(page.to_owned());
    }
    let form = format!(r#"form[action="{}"]"#, echo.path);
    let state = Rc::new(RefCell::new(Refill::default()));
    let values = |name: &str| -> Vec<&str> {
        echo.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let invalid_field = echo.invalid.as_ref().map(|(f, _)| f.as_str());
    let mark = |el: &mut Element, name: &str, state: &Rc<RefCell<Refill>>| {
        if Some(name) == invalid_field {
            let _ = el.set_attribute("aria-invalid", "true");
            let _ = el.set_attribute("autofocus", "");
            let _ = el.set_attribute("aria-describedby", "echo-error");
            state.borrow_mut().message = echo.invalid.as_ref().map(|(_, m)| m.clone());
        }
    };
    let form_state = state.clone();
    let input_state = state.clone();
    let textarea_state = state.clone();
    let select_state = state.clone();
    let option_state = state.clone();
    let label_state = state.clone();
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!(form.clone(), move |_| {
            let mut state = form_state.borrow_mut();
            state.this_form = true;
            state.used.clear();
            state.select = None;
            Ok(())
        }))
        .append_element_content_handler(element!(format!("{form} label"), move |el| {
            let state = label_state.clone();
            // The message goes at the end of the label of the field it concerns: inside it,
            // after everything the page put there, so hydration finds the page as it made it.
            el.on_end_tag(lol_html::end_tag!(move |end| {
                if let Some(message) = state.borrow_mut().message.take() {
                    end.before(
                        &format!(
                            r#"<span class="field-error" id="echo-error">{}</span>"#,
                            escape(&message)
                        ),
                        ContentType::Html,
                    );
                }
                Ok(())
            }))
        }))
        .append_element_content_handler(element!(format!("{form} input[name]"), move |el| {
            let name = el.get_attribute("name").unwrap_or_default();
            let kind = el
                .get_attribute("type")
                .unwrap_or_else(|| "text".into())
                .to_ascii_lowercase();
            if kind == "hidden" && kept(&name) {
                let posted = values(&name);
                let shown = el.get_attribute("value").unwrap_or_default();
                if !posted.is_empty() && !posted.contains(&shown.as_str()) {
                    input_state.borrow_mut().this_form = false;
                }
                return Ok(());
            }
            if !input_state.borrow().this_form {
                return Ok(());
            }
            if !kept(&name)
                || [
                    "hidden", "password", "file", "submit", "button", "reset", "image",
                ]
                .contains(&kind.as_str())
            {
                return Ok(());
            }
            let typed = values(&name);
            if kind == "checkbox" || kind == "radio" {
                let value = el.get_attribute("value").unwrap_or_else(|| "on".into());
                if typed.contains(&value.as_str()) {
                    el.set_attribute("checked", "")?;
                } else {
                    el.remove_attribute("checked");
                }
            } else {
                let mut state = input_state.borrow_mut();
                let n = state.used.entry(name.clone()).or_default();
                if let Some(v) = typed.get(*n) {
                    el.set_attribute("value", v)?;
                }
                *n += 1;
            }
            mark(el, &name, &input_state);
            Ok(())
        }))
        .append_element_content_handler(element!(format!("{form} textarea[name]"), move |el| {
            let name = el.get_attribute("name").unwrap_or_default();
            if !kept(&name) || !textarea_state.borrow().this_form {
                return Ok(());
            }
            let typed = values(&name);
            let n = {
                let mut state = textarea_state.borrow_mut();
                let n = state.used.entry(name.clone()).or_default();
                let this = *n;
                *n += 1;
                this
            };
            if let Some(v) = typed.get(n) {
                el.set_inner_content(v, ContentType::Text);
            }
            mark(el, &name, &textarea_state);
            Ok(())
        }))
        .append_element_content_handler(element!(format!("{form} select[name]"), move |el| {
            let name = el.get_attribute("name").unwrap_or_default();
            let known = kept(&name) && !values(&name).is_empty() && select_state.borrow().this_form;
            select_state.borrow_mut().select = known.then(|| name.clone());
            if known {
                mark(el, &name, &select_state);
            }
            Ok(())
        }))
        .append_element_content_handler(element!(format!("{form} option"), move |el| {
            let Some(name) = option_state.borrow().select.clone() else {
                return Ok(());
            };
            if let Some(value) = el.get_attribute("value") {
                if values(&name).contains(&value.as_str()) {
                    el.set_attribute("selected", "")?;
                } else {
                    el.remove_attribute("selected");
                }
            }
            Ok(())
        }));
    rewrite_str(page, settings)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
