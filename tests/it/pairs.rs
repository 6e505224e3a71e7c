//! From the waiting list to a pair and its daily life, through the API: ranked suggestions with
//! their reasons, a proposal and the psychologist's decision, capacity, meeting protocols with
//! their lock, the overdue list, consultations kept to psychologists, concerns that e-mail the
//! region at once, closing a pair, and an admin's export and erasure of a child.
//!
//! The demo seed gives an active mentor (selected in last year's intake, languages kk and ru,
//! interests music, drawing and football) and two waiting children, Алия and Ерлан.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};
use ustaz_tests::{DEMO_TENANT, TestApp};

use crate::selection::{audit_count, ok, refused};

const T: &str = DEMO_TENANT;
const MENTOR: &str = "mentor@almaty-mentors.demo";

/// The waiting child with this first name.
async fn waiting(api: &ustaz_tests::Api, name: &str) -> String {
    let list = ok(
        api.get(&format!("/api/v1/t/{T}/children/waiting")).await,
        200,
    )
    .await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with(name))
        .unwrap_or_else(|| panic!("{name} is not waiting: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Makes the karaganda mentor a mentor of this tenant too: a second mentor with no mentees.
async fn second_mentor(app: &TestApp) -> ustaz_tests::Api {
    use domain::accounts::entity::{membership, user};
    let txn = domain::db::write(&app.db, domain::db::Scope::System)
        .await
        .unwrap();
    let u = user::Entity::find()
        .filter(user::Column::Email.eq("mentor@karaganda-partner.demo"))
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    let t = domain::tenancy::context::find_tenant(&app.db, T)
        .await
        .unwrap();
    membership::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        user_id: Set(u.id),
        tenant_id: Set(t.id),
        role: Set("mentor".into()),
        region_id: Set(None),
        active: Set(true),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await
    .unwrap();
    txn.commit().await.unwrap();
    app.api_as("mentor@karaganda-partner.demo").await
}

/// The organisation's date (Almaty), as the services count days.
pub(crate) async fn tenant_today(app: &TestApp) -> chrono::NaiveDate {
    let t = domain::tenancy::context::find_tenant(&app.db, T)
        .await
        .unwrap();
    domain::recruitment::service::tenant_today(&t)
}

/// Moves a pair's start back, as if it had begun `days` ago.
pub(crate) async fn pair_began_days_ago(app: &TestApp, pair: &str, days: u64) {
    use domain::matching::entity::pair;
    let txn = domain::db::write(&app.db, domain::db::Scope::System)
        .await
        .unwrap();
    let mut am = pair::Entity::find_by_id(pair.parse::<uuid::Uuid>().unwrap())
        .one(&txn)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    let start = tenant_today(app).await - chrono::Days::new(days);
    am.starts_on = Set(start);
    am.update(&txn).await.unwrap();
    txn.commit().await.unwrap();
}

pub(crate) fn meeting(pair: &str, held_on: chrono::NaiveDate) -> Value {
    json!({"pair_id": pair, "held_on": held_on, "minutes": 90, "format": "outing",
           "issues": "Трудно с математикой", "agreements": "Занимаемся по субботам",
           "mood": "good", "next_steps": "Сходить в музей"})
}

#[tokio::test]
async fn a_waiting_child_is_matched_met_followed_and_the_pair_closed() {
    let app = TestApp::sqlite().await;
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let mentor = app.api_as(MENTOR).await;
    let aliya = waiting(&coordinator, "Алия").await;
    let erlan = waiting(&coordinator, "Ерлан").await;

    // Suggestions: the demo mentor, with each reason and the score their sum.
    let s = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/children/{aliya}/suggestions"))
            .await,
        200,
    )
    .await;
    assert_eq!(s.as_array().unwrap().len(), 1, "{s}");
    let reasons = s[0]["reasons"].as_array().unwrap();
    let kinds: Vec<&str> = reasons
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    for k in [
        "same_region",
        "shared_languages",
        "shared_interests",
        "distance",
    ] {
        assert!(kinds.contains(&k), "{k} in {s}");
    }
    let sum: i64 = reasons.iter().map(|r| r["points"].as_i64().unwrap()).sum();
    assert_eq!(s[0]["score"].as_i64().unwrap(), sum);
    let mentor_id = s[0]["mentor_id"].as_str().unwrap().to_string();

    // Propose; a second proposal for the same child waits for the first.
    let proposal = json!({"child_id": aliya, "mentor_id": mentor_id});
    let m = ok(
        coordinator
            .post(&format!("/api/v1/t/{T}/matches"), proposal.clone())
            .await,
        201,
    )
    .await;
    assert_eq!(m["status"], "proposed");
    refused(
        coordinator
            .post(&format!("/api/v1/t/{T}/matches"), proposal)
            .await,
        409,
        "error-match-pending",
    )
    .await;
    let decision = format!(
        "/api/v1/t/{T}/matches/{}/decision",
        m["id"].as_str().unwrap()
    );
    // The coordinator does not decide; a decline needs its reason.
    ok(
        coordinator
            .post(&decision, json!({"decision": "approved"}))
            .await,
        403,
    )
    .await;
    refused(
        psychologist
            .post(&decision, json!({"decision": "declined", "reason": "  "}))
            .await,
        422,
        "error-match-reason",
    )
    .await;
    let approved = ok(
        psychologist
            .post(&decision, json!({"decision": "approved"}))
            .await,
        200,
    )
    .await;
    assert_eq!(approved["status"], "approved");
    let pair = approved["pair_id"].as_str().unwrap().to_string();
    // The mentor hears of it by e-mail, with the pair's link and no child's name.
    let told = app.wait_for_email(MENTOR, &format!("/pairs/{pair}")).await;
    assert!(!told.text.contains("Алия"), "{}", told.text);
    refused(
        psychologist
            .post(
                &decision,
                json!({"decision": "declined", "reason": "передумали"}),
            )
            .await,
        409,
        "error-match-decided",
    )
    .await;
    // Алия left the waiting list.
    refused(
        coordinator
            .get(&format!("/api/v1/t/{T}/children/{aliya}/suggestions"))
            .await,
        409,
        "error-child-not-waiting",
    )
    .await;

    // The mentor is at capacity (one child): Ерлан gets no suggestion, and a proposal is
    // refused. The mentor cannot raise their own capacity; the coordinator can.
    let s = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/children/{erlan}/suggestions"))
            .await,
        200,
    )
    .await;
    assert!(s.as_array().unwrap().is_empty(), "{s}");
    refused(
        coordinator
            .post(
                &format!("/api/v1/t/{T}/matches"),
                json!({"child_id": erlan, "mentor_id": mentor_id}),
            )
            .await,
        422,
        "error-mentor-at-capacity",
    )
    .await;
    let profile = format!("/api/v1/t/{T}/mentors/{mentor_id}/profile");
    let got = ok(mentor.get(&profile).await, 200).await;
    let mut mine = json!({"gender": got["gender"], "interests": got["interests"],
                          "home_at": got["home_at"], "capacity": 2});
    refused(
        mentor.put(&profile, mine.clone()).await,
        422,
        "error-capacity-staff",
    )
    .await;
    mine["capacity"] = json!(9);
    refused(
        coordinator.put(&profile, mine.clone()).await,
        422,
        "error-capacity-range",
    )
    .await;
    mine["capacity"] = json!(2);
    let set = ok(coordinator.put(&profile, mine).await, 200).await;
    assert_eq!(set["capacity"], 2);
    assert_eq!(set["interests"], json!(["музыка", "рисование", "футбол"]));
    let s = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/children/{erlan}/suggestions"))
            .await,
        200,
    )
    .await;
    assert_eq!(s.as_array().unwrap().len(), 1);

    // The mentor sees their pair: the child's name, age and interests, never the needs.
    let pairs = ok(mentor.get(&format!("/api/v1/t/{T}/pairs")).await, 200).await;
    assert_eq!(pairs.as_array().unwrap().len(), 1);
    assert_eq!(pairs[0]["child_name"], "Алия К.");
    assert_eq!(pairs[0]["standing"]["state"], "on_track");
    assert!(pairs[0].get("needs").is_none());
    let other = second_mentor(&app).await;
    let none = ok(other.get(&format!("/api/v1/t/{T}/pairs")).await, 200).await;
    assert!(none.as_array().unwrap().is_empty());

    // Three weeks without a meeting: overdue by 14 days (weekly cadence).
    pair_began_days_ago(&app, &pair, 21).await;
    let overdue = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/pairs/overdue"))
            .await,
        200,
    )
    .await;
    assert_eq!(overdue.as_array().unwrap().len(), 1, "{overdue}");
    assert_eq!(overdue[0]["pair_id"], pair.as_str());
    assert_eq!(overdue[0]["days_late"], 14);

    // Protocols: not in the future, not for someone else's mentee, then logged.
    let today = tenant_today(&app).await;
    let meetings = format!("/api/v1/t/{T}/meetings");
    refused(
        mentor
            .post(&meetings, meeting(&pair, today + chrono::Days::new(2)))
            .await,
        422,
        "error-meeting-future",
    )
    .await;
    ok(other.post(&meetings, meeting(&pair, today)).await, 404).await;
    let mut bad = meeting(&pair, today);
    bad["minutes"] = json!(0);
    refused(
        mentor.post(&meetings, bad).await,
        422,
        "error-meeting-minutes",
    )
    .await;
    let yesterday = today - chrono::Days::new(1);
    let logged = ok(mentor.post(&meetings, meeting(&pair, yesterday)).await, 201).await;
    assert_eq!(logged["locked"], false);
    let overdue = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/pairs/overdue"))
            .await,
        200,
    )
    .await;
    assert!(overdue.as_array().unwrap().is_empty(), "{overdue}");
    let pairs = ok(coordinator.get(&format!("/api/v1/t/{T}/pairs")).await, 200).await;
    assert_eq!(pairs[0]["last_meeting"], yesterday.to_string());
    assert_eq!(pairs[0]["standing"]["state"], "on_track");

    // Corrected while open; locked after seven days, the protocol unchanged.
    let one = format!("/api/v1/t/{T}/meetings/{}", logged["id"].as_str().unwrap());
    let mut fix = meeting(&pair, yesterday);
    fix["minutes"] = json!(120);
    let fixed = ok(mentor.put(&one, fix.clone()).await, 200).await;
    assert_eq!(fixed["minutes"], 120);
    ok(other.put(&one, fix.clone()).await, 404).await;
    {
        use domain::support::entity::meeting;
        let txn = domain::db::write(&app.db, domain::db::Scope::System)
            .await
            .unwrap();
        let mut am = meeting::Entity::find_by_id(
            logged["id"]
                .as_str()
                .unwrap()
                .parse::<uuid::Uuid>()
                .unwrap(),
        )
        .one(&txn)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
        am.created_at = Set(chrono::Utc::now() - chrono::Duration::days(8));
        am.update(&txn).await.unwrap();
        txn.commit().await.unwrap();
    }
    fix["minutes"] = json!(30);
    refused(mentor.put(&one, fix).await, 409, "error-meeting-locked").await;
    let list = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/pairs/{pair}/meetings"))
            .await,
        200,
    )
    .await;
    assert_eq!(list[0]["minutes"], 120);
    assert_eq!(list[0]["locked"], true);

    // Guest visits within the term.
    let visits = format!("/api/v1/t/{T}/pairs/{pair}/guest-visits");
    let from = today + chrono::Days::new(5);
    refused(
        coordinator
            .post(&visits, json!({"from_on": from, "until_on": today}))
            .await,
        422,
        "error-guest-dates",
    )
    .await;
    refused(
        coordinator
            .post(
                &visits,
                json!({"from_on": from, "until_on": today + chrono::Days::new(2000)}),
            )
            .await,
        422,
        "error-guest-term",
    )
    .await;
    ok(
        mentor
            .post(&visits, json!({"from_on": from, "until_on": from}))
            .await,
        403,
    )
    .await;
    let granted = ok(
        coordinator
            .post(
                &visits,
                json!({"from_on": from, "until_on": from + chrono::Days::new(60), "note": "Выходные и каникулы"}),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(granted["approved_by"], "Координатор");

    // A consultation: its notes are the psychologists' alone, every read logged.
    let c = ok(
        psychologist
            .post(
                &format!("/api/v1/t/{T}/consultations"),
                json!({"pair_id": pair, "scheduled_at": chrono::Utc::now(), "held": true,
                       "notes": "Наставник тревожится из-за оценок"}),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(c["child_id"], aliya.as_str());
    let one_c = format!("/api/v1/t/{T}/consultations/{}", c["id"].as_str().unwrap());
    ok(coordinator.get(&one_c).await, 403).await;
    ok(mentor.get(&one_c).await, 403).await;
    let before = audit_count(&app, "consultation.read").await;
    let read = ok(psychologist.get(&one_c).await, 200).await;
    assert_eq!(read["notes"], "Наставник тревожится из-за оценок");
    assert_eq!(audit_count(&app, "consultation.read").await, before + 1);
    refused(
        psychologist
            .post(
                &format!("/api/v1/t/{T}/consultations"),
                json!({"scheduled_at": chrono::Utc::now()}),
            )
            .await,
        422,
        "error-consultation-subject",
    )
    .await;
    // One still to come is scheduled, not held (issue 19, principle 5).
    refused(
        psychologist
            .post(
                &format!("/api/v1/t/{T}/consultations"),
                json!({"pair_id": pair, "held": true,
                       "scheduled_at": chrono::Utc::now() + chrono::Duration::hours(2)}),
            )
            .await,
        422,
        "error-consultation-held-in-future",
    )
    .await;

    // A concern from the mentor about their mentee: the region's psychologist and
    // coordinator are e-mailed, without the child's name. Another mentor cannot raise one
    // about Алия.
    let concerns = format!("/api/v1/t/{T}/concerns");
    refused(
        mentor
            .post(
                &concerns,
                json!({"pair_id": pair, "severity": "high", "summary": " "}),
            )
            .await,
        422,
        "error-concern-summary",
    )
    .await;
    ok(
        other
            .post(
                &concerns,
                json!({"child_id": aliya, "severity": "high", "summary": "?"}),
            )
            .await,
        404,
    )
    .await;
    let concern = ok(
        mentor
            .post(
                &concerns,
                json!({"pair_id": pair, "severity": "high", "summary": "Синяк на руке, не говорит откуда"}),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(concern["status"], "open");
    for to in [
        "psychologist@almaty-mentors.demo",
        "coordinator@almaty-mentors.demo",
    ] {
        let e = app.wait_for_email(to, "Алматы").await;
        assert!(!e.text.contains("Алия"), "no child's name in {}", e.text);
        assert!(e.subject.contains("высокая"), "{}", e.subject);
    }
    let act = format!(
        "/api/v1/t/{T}/concerns/{}/actions",
        concern["id"].as_str().unwrap()
    );
    ok(mentor.post(&act, json!({"action": "x"})).await, 403).await;
    ok(
        psychologist
            .post(&act, json!({"action": "Поговорили с воспитателем"}))
            .await,
        200,
    )
    .await;
    let resolved = ok(
        coordinator
            .post(
                &act,
                json!({"action": "Врач осмотрел, травма на тренировке", "resolve": true}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["actions"].as_array().unwrap().len(), 2);
    refused(
        coordinator.post(&act, json!({"action": "ещё"})).await,
        409,
        "error-concern-resolved",
    )
    .await;
    let mine = ok(mentor.get(&concerns).await, 200).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert!(
        ok(other.get(&concerns).await, 200)
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Closing early needs a fitting reason; Алия goes back to the waiting list, the pair
    // stays in the history.
    let close = format!("/api/v1/t/{T}/pairs/{pair}/close");
    refused(
        coordinator
            .post(&close, json!({"reason": "term_completed"}))
            .await,
        422,
        "error-pair-term-not-ended",
    )
    .await;
    refused(
        coordinator.post(&close, json!({"reason": "other"})).await,
        422,
        "error-pair-close-note",
    )
    .await;
    ok(
        mentor
            .post(&close, json!({"reason": "mentor_withdrew"}))
            .await,
        403,
    )
    .await;
    let closed = ok(
        coordinator
            .post(
                &close,
                json!({"reason": "child_moved", "note": "Переведена в другой город"}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["close_reason"], "child_moved");
    assert!(closed["standing"].is_null());
    assert_eq!(waiting(&coordinator, "Алия").await, aliya);
    ok(mentor.post(&meetings, meeting(&pair, today)).await, 409).await;

    // The portal's export link: a JSON file for the admin, behind the session.
    let export_path = format!("/t/{T}/children/{aliya}/export");
    let admin_page = app.browser();
    admin_page.login("admin@almaty-mentors.demo").await;
    let file = admin_page.get(&export_path).await;
    assert_eq!(file.status(), 200);
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");
    let body: Value = file.json().await.unwrap();
    assert_eq!(body["child"]["id"], aliya.as_str());
    for (who, status) in [
        (Some("coordinator@almaty-mentors.demo"), 403),
        (Some("admin@karaganda-partner.demo"), 404),
        (None, 401),
    ] {
        let b = app.browser();
        if let Some(who) = who {
            b.login(who).await;
        }
        assert_eq!(b.get(&export_path).await.status(), status, "{who:?}");
    }
    // Erasing from the page needs the box ticked; without it nothing is erased.
    let csrf = admin_page.csrf().await;
    let res = admin_page
        .post_form(
            &format!("/t/{T}/children/{aliya}"),
            "/api/erase_child_form",
            &[("csrf", &csrf), ("slug", T), ("id", &aliya)],
        )
        .await;
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("__err"),
        "refused"
    );
    ok(
        admin.get(&format!("/api/v1/t/{T}/children/{aliya}")).await,
        200,
    )
    .await;

    // The admin exports everything about Алия, then erases her.
    let export = ok(
        admin
            .get(&format!("/api/v1/t/{T}/children/{aliya}/export"))
            .await,
        200,
    )
    .await;
    assert_eq!(export["child"]["first_name"], "Алия");
    assert_eq!(export["matches"].as_array().unwrap().len(), 1);
    assert_eq!(export["pairs"].as_array().unwrap().len(), 1);
    assert_eq!(export["meetings"].as_array().unwrap().len(), 1);
    assert_eq!(
        export["consultations"][0]["notes"],
        "Наставник тревожится из-за оценок"
    );
    assert_eq!(export["concerns"].as_array().unwrap().len(), 1);

    // Her audit log (trust, hole 9): the export showed the consultation's notes, so it is a
    // read of them; every list that showed her is there, with who read it. Only this
    // tenant's admins read it, a page at a time.
    ok(
        coordinator.get(&format!("/api/v1/t/{T}/concerns")).await,
        200,
    )
    .await;
    ok(
        mentor
            .get(&format!("/api/v1/t/{T}/pairs/{pair}/meetings"))
            .await,
        200,
    )
    .await;
    let audit = format!("/api/v1/t/{T}/children/{aliya}/audit");
    let log = ok(admin.get(&format!("{audit}?limit=200")).await, 200).await;
    let seen: Vec<(String, String)> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["actor_email"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for (action, who) in [
        ("child.exported", "admin@almaty-mentors.demo"),
        ("consultation.read", "admin@almaty-mentors.demo"),
        ("pairs.listed", "admin@almaty-mentors.demo"),
        ("concerns.listed", "coordinator@almaty-mentors.demo"),
        ("meetings.listed", MENTOR),
    ] {
        assert!(
            seen.contains(&(action.to_string(), who.to_string())),
            "{action} by {who} missing: {seen:?}"
        );
    }
    // Newest first, a page at a time, every event once.
    let first = ok(admin.get(&format!("{audit}?limit=2")).await, 200).await;
    assert_eq!(first["events"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().expect("more pages");
    let second = ok(
        admin.get(&format!("{audit}?limit=2&cursor={cursor}")).await,
        200,
    )
    .await;
    assert_ne!(first["events"][0]["id"], second["events"][0]["id"]);
    assert!(first["events"][1]["at"].as_str() >= second["events"][0]["at"].as_str());
    for bad in ["limit=0", "limit=201", "cursor=yesterday"] {
        ok(admin.get(&format!("{audit}?{bad}")).await, 422).await;
    }
    ok(coordinator.get(&audit).await, 403).await;
    let stranger = app.api_as("admin@karaganda-partner.demo").await;
    ok(stranger.get(&audit).await, 404).await;
    ok(app.api().get(&audit).await, 401).await;
    ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/children/{aliya}/export"))
            .await,
        403,
    )
    .await;
    ok(
        coordinator
            .delete(&format!("/api/v1/t/{T}/children/{aliya}"))
            .await,
        403,
    )
    .await;
    let res = admin
        .delete(&format!("/api/v1/t/{T}/children/{aliya}"))
        .await;
    assert_eq!(res.status(), 204);
    ok(
        admin.get(&format!("/api/v1/t/{T}/children/{aliya}")).await,
        404,
    )
    .await;
    ok(admin.get(&format!("/api/v1/t/{T}/pairs/{pair}")).await, 404).await;
    assert_eq!(audit_count(&app, "child.erased").await, 1);
}

#[tokio::test]
async fn the_mentor_acknowledges_the_rules_once_and_states_their_profile() {
    let app = TestApp::sqlite().await;
    let mentor = app.api_as(MENTOR).await;
    let trainer = app.api_as("trainer@almaty-mentors.demo").await;
    let first = ok(
        mentor
            .post(&format!("/api/v1/t/{T}/rules-acknowledgement"), json!({}))
            .await,
        200,
    )
    .await;
    let at = first["rules_acknowledged_at"].as_str().unwrap().to_string();
    let again = ok(
        mentor
            .post(&format!("/api/v1/t/{T}/rules-acknowledgement"), json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(again["rules_acknowledged_at"], at.as_str());
    ok(
        trainer
            .post(&format!("/api/v1/t/{T}/rules-acknowledgement"), json!({}))
            .await,
        403,
    )
    .await;
    let id = first["mentor_id"].as_str().unwrap();
    let profile = format!("/api/v1/t/{T}/mentors/{id}/profile");
    refused(
        mentor
            .put(&profile, json!({"home_at": {"lat": 95.0, "lon": 76.9}}))
            .await,
        422,
        "error-home-location",
    )
    .await;
    let set = ok(
        mentor
            .put(
                &profile,
                json!({"gender": "male", "interests": [" Шахматы ", "шахматы", "Кино"], "home_at": {"lat": 43.25, "lon": 76.95}}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(set["interests"], json!(["кино", "шахматы"]));
    assert_eq!(set["gender"], "male");
    assert_eq!(set["home_at"]["lat"], 43.25);
    // The acknowledgement survives a profile change.
    assert_eq!(set["rules_acknowledged_at"], at.as_str());
    ok(trainer.get(&profile).await, 403).await;
}

/// Posts a portal form as a browser without script does; returns where it redirected.
pub(crate) async fn post_page(
    b: &ustaz_tests::Browser,
    from: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> String {
    let csrf = b.csrf().await;
    let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf), ("slug", T)];
    all.extend_from_slice(fields);
    let res = b.post_form(from, action, &all).await;
    assert_eq!(res.status(), 302, "{action}");
    res.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn concerns_consultations_and_the_mentor_profile_work_from_the_pages_without_script() {
    let app = TestApp::sqlite().await;
    let (_, _, pair) = crate::refusals::pair_of(&app).await;
    let pair_page = format!("/t/{T}/pairs/{pair}");
    let staff = app.api_as("coordinator@almaty-mentors.demo").await;
    let seen = ok(staff.get(&format!("/api/v1/t/{T}/pairs/{pair}")).await, 200).await;
    let mentor_id = seen["mentor_id"].as_str().unwrap().to_string();
    let mentor = app.browser();
    mentor.login(MENTOR).await;
    let coordinator = app.browser();
    coordinator.login("coordinator@almaty-mentors.demo").await;
    let psychologist = app.browser();
    psychologist.login("psychologist@almaty-mentors.demo").await;

    // The mentor raises a concern from the pair's page; an empty one is refused.
    let to = post_page(
        &mentor,
        &pair_page,
        "/api/raise_concern_form",
        &[("pair", &pair), ("severity", "high"), ("summary", " ")],
    )
    .await;
    assert!(to.contains("__err"), "{to}");
    let to = post_page(
        &mentor,
        &pair_page,
        "/api/raise_concern_form",
        &[
            ("pair", &pair),
            ("severity", "critical"),
            ("summary", "Жалуется на старших ребят"),
        ],
    )
    .await;
    assert!(to.ends_with("?concern=1"), "{to}");
    let page = coordinator
        .get(&format!("/t/{T}/concerns"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Жалуется на старших ребят") && page.contains("критическая"),
        "{page}"
    );

    // The coordinator records an action and resolves it; the mentor sees it resolved.
    let concerns: Value = app
        .api_as("coordinator@almaty-mentors.demo")
        .await
        .get(&format!("/api/v1/t/{T}/concerns"))
        .await
        .json()
        .await
        .unwrap();
    let id = concerns[0]["id"].as_str().unwrap().to_string();
    let to = post_page(
        &coordinator,
        &format!("/t/{T}/concerns"),
        "/api/concern_action_form",
        &[
            ("id", &id),
            ("action", "Поговорили с воспитателем"),
            ("resolve", "yes"),
        ],
    )
    .await;
    assert!(to.ends_with("?acted=1"), "{to}");
    let page = mentor
        .get(&format!("/t/{T}/concerns"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Поговорили с воспитателем") && page.contains("data-status=\"resolved\""),
        "{page}"
    );

    // The psychologist records a consultation; a time that is not one is refused. The
    // coordinator cannot open the page.
    let to = post_page(
        &psychologist,
        &format!("/t/{T}/consultations"),
        "/api/record_consultation_form",
        &[
            ("subject", &format!("pair:{pair}")),
            ("scheduled_at", "вчера"),
            ("notes", ""),
        ],
    )
    .await;
    assert!(to.contains("__err"), "{to}");
    let to = post_page(
        &psychologist,
        &format!("/t/{T}/consultations"),
        "/api/record_consultation_form",
        &[
            ("subject", &format!("pair:{pair}")),
            ("scheduled_at", "2026-11-20T15:30"),
            ("held", "yes"),
            ("notes", "Обсудили границы"),
        ],
    )
    .await;
    assert!(to.ends_with("?recorded=1"), "{to}");
    // A consultation with the mentor alone, and one with a subject that is not one.
    let to = post_page(
        &psychologist,
        &format!("/t/{T}/consultations"),
        "/api/record_consultation_form",
        &[
            ("subject", &format!("mentor:{mentor_id}")),
            ("scheduled_at", "2026-11-21T11:00"),
            ("notes", "Наставник один"),
        ],
    )
    .await;
    assert!(to.ends_with("?recorded=1"), "{to}");
    let page = psychologist
        .get(&format!("/t/{T}/consultations"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Наставник один"), "{page}");
    let to = post_page(
        &psychologist,
        &format!("/t/{T}/consultations"),
        "/api/record_consultation_form",
        &[
            ("subject", "someone"),
            ("scheduled_at", "2026-11-21T11:00"),
            ("notes", ""),
        ],
    )
    .await;
    assert!(to.contains("__err"), "{to}");
    let page = psychologist
        .get(&format!("/t/{T}/consultations"))
        .await
        .text()
        .await
        .unwrap();
    // Typed as 15:30 where the organisation is, shown as 15:30 (issue 19, principle 5).
    assert!(
        page.contains("Обсудили границы") && page.contains("20.11.2026 15:30"),
        "{page}"
    );
    assert!(!page.contains("UTC") && !page.contains("10:30"), "{page}");
    assert_eq!(
        coordinator
            .get(&format!("/t/{T}/consultations"))
            .await
            .status(),
        403
    );

    // The mentor's profile (a page of its own): a latitude without a longitude is refused,
    // nothing changed; then saved.
    let to = post_page(
        &mentor,
        &format!("/t/{T}/profile"),
        "/api/mentor_profile_form",
        &[
            ("gender", "female"),
            ("interests", "театр"),
            ("lat", "43.2"),
            ("lon", ""),
        ],
    )
    .await;
    assert!(to.contains("__err"), "{to}");
    let to = post_page(
        &mentor,
        &format!("/t/{T}/profile"),
        "/api/mentor_profile_form",
        &[
            ("gender", "female"),
            ("interests", "Театр, книги"),
            ("lat", "43.2"),
            ("lon", "76.9"),
        ],
    )
    .await;
    assert!(to.ends_with("/profile?profile=1"), "{to}");
    let page = mentor
        .get(&format!("/t/{T}/profile"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("книги, театр"), "{page}");

    // The mentor corrects an open protocol from the pair's page; a bad length is refused and
    // the protocol stays as it was.
    let today = tenant_today(&app).await.to_string();
    let logged = ok(
        app.api_as(MENTOR)
            .await
            .post(
                &format!("/api/v1/t/{T}/meetings"),
                json!({"pair_id": pair, "held_on": today, "minutes": 45, "format": "visit",
                       "mood": "calm", "issues": "Оценки по математике"}),
            )
            .await,
        201,
    )
    .await;
    let id = logged["id"].as_str().unwrap().to_string();
    let page = mentor.get(&pair_page).await.text().await.unwrap();
    assert!(page.contains(&format!(r#"data-correct="{id}""#)), "{page}");
    let correction = |minutes: &'static str| {
        vec![
            ("pair", pair.clone()),
            ("id", id.clone()),
            ("held_on", today.clone()),
            ("minutes", minutes.to_string()),
            ("format", "outing".to_string()),
            ("issues", "Оценки по математике и физике".to_string()),
            ("agreements", String::new()),
            ("mood", "good".to_string()),
            ("next_steps", String::new()),
        ]
    };
    let fields = correction("0");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let to = post_page(&mentor, &pair_page, "/api/update_meeting_form", &borrowed).await;
    assert!(to.contains("__err"), "{to}");
    let page = coordinator.get(&pair_page).await.text().await.unwrap();
    assert!(!page.contains("и физике"), "{page}");
    let fields = correction("75");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let to = post_page(&mentor, &pair_page, "/api/update_meeting_form", &borrowed).await;
    assert!(to.ends_with("?corrected=1"), "{to}");
    let page = coordinator.get(&pair_page).await.text().await.unwrap();
    assert!(page.contains("Оценки по математике и физике"), "{page}");
    // Staff see the protocol but have no correction form.
    assert!(!page.contains("data-correct="), "{page}");

    // The coordinator changes the mentor's capacity from the pairs page: 0 is refused, 2 is
    // saved and the mentor's own profile is untouched.
    let mentor_id = ok(
        app.api_as(MENTOR)
            .await
            .get(&format!("/api/v1/t/{T}/pairs"))
            .await,
        200,
    )
    .await[0]["mentor_id"]
        .as_str()
        .unwrap()
        .to_string();
    let pairs_page = format!("/t/{T}/pairs");
    let to = post_page(
        &coordinator,
        &pairs_page,
        "/api/mentor_capacity_form",
        &[("mentor", &mentor_id), ("capacity", "0")],
    )
    .await;
    assert!(to.contains("__err"), "{to}");
    let to = post_page(
        &coordinator,
        &pairs_page,
        "/api/mentor_capacity_form",
        &[("mentor", &mentor_id), ("capacity", "2")],
    )
    .await;
    assert!(to.ends_with("?capacity=1"), "{to}");
    let page = coordinator.get(&pairs_page).await.text().await.unwrap();
    assert!(page.contains(r#"<td class="load">1 / 2</td>"#), "{page}");
    let profile = ok(
        app.api_as(MENTOR)
            .await
            .get(&format!("/api/v1/t/{T}/mentors/{mentor_id}/profile"))
            .await,
        200,
    )
    .await;
    assert_eq!(profile["capacity"], 2);
    assert_eq!(profile["interests"], json!(["книги", "театр"]));
}

/// Issue 20: a phone sends a protocol, loses the answer and sends it again with the same
/// `Idempotency-Key`: one protocol, and the second answer is the first's. Another key with the
/// same values is a second protocol (two meetings may read alike); the same key for other
/// values is refused, and so is a key no one could mean; another person's same key is theirs.
#[tokio::test]
async fn a_protocol_sent_twice_with_one_idempotency_key_is_stored_once() {
    let app = TestApp::sqlite().await;
    let (_, _, pair) = crate::refusals::pair_of(&app).await;
    pair_began_days_ago(&app, &pair, 21).await;
    let yesterday = tenant_today(&app).await - chrono::Days::new(1);
    let mentor = app.api_as(MENTOR).await;
    let url = format!("{}/api/v1/t/{T}/meetings", mentor.base);
    let send = |key: &'static str, body: Value| {
        mentor
            .client
            .post(&url)
            .bearer_auth(mentor.token.as_deref().unwrap())
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let body = meeting(&pair, yesterday);

    let first = send("phone-7f3a", body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    assert_eq!(first.headers().get("ustaz-repeat"), None);
    let first: Value = first.json().await.unwrap();
    let again = send("phone-7f3a", body.clone()).await.unwrap();
    assert_eq!(again.status(), 201, "answered as the first time");
    assert_eq!(
        again
            .headers()
            .get("ustaz-repeat")
            .map(|v| v.to_str().unwrap()),
        Some("1")
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"], "the same protocol");

    let meetings = |n: usize| {
        let mentor = &mentor;
        let pair = pair.clone();
        async move {
            let list = ok(
                mentor
                    .get(&format!("/api/v1/t/{T}/pairs/{pair}/meetings"))
                    .await,
                200,
            )
            .await;
            assert_eq!(list.as_array().unwrap().len(), n, "{list}");
        }
    };
    meetings(1).await;

    // Another key: another protocol, though its values are the same.
    let second = send("phone-9c01", body.clone()).await.unwrap();
    assert_eq!(second.status(), 201);
    let second: Value = second.json().await.unwrap();
    assert_ne!(second["id"], first["id"]);
    meetings(2).await;

    // The first key for other values: refused, nothing stored.
    let mut changed = body.clone();
    changed["minutes"] = json!(45);
    let reused = send("phone-7f3a", changed).await.unwrap();
    assert_eq!(reused.status(), 422);
    let reused: Value = reused.json().await.unwrap();
    assert!(
        reused.to_string().contains("error-idempotency-key-reused"),
        "{reused}"
    );
    // A key of spaces or too long: refused before anything is done.
    for bad in [
        "   ",
        "x y",
        "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
    ] {
        let res = send(bad, body.clone()).await.unwrap();
        assert_eq!(res.status(), 422, "{bad:?}");
    }
    meetings(2).await;

    // The same key from someone else is not the mentor's: the coordinator's request is their
    // own (and refused for its own reason: a coordinator does not log protocols).
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let theirs = coordinator
        .client
        .post(&url)
        .bearer_auth(coordinator.token.as_deref().unwrap())
        .header("Idempotency-Key", "phone-7f3a")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_ne!(theirs.status(), 201);
    assert_eq!(
        theirs.headers().get("ustaz-repeat"),
        None,
        "not the mentor's answer"
    );
    meetings(2).await;
}
