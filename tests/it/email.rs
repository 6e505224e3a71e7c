//! E-mail through a real SMTP server (aiosmtpd): nothing lost while the server is down, and
//! nothing sent twice, whatever retries or however many workers send (issue 6).

use std::time::Duration;

use domain::jobs::{EmailJob, EmailMessage, email};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use ustaz_tests::{Options, SmtpServer, TestApp};

async fn statuses(app: &TestApp, to: &[&str]) -> Vec<(String, String, i32)> {
    email::Entity::find()
        .filter(email::Column::Recipient.is_in(to.iter().copied()))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.recipient, e.status, e.attempts))
        .collect()
}

fn received(smtp: &SmtpServer, to: &str) -> usize {
    smtp.messages().iter().filter(|m| m.to == to).count()
}

#[tokio::test]
async fn smtp_down_then_up_loses_nothing_and_sends_nothing_twice() {
    let Some(mut smtp) = SmtpServer::start().await else {
        return;
    };
    let app = TestApp::spawn(Options {
        seed: true,
        in_process_worker: true,
        smtp_url: Some(smtp.url()),
        // Ticking every second hands failed messages back to the queue when they are due.
        schedule: Some("* * * * * *".into()),
        ..Default::default()
    })
    .await;

    // Up: a message goes out with its plain and HTML parts.
    let res = app
        .api()
        .post(
            "/api/v1/auth/password-reset",
            json!({"email": "admin@almaty-mentors.demo"}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    for _ in 0..100 {
        if received(&smtp, "admin@almaty-mentors.demo") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first = smtp
        .messages()
        .into_iter()
        .find(|m| m.to == "admin@almaty-mentors.demo")
        .expect("delivered over SMTP");
    assert!(first.text.contains("/reset-password?token="));
    assert!(first.html.contains("<a href="));

    // Down: three people register; their messages wait for another attempt.
    smtp.down();
    let people = [
        "down-1@example.kz",
        "down-2@example.kz",
        "down-3@example.kz",
    ];
    for p in people {
        let res = app
            .api()
            .post(
                "/api/v1/auth/register",
                json!({"email": p, "password": "correct horse battery", "full_name": "Асель Н.", "locale": "kk"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    let mut waiting = Vec::new();
    for _ in 0..150 {
        waiting = statuses(&app, &people).await;
        if waiting.len() == 3 && waiting.iter().all(|(_, s, a)| s == "retry" && *a >= 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        waiting.len() == 3 && waiting.iter().all(|(_, s, _)| s == "retry"),
        "{waiting:?}"
    );

    // Up again: each arrives, once.
    smtp.up().await;
    for _ in 0..400 {
        if people.iter().all(|p| received(&smtp, p) > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few more ticks: nothing is sent again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for p in people {
        assert_eq!(
            received(&smtp, p),
            1,
            "{p}: {:?}",
            statuses(&app, &people).await
        );
    }
    assert_eq!(received(&smtp, "admin@almaty-mentors.demo"), 1);
    assert!(
        statuses(&app, &people)
            .await
            .iter()
            .all(|(_, s, _)| s == "sent")
    );

    // Two workers with the same message at once, then a retry of it: one e-mail.
    let mailer = worker::mail::Mailer::smtp(&smtp.url()).unwrap();
    let job = EmailJob {
        tenant_id: None,
        dedupe_key: "test:two-workers".into(),
        to: "twice@example.kz".into(),
        locale: domain::Locale::En,
        message: EmailMessage::PasswordReset {
            path: "/reset-password?token=x".into(),
        },
        unsubscribe: None,
    };
    let send = || {
        worker::mail::send_email(
            &app.db,
            &mailer,
            "Ustaz <no-reply@ustaz.local>",
            &app.url,
            &job,
        )
    };
    let (a, b) = tokio::join!(send(), send());
    a.unwrap();
    b.unwrap();
    send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(received(&smtp, "twice@example.kz"), 1);
}

#[tokio::test]
async fn a_message_refused_for_good_is_not_retried_and_others_still_go() {
    let app = TestApp::sqlite().await;
    let mailer = worker::mail::Mailer::files(app.config.outbox_dir()).unwrap();
    let job = |key: &str, to: &str| EmailJob {
        tenant_id: None,
        dedupe_key: key.into(),
        to: to.into(),
        locale: domain::Locale::Ru,
        message: EmailMessage::PasswordReset {
            path: "/reset-password?token=x".into(),
        },
        unsubscribe: None,
    };
    let bad = job("test:bad-address", "not an address");
    worker::mail::send_email(
        &app.db,
        &mailer,
        "Ustaz <no-reply@ustaz.local>",
        &app.url,
        &bad,
    )
    .await
    .unwrap();
    let row = domain::jobs::email_status(&app.db, "test:bad-address")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "failed");
    assert!(row.last_error.is_some());
    assert_eq!(domain::jobs::requeue_due_emails(&app.db).await.unwrap(), 0);
    let good = job("test:good-address", "good@example.kz");
    worker::mail::send_email(
        &app.db,
        &mailer,
        "Ustaz <no-reply@ustaz.local>",
        &app.url,
        &good,
    )
    .await
    .unwrap();
    assert_eq!(app.emails_to("good@example.kz"), 1);
}
