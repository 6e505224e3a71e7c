//! Periodic and on-demand reports.
//!
//! `reports`: one row per report with its period, language, status (`queued`, `running`,
//! `done`, `failed`), progress (0–100) and the object-storage keys of its PDF, CSV and XLSX
//! files. A scheduled report carries `run_key` (`monthly:<tenant>:2026-10`); its uniqueness makes
//! the monthly and quarterly reports happen once per period however many workers tick.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000001_foundation::{fk, index};

/// This migration's tenant-owned tables (see `crate::TENANT_OWNED_TABLES`).
pub const REPORTS_TENANT_TABLES: &[&str] = &["reports"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table("reports")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    // `monthly`, `quarterly` or `custom` (asked for on demand).
                    .col(string("kind"))
                    // The period, in the tenant's dates: from its first day to the day after.
                    .col(date("period_from"))
                    .col(date("period_to"))
                    .col(string("locale"))
                    .col(string("status"))
                    .col(integer("progress"))
                    .col(uuid_null("requested_by"))
                    .col(string_null("run_key").unique_key())
                    .col(text_null("error"))
                    .col(string_null("pdf_key"))
                    .col(string_null("csv_key"))
                    .col(string_null("xlsx_key"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("started_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .foreign_key(&mut fk("reports", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("reports", "requested_by", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("reports", &["tenant_id", "created_at"], false))
            .await?;
        crate::isolate_tenants(manager, REPORTS_TENANT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("reports").to_owned())
            .await
    }
}
