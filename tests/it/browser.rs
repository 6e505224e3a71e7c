//! The portal in a real browser (headless Chromium through chromedriver): the bundle hydrates
//! the server-rendered page (a hydration fault would not show in the HTML), and a person signs
//! in, switches to Kazakh, invites a colleague, who accepts from the e-mail and signs in.

use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use ustaz_tests::{PASSWORD, TestApp, service, token_from};

async fn chromium(webdriver: &str) -> Client {
    // Two TLS back-ends are linked (ring and aws-lc); the WebDriver client needs one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let profile = tempfile::tempdir().unwrap().keep();
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": std::env::var("USTAZ_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display()), "--window-size=1280,900"
            ]
        }
    });
    ClientBuilder::rustls()
        .expect("tls")
        .capabilities(caps.as_object().unwrap().clone())
        .connect(webdriver)
        .await
        .expect("chromedriver session")
}

async fn hydrated(c: &Client) {
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("body[data-hydrated='true']"))
        .await
        .expect("the page hydrates: the wasm bundle loaded and took over without a fault");
}

async fn fill(c: &Client, css: &str, text: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css}"));
    e.clear().await.ok();
    e.send_keys(text).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css}"))
        .click()
        .await
        .unwrap();
}

async fn wait_text(c: &Client, text: &str) {
    for _ in 0..100 {
        if c.source().await.map(|s| s.contains(text)).unwrap_or(false) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "the page never showed {text:?}:\n{}",
        c.source().await.unwrap_or_default()
    );
}

async fn sign_in(c: &Client, app: &TestApp, email: &str, password: &str) {
    c.goto(&format!("{}/login", app.url)).await.unwrap();
    hydrated(c).await;
    fill(c, "#login-form input[name=email]", email).await;
    fill(c, "#login-form input[name=password]", password).await;
    click(c, "#login-form button[type=submit]").await;
}

#[tokio::test]
async fn sign_in_switch_to_kazakh_invite_accept_from_email_and_sign_in() {
    let Some(webdriver) = service("USTAZ_TEST_WEBDRIVER", "browser (Chromium)") else {
        return;
    };
    let app = TestApp::sqlite().await;
    let c = chromium(&webdriver).await;

    sign_in(&c, &app, "admin@almaty-mentors.demo", PASSWORD).await;
    wait_text(&c, "Ваши организации").await;
    hydrated(&c).await;

    click(&c, "button[data-lang='kk']").await;
    wait_text(&c, "Сіздің ұйымдарыңыз").await;

    c.goto(&format!("{}/t/almaty-mentors/staff", app.url))
        .await
        .unwrap();
    hydrated(&c).await;
    wait_text(&c, "Адамды шақыру").await;
    fill(&c, "#invite-form input[name=email]", "kamila@example.kz").await;
    click(&c, "#invite-form button[type=submit]").await;
    // Hydrated: the form is sent by fetch and the answer appears without a page load.
    wait_text(&c, "Шақыру kamila@example.kz мекенжайына жіберілді.").await;
    let body = c.find(Locator::Css("body")).await.unwrap();
    assert_eq!(
        body.attr("data-hydrated").await.unwrap().as_deref(),
        Some("true"),
        "no full reload happened"
    );

    let email = app
        .wait_for_email("kamila@example.kz", "/accept-invitation?token=")
        .await;
    let token = token_from(&email, "/accept-invitation");
    c.goto(&format!("{}/accept-invitation?token={token}", app.url))
        .await
        .unwrap();
    hydrated(&c).await;
    fill(&c, "#accept-form input[name=full_name]", "Камила Серікқызы").await;
    fill(
        &c,
        "#accept-form input[name=password]",
        "kamila's own password",
    )
    .await;
    click(&c, "#accept-form button[type=submit]").await;
    wait_text(&c, "Қош келдіңіз! Енді кіре аласыз.").await;

    sign_in(&c, &app, "kamila@example.kz", "kamila's own password").await;
    wait_text(&c, "Almaty Mentors Foundation").await;
    wait_text(&c, "Камила Серікқызы").await;
    c.close().await.unwrap();
}
