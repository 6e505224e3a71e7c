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

use super::entity::consultation;
use super::service::{cadences, overdue_pairs};
use super::standing;
use crate::accounts::Role;
use crate::accounts::entity::user;
use crate::accounts::notifications::Topic;
use crate::accounts::notifications::service::remind;
use crate::accounts::service::members_with_roles;
use crate::error::Result;
use crate::jobs::{EmailMessage, TomorrowEvent};
use crate::matching::entity::{group_mentor, pair, youth_group};
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
                queued += remind(conn, t.id, m, Topic::ProtocolOverdue, key, message).await?;
            }
        }
        if days >= i64::from(coordinator_after) {
            let mentor_name = l
                .mentors
                .iter()
                .filter_map(|id| names.get(id).map(|u| u.full_name.clone()))
                .collect::<Vec<_>>()
                .join(", ");
            for c in members_with_roles(conn, t.id, &[Role::Coordinator], Some(l.region_id)).await?
            {
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
                queued += remind(conn, t.id, &c, Topic::ProtocolOverdue, key, message).await?;
            }
        }
    }
    Ok(queued)
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

/// Tomorrow's consultations (scheduled, not yet held): the psychologist and the mentor
/// concerned are reminded the day before. The e-mail names no child and shows no notes.
pub async fn consultations_tomorrow(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    today: NaiveDate,
) -> Result<usize> {
    let tz = crate::recruitment::service::tz_of(t);
    let tomorrow = today + chrono::Days::new(1);
    // A window wide enough for any zone; the local date decides.
    let from = tomorrow.and_time(chrono::NaiveTime::MIN).and_utc() - chrono::Duration::days(1);
    let until = from + chrono::Duration::days(3);
    let due: Vec<consultation::Model> = consultation::Entity::find()
        .filter(consultation::Column::TenantId.eq(t.id))
        .filter(consultation::Column::Status.eq("scheduled"))
        .filter(consultation::Column::ScheduledAt.gte(from))
        .filter(consultation::Column::ScheduledAt.lt(until))
        .all(conn)
        .await?
        .into_iter()
        .filter(|c| c.scheduled_at.with_timezone(&tz).date_naive() == tomorrow)
        .collect();
    let mut queued = 0;
    for c in due {
        let mentor = match (c.mentor_id, c.pair_id) {
            (Some(m), _) => Some(m),
            (None, Some(p)) => pair::Entity::find_by_id(p)
                .one(conn)
                .await?
                .map(|p| p.mentor_id),
            _ => None,
        };
        let local = c.scheduled_at.with_timezone(&tz);
        let recipients = [
            (c.psychologist_id, format!("/t/{}/consultations", t.slug)),
            (mentor, format!("/t/{}/pairs", t.slug)),
        ];
        for (who, path) in recipients {
            let Some(u) = (match who {
                Some(id) => user::Entity::find_by_id(id).one(conn).await?,
                None => None,
            }) else {
                continue;
            };
            let message = EmailMessage::Tomorrow {
                tenant_name: t.name.clone(),
                event: TomorrowEvent::Consultation,
                date: local.format("%d.%m.%Y").to_string(),
                time: Some(local.format("%H:%M").to_string()),
                place: String::new(),
                path,
            };
            let key = format!("tomorrow:consultation:{}:{}", c.id, u.id);
            queued += remind(conn, t.id, &u, Topic::Tomorrow, key, message).await?;
        }
    }
    Ok(queued)
}
