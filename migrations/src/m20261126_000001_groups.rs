//! Youth groups (the Zhas model): a group of a group programme in a region, with its host
//! organisation and project, its members (minimal data), the mentors assigned to it, and the
//! one session a month its mentors log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000001_foundation::{fk, index};

/// This migration's tenant-owned tables (see `crate::TENANT_OWNED_TABLES`).
pub const GROUPS_TENANT_TABLES: &[&str] = &[
    "youth_groups",
    "group_members",
    "group_mentors",
    "group_sessions",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table("youth_groups")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("region_id"))
                    // A group programme: its cadence says how often the group meets.
                    .col(uuid("programme_id"))
                    .col(string("name"))
                    // The organisation that hosts the group (a school, a youth centre).
                    .col(string("host_organisation"))
                    // What the group works on.
                    .col(text("project"))
                    .col(date("started_on"))
                    // `active`, `closed`.
                    .col(string("status"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("youth_groups", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("youth_groups", "region_id", "regions", Cascade))
                    .foreign_key(&mut fk(
                        "youth_groups",
                        "programme_id",
                        "programmes",
                        Cascade,
                    ))
                    .foreign_key(&mut fk("youth_groups", "created_by", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("youth_groups", &["tenant_id", "status"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("group_members")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("group_id"))
                    // The minimum: first name, initial, date of birth.
                    .col(string("first_name"))
                    .col(string("last_initial"))
                    .col(date("date_of_birth"))
                    .col(date("joined_on"))
                    // Members who leave stay in the group's history.
                    .col(date_null("left_on"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("group_members", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk(
                        "group_members",
                        "group_id",
                        "youth_groups",
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("group_members", &["tenant_id", "group_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("group_mentors")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("group_id"))
                    .col(uuid("mentor_id"))
                    .col(date("assigned_on"))
                    .col(uuid_null("assigned_by"))
                    // Unassigned mentors stay in the history (and keep their sessions).
                    .col(date_null("unassigned_on"))
                    .foreign_key(&mut fk("group_mentors", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk(
                        "group_mentors",
                        "group_id",
                        "youth_groups",
                        Cascade,
                    ))
                    .foreign_key(&mut fk("group_mentors", "mentor_id", "users", Cascade))
                    .foreign_key(&mut fk("group_mentors", "assigned_by", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("group_mentors", &["group_id", "mentor_id"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("group_sessions")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("group_id"))
                    .col(uuid("mentor_id"))
                    // The first day of the session's month: one session per group per month.
                    .col(date("month"))
                    .col(date("held_on"))
                    .col(integer("minutes"))
                    .col(integer("attendees"))
                    .col(text("topic"))
                    .col(text("agreements"))
                    .col(text("next_steps"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("group_sessions", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk(
                        "group_sessions",
                        "group_id",
                        "youth_groups",
                        Cascade,
                    ))
                    .foreign_key(&mut fk("group_sessions", "mentor_id", "users", Cascade))
                    .to_owned(),
            )
            .await?;
        // The database keeps the one-a-month rule even against two mentors at once.
        manager
            .create_index(index("group_sessions", &["group_id", "month"], true))
            .await?;
        crate::isolate_tenants(manager, GROUPS_TENANT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "group_sessions",
            "group_mentors",
            "group_members",
            "youth_groups",
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
