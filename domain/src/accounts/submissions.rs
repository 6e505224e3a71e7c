//! A form is carried out once (issue 19, principle 2).
//!
//! Every portal form carries a token made when it was drawn (`once`). The server writes the
//! token down before it acts and the answer after; the same token again — a double click, a
//! retry after a timeout, Back and Save on a page the browser kept — gets the first answer
//! instead of a second protocol, vote or session. A page drawn afresh after Back has a new
//! token but the values the browser put back into it: the same values, to the same form, as
//! this browser's last completed form are the same submission too. Anything sent in between
//! (undoing it, say) makes the next one new again, so a deliberate repeat is still possible.
//!
//! Kept for a day, keyed by a digest of the session cookie; only a digest of the values.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};
use uuid::Uuid;

use crate::error::{Error, Result};

/// How long a form's answer is kept for a repeat of its token.
pub const KEPT_FOR: Duration = Duration::days(1);
/// How long the same values count as the same submission under a new token.
pub const SAME_VALUES_WITHIN: Duration = Duration::hours(1);
/// How long a repeat waits for the first one, still being carried out, to finish.
const WAIT_FOR_FIRST: std::time::Duration = std::time::Duration::from_secs(60);
const POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// What a form's first submission was answered (a redirect, or a server function's result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

/// What to do with a form that arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// New: carry it out, then [`finish`] (or [`release`] if it was refused).
    New(Uuid),
    /// Already carried out: answer as the first time.
    Repeat(Answer),
}

/// One form submission by `owner` (a digest of its session) to `action` with `token` and
/// values whose digest is `digest`.
pub async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    token: &str,
    action: &str,
    digest: &str,
) -> Result<Claim> {
    claim_with(db, owner, token, action, digest, Kind::Form).await
}

/// One API request by `owner` (a digest of its bearer token) with an `Idempotency-Key` (issue
/// 20: a phone that sent a protocol, lost the answer and sends it again). Unlike a form, only
/// the key says it is the same request: the same values under another key are a second
/// protocol. The same key for another request is refused (422), not answered as the first.
pub async fn claim_key(
    db: &DatabaseConnection,
    owner: &str,
    key: &str,
    action: &str,
    digest: &str,
) -> Result<Claim> {
    claim_with(db, owner, key, action, digest, Kind::Key).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Form,
    Key,
}

async fn claim_with(
    db: &DatabaseConnection,
    owner: &str,
    token: &str,
    action: &str,
    digest: &str,
    kind: Kind,
) -> Result<Claim> {
    let started = std::time::Instant::now();
    loop {
        let now = Utc::now();
        if let Some(first) = entity::Entity::find()
            .filter(entity::Column::Owner.eq(owner))
            .filter(entity::Column::Token.eq(token))
            .one(db)
            .await?
        {
            if kind == Kind::Key && (first.action != action || first.digest != digest) {
                return Err(Error::invalid(
                    "Idempotency-Key",
                    "error-idempotency-key-reused",
                ));
            }
            if let Some(answer) = answer(&first) {
                return Ok(Claim::Repeat(answer));
            }
            // The first is still being carried out (a double click): wait for its answer.
            if started.elapsed() > WAIT_FOR_FIRST {
                return Err(Error::Conflict("error-form-still-saving".into()));
            }
            tokio::time::sleep(POLL).await;
            continue;
        }
        let last = entity::Entity::find()
            .filter(entity::Column::Owner.eq(owner))
            .filter(entity::Column::Done.eq(true))
            .order_by_desc(entity::Column::FinishedAt)
            .one(db)
            .await?;
        if let Some(last) = last.filter(|l| {
            kind == Kind::Form
                && l.action == action
                && l.digest == digest
                && l.finished_at.is_some_and(|t| t > now - SAME_VALUES_WITHIN)
        }) && let Some(answer) = answer(&last)
        {
            return Ok(Claim::Repeat(answer));
        }
        let id = Uuid::now_v7();
        let row = entity::ActiveModel {
            id: Set(id),
            owner: Set(owner.to_string()),
            token: Set(token.to_string()),
            action: Set(action.to_string()),
            digest: Set(digest.to_string()),
            done: Set(false),
            status: Set(None),
            location: Set(None),
            content_type: Set(None),
            body: Set(None),
            created_at: Set(now),
            finished_at: Set(None),
        };
        match row.insert(db).await {
            Ok(_) => return Ok(Claim::New(id)),
            // The same token arrived at the same moment: the loop finds it and waits.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

fn answer(row: &entity::Model) -> Option<Answer> {
    row.done.then(|| Answer {
        status: row.status.map_or(200, |s| s as u16),
        location: row.location.clone(),
        content_type: row.content_type.clone(),
        body: row.body.clone().unwrap_or_default(),
    })
}

/// The submission `id` was carried out and answered `answer`.
pub async fn finish(db: &DatabaseConnection, id: Uuid, answer: &Answer) -> Result<()> {
    entity::ActiveModel {
        id: Set(id),
        done: Set(true),
        status: Set(Some(answer.status as i32)),
        location: Set(answer.location.clone()),
        content_type: Set(answer.content_type.clone()),
        body: Set(Some(answer.body.clone())),
        finished_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// The submission `id` was refused (or failed): nothing was done, so the same form may be sent
/// again, corrected or not.
pub async fn release(db: &DatabaseConnection, id: Uuid) -> Result<()> {
    entity::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Forgets submissions older than [`KEPT_FOR`].
pub async fn prune(db: &DatabaseConnection) -> Result<()> {
    entity::Entity::delete_many()
        .filter(entity::Column::CreatedAt.lt(Utc::now() - KEPT_FOR))
        .exec(db)
        .await?;
    Ok(())
}

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "form_submissions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub owner: String,
        pub token: String,
        pub action: String,
        pub digest: String,
        pub done: bool,
        pub status: Option<i32>,
        pub location: Option<String>,
        pub content_type: Option<String>,
        pub body: Option<String>,
        pub created_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
