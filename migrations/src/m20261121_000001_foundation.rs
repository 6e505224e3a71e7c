//! Tenants, regions, institutions, users, memberships, invitations, password resets,
//! API tokens, sessions, audit events, login failures, the job outbox and e-mail deliveries.

use sea_orm_migration::{prelude::*, schema::*};

/// This migration's tenant-owned tables (see `crate::TENANT_OWNED_TABLES`).
pub const FOUNDATION_TENANT_TABLES: &[&str] = &[
    "regions",
    "institutions",
    "memberships",
    "invitations",
    "audit_events",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

pub(crate) fn fk(
    from: &'static str,
    col: &'static str,
    to: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from}_{col}"))
        .from(from, col)
        .to(to, "id")
        .on_delete(on_delete)
        .to_owned()
}

pub(crate) fn index(
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(format!("ix_{table}_{}", cols.join("_")))
        .table(table);
    for c in cols {
        idx.col(*c);
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        let tables = [
            Table::create()
                .table("tenants")
                .col(pk_uuid("id"))
                .col(string_uniq("slug"))
                .col(string("name"))
                .col(string("default_locale"))
                .col(string("time_zone"))
                .col(uuid_null("lead_tenant_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("tenants", "lead_tenant_id", "tenants", SetNull))
                .to_owned(),
            Table::create()
                .table("regions")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(string("name"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("regions", "tenant_id", "tenants", Cascade))
                .to_owned(),
            Table::create()
                .table("institutions")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid_null("region_id"))
                .col(string("name"))
                .col(string("kind"))
                .col(string_null("address"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("institutions", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk("institutions", "region_id", "regions", SetNull))
                .to_owned(),
            Table::create()
                .table("users")
                .col(pk_uuid("id"))
                .col(string_uniq("email"))
                .col(string("full_name"))
                .col(string("locale"))
                .col(string_null("password_hash"))
                .col(boolean("is_platform_admin").default(false))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
            Table::create()
                .table("memberships")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(uuid("tenant_id"))
                .col(string("role"))
                .col(uuid_null("region_id"))
                .col(boolean("active").default(true))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("memberships", "user_id", "users", Cascade))
                .foreign_key(&mut fk("memberships", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk("memberships", "region_id", "regions", SetNull))
                .to_owned(),
            Table::create()
                .table("invitations")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(string("email"))
                .col(string("role"))
                .col(uuid_null("region_id"))
                .col(string_uniq("token_hash"))
                .col(uuid_null("invited_by"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("accepted_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("invitations", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk("invitations", "region_id", "regions", SetNull))
                .foreign_key(&mut fk("invitations", "invited_by", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("password_resets")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_uniq("token_hash"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("password_resets", "user_id", "users", Cascade))
                .to_owned(),
            Table::create()
                .table("api_tokens")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_uniq("token_hash"))
                .col(string("name"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("api_tokens", "user_id", "users", Cascade))
                .to_owned(),
            Table::create()
                .table("sessions")
                .col(string("id_hash").primary_key())
                .col(uuid("user_id"))
                .col(string("csrf_token"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(&mut fk("sessions", "user_id", "users", Cascade))
                .to_owned(),
            Table::create()
                .table("audit_events")
                .col(pk_uuid("id"))
                .col(uuid_null("tenant_id"))
                .col(uuid_null("actor_user_id"))
                .col(string("action"))
                .col(string("subject_type"))
                .col(uuid_null("subject_id"))
                .col(text_null("detail"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("audit_events", "tenant_id", "tenants", Cascade))
                .to_owned(),
            Table::create()
                .table("login_failures")
                .col(pk_uuid("id"))
                .col(string("email"))
                .col(string("ip"))
                .col(timestamp_with_time_zone("at"))
                .to_owned(),
            Table::create()
                .table("outbox")
                .col(pk_uuid("id"))
                .col(string("kind"))
                .col(text("payload"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("enqueued_at"))
                .to_owned(),
            Table::create()
                .table("email_deliveries")
                .col(string("dedupe_key").primary_key())
                .col(string("recipient"))
                .col(string("subject"))
                .col(timestamp_with_time_zone("sent_at"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("regions", &["tenant_id", "name"], true),
            index("institutions", &["tenant_id", "name"], true),
            index("memberships", &["user_id", "tenant_id", "role"], true),
            index("memberships", &["tenant_id"], false),
            index("invitations", &["tenant_id", "email"], false),
            index("password_resets", &["user_id"], false),
            index("api_tokens", &["user_id"], false),
            index("sessions", &["user_id"], false),
            index("audit_events", &["tenant_id", "at"], false),
            index("login_failures", &["email", "at"], false),
            index("login_failures", &["ip", "at"], false),
            index("outbox", &["enqueued_at"], false),
        ];
        for idx in indexes {
            manager.create_index(idx).await?;
        }

        crate::isolate_tenants(manager, FOUNDATION_TENANT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "email_deliveries",
            "outbox",
            "login_failures",
            "audit_events",
            "sessions",
            "api_tokens",
            "password_resets",
            "invitations",
            "memberships",
            "users",
            "institutions",
            "regions",
            "tenants",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
