//! A programme may open a candidate's next stage as soon as a stage passes, instead of waiting
//! for a coordinator to open it (issue 19, principle 7). Off for every programme made before.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("programmes")
                    .add_column(boolean("open_next_stage").default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("programmes")
                    .drop_column("open_next_stage")
                    .to_owned(),
            )
            .await
    }
}
