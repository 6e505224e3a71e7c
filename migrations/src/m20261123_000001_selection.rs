//! Selection: each programme's stages and committee rule, candidates' stage results, cohorts
//! of the School of Mentors and other trainings with their seats and attendance, and the
//! committee's votes.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000001_foundation::{fk, index};

/// This migration's tenant-owned tables (see `crate::TENANT_OWNED_TABLES`).
pub const SELECTION_TENANT_TABLES: &[&str] = &[
    "stage_results",
    "cohorts",
    "cohort_members",
    "attendance",
    "committee_votes",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        // SQLite adds one column per statement.
        let added = [
            // JSON array of stage kinds, in order.
            (
                "programmes",
                text("stages")
                    .default(
                        r#"["documents","psych_test","interview","school","committee","contract"]"#,
                    )
                    .to_owned(),
            ),
            (
                "programmes",
                string("committee_rule")
                    .default("simple_majority")
                    .to_owned(),
            ),
            (
                "programmes",
                integer("committee_quorum").default(3).to_owned(),
            ),
            // Where the candidate stands, kept with every stage change for the board's filters.
            ("applications", string_null("stage")),
            ("applications", string_null("stage_status")),
            (
                "applications",
                string("outcome").default("pending").to_owned(),
            ),
        ];
        for (table, column) in added {
            manager
                .alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        let tables = [
            Table::create()
                .table("stage_results")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid("application_id"))
                .col(string("stage"))
                .col(string("status"))
                .col(timestamp_with_time_zone("opened_at"))
                .col(uuid_null("opened_by"))
                .col(uuid_null("assessor_id"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(integer_null("score"))
                .col(text_null("notes"))
                .col(text_null("reason"))
                .foreign_key(&mut fk("stage_results", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk(
                    "stage_results",
                    "application_id",
                    "applications",
                    Cascade,
                ))
                .foreign_key(&mut fk("stage_results", "opened_by", "users", SetNull))
                .foreign_key(&mut fk("stage_results", "assessor_id", "users", SetNull))
                .to_owned(),
            Table::create()
                .table("cohorts")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid_null("programme_id"))
                .col(uuid_null("region_id"))
                .col(string("kind"))
                .col(string("title"))
                .col(date("starts_on"))
                .col(integer("days"))
                .col(integer("academic_hours"))
                .col(string("place"))
                .col(text("trainers"))
                .col(integer("capacity"))
                .col(integer("min_days"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("cohorts", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk("cohorts", "programme_id", "programmes", SetNull))
                .foreign_key(&mut fk("cohorts", "region_id", "regions", SetNull))
                .to_owned(),
            Table::create()
                .table("cohort_members")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid("cohort_id"))
                .col(uuid("application_id"))
                .col(string("status"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("cohort_members", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk("cohort_members", "cohort_id", "cohorts", Cascade))
                .foreign_key(&mut fk(
                    "cohort_members",
                    "application_id",
                    "applications",
                    Cascade,
                ))
                .to_owned(),
            Table::create()
                .table("attendance")
                .col(uuid("member_id"))
                .col(integer("day"))
                .col(uuid("tenant_id"))
                .col(boolean("present"))
                .col(uuid("recorded_by"))
                .col(timestamp_with_time_zone("recorded_at"))
                .primary_key(Index::create().col("member_id").col("day"))
                .foreign_key(&mut fk("attendance", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk(
                    "attendance",
                    "member_id",
                    "cohort_members",
                    Cascade,
                ))
                .foreign_key(&mut fk("attendance", "recorded_by", "users", Restrict))
                .to_owned(),
            Table::create()
                .table("committee_votes")
                .col(pk_uuid("id"))
                .col(uuid("tenant_id"))
                .col(uuid("application_id"))
                .col(uuid("voter_id"))
                .col(string("vote"))
                .col(text_null("comment"))
                .col(timestamp_with_time_zone("cast_at"))
                .foreign_key(&mut fk("committee_votes", "tenant_id", "tenants", Cascade))
                .foreign_key(&mut fk(
                    "committee_votes",
                    "application_id",
                    "applications",
                    Cascade,
                ))
                .foreign_key(&mut fk("committee_votes", "voter_id", "users", Cascade))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            // One record per stage and candidate: the gate's "already open" also holds
            // when two coordinators click at once.
            index("stage_results", &["application_id", "stage"], true),
            index("applications", &["tenant_id", "stage"], false),
            index("cohorts", &["tenant_id", "starts_on"], false),
            index("cohort_members", &["cohort_id", "application_id"], true),
            index("cohort_members", &["application_id"], false),
            // One vote per member and candidate.
            index("committee_votes", &["application_id", "voter_id"], true),
        ];
        for idx in indexes {
            manager.create_index(idx).await?;
        }
        crate::isolate_tenants(manager, SELECTION_TENANT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "committee_votes",
            "attendance",
            "cohort_members",
            "cohorts",
            "stage_results",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for (table, column) in [
            ("applications", "outcome"),
            ("applications", "stage_status"),
            ("applications", "stage"),
            ("programmes", "committee_quorum"),
            ("programmes", "committee_rule"),
            ("programmes", "stages"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
