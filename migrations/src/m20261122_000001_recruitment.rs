//! Recruitment: programmes with their regions and required documents, applicants' e-mail
//! verification, applications, uploaded documents and each document's history.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000001_foundation::{fk, index};

/// This migration's tenant-owned tables (see `crate::TENANT_OWNED_TABLES`).
pub const RECRUITMENT_TENANT_TABLES: &[&str] = &[
    "programmes",
    "programme_regions",
    "required_documents",
    "applications",
    "documents",
    "document_events",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(timestamp_with_time_zone_null("email_verified_at"))
                    .to_owned(),
            )
            .await?;
        let tables = [
            Table::create()
                .table("email_verifications")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_uniq("token_hash"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("email_verifications", "user_id", "users", Cascade))
                .to_owned(),
            Table::create()
                .table("programmes")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(string("slug"))
                // {"kk": …, "ru": …, "en": …}
                .col(text("names"))
                .col(text("descriptions"))
                .col(string("kind"))
                .col(text("eligibility"))
                .col(timestamp_with_time_zone("opens_at"))
                .col(timestamp_with_time_zone("closes_at"))
                .col(timestamp_with_time_zone("results_at"))
                .col(integer("contract_months"))
                .col(string("meeting_cadence"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("programmes", "tenant_id", "tenants", Cascade))
                .to_owned(),
            Table::create()
                .table("programme_regions")
                .col(uuid("programme_id"))
                .col(uuid("region_id"))
                .col(uuid("tenant_id"))
                .primary_key(Index::create().col("programme_id").col("region_id"))
                .foreign_key(&mut fk(
                    "programme_regions",
                    "programme_id",
                    "programmes",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "programme_regions",
                    "region_id",
                    "regions",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "programme_regions",
                    "tenant_id",
                    "tenants",
                    Cascade,
                ))
                .to_owned(),
            Table::create()
                .table("required_documents")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid("programme_id"))
                .col(string("doc_type"))
                .col(text("labels"))
                // JSON array of MIME types
                .col(text("accepted_types"))
                .col(big_integer("max_bytes"))
                .col(integer("max_count"))
                .col(integer_null("validity_months"))
                .col(boolean("required"))
                .col(integer("position"))
                .foreign_key(&mut fk(
                    "required_documents",
                    "tenant_id",
                    "tenants",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "required_documents",
                    "programme_id",
                    "programmes",
                    Cascade,
                ))
                .to_owned(),
            Table::create()
                .table("applications")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid("programme_id"))
                .col(uuid("applicant_id"))
                .col(uuid_null("region_id"))
                .col(string("status"))
                .col(text("answers"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("submitted_at"))
                .foreign_key(&mut fk("applications", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk(
                    "applications",
                    "programme_id",
                    "programmes",
                    Cascade,
                ))
                .foreign_key(&mut fk("applications", "applicant_id", "users", Cascade))
                .foreign_key(&mut fk("applications", "region_id", "regions", SetNull))
                .to_owned(),
            Table::create()
                .table("documents")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid("application_id"))
                .col(string("doc_type"))
                .col(string("status"))
                // As the applicant named it, sanitised; only ever displayed.
                .col(string("original_name"))
                .col(string("declared_type"))
                .col(string_null("detected_type"))
                .col(big_integer("size_bytes"))
                .col(string("sha256"))
                .col(string("storage_key"))
                .col(string_null("preview_key"))
                .col(integer_null("pages"))
                .col(integer_null("width"))
                .col(integer_null("height"))
                // JSON array of machine-readable reason codes
                .col(text("reasons"))
                .col(date_null("issued_on"))
                .col(uuid("uploaded_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("checked_at"))
                .col(uuid_null("reviewed_by"))
                .col(timestamp_with_time_zone_null("reviewed_at"))
                .col(text_null("review_reason"))
                .foreign_key(&mut fk("documents", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk(
                    "documents",
                    "application_id",
                    "applications",
                    Cascade,
                ))
                .to_owned(),
            Table::create()
                .table("document_events")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid("document_id"))
                .col(uuid_null("actor_user_id"))
                .col(string("action"))
                .col(text_null("detail"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("document_events", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk(
                    "document_events",
                    "document_id",
                    "documents",
                    Cascade,
                ))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("email_verifications", &["user_id"], false),
            index("programmes", &["tenant_id", "slug"], true),
            index("required_documents", &["programme_id", "doc_type"], true),
            index("applications", &["programme_id", "applicant_id"], true),
            index("applications", &["tenant_id", "status"], false),
            index("documents", &["application_id", "doc_type"], false),
            index("documents", &["tenant_id", "status"], false),
            index("document_events", &["document_id", "at"], false),
        ];
        for idx in indexes {
            manager.create_index(idx).await?;
        }
        crate::isolate_tenants(manager, RECRUITMENT_TENANT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "document_events",
            "documents",
            "applications",
            "required_documents",
            "programme_regions",
            "programmes",
            "email_verifications",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("email_verified_at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
