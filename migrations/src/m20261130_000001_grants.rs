//! Funders' grants and the funder report.
//!
//! `grants`: a funder's grant to the tenant, its period (first and last day, inclusive), amount
//! in whole units of its currency, and the programmes and regions it pays for (JSON arrays of
//! ids; empty means all of the tenant's). `grant_targets`: what the funder expects by the end,
//! each a measured metric (`candidates_trained`, `cities_with_coordinators`, …) with its number
//! and the funder's own wording. `reports.grant_id` marks a funder report.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000001_foundation::{fk, index};

/// This migration's tenant-owned tables (see `crate::TENANT_OWNED_TABLES`).
pub const GRANTS_TENANT_TABLES: &[&str] = &["grants", "grant_targets"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table("grants")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(string("funder"))
                    .col(string("title"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(big_integer("amount"))
                    .col(string("currency"))
                    .col(text("programme_ids"))
                    .col(text("region_ids"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("grants", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("grants", "created_by", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("grants", &["tenant_id", "starts_on"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("grant_targets")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(uuid("grant_id"))
                    .col(integer("position"))
                    .col(string("metric"))
                    .col(big_integer("target"))
                    .col(text("note"))
                    .foreign_key(&mut fk("grant_targets", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("grant_targets", "grant_id", "grants", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("grant_targets", &["grant_id", "position"], true))
            .await?;
        // A funder report is a report of its grant (no foreign key: SQLite cannot add one to a
        // table that exists; the service sets it from a grant of the same tenant).
        manager
            .alter_table(
                Table::alter()
                    .table("reports")
                    .add_column(uuid_null("grant_id"))
                    .to_owned(),
            )
            .await?;
        crate::isolate_tenants(manager, GRANTS_TENANT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("reports")
                    .drop_column("grant_id")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("grant_targets").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("grants").to_owned())
            .await
    }
}
