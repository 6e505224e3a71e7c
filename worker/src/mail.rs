//! Sending e-mail: `.eml` files under `data/outbox/` in the embedded default, SMTP in
//! production. Each message is sent at most once per dedupe key (`domain::jobs`).

use std::path::PathBuf;

use domain::jobs::{self, EmailJob};
use domain::mail::RenderedEmail;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::DatabaseConnection;

#[derive(Clone)]
pub enum Mailer {
    /// Writes each message as `<id>.eml` into a folder and logs it.
    Files(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn files(dir: PathBuf) -> anyhow::Result<Mailer> {
        std::fs::create_dir_all(&dir)?;
        Ok(Mailer::Files(dir))
    }

    /// `smtp://user:pass@host:port` (STARTTLS: `?tls=required`) or `smtps://…`.
    pub fn smtp(url: &str) -> anyhow::Result<Mailer> {
        Ok(Mailer::Smtp(
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build(),
        ))
    }

    /// Sends one message. The error says whether trying again later may succeed.
    async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Mailer::Files(dir) => {
                let id = AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await
                    .map_err(|e| SendError {
                        may_pass: true,
                        message: e.to_string(),
                    })?;
                tracing::info!(file = %dir.join(format!("{id}.eml")).display(), "e-mail written");
            }
            Mailer::Smtp(t) => {
                t.send(message).await.map_err(|e| SendError {
                    // A 5xx answer will not change; the server down, a timeout or a 4xx may.
                    may_pass: !e.is_permanent(),
                    message: e.to_string(),
                })?;
            }
        }
        Ok(())
    }
}

/// Why a message did not go out.
#[derive(Debug)]
pub struct SendError {
    pub may_pass: bool,
    pub message: String,
}

/// Renders and sends one e-mail job, at most once per dedupe key (`domain::jobs::claim_email`).
/// A failed attempt is recorded for a later retry (or for good) and is not an error of the
/// job: the scheduler hands the message to the queue again when its next attempt is due.
pub async fn send_email(
    db: &DatabaseConnection,
    mailer: &Mailer,
    from: &str,
    public_url: &str,
    job: &EmailJob,
) -> anyhow::Result<()> {
    if !jobs::claim_email(db, job).await? {
        tracing::info!(key = %job.dedupe_key, "e-mail sent already or being sent; skipped");
        crate::metrics::email("skipped");
        return Ok(());
    }
    let rendered = domain::mail::render(
        &job.message,
        job.locale,
        public_url,
        job.unsubscribe.as_deref(),
    );
    let message = match build(from, job, &rendered) {
        Ok(m) => m,
        Err(e) => {
            let error = unnamed(&e.to_string(), job);
            tracing::error!(key = %job.dedupe_key, %error, "e-mail cannot be built; not retried");
            jobs::email_failed(db, &job.dedupe_key, &e.to_string(), false).await?;
            crate::metrics::email("failed");
            return Ok(());
        }
    };
    match mailer.send(message).await {
        Ok(()) => {
            jobs::email_sent(db, &job.dedupe_key, &rendered.subject).await?;
            tracing::info!(key = %job.dedupe_key, "e-mail sent");
            crate::metrics::email("sent");
        }
        Err(e) => {
            let error = unnamed(&e.message, job);
            tracing::warn!(key = %job.dedupe_key, %error, may_pass = e.may_pass, "e-mail not sent");
            jobs::email_failed(db, &job.dedupe_key, &e.message, e.may_pass).await?;
            crate::metrics::email(if e.may_pass { "retry" } else { "failed" });
        }
    }
    Ok(())
}

/// `error` as logs and traces may carry it: a mail server's refusal often quotes the address
/// (`550 <name@example.kz>: no such user`), and logs name no one.
fn unnamed(error: &str, job: &EmailJob) -> String {
    error.replace(job.to.as_str(), "<recipient>")
}

fn build(from: &str, job: &EmailJob, rendered: &RenderedEmail) -> anyhow::Result<Message> {
    let mut builder = Message::builder()
        .from(from.parse::<Mailbox>()?)
        .to(job.to.parse::<Mailbox>()?)
        .subject(&rendered.subject)
        // Lets the receiving side see duplicates as such, should one ever slip through.
        .message_id(Some(format!(
            "<{}@ustaz>",
            domain::accounts::tokens::hash_token(&job.dedupe_key)
        )));
    if let Some(url) = &rendered.unsubscribe_url {
        // RFC 8058: mail programs show an "unsubscribe" button that posts to the link.
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    Ok(builder.multipart(MultiPart::alternative_plain_html(
        rendered.text.clone(),
        rendered.html.clone(),
    ))?)
}
