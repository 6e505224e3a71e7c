//! Results day and the new mentor: one results notice per application (the outcome e-mailed
//! exactly once), single-use activation links for the mentor account, and mentor contracts.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000001_foundation::{fk, index};

/// This migration's tenant-owned tables (see `crate::TENANT_OWNED_TABLES`).
pub const RESULTS_TENANT_TABLES: &[&str] = &["results_notices", "activations", "contracts"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .alter_table(
                Table::alter()
                    .table("programmes")
                    .add_column(timestamp_with_time_zone_null("results_announced_at"))
                    .to_owned(),
            )
            .await?;
        let tables = [
            Table::create()
                .table("results_notices")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid("programme_id"))
                .col(uuid("application_id"))
                .col(string("outcome"))
                .col(uuid_null("announced_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("results_notices", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk(
                    "results_notices",
                    "programme_id",
                    "programmes",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "results_notices",
                    "application_id",
                    "applications",
                    Cascade,
                ))
                .foreign_key(&mut fk("results_notices", "announced_by", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("activations")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid("user_id"))
                .col(uuid("application_id"))
                .col(string_uniq("token_hash"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("activations", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk("activations", "user_id", "users", Cascade))
                .foreign_key(&mut fk(
                    "activations",
                    "application_id",
                    "applications",
                    Cascade,
                ))
                .to_owned(),
            Table::create()
                .table("contracts")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid("application_id"))
                .col(uuid("mentor_id"))
                .col(date("starts_on"))
                .col(date("ends_on"))
                .col(uuid_null("document_id"))
                .col(timestamp_with_time_zone_null("signed_at"))
                .col(uuid_null("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("contracts", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk(
                    "contracts",
                    "application_id",
                    "applications",
                    Cascade,
                ))
                .foreign_key(&mut fk("contracts", "mentor_id", "users", Cascade))
                .foreign_key(&mut fk("contracts", "document_id", "documents", SetNull))
                .foreign_key(&mut fk("contracts", "created_by", "users", SetNull))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            // Exactly once: a second announcement of the same application cannot be written.
            index("results_notices", &["application_id"], true),
            index("activations", &["user_id"], false),
            index("contracts", &["application_id"], true),
        ];
        for idx in indexes {
            manager.create_index(idx).await?;
        }
        crate::isolate_tenants(manager, RESULTS_TENANT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["contracts", "activations", "results_notices"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("programmes")
                    .drop_column("results_announced_at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
