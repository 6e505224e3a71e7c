//! The error server functions return: a domain error (shown translated) or a transport failure.

use domain::{Error, Locale};
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Domain(Error),
    #[error("{0}")]
    Transport(String),
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Domain(e)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;
    fn from_server_fn_error(e: ServerFnErrorErr) -> Self {
        AppError::Transport(e.to_string())
    }
}

impl AppError {
    pub fn message(&self, locale: Locale) -> String {
        match self {
            AppError::Domain(e) => e.message(locale),
            AppError::Transport(_) => locale.t("error-bad-request"),
        }
    }

    pub fn domain(&self) -> Option<&Error> {
        match self {
            AppError::Domain(e) => Some(e),
            AppError::Transport(_) => None,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Shows an action's error, translated, with `role="alert"` for screen readers.
#[component]
pub fn ErrorNote(error: AppError, locale: Locale) -> impl IntoView {
    // Rules that are not met come as a heading and one line per rule.
    let items: Vec<String> = match error.domain() {
        Some(Error::Unmet { items, .. }) => items.iter().map(|u| u.message(locale)).collect(),
        _ => Vec::new(),
    };
    view! {
        // `refusal`: while one is on the page, no earlier success notice shows (main.css).
        <div class="error refusal" role="alert">
            <p>{error.message(locale)}</p>
            {(!items.is_empty()).then(|| view! {
                <ul class="unmet">{items.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
            })}
        </div>
    }
}

/// A page's loaded data, or the view of its error: refusals become real 401/403/404 responses
/// on the server (so tests and crawlers see them) and a translated message on the page.
pub fn loaded<T>(data: AppResult<T>, locale: Locale) -> Result<T, AnyView> {
    data.map_err(|e| {
        #[cfg(feature = "ssr")]
        crate::server::set_page_status(&e);
        view! { <section class="card"><ErrorNote error=e locale=locale/></section> }.into_any()
    })
}
