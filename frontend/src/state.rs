//! The server's shared state, reachable from every page render and server function.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    /// Cookies get `Secure` when the portal is reached over https.
    pub secure_cookies: bool,
    /// Where uploaded documents are kept (S3 or a local directory).
    pub storage: domain::storage::Storage,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
