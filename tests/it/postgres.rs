//! The production shape: PostgreSQL (as an application role that does not own the tables, so
//! row-level security applies) and the job queue on Redis.

use domain::db::{self, Scope};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use ustaz_tests::{Options, TestApp, postgres_database, service, token_from};

async fn count(conn: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_string()))
        .await
        .expect(sql)
        .expect("a row");
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn row_level_security_is_the_second_wall() {
    let Some(admin_url) = service("USTAZ_TEST_PG_URL", "PostgreSQL row-level security") else {
        return;
    };
    let url = postgres_database(&admin_url).await;
    let conn = db::connect(&url, 2).await.unwrap();

    // Without a declared scope the application role sees no tenant's rows at all.
    assert_eq!(count(&conn, "SELECT count(*) FROM regions").await, 0);
    assert_eq!(count(&conn, "SELECT count(*) FROM memberships").await, 0);

    let system = db::read(&conn, Scope::System).await.unwrap();
    assert_eq!(count(&system, "SELECT count(*) FROM regions").await, 2);
    let ids = system
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id::text FROM tenants ORDER BY slug".to_string(),
        ))
        .await
        .unwrap();
    system.commit().await.unwrap();
    let almaty: uuid::Uuid = ids[0]
        .try_get_by_index::<String>(0)
        .unwrap()
        .parse()
        .unwrap();
    let karaganda: uuid::Uuid = ids[1]
        .try_get_by_index::<String>(0)
        .unwrap()
        .parse()
        .unwrap();

    let txn = db::read(&conn, Scope::Tenant(almaty)).await.unwrap();
    assert_eq!(count(&txn, "SELECT count(*) FROM regions").await, 1);
    assert_eq!(
        count(
            &txn,
            &format!("SELECT count(*) FROM regions WHERE tenant_id = '{karaganda}'")
        )
        .await,
        0
    );
    txn.commit().await.unwrap();

    // Writing into another tenant from Almaty's scope is refused by the database itself.
    let txn = db::write(&conn, Scope::Tenant(almaty)).await.unwrap();
    let err = txn
        .execute_unprepared(&format!(
            "INSERT INTO regions (id, tenant_id, name, created_at) VALUES (gen_random_uuid(), '{karaganda}', 'Intruder', now())"
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    txn.rollback().await.unwrap();

    // The scope is transaction-local: a pooled connection does not keep it.
    let txn = conn.begin().await.unwrap();
    assert_eq!(count(&txn, "SELECT count(*) FROM regions").await, 0);
    txn.commit().await.unwrap();

    // Every tenant-owned table, the ones of later migrations included, has the wall.
    for table in migrations::TENANT_OWNED_TABLES
        .iter()
        .flat_map(|t| t.iter())
    {
        assert_eq!(
            count(
                &conn,
                &format!(
                    "SELECT count(*) FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid \
                     WHERE c.relname = '{table}' AND c.relrowsecurity AND c.relforcerowsecurity \
                       AND p.polname = 'tenant_isolation'"
                )
            )
            .await,
            1,
            "{table} has no row-level security"
        );
    }

    // E-mails (their payloads once held one-time links) are the worker's alone: no tenant's
    // transaction reads them, system work does.
    let system = db::write(&conn, Scope::System).await.unwrap();
    system
        .execute_unprepared(
            "INSERT INTO emails (dedupe_key, recipient, subject, payload, status, attempts, created_at, updated_at) \
             VALUES ('rls-probe', 'a@b.kz', '', '{}', 'retry', 1, now(), now())",
        )
        .await
        .unwrap();
    system.commit().await.unwrap();
    let txn = db::read(&conn, Scope::Tenant(almaty)).await.unwrap();
    assert_eq!(count(&txn, "SELECT count(*) FROM emails").await, 0);
    txn.commit().await.unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM emails").await, 0);
    let system = db::read(&conn, Scope::System).await.unwrap();
    assert_eq!(count(&system, "SELECT count(*) FROM emails").await, 1);
    system.commit().await.unwrap();

    // And the application role cannot switch the wall off.
    let err = conn
        .execute_unprepared("ALTER TABLE regions DISABLE ROW LEVEL SECURITY")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("owner"), "{err}");
}

#[tokio::test]
async fn postgres_and_redis_serve_the_api_and_deliver_invitation_emails() {
    let Some(admin_url) = service("USTAZ_TEST_PG_URL", "PostgreSQL + Redis") else {
        return;
    };
    let Some(redis) = service("USTAZ_TEST_REDIS_URL", "PostgreSQL + Redis") else {
        return;
    };
    let url = postgres_database(&admin_url).await;
    let app = TestApp::spawn(Options {
        database_url: Some(url),
        redis_url: Some(redis),
        seed: false,
        in_process_worker: true,
        ..Default::default()
    })
    .await;
    let ready: Value = app.api().get("/readyz").await.json().await.unwrap();
    assert_eq!(ready, json!({"database": true, "queue": true}));

    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let users: Value = admin
        .get("/api/v1/t/almaty-mentors/users")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users.as_array().unwrap().len(), 6);
    assert!(users.as_array().unwrap().iter().all(|u| {
        u["email"]
            .as_str()
            .unwrap()
            .ends_with("@almaty-mentors.demo")
    }));

    let stranger = app.api_as("admin@karaganda-partner.demo").await;
    assert_eq!(
        stranger
            .get("/api/v1/t/almaty-mentors/users")
            .await
            .status(),
        404
    );

    let res = admin
        .post(
            "/api/v1/t/almaty-mentors/invitations",
            json!({"email": "pg.person@example.kz", "role": "coordinator"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let email = app
        .wait_for_email("pg.person@example.kz", "/accept-invitation?token=")
        .await;
    let token = token_from(&email, "/accept-invitation");
    let res = app
        .api()
        .post(
            "/api/v1/auth/accept-invitation",
            json!({"token": token, "full_name": "Pg Person", "password": "postgres person pw"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let me: Value = app
        .api_as_with("pg.person@example.kz", "postgres person pw")
        .await
        .get("/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["memberships"],
        json!([{"tenant": "almaty-mentors", "role": "coordinator"}])
    );
    app.stop().await;
}
