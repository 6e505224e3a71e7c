//! Reading and changing reminder preferences, unsubscribing by link, and the one check every
//! reminder makes before it is queued (`reminder_link`).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

use super::{
    NotificationPreferences, PreferencesInput, Topic, Unsubscribed, format_disabled, parse_disabled,
};
use crate::accounts::entity::notification_preference as pref;
use crate::accounts::tokens::new_token;
use crate::db::{self, Scope};
use crate::error::{Error, Result};
use crate::tenancy::context::TenantCtx;
use crate::tenancy::entity::tenant;

/// The signed-in person's reminders in this tenant.
pub async fn get_preferences(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<NotificationPreferences> {
    let txn = ctx.read(db).await?;
    let row = pref::Entity::find_by_id((ctx.tenant_id(), ctx.actor.user_id))
        .one(&txn)
        .await?;
    txn.commit().await?;
    Ok(NotificationPreferences::from_disabled(
        &row.map(|r| parse_disabled(&r.disabled)).unwrap_or_default(),
    ))
}

/// Turns the listed topics on or off for the signed-in person in this tenant. Each person
/// changes only their own; the tenant context has already refused people outside the tenant.
pub async fn set_preferences(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: &PreferencesInput,
) -> Result<NotificationPreferences> {
    let txn = ctx.write(db).await?;
    let row = ensure_row(&txn, ctx.tenant_id(), ctx.actor.user_id).await?;
    let disabled = input.apply(&parse_disabled(&row.disabled))?;
    let mut am: pref::ActiveModel = row.into();
    am.disabled = Set(format_disabled(&disabled));
    am.updated_at = Set(Utc::now());
    am.update(&txn).await?;
    txn.commit().await?;
    Ok(NotificationPreferences::from_disabled(&disabled))
}

/// The unsubscribe link of a reminder: turns `topic` off for the person the token belongs to,
/// without signing in (the link is the proof; it can only turn e-mails off).
pub async fn unsubscribe(
    db: &DatabaseConnection,
    token: &str,
    topic: &str,
) -> Result<Unsubscribed> {
    let topic =
        Topic::parse(topic).ok_or_else(|| Error::invalid("topic", "error-topic-unknown"))?;
    if token.is_empty() || token.len() > 100 {
        return Err(Error::NotFound);
    }
    // The token names the tenant, so the lookup is cross-tenant by nature.
    let txn = db::write(db, Scope::System).await?;
    let row = pref::Entity::find()
        .filter(pref::Column::UnsubscribeToken.eq(token))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let t = tenant::Entity::find_by_id(row.tenant_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let mut disabled = parse_disabled(&row.disabled);
    if !disabled.contains(&topic) {
        disabled.push(topic);
    }
    let mut am: pref::ActiveModel = row.into();
    am.disabled = Set(format_disabled(&disabled));
    am.updated_at = Set(Utc::now());
    am.update(&txn).await?;
    txn.commit().await?;
    Ok(Unsubscribed {
        tenant_name: t.name,
        topic,
    })
}

/// Before a reminder about `topic` is queued for `user_id`: `None` when they turned the topic
/// off, else the unsubscribe path the e-mail carries. Runs in the caller's transaction.
pub async fn reminder_link(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    user_id: Uuid,
    topic: Topic,
) -> Result<Option<String>> {
    let row = ensure_row(conn, tenant_id, user_id).await?;
    if parse_disabled(&row.disabled).contains(&topic) {
        return Ok(None);
    }
    Ok(Some(format!(
        "/unsubscribe?token={}&topic={}",
        row.unsubscribe_token,
        topic.as_str()
    )))
}

/// The person's row, created with every topic on and a fresh unsubscribe token.
async fn ensure_row(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    user_id: Uuid,
) -> Result<pref::Model> {
    if let Some(row) = pref::Entity::find_by_id((tenant_id, user_id))
        .one(conn)
        .await?
    {
        return Ok(row);
    }
    let row = pref::ActiveModel {
        tenant_id: Set(tenant_id),
        user_id: Set(user_id),
        disabled: Set(String::new()),
        unsubscribe_token: Set(new_token()),
        updated_at: Set(Utc::now()),
    };
    // Two writers creating the same row: the loser reads the winner's.
    pref::Entity::insert(row)
        .on_conflict_do_nothing()
        .exec_without_returning(conn)
        .await?;
    pref::Entity::find_by_id((tenant_id, user_id))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// Queues one reminder about `topic` to `to` in the caller's transaction, unless they turned
/// the topic off; returns 1 when queued. The dedupe key makes a second queueing a no-op.
pub(crate) async fn remind(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    to: &crate::accounts::entity::user::Model,
    topic: Topic,
    dedupe_key: String,
    message: crate::jobs::EmailMessage,
) -> Result<usize> {
    let Some(unsubscribe) = reminder_link(conn, tenant_id, to.id, topic).await? else {
        return Ok(0);
    };
    crate::jobs::enqueue(
        conn,
        &crate::jobs::Job::SendEmail(crate::jobs::EmailJob {
            tenant_id: Some(tenant_id),
            dedupe_key,
            to: to.email.clone(),
            locale: to.locale.parse().unwrap_or(crate::Locale::Ru),
            message,
            unsubscribe: Some(unsubscribe),
        }),
    )
    .await?;
    Ok(1)
}
