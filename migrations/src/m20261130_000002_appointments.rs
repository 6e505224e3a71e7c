//! Appointments for the stages met in person (the psychological test, the interview): when and
//! where, in `stage_results`, so the candidate is invited and reminded the day before.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            timestamp_with_time_zone_null("scheduled_at"),
            text_null("place"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("stage_results")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["place", "scheduled_at"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("stage_results")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
