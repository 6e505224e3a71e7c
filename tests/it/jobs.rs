//! The verification job's guarantees in the production shape (PostgreSQL and Redis, each test
//! with its own Redis process so it can be stopped): an upload committed while Redis is down
//! is verified once it is back; a worker killed in the middle of the job leaves it to another,
//! and the result is recorded once.

use std::time::Duration;

use serde_json::Value;
use ustaz_tests::{Options, TestApp, postgres_database, service};
use worker::queue::{JobQueue, Liveness};
use worker::recruitment::fixtures;

/// A Redis server of our own on a free port, so a test can stop and restart it.
struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    async fn start(port: Option<u16>) -> OwnRedis {
        let port = port.unwrap_or_else(|| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        });
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (Debian: apt-get install redis-server)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        OwnRedis {
            port,
            child: Some(child),
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

const T: &str = "almaty-mentors";

async fn pending_outbox(app: &TestApp) -> i64 {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    domain::jobs::outbox::Entity::find()
        .filter(domain::jobs::outbox::Column::EnqueuedAt.is_null())
        .filter(domain::jobs::outbox::Column::Kind.eq("verify_document"))
        .count(&app.db)
        .await
        .unwrap() as i64
}

#[tokio::test]
async fn an_upload_committed_while_redis_is_down_is_verified_once_it_is_back() {
    let Some(admin_url) = service("USTAZ_TEST_PG_URL", "jobs: Redis down") else {
        return;
    };
    if service("USTAZ_TEST_REDIS_URL", "jobs: Redis down").is_none() {
        return;
    }
    let mut redis = OwnRedis::start(None).await;
    let app = TestApp::spawn(Options {
        database_url: Some(postgres_database(&admin_url).await),
        redis_url: Some(redis.url()),
        seed: false,
        in_process_worker: true,
        ..Default::default()
    })
    .await;
    let (api, id) = app.draft_application("redis-down@example.kz", "ru").await;

    redis.stop();
    let res = api
        .upload(
            &format!("/api/v1/t/{T}/applications/{id}/documents?doc_type=id_card"),
            "id.pdf",
            "application/pdf",
            fixtures::pdf(1),
        )
        .await;
    assert_eq!(res.status(), 201, "the upload does not need the queue");
    let doc: Value = res.json().await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(pending_outbox(&app).await, 1, "the job waits in the outbox");
    let waiting: Value = api
        .get(&format!(
            "/api/v1/t/{T}/documents/{}",
            doc["id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(waiting["status"], "uploaded");

    // Redis comes back empty (no persistence): the relay hands the job over again.
    let _redis = OwnRedis::start(Some(redis.port)).await;
    let checked = api.checked_document(T, doc["id"].as_str().unwrap()).await;
    assert_eq!(checked["status"], "auto_passed");
    assert_eq!(pending_outbox(&app).await, 0);
}

#[tokio::test]
async fn a_worker_killed_mid_job_leaves_it_to_another_and_the_result_is_recorded_once() {
    let Some(admin_url) = service("USTAZ_TEST_PG_URL", "jobs: worker killed") else {
        return;
    };
    if service("USTAZ_TEST_REDIS_URL", "jobs: worker killed").is_none() {
        return;
    }
    let redis = OwnRedis::start(None).await;
    let app = TestApp::spawn(Options {
        database_url: Some(postgres_database(&admin_url).await),
        redis_url: Some(redis.url()),
        seed: false,
        in_process_worker: false,
        ..Default::default()
    })
    .await;
    // Workers that notice a dead colleague after two missed one-second heartbeats.
    let liveness = Liveness {
        heartbeat: Duration::from_secs(1),
        missed: 2,
    };
    let storage = app.config.open_storage().await.unwrap();
    let spawn_worker = |pause: Duration| {
        let state = worker::WorkerState {
            db: app.db.clone(),
            mailer: worker::mail::Mailer::files(app.config.outbox_dir()).unwrap(),
            mail_from: app.config.mail_from.clone(),
            public_url: app.url.clone(),
            storage: storage.clone(),
            checks: app.config.checks().unwrap(),
            pause_before_recording: pause,
        };
        let url = redis.url();
        let name = app.config.queue_name.clone();
        tokio::spawn(async move {
            let queue = JobQueue::redis(&url, &name, liveness).await.unwrap();
            let _ = worker::run_worker(queue, state, 2, std::future::pending()).await;
        })
    };

    // A healthy worker sends the registration e-mail; then it leaves.
    let first = spawn_worker(Duration::ZERO);
    let (api, id) = app.draft_application("killed@example.kz", "en").await;
    first.abort();

    // Worker A does the work, then stalls before recording it; it is killed there.
    let a = spawn_worker(Duration::from_secs(600));
    let res = api
        .upload(
            &format!("/api/v1/t/{T}/applications/{id}/documents?doc_type=id_card"),
            "id.png",
            "image/png",
            fixtures::png(400, 300),
        )
        .await;
    assert_eq!(res.status(), 201);
    let doc: Value = res.json().await.unwrap();
    let doc_id = doc["id"].as_str().unwrap().to_string();
    let tenant = domain::tenancy::context::find_tenant(&app.db, T)
        .await
        .unwrap();
    let preview = domain::recruitment::service::preview_key(tenant.id, doc_id.parse().unwrap());
    let mut started = false;
    for _ in 0..300 {
        if storage.exists(&preview).await.unwrap() {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(started, "worker A reached the middle of the job");
    a.abort();
    let _ = a.await;
    let stalled: Value = api
        .get(&format!("/api/v1/t/{T}/documents/{doc_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        stalled["status"], "uploaded",
        "nothing was recorded by the dead worker"
    );

    // Worker B finds the orphaned job once A's heartbeats stop, runs it again, records once.
    let b = spawn_worker(Duration::ZERO);
    let mut checked = Value::Null;
    for _ in 0..600 {
        checked = api
            .get(&format!("/api/v1/t/{T}/documents/{doc_id}"))
            .await
            .json()
            .await
            .unwrap();
        if checked["status"] != "uploaded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(checked["status"], "auto_passed", "{checked}");
    let history: Value = app
        .api_as("coordinator@almaty-mentors.demo")
        .await
        .get(&format!("/api/v1/t/{T}/documents/{doc_id}/history"))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["uploaded", "auto_passed"],
        "recorded exactly once"
    );
    b.abort();
}
