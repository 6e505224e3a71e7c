//! The recruitment room's reminders to applicants: a draft still not submitted when the window
//! closes within `DRAFT_NOTICE_DAYS`, and a document of an undecided application that stops
//! being valid within `DOCUMENT_NOTICE_DAYS`. Once per draft, and once per document and date.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entity::{application, document, programme, required_document};
use super::service::tz_of;
use super::{
    ApplicationStatus, DOCUMENT_NOTICE_DAYS, DRAFT_NOTICE_DAYS, DocStatus, Texts, expires_on,
};
use crate::accounts::entity::user;
use crate::accounts::notifications::Topic;
use crate::accounts::notifications::service::remind;
use crate::error::Result;
use crate::jobs::EmailMessage;
use crate::selection::Outcome;
use crate::tenancy::entity::tenant;

fn texts(json: &str) -> Texts {
    serde_json::from_str(json).unwrap_or_default()
}

/// Drafts of programmes whose window is open and closes within the notice period.
pub async fn applications_incomplete(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    today: NaiveDate,
) -> Result<usize> {
    let tz = tz_of(t);
    let now = Utc::now();
    let closing: Vec<programme::Model> = programme::Entity::find()
        .filter(programme::Column::TenantId.eq(t.id))
        .filter(programme::Column::OpensAt.lte(now))
        .filter(programme::Column::ClosesAt.gte(now))
        .all(conn)
        .await?
        .into_iter()
        .filter(|p| {
            let closes = p.closes_at.with_timezone(&tz).date_naive();
            closes <= today + chrono::Days::new(DRAFT_NOTICE_DAYS)
        })
        .collect();
    let mut queued = 0;
    for p in closing {
        let closes_on = p
            .closes_at
            .with_timezone(&tz)
            .format("%d.%m.%Y")
            .to_string();
        for a in application::Entity::find()
            .filter(application::Column::ProgrammeId.eq(p.id))
            .filter(application::Column::Status.eq(ApplicationStatus::Draft.as_str()))
            .all(conn)
            .await?
        {
            let Some(u) = user::Entity::find_by_id(a.applicant_id).one(conn).await? else {
                continue;
            };
            let locale = u.locale.parse().unwrap_or(crate::Locale::Ru);
            let message = EmailMessage::ApplicationIncomplete {
                tenant_name: t.name.clone(),
                programme_name: texts(&p.names).get(locale).to_string(),
                closes_on: closes_on.clone(),
                path: format!("/t/{}/applications/{}", t.slug, a.id),
            };
            let key = format!("application-incomplete:{}", a.id);
            queued += remind(conn, t.id, &u, Topic::ApplicationIncomplete, key, message).await?;
        }
    }
    Ok(queued)
}

/// Live documents with a validity that ends within the notice period, of applications not
/// decided yet.
pub async fn documents_expiring(
    conn: &impl ConnectionTrait,
    t: &tenant::Model,
    today: NaiveDate,
) -> Result<usize> {
    let undecided: HashMap<Uuid, application::Model> = application::Entity::find()
        .filter(application::Column::TenantId.eq(t.id))
        .filter(application::Column::Outcome.eq(Outcome::Pending.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    if undecided.is_empty() {
        return Ok(0);
    }
    // (programme, doc type) -> (validity, labels)
    let rules: HashMap<(Uuid, String), (Option<u32>, Texts)> = required_document::Entity::find()
        .filter(required_document::Column::TenantId.eq(t.id))
        .filter(required_document::Column::ValidityMonths.is_not_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|r| {
            (
                (r.programme_id, r.doc_type),
                (
                    r.validity_months.and_then(|m| u32::try_from(m).ok()),
                    texts(&r.labels),
                ),
            )
        })
        .collect();
    if rules.is_empty() {
        return Ok(0);
    }
    let until = today + chrono::Days::new(DOCUMENT_NOTICE_DAYS);
    let mut queued = 0;
    for d in document::Entity::find()
        .filter(document::Column::TenantId.eq(t.id))
        .filter(document::Column::IssuedOn.is_not_null())
        .filter(document::Column::ApplicationId.is_in(undecided.keys().copied()))
        .all(conn)
        .await?
    {
        if !DocStatus::parse(&d.status).is_some_and(DocStatus::is_live) {
            continue;
        }
        let (Some(app), Some(issued)) = (
            d.application_id.and_then(|a| undecided.get(&a)),
            d.issued_on,
        ) else {
            continue;
        };
        let Some((validity, labels)) = rules.get(&(app.programme_id, d.doc_type.clone())) else {
            continue;
        };
        let Some(expires) = expires_on(*validity, issued) else {
            continue;
        };
        if expires < today || expires > until {
            continue;
        }
        let Some(u) = user::Entity::find_by_id(app.applicant_id).one(conn).await? else {
            continue;
        };
        let locale = u.locale.parse().unwrap_or(crate::Locale::Ru);
        let message = EmailMessage::DocumentExpiring {
            tenant_name: t.name.clone(),
            document: labels.get(locale).to_string(),
            expires_on: expires.format("%d.%m.%Y").to_string(),
            path: format!("/t/{}/applications/{}", t.slug, app.id),
        };
        let key = format!("document-expiring:{}:{expires}", d.id);
        queued += remind(conn, t.id, &u, Topic::DocumentExpiring, key, message).await?;
    }
    Ok(queued)
}
