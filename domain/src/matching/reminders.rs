//! The pair-term reminder: a pair whose term ends within `TERM_NOTICE_DAYS` is announced to
//! its mentor and the region's coordinators once per end date (a term prolonged to a new date
//! is announced again when that one nears).

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::TERM_NOTICE_DAYS;
use super::entity::pair;
use super::pairs::ACTIVE;
use crate::accounts::Role;
use crate::accounts::entity::user;
use crate::accounts::notifications::Topic;
use crate::accounts::notifications::service::remind;
use crate::accounts::service::members_with_roles;
use crate::error::Result;
use crate::jobs::EmailMessage;
use crate::tenancy::entity::tenant;

/// Queues today's pair-term reminders of one tenant; returns how many.
pub async fn pairs_ending(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    today: NaiveDate,
) -> Result<usize> {
    let until = today + chrono::Days::new(TERM_NOTICE_DAYS);
    let ending = pair::Entity::find()
        .filter(pair::Column::TenantId.eq(t.id))
        .filter(pair::Column::Status.eq(ACTIVE))
        .filter(pair::Column::EndsOn.gte(today))
        .filter(pair::Column::EndsOn.lte(until))
        .all(conn)
        .await?;
    let mut queued = 0;
    for p in ending {
        let Some(mentor) = user::Entity::find_by_id(p.mentor_id).one(conn).await? else {
            continue;
        };
        let message = |mentor_name: Option<String>| EmailMessage::TermEnding {
            tenant_name: t.name.clone(),
            contract: false,
            mentor_name,
            ends_on: p.ends_on.format("%d.%m.%Y").to_string(),
            days: u32::try_from((p.ends_on - today).num_days()).unwrap_or(0),
            path: format!("/t/{}/pairs/{}", t.slug, p.id),
        };
        let key = |u: &user::Model| format!("term-ending:pair:{}:{}:{}", p.id, p.ends_on, u.id);
        queued += remind(
            conn,
            t.id,
            &mentor,
            Topic::TermEnding,
            key(&mentor),
            message(None),
        )
        .await?;
        for c in members_with_roles(conn, t.id, &[Role::Coordinator], Some(p.region_id)).await? {
            let m = message(Some(mentor.full_name.clone()));
            queued += remind(conn, t.id, &c, Topic::TermEnding, key(&c), m).await?;
        }
    }
    Ok(queued)
}
