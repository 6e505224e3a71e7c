//! Connecting to the database and opening transactions with the right tenant scope.
//!
//! Every domain service works inside a transaction opened here. On PostgreSQL the transaction
//! first declares whose rows it may see (`app.tenant_id`, or `app.system` for the few
//! deliberately cross-tenant operations such as sign-in); row-level security enforces it as a
//! second wall behind the services' own checks. `set_config(.., true)` is transaction-local, so
//! a pooled connection never carries one tenant's scope into another's request.

use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, SqlxSqliteConnector, Statement, TransactionOptions,
    TransactionTrait,
};
use uuid::Uuid;

/// Whose rows a transaction may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Tenant(Uuid),
    /// Cross-tenant work: sign-in, the platform operator, the worker's scans. Used sparingly and
    /// only by code that applies its own checks.
    System,
}

/// Opens the database named by `url` (`sqlite://path?mode=rwc` or `postgres://…`).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| DbErr::Custom(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            // A request that cannot get a connection fails, said and logged, instead of waiting
            // for ever (longer than the busy timeout: a writer waits for the lock first).
            .acquire_timeout(Duration::from_secs(20))
            .connect_with(options)
            .await
            .map_err(|e| DbErr::Custom(format!("cannot open SQLite database: {e}")))?;
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    } else {
        let mut options = ConnectOptions::new(url.to_string());
        options
            .max_connections(max_connections)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        Database::connect(options).await
    }
}

/// A transaction for reading.
pub async fn read(db: &DatabaseConnection, scope: Scope) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    declare_scope(&txn, scope).await?;
    Ok(txn)
}

/// A transaction for writing. On SQLite it starts with `BEGIN IMMEDIATE`, so two writers queue
/// on the busy timeout instead of failing when a read lock is upgraded.
pub async fn write(db: &DatabaseConnection, scope: Scope) -> Result<DatabaseTransaction, DbErr> {
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    declare_scope(&txn, scope).await?;
    Ok(txn)
}

async fn declare_scope(txn: &DatabaseTransaction, scope: Scope) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let (name, value) = match scope {
        Scope::Tenant(id) => ("app.tenant_id", id.to_string()),
        Scope::System => ("app.system", "on".to_string()),
    };
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config($1, $2, true)",
        [name.into(), value.into()],
    ))
    .await?;
    Ok(())
}

/// Refuses to serve as a PostgreSQL role for which row-level security is no wall: one that owns
/// a table (an owner passes the policies unless they are forced, and may switch them off), a
/// superuser, or a role with BYPASSRLS. The portal and the worker connect as a role that owns
/// nothing; `server migrate` runs as the owner. SQLite has no roles: nothing to check.
pub async fn check_app_role(db: &DatabaseConnection) -> Result<(), String> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT r.rolname::text, r.rolsuper, r.rolbypassrls, \
                    (SELECT count(*) FROM pg_tables t \
                      WHERE t.schemaname = 'public' AND t.tableowner = current_user)::bigint \
               FROM pg_roles r WHERE r.rolname = current_user",
        ))
        .await
        .map_err(|e| format!("cannot read the database role: {e}"))?
        .ok_or("cannot read the database role")?;
    let get = |i| row.try_get_by_index::<bool>(i).unwrap_or(true);
    let name = row.try_get_by_index::<String>(0).unwrap_or_default();
    let owned = row.try_get_by_index::<i64>(3).unwrap_or(1);
    if get(1) || get(2) {
        return Err(format!(
            "the database role {name} is a superuser or has BYPASSRLS: row-level security would not apply. Connect as the application role (see deploy/README)"
        ));
    }
    if owned > 0 {
        return Err(format!(
            "the database role {name} owns {owned} table(s): connect as the application role, which owns none; migrate as the owner (`server migrate --grant-to <app role>`)"
        ));
    }
    Ok(())
}

/// Whether the database answers; used by `/readyz`.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// True when `err` is a unique-constraint violation (a duplicate), which services turn into a
/// specific conflict message instead of an internal error.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
