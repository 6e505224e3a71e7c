//! The attacker's suite: each test plays an attack that once worked (or could have), end to
//! end through the API or the portal, and shows it gets nothing.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine;
use http::HeaderMap;
use serde_json::{Value, json};
use server::http::TrustedProxies;
use ustaz_tests::{Options, PASSWORD, TestApp, token_from};

const T: &str = "almaty-mentors";

/// Register first, wait for the invitation: the attacker's account at the victim's address
/// gets no session or token while unconfirmed, and once the real person accepts the
/// invitation, the attacker's password no longer opens it.
#[tokio::test]
async fn registering_an_invitees_address_first_takes_over_nothing() {
    let app = TestApp::sqlite().await;
    let victim = "new.coordinator@example.kz";
    let attacker_password = "attacker's own passphrase";
    let res = app
        .api()
        .post(
            "/api/v1/auth/register",
            json!({"email": victim, "password": attacker_password, "full_name": "Mallory", "locale": "en"}),
        )
        .await;
    assert_eq!(res.status(), 201);

    // Unconfirmed: no API token, and no session from the portal's sign-in form.
    let login = json!({"email": victim, "password": attacker_password});
    let res = app.api().post("/api/v1/auth/login", login.clone()).await;
    assert_eq!(res.status(), 409);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"], "error-email-unverified");
    assert!(
        err["message"].as_str().unwrap().contains("Confirm"),
        "{err}"
    );
    let res = app
        .browser()
        .post_form(
            "/login",
            "/api/login",
            &[("email", victim), ("password", attacker_password)],
        )
        .await;
    // Back to the sign-in page with the error (base64 JSON, as Leptos carries it).
    let location = res.headers()["location"].to_str().unwrap();
    let err = location.split("__err=").nth(1).expect("an error");
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let err = [STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(err).ok())
        .expect("base64");
    assert!(
        String::from_utf8_lossy(&err).contains("error-email-unverified"),
        "{location}"
    );
    assert!(
        !res.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("ustaz_session=")),
        "no session for an unconfirmed account"
    );

    // The admin invites the real person, who accepts with their own password. The preview does
    // not call the attacker's account theirs, so they are asked for a name and a password.
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let res = admin
        .post(
            &format!("/api/v1/t/{T}/invitations"),
            json!({"email": victim, "role": "coordinator"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let mail = app
        .wait_for_email(victim, "/accept-invitation?token=")
        .await;
    let token = token_from(&mail, "/accept-invitation");
    let page = app
        .browser()
        .get(&format!("/accept-invitation?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"full_name\" required"), "{page}");
    let res = app
        .api()
        .post(
            "/api/v1/auth/accept-invitation",
            json!({"token": token, "full_name": "Жанна Ахметова", "password": "the real person's password"}),
        )
        .await;
    assert_eq!(res.status(), 204);

    // The attacker's password is gone; the invitee's works and reaches the tenant.
    let res = app.api().post("/api/v1/auth/login", login).await;
    assert_eq!(res.status(), 401);
    let real = app.api_as_with(victim, "the real person's password").await;
    let me: Value = real.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["full_name"], "Жанна Ахметова");
    assert_eq!(
        me["memberships"],
        json!([{"tenant": T, "role": "coordinator"}])
    );
}

/// A confirmed person invited to another organisation proves the address again by accepting:
/// they choose the password, keep their name, and every older session and token ends.
#[tokio::test]
async fn accepting_an_invitation_ends_the_accounts_other_sessions_and_tokens() {
    let app = TestApp::sqlite().await;
    let mentor = "mentor@karaganda-partner.demo";
    let old_token = app.api_as(mentor).await;
    let b = app.browser();
    b.login(mentor).await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    admin
        .post(
            &format!("/api/v1/t/{T}/invitations"),
            json!({"email": mentor, "role": "trainer"}),
        )
        .await;
    let mail = app
        .wait_for_email(mentor, "/accept-invitation?token=")
        .await;
    let token = token_from(&mail, "/accept-invitation");
    // The password is required even for an existing account.
    let res = app
        .api()
        .post(
            "/api/v1/auth/accept-invitation",
            json!({"token": token, "full_name": "", "password": ""}),
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .api()
        .post(
            "/api/v1/auth/accept-invitation",
            json!({"token": token, "full_name": "", "password": "a password chosen now"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(old_token.get("/api/v1/me").await.status(), 401);
    assert_eq!(
        b.get("/t/karaganda-partner/notifications").await.status(),
        401,
        "the old session ended"
    );
    let api = app.api_as_with(mentor, "a password chosen now").await;
    let me: Value = api.get("/api/v1/me").await.json().await.unwrap();
    assert_ne!(me["full_name"], "", "the name is kept");
    assert_eq!(me["memberships"].as_array().unwrap().len(), 2, "{me}");
}

/// A password reset ends every API token, not only sessions: whoever stole the old password
/// and made a token with it is out.
#[tokio::test]
async fn a_password_reset_revokes_every_api_token() {
    let app = TestApp::sqlite().await;
    let who = "coordinator@almaty-mentors.demo";
    let stolen = app.api_as(who).await;
    assert_eq!(stolen.get("/api/v1/me").await.status(), 200);
    app.api()
        .post("/api/v1/auth/password-reset", json!({"email": who}))
        .await;
    let mail = app.wait_for_email(who, "/reset-password?token=").await;
    let token = token_from(&mail, "/reset-password");
    let res = app
        .api()
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "password": "a fresh long password"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(stolen.get("/api/v1/me").await.status(), 401);
    app.api_as_with(who, "a fresh long password").await;
}

/// Tokens are listed (never shown again) with their last use, and revoked by their owner only.
#[tokio::test]
async fn api_tokens_are_listed_and_revoked_by_their_owner_only() {
    let app = TestApp::sqlite().await;
    let who = "psychologist@almaty-mentors.demo";
    let first = app.api_as(who).await;
    let second = app.api_as(who).await;
    assert_eq!(second.get("/api/v1/me").await.status(), 200);
    let list: Value = first.get("/api/v1/me/tokens").await.json().await.unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    for t in list {
        assert_eq!(t["active"], true);
        assert!(t["expires_at"].is_string());
        assert!(t.get("token").is_none() && t.get("token_hash").is_none());
        assert!(t["last_used_at"].is_string(), "both were used: {t}");
    }
    // Newest first: the second token.
    let second_id = list[0]["id"].as_str().unwrap().to_string();

    // Someone else cannot revoke it, not even an admin of the same tenant.
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let res = admin
        .delete(&format!("/api/v1/me/tokens/{second_id}"))
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(second.get("/api/v1/me").await.status(), 200);
    let res = app
        .api()
        .delete(&format!("/api/v1/me/tokens/{second_id}"))
        .await;
    assert_eq!(res.status(), 401);

    // The owner revokes it from the other token; it stops working at once.
    let res = first
        .delete(&format!("/api/v1/me/tokens/{second_id}"))
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(second.get("/api/v1/me").await.status(), 401);
    assert_eq!(first.get("/api/v1/me").await.status(), 200);
    let list: Value = first.get("/api/v1/me/tokens").await.json().await.unwrap();
    let revoked = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == second_id.as_str())
        .unwrap();
    assert_eq!(revoked["active"], false);
    assert!(revoked["revoked_at"].is_string());
    // A bad id is a 4xx with the documented body, not a 500.
    let res = first.delete("/api/v1/me/tokens/not-a-uuid").await;
    assert!(res.status().is_client_error(), "{}", res.status());
}

/// An unconfirmed person asks for a new link from the sign-in page; the answer is the same for
/// an address that has no account, and only the waiting address gets a link.
#[tokio::test]
async fn a_new_confirmation_link_from_the_sign_in_page_reveals_nothing() {
    let app = TestApp::sqlite().await;
    let waiting = "waiting@example.kz";
    app.api()
        .post(
            "/api/v1/auth/register",
            json!({"email": waiting, "password": "a long enough password", "full_name": "Wait", "locale": "ru"}),
        )
        .await;
    app.wait_for_email(waiting, "/verify-email?token=").await;
    for email in [waiting, "nobody@example.kz", "admin@almaty-mentors.demo"] {
        let res = app
            .api()
            .post("/api/v1/auth/verify-email/resend", json!({"email": email}))
            .await;
        assert_eq!(res.status(), 202, "{email}");
    }
    let res = app
        .api()
        .post("/api/v1/auth/verify-email/resend", json!({"email": "nope"}))
        .await;
    assert_eq!(res.status(), 422);
    // The portal's form, without script: back on the sign-in page with the notice.
    let res = app
        .browser()
        .post_form("/login", "/api/resend_confirmation", &[("email", waiting)])
        .await;
    assert!(res.status().is_redirection() || res.status().is_success());
    for _ in 0..50 {
        if app.emails_to(waiting) >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.emails_to(waiting), 3, "the first link and two more");
    assert_eq!(app.emails_to("nobody@example.kz"), 0);
    assert!(
        !app.outbox()
            .iter()
            .any(|e| e.to == "admin@almaty-mentors.demo" && e.text.contains("/verify-email")),
        "a confirmed address gets no link"
    );
}

/// Sign-in through the API as from `client` behind the test's proxy (127.0.0.1).
async fn login_from(app: &TestApp, xff: &str, email: &str, password: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.url))
        .header("x-forwarded-for", xff)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Behind a load balancer every request comes from one address. Trusting the balancer's
/// `X-Forwarded-For`, one guesser is slowed and the rest of the organisation is not; a guess
/// aimed at a named person from elsewhere does not lock her out; a forged hop changes nothing.
#[tokio::test]
async fn behind_a_trusted_proxy_one_guesser_locks_out_no_one_else() {
    let app = TestApp::spawn(Options {
        seed: true,
        in_process_worker: true,
        trusted_proxies: Some("127.0.0.1/32".into()),
        ..Default::default()
    })
    .await;
    let guesser = "198.51.100.7";
    let mut statuses = Vec::new();
    for i in 0..52 {
        statuses.push(login_from(&app, guesser, &format!("u{i}@example.kz"), "wrong guess").await);
    }
    assert!(statuses[..50].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[50..], [429, 429]);
    // A forged left-most hop: the balancer appended the real address, which is still slowed.
    assert_eq!(
        login_from(
            &app,
            &format!("203.0.113.1, {guesser}"),
            "u@example.kz",
            "wrong"
        )
        .await,
        429
    );
    // The office behind the same balancer signs in.
    assert_eq!(
        login_from(
            &app,
            "198.51.100.8",
            "coordinator@almaty-mentors.demo",
            PASSWORD
        )
        .await,
        200
    );

    // Ten guesses at the psychologist's password from one place; she signs in from hers.
    let psychologist = "psychologist@almaty-mentors.demo";
    for _ in 0..10 {
        login_from(&app, "203.0.113.50", psychologist, "wrong guess").await;
    }
    assert_eq!(
        login_from(&app, "203.0.113.50", psychologist, PASSWORD).await,
        429
    );
    assert_eq!(
        login_from(&app, "198.51.100.9", psychologist, PASSWORD).await,
        200
    );
}

/// Without trusted proxies nobody's `X-Forwarded-For` is believed: rotating it does not escape
/// the per-address limit.
#[tokio::test]
async fn an_untrusted_forwarded_for_header_is_ignored() {
    let app = TestApp::sqlite().await;
    for i in 0..50 {
        let status = login_from(
            &app,
            &format!("198.51.100.{i}"),
            &format!("u{i}@example.kz"),
            "wrong",
        )
        .await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        login_from(&app, "198.51.100.200", "u@example.kz", "wrong").await,
        429
    );
}

/// Twenty guesses at once get no more tries than twenty in a row: the attempt is written down
/// before the password is checked.
#[tokio::test]
async fn a_burst_of_parallel_guesses_gets_no_more_tries_than_a_sequence() {
    let app = TestApp::sqlite().await;
    let who = "trainer@almaty-mentors.demo";
    let guesses = (0..20).map(|i| {
        let app = &app;
        async move { login_from(app, "198.51.100.1", who, &format!("guess number {i}")).await }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let slowed = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + slowed, 20, "{statuses:?}");
    assert!(checked <= 5, "{checked} passwords checked: {statuses:?}");
    let failures: i64 = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM login_failures WHERE email = '{who}'"
        ))
        .await;
    assert_eq!(
        failures as usize, checked,
        "only checked guesses count as failures"
    );
}

/// Registration, password resets and new confirmation links cost a hash or an e-mail, and
/// anyone can ask: one address cannot flood them, and no inbox gets more than a few.
#[tokio::test]
async fn floods_of_registrations_and_reset_mails_are_refused_with_a_wait() {
    let app = TestApp::spawn(Options {
        seed: true,
        in_process_worker: true,
        trusted_proxies: Some("127.0.0.1".into()),
        ..Default::default()
    })
    .await;
    let post = |xff: &'static str, path: &'static str, body: Value| {
        let url = format!("{}{path}", app.url);
        async move {
            reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", xff)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    // One machine registers twenty people (an office, an event's Wi-Fi); the 21st waits.
    for i in 0..20 {
        let res = post(
            "198.51.100.20",
            "/api/v1/auth/register",
            json!({"email": format!("p{i}@example.kz"), "password": "a long enough password", "full_name": "P", "locale": "ru"}),
        )
        .await;
        assert_eq!(res.status(), 201, "registration {i}");
    }
    let res = post(
        "198.51.100.20",
        "/api/v1/auth/register",
        json!({"email": "p21@example.kz", "password": "a long enough password", "full_name": "P", "locale": "ru"}),
    )
    .await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 3600, "{retry}");
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"], "error-rate-limited");
    // Someone else is not affected.
    let res = post(
        "198.51.100.21",
        "/api/v1/auth/register",
        json!({"email": "p21@example.kz", "password": "a long enough password", "full_name": "P", "locale": "ru"}),
    )
    .await;
    assert_eq!(res.status(), 201);

    // Reset links to one inbox, from many machines: five, then a wait, whoever asks.
    let victim = "coordinator@almaty-mentors.demo";
    let sources = [
        "203.0.113.1",
        "203.0.113.2",
        "203.0.113.3",
        "203.0.113.4",
        "203.0.113.5",
        "203.0.113.6",
    ];
    let mut statuses = Vec::new();
    for xff in sources {
        let res = post(xff, "/api/v1/auth/password-reset", json!({"email": victim})).await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429]);
    // The same answer for an address without an account: the limit reveals nothing.
    let mut statuses = Vec::new();
    for xff in sources {
        let res = post(
            xff,
            "/api/v1/auth/password-reset",
            json!({"email": "ghost@example.kz"}),
        )
        .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429]);
    for _ in 0..50 {
        if app.emails_to(victim) >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.emails_to(victim), 5);
}

// ---------------------------------------------------------------- the client's address (pure)
// (The server crate has no unit-test harness of its own: see its Cargo.toml.)

fn headers(xff: &[&str]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for v in xff {
        h.append("x-forwarded-for", v.parse().unwrap());
    }
    h
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn only_our_proxies_are_believed_and_only_for_what_they_appended() {
    let proxies = TrustedProxies(Arc::new(vec!["10.0.0.0/8".parse().unwrap()]));
    // Straight from the internet: the header is the client's own words, ignored.
    assert_eq!(
        proxies.client_ip(ip("203.0.113.9"), &headers(&["1.2.3.4"])),
        ip("203.0.113.9")
    );
    // Through our balancer: the address it appended.
    assert_eq!(
        proxies.client_ip(ip("10.0.0.2"), &headers(&["198.51.100.7"])),
        ip("198.51.100.7")
    );
    // A client that forges a first hop gets its real address, not the forged one.
    assert_eq!(
        proxies.client_ip(ip("10.0.0.2"), &headers(&["1.1.1.1, 198.51.100.7"])),
        ip("198.51.100.7")
    );
    // Two of our proxies in a row, the header split over two lines.
    assert_eq!(
        proxies.client_ip(ip("10.0.0.2"), &headers(&["198.51.100.7", "10.0.0.3"])),
        ip("198.51.100.7")
    );
    // Garbage where our proxy's hop should be: the proxy, never something made up.
    assert_eq!(
        proxies.client_ip(ip("10.0.0.2"), &headers(&["not-an-ip"])),
        ip("10.0.0.2")
    );
    // No proxies configured: nobody's header is believed.
    assert_eq!(
        TrustedProxies::default().client_ip(ip("10.0.0.2"), &headers(&["198.51.100.7"])),
        ip("10.0.0.2")
    );
}
