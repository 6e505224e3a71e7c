//! Issue 19, principle 2: a submission happens once. Back and Save, a double click or a retry
//! does not make a second protocol (or anything else); the repeat is answered as the first was,
//! and the page says it was already done. A mentor can withdraw their own open protocol. And,
//! over every form of every page, as every role: a form sent twice changes nothing the second
//! time.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use server::form_once::{again, digest};
use ustaz_tests::{Browser, DEMO_TENANT, TestApp, demo_today};

use crate::refusals::{Who, concrete_pages};

const T: &str = DEMO_TENANT;
const MENTOR: &str = "mentor@almaty-mentors.demo";

/// A form's fields as the page draws them (hidden values, the values and selections shown,
/// the boxes ticked), by the walk in `forms`.
fn drawn(html: &str, action: &str) -> Vec<(String, String)> {
    crate::forms::forms(html)
        .into_iter()
        .find(|f| f.action == action)
        .unwrap_or_else(|| panic!("no form posting to {action}"))
        .fields
        .iter()
        .filter(|f| f.kind == "hidden")
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect()
}

fn with(mut fields: Vec<(String, String)>, more: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in more {
        fields.retain(|(n, _)| n != k);
        fields.push((k.to_string(), v.to_string()));
    }
    fields
}

async fn send(
    b: &Browser,
    from: &str,
    action: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    b.client
        .post(format!("{}{action}", b.base))
        .header("Accept", "text/html")
        .header("Origin", &b.base)
        .header("Referer", format!("{}{from}", b.base))
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default()
}

fn is_repeat(res: &reqwest::Response) -> bool {
    res.headers()
        .get(server::form_once::REPEAT_HEADER)
        .is_some()
        && location(res).contains("again=1")
}

#[tokio::test]
async fn a_protocol_sent_again_is_recorded_once_and_the_page_says_it_was_already_done() {
    let app = TestApp::sqlite().await;
    let (_, _, pair) = crate::refusals::pair_of(&app).await;
    let page = format!("/t/{T}/pairs/{pair}");
    let mentor = app.browser();
    mentor.login(MENTOR).await;
    let count = || app.scalar("SELECT COUNT(*) FROM meetings");
    let today = demo_today().to_string();
    let protocol = |minutes: &'static str| {
        let today = today.clone();
        move |hidden: Vec<(String, String)>| {
            with(
                hidden,
                &[
                    ("held_on", &today),
                    ("minutes", minutes),
                    ("format", "visit"),
                    ("issues", "Говорили о школе."),
                    ("agreements", ""),
                    ("mood", "good"),
                    ("next_steps", ""),
                ],
            )
        }
    };
    let html = mentor.get(&page).await.text().await.unwrap();
    let first = protocol("60")(drawn(&html, "/api/log_meeting_form"));
    assert!(
        first.iter().any(|(n, v)| n == "once" && v.len() == 32),
        "the form carries its token: {first:?}"
    );

    let res = send(&mentor, &page, "/api/log_meeting_form", &first).await;
    assert!(location(&res).contains("logged=1"), "{}", location(&res));
    assert!(!is_repeat(&res));
    assert_eq!(count().await, 1);

    // Back and Save on the page the browser kept: the same token.
    let res = send(&mentor, &page, "/api/log_meeting_form", &first).await;
    assert!(is_repeat(&res), "{}", location(&res));
    assert_eq!(count().await, 1, "no second protocol");
    let shown = mentor
        .get(location(&res).trim_start_matches(&mentor.base))
        .await
        .text()
        .await
        .unwrap();
    assert!(shown.contains(r#"id="repeat-notice""#), "the page says so");
    assert_eq!(
        shown.matches("data-meeting=").count(),
        1,
        "and shows the one"
    );

    // Back to a page drawn afresh (a new token) that the browser filled with what was typed.
    let html = mentor.get(&page).await.text().await.unwrap();
    let redrawn = protocol("60")(drawn(&html, "/api/log_meeting_form"));
    assert_ne!(redrawn, first, "a new token");
    let res = send(&mentor, &page, "/api/log_meeting_form", &redrawn).await;
    assert!(is_repeat(&res), "{}", location(&res));
    assert_eq!(count().await, 1);

    // A double click: two at once with one token make one protocol.
    let html = mentor.get(&page).await.text().await.unwrap();
    let other = protocol("45")(drawn(&html, "/api/log_meeting_form"));
    let (a, b) = tokio::join!(
        send(&mentor, &page, "/api/log_meeting_form", &other),
        send(&mentor, &page, "/api/log_meeting_form", &other)
    );
    assert_eq!(count().await, 2, "one more, not two");
    assert_eq!(
        [is_repeat(&a), is_repeat(&b)]
            .iter()
            .filter(|r| **r)
            .count(),
        1,
        "one carried out, one answered as a repeat"
    );

    // A refused form is forgotten: corrected, the same token goes through.
    let html = mentor.get(&page).await.text().await.unwrap();
    let hidden = drawn(&html, "/api/log_meeting_form");
    let future = (demo_today() + chrono::Days::new(3)).to_string();
    let refused = with(protocol("30")(hidden.clone()), &[("held_on", &future)]);
    let res = send(&mentor, &page, "/api/log_meeting_form", &refused).await;
    assert!(location(&res).contains("__err="), "{}", location(&res));
    let res = send(
        &mentor,
        &page,
        "/api/log_meeting_form",
        &protocol("30")(hidden),
    )
    .await;
    assert!(!is_repeat(&res) && location(&res).contains("logged=1"));
    assert_eq!(count().await, 3);

    // A deliberate repeat is still possible once something else was sent in between.
    let html = mentor.get(&page).await.text().await.unwrap();
    let concern = with(
        drawn(&html, "/api/raise_concern_form"),
        &[("severity", "low"), ("summary", "Мало спит")],
    );
    let res = send(&mentor, &page, "/api/raise_concern_form", &concern).await;
    assert!(!location(&res).contains("__err="), "{}", location(&res));
    let res = send(
        &mentor,
        &page,
        "/api/log_meeting_form",
        &protocol("30")(drawn(&html, "/api/log_meeting_form")),
    )
    .await;
    assert!(!is_repeat(&res), "{}", location(&res));
    assert_eq!(count().await, 4);

    // Another browser of the same person has its own submissions.
    let phone = app.browser();
    phone.login(MENTOR).await;
    let html = phone.get(&page).await.text().await.unwrap();
    let res = send(
        &phone,
        &page,
        "/api/log_meeting_form",
        &protocol("30")(drawn(&html, "/api/log_meeting_form")),
    )
    .await;
    assert!(!is_repeat(&res));
    assert_eq!(count().await, 5);
}

#[tokio::test]
async fn a_mentor_withdraws_their_own_open_protocol_with_its_attachments_and_a_locked_one_stays() {
    let app = TestApp::sqlite().await;
    let (_, _, pair) = crate::refusals::pair_of(&app).await;
    let page = format!("/t/{T}/pairs/{pair}");
    let api = app.api_as(MENTOR).await;
    let logged = |minutes: u32| {
        json!({"pair_id": pair, "held_on": demo_today().to_string(), "minutes": minutes,
               "format": "visit", "mood": "good"})
    };
    let first: Value = api
        .post(&format!("/api/v1/t/{T}/meetings"), logged(60))
        .await
        .json()
        .await
        .unwrap();
    let first = first["id"].as_str().unwrap().to_string();
    let res = api
        .upload(
            &format!("/api/v1/t/{T}/meetings/{first}/attachments"),
            "plan.pdf",
            "application/pdf",
            worker::recruitment::fixtures::pdf(1),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    // The same file again for the same protocol is the one already there.
    let res = api
        .upload(
            &format!("/api/v1/t/{T}/meetings/{first}/attachments"),
            "plan (1).pdf",
            "application/pdf",
            worker::recruitment::fixtures::pdf(1),
        )
        .await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "error-document-already-uploaded", "{body}");
    let attachments = "SELECT COUNT(*) FROM documents WHERE meeting_id IS NOT NULL";
    assert_eq!(app.scalar(attachments).await, 1);

    // From the page: without the box ticked nothing happens, with it the protocol goes.
    let mentor = app.browser();
    mentor.login(MENTOR).await;
    let html = mentor.get(&page).await.text().await.unwrap();
    assert!(
        html.contains(&format!(r#"data-delete="{first}""#)),
        "a delete form"
    );
    let hidden: Vec<(String, String)> = crate::forms::forms(&html)
        .into_iter()
        .find(|f| {
            f.action == "/api/delete_meeting_form"
                && f.fields.iter().any(|x| x.name == "id" && x.value == first)
        })
        .unwrap()
        .fields
        .iter()
        .filter(|f| f.kind == "hidden")
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect();
    let res = send(&mentor, &page, "/api/delete_meeting_form", &hidden).await;
    assert!(location(&res).contains("__err="), "{}", location(&res));
    let meetings = "SELECT COUNT(*) FROM meetings";
    assert_eq!(app.scalar(meetings).await, 1);
    let res = send(
        &mentor,
        &page,
        "/api/delete_meeting_form",
        &with(hidden, &[("confirm", "yes")]),
    )
    .await;
    assert!(location(&res).contains("deleted=1"), "{}", location(&res));
    assert_eq!(app.scalar(meetings).await, 0);
    assert_eq!(
        app.scalar(attachments).await,
        0,
        "its attachment went with it"
    );
    assert_eq!(
        crate::selection::audit_count(&app, "meeting.deleted").await,
        1
    );

    // By the API; staff cannot withdraw a mentor's protocol, and a locked one stays.
    let second: Value = api
        .post(&format!("/api/v1/t/{T}/meetings"), logged(45))
        .await
        .json()
        .await
        .unwrap();
    let second = second["id"].as_str().unwrap().to_string();
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let res = coordinator
        .delete(&format!("/api/v1/t/{T}/meetings/{second}"))
        .await;
    assert_eq!(res.status(), 403);
    // A week and more ago: locked.
    app.execute("UPDATE meetings SET created_at = '2020-01-01 00:00:00+00:00' WHERE minutes = 45")
        .await;
    let res = api
        .delete(&format!("/api/v1/t/{T}/meetings/{second}"))
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(app.scalar(meetings).await, 1);
    let third: Value = api
        .post(&format!("/api/v1/t/{T}/meetings"), logged(30))
        .await
        .json()
        .await
        .unwrap();
    let res = api
        .delete(&format!(
            "/api/v1/t/{T}/meetings/{}",
            third["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.scalar(meetings).await, 1);
}

/// Row counts of the tables a person's forms write (background work, sessions and the forms'
/// own bookkeeping left out: they change on their own).
async fn snapshot(app: &TestApp) -> BTreeMap<String, i64> {
    let names: Vec<String> = {
        use sea_orm::ConnectionTrait;
        let rows = app
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT name FROM sqlite_master WHERE type = 'table'",
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).unwrap())
            .collect()
    };
    let mut out = BTreeMap::new();
    for name in names {
        let moving = [
            "job",
            "apalis",
            "worker",
            "outbox",
            "mail",
            "session",
            "audit",
            "throttle",
            "form_submissions",
            "sqlite",
            "seaql",
            "notification",
        ];
        if moving.iter().any(|m| name.to_lowercase().contains(m)) {
            continue;
        }
        out.insert(
            name.clone(),
            app.scalar(&format!("SELECT COUNT(*) FROM \"{name}\""))
                .await,
        );
    }
    out
}

/// Over every page, as every role that can open it: each form, filled as the walk in `forms`
/// fills it, is sent; when it was carried out, it is sent again exactly as a browser's Back
/// and Save would, and the second time must be answered as a repeat and change nothing.
#[tokio::test]
async fn every_form_sent_twice_is_carried_out_once() {
    let app = TestApp::sqlite().await;
    let pages = concrete_pages(&app).await;
    let people = crate::forms::signed_in_people(&app).await;
    let mut seen = std::collections::HashSet::new();
    let (mut carried, mut refused) = (Vec::new(), 0);
    for (route, who, address) in pages {
        let viewers: Vec<(&str, &Browser)> = match who {
            Who::Public | Who::Operator | Who::SignedIn => {
                people.iter().map(|(w, b)| (*w, b)).collect()
            }
            Who::Tenant { .. } => people
                .iter()
                .filter(|(w, _)| !w.starts_with("operator@"))
                .map(|(w, b)| (*w, b))
                .collect(),
        };
        for (person, browser) in viewers {
            let res = browser.get(&address).await;
            if res.status() != 200 {
                continue;
            }
            let html = res.text().await.unwrap();
            for form in crate::forms::forms(&html) {
                if !form.fields.iter().any(|f| f.name == "once") {
                    // The language switch and signing out: no record to double.
                    continue;
                }
                if !seen.insert((person, form.action.clone())) {
                    continue;
                }
                let sent = crate::forms::filled(&form);
                let context = format!("{route} as {person}, form {}", form.action);
                let res = send(browser, &address, &form.action, &sent).await;
                assert!(res.status().is_redirection(), "{context}: {}", res.status());
                if location(&res).contains("__err=") {
                    refused += 1;
                    continue;
                }
                assert!(!is_repeat(&res), "{context}: the first sending is new");
                let before = snapshot(&app).await;
                let res = send(browser, &address, &form.action, &sent).await;
                assert!(is_repeat(&res), "{context}: {}", location(&res));
                assert_eq!(snapshot(&app).await, before, "{context}: changed something");
                carried.push(context);
            }
        }
    }
    eprintln!(
        "{} forms carried out and repeated once, {refused} refused as filled:\n{}",
        carried.len(),
        carried.join("\n")
    );
    assert!(
        carried.len() >= 10,
        "only {} forms went through",
        carried.len()
    );
}

#[test]
fn again_goes_into_the_query_before_the_fragment() {
    assert_eq!(again("/t/a/pairs/1"), "/t/a/pairs/1?again=1");
    assert_eq!(
        again("/t/a/pairs/1?logged=1"),
        "/t/a/pairs/1?logged=1&again=1"
    );
    assert_eq!(again("/p?x=1#m-2"), "/p?x=1&again=1#m-2");
    assert_eq!(again("/p?"), "/p?again=1");
}

#[test]
fn the_digest_ignores_the_token_and_the_csrf_field_but_not_the_values() {
    let a = digest("/api/x", b"csrf=1&once=a&held_on=2026-12-01&issues=ok");
    let b = digest("/api/x", b"csrf=2&once=b&held_on=2026-12-01&issues=ok");
    let c = digest("/api/x", b"csrf=1&once=a&held_on=2026-12-02&issues=ok");
    let d = digest("/api/y", b"csrf=1&once=a&held_on=2026-12-01&issues=ok");
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, d);
    // Field boundaries count: "ab" + "c" is not "a" + "bc".
    assert_ne!(digest("/a", b"x=ab&y=c"), digest("/a", b"x=a&y=bc"));
}

/// The same on PostgreSQL (the application role, a unique index raced by two at once).
#[tokio::test]
async fn a_form_sent_again_is_carried_out_once_on_postgres() {
    let Some(app) = crate::selection::on_postgres("forms carried out once on PostgreSQL").await
    else {
        return;
    };
    let mentor = app.browser();
    mentor.login(MENTOR).await;
    let page = format!("/t/{T}/notifications");
    let html = mentor.get(&page).await.text().await.unwrap();
    let form = crate::forms::forms(&html)
        .into_iter()
        .find(|f| f.action == "/api/save_notifications")
        .expect("the notifications form");
    let sent = crate::forms::filled(&form);
    let first = send(&mentor, &page, &form.action, &sent).await;
    assert!(
        !location(&first).contains("__err=") && !is_repeat(&first),
        "{}",
        location(&first)
    );
    let (a, b) = tokio::join!(
        send(&mentor, &page, &form.action, &sent),
        send(&mentor, &page, &form.action, &sent)
    );
    assert!(
        is_repeat(&a) && is_repeat(&b),
        "{} {}",
        location(&a),
        location(&b)
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM form_submissions WHERE done")
            .await,
        1
    );
}
