//! Selection through the JSON API: a submitted application goes through every gate (each
//! refused when opened early), psychologists' notes stay with psychologists, a School of
//! Mentors cohort fills to capacity and then its waiting list, attendance completes the stage,
//! and the committee of the candidate's region votes once each under the programme's rule.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use ustaz_tests::{Api, DEMO_TENANT, Options, TestApp, postgres_database, service};

const T: &str = DEMO_TENANT;

pub(crate) fn candidate_path(id: &str) -> String {
    format!("/api/v1/t/{T}/candidates/{id}")
}

pub(crate) async fn ok(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

/// Refused with `status` and the error `code`.
pub(crate) async fn refused(res: reqwest::Response, status: u16, code: &str) -> Value {
    let body = ok(res, status).await;
    assert_eq!(body["error"], code, "{body}");
    body
}

pub(crate) async fn advance(api: &Api, id: &str, stage: &str) -> reqwest::Response {
    api.post(
        &format!("{}/stages", candidate_path(id)),
        json!({ "stage": stage }),
    )
    .await
}

pub(crate) async fn result(api: &Api, id: &str, stage: &str, body: Value) -> reqwest::Response {
    api.post(
        &format!("{}/stages/{stage}/result", candidate_path(id)),
        body,
    )
    .await
}

fn record<'a>(view: &'a Value, stage: &str) -> &'a Value {
    view["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["stage"] == stage)
        .unwrap_or_else(|| panic!("no {stage} record in {view}"))
}

pub(crate) async fn audit_count(app: &TestApp, action: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// A submitted candidate whose documents the coordinator verified and whose documents stage
/// passed.
pub(crate) async fn documents_passed(app: &TestApp, coordinator: &Api, email: &str) -> String {
    let (_, id, documents) = app.submitted_application(email, "ru").await;
    for doc in &documents {
        ok(
            coordinator
                .post(
                    &format!("/api/v1/t/{T}/documents/{doc}/review"),
                    json!({"decision": "verified"}),
                )
                .await,
            200,
        )
        .await;
    }
    ok(
        result(coordinator, &id, "documents", json!({"decision": "passed"})).await,
        200,
    )
    .await;
    id
}

/// The same, with the testing and interview stages passed too.
pub(crate) async fn through_interview(
    app: &TestApp,
    coordinator: &Api,
    psychologist: &Api,
    email: &str,
) -> String {
    let id = documents_passed(app, coordinator, email).await;
    for stage in ["psych_test", "interview"] {
        ok(advance(coordinator, &id, stage).await, 201).await;
        ok(
            result(
                psychologist,
                &id,
                stage,
                json!({"decision": "passed", "score": 80, "notes": "Steady"}),
            )
            .await,
            200,
        )
        .await;
    }
    id
}

/// The same, at the School of Mentors.
pub(crate) async fn at_school(
    app: &TestApp,
    coordinator: &Api,
    psychologist: &Api,
    email: &str,
) -> String {
    let id = through_interview(app, coordinator, psychologist, email).await;
    ok(advance(coordinator, &id, "school").await, 201).await;
    id
}

#[tokio::test]
async fn a_candidate_passes_each_gate_in_order_with_assessor_score_and_private_notes() {
    let app = TestApp::sqlite().await;
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    let trainer = app.api_as("trainer@almaty-mentors.demo").await;
    let (_, id, documents) = app.submitted_application("gates@example.kz", "en").await;

    // Submission opened the first stage.
    let view = ok(coordinator.get(&candidate_path(&id)).await, 200).await;
    assert_eq!(view["candidate"]["stage"], "documents");
    assert_eq!(view["candidate"]["stage_status"], "open");
    assert_eq!(view["candidate"]["outcome"], "pending");
    assert_eq!(view["next_stage"], Value::Null);

    // A stage opened early, a stage skipped, a stage that is not there.
    refused(
        advance(&coordinator, &id, "psych_test").await,
        409,
        "error-stage-previous-not-passed",
    )
    .await;
    refused(
        advance(&coordinator, &id, "documents").await,
        409,
        "error-stage-already-open",
    )
    .await;
    refused(
        advance(&coordinator, &id, "orientation").await,
        422,
        "error-bad-request",
    )
    .await;
    // Documents cannot pass before each is verified; every missing one is named.
    let unmet = refused(
        result(
            &coordinator,
            &id,
            "documents",
            json!({"decision": "passed"}),
        )
        .await,
        422,
        "error-documents-not-verified",
    )
    .await;
    assert_eq!(unmet["reasons"].as_array().unwrap().len(), 8, "{unmet}");
    // A failure needs a reason; a trainer may not decide the documents stage.
    refused(
        result(
            &coordinator,
            &id,
            "documents",
            json!({"decision": "failed"}),
        )
        .await,
        422,
        "error-reason-required",
    )
    .await;
    ok(
        result(&trainer, &id, "documents", json!({"decision": "passed"})).await,
        403,
    )
    .await;
    for doc in &documents {
        ok(
            coordinator
                .post(
                    &format!("/api/v1/t/{T}/documents/{doc}/review"),
                    json!({"decision": "verified"}),
                )
                .await,
            200,
        )
        .await;
    }
    let view = ok(
        result(
            &coordinator,
            &id,
            "documents",
            json!({"decision": "passed"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(record(&view, "documents")["status"], "passed");
    assert_eq!(record(&view, "documents")["assessor"], "Координатор");
    assert_eq!(view["next_stage"], "psych_test");
    refused(
        result(
            &coordinator,
            &id,
            "documents",
            json!({"decision": "passed"}),
        )
        .await,
        409,
        "error-stage-already-decided",
    )
    .await;
    refused(
        advance(&coordinator, &id, "interview").await,
        409,
        "error-stage-previous-not-passed",
    )
    .await;

    // Testing: only a psychologist decides, with a score.
    ok(advance(&coordinator, &id, "psych_test").await, 201).await;
    ok(
        result(
            &coordinator,
            &id,
            "psych_test",
            json!({"decision": "passed", "score": 70}),
        )
        .await,
        403,
    )
    .await;
    refused(
        result(
            &psychologist,
            &id,
            "psych_test",
            json!({"decision": "passed"}),
        )
        .await,
        422,
        "error-stage-score-required",
    )
    .await;
    refused(
        result(
            &psychologist,
            &id,
            "psych_test",
            json!({"decision": "passed", "score": 140}),
        )
        .await,
        422,
        "error-stage-score-range",
    )
    .await;
    let reads_before = audit_count(&app, "stage_notes.read").await;
    let view = ok(
        result(
            &psychologist,
            &id,
            "psych_test",
            json!({"decision": "passed", "score": 78, "notes": "Calm under pressure; early loss"}),
        )
        .await,
        200,
    )
    .await;
    let testing = record(&view, "psych_test");
    assert_eq!(testing["score"], 78);
    assert_eq!(testing["notes"], "Calm under pressure; early loss");
    assert_eq!(testing["assessor"], "Психолог");
    assert!(testing["decided_at"].is_string());
    assert!(audit_count(&app, "stage_notes.read").await > reads_before);

    // The notes are the psychologists': the coordinator sees that there are some, not what
    // they say, and the read is not logged as a read of the notes. The committee does not see
    // the candidate at all before the committee stage (least privilege).
    let committee = app.api_as("committee@almaty-mentors.demo").await;
    assert_eq!(committee.get(&candidate_path(&id)).await.status(), 404);
    for reader in ["coordinator@almaty-mentors.demo"] {
        let api = app.api_as(reader).await;
        let before = audit_count(&app, "stage_notes.read").await;
        let view = ok(api.get(&candidate_path(&id)).await, 200).await;
        let text = view.to_string();
        assert!(!text.contains("early loss"), "{reader} read the notes");
        assert_eq!(record(&view, "psych_test")["notes_hidden"], true);
        assert_eq!(record(&view, "psych_test")["score"], 78);
        assert_eq!(audit_count(&app, "stage_notes.read").await, before);
    }
    let before = audit_count(&app, "stage_notes.read").await;
    let view = ok(psychologist.get(&candidate_path(&id)).await, 200).await;
    assert_eq!(
        record(&view, "psych_test")["notes"],
        "Calm under pressure; early loss"
    );
    assert_eq!(audit_count(&app, "stage_notes.read").await, before + 1);

    // The board: by stage, region and name; another region's coordinator sees nobody.
    let rows = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/candidates?stage=psych_test"))
            .await,
        200,
    )
    .await;
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["id"], id.as_str());
    assert_eq!(rows[0]["stage_status"], "passed");
    let rows = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/candidates?stage=interview"))
            .await,
        200,
    )
    .await;
    assert!(rows.as_array().unwrap().is_empty());
    let rows = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/candidates?q=GATES@"))
            .await,
        200,
    )
    .await;
    assert_eq!(rows.as_array().unwrap().len(), 1);
    refused(
        coordinator
            .get(&format!("/api/v1/t/{T}/candidates?stage=nope"))
            .await,
        422,
        "error-bad-query",
    )
    .await;

    // A failed interview ends the candidacy: nothing opens after it.
    ok(advance(&coordinator, &id, "interview").await, 201).await;
    let view = ok(
        result(
            &psychologist,
            &id,
            "interview",
            json!({"decision": "failed", "score": 20, "reason": "Not available on weekdays"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(view["candidate"]["outcome"], "not_selected");
    assert_eq!(
        record(&view, "interview")["reason"],
        "Not available on weekdays"
    );
    refused(
        advance(&coordinator, &id, "school").await,
        409,
        "error-candidate-not-selected",
    )
    .await;
    // The contract passes by signing it, not by a stage result.
    refused(
        result(&coordinator, &id, "contract", json!({"decision": "passed"})).await,
        409,
        "error-stage-contract-by-signing",
    )
    .await;
}

/// The production shape, PostgreSQL (row-level security, the cohort row lock) with Redis, or
/// `None` when CI did not
/// provide it (skipped loudly, and a failure under `USTAZ_TEST_REQUIRE_ALL`).
pub(crate) async fn on_postgres(suite: &str) -> Option<TestApp> {
    let admin_url = service("USTAZ_TEST_PG_URL", suite)?;
    let redis = service("USTAZ_TEST_REDIS_URL", suite)?;
    Some(
        TestApp::spawn(Options {
            database_url: Some(postgres_database(&admin_url).await),
            redis_url: Some(redis),
            seed: false,
            in_process_worker: true,
            ..Default::default()
        })
        .await,
    )
}

#[tokio::test]
async fn a_school_fills_to_capacity_keeps_a_waiting_list_and_attendance_completes_the_stage() {
    school(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn a_school_on_postgres() {
    if let Some(app) = on_postgres("selection: school on PostgreSQL").await {
        school(app).await;
    }
}

async fn school(app: TestApp) {
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    let trainer = app.api_as("trainer@almaty-mentors.demo").await;
    let first = at_school(&app, &coordinator, &psychologist, "first@example.kz").await;
    let second = at_school(&app, &coordinator, &psychologist, "second@example.kz").await;

    let staff = ok(admin.get(&format!("/api/v1/t/{T}/users")).await, 200).await;
    let user_id = |email: &str| {
        staff
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == email)
            .unwrap()["user_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let trainer_id = user_id("trainer@almaty-mentors.demo");
    let programme: Value = app
        .api()
        .get(&format!("/api/v1/t/{T}/programmes/mentors-2027"))
        .await
        .json()
        .await
        .unwrap();
    let yesterday = (ustaz_tests::demo_today() - chrono::Days::new(1)).to_string();
    let school = |capacity: u32, hours: u32| {
        json!({"kind": "school", "title": "School of Mentors, spring", "programme_id": programme["id"],
               "starts_on": yesterday, "days": 2, "academic_hours": hours, "place": "Almaty, Abay 10",
               "trainers": [trainer_id], "capacity": capacity})
    };
    // Bad cohorts are refused by field; a trainer cannot create one.
    let bad = refused(
        coordinator
            .post(&format!("/api/v1/t/{T}/cohorts"), school(1, 12))
            .await,
        422,
        "error-school-hours",
    )
    .await;
    assert_eq!(bad["field"], "academic_hours");
    refused(
        coordinator
            .post(&format!("/api/v1/t/{T}/cohorts"), school(0, 16))
            .await,
        422,
        "error-cohort-capacity",
    )
    .await;
    let mut with_stranger = school(1, 16);
    with_stranger["trainers"] = json!([user_id("mentor@almaty-mentors.demo")]);
    refused(
        coordinator
            .post(&format!("/api/v1/t/{T}/cohorts"), with_stranger)
            .await,
        422,
        "error-trainer-unknown",
    )
    .await;
    ok(
        trainer
            .post(&format!("/api/v1/t/{T}/cohorts"), school(1, 16))
            .await,
        403,
    )
    .await;
    let cohort = ok(
        coordinator
            .post(&format!("/api/v1/t/{T}/cohorts"), school(1, 16))
            .await,
        201,
    )
    .await;
    let cohort_id = cohort["cohort"]["id"].as_str().unwrap().to_string();
    let members = format!("/api/v1/t/{T}/cohorts/{cohort_id}/members");

    // One seat: the first is enrolled, the second waits, nobody is enrolled twice.
    let view = ok(
        coordinator
            .post(&members, json!({"application_id": first}))
            .await,
        201,
    )
    .await;
    assert_eq!(view["members"][0]["status"], "enrolled");
    let view = ok(
        coordinator
            .post(&members, json!({"application_id": second}))
            .await,
        201,
    )
    .await;
    assert_eq!(view["cohort"]["enrolled"], 1);
    assert_eq!(view["cohort"]["waitlisted"], 1);
    assert_eq!(view["cohort"]["fill_rate"], 100);
    assert_eq!(view["members"][1]["status"], "waitlisted");
    refused(
        coordinator
            .post(&members, json!({"application_id": first}))
            .await,
        409,
        "error-already-enrolled",
    )
    .await;
    let first_seat = view["members"][0]["id"].as_str().unwrap().to_string();
    let second_seat = view["members"][1]["id"].as_str().unwrap().to_string();

    // One School of Mentors at a time: a second group of the programme refuses the seated
    // and the queued candidate alike, until they are withdrawn from the first.
    let other = ok(
        coordinator
            .post(&format!("/api/v1/t/{T}/cohorts"), school(5, 16))
            .await,
        201,
    )
    .await;
    let other_members = format!(
        "/api/v1/t/{T}/cohorts/{}/members",
        other["cohort"]["id"].as_str().unwrap()
    );
    for candidate in [&first, &second] {
        refused(
            coordinator
                .post(&other_members, json!({"application_id": candidate}))
                .await,
            409,
            "error-cohort-enrolled-elsewhere",
        )
        .await;
    }

    // Attendance: by the cohort's trainer, for days that have begun, for enrolled seats only.
    let attendance = format!("/api/v1/t/{T}/cohorts/{cohort_id}/attendance");
    refused(
        trainer
            .post(&attendance, json!({"day": 3, "present": [first_seat]}))
            .await,
        422,
        "error-attendance-day",
    )
    .await;
    refused(
        trainer
            .post(&attendance, json!({"day": 1, "present": [second_seat]}))
            .await,
        422,
        "error-attendance-member",
    )
    .await;
    ok(
        psychologist
            .post(&attendance, json!({"day": 1, "present": [first_seat]}))
            .await,
        403,
    )
    .await;
    let view = ok(
        trainer
            .post(&attendance, json!({"day": 1, "present": [first_seat]}))
            .await,
        200,
    )
    .await;
    assert_eq!(view["members"][0]["attendance"], json!([true, null]));
    // One day of two: the School stage is still open.
    let candidate = ok(coordinator.get(&candidate_path(&first)).await, 200).await;
    assert_eq!(record(&candidate, "school")["status"], "open");
    refused(
        result(
            &coordinator,
            &first,
            "school",
            json!({"decision": "passed"}),
        )
        .await,
        409,
        "error-school-not-completed",
    )
    .await;
    let view = ok(
        trainer
            .post(&attendance, json!({"day": 2, "present": [first_seat]}))
            .await,
        200,
    )
    .await;
    assert_eq!(view["completed"], 1);
    assert_eq!(view["attendance_rate"], 100);
    let candidate = ok(coordinator.get(&candidate_path(&first)).await, 200).await;
    let school_record = record(&candidate, "school");
    assert_eq!(school_record["status"], "passed");
    assert_eq!(school_record["assessor"], "Тренер / Trainer");
    assert_eq!(candidate["seats"][0]["completed"], true);
    assert_eq!(candidate["next_stage"], "committee");

    // A freed seat goes to the first on the waiting list.
    let view = ok(
        coordinator.delete(&format!("{members}/{first_seat}")).await,
        200,
    )
    .await;
    let statuses: Vec<&str> = view["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["enrolled"]);
    assert_eq!(view["members"][0]["id"], second_seat.as_str());

    // Withdrawn from the first group, the other candidate takes a seat in the other.
    ok(
        coordinator
            .delete(&format!("{members}/{second_seat}"))
            .await,
        200,
    )
    .await;
    ok(
        coordinator
            .post(&other_members, json!({"application_id": second}))
            .await,
        201,
    )
    .await;

    // A candidate not yet at the school stage cannot be enrolled.
    let (_, fresh, _) = app.submitted_application("fresh@example.kz", "en").await;
    refused(
        coordinator
            .post(&members, json!({"application_id": fresh}))
            .await,
        409,
        "error-cohort-stage-not-reached",
    )
    .await;
}

#[tokio::test]
async fn the_committee_of_the_region_votes_once_each_and_its_rule_decides() {
    committee(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn a_committee_on_postgres() {
    if let Some(app) = on_postgres("selection: committee on PostgreSQL").await {
        committee(app).await;
    }
}

async fn committee(app: TestApp) {
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    let committee = app.api_as("committee@almaty-mentors.demo").await;
    // A programme without a School of Mentors (the school has its own test): the committee
    // follows the interview.
    without_school(&app).await;
    let id = through_interview(&app, &coordinator, &psychologist, "vote@example.kz").await;
    refused(
        advance(&coordinator, &id, "school").await,
        422,
        "error-stage-not-in-programme",
    )
    .await;
    let votes = format!("{}/votes", candidate_path(&id));
    // Before the committee stage the candidate is not the committee's to see, nor to vote on.
    ok(
        committee.post(&votes, json!({"vote": "approve"})).await,
        403,
    )
    .await;
    ok(advance(&coordinator, &id, "committee").await, 201).await;

    // Not a committee member; a bad ballot.
    ok(
        coordinator.post(&votes, json!({"vote": "approve"})).await,
        403,
    )
    .await;
    refused(
        committee.post(&votes, json!({"vote": "maybe"})).await,
        422,
        "error-bad-request",
    )
    .await;
    // A committee member of another region of the same organisation.
    let staff = ok(admin.get(&format!("/api/v1/t/{T}/users")).await, 200).await;
    let membership = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "committee@almaty-mentors.demo")
        .unwrap()["membership_id"]
        .as_str()
        .unwrap()
        .to_string();
    let shymkent = ok(
        admin
            .post(
                &format!("/api/v1/t/{T}/regions"),
                json!({"name": "Шымкент"}),
            )
            .await,
        201,
    )
    .await;
    let membership_path = format!("/api/v1/t/{T}/memberships/{membership}");
    let move_to = |region: Value| {
        admin.request(
            "patch",
            &membership_path,
            Some(json!({"role": "committee_member", "region_id": region})),
        )
    };
    ok(move_to(shymkent["id"].clone()).await, 204).await;
    let elsewhere = app.api_as("committee@almaty-mentors.demo").await;
    ok(
        elsewhere.post(&votes, json!({"vote": "approve"})).await,
        403,
    )
    .await;
    let almaty = app.programme_region(T, "mentors-2027").await;
    ok(move_to(json!(almaty)).await, 204).await;

    // The programme's rule: simple majority with a quorum of 1 in the demo. Before any vote
    // the decision cannot be recorded.
    refused(
        result(
            &coordinator,
            &id,
            "committee",
            json!({"decision": "passed"}),
        )
        .await,
        409,
        "error-committee-no-quorum",
    )
    .await;
    let view = ok(
        committee
            .post(
                &votes,
                json!({"vote": "approve", "comment": "  Strong motivation "}),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(view["votes"][0]["vote"], "approve");
    assert_eq!(view["votes"][0]["comment"], "Strong motivation");
    assert_eq!(view["decision"]["result"], "approved");
    assert_eq!(view["can_vote"], false);
    refused(
        committee.post(&votes, json!({"vote": "reject"})).await,
        409,
        "error-vote-duplicate",
    )
    .await;
    // The record must agree with the votes.
    refused(
        result(
            &coordinator,
            &id,
            "committee",
            json!({"decision": "failed", "reason": "Against the votes"}),
        )
        .await,
        409,
        "error-committee-decision-differs",
    )
    .await;
    let view = ok(
        result(
            &coordinator,
            &id,
            "committee",
            json!({"decision": "passed"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(view["candidate"]["outcome"], "selected");
    assert_eq!(view["next_stage"], "contract");
    let rows = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/candidates?outcome=selected"))
            .await,
        200,
    )
    .await;
    assert_eq!(rows.as_array().unwrap().len(), 1);
}

/// Makes the demo programme one without a School of Mentors (the school has its own test):
/// the committee follows the interview.
pub(crate) async fn without_school(app: &TestApp) {
    app.execute(
        r#"UPDATE programmes SET stages = '["documents","psych_test","interview","committee","contract"]'"#,
    )
    .await;
}

/// Opens the committee stage, the demo committee member (quorum 1) approves, and the
/// coordinator records the decision: the candidate is selected.
async fn committee_approves(app: &TestApp, coordinator: &Api, id: &str) {
    let committee = app.api_as("committee@almaty-mentors.demo").await;
    ok(advance(coordinator, id, "committee").await, 201).await;
    ok(
        committee
            .post(
                &format!("{}/votes", candidate_path(id)),
                json!({"vote": "approve"}),
            )
            .await,
        201,
    )
    .await;
    let view = ok(
        result(coordinator, id, "committee", json!({"decision": "passed"})).await,
        200,
    )
    .await;
    assert_eq!(view["candidate"]["outcome"], "selected");
}

/// Sets the demo programme's results moment (system work, as a fixture).
async fn results_at(app: &TestApp, at: chrono::DateTime<chrono::Utc>) {
    use domain::recruitment::entity::programme;
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    let txn = domain::db::write(&app.db, domain::db::Scope::System)
        .await
        .unwrap();
    for p in programme::Entity::find().all(&txn).await.unwrap() {
        let mut am = p.into_active_model();
        am.results_at = Set(at);
        am.update(&txn).await.unwrap();
    }
    txn.commit().await.unwrap();
}

#[tokio::test]
async fn results_day_tells_every_applicant_once_and_the_selected_activate_their_mentor_account() {
    let app = TestApp::sqlite().await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    without_school(&app).await;
    // Selected: through the committee.
    let chosen = through_interview(&app, &coordinator, &psychologist, "chosen@example.kz").await;
    committee_approves(&app, &coordinator, &chosen).await;
    // Not selected: documents refused. Still pending: the third.
    let (_, refused_id, _) = app.submitted_application("declined@example.kz", "kk").await;
    ok(
        result(
            &coordinator,
            &refused_id,
            "documents",
            json!({"decision": "failed", "reason": "Police clearance missing"}),
        )
        .await,
        200,
    )
    .await;
    let (_, _pending_id, _) = app.submitted_application("pending@example.kz", "en").await;

    // By hand: admins only, and not while someone is still in selection.
    let announce = format!("/api/v1/t/{T}/programmes/mentors-2027/results");
    ok(coordinator.post(&announce, json!({})).await, 403).await;
    refused(
        admin.post(&announce, json!({})).await,
        409,
        "error-results-candidates-pending",
    )
    .await;
    assert_eq!(
        app.emails_to("chosen@example.kz"),
        1,
        "only the address check so far"
    );

    // On the results date the scheduled job tells everyone: run by two workers at once and
    // again later, it sends each applicant one e-mail.
    // The demo's other programmes whose date has passed are announced first (the test app's
    // scheduler does not tick), so the two calls below are about this one.
    domain::selection::results::announce_due(&app.db)
        .await
        .unwrap();
    results_at(&app, chrono::Utc::now() - chrono::Duration::minutes(1)).await;
    let (a, b) = tokio::join!(
        domain::selection::results::announce_due(&app.db),
        domain::selection::results::announce_due(&app.db)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1, "one of the two announced");
    assert_eq!(
        domain::selection::results::announce_due(&app.db)
            .await
            .unwrap(),
        0
    );
    let selected = app
        .wait_for_email("chosen@example.kz", "/activate?token=")
        .await;
    assert!(
        selected.subject.contains("Вы отобраны"),
        "{}",
        selected.subject
    );
    assert!(!selected.text.contains("long-enough-passphrase"));
    let declined = app
        .wait_for_email("declined@example.kz", "/applications/")
        .await;
    assert!(
        declined.subject.contains("қорытындысы"),
        "{}",
        declined.subject
    );
    app.wait_for_email("pending@example.kz", "/applications/")
        .await;
    // A manual announcement afterwards sends nothing again.
    let again = ok(admin.post(&announce, json!({})).await, 409).await;
    assert_eq!(again["error"], "error-results-candidates-pending");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(app.emails_to("chosen@example.kz"), 2);
    assert_eq!(app.emails_to("declined@example.kz"), 2);
    assert_eq!(app.emails_to("pending@example.kz"), 2);

    // Activation: a bad password is refused and the link stays usable; then it works once.
    let token = ustaz_tests::token_from(&selected, "/activate");
    let anonymous = app.api();
    let activate = |password: &str| {
        anonymous.post(
            "/api/v1/auth/activate",
            json!({"token": token, "password": password}),
        )
    };
    refused(activate("short").await, 422, "error-password-too-short").await;
    let done = ok(activate("mentor-chosen-password").await, 200).await;
    assert_eq!(done["email"], "chosen@example.kz");
    assert_eq!(done["tenant_slug"], T);
    refused(
        activate("another-password-entirely").await,
        422,
        "error-activation-used",
    )
    .await;
    refused(
        app.api()
            .post(
                "/api/v1/auth/activate",
                json!({"token": "made-up", "password": "whatever-long-enough"}),
            )
            .await,
        422,
        "error-activation-invalid",
    )
    .await;
    // The first sign-in to the mentor account, with the password they chose.
    let mentor = app
        .api_as_with("chosen@example.kz", "mentor-chosen-password")
        .await;
    let me = ok(mentor.get("/api/v1/me").await, 200).await;
    assert!(me.to_string().contains("\"mentor\""), "{me}");
}

#[tokio::test]
async fn an_expired_activation_link_is_refused() {
    let app = TestApp::sqlite().await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    without_school(&app).await;
    let id = through_interview(&app, &coordinator, &psychologist, "late@example.kz").await;
    committee_approves(&app, &coordinator, &id).await;
    // Announced by hand, before the date: everyone is decided.
    let done = ok(
        admin
            .post(
                &format!("/api/v1/t/{T}/programmes/mentors-2027/results"),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(
        done,
        json!({"selected": 1, "not_selected": 0, "already_told": 0})
    );
    let mail = app
        .wait_for_email("late@example.kz", "/activate?token=")
        .await;
    let token = ustaz_tests::token_from(&mail, "/activate");
    {
        use domain::selection::entity::activation;
        use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
        let txn = domain::db::write(&app.db, domain::db::Scope::System)
            .await
            .unwrap();
        for a in activation::Entity::find().all(&txn).await.unwrap() {
            let mut am = a.into_active_model();
            am.expires_at = Set(chrono::Utc::now() - chrono::Duration::seconds(1));
            am.update(&txn).await.unwrap();
        }
        txn.commit().await.unwrap();
    }
    refused(
        app.api()
            .post(
                "/api/v1/auth/activate",
                json!({"token": token, "password": "mentor-late-password"}),
            )
            .await,
        422,
        "error-activation-expired",
    )
    .await;
}

#[tokio::test]
async fn a_signed_contract_makes_an_active_mentor() {
    let app = TestApp::sqlite().await;
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    without_school(&app).await;
    let id = through_interview(&app, &coordinator, &psychologist, "signer@example.kz").await;
    let contract_path = format!("{}/contract", candidate_path(&id));
    let start = (ustaz_tests::demo_today() + chrono::Days::new(7)).to_string();
    // Not selected yet.
    refused(
        coordinator
            .post(&contract_path, json!({"starts_on": start}))
            .await,
        409,
        "error-contract-not-selected",
    )
    .await;
    committee_approves(&app, &coordinator, &id).await;
    refused(
        coordinator
            .post(&contract_path, json!({"starts_on": "2019-01-01"}))
            .await,
        422,
        "error-contract-start",
    )
    .await;
    ok(
        psychologist
            .post(&contract_path, json!({"starts_on": start}))
            .await,
        403,
    )
    .await;
    let contract = ok(
        coordinator
            .post(&contract_path, json!({"starts_on": start}))
            .await,
        201,
    )
    .await;
    // 24 months, to the day before.
    let starts: chrono::NaiveDate = start.parse().unwrap();
    let ends = (starts + chrono::Months::new(24)).pred_opt().unwrap();
    assert_eq!(contract["ends_on"], ends.to_string());
    refused(
        coordinator
            .post(&contract_path, json!({"starts_on": start}))
            .await,
        409,
        "error-contract-exists",
    )
    .await;
    let contract_id = contract["id"].as_str().unwrap().to_string();
    let sign = format!("/api/v1/t/{T}/contracts/{contract_id}/sign");
    refused(
        coordinator.post(&sign, json!({})).await,
        409,
        "error-contract-scan-missing",
    )
    .await;
    // The scan goes through the document pipeline: a PNG named .pdf is refused as ever.
    let scan = format!("/api/v1/t/{T}/contracts/{contract_id}/scan");
    let bad = coordinator
        .upload(
            &scan,
            "contract.pdf",
            "application/pdf",
            worker::recruitment::fixtures::png(10, 10),
        )
        .await;
    assert_eq!(bad.status(), 415);
    let uploaded = ok(
        coordinator
            .upload(
                &scan,
                "contract.pdf",
                "application/pdf",
                worker::recruitment::fixtures::pdf(2),
            )
            .await,
        201,
    )
    .await;
    let scan_id = uploaded["scan"]["id"].as_str().unwrap().to_string();
    coordinator.checked_document(T, &scan_id).await;
    let signed = ok(coordinator.post(&sign, json!({})).await, 200).await;
    assert!(signed["signed_at"].is_string());
    refused(
        coordinator.post(&sign, json!({})).await,
        409,
        "error-contract-signed",
    )
    .await;
    let view = ok(coordinator.get(&candidate_path(&id)).await, 200).await;
    assert_eq!(view["candidate"]["outcome"], "active");
    assert_eq!(record(&view, "contract")["status"], "passed");
    assert_eq!(record(&view, "contract")["assessor"], "Координатор");
}
