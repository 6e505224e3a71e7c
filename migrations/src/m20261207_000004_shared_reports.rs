//! A report is marked for sharing when it is to leave the organisation (issue 19, principle
//! 8): its small cells are suppressed. The organisation's own reports, read by its admins who
//! can see the records anyway, show exact counts. Reports made before this were all
//! suppressed, so they are marked shared.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("reports")
                    .add_column(boolean("shared").default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE reports SET shared = TRUE")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("reports")
                    .drop_column("shared")
                    .to_owned(),
            )
            .await
    }
}
