//! Recruitment operations: programmes (admin), the public programme list and pre-check,
//! applications (the applicant), uploads (recorded after the file is stored), the worker's
//! verification result, the coordinators' review queue and document access.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::entity::{
    application, document, document_event, programme, programme_region, required_document,
};
use super::*;
use crate::accounts::Role;
use crate::accounts::entity::{membership, user};
use crate::db::{self, Scope};
use crate::error::{Error, Result};
use crate::i18n::Locale;
use crate::jobs::{self, EmailJob, EmailMessage, Job};
use crate::tenancy::RegionView;
use crate::tenancy::audit;
use crate::tenancy::context::{Actor, TenantCtx, find_tenant};
use crate::tenancy::entity::{region, tenant};

/// Staff who review documents (coordinators within their region).
pub const REVIEWERS: [Role; 2] = [Role::TenantAdmin, Role::Coordinator];
/// Staff who read applications (committee members only from the committee stage on:
/// `selection::service::sees_application`).
const READERS: [Role; 4] = [
    Role::TenantAdmin,
    Role::Coordinator,
    Role::Psychologist,
    Role::CommitteeMember,
];
/// Staff who may open an application's files: not committee members, who see that the ID card
/// and the medical statements were verified, never the documents themselves.
const FILE_READERS: [Role; 3] = [Role::TenantAdmin, Role::Coordinator, Role::Psychologist];

// ---------------------------------------------------------------- time

pub fn tz_of(t: &tenant::Model) -> chrono_tz::Tz {
    t.time_zone.parse().unwrap_or(chrono_tz::Asia::Almaty)
}

/// The instant `time` on `date` in the tenant's time zone.
pub fn local_instant(t: &tenant::Model, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let tz = tz_of(t);
    let naive = date.and_time(time);
    tz.from_local_datetime(&naive)
        .earliest()
        .unwrap_or_else(|| tz.from_utc_datetime(&naive))
        .with_timezone(&Utc)
}

/// A wall-clock time in the organisation's time zone, as UTC (the earlier of two at a DST
/// fold; `None` in a spring-forward gap).
pub fn tenant_local_to_utc(
    t: &tenant::Model,
    local: chrono::NaiveDateTime,
) -> Option<DateTime<Utc>> {
    local
        .and_local_timezone(tz_of(t))
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

/// `at` as the tenant's clock read it.
pub fn local_moment(t: &tenant::Model, at: DateTime<Utc>) -> crate::Moment {
    at.with_timezone(&tz_of(t)).fixed_offset()
}

/// Today's date where the tenant is.
pub fn tenant_today(t: &tenant::Model) -> NaiveDate {
    Utc::now().with_timezone(&tz_of(t)).date_naive()
}

/// A programme's overdue-protocol reminder delays as stored (never below one day).
fn reminder_delays_of(p: &programme::Model) -> crate::support::ReminderDelays {
    crate::support::ReminderDelays {
        mentor_days: p.mentor_reminder_days.max(1) as u32,
        coordinator_days: p.coordinator_reminder_days.max(1) as u32,
    }
}

fn local_date(t: &tenant::Model, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz_of(t)).date_naive()
}

// ---------------------------------------------------------------- programmes

fn json<T: serde::de::DeserializeOwned + Default>(raw: &str) -> T {
    serde_json::from_str(raw).unwrap_or_default()
}

/// A programme's name in `l` (its names are stored per language).
pub fn programme_name(p: &programme::Model, l: Locale) -> String {
    json::<Texts>(&p.names).get(l).to_string()
}

fn rule_of(m: &required_document::Model) -> DocumentRule {
    DocumentRule {
        doc_type: m.doc_type.clone(),
        labels: json(&m.labels),
        accepted_types: json(&m.accepted_types),
        max_bytes: m.max_bytes.max(0) as u64,
        max_count: m.max_count.max(0) as u32,
        validity_months: m.validity_months.map(|v| v.max(0) as u32),
        required: m.required,
    }
}

async fn rules_of(conn: &impl ConnectionTrait, programme_id: Uuid) -> Result<Vec<DocumentRule>> {
    Ok(required_document::Entity::find()
        .filter(required_document::Column::ProgrammeId.eq(programme_id))
        .order_by_asc(required_document::Column::Position)
        .all(conn)
        .await?
        .iter()
        .map(rule_of)
        .collect())
}

async fn regions_of(conn: &impl ConnectionTrait, programme_id: Uuid) -> Result<Vec<RegionView>> {
    let ids: Vec<Uuid> = programme_region::Entity::find()
        .filter(programme_region::Column::ProgrammeId.eq(programme_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.region_id)
        .collect();
    Ok(region::Entity::find()
        .filter(region::Column::Id.is_in(ids))
        .order_by_asc(region::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| RegionView {
            id: r.id,
            name: r.name,
        })
        .collect())
}

/// The tenant (a public directory row) whose time zone a view's local dates are in.
async fn tenant_of(conn: &impl ConnectionTrait, id: Uuid) -> Result<tenant::Model> {
    tenant::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

async fn programme_view(
    conn: &impl ConnectionTrait,
    p: &programme::Model,
    locale: Locale,
) -> Result<ProgrammeView> {
    let names: Texts = json(&p.names);
    let descriptions: Texts = json(&p.descriptions);
    let tenant = &tenant_of(conn, p.tenant_id).await?;
    Ok(ProgrammeView {
        id: p.id,
        slug: p.slug.clone(),
        name: names.get(locale).to_string(),
        description: descriptions.get(locale).to_string(),
        kind: ProgrammeKind::parse(&p.kind).unwrap_or_default(),
        opens_at: p.opens_at,
        closes_at: p.closes_at,
        results_at: p.results_at,
        window: window_state(Utc::now(), p.opens_at, p.closes_at),
        opens_on: local_date(tenant, p.opens_at),
        closes_on: local_date(tenant, p.closes_at),
        results_on: local_date(tenant, p.results_at),
        contract_months: p.contract_months.max(0) as u32,
        meeting_cadence: Cadence::parse(&p.meeting_cadence).unwrap_or_default(),
        stages: crate::selection::service::stages_of(p),
        committee: crate::selection::service::committee_rule_of(p),
        reminders: reminder_delays_of(p),
        eligibility: json(&p.eligibility),
        regions: regions_of(conn, p.id).await?,
        required_documents: rules_of(conn, p.id).await?,
    })
}

async fn find_programme(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    slug_or_id: &str,
) -> Result<programme::Model> {
    let mut q = programme::Entity::find().filter(programme::Column::TenantId.eq(tenant_id));
    q = match Uuid::parse_str(slug_or_id.trim()) {
        Ok(id) => q.filter(programme::Column::Id.eq(id)),
        Err(_) => q.filter(programme::Column::Slug.eq(slug_or_id.trim().to_ascii_lowercase())),
    };
    q.one(conn).await?.ok_or(Error::NotFound)
}

/// Every programme of a tenant, for anyone (the public "become a mentor" pages).
pub async fn list_programmes(
    db: &DatabaseConnection,
    tenant_slug: &str,
    locale: Locale,
) -> Result<Vec<ProgrammeView>> {
    let t = find_tenant(db, tenant_slug).await?;
    let txn = db::read(db, Scope::Tenant(t.id)).await?;
    let rows = programme::Entity::find()
        .filter(programme::Column::TenantId.eq(t.id))
        .order_by_desc(programme::Column::OpensAt)
        .all(&txn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in &rows {
        out.push(programme_view(&txn, p, locale).await?);
    }
    txn.commit().await?;
    Ok(out)
}

/// The organisations whose application window is open now, by name, with those programmes'
/// names in `locale`: the public home page's way to "become a mentor". It shows no more than
/// the organisations' own programme pages show anyone.
pub async fn recruiting_now(db: &DatabaseConnection, locale: Locale) -> Result<Vec<Recruiting>> {
    let now = Utc::now();
    let txn = db::read(db, Scope::System).await?;
    let open = programme::Entity::find()
        .filter(programme::Column::OpensAt.lte(now))
        .filter(programme::Column::ClosesAt.gt(now))
        .order_by_asc(programme::Column::ClosesAt)
        .all(&txn)
        .await?;
    let tenants = tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(open.iter().map(|p| p.tenant_id)))
        .order_by_asc(tenant::Column::Name)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(tenants
        .into_iter()
        .map(|t| Recruiting {
            programmes: open
                .iter()
                .filter(|p| p.tenant_id == t.id)
                .map(|p| programme_name(p, locale))
                .collect(),
            name: t.name,
            slug: t.slug,
        })
        .collect())
}

/// One programme by slug or id, for anyone.
pub async fn get_programme(
    db: &DatabaseConnection,
    tenant_slug: &str,
    programme: &str,
    locale: Locale,
) -> Result<(crate::tenancy::TenantView, ProgrammeView)> {
    let t = find_tenant(db, tenant_slug).await?;
    let txn = db::read(db, Scope::Tenant(t.id)).await?;
    let p = find_programme(&txn, t.id, programme).await?;
    let view = programme_view(&txn, &p, locale).await?;
    txn.commit().await?;
    Ok((crate::tenancy::service::tenant_view(&t), view))
}

/// A programme as its admin edits it (window dates as local dates).
pub async fn programme_input(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    programme: &str,
) -> Result<ProgrammeInput> {
    ctx.require_admin()?;
    let txn = ctx.read(db).await?;
    let p = find_programme(&txn, ctx.tenant_id(), programme).await?;
    let regions = regions_of(&txn, p.id).await?;
    let documents = rules_of(&txn, p.id).await?;
    txn.commit().await?;
    Ok(ProgrammeInput {
        slug: p.slug.clone(),
        names: json(&p.names),
        descriptions: json(&p.descriptions),
        kind: ProgrammeKind::parse(&p.kind).unwrap_or_default(),
        region_ids: regions.into_iter().map(|r| r.id).collect(),
        eligibility: json(&p.eligibility),
        documents,
        opens_on: local_date(&ctx.tenant, p.opens_at),
        closes_on: local_date(&ctx.tenant, p.closes_at),
        results_on: local_date(&ctx.tenant, p.results_at),
        contract_months: p.contract_months.max(0) as u32,
        meeting_cadence: Cadence::parse(&p.meeting_cadence).unwrap_or_default(),
        stages: crate::selection::service::stages_of(&p),
        committee: crate::selection::service::committee_rule_of(&p),
        open_next_stage: p.open_next_stage,
        reminders: reminder_delays_of(&p),
    })
}

/// Every programme of the tenant, for its admin's list.
pub async fn admin_programmes(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<Vec<ProgrammeView>> {
    ctx.require_admin()?;
    list_programmes(db, &ctx.tenant.slug, ctx.actor.locale).await
}

/// A blank programme for the admin's "new programme" form: the tenant's regions, a window
/// opening today, the defaults of the seeds (24 months, weekly).
pub async fn programme_template(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<ProgrammeInput> {
    ctx.require_admin()?;
    let today = tenant_today(&ctx.tenant);
    let regions = crate::tenancy::service::list_regions(db, ctx).await?;
    Ok(ProgrammeInput {
        slug: String::new(),
        names: Texts::default(),
        descriptions: Texts::default(),
        kind: ProgrammeKind::OneToOne,
        region_ids: regions.into_iter().map(|r| r.id).collect(),
        eligibility: Eligibility {
            min_age: 25,
            min_residence_months: 6,
            min_youth_work_years: 5,
            disqualifying_roles: vec![],
            min_days_per_week: 1,
        },
        documents: Vec::new(),
        opens_on: today,
        closes_on: today + chrono::Days::new(30),
        results_on: today + chrono::Days::new(55),
        contract_months: 24,
        meeting_cadence: Cadence::Weekly,
        stages: crate::selection::DEFAULT_STAGES.to_vec(),
        committee: Default::default(),
        open_next_stage: false,
        reminders: Default::default(),
    })
}

/// Creates a programme (tenant admin).
pub async fn create_programme(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    input: &ProgrammeInput,
) -> Result<ProgrammeView> {
    save_programme(db, ctx, None, input).await
}

/// Replaces a programme's settings (tenant admin). Documents already uploaded keep their
/// type code, so a rule can be edited without touching them.
pub async fn update_programme(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    programme: &str,
    input: &ProgrammeInput,
) -> Result<ProgrammeView> {
    let txn = ctx.read(db).await?;
    let existing = find_programme(&txn, ctx.tenant_id(), programme).await?;
    txn.commit().await?;
    save_programme(db, ctx, Some(existing), input).await
}

async fn save_programme(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    existing: Option<programme::Model>,
    input: &ProgrammeInput,
) -> Result<ProgrammeView> {
    ctx.require_admin()?;
    input.validate()?;
    let txn = ctx.write(db).await?;
    let tid = ctx.tenant_id();
    let own_regions = region::Entity::find()
        .filter(region::Column::TenantId.eq(tid))
        .filter(region::Column::Id.is_in(input.region_ids.clone()))
        .all(&txn)
        .await?;
    if own_regions.len() != input.region_ids.len() {
        return Err(Error::invalid("region_ids", "error-region-unknown"));
    }
    let t = &ctx.tenant;
    let now = Utc::now();
    let opens_at = local_instant(t, input.opens_on, NaiveTime::MIN);
    let closes_at = local_instant(
        t,
        input.closes_on,
        NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"),
    );
    let results_at = local_instant(t, input.results_on, NaiveTime::MIN);
    let slug = crate::tenancy::Slug::parse(&input.slug)?;
    let model = programme::ActiveModel {
        id: Set(existing.as_ref().map(|p| p.id).unwrap_or_else(Uuid::now_v7)),
        tenant_id: Set(tid),
        slug: Set(slug.as_str().to_string()),
        names: Set(serde_json::to_string(&input.names).expect("serialises")),
        descriptions: Set(serde_json::to_string(&input.descriptions).expect("serialises")),
        kind: Set(input.kind.as_str().to_string()),
        eligibility: Set(serde_json::to_string(&input.eligibility).expect("serialises")),
        opens_at: Set(opens_at),
        closes_at: Set(closes_at),
        results_at: Set(results_at),
        contract_months: Set(input.contract_months as i32),
        meeting_cadence: Set(input.meeting_cadence.as_str().to_string()),
        stages: Set(serde_json::to_string(&input.stages).expect("serialises")),
        committee_rule: Set(input.committee.majority.as_str().to_string()),
        committee_quorum: Set(input.committee.quorum as i32),
        open_next_stage: Set(input.open_next_stage),
        mentor_reminder_days: Set(input.reminders.mentor_days as i32),
        coordinator_reminder_days: Set(input.reminders.coordinator_days as i32),
        results_announced_at: Set(existing.as_ref().and_then(|p| p.results_announced_at)),
        created_at: Set(existing.as_ref().map(|p| p.created_at).unwrap_or(now)),
        updated_at: Set(now),
    };
    let saved = if existing.is_some() {
        model.update(&txn).await
    } else {
        model.insert(&txn).await
    };
    let p = saved.map_err(|e| {
        if db::is_unique_violation(&e) {
            Error::invalid("slug", "error-slug-taken")
        } else {
            e.into()
        }
    })?;
    programme_region::Entity::delete_many()
        .filter(programme_region::Column::ProgrammeId.eq(p.id))
        .exec(&txn)
        .await?;
    for r in &input.region_ids {
        programme_region::ActiveModel {
            programme_id: Set(p.id),
            region_id: Set(*r),
            tenant_id: Set(tid),
        }
        .insert(&txn)
        .await?;
    }
    required_document::Entity::delete_many()
        .filter(required_document::Column::ProgrammeId.eq(p.id))
        .exec(&txn)
        .await?;
    for (i, d) in input.documents.iter().enumerate() {
        required_document::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tid),
            programme_id: Set(p.id),
            doc_type: Set(d.doc_type.clone()),
            labels: Set(serde_json::to_string(&d.labels).expect("serialises")),
            accepted_types: Set(serde_json::to_string(&d.accepted_types).expect("serialises")),
            max_bytes: Set(d.max_bytes as i64),
            max_count: Set(d.max_count as i32),
            validity_months: Set(d.validity_months.map(|v| v as i32)),
            required: Set(d.required),
            position: Set(i as i32),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Some(tid),
        Some(ctx.actor.user_id),
        if existing.is_some() {
            "programme.updated"
        } else {
            "programme.created"
        },
        "programme",
        Some(p.id),
        None,
    )
    .await?;
    let view = programme_view(&txn, &p, ctx.actor.locale).await?;
    txn.commit().await?;
    Ok(view)
}

/// Every eligibility rule of programme `p` that `answers` fail, on the tenant's today.
async fn unmet_rules(
    conn: &impl ConnectionTrait,
    tenant: &tenant::Model,
    p: &programme::Model,
    answers: &EligibilityAnswers,
) -> Result<Vec<Unmet>> {
    let regions: Vec<Uuid> = regions_of(conn, p.id)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    Ok(check_eligibility(
        &json(&p.eligibility),
        &regions,
        answers,
        tenant_today(tenant),
    ))
}

/// The public pre-check: which rules the answers fail, without signing in or saving anything.
pub async fn precheck(
    db: &DatabaseConnection,
    tenant_slug: &str,
    programme: &str,
    answers: &EligibilityAnswers,
) -> Result<Vec<Unmet>> {
    let t = find_tenant(db, tenant_slug).await?;
    let txn = db::read(db, Scope::Tenant(t.id)).await?;
    let p = find_programme(&txn, t.id, programme).await?;
    let unmet = unmet_rules(&txn, &t, &p, answers).await?;
    txn.commit().await?;
    Ok(unmet)
}

// ---------------------------------------------------------------- applications

fn answers_of(a: &application::Model) -> Result<Answers> {
    serde_json::from_str(&a.answers).map_err(|e| {
        tracing::error!(application = %a.id, error = %e, "stored answers do not parse");
        Error::Internal {
            reference: a.id.to_string(),
        }
    })
}

/// Starts an application as a draft. The window must be open and the eligibility rules met
/// (otherwise every failed rule is listed). One application per person and programme.
/// Applications and their files wait until the applicant has confirmed their address: with
/// free registration, an unconfirmed account would otherwise be free disk for anyone. (An
/// unconfirmed account cannot sign in at all; this holds for sessions and tokens from before
/// that rule too.)
fn require_verified(actor: &Actor) -> Result<()> {
    if actor.email_verified {
        Ok(())
    } else {
        Err(Error::Conflict("error-email-unverified".into()))
    }
}

pub async fn start_application(
    db: &DatabaseConnection,
    actor: &Actor,
    tenant_slug: &str,
    programme: &str,
    answers: &EligibilityAnswers,
) -> Result<ApplicationView> {
    require_verified(actor)?;
    let t = find_tenant(db, tenant_slug).await?;
    let txn = db::write(db, Scope::Tenant(t.id)).await?;
    let p = find_programme(&txn, t.id, programme).await?;
    window_state(Utc::now(), p.opens_at, p.closes_at).require_open()?;
    let unmet = unmet_rules(&txn, &t, &p, answers).await?;
    if !unmet.is_empty() {
        return Err(Error::Unmet {
            code: "error-not-eligible".into(),
            items: unmet,
        });
    }
    let exists = application::Entity::find()
        .filter(application::Column::ProgrammeId.eq(p.id))
        .filter(application::Column::ApplicantId.eq(actor.user_id))
        .one(&txn)
        .await?;
    if exists.is_some() {
        return Err(Error::Conflict("error-application-exists".into()));
    }
    // Applying makes the person an applicant of this tenant, which is what lets them back in.
    let member = membership::Entity::find()
        .filter(membership::Column::TenantId.eq(t.id))
        .filter(membership::Column::UserId.eq(actor.user_id))
        .filter(membership::Column::Role.eq(Role::Applicant.as_str()))
        .one(&txn)
        .await?;
    if member.is_none() {
        membership::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(actor.user_id),
            tenant_id: Set(t.id),
            role: Set(Role::Applicant.as_str().to_string()),
            region_id: Set(Some(answers.region_id)),
            active: Set(true),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
    }
    let now = Utc::now();
    let stored = Answers {
        eligibility: answers.clone(),
        profile: Profile::default(),
    };
    let a = application::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(t.id),
        programme_id: Set(p.id),
        applicant_id: Set(actor.user_id),
        region_id: Set(Some(answers.region_id)),
        status: Set(ApplicationStatus::Draft.as_str().to_string()),
        answers: Set(serde_json::to_string(&stored).expect("serialises")),
        created_at: Set(now),
        updated_at: Set(now),
        submitted_at: Set(None),
        stage: Set(None),
        stage_status: Set(None),
        outcome: Set(crate::selection::Outcome::Pending.as_str().to_string()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            Error::Conflict("error-application-exists".into())
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        Some(t.id),
        Some(actor.user_id),
        "application.started",
        "application",
        Some(a.id),
        None,
    )
    .await?;
    let view = application_view_in(&txn, &a, actor.locale).await?;
    txn.commit().await?;
    Ok(view)
}

/// Loads an application the actor may see: its applicant, or staff covering its region.
async fn visible_application(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<application::Model> {
    let a = application::Entity::find_by_id(id)
        .filter(application::Column::TenantId.eq(ctx.tenant_id()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    if a.applicant_id == ctx.actor.user_id {
        return Ok(a);
    }
    if crate::selection::service::sees_application(ctx, &READERS, &a) {
        return Ok(a);
    }
    Err(refusal(ctx))
}

/// How someone is refused another person's application: another applicant learns nothing
/// (404, as if it did not exist); a member of the team is told it is not theirs to touch (403).
fn refusal(ctx: &TenantCtx) -> Error {
    let team = ctx
        .roles
        .iter()
        .any(|(r, _)| r.is_staff() || *r == Role::Mentor);
    if team {
        Error::Forbidden
    } else {
        Error::NotFound
    }
}

/// Loads the actor's own draft-or-submitted application for changing it.
async fn own_application(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<application::Model> {
    let a = application::Entity::find_by_id(id)
        .filter(application::Column::TenantId.eq(ctx.tenant_id()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    if a.applicant_id != ctx.actor.user_id {
        return Err(refusal(ctx));
    }
    Ok(a)
}

pub(crate) fn doc_view(d: &document::Model) -> DocumentView {
    DocumentView {
        id: d.id,
        application_id: d.application_id,
        child_id: d.child_id,
        pair_id: d.pair_id,
        meeting_id: d.meeting_id,
        doc_type: d.doc_type.clone(),
        status: DocStatus::parse(&d.status).unwrap_or(DocStatus::Uploaded),
        reasons: serde_json::from_str(&d.reasons).unwrap_or_default(),
        original_name: d.original_name.clone(),
        detected_type: d.detected_type.clone(),
        size_bytes: d.size_bytes.max(0) as u64,
        pages: d.pages.map(|v| v.max(0) as u32),
        width: d.width.map(|v| v.max(0) as u32),
        height: d.height.map(|v| v.max(0) as u32),
        sha256: d.sha256.clone(),
        issued_on: d.issued_on,
        has_preview: d.preview_key.is_some(),
        created_at: d.created_at,
        review_reason: d.review_reason.clone(),
        reviewed_at: d.reviewed_at,
    }
}

async fn documents_of(
    conn: &impl ConnectionTrait,
    application_id: Uuid,
) -> Result<Vec<DocumentView>> {
    Ok(document::Entity::find()
        .filter(document::Column::ApplicationId.eq(application_id))
        .order_by_asc(document::Column::CreatedAt)
        .all(conn)
        .await?
        .iter()
        .map(doc_view)
        .collect())
}

async fn application_view_in(
    conn: &impl ConnectionTrait,
    a: &application::Model,
    locale: Locale,
) -> Result<ApplicationView> {
    let p = programme::Entity::find_by_id(a.programme_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let u = user::Entity::find_by_id(a.applicant_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let names: Texts = json(&p.names);
    Ok(ApplicationView {
        id: a.id,
        status: ApplicationStatus::parse(&a.status).unwrap_or(ApplicationStatus::Draft),
        programme_id: p.id,
        programme_slug: p.slug.clone(),
        programme_name: names.get(locale).to_string(),
        applicant_name: u.full_name,
        applicant_email: u.email,
        email_verified: u.email_verified_at.is_some(),
        region_id: a.region_id,
        answers: answers_of(a)?,
        documents: documents_of(conn, a.id).await?,
        created_at: a.created_at,
        submitted_at: a.submitted_at,
        window: window_state(Utc::now(), p.opens_at, p.closes_at),
        closes_at: p.closes_at,
        closes_on: local_date(&tenant_of(conn, a.tenant_id).await?, p.closes_at),
        results_at: p.results_at,
    })
}

/// One application with its documents.
pub async fn get_application(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<ApplicationView> {
    let txn = ctx.read(db).await?;
    let a = visible_application(&txn, ctx, id).await?;
    let view = application_view_in(&txn, &a, ctx.actor.locale).await?;
    txn.commit().await?;
    Ok(view)
}

/// The actor's application to a programme, if they started one.
pub async fn my_application(
    db: &DatabaseConnection,
    actor: &Actor,
    tenant_slug: &str,
    programme: &str,
) -> Result<Option<ApplicationView>> {
    let t = find_tenant(db, tenant_slug).await?;
    let txn = db::read(db, Scope::Tenant(t.id)).await?;
    let p = find_programme(&txn, t.id, programme).await?;
    let a = application::Entity::find()
        .filter(application::Column::ProgrammeId.eq(p.id))
        .filter(application::Column::ApplicantId.eq(actor.user_id))
        .one(&txn)
        .await?;
    let view = match a {
        Some(a) => Some(application_view_in(&txn, &a, actor.locale).await?),
        None => None,
    };
    txn.commit().await?;
    Ok(view)
}

/// The rules of an application's programme.
pub async fn application_rules(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<Vec<DocumentRule>> {
    let txn = ctx.read(db).await?;
    let a = visible_application(&txn, ctx, id).await?;
    let rules = rules_of(&txn, a.programme_id).await?;
    txn.commit().await?;
    Ok(rules)
}

/// Saves the "about you" step of a draft. Nothing is required yet; what is typed is checked.
pub async fn save_profile(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    profile: Profile,
) -> Result<ApplicationView> {
    let profile = profile.normalise()?;
    let txn = ctx.write(db).await?;
    let a = own_application(&txn, ctx, id).await?;
    if a.status != ApplicationStatus::Draft.as_str() {
        return Err(Error::Conflict("error-application-submitted".into()));
    }
    let mut answers = answers_of(&a)?;
    answers.profile = profile;
    let mut am = a.into_active_model();
    am.answers = Set(serde_json::to_string(&answers).expect("serialises"));
    am.updated_at = Set(Utc::now());
    let a = am.update(&txn).await?;
    let view = application_view_in(&txn, &a, ctx.actor.locale).await?;
    txn.commit().await?;
    Ok(view)
}

/// Submits a complete application inside its window; otherwise lists everything missing.
pub async fn submit_application(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<ApplicationView> {
    let txn = ctx.write(db).await?;
    let a = own_application(&txn, ctx, id).await?;
    if a.status != ApplicationStatus::Draft.as_str() {
        return Err(Error::Conflict("error-application-submitted".into()));
    }
    let p = programme::Entity::find_by_id(a.programme_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    window_state(Utc::now(), p.opens_at, p.closes_at).require_open()?;
    let answers = answers_of(&a)?;
    let rules = rules_of(&txn, p.id).await?;
    let docs = documents_of(&txn, a.id).await?;
    let mut missing = Vec::new();
    if !crate::accounts::service::is_email_verified(&txn, ctx.actor.user_id).await? {
        missing.push(Unmet::new("missing-email-verification", &[]));
    }
    missing.extend(unmet_rules(&txn, &ctx.tenant, &p, &answers.eligibility).await?);
    missing.extend(missing_for_submission(
        &answers.profile,
        &rules,
        &docs,
        ctx.actor.locale,
    ));
    if !missing.is_empty() {
        return Err(Error::Unmet {
            code: "error-application-incomplete".into(),
            items: missing,
        });
    }
    let now = Utc::now();
    let mut am = a.into_active_model();
    am.status = Set(ApplicationStatus::Submitted.as_str().to_string());
    am.submitted_at = Set(Some(now));
    am.updated_at = Set(now);
    let a = am.update(&txn).await?;
    // The selection starts: the first stage (documents verified, by default) is open.
    crate::selection::service::open_first_stage(&txn, &a, &p).await?;
    let a = application::Entity::find_by_id(a.id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "application.submitted",
        "application",
        Some(a.id),
        None,
    )
    .await?;
    let view = application_view_in(&txn, &a, ctx.actor.locale).await?;
    txn.commit().await?;
    Ok(view)
}

/// Applications staff can see, newest first (coordinators: their region).
pub async fn list_applications(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
) -> Result<Vec<ApplicationView>> {
    ctx.require_any(&READERS)?;
    let txn = ctx.read(db).await?;
    let rows = application::Entity::find()
        .filter(application::Column::TenantId.eq(ctx.tenant_id()))
        .order_by_desc(application::Column::UpdatedAt)
        .all(&txn)
        .await?;
    let mut out = Vec::new();
    for a in rows
        .iter()
        .filter(|a| crate::selection::service::sees_application(ctx, &READERS, a))
    {
        out.push(application_view_in(&txn, a, ctx.actor.locale).await?);
    }
    txn.commit().await?;
    Ok(out)
}

// ---------------------------------------------------------------- uploads

/// Where an accepted upload goes, decided before any byte is stored.
#[derive(Debug, Clone)]
pub struct UploadPlan {
    pub tenant_id: Uuid,
    pub owner: DocOwner,
    pub document_id: Uuid,
    pub rule: DocumentRule,
    pub issued_on: Option<NaiveDate>,
    /// A generated name; the applicant's file name is never part of it.
    pub storage_key: String,
}

/// The object key of a document's file and of its preview.
pub fn storage_key(tenant_id: Uuid, document_id: Uuid) -> String {
    format!("t/{tenant_id}/documents/{document_id}")
}
pub fn preview_key(tenant_id: Uuid, document_id: Uuid) -> String {
    format!("t/{tenant_id}/previews/{document_id}.jpg")
}

/// The document a stored object belongs to, from its key (`t/<tenant>/documents/<id>` or
/// `t/<tenant>/previews/<id>.jpg`); `None` for anything else.
pub fn document_of_key(key: &str) -> Option<(Uuid, Uuid)> {
    let mut parts = key.split('/');
    let (Some("t"), Some(tenant), Some(kind), Some(name), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let id = match kind {
        "documents" => name,
        "previews" => name.strip_suffix(".jpg")?,
        _ => return None,
    };
    Some((tenant.parse().ok()?, id.parse().ok()?))
}

/// Deletes stored files whose document row was never written: the process died between
/// storing an upload and committing its row (or the verifier stored a preview for a document
/// erased since). Only objects at least `older_than` old are considered, so an upload still on
/// its way to its row is never touched. Returns how many objects it removed.
pub async fn sweep_orphan_files(
    db: &DatabaseConnection,
    storage: &crate::storage::Storage,
    older_than: std::time::Duration,
) -> Result<usize> {
    let keys = storage
        .list_older("t/", older_than)
        .await
        .map_err(|e| Error::internal(format!("listing stored files: {e}")))?;
    let mut removed = 0;
    for key in keys {
        let Some((tenant_id, document_id)) = document_of_key(&key) else {
            tracing::warn!(key, "stored file with an unexpected name left alone");
            continue;
        };
        let txn = db::read(db, Scope::Tenant(tenant_id)).await?;
        let exists = document::Entity::find_by_id(document_id)
            .filter(document::Column::TenantId.eq(tenant_id))
            .one(&txn)
            .await?
            .is_some();
        txn.commit().await?;
        if exists {
            continue;
        }
        storage
            .delete(&key)
            .await
            .map_err(|e| Error::internal(format!("deleting {key}: {e}")))?;
        tracing::info!(key, "removed a stored file without a document");
        removed += 1;
    }
    Ok(removed)
}

/// The applicant removes a file of their own that no one has reviewed yet (the wrong scan, a
/// page missing, a file to replace with a better one) while the application still takes files:
/// the document and its history go, the stored file is removed by the orphan sweep, and an
/// audit event stays. A verified or rejected file is a coordinator's work and stays.
pub async fn withdraw_document(db: &DatabaseConnection, ctx: &TenantCtx, id: Uuid) -> Result<()> {
    require_verified(&ctx.actor)?;
    let txn = ctx.write(db).await?;
    // Only the applicant's own upload to their own application (not a contract scan staff
    // uploaded there); anyone else is told what they would be told of any document, found
    // or not.
    let d = match find_document(&txn, ctx, id).await {
        Err(Error::NotFound) => return Err(refusal(ctx)),
        found => found?,
    };
    let Some(application_id) = d.application_id else {
        return Err(refusal(ctx));
    };
    let a = own_application(&txn, ctx, application_id).await?;
    if d.uploaded_by != ctx.actor.user_id {
        return Err(refusal(ctx));
    }
    if matches!(
        DocStatus::parse(&d.status),
        Some(DocStatus::Verified | DocStatus::Rejected)
    ) {
        return Err(Error::Conflict("error-document-reviewed".into()));
    }
    let p = programme::Entity::find_by_id(a.programme_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    takes_files(&a, &p, Utc::now())?;
    document_event::Entity::delete_many()
        .filter(document_event::Column::DocumentId.eq(d.id))
        .exec(&txn)
        .await?;
    document::Entity::delete_by_id(d.id).exec(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "document.withdrawn",
        "application",
        Some(a.id),
        Some(serde_json::json!({ "document": d.id, "doc_type": d.doc_type })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Whether an application takes files now: a draft inside its window; a submitted one until
/// the results date.
fn takes_files(a: &application::Model, p: &programme::Model, now: DateTime<Utc>) -> Result<()> {
    if a.status == ApplicationStatus::Draft.as_str() {
        window_state(now, p.opens_at, p.closes_at).require_open()
    } else if now >= p.results_at {
        Err(Error::Conflict("error-window-closed".into()))
    } else {
        Ok(())
    }
}

/// Checks an upload before it is streamed: the applicant's own application, a document type
/// of its programme, room for another file, a valid issue date, and a window that allows it
/// (a draft inside the window; a submitted application may replace a refused file until the
/// results date).
pub async fn plan_upload(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    application_id: Uuid,
    doc_type: &str,
    issued_on: Option<NaiveDate>,
) -> Result<UploadPlan> {
    require_verified(&ctx.actor)?;
    let txn = ctx.read(db).await?;
    let a = own_application(&txn, ctx, application_id).await?;
    let p = programme::Entity::find_by_id(a.programme_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    takes_files(&a, &p, Utc::now())?;
    let rule = rules_of(&txn, p.id)
        .await?
        .into_iter()
        .find(|r| r.doc_type == doc_type.trim())
        .ok_or_else(|| Error::invalid("doc_type", "error-doc-type-unknown"))?;
    let owner = DocOwner::Application(a.id);
    let live = live_count(&txn, owner, &rule.doc_type).await?;
    check_new_upload(&rule, live, issued_on, tenant_today(&ctx.tenant))?;
    txn.commit().await?;
    Ok(plan_for(ctx, owner, rule, issued_on))
}

/// A plan for a new document of `owner` under `rule`, with a generated id and object key.
pub fn plan_for(
    ctx: &TenantCtx,
    owner: DocOwner,
    rule: DocumentRule,
    issued_on: Option<NaiveDate>,
) -> UploadPlan {
    let document_id = Uuid::now_v7();
    UploadPlan {
        tenant_id: ctx.tenant_id(),
        owner,
        document_id,
        storage_key: storage_key(ctx.tenant_id(), document_id),
        rule,
        issued_on,
    }
}

/// The documents of one owner, oldest first.
pub(crate) fn of_owner(owner: DocOwner) -> sea_orm::Select<document::Entity> {
    let q = document::Entity::find();
    match owner {
        DocOwner::Application(id) => q.filter(document::Column::ApplicationId.eq(id)),
        DocOwner::Child(id) => q.filter(document::Column::ChildId.eq(id)),
        DocOwner::Pair(id) => q
            .filter(document::Column::PairId.eq(id))
            .filter(document::Column::MeetingId.is_null()),
        DocOwner::Meeting { meeting, .. } => q.filter(document::Column::MeetingId.eq(meeting)),
    }
    .order_by_asc(document::Column::CreatedAt)
}

/// The documents of one owner as views, oldest first.
pub(crate) async fn views_of(
    conn: &impl ConnectionTrait,
    owner: DocOwner,
) -> Result<Vec<DocumentView>> {
    Ok(of_owner(owner)
        .all(conn)
        .await?
        .iter()
        .map(doc_view)
        .collect())
}

/// Retires the live documents of `owner` of `doc_type` that a new file replaces (a renewed
/// consent, a new scan after a failed one): they stop counting and keep their history.
pub(crate) async fn retire_live(
    txn: &impl ConnectionTrait,
    owner: DocOwner,
    doc_type: &str,
    only: Option<Uuid>,
    replacement: &StoredFile,
) -> Result<()> {
    refuse_same_file(txn, owner, doc_type, &replacement.sha256).await?;
    let rows = of_owner(owner)
        .filter(document::Column::DocType.eq(doc_type))
        .all(txn)
        .await?;
    for d in rows {
        let live = DocStatus::parse(&d.status).is_some_and(DocStatus::is_live);
        if !live || only.is_some_and(|id| id != d.id) {
            continue;
        }
        let mut am = d.into_active_model();
        am.status = Set(DocStatus::Rejected.as_str().to_string());
        am.review_reason = Set(Some("replaced".into()));
        let d = am.update(txn).await?;
        event(txn, &d, None, "replaced", None).await?;
    }
    Ok(())
}

/// The same file again for the same place (Back and upload, a retry after a broken
/// connection, a "renewal" with the file already there) is the upload already made, not a
/// second document (issue 19, principle 2): refused while the first is live.
async fn refuse_same_file(
    conn: &impl ConnectionTrait,
    owner: DocOwner,
    doc_type: &str,
    sha256: &str,
) -> Result<()> {
    let same_file = of_owner(owner)
        .filter(document::Column::DocType.eq(doc_type))
        .filter(document::Column::Sha256.eq(sha256))
        .all(conn)
        .await?;
    if same_file
        .iter()
        .any(|d| DocStatus::parse(&d.status).is_some_and(DocStatus::is_live))
    {
        return Err(Error::Conflict("error-document-already-uploaded".into()));
    }
    Ok(())
}

async fn live_count(conn: &impl ConnectionTrait, owner: DocOwner, doc_type: &str) -> Result<u32> {
    Ok(of_owner(owner)
        .filter(document::Column::DocType.eq(doc_type))
        .all(conn)
        .await?
        .iter()
        .filter(|d| DocStatus::parse(&d.status).is_some_and(DocStatus::is_live))
        .count() as u32)
}

/// What the server learnt while storing the file.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub original_name: String,
    pub declared_type: String,
    pub detected_type: Option<String>,
    pub size_bytes: u64,
    pub sha256: String,
}

/// Records a stored file and queues its verification, in one transaction. The count is
/// checked again under the write lock, so two parallel uploads cannot both take the last
/// slot; on refusal the caller deletes the object it stored.
pub async fn record_upload(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    plan: &UploadPlan,
    file: &StoredFile,
) -> Result<DocumentView> {
    let DocOwner::Application(application_id) = plan.owner else {
        return Err(Error::NotFound);
    };
    let txn = ctx.write(db).await?;
    own_application(&txn, ctx, application_id).await?;
    let d = insert_document(&txn, ctx, plan, file).await?;
    txn.commit().await?;
    Ok(doc_view(&d))
}

/// Writes a stored file's row, its first history event and its verification job (inside the
/// caller's transaction, after the caller checked who uploads). The count is checked here,
/// under the write lock.
pub(crate) async fn insert_document(
    txn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    plan: &UploadPlan,
    file: &StoredFile,
) -> Result<document::Model> {
    refuse_same_file(txn, plan.owner, &plan.rule.doc_type, &file.sha256).await?;
    if live_count(txn, plan.owner, &plan.rule.doc_type).await? >= plan.rule.max_count {
        return Err(Error::Conflict("error-document-count".into()));
    }
    let now = Utc::now();
    let (application_id, child_id, pair_id, meeting_id) = match plan.owner {
        DocOwner::Application(a) => (Some(a), None, None, None),
        DocOwner::Child(c) => (None, Some(c), None, None),
        DocOwner::Pair(p) => (None, None, Some(p), None),
        DocOwner::Meeting { pair, meeting } => (None, None, Some(pair), Some(meeting)),
    };
    let d = document::ActiveModel {
        id: Set(plan.document_id),
        tenant_id: Set(plan.tenant_id),
        application_id: Set(application_id),
        child_id: Set(child_id),
        pair_id: Set(pair_id),
        meeting_id: Set(meeting_id),
        doc_type: Set(plan.rule.doc_type.clone()),
        status: Set(DocStatus::Uploaded.as_str().to_string()),
        original_name: Set(display_name(&file.original_name)),
        declared_type: Set(file.declared_type.chars().take(100).collect()),
        detected_type: Set(file.detected_type.clone()),
        size_bytes: Set(file.size_bytes as i64),
        sha256: Set(file.sha256.clone()),
        storage_key: Set(plan.storage_key.clone()),
        preview_key: Set(None),
        pages: Set(None),
        width: Set(None),
        height: Set(None),
        reasons: Set("[]".into()),
        issued_on: Set(plan.issued_on),
        uploaded_by: Set(ctx.actor.user_id),
        created_at: Set(now),
        checked_at: Set(None),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        review_reason: Set(None),
        check_attempts: Set(0),
    }
    .insert(txn)
    .await?;
    event(txn, &d, Some(ctx.actor.user_id), "uploaded", None).await?;
    jobs::enqueue(
        txn,
        &Job::VerifyDocument {
            tenant_id: d.tenant_id,
            document_id: d.id,
        },
    )
    .await?;
    Ok(d)
}

async fn event(
    conn: &impl ConnectionTrait,
    d: &document::Model,
    actor: Option<Uuid>,
    action: &str,
    detail: Option<String>,
) -> Result<()> {
    document_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(d.tenant_id),
        document_id: Set(d.id),
        actor_user_id: Set(actor),
        action: Set(action.to_string()),
        detail: Set(detail),
        at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// One document's details (its applicant, or staff covering its region).
pub async fn get_document(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<DocumentView> {
    let txn = ctx.read(db).await?;
    let d = find_document(&txn, ctx, id).await?;
    visible_document(&txn, ctx, &d).await?;
    txn.commit().await?;
    Ok(doc_view(&d))
}

/// Who may read a document's details: an application's applicant and the staff covering its
/// region; for a child's or a pair's document, the staff who follow children in its region
/// (never committee members) and whoever uploaded it (a mentor sees their own attachments).
async fn visible_document(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    d: &document::Model,
) -> Result<()> {
    if let Some(a) = d.application_id {
        visible_application(conn, ctx, a).await?;
        return Ok(());
    }
    if d.uploaded_by == ctx.actor.user_id {
        return Ok(());
    }
    let place = place_of(conn, d).await?;
    if ctx.covers_region(place.readers, place.region_id) {
        Ok(())
    } else {
        Err(refusal(ctx))
    }
}

/// Staff who read the documents of children's records (their region).
const RECORD_READERS: [Role; 3] = [Role::TenantAdmin, Role::Coordinator, Role::Psychologist];

/// Where a document belongs: its region, who reads it there, who it is about (the applicant
/// or the child), the programme, and its page in the portal.
struct Place {
    region_id: Option<Uuid>,
    readers: &'static [Role],
    application: Option<application::Model>,
    subject: String,
    programme_id: Option<Uuid>,
    path: String,
}

async fn place_of(conn: &impl ConnectionTrait, d: &document::Model) -> Result<Place> {
    use crate::matching::entity::{child, pair};
    let slug = tenant_of(conn, d.tenant_id).await?.slug;
    if let Some(id) = d.application_id {
        let a = application::Entity::find_by_id(id)
            .one(conn)
            .await?
            .ok_or(Error::NotFound)?;
        let subject = user::Entity::find_by_id(a.applicant_id)
            .one(conn)
            .await?
            .map(|u| u.full_name)
            .unwrap_or_default();
        return Ok(Place {
            region_id: a.region_id,
            readers: &FILE_READERS,
            subject,
            programme_id: Some(a.programme_id),
            path: format!("/t/{slug}/applications/{}", a.id),
            application: Some(a),
        });
    }
    let (child_id, programme_id, path) = if let Some(id) = d.pair_id {
        let p = pair::Entity::find_by_id(id)
            .one(conn)
            .await?
            .ok_or(Error::NotFound)?;
        (
            p.child_id,
            Some(p.programme_id),
            format!("/t/{slug}/pairs/{}", p.id),
        )
    } else {
        let id = d.child_id.ok_or(Error::NotFound)?;
        (id, None, format!("/t/{slug}/children/{id}"))
    };
    let c = child::Entity::find_by_id(child_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Place {
        region_id: Some(c.region_id),
        readers: &RECORD_READERS,
        application: None,
        subject: format!("{} {}.", c.first_name, c.last_initial),
        programme_id,
        path,
    })
}

async fn find_document(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<document::Model> {
    document::Entity::find_by_id(id)
        .filter(document::Column::TenantId.eq(ctx.tenant_id()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

// ---------------------------------------------------------------- verification (worker)

/// What the worker needs to check one document.
#[derive(Debug, Clone)]
pub struct CheckTask {
    pub storage_key: String,
    pub preview_key: String,
    pub accepted_types: Vec<String>,
    pub max_bytes: u64,
}

/// The document to check, or `None` when it has been checked already (a job run twice) or no
/// longer exists.
pub async fn check_task(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    document_id: Uuid,
) -> Result<Option<CheckTask>> {
    let txn = db::read(db, Scope::Tenant(tenant_id)).await?;
    let Some(d) = document::Entity::find_by_id(document_id)
        .filter(document::Column::TenantId.eq(tenant_id))
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    if d.status != DocStatus::Uploaded.as_str() {
        return Ok(None);
    }
    let programme_rule = match d.application_id {
        Some(id) => {
            let a = application::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(Error::NotFound)?;
            rules_of(&txn, a.programme_id)
                .await?
                .into_iter()
                .find(|r| r.doc_type == d.doc_type)
        }
        None => None,
    };
    // Files no programme lists (a signed contract, a consent, an attachment) have their own.
    let rule = programme_rule.or_else(|| record_rule(&d.doc_type));
    txn.commit().await?;
    Ok(Some(CheckTask {
        storage_key: d.storage_key,
        preview_key: preview_key(tenant_id, document_id),
        accepted_types: rule
            .as_ref()
            .map(|r| r.accepted_types.clone())
            .unwrap_or_default(),
        max_bytes: rule.map(|r| r.max_bytes).unwrap_or(MAX_DOCUMENT_BYTES),
    }))
}

/// A document whose inspection began more than this many times without an outcome (the worker
/// died on it, most likely of memory) is failed for good instead of taking down the next worker.
/// Three, not two: a duplicate delivery that runs beside a live inspection also counts a start,
/// and one such duplicate after one real crash must not fail a good file.
pub const MAX_CHECK_ATTEMPTS: i32 = 3;

/// The reason recorded for such a document.
pub const CHECK_CRASHED: &str = "check_crashed";

/// Counts one more start of the inspection of a document still waiting for it, committed
/// before the inspection runs, so a crash in it still counts. Returns the count, or `None`
/// when the document was checked meanwhile or is gone.
pub async fn begin_inspection(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    document_id: Uuid,
) -> Result<Option<i32>> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let txn = db::write(db, Scope::Tenant(tenant_id)).await?;
    let changed = document::Entity::update_many()
        .col_expr(
            document::Column::CheckAttempts,
            Expr::col(document::Column::CheckAttempts).add(1),
        )
        .filter(document::Column::Id.eq(document_id))
        .filter(document::Column::TenantId.eq(tenant_id))
        .filter(document::Column::Status.eq(DocStatus::Uploaded.as_str()))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Ok(None);
    }
    let attempts = document::Entity::find_by_id(document_id)
        .one(&txn)
        .await?
        .map(|d| d.check_attempts);
    txn.commit().await?;
    Ok(attempts)
}

/// The worker's findings.
#[derive(Debug, Clone, Default)]
pub struct CheckResult {
    pub passed: bool,
    pub reasons: Vec<String>,
    pub detected_type: Option<String>,
    pub pages: Option<u32>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub has_preview: bool,
    /// The stored file was replaced by a metadata-free copy of this size and digest.
    pub cleaned: Option<(u64, String)>,
}

/// Records the outcome once: only a document still `uploaded` changes, so a job that runs
/// twice (a retry, a second worker, a worker killed after its work) records nothing more.
/// Returns whether this call recorded it.
pub async fn record_check(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    document_id: Uuid,
    result: &CheckResult,
) -> Result<bool> {
    let txn = db::write(db, Scope::Tenant(tenant_id)).await?;
    let Some(d) = document::Entity::find_by_id(document_id)
        .filter(document::Column::TenantId.eq(tenant_id))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    if d.status != DocStatus::Uploaded.as_str() {
        return Ok(false);
    }
    let status = if result.passed {
        DocStatus::AutoPassed
    } else {
        DocStatus::AutoFailed
    };
    let mut am = d.clone().into_active_model();
    am.status = Set(status.as_str().to_string());
    am.reasons = Set(serde_json::to_string(&result.reasons).expect("serialises"));
    am.detected_type = Set(result.detected_type.clone());
    am.pages = Set(result.pages.map(|v| v as i32));
    am.width = Set(result.width.map(|v| v as i32));
    am.height = Set(result.height.map(|v| v as i32));
    am.preview_key = Set(result
        .has_preview
        .then(|| preview_key(tenant_id, document_id)));
    am.checked_at = Set(Some(Utc::now()));
    if let Some((size, _)) = &result.cleaned {
        am.size_bytes = Set(*size as i64);
    }
    let d = am.update(&txn).await?;
    let detail = serde_json::json!({
        "reasons": result.reasons,
        "metadata_stripped": result.cleaned.is_some(),
        "clean_sha256": result.cleaned.as_ref().map(|c| c.1.clone()),
    });
    event(&txn, &d, None, status.as_str(), Some(detail.to_string())).await?;
    // An applicant who has left the page learns that the file must be sent again, and why.
    if status == DocStatus::AutoFailed
        && let Some(application_id) = d.application_id
        && let Some(a) = application::Entity::find_by_id(application_id)
            .one(&txn)
            .await?
    {
        let key = format!("document-failed-check:{}", d.id);
        let reasons = |l: Locale| super::check_reasons_text(l, &result.reasons).join(" ");
        tell_applicant_refused(&txn, &a, &d, key, reasons).await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// The rule of a document type that is not a programme's: the files staff and mentors
/// attach to contracts, children's records, pairs and meetings.
pub fn record_rule(doc_type: &str) -> Option<DocumentRule> {
    crate::selection::contracts::staff_rule(doc_type)
        .or_else(|| crate::matching::record_rule(doc_type))
        .or_else(|| crate::support::record_rule(doc_type))
}

// ---------------------------------------------------------------- review

fn review_label(rules: &[DocumentRule], doc_type: &str, locale: Locale) -> String {
    rules
        .iter()
        .find(|r| r.doc_type == doc_type)
        .cloned()
        .or_else(|| record_rule(doc_type))
        .map(|r| r.labels.get(locale).to_string())
        .unwrap_or_else(|| doc_type.to_string())
}

async fn history(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    document_id: Uuid,
) -> Result<Vec<DocumentEvent>> {
    let rows = document_event::Entity::find()
        .filter(document_event::Column::DocumentId.eq(document_id))
        .order_by_asc(document_event::Column::At)
        .all(conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for e in rows {
        let actor_name = match e.actor_user_id {
            Some(id) => user::Entity::find_by_id(id)
                .one(conn)
                .await?
                .map(|u| u.full_name),
            None => None,
        };
        out.push(DocumentEvent {
            action: e.action,
            actor_name,
            detail: e.detail,
            at: ctx.local(e.at),
        });
    }
    Ok(out)
}

/// Documents waiting for a decision in the reviewer's regions, oldest first, with previews
/// and history. `all` also lists documents the worker failed (for a second look).
pub async fn review_queue(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<Vec<ReviewItem>> {
    ctx.require_any(&REVIEWERS)?;
    let txn = ctx.read(db).await?;
    let docs = document::Entity::find()
        .filter(document::Column::TenantId.eq(ctx.tenant_id()))
        .filter(
            document::Column::Status
                .is_in([DocStatus::AutoPassed.as_str(), DocStatus::Uploaded.as_str()]),
        )
        .order_by_asc(document::Column::CreatedAt)
        .all(&txn)
        .await?;
    let mut out = Vec::new();
    for d in docs {
        // A meeting's attachments are checked by the worker only: no one reviews them.
        if d.meeting_id.is_some() {
            continue;
        }
        let place = place_of(&txn, &d).await?;
        if !ctx.covers_region(&REVIEWERS, place.region_id) {
            continue;
        }
        let (rules, programme_name) = match place.programme_id {
            Some(id) => {
                let p = programme::Entity::find_by_id(id)
                    .one(&txn)
                    .await?
                    .ok_or(Error::NotFound)?;
                (
                    rules_of(&txn, p.id).await?,
                    programme_name(&p, ctx.actor.locale),
                )
            }
            None => (Vec::new(), String::new()),
        };
        let region_name = match place.region_id {
            Some(r) => region::Entity::find_by_id(r)
                .one(&txn)
                .await?
                .map(|r| r.name),
            None => None,
        };
        out.push(ReviewItem {
            doc_label: review_label(&rules, &d.doc_type, ctx.actor.locale),
            document: doc_view(&d),
            applicant_name: place.subject,
            programme_name,
            subject_path: place.path,
            region_name,
            history: history(&txn, ctx, d.id).await?,
        });
    }
    txn.commit().await?;
    Ok(out)
}

/// A reviewer's decision. Only a document that passed the automatic checks can be decided;
/// a rejection needs a reason, e-mails the applicant in their language, and frees the slot
/// for a new upload. History is kept.
pub async fn review_document(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    decision: ReviewDecision,
    reason: Option<&str>,
) -> Result<DocumentView> {
    ctx.require_any(&REVIEWERS)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = reason
        && (r.chars().count() > 1000 || r.chars().any(|c| c.is_control() && c != '\n'))
    {
        return Err(Error::invalid("reason", "error-text-too-long"));
    }
    if decision == ReviewDecision::Rejected && reason.is_none() {
        return Err(Error::invalid("reason", "error-reason-required"));
    }
    let txn = ctx.write(db).await?;
    let d = find_document(&txn, ctx, id).await?;
    let place = place_of(&txn, &d).await?;
    if d.meeting_id.is_some() || !ctx.covers_region(&REVIEWERS, place.region_id) {
        return Err(Error::Forbidden);
    }
    match DocStatus::parse(&d.status) {
        Some(DocStatus::AutoPassed) => {}
        Some(DocStatus::Uploaded) => {
            return Err(Error::Conflict("error-document-not-checked".into()));
        }
        _ => return Err(Error::Conflict("error-document-decided".into())),
    }
    let status = match decision {
        ReviewDecision::Verified => DocStatus::Verified,
        ReviewDecision::Rejected => DocStatus::Rejected,
    };
    let now = Utc::now();
    let mut am = d.into_active_model();
    am.status = Set(status.as_str().to_string());
    am.reviewed_by = Set(Some(ctx.actor.user_id));
    am.reviewed_at = Set(Some(now));
    am.review_reason = Set(reason.map(String::from));
    let d = am.update(&txn).await?;
    event(
        &txn,
        &d,
        Some(ctx.actor.user_id),
        status.as_str(),
        reason.map(String::from),
    )
    .await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        &format!("document.{}", status.as_str()),
        "document",
        Some(d.id),
        None,
    )
    .await?;
    // The applicant is told; staff see a refused consent or permission on the record's page.
    if status == DocStatus::Rejected
        && let Some(a) = place.application
    {
        // The e-mail's sentence goes on after the reason.
        let mut reason = reason.unwrap_or_default().to_string();
        if !reason.ends_with(['.', '!', '?', '…']) {
            reason.push('.');
        }
        let key = format!("document-rejected:{}", d.id);
        tell_applicant_refused(&txn, &a, &d, key, |_| reason.clone()).await?;
    }
    txn.commit().await?;
    Ok(doc_view(&d))
}

/// E-mails the applicant, in their language, that `d` of their application was refused and
/// why (`reason` in that language); the link opens the application to upload it again. `key`
/// tells the refusals apart: a reviewer's, and the automatic check's before it.
async fn tell_applicant_refused(
    conn: &impl ConnectionTrait,
    a: &application::Model,
    d: &document::Model,
    key: String,
    reason: impl Fn(Locale) -> String,
) -> Result<()> {
    let applicant = user::Entity::find_by_id(a.applicant_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let p = programme::Entity::find_by_id(a.programme_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let slug = tenant_of(conn, d.tenant_id).await?.slug;
    let locale: Locale = applicant.locale.parse().unwrap_or_default();
    let rules = rules_of(conn, p.id).await?;
    jobs::enqueue(
        conn,
        &Job::SendEmail(EmailJob {
            tenant_id: Some(d.tenant_id),
            unsubscribe: None,
            dedupe_key: key,
            to: applicant.email,
            locale,
            message: EmailMessage::DocumentRejected {
                programme_name: programme_name(&p, locale),
                document: review_label(&rules, &d.doc_type, locale),
                reason: reason(locale),
                path: format!("/t/{slug}/apply/{}", p.slug),
            },
        }),
    )
    .await
}

/// A document's history, for staff covering its region.
pub async fn document_history(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<Vec<DocumentEvent>> {
    let txn = ctx.read(db).await?;
    let d = find_document(&txn, ctx, id).await?;
    visible_document(&txn, ctx, &d).await?;
    let h = history(&txn, ctx, d.id).await?;
    txn.commit().await?;
    Ok(h)
}

// ---------------------------------------------------------------- downloads

/// What a download streams.
#[derive(Debug, Clone)]
pub struct Download {
    pub storage_key: String,
    pub file_name: String,
    pub content_type: String,
}

/// Authorises a download of a document's file (or its preview) by staff covering its region,
/// and writes the audit record in the same step, so no file leaves unrecorded.
pub async fn authorize_download(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    preview: bool,
) -> Result<Download> {
    let txn = ctx.write(db).await?;
    if !ctx.has_any(&READERS) {
        // An applicant opens the files they uploaded to their own application, and nothing
        // else: to anyone else every other id looks the same, found or not.
        let d = find_document(&txn, ctx, id)
            .await
            .ok()
            .filter(|d| d.uploaded_by == ctx.actor.user_id && d.application_id.is_some());
        let own = match d.as_ref().and_then(|d| d.application_id) {
            Some(a) => own_application(&txn, ctx, a).await.is_ok(),
            None => false,
        };
        let Some(d) = d.filter(|_| own) else {
            return Err(refusal(ctx));
        };
        return download_of(txn, ctx, d, preview).await;
    }
    let d = find_document(&txn, ctx, id).await?;
    let place = place_of(&txn, &d).await?;
    if !ctx.covers_region(place.readers, place.region_id) {
        return Err(Error::Forbidden);
    }
    download_of(txn, ctx, d, preview).await
}

/// The download of `d`, audit-logged, once the caller has decided the reader may have it.
async fn download_of(
    txn: sea_orm::DatabaseTransaction,
    ctx: &TenantCtx,
    d: document::Model,
    preview: bool,
) -> Result<Download> {
    let out = if preview {
        Download {
            storage_key: d.preview_key.clone().ok_or(Error::NotFound)?,
            file_name: format!("preview-{}.jpg", d.id),
            content_type: "image/jpeg".into(),
        }
    } else {
        Download {
            storage_key: d.storage_key.clone(),
            file_name: d.original_name.clone(),
            content_type: d
                .detected_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into()),
        }
    };
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        if preview {
            "document.preview_viewed"
        } else {
            "document.downloaded"
        },
        "document",
        Some(d.id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(out)
}

/// Staff pages' starting point: how many documents wait for review in the actor's regions.
pub async fn review_count(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<usize> {
    if !ctx.roles.iter().any(|(r, _)| REVIEWERS.contains(r)) {
        return Ok(0);
    }
    Ok(review_queue(db, ctx).await?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_name_their_document() {
        let (t, d) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(document_of_key(&storage_key(t, d)), Some((t, d)));
        assert_eq!(document_of_key(&preview_key(t, d)), Some((t, d)));
        for key in [
            format!("t/{t}/documents/{d}/x"),
            format!("t/{t}/previews/{d}"),
            format!("t/{t}/reports/{d}"),
            format!("t/not-a-uuid/documents/{d}"),
            format!("x/{t}/documents/{d}"),
            format!("t/{t}/documents"),
        ] {
            assert_eq!(document_of_key(&key), None, "{key}");
        }
    }
}
