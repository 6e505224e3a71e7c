//! Settings: defaults, then an optional TOML file (`--config` or `USTAZ_CONFIG`), then
//! `USTAZ_`-prefixed environment variables (`USTAZ_ADDR`, `USTAZ_DATA_DIR`, …).
//!
//! The embedded default needs nothing. Production mode refuses to start until every secret it
//! needs is set, and names the missing one. `Debug` never prints a secret.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One machine, zero set-up: SQLite, local files, worker in-process, e-mails as files.
    Embedded,
    /// PostgreSQL, Redis, separate workers, SMTP; no demo data, secrets required.
    Production,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    pub mode: Mode,
    /// Where the server listens (`USTAZ_ADDR`).
    pub addr: SocketAddr,
    /// Where the embedded default keeps its database, files and outbox (`USTAZ_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    pub database_max_connections: u32,
    /// Redis for the job queue in production.
    pub redis_url: Option<String>,
    /// The queue's name; instances that share a Redis but not a database need different names.
    pub queue_name: String,
    /// SMTP server in production, e.g. `smtp://user:pass@mail.example.kz:587`.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// The address people reach the portal at; links in e-mails start with it.
    pub public_url: Option<String>,
    /// Where the built site (the wasm bundle and styles) is; cargo-leptos writes `target/site`.
    pub site_root: PathBuf,
    /// Run the job worker inside the server process (the embedded default does).
    pub in_process_worker: bool,
    /// Seed the demo tenants and users at start (embedded default only).
    pub seed_demo: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// JSON logs (production) or human-readable ones.
    pub json_logs: bool,
    /// S3-compatible object storage for uploaded documents (`USTAZ_S3_ENDPOINT`, …). Without a
    /// bucket, files go to `data_dir/files`.
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    pub s3_bucket: Option<String>,
    pub s3_access_key: Option<String>,
    pub s3_secret_key: Option<String>,
    /// A clamd daemon (`host:port`) to scan uploads for viruses; no scan when unset.
    pub clamd_addr: Option<String>,
    /// The `ustaz-verify` program every upload is inspected in (`USTAZ_VERIFIER`). Unset: the
    /// one beside this program's own binary.
    pub verifier: Option<PathBuf>,
    /// The memory that program may take for one file, in MiB (`USTAZ_VERIFY_MEMORY_MB`).
    pub verify_memory_mb: u64,
    /// How often a worker tells the queue it is alive; a worker silent for
    /// `heartbeat × missed_heartbeats` is presumed dead and its jobs are run again.
    pub worker_heartbeat_secs: u64,
    pub worker_missed_heartbeats: usize,
    /// When workers tick for scheduled work (cron, seconds first; `USTAZ_SCHEDULE`).
    pub schedule: String,
    /// The tenant-local hour from which each day's reminders go out.
    pub reminder_hour: u32,
    /// Our own reverse proxies and load balancers (`USTAZ_TRUSTED_PROXIES`: addresses or CIDR
    /// ranges, comma-separated). Only a request from one of them has its `X-Forwarded-For`
    /// believed; anyone else could write any address there. Empty: none, the socket's address
    /// is the client's.
    pub trusted_proxies: String,
    /// Where a separate `worker` process answers `/healthz` and `/readyz` for an orchestrator's
    /// probes (`USTAZ_HEALTH_ADDR`, e.g. `0.0.0.0:3001`); unset, it listens nowhere. The server
    /// answers them on `addr`.
    pub health_addr: Option<SocketAddr>,
    /// Where `/metrics` answers in the Prometheus text format (`USTAZ_METRICS_ADDR`, e.g.
    /// `0.0.0.0:9100`), in the server and in a `worker` process alike; a port of its own, for
    /// the scraper, never the portal's. Unset, no metrics are served.
    pub metrics_addr: Option<SocketAddr>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Embedded,
            addr: "127.0.0.1:3000".parse().expect("valid address"),
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_max_connections: 8,
            redis_url: None,
            queue_name: crate::queue::QUEUE.into(),
            smtp_url: None,
            mail_from: "Ustaz <no-reply@ustaz.local>".into(),
            public_url: None,
            site_root: PathBuf::from("target/site"),
            in_process_worker: true,
            seed_demo: true,
            max_body_bytes: 1024 * 1024,
            json_logs: false,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_bucket: None,
            s3_access_key: None,
            s3_secret_key: None,
            clamd_addr: None,
            verifier: None,
            verify_memory_mb: verify::child::MEMORY_LIMIT / (1024 * 1024),
            worker_heartbeat_secs: 10,
            worker_missed_heartbeats: 6,
            schedule: "0 * * * * *".into(),
            reminder_hour: 9,
            trusted_proxies: String::new(),
            health_addr: None,
            metrics_addr: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Parse(#[from] Box<figment::Error>),
    #[error("production mode needs {0}; set it in the config file or the environment")]
    Missing(&'static str),
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// [`Config::trusted_proxies`] parsed: a plain address is a range of one.
    pub fn trusted_proxies(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.trusted_proxies
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        ConfigError::Invalid(format!(
                            "USTAZ_TRUSTED_PROXIES: {s:?} is neither an address nor a CIDR range"
                        ))
                    })
            })
            .collect()
    }

    /// Reads defaults → file → environment, then checks what the mode requires.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("USTAZ_CONFIG").map(PathBuf::from));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Invalid(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        // In production the demo seed and in-process worker default off, unless asked for.
        let mode_is_production =
            std::env::var("USTAZ_MODE").is_ok_and(|m| m.eq_ignore_ascii_case("production"));
        if mode_is_production {
            figment = figment.merge(Serialized::defaults(serde_json::json!({
                "seed_demo": false, "in_process_worker": false, "json_logs": true
            })));
        }
        let config: Config = figment
            .merge(Env::prefixed("USTAZ_").ignore(&["CONFIG"]))
            .extract()
            .map_err(Box::new)?;
        config.check()?;
        Ok(config)
    }

    /// `load`, or a one-line message naming the problem and exit code 2: for the binaries.
    pub fn load_or_exit(program: &str, file: Option<&Path>) -> Config {
        Config::load(file).unwrap_or_else(|e| {
            eprintln!("{program}: {e}");
            std::process::exit(2)
        })
    }

    fn check(&self) -> Result<(), ConfigError> {
        if let Err(e) = <cron::Schedule as std::str::FromStr>::from_str(&self.schedule) {
            return Err(ConfigError::Invalid(format!(
                "USTAZ_SCHEDULE {:?} is not a cron expression (seconds first): {e}",
                self.schedule
            )));
        }
        if self.reminder_hour > 23 {
            return Err(ConfigError::Invalid(
                "USTAZ_REMINDER_HOUR is an hour of the day, 0 to 23".into(),
            ));
        }
        self.trusted_proxies()?;
        if self.mode == Mode::Production {
            let db = self
                .database_url
                .as_deref()
                .ok_or(ConfigError::Missing("USTAZ_DATABASE_URL"))?;
            if !db.starts_with("postgres") {
                return Err(ConfigError::Invalid(
                    "production mode needs a PostgreSQL USTAZ_DATABASE_URL".into(),
                ));
            }
            self.redis_url
                .as_ref()
                .ok_or(ConfigError::Missing("USTAZ_REDIS_URL"))?;
            self.smtp_url
                .as_ref()
                .ok_or(ConfigError::Missing("USTAZ_SMTP_URL"))?;
            let public = self
                .public_url
                .as_ref()
                .ok_or(ConfigError::Missing("USTAZ_PUBLIC_URL"))?;
            // Sessions, passwords and one-time links cross the network: never in clear.
            if !public.starts_with("https://") {
                return Err(ConfigError::Invalid(
                    "production mode needs an https:// USTAZ_PUBLIC_URL (sessions, passwords and e-mailed links must not travel in clear)".into(),
                ));
            }
            self.s3_bucket
                .as_ref()
                .ok_or(ConfigError::Missing("USTAZ_S3_BUCKET"))?;
            if self.seed_demo {
                return Err(ConfigError::Invalid(
                    "demo data is never seeded in production mode".into(),
                ));
            }
        }
        Ok(())
    }

    /// How a worker checks uploads: the inspecting program found (an explicit
    /// `USTAZ_VERIFIER` must exist; otherwise the one beside this binary, or one folder up, where
    /// cargo puts it for the test binaries), its memory limit, and the virus scanner. Without the
    /// program the inspection runs in this process with the decoders' own bounds only: allowed
    /// for a developer's run, refused in production.
    pub fn checks(&self) -> Result<crate::recruitment::Checks, ConfigError> {
        const NAME: &str = "ustaz-verify";
        let verifier = match &self.verifier {
            Some(path) if path.is_file() => Some(path.clone()),
            Some(path) => {
                return Err(ConfigError::Invalid(format!(
                    "USTAZ_VERIFIER {} is not a file",
                    path.display()
                )));
            }
            None => std::env::current_exe().ok().and_then(|exe| {
                exe.ancestors()
                    .skip(1)
                    .take(2)
                    .map(|dir| dir.join(NAME))
                    .find(|p| p.is_file())
            }),
        };
        if !(16..=65_536).contains(&self.verify_memory_mb) {
            return Err(ConfigError::Invalid(
                "USTAZ_VERIFY_MEMORY_MB is between 16 and 65536".into(),
            ));
        }
        if verifier.is_none() && self.mode == Mode::Production {
            return Err(ConfigError::Missing(
                "the ustaz-verify program beside the worker, or USTAZ_VERIFIER",
            ));
        }
        if verifier.is_none() {
            tracing::warn!(
                "{NAME} not found: uploads are inspected inside this process, without its memory limit"
            );
        }
        Ok(crate::recruitment::Checks {
            verifier,
            memory_mb: self.verify_memory_mb,
            clamd_addr: self.clamd_addr.clone(),
        })
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("ustaz.db").display()
            )
        })
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr))
            .trim_end_matches('/')
            .to_string()
    }

    /// Cookies get `Secure` when people reach us over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url().starts_with("https://")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// The object store: S3 when a bucket is configured, else `data_dir/files`.
    pub async fn open_storage(&self) -> anyhow::Result<domain::storage::Storage> {
        use domain::storage::{S3Settings, Storage};
        match &self.s3_bucket {
            Some(bucket) => Ok(Storage::s3(&S3Settings {
                endpoint: self.s3_endpoint.clone().unwrap_or_default(),
                region: self.s3_region.clone(),
                bucket: bucket.clone(),
                access_key: self.s3_access_key.clone().unwrap_or_default(),
                secret_key: self.s3_secret_key.clone().unwrap_or_default(),
            })
            .await?),
            None => {
                let root = self.data_dir.join("files");
                std::fs::create_dir_all(&root)?;
                Ok(Storage::local(root))
            }
        }
    }
}

/// Hides the password part of a URL.
fn redact(url: &Option<String>) -> String {
    match url {
        None => "unset".into(),
        Some(u) => match (u.find("://"), u.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://***@{}", &u[..s], &u[at + 1..]),
            _ => u.clone(),
        },
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("mode", &self.mode)
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact(&self.database_url))
            .field("redis_url", &redact(&self.redis_url))
            .field("smtp_url", &redact(&self.smtp_url))
            .field("public_url", &self.public_url)
            .field("site_root", &self.site_root)
            .field("in_process_worker", &self.in_process_worker)
            .field("seed_demo", &self.seed_demo)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_bucket", &self.s3_bucket)
            .field("clamd_addr", &self.clamd_addr)
            .field("verifier", &self.verifier)
            .field("verify_memory_mb", &self.verify_memory_mb)
            .field("schedule", &self.schedule)
            .field("reminder_hour", &self.reminder_hour)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("health_addr", &self.health_addr)
            .field("metrics_addr", &self.metrics_addr)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_addresses_or_ranges_and_anything_else_is_refused() {
        let c = Config {
            trusted_proxies: "10.0.0.0/8, 127.0.0.1 ::1".into(),
            ..Config::default()
        };
        let nets = c.trusted_proxies().unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[0].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
        assert_eq!(nets[1].prefix_len(), 32);
        assert!(Config::default().trusted_proxies().unwrap().is_empty());
        let bad = Config {
            trusted_proxies: "10.0.0.0/8,proxy.local".into(),
            ..Config::default()
        };
        let e = bad.check().unwrap_err().to_string();
        assert!(e.contains("proxy.local"), "{e}");
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Config {
            database_url: Some("postgres://ustaz:s3cret@db/ustaz".into()),
            smtp_url: Some("smtp://mailer:hunter2@mail:587".into()),
            ..Config::default()
        };
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(shown.contains("postgres://***@db/ustaz"));
    }

    #[test]
    fn cookies_are_secure_exactly_when_reached_over_https() {
        let plain = Config::default();
        assert!(!plain.secure_cookies());
        assert_eq!(plain.public_url(), "http://127.0.0.1:3000");
        let https = Config {
            public_url: Some("https://ustaz.example.kz/".into()),
            ..Config::default()
        };
        assert!(https.secure_cookies());
        assert_eq!(
            https.public_url(),
            "https://ustaz.example.kz",
            "no trailing slash in links"
        );
    }

    #[test]
    fn production_names_the_missing_secret() {
        let c = Config {
            mode: Mode::Production,
            seed_demo: false,
            database_url: Some("postgres://x@y/z".into()),
            s3_secret_key: Some("sekrit-key".into()),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("sekrit"));
        let err = c.check().unwrap_err().to_string();
        assert!(err.contains("USTAZ_REDIS_URL"), "{err}");
    }

    #[test]
    fn the_inspecting_program_and_its_memory_are_checked_with_a_clear_message() {
        let missing = Config {
            verifier: Some(PathBuf::from("/nonexistent/ustaz-verify")),
            ..Config::default()
        };
        let err = missing.checks().unwrap_err().to_string();
        assert!(
            err.contains("USTAZ_VERIFIER") && err.contains("not a file"),
            "{err}"
        );
        for mb in [0, 15, 65_537] {
            let c = Config {
                verify_memory_mb: mb,
                ..Config::default()
            };
            let err = c.checks().unwrap_err().to_string();
            assert!(err.contains("USTAZ_VERIFY_MEMORY_MB"), "{mb}: {err}");
        }
        // In production a worker without the program does not start (the test binary has
        // none beside it under this name in /nonexistent).
        let production = Config {
            mode: Mode::Production,
            verifier: None,
            ..Config::default()
        };
        if production.checks().is_ok() {
            // Found beside the test binary (cargo built it): then it is a file, as required.
            assert!(production.checks().unwrap().verifier.unwrap().is_file());
        } else {
            let err = production.checks().unwrap_err().to_string();
            assert!(err.contains("ustaz-verify"), "{err}");
        }
    }

    #[test]
    fn production_refuses_a_public_url_in_clear() {
        let c = |url: &str| Config {
            mode: Mode::Production,
            seed_demo: false,
            database_url: Some("postgres://x@y/z".into()),
            redis_url: Some("redis://r".into()),
            smtp_url: Some("smtp://m".into()),
            public_url: Some(url.into()),
            s3_bucket: Some("b".into()),
            ..Config::default()
        };
        let err = c("http://ustaz.example.kz")
            .check()
            .unwrap_err()
            .to_string();
        assert!(err.contains("https://"), "{err}");
        assert!(c("https://ustaz.example.kz").check().is_ok());
    }
}
