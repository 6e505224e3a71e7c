//! Requests anyone can make without signing in and that cost a hash or send an e-mail
//! (registration, password resets, new confirmation links), counted per client address and per
//! e-mail address so a flood can neither keep argon2 busy nor fill someone's inbox. Not a
//! tenant's data: nobody is signed in when these are written.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000001_foundation::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("throttle_events")
                    .col(pk_uuid("id"))
                    .col(string("action"))
                    .col(string("key"))
                    .col(timestamp_with_time_zone("at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("throttle_events", &["action", "key", "at"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("throttle_events").to_owned())
            .await
    }
}
