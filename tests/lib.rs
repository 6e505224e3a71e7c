//! Test support: start a real Ustaz server on a free port with its own database (a SQLite file
//! in a temporary folder, or a fresh PostgreSQL database cloned from a migrated template), and
//! helpers to talk to it as the API, as a browser without JS, and to read the e-mails it sent.
//!
//! Services come from the environment `cargo xtask test` prepares: `USTAZ_TEST_PG_URL`,
//! `USTAZ_TEST_REDIS_URL`, `USTAZ_TEST_WEBDRIVER`, `USTAZ_TEST_SITE_ROOT`. A suite whose service
//! is missing says so loudly and returns; with `USTAZ_TEST_REQUIRE_ALL` (CI) it fails instead.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::OnceCell;
use worker::{Config, Mode};

pub const PASSWORD: &str = "ustaz-demo";
pub const APPLICANT_PASSWORD: &str = "long-enough-passphrase";
pub const DEMO_TENANT: &str = "almaty-mentors";
pub const DEMO_PROGRAMME: &str = "mentors-2027";

/// Answers that meet every rule of the demo programme, in `region`.
/// Today where the demo tenants are (Asia/Almaty, UTC+5). Dates the services compare with
/// "today" are the tenant's, so a test built on the UTC date fails in the evening.
pub fn demo_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Almaty)
        .date_naive()
}

pub fn eligible_answers(region: &str) -> serde_json::Value {
    serde_json::json!({
        "date_of_birth": "1988-04-12",
        "region_id": region,
        "residence_months": 36,
        "youth_work_years": 7,
        "roles": [],
        "days_per_week": 2
    })
}

/// The value of `var`, or `None` after a loud notice (or a panic when everything is required).
pub fn service(var: &str, suite: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var("USTAZ_TEST_REQUIRE_ALL").is_ok() {
                panic!("{suite}: {var} is not set, and CI requires every suite to run");
            }
            eprintln!("!!! SKIPPED {suite}: {var} is not set (run through `cargo xtask test`)");
            None
        }
    }
}

/// Browser tests need the wasm bundle, which `cargo xtask test` may still be building when the
/// tests start (the other tests need not wait for it). It names a file that holds the bundle's
/// inputs once it is built, or `failed`.
pub async fn wait_for_bundle() {
    let (Ok(stamp), Ok(inputs)) = (
        std::env::var("USTAZ_TEST_BUNDLE_STAMP"),
        std::env::var("USTAZ_TEST_BUNDLE_INPUTS"),
    ) else {
        return;
    };
    let started = Instant::now();
    loop {
        match std::fs::read_to_string(&stamp).map(|s| s.trim().to_string()) {
            Ok(s) if s == inputs => return,
            Ok(s) if s == "failed" => {
                panic!("the browser bundle failed to build: see cargo xtask test's output")
            }
            _ => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "the browser bundle was not ready within 30 minutes"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub url: String,
    pub db: DatabaseConnection,
    pub queue: worker::JobQueue,
    pub config: Config,
    _data: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

#[derive(Default)]
pub struct Options {
    /// PostgreSQL (app-role URL) instead of SQLite.
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    /// Seed demo data at start (SQLite databases start empty).
    pub seed: bool,
    pub in_process_worker: bool,
    /// S3-compatible storage instead of a local directory.
    pub s3: Option<domain::storage::S3Settings>,
    /// An SMTP server instead of the `.eml` folder.
    pub smtp_url: Option<String>,
    /// When the in-process scheduler ticks (cron, seconds first). By default it does not tick
    /// during a test, so tests that run scheduled work call `worker::schedule::run_due`
    /// themselves and nothing runs behind their back.
    pub schedule: Option<String>,
    /// `USTAZ_TRUSTED_PROXIES`: whose `X-Forwarded-For` the server believes.
    pub trusted_proxies: Option<String>,
    /// `USTAZ_VERIFY_MEMORY_MB`: what the inspecting program may take for one file.
    pub verify_memory_mb: Option<u64>,
}

/// The longest any test request may take: far beyond a slow machine's worst answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// A schedule whose next tick is decades away.
pub const NEVER: &str = "0 0 0 1 1 * 2100";

impl TestApp {
    /// An embedded-default app: SQLite, in-process worker, e-mails to files, demo data.
    pub async fn sqlite() -> TestApp {
        TestApp::spawn(Options {
            seed: true,
            in_process_worker: true,
            ..Default::default()
        })
        .await
    }

    pub async fn spawn(opts: Options) -> TestApp {
        // Logs show with `--nocapture` and RUST_LOG; a second call keeps the first subscriber.
        std::mem::forget(server::telemetry::init("ustaz-test", false));
        let data = tempfile::tempdir().expect("temp dir");
        let site_root = std::env::var("USTAZ_TEST_SITE_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                // Where the tests run, not where they were built (CI shares one target dir).
                std::env::var_os("CARGO_MANIFEST_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
                    .join("../target/site")
            });
        let mut config = Config {
            mode: Mode::Embedded,
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: data.path().to_path_buf(),
            database_url: opts.database_url,
            redis_url: opts.redis_url,
            queue_name: format!("ustaz-test-{}", uuid::Uuid::new_v4().simple()),
            site_root,
            seed_demo: opts.seed,
            in_process_worker: opts.in_process_worker,
            s3_endpoint: opts.s3.as_ref().map(|s| s.endpoint.clone()),
            s3_bucket: opts.s3.as_ref().map(|s| s.bucket.clone()),
            s3_access_key: opts.s3.as_ref().map(|s| s.access_key.clone()),
            s3_secret_key: opts.s3.as_ref().map(|s| s.secret_key.clone()),
            smtp_url: opts.smtp_url,
            schedule: opts.schedule.unwrap_or_else(|| NEVER.into()),
            trusted_proxies: opts.trusted_proxies.unwrap_or_default(),
            verify_memory_mb: opts
                .verify_memory_mb
                .unwrap_or(Config::default().verify_memory_mb),
            ..Config::default()
        };
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .expect("bind");
        let addr = listener.local_addr().unwrap();
        config.addr = addr;
        config.public_url = Some(format!("http://{addr}"));
        let app = server::start(&config).await.expect("app starts");
        let db = app.db.clone();
        let queue = app.queue.clone();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            server::serve(app, listener, async {
                let _ = stop_rx.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            url: format!("http://{addr}"),
            addr,
            db,
            queue,
            config,
            _data: data,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(30), h).await;
        }
    }

    /// A client that keeps cookies, follows no redirects and sends same-origin headers, like a
    /// browser without JavaScript posting this app's forms.
    pub fn browser(&self) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                // A page that never answers fails its test (with the request that hung) instead
                // of holding the whole run until CI's time runs out.
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap(),
            base: self.url.clone(),
        }
    }

    pub fn api(&self) -> Api {
        Api {
            client: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap(),
            base: self.url.clone(),
            token: None,
        }
    }

    /// Signs in through the API with the demo password and returns a client carrying the token.
    pub async fn api_as(&self, email: &str) -> Api {
        self.api_as_with(email, PASSWORD).await
    }

    pub async fn api_as_with(&self, email: &str, password: &str) -> Api {
        let mut api = self.api();
        let res = api
            .post(
                "/api/v1/auth/login",
                serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status(), 200, "login of {email}");
        let body: serde_json::Value = res.json().await.unwrap();
        api.token = Some(body["token"].as_str().unwrap().to_string());
        api
    }

    /// Every e-mail in the file outbox: (recipient, subject, plain text).
    pub fn outbox(&self) -> Vec<Email> {
        let Ok(entries) = std::fs::read_dir(self.config.outbox_dir()) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| Email::parse(&std::fs::read(e.path()).ok()?))
            .collect()
    }

    /// Waits for an e-mail to `to` whose text contains `needle`.
    pub async fn wait_for_email(&self, to: &str, needle: &str) -> Email {
        for _ in 0..150 {
            if let Some(e) = self
                .outbox()
                .into_iter()
                .find(|e| e.to == to && e.text.contains(needle))
            {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no e-mail to {to} containing {needle:?}; outbox: {:?}",
            self.outbox()
        );
    }

    /// How many e-mails went to `to`.
    pub fn emails_to(&self, to: &str) -> usize {
        self.outbox().iter().filter(|e| e.to == to).count()
    }

    /// Registers an applicant through the API, confirms the address from the e-mailed link and
    /// signs in: a client carrying the applicant's token.
    pub async fn applicant(&self, email: &str, locale: &str) -> Api {
        let res = self
            .api()
            .post(
                "/api/v1/auth/register",
                serde_json::json!({"email": email, "password": APPLICANT_PASSWORD,
                    "full_name": "Айгерим Сапарова", "locale": locale}),
            )
            .await;
        assert_eq!(res.status(), 201, "register {email}");
        let mail = self.wait_for_email(email, "/verify-email?token=").await;
        let token = token_from(&mail, "/verify-email");
        let res = self
            .api()
            .post(
                "/api/v1/auth/verify-email",
                serde_json::json!({"token": token}),
            )
            .await;
        assert_eq!(res.status(), 200, "verify {email}");
        self.api_as_with(email, APPLICANT_PASSWORD).await
    }

    /// An applicant with a draft application to the demo programme: (client, application id).
    pub async fn draft_application(&self, email: &str, locale: &str) -> (Api, String) {
        let applicant = self.applicant(email, locale).await;
        let region = self.programme_region(DEMO_TENANT, DEMO_PROGRAMME).await;
        let res = applicant
            .post(
                &format!("/api/v1/t/{DEMO_TENANT}/programmes/{DEMO_PROGRAMME}/applications"),
                eligible_answers(&region),
            )
            .await;
        assert_eq!(res.status(), 201);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "draft");
        (applicant, body["id"].as_str().unwrap().to_string())
    }

    /// An applicant whose complete application to the demo programme is submitted, every
    /// document checked by the worker: (client, application id, document ids).
    pub async fn submitted_application(
        &self,
        email: &str,
        locale: &str,
    ) -> (Api, String, Vec<String>) {
        const DATED: [&str; 4] = ["residence", "police_clearance", "narcology", "psychiatric"];
        let (applicant, id) = self.draft_application(email, locale).await;
        let res = applicant
            .put(
                &format!("/api/v1/t/{DEMO_TENANT}/applications/{id}"),
                serde_json::json!({"phone": "+7 701 234 56 78", "occupation": "Teacher",
                    "experience": "Eight years of youth clubs", "motivation": "I was helped once",
                    "languages": ["kk", "ru"]}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let programme: serde_json::Value = self
            .api()
            .get(&format!(
                "/api/v1/t/{DEMO_TENANT}/programmes/{DEMO_PROGRAMME}"
            ))
            .await
            .json()
            .await
            .unwrap();
        let recent = (demo_today() - chrono::Days::new(10)).to_string();
        let mut documents = Vec::new();
        for d in programme["required_documents"].as_array().unwrap() {
            let doc_type = d["doc_type"].as_str().unwrap();
            let mut path =
                format!("/api/v1/t/{DEMO_TENANT}/applications/{id}/documents?doc_type={doc_type}");
            if DATED.contains(&doc_type) {
                path.push_str(&format!("&issued_on={recent}"));
            }
            let res = applicant
                .upload(
                    &path,
                    &format!("{doc_type}.pdf"),
                    "application/pdf",
                    worker::recruitment::fixtures::pdf(1),
                )
                .await;
            assert_eq!(res.status(), 201, "{doc_type}");
            let doc: serde_json::Value = res.json().await.unwrap();
            documents.push(doc["id"].as_str().unwrap().to_string());
        }
        for doc in &documents {
            let checked = applicant.checked_document(DEMO_TENANT, doc).await;
            assert_eq!(checked["status"], "auto_passed", "{checked}");
        }
        let res = applicant
            .post(
                &format!("/api/v1/t/{DEMO_TENANT}/applications/{id}/submit"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
        (applicant, id, documents)
    }

    /// The demo programme's regions (public).
    pub async fn programme_region(&self, tenant: &str, programme: &str) -> String {
        let p: serde_json::Value = self
            .api()
            .get(&format!("/api/v1/t/{tenant}/programmes/{programme}"))
            .await
            .json()
            .await
            .unwrap();
        p["regions"][0]["id"].as_str().unwrap().to_string()
    }

    /// The one integer a query answers (a count), read as system work.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let txn = domain::db::read(&self.db, domain::db::Scope::System)
            .await
            .expect("a transaction");
        let row = txn
            .query_one_raw(sea_orm::Statement::from_string(
                txn.get_database_backend(),
                sql.to_string(),
            ))
            .await
            .expect(sql)
            .expect("one row");
        txn.commit().await.expect(sql);
        row.try_get_by_index::<i64>(0).expect(sql)
    }

    /// Runs a fixture statement as system work (on PostgreSQL row-level security would hide
    /// every tenant's rows from an undeclared transaction).
    pub async fn execute(&self, sql: &str) {
        let txn = domain::db::write(&self.db, domain::db::Scope::System)
            .await
            .expect("a transaction");
        txn.execute_unprepared(sql).await.expect(sql);
        txn.commit().await.expect(sql);
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The `List-Unsubscribe` header of reminders.
    pub list_unsubscribe: Option<String>,
}

impl Email {
    pub fn parse(raw: &[u8]) -> Option<Email> {
        let msg = mail_parser::MessageParser::default().parse(raw)?;
        let to = msg.to()?.first()?.address()?.to_string();
        Some(Email {
            to,
            subject: msg.subject().unwrap_or_default().to_string(),
            text: msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            html: msg.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
            list_unsubscribe: msg
                .header_raw("List-Unsubscribe")
                .map(|v| v.trim().to_string()),
        })
    }
}

/// A real SMTP server (aiosmtpd, installed by `cargo xtask test`) writing what it receives to
/// a Maildir; it can be stopped and started again on the same port and folder.
pub struct SmtpServer {
    python: String,
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl SmtpServer {
    /// Starts one, or `None` (after a loud notice) when aiosmtpd is not available.
    pub async fn start() -> Option<SmtpServer> {
        let python = service("USTAZ_TEST_AIOSMTPD", "SMTP (aiosmtpd)")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut s = SmtpServer {
            python,
            port,
            dir: tempfile::tempdir().expect("temp dir"),
            child: None,
        };
        s.up().await;
        Some(s)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub async fn up(&mut self) {
        let child = std::process::Command::new(&self.python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(self.dir.path().join("maildir"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not listen on {}", self.port);
    }

    /// Stops the server; mail sent meanwhile is refused at the connection.
    pub fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every message the server received.
    pub fn messages(&self) -> Vec<Email> {
        let root = self.dir.path().join("maildir");
        ["new", "cur"]
            .iter()
            .flat_map(|d| {
                std::fs::read_dir(root.join(d))
                    .into_iter()
                    .flatten()
                    .flatten()
            })
            .filter_map(|e| Email::parse(&std::fs::read(e.path()).ok()?))
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.down();
    }
}

/// Pulls `token=…` out of a link in an e-mail.
pub fn token_from(email: &Email, path: &str) -> String {
    let text = &email.text;
    let start = text
        .find(&format!("{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {text}"))
        + path.len()
        + 7;
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap()
    }

    /// Posts a form from page `from`, as a browser without JS does.
    pub async fn post_form(
        &self,
        from: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{action}", self.base))
            .header("Accept", "text/html")
            .header("Origin", &self.base)
            .header("Referer", format!("{}{from}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, email: &str) {
        let res = self
            .post_form(
                "/login",
                "/api/login",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(res.status(), 302, "sign-in of {email}");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        assert!(
            !location.contains("__err"),
            "sign-in of {email} failed: {location}"
        );
    }

    /// The CSRF token of the signed-in session, as the page carries it.
    pub async fn csrf(&self) -> String {
        let html = self.get("/").await.text().await.unwrap();
        let marker = "name=\"csrf\" value=\"";
        let start = html.find(marker).expect("a csrf field") + marker.len();
        html[start..].split('"').next().unwrap().to_string()
    }
}

pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Api {
    fn auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.auth(self.client.get(format!("{}{path}", self.base)))
            .send()
            .await
            .unwrap()
    }
    pub async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.auth(self.client.post(format!("{}{path}", self.base)))
            .json(&body)
            .send()
            .await
            .unwrap()
    }
    pub async fn patch(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.auth(self.client.patch(format!("{}{path}", self.base)))
            .json(&body)
            .send()
            .await
            .unwrap()
    }
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.request("delete", path, None).await
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.auth(self.client.put(format!("{}{path}", self.base)))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Uploads `bytes` as the multipart field `file`.
    pub async fn upload(
        &self,
        path: &str,
        file_name: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_string())
            .mime_str(mime)
            .unwrap();
        let form = reqwest::multipart::Form::new().part("file", part);
        self.auth(self.client.post(format!("{}{path}", self.base)))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Polls a document until the worker has checked it; returns its JSON.
    pub async fn checked_document(&self, tenant: &str, id: &str) -> serde_json::Value {
        for _ in 0..200 {
            let d: serde_json::Value = self
                .get(&format!("/api/v1/t/{tenant}/documents/{id}"))
                .await
                .json()
                .await
                .unwrap();
            if d["status"] != "uploaded" {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("document {id} was never checked");
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let m: reqwest::Method = method.to_ascii_uppercase().parse().unwrap();
        let mut rb = self.auth(self.client.request(m, format!("{}{path}", self.base)));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        rb.send().await.unwrap()
    }
}

// ---------------------------------------------------------------- PostgreSQL

const OWNER: &str = "ustaz_test_owner";
const APP_ROLE: &str = "ustaz_test_app";

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// `url` (a PostgreSQL server's) as `user` with `password`, on database `db`.
pub fn with_user(url: &str, user: &str, password: &str, db: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap();
    let host = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    let host = host.split('/').next().unwrap();
    format!("postgres://{user}:{password}@{host}/{db}")
}

/// A fresh database for one test, cloned from a migrated and seeded template; returns the URL
/// of the application role, which does not own the tables (so row-level security applies).
pub async fn postgres_database(admin_url: &str) -> String {
    let admin = domain::db::connect(admin_url, 2)
        .await
        .expect("PostgreSQL admin connection");
    let template = TEMPLATE
        .get_or_init(|| async {
            let name = format!("ustaz_tpl_{}", std::process::id());
            // Databases left by earlier runs (one per test) are dropped here, once per run.
            let stale = admin
                .query_all_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT datname FROM pg_database WHERE datname LIKE 'ustaz_t_%' OR datname LIKE 'ustaz_tpl_%'".to_string(),
                ))
                .await
                .unwrap_or_default();
            for row in stale {
                if let Ok(db) = row.try_get_by_index::<String>(0) {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
                }
            }
            for (role, extra) in [(OWNER, "CREATEDB"), (APP_ROLE, "")] {
                let _ = admin
                    .execute_unprepared(&format!(
                        "CREATE ROLE {role} LOGIN PASSWORD '{role}' {extra}"
                    ))
                    .await;
            }
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name} OWNER {OWNER}"))
                .await
                .unwrap();
            let owner = domain::db::connect(&with_user(admin_url, OWNER, OWNER, &name), 2)
                .await
                .unwrap();
            owner
                .execute_unprepared("REVOKE ALL ON SCHEMA public FROM PUBLIC")
                .await
                .ok();
            server::migrate(&owner)
                .await
                .expect("migrations run on PostgreSQL");
            migrations::grant_app_role(&owner, APP_ROLE).await.unwrap();
            domain::seed::seed_demo(&owner)
                .await
                .expect("seed on PostgreSQL");
            owner.close().await.ok();
            name
        })
        .await;
    let name = format!("ustaz_t_{}", uuid::Uuid::new_v4().simple());
    // Clones of one template can collide when tests run in parallel; a short retry settles it.
    let mut attempt = 0;
    loop {
        match admin
            .execute_unprepared(&format!(
                "CREATE DATABASE {name} TEMPLATE {template} OWNER {OWNER}"
            ))
            .await
        {
            Ok(_) => break,
            Err(e) if attempt < 20 => {
                attempt += 1;
                eprintln!("retrying database clone: {e}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("cannot clone the template database: {e}"),
        }
    }
    admin.close().await.ok();
    with_user(admin_url, APP_ROLE, APP_ROLE, &name)
}

// ---------------------------------------------------------------- S3

/// An S3-compatible server (`s3s-fs` from crates.io) on a free port over a temporary folder,
/// stopped when dropped. `None` (after a loud notice) when the binary is missing.
pub struct S3Server {
    pub settings: domain::storage::S3Settings,
    pub dir: tempfile::TempDir,
    child: std::process::Child,
}

impl S3Server {
    pub async fn start(suite: &str) -> Option<S3Server> {
        let bin = service("USTAZ_TEST_S3S_FS", suite)?;
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--access-key",
                "ustaz-test",
                "--secret-key",
                "ustaz-test-secret",
            ])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{suite}: cannot start {bin}: {e}"));
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(S3Server {
            settings: domain::storage::S3Settings {
                endpoint: format!("http://127.0.0.1:{port}"),
                region: "us-east-1".into(),
                bucket: "ustaz-test".into(),
                access_key: "ustaz-test".into(),
                secret_key: "ustaz-test-secret".into(),
            },
            dir,
            child,
        })
    }

    /// Every file s3s-fs holds for the bucket (objects and unfinished uploads).
    pub fn files(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p.display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), &mut out);
        out
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Chrome DevTools protocol command sent through chromedriver (`goog/cdp/execute`): network
/// and CPU emulation, clearing the cache, cutting the connection (issue 20).
#[derive(Debug)]
pub struct Cdp(pub &'static str, pub serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.0, "params": self.1 });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Sends a DevTools protocol command and returns its answer.
pub async fn cdp(
    c: &fantoccini::Client,
    cmd: &'static str,
    params: serde_json::Value,
) -> serde_json::Value {
    c.issue_cmd(Cdp(cmd, params))
        .await
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

/// A headless Chromium session through `webdriver`, its window `width`×`height`, a new empty
/// profile, and the browser's console kept for the walks that assert it stays free of errors.
/// The flags keep it off the network beyond this machine, which is closed (env notes).
pub async fn chromium_at(
    webdriver: &str,
    width: u32,
    height: u32,
) -> anyhow::Result<fantoccini::Client> {
    // Two TLS back-ends are linked (ring and aws-lc); the WebDriver client needs one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let profile = tempfile::tempdir()?.keep();
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": std::env::var("USTAZ_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display()), format!("--window-size={width},{height}")
            ]
        },
        "goog:loggingPrefs": { "browser": "ALL" }
    });
    Ok(fantoccini::ClientBuilder::rustls()?
        .capabilities(caps.as_object().expect("an object").clone())
        .connect(webdriver)
        .await?)
}

/// The browser's connection, cut and given back through the DevTools protocol (issue 20). The
/// page's own emulation does not reach a service worker's fetches, so each worker is reached
/// too, through a session of its own.
pub struct Connection {
    workers: Vec<serde_json::Value>,
}

fn conditions(offline: bool) -> serde_json::Value {
    serde_json::json!({ "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 })
}

/// Sends a command to a worker's session (the page's own session carries it there).
async fn to_worker(
    c: &fantoccini::Client,
    session: &serde_json::Value,
    method: &str,
    params: serde_json::Value,
) {
    let message = serde_json::json!({ "id": 1, "method": method, "params": params });
    cdp(
        c,
        "Target.sendMessageToTarget",
        serde_json::json!({ "sessionId": session, "message": message.to_string() }),
    )
    .await;
}

impl Connection {
    /// Cuts the page's and every service worker's network.
    pub async fn cut(c: &fantoccini::Client) -> Connection {
        cdp(c, "Network.enable", serde_json::json!({})).await;
        cdp(c, "Network.emulateNetworkConditions", conditions(true)).await;
        let targets = cdp(c, "Target.getTargets", serde_json::json!({})).await;
        let mut workers = Vec::new();
        for t in targets["targetInfos"].as_array().into_iter().flatten() {
            if t["type"] != "service_worker" {
                continue;
            }
            let attached = cdp(
                c,
                "Target.attachToTarget",
                serde_json::json!({ "targetId": t["targetId"], "flatten": false }),
            )
            .await;
            let session = attached["sessionId"].clone();
            to_worker(c, &session, "Network.enable", serde_json::json!({})).await;
            to_worker(
                c,
                &session,
                "Network.emulateNetworkConditions",
                conditions(true),
            )
            .await;
            workers.push(session);
        }
        Connection { workers }
    }

    /// How many service workers the cut reached.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Gives the network back.
    pub async fn restore(self, c: &fantoccini::Client) {
        for session in &self.workers {
            to_worker(
                c,
                session,
                "Network.emulateNetworkConditions",
                conditions(false),
            )
            .await;
            cdp(
                c,
                "Target.detachFromTarget",
                serde_json::json!({ "sessionId": session }),
            )
            .await;
        }
        cdp(c, "Network.emulateNetworkConditions", conditions(false)).await;
    }
}

/// What a page load sent over the wire, as the browser's resource timing saw it: bytes (headers
/// and compressed bodies) of the document and of each file it loaded, by the file's name.
pub async fn transferred(c: &fantoccini::Client) -> Vec<(String, u64)> {
    let v = c
        .execute(
            "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).map(e => [e.name, e.transferSize]);",
            vec![],
        )
        .await
        .expect("resource timing");
    v.as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e[0].as_str().unwrap_or_default().to_string(),
                e[1].as_f64().unwrap_or(0.0) as u64,
            )
        })
        .collect()
}

// ---------------------------------------------------------------- child processes

/// A port nobody listens on now (on 127.0.0.1).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Waits until something listens on `port`, at most `secs` seconds.
pub async fn wait_for_port(port: u16, what: &str, secs: u64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{what} is not listening on port {port} after {secs} s")
}

/// A child process of the benchmarks and the cluster program, stopped when dropped (SIGTERM,
/// up to 20 s for a clean shutdown, then SIGKILL): on success, on an error, on a panic and on
/// Ctrl-C, which ends their `run` and drops what it holds.
pub struct Kid {
    pub name: String,
    pub child: std::process::Child,
}

impl Kid {
    pub fn new(name: impl Into<String>, child: std::process::Child) -> Kid {
        Kid {
            name: name.into(),
            child,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Graceful stop: SIGTERM, up to 20 s for a clean shutdown, then SIGKILL.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} did not stop within 20 s; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Kid {
    fn drop(&mut self) {
        self.stop();
    }
}
