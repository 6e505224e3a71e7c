//! The database schema, one migration per change. Every migration runs on SQLite (the embedded
//! default) and PostgreSQL (production); PostgreSQL additionally gets row-level security.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;
mod m20261122_000001_recruitment;
mod m20261123_000001_selection;
mod m20261123_000002_results;
mod m20261124_000001_children;
mod m20261125_000001_pairs;
mod m20261126_000001_groups;
mod m20261127_000001_record_documents;
mod m20261128_000001_notifications;
mod m20261129_000001_reports;
mod m20261130_000001_grants;
mod m20261130_000002_appointments;
mod m20261201_000001_report_indexes;
mod m20261207_000001_throttle;
mod m20261207_000002_private_emails;
mod m20261207_000003_check_attempts;
mod m20261207_000004_shared_reports;
mod m20261207_000005_form_submissions;
mod m20261207_000006_open_next_stage;
mod m20261207_000007_display;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261122_000001_recruitment::Migration),
            Box::new(m20261123_000001_selection::Migration),
            Box::new(m20261123_000002_results::Migration),
            Box::new(m20261124_000001_children::Migration),
            Box::new(m20261125_000001_pairs::Migration),
            Box::new(m20261126_000001_groups::Migration),
            Box::new(m20261127_000001_record_documents::Migration),
            Box::new(m20261128_000001_notifications::Migration),
            Box::new(m20261129_000001_reports::Migration),
            Box::new(m20261130_000001_grants::Migration),
            Box::new(m20261130_000002_appointments::Migration),
            Box::new(m20261201_000001_report_indexes::Migration),
            Box::new(m20261207_000001_throttle::Migration),
            Box::new(m20261207_000002_private_emails::Migration),
            Box::new(m20261207_000003_check_attempts::Migration),
            Box::new(m20261207_000004_shared_reports::Migration),
            Box::new(m20261207_000005_form_submissions::Migration),
            Box::new(m20261207_000006_open_next_stage::Migration),
            Box::new(m20261207_000007_display::Migration),
        ]
    }
}

/// Tables whose rows belong to one tenant. On PostgreSQL each gets a row-level-security policy
/// that admits a row only when `app.tenant_id` (set per transaction by `domain::db`) matches,
/// or when the transaction declared itself system work (`app.system = 'on'`).
pub const TENANT_OWNED_TABLES: &[&[&str]] = &[
    m20261121_000001_foundation::FOUNDATION_TENANT_TABLES,
    m20261122_000001_recruitment::RECRUITMENT_TENANT_TABLES,
    m20261123_000001_selection::SELECTION_TENANT_TABLES,
    m20261123_000002_results::RESULTS_TENANT_TABLES,
    m20261124_000001_children::CHILDREN_TENANT_TABLES,
    m20261125_000001_pairs::PAIRS_TENANT_TABLES,
    m20261126_000001_groups::GROUPS_TENANT_TABLES,
    m20261128_000001_notifications::NOTIFICATIONS_TENANT_TABLES,
    m20261129_000001_reports::REPORTS_TENANT_TABLES,
    m20261130_000001_grants::GRANTS_TENANT_TABLES,
];

/// Enables row-level security with the tenant policy on `tables` (PostgreSQL only).
pub(crate) async fn isolate_tenants(
    manager: &SchemaManager<'_>,
    tables: &[&str],
) -> Result<(), DbErr> {
    if manager.get_database_backend() != sea_orm_migration::sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let conn = manager.get_connection();
    for table in tables {
        conn.execute_unprepared(&format!(
            "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
             ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
             CREATE POLICY tenant_isolation ON {table}
               USING (current_setting('app.system', true) = 'on'
                      OR tenant_id::text = current_setting('app.tenant_id', true))
               WITH CHECK (current_setting('app.system', true) = 'on'
                      OR tenant_id::text = current_setting('app.tenant_id', true));"
        ))
        .await?;
    }
    Ok(())
}

/// Grants the application role what it needs on every table, after migrating as the owner.
/// The application role does not own the tables, so row-level security applies to it.
pub async fn grant_app_role(
    db: &sea_orm_migration::sea_orm::DatabaseConnection,
    role: &str,
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::ConnectionTrait;
    if db.get_database_backend() != sea_orm_migration::sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    if !role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(DbErr::Custom(format!("invalid role name {role:?}")));
    }
    db.execute_unprepared(&format!(
        "GRANT USAGE ON SCHEMA public TO {role};
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
         GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};"
    ))
    .await?;
    Ok(())
}
