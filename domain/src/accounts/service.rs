//! Account operations: sign-in with rate limiting, sessions, API tokens, invitations, password
//! resets and staff management. Pages, the JSON API and tests call these and nothing else.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::entity::{
    api_token, invitation, login_failure, membership, password_reset, session, user,
};
use super::throttle;
use super::tokens::{
    hash_password_async, hash_token, new_token, verify_against_dummy_async, verify_password_async,
};
use super::{
    ApiTokenView, Display, Email, InvitationPreview, InvitationView, MembershipView, Role,
    StaffMember, validate_full_name, validate_new_password,
};
use crate::db::{self, Scope};
use crate::error::{Error, Result};
use crate::i18n::Locale;
use crate::jobs::{self, EmailJob, EmailMessage, Job};
use crate::tenancy::audit;
use crate::tenancy::context::{Actor, TenantCtx};
use crate::tenancy::entity::{region, tenant};

/// How long a session lives without activity, and at most.
pub const SESSION_IDLE: Duration = Duration::hours(2);
pub const SESSION_ABSOLUTE: Duration = Duration::hours(12);
/// Sign-in failures are counted over this window.
pub const LOGIN_WINDOW: Duration = Duration::minutes(15);
/// Failures of one account from one address before each further try must wait. Keyed on the
/// pair, so a stranger guessing a psychologist's password from elsewhere does not lock her out.
pub const FREE_FAILURES_PER_ACCOUNT: u64 = 5;
/// Failures of one account from all addresses together before every address waits: guessing
/// spread over many addresses is slowed too.
pub const FREE_FAILURES_PER_ACCOUNT_ANYWHERE: u64 = 50;
/// Failures from one address, whatever the accounts (an office shares one address, so it is
/// higher; behind a proxy the address is the client's, see `USTAZ_TRUSTED_PROXIES`).
pub const FREE_FAILURES_PER_IP: u64 = 50;
/// The first wait after the free failures; it doubles with each further failure, up to
/// [`MAX_LOGIN_DELAY`]. A delay, not a lock: the right password works again once it has passed.
pub const FIRST_LOGIN_DELAY: Duration = Duration::minutes(1);
pub const MAX_LOGIN_DELAY: Duration = Duration::minutes(15);
pub const INVITATION_TTL: Duration = Duration::days(7);
pub const RESET_TTL: Duration = Duration::hours(1);
pub const API_TOKEN_TTL: Duration = Duration::days(30);

// ---------------------------------------------------------------- sign-in

/// How long someone must still wait after `failures` recent failures, the last at `last`, when
/// `free` are allowed without waiting. `None`: they may try now.
pub fn login_wait(
    failures: u64,
    free: u64,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<u64> {
    let last = last?;
    if failures < free {
        return None;
    }
    let doublings = (failures - free).min(16) as i32;
    let delay = (FIRST_LOGIN_DELAY * 2i32.pow(doublings as u32)).min(MAX_LOGIN_DELAY);
    let until = last + delay;
    (now < until).then(|| (until - now).num_seconds().max(1) as u64)
}

/// Checks e-mail and password. An unknown e-mail and a wrong password give the same answer in
/// the same time. After a few failures each further try waits, longer each time (see
/// [`login_wait`]), before the password is even looked at.
///
/// The attempt is written down *before* the password is checked, and each attempt is judged
/// by every other attempt written by then: a burst of parallel guesses gets no more tries than
/// the same guesses one after another. (Of any `free + 1` attempts that got through, the last
/// to be judged would have seen the other `free` rows: each is written before it is judged.
/// Judging only by attempts with earlier ids was not enough: an id is taken before its row is
/// written, so two attempts could each miss the other.)
pub async fn authenticate(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<Actor> {
    let email_key = email.trim().to_lowercase();
    if let Some(secs) = login_refusal(db, &email_key, ip, None).await? {
        return Err(Error::RateLimited {
            retry_after_secs: secs,
        });
    }
    let attempt = Uuid::now_v7();
    login_failure::ActiveModel {
        id: Set(attempt),
        email: Set(email_key.clone()),
        ip: Set(ip.to_string()),
        at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    if let Some(secs) = login_refusal(db, &email_key, ip, Some(attempt)).await? {
        // Refused unchecked: not a failure of its own.
        login_failure::Entity::delete_by_id(attempt)
            .exec(db)
            .await?;
        return Err(Error::RateLimited {
            retry_after_secs: secs,
        });
    }
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email_key))
        .one(db)
        .await?;
    let ok = match found.as_ref().and_then(|u| u.password_hash.as_deref()) {
        Some(phc) => verify_password_async(password, phc).await,
        None => {
            verify_against_dummy_async(password).await;
            false
        }
    };
    if !ok {
        // The attempt's row stays: it is the failure.
        return Err(Error::invalid("credentials", "error-credentials"));
    }
    let user = found.expect("checked above");
    // A successful sign-in clears the account's failures.
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Email.eq(&user.email))
        .exec(db)
        .await?;
    // An address nobody has proven is not an account yet: whoever registered it first must not
    // hold a session or a token that an invitation to the real owner could later empower. Said
    // only to someone who knows the password, so it reveals nothing to a guesser.
    if user.email_verified_at.is_none() {
        return Err(Error::Conflict("error-email-unverified".into()));
    }
    Ok(user.into())
}

/// The wait still due before a sign-in of `email` from `ip`, judged by the failures in the
/// window (other than the attempt `itself`, when given).
async fn login_refusal(
    db: &DatabaseConnection,
    email: &str,
    ip: &str,
    itself: Option<Uuid>,
) -> Result<Option<u64>> {
    let now = Utc::now();
    let recent = |cond: Condition| {
        let mut q = login_failure::Entity::find()
            .filter(login_failure::Column::At.gt(now - LOGIN_WINDOW))
            .filter(cond);
        if let Some(id) = itself {
            q = q.filter(login_failure::Column::Id.ne(id));
        }
        q
    };
    let mut waits = Vec::new();
    for (cond, free) in [
        (
            Condition::all()
                .add(login_failure::Column::Email.eq(email))
                .add(login_failure::Column::Ip.eq(ip)),
            FREE_FAILURES_PER_ACCOUNT,
        ),
        (
            Condition::all().add(login_failure::Column::Email.eq(email)),
            FREE_FAILURES_PER_ACCOUNT_ANYWHERE,
        ),
        (
            Condition::all().add(login_failure::Column::Ip.eq(ip)),
            FREE_FAILURES_PER_IP,
        ),
    ] {
        let count = recent(cond.clone()).count(db).await?;
        if count < free {
            continue;
        }
        let last = recent(cond)
            .order_by_desc(login_failure::Column::At)
            .one(db)
            .await?
            .map(|f| f.at);
        waits.extend(login_wait(count, free, last, now));
    }
    Ok(waits.into_iter().max())
}

/// Everything that lets a person in without the password: sessions and API tokens. Called when
/// the password changes (reset, invitation, activation), so whoever held the old one is out.
pub(crate) async fn end_all_access(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<()> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- sessions

/// A session just created: the cookie value (shown once, never stored) and the CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Starts a session for `user_id`. A fresh id at every sign-in (no fixation).
pub async fn start_session(db: &DatabaseConnection, user_id: Uuid) -> Result<NewSession> {
    let cookie = new_token();
    let csrf_token = new_token();
    let now = Utc::now();
    let expires_at = now + SESSION_ABSOLUTE;
    session::ActiveModel {
        id_hash: Set(hash_token(&cookie)),
        user_id: Set(user_id),
        csrf_token: Set(csrf_token.clone()),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await?;
    Ok(NewSession {
        cookie,
        csrf_token,
        expires_at,
    })
}

/// A live session and its person.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub actor: Actor,
    pub csrf_token: String,
}

/// Looks up the session behind a cookie; expired or idle sessions are removed and refused.
pub async fn resume_session(db: &DatabaseConnection, cookie: &str) -> Result<Option<LiveSession>> {
    let Some(s) = session::Entity::find_by_id(hash_token(cookie))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if s.expires_at <= now || s.last_seen_at + SESSION_IDLE <= now {
        session::Entity::delete_by_id(s.id_hash).exec(db).await?;
        return Ok(None);
    }
    let Some(u) = user::Entity::find_by_id(s.user_id).one(db).await? else {
        return Ok(None);
    };
    // Touch at most once a minute: one write per click would be wasteful.
    if now - s.last_seen_at > Duration::minutes(1) {
        let csrf = s.csrf_token.clone();
        let mut active = s.into_active_model();
        active.last_seen_at = Set(now);
        active.update(db).await?;
        return Ok(Some(LiveSession {
            actor: u.into(),
            csrf_token: csrf,
        }));
    }
    Ok(Some(LiveSession {
        actor: u.into(),
        csrf_token: s.csrf_token,
    }))
}

pub async fn end_session(db: &DatabaseConnection, cookie: &str) -> Result<()> {
    session::Entity::delete_by_id(hash_token(cookie))
        .exec(db)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- API tokens

/// Issues a bearer token for the JSON API. The token is returned once; only its hash is kept.
pub async fn issue_api_token(db: &DatabaseConnection, user_id: Uuid, name: &str) -> Result<String> {
    let token = new_token();
    let now = Utc::now();
    api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        token_hash: Set(hash_token(&token)),
        name: Set(name.chars().take(100).collect()),
        expires_at: Set(now + API_TOKEN_TTL),
        revoked_at: Set(None),
        last_used_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The person behind a bearer token, if it is valid.
pub async fn resolve_api_token(db: &DatabaseConnection, token: &str) -> Result<Option<Actor>> {
    let Some(t) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if t.revoked_at.is_some() || t.expires_at <= now {
        return Ok(None);
    }
    let user_id = t.user_id;
    // The owner sees when a token was last used; written at most once a minute per token.
    if t.last_used_at
        .is_none_or(|at| now - at > Duration::minutes(1))
    {
        let mut am = t.into_active_model();
        am.last_used_at = Set(Some(now));
        am.update(db).await?;
    }
    Ok(user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(Actor::from))
}

/// The person's API tokens, newest first: live ones and those revoked or expired in the last
/// 30 days (so the owner sees what just ended). Never the token itself.
pub async fn list_api_tokens(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<ApiTokenView>> {
    let since = Utc::now() - Duration::days(30);
    let now = Utc::now();
    let rows = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(actor.user_id))
        .filter(api_token::Column::ExpiresAt.gt(since))
        .order_by_desc(api_token::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|t| t.revoked_at.is_none_or(|r| r > since))
        .map(|t| ApiTokenView {
            active: t.revoked_at.is_none() && t.expires_at > now,
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        })
        .collect())
}

/// Revokes one of the person's own tokens. Someone else's token is not found.
pub async fn revoke_api_token(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> Result<()> {
    // A person's own tokens, whatever tenant they act in.
    let txn = db::write(db, Scope::System).await?;
    let t = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::UserId.eq(actor.user_id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if t.revoked_at.is_none() {
        let mut am = t.into_active_model();
        am.revoked_at = Set(Some(Utc::now()));
        am.update(&txn).await?;
        audit::record(
            &txn,
            None,
            Some(actor.user_id),
            "api_token.revoked",
            "api_token",
            Some(id),
            None,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- memberships

/// Where a person lands after signing in: the start page of their one organisation (a mentor's
/// opens on their mentees, issue 20), or the list when they belong to several, to none, or run
/// the platform.
pub async fn start_page(db: &DatabaseConnection, actor: &Actor) -> Result<String> {
    if actor.is_platform_admin {
        return Ok("/".into());
    }
    let mut slugs: Vec<String> = memberships_of(db, actor.user_id)
        .await?
        .into_iter()
        .map(|m| m.tenant_slug)
        .collect();
    slugs.sort();
    slugs.dedup();
    Ok(match slugs.as_slice() {
        [one] => format!("/t/{one}"),
        _ => "/".into(),
    })
}

/// Every tenant and role of a person (for the tenant switcher and `me`).
pub async fn memberships_of(db: &DatabaseConnection, user_id: Uuid) -> Result<Vec<MembershipView>> {
    // Cross-tenant by nature: a person sees their own memberships in every tenant.
    let txn = db::read(db, Scope::System).await?;
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::Active.eq(true))
        .all(&txn)
        .await?;
    let mut out = Vec::new();
    for m in rows {
        let Some(t) = tenant::Entity::find_by_id(m.tenant_id).one(&txn).await? else {
            continue;
        };
        let Ok(role) = m.role.parse::<Role>() else {
            continue;
        };
        out.push(MembershipView {
            tenant_slug: t.slug,
            tenant_name: t.name,
            role,
            region_id: m.region_id,
        });
    }
    txn.commit().await?;
    out.sort_by(|a, b| (&a.tenant_name, a.role).cmp(&(&b.tenant_name, b.role)));
    Ok(out)
}

/// Changes a person's language.
pub async fn set_locale(db: &DatabaseConnection, user_id: Uuid, locale: Locale) -> Result<()> {
    let Some(u) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Err(Error::NotFound);
    };
    let mut active = u.into_active_model();
    active.locale = Set(locale.code().to_string());
    active.update(db).await?;
    Ok(())
}

/// Remembers the person's low-vision setting on their account (issue 20).
pub async fn set_display(db: &DatabaseConnection, user_id: Uuid, display: Display) -> Result<()> {
    let Some(u) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Err(Error::NotFound);
    };
    let mut active = u.into_active_model();
    active.large_text = Set(display.large_text);
    active.high_contrast = Set(display.high_contrast);
    active.update(db).await?;
    Ok(())
}

/// A tenant's active members holding one of `roles`, by name; with a region, only those of that
/// region or of the whole organisation (a membership without a region). The one answer to
/// "who is told" (admins of a report, a region's coordinators of a concern) and "who can be
/// chosen" (mentors for a group, trainers for a cohort). Someone holding two of the roles is
/// listed once.
pub async fn members_with_roles(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    roles: &[Role],
    region_id: Option<Uuid>,
) -> Result<Vec<user::Model>> {
    let mut ids: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(tenant_id))
        .filter(membership::Column::Active.eq(true))
        .filter(membership::Column::Role.is_in(roles.iter().map(|r| r.as_str())))
        .all(conn)
        .await?
        .into_iter()
        .filter(|m| region_id.is_none() || m.region_id.is_none() || m.region_id == region_id)
        .map(|m| m.user_id)
        .collect();
    ids.sort();
    ids.dedup();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .order_by_asc(user::Column::FullName)
        .order_by_asc(user::Column::Email)
        .all(conn)
        .await?)
}

/// The tenant's people (tenant admin).
pub async fn list_staff(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<Vec<StaffMember>> {
    ctx.require_admin()?;
    let txn = ctx.read(db).await?;
    let rows = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(ctx.tenant_id()))
        .order_by_asc(membership::Column::CreatedAt)
        .all(&txn)
        .await?;
    let regions = region::Entity::find()
        .filter(region::Column::TenantId.eq(ctx.tenant_id()))
        .all(&txn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        let Some(u) = user::Entity::find_by_id(m.user_id).one(&txn).await? else {
            continue;
        };
        let Ok(role) = m.role.parse() else { continue };
        out.push(StaffMember {
            membership_id: m.id,
            user_id: u.id,
            email: u.email,
            full_name: u.full_name,
            role,
            region_id: m.region_id,
            region_name: m
                .region_id
                .and_then(|id| regions.iter().find(|r| r.id == id).map(|r| r.name.clone())),
            active: m.active,
        });
    }
    txn.commit().await?;
    Ok(out)
}

/// Checks that a region id belongs to the tenant.
async fn check_region(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    region_id: Option<Uuid>,
) -> Result<()> {
    if let Some(id) = region_id {
        let found = region::Entity::find_by_id(id)
            .filter(region::Column::TenantId.eq(tenant_id))
            .one(conn)
            .await?;
        if found.is_none() {
            return Err(Error::invalid("region_id", "error-region-unknown"));
        }
    }
    Ok(())
}

/// Refuses a change that would leave the tenant without an active admin.
async fn keep_an_admin(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    changing: &membership::Model,
) -> Result<()> {
    if changing.role != Role::TenantAdmin.as_str() || !changing.active {
        return Ok(());
    }
    let admins = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(tenant_id))
        .filter(membership::Column::Role.eq(Role::TenantAdmin.as_str()))
        .filter(membership::Column::Active.eq(true))
        .count(conn)
        .await?;
    if admins <= 1 {
        return Err(Error::Conflict("error-last-admin".into()));
    }
    Ok(())
}

/// What a tenant admin changes of a membership; what is `None` stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipChange {
    pub role: Option<Role>,
    /// `Some(None)` moves the person to all regions.
    pub region_id: Option<Option<Uuid>>,
    /// `Some(false)` deactivates: the person is out of this tenant at their next request (every
    /// request re-reads active memberships).
    pub active: Option<bool>,
}

/// Changes a membership's role, region or activity (tenant admin), in one transaction. An
/// unknown membership (another tenant's included) is not found even when nothing would change.
pub async fn change_membership(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    membership_id: Uuid,
    change: MembershipChange,
) -> Result<()> {
    ctx.require_admin()?;
    if let Some(role) = change.role
        && !Role::STAFF.contains(&role)
    {
        return Err(Error::invalid("role", "error-role-invalid"));
    }
    let txn = ctx.write(db).await?;
    let m = membership::Entity::find_by_id(membership_id)
        .filter(membership::Column::TenantId.eq(ctx.tenant_id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if let Some(region_id) = change.region_id {
        check_region(&txn, ctx.tenant_id(), region_id).await?;
    }
    let demoted = change.role.is_some_and(|r| r != Role::TenantAdmin);
    if demoted || change.active == Some(false) {
        keep_an_admin(&txn, ctx.tenant_id(), &m).await?;
    }
    let before = (m.role.clone(), m.region_id, m.active);
    let current = m.clone();
    let mut am = m.into_active_model();
    if let Some(role) = change.role {
        am.role = Set(role.as_str().to_string());
    }
    if let Some(region_id) = change.region_id {
        am.region_id = Set(region_id);
    }
    if let Some(active) = change.active {
        am.active = Set(active);
    }
    // `{}` changes nothing (and is still a 404 for an unknown membership, above).
    let after = if am.is_changed() {
        am.update(&txn).await.map_err(|e| {
            if db::is_unique_violation(&e) {
                Error::Conflict("error-already-member".into())
            } else {
                Error::from(e)
            }
        })?
    } else {
        current
    };
    if (&after.role, after.region_id) != (&before.0, before.1) {
        audit::record(
            &txn,
            Some(ctx.tenant_id()),
            Some(ctx.actor.user_id),
            "membership.changed",
            "membership",
            Some(membership_id),
            Some(serde_json::json!({
                "from": before.0, "to": after.role,
                "region_from": before.1, "region_id": after.region_id,
            })),
        )
        .await?;
    }
    if after.active != before.2 {
        if !after.active
            && let Some(u) = user::Entity::find_by_id(after.user_id).one(&txn).await?
        {
            revoke_pending_invitations(&txn, ctx.tenant_id(), &u.email).await?;
        }
        audit::record(
            &txn,
            Some(ctx.tenant_id()),
            Some(ctx.actor.user_id),
            if after.active {
                "membership.reactivated"
            } else {
                "membership.deactivated"
            },
            "membership",
            Some(membership_id),
            None,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- invitations

/// Invites someone to the tenant with a role (tenant admin). The e-mail goes out through the
/// outbox in the same transaction.
pub async fn invite(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    email: &str,
    role: Role,
    region_id: Option<Uuid>,
) -> Result<InvitationView> {
    ctx.require_admin()?;
    let email = Email::parse(email)?;
    if !Role::STAFF.contains(&role) {
        return Err(Error::invalid("role", "error-role-invalid"));
    }
    let txn = ctx.write(db).await?;
    check_region(&txn, ctx.tenant_id(), region_id).await?;
    if let Some(u) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?
    {
        let exists = membership::Entity::find()
            .filter(membership::Column::TenantId.eq(ctx.tenant_id()))
            .filter(membership::Column::UserId.eq(u.id))
            .filter(membership::Column::Role.eq(role.as_str()))
            .count(&txn)
            .await?;
        if exists > 0 {
            return Err(Error::Conflict("error-already-member".into()));
        }
    }
    let view =
        create_invitation(&txn, &ctx.tenant, email, role, region_id, Some(&ctx.actor)).await?;
    txn.commit().await?;
    Ok(view)
}

/// Writes an invitation and its e-mail job. Shared by `invite` and the operator's tenant creation.
pub(crate) async fn create_invitation(
    conn: &impl ConnectionTrait,
    tenant: &tenant::Model,
    email: Email,
    role: Role,
    region_id: Option<Uuid>,
    inviter: Option<&Actor>,
) -> Result<InvitationView> {
    let token = new_token();
    let now = Utc::now();
    let id = Uuid::now_v7();
    let inv = invitation::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.id),
        email: Set(email.as_str().to_string()),
        role: Set(role.as_str().to_string()),
        region_id: Set(region_id),
        token_hash: Set(hash_token(&token)),
        invited_by: Set(inviter.map(|a| a.user_id)),
        expires_at: Set(now + INVITATION_TTL),
        accepted_at: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    // The invitee has no account yet, so the tenant's language is the best guess.
    let locale: Locale = match user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(conn)
        .await?
    {
        Some(u) => u.locale.parse().unwrap_or_default(),
        None => tenant.default_locale.parse().unwrap_or_default(),
    };
    jobs::enqueue(
        conn,
        &Job::SendEmail(EmailJob {
            tenant_id: Some(tenant.id),
            unsubscribe: None,
            dedupe_key: format!("invitation:{id}"),
            to: email.as_str().to_string(),
            locale,
            message: EmailMessage::Invitation {
                tenant_name: tenant.name.clone(),
                role,
                inviter_name: inviter
                    .map(|a| a.full_name.clone())
                    .unwrap_or_else(|| "Ustaz".into()),
                path: format!("/accept-invitation?token={token}"),
            },
        }),
    )
    .await?;
    audit::record(
        conn,
        Some(tenant.id),
        inviter.map(|a| a.user_id),
        "invitation.created",
        "invitation",
        Some(id),
        Some(serde_json::json!({"role": role.as_str()})),
    )
    .await?;
    Ok(invitation_view(tenant, inv))
}

fn invitation_view(tenant: &tenant::Model, inv: invitation::Model) -> InvitationView {
    InvitationView {
        id: inv.id,
        email: inv.email,
        role: inv.role.parse().unwrap_or(Role::Mentor),
        region_id: inv.region_id,
        expires_at: crate::recruitment::service::local_moment(tenant, inv.expires_at),
        accepted: inv.accepted_at.is_some(),
    }
}

/// Invitations of the tenant, newest first (tenant admin).
pub async fn list_invitations(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<Vec<InvitationView>> {
    ctx.require_admin()?;
    let txn = ctx.read(db).await?;
    let rows = invitation::Entity::find()
        .filter(invitation::Column::TenantId.eq(ctx.tenant_id()))
        .order_by_desc(invitation::Column::CreatedAt)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows
        .into_iter()
        .map(|i| invitation_view(&ctx.tenant, i))
        .collect())
}

/// Withdraws a pending invitation (tenant admin): its link stops working at once. An accepted
/// one is history, not withdrawn (deactivate the membership instead).
pub async fn revoke_invitation(db: &DatabaseConnection, ctx: &TenantCtx, id: Uuid) -> Result<()> {
    ctx.require_admin()?;
    let txn = ctx.write(db).await?;
    let inv = invitation::Entity::find_by_id(id)
        .filter(invitation::Column::TenantId.eq(ctx.tenant_id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if inv.accepted_at.is_some() {
        return Err(Error::Conflict("error-invitation-used".into()));
    }
    invitation::Entity::delete_by_id(inv.id).exec(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "invitation.revoked",
        "invitation",
        Some(inv.id),
        Some(serde_json::json!({ "role": inv.role })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Withdraws every pending invitation of `email` to this tenant (a person deactivated must not
/// come back through a link still in their mailbox).
async fn revoke_pending_invitations(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    email: &str,
) -> Result<()> {
    invitation::Entity::delete_many()
        .filter(invitation::Column::TenantId.eq(tenant_id))
        .filter(invitation::Column::Email.eq(email))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

async fn open_invitation(conn: &impl ConnectionTrait, token: &str) -> Result<invitation::Model> {
    let inv = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(hash_token(token.trim())))
        .one(conn)
        .await?
        .ok_or_else(|| Error::invalid("token", "error-invitation-invalid"))?;
    if inv.accepted_at.is_some() {
        return Err(Error::invalid("token", "error-invitation-used"));
    }
    if inv.expires_at <= Utc::now() {
        return Err(Error::invalid("token", "error-invitation-expired"));
    }
    Ok(inv)
}

pub async fn preview_invitation(db: &DatabaseConnection, token: &str) -> Result<InvitationPreview> {
    // The token is the credential here: the tenant is not known until it is looked up.
    let txn = db::read(db, Scope::System).await?;
    let inv = open_invitation(&txn, token).await?;
    let t = tenant::Entity::find_by_id(inv.tenant_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let has_account = user::Entity::find()
        .filter(user::Column::Email.eq(&inv.email))
        .one(&txn)
        .await?
        .is_some_and(|u| u.password_hash.is_some() && u.email_verified_at.is_some());
    txn.commit().await?;
    Ok(InvitationPreview {
        tenant_name: t.name,
        email: inv.email,
        role: inv.role.parse().unwrap_or(Role::Mentor),
        has_account,
    })
}

/// Accepts an invitation: creates the account (with the person's own password) or, for someone
/// who already has one, adds the membership and leaves their password alone. Single use.
pub async fn accept_invitation(
    db: &DatabaseConnection,
    token: &str,
    full_name: &str,
    password: &str,
    locale: Locale,
) -> Result<Actor> {
    let txn = db::write(db, Scope::System).await?;
    let inv = open_invitation(&txn, token).await?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(&inv.email))
        .one(&txn)
        .await?;
    let user = match existing {
        // Someone holds an account at this address. Only the invitee reads this link, so
        // accepting proves the address: they choose the password now, and every session and
        // token of the account ends. Whoever registered the address first (unverified) or
        // knew an old password is out; a verified person keeps their name.
        Some(u) => {
            validate_new_password(password)?;
            let name = if u.email_verified_at.is_some() && full_name.trim().is_empty() {
                u.full_name.clone()
            } else {
                validate_full_name(full_name)?
            };
            end_all_access(&txn, u.id).await?;
            let verified_at = u.email_verified_at.unwrap_or_else(Utc::now);
            let mut am = u.into_active_model();
            am.password_hash = Set(Some(hash_password_async(password).await));
            am.full_name = Set(name);
            am.email_verified_at = Set(Some(verified_at));
            am.update(&txn).await?
        }
        None => {
            let name = validate_full_name(full_name)?;
            validate_new_password(password)?;
            user::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(inv.email.clone()),
                full_name: Set(name),
                locale: Set(locale.code().to_string()),
                password_hash: Set(Some(hash_password_async(password).await)),
                is_platform_admin: Set(false),
                created_at: Set(Utc::now()),
                // The invitation arrived at this address, so it is proven.
                email_verified_at: Set(Some(Utc::now())),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let already = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(inv.tenant_id))
        .filter(membership::Column::UserId.eq(user.id))
        .filter(membership::Column::Role.eq(&inv.role))
        .one(&txn)
        .await?;
    match already {
        // Deactivated by an admin: only an admin brings them back (the membership's page), not
        // a link that was still in their mailbox. Nothing of the above is kept.
        Some(m) if !m.active => {
            return Err(Error::Conflict("error-membership-deactivated".into()));
        }
        Some(_) => {}
        None => {
            membership::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user.id),
                tenant_id: Set(inv.tenant_id),
                role: Set(inv.role.clone()),
                region_id: Set(inv.region_id),
                active: Set(true),
                created_at: Set(Utc::now()),
            }
            .insert(&txn)
            .await?;
        }
    }
    let inv_id = inv.id;
    let tenant_id = inv.tenant_id;
    let mut am = inv.into_active_model();
    am.accepted_at = Set(Some(Utc::now()));
    am.update(&txn).await?;
    audit::record(
        &txn,
        Some(tenant_id),
        Some(user.id),
        "invitation.accepted",
        "invitation",
        Some(inv_id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(user.into())
}

// ---------------------------------------------------------------- the platform operator

/// How long the link `server create-operator` prints stays valid: the person at the terminal
/// may hand it to the operator, who opens it later that day.
pub const OPERATOR_LINK_TTL: Duration = Duration::hours(24);

/// Makes the account of `email` the platform operator's (creating it, without a password, when
/// there is none) and returns the path of a one-time link that sets its password, like a
/// reset's: `server create-operator` prints it. A production installation has no other way to
/// its first operator, who then creates the tenants.
pub async fn make_operator(
    db: &DatabaseConnection,
    email: &str,
    full_name: &str,
) -> Result<String> {
    let email = Email::parse(email)?;
    let name = validate_full_name(full_name)?;
    let txn = db::write(db, Scope::System).await?;
    let user = match user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?
    {
        Some(u) => {
            let mut am = u.into_active_model();
            am.is_platform_admin = Set(true);
            am.update(&txn).await?
        }
        None => {
            user::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(email.as_str().to_string()),
                full_name: Set(name),
                locale: Set(Locale::default().code().to_string()),
                password_hash: Set(None),
                is_platform_admin: Set(true),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let (_, token) = new_reset(&txn, user.id, OPERATOR_LINK_TTL).await?;
    audit::record(
        &txn,
        None,
        None,
        "platform.operator_granted",
        "user",
        Some(user.id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(format!("/reset-password?token={token}"))
}

// ---------------------------------------------------------------- password reset

/// A one-time password link for `user_id`, valid for `ttl`: its id and the token (only the
/// token's hash is stored).
async fn new_reset(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    ttl: Duration,
) -> Result<(Uuid, String)> {
    let token = new_token();
    let id = Uuid::now_v7();
    password_reset::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        token_hash: Set(hash_token(&token)),
        expires_at: Set(Utc::now() + ttl),
        used_at: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok((id, token))
}

/// Sends a reset link if the address has an account. Answers the same either way, so the form
/// cannot be used to find out who has an account.
pub async fn request_password_reset(db: &DatabaseConnection, email: &str, ip: &str) -> Result<()> {
    let email = Email::parse(email)?;
    throttle::take_mail(db, "mail", throttle::MAIL_PER_IP, ip, &email).await?;
    let txn = db::write(db, Scope::System).await?;
    if let Some(u) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?
    {
        let (id, token) = new_reset(&txn, u.id, RESET_TTL).await?;
        jobs::enqueue(
            &txn,
            &Job::SendEmail(EmailJob {
                tenant_id: None,
                unsubscribe: None,
                dedupe_key: format!("password-reset:{id}"),
                to: u.email.clone(),
                locale: u.locale.parse().unwrap_or_default(),
                message: EmailMessage::PasswordReset {
                    path: format!("/reset-password?token={token}"),
                },
            }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Sets a new password from a reset link. Single use; signs the person out everywhere and
/// revokes their API tokens. The link arrived at the address, so it also proves it.
pub async fn reset_password(
    db: &DatabaseConnection,
    token: &str,
    new_password: &str,
) -> Result<()> {
    validate_new_password(new_password)?;
    let txn = db::write(db, Scope::System).await?;
    let reset = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(hash_token(token.trim())))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("token", "error-reset-invalid"))?;
    if reset.used_at.is_some() {
        return Err(Error::invalid("token", "error-reset-used"));
    }
    if reset.expires_at <= Utc::now() {
        return Err(Error::invalid("token", "error-reset-expired"));
    }
    let u = user::Entity::find_by_id(reset.user_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let user_id = u.id;
    let verified_at = u.email_verified_at.unwrap_or_else(Utc::now);
    let mut am = u.into_active_model();
    am.password_hash = Set(Some(hash_password_async(new_password).await));
    am.email_verified_at = Set(Some(verified_at));
    am.update(&txn).await?;
    let mut rm = reset.into_active_model();
    rm.used_at = Set(Some(Utc::now()));
    rm.update(&txn).await?;
    end_all_access(&txn, user_id).await?;
    login_failure::Entity::delete_many()
        .filter(
            Condition::all().add(login_failure::Column::Email.eq(am_email(&txn, user_id).await?)),
        )
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        None,
        Some(user_id),
        "password.reset",
        "user",
        Some(user_id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn am_email(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<String> {
    Ok(user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .map(|u| u.email)
        .unwrap_or_default())
}

// ---------------------------------------------------------------- self-registration

/// How long an e-mail verification link works.
pub const VERIFY_TTL: Duration = Duration::days(3);

/// Registers an applicant (someone who will apply to a programme) and e-mails a verification
/// link. An address that already has an account gets an e-mail saying so instead, and the
/// caller sees the same answer, so the form does not reveal who has an account.
#[allow(clippy::too_many_arguments)]
pub async fn register(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    full_name: &str,
    locale: Locale,
    next: Option<&str>,
    ip: &str,
) -> Result<()> {
    let email = Email::parse(email)?;
    let name = validate_full_name(full_name)?;
    let next = next.filter(|n| is_safe_next(n));
    validate_new_password(password)?;
    // Counted before the hash: a flood is refused before it costs any.
    throttle::take_mail(db, "register", throttle::REGISTER_PER_IP, ip, &email).await?;
    // Hash before the transaction: it is the slow part and holds no lock.
    let phc = hash_password_async(password).await;
    let txn = db::write(db, Scope::System).await?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?;
    if let Some(u) = existing {
        jobs::enqueue(
            &txn,
            &Job::SendEmail(EmailJob {
                tenant_id: None,
                unsubscribe: None,
                dedupe_key: format!("already-registered:{}:{}", u.id, Uuid::now_v7()),
                to: u.email.clone(),
                locale: u.locale.parse().unwrap_or_default(),
                message: EmailMessage::AlreadyRegistered {
                    path: "/forgot-password".into(),
                },
            }),
        )
        .await?;
        txn.commit().await?;
        return Ok(());
    }
    let now = Utc::now();
    let user_id = Uuid::now_v7();
    user::ActiveModel {
        id: Set(user_id),
        email: Set(email.as_str().to_string()),
        full_name: Set(name),
        locale: Set(locale.code().to_string()),
        password_hash: Set(Some(phc)),
        is_platform_admin: Set(false),
        created_at: Set(now),
        email_verified_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    send_verification(&txn, user_id, email.as_str(), locale, next).await?;
    audit::record(
        &txn,
        None,
        Some(user_id),
        "user.registered",
        "user",
        Some(user_id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Whether `next` is one of our own pages (a tenant page), safe to send someone back to.
pub fn is_safe_next(next: &str) -> bool {
    // A page of an organisation on this site, with a plain query at most (the pre-check's
    // answers travel with it, so they are not asked again after registering).
    next.starts_with("/t/")
        && !next.contains("//")
        && next.len() <= 400
        && next
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_?=&".contains(c))
}

/// `value` as one value of a query string.
pub fn query_value(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

async fn send_verification(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    email: &str,
    locale: Locale,
    next: Option<&str>,
) -> Result<()> {
    let token = new_token();
    let id = Uuid::now_v7();
    crate::recruitment::entity::email_verification::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        token_hash: Set(hash_token(&token)),
        expires_at: Set(Utc::now() + VERIFY_TTL),
        used_at: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    jobs::enqueue(
        conn,
        &Job::SendEmail(EmailJob {
            tenant_id: None,
            unsubscribe: None,
            dedupe_key: format!("verify-email:{id}"),
            to: email.to_string(),
            locale,
            message: EmailMessage::VerifyEmail {
                path: match next {
                    Some(n) => format!("/verify-email?token={token}&next={}", query_value(n)),
                    None => format!("/verify-email?token={token}"),
                },
            },
        }),
    )
    .await
}

/// Sends a fresh verification link to a person whose address is not yet verified, at most three
/// in ten minutes.
pub async fn resend_verification(db: &DatabaseConnection, actor: &Actor) -> Result<()> {
    let txn = db::write(db, Scope::System).await?;
    let u = user::Entity::find_by_id(actor.user_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if u.email_verified_at.is_some() {
        return Err(Error::Conflict("error-email-already-verified".into()));
    }
    let recent = crate::recruitment::entity::email_verification::Entity::find()
        .filter(crate::recruitment::entity::email_verification::Column::UserId.eq(u.id))
        .filter(
            crate::recruitment::entity::email_verification::Column::CreatedAt
                .gt(Utc::now() - Duration::minutes(10)),
        )
        .count(&txn)
        .await?;
    if recent >= 3 {
        return Err(Error::RateLimited {
            retry_after_secs: 600,
        });
    }
    send_verification(
        &txn,
        u.id,
        &u.email,
        u.locale.parse().unwrap_or_default(),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sends a fresh verification link to an address, from the sign-in page of someone who cannot
/// sign in before confirming it. Answers the same whether or not the address has an account
/// waiting for confirmation, so it reveals nothing.
pub async fn resend_verification_to(db: &DatabaseConnection, email: &str, ip: &str) -> Result<()> {
    let email = Email::parse(email)?;
    throttle::take_mail(db, "mail", throttle::MAIL_PER_IP, ip, &email).await?;
    let waiting = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .filter(user::Column::EmailVerifiedAt.is_null())
        .one(db)
        .await?;
    match waiting {
        Some(u) => match resend_verification(db, &u.into()).await {
            // Too many links already: the answer stays the same, the limit holds.
            Err(Error::RateLimited { .. }) | Ok(()) => Ok(()),
            Err(e) => Err(e),
        },
        None => Ok(()),
    }
}

/// Marks the address verified from the e-mailed link. Single use and expiring; a link for an
/// address that is verified already answers that it is.
pub async fn verify_email(db: &DatabaseConnection, token: &str) -> Result<Actor> {
    use crate::recruitment::entity::email_verification as ev;
    let txn = db::write(db, Scope::System).await?;
    let row = ev::Entity::find()
        .filter(ev::Column::TokenHash.eq(hash_token(token.trim())))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("token", "error-verify-invalid"))?;
    if row.used_at.is_some() {
        return Err(Error::invalid("token", "error-verify-used"));
    }
    if row.expires_at <= Utc::now() {
        return Err(Error::invalid("token", "error-verify-expired"));
    }
    let u = user::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let mut rm = row.into_active_model();
    rm.used_at = Set(Some(Utc::now()));
    rm.update(&txn).await?;
    let u = if u.email_verified_at.is_none() {
        let mut am = u.into_active_model();
        am.email_verified_at = Set(Some(Utc::now()));
        am.update(&txn).await?
    } else {
        u
    };
    audit::record(
        &txn,
        None,
        Some(u.id),
        "user.email_verified",
        "user",
        Some(u.id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(u.into())
}

/// Whether the person has verified their address.
pub async fn is_email_verified(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<bool> {
    Ok(user::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .is_some_and(|u| u.email_verified_at.is_some()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_next_page_is_a_page_of_this_site_with_a_plain_query_at_most() {
        assert!(is_safe_next("/t/almaty/apply/mentors-2027"));
        assert!(is_safe_next(
            "/t/almaty/apply/mentors-2027?date_of_birth=1988-04-12&region=01a2&role_x=on"
        ));
        for bad in [
            "/",
            "//evil.example/t/",
            "/t//evil.example",
            "https://evil.example/t/",
            "/t/a/<script>",
            "/t/a/%2F%2Fevil",
            "/t/a\\evil",
        ] {
            assert!(!is_safe_next(bad), "{bad}");
        }
        assert!(!is_safe_next(&format!("/t/{}", "a".repeat(400))));
        assert_eq!(query_value("/t/a?x=1&y=2"), "%2Ft%2Fa%3Fx%3D1%26y%3D2");
    }

    use super::*;

    #[test]
    fn sign_in_waits_grow_after_the_free_failures_and_end() {
        let now = Utc::now();
        let last = Some(now - Duration::seconds(10));
        // Under the free failures, or with none at all: no wait.
        assert_eq!(login_wait(4, 5, last, now), None);
        assert_eq!(login_wait(9, 5, None, now), None);
        // The fifth failure: a minute from the last one (50 s left), then doubling.
        assert_eq!(login_wait(5, 5, last, now), Some(50));
        assert_eq!(login_wait(6, 5, last, now), Some(110));
        assert_eq!(login_wait(7, 5, last, now), Some(230));
        // Never more than the ceiling, however many failures.
        assert_eq!(
            login_wait(500, 5, last, now),
            Some((MAX_LOGIN_DELAY.num_seconds() - 10) as u64)
        );
        // Once the wait has passed, the next try is allowed.
        assert_eq!(
            login_wait(5, 5, Some(now - Duration::minutes(2)), now),
            None
        );
    }
}
