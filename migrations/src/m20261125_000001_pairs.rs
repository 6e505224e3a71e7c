//! Matching and support: what the ranking knows about mentors, proposed matches and the
//! psychologist's decision, pairs with their term, guest visits, meeting protocols,
//! consultations and concerns. Places are kept in micro-degrees (integers), so rows compare
//! exactly.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000001_foundation::{fk, index};

/// This migration's tenant-owned tables (see `crate::TENANT_OWNED_TABLES`).
pub const PAIRS_TENANT_TABLES: &[&str] = &[
    "mentor_profiles",
    "matches",
    "pairs",
    "guest_visits",
    "meetings",
    "consultations",
    "concerns",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        // Where an institution is, for the distance between a mentor's home and a child.
        for col in ["lat_e6", "lon_e6"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("institutions")
                        .add_column(integer_null(col))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("mentor_profiles")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("user_id"))
                    .col(string_null("gender"))
                    // JSON list of lower-case words.
                    .col(text("interests"))
                    // How many children (or groups) the mentor may have at once.
                    .col(integer("capacity"))
                    .col(integer_null("home_lat_e6"))
                    .col(integer_null("home_lon_e6"))
                    // The programme rules (no money, no expensive gifts), acknowledged once.
                    .col(timestamp_with_time_zone_null("rules_acknowledged_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("mentor_profiles", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("mentor_profiles", "user_id", "users", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("mentor_profiles", &["tenant_id", "user_id"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("matches")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("region_id"))
                    .col(uuid("child_id"))
                    .col(uuid("mentor_id"))
                    // The mentor's selection (its programme gives the pair's term and cadence).
                    .col(uuid("application_id"))
                    .col(integer("score"))
                    // JSON list of `matching::Reason`, as the coordinator saw them.
                    .col(text("reasons"))
                    // `proposed`, `approved`, `declined`.
                    .col(string("status"))
                    .col(uuid_null("proposed_by"))
                    .col(timestamp_with_time_zone("proposed_at"))
                    .col(uuid_null("decided_by"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(text_null("decision_reason"))
                    .foreign_key(&mut fk("matches", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("matches", "child_id", "children", Cascade))
                    .foreign_key(&mut fk("matches", "mentor_id", "users", Cascade))
                    .foreign_key(&mut fk(
                        "matches",
                        "application_id",
                        "applications",
                        Cascade,
                    ))
                    .foreign_key(&mut fk("matches", "proposed_by", "users", SetNull))
                    .foreign_key(&mut fk("matches", "decided_by", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("matches", &["tenant_id", "child_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("pairs")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("region_id"))
                    .col(uuid("child_id"))
                    .col(uuid("mentor_id"))
                    .col(uuid("programme_id"))
                    .col(uuid("match_id"))
                    .col(date("starts_on"))
                    // The end of the term: the programme's contract length after the start.
                    .col(date("ends_on"))
                    // `active`, `closed`.
                    .col(string("status"))
                    .col(date_null("closed_on"))
                    .col(string_null("close_reason"))
                    .col(text_null("close_note"))
                    .col(uuid_null("closed_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("pairs", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("pairs", "child_id", "children", Cascade))
                    .foreign_key(&mut fk("pairs", "mentor_id", "users", Cascade))
                    .foreign_key(&mut fk("pairs", "programme_id", "programmes", Cascade))
                    .foreign_key(&mut fk("pairs", "match_id", "matches", Cascade))
                    .foreign_key(&mut fk("pairs", "closed_by", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("pairs", &["tenant_id", "status"], false))
            .await?;
        manager
            .create_index(index("pairs", &["tenant_id", "mentor_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("guest_visits")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("pair_id"))
                    .col(date("from_on"))
                    .col(date("until_on"))
                    .col(uuid_null("approved_by"))
                    // The signed permission, through the document pipeline.
                    .col(uuid_null("document_id"))
                    .col(text("note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("guest_visits", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("guest_visits", "pair_id", "pairs", Cascade))
                    .foreign_key(&mut fk("guest_visits", "approved_by", "users", SetNull))
                    .foreign_key(&mut fk("guest_visits", "document_id", "documents", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("meetings")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("pair_id"))
                    .col(uuid("mentor_id"))
                    .col(date("held_on"))
                    .col(integer("minutes"))
                    // `visit`, `outing`, `guest_weekend`, `call`, `group_session`.
                    .col(string("format"))
                    .col(text("issues"))
                    .col(text("agreements"))
                    // `good`, `calm`, `low`, `upset`.
                    .col(string("mood"))
                    .col(text("next_steps"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("meetings", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("meetings", "pair_id", "pairs", Cascade))
                    .foreign_key(&mut fk("meetings", "mentor_id", "users", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "meetings",
                &["tenant_id", "pair_id", "held_on"],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("consultations")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("region_id"))
                    .col(uuid_null("psychologist_id"))
                    // With a mentor, a child, or a pair (both).
                    .col(uuid_null("mentor_id"))
                    .col(uuid_null("child_id"))
                    .col(uuid_null("pair_id"))
                    .col(timestamp_with_time_zone("scheduled_at"))
                    // `scheduled`, `held`.
                    .col(string("status"))
                    // Psychologists only; every read is audit-logged.
                    .col(text("notes"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("consultations", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk(
                        "consultations",
                        "psychologist_id",
                        "users",
                        SetNull,
                    ))
                    .foreign_key(&mut fk("consultations", "mentor_id", "users", Cascade))
                    .foreign_key(&mut fk("consultations", "child_id", "children", Cascade))
                    .foreign_key(&mut fk("consultations", "pair_id", "pairs", Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("concerns")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("region_id"))
                    .col(uuid_null("raised_by"))
                    .col(uuid_null("child_id"))
                    .col(uuid_null("pair_id"))
                    // `low`, `medium`, `high`, `critical`.
                    .col(string("severity"))
                    .col(text("summary"))
                    // JSON list of actions taken: who, when, what.
                    .col(text("actions"))
                    // `open`, `resolved`.
                    .col(string("status"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .col(uuid_null("resolved_by"))
                    .foreign_key(&mut fk("concerns", "tenant_id", "tenants", Cascade))
                    .foreign_key(&mut fk("concerns", "raised_by", "users", SetNull))
                    .foreign_key(&mut fk("concerns", "child_id", "children", Cascade))
                    .foreign_key(&mut fk("concerns", "pair_id", "pairs", Cascade))
                    .foreign_key(&mut fk("concerns", "resolved_by", "users", SetNull))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("concerns", &["tenant_id", "status"], false))
            .await?;
        crate::isolate_tenants(manager, PAIRS_TENANT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "concerns",
            "consultations",
            "meetings",
            "guest_visits",
            "pairs",
            "matches",
            "mentor_profiles",
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        for col in ["lat_e6", "lon_e6"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("institutions")
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
