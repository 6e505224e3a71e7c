//! `cargo xtask run` and `cargo xtask test`: the two commands a fresh machine with only Rust
//! needs. They install the build tools into a tools folder that is reused (`USTAZ_TOOLS_DIR`,
//! default `~/.cache/ustaz/tools`), build, and run or test.

use std::env;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// 0.17 needs a newer rustc than the machine's 1.95.
const S3S_FS_VERSION: &str = "0.14.1";
const AIOSMTPD_VERSION: &str = "1.4.6";
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// kubernetes-validate from PyPI: the Kubernetes manifests are checked against the cluster's
/// own schemas (it carries them, so no network is needed).
const KUBERNETES_VALIDATE_VERSION: &str = "1.37.0";
/// The Compose Specification's JSON schema as the last Python docker-compose shipped it (only
/// its schema file is used; the program itself is never run), checked with jsonschema.
const DOCKER_COMPOSE_VERSION: &str = "1.29.2";
const JSONSCHEMA_VERSION: &str = "4.26.0";
const PYYAML_VERSION: &str = "6.0.3";
const CARGO_LEPTOS_VERSION: &str = "0.3.6";
/// npm's binaryen; Debian's 108 silently breaks the bundle (see docs/ARCHITECTURE.md).
const BINARYEN_VERSION: &str = "132";

fn main() -> Result<()> {
    let args: Vec<String> = env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => run(),
        Some("test") => test(&args[1..]),
        Some("tools") => tools().map(|_| ()),
        Some("fuzz") => fuzz(&args[1..]),
        Some("cluster") => cluster(&args[1..]),
        Some("prune") => {
            prune_target();
            Ok(())
        }
        _ => {
            eprintln!(
                "usage:\n  cargo xtask run    build and start Ustaz on the embedded default\n  cargo xtask test   run the whole test suite (CI=true: nothing may skip)\n  cargo xtask tools  only install the build tools\n  cargo xtask fuzz   fuzz the document inspection (default -runs=10000000; libFuzzer flags after --)\n  cargo xtask cluster  start the production shape here: PostgreSQL, Redis, S3, SMTP, 2 servers behind a TLS balancer, 3 workers\n  cargo xtask prune  remove stale builds of our crates from the target directory"
            );
            std::process::exit(2)
        }
    }
}

fn root() -> PathBuf {
    // Cargo names the package folder at run time too; prefer that. The compile-time value is
    // wrong when two checkouts share one `CARGO_TARGET_DIR` (CI's stable folder and a
    // developer's): cargo then reuses one xtask binary for both, and it would work in the other.
    env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn home() -> PathBuf {
    env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn tools_dir() -> PathBuf {
    env::var_os("USTAZ_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".cache/ustaz/tools"))
}

fn say(msg: &str) {
    eprintln!("\x1b[1;36mxtask:\x1b[0m {msg}");
}

fn status(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let st = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !st.success() {
        bail!("{shown} failed ({st})");
    }
    Ok(())
}

fn output(cmd: &mut Command) -> Option<String> {
    cmd.stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// The version of `name` in Cargo.lock.
fn locked_version(name: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"")
            && let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    bail!("{name} is not in Cargo.lock")
}

/// A cargo (or cargo-leptos) command without the variables `cargo run` gave xtask about itself
/// (`CARGO_PKG_NAME=xtask`, `CARGO_MANIFEST_DIR`, …). Build scripts such as ring's watch some of
/// them: inherited, they made every switch between `cargo xtask test` and a plain `cargo test`
/// rebuild ring, rustls and all that uses them (five minutes here).
fn cargo_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .contains(&key.as_ref())
        {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd
}

/// `cargo install` of a tool into the tools folder, in a temporary target directory (not ours:
/// it neither waits for nor clutters the project's build).
/// `cargo install` into the tools folder. The tools are programs that start other programs or
/// serve tests, so their own speed hardly matters, while their build is most of a fresh
/// machine's set-up: their release profiles (cargo-leptos: fat LTO and one codegen unit, 18 of
/// the 21 minutes a fresh machine spent on tools) are traded for a build that takes a fraction
/// of that. They share one target directory, kept in the tools folder, so the dependencies
/// they have in common (tokio, hyper, serde, …) build once.
fn cargo_install(args: &[&str]) -> Command {
    let mut cmd = cargo_command("cargo");
    cmd.arg("install")
        .args(args)
        .arg("--root")
        .arg(tools_dir())
        .env("CARGO_TARGET_DIR", tools_dir().join("build"))
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    cmd
}

/// Installs what the build needs and returns a PATH with the tools first.
fn tools() -> Result<String> {
    let dir = tools_dir();
    std::fs::create_dir_all(&dir)?;
    let bin = dir.join("bin");
    let npm_bin = dir.join("node_modules/.bin");
    let path = format!(
        "{}:{}:{}",
        bin.display(),
        npm_bin.display(),
        env::var("PATH").unwrap_or_default()
    );

    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        say("adding the wasm32-unknown-unknown target");
        status(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }

    let leptos =
        output(Command::new(bin.join("cargo-leptos")).arg("--version")).unwrap_or_default();
    if !leptos.contains(CARGO_LEPTOS_VERSION) {
        say(&format!(
            "installing cargo-leptos {CARGO_LEPTOS_VERSION} into {} (several minutes, once)",
            dir.display()
        ));
        status(&mut cargo_install(&[
            &format!("cargo-leptos@{CARGO_LEPTOS_VERSION}"),
            "--locked",
        ]))?;
    }

    let wb_version = locked_version("wasm-bindgen")?;
    let wb = output(Command::new(bin.join("wasm-bindgen")).arg("--version")).unwrap_or_default();
    if !wb.ends_with(&wb_version) {
        say(&format!(
            "installing wasm-bindgen-cli {wb_version} (the version in Cargo.lock; about 5 minutes, once)"
        ));
        // Without --locked: its lock file names a crate version the registry mirror lacks.
        status(&mut cargo_install(&[
            "wasm-bindgen-cli",
            "--version",
            &wb_version,
            "--force",
        ]))?;
    }

    let wasm_opt =
        output(Command::new(npm_bin.join("wasm-opt")).arg("--version")).unwrap_or_default();
    if !wasm_opt.contains(&format!("version {BINARYEN_VERSION}")) {
        if output(Command::new("npm").arg("--version")).is_none() {
            bail!(
                "npm is needed to install wasm-opt (binaryen {BINARYEN_VERSION}); on Debian: apt-get install npm"
            );
        }
        say(&format!(
            "installing wasm-opt from npm's binaryen@{BINARYEN_VERSION}"
        ));
        status(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .arg(format!("binaryen@{BINARYEN_VERSION}")),
        )?;
    }
    Ok(path)
}

/// The command that builds the wasm bundle and styles into `target/site`. cargo-leptos builds
/// the wasm in a target directory of its own (`<target>/front`), so it can run beside a native
/// cargo build without waiting for that one's lock.
fn bundle_command(path: &str) -> Command {
    let mut cmd = cargo_command(tools_dir().join("bin/cargo-leptos"));
    cmd.args(["build", "--release", "--frontend-only"])
        .current_dir(root())
        .env("PATH", path);
    cmd
}

fn build(path: &str) -> Result<()> {
    if bundle_is_current() {
        say("the browser bundle is current (its inputs have not changed)");
        return Ok(());
    }
    say("building the browser bundle (cargo leptos build --release --frontend-only)");
    let inputs = bundle_inputs();
    let _ = std::fs::remove_file(bundle_stamp());
    status(&mut bundle_command(path))?;
    finish_site(&root().join("target/site"))?;
    bundle_built(inputs);
    Ok(())
}

/// The bundle's files named by their content and precompressed (issue 20): a browser keeps
/// `pkg/ustaz.<hash>.wasm` for a year without asking again (a new build is a new name), and the
/// server sends the brotli or gzip copy the browser accepts without compressing on each request.
/// `hash.txt` in the site tells the server the names, in the form Leptos reads.
fn finish_site(site: &Path) -> Result<()> {
    use sha2::Digest;
    let pkg = site.join("pkg");
    // An earlier build's names go, with the compressed copies.
    for entry in std::fs::read_dir(&pkg)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_content_named(&name) || name.ends_with(".br") || name.ends_with(".gz") {
            std::fs::remove_file(entry.path())?;
        }
    }
    let mut manifest = String::new();
    for kind in BUNDLE_FILES {
        let plain = pkg.join(format!("ustaz.{kind}"));
        let bytes = std::fs::read(&plain).with_context(|| format!("{}", plain.display()))?;
        let hash = hex::encode(&sha2::Sha256::digest(&bytes)[..8]);
        let named = pkg.join(format!("ustaz.{hash}.{kind}"));
        std::fs::write(&named, &bytes)?;
        precompress(&named, &bytes)?;
        manifest.push_str(&format!("{kind}: {hash}\n"));
    }
    let favicon = site.join("favicon.svg");
    if let Ok(bytes) = std::fs::read(&favicon) {
        precompress(&favicon, &bytes)?;
    }
    std::fs::write(site.join("hash.txt"), manifest)?;
    Ok(())
}

/// The files of the bundle, by their extension (and Leptos's name for them in `hash.txt`).
const BUNDLE_FILES: [&str; 3] = ["js", "wasm", "css"];

/// `ustaz.<16 hex digits>.<ext>`: a name `finish_site` gave.
fn is_content_named(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3
        && parts[0] == "ustaz"
        && parts[1].len() == 16
        && parts[1].chars().all(|c| c.is_ascii_hexdigit())
}

/// Writes `path.br` and `path.gz` beside `path`, each at its strongest setting (it runs once per
/// build; the browser downloads the result on every first visit).
fn precompress(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut br = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut br, &params)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    let gz = gz.finish()?;
    let with = |ext: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    std::fs::write(with(".br"), br)?;
    std::fs::write(with(".gz"), gz)?;
    Ok(())
}

/// What a first visit downloads of the bundle, as served: each file's size raw, brotli and gzip.
fn bundle_sizes(site: &Path) -> Option<String> {
    let manifest = std::fs::read_to_string(site.join("hash.txt")).ok()?;
    let kb = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.len().div_ceil(1024))
            .unwrap_or(0)
    };
    let mut parts = Vec::new();
    let mut total_br = 0;
    for line in manifest.lines() {
        let (kind, hash) = line.split_once(':')?;
        let file = site.join(format!("pkg/ustaz.{}.{kind}", hash.trim()));
        let br = kb(&PathBuf::from(format!("{}.br", file.display())));
        let gz = kb(&PathBuf::from(format!("{}.gz", file.display())));
        total_br += br;
        parts.push(format!(
            "{kind} {} KB (brotli {br} KB, gzip {gz} KB)",
            kb(&file)
        ));
    }
    Some(format!(
        "the browser bundle: {}; {total_br} KB brotli in all",
        parts.join(", ")
    ))
}

/// Everything the browser bundle is built from: the crates it compiles (`frontend` and
/// `domain`, with their styles, assets and translations), the lock file, the workspace
/// manifest (profiles, Leptos metadata), cargo's config and the tools' versions.
fn bundle_inputs() -> u64 {
    use std::hash::{Hash, Hasher};
    let r = root();
    let mut files = vec![
        r.join("Cargo.toml"),
        r.join("Cargo.lock"),
        r.join(".cargo/config.toml"),
    ];
    files.extend(files_under(&r.join("frontend")));
    files.extend(files_under(&r.join("domain")));
    files.sort();
    let mut h = std::hash::DefaultHasher::new();
    (CARGO_LEPTOS_VERSION, BINARYEN_VERSION).hash(&mut h);
    for f in files {
        f.strip_prefix(&r).unwrap_or(&f).hash(&mut h);
        std::fs::read(&f).unwrap_or_default().hash(&mut h);
    }
    h.finish()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Where the inputs of the bundle in `target/site` are recorded (outside the site, which is
/// served).
fn bundle_stamp() -> PathBuf {
    root().join("target/.bundle-inputs")
}

/// Whether `target/site` was built from exactly today's inputs. cargo-leptos runs wasm-bindgen
/// and wasm-opt on every build, changed or not (about two minutes here): skipped when current.
fn bundle_is_current() -> bool {
    root().join("target/site/pkg/ustaz.wasm").is_file()
        && root().join("target/site/hash.txt").is_file()
        && std::fs::read_to_string(bundle_stamp())
            .is_ok_and(|s| s.trim() == bundle_inputs().to_string())
}

/// Records that `target/site` was built from `inputs` (as [`bundle_inputs`] said when its build
/// began: a file edited during the build makes the next run build again).
fn bundle_built(inputs: u64) {
    let _ = std::fs::write(bundle_stamp(), inputs.to_string());
}

/// Targets built with `test = false` or `doctest = false` (their Cargo.toml says why): a test
/// written there would silently never run, so it fails the run instead.
fn hidden_tests() -> Vec<String> {
    let r = root();
    let rust_files = |paths: &[&str]| -> Vec<PathBuf> {
        let mut out = Vec::new();
        for p in paths {
            let p = r.join(p);
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
        out.retain(|f| f.extension().is_some_and(|e| e == "rs"));
        out
    };
    let mut found = Vec::new();
    for f in rust_files(&[
        "frontend/src",
        "server/src",
        "worker/src/main.rs",
        "tests/lib.rs",
        "tests/bin",
    ]) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("#[test]")
                || t.starts_with("#[tokio::test")
                || t.starts_with("#[cfg(test)]")
            {
                found.push(format!(
                    "{}:{}: a test in a target built with `test = false`",
                    f.strip_prefix(&r).unwrap_or(&f).display(),
                    i + 1
                ));
            }
        }
    }
    for f in rust_files(&[
        "domain/src",
        "migrations/src",
        "frontend/src",
        "worker/src",
        "server/src",
        "tests/lib.rs",
    ]) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let mut in_block = false;
        for (i, line) in text.lines().enumerate() {
            let t = line.trim_start();
            let Some(doc) = t.strip_prefix("///").or_else(|| t.strip_prefix("//!")) else {
                continue;
            };
            let Some(info) = doc.trim().strip_prefix("```") else {
                continue;
            };
            if in_block {
                in_block = false;
                continue;
            }
            in_block = true;
            // rustdoc tests a block unless its language says it is not Rust.
            let lang = info.split(',').next().unwrap_or_default().trim();
            if lang.is_empty() || ["rust", "no_run", "should_panic", "compile_fail"].contains(&lang)
            {
                found.push(format!(
                    "{}:{}: a doc test in a library built with `doctest = false`",
                    f.strip_prefix(&r).unwrap_or(&f).display(),
                    i + 1
                ));
            }
        }
    }
    found
}

fn run() -> Result<()> {
    prune_target();
    let path = tools()?;
    build(&path)?;
    // The in-process worker inspects uploads in this program, which it finds beside its own.
    let st = cargo_command("cargo")
        .args([
            "build",
            "--release",
            "--package",
            "verify",
            "--bin",
            "ustaz-verify",
        ])
        .current_dir(root())
        .status()?;
    if !st.success() {
        bail!("building ustaz-verify failed ({st})");
    }
    say("building and starting the server (Ctrl-C stops it gracefully)");
    let mut cmd = cargo_command("cargo");
    cmd.args([
        "run",
        "--release",
        "--package",
        "server",
        "--bin",
        "server",
        "--",
        "serve",
    ])
    .current_dir(root())
    .env("PATH", &path)
    .env("USTAZ_SITE_ROOT", root().join("target/site"));
    // Ctrl-C reaches cargo and the server alike; the server finishes running jobs and exits.
    let st = cmd.status()?;
    if !st.success() && st.code().is_some() {
        bail!("the server exited with {st}");
    }
    Ok(())
}

/// `cargo xtask cluster` (issue 21): builds the site and, in release, `server`, `worker`,
/// `ustaz-verify` and the cluster program (tests/bin/cluster.rs), finds or installs the services
/// the tests use (PostgreSQL, s3s-fs, aiosmtpd; Redis is started by the program) and runs it
/// until Ctrl-C.
fn cluster(args: &[String]) -> Result<()> {
    if let Some(other) = args.iter().find(|a| *a != "--") {
        bail!(
            "`cargo xtask cluster {other}`: the workload with faults (`--scenario`, `--short`) is \
             not written yet; `cargo xtask cluster` starts the topology"
        );
    }
    prune_target();
    let path = tools()?;
    build(&path)?;
    say("building server, worker, ustaz-verify and the cluster program (release)");
    status(
        cargo_command("cargo")
            .args(["build", "--release", "--locked"])
            .args(["--package", "server", "--bin", "server"])
            .args(["--package", "worker", "--bin", "worker"])
            .args(["--package", "verify", "--bin", "ustaz-verify"])
            .args(["--package", "ustaz-tests", "--bin", "cluster"])
            .current_dir(root()),
    )?;
    if which("redis-server").is_none() {
        bail!("redis-server is not installed (Debian: apt-get install redis-server)");
    }
    let services = [postgres(), s3_server(), smtp_server()];
    let bin_dir = target_dir().join("release");
    let mut cmd = Command::new(bin_dir.join("cluster"));
    for s in &services {
        match &s.value {
            Some(v) => cmd.env(s.env, v),
            None => bail!("{}: {}", s.name, s.why_not),
        };
    }
    cmd.env("USTAZ_CLUSTER_BIN_DIR", &bin_dir)
        .env("USTAZ_SITE_ROOT", root().join("target/site"))
        .env("PATH", &path);
    // Ctrl-C reaches the program and its processes alike; it stops what is left.
    let st = cmd.status()?;
    if !st.success() && st.code().is_some() {
        bail!("the cluster exited with {st}");
    }
    Ok(())
}

/// Our own crates and test targets: the only artifacts [`prune_target`] removes.
const OWN_ARTIFACTS: &[&str] = &[
    "domain",
    "migrations",
    "frontend",
    "server",
    "worker",
    "xtask",
    "ustaz_tests",
    "it",
    "bench_upload",
];
/// Hashes kept per crate name. One build has up to four per name (the library, its test
/// harness, a binary and the binary's tests), and a CI clone at another path has its own: eight
/// keeps both checkouts' current builds (fewer made each run delete what the other needs).
const KEEP_BUILDS: usize = 8;
/// Incremental sessions are the bulk (up to 6 GB each for the server and the test binary; 43 GB
/// in all filled the disk again): fewer are kept, at the price of a longer build after
/// switching between the checkout and a CI clone.
const KEEP_INCREMENTAL: usize = 4;

/// The coverage-guided fuzzer of the document inspection: libFuzzer through libfuzzer-sys
/// (what cargo-fuzz drives), built here on stable Rust with cargo-fuzz's instrumentation flags,
/// in its own target directory (other flags would rebuild every dependency of the tests).
const FUZZ_DIR: &str = "worker/verify/fuzz";
const FUZZ_TARGET: &str = "inspect";
/// What `cargo fuzz build` passes with `--sanitizer none`, and debug assertions.
const FUZZ_RUSTFLAGS: &str = "-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
     -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
     -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks";
/// How long every full `cargo xtask test` fuzzes (the long runs are `cargo xtask fuzz`).
const TEST_FUZZ_SECONDS: u64 = 60;

fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn host_triple() -> Result<String> {
    output(Command::new("rustc").arg("-vV"))
        .and_then(|v| {
            v.lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        })
        .context("rustc -vV names no host")
}

/// `cargo build` of the fuzz target; with `--target`, so the flags skip build scripts and
/// proc macros (they would not link without libFuzzer).
fn fuzz_build() -> Result<Command> {
    let mut cmd = cargo_command("cargo");
    cmd.args(["build", "--release", "--locked", "--bin", FUZZ_TARGET])
        .args(["--target", &host_triple()?])
        .current_dir(root().join(FUZZ_DIR))
        .env("CARGO_TARGET_DIR", target_dir().join("fuzz"))
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("RUSTFLAGS", FUZZ_RUSTFLAGS);
    Ok(cmd)
}

/// Runs the built fuzz target over the kept corpus (seeded first) with `limits`; a crash or
/// an allocation over the budget fails with the input's path.
fn fuzz_run(limits: &[String]) -> Result<()> {
    let dir = target_dir().join("fuzz");
    let bin = dir.join(host_triple()?).join("release").join(FUZZ_TARGET);
    let corpus = dir.join("corpus");
    let artifacts = dir.join("findings");
    std::fs::create_dir_all(&artifacts)?;
    status(Command::new(&bin).env("VERIFY_FUZZ_SEEDS", &corpus))?;
    say(&format!(
        "fuzzing the document inspection ({}; corpus {})",
        limits.join(" "),
        corpus.display()
    ));
    merge_corpus(&bin, &dir, &corpus, &artifacts);
    let st = fuzz_target(&bin, &dir, &artifacts)
        .arg(&corpus)
        .args(limits)
        .args(["-print_final_stats=1", "-print_pcs=0"])
        .status()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    if !st.success() {
        bail!(
            "the fuzzer found an input that crashes the inspection or takes more memory than its budget: see {}",
            artifacts.display()
        );
    }
    Ok(())
}

/// The fuzz target with the settings every run shares.
fn fuzz_target(bin: &Path, dir: &Path, artifacts: &Path) -> Command {
    let mut cmd = Command::new(bin);
    // With -jobs, libFuzzer writes fuzz-N.log into the folder it runs in.
    cmd.current_dir(dir)
        // glibc hands blocks over 128 KiB back to the kernel at every free, and trims the heap;
        // the inspection allocates and frees the same big buffers millions of times, so half
        // the fuzzer's CPU went to the kernel (mmap, page faults). Kept, it runs 1.5 times
        // as fast (590 against 880 executions a second, measured on one core, same corpus).
        .env("MALLOC_MMAP_THRESHOLD_", "33554432")
        .env("MALLOC_TRIM_THRESHOLD_", "4294967296")
        .env("MALLOC_TOP_PAD_", "268435456")
        // Documents are bigger, but a fuzzer's mutations rarely keep a compressed stream
        // valid past a few KiB; shorter inputs buy many more executions.
        // The timeout is the inspecting program's CPU limit: what it would end is a finding.
        .args(["-max_len=16384", "-timeout=60", "-rss_limit_mb=2048"])
        .arg(format!("-artifact_prefix={}/", artifacts.display()));
    cmd
}

/// Keeps only the inputs that add coverage (`-merge=1`), once the folder has grown by half
/// since the last time. Every run adds its new inputs to
/// the folder and libFuzzer keeps a quarter of them in memory: 17,708 files (78 MB) took 40 s
/// to load at every start, most of CI's minute. A merge that fails leaves the corpus as it was
/// (the run that follows meets the same input and says what is wrong with it).
fn merge_corpus(bin: &Path, dir: &Path, corpus: &Path, artifacts: &Path) {
    // Only once it has grown by half since the last merge: a merge executes every input once.
    let stamp = dir.join("corpus.merged-size");
    let before = std::fs::read_dir(corpus).map_or(0, |d| d.count());
    let last: usize = std::fs::read_to_string(&stamp)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    if last > 0 && before < last + last / 2 {
        return;
    }
    let merged = dir.join("corpus.merged");
    let _ = std::fs::remove_dir_all(&merged);
    if std::fs::create_dir_all(&merged).is_err() {
        return;
    }
    let log = std::fs::File::create(dir.join("merge.log"));
    let mut cmd = fuzz_target(bin, dir, artifacts);
    cmd.arg("-merge=1").arg(&merged).arg(corpus);
    if let Ok(log) = log
        && let Ok(err) = log.try_clone()
    {
        cmd.stdout(log).stderr(err);
    }
    let merged_ok = cmd.status().is_ok_and(|st| st.success());
    let after = std::fs::read_dir(&merged).map_or(0, |d| d.count());
    if merged_ok && after > 0 {
        let old = dir.join("corpus.old");
        let _ = std::fs::remove_dir_all(&old);
        if std::fs::rename(corpus, &old).is_ok() {
            if std::fs::rename(&merged, corpus).is_ok() {
                let _ = std::fs::remove_dir_all(&old);
                let _ = std::fs::write(&stamp, after.to_string());
                say(&format!(
                    "corpus minimised: {before} inputs kept as {after}"
                ));
                return;
            }
            let _ = std::fs::rename(&old, corpus);
        }
    }
    say(&format!(
        "the corpus could not be minimised (see {}); fuzzing over it as it is",
        dir.join("merge.log").display()
    ));
    let _ = std::fs::remove_dir_all(&merged);
}

/// `cargo xtask fuzz [-- libFuzzer flags]`: the long run (docs/BENCHMARKS.md).
fn fuzz(extra: &[String]) -> Result<()> {
    let mut limits: Vec<String> = extra.iter().filter(|a| *a != "--").cloned().collect();
    if limits.is_empty() {
        limits.push("-runs=10000000".into());
    }
    status(&mut fuzz_build()?)?;
    fuzz_run(&limits)
}

/// Removes stale builds of our own crates from the persistent target directory.
///
/// Every edit, and every checkout at another path (CI clones), leaves a new hash of each
/// workspace crate in `deps/` (the server's rlib alone is ~750 MB) and a new incremental
/// session; nothing ever deletes them, and the shared disk filled up (a CI run failed on
/// "No space left on device"). Dependencies are left alone: their several hashes are
/// different feature sets still in use.
fn prune_target() {
    let target = target_dir();
    let mut freed = 0u64;
    for profile in ["release", "debug", TEST_PROFILE] {
        let dir = target.join(profile);
        freed += prune_dir(&dir.join("deps"), false);
        freed += prune_dir(&dir.join("incremental"), true);
    }
    if freed > 0 {
        say(&format!(
            "pruned {} MiB of stale builds from {}",
            freed >> 20,
            target.display()
        ));
    }
}

/// In `dir`, groups entries `[lib]{name}-{hash}[.ext]` by name and deletes all but the
/// [`KEEP_BUILDS`] newest hashes of each of [`OWN_ARTIFACTS`]; returns the bytes freed.
fn prune_dir(dir: &Path, incremental: bool) -> u64 {
    use std::collections::HashMap;
    use std::time::SystemTime;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    // name -> hash -> (newest mtime, paths)
    let mut groups: HashMap<String, HashMap<String, (SystemTime, Vec<PathBuf>)>> = HashMap::new();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let stem = file.split('.').next().unwrap_or_default();
        let Some((name, hash)) = stem.rsplit_once('-') else {
            continue;
        };
        let name = if incremental {
            name
        } else {
            name.strip_prefix("lib").unwrap_or(name)
        };
        if !OWN_ARTIFACTS.contains(&name) {
            continue;
        }
        let modified = entry
            .metadata()
            .and_then(|m| m.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let slot = groups
            .entry(name.to_owned())
            .or_default()
            .entry(hash.to_owned())
            .or_insert((SystemTime::UNIX_EPOCH, Vec::new()));
        slot.0 = slot.0.max(modified);
        slot.1.push(entry.path());
    }
    let mut freed = 0;
    for hashes in groups.into_values() {
        let mut builds: Vec<_> = hashes.into_values().collect();
        builds.sort_by_key(|b| std::cmp::Reverse(b.0));
        let keep = if incremental {
            KEEP_INCREMENTAL
        } else {
            KEEP_BUILDS
        };
        for (_, paths) in builds.into_iter().skip(keep) {
            for path in paths {
                freed += size_of(&path);
                let _ = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
            }
        }
    }
    freed
}

fn size_of(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|d| d.flatten().map(|e| size_of(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

/// A service the tests can use, or why not.
struct Service {
    name: &'static str,
    env: &'static str,
    value: Option<String>,
    why_not: String,
}

fn reachable(addr: &str) -> bool {
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok())
}

fn wait_for(addr: &str, secs: u64) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if reachable(addr) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

fn which(name: &str) -> Option<PathBuf> {
    env::var("PATH")
        .ok()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// PostgreSQL: `USTAZ_TEST_PG_URL`, else the local cluster (started with pg_ctlcluster if it is
/// installed and down). The URL must be a superuser's: tests create roles and databases.
fn postgres() -> Service {
    let mut s = Service {
        name: "PostgreSQL",
        env: "USTAZ_TEST_PG_URL",
        value: None,
        why_not: String::new(),
    };
    if let Ok(url) = env::var("USTAZ_TEST_PG_URL") {
        s.value = Some(url);
        return s;
    }
    if !reachable("127.0.0.1:5432") && which("pg_ctlcluster").is_some() {
        let clusters = output(Command::new("pg_lsclusters").arg("--no-header")).unwrap_or_default();
        if let Some(line) = clusters.lines().next() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            if parts.len() >= 2 {
                say(&format!(
                    "starting PostgreSQL cluster {} {}",
                    parts[0], parts[1]
                ));
                let _ = Command::new("pg_ctlcluster")
                    .args([parts[0], parts[1], "start"])
                    .status();
            }
        }
    }
    if !wait_for("127.0.0.1:5432", 15) {
        s.why_not = "no PostgreSQL on 127.0.0.1:5432 and USTAZ_TEST_PG_URL is not set".into();
        return s;
    }
    // Local clusters trust the postgres user over the socket; set a password for TCP use.
    if output(
        Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-tAc", "select 1"])
            .env("PGPASSWORD", "postgres"),
    )
    .is_none()
    {
        let _ = Command::new("su")
            .args([
                "postgres",
                "-c",
                "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"",
            ])
            .stdout(Stdio::null())
            .status();
    }
    s.value = Some("postgres://postgres:postgres@127.0.0.1:5432/postgres".into());
    s
}

/// Redis: `USTAZ_TEST_REDIS_URL`, else one started here on port 6390 if redis-server exists.
fn redis(children: &mut Vec<Child>) -> Service {
    let mut s = Service {
        name: "Redis",
        env: "USTAZ_TEST_REDIS_URL",
        value: None,
        why_not: String::new(),
    };
    if let Ok(url) = env::var("USTAZ_TEST_REDIS_URL") {
        s.value = Some(url);
        return s;
    }
    if !reachable("127.0.0.1:6390") {
        match which("redis-server") {
            Some(bin) => {
                if let Ok(child) = Command::new(bin)
                    .args([
                        "--port",
                        "6390",
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                    ])
                    .stdout(Stdio::null())
                    .spawn()
                {
                    children.push(child);
                }
            }
            None => {
                s.why_not =
                    "redis-server is not installed (Debian: apt-get install redis-server)".into();
                return s;
            }
        }
    }
    if wait_for("127.0.0.1:6390", 10) {
        s.value = Some("redis://127.0.0.1:6390".into());
    } else {
        s.why_not = "redis-server did not start on 127.0.0.1:6390".into();
    }
    s
}

/// Chromium through chromedriver, started here.
fn browser(children: &mut Vec<Child>) -> Service {
    let mut s = Service {
        name: "Chromium",
        env: "USTAZ_TEST_WEBDRIVER",
        value: None,
        why_not: String::new(),
    };
    if let Ok(url) = env::var("USTAZ_TEST_WEBDRIVER") {
        s.value = Some(url);
        return s;
    }
    let (Some(driver), Some(_)) = (which("chromedriver"), which("chromium")) else {
        s.why_not = "chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)".into();
        return s;
    };
    if !reachable("127.0.0.1:9515")
        && let Ok(child) = Command::new(driver)
            .args(["--port=9515"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
    {
        children.push(child);
    }
    if wait_for("127.0.0.1:9515", 10) {
        s.value = Some("http://127.0.0.1:9515".into());
    } else {
        s.why_not = "chromedriver did not start on 127.0.0.1:9515".into();
    }
    s
}

/// The S3-compatible server the storage suites start per test: `s3s-fs` from crates.io,
/// installed into the tools folder once (about 2 minutes).
fn s3_server() -> Service {
    let mut s = Service {
        name: "S3 (s3s-fs)",
        env: "USTAZ_TEST_S3S_FS",
        value: None,
        why_not: String::new(),
    };
    if let Ok(bin) = env::var("USTAZ_TEST_S3S_FS") {
        s.value = Some(bin);
        return s;
    }
    let dir = tools_dir();
    let bin = dir.join("bin/s3s-fs");
    if !bin.exists() {
        say(&format!(
            "installing s3s-fs {S3S_FS_VERSION} into {} (about 2 minutes, once)",
            dir.display()
        ));
        let installed = status(&mut cargo_install(&[
            &format!("s3s-fs@{S3S_FS_VERSION}"),
            "--features",
            "binary",
            "--locked",
        ]));
        if let Err(e) = installed {
            s.why_not = format!("s3s-fs could not be installed: {e}");
            return s;
        }
    }
    s.value = Some(bin.display().to_string());
    s
}

/// The SMTP server the e-mail suites start per test: aiosmtpd from PyPI (a real RFC 5321
/// server writing what it receives to a Maildir), in a virtual environment of its own.
fn smtp_server() -> Service {
    let mut s = Service {
        name: "SMTP (aiosmtpd)",
        env: "USTAZ_TEST_AIOSMTPD",
        value: None,
        why_not: String::new(),
    };
    if let Ok(python) = env::var("USTAZ_TEST_AIOSMTPD") {
        s.value = Some(python);
        return s;
    }
    let venv = tools_dir().join("aiosmtpd");
    let python = venv.join("bin/python");
    let ready = || {
        output(Command::new(&python).args(["-c", "import aiosmtpd; print(aiosmtpd.__version__)"]))
            .is_some_and(|v| v.trim() == AIOSMTPD_VERSION)
    };
    if !ready()
        && let Err(e) = pip_install(&venv, "aiosmtpd", AIOSMTPD_VERSION, "seconds")
    {
        s.why_not = e;
        return s;
    }
    s.value = Some(python.display().to_string());
    s
}

/// Installs `package==version` from PyPI into a virtual environment of its own at `venv`.
fn pip_install(venv: &Path, package: &str, version: &str, takes: &str) -> Result<(), String> {
    say(&format!(
        "installing {package} {version} into {} ({takes}, once)",
        venv.display()
    ));
    let python3 = which("python3").ok_or("python3 is not on PATH")?;
    status(Command::new(python3).args(["-m", "venv"]).arg(venv))
        .and_then(|_| {
            status(Command::new(venv.join("bin/pip")).args([
                "install",
                "--quiet",
                &format!("{package}=={version}"),
            ]))
        })
        .map_err(|e| format!("{package} could not be installed: {e}"))
}

/// schemathesis from PyPI (the attacker's suite fuzzes the API with it).
fn schemathesis() -> Service {
    pip_command(
        "API fuzzing (schemathesis)",
        "USTAZ_TEST_SCHEMATHESIS",
        "schemathesis",
        SCHEMATHESIS_VERSION,
        "a minute",
    )
}

/// kubernetes-validate from PyPI (the deployment test checks `deploy/kubernetes` with it).
fn kubernetes_validate() -> Service {
    pip_command(
        "Kubernetes manifests (kubernetes-validate)",
        "USTAZ_TEST_KUBERNETES_VALIDATE",
        "kubernetes-validate",
        KUBERNETES_VALIDATE_VERSION,
        "seconds",
    )
}

/// A Python that can check `deploy/compose.yaml` against the Compose Specification: the
/// schema file of docker-compose (installed without its dependencies; nothing of it runs),
/// jsonschema and PyYAML, in a virtual environment of their own.
fn compose_spec() -> Service {
    let mut s = Service {
        name: "Compose file (compose-spec schema)",
        env: "USTAZ_TEST_COMPOSE_SPEC",
        value: None,
        why_not: String::new(),
    };
    if let Ok(python) = env::var("USTAZ_TEST_COMPOSE_SPEC") {
        s.value = Some(python);
        return s;
    }
    let venv = tools_dir().join("compose-spec");
    let python = venv.join("bin/python");
    let probe = "import importlib.metadata as m; \
        print(m.version('docker-compose'), m.version('jsonschema'), m.version('PyYAML'))";
    let wanted = format!("{DOCKER_COMPOSE_VERSION} {JSONSCHEMA_VERSION} {PYYAML_VERSION}");
    let ready =
        || output(Command::new(&python).args(["-c", probe])).is_some_and(|v| v.trim() == wanted);
    if !ready() {
        let installed =
            pip_install(&venv, "jsonschema", JSONSCHEMA_VERSION, "seconds").and_then(|_| {
                status(Command::new(venv.join("bin/pip")).args([
                    "install",
                    "--quiet",
                    &format!("PyYAML=={PYYAML_VERSION}"),
                ]))
                .and_then(|_| {
                    status(Command::new(venv.join("bin/pip")).args([
                        "install",
                        "--quiet",
                        "--no-deps",
                        &format!("docker-compose=={DOCKER_COMPOSE_VERSION}"),
                    ]))
                })
                .map_err(|e| format!("the compose schema could not be installed: {e}"))
            });
        if let Err(e) = installed {
            s.why_not = e;
            return s;
        }
    }
    s.value = Some(python.display().to_string());
    s
}

/// A command-line tool from PyPI, `package` at `version`, in a virtual environment of its own
/// in the tools folder (its command is named like the package and says its version with
/// `--version`); the variable `var` names another binary instead.
fn pip_command(
    name: &'static str,
    var: &'static str,
    package: &str,
    version: &str,
    takes: &str,
) -> Service {
    let mut s = Service {
        name,
        env: var,
        value: None,
        why_not: String::new(),
    };
    if let Ok(bin) = env::var(var) {
        s.value = Some(bin);
        return s;
    }
    let venv = tools_dir().join(package);
    let bin = venv.join("bin").join(package);
    let ready = || output(Command::new(&bin).arg("--version")).is_some_and(|v| v.contains(version));
    if !ready()
        && let Err(e) = pip_install(&venv, package, version, takes)
    {
        s.why_not = e;
        return s;
    }
    s.value = Some(bin.display().to_string());
    s
}

/// Poppler's `pdftoppm` and `pdftotext`: the report tests render the PDF to images and read
/// where each word landed, as a reader's viewer would.
fn poppler() -> Service {
    let mut s = Service {
        name: "PDF rendering (poppler)",
        env: "USTAZ_TEST_POPPLER",
        value: None,
        why_not: String::new(),
    };
    if let Ok(dir) = env::var("USTAZ_TEST_POPPLER") {
        s.value = Some(dir);
        return s;
    }
    match (which("pdftoppm"), which("pdftotext")) {
        (Some(bin), Some(_)) => {
            s.value = bin.parent().map(|d| d.display().to_string());
        }
        _ => {
            s.why_not =
                "pdftoppm and pdftotext are not installed (Debian: apt-get install poppler-utils)"
                    .into()
        }
    }
    s
}

/// The accessibility checker the browser tests run on every page (issue 20), from npm.
const AXE_VERSION: &str = "4.14.1";

/// axe-core's script, installed from npm into the tools folder once.
fn axe() -> Service {
    let mut s = Service {
        name: "accessibility checks (axe-core)",
        env: "USTAZ_TEST_AXE",
        value: None,
        why_not: String::new(),
    };
    let dir = tools_dir().join("axe");
    let script = dir.join("node_modules/axe-core/axe.min.js");
    let installed = std::fs::read_to_string(dir.join("node_modules/axe-core/package.json"))
        .is_ok_and(|p| p.contains(&format!("\"version\": \"{AXE_VERSION}\"")));
    if !installed {
        say(&format!("installing axe-core {AXE_VERSION} from npm"));
        let done = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(format!("axe-core@{AXE_VERSION}"))
            .status();
        if !matches!(done, Ok(st) if st.success()) {
            s.why_not = format!("npm could not install axe-core@{AXE_VERSION} (is npm installed?)");
            return s;
        }
    }
    s.value = Some(script.display().to_string());
    s
}

/// The profile the tests build in (Cargo.toml says why).
const TEST_PROFILE: &str = "ci";
/// The prefix of the tests that drive Chromium over the browser bundle (`tests/it/browser.rs`).
const BROWSER_TESTS: &str = "browser::";
/// The suites that send hundreds or thousands of requests each: the attacker's
/// (`tests/it/attacks.rs`) and the walk over every form of every page (`tests/it/forms.rs`).
/// Beside the others they crowd every other test's server; the rare page that never answers
/// (see the README's known problems) became frequent when the form walk ran among them.
const HEAVY_TESTS: [&str; 3] = [
    "attacks::a_sweep_of_every_operation",
    "attacks::schemathesis_",
    "forms::every_refused_form_on_every_page",
];

fn test(extra: &[String]) -> Result<()> {
    let ci = env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let hidden = hidden_tests();
    if !hidden.is_empty() {
        bail!(
            "tests that would never run (move them, or turn the target's tests back on in its Cargo.toml):\n  {}",
            hidden.join("\n  ")
        );
    }
    prune_target();

    // Arguments before `--` are cargo's (`-p`, `--test`), after it the test binaries'.
    let split = extra.iter().position(|a| a == "--").unwrap_or(extra.len());
    let (cargo_args, test_args) = extra.split_at(split);
    let cargo_test = |no_run: bool| {
        let mut cmd = cargo_command("cargo");
        cmd.args(["test", "--profile", TEST_PROFILE, "--workspace"])
            .args(cargo_args)
            .current_dir(root())
            .env("USTAZ_TEST_SITE_ROOT", root().join("target/site"));
        if no_run {
            cmd.arg("--no-run");
        } else {
            cmd.arg("--no-fail-fast").args(test_args);
        }
        cmd
    };

    // Build, three things at once so both cores stay busy: the native test binaries (they need
    // none of the tools, so they start first: on a fresh machine they build while the tools
    // install), then the browser bundle (mostly one thread: fat LTO, then wasm-opt) once its
    // tools are there. The tests start as soon as the native binaries are built; only the
    // browser tests wait for the bundle (`wait_for_bundle` in tests/lib.rs), so a single
    // non-browser test after an edit does not wait for it at all.
    let built = Instant::now();
    say(&format!("building the tests (profile `{TEST_PROFILE}`)"));
    let mut native = cargo_test(true).spawn().context("cannot start cargo")?;
    let path = match tools() {
        Ok(path) => path,
        Err(e) => {
            let _ = native.kill();
            return Err(e);
        }
    };
    let bundle = if bundle_is_current() {
        say("the browser bundle is current (its inputs have not changed)");
        None
    } else {
        Some(Bundle::start(&path)?)
    };

    let mut children = Vec::new();
    let services = [
        postgres(),
        redis(&mut children),
        browser(&mut children),
        s3_server(),
        smtp_server(),
        schemathesis(),
        kubernetes_validate(),
        compose_spec(),
        poppler(),
        axe(),
    ];
    let mut skipped = Vec::new();
    for s in &services {
        match &s.value {
            Some(v) => say(&format!("{}: using {v}", s.name)),
            None => skipped.push(format!("{} suites SKIPPED: {}", s.name, s.why_not)),
        }
    }
    for line in &skipped {
        eprintln!("\x1b[1;33m!!! {line}\x1b[0m");
    }
    let stop = |children: &mut Vec<Child>| {
        for c in children {
            let _ = c.kill();
            let _ = c.wait();
        }
    };
    let built_ok = native.wait().map_err(anyhow::Error::from).and_then(|st| {
        if st.success() {
            Ok(())
        } else {
            bail!("building the tests failed ({st})")
        }
    });
    let refused = if ci && !skipped.is_empty() {
        Err(anyhow::anyhow!(
            "CI=true and {} service(s) missing: nothing may be skipped",
            skipped.len()
        ))
    } else {
        Ok(())
    };
    if let Err(e) = built_ok.and(refused) {
        if let Some(b) = bundle {
            b.kill();
        }
        stop(&mut children);
        return Err(e);
    }
    let build_secs = built.elapsed().as_secs();
    say(&format!("test binaries built in {build_secs} s"));
    let partial = !cargo_args.is_empty() || !test_args.is_empty();
    // A full run ends with a short fuzzing of the document inspection; its build (cached in
    // the target directory after the first) goes on beside the tests.
    let fuzz_build = if partial {
        None
    } else {
        say("building the fuzzer of the document inspection beside the tests");
        // One job: the tests keep the other core.
        let mut cargo = fuzz_build()?;
        cargo.args(["--jobs", "1"]);
        Some(cargo.spawn().context("cannot start cargo for the fuzzer")?)
    };

    let ran = Instant::now();
    let inputs = bundle.as_ref().map_or_else(bundle_inputs, |b| b.inputs);
    let test_run = |cmd: &mut Command| {
        cmd.env("PATH", &path);
        for s in &services {
            match &s.value {
                Some(v) => cmd.env(s.env, v),
                None => cmd.env_remove(s.env),
            };
        }
        if ci {
            cmd.env("USTAZ_TEST_REQUIRE_ALL", "1");
        }
        // Most tests wait on sockets, a database or Chromium, not the CPU: twice the cores
        // keeps both cores busy (libtest's default is one thread per core). A developer's own
        // RUST_TEST_THREADS wins.
        if env::var_os("RUST_TEST_THREADS").is_none() {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            cmd.env("RUST_TEST_THREADS", (cores * 2).to_string());
        }
        cmd.env("USTAZ_TEST_BUNDLE_STAMP", bundle_stamp())
            .env("USTAZ_TEST_BUNDLE_INPUTS", inputs.to_string());
        status(cmd)
    };
    let result = if partial {
        test_run(&mut cargo_test(false))
    } else {
        // The attacker's heavy suites (thousands of requests each) run after the rest, so
        // they do not crowd every other test's server; so do the browser tests while the
        // bundle is still building (they would hold test threads waiting for it).
        let mut later: Vec<&str> = HEAVY_TESTS.to_vec();
        if bundle.as_ref().is_some_and(Bundle::running) {
            say("the browser bundle is still building: the browser tests run after the others");
            later.push(BROWSER_TESTS);
        }
        let mut first = cargo_test(false);
        first.arg("--");
        for t in &later {
            first.args(["--skip", t]);
        }
        let others = test_run(&mut first);
        let rest = test_run(
            cargo_command("cargo")
                .args(["test", "--profile", TEST_PROFILE, "--workspace"])
                .args(["--test", "it", "--"])
                .args(&later)
                .current_dir(root())
                .env("USTAZ_TEST_SITE_ROOT", root().join("target/site")),
        );
        others.and(rest)
    };
    let test_secs = ran.elapsed().as_secs();
    // A run of chosen tests that is over needs no bundle: a browser test among them would have
    // waited for it. Stopped, not awaited (cargo keeps what it compiled for the next run).
    let bundled = bundle.map(|b| {
        if partial && b.running() {
            say("no test that ran needed the browser bundle: its build stops here");
            b.kill();
            Ok(0)
        } else {
            b.finish()
        }
    });
    stop(&mut children);
    let fuzzed = Instant::now();
    let fuzz_result = match fuzz_build {
        None => Ok(()),
        Some(mut cargo) => match cargo.wait() {
            Ok(st) if st.success() => fuzz_run(&[format!("-max_total_time={TEST_FUZZ_SECONDS}")]),
            Ok(st) => Err(anyhow::anyhow!("building the fuzzer failed ({st})")),
            Err(e) => Err(e.into()),
        },
    };
    let fuzz_secs = fuzzed.elapsed().as_secs();
    for line in &skipped {
        eprintln!("\x1b[1;33m!!! {line}\x1b[0m");
    }
    let bundle_secs = match &bundled {
        Some(Ok(secs)) => format!("{secs}"),
        Some(Err(_)) => "failed".into(),
        None => "0".into(),
    };
    say(&format!(
        "test binaries built in {build_secs} s, tests ran {test_secs} s, browser bundle {bundle_secs} s beside them (profile `{TEST_PROFILE}`), fuzzing {fuzz_secs} s after them"
    ));
    if let Some(sizes) = bundle_sizes(&root().join("target/site")) {
        say(&sizes);
    }
    // `.ci/run` prints these at its very end, so the trend stays visible.
    if let Some(file) = env::var_os("USTAZ_TIMINGS_FILE") {
        let _ = std::fs::write(
            file,
            format!(
                "build={build_secs}\ntests={test_secs}\nbundle={bundle_secs}\nfuzz={fuzz_secs}\n"
            ),
        );
    }
    result
        .and(bundled.unwrap_or(Ok(0)).map(|_| ()))
        .and(fuzz_result)
}

/// The browser bundle being built in the background. When cargo-leptos ends, the stamp holds
/// the bundle's inputs (or `failed`): browser tests wait for it.
struct Bundle {
    /// What it is being built from.
    inputs: u64,
    child: std::sync::Arc<std::sync::Mutex<Child>>,
    waiter: std::thread::JoinHandle<Result<u64>>,
}

impl Bundle {
    fn start(path: &str) -> Result<Bundle> {
        let log = env::temp_dir().join(format!("ustaz-bundle-{}.log", std::process::id()));
        say(&format!(
            "building the browser bundle in the background (log: {})",
            log.display()
        ));
        let inputs = bundle_inputs();
        let _ = std::fs::remove_file(bundle_stamp());
        let file = std::fs::File::create(&log)?;
        let child = bundle_command(path)
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .context("cannot start cargo-leptos")?;
        let child = std::sync::Arc::new(std::sync::Mutex::new(child));
        let started = Instant::now();
        let watched = child.clone();
        let waiter = std::thread::spawn(move || {
            let st = loop {
                if let Some(st) = watched.lock().expect("not poisoned").try_wait()? {
                    break st;
                }
                std::thread::sleep(Duration::from_millis(200));
            };
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            let _ = std::fs::remove_file(&log);
            let finished = st
                .success()
                .then(|| finish_site(&root().join("target/site")));
            if let Some(Err(e)) = finished {
                let _ = std::fs::write(bundle_stamp(), "failed");
                bail!("the browser bundle could not be named and compressed: {e:#}")
            }
            if st.success() {
                bundle_built(inputs);
                Ok(started.elapsed().as_secs())
            } else {
                let _ = std::fs::write(bundle_stamp(), "failed");
                eprintln!("{output}");
                bail!("the browser bundle failed to build ({st})")
            }
        });
        Ok(Bundle {
            inputs,
            child,
            waiter,
        })
    }

    fn running(&self) -> bool {
        !self.waiter.is_finished()
    }

    fn kill(self) {
        let _ = self.child.lock().expect("not poisoned").kill();
        let _ = self.waiter.join();
    }

    fn finish(self) -> Result<u64> {
        self.waiter
            .join()
            .unwrap_or_else(|_| bail!("the bundle's watcher panicked"))
    }
}
