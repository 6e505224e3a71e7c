//! Background jobs and the transactional outbox that hands them to the queue.
//!
//! A service that needs a job (an e-mail, later a verification or a report) writes it to the
//! `outbox` table in the same transaction as its change. The relay (`worker::outbox`) moves
//! outbox rows onto the queue and deletes them; if the queue is down the rows wait. So a
//! committed change always gets its job, and jobs carry dedupe keys because the relay may hand
//! the same job over twice.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accounts::Role;
use crate::db::{self, Scope};
use crate::error::Result;
use crate::i18n::Locale;

/// Every kind of background job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
// A job lives for one hand-over (outbox row, queue payload): a few hundred bytes on the stack
// beat a box at every one of the e-mails' call sites.
#[allow(clippy::large_enum_variant)]
pub enum Job {
    SendEmail(EmailJob),
    /// Inspect an uploaded document (type, PDF, image, virus scan) and record the outcome.
    VerifyDocument {
        tenant_id: Uuid,
        document_id: Uuid,
    },
    /// Compute a report's figures, write its PDF, CSV and XLSX to object storage, tell admins.
    GenerateReport {
        tenant_id: Uuid,
        report_id: Uuid,
    },
}

/// A job as it travels through the outbox and the queue: the job, and the trace it belongs to
/// (the W3C `traceparent` of the span that committed it; see `crate::trace`).
///
/// The job's own fields stay at the top level, so a payload written before traces travelled
/// reads as a `Queued` without one, and a worker of that time reads a new payload as its job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    #[serde(flatten)]
    pub job: Job,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// When the job was committed: the worker measures how long jobs wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_at: Option<chrono::DateTime<Utc>>,
}

/// One e-mail to one person. `dedupe_key` makes sending idempotent: a key is delivered once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailJob {
    /// The organisation the e-mail is about, for traces and metrics; `None` for an account's
    /// own e-mails (address confirmation, password reset), which belong to no organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<Uuid>,
    pub dedupe_key: String,
    pub to: String,
    pub locale: Locale,
    pub message: EmailMessage,
    /// Reminders carry the path that turns their topic off for the recipient (a link in the
    /// footer and the `List-Unsubscribe` header); other messages have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe: Option<String>,
}

/// What an e-mail says; `crate::mail` renders it in the recipient's language. Links are paths;
/// the worker prefixes its configured public URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum EmailMessage {
    Invitation {
        tenant_name: String,
        role: Role,
        inviter_name: String,
        path: String,
    },
    PasswordReset {
        path: String,
    },
    VerifyEmail {
        path: String,
    },
    /// Someone registered with an address that already has an account.
    AlreadyRegistered {
        path: String,
    },
    DocumentRejected {
        programme_name: String,
        document: String,
        reason: String,
        path: String,
    },
    /// Results day: selected, with the link that activates the mentor account.
    ResultsSelected {
        tenant_name: String,
        programme_name: String,
        path: String,
    },
    ResultsNotSelected {
        tenant_name: String,
        programme_name: String,
        path: String,
    },
    /// A seat in a School of Mentors or training: enrolled, or on its waiting list.
    CohortSeat {
        tenant_name: String,
        title: String,
        /// The first day, as people read dates here (dd.mm.yyyy).
        first_day: String,
        days: u32,
        place: String,
        waitlisted: bool,
        path: String,
    },
    /// A safeguarding concern in the recipient's region. It names no child: the details are
    /// behind the sign-in.
    ConcernRaised {
        tenant_name: String,
        region_name: String,
        severity: crate::support::Severity,
        path: String,
    },
    /// The mentor is told that a psychologist approved their match. It names no child: the
    /// pair's page is behind the sign-in.
    MatchApproved {
        tenant_name: String,
        path: String,
    },
    /// A monthly, quarterly or requested report is ready on the reports page (tenant admins).
    ReportReady {
        tenant_name: String,
        /// The period as people read it (`01.10.2026–31.10.2026`).
        period: String,
        path: String,
    },
    /// A meeting protocol (or a group's monthly session) is overdue: to the mentor
    /// (`mentor_name` is `None`), or to a coordinator, naming the mentor. It names no child.
    ProtocolOverdue {
        tenant_name: String,
        mentor_name: Option<String>,
        group_name: Option<String>,
        /// The missed due date, dd.mm.yyyy.
        due: String,
        days: u32,
        path: String,
    },
    /// Something happens tomorrow: a consultation with the psychologist, or a training day.
    Tomorrow {
        tenant_name: String,
        event: TomorrowEvent,
        /// dd.mm.yyyy, and HH:MM when the event has a time.
        date: String,
        time: Option<String>,
        place: String,
        path: String,
    },
    /// A candidate is invited to a stage met in person (the psychological test, the
    /// interview): when and where.
    Appointment {
        tenant_name: String,
        stage: crate::selection::StageKind,
        /// dd.mm.yyyy and HH:MM, where the organisation is.
        date: String,
        time: String,
        place: String,
        path: String,
    },
    /// The applicant's draft is still not submitted and the window closes soon.
    ApplicationIncomplete {
        tenant_name: String,
        programme_name: String,
        closes_on: String,
        path: String,
    },
    /// One of the applicant's documents stops being valid soon.
    DocumentExpiring {
        tenant_name: String,
        document: String,
        expires_on: String,
        path: String,
    },
    /// A pair's term or a mentor's contract ends within 60 days: to the mentor
    /// (`mentor_name` is `None`) or to a coordinator, naming the mentor.
    TermEnding {
        tenant_name: String,
        contract: bool,
        mentor_name: Option<String>,
        ends_on: String,
        days: u32,
        path: String,
    },
    /// Candidates wait for the committee member's vote.
    VotesPending {
        tenant_name: String,
        count: u32,
        path: String,
    },
    /// A candidate passed a stage and the next waits to be opened (coordinators), or was
    /// opened by the programme's setting (`opened`).
    StageReady {
        tenant_name: String,
        /// The stages, as `StageKind::as_str` (named in the reader's language).
        passed: String,
        next: String,
        opened: bool,
        path: String,
    },
}

/// What a "tomorrow" reminder is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TomorrowEvent {
    Consultation,
    TrainingDay {
        title: String,
        day: u32,
        days: u32,
    },
    /// A candidate's psychological test or interview.
    Appointment {
        stage: crate::selection::StageKind,
    },
}

pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        pub payload: String,
        pub created_at: DateTimeUtc,
        pub enqueued_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One row per scheduled run and period: the claim that makes a schedule fire once per period.
pub mod schedule_run {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "schedule_runs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub run_key: String,
        pub ran_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One row per e-mail, from its first attempt: the claim that lets one worker send it.
pub mod email {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "emails")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub dedupe_key: String,
        pub recipient: String,
        pub subject: String,
        /// The `EmailJob` as JSON.
        pub payload: String,
        /// One of `super::Delivery`'s names.
        pub status: String,
        pub attempts: i32,
        pub last_error: Option<String>,
        pub next_attempt_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

impl Job {
    pub fn kind(&self) -> &'static str {
        match self {
            Job::SendEmail(_) => "send_email",
            Job::VerifyDocument { .. } => "verify_document",
            Job::GenerateReport { .. } => "generate_report",
        }
    }

    /// The organisation the job works for (traces and metrics name it; nothing personal).
    pub fn tenant_id(&self) -> Option<Uuid> {
        match self {
            Job::SendEmail(e) => e.tenant_id,
            Job::VerifyDocument { tenant_id, .. } | Job::GenerateReport { tenant_id, .. } => {
                Some(*tenant_id)
            }
        }
    }
}

/// Writes `job` to the outbox inside the caller's transaction, with the current trace.
pub async fn enqueue(conn: &impl ConnectionTrait, job: &Job) -> Result<()> {
    let queued = Queued {
        job: job.clone(),
        traceparent: crate::trace::traceparent(),
        queued_at: Some(Utc::now()),
    };
    outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(job.kind().to_string()),
        payload: Set(serde_json::to_string(&queued).expect("jobs serialise")),
        created_at: Set(Utc::now()),
        enqueued_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The oldest jobs still waiting for the queue.
pub async fn pending(db: &DatabaseConnection, limit: u64) -> Result<Vec<(Uuid, Queued)>> {
    let txn = db::read(db, Scope::System).await?;
    let rows = outbox::Entity::find()
        .filter(outbox::Column::EnqueuedAt.is_null())
        .order_by_asc(outbox::Column::CreatedAt)
        .limit(limit)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match serde_json::from_str(&r.payload) {
            Ok(job) => Some((r.id, job)),
            Err(e) => {
                tracing::error!(outbox_id = %r.id, error = %e, "unreadable outbox row left in place");
                None
            }
        })
        .collect())
}

/// Removes a job from the outbox once the queue has it.
pub async fn handed_over(db: &DatabaseConnection, id: Uuid) -> Result<()> {
    let txn = db::write(db, Scope::System).await?;
    outbox::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Number of jobs still waiting for the queue (readiness and tests).
pub async fn backlog(db: &DatabaseConnection) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(outbox::Entity::find().count(db).await?)
}

/// How many jobs wait for the queue, and how long the oldest has waited (metrics).
pub async fn backlog_age(db: &DatabaseConnection) -> Result<(u64, chrono::Duration)> {
    use sea_orm::PaginatorTrait;
    let txn = db::read(db, Scope::System).await?;
    let count = outbox::Entity::find().count(&txn).await?;
    let oldest = outbox::Entity::find()
        .order_by_asc(outbox::Column::CreatedAt)
        .one(&txn)
        .await?;
    txn.commit().await?;
    let age = oldest.map_or(chrono::Duration::zero(), |o| Utc::now() - o.created_at);
    Ok((count, age))
}

// ---------------------------------------------------------------- e-mail delivery
//
// At most once per dedupe key: a worker sends only after it inserted the key's row (or moved
// it out of `retry` or `queued`) — one statement that only one worker can win. A send the SMTP
// server refused or could not take goes to `retry` with the time of the next attempt, and
// `requeue_due_emails` (the scheduler) hands it to the queue again. A worker that dies between
// the claim and the server's answer leaves the row `sending`; after `SENDING_LEASE` it is marked
// `uncertain` and not sent again, since the message may have gone out.

/// Where one e-mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// A worker is sending it now.
    Sending,
    Sent,
    /// The last attempt failed for a reason that may pass (the server down, a 4xx answer).
    Retry,
    /// Handed to the queue again for its next attempt.
    Queued,
    /// Refused for good (a 5xx answer, an address that is not one).
    Failed,
    /// A worker stopped between sending and recording; not sent again.
    Uncertain,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Sending => "sending",
            Delivery::Sent => "sent",
            Delivery::Retry => "retry",
            Delivery::Queued => "queued",
            Delivery::Failed => "failed",
            Delivery::Uncertain => "uncertain",
        }
    }
}

/// How long a claim may stay `sending` before it is presumed lost.
pub const SENDING_LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// The pause before attempt `attempts + 1`: 2 s, 4 s, 8 s … at most 15 minutes.
pub fn retry_delay(attempts: i32) -> chrono::Duration {
    let exp = u32::try_from(attempts.clamp(1, 10)).unwrap_or(10);
    chrono::Duration::seconds((1i64 << exp).min(15 * 60))
}

/// Claims `job` for sending. `true`: this caller sends it now (and must then call
/// `email_sent` or `email_failed`); `false`: it was sent, or another worker has it.
pub async fn claim_email(db: &DatabaseConnection, job: &EmailJob) -> Result<bool> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let now = Utc::now();
    let row = email::ActiveModel {
        dedupe_key: Set(job.dedupe_key.clone()),
        recipient: Set(job.to.clone()),
        subject: Set(String::new()),
        payload: Set(serde_json::to_string(job).expect("jobs serialise")),
        status: Set(Delivery::Sending.as_str().into()),
        attempts: Set(1),
        last_error: Set(None),
        next_attempt_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
    };
    // ON CONFLICT DO NOTHING: of two workers inserting the same key, one gets the row.
    let txn = db::write(db, Scope::System).await?;
    let inserted = email::Entity::insert(row)
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;
    if matches!(inserted, sea_orm::TryInsertResult::Inserted(1)) {
        txn.commit().await?;
        return Ok(true);
    }
    let moved = email::Entity::update_many()
        .col_expr(
            email::Column::Status,
            Expr::value(Delivery::Sending.as_str()),
        )
        .col_expr(
            email::Column::Attempts,
            Expr::col(email::Column::Attempts).add(1),
        )
        .col_expr(email::Column::UpdatedAt, Expr::value(now))
        .filter(email::Column::DedupeKey.eq(job.dedupe_key.as_str()))
        .filter(email::Column::Status.is_in([Delivery::Retry.as_str(), Delivery::Queued.as_str()]))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(moved.rows_affected == 1)
}

/// What an e-mail's row keeps of its message once it will not be sent again: nothing. The
/// payload holds the links it carried (invitations, password resets, confirmations are one-time
/// tokens); kept only while a retry may need it, so a copy of the database is no key to anyone's
/// account. Recipient, subject and status stay, for the record.
const SPENT_PAYLOAD: &str = "";

/// How long the record of an e-mail that will not be sent again is kept.
pub const EMAIL_RETENTION: chrono::Duration = chrono::Duration::days(90);

/// Records that the claimed e-mail went out.
pub async fn email_sent(db: &DatabaseConnection, dedupe_key: &str, subject: &str) -> Result<()> {
    let now = Utc::now();
    let txn = db::write(db, Scope::System).await?;
    email::ActiveModel {
        dedupe_key: Set(dedupe_key.to_string()),
        subject: Set(subject.to_string()),
        payload: Set(SPENT_PAYLOAD.into()),
        status: Set(Delivery::Sent.as_str().into()),
        last_error: Set(None),
        next_attempt_at: Set(None),
        updated_at: Set(now),
        sent_at: Set(Some(now)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Records a failed attempt: `retry` later when the failure may pass, `failed` for good.
pub async fn email_failed(
    db: &DatabaseConnection,
    dedupe_key: &str,
    error: &str,
    may_pass: bool,
) -> Result<()> {
    let now = Utc::now();
    let txn = db::write(db, Scope::System).await?;
    let Some(row) = email::Entity::find_by_id(dedupe_key.to_string())
        .one(&txn)
        .await?
    else {
        return Ok(());
    };
    let status = if may_pass {
        Delivery::Retry
    } else {
        Delivery::Failed
    };
    email::ActiveModel {
        dedupe_key: Set(row.dedupe_key),
        status: Set(status.as_str().into()),
        payload: if may_pass {
            sea_orm::ActiveValue::NotSet
        } else {
            Set(SPENT_PAYLOAD.into())
        },
        last_error: Set(Some(error.chars().take(1000).collect())),
        next_attempt_at: Set(may_pass.then(|| now + retry_delay(row.attempts))),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Hands every e-mail whose next attempt is due back to the queue (through the outbox, in one
/// transaction with the row's move to `queued`), marks claims older than `SENDING_LEASE`
/// `uncertain`, and deletes the records of e-mails done with for longer than
/// [`EMAIL_RETENTION`]. Returns how many were queued again.
pub async fn requeue_due_emails(db: &DatabaseConnection) -> Result<usize> {
    use sea_orm::sea_query::Expr;
    let now = Utc::now();
    let txn = db::write(db, Scope::System).await?;
    let stale = email::Entity::update_many()
        .col_expr(
            email::Column::Status,
            Expr::value(Delivery::Uncertain.as_str()),
        )
        .col_expr(email::Column::Payload, Expr::value(SPENT_PAYLOAD))
        .col_expr(email::Column::UpdatedAt, Expr::value(now))
        .filter(email::Column::Status.eq(Delivery::Sending.as_str()))
        .filter(email::Column::UpdatedAt.lt(now - SENDING_LEASE))
        .exec(&txn)
        .await?;
    if stale.rows_affected > 0 {
        tracing::error!(
            emails = stale.rows_affected,
            "e-mails left mid-send by a stopped worker: marked uncertain, not sent again"
        );
    }
    let due = email::Entity::find()
        .filter(email::Column::Status.eq(Delivery::Retry.as_str()))
        .filter(email::Column::NextAttemptAt.lte(now))
        .order_by_asc(email::Column::NextAttemptAt)
        .limit(500)
        .all(&txn)
        .await?;
    let mut queued = 0;
    for row in due {
        let Ok(job) = serde_json::from_str::<EmailJob>(&row.payload) else {
            tracing::error!(key = %row.dedupe_key, "unreadable e-mail payload left in retry");
            continue;
        };
        email::ActiveModel {
            dedupe_key: Set(row.dedupe_key),
            status: Set(Delivery::Queued.as_str().into()),
            updated_at: Set(now),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        enqueue(&txn, &Job::SendEmail(job)).await?;
        queued += 1;
    }
    // Records of e-mails that will not be sent again, past their retention.
    email::Entity::delete_many()
        .filter(email::Column::Status.is_in([
            Delivery::Sent.as_str(),
            Delivery::Failed.as_str(),
            Delivery::Uncertain.as_str(),
        ]))
        .filter(email::Column::UpdatedAt.lt(now - EMAIL_RETENTION))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(queued)
}

/// Where the e-mail with this key stands (tests and the operator).
pub async fn email_status(
    db: &DatabaseConnection,
    dedupe_key: &str,
) -> Result<Option<email::Model>> {
    let txn = db::read(db, Scope::System).await?;
    let row = email::Entity::find_by_id(dedupe_key.to_string())
        .one(&txn)
        .await?;
    txn.commit().await?;
    Ok(row)
}

/// Claims the scheduled run `run_key` (e.g. `reminders:<tenant>:<date>`) inside the caller's
/// transaction: `true` for exactly one caller, however many workers tick at once. Run the
/// work in the same transaction, so a run that fails gives its claim back.
pub async fn claim_run(conn: &impl ConnectionTrait, run_key: &str) -> Result<bool> {
    let inserted = schedule_run::Entity::insert(schedule_run::ActiveModel {
        run_key: Set(run_key.to_string()),
        ran_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(conn)
    .await?;
    Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rolling upgrade mixes versions: a payload queued before the envelope reads as one
    /// without a trace, and a worker from before it reads a new payload as its job.
    #[test]
    fn queued_jobs_and_plain_jobs_read_each_other() {
        let email = Job::SendEmail(EmailJob {
            tenant_id: None,
            dedupe_key: "password-reset:1".into(),
            to: "a@example.kz".into(),
            locale: Locale::Kk,
            message: EmailMessage::PasswordReset {
                path: "/reset-password?token=x".into(),
            },
            unsubscribe: None,
        });
        let verify = Job::VerifyDocument {
            tenant_id: Uuid::nil(),
            document_id: Uuid::max(),
        };
        for job in [email, verify] {
            let old = serde_json::to_string(&job).unwrap();
            let queued: Queued = serde_json::from_str(&old).unwrap();
            assert_eq!(queued.job, job);
            assert_eq!(queued.traceparent, None);
            let new = serde_json::to_string(&Queued {
                job: job.clone(),
                traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
                queued_at: Some(Utc::now()),
            })
            .unwrap();
            assert!(new.contains("\"traceparent\""), "{new}");
            let read_by_an_older_worker: Job = serde_json::from_str(&new).unwrap();
            assert_eq!(read_by_an_older_worker, job);
            let again: Queued = serde_json::from_str(&new).unwrap();
            assert_eq!(again.job, job);
            assert!(again.traceparent.is_some() && again.queued_at.is_some());
        }
    }
}
