//! Matching through the API: children registered by staff with their consent, the waiting list
//! with the days each child has waited, and a child's record kept to the staff of their region,
//! every read audit-logged.

use serde_json::{Value, json};
use ustaz_tests::{DEMO_TENANT, TestApp};

use crate::selection::{audit_count, ok};

const T: &str = DEMO_TENANT;

fn child(first_name: &str) -> Value {
    json!({
        "first_name": first_name, "last_initial": "к", "date_of_birth": "2014-05-02",
        "gender": "female", "languages": ["kk", "ru"], "interests": ["Рисование", "music"],
        "needs": "Нужна поддержка с учёбой", "preferred_mentor_gender": "female",
        "consent": {"by": "institution", "name": "Директор Д. Ахметова", "given_on": "2026-09-01"}
    })
}

#[tokio::test]
async fn staff_register_children_who_wait_in_order_and_only_their_region_sees_them() {
    let app = TestApp::sqlite().await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    let path = format!("/api/v1/t/{T}/children");

    // The coordinator's child is in their region; the record comes back cleaned.
    let aliya = ok(coordinator.post(&path, child("Алия")).await, 201).await;
    assert_eq!(aliya["last_initial"], "К");
    assert_eq!(aliya["status"], "waiting");
    assert_eq!(aliya["waiting_days"], 0);
    assert_eq!(aliya["interests"], json!(["music", "рисование"]));
    assert!(aliya["region_name"].as_str().is_some_and(|r| !r.is_empty()));

    // Bad fields are named, and nothing is saved.
    for (field, value, code) in [
        ("last_initial", json!("Кар"), "error-child-initial"),
        (
            "date_of_birth",
            json!("2099-01-01"),
            "error-child-birth-date",
        ),
        ("languages", json!([]), "error-child-languages"),
        (
            "institution_id",
            json!(uuid::Uuid::now_v7()),
            "error-institution-unknown",
        ),
    ] {
        let mut body = child("Плохо");
        body[field] = value;
        let res = ok(coordinator.post(&path, body).await, 422).await;
        assert_eq!(res["error"], code, "{field}: {res}");
    }

    // A second region, with a child the admin registers there.
    let astana = ok(
        admin
            .post(&format!("/api/v1/t/{T}/regions"), json!({"name": "Астана"}))
            .await,
        201,
    )
    .await;
    let mut there = child("Дана");
    there["region_id"] = astana["id"].clone();
    let res = ok(coordinator.post(&path, there.clone()).await, 422).await;
    assert_eq!(res["error"], "error-region-not-yours");
    let dana = ok(admin.post(&path, there).await, 201).await;

    // Aliya has waited ten days: she comes first, with the days counted.
    {
        use domain::matching::entity::child;
        use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
        let id: uuid::Uuid = aliya["id"].as_str().unwrap().parse().unwrap();
        let txn = domain::db::write(&app.db, domain::db::Scope::System)
            .await
            .unwrap();
        let mut am = child::Entity::find_by_id(id)
            .one(&txn)
            .await
            .unwrap()
            .unwrap()
            .into_active_model();
        am.waiting_since = Set(chrono::Utc::now() - chrono::Duration::days(10));
        am.update(&txn).await.unwrap();
        txn.commit().await.unwrap();
    }
    let all = ok(admin.get(&format!("{path}/waiting")).await, 200).await;
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    // The demo seed's two children (Алия and Ерлан, registered just now) come after her;
    // Дана, registered last, is last.
    assert_eq!(names, ["Алия К.", "Алия К.", "Ерлан Б.", "Дана К."]);
    assert_eq!(all[0]["id"], aliya["id"]);
    assert_eq!(all[0]["waiting_days"], 10);
    assert!(all[0].get("needs").is_none(), "the list carries no needs");

    // The coordinator and the psychologist of Almaty see Almaty's children, not Дана.
    for api in [&coordinator, &psychologist] {
        let mine = ok(api.get(&format!("{path}/waiting")).await, 200).await;
        assert_eq!(mine.as_array().unwrap().len(), 3);
        assert_eq!(mine[0]["id"], aliya["id"]);
        assert!(
            mine.as_array()
                .unwrap()
                .iter()
                .all(|c| c["id"] != dana["id"])
        );
    }
    let dana_path = format!("{path}/{}", dana["id"].as_str().unwrap());
    ok(coordinator.get(&dana_path).await, 404).await;

    // Reading a record is logged, each time.
    let before = audit_count(&app, "child.read").await;
    let record = ok(
        psychologist
            .get(&format!("{path}/{}", aliya["id"].as_str().unwrap()))
            .await,
        200,
    )
    .await;
    assert_eq!(record["needs"], "Нужна поддержка с учёбой");
    assert_eq!(audit_count(&app, "child.read").await, before + 1);
    assert_eq!(
        audit_count(&app, "children.waiting.read").await,
        3,
        "one per list read"
    );
}

/// Issue 19, principle 9: the psychologist deciding on a match is warned, by the approve
/// button, while the child's signed consent is not on file; the page in Russian says so, and
/// says nothing once it is.
#[tokio::test]
async fn approving_a_match_warns_while_the_signed_consent_is_missing() {
    let app = TestApp::sqlite().await;
    let (child, _) = crate::refusals::proposed_match(&app).await;
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    app.execute("UPDATE users SET locale = 'ru' WHERE email = 'psychologist@almaty-mentors.demo'")
        .await;
    let psychologist = app.browser();
    psychologist.login("psychologist@almaty-mentors.demo").await;
    let page = format!("/t/{T}/children/{child}");
    let html = psychologist.get(&page).await.text().await.unwrap();
    assert!(html.contains("/api/decide_match_form"), "the decision form");
    assert!(html.contains(r#"id="consent-missing""#), "{html}");
    assert!(html.contains("Подписанное согласие"), "in Russian");

    let res = coordinator
        .upload(
            &format!("/api/v1/t/{T}/children/{child}/consent"),
            "consent.pdf",
            "application/pdf",
            worker::recruitment::fixtures::pdf(1),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let html = psychologist.get(&page).await.text().await.unwrap();
    assert!(html.contains("/api/decide_match_form"));
    assert!(!html.contains(r#"id="consent-missing""#), "{html}");
}
