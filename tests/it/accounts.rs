//! Sign-in, sessions, invitations, password resets and their bad inputs, through the JSON API
//! and through the portal's forms as a browser without JavaScript posts them.

use serde_json::{Value, json};
use ustaz_tests::{PASSWORD, TestApp, token_from};

#[tokio::test]
async fn api_login_me_and_the_same_answer_for_unknown_email_and_wrong_password() {
    let app = TestApp::sqlite().await;
    let api = app.api_as("admin@almaty-mentors.demo").await;
    let me: Value = api.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["email"], "admin@almaty-mentors.demo");
    assert_eq!(
        me["memberships"],
        json!([{"tenant": "almaty-mentors", "role": "tenant_admin"}])
    );

    let wrong = app
        .api()
        .post(
            "/api/v1/auth/login",
            json!({"email": "admin@almaty-mentors.demo", "password": "nope-nope-nope"}),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    let wrong: Value = wrong.json().await.unwrap();
    let unknown = app
        .api()
        .post(
            "/api/v1/auth/login",
            json!({"email": "nobody@almaty-mentors.demo", "password": "nope-nope-nope"}),
        )
        .await;
    assert_eq!(unknown.status(), 401);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(wrong, unknown, "the two failures must be indistinguishable");
    assert_eq!(wrong["error"], "error-credentials");

    assert_eq!(app.api().get("/api/v1/me").await.status(), 401);
    let mut forged = app.api();
    forged.token = Some("forged-token".into());
    assert_eq!(forged.get("/api/v1/me").await.status(), 401);
}

#[tokio::test]
async fn login_is_rate_limited_per_account_with_a_clear_message() {
    let app = TestApp::sqlite().await;
    let body = json!({"email": "coordinator@almaty-mentors.demo", "password": "wrong-password"});
    for _ in 0..5 {
        assert_eq!(
            app.api()
                .post("/api/v1/auth/login", body.clone())
                .await
                .status(),
            401
        );
    }
    // Now even the right password waits: the limit is checked before the password.
    let res = app
        .api()
        .post(
            "/api/v1/auth/login",
            json!({"email": "coordinator@almaty-mentors.demo", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 429);
    // A delay, not a lock: a minute after the fifth failure (it doubles with each further one).
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"], "error-rate-limited");
    assert!(
        err["message"].as_str().unwrap().contains("1 minute"),
        "{err}"
    );
    // Other accounts are not affected.
    app.api_as("mentor@almaty-mentors.demo").await;
}

#[tokio::test]
async fn invitation_by_email_to_accept_and_sign_in_once() {
    let app = TestApp::sqlite().await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let res = admin
        .post(
            "/api/v1/t/almaty-mentors/invitations",
            json!({"email": "New.Person@Example.kz", "role": "psychologist"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let inv: Value = res.json().await.unwrap();
    assert_eq!(inv["email"], "new.person@example.kz");

    // The worker writes the e-mail, in the tenant's language (Russian), with the link.
    let email = app
        .wait_for_email("new.person@example.kz", "/accept-invitation?token=")
        .await;
    assert_eq!(
        email.subject,
        "Приглашение в Almaty Mentors Foundation на Ustaz"
    );
    assert!(
        email.html.contains("<a href=\""),
        "an HTML part with the link"
    );
    assert!(!email.text.contains(PASSWORD), "no password is ever sent");
    let token = token_from(&email, "/accept-invitation");

    let accept =
        json!({"token": token, "full_name": "Жанна Ахметова", "password": "a long new password"});
    assert_eq!(
        app.api()
            .post("/api/v1/auth/accept-invitation", accept.clone())
            .await
            .status(),
        204
    );
    let again = app
        .api()
        .post("/api/v1/auth/accept-invitation", accept)
        .await;
    assert_eq!(again.status(), 422);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "error-invitation-used"
    );

    let login = app
        .api()
        .post(
            "/api/v1/auth/login",
            json!({"email": "new.person@example.kz", "password": "a long new password"}),
        )
        .await;
    assert_eq!(login.status(), 200);
    let users: Value = admin
        .get("/api/v1/t/almaty-mentors/users")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == "new.person@example.kz" && u["role"] == "psychologist")
    );
}

#[tokio::test]
async fn expired_and_unknown_invitations_and_bad_input_are_refused_with_reasons() {
    let app = TestApp::sqlite().await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    for (body, code) in [
        (
            json!({"email": "not-an-email", "role": "coordinator"}),
            "error-email-invalid",
        ),
        (
            json!({"email": "a@b.kz", "role": "platform_admin"}),
            "error-role-invalid",
        ),
        (
            json!({"email": "a@b.kz", "role": "coordinator", "region_id": uuid::Uuid::new_v4()}),
            "error-region-unknown",
        ),
    ] {
        let res = admin
            .post("/api/v1/t/almaty-mentors/invitations", body)
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(res.json::<Value>().await.unwrap()["error"], code);
    }
    let res = admin
        .post("/api/v1/t/almaty-mentors/invitations", json!({"email": 5}))
        .await;
    assert_eq!(res.status(), 422, "a body of the wrong shape is refused");
    let dup = admin
        .post(
            "/api/v1/t/almaty-mentors/invitations",
            json!({"email": "coordinator@almaty-mentors.demo", "role": "coordinator"}),
        )
        .await;
    assert_eq!(dup.status(), 409);
    assert_eq!(
        dup.json::<Value>().await.unwrap()["error"],
        "error-already-member"
    );

    admin
        .post(
            "/api/v1/t/almaty-mentors/invitations",
            json!({"email": "late@example.kz", "role": "trainer"}),
        )
        .await;
    let email = app
        .wait_for_email("late@example.kz", "/accept-invitation?token=")
        .await;
    let token = token_from(&email, "/accept-invitation");
    app.execute("UPDATE invitations SET expires_at = '2020-01-01T00:00:00+00:00'")
        .await;
    let res = app
        .api()
        .post(
            "/api/v1/auth/accept-invitation",
            json!({"token": token, "full_name": "X", "password": "long enough pw"}),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "error-invitation-expired"
    );
    let res = app
        .api()
        .post(
            "/api/v1/auth/accept-invitation",
            json!({"token": "made-up", "full_name": "X", "password": "long enough pw"}),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "error-invitation-invalid"
    );
}

#[tokio::test]
async fn password_reset_by_email_is_single_use_and_ends_sessions() {
    let app = TestApp::sqlite().await;
    let res = app
        .api()
        .post(
            "/api/v1/auth/password-reset",
            json!({"email": "mentor@karaganda-partner.demo"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    // An unknown address gets the same answer.
    let res = app
        .api()
        .post(
            "/api/v1/auth/password-reset",
            json!({"email": "ghost@karaganda-partner.demo"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let bad = app
        .api()
        .post("/api/v1/auth/password-reset", json!({"email": "ghost"}))
        .await;
    assert_eq!(bad.status(), 422);

    // The Karaganda mentor's language is Kazakh.
    let email = app
        .wait_for_email("mentor@karaganda-partner.demo", "/reset-password?token=")
        .await;
    assert_eq!(email.subject, "Ustaz құпиясөзіңіз");
    let token = token_from(&email, "/reset-password");

    let short = app
        .api()
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "password": "short"}),
        )
        .await;
    assert_eq!(
        short.json::<Value>().await.unwrap()["error"],
        "error-password-too-short"
    );
    let ok = app
        .api()
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "password": "my brand new password"}),
        )
        .await;
    assert_eq!(ok.status(), 204);
    let reused = app
        .api()
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "password": "another new password"}),
        )
        .await;
    assert_eq!(
        reused.json::<Value>().await.unwrap()["error"],
        "error-reset-used"
    );
    let login = app
        .api()
        .post(
            "/api/v1/auth/login",
            json!({"email": "mentor@karaganda-partner.demo", "password": "my brand new password"}),
        )
        .await;
    assert_eq!(login.status(), 200);
    assert_eq!(app.emails_to("ghost@karaganda-partner.demo"), 0);

    // A link older than its hour is refused with its own reason.
    app.api()
        .post(
            "/api/v1/auth/password-reset",
            json!({"email": "admin@karaganda-partner.demo"}),
        )
        .await;
    let email = app
        .wait_for_email("admin@karaganda-partner.demo", "/reset-password?token=")
        .await;
    let token = token_from(&email, "/reset-password");
    app.execute(
        "UPDATE password_resets SET expires_at = '2020-01-01T00:00:00+00:00' WHERE used_at IS NULL",
    )
    .await;
    let expired = app
        .api()
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "password": "too late password"}),
        )
        .await;
    assert_eq!(
        expired.json::<Value>().await.unwrap()["error"],
        "error-reset-expired"
    );
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = TestApp::sqlite().await;
    let b = app.browser();
    b.login("admin@almaty-mentors.demo").await;
    assert_eq!(b.get("/t/almaty-mentors").await.status(), 200);
    // Three hours without a click: past the two-hour idle limit.
    app.execute("UPDATE sessions SET last_seen_at = '2020-01-01T00:00:00+00:00'")
        .await;
    assert_eq!(b.get("/t/almaty-mentors").await.status(), 401);
    let left: i64 = {
        use sea_orm::{EntityTrait, PaginatorTrait};
        domain::accounts::entity::session::Entity::find()
            .count(&app.db)
            .await
            .unwrap() as i64
    };
    assert_eq!(left, 0, "the expired session is deleted");
}

#[tokio::test]
async fn portal_sign_in_session_cookie_and_sign_out() {
    let app = TestApp::sqlite().await;
    let b = app.browser();
    let res = b
        .post_form(
            "/login",
            "/api/login",
            &[
                ("email", "admin@almaty-mentors.demo"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 302);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("ustaz_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "no Secure flag over plain http");

    let page = b.get("/t/almaty-mentors").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Almaty Mentors Foundation"));

    // A wrong password on the form comes back to the login page with the reason.
    let other = app.browser();
    let res = other
        .post_form(
            "/login",
            "/api/login",
            &[
                ("email", "admin@almaty-mentors.demo"),
                ("password", "wrong password"),
            ],
        )
        .await;
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.contains("/login?") && location.contains("__err"),
        "{location}"
    );
    let path = location
        .split_once("://")
        .map(|(_, r)| &r[r.find('/').unwrap()..])
        .unwrap_or(&location);
    let page = other.get(path).await.text().await.unwrap();
    assert!(
        page.contains("Неверная эл. почта или пароль."),
        "the error is shown in the page's language"
    );

    let csrf = b.csrf().await;
    let res = b.post_form("/", "/api/logout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 302);
    assert_eq!(b.get("/t/almaty-mentors").await.status(), 401);
}

#[tokio::test]
async fn a_new_session_id_at_every_sign_in() {
    let app = TestApp::sqlite().await;
    let b = app.browser();
    b.login("admin@almaty-mentors.demo").await;
    let first = b.csrf().await;
    b.login("admin@almaty-mentors.demo").await;
    let second = b.csrf().await;
    assert_ne!(first, second, "signing in again starts a new session");
    let sessions = {
        use sea_orm::{EntityTrait, PaginatorTrait};
        domain::accounts::entity::session::Entity::find()
            .count(&app.db)
            .await
            .unwrap()
    };
    assert_eq!(
        sessions, 1,
        "the previous session was ended, not left valid"
    );
}

#[tokio::test]
async fn forms_refuse_missing_csrf_tokens_and_cross_site_posts() {
    let app = TestApp::sqlite().await;
    let b = app.browser();
    b.login("admin@almaty-mentors.demo").await;
    let fields = [("slug", "almaty-mentors"), ("name", "Астана")];
    let res = b
        .post_form(
            "/t/almaty-mentors/regions",
            "/api/create_region",
            &[fields[0], fields[1], ("csrf", "forged")],
        )
        .await;
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.contains("__err"),
        "a forged token is refused: {location}"
    );

    let csrf = b.csrf().await;
    let res = b
        .client
        .post(format!("{}/api/create_region", app.url))
        .header("Origin", "https://evil.example")
        .form(&[fields[0], fields[1], ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "cross-site post refused");

    let regions: Vec<String> = {
        let api = app.api_as("admin@almaty-mentors.demo").await;
        let v: Value = api
            .get("/api/v1/t/almaty-mentors/regions")
            .await
            .json()
            .await
            .unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(regions, vec!["Алматы"], "nothing was created");

    let res = b
        .post_form(
            "/t/almaty-mentors/regions",
            "/api/create_region",
            &[fields[0], fields[1], ("csrf", &csrf)],
        )
        .await;
    assert!(
        !res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("__err")
    );
}

#[tokio::test]
async fn unknown_tenant_is_a_404_page_and_an_oversized_body_is_413() {
    let app = TestApp::sqlite().await;
    let b = app.browser();
    b.login("admin@almaty-mentors.demo").await;
    let res = b.get("/t/no-such-tenant").await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Не найдено"));
    let res = b.get("/no/such/page").await;
    assert_eq!(res.status(), 404);

    let api = app.api_as("admin@almaty-mentors.demo").await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let res = api
        .post("/api/v1/t/almaty-mentors/regions", json!({"name": huge}))
        .await;
    assert_eq!(res.status(), 413);
    let regions: Value = api
        .get("/api/v1/t/almaty-mentors/regions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        regions.as_array().unwrap().len(),
        1,
        "nothing saved, nothing lost"
    );
}

#[tokio::test]
async fn a_session_of_one_tenant_does_not_open_another() {
    let app = TestApp::sqlite().await;
    let b = app.browser();
    b.login("admin@karaganda-partner.demo").await;
    assert_eq!(b.get("/t/karaganda-partner").await.status(), 200);
    for page in [
        "/t/almaty-mentors",
        "/t/almaty-mentors/staff",
        "/t/almaty-mentors/regions",
    ] {
        assert_eq!(b.get(page).await.status(), 404, "{page}");
    }
    let csrf = b.csrf().await;
    let res = b
        .post_form(
            "/t/almaty-mentors/regions",
            "/api/create_region",
            &[
                ("slug", "almaty-mentors"),
                ("name", "Intruder"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("__err")
    );
}

#[tokio::test]
async fn admin_changes_role_and_region_and_cannot_remove_the_last_admin() {
    let app = TestApp::sqlite().await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let users: Value = admin
        .get("/api/v1/t/almaty-mentors/users")
        .await
        .json()
        .await
        .unwrap();
    let find = |email: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap()["membership_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let admin_m = find("admin@almaty-mentors.demo");
    let res = admin
        .patch(
            &format!("/api/v1/t/almaty-mentors/memberships/{admin_m}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "error-last-admin"
    );

    let coord = find("coordinator@almaty-mentors.demo");
    let res = admin
        .patch(
            &format!("/api/v1/t/almaty-mentors/memberships/{coord}"),
            json!({"role": "trainer", "region_id": null}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = admin
        .patch(
            &format!("/api/v1/t/almaty-mentors/memberships/{coord}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), 204);
    // Deactivated: the person can sign in but no longer enters the tenant.
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    assert_eq!(
        coordinator
            .get("/api/v1/t/almaty-mentors/regions")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn operator_creates_a_tenant_and_its_admin_is_invited() {
    let app = TestApp::sqlite().await;
    let operator = app.api_as("operator@ustaz.demo").await;
    let res = operator
        .post(
            "/api/v1/platform/tenants",
            json!({"slug": "pavlodar-ngo", "name": "Pavlodar NGO", "default_locale": "kk", "lead_tenant_slug": "almaty-mentors", "admin_email": "head@pavlodar.kz"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["lead_tenant_slug"], "almaty-mentors");
    let email = app
        .wait_for_email("head@pavlodar.kz", "/accept-invitation?token=")
        .await;
    assert!(email.subject.contains("Pavlodar NGO"), "{email:?}");

    for (body, status, code) in [
        (
            json!({"slug": "pavlodar-ngo", "name": "Again", "default_locale": "ru", "admin_email": "x@y.kz"}),
            409,
            "error-slug-taken",
        ),
        (
            json!({"slug": "API", "name": "Bad", "default_locale": "ru", "admin_email": "x@y.kz"}),
            422,
            "error-slug-invalid",
        ),
        (
            json!({"slug": "ok-slug", "name": "Bad", "default_locale": "ru", "time_zone": "Mars/Base", "admin_email": "x@y.kz"}),
            422,
            "error-time-zone-invalid",
        ),
    ] {
        let res = operator.post("/api/v1/platform/tenants", body).await;
        assert_eq!(res.status(), status);
        assert_eq!(res.json::<Value>().await.unwrap()["error"], code);
    }
    // Tenant admins are not operators.
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    assert_eq!(admin.get("/api/v1/platform/tenants").await.status(), 403);
}

#[tokio::test]
async fn openapi_document_names_the_contract_operations_and_health_checks_answer() {
    let app = TestApp::sqlite().await;
    let doc: Value = app
        .api()
        .get("/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let ops: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|p| {
            p.as_object()
                .unwrap()
                .values()
                .filter_map(|op| op["operationId"].as_str().map(String::from))
        })
        .collect();
    for op in [
        "login",
        "me",
        "list_users",
        "list_regions",
        "create_region",
        "list_institutions",
        "create_institution",
        "list_invitations",
        "create_invitation",
    ] {
        assert!(
            ops.contains(&op.to_string()),
            "operationId {op} missing from {ops:?}"
        );
    }
    assert_eq!(app.api().get("/healthz").await.status(), 200);
    let ready: Value = app.api().get("/readyz").await.json().await.unwrap();
    assert_eq!(ready, json!({"database": true, "queue": true}));
    let res = app.api().get("/healthz").await;
    assert!(res.headers().contains_key("x-request-id"));
}

/// Issue 19, principle 9: an admin renames a region, and removes one made by mistake; a
/// region anything belongs to stays (several tables would follow it out by cascade), and a
/// coordinator can do neither.
#[tokio::test]
async fn an_admin_renames_a_region_and_removes_only_an_unused_one() {
    let app = TestApp::sqlite().await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let regions = "/api/v1/t/almaty-mentors/regions";
    let made: Value = admin
        .post(regions, json!({"name": "Алматы обл."}))
        .await
        .json()
        .await
        .unwrap();
    let id = made["id"].as_str().unwrap();
    let res = admin
        .patch(
            &format!("{regions}/{id}"),
            json!({"name": "Алматинская область"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["name"],
        "Алматинская область"
    );
    let res = coordinator
        .patch(&format!("{regions}/{id}"), json!({"name": "Чужое"}))
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        coordinator
            .delete(&format!("{regions}/{id}"))
            .await
            .status(),
        403
    );
    // A region in use: the demo's regions have staff, programmes and children.
    let all: Value = admin.get(regions).await.json().await.unwrap();
    let used = all
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] != id)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = admin.delete(&format!("{regions}/{used}")).await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "error-region-in-use"
    );
    let before = app.scalar("SELECT COUNT(*) FROM children").await;
    assert_eq!(admin.delete(&format!("{regions}/{id}")).await.status(), 204);
    let after: Value = admin.get(regions).await.json().await.unwrap();
    assert!(after.as_array().unwrap().iter().all(|r| r["id"] != id));
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == used.as_str())
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM children").await, before);
}

/// Every table with a `region_id` column is checked before a region is removed.
#[tokio::test]
async fn every_table_that_points_at_a_region_is_checked_before_one_is_removed() {
    let app = TestApp::sqlite().await;
    let tables: Vec<String> = {
        use sea_orm::ConnectionTrait;
        app.db
            .query_all_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND c.name = 'region_id' ORDER BY m.name",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).unwrap())
            .collect()
    };
    assert_eq!(tables, domain::tenancy::service::REGION_COLUMNS);
}

/// `server create-operator` (issue 21's runbook): a production installation starts with no one;
/// the command makes the first platform operator and prints a link that sets the password.
#[tokio::test]
async fn the_first_operator_comes_from_the_command_line_and_sets_a_password_by_its_link() {
    let app = TestApp::spawn(ustaz_tests::Options {
        in_process_worker: true,
        ..Default::default()
    })
    .await;
    let email = "ops@ngo-network.kz";
    let path = domain::accounts::service::make_operator(&app.db, email, "Айжан Оператор")
        .await
        .unwrap();
    let token = path
        .strip_prefix("/reset-password?token=")
        .expect("a password link");
    // No password yet: no way in but the link.
    let before = app
        .api()
        .post(
            "/api/v1/auth/login",
            json!({"email": email, "password": "a guess of some length"}),
        )
        .await;
    assert_eq!(before.status(), 401);
    let set = app
        .api()
        .post(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "password": "the operator's passphrase"}),
        )
        .await;
    assert_eq!(set.status(), 204);
    let operator = app.api_as_with(email, "the operator's passphrase").await;
    assert_eq!(operator.get("/api/v1/platform/tenants").await.status(), 200);

    // Run again for the same address: the same account, not a second one; the old link stays
    // used. A bad address is refused.
    domain::accounts::service::make_operator(&app.db, email, "Айжан Оператор")
        .await
        .unwrap();
    assert_eq!(
        app.scalar(&format!(
            "SELECT count(*) FROM users WHERE email = '{email}' AND is_platform_admin"
        ))
        .await,
        1
    );
    assert!(
        domain::accounts::service::make_operator(&app.db, "not an address", "X")
            .await
            .is_err()
    );
    // Printed, never e-mailed.
    assert_eq!(app.emails_to(email), 0);
    app.stop().await;
}
