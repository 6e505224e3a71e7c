//! Benchmark for issue 3: a 100 MiB upload through the server into an S3-compatible server
//! (s3s-fs), against a direct aws-sdk-s3 upload of the same file to the same s3s-fs, in one run;
//! plus the server's peak memory growth while it streams the upload. The server is measured
//! with the file's size declared (`Upload-Length`: one PutObject) and without (multipart
//! parts). Not a test: it prints a table (see docs/BENCHMARKS.md) and fails only when
//! something does not work, never because a target is missed.
//!
//! ```text
//! cargo build --release -p server --bin server
//! cargo run --release -p ustaz-tests --bin bench-upload
//! ```
//!
//! It starts, next to itself in the target folder, the `server` binary (`BENCH_SERVER_BIN`
//! overrides) and s3s-fs (`USTAZ_TEST_S3S_FS`, else `$USTAZ_TOOLS_DIR/bin/s3s-fs`, else
//! `~/.cache/ustaz/tools/bin/s3s-fs`, where `cargo xtask test` installs it), each with its own
//! temporary folder, and stops them on exit, on errors and on Ctrl-C. `BENCH_ROUNDS` (default 3)
//! sets how many alternating rounds run; `BENCH_SKIP_LOCAL=1` skips the local-disk line and
//! `BENCH_SKIP_WORKER=1` the in-process-worker line.
//!
//! The server runs twice per backend: first with its in-process worker, to register and verify
//! an applicant (the verification e-mail is a queued job) and set up a programme that accepts
//! 100 MiB PDFs; then without the worker for the measured uploads, so that the verification job
//! (which reads the whole document back) does not run inside the measured process. One extra
//! upload with the worker on shows what the embedded default's peak is once that job runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::{Bytes, BytesMut};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use ustaz_tests::{Kid, free_port, wait_for_port};

/// The benchmark file: 100 MiB, exactly the largest document a programme may allow.
const FILE_BYTES: u64 = 100 * 1024 * 1024;
/// The warm-up upload before measuring (one PutObject on the S3 backend).
const WARMUP_BYTES: u64 = 1024 * 1024;
/// Same part size as the server's (`domain::storage::PART_SIZE`).
const PART_SIZE: u64 = 8 * 1024 * 1024;
/// Read size from disk, for the HTTP client and for the SDK's file bodies alike.
const READ_CHUNK: usize = 256 * 1024;
const TENANT: &str = "almaty-mentors";
const PROGRAMME: &str = "bench-upload";
const DOC_TYPE: &str = "bench_file";
const ADMIN: &str = "admin@almaty-mentors.demo";
const ADMIN_PASSWORD: &str = "ustaz-demo";
const APPLICANT: &str = "bench@example.kz";
const APPLICANT_PASSWORD: &str = "long-enough-passphrase";
const BUCKET: &str = "ustaz-bench";
const ACCESS_KEY: &str = "ustaz-bench";
const SECRET_KEY: &str = "ustaz-bench-secret";
const MIB: f64 = 1024.0 * 1024.0;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Every child process lives in a `Kid`, which kills it when dropped: on success, on `?`, on
    // a panic (unwinding) and on Ctrl-C, which ends `run` and drops its futures.
    tokio::select! {
        result = run() => result,
        _ = tokio::signal::ctrl_c() => bail!("interrupted"),
    }
}

// ---------------------------------------------------------------------------------------------
// Child processes

fn server_bin() -> anyhow::Result<PathBuf> {
    let bin = match std::env::var_os("BENCH_SERVER_BIN") {
        Some(b) => PathBuf::from(b),
        None => std::env::current_exe()?
            .parent()
            .context("no folder around this program")?
            .join("server"),
    };
    ensure!(
        bin.exists(),
        "{} does not exist: run `cargo build --release -p server --bin server` first \
         (or set BENCH_SERVER_BIN)",
        bin.display()
    );
    Ok(bin)
}

fn s3s_fs_bin() -> anyhow::Result<PathBuf> {
    if let Some(b) = std::env::var_os("USTAZ_TEST_S3S_FS") {
        return Ok(PathBuf::from(b));
    }
    let tools = std::env::var_os("USTAZ_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/ustaz/tools")))
        .context("neither USTAZ_TOOLS_DIR nor HOME is set")?;
    let bin = tools.join("bin/s3s-fs");
    ensure!(
        bin.exists(),
        "{} does not exist: `cargo xtask test` installs it, or set USTAZ_TEST_S3S_FS",
        bin.display()
    );
    Ok(bin)
}

struct S3Fs {
    kid: Kid,
    endpoint: String,
    _dir: tempfile::TempDir,
}

async fn start_s3s_fs() -> anyhow::Result<S3Fs> {
    let bin = s3s_fs_bin()?;
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let child = Command::new(&bin)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let kid = Kid::new("s3s-fs", child);
    wait_for_port(port, "s3s-fs", 10).await?;
    Ok(S3Fs {
        kid,
        endpoint: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    })
}

/// One running server process.
struct Server {
    kid: Kid,
    url: String,
    log: PathBuf,
}

/// Starts the server binary on `data_dir` (kept between starts) and waits for `/healthz`.
async fn start_server(
    data_dir: &Path,
    s3_endpoint: Option<&str>,
    in_process_worker: bool,
) -> anyhow::Result<Server> {
    let bin = server_bin()?;
    let port = free_port()?;
    let url = format!("http://127.0.0.1:{port}");
    let log = data_dir.join(format!(
        "server-{}.log",
        if in_process_worker { "setup" } else { "bench" }
    ));
    let log_file = std::fs::File::create(&log)?;
    let mut cmd = Command::new(&bin);
    // Only what is set here: a USTAZ_S3_BUCKET in the caller's environment must not turn the
    // local-disk run into an S3 one.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("USTAZ_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("serve")
        .current_dir(data_dir)
        .env("USTAZ_ADDR", format!("127.0.0.1:{port}"))
        .env("USTAZ_DATA_DIR", data_dir)
        .env("USTAZ_SITE_ROOT", data_dir.join("site"))
        .env("USTAZ_PUBLIC_URL", &url)
        .env("USTAZ_IN_PROCESS_WORKER", in_process_worker.to_string())
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    if let Some(endpoint) = s3_endpoint {
        cmd.env("USTAZ_S3_ENDPOINT", endpoint)
            .env("USTAZ_S3_BUCKET", BUCKET)
            .env("USTAZ_S3_ACCESS_KEY", ACCESS_KEY)
            .env("USTAZ_S3_SECRET_KEY", SECRET_KEY)
            .env("USTAZ_S3_REGION", "us-east-1");
    }
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let mut server = Server {
        kid: Kid::new("server", child),
        url,
        log,
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(res) = http.get(format!("{}/healthz", server.url)).send().await
            && res.status().is_success()
            && res.text().await.is_ok_and(|t| t.trim() == "ok")
        {
            return Ok(server);
        }
        if let Ok(Some(status)) = server.kid.child.try_wait() {
            bail!(
                "the server exited ({status}) at start; its log:\n{}",
                tail(&server.log)
            );
        }
        if Instant::now() > deadline {
            server.kid.stop();
            bail!(
                "the server did not answer /healthz within 120 s; its log:\n{}",
                tail(&server.log)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// /proc: memory and CPU of a process

fn status_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

/// Resets the process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0).
fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// User + system CPU time of a process and its threads, in seconds.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start at the last ')'.
    let rest = &stat[stat.rfind(')').context("malformed stat")? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    let hz = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    Ok(ticks as f64 / hz)
}

/// Samples VmRSS of `pid` every 50 ms on its own thread until stopped; returns the largest.
struct RssSampler {
    stop: Arc<AtomicBool>,
    max: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let max = Arc::new(AtomicU64::new(0));
        let (s, m) = (stop.clone(), max.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Ok(kib) = status_kib(pid, "VmRSS") {
                    m.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        RssSampler {
            stop,
            max,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.max.load(Ordering::Relaxed)
    }
}

/// The server's memory around one upload, in KiB.
#[derive(Debug, Clone, Copy)]
struct Memory {
    /// VmRSS just before the upload.
    baseline: u64,
    /// The larger of VmHWM after the upload (reset just before it) and the 50 ms samples.
    peak: u64,
    /// The largest 50 ms VmRSS sample alone.
    sampled: u64,
}

impl Memory {
    fn growth_mib(&self) -> f64 {
        self.peak.saturating_sub(self.baseline) as f64 / 1024.0
    }
}

// ---------------------------------------------------------------------------------------------
// The benchmark file

/// `%PDF-` and then incompressible pseudo-random bytes (xorshift64*), written in 1 MiB blocks.
fn write_file(path: &Path, len: u64, seed: u64) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let header = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
    out.write_all(header)?;
    let mut state = seed | 1;
    let mut left = len - header.len() as u64;
    let mut block = vec![0u8; 1 << 20];
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            word.copy_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}

/// The file as a stream of chunks read from disk as the request goes out.
fn file_stream(
    file: tokio::fs::File,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures::stream::try_unfold(file, |mut file| async move {
        let mut buf = BytesMut::with_capacity(READ_CHUNK);
        while buf.len() < READ_CHUNK {
            if file.read_buf(&mut buf).await? == 0 {
                break;
            }
        }
        Ok((!buf.is_empty()).then(|| (buf.freeze(), file)))
    })
}

/// Flushes dirty pages (s3s-fs and the local backend write through the page cache), so every
/// run starts with the disk idle. Not timed.
fn sync_disks() {
    let _ = Command::new("sync").status();
}

// ---------------------------------------------------------------------------------------------
// The server's API

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn new(base: &str) -> anyhow::Result<Api> {
        Ok(Api {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(600))
                .build()?,
            base: base.to_string(),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.with_context(|| path.to_string())?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, value))
    }

    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        want: u16,
    ) -> anyhow::Result<Value> {
        let (status, value) = self.call(method.clone(), path, token, body).await?;
        ensure!(
            status == want,
            "{method} {path}: {status} (wanted {want}): {value}"
        );
        Ok(value)
    }

    async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let v = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
                200,
            )
            .await?;
        Ok(v["token"].as_str().context("no token")?.to_string())
    }

    /// Streams `path` from disk as the multipart field `file`, with its size in `Upload-Length`
    /// if `declare`; returns the document's JSON.
    async fn upload(
        &self,
        token: &str,
        application: &str,
        path: &Path,
        declare: bool,
    ) -> anyhow::Result<(Duration, Value)> {
        let file = tokio::fs::File::open(path).await?;
        let len = file.metadata().await?.len();
        let part = reqwest::multipart::Part::stream_with_length(
            reqwest::Body::wrap_stream(file_stream(file)),
            len,
        )
        .file_name("bench.pdf")
        .mime_str("application/pdf")?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let url = format!(
            "{}/api/v1/t/{TENANT}/applications/{application}/documents?doc_type={DOC_TYPE}",
            self.base
        );
        let mut request = self.http.post(url).bearer_auth(token);
        if declare {
            request = request.header("Upload-Length", len.to_string());
        }
        let started = Instant::now();
        let res = request.multipart(form).send().await.context("upload")?;
        let status = res.status();
        let body = res.text().await?;
        let elapsed = started.elapsed();
        ensure!(status.as_u16() == 201, "upload refused: {status}: {body}");
        Ok((elapsed, serde_json::from_str(&body)?))
    }
}

/// What the measured uploads need: an applicant's token and a draft application to a programme
/// that accepts PDFs of up to 100 MiB.
struct Setup {
    token: String,
    application: String,
}

/// Creates the programme, registers and verifies an applicant (the e-mail is a job, so this
/// needs the in-process worker) and starts an application.
async fn set_up(api: &Api, data_dir: &Path) -> anyhow::Result<Setup> {
    use reqwest::Method;
    let admin = api.login(ADMIN, ADMIN_PASSWORD).await?;
    let demo = api
        .expect(
            Method::GET,
            &format!("/api/v1/t/{TENANT}/programmes/mentors-2027"),
            None,
            None,
            200,
        )
        .await?;
    let region = demo["regions"][0]["id"]
        .as_str()
        .context("no region in the demo programme")?
        .to_string();
    let today = chrono::Utc::now().date_naive();
    let opens = today - chrono::Days::new(30);
    let closes = today + chrono::Days::new(30);
    let results = today + chrono::Days::new(60);
    api.expect(
        Method::POST,
        &format!("/api/v1/t/{TENANT}/programmes"),
        Some(&admin),
        Some(json!({
            "slug": PROGRAMME,
            "names": {"kk": "Бенчмарк", "ru": "Бенчмарк", "en": "Benchmark"},
            "descriptions": {"kk": "", "ru": "", "en": ""},
            "kind": "group",
            "region_ids": [region],
            "eligibility": {"min_age": 21, "min_residence_months": 6, "min_youth_work_years": 2,
                            "disqualifying_roles": [], "min_days_per_week": 1},
            "documents": [{"doc_type": DOC_TYPE, "labels": {"kk": "", "ru": "", "en": "Big file"},
                           "accepted_types": ["application/pdf"], "max_bytes": FILE_BYTES,
                           "max_count": 20, "validity_months": null, "required": true}],
            "opens_on": opens.to_string(), "closes_on": closes.to_string(),
            "results_on": results.to_string(),
            "contract_months": 24, "meeting_cadence": "monthly"
        })),
        201,
    )
    .await?;

    api.expect(
        Method::POST,
        "/api/v1/auth/register",
        None,
        Some(json!({"email": APPLICANT, "password": APPLICANT_PASSWORD,
                    "full_name": "Bench Applicant", "locale": "en"})),
        201,
    )
    .await?;
    let token = verification_token(&data_dir.join("outbox")).await?;
    api.expect(
        Method::POST,
        "/api/v1/auth/verify-email",
        None,
        Some(json!({"token": token})),
        200,
    )
    .await?;
    let applicant = api.login(APPLICANT, APPLICANT_PASSWORD).await?;
    let application = api
        .expect(
            Method::POST,
            &format!("/api/v1/t/{TENANT}/programmes/{PROGRAMME}/applications"),
            Some(&applicant),
            Some(ustaz_tests::eligible_answers(&region)),
            201,
        )
        .await?;
    Ok(Setup {
        token: applicant,
        application: application["id"]
            .as_str()
            .context("no application id")?
            .to_string(),
    })
}

/// Waits up to 30 s for the verification e-mail in the file outbox and pulls out its token.
async fn verification_token(outbox: &Path) -> anyhow::Result<String> {
    for _ in 0..300 {
        for entry in std::fs::read_dir(outbox).into_iter().flatten().flatten() {
            let raw = std::fs::read(entry.path())?;
            let Some(email) = ustaz_tests::Email::parse(&raw) else {
                continue;
            };
            if email.to == APPLICANT && email.text.contains("/verify-email?token=") {
                return Ok(ustaz_tests::token_from(&email, "/verify-email"));
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no verification e-mail in {} after 30 s", outbox.display())
}

/// A server ready to measure: set up with the worker, then restarted without it.
struct Bench {
    server: Server,
    api: Api,
    setup: Setup,
}

async fn bench_server(data_dir: &Path, s3_endpoint: Option<&str>) -> anyhow::Result<Bench> {
    let mut server = start_server(data_dir, s3_endpoint, true).await?;
    let setup = set_up(&Api::new(&server.url)?, data_dir)
        .await
        .with_context(|| format!("setting up; server log:\n{}", tail(&server.log)))?;
    server.kid.stop();
    drop(server);
    let server = start_server(data_dir, s3_endpoint, false).await?;
    let api = Api::new(&server.url)?;
    Ok(Bench { server, api, setup })
}

/// One measured upload through the server.
#[derive(Debug, Clone, Copy)]
struct ServerRun {
    secs: f64,
    memory: Memory,
    server_cpu: f64,
    s3_cpu: Option<f64>,
    client_cpu: f64,
}

async fn server_run(
    bench: &Bench,
    file: &Path,
    s3_pid: Option<u32>,
    declare: bool,
) -> anyhow::Result<(ServerRun, Value)> {
    let pid = bench.server.kid.pid();
    sync_disks();
    let hwm_reset = reset_peak(pid);
    let baseline = status_kib(pid, "VmRSS")?;
    let cpu_before = cpu_seconds(pid)?;
    let me_before = cpu_seconds(std::process::id())?;
    let s3_before = s3_pid.map(cpu_seconds).transpose()?;
    let sampler = RssSampler::start(pid);
    let result = bench
        .api
        .upload(&bench.setup.token, &bench.setup.application, file, declare)
        .await;
    let hwm = status_kib(pid, "VmHWM")?;
    let sampled = sampler.finish();
    let client_cpu = cpu_seconds(std::process::id())? - me_before;
    let (elapsed, doc) =
        result.with_context(|| format!("server log:\n{}", tail(&bench.server.log)))?;
    ensure!(
        doc["size_bytes"].as_u64() == Some(std::fs::metadata(file)?.len()),
        "the server stored a different size: {doc}"
    );
    let peak = if hwm_reset { hwm.max(sampled) } else { sampled };
    Ok((
        ServerRun {
            secs: elapsed.as_secs_f64(),
            memory: Memory {
                baseline,
                peak,
                sampled,
            },
            server_cpu: cpu_seconds(pid)? - cpu_before,
            client_cpu,
            s3_cpu: match (s3_pid, s3_before) {
                (Some(p), Some(b)) => Some(cpu_seconds(p)? - b),
                _ => None,
            },
        },
        doc,
    ))
}

// ---------------------------------------------------------------------------------------------
// Direct uploads with aws-sdk-s3

/// The same client configuration as `domain::storage::Storage::s3`.
fn s3_client(endpoint: &str) -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "bench",
        ))
        .force_path_style(true)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direct {
    /// One PutObject whose body streams from the file.
    Put,
    /// Multipart, 8 MiB parts one after another, each part's body streaming from the file.
    MultipartFile,
    /// Multipart, 8 MiB parts one after another, each read into memory first (`Bytes`), as the
    /// server sends them.
    MultipartMemory,
}

impl Direct {
    const ALL: [Direct; 3] = [Direct::Put, Direct::MultipartFile, Direct::MultipartMemory];

    fn label(self) -> &'static str {
        match self {
            Direct::Put => "direct PutObject, body from file",
            Direct::MultipartFile => "direct multipart 8 MiB, parts from file",
            Direct::MultipartMemory => "direct multipart 8 MiB, parts in memory",
        }
    }
}

async fn file_body(path: &Path, offset: u64, len: u64) -> anyhow::Result<ByteStream> {
    Ok(ByteStream::read_from()
        .path(path)
        .offset(offset)
        .length(Length::Exact(len))
        .buffer_size(READ_CHUNK)
        .build()
        .await?)
}

/// One direct upload.
#[derive(Debug, Clone, Copy)]
struct DirectRun {
    secs: f64,
    /// CPU seconds of this program (the SDK client) and of s3s-fs.
    client_cpu: f64,
    s3_cpu: f64,
    /// Multipart only: how long CompleteMultipartUpload took (s3s-fs copies the parts into the
    /// object then).
    complete_secs: Option<f64>,
}

/// Uploads `path` to `key` the `how` way.
async fn direct_run(
    client: &Client,
    how: Direct,
    path: &Path,
    key: &str,
    s3_pid: u32,
) -> anyhow::Result<DirectRun> {
    let len = std::fs::metadata(path)?.len();
    sync_disks();
    let s3_before = cpu_seconds(s3_pid)?;
    let me_before = cpu_seconds(std::process::id())?;
    let mut complete_secs = None;
    let started = Instant::now();
    match how {
        Direct::Put => {
            client
                .put_object()
                .bucket(BUCKET)
                .key(key)
                .content_type("application/pdf")
                .content_length(i64::try_from(len)?)
                .body(file_body(path, 0, len).await?)
                .send()
                .await
                .map_err(aws_sdk_s3::Error::from)?;
        }
        Direct::MultipartFile | Direct::MultipartMemory => {
            let created = client
                .create_multipart_upload()
                .bucket(BUCKET)
                .key(key)
                .content_type("application/pdf")
                .send()
                .await
                .map_err(aws_sdk_s3::Error::from)?;
            let upload_id = created.upload_id().context("no upload id")?;
            let mut file = tokio::fs::File::open(path).await?;
            let mut parts = Vec::new();
            let mut offset = 0;
            while offset < len {
                let size = PART_SIZE.min(len - offset);
                let body = if how == Direct::MultipartFile {
                    file_body(path, offset, size).await?
                } else {
                    let mut buf = BytesMut::with_capacity(size as usize);
                    while (buf.len() as u64) < size {
                        ensure!(file.read_buf(&mut buf).await? > 0, "file shrank");
                    }
                    ByteStream::from(buf.freeze())
                };
                let number = i32::try_from(parts.len() + 1)?;
                let out = client
                    .upload_part()
                    .bucket(BUCKET)
                    .key(key)
                    .upload_id(upload_id)
                    .part_number(number)
                    .content_length(i64::try_from(size)?)
                    .body(body)
                    .send()
                    .await
                    .map_err(aws_sdk_s3::Error::from)?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(out.e_tag().map(str::to_owned))
                        .build(),
                );
                offset += size;
            }
            let completing = Instant::now();
            client
                .complete_multipart_upload()
                .bucket(BUCKET)
                .key(key)
                .upload_id(upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(aws_sdk_s3::Error::from)?;
            complete_secs = Some(completing.elapsed().as_secs_f64());
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let s3_cpu = cpu_seconds(s3_pid)? - s3_before;
    let client_cpu = cpu_seconds(std::process::id())? - me_before;
    let head = client
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .map_err(aws_sdk_s3::Error::from)?;
    ensure!(
        head.content_length() == Some(i64::try_from(len)?),
        "{key}: s3s-fs holds {:?} bytes, not {len}",
        head.content_length()
    );
    // Keep the disk from filling up over the rounds (not timed).
    client
        .delete_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .map_err(aws_sdk_s3::Error::from)?;
    Ok(DirectRun {
        secs,
        client_cpu,
        s3_cpu,
        complete_secs,
    })
}

// ---------------------------------------------------------------------------------------------
// The run

fn mib_s(secs: f64, bytes: u64) -> f64 {
    bytes as f64 / MIB / secs
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

struct Row {
    label: String,
    /// MiB/s per run.
    speeds: Vec<f64>,
    /// CPU seconds per run: (this program, server, s3s-fs).
    cpu: Vec<(f64, Option<f64>, Option<f64>)>,
    /// Seconds per run spent in CompleteMultipartUpload (direct multipart only).
    complete: Vec<f64>,
}

impl Row {
    fn new(label: &str) -> Row {
        Row {
            label: label.to_string(),
            speeds: Vec::new(),
            cpu: Vec::new(),
            complete: Vec::new(),
        }
    }

    fn median(&self) -> f64 {
        median(&self.speeds)
    }
}

async fn run() -> anyhow::Result<()> {
    let rounds: usize = match std::env::var("BENCH_ROUNDS") {
        Ok(v) => v.parse().context("BENCH_ROUNDS")?,
        Err(_) => 3,
    };
    ensure!(rounds > 0, "BENCH_ROUNDS must be at least 1");
    let work = tempfile::tempdir()?;
    let file = work.path().join("bench.pdf");
    let warmup = work.path().join("warmup.pdf");
    write_file(&file, FILE_BYTES, 0x5EED_1234_ABCD_0001)?;
    write_file(&warmup, WARMUP_BYTES, 0x5EED_1234_ABCD_0002)?;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "bench-upload: {} bytes ({} MiB) of %PDF- + pseudo-random bytes, {rounds} alternating rounds, \
         {cores} CPU cores, speeds in MiB/s",
        FILE_BYTES,
        FILE_BYTES / (1024 * 1024)
    );

    let s3 = start_s3s_fs().await?;
    let s3_pid = s3.kid.pid();
    let s3_data = work.path().join("server-s3");
    std::fs::create_dir_all(&s3_data)?;
    eprintln!("setting up the server (S3 backend)…");
    let bench = bench_server(&s3_data, Some(&s3.endpoint)).await?;
    bench
        .api
        .upload(&bench.setup.token, &bench.setup.application, &warmup, true)
        .await
        .context("warm-up upload through the server")?;
    let client = s3_client(&s3.endpoint);
    direct_run(&client, Direct::Put, &warmup, "bench/warmup", s3_pid)
        .await
        .context("warm-up direct upload")?;

    // Through the server twice: with the file's size declared (Upload-Length, as the portal's
    // script and API clients that know it send: one PutObject while the file arrives) and
    // without (multipart parts).
    let mut server_rows: Vec<(bool, Row, Vec<ServerRun>)> = [
        (true, "server -> S3, Upload-Length"),
        (false, "server -> S3, length unknown"),
    ]
    .into_iter()
    .map(|(declare, label)| (declare, Row::new(label), Vec::new()))
    .collect();
    let mut direct_rows: Vec<(Direct, Row)> = Direct::ALL
        .iter()
        .map(|d| (*d, Row::new(d.label())))
        .collect();
    for round in 1..=rounds {
        eprintln!("round {round}/{rounds}…");
        for (declare, row, runs) in &mut server_rows {
            let (r, _) = server_run(&bench, &file, Some(s3_pid), *declare).await?;
            row.speeds.push(mib_s(r.secs, FILE_BYTES));
            row.cpu.push((r.client_cpu, Some(r.server_cpu), r.s3_cpu));
            runs.push(r);
        }
        for (how, row) in &mut direct_rows {
            let key = format!("bench/{how:?}-{round}").to_lowercase();
            let r = direct_run(&client, *how, &file, &key, s3_pid)
                .await
                .with_context(|| how.label())?;
            row.speeds.push(mib_s(r.secs, FILE_BYTES));
            row.cpu.push((r.client_cpu, None, Some(r.s3_cpu)));
            row.complete.extend(r.complete_secs);
        }
    }
    let Bench { server, setup, .. } = bench;
    drop(server);

    // The embedded default runs the verification job inside the server process: one more upload
    // with the worker on, measured until the document has been checked.
    let worker = if flag("BENCH_SKIP_WORKER") {
        None
    } else {
        eprintln!("one upload with the in-process worker on…");
        let server = start_server(&s3_data, Some(&s3.endpoint), true).await?;
        let api = Api::new(&server.url)?;
        let bench = Bench { server, api, setup };
        // The uploads above queued verification jobs; let them finish before measuring.
        let waited = wait_checked(&bench, None).await?;
        eprintln!("  the {waited} queued verification jobs were done after the restart");
        let run = worker_run(&bench, &file).await?;
        let Bench { server, .. } = bench;
        drop(server);
        Some(run)
    };

    let mut local_row = Row::new("server -> local disk");
    let mut local_runs: Vec<ServerRun> = Vec::new();
    if !flag("BENCH_SKIP_LOCAL") {
        let local_data = work.path().join("server-local");
        std::fs::create_dir_all(&local_data)?;
        eprintln!("setting up the server (local backend)…");
        let bench = bench_server(&local_data, None).await?;
        bench
            .api
            .upload(&bench.setup.token, &bench.setup.application, &warmup, true)
            .await
            .context("warm-up upload through the server (local)")?;
        for round in 1..=rounds {
            eprintln!("local round {round}/{rounds}…");
            let (r, _) = server_run(&bench, &file, None, true).await?;
            local_row.speeds.push(mib_s(r.secs, FILE_BYTES));
            local_row.cpu.push((r.client_cpu, Some(r.server_cpu), None));
            local_runs.push(r);
        }
    }

    report(
        rounds,
        &server_rows,
        &direct_rows,
        &local_row,
        &local_runs,
        worker,
    );
    Ok(())
}

/// Polls the application until no document is waiting for its check (up to 10 minutes);
/// returns how many documents there are. With `only`, waits for that document alone.
async fn wait_checked(bench: &Bench, only: Option<&str>) -> anyhow::Result<usize> {
    let path = format!(
        "/api/v1/t/{TENANT}/applications/{}",
        bench.setup.application
    );
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let app = bench
            .api
            .expect(
                reqwest::Method::GET,
                &path,
                Some(&bench.setup.token),
                None,
                200,
            )
            .await?;
        let docs = app["documents"]
            .as_array()
            .with_context(|| format!("no documents in {app}"))?;
        let waiting = docs
            .iter()
            .filter(|d| only.is_none_or(|id| d["id"] == id))
            .filter(|d| d["status"] == "uploaded")
            .count();
        if waiting == 0 {
            return Ok(docs.len());
        }
        ensure!(
            Instant::now() < deadline,
            "{waiting} documents still unchecked after 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// With the in-process worker: the upload, then the verification job that reads it back.
#[derive(Debug, Clone, Copy)]
struct WorkerRun {
    upload: Memory,
    /// Baseline as for the upload, peak until the document was checked.
    with_check: Memory,
    upload_secs: f64,
    check_secs: f64,
}

async fn worker_run(bench: &Bench, file: &Path) -> anyhow::Result<WorkerRun> {
    let pid = bench.server.kid.pid();
    let (upload, doc) = server_run(bench, file, None, true).await?;
    let id = doc["id"].as_str().context("no document id")?.to_string();
    // VmHWM is not reset again: it still holds the upload's peak, and now also the check's.
    let sampler = RssSampler::start(pid);
    let started = Instant::now();
    let result = wait_checked(bench, Some(&id)).await;
    let check_secs = started.elapsed().as_secs_f64();
    let sampled = sampler.finish().max(upload.memory.sampled);
    result?;
    let hwm = status_kib(pid, "VmHWM")?;
    Ok(WorkerRun {
        upload: upload.memory,
        with_check: Memory {
            baseline: upload.memory.baseline,
            peak: hwm.max(sampled),
            sampled,
        },
        upload_secs: upload.secs,
        check_secs,
    })
}

fn cpu_cell(c: Option<f64>) -> String {
    c.map_or("-".into(), |c| format!("{c:.2}"))
}

fn print_row(row: &Row, rounds: usize) {
    let mut line = format!("{:<42}", row.label);
    for s in &row.speeds {
        line.push_str(&format!(" {s:>7.1}"));
    }
    for _ in row.speeds.len()..rounds {
        line.push_str("       -");
    }
    line.push_str(&format!("  {:>7.1}", row.median()));
    let cpu: Vec<String> = row
        .cpu
        .iter()
        .map(|(me, server, s3)| {
            format!(
                "{}/{}/{}",
                cpu_cell(Some(*me)),
                cpu_cell(*server),
                cpu_cell(*s3)
            )
        })
        .collect();
    line.push_str(&format!("   {}", cpu.join(" ")));
    if !row.complete.is_empty() {
        let c: Vec<String> = row.complete.iter().map(|c| format!("{c:.2}")).collect();
        line.push_str(&format!("   complete: {} s", c.join(" ")));
    }
    println!("{line}");
}

fn print_memory(label: &str, runs: &[ServerRun]) {
    for (i, r) in runs.iter().enumerate() {
        let m = r.memory;
        println!(
            "  {label} run {}: baseline {:.1} MiB, peak {:.1} MiB (50 ms samples {:.1}), growth {:.1} MiB",
            i + 1,
            m.baseline as f64 / 1024.0,
            m.peak as f64 / 1024.0,
            m.sampled as f64 / 1024.0,
            m.growth_mib()
        );
    }
}

fn report(
    rounds: usize,
    server_rows: &[(bool, Row, Vec<ServerRun>)],
    direct_rows: &[(Direct, Row)],
    local_row: &Row,
    local_runs: &[ServerRun],
    worker: Option<WorkerRun>,
) {
    println!();
    let mut head = format!("{:<42}", "upload of 100 MiB");
    for i in 1..=rounds {
        head.push_str(&format!(" {:>7}", format!("run {i}")));
    }
    head.push_str(&format!(
        "  {:>7}   {}",
        "median", "CPU s per run: client/server/s3s-fs"
    ));
    println!("{head}");
    for (_, row, _) in server_rows {
        print_row(row, rounds);
    }
    for (_, row) in direct_rows {
        print_row(row, rounds);
    }
    if !local_row.speeds.is_empty() {
        print_row(local_row, rounds);
    }

    println!();
    let (best, best_row) = direct_rows
        .iter()
        .map(|(how, row)| (*how, row))
        .max_by(|a, b| a.1.median().total_cmp(&b.1.median()))
        .expect("three direct ways");
    for (_, server_row, _) in server_rows {
        let server = server_row.median();
        let ratio = server / best_row.median();
        println!(
            "ratio {} / fastest direct ({}): {:.2}  (target >= 0.8: {})",
            server_row.label,
            best.label(),
            ratio,
            if ratio >= 0.8 { "met" } else { "MISSED" }
        );
        for (how, row) in direct_rows {
            if *how != best {
                println!(
                    "ratio {} / {}: {:.2}",
                    server_row.label,
                    how.label(),
                    server / row.median()
                );
            }
        }
    }
    for (_, row, server_runs) in server_rows {
        let growth = server_runs
            .iter()
            .map(|r| r.memory.growth_mib())
            .fold(0.0, f64::max);
        // glibc keeps some of what a run freed, so later runs start higher: the peak of every
        // run over the baseline of the first is the larger, more honest number.
        let overall = server_runs
            .iter()
            .map(|r| r.memory.peak.saturating_sub(server_runs[0].memory.baseline) as f64 / 1024.0)
            .fold(0.0, f64::max);
        println!(
            "server peak memory growth, {}: {growth:.1} MiB within one run, {overall:.1} MiB \
             over the first run's baseline  (target <= 64 MiB: {})",
            row.label,
            if growth.max(overall) <= 64.0 {
                "met"
            } else {
                "MISSED"
            }
        );
        print_memory("S3", server_runs);
    }
    if !local_runs.is_empty() {
        let growth = local_runs
            .iter()
            .map(|r| r.memory.growth_mib())
            .fold(0.0, f64::max);
        println!("server peak memory growth, local backend: {growth:.1} MiB");
        print_memory("local", local_runs);
    }
    if let Some(w) = worker {
        println!(
            "with the in-process worker (embedded default), S3 backend: upload {:.1} MiB/s, growth {:.1} MiB \
             during the upload, {:.1} MiB until the verification job was done ({:.1} s after the upload)",
            mib_s(w.upload_secs, FILE_BYTES),
            w.upload.growth_mib(),
            w.with_check.growth_mib(),
            w.check_secs
        );
    }
}
