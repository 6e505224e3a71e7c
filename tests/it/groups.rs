//! Youth groups (the Zhas model) through the API and the pages: the demo's group with its
//! members and mentor, registering a group, members joining and leaving, mentors assigned and
//! unassigned, and the one session a month that brings a group back on track.
//!
//! The demo seed gives the group "Жас көшбасшылар" in Almaty: six members, the demo mentor
//! assigned, its last session 35 days ago (so it is overdue by a few days).

use serde_json::{Value, json};
use ustaz_tests::{DEMO_TENANT, TestApp};

use crate::pairs::{post_page, tenant_today};
use crate::selection::{ok, refused};

const T: &str = DEMO_TENANT;
const MENTOR: &str = "mentor@almaty-mentors.demo";
const COORDINATOR: &str = "coordinator@almaty-mentors.demo";

/// The demo's group, as `api` sees it.
pub(crate) async fn demo_group(api: &ustaz_tests::Api) -> Value {
    let groups = ok(api.get(&format!("/api/v1/t/{T}/groups")).await, 200).await;
    groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Жас көшбасшылар")
        .cloned()
        .expect("the demo group")
}

#[tokio::test]
async fn a_group_gets_members_and_a_mentor_and_its_monthly_session_puts_it_back_on_track() {
    let app = TestApp::sqlite().await;
    let today = tenant_today(&app).await;
    let coordinator = app.api_as(COORDINATOR).await;
    let mentor = app.api_as(MENTOR).await;
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;

    // The demo group: six members, the mentor, overdue since its last session 35 days ago.
    let group = demo_group(&coordinator).await;
    let id = group["id"].as_str().unwrap().to_string();
    assert_eq!(group["members"].as_array().unwrap().len(), 6);
    let mentor_me = ok(mentor.get("/api/v1/me").await, 200).await;
    assert_eq!(
        group["mentors"][0]["name"], mentor_me["full_name"],
        "{group}"
    );
    assert_eq!(group["standing"]["state"], "overdue", "{group}");
    assert_eq!(
        group["last_session"],
        (today - chrono::Days::new(35)).to_string()
    );
    // The mentor sees the group they lead; the psychologist of the region follows it.
    assert_eq!(demo_group(&mentor).await["id"], group["id"]);
    assert_eq!(demo_group(&psychologist).await["id"], group["id"]);

    // This month's session: not more present than members, not twice in a month.
    let session = |attendees: u32| {
        json!({"held_on": today, "minutes": 90, "attendees": attendees,
               "topic": "Субботник: итоги", "agreements": "Полить саженцы в субботу"})
    };
    let sessions = format!("/api/v1/t/{T}/groups/{id}/sessions");
    refused(
        mentor.post(&sessions, session(7)).await,
        422,
        "error-session-attendees",
    )
    .await;
    // Staff do not log sessions; a mentor logs them.
    assert_eq!(coordinator.post(&sessions, session(5)).await.status(), 403);
    let logged = ok(mentor.post(&sessions, session(6)).await, 201).await;
    assert_eq!(
        logged["month"],
        domain::support::month_of(today).to_string()
    );
    refused(
        mentor.post(&sessions, session(4)).await,
        409,
        "error-session-month-taken",
    )
    .await;
    let group = ok(
        coordinator.get(&format!("/api/v1/t/{T}/groups/{id}")).await,
        200,
    )
    .await;
    assert_eq!(group["standing"]["state"], "on_track", "{group}");
    let listed = ok(psychologist.get(&sessions).await, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["topic"], "Субботник: итоги");

    // The coordinator registers a group: it must be of a group programme, with a name.
    let programmes = ok(
        app.api().get(&format!("/api/v1/t/{T}/programmes")).await,
        200,
    )
    .await;
    let slug_id = |slug: &str| {
        programmes
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["slug"] == slug)
            .map(|p| p["id"].as_str().unwrap().to_string())
            .unwrap()
    };
    let region = app.programme_region(T, "youth-groups-2026").await;
    let new_group = |programme: String, name: &str| {
        json!({"programme_id": programme, "region_id": region, "name": name,
               "host_organisation": "Колледж связи", "project": "Медиа-клуб"})
    };
    refused(
        coordinator
            .post(
                &format!("/api/v1/t/{T}/groups"),
                new_group(slug_id("mentors-2026"), "Медиа"),
            )
            .await,
        422,
        "error-group-programme",
    )
    .await;
    refused(
        coordinator
            .post(
                &format!("/api/v1/t/{T}/groups"),
                new_group(slug_id("youth-groups-2026"), "  "),
            )
            .await,
        422,
        "error-group-name",
    )
    .await;
    // A mentor does not register groups.
    assert_eq!(
        mentor
            .post(
                &format!("/api/v1/t/{T}/groups"),
                new_group(slug_id("youth-groups-2026"), "Медиа"),
            )
            .await
            .status(),
        403
    );
    let created = ok(
        coordinator
            .post(
                &format!("/api/v1/t/{T}/groups"),
                new_group(slug_id("youth-groups-2026"), "Медиа"),
            )
            .await,
        201,
    )
    .await;
    let media = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["started_on"], today.to_string());

    // Members: of youth-group age only; the psychologist follows but does not add.
    let members = format!("/api/v1/t/{T}/groups/{media}/members");
    let member = |born: chrono::NaiveDate| json!({"first_name": "Ерасыл", "last_initial": "м", "date_of_birth": born});
    refused(
        coordinator
            .post(&members, member(today - chrono::Days::new(365 * 8)))
            .await,
        422,
        "error-member-age",
    )
    .await;
    assert_eq!(
        psychologist
            .post(&members, member(today - chrono::Days::new(365 * 16)))
            .await
            .status(),
        403
    );
    let with_member = ok(
        coordinator
            .post(&members, member(today - chrono::Days::new(365 * 16)))
            .await,
        201,
    )
    .await;
    assert_eq!(with_member["members"][0]["name"], "Ерасыл М.");
    let member_id = with_member["members"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A mentor the group has not got cannot log for it.
    refused(
        mentor
            .post(
                &format!("/api/v1/t/{T}/groups/{media}/sessions"),
                json!({"held_on": today, "minutes": 60, "attendees": 1}),
            )
            .await,
        404,
        "error-not-found",
    )
    .await;
    assert_eq!(
        mentor
            .get(&format!("/api/v1/t/{T}/groups/{media}"))
            .await
            .status(),
        404
    );

    // Mentors: only an active mentor of the organisation, once.
    let mentors = format!("/api/v1/t/{T}/groups/{media}/mentors");
    let staff = ok(
        app.api_as("admin@almaty-mentors.demo")
            .await
            .get(&format!("/api/v1/t/{T}/users"))
            .await,
        200,
    )
    .await;
    let not_a_mentor = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == COORDINATOR)
        .unwrap()["user_id"]
        .clone();
    refused(
        coordinator
            .post(&mentors, json!({"mentor_id": not_a_mentor}))
            .await,
        422,
        "error-mentor-unknown",
    )
    .await;
    let mentor_id = group["mentors"][0]["mentor_id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        coordinator
            .post(&mentors, json!({"mentor_id": mentor_id}))
            .await,
        200,
    )
    .await;
    refused(
        coordinator
            .post(&mentors, json!({"mentor_id": mentor_id}))
            .await,
        409,
        "error-group-mentor-assigned",
    )
    .await;
    ok(
        mentor
            .post(
                &format!("/api/v1/t/{T}/groups/{media}/sessions"),
                json!({"held_on": today, "minutes": 60, "attendees": 1}),
            )
            .await,
        201,
    )
    .await;

    // A member leaves (once) and stays in the history; the mentor is unassigned and loses
    // the group, their session kept.
    let left = ok(
        coordinator.delete(&format!("{members}/{member_id}")).await,
        200,
    )
    .await;
    assert_eq!(left["members"][0]["left_on"], today.to_string());
    refused(
        coordinator.delete(&format!("{members}/{member_id}")).await,
        409,
        "error-member-left",
    )
    .await;
    let after = ok(
        coordinator.delete(&format!("{mentors}/{mentor_id}")).await,
        200,
    )
    .await;
    assert_eq!(after["mentors"][0]["unassigned_on"], today.to_string());
    assert_eq!(
        mentor
            .get(&format!("/api/v1/t/{T}/groups/{media}/sessions"))
            .await
            .status(),
        404
    );
    let kept = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/groups/{media}/sessions"))
            .await,
        200,
    )
    .await;
    assert_eq!(kept.as_array().unwrap().len(), 1);
    let mine = ok(mentor.get(&format!("/api/v1/t/{T}/groups")).await, 200).await;
    assert!(mine.as_array().unwrap().iter().all(|g| g["id"] != media));
}

#[tokio::test]
async fn groups_work_from_the_pages_without_script() {
    let app = TestApp::sqlite().await;
    let today = tenant_today(&app).await;
    let group = demo_group(&app.api_as(COORDINATOR).await).await;
    let id = group["id"].as_str().unwrap().to_string();
    let page = format!("/t/{T}/groups/{id}");
    let mentor = app.browser();
    mentor.login(MENTOR).await;
    let coordinator = app.browser();
    coordinator.login(COORDINATOR).await;

    // The list shows the group overdue; the mentor's page has the session form.
    let list = coordinator
        .get(&format!("/t/{T}/groups"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("Жас көшбасшылар") && list.contains(r#"data-state="overdue""#),
        "{list}"
    );
    let html = mentor.get(&page).await.text().await.unwrap();
    assert!(html.contains(r#"id="log-session""#), "{html}");

    // A session with more present than members comes back with the reason; a good one is
    // logged and the group is on track.
    let to = post_page(
        &mentor,
        &page,
        "/api/log_group_session_form",
        &[
            ("group", &id),
            ("held_on", &today.to_string()),
            ("minutes", "90"),
            ("attendees", "60"),
            ("topic", ""),
            ("agreements", ""),
            ("next_steps", ""),
        ],
    )
    .await;
    assert!(to.contains("__err"), "{to}");
    let to = post_page(
        &mentor,
        &page,
        "/api/log_group_session_form",
        &[
            ("group", &id),
            ("held_on", &today.to_string()),
            ("minutes", "90"),
            ("attendees", "6"),
            ("topic", "Итоги субботника"),
            ("agreements", ""),
            ("next_steps", ""),
        ],
    )
    .await;
    assert!(to.ends_with("?logged=1"), "{to}");
    let html = coordinator.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("Итоги субботника") && html.contains(r#"data-state="on_track""#),
        "{html}"
    );
    // The mentor has no member form; the coordinator adds a member from the page.
    assert!(
        !mentor
            .get(&page)
            .await
            .text()
            .await
            .unwrap()
            .contains(r#"id="add-member""#)
    );
    let to = post_page(
        &coordinator,
        &page,
        "/api/add_group_member_form",
        &[
            ("group", &id),
            ("first_name", "Гульнара"),
            ("last_initial", "б"),
            ("date_of_birth", "2011-03-08"),
        ],
    )
    .await;
    assert!(to.ends_with("?member=1"), "{to}");
    let html = coordinator.get(&page).await.text().await.unwrap();
    assert!(html.contains("Гульнара Б."), "{html}");
}
