//! Tenant set-up: the operator creates tenants; a tenant admin keeps regions and institutions.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::context::{Actor, TenantCtx, find_tenant};
use super::entity::{institution, region, tenant};
use super::{
    DashboardCounts, InstitutionKind, InstitutionView, RegionView, Slug, TenantView, audit,
    validate_name, validate_time_zone,
};
use crate::accounts::entity::{invitation, membership};
use crate::accounts::{Email, Role, service::create_invitation};
use crate::db::{self, Scope};
use crate::error::{Error, Result};
use crate::i18n::Locale;

/// What the operator enters to create a tenant.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub default_locale: Locale,
    pub time_zone: Option<String>,
    pub lead_tenant_slug: Option<String>,
    pub admin_email: String,
}

/// A tenant as the public sees it (no lead link).
pub fn tenant_view(t: &tenant::Model) -> TenantView {
    view(t, None)
}

fn view(t: &tenant::Model, lead_slug: Option<String>) -> TenantView {
    TenantView {
        id: t.id,
        slug: t.slug.clone(),
        name: t.name.clone(),
        default_locale: t.default_locale.parse().unwrap_or_default(),
        time_zone: t.time_zone.clone(),
        lead_tenant_slug: lead_slug,
    }
}

/// Creates a tenant and invites its first admin (platform operator only).
pub async fn create_tenant(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewTenant,
) -> Result<TenantView> {
    actor.require_platform_admin()?;
    let slug = Slug::parse(&input.slug)?;
    let name = validate_name("name", &input.name)?;
    let time_zone = validate_time_zone(
        input
            .time_zone
            .as_deref()
            .unwrap_or(super::DEFAULT_TIME_ZONE),
    )?;
    let admin_email = Email::parse(&input.admin_email)?;
    let txn = db::write(db, Scope::System).await?;
    let lead = match input
        .lead_tenant_slug
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => Some(
            tenant::Entity::find()
                .filter(tenant::Column::Slug.eq(s.to_ascii_lowercase()))
                .one(&txn)
                .await?
                .ok_or_else(|| Error::invalid("lead_tenant_slug", "error-lead-tenant-unknown"))?,
        ),
        None => None,
    };
    let t = tenant::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(slug.as_str().to_string()),
        name: Set(name),
        default_locale: Set(input.default_locale.code().to_string()),
        time_zone: Set(time_zone),
        lead_tenant_id: Set(lead.as_ref().map(|l| l.id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            Error::Conflict("error-slug-taken".into())
        } else {
            e.into()
        }
    })?;
    create_invitation(&txn, &t, admin_email, Role::TenantAdmin, None, Some(actor)).await?;
    audit::record(
        &txn,
        Some(t.id),
        Some(actor.user_id),
        "tenant.created",
        "tenant",
        Some(t.id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(view(&t, lead.map(|l| l.slug)))
}

/// All tenants (platform operator only). The operator sees tenants, never their people's data.
pub async fn list_tenants(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<TenantView>> {
    actor.require_platform_admin()?;
    let all = tenant::Entity::find()
        .order_by_asc(tenant::Column::Name)
        .all(db)
        .await?;
    Ok(all
        .iter()
        .map(|t| {
            let lead = t
                .lead_tenant_id
                .and_then(|id| all.iter().find(|l| l.id == id).map(|l| l.slug.clone()));
            view(t, lead)
        })
        .collect())
}

/// The public face of a tenant (name and language), for pages before sign-in.
pub async fn tenant_by_slug(db: &DatabaseConnection, slug: &str) -> Result<TenantView> {
    let t = find_tenant(db, slug).await?;
    Ok(view(&t, None))
}

// ---------------------------------------------------------------- regions

/// The name of one of the tenant's regions.
pub async fn region_name(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<Option<String>> {
    let txn = ctx.read(db).await?;
    let r = region::Entity::find_by_id(id)
        .filter(region::Column::TenantId.eq(ctx.tenant_id()))
        .one(&txn)
        .await?;
    txn.commit().await?;
    Ok(r.map(|r| r.name))
}

pub async fn list_regions(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<Vec<RegionView>> {
    ctx.require_staff()?;
    let txn = ctx.read(db).await?;
    let rows = region::Entity::find()
        .filter(region::Column::TenantId.eq(ctx.tenant_id()))
        .order_by_asc(region::Column::Name)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| RegionView {
            id: r.id,
            name: r.name,
        })
        .collect())
}

pub async fn create_region(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    name: &str,
) -> Result<RegionView> {
    ctx.require_admin()?;
    let name = validate_name("name", name)?;
    let txn = ctx.write(db).await?;
    let r = region::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id()),
        name: Set(name),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            Error::Conflict("error-region-exists".into())
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "region.created",
        "region",
        Some(r.id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(RegionView {
        id: r.id,
        name: r.name,
    })
}

pub async fn rename_region(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    name: &str,
) -> Result<RegionView> {
    ctx.require_admin()?;
    let name = validate_name("name", name)?;
    let txn = ctx.write(db).await?;
    let r = region::Entity::find_by_id(id)
        .filter(region::Column::TenantId.eq(ctx.tenant_id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let mut am = r.into_active_model();
    am.name = Set(name);
    let r = am.update(&txn).await.map_err(|e| {
        if db::is_unique_violation(&e) {
            Error::Conflict("error-region-exists".into())
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "region.renamed",
        "region",
        Some(r.id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(RegionView {
        id: r.id,
        name: r.name,
    })
}

/// Every table with a `region_id` column. A region is removed only while none of them points
/// at it: some would follow it out by cascade (children, pairs, groups) and the rest would
/// lose where they belong. A test compares this list with the schema.
pub const REGION_COLUMNS: &[&str] = &[
    "applications",
    "children",
    "cohorts",
    "concerns",
    "consultations",
    "institutions",
    "invitations",
    "matches",
    "memberships",
    "pairs",
    "programme_regions",
    "youth_groups",
];

/// An admin removes a region nobody and nothing belongs to (one made by mistake); a region in
/// use is refused with what to do instead (rename it).
pub async fn remove_region(db: &DatabaseConnection, ctx: &TenantCtx, id: Uuid) -> Result<()> {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    ctx.require_admin()?;
    let txn = ctx.write(db).await?;
    let r = region::Entity::find_by_id(id)
        .filter(region::Column::TenantId.eq(ctx.tenant_id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let backend = txn.get_database_backend();
    for table in REGION_COLUMNS {
        let query = Query::select()
            .expr(Expr::col(Alias::new("region_id")))
            .from(Alias::new(*table))
            .and_where(Expr::col(Alias::new("region_id")).eq(r.id))
            .limit(1)
            .to_owned();
        if txn.query_one_raw(backend.build(&query)).await?.is_some() {
            return Err(Error::Conflict("error-region-in-use".into()));
        }
    }
    // A grant names the regions it pays for in a list.
    let grants = crate::reports::entity::grant::Entity::find()
        .filter(crate::reports::entity::grant::Column::TenantId.eq(ctx.tenant_id()))
        .filter(crate::reports::entity::grant::Column::RegionIds.contains(r.id.to_string()))
        .count(&txn)
        .await?;
    if grants > 0 {
        return Err(Error::Conflict("error-region-in-use".into()));
    }
    region::Entity::delete_by_id(r.id).exec(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "region.removed",
        "region",
        Some(r.id),
        Some(serde_json::json!({ "name": r.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- institutions

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct NewInstitution {
    pub name: String,
    pub kind: String,
    pub region_id: Option<Uuid>,
    pub address: Option<String>,
}

pub async fn list_institutions(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<Vec<InstitutionView>> {
    ctx.require_staff()?;
    let txn = ctx.read(db).await?;
    let rows = institution::Entity::find()
        .filter(institution::Column::TenantId.eq(ctx.tenant_id()))
        .order_by_asc(institution::Column::Name)
        .all(&txn)
        .await?;
    let regions = region::Entity::find()
        .filter(region::Column::TenantId.eq(ctx.tenant_id()))
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows
        .into_iter()
        .map(|i| InstitutionView {
            id: i.id,
            kind: InstitutionKind::parse(&i.kind).unwrap_or(InstitutionKind::Other),
            region_name: i
                .region_id
                .and_then(|rid| regions.iter().find(|r| r.id == rid).map(|r| r.name.clone())),
            region_id: i.region_id,
            name: i.name,
            address: i.address,
        })
        .collect())
}

pub async fn create_institution(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: NewInstitution,
) -> Result<InstitutionView> {
    ctx.require_admin()?;
    let name = validate_name("name", &input.name)?;
    let kind = InstitutionKind::parse(&input.kind)?;
    let address = match input
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        Some(a) => Some(validate_name("address", a)?),
        None => None,
    };
    let txn = ctx.write(db).await?;
    let region_name = match input.region_id {
        Some(rid) => Some(
            region::Entity::find_by_id(rid)
                .filter(region::Column::TenantId.eq(ctx.tenant_id()))
                .one(&txn)
                .await?
                .ok_or_else(|| Error::invalid("region_id", "error-region-unknown"))?
                .name,
        ),
        None => None,
    };
    let i = institution::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id()),
        region_id: Set(input.region_id),
        name: Set(name),
        kind: Set(kind.as_str().to_string()),
        address: Set(address),
        created_at: Set(Utc::now()),
        lat_e6: Set(None),
        lon_e6: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            Error::Conflict("error-institution-exists".into())
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "institution.created",
        "institution",
        Some(i.id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(InstitutionView {
        id: i.id,
        name: i.name,
        kind,
        region_id: i.region_id,
        region_name,
        address: i.address,
    })
}

// ---------------------------------------------------------------- dashboard

/// The tenant dashboard's figures (any member).
pub async fn dashboard(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<DashboardCounts> {
    let txn = ctx.read(db).await?;
    let tid = ctx.tenant_id();
    let members = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(tid))
        .filter(membership::Column::Active.eq(true))
        .all(&txn)
        .await?;
    let staff = members
        .iter()
        .filter(|m| m.role.parse::<Role>().is_ok_and(Role::is_staff))
        .map(|m| m.user_id)
        .collect::<std::collections::HashSet<_>>()
        .len() as u64;
    let mentors = members
        .iter()
        .filter(|m| m.role == Role::Mentor.as_str())
        .count() as u64;
    let regions = region::Entity::find()
        .filter(region::Column::TenantId.eq(tid))
        .count(&txn)
        .await?;
    let institutions = institution::Entity::find()
        .filter(institution::Column::TenantId.eq(tid))
        .count(&txn)
        .await?;
    let open_invitations = invitation::Entity::find()
        .filter(invitation::Column::TenantId.eq(tid))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(Utc::now()))
        .count(&txn)
        .await?;
    txn.commit().await?;
    Ok(DashboardCounts {
        staff,
        mentors,
        regions,
        institutions,
        open_invitations,
    })
}
