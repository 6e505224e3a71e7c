//! Children registered by staff, with the minimum a match needs, their consent, and the
//! waiting list (the moment each child started waiting).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000001_foundation::{fk, index};

/// This migration's tenant-owned tables (see `crate::TENANT_OWNED_TABLES`).
pub const CHILDREN_TENANT_TABLES: &[&str] = &["children"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table("children")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("region_id"))
                    .col(uuid_null("institution_id"))
                    .col(string("first_name"))
                    .col(string("last_initial"))
                    .col(date("date_of_birth"))
                    .col(string("gender"))
                    // JSON lists of codes and words.
                    .col(text("languages"))
                    .col(text("interests"))
                    // Confidential: shown to staff who work with the child, never to mentors.
                    .col(text_null("needs"))
                    .col(string_null("preferred_mentor_gender"))
                    // Who consented (institution or guardian), their name, and when.
                    .col(string("consent_by"))
                    .col(string("consent_name"))
                    .col(date("consent_on"))
                    // `waiting`, `matched` (later issues add the pairs).
                    .col(string("status"))
                    .col(timestamp_with_time_zone("waiting_since"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("children", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("children", "region_id", "regions", Cascade))
                    .foreign_key(&mut fk(
                        "children",
                        "institution_id",
                        "institutions",
                        SetNull,
                    ))
                    .foreign_key(&mut fk("children", "created_by", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("children", &["tenant_id", "status"], false))
            .await?;
        crate::isolate_tenants(manager, CHILDREN_TENANT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("children").to_owned())
            .await
    }
}
