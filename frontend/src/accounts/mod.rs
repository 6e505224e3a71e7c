//! Sign-in, sign-out, language, password reset, invitations and the staff page.

mod notifications;
mod pages;
mod staff;

pub use notifications::{NotificationsPage, UnsubscribePage};
pub use pages::{AcceptInvitationPage, ForgotPasswordPage, LoginPage, ResetPasswordPage};
pub use staff::{StaffPage, parse_region};

use leptos::prelude::*;

use crate::errors::AppError;

/// Cookie names; the session cookie is HttpOnly, the language cookie is readable by nobody
/// but us too.
pub const SESSION_COOKIE: &str = "ustaz_session";
pub const LANG_COOKIE: &str = "ustaz_lang";
/// The low-vision setting before signing in (`Display::classes`).
pub const DISPLAY_COOKIE: &str = "ustaz_display";

#[cfg(feature = "ssr")]
fn session_cookie(value: &str, max_age_secs: i64) -> String {
    let secure = if crate::server::state().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    )
}

/// Signs in and starts a fresh session (a new id every time: no fixation). Posted as a plain
/// form, so the whole page reloads in the new session.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::server::{client_ip, referer_path, set_cookie, state};
    use domain::accounts::service;
    let db = &state().db;
    let actor = service::authenticate(db, &email, &password, &client_ip()).await?;
    // The browser's previous session ends; the new one has a fresh id.
    if let Some(old) = crate::server::request_cookie(SESSION_COOKIE) {
        service::end_session(db, &old).await?;
    }
    let session = service::start_session(db, actor.user_id).await?;
    set_cookie(session_cookie(
        &session.cookie,
        service::SESSION_ABSOLUTE.num_seconds(),
    ));
    set_cookie(format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        actor.locale
    ));
    // Where to go: the `next` page if the login page had one, else the person's start page.
    let next = referer_path()
        .split_once('?')
        .and_then(|(_, query)| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "next")
                .map(|(_, v)| v.into_owned())
        })
        .filter(|n| service::is_safe_next(n) || n == "/" || n == "/platform");
    let next = match next {
        Some(next) => next,
        None => service::start_page(db, &actor).await?,
    };
    leptos_axum::redirect(&next);
    Ok(())
}

/// Sends a new confirmation link from the sign-in page (no session: an unconfirmed account
/// cannot have one). The same answer whether or not the address waits for confirmation.
#[server(endpoint = "resend_confirmation")]
pub async fn resend_confirmation(email: String) -> Result<(), AppError> {
    use crate::server::{client_ip, state};
    domain::accounts::service::resend_verification_to(&state().db, &email, &client_ip()).await?;
    leptos_axum::redirect("/login?resent=1");
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout(csrf: String) -> Result<(), AppError> {
    use crate::server::{session_for_change, set_cookie, state};
    let _session = session_for_change(&csrf)?;
    if let Some(cookie) = crate::server::request_cookie(SESSION_COOKIE) {
        domain::accounts::service::end_session(&state().db, &cookie).await?;
    }
    set_cookie(session_cookie("", 0));
    // The pages a mentor's phone kept for offline use, and its service worker, go with the
    // session (issue 20): the next person on a shared phone finds none of them.
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.insert_header(
            axum::http::HeaderName::from_static("clear-site-data"),
            axum::http::HeaderValue::from_static("\"cache\", \"storage\""),
        );
    }
    leptos_axum::redirect("/login");
    Ok(())
}

/// Switches the language: remembered in a cookie, and on the account when signed in.
#[server(endpoint = "set_language")]
pub async fn set_language(lang: String, csrf: String) -> Result<(), AppError> {
    use crate::server::{check_csrf, referer_path, session_opt, set_cookie, state};
    let locale: domain::Locale = lang
        .parse()
        .map_err(|_| AppError::Domain(domain::Error::invalid("lang", "error-locale-invalid")))?;
    if let Some(session) = session_opt() {
        check_csrf(&session, &csrf)?;
        domain::accounts::service::set_locale(&state().db, session.actor.user_id, locale).await?;
    }
    set_cookie(format!(
        "{LANG_COOKIE}={locale}; Path=/; SameSite=Lax; Max-Age=31536000"
    ));
    leptos_axum::redirect(&referer_path());
    Ok(())
}

/// The low-vision setting (issue 20): larger text, high contrast. Remembered in a cookie, and on
/// the account when signed in; the page comes back drawn with it.
#[server(endpoint = "set_display")]
pub async fn set_display(
    csrf: String,
    large_text: String,
    high_contrast: String,
) -> Result<(), AppError> {
    use crate::server::{check_csrf, referer_path, session_opt, set_cookie, state};
    // The form's token before anything it says.
    let session = session_opt();
    if let Some(session) = &session {
        check_csrf(session, &csrf)?;
    }
    let on = |field: &str, v: &str| match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(AppError::Domain(domain::Error::invalid(
            field,
            "error-display-invalid",
        ))),
    };
    let display = domain::accounts::Display {
        large_text: on("large_text", &large_text)?,
        high_contrast: on("high_contrast", &high_contrast)?,
    };
    if let Some(session) = session {
        domain::accounts::service::set_display(&state().db, session.actor.user_id, display).await?;
    }
    set_cookie(format!(
        "{DISPLAY_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        display.classes().replace(' ', "+")
    ));
    leptos_axum::redirect(&referer_path());
    Ok(())
}

#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::{client_ip, state};
    domain::accounts::service::request_password_reset(&state().db, &email, &client_ip()).await?;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    domain::accounts::service::reset_password(&crate::server::state().db, &token, &password)
        .await?;
    leptos_axum::redirect("/login?reset=1");
    Ok(())
}

#[server(endpoint = "preview_invitation")]
pub async fn preview_invitation(
    token: String,
) -> Result<domain::accounts::InvitationPreview, AppError> {
    Ok(domain::accounts::service::preview_invitation(&crate::server::state().db, &token).await?)
}

#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(
    token: String,
    full_name: String,
    password: String,
) -> Result<(), AppError> {
    let locale = crate::server::request_locale();
    domain::accounts::service::accept_invitation(
        &crate::server::state().db,
        &token,
        &full_name,
        &password,
        locale,
    )
    .await?;
    leptos_axum::redirect("/login?joined=1");
    Ok(())
}
