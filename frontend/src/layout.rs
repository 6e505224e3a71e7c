//! The frame around every page: navigation by role, organisation switcher, language switcher,
//! sign-out. All of it works as plain links and forms before the wasm bundle loads.

use domain::Locale;
use domain::accounts::Role;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_location;

use crate::accounts::{Logout, SetDisplay, SetLanguage};
use crate::session::use_session;

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    // The tenant in the address, if any: navigation is for that tenant. (Every page is a whole
    // page load since issue 20's islands, so the header is drawn once per address.)
    let slug = Memo::new(move |_| {
        location.pathname.with(|p| {
            p.strip_prefix("/t/")
                .and_then(|r| r.split('/').next())
                .filter(|s| !s.is_empty())
                .map(String::from)
        })
    });
    view! {
        <Suspense fallback=|| view! { <header class="top"><a class="brand" href="/">"Ustaz"</a></header> }>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let csrf = info.csrf.clone();
                let member = info.clone();
                #[cfg(feature = "ssr")]
                let display = crate::server::request_display();
                #[cfg(not(feature = "ssr"))]
                let display = domain::accounts::Display::default();
                let tenant_links = move || {
                    let s = slug.get()?;
                    let roles = member.roles_in(&s);
                    if roles.is_empty() {
                        return None;
                    }
                    let admin = roles.contains(&Role::TenantAdmin);
                    let staff = roles.iter().any(|r| r.is_staff());
                    let reviewer = admin || roles.contains(&Role::Coordinator);
                    let board = reviewer || roles.contains(&Role::Psychologist) || roles.contains(&Role::CommitteeMember);
                    let cohorts = board || roles.contains(&Role::Trainer);
                    let mentor = roles.contains(&Role::Mentor);
                    let follows = admin || roles.contains(&Role::Coordinator) || roles.contains(&Role::Psychologist);
                    let psychologist = roles.contains(&Role::Psychologist);
                    Some(view! {
                        <a href=format!("/t/{s}") id="nav-dashboard">{l.t("nav-dashboard")}</a>
                        {admin.then(|| view! { <a href=format!("/t/{s}/staff")>{l.t("nav-staff")}</a> })}
                        {admin.then(|| view! { <a href=format!("/t/{s}/programmes")>{l.t("nav-programmes-admin")}</a> })}
                        {admin.then(|| view! { <a href=format!("/t/{s}/reports") id="nav-reports">{l.t("nav-reports")}</a> })}
                        {admin.then(|| view! { <a href=format!("/t/{s}/grants") id="nav-grants">{l.t("nav-grants")}</a> })}
                        {staff.then(|| view! { <a href=format!("/t/{s}/regions")>{l.t("nav-regions")}</a> })}
                        {staff.then(|| view! { <a href=format!("/t/{s}/institutions")>{l.t("nav-institutions")}</a> })}
                        {reviewer.then(|| view! { <a href=format!("/t/{s}/review")>{l.t("nav-review")}</a> })}
                        {board.then(|| view! { <a href=format!("/t/{s}/candidates")>{l.t("nav-candidates")}</a> })}
                        {cohorts.then(|| view! { <a href=format!("/t/{s}/cohorts")>{l.t("nav-cohorts")}</a> })}
                        {follows.then(|| view! { <a href=format!("/t/{s}/children") id="nav-children">{l.t("nav-children")}</a> })}
                        {follows.then(|| view! { <a href=format!("/t/{s}/pairs") id="nav-pairs">{l.t("nav-pairs")}</a> })}
                        {(mentor && !follows).then(|| view! { <a href=format!("/t/{s}/pairs") id="nav-mentees">{l.t("nav-mentees")}</a> })}
                        {(follows || mentor).then(|| view! { <a href=format!("/t/{s}/groups") id="nav-groups">{l.t("nav-groups")}</a> })}
                        {(follows || mentor).then(|| view! { <a href=format!("/t/{s}/concerns") id="nav-concerns">{l.t("nav-concerns")}</a> })}
                        {psychologist.then(|| view! { <a href=format!("/t/{s}/consultations") id="nav-consultations">{l.t("nav-consultations")}</a> })}
                        {mentor.then(|| view! { <a href=format!("/t/{s}/me") id="nav-account">{l.t("nav-account")}</a> })}
                        {mentor.then(|| view! { <a href=format!("/t/{s}/profile") id="nav-profile">{l.t("nav-profile")}</a> })}
                        <a href=format!("/t/{s}/notifications") id="nav-notifications">{l.t("nav-notifications")}</a>
                        <a href=format!("/t/{s}/apply")>{l.t("nav-programmes")}</a>
                    })
                };
                // The brand leads to the organisation's start page on its pages (a mentor's
                // mentees), and to the list of organisations elsewhere.
                let home = slug
                    .get()
                    .filter(|s| !info.roles_in(s).is_empty())
                    .map(|s| format!("/t/{s}"))
                    .unwrap_or_else(|| "/".into());
                // On a phone the menu folds behind one button (issue 20): a checkbox and its
                // label, so it opens without any script. `autocomplete=off`: a page shown again
                // by Back does not come back with the menu open.
                view! {
                    <header class="top">
                        <a class="brand" href=home>"Ustaz"</a>
                        <input type="checkbox" id="menu-toggle" class="menu-toggle" aria-controls="menu" autocomplete="off"/>
                        <label for="menu-toggle" id="menu-button" class="menu-button">{l.t("nav-menu")}</label>
                        <div class="menu" id="menu">
                            <nav aria-label="main">
                                {tenant_links}
                                {info.user.as_ref().map(|u| view! {
                                    <a href="/" id="nav-organisations">{l.t("nav-organisations")}</a>
                                    {u.is_platform_admin.then(|| view! { <a href="/platform">{l.t("nav-platform")}</a> })}
                                })}
                            </nav>
                            <div class="lang" role="group" aria-label=l.t("nav-language")>
                                {Locale::ALL.into_iter().map(|x| {
                                    let csrf = csrf.clone();
                                    view! {
                                        <form method="post" action=SetLanguage::PATH>
                                            <input type="hidden" name="lang" value=x.code()/>
                                            <input type="hidden" name="csrf" value=csrf/>
                                            <button type="submit" class:active=x == l lang=x.code() data-lang=x.code()>{x.native_name()}</button>
                                        </form>
                                    }
                                }).collect_view()}
                            </div>
                            // The low-vision setting (issue 20): each button turns its part on
                            // or off, a plain post, so it works without any script.
                            <div class="lang display" role="group" aria-label=l.t("display-title")>
                                {[("large", display.large_text, l.t("display-large")), ("contrast", display.high_contrast, l.t("display-contrast"))].into_iter().map(|(which, on, label)| {
                                    let next = match which {
                                        "large" => domain::accounts::Display { large_text: !on, ..display },
                                        _ => domain::accounts::Display { high_contrast: !on, ..display },
                                    };
                                    view! {
                                        <form method="post" action=SetDisplay::PATH>
                                            <input type="hidden" name="csrf" value=csrf.clone()/>
                                            <input type="hidden" name="large_text" value=next.large_text.to_string()/>
                                            <input type="hidden" name="high_contrast" value=next.high_contrast.to_string()/>
                                            <button type="submit" class:active=on aria-pressed=on.to_string() data-display=which>{label}</button>
                                        </form>
                                    }
                                }).collect_view()}
                            </div>
                            {match info.user {
                                Some(u) => view! {
                                    <form method="post" action=Logout::PATH class="signout">
                                        <span class="muted">{u.full_name}</span>
                                        <input type="hidden" name="csrf" value=csrf.clone()/>
                                        <button type="submit" class="secondary">{l.t("nav-sign-out")}</button>
                                    </form>
                                }.into_any(),
                                None => view! { <a href="/login">{l.t("nav-sign-in")}</a> }.into_any(),
                            }}
                        </div>
                    </header>
                }
            })}
        </Suspense>
    }
}

/// Said on the page a repeated form was sent back to (`again=1`, set by the server's
/// `form_once` layer): the form had been sent before and was carried out once, not twice.
#[component]
pub fn RepeatNotice() -> impl IntoView {
    let session = use_session();
    let query = leptos_router::hooks::use_query_map();
    let again = Memo::new(move |_| query.with(|q| q.get("again").is_some()));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = session.await.unwrap_or_default().locale;
                again.get().then(|| view! {
                    <p class="ok" role="status" id="repeat-notice">{l.t("form-already-done")}</p>
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let session = use_session();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = session.await.unwrap_or_default().locale;
                view! {
                    <section class="card narrow">
                        <h1>{l.t("notfound-title")}</h1>
                        <p>{l.t("notfound-body")}</p>
                        <p><a href="/">{l.t("notfound-home")}</a></p>
                    </section>
                }
            })}
        </Suspense>
    }
}
