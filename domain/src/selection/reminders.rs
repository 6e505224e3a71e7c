//! The selection room's reminders: tomorrow's training days (to the enrolled candidates and
//! the trainers), tomorrow's appointments (to the candidate and the region's psychologists), contracts ending within `matching::TERM_NOTICE_DAYS` (to the mentor and the
//! region's coordinators), and committee votes still to cast (one summary a week to each
//! member who has candidates waiting for their vote).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entity::{cohort, cohort_member, committee_vote, contract};
use super::service::trainers_of;
use super::{SeatStatus, StageKind, StageStatus};
use crate::accounts::Role;
use crate::accounts::entity::{membership, user};
use crate::accounts::notifications::Topic;
use crate::accounts::notifications::service::remind;
use crate::accounts::service::members_with_roles;
use crate::error::Result;
use crate::jobs::{EmailMessage, TomorrowEvent};
use crate::matching::TERM_NOTICE_DAYS;
use crate::recruitment::entity::application;
use crate::tenancy::entity::tenant;

/// Tomorrow's day of every cohort that runs then: its enrolled candidates and its trainers.
pub async fn training_days_tomorrow(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    today: NaiveDate,
) -> Result<usize> {
    let tomorrow = today + chrono::Days::new(1);
    let cohorts: Vec<cohort::Model> = cohort::Entity::find()
        .filter(cohort::Column::TenantId.eq(t.id))
        .filter(cohort::Column::StartsOn.lte(tomorrow))
        .all(conn)
        .await?
        .into_iter()
        .filter(|c| (tomorrow - c.starts_on).num_days() < i64::from(c.days))
        .collect();
    let mut queued = 0;
    for c in cohorts {
        let day = u32::try_from((tomorrow - c.starts_on).num_days() + 1).unwrap_or(1);
        let message = |path: String| EmailMessage::Tomorrow {
            tenant_name: t.name.clone(),
            event: TomorrowEvent::TrainingDay {
                title: c.title.clone(),
                day,
                days: u32::try_from(c.days).unwrap_or(1),
            },
            date: tomorrow.format("%d.%m.%Y").to_string(),
            time: None,
            place: c.place.clone(),
            path,
        };
        let mut people: Vec<(Uuid, String)> = trainers_of(&c)
            .into_iter()
            .map(|id| (id, format!("/t/{}/cohorts/{}", t.slug, c.id)))
            .collect();
        let seats = cohort_member::Entity::find()
            .filter(cohort_member::Column::CohortId.eq(c.id))
            .filter(cohort_member::Column::Status.eq(SeatStatus::Enrolled.as_str()))
            .all(conn)
            .await?;
        for a in application::Entity::find()
            .filter(application::Column::Id.is_in(seats.iter().map(|s| s.application_id)))
            .all(conn)
            .await?
        {
            people.push((
                a.applicant_id,
                format!("/t/{}/applications/{}", t.slug, a.id),
            ));
        }
        for (id, path) in people {
            let Some(u) = user::Entity::find_by_id(id).one(conn).await? else {
                continue;
            };
            let key = format!("tomorrow:cohort:{}:{tomorrow}:{}", c.id, u.id);
            queued += remind(conn, t.id, &u, Topic::Tomorrow, key, message(path)).await?;
        }
    }
    Ok(queued)
}

/// Tomorrow's appointments (psychological tests, interviews) still open: the candidate and
/// the psychologists of the candidate's region, once per appointment time.
pub async fn appointments_tomorrow(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    today: NaiveDate,
) -> Result<usize> {
    use super::entity::stage_result;
    let tz = crate::recruitment::service::tz_of(t);
    let tomorrow = today + chrono::Days::new(1);
    let start = |d: NaiveDate| {
        crate::recruitment::service::tenant_local_to_utc(t, d.and_time(chrono::NaiveTime::MIN))
    };
    let (Some(from), Some(to)) = (start(tomorrow), start(tomorrow + chrono::Days::new(1))) else {
        return Ok(0);
    };
    let records = stage_result::Entity::find()
        .filter(stage_result::Column::TenantId.eq(t.id))
        .filter(stage_result::Column::Status.eq(StageStatus::Open.as_str()))
        .filter(stage_result::Column::ScheduledAt.gte(from))
        .filter(stage_result::Column::ScheduledAt.lt(to))
        .all(conn)
        .await?;
    let mut queued = 0;
    for r in records {
        let (Ok(stage), Some(at)) = (StageKind::parse(&r.stage), r.scheduled_at) else {
            continue;
        };
        let Some(app) = application::Entity::find_by_id(r.application_id)
            .one(conn)
            .await?
        else {
            continue;
        };
        let local = at.with_timezone(&tz);
        let message = |path: String| EmailMessage::Tomorrow {
            tenant_name: t.name.clone(),
            event: TomorrowEvent::Appointment { stage },
            date: local.format("%d.%m.%Y").to_string(),
            time: Some(local.format("%H:%M").to_string()),
            place: r.place.clone().unwrap_or_default(),
            path,
        };
        let mut people: Vec<(user::Model, String)> = Vec::new();
        if let Some(u) = user::Entity::find_by_id(app.applicant_id).one(conn).await? {
            people.push((u, format!("/t/{}/applications/{}", t.slug, app.id)));
        }
        for u in members_with_roles(conn, t.id, &[Role::Psychologist], app.region_id).await? {
            people.push((u, format!("/t/{}/candidates/{}", t.slug, app.id)));
        }
        for (u, path) in people {
            let key = format!("tomorrow:stage:{}:{}:{}", r.id, at.timestamp(), u.id);
            queued += remind(conn, t.id, &u, Topic::Tomorrow, key, message(path)).await?;
        }
    }
    Ok(queued)
}

/// Signed contracts ending within the notice period: the mentor and the coordinators of the
/// candidate's region, once per end date.
pub async fn contracts_ending(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    today: NaiveDate,
) -> Result<usize> {
    let until = today + chrono::Days::new(TERM_NOTICE_DAYS);
    let ending = contract::Entity::find()
        .filter(contract::Column::TenantId.eq(t.id))
        .filter(contract::Column::SignedAt.is_not_null())
        .filter(contract::Column::EndsOn.gte(today))
        .filter(contract::Column::EndsOn.lte(until))
        .all(conn)
        .await?;
    let mut queued = 0;
    for k in ending {
        let Some(mentor) = user::Entity::find_by_id(k.mentor_id).one(conn).await? else {
            continue;
        };
        let region = application::Entity::find_by_id(k.application_id)
            .one(conn)
            .await?
            .and_then(|a| a.region_id);
        let message = |mentor_name: Option<String>, path: String| EmailMessage::TermEnding {
            tenant_name: t.name.clone(),
            contract: true,
            mentor_name,
            ends_on: k.ends_on.format("%d.%m.%Y").to_string(),
            days: u32::try_from((k.ends_on - today).num_days()).unwrap_or(0),
            path,
        };
        let key = |u: &user::Model| format!("term-ending:contract:{}:{}:{}", k.id, k.ends_on, u.id);
        let own = message(None, format!("/t/{}/me", t.slug));
        queued += remind(conn, t.id, &mentor, Topic::TermEnding, key(&mentor), own).await?;
        let Some(region) = region else {
            continue;
        };
        for c in members_with_roles(conn, t.id, &[Role::Coordinator], Some(region)).await? {
            let m = message(
                Some(mentor.full_name.clone()),
                format!("/t/{}/candidates/{}", t.slug, k.application_id),
            );
            queued += remind(conn, t.id, &c, Topic::TermEnding, key(&c), m).await?;
        }
    }
    Ok(queued)
}

/// Committee members with candidates at the committee stage of their region who have not
/// voted on them yet: one summary per member and week.
pub async fn votes_pending(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    today: NaiveDate,
) -> Result<usize> {
    let open: Vec<application::Model> = application::Entity::find()
        .filter(application::Column::TenantId.eq(t.id))
        .filter(application::Column::Stage.eq(StageKind::Committee.as_str()))
        .filter(application::Column::StageStatus.eq(StageStatus::Open.as_str()))
        .all(conn)
        .await?;
    if open.is_empty() {
        return Ok(0);
    }
    let mut voted: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for v in committee_vote::Entity::find()
        .filter(committee_vote::Column::ApplicationId.is_in(open.iter().map(|a| a.id)))
        .all(conn)
        .await?
    {
        voted.entry(v.voter_id).or_default().push(v.application_id);
    }
    let members = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(t.id))
        .filter(membership::Column::Active.eq(true))
        .filter(membership::Column::Role.eq(Role::CommitteeMember.as_str()))
        .all(conn)
        .await?;
    let week = today.iso_week();
    let mut queued = 0;
    for m in members {
        let mine = voted.get(&m.user_id);
        let waiting = open
            .iter()
            .filter(|a| m.region_id.is_none() || a.region_id == m.region_id)
            .filter(|a| !mine.is_some_and(|v| v.contains(&a.id)))
            .count();
        if waiting == 0 {
            continue;
        }
        let Some(u) = user::Entity::find_by_id(m.user_id).one(conn).await? else {
            continue;
        };
        let message = EmailMessage::VotesPending {
            tenant_name: t.name.clone(),
            count: u32::try_from(waiting).unwrap_or(u32::MAX),
            path: format!("/t/{}/candidates?awaits=vote", t.slug),
        };
        let key = format!(
            "votes-pending:{}:{}:{}-W{}",
            t.id,
            u.id,
            week.year(),
            week.week()
        );
        queued += remind(conn, t.id, &u, Topic::VotesPending, key, message).await?;
    }
    Ok(queued)
}
