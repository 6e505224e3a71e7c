//! Documents count how many times the worker began inspecting them: a file that kills the
//! worker (memory) is redelivered to the next one, and after two starts it is failed for good
//! with a reason instead.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("documents")
                    .add_column(integer("check_attempts").default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("documents")
                    .drop_column("check_attempts")
                    .to_owned(),
            )
            .await
    }
}
