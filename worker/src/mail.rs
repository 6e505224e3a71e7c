//! Sending e-mail: `.eml` files under `data/outbox/` in the embedded default, SMTP in
//! production. Each message is sent at most once per dedupe key (`domain::jobs`).

use std::path::PathBuf;

use domain::jobs::{self, EmailJob};
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

    async fn send(&self, message: Message) -> anyhow::Result<()> {
        match self {
            Mailer::Files(dir) => {
                let id = AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await?;
                tracing::info!(file = %dir.join(format!("{id}.eml")).display(), "e-mail written");
            }
            Mailer::Smtp(t) => {
                t.send(message).await?;
            }
        }
        Ok(())
    }
}

/// Renders and sends one e-mail job, unless its key was delivered already.
pub async fn send_email(
    db: &DatabaseConnection,
    mailer: &Mailer,
    from: &str,
    public_url: &str,
    job: &EmailJob,
) -> anyhow::Result<()> {
    if jobs::was_delivered(db, &job.dedupe_key).await? {
        tracing::info!(key = %job.dedupe_key, "e-mail already delivered; skipped");
        return Ok(());
    }
    let rendered = domain::mail::render(&job.message, job.locale, public_url);
    let message = Message::builder()
        .from(from.parse::<Mailbox>()?)
        .to(job.to.parse::<Mailbox>()?)
        .subject(&rendered.subject)
        .multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        ))?;
    mailer.send(message).await?;
    jobs::record_delivery(db, &job.dedupe_key, &job.to, &rendered.subject).await?;
    tracing::info!(key = %job.dedupe_key, "e-mail sent");
    Ok(())
}
