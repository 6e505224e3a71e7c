//! Recruitment in the portal: the public "become a mentor" pages with the eligibility
//! pre-check, registration and e-mail confirmation, the applicant's application (answers,
//! document checklist with uploads, submission), and the coordinators' review queue.
//!
//! Uploads do not go through a server function: the form posts the file to
//! `/t/{slug}/applications/{id}/documents` (see `server::recruitment`), streamed; with the
//! bundle loaded, `UPLOAD_SCRIPT` sends it with a progress bar instead.

// A server function takes one argument per form field, so the forms post plain HTML.
#![allow(clippy::too_many_arguments)]

mod pages;
pub(crate) use pages::{document_line, upload_form};

pub use pages::{
    ApplicationPage, ProgrammeEditPage, ProgrammePage, ProgrammesAdminPage, ProgrammesPage,
    RegisterPage, ReviewPage, VerifyEmailPage,
};

use domain::recruitment::{
    ApplicationView, DisqualifyingRole, DocumentRule, EligibilityAnswers, ProgrammeView,
    ReviewItem, Unmet,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::errors::AppError;

/// The public programme list of a tenant.
#[server(endpoint = "programmes_page")]
pub async fn programmes_page(slug: String) -> Result<(String, Vec<ProgrammeView>), AppError> {
    use crate::server::{request_locale, state};
    let db = &state().db;
    let tenant = domain::tenancy::service::tenant_by_slug(db, &slug).await?;
    let list = domain::recruitment::service::list_programmes(db, &slug, request_locale()).await?;
    Ok((tenant.name, list))
}

/// The organisations taking mentor applications now (the public home page).
#[server(endpoint = "recruiting")]
pub async fn recruiting() -> Result<Vec<domain::recruitment::Recruiting>, AppError> {
    use crate::server::{request_locale, state};
    Ok(domain::recruitment::service::recruiting_now(&state().db, request_locale()).await?)
}

/// What the pre-check form sent (as the page's query string), all as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrecheckForm {
    pub date_of_birth: String,
    pub region: String,
    pub residence_months: String,
    pub youth_work_years: String,
    pub days_per_week: String,
    pub roles: Vec<DisqualifyingRole>,
}

impl PrecheckForm {
    /// The answers as the pre-check form's query string (the programme page's address with
    /// them shows the result again).
    pub fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("date_of_birth", &self.date_of_birth)
            .append_pair("region", &self.region)
            .append_pair("residence_months", &self.residence_months)
            .append_pair("youth_work_years", &self.youth_work_years)
            .append_pair("days_per_week", &self.days_per_week);
        for r in &self.roles {
            q.append_pair(&format!("role_{}", r.as_str()), "on");
        }
        q.finish()
    }

    /// Parses the typed answers; a field that is not a date or a number is named.
    pub fn answers(&self) -> Result<EligibilityAnswers, domain::Error> {
        let num = |field: &str, v: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| domain::Error::invalid(field, "error-number-invalid"))
        };
        Ok(EligibilityAnswers {
            date_of_birth: self
                .date_of_birth
                .trim()
                .parse()
                .map_err(|_| domain::Error::invalid("date_of_birth", "error-date-invalid"))?,
            region_id: self
                .region
                .trim()
                .parse()
                .map_err(|_| domain::Error::invalid("region", "error-region-unknown"))?,
            residence_months: num("residence_months", &self.residence_months)?,
            youth_work_years: num("youth_work_years", &self.youth_work_years)?,
            roles: self.roles.clone(),
            days_per_week: num("days_per_week", &self.days_per_week)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgrammePageData {
    pub tenant_name: String,
    pub programme: ProgrammeView,
    /// The pre-check's answer when the form was sent: the rules not met (empty = eligible).
    pub precheck: Option<Result<Vec<Unmet>, AppError>>,
    pub signed_in: bool,
    pub my_application: Option<Uuid>,
}

#[server(endpoint = "programme_page", input = leptos::server_fn::codec::Json)]
pub async fn programme_page(
    slug: String,
    programme: String,
    form: Option<PrecheckForm>,
) -> Result<ProgrammePageData, AppError> {
    use crate::server::{request_locale, session_opt, state};
    use domain::recruitment::service;
    let db = &state().db;
    let (tenant, programme) =
        service::get_programme(db, &slug, &programme, request_locale()).await?;
    let precheck = match form {
        Some(f) => Some(match f.answers() {
            Ok(a) => service::precheck(db, &slug, &programme.slug, &a)
                .await
                .map_err(AppError::from),
            Err(e) => Err(e.into()),
        }),
        None => None,
    };
    let session = session_opt();
    let my_application = match &session {
        Some(s) => service::my_application(db, &s.actor, &slug, &programme.slug)
            .await?
            .map(|a| a.id),
        None => None,
    };
    Ok(ProgrammePageData {
        tenant_name: tenant.name,
        programme,
        precheck,
        signed_in: session.is_some(),
        my_application,
    })
}

#[cfg(feature = "ssr")]
fn checked(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|v| !v.is_empty())
}

/// Starts the application with the pre-check answers and opens it.
#[server(endpoint = "start_application")]
pub async fn start_application(
    csrf: String,
    slug: String,
    programme: String,
    date_of_birth: String,
    region: String,
    residence_months: String,
    youth_work_years: String,
    days_per_week: String,
    role_youth_group_member: Option<String>,
    role_host_head: Option<String>,
    role_host_accountant: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state};
    let s = session_for_change(&csrf)?;
    let mut roles = Vec::new();
    for (on, role) in [
        (
            &role_youth_group_member,
            DisqualifyingRole::YouthGroupMember,
        ),
        (&role_host_head, DisqualifyingRole::HostHead),
        (&role_host_accountant, DisqualifyingRole::HostAccountant),
    ] {
        if checked(on) {
            roles.push(role);
        }
    }
    let form = PrecheckForm {
        date_of_birth,
        region,
        residence_months,
        youth_work_years,
        days_per_week,
        roles,
    };
    let answers = form.answers()?;
    let a = domain::recruitment::service::start_application(
        &state().db,
        &s.actor,
        &slug,
        &programme,
        &answers,
    )
    .await?;
    leptos_axum::redirect(&format!("/t/{slug}/applications/{}", a.id));
    Ok(())
}

/// Registers an applicant; the confirmation link comes back to `next`.
#[server(endpoint = "register")]
pub async fn register(
    email: String,
    password: String,
    full_name: String,
    locale: String,
    next: String,
) -> Result<(), AppError> {
    use crate::server::{client_ip, state};
    let locale = locale.parse().unwrap_or_default();
    let next = Some(next.as_str()).filter(|n| !n.is_empty());
    domain::accounts::service::register(
        &state().db,
        &email,
        &password,
        &full_name,
        locale,
        next,
        &client_ip(),
    )
    .await?;
    leptos_axum::redirect("/register?sent=1");
    Ok(())
}

/// Confirms the address from the e-mailed link (a button press, so link scanners that fetch
/// the page confirm nothing).
#[server(endpoint = "verify_email")]
pub async fn verify_email(token: String, next: String) -> Result<(), AppError> {
    use crate::server::state;
    domain::accounts::service::verify_email(&state().db, &token).await?;
    let next = if domain::accounts::service::is_safe_next(&next) {
        next
    } else {
        "/".into()
    };
    leptos_axum::redirect(&format!(
        "/verify-email?done=1&next={}",
        domain::accounts::service::query_value(&next)
    ));
    Ok(())
}

#[server(endpoint = "resend_verification")]
pub async fn resend_verification(csrf: String) -> Result<(), AppError> {
    use crate::server::{referer_path, session_for_change, state};
    let s = session_for_change(&csrf)?;
    domain::accounts::service::resend_verification(&state().db, &s.actor).await?;
    leptos_axum::redirect(&format!(
        "{}?resent=1",
        referer_path().split('?').next().unwrap_or("/")
    ));
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationPageData {
    pub application: ApplicationView,
    pub rules: Vec<DocumentRule>,
    pub mine: bool,
    pub region_name: Option<String>,
}

#[server(endpoint = "application_page")]
pub async fn application_page(slug: String, id: Uuid) -> Result<ApplicationPageData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::recruitment::service;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let application = service::get_application(db, &ctx, id).await?;
    let rules = service::application_rules(db, &ctx, id).await?;
    let region_name = match application.region_id {
        Some(r) => domain::tenancy::service::region_name(db, &ctx, r).await?,
        None => None,
    };
    Ok(ApplicationPageData {
        mine: application.applicant_email == s.actor.email,
        application,
        rules,
        region_name,
    })
}

/// The applicant removes a file of theirs that no one has reviewed yet (to upload a better
/// one); back on the application with a notice.
#[server(endpoint = "withdraw_document_form")]
pub async fn withdraw_document_form(
    csrf: String,
    slug: String,
    application: Uuid,
    id: Uuid,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    domain::recruitment::service::withdraw_document(&state().db, &ctx, id).await?;
    leptos_axum::redirect(&format!("/t/{slug}/applications/{application}?removed=1"));
    Ok(())
}

/// Saves the "about you" step of a draft.
#[server(endpoint = "save_profile")]
pub async fn save_profile(
    csrf: String,
    slug: String,
    id: Uuid,
    phone: String,
    occupation: String,
    experience: String,
    motivation: String,
    lang_kk: Option<String>,
    lang_ru: Option<String>,
    lang_en: Option<String>,
    then: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let mut languages = Vec::new();
    for (on, code) in [(&lang_kk, "kk"), (&lang_ru, "ru"), (&lang_en, "en")] {
        if checked(on) {
            languages.push(code.to_string());
        }
    }
    let profile = domain::recruitment::Profile {
        phone,
        occupation,
        experience,
        motivation,
        languages,
    };
    domain::recruitment::service::save_profile(&state().db, &ctx, id, profile).await?;
    // "Submit" belongs to this form too, so what was typed and not yet saved is saved first
    // and never silently dropped (issue 19, principle 1); a refused submission keeps it saved.
    if then.as_deref() == Some("submit") {
        domain::recruitment::service::submit_application(&state().db, &ctx, id).await?;
        leptos_axum::redirect(&format!("/t/{slug}/applications/{id}?submitted=1"));
        return Ok(());
    }
    leptos_axum::redirect(&format!("/t/{slug}/applications/{id}?saved=1"));
    Ok(())
}

#[server(endpoint = "submit_application")]
pub async fn submit_application(csrf: String, slug: String, id: Uuid) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    domain::recruitment::service::submit_application(&state().db, &ctx, id).await?;
    leptos_axum::redirect(&format!("/t/{slug}/applications/{id}?submitted=1"));
    Ok(())
}

#[server(endpoint = "review_page")]
pub async fn review_page(slug: String) -> Result<Vec<ReviewItem>, AppError> {
    use crate::server::{session, state, tenant_ctx};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    Ok(domain::recruitment::service::review_queue(&state().db, &ctx).await?)
}

#[server(endpoint = "review_document")]
pub async fn review_document(
    csrf: String,
    slug: String,
    id: Uuid,
    decision: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    use domain::recruitment::ReviewDecision;
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let decision = match decision.as_str() {
        "verified" => ReviewDecision::Verified,
        "rejected" => ReviewDecision::Rejected,
        _ => return Err(domain::Error::invalid("decision", "error-bad-request").into()),
    };
    domain::recruitment::service::review_document(
        &state().db,
        &ctx,
        id,
        decision,
        Some(reason.as_str()),
    )
    .await?;
    leptos_axum::redirect(&format!("/t/{slug}/review?decided=1"));
    Ok(())
}

/// Progress bars for uploads, added to the page once. A form with `data-upload` is sent with
/// XMLHttpRequest so its progress can be shown, with the file's size in `Upload-Length`; the
/// server answers JSON to requests carrying the CSRF header. Without this script the same form posts normally and the page reloads.
pub const UPLOAD_SCRIPT: &str = r#"
// Inside `[data-auto-send]` a chosen file goes at once: one tap fewer on a phone.
document.addEventListener('change', function (ev) {
  var input = ev.target;
  var f = input.form;
  if (input.type !== 'file' || !f || !input.files.length || !f.closest('[data-auto-send]')) return;
  if (f.matches('form[data-upload]')) f.requestSubmit();
});
document.addEventListener('submit', function (ev) {
  var f = ev.target;
  if (!f.matches || !f.matches('form[data-upload]')) return;
  var input = f.querySelector('input[type=file]');
  if (!input || !input.files.length) return;
  ev.preventDefault();
  var bar = f.querySelector('progress');
  var out = f.querySelector('.upload-status');
  var button = f.querySelector('button');
  var xhr = new XMLHttpRequest();
  xhr.open('POST', f.action);
  xhr.setRequestHeader('x-csrf-token', f.querySelector('[name=csrf]').value);
  xhr.setRequestHeader('Accept', 'application/json');
  // The file's size: the server then streams it to storage in one request as it arrives.
  if (input.files.length === 1) xhr.setRequestHeader('Upload-Length', String(input.files[0].size));
  bar.hidden = false; bar.value = 0; out.classList.remove('error'); button.disabled = true;
  xhr.upload.onprogress = function (e) {
    if (!e.lengthComputable) return;
    bar.max = e.total; bar.value = e.loaded;
    var pct = Math.round(100 * e.loaded / e.total);
    out.textContent = pct + '%';
    f.dataset.progress = pct;
    try { sessionStorage.setItem('ustaz-upload-progress', String(pct)); } catch (_) {}
  };
  xhr.onload = function () {
    button.disabled = false;
    if (xhr.status === 201) {
      // Sent at once from a page that offered it: the page comes back saying it arrived.
      if (f.closest('[data-auto-send]')) location.replace(location.pathname + '?uploaded=1');
      else location.reload();
      return;
    }
    bar.hidden = true; out.classList.add('error');
    try { out.textContent = JSON.parse(xhr.responseText).message; } catch (_) { out.textContent = xhr.statusText; }
  };
  xhr.onerror = function () {
    button.disabled = false; bar.hidden = true; out.classList.add('error');
    out.textContent = f.dataset.failed || 'Upload failed';
  };
  xhr.send(new FormData(f));
});
"#;

/// The admin's list of programmes.
#[server(endpoint = "programmes_admin")]
pub async fn programmes_admin(slug: String) -> Result<Vec<ProgrammeView>, AppError> {
    use crate::server::{session, state, tenant_ctx};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    Ok(domain::recruitment::service::admin_programmes(&state().db, &ctx).await?)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditorData {
    pub input: domain::recruitment::ProgrammeInput,
    pub regions: Vec<domain::tenancy::RegionView>,
    pub is_new: bool,
}

/// A programme as its editor form shows it (`new` for a blank one).
#[server(endpoint = "programme_editor")]
pub async fn programme_editor(slug: String, programme: String) -> Result<EditorData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::recruitment::service;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let is_new = programme == "new";
    let input = if is_new {
        service::programme_template(db, &ctx).await?
    } else {
        service::programme_input(db, &ctx, &programme).await?
    };
    Ok(EditorData {
        regions: domain::tenancy::service::list_regions(db, &ctx).await?,
        input,
        is_new,
    })
}
