//! Results day and the new mentor: every applicant of a round learns their outcome once, the
//! selected get a single-use link to activate their mentor account (they choose the password;
//! none is ever e-mailed), and a signed contract makes an active mentor.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Outcome;
use super::entity::{activation, results_notice};
use crate::accounts::Role;
use crate::accounts::entity::{membership, user};
use crate::accounts::tokens::{hash_password_async, hash_token, new_token};
use crate::db::{self, Scope};
use crate::error::{Error, Result};
use crate::jobs::{self, EmailJob, EmailMessage, Job};
use crate::recruitment::entity::{application, programme};
use crate::recruitment::{ApplicationStatus, Texts};
use crate::tenancy::audit;
use crate::tenancy::context::TenantCtx;
use crate::tenancy::entity::tenant;

/// How long an activation link works.
pub const ACTIVATION_DAYS: i64 = 14;

/// What an announcement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Announcement {
    /// Applicants told they were selected (each with an activation link).
    pub selected: u32,
    pub not_selected: u32,
    /// Applicants told before: nothing was sent to them again.
    pub already_told: u32,
}

/// Tells every submitted applicant of `programme` their outcome, once: a notice row per
/// application (unique) and its e-mail (dedupe key `results:<application>`) in one
/// transaction. Candidates still in selection are told they were not selected this round.
async fn announce_in(
    conn: &impl ConnectionTrait,
    tenant: &tenant::Model,
    programme: &programme::Model,
    by: Option<Uuid>,
) -> Result<Announcement> {
    let apps = application::Entity::find()
        .filter(application::Column::ProgrammeId.eq(programme.id))
        .filter(application::Column::Status.eq(ApplicationStatus::Submitted.as_str()))
        .all(conn)
        .await?;
    let told: Vec<Uuid> = results_notice::Entity::find()
        .filter(results_notice::Column::ProgrammeId.eq(programme.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.application_id)
        .collect();
    let names: Texts = serde_json::from_str(&programme.names).unwrap_or_default();
    let now = Utc::now();
    let mut done = Announcement::default();
    for a in apps {
        if told.contains(&a.id) {
            done.already_told += 1;
            continue;
        }
        let selected = matches!(
            Outcome::parse(&a.outcome),
            Some(Outcome::Selected | Outcome::Active)
        );
        let Some(person) = user::Entity::find_by_id(a.applicant_id).one(conn).await? else {
            continue;
        };
        let locale = person.locale.parse().unwrap_or(crate::Locale::Ru);
        results_notice::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.id),
            programme_id: Set(programme.id),
            application_id: Set(a.id),
            outcome: Set(if selected {
                Outcome::Selected
            } else {
                Outcome::NotSelected
            }
            .as_str()
            .to_string()),
            announced_by: Set(by),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
        let programme_name = names.get(locale).to_string();
        let message = if selected {
            let token = new_token();
            activation::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant.id),
                user_id: Set(person.id),
                application_id: Set(a.id),
                token_hash: Set(hash_token(&token)),
                expires_at: Set(now + Duration::days(ACTIVATION_DAYS)),
                used_at: Set(None),
                created_at: Set(now),
            }
            .insert(conn)
            .await?;
            done.selected += 1;
            EmailMessage::ResultsSelected {
                tenant_name: tenant.name.clone(),
                programme_name,
                path: format!("/activate?token={token}"),
            }
        } else {
            done.not_selected += 1;
            EmailMessage::ResultsNotSelected {
                tenant_name: tenant.name.clone(),
                programme_name,
                path: format!("/t/{}/applications/{}", tenant.slug, a.id),
            }
        };
        jobs::enqueue(
            conn,
            &Job::SendEmail(EmailJob {
                tenant_id: Some(tenant.id),
                unsubscribe: None,
                dedupe_key: format!("results:{}", a.id),
                to: person.email.clone(),
                locale,
                message,
            }),
        )
        .await?;
    }
    let mut am = programme.clone().into_active_model();
    am.results_announced_at = Set(Some(now));
    am.update(conn).await?;
    Ok(done)
}

enum Which<'a> {
    Slug(&'a str),
    Id(Uuid),
}

/// A programme's row, locked for the announcement (PostgreSQL: `FOR UPDATE`, so a second
/// worker or a second click waits and then finds it announced; SQLite's write transaction is
/// exclusive already).
async fn locked_programme(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    which: Which<'_>,
) -> Result<programme::Model> {
    let q = programme::Entity::find().filter(programme::Column::TenantId.eq(tenant_id));
    let q = match which {
        Which::Slug(slug) => q.filter(programme::Column::Slug.eq(slug)),
        Which::Id(id) => q.filter(programme::Column::Id.eq(id)),
    };
    q.lock_exclusive().one(conn).await?.ok_or(Error::NotFound)
}

/// Staff announce results by hand, before the date (tenant admins). Refused while candidates
/// are still in selection, so nobody is told "not selected" by a click made too early.
/// Announcing again sends nothing to those already told.
pub async fn announce_results(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    programme: &str,
) -> Result<Announcement> {
    ctx.require_admin()?;
    let txn = ctx.write(db).await?;
    let p = locked_programme(&txn, ctx.tenant_id(), Which::Slug(programme)).await?;
    let pending = application::Entity::find()
        .filter(application::Column::ProgrammeId.eq(p.id))
        .filter(application::Column::Status.eq(ApplicationStatus::Submitted.as_str()))
        .filter(application::Column::Outcome.eq(Outcome::Pending.as_str()))
        .count(&txn)
        .await?;
    if pending > 0 {
        return Err(Error::Conflict("error-results-candidates-pending".into()));
    }
    let done = announce_in(&txn, &ctx.tenant, &p, Some(ctx.actor.user_id)).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "results.announced",
        "programme",
        Some(p.id),
        Some(serde_json::to_value(done).expect("serialises")),
    )
    .await?;
    txn.commit().await?;
    Ok(done)
}

/// The scheduled part: every programme whose results date has come and that was not announced
/// is announced now. Run by every worker on a timer; the lock and the unique notices make a
/// second run, or a second worker, send nothing twice. Returns the programmes announced.
pub async fn announce_due(db: &DatabaseConnection) -> Result<usize> {
    let now = Utc::now();
    let txn = db::read(db, Scope::System).await?;
    let due: Vec<(Uuid, Uuid)> = programme::Entity::find()
        .filter(programme::Column::ResultsAt.lte(now))
        .filter(programme::Column::ResultsAnnouncedAt.is_null())
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.tenant_id, p.id))
        .collect();
    txn.commit().await?;
    let mut announced = 0;
    for (tenant_id, programme_id) in due {
        let txn = db::write(db, Scope::Tenant(tenant_id)).await?;
        let p = locked_programme(&txn, tenant_id, Which::Id(programme_id)).await?;
        if p.results_announced_at.is_some() {
            continue; // another worker was first
        }
        let Some(t) = tenant::Entity::find_by_id(tenant_id).one(&txn).await? else {
            continue;
        };
        let done = announce_in(&txn, &t, &p, None).await?;
        audit::record(
            &txn,
            Some(tenant_id),
            None,
            "results.announced",
            "programme",
            Some(p.id),
            Some(serde_json::to_value(done).expect("serialises")),
        )
        .await?;
        txn.commit().await?;
        tracing::info!(programme = %p.slug, ?done, "results announced");
        announced += 1;
    }
    Ok(announced)
}

/// What an activation link leads to, for the page before the password is chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Activated {
    pub email: String,
    pub tenant_slug: String,
}

/// Activates a selected candidate's mentor account: they choose their password, and get the
/// mentor role in the organisation. The link works once and expires.
pub async fn activate(db: &DatabaseConnection, token: &str, password: &str) -> Result<Activated> {
    let txn = db::write(db, Scope::System).await?;
    let a = activation::Entity::find()
        .filter(activation::Column::TokenHash.eq(hash_token(token.trim())))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("token", "error-activation-invalid"))?;
    if a.used_at.is_some() {
        return Err(Error::invalid("token", "error-activation-used"));
    }
    if a.expires_at <= Utc::now() {
        return Err(Error::invalid("token", "error-activation-expired"));
    }
    crate::accounts::validate_new_password(password)?;
    let person = user::Entity::find_by_id(a.user_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let t = tenant::Entity::find_by_id(a.tenant_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let now = Utc::now();
    let mut am = person.clone().into_active_model();
    am.password_hash = Set(Some(hash_password_async(password).await));
    // The link arrived at this address.
    am.email_verified_at = Set(Some(person.email_verified_at.unwrap_or(now)));
    am.update(&txn).await?;
    ensure_mentor(&txn, a.tenant_id, a.user_id).await?;
    let mut am = a.clone().into_active_model();
    am.used_at = Set(Some(now));
    am.update(&txn).await?;
    // A new password: sessions and API tokens made with the old one end.
    crate::accounts::service::end_all_access(&txn, a.user_id).await?;
    audit::record(
        &txn,
        Some(a.tenant_id),
        Some(a.user_id),
        "mentor.activated",
        "application",
        Some(a.application_id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(Activated {
        email: person.email,
        tenant_slug: t.slug,
    })
}

/// Gives the person the mentor role in the tenant (again, if it was deactivated).
pub(crate) async fn ensure_mentor(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    user_id: Uuid,
) -> Result<()> {
    let existing = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(tenant_id))
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::Role.eq(Role::Mentor.as_str()))
        .one(conn)
        .await?;
    match existing {
        Some(m) if m.active => {}
        Some(m) => {
            let mut am = m.into_active_model();
            am.active = Set(true);
            am.update(conn).await?;
        }
        None => {
            membership::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user_id),
                tenant_id: Set(tenant_id),
                role: Set(Role::Mentor.as_str().to_string()),
                region_id: Set(None),
                active: Set(true),
                created_at: Set(Utc::now()),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}
