//! The overdue-protocol reminder, on the one overdue rule (`support::standing`): the mentor is
//! reminded once a pair (or their group) is `mentor_reminder_days` late, the coordinators of
//! the region once it is `coordinator_reminder_days` late — both delays are the programme's.
//! Each person gets one e-mail per missed due date (the dedupe key names it), however often
//! and by however many workers the daily run is made; logging the meeting moves the due date
//! and so starts a new reminder cycle.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::service::{cadences, overdue_pairs, region_staff};
use super::standing;
use crate::accounts::Role;
use crate::accounts::entity::user;
use crate::accounts::notifications::Topic;
use crate::accounts::notifications::service::reminder_link;
use crate::error::Result;
use crate::jobs::{self, EmailJob, EmailMessage, Job};
use crate::matching::entity::{group_mentor, youth_group};
use crate::matching::groups::service::last_sessions;
use crate::recruitment::Cadence;
use crate::recruitment::entity::programme;
use crate::tenancy::entity::tenant;

/// Who is late, for how long, and where to log it.
struct Late {
    /// `pair:<id>` or `group:<id>`.
    subject: String,
    group_name: Option<String>,
    mentors: Vec<Uuid>,
    region_id: Uuid,
    programme_id: Uuid,
    due: NaiveDate,
    days: u32,
    path: String,
}

/// Queues today's overdue-protocol reminders of one tenant (in the caller's transaction);
/// returns how many e-mails were queued. People who turned the topic off are skipped.
pub async fn protocol_overdue(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    today: NaiveDate,
) -> Result<usize> {
    let mut late: Vec<Late> = overdue_pairs(conn, t.id, today)
        .await?
        .into_iter()
        .map(|p| Late {
            subject: format!("pair:{}", p.pair_id),
            group_name: None,
            mentors: vec![p.mentor_id],
            region_id: p.region_id,
            programme_id: p.programme_id,
            due: p.due,
            days: p.days_late,
            path: format!("/t/{}/pairs/{}", t.slug, p.pair_id),
        })
        .collect();
    late.extend(overdue_groups(conn, t, today).await?);
    if late.is_empty() {
        return Ok(0);
    }
    let delays: HashMap<Uuid, (i32, i32)> = programme::Entity::find()
        .filter(programme::Column::TenantId.eq(t.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, (p.mentor_reminder_days, p.coordinator_reminder_days)))
        .collect();
    let names: HashMap<Uuid, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(late.iter().flat_map(|l| l.mentors.iter().copied())))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut queued = 0;
    for l in late {
        let (mentor_after, coordinator_after) =
            delays.get(&l.programme_id).copied().unwrap_or((2, 7));
        let days = i64::from(l.days);
        let due = l.due.format("%d.%m.%Y").to_string();
        if days >= i64::from(mentor_after) {
            for m in l.mentors.iter().filter_map(|id| names.get(id)) {
                let message = EmailMessage::ProtocolOverdue {
                    tenant_name: t.name.clone(),
                    mentor_name: None,
                    group_name: l.group_name.clone(),
                    due: due.clone(),
                    days: l.days,
                    path: l.path.clone(),
                };
                let key = format!("protocol-overdue:{}:{}:mentor:{}", l.subject, l.due, m.id);
                queued += remind(conn, t.id, m, key, message).await?;
            }
        }
        if days >= i64::from(coordinator_after) {
            let mentor_name = l
                .mentors
                .iter()
                .filter_map(|id| names.get(id).map(|u| u.full_name.clone()))
                .collect::<Vec<_>>()
                .join(", ");
            for c in region_staff(conn, t.id, l.region_id, &[Role::Coordinator]).await? {
                let message = EmailMessage::ProtocolOverdue {
                    tenant_name: t.name.clone(),
                    mentor_name: Some(mentor_name.clone()),
                    group_name: l.group_name.clone(),
                    due: due.clone(),
                    days: l.days,
                    path: l.path.clone(),
                };
                let key = format!(
                    "protocol-overdue:{}:{}:coordinator:{}",
                    l.subject, l.due, c.id
                );
                queued += remind(conn, t.id, &c, key, message).await?;
            }
        }
    }
    Ok(queued)
}

/// Queues one reminder unless its recipient turned the topic off; 1 when queued.
async fn remind(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    to: &user::Model,
    dedupe_key: String,
    message: EmailMessage,
) -> Result<usize> {
    let Some(unsubscribe) = reminder_link(conn, tenant_id, to.id, Topic::ProtocolOverdue).await?
    else {
        return Ok(0);
    };
    jobs::enqueue(
        conn,
        &Job::SendEmail(EmailJob {
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

/// Active groups that missed their monthly session, with their current mentors.
async fn overdue_groups(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    today: NaiveDate,
) -> Result<Vec<Late>> {
    let groups = youth_group::Entity::find()
        .filter(youth_group::Column::TenantId.eq(t.id))
        .filter(youth_group::Column::Status.eq(crate::matching::pairs::ACTIVE))
        .all(conn)
        .await?;
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = groups.iter().map(|g| g.id).collect();
    let last = last_sessions(conn, &ids).await?;
    let cadences = cadences(conn, t.id, Cadence::Monthly).await?;
    let mut mentors: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for a in group_mentor::Entity::find()
        .filter(group_mentor::Column::GroupId.is_in(ids))
        .filter(group_mentor::Column::UnassignedOn.is_null())
        .all(conn)
        .await?
    {
        mentors.entry(a.group_id).or_default().push(a.mentor_id);
    }
    let mut out = Vec::new();
    for g in groups {
        let cadence = cadences
            .get(&g.programme_id)
            .copied()
            .unwrap_or(Cadence::Monthly);
        if let super::Standing::Overdue { due, days } =
            standing(cadence, g.started_on, last.get(&g.id).copied(), today)
        {
            out.push(Late {
                subject: format!("group:{}", g.id),
                group_name: Some(g.name.clone()),
                mentors: mentors.remove(&g.id).unwrap_or_default(),
                region_id: g.region_id,
                programme_id: g.programme_id,
                due,
                days,
                path: format!("/t/{}/groups/{}", t.slug, g.id),
            });
        }
    }
    Ok(out)
}
