//! Youth-group sessions: a mentor assigned to an active group logs one session a month for
//! it. The month is the session date's; a second one for the same month is refused, also by
//! the database (a unique index), so two mentors of one group cannot both log it.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};
use uuid::Uuid;

use super::entity::group_session;
use super::{GroupSessionInput, GroupSessionView, month_of};
use crate::accounts::Role;
use crate::accounts::entity::user;
use crate::error::{Error, Result};
use crate::matching::entity::{group_member, youth_group};
use crate::matching::groups::service::{assigned_now, group_in_reach};
use crate::matching::pairs::{ACTIVE, FOLLOWERS};
use crate::recruitment::service::tenant_today;
use crate::tenancy::audit;
use crate::tenancy::context::TenantCtx;

const MONTH_TAKEN: &str = "error-session-month-taken";

fn session_view(s: &group_session::Model, mentor_name: String) -> GroupSessionView {
    GroupSessionView {
        id: s.id,
        group_id: s.group_id,
        mentor_id: s.mentor_id,
        mentor_name,
        month: s.month,
        held_on: s.held_on,
        minutes: s.minutes.max(0) as u32,
        attendees: s.attendees.max(0) as u32,
        topic: s.topic.clone(),
        agreements: s.agreements.clone(),
        next_steps: s.next_steps.clone(),
        logged_at: s.created_at,
    }
}

/// A mentor of the group logs this month's session (or a past month's that was missed).
pub async fn log_group_session(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    group_id: Uuid,
    input: &GroupSessionInput,
) -> Result<GroupSessionView> {
    ctx.require_any(&[Role::Mentor])?;
    let txn = ctx.write(db).await?;
    let g = youth_group::Entity::find_by_id(group_id)
        .filter(youth_group::Column::TenantId.eq(ctx.tenant_id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    // Someone else's group is not theirs to log.
    if !assigned_now(&txn, g.id, ctx.actor.user_id).await? {
        return Err(Error::NotFound);
    }
    if g.status != ACTIVE {
        return Err(Error::Conflict("error-group-closed".into()));
    }
    let members = group_member::Entity::find()
        .filter(group_member::Column::GroupId.eq(g.id))
        .filter(group_member::Column::LeftOn.is_null())
        .all(&txn)
        .await?
        .len();
    let (topic, agreements, next_steps) =
        input.check(g.started_on, tenant_today(&ctx.tenant), members)?;
    let month = month_of(input.held_on);
    if group_session::Entity::find()
        .filter(group_session::Column::GroupId.eq(g.id))
        .filter(group_session::Column::Month.eq(month))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(MONTH_TAKEN.into()));
    }
    let now = Utc::now();
    let s = group_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id()),
        group_id: Set(g.id),
        mentor_id: Set(ctx.actor.user_id),
        month: Set(month),
        held_on: Set(input.held_on),
        minutes: Set(input.minutes as i32),
        attendees: Set(input.attendees as i32),
        topic: Set(topic),
        agreements: Set(agreements),
        next_steps: Set(next_steps),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        // Another mentor of the group logged the month between our check and our insert.
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::Conflict(MONTH_TAKEN.into()),
        _ => e.into(),
    })?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "group_session.logged",
        "group",
        Some(g.id),
        Some(serde_json::json!({ "session": s.id })),
    )
    .await?;
    let me = user::Entity::find_by_id(ctx.actor.user_id)
        .one(&txn)
        .await?;
    txn.commit().await?;
    Ok(session_view(
        &s,
        me.map(|u| u.full_name).unwrap_or_default(),
    ))
}

/// A group's sessions, newest first: its mentors, or staff of its region.
pub async fn list_group_sessions(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    group_id: Uuid,
) -> Result<Vec<GroupSessionView>> {
    let txn = ctx.read(db).await?;
    let g = group_in_reach(&txn, ctx, group_id, &FOLLOWERS, true).await?;
    let rows = group_session::Entity::find()
        .filter(group_session::Column::GroupId.eq(g.id))
        .order_by_desc(group_session::Column::Month)
        .all(&txn)
        .await?;
    let names: std::collections::HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().map(|s| s.mentor_id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    txn.commit().await?;
    Ok(rows
        .iter()
        .map(|s| session_view(s, names.get(&s.mentor_id).cloned().unwrap_or_default()))
        .collect())
}
