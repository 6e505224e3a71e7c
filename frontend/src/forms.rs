//! What every portal page shares about forms and dates: reading typed values out of plain form
//! fields (on the server, naming the field when one does not parse) and writing dates and times
//! as people here read them (the same in all three languages).

#[cfg(feature = "ssr")]
use crate::errors::AppError;

/// The name of the token every form carries so that it is carried out once (the server's
/// `form_once` layer reads it).
pub const ONCE_FIELD: &str = "once";

/// The hidden fields every form that changes something carries: the session's CSRF token, and
/// a token of its own drawn with the form, by which a second sending of it (Back and Save, a
/// double click, a retry) is recognised and not carried out again (issue 19, principle 2).
/// Hydration keeps the value the server drew.
pub fn keys(csrf: String) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let once = uuid::Uuid::new_v4().simple().to_string();
    view! {
        <input type="hidden" name="csrf" value=csrf/>
        <input type="hidden" name=ONCE_FIELD value=once/>
    }
}

/// Turns a form's text into a typed value, naming the field when it does not parse.
#[cfg(feature = "ssr")]
pub fn parse<T: std::str::FromStr>(field: &str, raw: &str, code: &str) -> Result<T, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::Domain(domain::Error::invalid(field, code)))
}

/// An optional form field: empty is `None`.
#[cfg(feature = "ssr")]
pub fn optional<T: std::str::FromStr>(
    field: &str,
    raw: &str,
    code: &str,
) -> Result<Option<T>, AppError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse(field, raw, code).map(Some)
    }
}

/// The id a page is about, from its route parameter `name` (nil when it does not parse, which
/// the server answers with 404).
pub fn route_id(
    params: leptos::prelude::Memo<leptos_router::params::ParamsMap>,
    name: &'static str,
) -> impl Fn() -> uuid::Uuid + Copy + Send + Sync + 'static {
    use leptos::prelude::Read;
    move || {
        params
            .read()
            .get(name)
            .and_then(|i| i.parse::<uuid::Uuid>().ok())
            .unwrap_or_default()
    }
}

/// Languages by their names in `l` (`kk, ru` reads "Казахский, Русский"); a code the
/// portal has no name for stays as it is.
pub fn languages(l: domain::Locale, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| match c.parse::<domain::Locale>() {
            Ok(known) => l.t(&format!("language-{}", known.code())),
            Err(_) => c.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A date as people in Kazakhstan write it.
pub fn date(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// A moment as the organisation's clock read it (the server gives every moment it shows with
/// the tenant's offset: `domain::Moment`), as people in Kazakhstan write it.
pub fn when(t: domain::Moment) -> String {
    t.format("%d.%m.%Y %H:%M").to_string()
}
