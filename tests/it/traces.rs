//! Issue 21: one trace from a request to the jobs it causes, and metrics beside it.
//!
//! The spans are exported by the SDK's in-memory exporter through the same tracing layer the
//! processes use. The worker here runs in the server's process (the embedded default), but it
//! is started with the server, not by the request: the only way its span can join the
//! request's trace is the `traceparent` the job carries through the outbox and the queue.

use std::collections::HashMap;
use std::time::Duration;

use opentelemetry::trace::{SpanId, TraceId, TracerProvider as _};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::Value as Json;
use tracing_subscriber::layer::SubscriberExt;
use ustaz_tests::*;
use worker::recruitment::fixtures;

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn text(span: &SpanData, key: &str) -> String {
    attribute(span, key)
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// Every value a span carries: its attributes and its events' (log lines inside the span).
fn values(span: &SpanData) -> Vec<String> {
    let events = span.events.iter().flat_map(|e| e.attributes.iter());
    span.attributes
        .iter()
        .chain(events)
        .map(|KeyValue { value, .. }| value.to_string())
        .chain(span.events.iter().map(|e| e.name.to_string()))
        .chain(std::iter::once(span.name.to_string()))
        .collect()
}

#[tokio::test]
async fn an_upload_its_verification_and_the_email_it_causes_are_one_trace_naming_no_one() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("ustaz-test")));
    // This test's thread only (a current-thread runtime: the server and its worker run here).
    let _traced = tracing::subscriber::set_default(subscriber);

    let app = TestApp::sqlite().await;
    let email = "traced.applicant@example.kz";
    let (api, application) = app.draft_application(email, "kk").await;
    // A password-protected PDF: the check refuses it, and the applicant is told by e-mail.
    let res = api
        .upload(
            &format!(
                "/api/v1/t/{DEMO_TENANT}/applications/{application}/documents?doc_type=id_card"
            ),
            "Сапарова удостоверение.pdf",
            "application/pdf",
            fixtures::encrypted_pdf("secret"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let doc: Json = res.json().await.unwrap();
    let checked = api
        .checked_document(DEMO_TENANT, doc["id"].as_str().unwrap())
        .await;
    assert_eq!(checked["status"], "auto_failed");
    let mail = app.wait_for_email(email, "/apply/").await;
    let reason = domain::recruitment::check_reasons_text(
        domain::i18n::Locale::Kk,
        &["pdf_encrypted".to_string()],
    );
    assert!(
        mail.text.contains(&reason[0]),
        "the reason, in Kazakh: {}",
        mail.text
    );

    // The e-mail job's span ends after the message is written; wait for it.
    let mut spans: Vec<SpanData> = Vec::new();
    for _ in 0..100 {
        spans = exporter.get_finished_spans().unwrap();
        if spans.iter().any(|s| {
            s.name == "job" && text(s, "kind") == "send_email" && {
                let tenant = text(s, "tenant_id");
                !tenant.is_empty()
            }
        }) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let upload = spans
        .iter()
        .find(|s| {
            s.name == "request"
                && text(s, "method") == "POST"
                && text(s, "path").ends_with("/documents")
        })
        .expect("the upload's request span");
    let trace: TraceId = upload.span_context.trace_id();
    let in_trace: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.span_context.trace_id() == trace)
        .collect();
    let by_kind: HashMap<String, &SpanData> = in_trace
        .iter()
        .filter(|s| s.name == "job")
        .map(|s| (text(s, "kind"), *s))
        .collect();
    let verify = by_kind
        .get("verify_document")
        .expect("the verification's span is in the upload's trace");
    let send = by_kind
        .get("send_email")
        .expect("the e-mail's span is in the upload's trace");

    // Parent links: the request queued the verification; the verification queued the e-mail.
    assert_eq!(verify.parent_span_id, upload.span_context.span_id());
    assert_eq!(send.parent_span_id, verify.span_context.span_id());
    // The request starts the trace: a caller's own `traceparent` header is not followed.
    assert_eq!(upload.parent_span_id, SpanId::INVALID);

    // Each names the organisation by its id.
    let tenant = domain::tenancy::context::find_tenant(&app.db, DEMO_TENANT)
        .await
        .unwrap()
        .id
        .to_string();
    for span in [upload, *verify, *send] {
        assert_eq!(text(span, "tenant_id"), tenant, "{}", span.name);
    }

    // No one is named: not the applicant's address, name or file, in any span of the trace.
    for span in &in_trace {
        for value in values(span) {
            for personal in [email, "Сапарова", "Айгерим", "удостоверение", "@"]
            {
                assert!(
                    !value.contains(personal),
                    "span {:?} carries {personal:?}: {value}",
                    span.name
                );
            }
        }
    }
    drop(_traced);
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_jobs_emails_and_checked_uploads_on_a_port_of_their_own() {
    let app = TestApp::sqlite().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let (_stop, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(worker::metrics::serve(
        listener,
        app.db.clone(),
        app.queue.clone(),
        stop,
    ));

    let (api, application) = app.draft_application("counted@example.kz", "ru").await;
    let res = api
        .upload(
            &format!(
                "/api/v1/t/{DEMO_TENANT}/applications/{application}/documents?doc_type=id_card"
            ),
            "scan.pdf",
            "application/pdf",
            fixtures::encrypted_pdf("secret"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let doc: Json = res.json().await.unwrap();
    api.checked_document(DEMO_TENANT, doc["id"].as_str().unwrap())
        .await;
    app.wait_for_email("counted@example.kz", "/apply/").await;

    let mut body = String::new();
    // The e-mail is counted once its job ends, just after the message is written.
    for _ in 0..50 {
        body = reqwest::get(&metrics_url)
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if body.contains("ustaz_emails_total{outcome=\"sent\"}") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for expected in [
        // By the route's pattern, never the address with its ids.
        "ustaz_http_requests_total{route=\"/api/v1/t/{tenant}/applications/{id}/documents\",method=\"POST\",status=\"201\"}",
        "ustaz_http_request_duration_seconds_bucket{route=\"/api/v1/t/{tenant}/applications/{id}/documents\",method=\"POST\",le=\"",
        "ustaz_jobs_total{kind=\"verify_document\",outcome=\"done\"}",
        "ustaz_jobs_total{kind=\"send_email\",outcome=\"done\"}",
        "ustaz_job_wait_seconds_count{kind=\"verify_document\"}",
        "ustaz_emails_total{outcome=\"sent\"}",
        "ustaz_uploads_checked_total{outcome=\"refused\"}",
        "ustaz_outbox_jobs ",
        "ustaz_outbox_oldest_seconds ",
        "ustaz_queue_jobs{state=\"pending\"}",
    ] {
        assert!(
            body.contains(expected),
            "/metrics lacks {expected}:\n{body}"
        );
    }
    assert!(
        !body.contains(&application) && !body.contains("counted@"),
        "no id or address in a label"
    );
    // The portal's own port does not answer it.
    let portal = reqwest::get(format!("{}/metrics", app.url)).await.unwrap();
    assert_eq!(portal.status(), 404);
    app.stop().await;
}
