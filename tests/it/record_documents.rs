//! Files that belong to a child's record, a pair or a protocol go through the same pipeline as
//! applicants' documents: streamed and checked at the edge, verified by the worker (photos lose
//! their metadata), reviewed where a person must look, downloaded by staff with an audit record,
//! exported with the child and erased with it. Each route refuses other roles, other tenants and
//! bad files, and a refusal leaves nothing stored.

use serde_json::{Value, json};
use ustaz_tests::{Api, Browser, DEMO_TENANT, TestApp};
use worker::recruitment::fixtures;

use crate::refusals::pair_of;
use crate::selection::{audit_count, ok, refused};
use crate::selection_pages::{location, signed_in};

const T: &str = DEMO_TENANT;

async fn upload(
    api: &Api,
    path: &str,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    api.upload(path, name, mime, bytes).await
}

/// The stored files under the app's data directory.
fn stored_files(app: &TestApp) -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.config.data_dir.join("files"), &mut out);
    out
}

#[tokio::test]
async fn consent_permission_and_attachments_go_through_the_document_pipeline() {
    let app = TestApp::sqlite().await;
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let mentor = app.api_as("mentor@almaty-mentors.demo").await;
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    let committee = app.api_as("committee@almaty-mentors.demo").await;
    let stranger = app.api_as("admin@karaganda-partner.demo").await;
    let (child, _, pair) = pair_of(&app).await;

    // The consent: only the registrars of the child's region; bad files refused, nothing kept.
    let consent = format!("/api/v1/t/{T}/children/{child}/consent");
    let pdf = || fixtures::pdf(1);
    ok(
        upload(&mentor, &consent, "c.pdf", "application/pdf", pdf()).await,
        403,
    )
    .await;
    ok(
        upload(&psychologist, &consent, "c.pdf", "application/pdf", pdf()).await,
        403,
    )
    .await;
    ok(
        upload(&stranger, &consent, "c.pdf", "application/pdf", pdf()).await,
        404,
    )
    .await;
    let before = stored_files(&app);
    refused(
        upload(
            &coordinator,
            &consent,
            "c.pdf",
            "application/pdf",
            Vec::new(),
        )
        .await,
        422,
        "error-file-empty",
    )
    .await;
    let text = upload(
        &coordinator,
        &consent,
        "c.txt",
        "text/plain",
        b"I agree".to_vec(),
    )
    .await;
    assert_eq!(text.status(), 415, "{}", text.text().await.unwrap());
    assert_eq!(stored_files(&app), before, "a refused file leaves nothing");

    let first = ok(
        upload(
            &coordinator,
            &consent,
            "Келісім ../x.pdf",
            "application/pdf",
            pdf(),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(first["status"], "uploaded");
    assert_eq!(first["child_id"], child.as_str());
    assert_eq!(first["application_id"], Value::Null);
    assert!(
        !first["original_name"].as_str().unwrap().contains('/'),
        "{first}"
    );
    let checked = coordinator
        .checked_document(T, first["id"].as_str().unwrap())
        .await;
    assert_eq!(checked["status"], "auto_passed", "{checked}");
    assert_eq!(checked["pages"], 1);

    // A renewed consent (another file: the same one again is the upload already made)
    // replaces the first, which keeps its history.
    let renewed = || fixtures::pdf(2);
    let res = upload(
        &coordinator,
        &consent,
        "again.pdf",
        "application/pdf",
        pdf(),
    )
    .await;
    assert_eq!(res.status(), 409);
    let second = ok(
        upload(
            &coordinator,
            &consent,
            "renewed.pdf",
            "application/pdf",
            renewed(),
        )
        .await,
        201,
    )
    .await;
    let record = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/children/{child}"))
            .await,
        200,
    )
    .await;
    let docs = record["consent_documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2, "{record}");
    assert_eq!(docs[0]["status"], "rejected");
    assert_eq!(docs[0]["review_reason"], "replaced");
    assert_eq!(docs[1]["id"], second["id"]);
    coordinator
        .checked_document(T, second["id"].as_str().unwrap())
        .await;

    // The consent waits for the coordinator's review with a link to the child's record.
    let queue = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/review-queue"))
            .await,
        200,
    )
    .await;
    let item = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["document"]["id"] == second["id"])
        .unwrap_or_else(|| panic!("the consent is not in the queue: {queue}"));
    assert_eq!(item["subject_path"], format!("/t/{T}/children/{child}"));
    assert_eq!(
        item["doc_label"], "Согласие",
        "in the coordinator's language"
    );
    let reviewed = ok(
        coordinator
            .post(
                &format!(
                    "/api/v1/t/{T}/documents/{}/review",
                    second["id"].as_str().unwrap()
                ),
                json!({"decision": "verified"}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(reviewed["status"], "verified");

    // Downloads: staff who follow children, logged; never a committee member or the mentor.
    let file = format!(
        "/api/v1/t/{T}/documents/{}/file",
        second["id"].as_str().unwrap()
    );
    let downloads = audit_count(&app, "document.downloaded").await;
    let got = coordinator.get(&file).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), renewed().as_slice());
    assert_eq!(
        audit_count(&app, "document.downloaded").await,
        downloads + 1
    );
    assert_eq!(committee.get(&file).await.status(), 403);
    assert_eq!(mentor.get(&file).await.status(), 403);
    assert_eq!(stranger.get(&file).await.status(), 404);

    // The guest-visit permission: for a grant of the pair, by its managers.
    let grant = ok(
        coordinator
            .post(
                &format!("/api/v1/t/{T}/pairs/{pair}/guest-visits"),
                json!({"from_on": crate::pairs::tenant_today(&app).await.to_string(),
                       "until_on": (crate::pairs::tenant_today(&app).await + chrono::Days::new(2)).to_string()}),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(grant["document"], Value::Null);
    let permission = format!(
        "/api/v1/t/{T}/guest-visits/{}/permission",
        grant["id"].as_str().unwrap()
    );
    ok(
        upload(&mentor, &permission, "p.pdf", "application/pdf", pdf()).await,
        403,
    )
    .await;
    ok(
        upload(&stranger, &permission, "p.pdf", "application/pdf", pdf()).await,
        404,
    )
    .await;
    ok(
        upload(
            &coordinator,
            &format!("/api/v1/t/{T}/guest-visits/{child}/permission"),
            "p.pdf",
            "application/pdf",
            pdf(),
        )
        .await,
        404,
    )
    .await;
    let granted = ok(
        upload(
            &coordinator,
            &permission,
            "permission.jpg",
            "image/jpeg",
            fixtures::jpeg(400, 300),
        )
        .await,
        201,
    )
    .await;
    let doc = &granted["document"];
    assert_eq!(doc["pair_id"], pair.as_str());
    let checked = coordinator
        .checked_document(T, doc["id"].as_str().unwrap())
        .await;
    assert_eq!(checked["status"], "auto_passed", "{checked}");
    let seen = ok(
        mentor.get(&format!("/api/v1/t/{T}/pairs/{pair}")).await,
        200,
    )
    .await;
    assert_eq!(
        seen["guest_visits"][0]["document"]["id"], doc["id"],
        "{seen}"
    );

    // Attachments: the mentor's own open protocol only; photos lose their metadata.
    let today = crate::pairs::tenant_today(&app).await;
    let logged = ok(
        mentor
            .post(
                &format!("/api/v1/t/{T}/meetings"),
                json!({"pair_id": pair, "held_on": today.to_string(), "minutes": 60,
                       "format": "outing", "mood": "good"}),
            )
            .await,
        201,
    )
    .await;
    let meeting = logged["id"].as_str().unwrap().to_string();
    let attach = format!("/api/v1/t/{T}/meetings/{meeting}/attachments");
    ok(
        upload(
            &coordinator,
            &attach,
            "a.jpg",
            "image/jpeg",
            fixtures::jpeg(10, 10),
        )
        .await,
        403,
    )
    .await;
    ok(
        upload(
            &stranger,
            &attach,
            "a.jpg",
            "image/jpeg",
            fixtures::jpeg(10, 10),
        )
        .await,
        404,
    )
    .await;
    let encrypted = upload(
        &mentor,
        &attach,
        "locked.pdf",
        "application/pdf",
        fixtures::encrypted_pdf("x"),
    )
    .await;
    let encrypted: Value = encrypted.json().await.unwrap();
    let photo = ok(
        upload(
            &mentor,
            &attach,
            "outing.jpg",
            "image/jpeg",
            fixtures::jpeg_with_exif(640, 480, 1),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(photo["meeting_id"], meeting.as_str());
    let checked = mentor
        .checked_document(T, photo["id"].as_str().unwrap())
        .await;
    assert_eq!(checked["status"], "auto_passed", "{checked}");
    // The encrypted PDF is stored and then failed by the worker, with its reason.
    if let Some(id) = encrypted["id"].as_str() {
        let failed = mentor.checked_document(T, id).await;
        assert_eq!(failed["status"], "auto_failed", "{failed}");
        assert!(
            failed["reasons"].to_string().contains("encrypted"),
            "{failed}"
        );
    } else {
        assert_eq!(encrypted["error"], "error-pdf-encrypted", "{encrypted}");
    }
    // Five live files at most (five files: the same one twice is one upload).
    for i in 0..4 {
        ok(
            upload(
                &mentor,
                &attach,
                &format!("{i}.png"),
                "image/png",
                fixtures::png(20 + i, 20),
            )
            .await,
            201,
        )
        .await;
    }
    refused(
        upload(
            &mentor,
            &attach,
            "sixth.png",
            "image/png",
            fixtures::png(40, 40),
        )
        .await,
        409,
        "error-document-count",
    )
    .await;
    let meetings = ok(
        mentor
            .get(&format!("/api/v1/t/{T}/pairs/{pair}/meetings"))
            .await,
        200,
    )
    .await;
    assert_eq!(
        meetings[0]["attachments"].as_array().unwrap().len(),
        6,
        "{meetings}"
    );
    // No one reviews attachments; staff may download them.
    let queue = ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/review-queue"))
            .await,
        200,
    )
    .await;
    assert!(
        !queue.to_string().contains(photo["id"].as_str().unwrap()),
        "attachments are not reviewed"
    );
    let photo_file = format!(
        "/api/v1/t/{T}/documents/{}/file",
        photo["id"].as_str().unwrap()
    );
    let got = psychologist.get(&photo_file).await;
    assert_eq!(got.status(), 200);
    let bytes = got.bytes().await.unwrap();
    assert!(
        !bytes.windows(4).any(|w| w == b"Exif"),
        "the photo's metadata is gone"
    );

    // A locked protocol takes no more files.
    {
        use domain::support::entity::meeting;
        use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
        let txn = domain::db::write(&app.db, domain::db::Scope::System)
            .await
            .unwrap();
        let mut am = meeting::Entity::find_by_id(meeting.parse::<uuid::Uuid>().unwrap())
            .one(&txn)
            .await
            .unwrap()
            .unwrap()
            .into_active_model();
        am.created_at = Set(chrono::Utc::now() - chrono::Duration::days(8));
        am.update(&txn).await.unwrap();
        txn.commit().await.unwrap();
    }
    refused(
        upload(
            &mentor,
            &attach,
            "late.png",
            "image/png",
            fixtures::png(20, 20),
        )
        .await,
        409,
        "error-meeting-locked",
    )
    .await;

    // The export carries every document about the child; erasing the child removes them all,
    // and the sweep then removes their files.
    let export = ok(
        admin
            .get(&format!("/api/v1/t/{T}/children/{child}/export"))
            .await,
        200,
    )
    .await;
    let exported = export["documents"].as_array().unwrap();
    assert_eq!(exported.len(), 2 + 1 + 6, "{export}");
    let files_before = stored_files(&app).len();
    ok(
        admin
            .request("delete", &format!("/api/v1/t/{T}/children/{child}"), None)
            .await,
        204,
    )
    .await;
    assert_eq!(
        stored_files(&app).len(),
        files_before,
        "files wait for the sweep"
    );
    let storage = app.config.open_storage().await.unwrap();
    let removed = domain::recruitment::service::sweep_orphan_files(
        &app.db,
        &storage,
        std::time::Duration::ZERO,
    )
    .await
    .unwrap();
    assert!(removed >= 9, "removed {removed}");
    for d in exported {
        let id = d["id"].as_str().unwrap();
        assert!(
            !stored_files(&app).iter().any(|f| f.contains(id)),
            "{id} is still stored"
        );
    }
}

/// A multipart post from a page without script: the CSRF token and the small fields first.
async fn page_upload(
    b: &Browser,
    path: &str,
    csrf: &str,
    fields: &[(&str, String)],
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf.to_string());
    for (k, v) in fields {
        form = form.text(k.to_string(), v.clone());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str(mime)
            .unwrap(),
    );
    b.client
        .post(format!("{}{path}", b.base))
        .header("Origin", &b.base)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn files_are_attached_from_the_pages_without_script_and_the_routes_refuse_strangers() {
    let app = TestApp::sqlite().await;
    let (child, _, pair) = pair_of(&app).await;
    let (c, c_csrf) = signed_in(&app, "coordinator@almaty-mentors.demo").await;
    let (m, m_csrf) = signed_in(&app, "mentor@almaty-mentors.demo").await;
    let (s, s_csrf) = signed_in(&app, "admin@karaganda-partner.demo").await;
    let anonymous = app.browser();

    // The child's page offers the consent upload to the coordinator.
    let page = format!("/t/{T}/children/{child}");
    let html = c.get(&page).await.text().await.unwrap();
    assert!(html.contains("id=\"consent-form\""), "{html}");
    let consent = format!("/t/{T}/children/{child}/consent");
    let pdf = || fixtures::pdf(1);
    assert_eq!(
        page_upload(
            &anonymous,
            &consent,
            "",
            &[],
            "c.pdf",
            "application/pdf",
            pdf()
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        page_upload(
            &s,
            &consent,
            &s_csrf,
            &[],
            "c.pdf",
            "application/pdf",
            pdf()
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        page_upload(
            &m,
            &consent,
            &m_csrf,
            &[],
            "c.pdf",
            "application/pdf",
            pdf()
        )
        .await
        .status(),
        403
    );
    // A bad file comes back to the page with the reason in the coordinator's language.
    let bad = page_upload(
        &c,
        &consent,
        &c_csrf,
        &[],
        "c.txt",
        "text/plain",
        b"x".to_vec(),
    )
    .await;
    assert!(bad.status().is_redirection());
    let to = location(&bad);
    assert!(to.contains("upload_error="), "{to}");
    let good = page_upload(
        &c,
        &consent,
        &c_csrf,
        &[],
        "consent.pdf",
        "application/pdf",
        pdf(),
    )
    .await;
    assert!(
        location(&good).ends_with("?uploaded=1"),
        "{}",
        location(&good)
    );
    let html = c
        .get(&format!("{page}?uploaded=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("consent.pdf"), "the consent is listed");
    assert!(html.contains("id=\"child-notice\""), "{html}");

    // The pair's page: the mentor attaches a photo to their open protocol.
    let api = app.api_as("mentor@almaty-mentors.demo").await;
    let today = crate::pairs::tenant_today(&app).await;
    let logged = ok(
        api.post(
            &format!("/api/v1/t/{T}/meetings"),
            json!({"pair_id": pair, "held_on": today.to_string(), "minutes": 45,
                   "format": "visit", "mood": "calm"}),
        )
        .await,
        201,
    )
    .await;
    let meeting = logged["id"].as_str().unwrap().to_string();
    let pair_page = format!("/t/{T}/pairs/{pair}");
    let html = m.get(&pair_page).await.text().await.unwrap();
    assert!(html.contains("id=\"attachment-form\""), "{html}");
    let attach = format!("/t/{T}/pairs/{pair}/attachments");
    let fields = [("meeting", meeting.clone())];
    assert_eq!(
        page_upload(
            &c,
            &attach,
            &c_csrf,
            &fields,
            "a.png",
            "image/png",
            fixtures::png(10, 10)
        )
        .await
        .status(),
        403,
        "staff do not attach to a mentor's protocol"
    );
    assert_eq!(
        page_upload(
            &m,
            &format!("/t/{T}/pairs/{child}/attachments"),
            &m_csrf,
            &fields,
            "a.png",
            "image/png",
            fixtures::png(10, 10)
        )
        .await
        .status(),
        404,
        "the protocol belongs to the pair the address names"
    );
    let good = page_upload(
        &m,
        &attach,
        &m_csrf,
        &fields,
        "drawing.png",
        "image/png",
        fixtures::png(10, 10),
    )
    .await;
    assert!(
        location(&good).ends_with("?uploaded=1"),
        "{}",
        location(&good)
    );
    let html = m.get(&pair_page).await.text().await.unwrap();
    assert!(html.contains("drawing.png"), "the attachment is listed");

    // Guest visits: the grant shows its permission missing until the coordinator uploads it.
    let capi = app.api_as("coordinator@almaty-mentors.demo").await;
    let grant = ok(
        capi.post(
            &format!("/api/v1/t/{T}/pairs/{pair}/guest-visits"),
            json!({"from_on": today.to_string(), "until_on": today.to_string()}),
        )
        .await,
        201,
    )
    .await;
    let html = c.get(&pair_page).await.text().await.unwrap();
    assert!(html.contains("id=\"guest-permission-form\""), "{html}");
    let permission = format!("/t/{T}/pairs/{pair}/guest-permission");
    let fields = [("visits", grant["id"].as_str().unwrap().to_string())];
    assert_eq!(
        page_upload(
            &m,
            &permission,
            &m_csrf,
            &fields,
            "p.pdf",
            "application/pdf",
            pdf()
        )
        .await
        .status(),
        403
    );
    let good = page_upload(
        &c,
        &permission,
        &c_csrf,
        &fields,
        "permission.pdf",
        "application/pdf",
        pdf(),
    )
    .await;
    assert!(
        location(&good).ends_with("?uploaded=1"),
        "{}",
        location(&good)
    );
    let html = m.get(&pair_page).await.text().await.unwrap();
    assert!(
        html.contains("permission.pdf"),
        "the mentor sees the permission exists"
    );
    assert!(
        !html.contains("id=\"guest-permission-form\""),
        "the mentor has no upload form"
    );
}

/// The SQLite rebuild of `documents` keeps every row and what points at them: with foreign
/// keys on, dropping the old table would have deleted the history, the contracts' and the
/// guest visits' links.
#[tokio::test]
async fn the_sqlite_rebuild_keeps_every_document_and_what_points_at_it() {
    use migrations::MigratorTrait;
    use sea_orm::{ConnectionTrait, Statement};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    // One connection, so the pragma below holds for the inserts.
    let db = domain::db::connect(&url, 1).await.unwrap();
    let before = migrations::Migrator::migrations().len() as u32 - 1;
    migrations::Migrator::up(&db, Some(before)).await.unwrap();
    let count = |table: &'static str| {
        let db = db.clone();
        async move {
            db.query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
        }
    };
    // Rows as an earlier version wrote them (their parents are beside the point here).
    db.execute_unprepared(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO documents (id, tenant_id, application_id, doc_type, status, original_name,
           declared_type, size_bytes, sha256, storage_key, reasons, uploaded_by, created_at)
         VALUES ('d1', 't1', 'a1', 'id_card', 'verified', 'Жеке куәлік.pdf', 'application/pdf',
           123, 'abc', 't/t1/documents/d1', '[]', 'u1', '2026-11-01 10:00:00+00:00');
         INSERT INTO document_events (id, tenant_id, document_id, action, at)
         VALUES ('e1', 't1', 'd1', 'uploaded', '2026-11-01 10:00:00+00:00');
         INSERT INTO guest_visits (id, tenant_id, pair_id, from_on, until_on, document_id, note,
           created_at)
         VALUES ('g1', 't1', 'p1', '2026-12-01', '2026-12-02', 'd1', '', '2026-11-01 10:00:00+00:00');
         PRAGMA foreign_keys = ON;",
    )
    .await
    .unwrap();
    migrations::Migrator::up(&db, None).await.unwrap();
    assert_eq!(count("documents").await, 1);
    assert_eq!(count("document_events").await, 1, "the history is kept");
    let linked = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT d.original_name, d.child_id FROM guest_visits g JOIN documents d ON d.id = g.document_id".to_string(),
        ))
        .await
        .unwrap()
        .expect("the guest visit still points at its document");
    assert_eq!(
        linked.try_get_by_index::<String>(0).unwrap(),
        "Жеке куәлік.pdf"
    );
    assert_eq!(linked.try_get_by_index::<Option<String>>(1).unwrap(), None);
    // Foreign keys are on again for the connection; the owners are optional columns.
    let fk = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA foreign_keys".to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fk.try_get_by_index::<i64>(0).unwrap(), 1);
    let columns = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT name, \"notnull\" FROM pragma_table_info('documents')".to_string(),
        ))
        .await
        .unwrap();
    let not_null = |name: &str| {
        columns
            .iter()
            .find(|r| r.try_get_by_index::<String>(0).unwrap() == name)
            .unwrap_or_else(|| panic!("no column {name}"))
            .try_get_by_index::<i64>(1)
            .unwrap()
    };
    assert_eq!(
        not_null("application_id"),
        0,
        "a record's document has no application"
    );
    for owner in ["child_id", "pair_id", "meeting_id"] {
        assert_eq!(not_null(owner), 0);
    }
    assert_eq!(not_null("doc_type"), 1, "the other constraints are kept");
}
