//! Grants and funder reports: progress against each target checked against the known March
//! 2025 data set (on SQLite and PostgreSQL), small counts of people withheld, the API's bad
//! input and refusals, the funder report made by the worker, and the pages.

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use ustaz_tests::{DEMO_TENANT, TestApp};
use uuid::Uuid;

use crate::reports::{ADMIN, NORTH, SOUTH, finished, seed_march};
use crate::selection::{ok, refused};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn region_id(db: &sea_orm::DatabaseConnection, name: &str) -> Uuid {
    use domain::tenancy::entity::region;
    let txn = domain::db::read(db, domain::db::Scope::System)
        .await
        .unwrap();
    let r = region::Entity::find()
        .filter(region::Column::Name.eq(name))
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    txn.commit().await.unwrap();
    r.id
}

/// A coordinator of the north: the one city with a coordinator among the grant's regions.
async fn coordinator_in(db: &sea_orm::DatabaseConnection, tenant_id: Uuid, region: Uuid) {
    use domain::accounts::entity::{membership, user};
    let txn = domain::db::write(db, domain::db::Scope::System)
        .await
        .unwrap();
    let someone = user::Entity::find()
        .filter(user::Column::Email.eq("report-person-40@example.org"))
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(someone.id),
        tenant_id: Set(tenant_id),
        role: Set("coordinator".into()),
        region_id: Set(Some(region)),
        active: Set(true),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await
    .unwrap();
    txn.commit().await.unwrap();
}

/// What each metric should count in March 2025 in the north (see `seed_march`).
const MARCH_NORTH: [(&str, u64); 9] = [
    // 7 submitted in March (one in February and a draft left out)…
    ("candidates_recruited", 7),
    // …of which 2 selected.
    ("mentors_selected", 2),
    // The spring School: 6 enrolled, 5 came both days.
    ("candidates_trained", 5),
    // Every pair began in January (one in April).
    ("pairs_started", 0),
    // 8 active and 5 closed on 20 March.
    ("children_mentored", 13),
    // 6 pairs twice and 2 once (the south's one is not the grant's).
    ("meetings_logged", 14),
    ("groups_active", 0),
    ("cities_with_coordinators", 1),
    // The north's first pair began in January.
    ("cities_launched", 0),
];

async fn known_answers(db: &sea_orm::DatabaseConnection) {
    use domain::reports::entity::{grant, grant_target};
    use domain::reports::grants::{GrantMetric, service};
    let t = seed_march(db).await;
    let (north, south) = (region_id(db, NORTH).await, region_id(db, SOUTH).await);
    coordinator_in(db, t.id, north).await;
    let txn = domain::db::write(db, domain::db::Scope::Tenant(t.id))
        .await
        .unwrap();
    let new_grant = |from, to, regions: Vec<Uuid>| grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(t.id),
        funder: Set("Фонд".into()),
        title: Set("Весна".into()),
        starts_on: Set(from),
        ends_on: Set(to),
        amount: Set(1_000_000),
        currency: Set("KZT".into()),
        programme_ids: Set("[]".into()),
        region_ids: Set(serde_json::to_string(&regions).unwrap()),
        created_by: Set(None),
        created_at: Set(chrono::Utc::now()),
    };
    let march = new_grant(day(2025, 3, 1), day(2025, 3, 31), vec![north])
        .insert(&txn)
        .await
        .unwrap();
    let year = new_grant(day(2025, 1, 1), day(2025, 12, 31), vec![north, south])
        .insert(&txn)
        .await
        .unwrap();
    for g in [&march, &year] {
        for (i, m) in GrantMetric::ALL.into_iter().enumerate() {
            grant_target::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(t.id),
                grant_id: Set(g.id),
                position: Set(i as i32),
                metric: Set(m.as_str().into()),
                target: Set(if m.counts_people() { 600 } else { 3 }),
                note: Set(String::new()),
            }
            .insert(&txn)
            .await
            .unwrap();
        }
    }
    txn.commit().await.unwrap();

    let txn = domain::db::read(db, domain::db::Scope::Tenant(t.id))
        .await
        .unwrap();
    let p = service::progress(&txn, &t, &march, day(2025, 3, 31), domain::Locale::En)
        .await
        .unwrap();
    assert_eq!(p.elapsed_percent, 100);
    for (metric, expected) in MARCH_NORTH {
        let got = p
            .targets
            .iter()
            .find(|x| x.metric.as_str() == metric)
            .unwrap();
        let people = got.metric.counts_people();
        if people && (1..5).contains(&expected) {
            assert!(got.suppressed, "{metric}: {got:?}");
            assert_eq!((got.achieved, got.percent), (None, None), "{metric}");
        } else {
            assert_eq!(got.achieved, Some(expected), "{metric}: {got:?}");
            let target = if people { 600 } else { 3 };
            assert_eq!(
                got.percent,
                Some(((expected * 100 + target / 2) / target) as u32),
                "{metric}"
            );
        }
        assert_eq!(
            got.expected_by_now, got.target,
            "the grant's end: all of it"
        );
    }
    // Halfway through March: 6 submitted by the 15th, and 48% of the period gone.
    let mid = service::progress(&txn, &t, &march, day(2025, 3, 15), domain::Locale::En)
        .await
        .unwrap();
    assert_eq!(mid.elapsed_percent, 48);
    let recruited = &mid.targets[0];
    assert_eq!(recruited.metric, GrantMetric::CandidatesRecruited);
    assert_eq!(
        (recruited.achieved, recruited.expected_by_now),
        (Some(6), 288)
    );
    // The year, both regions: the north and the south both began in January.
    let whole = service::progress(&txn, &t, &year, day(2025, 12, 31), domain::Locale::En)
        .await
        .unwrap();
    let launched = whole
        .targets
        .iter()
        .find(|x| x.metric == GrantMetric::CitiesLaunched)
        .unwrap();
    assert_eq!(launched.achieved, Some(2), "{launched:?}");
    let recruited = &whole.targets[0];
    // 7 + 2 in March, 1 in February, in the north and south.
    assert_eq!(recruited.achieved, Some(10));
    txn.commit().await.unwrap();
}

#[tokio::test]
async fn grant_progress_matches_a_seeded_data_set_on_sqlite() {
    known_answers(&TestApp::sqlite().await.db).await;
}

#[tokio::test]
async fn grant_progress_matches_a_seeded_data_set_on_postgres() {
    let Some(admin_url) = ustaz_tests::service("USTAZ_TEST_PG_URL", "PostgreSQL grants") else {
        return;
    };
    let url = ustaz_tests::postgres_database(&admin_url).await;
    let db = domain::db::connect(&url, 2).await.unwrap();
    known_answers(&db).await;
}

fn a_grant(north: Uuid) -> Value {
    json!({
        "funder": "Фонд «Болашақ»",
        "title": "Наставники для Севера",
        "starts_on": "2025-03-01",
        "ends_on": "2025-03-31",
        "amount": 25_000_000,
        "currency": "kzt",
        "regions": [north],
        "targets": [
            {"metric": "candidates_trained", "target": 600,
             "note": "600 candidates recruited and trained"},
            {"metric": "mentors_selected", "target": 100},
            {"metric": "cities_with_coordinators", "target": 3, "note": "coordinators in 3 cities"},
            {"metric": "cities_launched", "target": 1, "note": "launch in a new city"}
        ]
    })
}

#[tokio::test]
async fn a_grant_is_recorded_its_progress_read_and_its_funder_report_made() {
    let app = TestApp::sqlite().await;
    let t = seed_march(&app.db).await;
    let north = region_id(&app.db, NORTH).await;
    coordinator_in(&app.db, t.id, north).await;
    let admin = app.api_as(ADMIN).await;
    let base = format!("/api/v1/t/{DEMO_TENANT}/grants");

    let g = ok(admin.post(&base, a_grant(north)).await, 201).await;
    assert_eq!(g["currency"], "KZT");
    assert_eq!(g["regions"][0]["name"], NORTH);
    assert_eq!(g["programmes"], json!([]));
    assert_eq!(g["targets"].as_array().unwrap().len(), 4);
    let id = g["id"].as_str().unwrap().to_string();
    let list = ok(admin.get(&base).await, 200).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    let p = ok(admin.get(&format!("{base}/{id}/progress")).await, 200).await;
    // The grant has ended: counted to its last day.
    assert_eq!(p["as_of"], "2025-03-31");
    assert_eq!(p["elapsed_percent"], 100);
    let t0 = &p["targets"][0];
    assert_eq!(
        (&t0["metric"], &t0["achieved"], &t0["percent"]),
        (&json!("candidates_trained"), &json!(5), &json!(1))
    );
    // 2 selected: withheld, and its share with it.
    let t1 = &p["targets"][1];
    assert_eq!(
        (&t1["achieved"], &t1["suppressed"], &t1["percent"]),
        (&Value::Null, &json!(true), &Value::Null),
        "{t1}"
    );
    // Cities are shown however few.
    assert_eq!(p["targets"][2]["achieved"], 1);
    assert_eq!(p["targets"][2]["percent"], 33);
    let mid = ok(
        admin
            .get(&format!("{base}/{id}/progress?as_of=2025-03-15"))
            .await,
        200,
    )
    .await;
    assert_eq!(mid["elapsed_percent"], 48);
    refused(
        admin
            .get(&format!("{base}/{id}/progress?as_of=someday"))
            .await,
        422,
        "error-bad-query",
    )
    .await;

    // The funder report, made by the worker: the PDF, and the CSV with the withheld cell.
    let r = ok(
        admin.post(&format!("{base}/{id}/report"), json!({})).await,
        202,
    )
    .await;
    assert_eq!(r["kind"], "funder");
    assert_eq!(r["grant_id"], id.as_str());
    let r = finished(&admin, r["id"].as_str().unwrap()).await;
    assert_eq!(r["status"], "done", "{r}");
    assert_eq!(
        (r["from"].as_str(), r["to"].as_str()),
        (Some("2025-03-01"), Some("2025-03-31"))
    );
    let file = |format: &str| {
        r["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["format"] == format)
            .unwrap()["url"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let pdf = admin.get(&file("pdf")).await.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let csv = admin.get(&file("csv")).await.text().await.unwrap();
    assert!(csv.contains("Фонд «Болашақ»"), "{csv}");
    assert!(
        csv.contains(
            "targets,600 candidates recruited and trained (Обучено кандидатов (окончили Школу наставников)),Достигнуто,5"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("targets,Отобрано наставников,Достигнуто,<5"),
        "{csv}"
    );
    assert!(
        csv.contains("targets,coordinators in 3 cities (Городов с координатором),Достигнуто,1"),
        "{csv}"
    );
}

#[tokio::test]
async fn bad_grants_and_other_people_are_refused() {
    let app = TestApp::sqlite().await;
    let admin = app.api_as(ADMIN).await;
    let base = format!("/api/v1/t/{DEMO_TENANT}/grants");
    let north = Uuid::now_v7();
    let good = || {
        let mut g = a_grant(north);
        g["regions"] = json!([]);
        g
    };
    let other_region = {
        let other = app.api_as("admin@karaganda-partner.demo").await;
        let regions = ok(other.get("/api/v1/t/karaganda-partner/regions").await, 200).await;
        regions[0]["id"].clone()
    };
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Change, &str)> = vec![
        (
            Box::new(|g| g["funder"] = json!("  ")),
            "error-grant-funder",
        ),
        (
            Box::new(|g| g["ends_on"] = json!("2025-02-01")),
            "error-grant-period-order",
        ),
        (
            Box::new(|g| g["ends_on"] = json!("2040-01-01")),
            "error-grant-period-long",
        ),
        (Box::new(|g| g["amount"] = json!(-5)), "error-grant-amount"),
        (
            Box::new(|g| g["currency"] = json!("тенге")),
            "error-grant-currency",
        ),
        (
            Box::new(|g| g["targets"] = json!([])),
            "error-grant-targets-empty",
        ),
        (
            Box::new(|g| g["targets"][0]["target"] = json!(0)),
            "error-grant-target-value",
        ),
        (
            Box::new(|g| g["targets"][1]["metric"] = json!("candidates_trained")),
            "error-grant-target-twice",
        ),
        (
            Box::new(|g| g["programmes"] = json!([Uuid::now_v7()])),
            "error-grant-programme-unknown",
        ),
        (
            Box::new(move |g| g["regions"] = json!([other_region.clone()])),
            "error-grant-region-unknown",
        ),
    ];
    for (change, code) in cases {
        let mut g = good();
        change(&mut g);
        let e = refused(admin.post(&base, g).await, 422, code).await;
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    }
    // Not JSON a grant: an unknown metric, an unknown field, a missing one.
    for change in [
        json!({"targets": [{"metric": "smiles", "target": 5}]}),
        json!({"owner": "me"}),
    ] {
        let mut g = good();
        for (k, v) in change.as_object().unwrap() {
            g[k] = v.clone();
        }
        assert_eq!(admin.post(&base, g).await.status(), 422);
    }
    let mut g = good();
    g.as_object_mut().unwrap().remove("funder");
    assert_eq!(admin.post(&base, g).await.status(), 422);
    assert_eq!(
        ok(admin.get(&base).await, 200).await,
        json!([]),
        "nothing saved"
    );

    // A grant not begun has nothing to report.
    let mut future = good();
    future["starts_on"] = json!("2030-01-01");
    future["ends_on"] = json!("2030-12-31");
    let f = ok(admin.post(&base, future).await, 201).await;
    let fid = f["id"].as_str().unwrap();
    refused(
        admin.post(&format!("{base}/{fid}/report"), json!({})).await,
        409,
        "error-grant-not-started",
    )
    .await;

    // A coordinator is refused; another tenant's admin does not find it.
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    refused(coordinator.get(&base).await, 403, "error-forbidden").await;
    refused(
        coordinator.get(&format!("{base}/{fid}/progress")).await,
        403,
        "error-forbidden",
    )
    .await;
    let other = app.api_as("admin@karaganda-partner.demo").await;
    refused(
        other
            .get(&format!(
                "/api/v1/t/karaganda-partner/grants/{fid}/progress"
            ))
            .await,
        404,
        "error-not-found",
    )
    .await;
    refused(
        other
            .post(
                &format!("/api/v1/t/karaganda-partner/grants/{fid}/report"),
                json!({}),
            )
            .await,
        404,
        "error-not-found",
    )
    .await;
    assert_eq!(
        ok(other.get("/api/v1/t/karaganda-partner/grants").await, 200).await,
        json!([])
    );
}

/// The pages, as a browser without script uses them: a bad goal refused in the admin's
/// language with nothing saved; a good grant recorded and its progress shown with a chart;
/// the funder report asked for from there.
#[tokio::test]
async fn grants_pages_record_a_grant_and_show_its_progress() {
    let app = TestApp::sqlite().await;
    seed_march(&app.db).await;
    let north = region_id(&app.db, NORTH).await.to_string();
    let (b, csrf) = crate::selection_pages::signed_in(&app, ADMIN).await;
    let page = format!("/t/{DEMO_TENANT}/grants");
    let html = b.get(&page).await.text().await.unwrap();
    assert!(html.contains("id=\"grant-form\""), "{html}");
    assert!(html.contains(NORTH));
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("slug", DEMO_TENANT),
        ("funder", "Фонд"),
        ("title", "Север"),
        ("starts_on", "2025-03-01"),
        ("ends_on", "2025-03-31"),
        ("amount", "25 000 000"),
        ("currency", "KZT"),
        ("regions[1]", north.as_str()),
        ("metric[0]", "candidates_recruited"),
        ("target[0]", "много"),
        ("note[0]", ""),
        ("metric[1]", ""),
        ("target[1]", ""),
        ("note[1]", ""),
    ];
    let (to, html) = crate::selection_pages::submit(&b, &page, "/api/create_grant", &fields).await;
    assert!(to.contains("__err"), "{to}");
    assert!(
        html.contains("Цель показателя — целое число от 1 до 10 000 000."),
        "{html}"
    );
    let api = app.api_as(ADMIN).await;
    let base = format!("/api/v1/t/{DEMO_TENANT}/grants");
    assert_eq!(ok(api.get(&base).await, 200).await, json!([]));

    fields[10] = ("target[0]", "600");
    let (to, html) = crate::selection_pages::submit(&b, &page, "/api/create_grant", &fields).await;
    assert!(to.starts_with(&format!("/t/{DEMO_TENANT}/grants/")), "{to}");
    assert!(html.contains("id=\"grant-progress\""), "{html}");
    assert!(
        html.contains("data-metric=\"candidates_recruited\""),
        "{html}"
    );
    assert!(html.contains("data-chart=\"targets\""), "the chart: {html}");
    assert!(html.contains("25\u{a0}000\u{a0}000 KZT"), "{html}");
    let grants = ok(api.get(&base).await, 200).await;
    let id = grants[0]["id"].as_str().unwrap().to_string();
    assert_eq!(grants[0]["regions"][0]["name"], NORTH);

    let (to, _) = crate::selection_pages::submit(
        &b,
        &to,
        "/api/request_funder_report",
        &[("csrf", &csrf), ("slug", DEMO_TENANT), ("id", &id)],
    )
    .await;
    assert_eq!(to, format!("/t/{DEMO_TENANT}/reports"));
    let reports = ok(
        api.get(&format!("/api/v1/t/{DEMO_TENANT}/reports")).await,
        200,
    )
    .await;
    assert_eq!(reports[0]["kind"], "funder");
    assert_eq!(reports[0]["grant_id"], id.as_str());
}
