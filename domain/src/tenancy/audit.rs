//! The audit log: who did what to which record, in which tenant. Written in the same
//! transaction as the change it describes, so a change never happens unrecorded.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

use crate::error::Result;
use crate::tenancy::entity::audit_event;

pub async fn record(
    conn: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
    actor_user_id: Option<Uuid>,
    action: &str,
    subject_type: &str,
    subject_id: Option<Uuid>,
    detail: Option<serde_json::Value>,
) -> Result<()> {
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        actor_user_id: Set(actor_user_id),
        action: Set(action.to_string()),
        subject_type: Set(subject_type.to_string()),
        subject_id: Set(subject_id),
        detail: Set(detail.map(|d| d.to_string())),
        at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A read of a list that showed children's records (pairs, protocols, concerns with their
/// safeguarding summaries): one event naming every child it showed (`detail.children`), so
/// the child's own audit log finds it. A list that showed no child leaves nothing.
pub async fn record_list_read(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    actor_user_id: Uuid,
    action: &str,
    subject_type: &str,
    children: impl IntoIterator<Item = Uuid>,
) -> Result<()> {
    let mut children: Vec<Uuid> = children.into_iter().collect();
    children.sort();
    children.dedup();
    if children.is_empty() {
        return Ok(());
    }
    record(
        conn,
        Some(tenant_id),
        Some(actor_user_id),
        action,
        subject_type,
        None,
        Some(serde_json::json!({ "children": children })),
    )
    .await
}
