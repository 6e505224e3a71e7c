//! Benchmark for issue 20: a mentor opens "My mentees" on a slow phone. Not a test: it prints a
//! table (see docs/BENCHMARKS.md) and fails only when something does not work, never because a
//! target is missed.
//!
//! ```text
//! cargo xtask test -- delivery          # builds target/site (the bundle) once
//! cargo run --profile ci -p ustaz-tests --bin bench-phone
//! ```
//!
//! It starts the embedded default in-process (SQLite, demo data) serving `target/site`, and
//! Chromium through chromedriver (`USTAZ_TEST_WEBDRIVER` if set, else it starts `chromedriver`
//! itself). For each run, a new browser signs the demo mentor in on a fast link, empties the
//! cache, then — with the DevTools protocol's emulation of a slow phone (1.6 Mbit/s down,
//! 750 kbit/s up, 150 ms round trip, CPU slowed 4×) — loads `/t/almaty-mentors/pairs` cold, and
//! again warm. Reported, median of `BENCH_RUNS` (default 5) runs: first contentful paint; the
//! page usable (its HTML parsed, styles applied, forms working: `DOMContentLoaded`); the wasm
//! islands hydrated (`body[data-hydrated]`); and the bytes on the wire.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::{Client, Locator};
use serde_json::json;
use ustaz_tests::{DEMO_TENANT, PASSWORD, TestApp, cdp, transferred};

/// Records when the page's islands are hydrated, on every document before its own scripts.
const WATCH_HYDRATION: &str = r#"
new MutationObserver(function () {
  if (!window.__hydratedAt && document.body && document.body.getAttribute('data-hydrated') === 'true') {
    window.__hydratedAt = performance.now();
  }
}).observe(document, { attributes: true, subtree: true, childList: true });
"#;

const TIMINGS: &str = r#"
const nav = performance.getEntriesByType('navigation')[0];
const fcp = performance.getEntriesByName('first-contentful-paint')[0];
return [fcp ? fcp.startTime : -1, nav.domContentLoadedEventEnd, window.__hydratedAt || -1, nav.loadEventEnd];
"#;

struct Load {
    fcp: f64,
    usable: f64,
    hydrated: f64,
    bytes: u64,
}

async fn chromium(webdriver: &str) -> anyhow::Result<Client> {
    ustaz_tests::chromium_at(webdriver, 390, 844).await
}

async fn sign_in(c: &Client, base: &str) -> anyhow::Result<()> {
    c.goto(&format!("{base}/login")).await?;
    c.find(Locator::Css("#login-form input[name=email]"))
        .await?
        .send_keys("mentor@almaty-mentors.demo")
        .await?;
    c.find(Locator::Css("#login-form input[name=password]"))
        .await?
        .send_keys(PASSWORD)
        .await?;
    c.find(Locator::Css("#login-form button[type=submit]"))
        .await?
        .click()
        .await?;
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("form.signout"))
        .await?;
    Ok(())
}

/// Loads `url` under the emulation and waits for the islands.
async fn load(c: &Client, url: &str) -> anyhow::Result<Load> {
    c.goto(url).await?;
    c.wait()
        .at_most(Duration::from_secs(180))
        .for_element(Locator::Css("body[data-hydrated='true']"))
        .await
        .context("the page's islands never hydrated")?;
    let t = c.execute(TIMINGS, vec![]).await?;
    let n = |i: usize| t[i].as_f64().unwrap_or(-1.0);
    let bytes = transferred(c).await.iter().map(|(_, n)| n).sum();
    Ok(Load {
        fcp: n(0),
        usable: n(1),
        hydrated: n(2),
        bytes,
    })
}

async fn run(webdriver: &str, base: &str) -> anyhow::Result<(Load, Load)> {
    let c = chromium(webdriver).await?;
    sign_in(&c, base).await?;
    cdp(&c, "Network.enable", json!({})).await;
    cdp(&c, "Network.clearBrowserCache", json!({})).await;
    cdp(
        &c,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": WATCH_HYDRATION }),
    )
    .await;
    cdp(
        &c,
        "Network.emulateNetworkConditions",
        json!({
            "offline": false,
            "latency": 150,
            "downloadThroughput": 1_600_000 / 8,
            "uploadThroughput": 750_000 / 8,
        }),
    )
    .await;
    cdp(&c, "Emulation.setCPUThrottlingRate", json!({ "rate": 4 })).await;
    let url = format!("{base}/t/{DEMO_TENANT}/pairs");
    let cold = load(&c, &url).await?;
    let warm = load(&c, &url).await?;
    c.close().await?;
    Ok((cold, warm))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9516)
}

/// chromedriver, started here when the environment names none; stopped when dropped.
struct Driver(Option<Child>);

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let (webdriver, _driver) = match std::env::var("USTAZ_TEST_WEBDRIVER") {
        Ok(w) if !w.is_empty() => (w, Driver(None)),
        _ => {
            let port = free_port();
            let child = Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("chromedriver (Debian: apt-get install chromium chromium-driver)")?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            (format!("http://127.0.0.1:{port}"), Driver(Some(child)))
        }
    };
    let app = TestApp::sqlite().await;
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for i in 0..runs {
        let (c, w) = run(&webdriver, &app.url).await?;
        eprintln!(
            "run {}: cold fcp {:.0} ms, usable {:.0} ms, hydrated {:.0} ms, {} bytes; warm fcp {:.0} ms, usable {:.0} ms, hydrated {:.0} ms, {} bytes",
            i + 1,
            c.fcp,
            c.usable,
            c.hydrated,
            c.bytes,
            w.fcp,
            w.usable,
            w.hydrated,
            w.bytes
        );
        if c.fcp < 0.0 || c.hydrated < 0.0 {
            bail!("a timing was not recorded");
        }
        cold.push(c);
        warm.push(w);
    }
    let line = |name: &str, v: &[Load]| {
        println!(
            "| {name} | {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} KB |",
            v.len(),
            median(v.iter().map(|l| l.fcp).collect()),
            median(v.iter().map(|l| l.usable).collect()),
            median(v.iter().map(|l| l.hydrated).collect()),
            median(v.iter().map(|l| l.bytes as f64).collect()) / 1024.0,
        )
    };
    println!(
        "| visit | runs | first contentful paint | usable (DOMContentLoaded) | islands hydrated | on the wire |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    line("cold (empty cache)", &cold);
    line("warm (second visit)", &warm);
    Ok(())
}
