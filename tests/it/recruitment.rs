//! Recruitment through the JSON API: registration and e-mail verification, programmes and the
//! eligibility pre-check, the application from draft to submission, uploads and every bad
//! file the issue names, the verification job, the coordinators' review, downloads, and the
//! same path on a real S3 server.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use ustaz_tests::{Api, DEMO_PROGRAMME, DEMO_TENANT, Options, S3Server, TestApp, eligible_answers};
use worker::recruitment::fixtures;

const T: &str = DEMO_TENANT;

/// The dated documents of the demo programme need an issue date; a recent one.
fn recent() -> String {
    (ustaz_tests::demo_today() - chrono::Days::new(10)).to_string()
}

fn upload_path(app_id: &str, doc_type: &str, issued_on: Option<&str>) -> String {
    let mut p = format!("/api/v1/t/{T}/applications/{app_id}/documents?doc_type={doc_type}");
    if let Some(d) = issued_on {
        p.push_str(&format!("&issued_on={d}"));
    }
    p
}

async fn draft(app: &TestApp, email: &str, locale: &str) -> (Api, String) {
    app.draft_application(email, locale).await
}

const DATED: [&str; 4] = ["residence", "police_clearance", "narcology", "psychiatric"];

async fn upload_ok(api: &Api, app_id: &str, doc_type: &str) -> Value {
    let date = recent();
    let issued = DATED.contains(&doc_type).then_some(date.as_str());
    let res = api
        .upload(
            &upload_path(app_id, doc_type, issued),
            &format!("{doc_type}.pdf"),
            "application/pdf",
            fixtures::pdf(2),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{doc_type}: {body}");
    body
}

#[tokio::test]
async fn an_applicant_registers_applies_uploads_every_document_and_submits() {
    let app = TestApp::sqlite().await;

    // Public programme list, as the contract names it.
    let list: Value = app
        .api()
        .get(&format!("/api/v1/t/{T}/programmes"))
        .await
        .json()
        .await
        .unwrap();
    let p = &list[0];
    assert_eq!(p["slug"], DEMO_PROGRAMME);
    assert_eq!(p["kind"], "one_to_one");
    for field in ["id", "name", "opens_at", "closes_at", "results_at"] {
        assert!(p[field].is_string(), "{field} in {p}");
    }
    let docs = p["required_documents"].as_array().unwrap();
    assert_eq!(docs.len(), 8);
    let certificates = docs.iter().find(|d| d["doc_type"] == "youth_work").unwrap();
    assert_eq!(certificates["max_count"], 3);
    assert!(certificates["max_bytes"].as_u64().unwrap() > 0);
    assert!(
        certificates["accepted_types"]
            .as_array()
            .unwrap()
            .contains(&json!("application/pdf"))
    );

    // Registration: 201, a verification link by e-mail; the same address again says nothing new.
    let applicant = app.applicant("aigerim@example.kz", "ru").await;
    let again = app
        .api()
        .post(
            "/api/v1/auth/register",
            json!({"email": "aigerim@example.kz", "password": "another-long-one", "full_name": "X", "locale": "ru"}),
        )
        .await;
    assert_eq!(again.status(), 201, "no hint that the address is taken");
    app.wait_for_email("aigerim@example.kz", "/forgot-password")
        .await;

    // The pre-check names each failed rule with its numbers.
    let region = app.programme_region(T, DEMO_PROGRAMME).await;
    let mut young = eligible_answers(&region);
    young["date_of_birth"] = json!("2005-01-01");
    young["youth_work_years"] = json!(1);
    young["roles"] = json!(["host_accountant"]);
    let pre: Value = app
        .api()
        .post(
            &format!("/api/v1/t/{T}/programmes/{DEMO_PROGRAMME}/eligibility?lang=en"),
            young.clone(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pre["eligible"], false);
    let codes: Vec<&str> = pre["unmet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "unmet-min-age",
            "unmet-youth-work",
            "unmet-role-host-accountant"
        ]
    );
    assert!(pre["unmet"][0]["message"].as_str().unwrap().contains("25"));

    // Starting with those answers is refused with the same reasons; eligible answers start a draft.
    let refused = applicant
        .post(
            &format!("/api/v1/t/{T}/programmes/{DEMO_PROGRAMME}/applications"),
            young,
        )
        .await;
    assert_eq!(refused.status(), 422);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"], "error-not-eligible");
    assert_eq!(refused["reasons"].as_array().unwrap().len(), 3);
    let started = applicant
        .post(
            &format!("/api/v1/t/{T}/programmes/{DEMO_PROGRAMME}/applications"),
            eligible_answers(&region),
        )
        .await;
    assert_eq!(started.status(), 201);
    let started: Value = started.json().await.unwrap();
    assert_eq!(started["status"], "draft");
    let id = started["id"].as_str().unwrap().to_string();
    let twice = applicant
        .post(
            &format!("/api/v1/t/{T}/programmes/{DEMO_PROGRAMME}/applications"),
            eligible_answers(&region),
        )
        .await;
    assert_eq!(twice.status(), 409);

    // Submitting now lists everything missing: five answers and eight documents.
    let missing = applicant
        .post(
            &format!("/api/v1/t/{T}/applications/{id}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(missing.status(), 422);
    let missing: Value = missing.json().await.unwrap();
    assert_eq!(missing["error"], "error-application-incomplete");
    assert_eq!(
        missing["reasons"].as_array().unwrap().len(),
        13,
        "{missing}"
    );

    // A bad phone is refused with its field; the draft keeps what was saved before.
    let bad = applicant
        .put(
            &format!("/api/v1/t/{T}/applications/{id}"),
            json!({"phone": "call me", "occupation": "Teacher"}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "phone");
    let saved = applicant
        .put(
            &format!("/api/v1/t/{T}/applications/{id}"),
            json!({"phone": "+7 701 234 56 78", "occupation": "Teacher",
                   "experience": "Eight years of youth clubs", "motivation": "I was helped once",
                   "languages": ["kk", "ru"]}),
        )
        .await;
    assert_eq!(saved.status(), 200);

    // Every document, one file each; each is checked by the worker and passes.
    let mut first = Value::Null;
    for d in docs {
        let doc_type = d["doc_type"].as_str().unwrap();
        let uploaded = upload_ok(&applicant, &id, doc_type).await;
        assert_eq!(uploaded["status"], "uploaded");
        if first.is_null() {
            first = uploaded;
        }
    }
    let checked = applicant
        .checked_document(T, first["id"].as_str().unwrap())
        .await;
    assert_eq!(checked["status"], "auto_passed", "{checked}");
    assert_eq!(checked["detected_type"], "application/pdf");
    assert_eq!(checked["pages"], 2);
    assert_eq!(
        checked["sha256"],
        hex(&Sha256::digest(fixtures::pdf(2))),
        "the digest is of the bytes sent"
    );
    assert_eq!(checked["reasons"], json!([]));

    let submitted = applicant
        .post(
            &format!("/api/v1/t/{T}/applications/{id}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status(), 200);
    assert_eq!(
        submitted.json::<Value>().await.unwrap()["status"],
        "submitted"
    );
    let again = applicant
        .post(
            &format!("/api/v1/t/{T}/applications/{id}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(again.status(), 409);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn bad_files_are_refused_each_with_its_reason_and_nothing_else_is_lost() {
    let app = TestApp::sqlite().await;
    let (api, id) = draft(&app, "bad-files@example.kz", "en").await;
    let good = upload_ok(&api, &id, "id_card").await;

    // A PNG named .pdf: refused for what its bytes are.
    let res = api
        .upload(
            &upload_path(&id, "education", None),
            "diploma.pdf",
            "application/pdf",
            fixtures::png(300, 300),
        )
        .await;
    assert_eq!(res.status(), 415);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "error-file-type-mismatch");
    assert_eq!(body["detected_type"], "image/png");

    // An empty file.
    let res = api
        .upload(
            &upload_path(&id, "education", None),
            "empty.pdf",
            "application/pdf",
            Vec::new(),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "error-file-empty"
    );

    // Over the 10 MB limit: refused from the declared length, before the file is read.
    let res = api
        .upload(
            &upload_path(&id, "education", None),
            "huge.pdf",
            "application/pdf",
            vec![b'%'; 11 * 1024 * 1024],
        )
        .await;
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "error-file-too-large"
    );

    // A truncated PDF and an encrypted PDF are stored, then failed by the worker with reasons.
    let whole = fixtures::pdf(2);
    let truncated = upload_pdf_bytes(
        &api,
        &id,
        "education",
        "cut.pdf",
        whole[..whole.len() / 2].to_vec(),
    )
    .await;
    let encrypted = upload_pdf_bytes(
        &api,
        &id,
        "recommendation",
        "locked.pdf",
        fixtures::encrypted_pdf("secret"),
    )
    .await;
    let t = api.checked_document(T, &truncated).await;
    assert_eq!(t["status"], "auto_failed");
    assert_eq!(t["reasons"], json!(["pdf_unreadable"]));
    let e = api.checked_document(T, &encrypted).await;
    assert_eq!(e["status"], "auto_failed");
    assert_eq!(e["reasons"], json!(["pdf_encrypted"]));

    // A failed file frees its slot: the education slot takes a good file now.
    upload_ok(&api, &id, "education").await;

    // Three certificates are allowed (three files: the same file twice is one upload), a
    // fourth is not.
    for pages in 1..=3 {
        let res = api
            .upload(
                &upload_path(&id, "youth_work", None),
                &format!("certificate-{pages}.pdf"),
                "application/pdf",
                fixtures::pdf(pages),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        if pages == 1 {
            let again = api
                .upload(
                    &upload_path(&id, "youth_work", None),
                    "again.pdf",
                    "application/pdf",
                    fixtures::pdf(1),
                )
                .await;
            assert_eq!(again.status(), 409);
            assert_eq!(
                again.json::<Value>().await.unwrap()["error"],
                "error-document-already-uploaded"
            );
        }
    }
    let res = api
        .upload(
            &upload_path(&id, "youth_work", None),
            "fourth.pdf",
            "application/pdf",
            fixtures::pdf(4),
        )
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "error-document-count"
    );

    // A police clearance older than three months, and one without its date.
    let old = (ustaz_tests::demo_today() - chrono::Days::new(120)).to_string();
    let res = api
        .upload(
            &upload_path(&id, "police_clearance", Some(&old)),
            "police.pdf",
            "application/pdf",
            fixtures::pdf(1),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "error-document-expired"
    );
    let res = api
        .upload(
            &upload_path(&id, "police_clearance", None),
            "police.pdf",
            "application/pdf",
            fixtures::pdf(1),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "issued_on");

    // Names: path parts and control characters go; Cyrillic and Kazakh letters stay.
    let evil = upload_pdf_bytes(
        &api,
        &id,
        "residence_dated",
        "../..\\etc/\u{202E}pass\twd.pdf",
        fixtures::pdf(1),
    )
    .await;
    let kazakh = upload_pdf_bytes(
        &api,
        &id,
        "narcology_dated",
        "Анықтама ұғым.pdf",
        fixtures::pdf(1),
    )
    .await;
    let evil: Value = api
        .get(&format!("/api/v1/t/{T}/documents/{evil}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(evil["original_name"], "passwd.pdf");
    let kazakh: Value = api
        .get(&format!("/api/v1/t/{T}/documents/{kazakh}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kazakh["original_name"], "Анықтама ұғым.pdf");
    // Stored names are generated: nothing under the data folder carries the applicant's name.
    let stored = walk(&app.config.data_dir.join("files"));
    assert!(
        stored
            .iter()
            .all(|p| !p.contains("passwd") && !p.contains("Анықтама")),
        "{stored:?}"
    );

    // Another applicant's application, and an unknown document type.
    let (other, _) = draft(&app, "other@example.kz", "en").await;
    let res = other
        .upload(
            &upload_path(&id, "education", None),
            "x.pdf",
            "application/pdf",
            fixtures::pdf(1),
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = api
        .upload(
            &upload_path(&id, "passport_of_cat", None),
            "x.pdf",
            "application/pdf",
            fixtures::pdf(1),
        )
        .await;
    assert_eq!(res.status(), 422);

    // What was saved before is all still there, and refused uploads left no rows.
    let appl: Value = api
        .get(&format!("/api/v1/t/{T}/applications/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let docs = appl["documents"].as_array().unwrap();
    assert!(docs.iter().any(|d| d["id"] == good["id"]));
    assert_eq!(docs.len(), 1 + 2 + 1 + 3 + 2, "{appl}");
    // Exactly one stored file per row: refused uploads left no objects.
    assert_eq!(
        walk(&app.config.data_dir.join("files"))
            .iter()
            .filter(|p| p.contains("/documents/"))
            .count(),
        docs.len()
    );
}

/// Uploads with a dated-document date when the doc type is given as `<type>_dated`.
async fn upload_pdf_bytes(
    api: &Api,
    id: &str,
    doc_type: &str,
    name: &str,
    bytes: Vec<u8>,
) -> String {
    let date = recent();
    let (doc_type, issued) = match doc_type.strip_suffix("_dated") {
        Some(t) => (t, Some(date.as_str())),
        None => (doc_type, None),
    };
    let res = api
        .upload(
            &upload_path(id, doc_type, issued),
            name,
            "application/pdf",
            bytes,
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[tokio::test]
async fn images_lose_their_metadata_and_get_a_preview() {
    let app = TestApp::sqlite().await;
    let (api, id) = draft(&app, "photo@example.kz", "en").await;
    let res = api
        .upload(
            &upload_path(&id, "id_card", None),
            "id.png",
            "image/png",
            fixtures::png_with_metadata(),
        )
        .await;
    assert_eq!(res.status(), 201);
    let doc: Value = res.json().await.unwrap();
    let checked = api.checked_document(T, doc["id"].as_str().unwrap()).await;
    assert_eq!(checked["status"], "auto_passed", "{checked}");
    assert_eq!(checked["width"], 300);
    assert_eq!(checked["has_preview"], true);
    let files = walk(&app.config.data_dir.join("files"));
    let stored = files.iter().find(|p| p.contains("/documents/")).unwrap();
    let bytes = std::fs::read(stored).unwrap();
    assert!(
        !bytes
            .windows(fixtures::GPS.len())
            .any(|w| w == fixtures::GPS),
        "GPS must be gone"
    );
    assert!(files.iter().any(|p| p.contains("/previews/")));
    let storage = app.config.open_storage().await.unwrap();
    orphans_are_swept_and_documents_kept(&app, &storage).await;
}

/// A file stored without its row (the process died between the two) is removed by the sweep
/// once it is old enough; every file of a real document, and its preview, stays.
async fn orphans_are_swept_and_documents_kept(app: &TestApp, storage: &domain::storage::Storage) {
    use domain::recruitment::service::{storage_key, sweep_orphan_files};
    use std::time::Duration;
    let tenant_id = domain::tenancy::context::find_tenant(&app.db, T)
        .await
        .unwrap()
        .id;
    let before = storage.list("t/").await.unwrap();
    assert!(!before.is_empty());
    let orphan = storage_key(tenant_id, uuid::Uuid::now_v7());
    storage
        .put_bytes(&orphan, "application/pdf", fixtures::pdf(1))
        .await
        .unwrap();
    // Too new to judge: an upload may still be on its way to its row.
    let removed = sweep_orphan_files(&app.db, storage, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(removed, 0);
    assert!(storage.exists(&orphan).await.unwrap());
    let removed = sweep_orphan_files(&app.db, storage, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert!(!storage.exists(&orphan).await.unwrap());
    assert_eq!(storage.list("t/").await.unwrap(), before);
}

#[tokio::test]
async fn a_coordinator_reviews_and_a_rejection_reaches_the_applicant_in_their_language() {
    let app = TestApp::sqlite().await;
    let (api, id) = draft(&app, "kazakh@example.kz", "kk").await;
    let doc = upload_ok(&api, &id, "recommendation").await;
    let doc_id = doc["id"].as_str().unwrap().to_string();
    api.checked_document(T, &doc_id).await;

    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let queue: Value = coordinator
        .get(&format!("/api/v1/t/{T}/review-queue"))
        .await
        .json()
        .await
        .unwrap();
    let item = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["document"]["id"] == doc["id"])
        .expect("in the queue");
    assert_eq!(item["applicant_name"], "Айгерим Сапарова");
    assert!(
        item["history"].as_array().unwrap().len() >= 2,
        "uploaded and checked"
    );
    // The review page shows the same item, its history in the coordinator's language (Russian).
    let page = app.browser();
    page.login("coordinator@almaty-mentors.demo").await;
    let html = page
        .get(&format!("/t/{T}/review"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!(
        "data-document=\"{}\"",
        doc["id"].as_str().unwrap()
    )));
    assert!(html.contains("Загружен") && html.contains("Ожидает проверки координатором"));
    // Visible text only: the hydration data carries the raw events.
    let visible: String = html
        .split("<script")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once("</script>").map_or("", |(_, rest)| rest)
            }
        })
        .collect();
    assert!(
        !visible.contains("metadata_stripped"),
        "the worker's detail is not shown"
    );

    // Downloads: an attachment, not sniffable, and audit-logged.
    let res = coordinator
        .get(&format!("/api/v1/t/{T}/documents/{doc_id}/file"))
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().to_vec(), fixtures::pdf(2));
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let audited = domain::tenancy::entity::audit_event::Entity::find()
        .filter(domain::tenancy::entity::audit_event::Column::Action.eq("document.downloaded"))
        .filter(
            domain::tenancy::entity::audit_event::Column::SubjectId
                .eq(doc_id.parse::<uuid::Uuid>().unwrap()),
        )
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
    // The applicant who sent it opens their own file (issue 19, principle 7); a mentor and
    // another tenant's admin cannot.
    let own = api
        .get(&format!("/api/v1/t/{T}/documents/{doc_id}/file"))
        .await;
    assert_eq!(own.status(), 200);
    assert_eq!(own.bytes().await.unwrap().to_vec(), fixtures::pdf(2));
    let mentor = app.api_as("mentor@almaty-mentors.demo").await;
    assert_eq!(
        mentor
            .get(&format!("/api/v1/t/{T}/documents/{doc_id}/file"))
            .await
            .status(),
        403
    );
    let stranger = app.api_as("admin@karaganda-partner.demo").await;
    assert_eq!(
        stranger
            .get(&format!("/api/v1/t/{T}/documents/{doc_id}/file"))
            .await
            .status(),
        404
    );

    // A rejection needs a reason; with one, the applicant gets an e-mail in Kazakh.
    let no_reason = coordinator
        .post(
            &format!("/api/v1/t/{T}/documents/{doc_id}/review"),
            json!({"decision": "rejected"}),
        )
        .await;
    assert_eq!(no_reason.status(), 422);
    let rejected = coordinator
        .post(
            &format!("/api/v1/t/{T}/documents/{doc_id}/review"),
            json!({"decision": "rejected", "reason": "Хатта қол жоқ"}),
        )
        .await;
    assert_eq!(rejected.status(), 200);
    assert_eq!(
        rejected.json::<Value>().await.unwrap()["status"],
        "rejected"
    );
    let mail = app
        .wait_for_email("kazakh@example.kz", "Хатта қол жоқ")
        .await;
    assert!(mail.subject.contains("қайта жүктеңіз"), "{}", mail.subject);
    // Deciding twice is refused; the slot is free for a new file, which can be verified.
    let twice = coordinator
        .post(
            &format!("/api/v1/t/{T}/documents/{doc_id}/review"),
            json!({"decision": "verified"}),
        )
        .await;
    assert_eq!(twice.status(), 409);
    let again = upload_ok(&api, &id, "recommendation").await;
    let again_id = again["id"].as_str().unwrap();
    api.checked_document(T, again_id).await;
    let ok = coordinator
        .post(
            &format!("/api/v1/t/{T}/documents/{again_id}/review"),
            json!({"decision": "verified"}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    // History is kept: the rejected file is still listed with its reason.
    let history: Value = coordinator
        .get(&format!("/api/v1/t/{T}/documents/{doc_id}/history"))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["uploaded", "auto_passed", "rejected"]);
    // A mentor and a psychologist cannot decide.
    for who in [
        "mentor@almaty-mentors.demo",
        "psychologist@almaty-mentors.demo",
    ] {
        let api = app.api_as(who).await;
        let res = api
            .post(
                &format!("/api/v1/t/{T}/documents/{again_id}/review"),
                json!({"decision": "verified"}),
            )
            .await;
        assert_eq!(res.status(), 403, "{who}");
    }
}

#[tokio::test]
async fn the_verification_job_run_twice_at_once_records_once() {
    let app = TestApp::sqlite().await;
    let (api, id) = draft(&app, "twice@example.kz", "en").await;
    let doc = upload_ok(&api, &id, "id_card").await;
    let doc_id: uuid::Uuid = doc["id"].as_str().unwrap().parse().unwrap();
    api.checked_document(T, &doc_id.to_string()).await;
    // As if the first run had done its work but died before recording it: back to `uploaded`.
    app.execute("UPDATE documents SET status = 'uploaded'")
        .await;
    app.execute("DELETE FROM document_events WHERE action = 'auto_passed'")
        .await;
    let tenant_id = domain::tenancy::context::find_tenant(&app.db, T)
        .await
        .unwrap()
        .id;
    let storage = app.config.open_storage().await.unwrap();
    let checks = app.config.checks().unwrap();
    // Two workers at once, then a third late one.
    let run = || {
        worker::recruitment::verify_document(
            &app.db,
            &storage,
            &checks,
            tenant_id,
            doc_id,
            std::time::Duration::ZERO,
        )
    };
    let (a, b) = tokio::join!(run(), run());
    a.unwrap();
    b.unwrap();
    run().await.unwrap();
    let history: Value = app
        .api_as("coordinator@almaty-mentors.demo")
        .await
        .get(&format!("/api/v1/t/{T}/documents/{doc_id}/history"))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["uploaded", "auto_passed"], "recorded once");
    let checked = api.checked_document(T, &doc_id.to_string()).await;
    assert_eq!(checked["status"], "auto_passed");
}

#[tokio::test]
async fn outside_the_window_nothing_can_be_started_or_submitted() {
    let app = TestApp::sqlite().await;
    let (api, id) = draft(&app, "late@example.kz", "en").await;
    app.execute("UPDATE programmes SET opens_at = '2020-01-01T00:00:00+00:00', closes_at = '2020-02-01T00:00:00+00:00'")
        .await;
    let res = api
        .post(
            &format!("/api/v1/t/{T}/applications/{id}/submit"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "error-window-closed"
    );
    let res = api
        .upload(
            &upload_path(&id, "id_card", None),
            "id.pdf",
            "application/pdf",
            fixtures::pdf(1),
        )
        .await;
    assert_eq!(res.status(), 409);
    let region = app.programme_region(T, DEMO_PROGRAMME).await;
    let late = app.applicant("later@example.kz", "en").await;
    let res = late
        .post(
            &format!("/api/v1/t/{T}/programmes/{DEMO_PROGRAMME}/applications"),
            eligible_answers(&region),
        )
        .await;
    assert_eq!(res.status(), 409);
    // The draft is still there, unchanged.
    let a: Value = api
        .get(&format!("/api/v1/t/{T}/applications/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["status"], "draft");
}

#[tokio::test]
async fn programmes_are_managed_by_the_tenant_admin_only_with_specific_errors() {
    let app = TestApp::sqlite().await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let region = app.programme_region(T, DEMO_PROGRAMME).await;
    let mut input = json!({
        "slug": "groups-2027",
        "names": {"kk": "Топтар", "ru": "Группы", "en": "Groups"},
        "descriptions": {"kk": "", "ru": "", "en": ""},
        "kind": "group",
        "region_ids": [region],
        "eligibility": {"min_age": 21, "min_residence_months": 6, "min_youth_work_years": 2,
                        "disqualifying_roles": ["youth_group_member"], "min_days_per_week": 1},
        "documents": [{"doc_type": "id_card", "labels": {"kk": "", "ru": "", "en": "ID"},
                       "accepted_types": ["application/pdf"], "max_bytes": 1048576, "max_count": 1,
                       "validity_months": null, "required": true}],
        "opens_on": "2027-03-15", "closes_on": "2027-04-15", "results_on": "2027-05-10",
        "contract_months": 24, "meeting_cadence": "monthly"
    });
    let created = admin
        .post(&format!("/api/v1/t/{T}/programmes"), input.clone())
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["window"], "not_yet_open");
    // Shown as the organisation's own dates, whatever the instant in UTC.
    assert_eq!(created["opens_on"], "2027-03-15");
    assert_eq!(created["closes_on"], "2027-04-15");
    assert_eq!(created["results_on"], "2027-05-10");
    assert!(
        created["opens_at"]
            .as_str()
            .unwrap()
            .starts_with("2027-03-14T19:00:00"),
        "Almaty midnight: {}",
        created["opens_at"]
    );
    // Bad input: each refused with its field, nothing half-saved.
    input["closes_on"] = json!("2027-03-01");
    let res = admin
        .post(&format!("/api/v1/t/{T}/programmes"), input.clone())
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "closes_on");
    input["closes_on"] = json!("2027-04-15");
    input["documents"][0]["accepted_types"] = json!(["application/x-msdownload"]);
    let res = admin
        .post(&format!("/api/v1/t/{T}/programmes"), input.clone())
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["field"],
        "accepted_types"
    );
    input["documents"][0]["accepted_types"] = json!(["application/pdf"]);
    let res = admin
        .post(&format!("/api/v1/t/{T}/programmes"), input.clone())
        .await;
    assert_eq!(res.status(), 422, "the slug is taken");
    // Another tenant's region cannot be attached.
    let other = app.programme_region(T, DEMO_PROGRAMME).await;
    let _ = other;
    input["slug"] = json!("groups-2028");
    input["region_ids"] = json!([uuid::Uuid::now_v7()]);
    let res = admin
        .post(&format!("/api/v1/t/{T}/programmes"), input.clone())
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "error-region-unknown"
    );
    // A coordinator may not.
    input["region_ids"] = json!([region]);
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let res = coordinator
        .post(&format!("/api/v1/t/{T}/programmes"), input.clone())
        .await;
    assert_eq!(res.status(), 403);
    let list: Value = app
        .api()
        .get(&format!("/api/v1/t/{T}/programmes"))
        .await
        .json()
        .await
        .unwrap();
    // The demo seed has last year's intake and the youth-group programme too.
    assert_eq!(list.as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn e_mail_verification_links_are_single_use_and_sign_in_needs_one() {
    let app = TestApp::sqlite().await;
    let res = app
        .api()
        .post("/api/v1/auth/register", json!({"email": "not-an-email", "password": "long-enough-pass", "full_name": "A", "locale": "en"}))
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "email");
    let res = app
        .api()
        .post("/api/v1/auth/register", json!({"email": "short@example.kz", "password": "short", "full_name": "A", "locale": "en"}))
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "password");

    let res = app
        .api()
        .post("/api/v1/auth/register", json!({"email": "slow@example.kz", "password": "long-enough-pass", "full_name": "Slow", "locale": "en"}))
        .await;
    assert_eq!(res.status(), 201);
    let mail = app
        .wait_for_email("slow@example.kz", "/verify-email?token=")
        .await;
    let token = ustaz_tests::token_from(&mail, "/verify-email");
    // Before confirming, the account cannot sign in at all (so it cannot start applications
    // or store files either); it is told why.
    let res = app
        .api()
        .post(
            "/api/v1/auth/login",
            json!({"email": "slow@example.kz", "password": "long-enough-pass"}),
        )
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "error-email-unverified"
    );

    for (t, code) in [("nonsense", "error-verify-invalid")] {
        let res = app
            .api()
            .post("/api/v1/auth/verify-email", json!({"token": t}))
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(res.json::<Value>().await.unwrap()["error"], code);
    }
    assert_eq!(
        app.api()
            .post("/api/v1/auth/verify-email", json!({"token": token}))
            .await
            .status(),
        200
    );
    app.api_as_with("slow@example.kz", "long-enough-pass").await;
    let reused = app
        .api()
        .post("/api/v1/auth/verify-email", json!({"token": token}))
        .await;
    assert_eq!(
        reused.json::<Value>().await.unwrap()["error"],
        "error-verify-used"
    );
    app.execute(
        "UPDATE email_verifications SET used_at = NULL, expires_at = '2020-01-01T00:00:00+00:00'",
    )
    .await;
    let expired = app
        .api()
        .post("/api/v1/auth/verify-email", json!({"token": token}))
        .await;
    assert_eq!(
        expired.json::<Value>().await.unwrap()["error"],
        "error-verify-expired"
    );
}

#[tokio::test]
async fn uploads_stream_to_a_real_s3_server_and_refusals_leave_nothing_there() {
    let Some(s3) = S3Server::start("recruitment on S3").await else {
        return;
    };
    let app = TestApp::spawn(Options {
        seed: true,
        in_process_worker: true,
        s3: Some(s3.settings.clone()),
        ..Default::default()
    })
    .await;
    let (api, id) = draft(&app, "s3@example.kz", "en").await;
    let doc = upload_ok(&api, &id, "id_card").await;
    let checked = api.checked_document(T, doc["id"].as_str().unwrap()).await;
    assert_eq!(checked["status"], "auto_passed");
    // A file over the limit streamed without a declared length: stopped at the limit.
    let body = reqwest::Body::wrap_stream(futures_stream(11 * 1024 * 1024));
    let part = reqwest::multipart::Part::stream(body)
        .file_name("big.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let res = api
        .client
        .post(format!(
            "{}{}",
            api.base,
            upload_path(&id, "education", None)
        ))
        .bearer_auth(api.token.as_ref().unwrap())
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);

    // With its length declared (Upload-Length) a file goes up as one PutObject while it
    // arrives; a length that is not a number, one over the limit, and one the file does not
    // have are refused with their reasons and leave nothing.
    let declared = |bytes: Vec<u8>, length: String| {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("declared.pdf")
            .mime_str("application/pdf")
            .unwrap();
        api.client
            .post(format!(
                "{}{}",
                api.base,
                upload_path(&id, "education", None)
            ))
            .bearer_auth(api.token.as_ref().unwrap())
            .header("Upload-Length", length)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    let pdf = fixtures::pdf(3);
    for (length, status, error) in [
        ("12 bytes".to_string(), 422, "error-upload-length"),
        (
            (pdf.len() - 1).to_string(),
            422,
            "error-upload-length-differs",
        ),
        (
            (pdf.len() + 1).to_string(),
            422,
            "error-upload-length-differs",
        ),
        ((200 * 1024 * 1024).to_string(), 413, "error-file-too-large"),
    ] {
        let res = declared(pdf.clone(), length.clone()).await.unwrap();
        assert_eq!(res.status(), status, "{length}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], error, "{length}: {body}");
    }
    let res = declared(pdf.clone(), pdf.len().to_string()).await.unwrap();
    assert_eq!(res.status(), 201);
    let sized: Value = res.json().await.unwrap();
    assert_eq!(sized["size_bytes"], pdf.len() as u64, "{sized}");
    let checked = api.checked_document(T, sized["id"].as_str().unwrap()).await;
    assert_eq!(checked["status"], "auto_passed", "{checked}");

    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let file = coordinator
        .get(&format!(
            "/api/v1/t/{T}/documents/{}/file",
            sized["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(file.bytes().await.unwrap().to_vec(), pdf);
    let file = coordinator
        .get(&format!(
            "/api/v1/t/{T}/documents/{}/file",
            doc["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(file.bytes().await.unwrap().to_vec(), fixtures::pdf(2));
    // Only the two accepted documents are on the server: no object and no unfinished upload of
    // the refused ones.
    let files: Vec<String> = s3
        .files()
        .into_iter()
        .filter(|f| !f.ends_with(".meta"))
        .collect();
    assert_eq!(
        files.iter().filter(|f| f.contains("documents")).count(),
        2,
        "{files:?}"
    );
    assert!(!files.iter().any(|f| f.contains(".upload")), "{files:?}");
    let storage = app.config.open_storage().await.unwrap();
    orphans_are_swept_and_documents_kept(&app, &storage).await;
}

/// A body of `len` bytes in 64 KiB chunks with no declared length.
fn futures_stream(len: usize) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let chunk = 64 * 1024;
    let mut sent = 0;
    let mut first = true;
    futures::stream::poll_fn(move |_| {
        if sent >= len {
            return std::task::Poll::Ready(None);
        }
        let n = chunk.min(len - sent);
        sent += n;
        let mut bytes = vec![b'x'; n];
        if first {
            bytes[..5].copy_from_slice(b"%PDF-");
            first = false;
        }
        std::task::Poll::Ready(Some(Ok(bytes)))
    })
}

/// The programme editor's form as a browser without script posts it.
fn editor_fields<'a>(
    csrf: &'a str,
    region: &'a str,
    closes_on: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("original", ""),
        ("slug", "zhas-groups-2027"),
        ("name_kk", "Жас топтар"),
        ("name_ru", "Молодёжные группы"),
        ("name_en", "Youth groups"),
        ("desc_kk", ""),
        ("desc_ru", ""),
        ("desc_en", "Mentors for youth groups"),
        ("kind", "group"),
        ("region", region),
        ("min_age", "25"),
        ("min_residence_months", "6"),
        ("min_youth_work_years", "5"),
        ("min_days_per_week", "1"),
        ("disqualifying", "youth_group_member"),
        ("disqualifying", "host_head"),
        ("opens_on", "2027-03-15"),
        ("closes_on", closes_on),
        ("results_on", "2027-05-10"),
        ("contract_months", "24"),
        ("meeting_cadence", "monthly"),
        ("doc_type_0", "id_card"),
        ("doc_label_en_0", "ID card"),
        ("doc_label_ru_0", "Удостоверение"),
        ("doc_types_0", "application/pdf"),
        ("doc_types_0", "image/jpeg"),
        ("doc_max_mb_0", "5"),
        ("doc_max_count_0", "1"),
        ("doc_validity_0", ""),
        ("doc_required_0", "on"),
        ("doc_type_1", "certificates"),
        ("doc_label_en_1", "Certificates"),
        ("doc_types_1", "application/pdf"),
        ("doc_max_mb_1", "10"),
        ("doc_max_count_1", "3"),
        ("doc_validity_1", "12"),
        ("doc_type_2", ""),
    ]
}

#[tokio::test]
async fn the_programme_editor_saves_for_admins_and_names_bad_fields() {
    let app = TestApp::sqlite().await;
    let region = app.programme_region(T, DEMO_PROGRAMME).await;
    let admin = app.browser();
    admin.login("admin@almaty-mentors.demo").await;
    let csrf = admin.csrf().await;
    let from = format!("/t/{T}/programmes/new/edit");
    let action = format!("/t/{T}/programmes/save");

    // An address no organisation has, with a line break in it, is a 404, not a broken redirect
    // (a wrong CSRF field is refused before the organisation is looked up).
    let res = admin
        .post_form(
            &from,
            "/t/almaty%0Amentors/programmes/save",
            &editor_fields("not-the-token", &region, "2027-04-15"),
        )
        .await;
    assert_eq!(res.status(), 404);
    // The same for the pages' file uploads (a consent scan here), which go back to their page.
    let res = admin
        .post_form(
            &from,
            &format!("/t/almaty%0Amentors/children/{}/consent", uuid::Uuid::nil()),
            &[("csrf", "not-the-token")],
        )
        .await;
    assert_eq!(res.status(), 404);

    // Bad input goes back to the form with the field named; nothing is saved.
    let res = admin
        .post_form(&from, &action, &editor_fields(&csrf, &region, "2027-01-01"))
        .await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&from) && location.contains("closes_on"),
        "{location}"
    );
    let page = admin.get(&location).await.text().await.unwrap();
    assert!(page.contains("programme-error"));
    let mut bad = editor_fields(&csrf, &region, "2027-04-15");
    bad.retain(|(k, _)| *k != "doc_max_mb_0");
    bad.push(("doc_max_mb_0", "lots"));
    let res = admin.post_form(&from, &action, &bad).await;
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("doc_max_mb_0")
    );

    // A good form is saved with its two documents and the repeated fields.
    let res = admin
        .post_form(&from, &action, &editor_fields(&csrf, &region, "2027-04-15"))
        .await;
    assert_eq!(
        res.headers()["location"],
        format!("/t/{T}/programmes?saved=1")
    );
    let p: Value = app
        .api()
        .get(&format!(
            "/api/v1/t/{T}/programmes/zhas-groups-2027?lang=ru"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["name"], "Молодёжные группы");
    assert_eq!(p["kind"], "group");
    assert_eq!(
        p["eligibility"]["disqualifying_roles"],
        json!(["youth_group_member", "host_head"])
    );
    let docs = p["required_documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(
        docs[0]["accepted_types"],
        json!(["application/pdf", "image/jpeg"])
    );
    assert_eq!(docs[0]["max_bytes"], 5 * 1024 * 1024);
    assert_eq!(docs[1]["validity_months"], 12);
    assert_eq!(docs[1]["required"], false);

    // The form's other users: a forged token, a coordinator, another tenant's admin.
    let res = admin
        .post_form(
            &from,
            &action,
            &editor_fields("forged", &region, "2027-04-15"),
        )
        .await;
    assert!(res.headers()["location"].to_str().unwrap().contains("csrf"));
    for (who, status) in [
        ("coordinator@almaty-mentors.demo", 403),
        ("admin@karaganda-partner.demo", 404),
    ] {
        let b = app.browser();
        b.login(who).await;
        let token = b.csrf().await;
        let res = b
            .post_form(
                &from,
                &action,
                &editor_fields(&token, &region, "2027-04-15"),
            )
            .await;
        assert_eq!(res.status(), status, "{who}");
    }
    let anonymous = app.browser();
    let res = anonymous
        .post_form(&from, &action, &editor_fields("", &region, "2027-04-15"))
        .await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn portal_uploads_and_downloads_refuse_strangers_lower_roles_and_forged_tokens() {
    let app = TestApp::sqlite().await;
    let (api, id) = draft(&app, "portal@example.kz", "en").await;
    let doc = upload_ok(&api, &id, "id_card").await;
    let doc_id = doc["id"].as_str().unwrap();
    api.checked_document(T, doc_id).await;
    let file = format!("/t/{T}/documents/{doc_id}/file");
    let anonymous = app.browser();
    assert_eq!(anonymous.get(&file).await.status(), 401);
    for (who, status) in [
        ("mentor@almaty-mentors.demo", 403),
        ("admin@karaganda-partner.demo", 404),
        ("coordinator@almaty-mentors.demo", 200),
    ] {
        let b = app.browser();
        b.login(who).await;
        let res = b.get(&file).await;
        assert_eq!(res.status(), status, "{who}");
    }
    // The portal's upload route: only the applicant, with the session's token.
    let upload = format!("/t/{T}/applications/{id}/documents");
    let send = |b: &ustaz_tests::Browser, csrf: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("doc_type", "education")
            .part(
                "file",
                reqwest::multipart::Part::bytes(fixtures::pdf(1))
                    .file_name("e.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
        b.client
            .post(format!("{}{upload}", b.base))
            .header("Origin", &b.base)
            .multipart(form)
            .send()
    };
    for (who, status) in [
        ("mentor@almaty-mentors.demo", 403),
        ("admin@karaganda-partner.demo", 404),
    ] {
        let b = app.browser();
        b.login(who).await;
        let token = b.csrf().await;
        assert_eq!(send(&b, token).await.unwrap().status(), status, "{who}");
    }
    assert_eq!(send(&anonymous, String::new()).await.unwrap().status(), 401);
    // The applicant: a forged token goes back with the error; the real one stores the file.
    let me = app.browser();
    let res = me
        .post_form(
            "/login",
            "/api/login",
            &[
                ("email", "portal@example.kz"),
                ("password", ustaz_tests::APPLICANT_PASSWORD),
            ],
        )
        .await;
    assert!(res.status().is_redirection());
    let forged = send(&me, "forged".into()).await.unwrap();
    assert!(
        forged.headers()["location"]
            .to_str()
            .unwrap()
            .contains("upload_error")
    );
    let token = me.csrf().await;
    let ok = send(&me, token).await.unwrap();
    assert_eq!(
        ok.headers()["location"],
        format!("/t/{T}/applications/{id}?uploaded=1")
    );
    let a: Value = api
        .get(&format!("/api/v1/t/{T}/applications/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["documents"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_applicant_opens_their_own_files_and_removes_one_not_yet_reviewed() {
    let app = TestApp::sqlite().await;
    let (applicant, id) = draft(&app, "own-files@example.kz", "ru").await;
    let doc = upload_ok(&applicant, &id, "id_card").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let file = format!("/api/v1/t/{T}/documents/{doc}/file");
    let nowhere = format!("/api/v1/t/{T}/documents/{}/file", uuid::Uuid::now_v7());

    // The applicant opens what they sent, byte for byte.
    let res = applicant.get(&file).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), fixtures::pdf(2));
    // No one else without a staff role: another applicant cannot tell it from a file that
    // does not exist, nor can a mentor; nor can another organisation's admin.
    let stranger = app.applicant("not-mine@example.kz", "ru").await;
    let mentor = app.api_as("mentor@almaty-mentors.demo").await;
    let other = app.api_as("admin@karaganda-partner.demo").await;
    for path in [&file, &nowhere] {
        assert_eq!(stranger.get(path).await.status(), 404, "{path}");
        assert_eq!(mentor.get(path).await.status(), 403, "{path}");
        assert!(other.get(path).await.status().is_client_error(), "{path}");
    }

    // Removing: only the applicant, only their own upload.
    let remove = format!("/api/v1/t/{T}/documents/{doc}");
    assert_eq!(stranger.delete(&remove).await.status(), 404);
    assert_eq!(mentor.delete(&remove).await.status(), 403);
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    assert_eq!(coordinator.delete(&remove).await.status(), 403);
    assert!(other.delete(&remove).await.status().is_client_error());
    assert_eq!(applicant.get(&file).await.status(), 200, "still there");
    assert_eq!(applicant.delete(&remove).await.status(), 204);
    assert_eq!(applicant.get(&file).await.status(), 404);
    assert_eq!(applicant.delete(&remove).await.status(), 404, "once");
    assert_eq!(
        crate::selection::audit_count(&app, "document.withdrawn").await,
        1
    );
    // The same file goes in again in its place.
    upload_ok(&applicant, &id, "id_card").await;

    // A reviewed file is the coordinator's work and stays; an unreviewed one of a submitted
    // application goes until the results date.
    let (submitted, sid, docs) = app.submitted_application("reviewed@example.kz", "ru").await;
    crate::selection::ok(
        coordinator
            .post(
                &format!("/api/v1/t/{T}/documents/{}/review", docs[0]),
                json!({"decision": "verified"}),
            )
            .await,
        200,
    )
    .await;
    crate::selection::refused(
        submitted
            .delete(&format!("/api/v1/t/{T}/documents/{}", docs[0]))
            .await,
        409,
        "error-document-reviewed",
    )
    .await;

    // On the page: each own file opens; only the unreviewed ones have a Remove button, and
    // removing one says so in the applicant's language.
    let b = app.browser();
    let res = b
        .post_form(
            "/login",
            "/api/login",
            &[
                ("email", "reviewed@example.kz"),
                ("password", ustaz_tests::APPLICANT_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 302);
    let page = format!("/t/{T}/applications/{sid}");
    let html = b.get(&page).await.text().await.unwrap();
    for d in &docs {
        assert!(html.contains(&format!("data-open-document=\"{d}\"")), "{d}");
    }
    assert!(!html.contains(&format!("data-withdraw=\"{}\"", docs[0])));
    assert!(html.contains(&format!("data-withdraw=\"{}\"", docs[1])));
    let csrf = b.csrf().await;
    let res = b
        .post_form(
            &page,
            "/api/withdraw_document_form",
            &[
                ("csrf", csrf.as_str()),
                ("slug", T),
                ("application", sid.as_str()),
                ("id", docs[1].as_str()),
            ],
        )
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let to = crate::selection_pages::location(&res);
    assert!(to.ends_with("?removed=1"), "{to}");
    let html = b.get(&to).await.text().await.unwrap();
    assert!(html.contains("Файл удалён."), "the notice in Russian");
    assert!(!html.contains(&format!("data-open-document=\"{}\"", docs[1])));
}
