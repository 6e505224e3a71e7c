//! Demo data for the embedded default: two tenants (a lead foundation and its partner NGO),
//! four staff logins in each and a platform operator. Idempotent: running it again changes
//! nothing. Never called in production mode (the server refuses).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

use crate::accounts::Role;
use crate::accounts::entity::{membership, user};
use crate::accounts::tokens::hash_password;
use crate::db::{self, Scope};
use crate::error::Result;
use crate::tenancy::InstitutionKind;
use crate::tenancy::entity::{institution, region, tenant};

pub const DEMO_PASSWORD: &str = "ustaz-demo";
pub const OPERATOR_EMAIL: &str = "operator@ustaz.demo";
/// The open programme of the demo lead tenant.
pub const DEMO_PROGRAMME: &str = "mentors-2027";
/// Last year's intake of the demo lead tenant, closed; the demo mentor was selected in it.
pub const PAST_PROGRAMME: &str = "mentors-2026";
/// The youth-group programme of the demo lead tenant (the Zhas model), with one group.
pub const GROUP_PROGRAMME: &str = "youth-groups-2026";

struct DemoTenant {
    slug: &'static str,
    name: &'static str,
    locale: &'static str,
    lead: Option<&'static str>,
    region: &'static str,
    institution: (&'static str, InstitutionKind, &'static str),
    /// Where the institution is (micro-degrees), for the distance in suggestions.
    institution_at: (i32, i32),
}

const TENANTS: [DemoTenant; 2] = [
    DemoTenant {
        slug: "almaty-mentors",
        name: "Almaty Mentors Foundation",
        locale: "ru",
        lead: None,
        region: "Алматы",
        institution: ("Детский дом №1", InstitutionKind::Orphanage, "Орбита-3, 27"),
        institution_at: (43_211_000, 76_857_000),
    },
    DemoTenant {
        slug: "karaganda-partner",
        name: "Karaganda Partner NGO",
        locale: "kk",
        lead: Some("almaty-mentors"),
        region: "Қарағанды",
        institution: (
            "Школа-интернат №2",
            InstitutionKind::BoardingSchool,
            "ул. Ерубаева, 10",
        ),
        institution_at: (49_806_000, 73_087_000),
    },
];

const ROLES: [(&str, &str, Role); 6] = [
    ("admin", "Әкімші / Admin", Role::TenantAdmin),
    ("coordinator", "Координатор", Role::Coordinator),
    ("psychologist", "Психолог", Role::Psychologist),
    ("mentor", "Тәлімгер / Mentor", Role::Mentor),
    (
        "committee",
        "Комиссия мүшесі / Committee member",
        Role::CommitteeMember,
    ),
    ("trainer", "Тренер / Trainer", Role::Trainer),
];

/// The demo logins, for the start-up banner and the README.
pub fn demo_logins() -> Vec<String> {
    let mut out = vec![OPERATOR_EMAIL.to_string()];
    for t in &TENANTS {
        for (who, _, _) in ROLES {
            out.push(format!("{who}@{}.demo", t.slug));
        }
    }
    out
}

pub async fn seed_demo(db: &DatabaseConnection) -> Result<()> {
    let txn = db::write(db, Scope::System).await?;
    let phc = hash_password(DEMO_PASSWORD);
    let now = Utc::now();

    let ensure_user = |email: String, name: String, locale: &'static str, operator: bool| {
        let phc = phc.clone();
        let txn = &txn;
        async move {
            if let Some(u) = user::Entity::find()
                .filter(user::Column::Email.eq(&email))
                .one(txn)
                .await?
            {
                return Ok::<_, crate::Error>(u);
            }
            Ok(user::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(email),
                full_name: Set(name),
                locale: Set(locale.to_string()),
                password_hash: Set(Some(phc)),
                is_platform_admin: Set(operator),
                created_at: Set(now),
                email_verified_at: Set(Some(now)),
                ..Default::default()
            }
            .insert(txn)
            .await?)
        }
    };

    ensure_user(
        OPERATOR_EMAIL.into(),
        "Platform Operator".into(),
        "en",
        true,
    )
    .await?;

    for demo in &TENANTS {
        let t = match tenant::Entity::find()
            .filter(tenant::Column::Slug.eq(demo.slug))
            .one(&txn)
            .await?
        {
            Some(t) => t,
            None => {
                let lead_id = match demo.lead {
                    Some(l) => tenant::Entity::find()
                        .filter(tenant::Column::Slug.eq(l))
                        .one(&txn)
                        .await?
                        .map(|t| t.id),
                    None => None,
                };
                tenant::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    slug: Set(demo.slug.into()),
                    name: Set(demo.name.into()),
                    default_locale: Set(demo.locale.into()),
                    time_zone: Set(crate::tenancy::DEFAULT_TIME_ZONE.into()),
                    lead_tenant_id: Set(lead_id),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?
            }
        };
        let region = match region::Entity::find()
            .filter(region::Column::TenantId.eq(t.id))
            .filter(region::Column::Name.eq(demo.region))
            .one(&txn)
            .await?
        {
            Some(r) => r,
            None => {
                region::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(t.id),
                    name: Set(demo.region.into()),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?
            }
        };
        let (iname, ikind, iaddr) = demo.institution;
        let has_institution = institution::Entity::find()
            .filter(institution::Column::TenantId.eq(t.id))
            .filter(institution::Column::Name.eq(iname))
            .count(&txn)
            .await?
            > 0;
        if !has_institution {
            institution::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(t.id),
                region_id: Set(Some(region.id)),
                name: Set(iname.into()),
                kind: Set(ikind.as_str().into()),
                address: Set(Some(iaddr.into())),
                created_at: Set(now),
                lat_e6: Set(Some(demo.institution_at.0)),
                lon_e6: Set(Some(demo.institution_at.1)),
            }
            .insert(&txn)
            .await?;
        }
        for (who, name, role) in ROLES {
            let u = ensure_user(
                format!("{who}@{}.demo", demo.slug),
                name.into(),
                demo.locale,
                false,
            )
            .await?;
            let exists = membership::Entity::find()
                .filter(membership::Column::TenantId.eq(t.id))
                .filter(membership::Column::UserId.eq(u.id))
                .filter(membership::Column::Role.eq(role.as_str()))
                .count(&txn)
                .await?
                > 0;
            if !exists {
                membership::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    user_id: Set(u.id),
                    tenant_id: Set(t.id),
                    role: Set(role.as_str().into()),
                    region_id: Set(role.is_region_scoped().then_some(region.id)),
                    active: Set(true),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?;
            }
        }
    }
    txn.commit().await?;
    seed_programme(db).await?;
    seed_mentoring(db).await?;
    seed_groups(db).await
}

/// The demo programme: the one-to-one mentoring round of `almaty-mentors`, open now, with the
/// eight documents of the Zhas application (seed 003).
async fn seed_programme(db: &DatabaseConnection) -> Result<()> {
    use crate::recruitment::{
        Cadence, DisqualifyingRole, DocumentRule, Eligibility, ProgrammeInput, ProgrammeKind, Texts,
    };
    let admin = user::Entity::find()
        .filter(user::Column::Email.eq("admin@almaty-mentors.demo"))
        .one(db)
        .await?
        .ok_or(crate::Error::NotFound)?;
    let ctx =
        crate::tenancy::context::TenantCtx::resolve(db, &admin.into(), "almaty-mentors").await?;
    if crate::recruitment::service::programme_input(db, &ctx, DEMO_PROGRAMME)
        .await
        .is_ok()
    {
        return Ok(());
    }
    let region = crate::tenancy::service::list_regions(db, &ctx).await?;
    let today = crate::recruitment::service::tenant_today(&ctx.tenant);
    let t = |kk: &str, ru: &str, en: &str| Texts {
        kk: kk.into(),
        ru: ru.into(),
        en: en.into(),
    };
    let pdf_or_scan = || {
        vec![
            "application/pdf".to_string(),
            "image/jpeg".to_string(),
            "image/png".to_string(),
        ]
    };
    let doc = |code: &str, labels: Texts, max_count: u32, validity: Option<u32>, required: bool| {
        DocumentRule {
            doc_type: code.into(),
            labels,
            accepted_types: pdf_or_scan(),
            max_bytes: 10 * 1024 * 1024,
            max_count,
            validity_months: validity,
            required,
        }
    };
    let input = ProgrammeInput {
        slug: DEMO_PROGRAMME.into(),
        names: t(
            "Жеке тәлімгерлік — 2027 іріктеу",
            "Наставничество один на один — набор 2027",
            "One-to-one mentoring — 2027 intake",
        ),
        descriptions: t(
            "Балалар үйінің тәрбиеленушілеріне дос және тірек болатын ересектерді іздейміз. Келісімшарт 24 айға жасалады, кездесулер апта сайын.",
            "Мы ищем взрослых, готовых стать другом и опорой для воспитанников детского дома. Договор на 24 месяца, встречи еженедельно.",
            "We are looking for adults ready to be a friend and a support for a child in care. A 24-month commitment, meeting weekly.",
        ),
        kind: ProgrammeKind::OneToOne,
        region_ids: region.iter().map(|r| r.id).collect(),
        eligibility: Eligibility {
            min_age: 25,
            min_residence_months: 6,
            min_youth_work_years: 5,
            disqualifying_roles: vec![
                DisqualifyingRole::YouthGroupMember,
                DisqualifyingRole::HostHead,
                DisqualifyingRole::HostAccountant,
            ],
            min_days_per_week: 1,
        },
        documents: vec![
            doc(
                "id_card",
                t(
                    "Жеке куәлік көшірмесі",
                    "Копия удостоверения личности",
                    "Copy of the ID card",
                ),
                1,
                None,
                true,
            ),
            doc(
                "education",
                t(
                    "Білімі туралы құжат көшірмесі",
                    "Копия документа об образовании",
                    "Copy of the education certificate",
                ),
                1,
                None,
                true,
            ),
            doc(
                "youth_work",
                t(
                    "Жастармен жұмыс туралы сертификаттар (3-тен көп емес)",
                    "Сертификаты о работе с молодёжью (не более 3)",
                    "Certificates of work with youth (at most 3)",
                ),
                3,
                None,
                true,
            ),
            doc(
                "residence",
                t(
                    "Тұрғылықты жері туралы анықтама",
                    "Справка о месте жительства",
                    "Proof of residence",
                ),
                1,
                Some(3),
                true,
            ),
            doc(
                "police_clearance",
                t(
                    "Соттылығы жоқ екені туралы анықтама",
                    "Справка об отсутствии судимости",
                    "Police clearance certificate",
                ),
                1,
                Some(3),
                true,
            ),
            doc(
                "narcology",
                t(
                    "Наркологиялық диспансерден анықтама",
                    "Справка из наркологического диспансера",
                    "Statement from the drug treatment centre",
                ),
                1,
                Some(6),
                true,
            ),
            doc(
                "psychiatric",
                t(
                    "Психиатриялық диспансерден анықтама",
                    "Справка из психиатрического диспансера",
                    "Statement from the psychiatric unit",
                ),
                1,
                Some(6),
                true,
            ),
            doc(
                "recommendation",
                t(
                    "Ұсыным хат",
                    "Рекомендательное письмо",
                    "Letter of recommendation",
                ),
                2,
                None,
                true,
            ),
        ],
        opens_on: today - chrono::Days::new(30),
        closes_on: today + chrono::Days::new(60),
        results_on: today + chrono::Days::new(85),
        contract_months: 24,
        meeting_cadence: Cadence::Weekly,
        stages: crate::selection::DEFAULT_STAGES.to_vec(),
        // One committee member in the demo: a quorum of one keeps the pipeline walkable.
        committee: crate::selection::CommitteeRule {
            majority: crate::selection::MajorityRule::SimpleMajority,
            quorum: 1,
        },
        open_next_stage: false,
        reminders: Default::default(),
    };
    crate::recruitment::service::create_programme(db, &ctx, &input).await?;
    Ok(())
}

/// The demo's mentoring: last year's intake (closed, results announced), in which the demo
/// mentor was selected and signed a 24-month contract, and two children waiting for a mentor,
/// so matching can be tried at once.
async fn seed_mentoring(db: &DatabaseConnection) -> Result<()> {
    use crate::matching::{ChildInput, ConsentBy, ConsentInput, Gender, MentorProfileInput};
    use crate::recruitment::entity::{application, programme};
    use crate::recruitment::service::{programme_input, tenant_today};
    use crate::selection::entity::contract;
    use sea_orm::IntoActiveModel;
    let admin = user::Entity::find()
        .filter(user::Column::Email.eq("admin@almaty-mentors.demo"))
        .one(db)
        .await?
        .ok_or(crate::Error::NotFound)?;
    let ctx =
        crate::tenancy::context::TenantCtx::resolve(db, &admin.into(), "almaty-mentors").await?;
    if programme_input(db, &ctx, PAST_PROGRAMME).await.is_ok() {
        return Ok(());
    }
    let today = tenant_today(&ctx.tenant);
    let mut input = programme_input(db, &ctx, DEMO_PROGRAMME).await?;
    input.slug = PAST_PROGRAMME.into();
    input.names = crate::recruitment::Texts {
        kk: "Жеке тәлімгерлік — 2026 іріктеу".into(),
        ru: "Наставничество один на один — набор 2026".into(),
        en: "One-to-one mentoring — 2026 intake".into(),
    };
    input.opens_on = today - chrono::Days::new(400);
    input.closes_on = today - chrono::Days::new(340);
    input.results_on = today - chrono::Days::new(300);
    let view = crate::recruitment::service::create_programme(db, &ctx, &input).await?;
    let mentor = user::Entity::find()
        .filter(user::Column::Email.eq("mentor@almaty-mentors.demo"))
        .one(db)
        .await?
        .ok_or(crate::Error::NotFound)?;
    let region = crate::tenancy::service::list_regions(db, &ctx)
        .await?
        .into_iter()
        .next()
        .ok_or(crate::Error::NotFound)?;
    let txn = db::write(db, Scope::System).await?;
    let now = Utc::now();
    let mut p = programme::Entity::find_by_id(view.id)
        .one(&txn)
        .await?
        .ok_or(crate::Error::NotFound)?
        .into_active_model();
    p.results_announced_at = Set(Some(now - chrono::Duration::days(300)));
    p.update(&txn).await?;
    let answers = crate::recruitment::Answers {
        eligibility: crate::recruitment::EligibilityAnswers {
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1990, 3, 14).expect("a date"),
            region_id: region.id,
            residence_months: 120,
            youth_work_years: 6,
            roles: vec![],
            days_per_week: 2,
        },
        profile: crate::recruitment::Profile {
            phone: "+7 701 000 00 00".into(),
            occupation: "Учитель музыки".into(),
            experience: "Шесть лет веду кружок в доме культуры.".into(),
            motivation: "Хочу быть рядом с ребёнком, которому нужен взрослый друг.".into(),
            languages: vec!["kk".into(), "ru".into()],
        },
    };
    let submitted = now - chrono::Duration::days(360);
    let app = application::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id()),
        programme_id: Set(view.id),
        applicant_id: Set(mentor.id),
        region_id: Set(Some(region.id)),
        status: Set(crate::recruitment::ApplicationStatus::Submitted
            .as_str()
            .into()),
        answers: Set(serde_json::to_string(&answers).expect("serialises")),
        created_at: Set(submitted),
        updated_at: Set(submitted),
        submitted_at: Set(Some(submitted)),
        stage: Set(Some(crate::selection::StageKind::Contract.as_str().into())),
        stage_status: Set(Some(crate::selection::StageStatus::Passed.as_str().into())),
        outcome: Set(crate::selection::Outcome::Active.as_str().into()),
    }
    .insert(&txn)
    .await?;
    let starts = today - chrono::Days::new(280);
    contract::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(ctx.tenant_id()),
        application_id: Set(app.id),
        mentor_id: Set(mentor.id),
        starts_on: Set(starts),
        ends_on: Set(crate::selection::contracts::contract_end(starts, 24)),
        document_id: Set(None),
        signed_at: Set(Some(now - chrono::Duration::days(281))),
        created_by: Set(None),
        created_at: Set(now - chrono::Duration::days(285)),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let mentor_ctx =
        crate::tenancy::context::TenantCtx::resolve(db, &mentor.into(), "almaty-mentors").await?;
    crate::matching::pairs::set_mentor_profile(
        db,
        &mentor_ctx,
        mentor_ctx.actor.user_id,
        &MentorProfileInput {
            gender: Some(Gender::Female),
            interests: vec!["музыка".into(), "рисование".into(), "футбол".into()],
            home_at: Some(crate::matching::GeoPoint {
                lat: 43.238,
                lon: 76.889,
            }),
            capacity: None,
        },
    )
    .await?;
    let institution = crate::tenancy::service::list_institutions(db, &ctx)
        .await?
        .into_iter()
        .next()
        .map(|i| i.id);
    for (name, initial, born, gender, interests) in [
        (
            "Алия",
            "К",
            (2014, 5, 2),
            Gender::Female,
            ["музыка", "рисование"],
        ),
        (
            "Ерлан",
            "Б",
            (2012, 9, 17),
            Gender::Male,
            ["футбол", "шахматы"],
        ),
    ] {
        let child = ChildInput {
            first_name: name.into(),
            last_initial: initial.into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(born.0, born.1, born.2).expect("a date"),
            gender,
            region_id: Some(region.id),
            institution_id: institution,
            languages: vec!["kk".into(), "ru".into()],
            interests: interests.iter().map(|i| i.to_string()).collect(),
            needs: None,
            preferred_mentor_gender: None,
            consent: ConsentInput {
                by: ConsentBy::Institution,
                name: "Директор детского дома №1".into(),
                given_on: today - chrono::Days::new(30),
            },
        };
        crate::matching::service::register_child(db, &ctx, &child).await?;
    }
    Ok(())
}

/// The demo's youth groups: a group programme (monthly sessions) with one group in Almaty,
/// six members, the demo mentor assigned, and its last session 35 days ago, so the group shows
/// as overdue until the mentor logs this month's.
async fn seed_groups(db: &DatabaseConnection) -> Result<()> {
    use crate::matching::groups::{GroupInput, GroupMemberInput, GroupMentorInput};
    use crate::recruitment::service::{programme_input, tenant_today};
    use crate::recruitment::{Cadence, ProgrammeKind};
    let admin = user::Entity::find()
        .filter(user::Column::Email.eq("admin@almaty-mentors.demo"))
        .one(db)
        .await?
        .ok_or(crate::Error::NotFound)?;
    let ctx =
        crate::tenancy::context::TenantCtx::resolve(db, &admin.into(), "almaty-mentors").await?;
    if programme_input(db, &ctx, GROUP_PROGRAMME).await.is_ok() {
        return Ok(());
    }
    let today = tenant_today(&ctx.tenant);
    let mut input = programme_input(db, &ctx, DEMO_PROGRAMME).await?;
    input.slug = GROUP_PROGRAMME.into();
    input.kind = ProgrammeKind::Group;
    input.meeting_cadence = Cadence::Monthly;
    input.contract_months = 12;
    input.names = crate::recruitment::Texts {
        kk: "Жастар топтары — 2026".into(),
        ru: "Молодёжные группы — 2026".into(),
        en: "Youth groups — 2026".into(),
    };
    input.opens_on = today - chrono::Days::new(300);
    input.closes_on = today - chrono::Days::new(270);
    input.results_on = today - chrono::Days::new(250);
    let programme = crate::recruitment::service::create_programme(db, &ctx, &input).await?;
    let region = input.region_ids[0];
    let group = crate::matching::groups::service::create_group(
        db,
        &ctx,
        &GroupInput {
            programme_id: programme.id,
            region_id: region,
            name: "Жас көшбасшылар".into(),
            host_organisation: "Школа-гимназия №12, Алматы".into(),
            project: "Экологический проект: озеленение школьного двора".into(),
            started_on: Some(today - chrono::Days::new(90)),
        },
    )
    .await?;
    for (name, initial, born) in [
        ("Дана", "С", (2009, 4, 11)),
        ("Нурлан", "А", (2008, 12, 2)),
        ("Айгерим", "Т", (2010, 2, 19)),
        ("Тимур", "Е", (2009, 7, 30)),
        ("Мадина", "Ж", (2008, 10, 5)),
        ("Арман", "К", (2010, 6, 14)),
    ] {
        crate::matching::groups::service::add_group_member(
            db,
            &ctx,
            group.id,
            &GroupMemberInput {
                first_name: name.into(),
                last_initial: initial.into(),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(born.0, born.1, born.2)
                    .expect("a date"),
            },
        )
        .await?;
    }
    let mentor = user::Entity::find()
        .filter(user::Column::Email.eq("mentor@almaty-mentors.demo"))
        .one(db)
        .await?
        .ok_or(crate::Error::NotFound)?;
    crate::matching::groups::service::assign_group_mentor(
        db,
        &ctx,
        group.id,
        &GroupMentorInput {
            mentor_id: mentor.id,
        },
    )
    .await?;
    // A session in an earlier month (35 days back is always another month), logged by the
    // mentor as the portal would.
    let mentor_ctx =
        crate::tenancy::context::TenantCtx::resolve(db, &mentor.into(), "almaty-mentors").await?;
    crate::support::sessions::log_group_session(
        db,
        &mentor_ctx,
        group.id,
        &crate::support::GroupSessionInput {
            held_on: today - chrono::Days::new(35),
            minutes: 90,
            attendees: 5,
            topic: "Планирование субботника, распределение ролей".into(),
            agreements: "Каждый приносит саженец; Дана ведёт список.".into(),
            next_steps: "Согласовать дату с директором школы.".into(),
        },
    )
    .await?;
    Ok(())
}
