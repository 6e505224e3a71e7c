//! Pages before sign-in. Their forms are plain HTML forms posted to server functions: they work
//! before the wasm bundle loads, and a full page load afterwards picks up the new session.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use super::{
    AcceptInvitation, Login, RequestPasswordReset, ResendConfirmation, ResetPassword,
    preview_invitation,
};
use crate::errors::ErrorNote;
use crate::session::use_session;

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    // Picks up the error of a posted form from the redirect (`__err`).
    let action = ServerAction::<Login>::new();
    let query = use_query_map();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let notice = {
                    let q = query.read_untracked();
                    if q.get("reset").is_some() {
                        Some(l.t("reset-done"))
                    } else if q.get("joined").is_some() {
                        Some(l.t("accept-done"))
                    } else if q.get("resent").is_some() {
                        Some(l.t("login-confirmation-resent"))
                    } else {
                        None
                    }
                };
                view! {
                    <section class="card narrow">
                        <h1>{l.t("login-title")}</h1>
                        {notice.map(|n| view! { <p class="ok" role="status">{n}</p> })}
                        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        <form method="post" action=Login::PATH class="form" id="login-form">
                            <label>{l.t("login-email")}
                                <input type="email" name="email" required autocomplete="username"/>
                            </label>
                            <label>{l.t("login-password")}
                                <input type="password" name="password" required autocomplete="current-password"/>
                            </label>
                            <button type="submit">{l.t("login-submit")}</button>
                        </form>
                        <p><a href="/forgot-password">{l.t("login-forgot")}</a></p>
                        // An account not yet confirmed cannot sign in; it can ask for a new link.
                        {move || action.value().get().and_then(|r| r.err()).filter(|e| {
                            matches!(e.domain(), Some(domain::Error::Conflict(c)) if c == "error-email-unverified")
                        }).map(|_| view! {
                            <form method="post" action=ResendConfirmation::PATH class="form" id="resend-form">
                                <p>{l.t("login-unconfirmed-help")}</p>
                                <label>{l.t("login-email")}
                                    <input type="email" name="email" required autocomplete="username"/>
                                </label>
                                <button type="submit">{l.t("login-resend")}</button>
                            </form>
                        })}
                    </section>
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let session = use_session();
    let action = ServerAction::<RequestPasswordReset>::new();
    let query = use_query_map();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = session.await.unwrap_or_default().locale;
                let sent = query.read_untracked().get("sent").is_some();
                view! {
                    <section class="card narrow">
                        <h1>{l.t("forgot-title")}</h1>
                        {sent.then(|| view! { <p class="ok" role="status">{l.t("forgot-sent")}</p> })}
                        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        <p>{l.t("forgot-intro")}</p>
                        <form method="post" action=RequestPasswordReset::PATH class="form">
                            <label>{l.t("login-email")}<input type="email" name="email" required/></label>
                            <button type="submit">{l.t("forgot-submit")}</button>
                        </form>
                    </section>
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let session = use_session();
    let action = ServerAction::<ResetPassword>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = session.await.unwrap_or_default().locale;
                view! {
                    <section class="card narrow">
                        <h1>{l.t("reset-title")}</h1>
                        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        <form method="post" action=ResetPassword::PATH class="form">
                            <input type="hidden" name="token" value=token/>
                            <label>{l.t("reset-new-password")}
                                <input type="password" name="password" required minlength="10" autocomplete="new-password"/>
                            </label>
                            <button type="submit">{l.t("reset-submit")}</button>
                        </form>
                    </section>
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    let session = use_session();
    let action = ServerAction::<AcceptInvitation>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let preview = Resource::new(token, preview_invitation);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = session.await.unwrap_or_default().locale;
                let preview = preview.await;
                #[cfg(feature = "ssr")]
                if let Err(e) = &preview {
                    crate::server::set_page_status(e);
                }
                match preview {
                    Err(e) => view! {
                        <section class="card narrow">
                            <h1>{l.t("notfound-title")}</h1>
                            <ErrorNote error=e locale=l/>
                            <p><a href="/login">{l.t("nav-sign-in")}</a></p>
                        </section>
                    }.into_any(),
                    Ok(p) => {
                        let role = l.t(&p.role.label_key());
                        view! {
                            <section class="card narrow">
                                <h1>{l.t_args("accept-title", &[("tenant", p.tenant_name.clone())])}</h1>
                                <p>{l.t_args("accept-intro", &[("tenant", p.tenant_name.clone()), ("role", role)])}</p>
                                {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <form method="post" action=AcceptInvitation::PATH class="form" id="accept-form">
                                    <input type="hidden" name="token" value=token/>
                                    <p class="muted">{p.email.clone()}</p>
                                    // Accepting proves the address, so the invitee always
                                    // chooses the password; a confirmed account keeps its name.
                                    {if p.has_account {
                                        view! {
                                            <p>{l.t("accept-has-account")}</p>
                                            <input type="hidden" name="full_name" value=""/>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <label>{l.t("accept-full-name")}<input type="text" name="full_name" required maxlength="120"/></label>
                                        }.into_any()
                                    }}
                                    <label>{l.t("accept-password")}
                                        <input type="password" name="password" required minlength="10" autocomplete="new-password"/>
                                    </label>
                                    <button type="submit">{l.t("accept-submit")}</button>
                                </form>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
