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
pub enum Job {
    SendEmail(EmailJob),
    /// Inspect an uploaded document (type, PDF, image, virus scan) and record the outcome.
    VerifyDocument {
        tenant_id: Uuid,
        document_id: Uuid,
    },
}

/// One e-mail to one person. `dedupe_key` makes sending idempotent: a key is delivered once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailJob {
    pub dedupe_key: String,
    pub to: String,
    pub locale: Locale,
    pub message: EmailMessage,
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

pub mod email_delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "email_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub dedupe_key: String,
        pub recipient: String,
        pub subject: String,
        pub sent_at: DateTimeUtc,
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
        }
    }
}

/// Writes `job` to the outbox inside the caller's transaction.
pub async fn enqueue(conn: &impl ConnectionTrait, job: &Job) -> Result<()> {
    outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(job.kind().to_string()),
        payload: Set(serde_json::to_string(job).expect("jobs serialise")),
        created_at: Set(Utc::now()),
        enqueued_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The oldest jobs still waiting for the queue.
pub async fn pending(db: &DatabaseConnection, limit: u64) -> Result<Vec<(Uuid, Job)>> {
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

/// Whether an e-mail with this key went out already.
pub async fn was_delivered(db: &DatabaseConnection, dedupe_key: &str) -> Result<bool> {
    Ok(email_delivery::Entity::find_by_id(dedupe_key.to_string())
        .one(db)
        .await?
        .is_some())
}

/// Records that an e-mail went out. A second record of the same key is ignored.
pub async fn record_delivery(
    db: &DatabaseConnection,
    dedupe_key: &str,
    recipient: &str,
    subject: &str,
) -> Result<()> {
    let result = email_delivery::ActiveModel {
        dedupe_key: Set(dedupe_key.to_string()),
        recipient: Set(recipient.to_string()),
        subject: Set(subject.to_string()),
        sent_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if db::is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
