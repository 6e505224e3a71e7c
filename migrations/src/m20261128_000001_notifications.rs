//! E-mail delivered at most once, preferences and the scheduler's claims.
//!
//! - `emails` replaces `email_deliveries`: every message has one row from its first attempt,
//!   keyed by its dedupe key, with its status (`sending`, `sent`, `retry`, `queued`, `failed`,
//!   `uncertain`), attempts and last error. The row is the claim: only the worker that
//!   inserts it (or moves it out of `retry`/`queued`) sends. A message the SMTP server refused
//!   for now waits in `retry` for the next attempt, so an SMTP outage loses nothing.
//! - `notification_preferences`: which reminder topics a person turned off in a tenant, and the
//!   token of their unsubscribe links.
//! - `schedule_runs`: one row per scheduled run and period (`reminders:<tenant>:<date>`); the
//!   unique key makes a schedule fire once per period however many workers run.
//! - programmes get the two delays of the overdue-protocol reminder.

use sea_orm_migration::sea_orm::ConnectionTrait;
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000001_foundation::{fk, index};

/// This migration's tenant-owned tables (see `crate::TENANT_OWNED_TABLES`).
pub const NOTIFICATIONS_TENANT_TABLES: &[&str] = &["notification_preferences"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        manager
            .create_table(
                Table::create()
                    .table("emails")
                    .col(string("dedupe_key").primary_key())
                    .col(string("recipient"))
                    // Set when the message is rendered for sending.
                    .col(string("subject"))
                    // The `domain::jobs::EmailJob` as JSON, so a retry needs nothing else.
                    .col(text("payload"))
                    .col(string("status"))
                    .col(integer("attempts"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone_null("next_attempt_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("emails", &["status", "next_attempt_at"], false))
            .await?;
        // What was delivered before stays delivered (its payload is no longer known).
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO emails (dedupe_key, recipient, subject, payload, status, attempts, \
                 created_at, updated_at, sent_at) \
                 SELECT dedupe_key, recipient, subject, '{}', 'sent', 1, sent_at, sent_at, sent_at \
                 FROM email_deliveries",
            )
            .await?;
        manager
            .drop_table(Table::drop().table("email_deliveries").to_owned())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("notification_preferences")
                    .col(uuid("tenant_id"))
                    .col(uuid("user_id"))
                    // Comma-separated topics turned off (`domain::accounts::Topic`).
                    .col(string("disabled"))
                    // In every reminder's unsubscribe link. Kept as it is, unlike sign-in
                    // tokens: it can only turn e-mails off, and each reminder must carry it.
                    .col(string("unsubscribe_token").unique_key())
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("tenant_id").col("user_id"))
                    .foreign_key(&mut fk(
                        "notification_preferences",
                        "tenant_id",
                        "tenants",
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "notification_preferences",
                        "user_id",
                        "users",
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("schedule_runs")
                    .col(string("run_key").primary_key())
                    .col(timestamp_with_time_zone("ran_at"))
                    .to_owned(),
            )
            .await?;
        for (col, days) in [
            ("mentor_reminder_days", 2),
            ("coordinator_reminder_days", 7),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("programmes")
                        .add_column(integer(col).default(days))
                        .to_owned(),
                )
                .await?;
        }
        crate::isolate_tenants(manager, NOTIFICATIONS_TENANT_TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in ["mentor_reminder_days", "coordinator_reminder_days"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("programmes")
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        for t in ["schedule_runs", "notification_preferences"] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("email_deliveries")
                    .col(string("dedupe_key").primary_key())
                    .col(string("recipient"))
                    .col(string("subject"))
                    .col(timestamp_with_time_zone("sent_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO email_deliveries (dedupe_key, recipient, subject, sent_at) \
                 SELECT dedupe_key, recipient, subject, sent_at FROM emails WHERE status = 'sent'",
            )
            .await?;
        manager
            .drop_table(Table::drop().table("emails").to_owned())
            .await
    }
}
