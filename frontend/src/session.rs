//! Who is looking at the page, in which language, and the form token that guards their
//! changes. Loaded once per page as a blocking resource, so it is in the server-rendered HTML
//! and the hydrating bundle reads the same value.

use domain::Locale;
use domain::accounts::MembershipView;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::errors::AppError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub locale: Locale,
    pub user: Option<UserInfo>,
    /// The CSRF token every state-changing form sends back; empty when signed out.
    pub csrf: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    pub full_name: String,
    pub email: String,
    pub is_platform_admin: bool,
    pub memberships: Vec<MembershipView>,
}

impl SessionInfo {
    pub fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }

    /// The roles the person holds in `slug`.
    pub fn roles_in(&self, slug: &str) -> Vec<domain::accounts::Role> {
        self.user
            .as_ref()
            .map(|u| {
                u.memberships
                    .iter()
                    .filter(|m| m.tenant_slug == slug)
                    .map(|m| m.role)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[server(endpoint = "session")]
pub async fn load_session() -> Result<SessionInfo, AppError> {
    use crate::server::{request_locale, session_opt, state};
    let state = state();
    let locale = request_locale();
    let Some(session) = session_opt() else {
        return Ok(SessionInfo {
            locale,
            user: None,
            csrf: String::new(),
        });
    };
    let memberships =
        domain::accounts::service::memberships_of(&state.db, session.actor.user_id).await?;
    Ok(SessionInfo {
        locale,
        csrf: session.csrf_token.clone(),
        user: Some(UserInfo {
            full_name: session.actor.full_name.clone(),
            email: session.actor.email.clone(),
            is_platform_admin: session.actor.is_platform_admin,
            memberships,
        }),
    })
}

/// The page's session resource, provided by `App`.
#[derive(Clone, Copy)]
pub struct SessionResource(pub Resource<Result<SessionInfo, AppError>>);

pub fn use_session() -> Resource<Result<SessionInfo, AppError>> {
    expect_context::<SessionResource>().0
}
