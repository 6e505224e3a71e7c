//! Mentor contracts: created for a selected candidate (start, and an end the programme's
//! contract length later), the signed scan uploaded through the document pipeline, and the
//! signing that passes the contract stage and makes an active mentor.

use chrono::{Months, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::entity::contract;
use super::service::{self, Candidate};
use super::*;
use crate::accounts::Role;
use crate::accounts::entity::user;
use crate::error::{Error, Result};
use crate::recruitment::entity::{application, document, programme};
use crate::recruitment::service::{
    StoredFile, UploadPlan, doc_view, insert_document, plan_for, retire_live,
};
use crate::recruitment::{DocOwner, DocStatus, DocumentRule, Texts};
use crate::tenancy::audit;
use crate::tenancy::context::TenantCtx;

/// The document type of a signed contract's scan (not one of the programme's documents).
pub const SIGNED_CONTRACT: &str = "signed_contract";

/// What the signed scan may be: a PDF or a photo, up to 20 MB, one file.
pub fn scan_rule() -> DocumentRule {
    DocumentRule {
        required: true,
        ..crate::recruitment::attachment_rule(
            SIGNED_CONTRACT,
            Texts {
                kk: "Қол қойылған келісімшарт".into(),
                ru: "Подписанный договор".into(),
                en: "Signed contract".into(),
            },
            20,
            1,
        )
    }
}

/// The rule of a document type staff upload, which no programme lists.
pub fn staff_rule(doc_type: &str) -> Option<DocumentRule> {
    (doc_type == SIGNED_CONTRACT).then(scan_rule)
}

pub use super::{ContractInput, ContractView, MentorAccount};

/// The end of a contract that starts on `starts_on` and runs `months` months: the day before
/// the same date `months` later (24 months from 1 June 2027 end on 31 May 2029).
pub fn contract_end(starts_on: NaiveDate, months: u32) -> NaiveDate {
    (starts_on + Months::new(months))
        .pred_opt()
        .unwrap_or(starts_on)
}

const MANAGERS: [Role; 2] = [Role::TenantAdmin, Role::Coordinator];

async fn view(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    c: &contract::Model,
) -> Result<ContractView> {
    let mentor = user::Entity::find_by_id(c.mentor_id).one(conn).await?;
    let scan = match c.document_id {
        Some(d) => document::Entity::find_by_id(d)
            .one(conn)
            .await?
            .map(|d| doc_view(&d)),
        None => None,
    };
    Ok(ContractView {
        id: c.id,
        application_id: c.application_id,
        mentor_id: c.mentor_id,
        mentor_name: mentor.map(|m| m.full_name).unwrap_or_default(),
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        scan,
        signed_at: c.signed_at.map(|t| ctx.local(t)),
    })
}

/// The contract made for an application, if any (shown on the candidate's page).
pub(crate) async fn of_application(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    application_id: Uuid,
) -> Result<Option<ContractView>> {
    match contract::Entity::find()
        .filter(contract::Column::ApplicationId.eq(application_id))
        .one(conn)
        .await?
    {
        Some(c) => Ok(Some(view(conn, ctx, &c).await?)),
        None => Ok(None),
    }
}

/// The signed-in person's own selection in this organisation: each application they were
/// selected with, and its contract. Anyone may ask about themselves; nobody about others.
pub async fn my_account(db: &DatabaseConnection, ctx: &TenantCtx) -> Result<Vec<MentorAccount>> {
    let txn = ctx.read(db).await?;
    let apps = application::Entity::find()
        .filter(application::Column::TenantId.eq(ctx.tenant_id()))
        .filter(application::Column::ApplicantId.eq(ctx.actor.user_id))
        .filter(
            application::Column::Outcome
                .is_in([Outcome::Selected.as_str(), Outcome::Active.as_str()]),
        )
        .order_by_desc(application::Column::SubmittedAt)
        .all(&txn)
        .await?;
    let mut out = Vec::new();
    for a in apps {
        let p = programme::Entity::find_by_id(a.programme_id)
            .one(&txn)
            .await?
            .ok_or(Error::NotFound)?;
        let names: Texts = serde_json::from_str(&p.names).unwrap_or_default();
        out.push(MentorAccount {
            application_id: a.id,
            programme_name: names.get(ctx.actor.locale).to_string(),
            outcome: Outcome::parse(&a.outcome).unwrap_or(Outcome::Pending),
            contract: of_application(&txn, ctx, a.id).await?,
        });
    }
    txn.commit().await?;
    Ok(out)
}

/// A contract of this tenant that the actor manages (coordinator of its candidate's region).
async fn managed(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<(contract::Model, Candidate)> {
    ctx.require_any(&MANAGERS)?;
    let c = contract::Entity::find_by_id(id)
        .filter(contract::Column::TenantId.eq(ctx.tenant_id()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let cand = service::candidate(conn, ctx, c.application_id, &MANAGERS).await?;
    Ok((c, cand))
}

/// Creates the contract of a selected candidate and opens their contract stage.
pub async fn create_contract(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    application_id: Uuid,
    input: &ContractInput,
) -> Result<ContractView> {
    let txn = ctx.write(db).await?;
    let cand = service::candidate(&txn, ctx, application_id, &MANAGERS).await?;
    let today = crate::recruitment::service::tenant_today(&ctx.tenant);
    let year = chrono::Days::new(366);
    if input.starts_on < today - year || input.starts_on > today + year {
        return Err(Error::invalid("starts_on", "error-contract-start"));
    }
    let stages = service::stages_of(&cand.programme);
    if !stages.contains(&StageKind::Contract) {
        return Err(Error::invalid("stage", "error-stage-not-in-programme"));
    }
    let st = service::stage_statuses(&txn, cand.app.id).await?;
    if Outcome::parse(&cand.app.outcome) != Some(Outcome::Selected) {
        return Err(Error::Conflict("error-contract-not-selected".into()));
    }
    if contract::Entity::find()
        .filter(contract::Column::ApplicationId.eq(cand.app.id))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(Error::Conflict("error-contract-exists".into()));
    }
    if !st.iter().any(|(k, _)| *k == StageKind::Contract) {
        check_can_open(&stages, &st, StageKind::Contract)?;
        service::open_stage(&txn, &cand, StageKind::Contract, Some(ctx.actor.user_id)).await?;
    }
    let months = cand.programme.contract_months.max(1) as u32;
    let c = contract::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id()),
        application_id: Set(cand.app.id),
        mentor_id: Set(cand.app.applicant_id),
        starts_on: Set(input.starts_on),
        ends_on: Set(contract_end(input.starts_on, months)),
        document_id: Set(None),
        signed_at: Set(None),
        created_by: Set(Some(ctx.actor.user_id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    service::refresh_candidate(&txn, &cand).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "contract.created",
        "contract",
        Some(c.id),
        None,
    )
    .await?;
    let out = view(&txn, ctx, &c).await?;
    txn.commit().await?;
    Ok(out)
}

pub async fn get_contract(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<ContractView> {
    let txn = ctx.read(db).await?;
    let (c, _) = managed(&txn, ctx, id).await?;
    let out = view(&txn, ctx, &c).await?;
    txn.commit().await?;
    Ok(out)
}

/// Where the signed scan of an unsigned contract goes (checked before any byte is stored).
pub async fn plan_scan(db: &DatabaseConnection, ctx: &TenantCtx, id: Uuid) -> Result<UploadPlan> {
    let txn = ctx.read(db).await?;
    let (c, _) = managed(&txn, ctx, id).await?;
    txn.commit().await?;
    if c.signed_at.is_some() {
        return Err(Error::Conflict("error-contract-signed".into()));
    }
    Ok(plan_for(
        ctx,
        DocOwner::Application(c.application_id),
        scan_rule(),
        None,
    ))
}

/// Records the stored scan (its verification job queued with it) and links it to the contract.
/// A new scan replaces one that failed its checks.
pub async fn record_scan(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
    plan: &UploadPlan,
    file: &StoredFile,
) -> Result<ContractView> {
    let txn = ctx.write(db).await?;
    let (c, _) = managed(&txn, ctx, id).await?;
    if c.signed_at.is_some() {
        return Err(Error::Conflict("error-contract-signed".into()));
    }
    // The previous scan stops counting against the one-file limit.
    if let Some(old) = c.document_id {
        retire_live(&txn, plan.owner, SIGNED_CONTRACT, Some(old), file).await?;
    }
    let d = insert_document(&txn, ctx, plan, file).await?;
    let mut am = c.into_active_model();
    am.document_id = Set(Some(d.id));
    let c = am.update(&txn).await?;
    let out = view(&txn, ctx, &c).await?;
    txn.commit().await?;
    Ok(out)
}

/// Signs the contract once its scan passed the checks: the contract stage passes, the
/// candidate becomes an active mentor and holds the mentor role.
pub async fn sign_contract(
    db: &DatabaseConnection,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<ContractView> {
    let txn = ctx.write(db).await?;
    let (c, cand) = managed(&txn, ctx, id).await?;
    if c.signed_at.is_some() {
        return Err(Error::Conflict("error-contract-signed".into()));
    }
    let scan = match c.document_id {
        Some(d) => document::Entity::find_by_id(d).one(&txn).await?,
        None => None,
    }
    .ok_or_else(|| Error::Conflict("error-contract-scan-missing".into()))?;
    let checked = matches!(
        DocStatus::parse(&scan.status),
        Some(DocStatus::AutoPassed | DocStatus::Verified)
    );
    if !checked {
        return Err(Error::Conflict("error-contract-scan-unchecked".into()));
    }
    service::pass_stage(&txn, &cand, StageKind::Contract, ctx.actor.user_id).await?;
    super::results::ensure_mentor(&txn, ctx.tenant_id(), c.mentor_id).await?;
    let mut am = c.into_active_model();
    am.signed_at = Set(Some(Utc::now()));
    let c = am.update(&txn).await?;
    audit::record(
        &txn,
        Some(ctx.tenant_id()),
        Some(ctx.actor.user_id),
        "contract.signed",
        "contract",
        Some(c.id),
        None,
    )
    .await?;
    let out = view(&txn, ctx, &c).await?;
    txn.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contract_runs_its_months_to_the_day_before() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(contract_end(d(2027, 6, 1), 24), d(2029, 5, 31));
        assert_eq!(contract_end(d(2028, 2, 29), 12), d(2029, 2, 27));
        assert_eq!(contract_end(d(2027, 1, 31), 1), d(2027, 2, 27));
    }
}
