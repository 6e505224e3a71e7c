//! Youth groups: coordinators (their region) and admins register groups, add and remove
//! members and assign mentors; staff of the region follow them; a mentor sees the groups they
//! are assigned to now.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::*;
use crate::accounts::Role;
use crate::accounts::entity::user;
use crate::accounts::service::members_with_roles;
use crate::error::{Error, Result};
use crate::matching::entity::{group_member, group_mentor, youth_group};
use crate::matching::pairs::{ACTIVE, FOLLOWERS, MANAGERS};
use crate::recruitment::entity::{programme, programme_region};
use crate::recruitment::service::{programme_name, tenant_today};
use crate::recruitment::{Cadence, ProgrammeKind};
use crate::support::entity::group_session;
use crate::tenancy::audit;
use crate::tenancy::context::TenantCtx;
use crate::tenancy::entity::region;

/// A group the actor may act on with `roles` (in their region), or one they are assigned to
/// now when `mentor_may` is set. Anything else is `NotFound`.
pub(crate) async fn group_in_reach(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
    roles: &[Role],
    mentor_may: bool,
) -> Result<youth_group::Model> {
    let as_mentor = mentor_may && ctx.has(Role::Mentor);
    if !as_mentor {
        ctx.require_any(roles)?;
    }
    let g = youth_group::Entity::find_by_id(id)
        .filter(youth_group::Column::TenantId.eq(ctx.tenant_id()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    if ctx.covers_region(roles, Some(g.region_id)) {
        return Ok(g);
    }
    if as_mentor && assigned_now(conn, g.id, ctx.actor.user_id).await? {
        return Ok(g);
    }
    Err(Error::NotFound)
}

/// Whether `mentor` is assigned to the group now.
pub(crate) async fn assigned_now(
    conn: &impl ConnectionTrait,
    group_id: Uuid,
    mentor: Uuid,
) -> Result<bool> {
    Ok(group_mentor::Entity::find()
        .filter(group_mentor::Column::GroupId.eq(group_id))
        .filter(group_mentor::Column::MentorId.eq(mentor))
        .filter(group_mentor::Column::UnassignedOn.is_null())
        .one(conn)
        .await?
        .is_some())
}

/// A coordinator of the region or an admin registers a group of a group programme.
pub async fn create_group(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: &GroupInput,
) -> Result<GroupView> {
    ctx.require_any(&MANAGERS)?;
    let today = tenant_today(&ctx.tenant);
    let (name, host, project) = input.check(today)?;
    let tid = ctx.tenant_id();
    let txn = ctx.write(db).await?;
    let p = programme::Entity::find_by_id(input.programme_id)
        .filter(programme::Column::TenantId.eq(tid))
        .one(&txn)
        .await?
        .filter(|p| p.kind == ProgrammeKind::Group.as_str())
        .ok_or_else(|| Error::invalid("programme_id", "error-group-programme"))?;
    region::Entity::find_by_id(input.region_id)
        .filter(region::Column::TenantId.eq(tid))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("region_id", "error-region-unknown"))?;
    if !ctx.covers_region(&MANAGERS, Some(input.region_id)) {
        return Err(Error::invalid("region_id", "error-region-not-yours"));
    }
    programme_region::Entity::find()
        .filter(programme_region::Column::ProgrammeId.eq(p.id))
        .filter(programme_region::Column::RegionId.eq(input.region_id))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("region_id", "error-group-region"))?;
    let g = youth_group::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tid),
        region_id: Set(input.region_id),
        programme_id: Set(p.id),
        name: Set(name),
        host_organisation: Set(host),
        project: Set(project),
        started_on: Set(input.started_on.unwrap_or(today)),
        status: Set(ACTIVE.into()),
        created_by: Set(Some(ctx.actor.user_id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(tid),
        Some(ctx.actor.user_id),
        "group.created",
        "group",
        Some(g.id),
        None,
    )
    .await?;
    let view = group_views(&txn, ctx, vec![g]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}

/// Groups the actor follows: staff see their region's (active first); a mentor the groups
/// they are assigned to now.
pub async fn list_groups(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<Vec<GroupView>> {
    let staff = ctx.staff_or_mentor(&FOLLOWERS)?;
    let txn = ctx.read(db).await?;
    let mut q =
        youth_group::Entity::find().filter(youth_group::Column::TenantId.eq(ctx.tenant_id()));
    if !staff {
        let mine: Vec<Uuid> = group_mentor::Entity::find()
            .filter(group_mentor::Column::TenantId.eq(ctx.tenant_id()))
            .filter(group_mentor::Column::MentorId.eq(ctx.actor.user_id))
            .filter(group_mentor::Column::UnassignedOn.is_null())
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| m.group_id)
            .collect();
        q = q.filter(youth_group::Column::Id.is_in(mine));
    }
    let rows: Vec<youth_group::Model> = q
        .order_by_asc(youth_group::Column::Status)
        .order_by_asc(youth_group::Column::Name)
        .all(&txn)
        .await?
        .into_iter()
        .filter(|g| !staff || ctx.covers_region(&FOLLOWERS, Some(g.region_id)))
        .collect();
    let views = group_views(&txn, ctx, rows).await?;
    txn.commit().await?;
    Ok(views)
}

/// One group (staff of its region, or a mentor assigned to it).
pub async fn get_group(db: &DatabaseConnection, ctx: &TenantCtx, id: Uuid) -> Result<GroupView> {
    let txn = ctx.read(db).await?;
    let g = group_in_reach(&txn, ctx, id, &FOLLOWERS, true).await?;
    let view = group_views(&txn, ctx, vec![g]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}

/// An active group of the manager's region, for changes.
async fn managed_group(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<youth_group::Model> {
    let g = group_in_reach(conn, ctx, id, &MANAGERS, false).await?;
    if g.status != ACTIVE {
        return Err(Error::Conflict("error-group-closed".into()));
    }
    Ok(g)
}

/// A member joins an active group today.
pub async fn add_group_member(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    group_id: Uuid,
    input: &GroupMemberInput,
) -> Result<GroupView> {
    ctx.require_any(&MANAGERS)?;
    let today = tenant_today(&ctx.tenant);
    let (first_name, last_initial) = input.check(today)?;
    let txn = ctx.write(db).await?;
    let g = managed_group(&txn, ctx, group_id).await?;
    let m = group_member::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id()),
        group_id: Set(g.id),
        first_name: Set(first_name),
        last_initial: Set(last_initial),
        date_of_birth: Set(input.date_of_birth),
        joined_on: Set(today),
        left_on: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "group.member_added",
        "group",
        Some(g.id),
        Some(serde_json::json!({ "member": m.id })),
    )
    .await?;
    let view = group_views(&txn, ctx, vec![g]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}

/// A member leaves the group today; they stay in its history.
pub async fn remove_group_member(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    group_id: Uuid,
    member_id: Uuid,
) -> Result<GroupView> {
    ctx.require_any(&MANAGERS)?;
    let txn = ctx.write(db).await?;
    let g = managed_group(&txn, ctx, group_id).await?;
    let m = group_member::Entity::find_by_id(member_id)
        .filter(group_member::Column::GroupId.eq(g.id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if m.left_on.is_some() {
        return Err(Error::Conflict("error-member-left".into()));
    }
    let mut am = m.into_active_model();
    am.left_on = Set(Some(tenant_today(&ctx.tenant)));
    am.update(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "group.member_left",
        "group",
        Some(g.id),
        Some(serde_json::json!({ "member": member_id })),
    )
    .await?;
    let view = group_views(&txn, ctx, vec![g]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}

/// The organisation's group programmes (id, name in the actor's language), for the form that
/// registers a group.
pub async fn group_programmes(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<Vec<(Uuid, String)>> {
    ctx.require_any(&MANAGERS)?;
    let txn = ctx.read(db).await?;
    let out = programme::Entity::find()
        .filter(programme::Column::TenantId.eq(ctx.tenant_id()))
        .filter(programme::Column::Kind.eq(ProgrammeKind::Group.as_str()))
        .order_by_desc(programme::Column::OpensAt)
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.id, programme_name(&p, ctx.actor.locale)))
        .collect();
    txn.commit().await?;
    Ok(out)
}

/// Active mentors of the organisation, by name: whom a group can be given.
pub async fn assignable_mentors(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<Vec<(Uuid, String)>> {
    ctx.require_any(&MANAGERS)?;
    let txn = ctx.read(db).await?;
    let out = active_mentors(&txn, ctx).await?;
    txn.commit().await?;
    Ok(out)
}

async fn active_mentors(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
) -> Result<Vec<(Uuid, String)>> {
    Ok(
        members_with_roles(conn, ctx.tenant_id(), &[Role::Mentor], None)
            .await?
            .into_iter()
            .map(|u| (u.id, u.full_name))
            .collect(),
    )
}

/// An active mentor of the organisation is assigned to an active group (again, if they were
/// before).
pub async fn assign_group_mentor(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    group_id: Uuid,
    input: &GroupMentorInput,
) -> Result<GroupView> {
    ctx.require_any(&MANAGERS)?;
    let txn = ctx.write(db).await?;
    let g = managed_group(&txn, ctx, group_id).await?;
    if !active_mentors(&txn, ctx)
        .await?
        .iter()
        .any(|(id, _)| *id == input.mentor_id)
    {
        return Err(Error::invalid("mentor_id", "error-mentor-unknown"));
    }
    let today = tenant_today(&ctx.tenant);
    match group_mentor::Entity::find()
        .filter(group_mentor::Column::GroupId.eq(g.id))
        .filter(group_mentor::Column::MentorId.eq(input.mentor_id))
        .one(&txn)
        .await?
    {
        Some(row) if row.unassigned_on.is_none() => {
            return Err(Error::Conflict("error-group-mentor-assigned".into()));
        }
        Some(row) => {
            let mut am = row.into_active_model();
            am.assigned_on = Set(today);
            am.assigned_by = Set(Some(ctx.actor.user_id));
            am.unassigned_on = Set(None);
            am.update(&txn).await?;
        }
        None => {
            group_mentor::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(ctx.tenant_id()),
                group_id: Set(g.id),
                mentor_id: Set(input.mentor_id),
                assigned_on: Set(today),
                assigned_by: Set(Some(ctx.actor.user_id)),
                unassigned_on: Set(None),
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "group.mentor_assigned",
        "group",
        Some(g.id),
        Some(serde_json::json!({ "mentor": input.mentor_id })),
    )
    .await?;
    let view = group_views(&txn, ctx, vec![g]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}

/// A mentor stops leading a group; their sessions stay.
pub async fn unassign_group_mentor(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    group_id: Uuid,
    mentor_id: Uuid,
) -> Result<GroupView> {
    ctx.require_any(&MANAGERS)?;
    let txn = ctx.write(db).await?;
    let g = managed_group(&txn, ctx, group_id).await?;
    let row = group_mentor::Entity::find()
        .filter(group_mentor::Column::GroupId.eq(g.id))
        .filter(group_mentor::Column::MentorId.eq(mentor_id))
        .filter(group_mentor::Column::UnassignedOn.is_null())
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let mut am = row.into_active_model();
    am.unassigned_on = Set(Some(tenant_today(&ctx.tenant)));
    am.update(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "group.mentor_unassigned",
        "group",
        Some(g.id),
        Some(serde_json::json!({ "mentor": mentor_id })),
    )
    .await?;
    let view = group_views(&txn, ctx, vec![g]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}

/// The latest session date of each of `groups`.
pub(crate) async fn last_sessions(
    conn: &impl ConnectionTrait,
    groups: &[Uuid],
) -> Result<HashMap<Uuid, NaiveDate>> {
    use sea_orm::QuerySelect;
    let rows: Vec<(Uuid, NaiveDate)> = group_session::Entity::find()
        .select_only()
        .column(group_session::Column::GroupId)
        .column_as(group_session::Column::HeldOn.max(), "last")
        .filter(group_session::Column::GroupId.is_in(groups.iter().copied()))
        .group_by(group_session::Column::GroupId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Groups with their members, mentors and standing. `today` is the organisation's date.
async fn group_views(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    groups: Vec<youth_group::Model>,
) -> Result<Vec<GroupView>> {
    let today = tenant_today(&ctx.tenant);
    let tid = ctx.tenant_id();
    let ids: Vec<Uuid> = groups.iter().map(|g| g.id).collect();
    let regions: HashMap<Uuid, String> = region::Entity::find()
        .filter(region::Column::TenantId.eq(tid))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let programmes: HashMap<Uuid, programme::Model> = programme::Entity::find()
        .filter(programme::Column::TenantId.eq(tid))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut members: HashMap<Uuid, Vec<GroupMemberView>> = HashMap::new();
    for m in group_member::Entity::find()
        .filter(group_member::Column::GroupId.is_in(ids.clone()))
        .order_by_asc(group_member::Column::FirstName)
        .all(conn)
        .await?
    {
        members
            .entry(m.group_id)
            .or_default()
            .push(GroupMemberView {
                id: m.id,
                name: format!("{} {}.", m.first_name, m.last_initial),
                age: crate::recruitment::age_on(m.date_of_birth, today),
                joined_on: m.joined_on,
                left_on: m.left_on,
            });
    }
    let assignments = group_mentor::Entity::find()
        .filter(group_mentor::Column::GroupId.is_in(ids.clone()))
        .all(conn)
        .await?;
    let names: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(assignments.iter().map(|a| a.mentor_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    let mut mentors: HashMap<Uuid, Vec<GroupMentorView>> = HashMap::new();
    for a in assignments {
        mentors
            .entry(a.group_id)
            .or_default()
            .push(GroupMentorView {
                mentor_id: a.mentor_id,
                name: names.get(&a.mentor_id).cloned().unwrap_or_default(),
                assigned_on: a.assigned_on,
                unassigned_on: a.unassigned_on,
            });
    }
    let last = last_sessions(conn, &ids).await?;
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let prog = programmes.get(&g.programme_id);
        let cadence = prog
            .and_then(|p| Cadence::parse(&p.meeting_cadence).ok())
            .unwrap_or(Cadence::Monthly);
        let mut members = members.remove(&g.id).unwrap_or_default();
        // Current members first, then those who left; by name within each.
        members.sort_by_key(|m| m.left_on.is_some());
        let mut mentors = mentors.remove(&g.id).unwrap_or_default();
        mentors.sort_by(|a, b| {
            (a.unassigned_on.is_some(), &a.name).cmp(&(b.unassigned_on.is_some(), &b.name))
        });
        let last_session = last.get(&g.id).copied();
        out.push(GroupView {
            id: g.id,
            name: g.name,
            host_organisation: g.host_organisation,
            project: g.project,
            region_id: g.region_id,
            region_name: regions.get(&g.region_id).cloned().unwrap_or_default(),
            programme_id: g.programme_id,
            programme_name: prog
                .map(|p| programme_name(p, ctx.actor.locale))
                .unwrap_or_default(),
            started_on: g.started_on,
            standing: (g.status == ACTIVE)
                .then(|| crate::support::standing(cadence, g.started_on, last_session, today)),
            status: g.status,
            members,
            mentors,
            last_session,
        });
    }
    Ok(out)
}
