//! Demo data for the embedded default: two tenants (a lead foundation and its partner NGO),
//! four staff logins in each and a platform operator. Idempotent: running it again changes
//! nothing. Never called in production mode (the server refuses).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

use crate::accounts::Role;
use crate::accounts::entity::{membership, user};
use crate::accounts::tokens::hash_password;
use crate::db::{self, Scope};
use crate::error::Result;
use crate::tenancy::InstitutionKind;
use crate::tenancy::entity::{institution, region, tenant};

pub const DEMO_PASSWORD: &str = "ustaz-demo";
pub const OPERATOR_EMAIL: &str = "operator@ustaz.demo";

struct DemoTenant {
    slug: &'static str,
    name: &'static str,
    locale: &'static str,
    lead: Option<&'static str>,
    region: &'static str,
    institution: (&'static str, InstitutionKind, &'static str),
}

const TENANTS: [DemoTenant; 2] = [
    DemoTenant {
        slug: "almaty-mentors",
        name: "Almaty Mentors Foundation",
        locale: "ru",
        lead: None,
        region: "Алматы",
        institution: ("Детский дом №1", InstitutionKind::Orphanage, "Орбита-3, 27"),
    },
    DemoTenant {
        slug: "karaganda-partner",
        name: "Karaganda Partner NGO",
        locale: "kk",
        lead: Some("almaty-mentors"),
        region: "Қарағанды",
        institution: (
            "Школа-интернат №2",
            InstitutionKind::BoardingSchool,
            "ул. Ерубаева, 10",
        ),
    },
];

const ROLES: [(&str, &str, Role); 4] = [
    ("admin", "Әкімші / Admin", Role::TenantAdmin),
    ("coordinator", "Координатор", Role::Coordinator),
    ("psychologist", "Психолог", Role::Psychologist),
    ("mentor", "Тәлімгер / Mentor", Role::Mentor),
];

/// The demo logins, for the start-up banner and the README.
pub fn demo_logins() -> Vec<String> {
    let mut out = vec![OPERATOR_EMAIL.to_string()];
    for t in &TENANTS {
        for (who, _, _) in ROLES {
            out.push(format!("{who}@{}.demo", t.slug));
        }
    }
    out
}

pub async fn seed_demo(db: &DatabaseConnection) -> Result<()> {
    let txn = db::write(db, Scope::System).await?;
    let phc = hash_password(DEMO_PASSWORD);
    let now = Utc::now();

    let ensure_user = |email: String, name: String, locale: &'static str, operator: bool| {
        let phc = phc.clone();
        let txn = &txn;
        async move {
            if let Some(u) = user::Entity::find()
                .filter(user::Column::Email.eq(&email))
                .one(txn)
                .await?
            {
                return Ok::<_, crate::Error>(u);
            }
            Ok(user::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(email),
                full_name: Set(name),
                locale: Set(locale.to_string()),
                password_hash: Set(Some(phc)),
                is_platform_admin: Set(operator),
                created_at: Set(now),
            }
            .insert(txn)
            .await?)
        }
    };

    ensure_user(
        OPERATOR_EMAIL.into(),
        "Platform Operator".into(),
        "en",
        true,
    )
    .await?;

    for demo in &TENANTS {
        let t = match tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(demo.slug))
            .one(&txn)
            .await?
        {
            Some(t) => t,
            None => {
                let lead_id = match demo.lead {
                    Some(l) => tenant::Entity::find()
                        .filter(tenant::Column::Slug.eq(l))
                        .one(&txn)
                        .await?
                        .map(|t| t.id),
                    None => None,
                };
                tenant::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    slug: Set(demo.slug.into()),
                    name: Set(demo.name.into()),
                    default_locale: Set(demo.locale.into()),
                    time_zone: Set(crate::tenancy::DEFAULT_TIME_ZONE.into()),
                    lead_tenant_id: Set(lead_id),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?
            }
        };
        let region = match region::Entity::find()
            .filter(region::Column::TenantId.eq(t.id))
            .filter(region::Column::Name.eq(demo.region))
            .one(&txn)
            .await?
        {
            Some(r) => r,
            None => {
                region::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(t.id),
                    name: Set(demo.region.into()),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?
            }
        };
        let (iname, ikind, iaddr) = demo.institution;
        let has_institution = institution::Entity::find()
            .filter(institution::Column::TenantId.eq(t.id))
            .filter(institution::Column::Name.eq(iname))
            .count(&txn)
            .await?
            > 0;
        if !has_institution {
            institution::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(t.id),
                region_id: Set(Some(region.id)),
                name: Set(iname.into()),
                kind: Set(ikind.as_str().into()),
                address: Set(Some(iaddr.into())),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        for (who, name, role) in ROLES {
            let u = ensure_user(
                format!("{who}@{}.demo", demo.slug),
                name.into(),
                demo.locale,
                false,
            )
            .await?;
            let exists = membership::Entity::find()
                .filter(membership::Column::TenantId.eq(t.id))
                .filter(membership::Column::UserId.eq(u.id))
                .filter(membership::Column::Role.eq(role.as_str()))
                .count(&txn)
                .await?
                > 0;
            if !exists {
                membership::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    user_id: Set(u.id),
                    tenant_id: Set(t.id),
                    role: Set(role.as_str().into()),
                    region_id: Set(role.is_region_scoped().then_some(region.id)),
                    active: Set(true),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?;
            }
        }
    }
    txn.commit().await?;
    Ok(())
}
