//! `cargo xtask cluster` (issue 21): Ustaz's production shape as processes on this machine.
//!
//! PostgreSQL (a database of its own, migrated by `server migrate` as the owner role; the
//! processes connect as the app role, which owns nothing), Redis, s3s-fs, the aiosmtpd SMTP
//! server, **2 `server` processes in production mode behind a small TLS load balancer, and 3
//! `worker` processes**, each with its own `USTAZ_` environment as `deploy/example.env`
//! documents. The balancer is written here (`balancer` below): it terminates TLS with a
//! certificate made for `localhost` at start, keeps a browser on one server (a cookie, as the
//! Kubernetes Ingress does), skips a server whose port does not answer, and tells the servers
//! the client's address in `X-Forwarded-For`, which they believe only because
//! `USTAZ_TRUSTED_PROXIES` names the balancer.
//!
//! The database gets the demo tenants and logins (written as the owner, as a migration would;
//! the servers themselves never seed in production mode). Ctrl-C stops everything.
//!
//! `cargo xtask cluster` builds what this needs (the site, `server`, `worker`, `ustaz-verify`
//! and this program, in release) and passes the services it found or installed:
//! `USTAZ_TEST_PG_URL` (a superuser), `USTAZ_TEST_S3S_FS`, `USTAZ_TEST_AIOSMTPD`, and
//! `USTAZ_CLUSTER_BIN_DIR`, `USTAZ_SITE_ROOT`; `USTAZ_CLUSTER_PORT` (default 8443) is the
//! balancer's port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::ConnectionTrait;
use ustaz_tests::{Kid, S3Server, SmtpServer, free_port, wait_for_port};

/// How many of each run, unless `USTAZ_CLUSTER_SERVERS` / `USTAZ_CLUSTER_WORKERS` say
/// otherwise (one of each is the baseline the scale-out is measured against).
const SERVERS: usize = 2;
const WORKERS: usize = 3;
const DATABASE: &str = "ustaz_cluster";
const OWNER: &str = "ustaz_cluster_owner";
const APP_ROLE: &str = "ustaz_cluster_app";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Every child lives in a `Kid`, stopped when dropped: on an error, and on Ctrl-C, which ends
    // `run` and drops what it holds.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = run() => result,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\nstopping the cluster");
            Ok(())
        }
        _ = terminate.recv() => {
            eprintln!("stopping the cluster");
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Child processes

fn required(var: &str) -> anyhow::Result<String> {
    std::env::var(var)
        .with_context(|| format!("{var} is not set: run this through `cargo xtask cluster`"))
}

// ---------------------------------------------------------------------------------------------
// The cluster

/// What every `server` and `worker` process shares: the production settings (each adds its
/// database URL, addresses and folder).
fn shared_env(
    redis_url: &str,
    smtp_url: &str,
    s3: &S3Server,
    public_url: &str,
    site_root: &str,
    verifier: &Path,
) -> Vec<(String, String)> {
    [
        ("USTAZ_MODE", "production".to_string()),
        ("USTAZ_REDIS_URL", redis_url.to_string()),
        ("USTAZ_SMTP_URL", smtp_url.to_string()),
        (
            "USTAZ_MAIL_FROM",
            "Ustaz <no-reply@ustaz.localhost>".to_string(),
        ),
        ("USTAZ_PUBLIC_URL", public_url.to_string()),
        ("USTAZ_S3_ENDPOINT", s3.settings.endpoint.clone()),
        ("USTAZ_S3_REGION", s3.settings.region.clone()),
        ("USTAZ_S3_BUCKET", s3.settings.bucket.clone()),
        ("USTAZ_S3_ACCESS_KEY", s3.settings.access_key.clone()),
        ("USTAZ_S3_SECRET_KEY", s3.settings.secret_key.clone()),
        ("USTAZ_TRUSTED_PROXIES", "127.0.0.1/32".to_string()),
        ("USTAZ_SITE_ROOT", site_root.to_string()),
        ("USTAZ_VERIFIER", verifier.display().to_string()),
        ("RUST_LOG", "warn".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn spawn(
    name: String,
    program: &Path,
    args: &[&str],
    env: &[(String, String)],
    own: &[(&str, String)],
    logs: &Path,
) -> anyhow::Result<Kid> {
    let log = std::fs::File::create(logs.join(format!("{name}.log")))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .envs(own.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log));
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    Ok(Kid::new(name, child))
}

/// A fresh database owned by `OWNER`, migrated by `server migrate` as the owner with the app
/// role granted its data rights, and the demo data written in. Returns the app role's URL.
async fn database(
    admin_url: &str,
    bin: &Path,
    env: &[(String, String)],
    logs: &Path,
) -> anyhow::Result<String> {
    let admin = domain::db::connect(admin_url, 2)
        .await
        .context("the PostgreSQL superuser URL does not connect")?;
    for (role, extra) in [(OWNER, "CREATEDB"), (APP_ROLE, "")] {
        let _ = admin
            .execute_unprepared(&format!(
                "CREATE ROLE {role} LOGIN PASSWORD '{role}' {extra}"
            ))
            .await;
    }
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {DATABASE} OWNER {OWNER}"))
        .await?;
    admin.close().await.ok();
    let owner_url = ustaz_tests::with_user(admin_url, OWNER, OWNER, DATABASE);
    let app_url = ustaz_tests::with_user(admin_url, APP_ROLE, APP_ROLE, DATABASE);
    // As deployed: the server binary migrates, as the owner, and grants the app role.
    let mut migrate = spawn(
        "migrate".into(),
        &bin.join("server"),
        &["migrate", "--grant-to", APP_ROLE],
        env,
        &[("USTAZ_DATABASE_URL", owner_url.clone())],
        logs,
    )?;
    let st = migrate.child.wait()?;
    if !st.success() {
        bail!(
            "`server migrate` failed ({st}); see {}",
            logs.join("migrate.log").display()
        );
    }
    let owner = domain::db::connect(&owner_url, 2).await?;
    domain::seed::seed_demo(&owner)
        .await
        .context("the demo data could not be written")?;
    owner.close().await.ok();
    Ok(app_url)
}

async fn run() -> anyhow::Result<()> {
    let admin_url = required("USTAZ_TEST_PG_URL")?;
    required("USTAZ_TEST_S3S_FS")?;
    required("USTAZ_TEST_AIOSMTPD")?;
    let bin = PathBuf::from(required("USTAZ_CLUSTER_BIN_DIR")?);
    let site_root = required("USTAZ_SITE_ROOT")?;
    let port: u16 = std::env::var("USTAZ_CLUSTER_PORT")
        .ok()
        .map(|p| p.parse())
        .transpose()
        .context("USTAZ_CLUSTER_PORT is a port number")?
        .unwrap_or(8443);
    let count = |var: &str, default: usize| -> anyhow::Result<usize> {
        match std::env::var(var) {
            Ok(v) => v
                .parse()
                .ok()
                .filter(|n| (1..=16).contains(n))
                .with_context(|| format!("{var} is a number from 1 to 16")),
            Err(_) => Ok(default),
        }
    };
    let servers = count("USTAZ_CLUSTER_SERVERS", SERVERS)?;
    let workers_wanted = count("USTAZ_CLUSTER_WORKERS", WORKERS)?;
    let work = tempfile::Builder::new()
        .prefix("ustaz-cluster-")
        .tempdir()?;
    let logs = work.path().join("logs");
    std::fs::create_dir_all(&logs)?;

    // Redis, with its journal: a restarted Redis keeps its jobs, as deployed.
    let redis_port = free_port()?;
    let redis_dir = work.path().join("redis");
    std::fs::create_dir_all(&redis_dir)?;
    let _redis = spawn(
        "redis".into(),
        Path::new("redis-server"),
        &[
            "--port",
            &redis_port.to_string(),
            "--bind",
            "127.0.0.1",
            "--dir",
            &redis_dir.display().to_string(),
            "--appendonly",
            "yes",
            "--save",
            "",
        ],
        &[],
        &[],
        &logs,
    )?;
    wait_for_port(redis_port, "redis-server", 10).await?;
    let s3 = S3Server::start("cluster")
        .await
        .context("s3s-fs did not start")?;
    let smtp = SmtpServer::start()
        .await
        .context("aiosmtpd did not start")?;

    let public_url = format!("https://localhost:{port}");
    let verifier = bin.join("ustaz-verify");
    let env = shared_env(
        &format!("redis://127.0.0.1:{redis_port}"),
        &smtp.url(),
        &s3,
        &public_url,
        &site_root,
        &verifier,
    );
    let app_url = database(&admin_url, &bin, &env, &logs).await?;

    let mut kids = Vec::new();
    let mut backends = Vec::new();
    let mut scrape = Vec::new();
    for i in 1..=servers {
        let (addr, metrics) = (free_port()?, free_port()?);
        kids.push(spawn(
            format!("server-{i}"),
            &bin.join("server"),
            &["serve"],
            &env,
            &[
                ("USTAZ_DATABASE_URL", app_url.clone()),
                ("USTAZ_ADDR", format!("127.0.0.1:{addr}")),
                ("USTAZ_METRICS_ADDR", format!("127.0.0.1:{metrics}")),
                (
                    "USTAZ_DATA_DIR",
                    work.path()
                        .join(format!("server-{i}"))
                        .display()
                        .to_string(),
                ),
            ],
            &logs,
        )?);
        backends.push(SocketAddr::from(([127, 0, 0, 1], addr)));
        scrape.push(format!("server-{i} 127.0.0.1:{metrics}"));
    }
    let mut workers = Vec::new();
    for i in 1..=workers_wanted {
        let (health, metrics) = (free_port()?, free_port()?);
        kids.push(spawn(
            format!("worker-{i}"),
            &bin.join("worker"),
            &[],
            &env,
            &[
                ("USTAZ_DATABASE_URL", app_url.clone()),
                ("USTAZ_HEALTH_ADDR", format!("127.0.0.1:{health}")),
                ("USTAZ_METRICS_ADDR", format!("127.0.0.1:{metrics}")),
                (
                    "USTAZ_DATA_DIR",
                    work.path()
                        .join(format!("worker-{i}"))
                        .display()
                        .to_string(),
                ),
            ],
            &logs,
        )?);
        workers.push(health);
        scrape.push(format!("worker-{i} 127.0.0.1:{metrics}"));
    }
    for b in &backends {
        wait_for_port(b.port(), "a server", 60).await?;
    }
    for w in &workers {
        wait_for_port(*w, "a worker's probes", 60).await?;
    }
    let lb = balancer::start(port, backends.clone()).await?;

    println!("\nUstaz runs in production mode at {public_url}");
    println!(
        "  servers: {servers} ({}) behind the balancer; workers: {workers_wanted}; PostgreSQL database {DATABASE} \
         (the app connects as {APP_ROLE}), Redis on {redis_port}, s3s-fs at {}, SMTP at {}",
        backends
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        s3.settings.endpoint,
        smtp.url()
    );
    println!("  The certificate is made for localhost at start: accept it once in the browser.");
    println!(
        "  Demo logins (password `{}`): admin@almaty-mentors.demo, coordinator@almaty-mentors.demo, …",
        domain::seed::DEMO_PASSWORD
    );
    println!("  /metrics: {}", scrape.join(", "));
    println!("  Logs: {}", logs.display());
    println!("Ctrl-C stops everything.\n");

    // Until Ctrl-C (which `main` waits for), say so if a process ends by itself.
    let mut reported = vec![false; kids.len()];
    loop {
        for (i, kid) in kids.iter_mut().enumerate() {
            if !reported[i]
                && let Ok(Some(st)) = kid.child.try_wait()
            {
                eprintln!(
                    "{} stopped by itself ({st}); see {}",
                    kid.name,
                    logs.join(format!("{}.log", kid.name)).display()
                );
                reported[i] = true;
            }
        }
        if lb.is_finished() {
            bail!("the balancer stopped");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The balancer

mod balancer {
    use super::*;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full, combinators::BoxBody};
    use hyper::body::{Body as _, Incoming};
    use hyper::header::{COOKIE, HeaderValue, SET_COOKIE};
    use hyper::{Request, Response, StatusCode};
    use hyper_util::client::legacy::Client;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    /// The cookie that keeps a browser on one server: a refused form's typed values wait in
    /// that server's memory for the page it sends the browser back to.
    const AFFINITY: &str = "ustaz_server";

    type Body = BoxBody<Bytes, hyper::Error>;

    struct Pool {
        backends: Vec<SocketAddr>,
        /// Whether each backend's port answered at the last look (every 500 ms).
        up: Vec<AtomicBool>,
        next: AtomicUsize,
        client: Client<HttpConnector, Body>,
    }

    impl Pool {
        /// The pinned backend when it is up; otherwise the next one that is, in turn; never
        /// one already `tried` for this request.
        fn pick(&self, pinned: Option<usize>, tried: &[usize]) -> Option<usize> {
            let usable = |i: &usize| {
                !tried.contains(i) && self.up.get(*i).is_some_and(|u| u.load(Ordering::Relaxed))
            };
            if let Some(i) = pinned.filter(usable) {
                return Some(i);
            }
            let n = self.backends.len();
            let start = self.next.fetch_add(1, Ordering::Relaxed);
            (0..n).map(|k| (start + k) % n).find(usable)
        }
    }

    fn tls() -> anyhow::Result<tokio_rustls::TlsAcceptor> {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(cert.cert.der().to_vec())], key)?;
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }

    /// Listens on `port` (TLS) and spreads requests over `backends`.
    pub async fn start(
        port: u16,
        backends: Vec<SocketAddr>,
    ) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        let acceptor = tls()?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("the balancer cannot listen on port {port}"))?;
        let pool = Arc::new(Pool {
            up: backends.iter().map(|_| AtomicBool::new(true)).collect(),
            backends,
            next: AtomicUsize::new(0),
            client: {
                // Without it, a small write waits for the peer's delayed ACK: 44 ms a page.
                let mut connector = HttpConnector::new();
                connector.set_nodelay(true);
                Client::builder(TokioExecutor::new())
                    .pool_idle_timeout(Duration::from_secs(30))
                    .build(connector)
            },
        });
        let health = pool.clone();
        tokio::spawn(async move {
            loop {
                for (i, b) in health.backends.iter().enumerate() {
                    let up = tokio::time::timeout(
                        Duration::from_millis(400),
                        tokio::net::TcpStream::connect(b),
                    )
                    .await
                    .is_ok_and(|c| c.is_ok());
                    health.up[i].store(up, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        Ok(tokio::spawn(async move {
            loop {
                let Ok((tcp, peer)) = listener.accept().await else {
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let (acceptor, pool) = (acceptor.clone(), pool.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| {
                        let pool = pool.clone();
                        async move { Ok::<_, std::convert::Infallible>(forward(&pool, req, peer).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        }))
    }

    fn pinned(req: &Request<Incoming>) -> Option<usize> {
        req.headers()
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().strip_prefix(AFFINITY)?.strip_prefix('='))
            .find_map(|v| v.parse().ok())
    }

    fn unavailable() -> Response<Body> {
        let mut res = Response::new(
            Full::new(Bytes::from_static(
                "Ustaz is briefly unavailable. Please try again in a few seconds.\n".as_bytes(),
            ))
            .map_err(|never| match never {})
            .boxed(),
        );
        *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        res.headers_mut()
            .insert("retry-after", HeaderValue::from_static("5"));
        res
    }

    async fn forward(pool: &Pool, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let pinned = pinned(&req);
        let (mut parts, body) = req.into_parts();
        // A proxy's own headers: what the client said about itself is not believed.
        parts.headers.remove("x-forwarded-for");
        parts.headers.insert(
            "x-forwarded-for",
            HeaderValue::from_str(&peer.ip().to_string()).expect("an address is a header value"),
        );
        parts
            .headers
            .insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let path = parts
            .uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.to_string());
        // A request without a body can go to another server when the first one is gone
        // between two looks; one with a body has been sent and is not replayed.
        let replayable = body.is_end_stream();
        let mut body = Some(body.boxed());
        let mut tried = Vec::new();
        loop {
            let Some(i) = pool.pick(pinned, &tried) else {
                return unavailable();
            };
            tried.push(i);
            let mut forwarded = Request::from_parts(
                parts.clone(),
                match body.take() {
                    Some(b) => b,
                    None => Full::new(Bytes::new())
                        .map_err(|never| match never {})
                        .boxed(),
                },
            );
            *forwarded.uri_mut() = format!("http://{}{path}", pool.backends[i])
                .parse()
                .expect("a backend's address and a path make a URI");
            match pool.client.request(forwarded).await {
                Ok(res) => {
                    let (mut head, body) = res.into_parts();
                    if pinned != Some(i) {
                        head.headers.append(
                            SET_COOKIE,
                            HeaderValue::from_str(&format!(
                                "{AFFINITY}={i}; Path=/; Secure; HttpOnly; SameSite=Lax"
                            ))
                            .expect("a cookie is a header value"),
                        );
                    }
                    return Response::from_parts(head, body.boxed());
                }
                Err(e) if e.is_connect() && replayable => {
                    pool.up[i].store(false, Ordering::Relaxed);
                    continue;
                }
                Err(_) => {
                    pool.up[i].store(false, Ordering::Relaxed);
                    return unavailable();
                }
            }
        }
    }
}
