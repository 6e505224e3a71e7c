//! Forms sent from the portal, remembered for a day so that one sent again (Back and Save, a
//! double click, a retry after a timeout) is answered with what the first got instead of being
//! carried out twice (issue 19, principle 2). Only a digest of what was typed is kept, never the
//! values; the owner is a digest of the browser's session cookie.

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
                    .table("form_submissions")
                    .col(pk_uuid("id"))
                    .col(string("owner"))
                    .col(string("token"))
                    .col(string("action"))
                    .col(string("digest"))
                    .col(boolean("done"))
                    .col(integer_null("status"))
                    .col(text_null("location"))
                    .col(string_null("content_type"))
                    .col(text_null("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("form_submissions", &["owner", "token"], true))
            .await?;
        manager
            .create_index(index("form_submissions", &["owner", "finished_at"], false))
            .await?;
        manager
            .create_index(index("form_submissions", &["created_at"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("form_submissions").to_owned())
            .await
    }
}
