//! The `emails` table no longer keeps what a sent message said: its payload carried the one-time
//! links of invitations, password resets and confirmations. Payloads of messages that will not
//! be sent again are emptied (the worker empties new ones as it finishes them), and on
//! PostgreSQL the table is readable by system work only (the worker), never by a tenant's
//! request. Row-level security on every tenant table is now forced: it holds for the tables'
//! owner too.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared(
            "UPDATE emails SET payload = '' WHERE status IN ('sent', 'failed', 'uncertain')",
        )
        .await?;
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            for table in crate::TENANT_OWNED_TABLES.iter().flat_map(|t| t.iter()) {
                conn.execute_unprepared(&format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY"))
                    .await?;
            }
            conn.execute_unprepared(
                "ALTER TABLE emails ENABLE ROW LEVEL SECURITY;
                 ALTER TABLE emails FORCE ROW LEVEL SECURITY;
                 CREATE POLICY system_only ON emails
                   USING (current_setting('app.system', true) = 'on')
                   WITH CHECK (current_setting('app.system', true) = 'on');",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "DROP POLICY system_only ON emails; ALTER TABLE emails DISABLE ROW LEVEL SECURITY;",
                )
                .await?;
        }
        Ok(())
    }
}
