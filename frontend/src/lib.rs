//! The Ustaz portal: pages, components and server functions, built twice — with `ssr` into the
//! server, and with `hydrate` into the wasm bundle. Pages are HTML from the server and their
//! forms plain posts; the bundle holds only the few `#[island]`s that must be live (a report's
//! progress), so a phone downloads little (issue 20).
//!
//! Rooms: `accounts` (sign-in, invitations, staff), `tenancy` (dashboard, regions,
//! institutions, platform operator), `recruitment` (programmes, applications, review),
//! `selection` (candidates, cohorts, contracts, activation, the mentor's account).

// The recruitment pages are deep view trees; the wasm build needs room to name their types.
#![recursion_limit = "512"]

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

pub mod accounts;
pub mod errors;
pub mod forms;
pub mod layout;
pub mod matching;
pub mod offline;
pub mod recruitment;
pub mod reports;
pub mod selection;
pub mod session;
pub mod tenancy;

#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod state;

use session::{SessionResource, load_session};

/// Percent-encodes a value for a query string or a header parameter (RFC 3986 unreserved
/// characters pass; everything else, Cyrillic and Kazakh included, as UTF-8 `%XX`).
pub fn encode_query_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The stylesheet's address: its content-named file when the build named the bundle by content
/// (`hash.txt`, issue 20: kept by browsers a year), else the plain one (cargo-leptos's own
/// development build).
fn stylesheet(options: &LeptosOptions) -> String {
    let hashed = options
        .hash_files
        .then(|| std::fs::read_to_string(options.hash_file.as_ref()).ok())
        .flatten()
        .and_then(|hashes| {
            hashes.lines().find_map(|line| {
                let (kind, hash) = line.split_once(':')?;
                (kind.trim() == "css").then(|| hash.trim().to_string())
            })
        });
    match hashed {
        Some(hash) => format!(
            "/{}/{}.{hash}.css",
            options.site_pkg_dir, options.output_name
        ),
        None => format!("/{}/{}.css", options.site_pkg_dir, options.output_name),
    }
}

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let (lang, display) = {
        crate::server::content_security_policy();
        (
            crate::server::request_locale().code(),
            crate::server::request_display().classes(),
        )
    };
    #[cfg(not(feature = "ssr"))]
    let (lang, display) = ("ru", String::new());
    view! {
        <!DOCTYPE html>
        // The low-vision setting as classes (`large`, `contrast`): the styles do the rest.
        <html lang=lang class=display>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                // Installable on a phone's home screen (issue 20).
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="apple-touch-icon" href="/icon-192.png"/>
                <meta name="theme-color" content="#0f766e"/>
                <link rel="stylesheet" id="leptos" href=stylesheet(&options)/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
                // Upload progress bars.
                <script nonce=leptos::nonce::use_nonce() inner_html=recruitment::UPLOAD_SCRIPT></script>
                // What was typed survives a language switch.
                <script nonce=leptos::nonce::use_nonce() inner_html=forms::CARRY_SCRIPT></script>
                // What waits to be sent while offline, on a mentor's pages.
                <script nonce=leptos::nonce::use_nonce() inner_html=offline::OUTBOX_SCRIPT></script>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Blocking: the page is sent once the session is known, and it travels with the HTML.
    let session = Resource::new_blocking(|| (), |_| load_session());
    provide_context(SessionResource(session));
    view! {
        <Title text="Ustaz"/>
        <Router>
            <layout::Header/>
            <main>
                <layout::RepeatNotice/>
                <offline::Outbox/>
                <Routes fallback=|| view! { <layout::NotFound/> }>
                    <Route path=path!("/") view=tenancy::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=accounts::LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password") view=accounts::ForgotPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/reset-password") view=accounts::ResetPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/accept-invitation") view=accounts::AcceptInvitationPage ssr=SsrMode::Async/>
                    <Route path=path!("/platform") view=tenancy::PlatformPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug") view=tenancy::DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/staff") view=accounts::StaffPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/notifications") view=accounts::NotificationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/reports") view=reports::ReportsPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/grants") view=reports::grants::GrantsPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/grants/:grant") view=reports::grants::GrantPage ssr=SsrMode::Async/>
                    <Route path=path!("/unsubscribe") view=accounts::UnsubscribePage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/regions") view=tenancy::RegionsPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/institutions") view=tenancy::InstitutionsPage ssr=SsrMode::Async/>
                    <Route path=path!("/register") view=recruitment::RegisterPage ssr=SsrMode::Async/>
                    <Route path=path!("/verify-email") view=recruitment::VerifyEmailPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/apply") view=recruitment::ProgrammesPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/apply/:programme") view=recruitment::ProgrammePage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/applications/:id") view=recruitment::ApplicationPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/review") view=recruitment::ReviewPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/programmes") view=recruitment::ProgrammesAdminPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/programmes/:programme/edit") view=recruitment::ProgrammeEditPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/candidates") view=selection::CandidatesPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/candidates/:id") view=selection::CandidatePage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/cohorts") view=selection::CohortsPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/cohorts/:cohort") view=selection::CohortPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/me") view=selection::MentorAccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/activate") view=selection::ActivatePage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/children") view=matching::ChildrenPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/children/:child") view=matching::ChildPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/pairs") view=matching::PairsPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/profile") view=matching::ProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/pairs/:pair") view=matching::PairPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/concerns") view=matching::ConcernsPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/consultations") view=matching::ConsultationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/groups") view=matching::GroupsPage ssr=SsrMode::Async/>
                    <Route path=path!("/t/:slug/groups/:group") view=matching::GroupPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// The wasm entry point, called by the script `HydrationScripts` emits; the script then
/// hydrates each `#[island]` on the page. Once that is done (it runs in the microtasks after
/// this call, before any timer), the document is marked, so tests (and curious people) can tell
/// a page whose islands work from server-rendered HTML.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    set_timeout(
        || {
            if let Some(body) = document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
