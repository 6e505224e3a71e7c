//! Limits on what anyone can ask for without signing in and what costs a hash or an e-mail:
//! registration, password resets and new confirmation links. Counted per client address (one
//! machine flooding the form) and per e-mail address (someone's inbox filled by strangers).
//!
//! Each request is written down first and then judged only by those written before it (ids are
//! time-ordered), so a burst of parallel requests gets no more through than the same requests
//! one after another.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::Email;
use crate::error::{Error, Result};

/// At most `max` requests in any `per`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u64,
    pub per: Duration,
}

/// Registrations from one client address. An office or a recruitment event on one Wi-Fi
/// registers several people: generous, but a script meets it within seconds.
pub const REGISTER_PER_IP: Limit = Limit {
    max: 20,
    per: Duration::hours(1),
};
/// Password-reset requests or new confirmation links from one client address.
pub const MAIL_PER_IP: Limit = Limit {
    max: 20,
    per: Duration::hours(1),
};
/// E-mails a stranger can have sent to one address (registration, reset, confirmation): enough
/// for a person who mistyped, too few to be a nuisance.
pub const MAIL_PER_ADDRESS: Limit = Limit {
    max: 5,
    per: Duration::hours(1),
};

/// Counts one `action` by `key` against `limit`, or refuses it with the wait until it would be
/// allowed. A refused request is not counted.
pub async fn take(db: &DatabaseConnection, action: &str, key: &str, limit: Limit) -> Result<()> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    entity::ActiveModel {
        id: Set(id),
        action: Set(action.to_string()),
        key: Set(key.to_string()),
        at: Set(now),
    }
    .insert(db)
    .await?;
    let earlier = || {
        entity::Entity::find()
            .filter(entity::Column::Action.eq(action))
            .filter(entity::Column::Key.eq(key))
            .filter(entity::Column::At.gt(now - limit.per))
            .filter(entity::Column::Id.lt(id))
    };
    if earlier().count(db).await? < limit.max {
        return Ok(());
    }
    entity::Entity::delete_by_id(id).exec(db).await?;
    // Allowed again when the oldest request in the window leaves it.
    let oldest = earlier()
        .order_by_asc(entity::Column::At)
        .one(db)
        .await?
        .map_or(now, |e| e.at);
    Err(Error::RateLimited {
        retry_after_secs: (oldest + limit.per - now).num_seconds().max(1) as u64,
    })
}

/// A request from `ip` that e-mails `to`: counted per client under `action`, and per recipient
/// across every kind of e-mail a stranger can cause.
pub async fn take_mail(
    db: &DatabaseConnection,
    action: &str,
    per_ip: Limit,
    ip: &str,
    to: &Email,
) -> Result<()> {
    take(db, action, &format!("ip:{ip}"), per_ip).await?;
    take(db, "mail", &format!("to:{}", to.as_str()), MAIL_PER_ADDRESS).await
}

/// Forgets what is older than any window, so the table stays small.
pub async fn prune(db: &DatabaseConnection) -> Result<()> {
    entity::Entity::delete_many()
        .filter(entity::Column::At.lt(Utc::now() - Duration::days(1)))
        .exec(db)
        .await?;
    Ok(())
}

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "throttle_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub action: String,
        pub key: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
