//! Who is acting, and in which tenant with which roles. Every tenant-owned operation takes a
//! `TenantCtx`; it can only be built by checking the actor's memberships, so a service that has
//! one knows the actor belongs to that tenant.

use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::accounts::Role;
use crate::accounts::entity::{membership, user};
use crate::db::{self, Scope};
use crate::error::{Error, Result};
use crate::i18n::Locale;
use crate::tenancy::entity::tenant;

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub email: String,
    pub full_name: String,
    pub locale: Locale,
    pub is_platform_admin: bool,
    /// Whether the person proved their address (self-registered applicants must, to submit).
    pub email_verified: bool,
    /// Larger text, high contrast: as the person chose.
    pub display: crate::accounts::Display,
}

impl From<user::Model> for Actor {
    fn from(u: user::Model) -> Self {
        Actor {
            user_id: u.id,
            locale: u.locale.parse().unwrap_or_default(),
            email: u.email,
            full_name: u.full_name,
            is_platform_admin: u.is_platform_admin,
            email_verified: u.email_verified_at.is_some(),
            display: crate::accounts::Display {
                large_text: u.large_text,
                high_contrast: u.high_contrast,
            },
        }
    }
}

impl Actor {
    /// The platform operator's gate.
    pub fn require_platform_admin(&self) -> Result<()> {
        if self.is_platform_admin {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }
}

/// An actor inside one tenant, with the roles they hold there.
#[derive(Debug, Clone)]
pub struct TenantCtx {
    pub tenant: tenant::Model,
    pub actor: Actor,
    /// Active memberships: role and optional region scope.
    pub roles: Vec<(Role, Option<Uuid>)>,
}

impl TenantCtx {
    /// Resolves `slug` for `actor`. An unknown tenant and a tenant the actor does not belong to
    /// both answer `NotFound`: a stranger learns nothing about which tenants exist.
    pub async fn resolve(db: &DatabaseConnection, actor: &Actor, slug: &str) -> Result<TenantCtx> {
        let tenant = find_tenant(db, slug).await?;
        let txn = db::read(db, Scope::Tenant(tenant.id)).await?;
        let roles: Vec<(Role, Option<Uuid>)> = membership::Entity::find()
            .filter(membership::Column::TenantId.eq(tenant.id))
            .filter(membership::Column::UserId.eq(actor.user_id))
            .filter(membership::Column::Active.eq(true))
            .all(&txn)
            .await?
            .into_iter()
            .filter_map(|m| Some((m.role.parse().ok()?, m.region_id)))
            .collect();
        txn.commit().await?;
        if roles.is_empty() {
            return Err(Error::NotFound);
        }
        Ok(TenantCtx {
            tenant,
            actor: actor.clone(),
            roles,
        })
    }

    pub fn tenant_id(&self) -> Uuid {
        self.tenant.id
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.iter().any(|(r, _)| *r == role)
    }

    /// Whether the actor holds one of `roles` here (in any region).
    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    /// For lists that staff and mentors both read: `Ok(true)` when the actor reads as staff
    /// (one of `roles`; the caller then keeps their regions), `Ok(false)` as a mentor (the
    /// caller keeps their own rows), `Forbidden` otherwise.
    pub fn staff_or_mentor(&self, roles: &[Role]) -> Result<bool> {
        if self.has_any(roles) {
            Ok(true)
        } else if self.has(Role::Mentor) {
            Ok(false)
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Refuses with `Forbidden` unless the actor holds one of `roles` here.
    pub fn require_any(&self, roles: &[Role]) -> Result<()> {
        if self.has_any(roles) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    /// Whether the actor holds one of `roles` with a scope that covers `region`: a membership
    /// without a region covers every region; a coordinator of Almaty covers only Almaty.
    pub fn covers_region(&self, roles: &[Role], region: Option<Uuid>) -> bool {
        self.roles.iter().any(|(role, scope)| {
            roles.contains(role)
                && (!role.is_region_scoped() || scope.is_none() || *scope == region)
        })
    }

    pub fn require_admin(&self) -> Result<()> {
        self.require_any(&[Role::TenantAdmin])
    }

    /// Staff of any kind (not mentors or applicants).
    pub fn require_staff(&self) -> Result<()> {
        if self.roles.iter().any(|(r, _)| r.is_staff()) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    pub fn roles_sorted(&self) -> Vec<Role> {
        let mut roles: Vec<Role> = self.roles.iter().map(|(r, _)| *r).collect();
        roles.sort();
        roles.dedup();
        roles
    }

    pub async fn read(&self, db: &DatabaseConnection) -> Result<DatabaseTransaction> {
        Ok(db::read(db, Scope::Tenant(self.tenant.id)).await?)
    }

    pub async fn write(&self, db: &DatabaseConnection) -> Result<DatabaseTransaction> {
        Ok(db::write(db, Scope::Tenant(self.tenant.id)).await?)
    }

    /// `at` as the organisation's clock read it (what pages show).
    pub fn local(&self, at: chrono::DateTime<chrono::Utc>) -> crate::Moment {
        crate::recruitment::service::local_moment(&self.tenant, at)
    }
}

/// The tenant with this slug. The tenants table is a public directory (no tenant owns it).
/// The request's span (or a job's) is told which organisation it works for: traces are read
/// by tenant.
pub async fn find_tenant(db: &DatabaseConnection, slug: &str) -> Result<tenant::Model> {
    let tenant = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.trim().to_ascii_lowercase()))
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    tracing::Span::current().record("tenant_id", tracing::field::display(tenant.id));
    Ok(tenant)
}
