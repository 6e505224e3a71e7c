//! Matching and support in the portal: the waiting list and a child's record with ranked
//! suggestions, proposals and the psychologist's decision; pairs with where each stands against
//! its cadence; a pair's page where the mentor logs meetings and staff close the pair, grant
//! guest visits or anyone raises a concern; the mentor's acknowledgement of the rules.
//!
//! Plain HTML forms posting to server functions that redirect back, like every page here; the
//! rules are in `domain::matching` and `domain::support`.

// A server function takes one argument per form field, so the forms post plain HTML.
#![allow(clippy::too_many_arguments)]

pub mod groups;
mod pages;

pub use groups::{GroupPage, GroupsPage};
pub use pages::{
    ChildPage, ChildrenPage, ConcernsPage, ConsultationsPage, PairPage, PairsPage, ProfilePage,
    standing_badge,
};

use domain::matching::{
    ChildView, MatchView, MentorProfileView, PairView, Suggestion, WaitingChild,
};
use domain::support::{ConcernView, ConsultationView, MeetingView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::errors::AppError;

#[cfg(feature = "ssr")]
use crate::forms::{optional, parse};

/// A value of one of the domain's string enums, or the field's error.
#[cfg(feature = "ssr")]
fn one_of<T>(field: &str, raw: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, AppError> {
    parse(raw.trim())
        .ok_or_else(|| AppError::Domain(domain::Error::invalid(field, "error-choice-invalid")))
}

// ---------------------------------------------------------------- children

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildrenData {
    pub waiting: Vec<WaitingChild>,
    /// Coordinators and admins register children.
    pub can_register: bool,
    pub regions: Vec<(Uuid, String)>,
    pub institutions: Vec<(Uuid, String)>,
}

#[server(endpoint = "children_page")]
pub async fn children_page(slug: String) -> Result<ChildrenData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::accounts::Role;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let waiting = domain::matching::service::list_waiting_children(db, &ctx).await?;
    let can_register = ctx.has(Role::TenantAdmin) || ctx.has(Role::Coordinator);
    let regions = domain::tenancy::service::list_regions(db, &ctx)
        .await?
        .into_iter()
        .filter(|r| ctx.covers_region(&[Role::TenantAdmin, Role::Coordinator], Some(r.id)))
        .map(|r| (r.id, r.name))
        .collect();
    let institutions = domain::tenancy::service::list_institutions(db, &ctx)
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    Ok(ChildrenData {
        waiting,
        can_register,
        regions,
        institutions,
    })
}

/// Registers a child from the form: languages are ticked boxes (`languages[i]`), interests
/// one text separated by commas.
#[server(endpoint = "register_child_form")]
pub async fn register_child_form(
    csrf: String,
    slug: String,
    first_name: String,
    last_initial: String,
    date_of_birth: String,
    gender: String,
    region: String,
    institution: String,
    languages: Option<Vec<String>>,
    interests: String,
    needs: String,
    preferred_mentor_gender: String,
    consent_by: String,
    consent_name: String,
    consent_on: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    use domain::matching::{ChildInput, ConsentBy, ConsentInput, Gender};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = ChildInput {
        first_name,
        last_initial,
        date_of_birth: parse("date_of_birth", &date_of_birth, "error-child-birth-date")?,
        gender: one_of("gender", &gender, Gender::parse)?,
        region_id: optional("region_id", &region, "error-child-region")?,
        institution_id: optional("institution_id", &institution, "error-institution-unknown")?,
        languages: languages.unwrap_or_default(),
        interests: interests.split(',').map(str::to_string).collect(),
        needs: Some(needs),
        preferred_mentor_gender: if preferred_mentor_gender.trim().is_empty() {
            None
        } else {
            Some(one_of(
                "preferred_mentor_gender",
                &preferred_mentor_gender,
                Gender::parse,
            )?)
        },
        consent: ConsentInput {
            by: one_of("consent.by", &consent_by, ConsentBy::parse)?,
            name: consent_name,
            given_on: parse("consent.given_on", &consent_on, "error-consent-date")?,
        },
    };
    let child = domain::matching::service::register_child(&state().db, &ctx, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/children/{}?registered=1", child.id));
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildPageData {
    pub child: ChildView,
    /// Ranked mentors while the child waits.
    pub suggestions: Vec<Suggestion>,
    pub matches: Vec<MatchView>,
    pub can_propose: bool,
    pub can_decide: bool,
    pub is_admin: bool,
    /// Coordinators and admins attach the signed consent.
    pub can_register: bool,
    /// Admins: the latest entries of the record's audit log (who saw or changed what).
    pub audit: Vec<AuditLine>,
}

/// One entry of a record's audit log as the page shows it: when, in the organisation's time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLine {
    pub when: String,
    pub who: Option<String>,
    pub action: String,
}

/// How many of the latest audit entries the child's page shows (the API pages through all).
pub const CHILD_AUDIT_SHOWN: u64 = 20;

#[server(endpoint = "child_page")]
pub async fn child_page(slug: String, id: Uuid) -> Result<ChildPageData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::accounts::Role;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let child = domain::matching::service::get_child(db, &ctx, id).await?;
    let suggestions = if child.status == domain::matching::service::WAITING {
        domain::matching::pairs::suggest_mentors(db, &ctx, id).await?
    } else {
        Vec::new()
    };
    let matches = domain::matching::pairs::child_matches(db, &ctx, id).await?;
    let audit = if ctx.has(Role::TenantAdmin) {
        let zone = domain::recruitment::service::tz_of(&ctx.tenant);
        domain::matching::service::child_audit(db, &ctx, id, Some(CHILD_AUDIT_SHOWN), None)
            .await?
            .events
            .into_iter()
            .map(|e| AuditLine {
                when: e
                    .at
                    .with_timezone(&zone)
                    .format("%d.%m.%Y %H:%M")
                    .to_string(),
                who: e.actor_name,
                action: e.action,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ChildPageData {
        audit,
        child,
        suggestions,
        matches,
        can_propose: ctx.has(Role::TenantAdmin) || ctx.has(Role::Coordinator),
        can_register: ctx.has(Role::TenantAdmin) || ctx.has(Role::Coordinator),
        can_decide: ctx.has(Role::Psychologist),
        is_admin: ctx.has(Role::TenantAdmin),
    })
}

#[server(endpoint = "propose_match_form")]
pub async fn propose_match_form(
    csrf: String,
    slug: String,
    child: Uuid,
    mentor: Uuid,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = domain::matching::MatchProposal {
        child_id: child,
        mentor_id: mentor,
    };
    domain::matching::pairs::propose_match(&state().db, &ctx, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/children/{child}?proposed=1"));
    Ok(())
}

#[server(endpoint = "decide_match_form")]
pub async fn decide_match_form(
    csrf: String,
    slug: String,
    child: Uuid,
    id: Uuid,
    decision: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    use domain::matching::MatchDecision;
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let decision = one_of("decision", &decision, |d| match d {
        "approved" => Some(MatchDecision::Approved),
        "declined" => Some(MatchDecision::Declined),
        _ => None,
    })?;
    let input = domain::matching::MatchDecisionInput { decision, reason };
    domain::matching::pairs::decide_match(&state().db, &ctx, id, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/children/{child}?decided=1"));
    Ok(())
}

/// Erases a child and everything held about them (admins), once the box is ticked.
#[server(endpoint = "erase_child_form")]
pub async fn erase_child_form(
    csrf: String,
    slug: String,
    id: Uuid,
    confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    ctx.require_admin()?;
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::Domain(domain::Error::invalid(
            "confirm",
            "error-erase-confirm",
        )));
    }
    domain::matching::service::erase_child(&state().db, &ctx, id).await?;
    leptos_axum::redirect(&format!("/t/{slug}/children?erased=1"));
    Ok(())
}

// ---------------------------------------------------------------- pairs

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairsData {
    pub pairs: Vec<PairView>,
    /// Staff see their region's pairs; otherwise these are the mentor's own.
    pub is_staff: bool,
    /// The mentor's profile (with the rules acknowledgement), for mentors.
    pub profile: Option<MentorProfileView>,
    /// The mentors coordinators and admins follow, with mentees and capacity (empty for
    /// others).
    pub mentors: Vec<domain::matching::MentorForMatching>,
}

#[server(endpoint = "pairs_page")]
pub async fn pairs_page(slug: String) -> Result<PairsData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::accounts::Role;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let pairs = domain::matching::pairs::list_pairs(db, &ctx).await?;
    let is_staff = domain::matching::pairs::FOLLOWERS
        .iter()
        .any(|r| ctx.has(*r));
    let profile = if ctx.has(Role::Mentor) {
        Some(domain::matching::pairs::get_mentor_profile(db, &ctx, ctx.actor.user_id).await?)
    } else {
        None
    };
    let mentors = if domain::matching::pairs::MANAGERS
        .iter()
        .any(|r| ctx.has(*r))
    {
        domain::matching::pairs::list_mentors(db, &ctx).await?
    } else {
        Vec::new()
    };
    // A mentor's own mentees stay on their phone; the whole programme's pairs do not.
    if profile.is_some() && !is_staff {
        crate::offline::keep_offline();
    }
    Ok(PairsData {
        pairs,
        is_staff,
        profile,
        mentors,
    })
}

/// Staff change a mentor's capacity from the pairs page.
#[server(endpoint = "mentor_capacity_form")]
pub async fn mentor_capacity_form(
    csrf: String,
    slug: String,
    mentor: Uuid,
    capacity: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let capacity = parse("capacity", &capacity, "error-capacity-range")?;
    domain::matching::pairs::set_mentor_capacity(&state().db, &ctx, mentor, capacity).await?;
    leptos_axum::redirect(&format!("/t/{slug}/pairs?capacity=1"));
    Ok(())
}

#[server(endpoint = "acknowledge_rules_form")]
pub async fn acknowledge_rules_form(csrf: String, slug: String) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    domain::matching::pairs::acknowledge_rules(&state().db, &ctx).await?;
    leptos_axum::redirect(&format!("/t/{slug}/profile?acknowledged=1"));
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairPageData {
    pub pair: PairView,
    pub meetings: Vec<MeetingView>,
    /// The pair's mentor logs meetings while the pair is active.
    pub can_log: bool,
    /// Coordinators and admins close pairs and grant guest visits.
    pub can_manage: bool,
    /// Staff (not the mentor) download the pair's files.
    pub is_staff: bool,
}

#[server(endpoint = "pair_page")]
pub async fn pair_page(slug: String, id: Uuid) -> Result<PairPageData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::accounts::Role;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let pair = domain::matching::pairs::get_pair(db, &ctx, id).await?;
    let meetings = domain::support::service::list_meetings(db, &ctx, id).await?;
    let active = pair.status == domain::matching::pairs::ACTIVE;
    if pair.mentor_id == ctx.actor.user_id {
        crate::offline::keep_offline();
    }
    Ok(PairPageData {
        can_log: active && pair.mentor_id == ctx.actor.user_id,
        can_manage: active && (ctx.has(Role::TenantAdmin) || ctx.has(Role::Coordinator)),
        is_staff: ctx.has_any(&domain::matching::pairs::FOLLOWERS),
        pair,
        meetings,
    })
}

/// A protocol from the form's fields.
#[cfg(feature = "ssr")]
fn meeting_input(
    pair: Uuid,
    held_on: &str,
    minutes: &str,
    format: &str,
    issues: String,
    agreements: String,
    mood: &str,
    next_steps: String,
) -> Result<domain::support::MeetingInput, AppError> {
    use domain::support::{MeetingFormat, Mood};
    Ok(domain::support::MeetingInput {
        pair_id: pair,
        held_on: parse("held_on", held_on, "error-date-invalid")?,
        minutes: parse("minutes", minutes, "error-meeting-minutes")?,
        format: one_of("format", format, MeetingFormat::parse)?,
        issues,
        agreements,
        mood: one_of("mood", mood, Mood::parse)?,
        next_steps,
    })
}

#[server(endpoint = "log_meeting_form")]
pub async fn log_meeting_form(
    csrf: String,
    slug: String,
    pair: Uuid,
    held_on: String,
    minutes: String,
    format: String,
    issues: String,
    agreements: String,
    mood: String,
    next_steps: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = meeting_input(
        pair, &held_on, &minutes, &format, issues, agreements, &mood, next_steps,
    )?;
    let meeting = domain::support::service::log_meeting(&state().db, &ctx, &input).await?;
    // The page then offers a photo of this meeting first (`photo`), one tap away.
    leptos_axum::redirect(&format!(
        "/t/{slug}/pairs/{pair}?logged=1&photo={}",
        meeting.id
    ));
    Ok(())
}

/// The mentor corrects a protocol while it is open (the domain refuses a locked one).
#[server(endpoint = "update_meeting_form")]
pub async fn update_meeting_form(
    csrf: String,
    slug: String,
    pair: Uuid,
    id: Uuid,
    held_on: String,
    minutes: String,
    format: String,
    issues: String,
    agreements: String,
    mood: String,
    next_steps: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = meeting_input(
        pair, &held_on, &minutes, &format, issues, agreements, &mood, next_steps,
    )?;
    domain::support::service::update_meeting(&state().db, &ctx, id, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/pairs/{pair}?corrected=1"));
    Ok(())
}

/// The mentor withdraws their own protocol while it is open (one logged twice, or for the
/// wrong day), once the box is ticked.
#[server(endpoint = "delete_meeting_form")]
pub async fn delete_meeting_form(
    csrf: String,
    slug: String,
    pair: Uuid,
    id: Uuid,
    confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    ctx.require_any(&[domain::accounts::Role::Mentor])?;
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::Domain(domain::Error::invalid(
            "confirm",
            "error-meeting-delete-confirm",
        )));
    }
    domain::support::service::delete_meeting(&state().db, &ctx, id).await?;
    leptos_axum::redirect(&format!("/t/{slug}/pairs/{pair}?deleted=1"));
    Ok(())
}

#[server(endpoint = "close_pair_form")]
pub async fn close_pair_form(
    csrf: String,
    slug: String,
    pair: Uuid,
    reason: String,
    note: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    use domain::matching::{ClosePairInput, CloseReason};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = ClosePairInput {
        reason: one_of("reason", &reason, CloseReason::parse)?,
        note,
    };
    domain::matching::pairs::close_pair(&state().db, &ctx, pair, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/pairs/{pair}?closed=1"));
    Ok(())
}

#[server(endpoint = "guest_visits_form")]
pub async fn guest_visits_form(
    csrf: String,
    slug: String,
    pair: Uuid,
    from_on: String,
    until_on: String,
    note: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = domain::matching::GuestVisitsInput {
        from_on: parse("from_on", &from_on, "error-date-invalid")?,
        until_on: parse("until_on", &until_on, "error-date-invalid")?,
        note,
    };
    domain::matching::pairs::grant_guest_visits(&state().db, &ctx, pair, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/pairs/{pair}?granted=1"));
    Ok(())
}

#[server(endpoint = "raise_concern_form")]
pub async fn raise_concern_form(
    csrf: String,
    slug: String,
    pair: Uuid,
    severity: String,
    summary: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    use domain::support::{ConcernInput, Severity};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = ConcernInput {
        child_id: None,
        pair_id: Some(pair),
        severity: one_of("severity", &severity, Severity::parse)?,
        summary,
    };
    domain::support::service::raise_concern(&state().db, &ctx, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/pairs/{pair}?concern=1"));
    Ok(())
}

/// The mentor states what the ranking knows about them: gender, interests, where they live.
#[server(endpoint = "mentor_profile_form")]
pub async fn mentor_profile_form(
    csrf: String,
    slug: String,
    gender: String,
    interests: String,
    lat: String,
    lon: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    use domain::matching::{Gender, GeoPoint, MentorProfileInput};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let home_at = match (
        optional::<f64>("home_at", &lat, "error-home-location")?,
        optional::<f64>("home_at", &lon, "error-home-location")?,
    ) {
        (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
        (None, None) => None,
        _ => {
            return Err(AppError::Domain(domain::Error::invalid(
                "home_at",
                "error-home-location",
            )));
        }
    };
    let input = MentorProfileInput {
        gender: if gender.trim().is_empty() {
            None
        } else {
            Some(one_of("gender", &gender, Gender::parse)?)
        },
        interests: interests.split(',').map(str::to_string).collect(),
        home_at,
        capacity: None,
    };
    let me = ctx.actor.user_id;
    domain::matching::pairs::set_mentor_profile(&state().db, &ctx, me, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/profile?profile=1"));
    Ok(())
}

// ---------------------------------------------------------------- concerns and consultations

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConcernsData {
    pub concerns: Vec<ConcernView>,
    /// Staff of the region record actions and resolve.
    pub can_act: bool,
}

#[server(endpoint = "concerns_page")]
pub async fn concerns_page(slug: String) -> Result<ConcernsData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let concerns = domain::support::service::list_concerns(&state().db, &ctx).await?;
    Ok(ConcernsData {
        concerns,
        can_act: domain::matching::pairs::FOLLOWERS
            .iter()
            .any(|r| ctx.has(*r)),
    })
}

#[server(endpoint = "concern_action_form")]
pub async fn concern_action_form(
    csrf: String,
    slug: String,
    id: Uuid,
    action: String,
    resolve: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = domain::support::ConcernActionInput {
        action,
        resolve: resolve.as_deref() == Some("yes"),
    };
    domain::support::service::act_on_concern(&state().db, &ctx, id, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/concerns?acted=1"));
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsultationsData {
    pub consultations: Vec<ConsultationView>,
    /// Who a consultation may be with, for the form's choice: the region's active pairs, their
    /// mentors, and children (in a pair or waiting).
    pub pairs: Vec<(Uuid, String)>,
    pub mentors: Vec<(Uuid, String)>,
    pub children: Vec<(Uuid, String)>,
}

#[server(endpoint = "consultations_page")]
pub async fn consultations_page(slug: String) -> Result<ConsultationsData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let consultations = domain::support::service::list_consultations(db, &ctx).await?;
    let active: Vec<_> = domain::matching::pairs::list_pairs(db, &ctx)
        .await?
        .into_iter()
        .filter(|p| p.status == domain::matching::pairs::ACTIVE)
        .collect();
    let pairs = active
        .iter()
        .map(|p| (p.id, format!("{} · {}", p.child_name, p.mentor_name)))
        .collect();
    let mut mentors: Vec<(Uuid, String)> = active
        .iter()
        .map(|p| (p.mentor_id, p.mentor_name.clone()))
        .collect();
    mentors.sort_by(|a, b| a.1.cmp(&b.1));
    mentors.dedup();
    let mut children: Vec<(Uuid, String)> = active
        .iter()
        .map(|p| (p.child_id, p.child_name.clone()))
        .chain(
            domain::matching::service::list_waiting_children(db, &ctx)
                .await?
                .into_iter()
                .map(|c| (c.id, c.name)),
        )
        .collect();
    children.sort_by(|a, b| a.1.cmp(&b.1));
    children.dedup();
    Ok(ConsultationsData {
        consultations,
        pairs,
        mentors,
        children,
    })
}

#[server(endpoint = "record_consultation_form")]
pub async fn record_consultation_form(
    csrf: String,
    slug: String,
    subject: String,
    scheduled_at: String,
    held: Option<String>,
    notes: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    // A `datetime-local` field: the organisation's wall-clock time.
    let local = chrono::NaiveDateTime::parse_from_str(scheduled_at.trim(), "%Y-%m-%dT%H:%M")
        .map_err(|_| {
            AppError::Domain(domain::Error::invalid("scheduled_at", "error-date-invalid"))
        })?;
    let scheduled_at = domain::recruitment::service::tenant_local_to_utc(&ctx.tenant, local)
        .ok_or_else(|| {
            AppError::Domain(domain::Error::invalid("scheduled_at", "error-date-invalid"))
        })?;
    // `pair:<id>`, `mentor:<id>` or `child:<id>`: whom the consultation is with.
    let (kind, id) = subject.split_once(':').unwrap_or(("", ""));
    let id = optional("subject", id, "error-consultation-subject")?;
    let pick = |k: &str| if kind == k { id } else { None };
    let input = domain::support::ConsultationInput {
        mentor_id: pick("mentor"),
        child_id: pick("child"),
        pair_id: pick("pair"),
        scheduled_at,
        held: held.as_deref() == Some("yes"),
        notes,
    };
    domain::support::service::record_consultation(&state().db, &ctx, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/consultations?recorded=1"));
    Ok(())
}
