//! Documents that belong to a child, a pair or a meeting rather than to an application: the
//! consent of the institution or guardian, the signed guest-visit permission and meeting
//! attachments go through the same pipeline (streamed, checked by the worker, reviewed,
//! downloaded with an audit record) as applicants' documents.
//!
//! `documents.application_id` becomes optional and three owner columns appear; each cascades,
//! so erasing a child removes its documents' rows (the orphan sweeper then removes the files).
//!
//! PostgreSQL changes the table in place. SQLite cannot drop a NOT NULL constraint, so the
//! table is rebuilt the way SQLite documents it (create the new table, copy, drop, rename) with
//! foreign keys off, in one statement batch on one connection: with them on, dropping the old
//! table would delete the contracts', guest visits' and history rows that point at it.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000001_foundation::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The new owner columns and the table each points at.
const OWNERS: [(&str, &str); 3] = [
    ("child_id", "children"),
    ("pair_id", "pairs"),
    ("meeting_id", "meetings"),
];

/// The columns `documents` had before this migration, copied as they are.
const OLD_COLUMNS: &str = "id, tenant_id, application_id, doc_type, status, original_name, \
    declared_type, detected_type, size_bytes, sha256, storage_key, preview_key, pages, width, \
    height, reasons, issued_on, uploaded_by, created_at, checked_at, reviewed_by, reviewed_at, \
    review_reason";

fn fk_to(col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_documents_{col}"))
        .from("documents", col)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// `documents` as it is after this migration, named `name` (SQLite builds it beside the old one).
fn documents_table(name: &'static str) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name)
        .col(pk_uuid("id"))
        .col(uuid("tenant_id"))
        .col(uuid_null("application_id"))
        .col(string("doc_type"))
        .col(string("status"))
        .col(string("original_name"))
        .col(string("declared_type"))
        .col(string_null("detected_type"))
        .col(big_integer("size_bytes"))
        .col(string("sha256"))
        .col(string("storage_key"))
        .col(string_null("preview_key"))
        .col(integer_null("pages"))
        .col(integer_null("width"))
        .col(integer_null("height"))
        .col(text("reasons"))
        .col(date_null("issued_on"))
        .col(uuid("uploaded_by"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("checked_at"))
        .col(uuid_null("reviewed_by"))
        .col(timestamp_with_time_zone_null("reviewed_at"))
        .col(text_null("review_reason"))
        .foreign_key(&mut fk_to("tenant_id", "tenants"))
        .foreign_key(&mut fk_to("application_id", "applications"));
    for (col, to) in OWNERS {
        t.col(uuid_null(col)).foreign_key(&mut fk_to(col, to));
    }
    t.to_owned()
}

/// Every index `documents` has after this migration.
fn documents_indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("documents", &["application_id", "doc_type"], false),
        index("documents", &["tenant_id", "status"], false),
        index("documents", &["child_id", "doc_type"], false),
        index("documents", &["pair_id", "doc_type"], false),
        index("documents", &["meeting_id"], false),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                conn.execute_unprepared(
                    "ALTER TABLE documents ALTER COLUMN application_id DROP NOT NULL",
                )
                .await?;
                for (col, to) in OWNERS {
                    conn.execute_unprepared(&format!(
                        "ALTER TABLE documents ADD COLUMN {col} uuid NULL \
                         CONSTRAINT fk_documents_{col} REFERENCES {to}(id) ON DELETE CASCADE"
                    ))
                    .await?;
                }
                for idx in documents_indexes().into_iter().skip(2) {
                    manager.create_index(idx).await?;
                }
                Ok(())
            }
            DbBackend::Sqlite => {
                conn.execute_unprepared(&sqlite_rebuild()).await?;
                Ok(())
            }
            other => Err(DbErr::Migration(format!("unsupported database {other:?}"))),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Only documents of applications can go back to the old shape.
        let conn = manager.get_connection();
        conn.execute_unprepared("DELETE FROM documents WHERE application_id IS NULL")
            .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for (col, _) in OWNERS {
                    conn.execute_unprepared(&format!("ALTER TABLE documents DROP COLUMN {col}"))
                        .await?;
                }
                conn.execute_unprepared(
                    "ALTER TABLE documents ALTER COLUMN application_id SET NOT NULL",
                )
                .await?;
                Ok(())
            }
            _ => Err(DbErr::Migration(
                "going back on SQLite: restore the backup taken before migrating".into(),
            )),
        }
    }
}

/// SQLite's rebuild of `documents` as one batch (one connection, so the pragma holds for it).
fn sqlite_rebuild() -> String {
    let create = documents_table("documents_new").to_string(SqliteQueryBuilder);
    let indexes: Vec<String> = documents_indexes()
        .iter()
        .map(|i| i.to_string(SqliteQueryBuilder))
        .collect();
    format!(
        "PRAGMA foreign_keys = OFF;
         BEGIN IMMEDIATE;
         {create};
         INSERT INTO documents_new ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM documents;
         DROP TABLE documents;
         ALTER TABLE documents_new RENAME TO documents;
         {};
         COMMIT;
         PRAGMA foreign_keys = ON;",
        indexes.join(";\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sqlite_rebuild_keeps_every_old_column_and_adds_the_owners() {
        let sql = sqlite_rebuild();
        for col in OLD_COLUMNS.split(',').map(str::trim) {
            assert!(sql.contains(&format!("\"{col}\"")), "{col} missing");
        }
        for (col, to) in OWNERS {
            assert!(sql.contains(&format!("\"{col}\"")), "{col} missing");
            assert!(
                sql.contains(&format!("REFERENCES \"{to}\"")),
                "{to} missing"
            );
        }
        assert!(!sql.contains("\"application_id\" uuid NOT NULL"), "{sql}");
    }
}
