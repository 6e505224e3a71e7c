//! Issue 20: a lost connection loses nothing. A mentor's phone keeps their pages; protocols
//! written while offline wait on it and go, once each, when the connection returns; one the
//! server refuses comes back with what was typed and why.

use fantoccini::Locator;
use serde_json::{Value, json};
use ustaz_tests::{Connection, PASSWORD, TestApp, cdp, service};

use super::{chromium, click, click_and_wait, fill, set_values, sign_in, wait_for};

const T: &str = "almaty-mentors";

/// Waits until the page's service worker controls it and keeps `urls` (paths).
async fn kept(c: &fantoccini::Client, urls: &[String]) {
    let ok = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; const urls = arguments[0];
             (async () => {
               for (let i = 0; i < 150; i++) {
                 const have = await Promise.all(urls.map(u => caches.match(u, { cacheName: 'ustaz-pages' })));
                 if (navigator.serviceWorker.controller && have.every(Boolean)) return done(true);
                 await new Promise(r => setTimeout(r, 100));
               }
               done(false);
             })();",
            vec![json!(urls)],
        )
        .await
        .unwrap();
    assert_eq!(ok, json!(true), "the phone keeps {urls:?}");
}

async fn count(c: &fantoccini::Client, css: &str) -> usize {
    c.find_all(Locator::Css(css)).await.unwrap().len()
}

/// Polls until `css` matches `n` elements on the current page.
async fn until_count(c: &fantoccini::Client, css: &str, n: usize) {
    for _ in 0..150 {
        if count(c, css).await == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!(
        "{css} never matched {n}:\n{}",
        c.source().await.unwrap_or_default()
    );
}

async fn meetings(app: &TestApp, pair: &str) -> Vec<String> {
    let list: Value = app
        .api_as("coordinator@almaty-mentors.demo")
        .await
        .get(&format!("/api/v1/t/{T}/pairs/{pair}/meetings"))
        .await
        .json()
        .await
        .unwrap();
    let mut issues: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["issues"].as_str().unwrap_or_default().to_string())
        .collect();
    issues.sort();
    issues
}

/// What the meeting form on the current page holds as the protocol's issues.
async fn issues_typed(c: &fantoccini::Client) -> Option<String> {
    c.find(Locator::Css("#log-meeting textarea[name=issues]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
}

/// Writes a protocol into the meeting form on the current page and sends it.
async fn log(c: &fantoccini::Client, day: chrono::NaiveDate, issues: &str, then: &str) {
    wait_for(c, "#log-meeting").await;
    set_values(c, "#log-meeting", &[("held_on", &day.to_string())]).await;
    fill(c, "#log-meeting textarea[name=issues]", issues).await;
    click_and_wait(c, "#log-meeting button[type=submit]", then).await;
}

#[tokio::test]
async fn protocols_written_offline_wait_on_the_phone_and_are_stored_once_when_the_connection_returns()
 {
    let Some(webdriver) = service("USTAZ_TEST_WEBDRIVER", "browser (Chromium)") else {
        return;
    };
    let app = TestApp::sqlite().await;
    let (_, _, pair) = crate::refusals::pair_of(&app).await;
    crate::pairs::pair_began_days_ago(&app, &pair, 21).await;
    let today = crate::pairs::tenant_today(&app).await;
    let days_ago = |n: u64| today - chrono::Days::new(n);
    let c = chromium(&webdriver).await;
    c.set_window_size(360, 740).await.unwrap();
    sign_in(&c, &app, "mentor@almaty-mentors.demo", PASSWORD).await;
    click(&c, "#desk-rules").await;
    wait_for(&c, "#acknowledge-rules").await;
    click_and_wait(&c, "#acknowledge-rules", "#rules-acknowledged").await;

    // Online: the start page has the phone keep itself and the pages its tasks open.
    let start = format!("{}/t/{T}", app.url);
    let pair_page = format!("/t/{T}/pairs/{pair}");
    c.goto(&start).await.unwrap();
    kept(&c, &[format!("/t/{T}"), pair_page.clone()]).await;

    // Installable: the manifest parses and Chromium finds nothing missing.
    let manifest = cdp(&c, "Page.getAppManifest", json!({})).await;
    assert_eq!(manifest["errors"], json!([]), "{manifest}");
    assert!(
        manifest["data"]
            .as_str()
            .unwrap_or_default()
            .contains("Ustaz")
    );
    let installable = cdp(&c, "Page.getInstallabilityErrors", json!({})).await;
    assert_eq!(
        installable["installabilityErrors"],
        json!([]),
        "{installable}"
    );

    // The connection drops. The start page and the pair's page still open, from the phone.
    let connection = Connection::cut(&c).await;
    assert!(
        connection.workers() >= 1,
        "the service worker's network is cut too"
    );
    c.goto(&start).await.unwrap();
    wait_for(&c, &format!("#desk-pairs li[data-pair='{pair}']")).await;
    wait_for(&c, "#outbox:not([hidden]) #outbox-offline:not([hidden])").await;

    // Three protocols, typed and sent offline: each waits on the phone. The last is dated before
    // the pair began, which the server will refuse.
    let texts = [
        (days_ago(1), "Читали вместе без связи"),
        (days_ago(2), "Гуляли в парке, связи не было"),
        (days_ago(30), "Встреча до начала пары"),
    ];
    click(
        &c,
        &format!("#desk-pairs li[data-pair='{pair}'] a[data-task=meeting]"),
    )
    .await;
    for (n, (day, text)) in texts.iter().enumerate() {
        if n > 0 {
            // The same kept page again: its form carries the token the first one used.
            c.goto(&format!("{}{pair_page}", app.url)).await.unwrap();
        }
        log(&c, *day, text, "#outbox-saved:not([hidden])").await;
        until_count(&c, "#outbox-items li[data-state=waiting]", n + 1).await;
    }
    // A concern about the child, raised from the same kept page, waits the same way.
    let worry = "Ребёнок грустил, связи не было";
    c.goto(&format!("{}{pair_page}", app.url)).await.unwrap();
    wait_for(&c, "#raise-concern").await;
    fill(&c, "#raise-concern textarea[name=summary]", worry).await;
    click_and_wait(
        &c,
        "#raise-concern button[type=submit]",
        "#outbox-saved:not([hidden])",
    )
    .await;
    until_count(&c, "#outbox-items li[data-state=waiting]", 4).await;
    let shown = c.find(Locator::Css("#outbox-items")).await.unwrap();
    let shown = shown.html(false).await.unwrap();
    for (_, text) in &texts {
        assert!(shown.contains(text), "what was typed is shown: {shown}");
    }
    assert!(shown.contains(worry), "{shown}");
    assert!(
        meetings(&app, &pair).await.is_empty(),
        "nothing reached the server"
    );

    // The connection returns: the two good ones are stored, once each; the third is refused
    // and stays, saying why.
    connection.restore(&c).await;
    until_count(&c, "#outbox-items li[data-state=waiting]", 0).await;
    until_count(&c, "#outbox-items li[data-state=refused]", 1).await;
    let mut want = vec![texts[0].1.to_string(), texts[1].1.to_string()];
    want.sort();
    assert_eq!(meetings(&app, &pair).await, want);
    let concerns: Value = app
        .api_as("coordinator@almaty-mentors.demo")
        .await
        .get(&format!("/api/v1/t/{T}/concerns"))
        .await
        .json()
        .await
        .unwrap();
    let raised = concerns
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.to_string().contains(worry))
        .count();
    assert_eq!(raised, 1, "the concern is stored once: {concerns}");
    let reason = c
        .find(Locator::Css("#outbox-items li[data-state=refused] p.error"))
        .await
        .expect("the refusal says why")
        .text()
        .await
        .unwrap();
    assert!(reason.len() > 10, "{reason}");

    // Asking again sends nothing twice.
    c.refresh().await.unwrap();
    wait_for(&c, "#outbox-items li[data-state=refused]").await;
    assert_eq!(meetings(&app, &pair).await.len(), 2);

    // Opened, the refused protocol is the form as typed, the date marked; corrected, it is
    // stored and leaves the phone.
    click(&c, "#outbox-items li[data-state=refused] a.button").await;
    wait_for(&c, "#log-meeting [name=held_on][aria-invalid=true]").await;
    let typed = issues_typed(&c).await;
    assert_eq!(typed.as_deref(), Some(texts[2].1));
    // Sent again as it was, it is refused again: still on the phone, still as typed.
    click_and_wait(
        &c,
        "#log-meeting button[type=submit]",
        "#log-meeting [name=held_on][aria-invalid=true]",
    )
    .await;
    wait_for(&c, "#outbox-items li[data-state=refused]").await;
    let typed = issues_typed(&c).await;
    assert_eq!(typed.as_deref(), Some(texts[2].1));
    set_values(&c, "#log-meeting", &[("held_on", &days_ago(3).to_string())]).await;
    click_and_wait(&c, "#log-meeting button[type=submit]", "#pair-notice").await;
    wait_for(&c, "#outbox[data-count='0']").await;
    let mut want: Vec<String> = texts.iter().map(|(_, t)| t.to_string()).collect();
    want.sort();
    assert_eq!(meetings(&app, &pair).await, want);

    c.close().await.ok();
}
