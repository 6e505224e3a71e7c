//! Children: registration by staff and the waiting list. Coordinators work with their region's
//! children; every read of a child's record is audit-logged.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::entity::child;
use super::*;
use crate::accounts::Role;
use crate::error::{Error, Result};
use crate::recruitment::service::{
    StoredFile, UploadPlan, doc_view, insert_document, plan_for, retire_live, tenant_today,
    views_of,
};
use crate::recruitment::{DocOwner, DocumentView};
use crate::tenancy::audit;
use crate::tenancy::context::TenantCtx;
use crate::tenancy::entity::{institution, region};

/// Who registers children: coordinators (their region) and admins.
const REGISTRARS: [Role; 2] = [Role::TenantAdmin, Role::Coordinator];
/// Who reads children's records: the registrars and psychologists (their region).
const READERS: [Role; 3] = [Role::TenantAdmin, Role::Coordinator, Role::Psychologist];

pub const WAITING: &str = "waiting";

/// A stored JSON list of words (languages, interests).
pub(crate) fn list_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Registers a child on the waiting list, with their consent.
pub async fn register_child(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: &ChildInput,
) -> Result<ChildView> {
    ctx.require_any(&REGISTRARS)?;
    let today = tenant_today(&ctx.tenant);
    let checked = input.check(today)?;
    // A coordinator's child is in their region unless they name one.
    let region_id = input
        .region_id
        .or_else(|| {
            ctx.roles
                .iter()
                .find_map(|(r, scope)| (*r == Role::Coordinator).then_some(*scope).flatten())
        })
        .ok_or_else(|| Error::invalid("region_id", "error-child-region"))?;
    if !ctx.covers_region(&REGISTRARS, Some(region_id)) {
        return Err(Error::invalid("region_id", "error-region-not-yours"));
    }
    let txn = ctx.write(db).await?;
    let tid = ctx.tenant_id();
    region::Entity::find_by_id(region_id)
        .filter(region::Column::TenantId.eq(tid))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("region_id", "error-region-unknown"))?;
    if let Some(i) = input.institution_id {
        institution::Entity::find_by_id(i)
            .filter(institution::Column::TenantId.eq(tid))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::invalid("institution_id", "error-institution-unknown"))?;
    }
    let now = Utc::now();
    let model = child::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tid),
        region_id: Set(region_id),
        institution_id: Set(input.institution_id),
        first_name: Set(checked.first_name),
        last_initial: Set(checked.last_initial),
        date_of_birth: Set(input.date_of_birth),
        gender: Set(input.gender.as_str().to_string()),
        languages: Set(serde_json::to_string(&checked.languages).expect("serialises")),
        interests: Set(serde_json::to_string(&checked.interests).expect("serialises")),
        needs: Set(checked.needs),
        preferred_mentor_gender: Set(input
            .preferred_mentor_gender
            .map(|g| g.as_str().to_string())),
        consent_by: Set(input.consent.by.as_str().to_string()),
        consent_name: Set(checked.consent_name),
        consent_on: Set(input.consent.given_on),
        status: Set(WAITING.to_string()),
        waiting_since: Set(now),
        created_by: Set(Some(ctx.actor.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(tid),
        Some(ctx.actor.user_id),
        "child.registered",
        "child",
        Some(model.id),
        None,
    )
    .await?;
    let view = view_of(&txn, ctx, &model).await?;
    txn.commit().await?;
    Ok(view)
}

async fn names(
    conn: &impl sea_orm::ConnectionTrait,
    ctx: &TenantCtx,
) -> Result<(HashMap<Uuid, String>, HashMap<Uuid, String>)> {
    let regions = region::Entity::find()
        .filter(region::Column::TenantId.eq(ctx.tenant_id()))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let institutions = institution::Entity::find()
        .filter(institution::Column::TenantId.eq(ctx.tenant_id()))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    Ok((regions, institutions))
}

async fn view_of(
    conn: &impl sea_orm::ConnectionTrait,
    ctx: &TenantCtx,
    c: &child::Model,
) -> Result<ChildView> {
    let (regions, institutions) = names(conn, ctx).await?;
    let now = Utc::now();
    Ok(ChildView {
        id: c.id,
        first_name: c.first_name.clone(),
        last_initial: c.last_initial.clone(),
        date_of_birth: c.date_of_birth,
        age: age_on(c.date_of_birth, tenant_today(&ctx.tenant)),
        gender: Gender::parse(&c.gender).unwrap_or(Gender::Female),
        region_id: c.region_id,
        region_name: regions.get(&c.region_id).cloned().unwrap_or_default(),
        institution_id: c.institution_id,
        institution_name: c.institution_id.and_then(|i| institutions.get(&i).cloned()),
        languages: list_of(&c.languages),
        interests: list_of(&c.interests),
        needs: c.needs.clone(),
        preferred_mentor_gender: c.preferred_mentor_gender.as_deref().and_then(Gender::parse),
        consent: ConsentInput {
            by: ConsentBy::parse(&c.consent_by).unwrap_or(ConsentBy::Institution),
            name: c.consent_name.clone(),
            given_on: c.consent_on,
        },
        consent_documents: views_of(conn, DocOwner::Child(c.id)).await?,
        status: c.status.clone(),
        waiting_since: c.waiting_since,
        waiting_days: waiting_days(c.waiting_since, now),
    })
}

/// The waiting list: the longest waiting first (coordinators and psychologists see their
/// region). The list is a read of children's data, so it is audit-logged too.
pub async fn list_waiting_children(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<Vec<WaitingChild>> {
    ctx.require_any(&READERS)?;
    let txn = ctx.write(db).await?;
    let children: Vec<child::Model> = child::Entity::find()
        .filter(child::Column::TenantId.eq(ctx.tenant_id()))
        .filter(child::Column::Status.eq(WAITING))
        .order_by_asc(child::Column::WaitingSince)
        .all(&txn)
        .await?
        .into_iter()
        .filter(|c| ctx.covers_region(&READERS, Some(c.region_id)))
        .collect();
    let (regions, institutions) = names(&txn, ctx).await?;
    let proposed: std::collections::HashSet<Uuid> = super::entity::proposal::Entity::find()
        .filter(super::entity::proposal::Column::TenantId.eq(ctx.tenant_id()))
        .filter(super::entity::proposal::Column::Status.eq(super::pairs::PROPOSED))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| m.child_id)
        .collect();
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "children.waiting.read",
        "child",
        None,
        Some(serde_json::json!({ "count": children.len() })),
    )
    .await?;
    txn.commit().await?;
    let now = Utc::now();
    let today = tenant_today(&ctx.tenant);
    Ok(children
        .into_iter()
        .map(|c| WaitingChild {
            id: c.id,
            name: format!("{} {}.", c.first_name, c.last_initial),
            age: age_on(c.date_of_birth, today),
            gender: Gender::parse(&c.gender).unwrap_or(Gender::Female),
            region_id: c.region_id,
            region_name: regions.get(&c.region_id).cloned().unwrap_or_default(),
            institution_name: c.institution_id.and_then(|i| institutions.get(&i).cloned()),
            languages: list_of(&c.languages),
            interests: list_of(&c.interests),
            waiting_since: c.waiting_since,
            waiting_days: waiting_days(c.waiting_since, now),
            proposed: proposed.contains(&c.id),
        })
        .collect())
}

/// One child's record (staff of the child's region); each read writes a `child.read` event.
pub async fn get_child(db: &DatabaseConnection, ctx: &TenantCtx, id: Uuid) -> Result<ChildView> {
    ctx.require_any(&READERS)?;
    let txn = ctx.write(db).await?;
    let c = child::Entity::find_by_id(id)
        .filter(child::Column::TenantId.eq(ctx.tenant_id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    if !ctx.covers_region(&READERS, Some(c.region_id)) {
        return Err(Error::NotFound);
    }
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "child.read",
        "child",
        Some(c.id),
        None,
    )
    .await?;
    let view = view_of(&txn, ctx, &c).await?;
    txn.commit().await?;
    Ok(view)
}

/// A child the registrars of its region may change (others of the team are refused; a
/// coordinator of another region does not see the child).
async fn registered(
    conn: &impl sea_orm::ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<child::Model> {
    ctx.require_any(&REGISTRARS)?;
    let c = child::Entity::find_by_id(id)
        .filter(child::Column::TenantId.eq(ctx.tenant_id()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    if !ctx.covers_region(&REGISTRARS, Some(c.region_id)) {
        return Err(Error::NotFound);
    }
    Ok(c)
}

/// Where a child's signed consent goes, checked before any byte is stored.
pub async fn plan_consent(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<UploadPlan> {
    let txn = ctx.read(db).await?;
    let c = registered(&txn, ctx, id).await?;
    txn.commit().await?;
    let rule = record_rule(CONSENT).ok_or(Error::NotFound)?;
    Ok(plan_for(ctx, DocOwner::Child(c.id), rule, None))
}

/// Records a stored consent (its verification job queued with it); the previous consent file,
/// if any, is replaced and keeps its history.
pub async fn record_consent(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    plan: &UploadPlan,
    file: &StoredFile,
) -> Result<DocumentView> {
    if plan.owner != DocOwner::Child(id) {
        return Err(Error::NotFound);
    }
    let txn = ctx.write(db).await?;
    let c = registered(&txn, ctx, id).await?;
    retire_live(&txn, plan.owner, CONSENT, None, file).await?;
    let d = insert_document(&txn, ctx, plan, file).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "child.consent_uploaded",
        "child",
        Some(c.id),
        Some(serde_json::json!({ "document": d.id })),
    )
    .await?;
    txn.commit().await?;
    Ok(doc_view(&d))
}

/// Everything held about one child (an admin's subject access request): the record, matches,
/// pairs, protocols, consultations with their notes, and concerns. The export is logged.
pub async fn export_child(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<ChildExport> {
    use super::entity::pair;
    use crate::support::entity::{concern, consultation, meeting};
    ctx.require_admin()?;
    let child = get_child(db, ctx, id).await?;
    let matches = super::pairs::child_matches(db, ctx, id).await?;
    let pairs: Vec<super::PairView> = super::pairs::list_pairs(db, ctx)
        .await?
        .into_iter()
        .filter(|p| p.child_id == id)
        .collect();
    let txn = ctx.write(db).await?;
    let pair_ids: Vec<Uuid> = pair::Entity::find()
        .filter(pair::Column::TenantId.eq(ctx.tenant_id()))
        .filter(pair::Column::ChildId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let meetings = meeting::Entity::find()
        .filter(meeting::Column::PairId.is_in(pair_ids.clone()))
        .order_by_asc(meeting::Column::HeldOn)
        .all(&txn)
        .await?;
    let documents: Vec<DocumentView> = crate::recruitment::entity::document::Entity::find()
        .filter(crate::recruitment::entity::document::Column::TenantId.eq(ctx.tenant_id()))
        .filter(
            sea_orm::Condition::any()
                .add(crate::recruitment::entity::document::Column::ChildId.eq(id))
                .add(crate::recruitment::entity::document::Column::PairId.is_in(pair_ids)),
        )
        .order_by_asc(crate::recruitment::entity::document::Column::CreatedAt)
        .all(&txn)
        .await?
        .iter()
        .map(doc_view)
        .collect();
    let consultations = consultation::Entity::find()
        .filter(consultation::Column::TenantId.eq(ctx.tenant_id()))
        .filter(consultation::Column::ChildId.eq(id))
        .all(&txn)
        .await?;
    let concerns = concern::Entity::find()
        .filter(concern::Column::TenantId.eq(ctx.tenant_id()))
        .filter(concern::Column::ChildId.eq(id))
        .all(&txn)
        .await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "child.exported",
        "child",
        Some(id),
        None,
    )
    .await?;
    // The export shows the psychologists' notes: each is a read of that consultation.
    for c in &consultations {
        audit::record(
            &txn,
            Some(ctx.tenant_id()),
            Some(ctx.actor.user_id),
            "consultation.read",
            "consultation",
            Some(c.id),
            Some(serde_json::json!({ "children": [id], "via": "child.exported" })),
        )
        .await?;
    }
    let export = ChildExport {
        child,
        matches,
        pairs,
        meetings: meetings
            .iter()
            .map(|m| crate::support::service::meeting_view(ctx, m))
            .collect(),
        consultations: {
            let mut v = Vec::new();
            for c in &consultations {
                v.push(crate::support::service::consultation_view(&txn, ctx, c).await?);
            }
            v
        },
        concerns: {
            let mut v = Vec::new();
            for c in &concerns {
                v.push(crate::support::service::concern_view(&txn, ctx, c).await?);
            }
            v
        },
        documents,
    };
    txn.commit().await?;
    Ok(export)
}

/// Erases a child and everything about them (matches, pairs, protocols, consultations,
/// concerns: the rows cascade). The audit log keeps that an erasure happened, not who.
pub async fn erase_child(db: &DatabaseConnection, ctx: &TenantCtx, id: Uuid) -> Result<()> {
    ctx.require_admin()?;
    let txn = ctx.write(db).await?;
    let c = child::Entity::find_by_id(id)
        .filter(child::Column::TenantId.eq(ctx.tenant_id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    child::Entity::delete_by_id(c.id).exec(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "child.erased",
        "child",
        Some(id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Who saw or changed one child's record, newest first (tenant admins): reads and changes of
/// the record itself and of everything that belongs to it (pairs, protocols, concerns,
/// consultations, documents), and every list that showed the child. Reading it is itself
/// logged. Paged: `limit` (at most [`crate::tenancy::MAX_PAGE`]) and the `cursor` the previous
/// page returned.
pub async fn child_audit(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    limit: Option<u64>,
    cursor: Option<Uuid>,
) -> Result<crate::tenancy::AuditPage> {
    use super::entity::pair;
    use crate::accounts::entity::user;
    use crate::recruitment::entity::document;
    use crate::support::entity::{concern, consultation, meeting};
    use crate::tenancy::entity::audit_event;
    use crate::tenancy::{AuditEventView, AuditPage, DEFAULT_PAGE, MAX_PAGE};
    ctx.require_admin()?;
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::invalid("limit", "error-page-limit"));
    }
    let txn = ctx.write(db).await?;
    let tid = ctx.tenant_id();
    child::Entity::find_by_id(id)
        .filter(child::Column::TenantId.eq(tid))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let pairs: Vec<Uuid> = pair::Entity::find()
        .filter(pair::Column::TenantId.eq(tid))
        .filter(pair::Column::ChildId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let mut subjects = vec![id];
    subjects.extend(&pairs);
    subjects.extend(
        meeting::Entity::find()
            .filter(meeting::Column::PairId.is_in(pairs.clone()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| m.id),
    );
    subjects.extend(
        concern::Entity::find()
            .filter(concern::Column::TenantId.eq(tid))
            .filter(concern::Column::ChildId.eq(id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|c| c.id),
    );
    subjects.extend(
        consultation::Entity::find()
            .filter(consultation::Column::TenantId.eq(tid))
            .filter(consultation::Column::ChildId.eq(id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|c| c.id),
    );
    subjects.extend(
        document::Entity::find()
            .filter(document::Column::TenantId.eq(tid))
            .filter(
                sea_orm::Condition::any()
                    .add(document::Column::ChildId.eq(id))
                    .add(document::Column::PairId.is_in(pairs)),
            )
            .all(&txn)
            .await?
            .into_iter()
            .map(|d| d.id),
    );
    // List reads name the children they showed in their detail (`audit::record_list_read`).
    let mut q = audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(tid))
        .filter(
            sea_orm::Condition::any()
                .add(audit_event::Column::SubjectId.is_in(subjects))
                .add(audit_event::Column::Detail.contains(id.to_string())),
        )
        .order_by_desc(audit_event::Column::Id);
    if let Some(c) = cursor {
        q = q.filter(audit_event::Column::Id.lt(c));
    }
    let mut rows = q.limit(limit + 1).all(&txn).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let people: HashMap<Uuid, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().filter_map(|r| r.actor_user_id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    audit::record(
        &txn,
        Some(tid),
        Some(ctx.actor.user_id),
        "child.audit_read",
        "child",
        Some(id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(AuditPage {
        next_cursor: more.then(|| rows.last().map(|r| r.id)).flatten(),
        events: rows
            .into_iter()
            .map(|r| {
                let who = r.actor_user_id.and_then(|u| people.get(&u));
                AuditEventView {
                    id: r.id,
                    at: r.at,
                    actor_name: who.map(|u| u.full_name.clone()),
                    actor_email: who.map(|u| u.email.clone()),
                    action: r.action,
                    subject_type: r.subject_type,
                    subject_id: r.subject_id,
                }
            })
            .collect(),
    })
}
