//! Scheduled reminders and the preferences that govern them (issue 6): the overdue-protocol
//! reminder runs once per tenant and day however many workers tick, reaches the mentor first
//! and the coordinators later, once per missed due date, and not those who unsubscribed.

use serde_json::{Value, json};
use ustaz_tests::{DEMO_TENANT, TestApp, token_from};
use worker::schedule::{Scheduler, run_due};

use crate::pairs::pair_began_days_ago;
use crate::refusals::pair_of;
use crate::selection::{ok, refused};
use crate::selection_pages::{signed_in, submit};

const MENTOR: &str = "mentor@almaty-mentors.demo";
const COORDINATOR: &str = "coordinator@almaty-mentors.demo";

fn scheduler(app: &TestApp) -> Scheduler {
    Scheduler {
        db: app.db.clone(),
        reminder_hour: 0,
    }
}

/// Waits for the overdue-protocol reminder to `to` about `path`.
async fn wait_for_reminder(app: &TestApp, to: &str, path: &str) -> ustaz_tests::Email {
    for _ in 0..150 {
        if let Some(e) = app
            .outbox()
            .into_iter()
            .find(|e| e.to == to && e.text.contains(path) && e.subject.contains("ротокол"))
        {
            return e;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no reminder to {to} about {path}: {:?}", app.outbox());
}

/// Overdue-protocol reminders to `to` that link to `path`, once the queue is idle (the mentor
/// also had the match e-mail, which links to the pair too).
async fn reminders_to(app: &TestApp, to: &str, path: &str) -> usize {
    for _ in 0..100 {
        let idle = domain::jobs::backlog(&app.db).await.unwrap() == 0;
        if idle {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The worker polls every 300 ms; give it time to take what the relay handed over.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.outbox()
        .iter()
        .filter(|e| e.to == to && e.text.contains(path) && e.subject.contains("ротокол"))
        .count()
}

#[tokio::test]
async fn an_overdue_protocol_reminds_the_mentor_first_then_the_coordinators_once_each() {
    let app = TestApp::sqlite().await;
    let (_, _, pair) = pair_of(&app).await;
    // Weekly cadence: begun 10 days ago with no meeting, the pair is 3 days late.
    pair_began_days_ago(&app, &pair, 10).await;
    let s = scheduler(&app);
    let now = chrono::Utc::now();

    // Two workers tick at once, and again: each tenant's day runs once.
    let (a, b) = tokio::join!(run_due(&s, now), run_due(&s, now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.reminder_runs + b.reminder_runs, 2, "{a:?} {b:?}");
    assert_eq!(run_due(&s, now).await.unwrap().reminder_runs, 0);

    let path = format!("/t/{DEMO_TENANT}/pairs/{pair}");
    let first = wait_for_reminder(&app, MENTOR, &path).await;
    assert!(
        first.subject.contains("Просрочен протокол"),
        "{}",
        first.subject
    );
    assert!(first.text.contains("дней просрочки: 3"), "{}", first.text);
    assert!(
        first
            .list_unsubscribe
            .as_deref()
            .is_some_and(|h| h.contains("/api/v1/unsubscribe?token=")),
        "{:?}",
        first.list_unsubscribe
    );
    assert_eq!(reminders_to(&app, MENTOR, &path).await, 1);
    assert_eq!(
        reminders_to(&app, COORDINATOR, &path).await,
        0,
        "the coordinators wait for the longer delay"
    );

    // Five days later (8 late): the coordinators are told, naming the mentor; the mentor
    // is not reminded twice of the same missed meeting.
    let later = now + chrono::Duration::days(5);
    assert_eq!(run_due(&s, later).await.unwrap().reminder_runs, 2);
    let told = wait_for_reminder(&app, COORDINATOR, &path).await;
    assert!(told.text.contains("Тәлімгер / Mentor"), "{}", told.text);
    assert!(
        ["Алия", "Ерлан"]
            .iter()
            .all(|n| !told.text.contains(n) && !told.html.contains(n)),
        "no child's name"
    );
    assert_eq!(reminders_to(&app, MENTOR, &path).await, 1);

    // The mentor unsubscribes with one click (the header's POST): a new missed date reaches
    // the coordinators only.
    let token = token_from(&first, "/unsubscribe");
    let api = app.api();
    let res = api
        .post(
            &format!("/api/v1/unsubscribe?token={token}&topic=protocol_overdue"),
            json!({}),
        )
        .await;
    let body = ok(res, 200).await;
    assert_eq!(body["topic"], "protocol_overdue");
    assert_eq!(body["tenant_name"], "Almaty Mentors Foundation");
    let mentor = app.api_as(MENTOR).await;
    let prefs = ok(
        mentor
            .get(&format!("/api/v1/t/{DEMO_TENANT}/me/notifications"))
            .await,
        200,
    )
    .await;
    assert_eq!(enabled(&prefs, "protocol_overdue"), Some(false));
    assert_eq!(enabled(&prefs, "reports"), Some(true));
    pair_began_days_ago(&app, &pair, 30).await;
    let even_later = now + chrono::Duration::days(6);
    assert_eq!(run_due(&s, even_later).await.unwrap().reminder_runs, 2);
    let _ = app.wait_for_email(COORDINATOR, "дней просрочки: 29").await;
    assert_eq!(reminders_to(&app, MENTOR, &path).await, 1, "unsubscribed");
    assert_eq!(reminders_to(&app, COORDINATOR, &path).await, 2);
}

fn enabled(prefs: &Value, topic: &str) -> Option<bool> {
    prefs["topics"]
        .as_array()?
        .iter()
        .find(|t| t["topic"] == topic)
        .and_then(|t| t["enabled"].as_bool())
}

#[tokio::test]
async fn preferences_are_each_persons_own_and_bad_input_is_refused() {
    let app = TestApp::sqlite().await;
    let path = format!("/api/v1/t/{DEMO_TENANT}/me/notifications");
    let mentor = app.api_as(MENTOR).await;
    let set = ok(
        mentor
            .put(
                &path,
                json!({"topics": [{"topic": "reports", "enabled": false}]}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(enabled(&set, "reports"), Some(false));
    assert_eq!(enabled(&set, "protocol_overdue"), Some(true));
    // A change of one topic keeps the others.
    let set = ok(
        mentor
            .put(
                &path,
                json!({"topics": [{"topic": "tomorrow", "enabled": false}]}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(enabled(&set, "reports"), Some(false));
    assert_eq!(enabled(&set, "tomorrow"), Some(false));
    // Someone else's switches are their own.
    let coordinator = app.api_as(COORDINATOR).await;
    let theirs = ok(coordinator.get(&path).await, 200).await;
    assert_eq!(enabled(&theirs, "reports"), Some(true));

    for (bad, code) in [
        (
            json!({"topics": [{"topic": "lottery", "enabled": false}]}),
            "error-bad-request",
        ),
        (
            json!({"topics": [{"topic": "reports", "enabled": false}, {"topic": "reports", "enabled": true}]}),
            "error-topic-twice",
        ),
        (
            json!({"topics": [{"topic": "reports", "enabled": "no"}]}),
            "error-bad-request",
        ),
        (
            json!({"topics": [], "user_id": "someone-else"}),
            "error-bad-request",
        ),
    ] {
        refused(mentor.put(&path, bad).await, 422, code).await;
    }
    let after = ok(mentor.get(&path).await, 200).await;
    assert_eq!(after, set, "nothing saved by a refused change");

    // Another tenant's admin and an anonymous caller are refused.
    let stranger = app.api_as("admin@karaganda-partner.demo").await;
    refused(stranger.get(&path).await, 404, "error-not-found").await;
    refused(
        stranger
            .put(
                &path,
                json!({"topics": [{"topic": "reports", "enabled": false}]}),
            )
            .await,
        404,
        "error-not-found",
    )
    .await;
    refused(app.api().get(&path).await, 401, "error-unauthenticated").await;

    // A forged unsubscribe token or an unknown topic changes nothing.
    refused(
        app.api()
            .post("/api/v1/unsubscribe?token=forged&topic=reports", json!({}))
            .await,
        404,
        "error-not-found",
    )
    .await;
    refused(
        app.api()
            .post("/api/v1/unsubscribe?token=forged&topic=lottery", json!({}))
            .await,
        422,
        "error-topic-unknown",
    )
    .await;
}

#[tokio::test]
async fn the_notifications_and_unsubscribe_pages_work_without_script() {
    let app = TestApp::sqlite().await;
    let (b, csrf) = signed_in(&app, COORDINATOR).await;
    let page = format!("/t/{DEMO_TENANT}/notifications");
    let html = b.get(&page).await.text().await.unwrap();
    assert!(html.contains("id=\"notifications-form\""), "{html}");
    assert!(html.contains("Просроченные протоколы встреч"));
    // Only "reports" stays ticked.
    let (to, html) = submit(
        &b,
        &page,
        "/api/save_notifications",
        &[
            ("csrf", &csrf),
            ("slug", DEMO_TENANT),
            ("enabled[6]", "reports"),
        ],
    )
    .await;
    assert!(to.contains("saved=1"), "{to}");
    assert!(html.contains("Выбор сохранён."));
    let coordinator = app.api_as(COORDINATOR).await;
    let prefs = ok(
        coordinator
            .get(&format!("/api/v1/t/{DEMO_TENANT}/me/notifications"))
            .await,
        200,
    )
    .await;
    assert_eq!(enabled(&prefs, "reports"), Some(true));
    assert_eq!(enabled(&prefs, "protocol_overdue"), Some(false));
    // A wrong form token saves nothing.
    let (to, _) = submit(
        &b,
        &page,
        "/api/save_notifications",
        &[("csrf", "wrong"), ("slug", DEMO_TENANT)],
    )
    .await;
    assert!(to.contains("__err"), "{to}");
    assert_eq!(
        ok(
            coordinator
                .get(&format!("/api/v1/t/{DEMO_TENANT}/me/notifications"))
                .await,
            200
        )
        .await,
        prefs
    );
    // A topic that does not exist is refused with its message, and nothing changes.
    let (to, html) = submit(
        &b,
        &page,
        "/api/save_notifications",
        &[
            ("csrf", &csrf),
            ("slug", DEMO_TENANT),
            ("enabled[0]", "protocol_overdue"),
            ("enabled[1]", "horoscope"),
        ],
    )
    .await;
    assert!(to.contains("__err"), "{to}");
    assert!(!html.contains("Выбор сохранён."), "{html}");
    assert_eq!(
        ok(
            coordinator
                .get(&format!("/api/v1/t/{DEMO_TENANT}/me/notifications"))
                .await,
            200
        )
        .await,
        prefs
    );

    // The unsubscribe link: the page asks, the button acts.
    let token = {
        use domain::accounts::entity::notification_preference as pref;
        use sea_orm::EntityTrait;
        pref::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .remove(0)
            .unsubscribe_token
    };
    let link = format!("/unsubscribe?token={token}&topic=reports");
    let anonymous = app.browser();
    let html = anonymous.get(&link).await.text().await.unwrap();
    assert!(html.contains("id=\"unsubscribe-form\""), "{html}");
    let unchanged = ok(
        coordinator
            .get(&format!("/api/v1/t/{DEMO_TENANT}/me/notifications"))
            .await,
        200,
    )
    .await;
    assert_eq!(
        enabled(&unchanged, "reports"),
        Some(true),
        "opening the link changes nothing"
    );
    let (to, html) = submit(
        &anonymous,
        &link,
        "/api/unsubscribe",
        &[("token", &token), ("topic", "reports")],
    )
    .await;
    assert!(to.contains("done=1"), "{to}");
    assert!(html.contains("id=\"unsubscribed\""), "{html}");
    let after = ok(
        coordinator
            .get(&format!("/api/v1/t/{DEMO_TENANT}/me/notifications"))
            .await,
        200,
    )
    .await;
    assert_eq!(enabled(&after, "reports"), Some(false));
}

/// Sets a column of one row through its entity (the scenario's dates).
macro_rules! set {
    ($app:expr, $entity:path, $id:expr, |$am:ident| $change:expr) => {{
        use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};
        use $entity as e;
        let txn = domain::db::write(&$app.db, domain::db::Scope::System)
            .await
            .unwrap();
        let mut $am = e::Entity::find_by_id($id)
            .one(&txn)
            .await
            .unwrap()
            .unwrap()
            .into_active_model();
        $change;
        $am.update(&txn).await.unwrap();
        txn.commit().await.unwrap();
    }};
}

fn count(app: &TestApp, to: &str, subject: &str) -> usize {
    app.outbox()
        .iter()
        .filter(|e| e.to == to && e.subject.contains(subject))
        .count()
}

#[tokio::test]
async fn the_daily_run_reminds_of_tomorrow_ending_terms_votes_drafts_and_expiring_documents() {
    use sea_orm::Set;
    let app = TestApp::sqlite().await;
    let today = ustaz_tests::demo_today();
    let tomorrow = today + chrono::Days::new(1);

    // A pair whose term ends in 30 days, with a consultation tomorrow at 10:00 (Almaty).
    let (_, _, pair) = pair_of(&app).await;
    let pair_id: uuid::Uuid = pair.parse().unwrap();
    set!(app, domain::matching::entity::pair, pair_id, |am| am
        .ends_on =
        Set(today + chrono::Days::new(30)));
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    let at = tomorrow
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_local_timezone(chrono_tz::Asia::Almaty)
        .unwrap()
        .with_timezone(&chrono::Utc);
    ok(
        psychologist
            .post(
                &format!("/api/v1/t/{DEMO_TENANT}/consultations"),
                json!({"pair_id": pair, "scheduled_at": at, "notes": "Тревожность"}),
            )
            .await,
        201,
    )
    .await;

    // A two-day training that starts tomorrow, with the demo trainer.
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let staff = ok(
        admin.get(&format!("/api/v1/t/{DEMO_TENANT}/users")).await,
        200,
    )
    .await;
    let trainer = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "trainer@almaty-mentors.demo")
        .unwrap()["user_id"]
        .clone();
    let coordinator = app.api_as(COORDINATOR).await;
    ok(
        coordinator
            .post(
                &format!("/api/v1/t/{DEMO_TENANT}/cohorts"),
                json!({"kind": "training", "title": "Тренинг: доверие", "starts_on": tomorrow,
                       "days": 2, "academic_hours": 8, "place": "Абая 10", "trainers": [trainer],
                       "capacity": 10, "min_days": 1}),
            )
            .await,
        201,
    )
    .await;

    // A draft in a window that closes in two days, and a submitted application whose police
    // clearance expires in ten days and that waits for the committee.
    let (_, draft) = app.draft_application("draft@example.kz", "en").await;
    let (_, submitted, documents) = app.submitted_application("expiring@example.kz", "ru").await;
    let programme = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        domain::recruitment::entity::programme::Entity::find()
            .filter(domain::recruitment::entity::programme::Column::Slug.eq("mentors-2027"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
    };
    set!(
        app,
        domain::recruitment::entity::programme,
        programme.id,
        |am| am.closes_at = Set(chrono::Utc::now() + chrono::Duration::days(2))
    );
    let police = {
        use sea_orm::EntityTrait;
        let mut found = None;
        for id in &documents {
            let d = domain::recruitment::entity::document::Entity::find_by_id(
                id.parse::<uuid::Uuid>().unwrap(),
            )
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
            if d.doc_type == "police_clearance" {
                found = Some(d);
            }
        }
        found.expect("a police clearance")
    };
    let rule = ok(
        app.api()
            .get(&format!("/api/v1/t/{DEMO_TENANT}/programmes/mentors-2027"))
            .await,
        200,
    )
    .await["required_documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["doc_type"] == "police_clearance")
        .unwrap()["validity_months"]
        .as_u64()
        .unwrap() as u32;
    let expires = today + chrono::Days::new(10);
    set!(
        app,
        domain::recruitment::entity::document,
        police.id,
        |am| am.issued_on = Set(Some(expires - chrono::Months::new(rule)))
    );
    let submitted_id: uuid::Uuid = submitted.parse().unwrap();
    set!(
        app,
        domain::recruitment::entity::application,
        submitted_id,
        |am| {
            am.stage = Set(Some("committee".into()));
            am.stage_status = Set(Some("open".into()));
        }
    );

    let s = scheduler(&app);
    let now = chrono::Utc::now();
    assert_eq!(run_due(&s, now).await.unwrap().reminder_runs, 2);
    let pair_path = format!("/t/{DEMO_TENANT}/pairs/{pair}");
    let ending = app.wait_for_email(COORDINATOR, "через 30 дн.").await;
    assert!(ending.text.contains(&pair_path), "{}", ending.text);
    assert!(
        ending.text.contains("Тәлімгер / Mentor"),
        "the mentor is named"
    );
    let own = app.wait_for_email(MENTOR, "ваша наставническая пара").await;
    assert!(own.subject.contains("Заканчивается"), "{}", own.subject);
    let consult = app
        .wait_for_email("psychologist@almaty-mentors.demo", "10:00")
        .await;
    assert!(
        consult.subject.contains("консультация"),
        "{}",
        consult.subject
    );
    assert!(!consult.text.contains("Тревожность"), "no notes in e-mail");
    let _ = app.wait_for_email(MENTOR, "10:00").await;
    let training = app
        .wait_for_email("trainer@almaty-mentors.demo", "Тренинг: доверие")
        .await;
    assert!(training.text.contains("Абая 10"), "{}", training.text);
    assert!(training.subject.contains("день 1"), "{}", training.subject);
    let incomplete = app.wait_for_email("draft@example.kz", &draft).await;
    assert!(
        incomplete.subject.contains("not submitted"),
        "{}",
        incomplete.subject
    );
    let expiring = app
        .wait_for_email(
            "expiring@example.kz",
            &expires.format("%d.%m.%Y").to_string(),
        )
        .await;
    assert!(
        expiring.subject.contains("истекает"),
        "{}",
        expiring.subject
    );
    let votes = app
        .wait_for_email("committee@almaty-mentors.demo", "голоса в комиссии: 1")
        .await;
    assert!(votes.text.contains("/candidates"));

    // The next day: the training's second day; nothing said twice.
    assert_eq!(
        run_due(&s, now + chrono::Duration::days(1))
            .await
            .unwrap()
            .reminder_runs,
        2
    );
    let _ = app
        .wait_for_email("trainer@almaty-mentors.demo", "День 2 из 2")
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(count(&app, COORDINATOR, "Заканчивается"), 1);
    assert_eq!(count(&app, MENTOR, "Заканчивается"), 1);
    assert_eq!(count(&app, MENTOR, "консультация"), 1);
    assert_eq!(count(&app, "draft@example.kz", "not submitted"), 1);
    assert_eq!(count(&app, "expiring@example.kz", "истекает"), 1);
    assert_eq!(
        count(&app, "committee@almaty-mentors.demo", "ждут вашего голоса"),
        1,
        "one summary a week"
    );
}

#[tokio::test]
async fn bad_reminder_delays_of_a_programme_are_refused_and_nothing_changes() {
    let app = TestApp::sqlite().await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let regions = ok(
        admin.get(&format!("/api/v1/t/{DEMO_TENANT}/regions")).await,
        200,
    )
    .await;
    let mut body = crate::refusals::programme_body("reminder-probe");
    body["region_ids"] = json!([regions[0]["id"]]);
    let bad = [
        // The coordinators are reminded after the mentor, never at the same time.
        (
            json!({"mentor_days": 7, "coordinator_days": 7}),
            "error-reminder-order",
        ),
        (
            json!({"mentor_days": 0, "coordinator_days": 7}),
            "error-reminder-range",
        ),
        (
            json!({"mentor_days": 2, "coordinator_days": 91}),
            "error-reminder-range",
        ),
    ];
    let collection = format!("/api/v1/t/{DEMO_TENANT}/programmes");
    let path = format!("{collection}/reminder-probe");
    // Creating with bad delays creates nothing.
    let mut wrong = body.clone();
    wrong["reminders"] = bad[0].0.clone();
    refused(admin.post(&collection, wrong).await, 422, bad[0].1).await;
    refused(admin.get(&path).await, 404, "error-not-found").await;

    let before = ok(admin.post(&collection, body.clone()).await, 201).await;
    assert_eq!(
        before["reminders"],
        json!({"mentor_days": 2, "coordinator_days": 7}),
        "{before}"
    );
    for (reminders, code) in bad {
        let mut changed = body.clone();
        changed["reminders"] = reminders;
        let e = refused(admin.put(&path, changed).await, 422, code).await;
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
        assert_eq!(ok(admin.get(&path).await, 200).await, before);
    }
    let mut changed = body.clone();
    changed["reminders"] = json!({"mentor_days": 3, "coordinator_days": 10});
    let after = ok(admin.put(&path, changed).await, 200).await;
    assert_eq!(
        after["reminders"],
        json!({"mentor_days": 3, "coordinator_days": 10})
    );
}

/// A psychological test given a time and place: bad appointments refused with nothing changed,
/// the candidate invited by e-mail at once, and reminded the day before with the region's
/// psychologist, once however often the day runs.
#[tokio::test]
async fn an_appointment_invites_the_candidate_and_reminds_them_and_the_psychologist_the_day_before()
{
    use crate::selection::{advance, candidate_path, documents_passed};
    let app = TestApp::sqlite().await;
    let coordinator = app.api_as(COORDINATOR).await;
    let email = "appointment@example.kz";
    let id = documents_passed(&app, &coordinator, email).await;
    ok(advance(&coordinator, &id, "psych_test").await, 201).await;
    let url = |stage: &str| format!("{}/stages/{stage}/appointment", candidate_path(&id));
    let tomorrow = ustaz_tests::demo_today() + chrono::Days::new(1);
    let good = json!({"at": format!("{tomorrow}T10:00:00"), "place": "Офис, каб. 3"});

    for (stage, body, status, code) in [
        (
            "psych_test",
            json!({"at": "2020-01-01T10:00:00", "place": "Офис"}),
            422,
            "error-appointment-past",
        ),
        (
            "psych_test",
            json!({"at": format!("{tomorrow}T10:00:00"), "place": "  "}),
            422,
            "error-appointment-place",
        ),
        ("documents", good.clone(), 409, "error-stage-no-appointment"),
        ("interview", good.clone(), 409, "error-stage-not-open"),
    ] {
        refused(coordinator.post(&url(stage), body).await, status, code).await;
    }
    let res = coordinator
        .post(
            &url("psych_test"),
            json!({"at": format!("{tomorrow}T10:00"), "place": "Офис", "room": 3}),
        )
        .await;
    assert_eq!(res.status(), 422, "an unknown field, or no seconds");
    // A psychologist (not a manager) and another tenant's admin are refused.
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    refused(
        psychologist.post(&url("psych_test"), good.clone()).await,
        403,
        "error-forbidden",
    )
    .await;
    let other = app.api_as("admin@karaganda-partner.demo").await;
    let theirs = url("psych_test").replace(DEMO_TENANT, "karaganda-partner");
    refused(
        other.post(&theirs, good.clone()).await,
        404,
        "error-not-found",
    )
    .await;
    let v = ok(coordinator.get(&candidate_path(&id)).await, 200).await;
    let record = |v: &Value| {
        v["records"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["stage"] == "psych_test")
            .unwrap()
            .clone()
    };
    assert_eq!(record(&v)["scheduled_at"], Value::Null, "nothing set yet");
    assert!(
        app.outbox()
            .iter()
            .all(|e| !(e.to == email && e.subject.contains("Психологическое"))),
        "no invitation for a refused appointment"
    );

    let v = ok(
        coordinator.post(&url("psych_test"), good.clone()).await,
        200,
    )
    .await;
    let r = record(&v);
    assert_eq!(
        r["scheduled_local"],
        format!("{} 10:00", tomorrow.format("%d.%m.%Y"))
    );
    assert_eq!(r["place"], "Офис, каб. 3");
    let invitation = app
        .wait_for_email(email, &format!("/t/{DEMO_TENANT}/applications/{id}"))
        .await;
    assert!(
        invitation.subject.contains("Психологическое тестирование"),
        "{}",
        invitation.subject
    );
    assert!(invitation.text.contains("10:00"), "{}", invitation.text);
    assert!(
        invitation.text.contains("Офис, каб. 3"),
        "{}",
        invitation.text
    );

    // The day before: the candidate and the region's psychologist, once each.
    let s = scheduler(&app);
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(run_due(&s, now), run_due(&s, now));
    a.unwrap();
    b.unwrap();
    // Waits for the first reminder (a loaded machine may take seconds), then a moment more in
    // which a second one would show.
    let reminded = |to: &'static str| {
        let app = &app;
        async move {
            let count = || {
                app.outbox()
                    .iter()
                    .filter(|e| {
                        e.to == to
                            && e.subject
                                .starts_with("Завтра: Психологическое тестирование")
                    })
                    .count()
            };
            for _ in 0..300 {
                if count() > 0 && domain::jobs::backlog(&app.db).await.unwrap() == 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            count()
        }
    };
    assert_eq!(reminded(email).await, 1, "{:?}", app.outbox());
    assert_eq!(
        reminded("psychologist@almaty-mentors.demo").await,
        1,
        "{:?}",
        app.outbox()
    );
    let psy = app
        .outbox()
        .into_iter()
        .find(|e| e.to == "psychologist@almaty-mentors.demo" && e.subject.starts_with("Завтра"))
        .unwrap();
    assert!(
        psy.text
            .contains(&format!("/t/{DEMO_TENANT}/candidates/{id}")),
        "{}",
        psy.text
    );
}
