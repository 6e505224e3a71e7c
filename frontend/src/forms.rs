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

/// A language switch posts its own small form and the page comes back in the other language:
/// what was typed into the page's other forms, and not yet sent, would be lost (issue 19,
/// principle 1). Just before the switch is sent, the typed values (never hidden fields,
/// passwords or files) wait in the tab's session storage; the page that comes back at the
/// same address puts them back into the same fields.
pub const CARRY_SCRIPT: &str = r#"
(function () {
  var KEY = 'ustaz-typed';
  var here = function () { return location.pathname + location.search; };
  var skipped = /^(hidden|password|file|submit|button|reset|image)$/;
  document.addEventListener('submit', function (ev) {
    var f = ev.target;
    if (!f.matches || !f.matches('.lang form')) return;
    var typed = [];
    document.querySelectorAll('main form').forEach(function (form, i) {
      Array.prototype.forEach.call(form.elements, function (e, j) {
        if (!e.name || e.disabled || skipped.test(e.type || '')) return;
        var changed;
        if (e.type === 'checkbox' || e.type === 'radio') changed = e.checked !== e.defaultChecked;
        else if (e.tagName === 'SELECT') changed = Array.prototype.some.call(e.options, function (o) { return o.selected !== o.defaultSelected; });
        else changed = e.value !== e.defaultValue;
        if (changed) typed.push([form.getAttribute('action'), i, j, e.name, e.value, e.checked]);
      });
    });
    try {
      if (typed.length) sessionStorage.setItem(KEY, JSON.stringify({ at: here(), typed: typed }));
    } catch (_) {}
  }, true);
  function restore() {
    var saved;
    try { saved = JSON.parse(sessionStorage.getItem(KEY)); sessionStorage.removeItem(KEY); } catch (_) { return; }
    if (!saved || saved.at !== here()) return;
    var forms = document.querySelectorAll('main form');
    saved.typed.forEach(function (t) {
      var form = forms[t[1]];
      if (!form || form.getAttribute('action') !== t[0]) return;
      var e = form.elements[t[2]];
      if (!e || e.name !== t[3]) return;
      if (e.type === 'checkbox' || e.type === 'radio') e.checked = t[5]; else e.value = t[4];
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', restore); else restore();
})();
"#;

/// `value` as one value of a query string (a `next` page with its own query, say).
pub fn query_value(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
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
