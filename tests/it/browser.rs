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

/// Sets form fields by script: date inputs take typed text in the browser's locale format,
/// which a test should not depend on.
async fn set_values(c: &Client, form: &str, values: &[(&str, &str)]) {
    for (name, value) in values {
        let script = format!(
            "const e = document.querySelector('{form} [name={name}]'); if (e.type === 'checkbox') {{ e.checked = {checked}; }} else {{ e.value = arguments[0]; }}",
            checked = *value == "on"
        );
        c.execute(&script, vec![json!(value)])
            .await
            .unwrap_or_else(|e| panic!("{form} {name}: {e}"));
    }
}

#[tokio::test]
async fn an_applicant_checks_registers_applies_uploads_with_progress_and_submits() {
    let Some(webdriver) = service("USTAZ_TEST_WEBDRIVER", "browser (Chromium)") else {
        return;
    };
    let app = TestApp::sqlite().await;
    let c = chromium(&webdriver).await;
    let programme = format!("{}/t/almaty-mentors/apply/mentors-2027", app.url);
    let region = app.programme_region("almaty-mentors", "mentors-2027").await;
    let precheck = [
        ("date_of_birth", "1988-04-12"),
        ("region", region.as_str()),
        ("residence_months", "36"),
        ("youth_work_years", "7"),
        ("days_per_week", "2"),
    ];

    // The public page and its pre-check: one failing rule is named, then a pass.
    c.goto(&programme).await.unwrap();
    hydrated(&c).await;
    set_values(&c, "#precheck", &precheck).await;
    set_values(&c, "#precheck", &[("role_host_head", "on")]).await;
    click(&c, "#precheck button[type=submit]").await;
    let unmet = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#precheck-unmet li"))
        .await
        .expect("the failed rule is listed");
    assert!(!unmet.text().await.unwrap().is_empty());
    hydrated(&c).await;
    set_values(&c, "#precheck", &[("role_host_head", "off")]).await;
    click(&c, "#precheck button[type=submit]").await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#precheck-ok"))
        .await
        .expect("eligible");

    // Register, confirm from the e-mail, sign in and come back to the programme.
    click(&c, "#register-link").await;
    hydrated(&c).await;
    fill(&c, "#register-form input[name=full_name]", "Дана Ермекова").await;
    fill(&c, "#register-form input[name=email]", "dana@example.kz").await;
    fill(
        &c,
        "#register-form input[name=password]",
        "dana's long passphrase",
    )
    .await;
    click(&c, "#register-form button[type=submit]").await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#register-sent"))
        .await
        .expect("check your e-mail");
    let mail = app
        .wait_for_email("dana@example.kz", "/verify-email?token=")
        .await;
    let start = mail.text.find("/verify-email?token=").unwrap();
    let link: String = mail.text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(
        link.contains("next=/t/almaty-mentors/apply/mentors-2027"),
        "{link}"
    );
    c.goto(&format!("{}{link}", app.url)).await.unwrap();
    hydrated(&c).await;
    click(&c, "#verify-form button[type=submit]").await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#verified"))
        .await
        .expect("confirmed");
    click(&c, "#verified + p a").await;
    hydrated(&c).await;
    fill(&c, "#login-form input[name=email]", "dana@example.kz").await;
    fill(
        &c,
        "#login-form input[name=password]",
        "dana's long passphrase",
    )
    .await;
    click(&c, "#login-form button[type=submit]").await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#precheck"))
        .await
        .expect("back on the programme page");
    hydrated(&c).await;
    set_values(&c, "#precheck", &precheck).await;
    click(&c, "#precheck button[type=submit]").await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#start-application button"))
        .await
        .expect("the start button for an eligible, signed-in person")
        .click()
        .await
        .unwrap();

    // The application: save the draft, upload a 6 MB scan with its progress bar.
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#profile-form"))
        .await
        .expect("the application page");
    hydrated(&c).await;
    set_values(
        &c,
        "#profile-form",
        &[
            ("phone", "+7 701 111 22 33"),
            ("occupation", "Социальный педагог"),
            ("experience", "Восемь лет в молодёжных клубах"),
            ("motivation", "Хочу быть рядом"),
            ("lang_kk", "on"),
            ("lang_ru", "on"),
        ],
    )
    .await;
    click(&c, "#profile-form button[type=submit]").await;
    wait_text(&c, "Хочу быть рядом").await;

    let scan = tempfile::Builder::new().suffix(".png").tempfile().unwrap();
    std::fs::write(scan.path(), worker::recruitment::fixtures::png(1500, 1400)).unwrap();
    hydrated(&c).await;
    c.find(Locator::Css("tr[data-doc-type=id_card] input[type=file]"))
        .await
        .unwrap()
        .send_keys(&scan.path().display().to_string())
        .await
        .unwrap();
    click(&c, "tr[data-doc-type=id_card] button[type=submit]").await;
    // The page reloads when the upload is done; the bar reached 100% on the way.
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("tr[data-doc-type=id_card] li.document"))
        .await
        .expect("the uploaded file is listed");
    let progress = c
        .execute(
            "return sessionStorage.getItem('ustaz-upload-progress')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(progress, json!("100"), "the progress bar ran to the end");

    // The rest of the documents through the API, as the same person; then submit on the page.
    let api = app
        .api_as_with("dana@example.kz", "dana's long passphrase")
        .await;
    let appl_id = c
        .current_url()
        .await
        .unwrap()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let recent = (chrono::Utc::now().date_naive() - chrono::Days::new(5)).to_string();
    for doc_type in [
        "education",
        "youth_work",
        "residence",
        "police_clearance",
        "narcology",
        "psychiatric",
        "recommendation",
    ] {
        let res = api
            .upload(
                &format!("/api/v1/t/almaty-mentors/applications/{appl_id}/documents?doc_type={doc_type}&issued_on={recent}"),
                &format!("{doc_type}.pdf"),
                "application/pdf",
                worker::recruitment::fixtures::pdf(1),
            )
            .await;
        assert_eq!(res.status(), 201, "{doc_type}");
    }
    c.refresh().await.unwrap();
    hydrated(&c).await;
    click(&c, "#submit-form button[type=submit]").await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#application-status[data-status=submitted]"))
        .await
        .expect("submitted");
    c.close().await.unwrap();
}
