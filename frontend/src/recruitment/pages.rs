//! Recruitment pages. Every form is a plain HTML form (GET for the pre-check, POST for
//! changes): it works before the bundle loads, and errors come back translated.

use domain::Locale;
use domain::recruitment::{
    ChecklistRow, DisqualifyingRole, DocStatus, DocumentView, LANGUAGE_CODES, WindowState,
    checklist, human_size,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::*;
use crate::errors::{ErrorNote, loaded};
use crate::forms::date;
use crate::session::use_session;

fn window_note(l: Locale, p: &ProgrammeView) -> String {
    match p.window {
        WindowState::NotYetOpen => l.t_args("apply-window-not-open", &[("date", date(p.opens_on))]),
        WindowState::Open => l.t_args(
            "apply-window-open",
            &[("date", date(p.closes_on)), ("results", date(p.results_on))],
        ),
        WindowState::Closed => l.t_args("apply-window-closed", &[("results", date(p.results_on))]),
    }
}

/// "I want to become a mentor": the tenant's programmes.
#[component]
pub fn ProgrammesPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, programmes_page);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = session.await.unwrap_or_default().locale;
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok((tenant, list)) => view! {
                        <section class="card">
                            <h1>{l.t("apply-title")}</h1>
                            <p class="muted">{tenant}</p>
                            {list.is_empty().then(|| view! { <p>{l.t("apply-none")}</p> })}
                            <ul class="programmes">
                                {list.into_iter().map(|p| view! {
                                    <li>
                                        <a href=format!("/t/{}/apply/{}", slug(), p.slug)>{p.name.clone()}</a>
                                        " "<span class="muted">{l.t(p.kind.label_key())}" · "{window_note(l, &p)}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One programme: what it asks, the pre-check, and the way in (register, sign in, start).
#[component]
pub fn ProgrammePage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let programme = move || params.read().get("programme").unwrap_or_default();
    let form = move || {
        let q = query.read();
        q.get("date_of_birth").map(|dob| PrecheckForm {
            date_of_birth: dob,
            region: q.get("region").unwrap_or_default(),
            residence_months: q.get("residence_months").unwrap_or_default(),
            youth_work_years: q.get("youth_work_years").unwrap_or_default(),
            days_per_week: q.get("days_per_week").unwrap_or_default(),
            roles: DisqualifyingRole::ALL
                .into_iter()
                .filter(|r| q.get(&format!("role_{}", r.as_str())).is_some())
                .collect(),
        })
    };
    let data = Resource::new(
        move || (slug(), programme(), form()),
        |(s, p, f)| programme_page(s, p, f),
    );
    let start = ServerAction::<StartApplication>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let typed = form().unwrap_or_default();
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => {
                        let p = d.programme.clone();
                        let here = format!("/t/{}/apply/{}", slug(), p.slug);
                        let e = p.eligibility.clone();
                        let eligible = matches!(&d.precheck, Some(Ok(u)) if u.is_empty());
                        let open = p.window == WindowState::Open;
                        // Back here after registering, with the answers: not asked again.
                        let back = format!("{here}?{}", typed.query());
                        // An applicant with a draft continues it: that comes first.
                        let continuing = d.my_application.map(|id| view! {
                            <section class="card" id="continue-application">
                                <p><a class="button" href=format!("/t/{}/applications/{id}", slug())>{l.t("apply-continue")}</a></p>
                            </section>
                        });
                        let has_application = continuing.is_some();
                        view! {
                            {continuing}
                            <section class="card">
                                <p class="muted">{d.tenant_name.clone()}</p>
                                <h1>{p.name.clone()}</h1>
                                <p>{p.description.clone()}</p>
                                <p class=if open { "ok" } else { "error" } role="status">{window_note(l, &p)}</p>
                                <h2>{l.t("apply-requirements")}</h2>
                                <ul>
                                    {(e.min_age > 0).then(|| view! { <li>{l.t_args("apply-rule-age", &[("min", e.min_age.to_string())])}</li> })}
                                    {(e.min_residence_months > 0).then(|| view! { <li>{l.t_args("apply-rule-residence", &[("min", e.min_residence_months.to_string())])}</li> })}
                                    {(e.min_youth_work_years > 0).then(|| view! { <li>{l.t_args("apply-rule-youth-work", &[("min", e.min_youth_work_years.to_string())])}</li> })}
                                    {(e.min_days_per_week > 0).then(|| view! { <li>{l.t_args("apply-rule-days", &[("min", e.min_days_per_week.to_string())])}</li> })}
                                    {e.disqualifying_roles.iter().map(|r| view! { <li>{l.t(&format!("unmet-role-{}", r.as_str().replace('_', "-")))}</li> }).collect_view()}
                                </ul>
                                <h2>{l.t("apply-documents")}</h2>
                                <ul>
                                    {p.required_documents.iter().map(|r| view! {
                                        <li>{r.labels.get(l).to_string()}
                                            " "<span class="muted">{doc_limits(l, r)}</span></li>
                                    }).collect_view()}
                                </ul>
                            </section>
                            <section class="card" hidden=has_application>
                                <h2>{l.t("apply-precheck")}</h2>
                                {match &d.precheck {
                                    Some(Ok(unmet)) if unmet.is_empty() => view! { <p class="ok" role="status" id="precheck-ok">{l.t("apply-eligible")}</p> }.into_any(),
                                    Some(Ok(unmet)) => view! {
                                        <div class="error" role="alert" id="precheck-unmet">
                                            <p>{l.t("error-not-eligible")}</p>
                                            <ul>{unmet.iter().map(|u| view! { <li>{u.message(l)}</li> }).collect_view()}</ul>
                                        </div>
                                    }.into_any(),
                                    Some(Err(err)) => view! { <ErrorNote error=err.clone() locale=l/> }.into_any(),
                                    None => ().into_any(),
                                }}
                                <form method="get" action=here.clone() class="form" id="precheck">
                                    <label>{l.t("apply-dob")}<input type="date" name="date_of_birth" required value=typed.date_of_birth.clone()/></label>
                                    <label>{l.t("apply-region")}
                                        <select name="region">
                                            {p.regions.iter().map(|r| view! { <option value=r.id.to_string() selected=typed.region == r.id.to_string()>{r.name.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("apply-residence")}<input type="number" min="0" max="600" name="residence_months" required value=typed.residence_months.clone()/></label>
                                    <label>{l.t("apply-youth-work")}<input type="number" min="0" max="60" name="youth_work_years" required value=typed.youth_work_years.clone()/></label>
                                    <label>{l.t("apply-days")}<input type="number" min="0" max="7" name="days_per_week" required value=typed.days_per_week.clone()/></label>
                                    <fieldset>
                                        <legend>{l.t("apply-roles")}</legend>
                                        {DisqualifyingRole::ALL.into_iter().map(|r| view! {
                                            <label class="check"><input type="checkbox" name=format!("role_{}", r.as_str()) checked=typed.roles.contains(&r)/>{l.t(&r.label_key())}</label>
                                        }).collect_view()}
                                    </fieldset>
                                    <button type="submit">{l.t("apply-check")}</button>
                                </form>
                            </section>
                            {match (d.my_application, d.signed_in, eligible && open) {
                                (Some(_), _, _) => ().into_any(),
                                (None, true, true) => view! {
                                    <section class="card">
                                        {move || start.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                        <form method="post" action=StartApplication::PATH id="start-application">
                                            {crate::forms::keys(info.csrf.clone())}
                                            <input type="hidden" name="slug" value=slug()/>
                                            <input type="hidden" name="programme" value=p.slug.clone()/>
                                            <input type="hidden" name="date_of_birth" value=typed.date_of_birth.clone()/>
                                            <input type="hidden" name="region" value=typed.region.clone()/>
                                            <input type="hidden" name="residence_months" value=typed.residence_months.clone()/>
                                            <input type="hidden" name="youth_work_years" value=typed.youth_work_years.clone()/>
                                            <input type="hidden" name="days_per_week" value=typed.days_per_week.clone()/>
                                            {typed.roles.iter().map(|r| view! { <input type="hidden" name=format!("role_{}", r.as_str()) value="on"/> }).collect_view()}
                                            <button type="submit">{l.t("apply-start")}</button>
                                        </form>
                                    </section>
                                }.into_any(),
                                (None, false, true) => view! {
                                    <section class="card">
                                        <p>{l.t("apply-register-first")}</p>
                                        <p>
                                            <a class="button" id="register-link" href=format!("/register?next={}", crate::forms::query_value(&back))>{l.t("register-title")}</a>" "
                                            <a href=format!("/login?next={}", crate::forms::query_value(&back))>{l.t("nav-sign-in")}</a>
                                        </p>
                                    </section>
                                }.into_any(),
                                _ => ().into_any(),
                            }}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn doc_limits(l: Locale, r: &DocumentRule) -> String {
    let types: Vec<&str> = r
        .accepted_types
        .iter()
        .map(|t| t.rsplit('/').next().unwrap_or(t))
        .collect();
    let mut parts = vec![
        types.join(", ").to_uppercase(),
        l.t_args("apply-doc-max-size", &[("size", human_size(r.max_bytes))]),
    ];
    if r.max_count > 1 {
        parts.push(l.t_args("apply-doc-max-count", &[("count", r.max_count.to_string())]));
    }
    if let Some(m) = r.validity_months {
        parts.push(l.t_args("apply-doc-validity", &[("months", m.to_string())]));
    }
    if !r.required {
        parts.push(l.t("apply-doc-optional"));
    }
    parts.join(" · ")
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let action = ServerAction::<Register>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = session.await.unwrap_or_default().locale;
                let q = query.read_untracked();
                let sent = q.get("sent").is_some();
                let next = q.get("next").unwrap_or_default();
                view! {
                    <section class="card narrow">
                        <h1>{l.t("register-title")}</h1>
                        {sent.then(|| view! { <p class="ok" role="status" id="register-sent">{l.t("register-check-email")}</p> })}
                        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        {(!sent).then(|| view! {
                            <form method="post" action=Register::PATH class="form" id="register-form">
                                <input type="hidden" name="next" value=next.clone()/>
                                <input type="hidden" name="locale" value=l.code()/>
                                <label>{l.t("accept-full-name")}<input type="text" name="full_name" required maxlength="120" autocomplete="name"/></label>
                                <label>{l.t("login-email")}<input type="email" name="email" required autocomplete="email"/></label>
                                <label>{l.t("reset-new-password")}<input type="password" name="password" required minlength="10" autocomplete="new-password"/></label>
                                <button type="submit">{l.t("register-submit")}</button>
                            </form>
                        })}
                    </section>
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let action = ServerAction::<VerifyEmail>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = session.await.unwrap_or_default().locale;
                let q = query.read_untracked();
                let done = q.get("done").is_some();
                let token = q.get("token").unwrap_or_default();
                let next = q.get("next").unwrap_or_default();
                view! {
                    <section class="card narrow">
                        <h1>{l.t("verify-title")}</h1>
                        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        {if done {
                            view! {
                                <p class="ok" role="status" id="verified">{l.t("verify-done")}</p>
                                <p><a class="button" href=format!("/login?next={}", crate::forms::query_value(&next))>{l.t("nav-sign-in")}</a></p>
                            }.into_any()
                        } else {
                            view! {
                                <form method="post" action=VerifyEmail::PATH class="form" id="verify-form">
                                    <input type="hidden" name="token" value=token.clone()/>
                                    <input type="hidden" name="next" value=next.clone()/>
                                    <button type="submit">{l.t("verify-submit")}</button>
                                </form>
                            }.into_any()
                        }}
                    </section>
                }
            })}
        </Suspense>
    }
}

/// A history line's action in the reader's language (the actions are document statuses).
fn event_label(l: Locale, action: &str) -> String {
    match DocStatus::parse(action) {
        None if action == "replaced" => l.t("doc-event-replaced"),
        Some(DocStatus::Uploaded) => l.t("doc-event-uploaded"),
        Some(status) => l.t(&status.label_key()),
        None => action.to_string(),
    }
}

/// A reviewer's reason is shown; the worker's machine detail is not.
fn review_note(h: &domain::recruitment::DocumentEvent) -> String {
    match DocStatus::parse(&h.action) {
        Some(DocStatus::Verified | DocStatus::Rejected) => h.detail.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn status_class(s: DocStatus) -> &'static str {
    match s {
        DocStatus::Verified | DocStatus::AutoPassed => "badge ok",
        DocStatus::AutoFailed | DocStatus::Rejected => "badge error",
        DocStatus::Uploaded => "badge",
    }
}

pub(crate) fn document_line(l: Locale, d: &DocumentView) -> impl IntoView + use<> {
    document_line_with(l, d, ().into_any())
}

/// A document's line with `actions` after it (the applicant's own: open, remove).
pub(crate) fn document_line_with(
    l: Locale,
    d: &DocumentView,
    actions: AnyView,
) -> impl IntoView + use<> {
    let reasons = domain::recruitment::check_reasons_text(l, &d.reasons);
    // A file a newer one replaced says so, in the reader's language.
    let review = d.review_reason.clone().map(|r| {
        if r == "replaced" {
            l.t("doc-event-replaced")
        } else {
            r
        }
    });
    view! {
        <li class="document" data-status=d.status.as_str()>
            <span class=status_class(d.status)>{l.t(&d.status.label_key())}</span>" "
            {d.original_name.clone()}" "<span class="muted">{human_size(d.size_bytes)}
            {d.pages.map(|p| format!(" · {}", l.t_args("doc-pages", &[("pages", p.to_string())])))}</span>
            {(!reasons.is_empty()).then(|| view! { <ul class="reasons">{reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul> })}
            {review.map(|r| view! { <p class="muted">{l.t("doc-review-reason")}": "{r}</p> })}
            {actions}
        </li>
    }
}

/// A file upload sent with a progress bar by `UPLOAD_SCRIPT` (a plain post without script):
/// `fields` go before the file, so the server knows where it belongs before reading it.
pub(crate) fn upload_form(
    l: Locale,
    action: String,
    csrf: String,
    label: String,
    fields: Vec<(&'static str, String)>,
    id: &'static str,
) -> impl IntoView + use<> {
    view! {
        <form method="post" action=action enctype="multipart/form-data" class="upload" data-upload="" data-failed=l.t("error-upload-interrupted") id=id>
            {crate::forms::keys(csrf)}
            {fields.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
            <label>{label}<input type="file" name="file" required accept="application/pdf,image/jpeg,image/png"/></label>
            <button type="submit">{l.t("application-upload")}</button>
            <progress hidden max="100" value="0"></progress>
            <span class="upload-status" aria-live="polite"></span>
        </form>
    }
}

/// The applicant's application (and the staff's view of it): answers, documents, submission.
#[component]
pub fn ApplicationPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let id = crate::forms::route_id(params, "id");
    let data = Resource::new(move || (slug(), id()), |(s, i)| application_page(s, i));
    let save = ServerAction::<SaveProfile>::new();
    let submit = ServerAction::<SubmitApplication>::new();
    let resend = ServerAction::<ResendVerification>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let (upload_error, notice) = {
                let q = query.read_untracked();
                let upload_error = q.get("upload_error");
                let notice = if q.get("submitted").is_some() {
                    Some(l.t("application-submitted-notice"))
                } else if q.get("saved").is_some() {
                    Some(l.t("application-saved"))
                } else if q.get("uploaded").is_some() {
                    Some(l.t("application-uploaded"))
                } else if q.get("removed").is_some() {
                    Some(l.t("application-document-removed"))
                } else if q.get("resent").is_some() {
                    Some(l.t("register-check-email"))
                } else {
                    None
                };
                (upload_error, notice)
                };
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => {
                        let a = d.application.clone();
                        let draft = a.status == domain::recruitment::ApplicationStatus::Draft;
                        let editable = d.mine && draft && a.window == WindowState::Open;
                        let rows: Vec<ChecklistRow> = checklist(&d.rules, &a.documents);
                        let profile = a.answers.profile.clone();
                        let e = a.answers.eligibility.clone();
                        let csrf = info.csrf.clone();
                        let upload_action = format!("/t/{}/applications/{}/documents", slug(), a.id);
                        view! {
                            <section class="card">
                                <p class="muted">{a.programme_name.clone()}</p>
                                <h1>{l.t("application-title")}</h1>
                                <p>
                                    <span class="badge" id="application-status" data-status=a.status.as_str()>{l.t(a.status.label_key())}</span>" "
                                    <span class="muted">{a.applicant_name.clone()}" · "{d.region_name.clone().unwrap_or_default()}</span>
                                </p>
                                {notice.map(|n| view! { <p class="ok" role="status">{n}</p> })}
                                {upload_error.map(|m| view! { <p class="error" role="alert">{m}</p> })}
                                {(d.mine && !a.email_verified).then(|| view! {
                                    <div class="error" role="alert">
                                        <p>{l.t("missing-email-verification")}</p>
                                        {move || resend.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                        <form method="post" action=ResendVerification::PATH>
                                            {crate::forms::keys(info.csrf.clone())}
                                            <button type="submit">{l.t("verify-resend")}</button>
                                        </form>
                                    </div>
                                })}
                                <h2>{l.t("application-step-eligibility")}</h2>
                                <p class="muted">
                                    {l.t("apply-dob")}": "{e.date_of_birth.format("%d.%m.%Y").to_string()}" · "
                                    {l.t("apply-residence")}": "{e.residence_months}" · "
                                    {l.t("apply-youth-work")}": "{e.youth_work_years}" · "
                                    {l.t("apply-days")}": "{e.days_per_week}
                                </p>
                            </section>
                            <section class="card">
                                <h2>{l.t("application-step-profile")}</h2>
                                // A refused submission (rules not met) is said by the submit button,
                                // where the person is looking; a refused field, here.
                                {move || save.value().get().and_then(|r| r.err()).filter(|e| !is_unmet(e)).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <form method="post" action=SaveProfile::PATH class="form" id="profile-form">
                                    {crate::forms::keys(csrf.clone())}
                                    <input type="hidden" name="slug" value=slug()/>
                                    <input type="hidden" name="id" value=a.id.to_string()/>
                                    <label>{l.t("application-phone")}<input type="tel" name="phone" maxlength="30" value=profile.phone.clone() disabled=!editable/></label>
                                    <label>{l.t("application-occupation")}<input type="text" name="occupation" maxlength="200" value=profile.occupation.clone() disabled=!editable/></label>
                                    <label>{l.t("application-experience")}<textarea name="experience" maxlength="4000" rows="4" disabled=!editable>{profile.experience.clone()}</textarea></label>
                                    <label>{l.t("application-motivation")}<textarea name="motivation" maxlength="4000" rows="4" disabled=!editable>{profile.motivation.clone()}</textarea></label>
                                    <fieldset>
                                        <legend>{l.t("application-languages")}</legend>
                                        {LANGUAGE_CODES.into_iter().map(|c| view! {
                                            <label class="check"><input type="checkbox" name=format!("lang_{c}") checked=profile.languages.iter().any(|x| x == c) disabled=!editable/>{l.t(&format!("language-{c}"))}</label>
                                        }).collect_view()}
                                    </fieldset>
                                    {editable.then(|| view! { <button type="submit">{l.t("application-save")}</button> })}
                                </form>
                            </section>
                            <section class="card">
                                <h2>{l.t("application-step-documents")}</h2>
                                <div class="table-scroll" tabindex="0"><table class="checklist">
                                    <tbody>
                                        {rows.into_iter().map(|row| {
                                            let full = row.live >= row.rule.max_count;
                                            let can_upload = d.mine && !full && (editable || (!draft && row.live == 0));
                                            let accept = row.rule.accepted_types.join(",");
                                            view! {
                                                <tr data-doc-type=row.rule.doc_type.clone()>
                                                    <td>
                                                        <strong>{row.rule.labels.get(l).to_string()}</strong>
                                                        {(!row.rule.required).then(|| view! { " "<span class="muted">{l.t("apply-doc-optional")}</span> })}
                                                        <br/><span class="muted">{doc_limits(l, &row.rule)}</span>
                                                        <ul class="documents">{row.documents.iter().map(|doc| {
                                                            // The applicant opens what they sent, and removes a file no one
                                                            // has reviewed yet while the application takes files.
                                                            let unreviewed = !matches!(doc.status, DocStatus::Verified | DocStatus::Rejected);
                                                            let actions = if d.mine { view! {
                                                                <span class="document-actions">
                                                                    <a href=format!("/t/{}/documents/{}/file", slug(), doc.id) data-open-document=doc.id.to_string()>{l.t("application-document-open")}</a>
                                                                    {(unreviewed && (editable || !draft)).then(|| view! {
                                                                        <form method="post" action=WithdrawDocumentForm::PATH class="inline" data-withdraw=doc.id.to_string()>
                                                                            {crate::forms::keys(csrf.clone())}
                                                                            <input type="hidden" name="slug" value=slug()/>
                                                                            <input type="hidden" name="application" value=a.id.to_string()/>
                                                                            <input type="hidden" name="id" value=doc.id.to_string()/>
                                                                            <button type="submit" class="secondary">{l.t("application-document-remove")}</button>
                                                                        </form>
                                                                    })}
                                                                </span>
                                                            }.into_any() } else { ().into_any() };
                                                            document_line_with(l, doc, actions)
                                                        }).collect_view()}</ul>
                                                    </td>
                                                    <td>
                                                        {can_upload.then(|| view! {
                                                            <form method="post" action=upload_action.clone() enctype="multipart/form-data" class="upload" data-upload="" data-failed=l.t("error-upload-interrupted")>
                                                                {crate::forms::keys(csrf.clone())}
                                                                <input type="hidden" name="doc_type" value=row.rule.doc_type.clone()/>
                                                                {row.rule.validity_months.is_some().then(|| view! {
                                                                    <label>{l.t("application-issued-on")}<input type="date" name="issued_on" required/></label>
                                                                })}
                                                                <input type="file" name="file" required accept=accept.clone()/>
                                                                <button type="submit">{l.t("application-upload")}</button>
                                                                <progress hidden max="100" value="0"></progress>
                                                                <span class="upload-status" aria-live="polite"></span>
                                                            </form>
                                                        })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            </section>
                            {(d.mine && draft).then(|| view! {
                                <section class="card">
                                    {move || submit.value().get().and_then(|r| r.err()).map(|e| (e, false))
                                        .or_else(|| save.value().get().and_then(|r| r.err()).filter(is_unmet).map(|e| (e, true)))
                                        .map(|(e, saved_first)| view! {
                                            <div id="submit-refusal">
                                                // Sent with "Submit", the answers were saved first.
                                                {saved_first.then(|| view! { <p class="muted">{l.t("application-saved-not-sent")}</p> })}
                                                <ErrorNote error=e locale=l/>
                                            </div>
                                        })}
                                    {if editable {
                                        // Sends the "about you" form with it: typed and not yet
                                        // saved, it is saved first.
                                        view! {
                                            <div id="submit-form">
                                                <p class="muted">{l.t_args("application-submit-by", &[("date", date(a.closes_on))])}</p>
                                                <button type="submit" form="profile-form" name="then" value="submit">{l.t("application-submit")}</button>
                                            </div>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <form method="post" action=SubmitApplication::PATH id="submit-form">
                                                {crate::forms::keys(csrf.clone())}
                                                <input type="hidden" name="slug" value=slug()/>
                                                <input type="hidden" name="id" value=a.id.to_string()/>
                                                <p class="muted">{l.t_args("application-submit-by", &[("date", date(a.closes_on))])}</p>
                                                <button type="submit">{l.t("application-submit")}</button>
                                            </form>
                                        }.into_any()
                                    }}
                                </section>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Documents waiting for a coordinator's decision, with previews and history.
#[component]
pub fn ReviewPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, review_page);
    let decide = ServerAction::<ReviewDocument>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(items) => view! {
                        <section class="card">
                            <h1>{l.t("review-title")}</h1>
                            {items.is_empty().then(|| view! { <p>{l.t("review-empty")}</p> })}
                            {move || decide.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        </section>
                        {items.into_iter().map(|item| {
                            let d = item.document.clone();
                            let file = format!("/t/{}/documents/{}/file", slug(), d.id);
                            view! {
                                <section class="card review" data-document=d.id.to_string()>
                                    <h2>{item.doc_label.clone()}</h2>
                                    <p class="muted">{item.applicant_name.clone()}" · "{item.programme_name.clone()}" · "{item.region_name.clone().unwrap_or_default()}</p>
                                    <ul class="documents">{document_line(l, &d)}</ul>
                                    {d.has_preview.then(|| view! { <img class="preview" alt=l.t("review-preview") src=format!("{file}?preview=true")/> })}
                                    <p><a href=file.clone()>{l.t("review-download")}</a>" · "
                                       <a href=item.subject_path.clone()>{l.t(if d.application_id.is_some() { "review-application" } else { "review-record" })}</a></p>
                                    <details>
                                        <summary>{l.t("review-history")}</summary>
                                        <ul>{item.history.iter().map(|h| view! {
                                            <li>{crate::forms::when(h.at)}" · "{event_label(l, &h.action)}" · "{h.actor_name.clone().unwrap_or_default()}" "{review_note(h)}</li>
                                        }).collect_view()}</ul>
                                    </details>
                                    {(d.status == DocStatus::AutoPassed).then(|| view! {
                                        <form method="post" action=ReviewDocument::PATH class="form inline">
                                            {crate::forms::keys(info.csrf.clone())}
                                            <input type="hidden" name="slug" value=slug()/>
                                            <input type="hidden" name="id" value=d.id.to_string()/>
                                            <input type="hidden" name="decision" value="verified"/>
                                            <input type="hidden" name="reason" value=""/>
                                            <button type="submit">{l.t("review-verify")}</button>
                                        </form>
                                        <form method="post" action=ReviewDocument::PATH class="form inline">
                                            {crate::forms::keys(info.csrf.clone())}
                                            <input type="hidden" name="slug" value=slug()/>
                                            <input type="hidden" name="id" value=d.id.to_string()/>
                                            <input type="hidden" name="decision" value="rejected"/>
                                            <label>{l.t("review-reason")}<input type="text" name="reason" required maxlength="1000"/></label>
                                            <button type="submit" class="danger">{l.t("review-reject")}</button>
                                        </form>
                                    })}
                                </section>
                            }
                        }).collect_view()}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The admin's programmes, with links to edit them.
#[component]
pub fn ProgrammesAdminPage() -> impl IntoView {
    use crate::selection::AnnounceProgrammeResults;
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, programmes_admin);
    let announce = ServerAction::<AnnounceProgrammeResults>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let announced = {
                    let q = query.read_untracked();
                    q.get("announced").map(|_| l.t_args("results-announced", &[
                        ("selected", q.get("selected").unwrap_or_default()),
                        ("not_selected", q.get("not_selected").unwrap_or_default()),
                    ]))
                };
                // A repeat (`again`) says so in its own notice; one message at a time.
                let saved = {
                    let q = query.read_untracked();
                    (q.get("saved").is_some() && q.get("again").is_none()).then(|| l.t("programmes-saved"))
                };
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(list) => view! {
                        <section class="card">
                            <h1>{l.t("programmes-title")}</h1>
                            {announced.map(|m| view! { <p class="ok" role="status" id="results-announced">{m}</p> })}
                            {saved.map(|m| view! { <p class="ok" role="status" id="programme-saved">{m}</p> })}
                            {move || announce.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            <p><a class="button" id="new-programme" href=format!("/t/{}/programmes/new/edit", slug())>{l.t("programmes-new")}</a></p>
                            <div class="table-scroll" tabindex="0"><table>
                                <tbody>
                                    {list.into_iter().map(|p| view! {
                                        <tr data-programme=p.slug.clone()>
                                            <td><a href=format!("/t/{}/apply/{}", slug(), p.slug)>{p.name.clone()}</a></td>
                                            <td class="muted">{window_note(l, &p)}</td>
                                            <td><a href=format!("/t/{}/programmes/{}/edit", slug(), p.slug)>{l.t("programmes-edit")}</a></td>
                                            <td>
                                                <form method="post" action=AnnounceProgrammeResults::PATH class="form inline announce">
                                                    {crate::forms::keys(info.csrf.clone())}
                                                    <input type="hidden" name="slug" value=slug()/>
                                                    <input type="hidden" name="programme" value=p.slug.clone()/>
                                                    <button type="submit" class="secondary" title=l.t("results-announce-hint")>{l.t("results-announce")}</button>
                                                </form>
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A refusal of the submission itself (rules not yet met), not of a field.
fn is_unmet(e: &crate::errors::AppError) -> bool {
    matches!(e.domain(), Some(domain::Error::Unmet { .. }))
}

/// Creating or editing a programme. The form posts to `/t/{slug}/programmes/save` (a plain
/// handler that reads repeated fields); errors come back on this page.
#[component]
pub fn ProgrammeEditPage() -> impl IntoView {
    use domain::recruitment::{Cadence, KNOWN_TYPES, ProgrammeKind};
    use domain::selection::{MajorityRule, StageKind};
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let programme = move || params.read().get("programme").unwrap_or_default();
    let data = Resource::new(
        move || (slug(), programme()),
        |(s, p)| programme_editor(s, p),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let error = query.read_untracked().get("error");
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => {
                        let p = d.input.clone();
                        let mut docs = p.documents.clone();
                        let blank = DocumentRule {
                            doc_type: String::new(),
                            labels: Default::default(),
                            accepted_types: vec!["application/pdf".into(), "image/jpeg".into(), "image/png".into()],
                            max_bytes: 10 * 1024 * 1024,
                            max_count: 1,
                            validity_months: None,
                            required: true,
                        };
                        docs.push(blank.clone());
                        docs.push(blank);
                        view! {
                            <section class="card">
                                <h1>{if d.is_new { l.t("programmes-new") } else { l.t("programmes-edit") }}</h1>
                                {error.map(|m| view! { <p class="error" role="alert" id="programme-error">{m}</p> })}
                                <form method="post" action=format!("/t/{}/programmes/save", slug()) class="form" id="programme-form">
                                    {crate::forms::keys(info.csrf.clone())}
                                    <input type="hidden" name="original" value=if d.is_new { String::new() } else { p.slug.clone() }/>
                                    <label>{l.t("programmes-slug")}<input type="text" name="slug" required maxlength="40" value=p.slug.clone()/></label>
                                    {[("kk", p.names.kk.clone(), p.descriptions.kk.clone()), ("ru", p.names.ru.clone(), p.descriptions.ru.clone()), ("en", p.names.en.clone(), p.descriptions.en.clone())].into_iter().map(|(c, n, desc)| view! {
                                        <label>{l.t("programmes-name")}" ("{c}")"<input type="text" name=format!("name_{c}") maxlength="200" value=n/></label>
                                        <label>{l.t("programmes-description")}" ("{c}")"<textarea name=format!("desc_{c}") rows="3" maxlength="5000">{desc}</textarea></label>
                                    }).collect_view()}
                                    <label>{l.t("programmes-kind")}
                                        <select name="kind">{ProgrammeKind::ALL.into_iter().map(|k| view! { <option value=k.as_str() selected=k == p.kind>{l.t(k.label_key())}</option> }).collect_view()}</select>
                                    </label>
                                    <fieldset><legend>{l.t("programmes-regions")}</legend>
                                        {d.regions.iter().map(|r| view! {
                                            <label class="check"><input type="checkbox" name="region" value=r.id.to_string() checked=p.region_ids.contains(&r.id)/>{r.name.clone()}</label>
                                        }).collect_view()}
                                    </fieldset>
                                    <fieldset><legend>{l.t("apply-requirements")}</legend>
                                        <label>{l.t("programmes-min-age")}<input type="number" name="min_age" min="0" max="99" value=p.eligibility.min_age.to_string()/></label>
                                        <label>{l.t("programmes-min-residence")}<input type="number" name="min_residence_months" min="0" max="600" value=p.eligibility.min_residence_months.to_string()/></label>
                                        <label>{l.t("programmes-min-youth-work")}<input type="number" name="min_youth_work_years" min="0" max="60" value=p.eligibility.min_youth_work_years.to_string()/></label>
                                        <label>{l.t("programmes-min-days")}<input type="number" name="min_days_per_week" min="0" max="7" value=p.eligibility.min_days_per_week.to_string()/></label>
                                        {DisqualifyingRole::ALL.into_iter().map(|r| view! {
                                            <label class="check"><input type="checkbox" name="disqualifying" value=r.as_str() checked=p.eligibility.disqualifying_roles.contains(&r)/>{l.t(&format!("unmet-role-{}", r.as_str().replace('_', "-")))}</label>
                                        }).collect_view()}
                                    </fieldset>
                                    <fieldset><legend>{l.t("programmes-window")}</legend>
                                        <label>{l.t("programmes-opens")}<input type="date" name="opens_on" required value=p.opens_on.to_string()/></label>
                                        <label>{l.t("programmes-closes")}<input type="date" name="closes_on" required value=p.closes_on.to_string()/></label>
                                        <label>{l.t("programmes-results")}<input type="date" name="results_on" required value=p.results_on.to_string()/></label>
                                    </fieldset>
                                    <label>{l.t("programmes-contract")}<input type="number" name="contract_months" min="1" max="120" value=p.contract_months.to_string()/></label>
                                    <label>{l.t("programmes-cadence")}
                                        <select name="meeting_cadence">{Cadence::ALL.into_iter().map(|c| view! { <option value=c.as_str() selected=c == p.meeting_cadence>{l.t(c.label_key())}</option> }).collect_view()}</select>
                                    </label>
                                    <fieldset id="programme-stages"><legend>{l.t("programmes-stages")}</legend>
                                        <input type="hidden" name="stages_shown" value="1"/>
                                        {StageKind::ALL.into_iter().map(|s| view! {
                                            <label class="check"><input type="checkbox" name="stage" value=s.as_str() checked=p.stages.contains(&s)/>{l.t(&s.label_key())}</label>
                                        }).collect_view()}
                                    </fieldset>
                                    <label>{l.t("programmes-committee-rule")}
                                        <select name="committee_rule">{MajorityRule::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == p.committee.majority>{l.t(r.label_key())}</option> }).collect_view()}</select>
                                    </label>
                                    <label>{l.t("programmes-committee-quorum")}<input type="number" name="committee_quorum" min="1" max="50" value=p.committee.quorum.to_string()/></label>
                                    <label class="check"><input type="checkbox" name="open_next_stage" value="yes" checked=p.open_next_stage/>{l.t("programmes-open-next-stage")}</label>
                                    <fieldset id="programme-reminders"><legend>{l.t("programmes-reminders")}</legend>
                                        <label>{l.t("programmes-reminder-mentor")}<input type="number" name="reminder_mentor_days" min="1" max="90" value=p.reminders.mentor_days.to_string()/></label>
                                        <label>{l.t("programmes-reminder-coordinator")}<input type="number" name="reminder_coordinator_days" min="1" max="90" value=p.reminders.coordinator_days.to_string()/></label>
                                    </fieldset>
                                    <h2>{l.t("apply-documents")}</h2>
                                    <p class="muted">{l.t("programmes-documents-hint")}</p>
                                    <div class="table-scroll" tabindex="0"><table class="documents-editor">
                                        <tbody>
                                            {docs.into_iter().enumerate().map(|(i, r)| view! {
                                                <tr>
                                                    <td>
                                                        <label>{l.t("programmes-doc-code")}<input type="text" name=format!("doc_type_{i}") maxlength="40" value=r.doc_type.clone()/></label>
                                                        {[("kk", r.labels.kk.clone()), ("ru", r.labels.ru.clone()), ("en", r.labels.en.clone())].into_iter().map(|(c, v)| view! {
                                                            <label>{l.t("programmes-doc-label")}" ("{c}")"<input type="text" name=format!("doc_label_{c}_{i}") maxlength="200" value=v/></label>
                                                        }).collect_view()}
                                                    </td>
                                                    <td>
                                                        {KNOWN_TYPES.into_iter().map(|t| view! {
                                                            <label class="check"><input type="checkbox" name=format!("doc_types_{i}") value=t checked=r.accepted_types.iter().any(|x| x == t)/>{t}</label>
                                                        }).collect_view()}
                                                        <label>{l.t("programmes-doc-max-mb")}<input type="number" name=format!("doc_max_mb_{i}") min="1" max="100" value=r.max_bytes.div_ceil(1024 * 1024).to_string()/></label>
                                                        <label>{l.t("programmes-doc-max-count")}<input type="number" name=format!("doc_max_count_{i}") min="1" max="20" value=r.max_count.to_string()/></label>
                                                        <label>{l.t("programmes-doc-validity")}<input type="number" name=format!("doc_validity_{i}") min="1" max="120" value=r.validity_months.map(|v| v.to_string()).unwrap_or_default()/></label>
                                                        <label class="check"><input type="checkbox" name=format!("doc_required_{i}") value="on" checked=r.required/>{l.t("programmes-doc-required")}</label>
                                                    </td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table></div>
                                    <button type="submit">{l.t("programmes-save")}</button>
                                </form>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
