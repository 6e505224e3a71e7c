//! The refusal table: every API operation, page and server function of the portal, with who
//! may use it. The tests enumerate the routes the server really has (the OpenAPI document, the
//! Leptos route list, the registered server functions) and fail when one is missing from the
//! table, so a new route cannot ship without its tenant and role checks being proven here.
//!
//! For each tenant-scoped route: an admin of the *other* tenant gets 404 (the tenant's
//! existence is not even confirmed) and a lower role of the same tenant gets 403.

use serde_json::{Value, json};
use ustaz_tests::TestApp;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Who {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in person.
    SignedIn,
    /// The platform operator only.
    Operator,
    /// Members of the tenant; `lower` names a member role refused with 403, if any.
    Tenant { lower: Option<&'static str> },
}

const ALMATY_MENTOR: &str = "mentor@almaty-mentors.demo";
const ALMATY_TRAINER: &str = "trainer@almaty-mentors.demo";
const ALMATY_COORDINATOR: &str = "coordinator@almaty-mentors.demo";
/// An id nothing has: refusals must come before any lookup.
const PROBE_ID: &str = "00000000-0000-7000-8000-000000000001";
const OTHER_TENANT_ADMIN: &str = "admin@karaganda-partner.demo";

/// API operations: (method, path, who, a valid body for writes).
pub(crate) fn api_table() -> Vec<(&'static str, &'static str, Who, Option<Value>)> {
    let admin_only = Who::Tenant {
        lower: Some(ALMATY_MENTOR),
    };
    let staff_only = Who::Tenant {
        lower: Some(ALMATY_MENTOR),
    };
    // Mentors may use these about themselves; a trainer is refused.
    let not_trainer = Who::Tenant {
        lower: Some(ALMATY_TRAINER),
    };
    let psychologists_only = Who::Tenant {
        lower: Some(ALMATY_COORDINATOR),
    };
    // A meeting protocol that would be valid for a pair the probe does not have.
    let meeting = json!({"pair_id": PROBE_ID, "held_on": "2026-11-01", "minutes": 60,
                         "format": "visit", "mood": "good"});
    vec![
        ("post", "/api/v1/auth/login", Who::Public, None),
        ("post", "/api/v1/auth/password-reset", Who::Public, None),
        (
            "post",
            "/api/v1/auth/password-reset/confirm",
            Who::Public,
            None,
        ),
        ("post", "/api/v1/auth/accept-invitation", Who::Public, None),
        ("get", "/api/v1/me", Who::SignedIn, None),
        // A person's own tokens: another's id is 404 (tests in `accounts`).
        ("get", "/api/v1/me/tokens", Who::SignedIn, None),
        ("delete", "/api/v1/me/tokens/{id}", Who::SignedIn, None),
        (
            "post",
            "/api/v1/auth/verify-email/resend",
            Who::Public,
            None,
        ),
        // Each member's own reminder switches: any role; strangers refused.
        (
            "get",
            "/api/v1/t/{tenant}/me/notifications",
            Who::Tenant { lower: None },
            None,
        ),
        (
            "put",
            "/api/v1/t/{tenant}/me/notifications",
            Who::Tenant { lower: None },
            Some(json!({"topics": [{"topic": "reports", "enabled": false}]})),
        ),
        // The token in the link is the proof (tests in `reminders`).
        ("post", "/api/v1/unsubscribe", Who::Public, None),
        ("get", "/api/v1/t/{tenant}/users", admin_only, None),
        (
            "patch",
            "/api/v1/t/{tenant}/memberships/{id}",
            admin_only,
            Some(json!({"active": true})),
        ),
        ("get", "/api/v1/t/{tenant}/invitations", admin_only, None),
        (
            "post",
            "/api/v1/t/{tenant}/invitations",
            admin_only,
            Some(json!({"email": "probe@example.kz", "role": "trainer"})),
        ),
        (
            "delete",
            "/api/v1/t/{tenant}/invitations/{id}",
            admin_only,
            None,
        ),
        ("get", "/api/v1/t/{tenant}/regions", staff_only, None),
        (
            "post",
            "/api/v1/t/{tenant}/regions",
            admin_only,
            Some(json!({"name": "Probe"})),
        ),
        (
            "patch",
            "/api/v1/t/{tenant}/regions/{id}",
            admin_only,
            Some(json!({"name": "Probe"})),
        ),
        (
            "delete",
            "/api/v1/t/{tenant}/regions/{id}",
            admin_only,
            None,
        ),
        ("get", "/api/v1/t/{tenant}/institutions", staff_only, None),
        (
            "post",
            "/api/v1/t/{tenant}/institutions",
            admin_only,
            Some(json!({"name": "Probe", "kind": "other"})),
        ),
        ("post", "/api/v1/auth/register", Who::Public, None),
        ("post", "/api/v1/auth/verify-email", Who::Public, None),
        ("get", "/api/v1/t/{tenant}/programmes", Who::Public, None),
        (
            "post",
            "/api/v1/t/{tenant}/programmes",
            admin_only,
            Some(programme_body("probe-programme")),
        ),
        (
            "get",
            "/api/v1/t/{tenant}/programmes/{programme}",
            Who::Public,
            None,
        ),
        (
            "put",
            "/api/v1/t/{tenant}/programmes/{programme}",
            admin_only,
            Some(programme_body("mentors-2027")),
        ),
        (
            "post",
            "/api/v1/t/{tenant}/programmes/{programme}/eligibility",
            Who::Public,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/programmes/{programme}/applications",
            Who::SignedIn,
            None,
        ),
        ("get", "/api/v1/t/{tenant}/applications", staff_only, None),
        (
            "get",
            "/api/v1/t/{tenant}/applications/{id}",
            staff_only,
            None,
        ),
        (
            "put",
            "/api/v1/t/{tenant}/applications/{id}",
            staff_only,
            Some(json!({"occupation": "Probe"})),
        ),
        (
            "post",
            "/api/v1/t/{tenant}/applications/{id}/submit",
            staff_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/applications/{id}/documents",
            staff_only,
            None,
        ),
        ("get", "/api/v1/t/{tenant}/documents/{id}", staff_only, None),
        // The applicant's own unreviewed file; a mentor (or staff) is refused before a lookup.
        (
            "delete",
            "/api/v1/t/{tenant}/documents/{id}",
            staff_only,
            None,
        ),
        (
            "get",
            "/api/v1/t/{tenant}/documents/{id}/history",
            staff_only,
            None,
        ),
        (
            "get",
            "/api/v1/t/{tenant}/documents/{id}/file",
            staff_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/documents/{id}/review",
            staff_only,
            Some(json!({"decision": "rejected", "reason": "Probe"})),
        ),
        ("get", "/api/v1/t/{tenant}/review-queue", staff_only, None),
        ("get", "/api/v1/t/{tenant}/candidates", staff_only, None),
        (
            "get",
            "/api/v1/t/{tenant}/candidates/{id}",
            staff_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/candidates/{id}/stages",
            staff_only,
            Some(json!({"stage": "psych_test"})),
        ),
        (
            "post",
            "/api/v1/t/{tenant}/candidates/{id}/stages/{stage}/result",
            staff_only,
            Some(json!({"decision": "passed"})),
        ),
        (
            "post",
            "/api/v1/t/{tenant}/candidates/{id}/stages/{stage}/appointment",
            staff_only,
            Some(json!({"at": "2030-01-01T10:00:00", "place": "Probe"})),
        ),
        (
            "post",
            "/api/v1/t/{tenant}/candidates/{id}/votes",
            staff_only,
            Some(json!({"vote": "approve"})),
        ),
        ("get", "/api/v1/t/{tenant}/cohorts", staff_only, None),
        (
            "post",
            "/api/v1/t/{tenant}/cohorts",
            staff_only,
            Some(cohort_body()),
        ),
        ("get", "/api/v1/t/{tenant}/cohorts/{id}", staff_only, None),
        (
            "post",
            "/api/v1/t/{tenant}/cohorts/{id}/members",
            staff_only,
            Some(json!({"application_id": "APPLICATION"})),
        ),
        (
            "delete",
            "/api/v1/t/{tenant}/cohorts/{id}/members/{member}",
            staff_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/programmes/{programme}/results",
            admin_only,
            None,
        ),
        ("post", "/api/v1/auth/activate", Who::Public, None),
        (
            "post",
            "/api/v1/t/{tenant}/candidates/{id}/contract",
            staff_only,
            Some(json!({"starts_on": "2027-06-01"})),
        ),
        ("get", "/api/v1/t/{tenant}/contracts/{id}", staff_only, None),
        (
            "post",
            "/api/v1/t/{tenant}/contracts/{id}/scan",
            staff_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/contracts/{id}/sign",
            staff_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/children",
            staff_only,
            Some(
                json!({"first_name": "Probe", "last_initial": "P", "date_of_birth": "2015-01-01",
                        "gender": "female", "languages": ["ru"],
                        "consent": {"by": "institution", "name": "Director", "given_on": "2026-01-01"}}),
            ),
        ),
        (
            "get",
            "/api/v1/t/{tenant}/children/waiting",
            staff_only,
            None,
        ),
        ("get", "/api/v1/t/{tenant}/children/{id}", staff_only, None),
        (
            "delete",
            "/api/v1/t/{tenant}/children/{id}",
            Who::Tenant {
                lower: Some(ALMATY_COORDINATOR),
            },
            None,
        ),
        (
            "get",
            "/api/v1/t/{tenant}/children/{id}/suggestions",
            staff_only,
            None,
        ),
        (
            "get",
            "/api/v1/t/{tenant}/children/{id}/matches",
            staff_only,
            None,
        ),
        (
            "get",
            "/api/v1/t/{tenant}/children/{id}/export",
            Who::Tenant {
                lower: Some(ALMATY_COORDINATOR),
            },
            None,
        ),
        (
            "get",
            "/api/v1/t/{tenant}/children/{id}/audit",
            Who::Tenant {
                lower: Some(ALMATY_COORDINATOR),
            },
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/matches",
            staff_only,
            Some(json!({"child_id": PROBE_ID, "mentor_id": PROBE_ID})),
        ),
        (
            "post",
            "/api/v1/t/{tenant}/matches/{id}/decision",
            staff_only,
            Some(json!({"decision": "approved"})),
        ),
        ("get", "/api/v1/t/{tenant}/pairs", not_trainer, None),
        ("get", "/api/v1/t/{tenant}/pairs/{id}", not_trainer, None),
        ("get", "/api/v1/t/{tenant}/pairs/overdue", staff_only, None),
        (
            "post",
            "/api/v1/t/{tenant}/pairs/{id}/close",
            staff_only,
            Some(json!({"reason": "other", "note": "probe"})),
        ),
        (
            "post",
            "/api/v1/t/{tenant}/children/{id}/consent",
            staff_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/guest-visits/{id}/permission",
            staff_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/meetings/{id}/attachments",
            not_trainer,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/pairs/{id}/guest-visits",
            staff_only,
            Some(json!({"from_on": "2027-01-01", "until_on": "2027-01-02"})),
        ),
        (
            "get",
            "/api/v1/t/{tenant}/pairs/{id}/meetings",
            not_trainer,
            None,
        ),
        (
            "get",
            "/api/v1/t/{tenant}/mentors/{id}/profile",
            not_trainer,
            None,
        ),
        (
            "put",
            "/api/v1/t/{tenant}/mentors/{id}/profile",
            not_trainer,
            Some(json!({"interests": ["probe"]})),
        ),
        (
            "post",
            "/api/v1/t/{tenant}/rules-acknowledgement",
            not_trainer,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/meetings",
            not_trainer,
            Some(meeting.clone()),
        ),
        (
            "put",
            "/api/v1/t/{tenant}/meetings/{id}",
            not_trainer,
            Some(meeting.clone()),
        ),
        (
            "delete",
            "/api/v1/t/{tenant}/meetings/{id}",
            not_trainer,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/consultations",
            psychologists_only,
            Some(json!({"pair_id": PROBE_ID, "scheduled_at": "2026-11-01T10:00:00Z"})),
        ),
        (
            "get",
            "/api/v1/t/{tenant}/consultations",
            psychologists_only,
            None,
        ),
        (
            "get",
            "/api/v1/t/{tenant}/consultations/{id}",
            psychologists_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/concerns",
            // Anyone on the team, and mentors, may raise one.
            Who::Tenant { lower: None },
            Some(json!({"child_id": PROBE_ID, "severity": "high", "summary": "probe"})),
        ),
        ("get", "/api/v1/t/{tenant}/concerns", not_trainer, None),
        (
            "post",
            "/api/v1/t/{tenant}/concerns/{id}/actions",
            staff_only,
            Some(json!({"action": "probe"})),
        ),
        (
            "post",
            "/api/v1/t/{tenant}/cohorts/{id}/attendance",
            staff_only,
            Some(json!({"day": 1, "present": []})),
        ),
        (
            "post",
            "/api/v1/t/{tenant}/groups",
            staff_only,
            Some(
                json!({"programme_id": PROBE_ID, "region_id": PROBE_ID, "name": "Probe",
                        "host_organisation": "Probe"}),
            ),
        ),
        ("get", "/api/v1/t/{tenant}/groups", not_trainer, None),
        ("get", "/api/v1/t/{tenant}/groups/{id}", not_trainer, None),
        (
            "post",
            "/api/v1/t/{tenant}/groups/{id}/members",
            staff_only,
            Some(
                json!({"first_name": "Probe", "last_initial": "P", "date_of_birth": "2010-01-01"}),
            ),
        ),
        (
            "delete",
            "/api/v1/t/{tenant}/groups/{id}/members/{member}",
            staff_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/groups/{id}/mentors",
            staff_only,
            Some(json!({"mentor_id": PROBE_ID})),
        ),
        (
            "delete",
            "/api/v1/t/{tenant}/groups/{id}/mentors/{mentor}",
            staff_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/groups/{id}/sessions",
            not_trainer,
            Some(json!({"held_on": "2026-11-01", "minutes": 60, "attendees": 1})),
        ),
        (
            "get",
            "/api/v1/t/{tenant}/groups/{id}/sessions",
            not_trainer,
            None,
        ),
        // Reports: tenant admins only.
        (
            "post",
            "/api/v1/t/{tenant}/reports",
            admin_only,
            Some(json!({"from": "2025-03-01", "to": "2025-03-31"})),
        ),
        ("get", "/api/v1/t/{tenant}/reports", admin_only, None),
        ("get", "/api/v1/t/{tenant}/reports/{id}", admin_only, None),
        (
            "get",
            "/api/v1/t/{tenant}/reports/{id}/files/{format}",
            admin_only,
            None,
        ),
        // Grants: tenant admins only.
        (
            "post",
            "/api/v1/t/{tenant}/grants",
            admin_only,
            Some(
                json!({"funder": "Probe", "title": "Probe", "starts_on": "2026-01-01",
                        "ends_on": "2026-12-31", "amount": 1, "currency": "KZT",
                        "targets": [{"metric": "pairs_started", "target": 10}]}),
            ),
        ),
        ("get", "/api/v1/t/{tenant}/grants", admin_only, None),
        (
            "get",
            "/api/v1/t/{tenant}/grants/{id}/progress",
            admin_only,
            None,
        ),
        (
            "post",
            "/api/v1/t/{tenant}/grants/{id}/report",
            admin_only,
            Some(json!({})),
        ),
        ("get", "/api/v1/platform/tenants", Who::Operator, None),
        (
            "post",
            "/api/v1/platform/tenants",
            Who::Operator,
            Some(
                json!({"slug": "probe-ngo", "name": "Probe", "default_locale": "ru", "admin_email": "p@example.kz"}),
            ),
        ),
    ]
}

/// A valid programme, for the admin-only programme routes (the region is filled in later).
pub(crate) fn programme_body(slug: &str) -> Value {
    json!({
        "slug": slug,
        "names": {"kk": "", "ru": "", "en": "Probe"},
        "descriptions": {"kk": "", "ru": "", "en": ""},
        "kind": "one_to_one",
        "region_ids": ["REGION"],
        "eligibility": {"min_age": 25, "min_residence_months": 6, "min_youth_work_years": 5,
                        "disqualifying_roles": [], "min_days_per_week": 1},
        "documents": [{"doc_type": "id_card", "labels": {"kk": "", "ru": "", "en": "ID"},
                       "accepted_types": ["application/pdf"], "max_bytes": 1048576, "max_count": 1,
                       "validity_months": null, "required": true}],
        "opens_on": "2027-03-15", "closes_on": "2027-04-15", "results_on": "2027-05-10",
        "contract_months": 24, "meeting_cadence": "weekly"
    })
}

/// A valid training cohort (no programme needed).
fn cohort_body() -> Value {
    json!({"kind": "training", "title": "Probe", "starts_on": "2027-01-01", "days": 2,
           "academic_hours": 8, "capacity": 2})
}

/// A real cohort of the demo tenant, created by its admin: its id.
async fn cohort_of(app: &TestApp) -> String {
    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let cohort: Value = admin
        .post("/api/v1/t/almaty-mentors/cohorts", cohort_body())
        .await
        .json()
        .await
        .unwrap();
    cohort["cohort"]["id"].as_str().unwrap().to_string()
}

/// The seeded child Алия with the coordinator's proposal of the best-suggested mentor, not yet
/// decided: (child, match).
pub(crate) async fn proposed_match(app: &TestApp) -> (String, String) {
    let coordinator = app.api_as("coordinator@almaty-mentors.demo").await;
    let waiting: Value = coordinator
        .get("/api/v1/t/almaty-mentors/children/waiting")
        .await
        .json()
        .await
        .unwrap();
    let child = waiting[0]["id"].as_str().unwrap().to_string();
    let suggestions: Value = coordinator
        .get(&format!(
            "/api/v1/t/almaty-mentors/children/{child}/suggestions"
        ))
        .await
        .json()
        .await
        .unwrap();
    let proposed: Value = coordinator
        .post(
            "/api/v1/t/almaty-mentors/matches",
            json!({"child_id": child, "mentor_id": suggestions[0]["mentor_id"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    (child, proposed["id"].as_str().unwrap().to_string())
}

/// A pair of the demo mentor with the seeded child Алия (proposed by the coordinator, approved
/// by the psychologist): (child, match, pair).
pub(crate) async fn pair_of(app: &TestApp) -> (String, String, String) {
    let psychologist = app.api_as("psychologist@almaty-mentors.demo").await;
    let (child, matched) = proposed_match(app).await;
    let decided: Value = psychologist
        .post(
            &format!("/api/v1/t/almaty-mentors/matches/{matched}/decision"),
            json!({"decision": "approved"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let pair = decided["pair_id"].as_str().unwrap().to_string();
    (child, matched, pair)
}

/// Sends one table row's request; the upload route gets a real multipart file.
pub(crate) async fn send(
    api: &ustaz_tests::Api,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let uploads = [
        "/documents",
        "/scan",
        "/consent",
        "/permission",
        "/attachments",
    ];
    if method == "post" && uploads.iter().any(|u| path.ends_with(u)) {
        return api
            .upload(
                &format!("{path}?doc_type=education"),
                "probe.pdf",
                "application/pdf",
                worker::recruitment::fixtures::pdf(1),
            )
            .await;
    }
    api.request(method, path, body).await
}

/// Pages: (path, who).
fn page_table() -> Vec<(&'static str, Who)> {
    vec![
        ("/", Who::Public),
        ("/login", Who::Public),
        ("/forgot-password", Who::Public),
        ("/reset-password", Who::Public),
        ("/accept-invitation", Who::Public),
        ("/platform", Who::Operator),
        ("/t/{slug}", Who::Tenant { lower: None }),
        (
            "/t/{slug}/staff",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/regions",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/institutions",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        ("/register", Who::Public),
        ("/verify-email", Who::Public),
        ("/t/{slug}/apply", Who::Public),
        ("/t/{slug}/apply/{programme}", Who::Public),
        (
            "/t/{slug}/applications/{id}",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/review",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/programmes",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/programmes/{programme}/edit",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/candidates",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/candidates/{id}",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/cohorts",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/cohorts/{cohort}",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        // Anyone's own mentor account: every member may open it, for themselves only.
        ("/t/{slug}/me", Who::Tenant { lower: None }),
        (
            "/t/{slug}/children",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/children/{child}",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        // A mentor's own profile for matching: no one else of the organisation has one.
        (
            "/t/{slug}/profile",
            Who::Tenant {
                lower: Some(ALMATY_COORDINATOR),
            },
        ),
        // Mentors see their own pairs; a trainer follows none.
        (
            "/t/{slug}/pairs",
            Who::Tenant {
                lower: Some(ALMATY_TRAINER),
            },
        ),
        (
            "/t/{slug}/pairs/{pair}",
            Who::Tenant {
                lower: Some(ALMATY_TRAINER),
            },
        ),
        (
            "/t/{slug}/concerns",
            Who::Tenant {
                lower: Some(ALMATY_TRAINER),
            },
        ),
        // Psychologists only: the admin is refused too (the test opens it as the psychologist).
        (
            "/t/{slug}/consultations",
            Who::Tenant {
                lower: Some(ALMATY_COORDINATOR),
            },
        ),
        (
            "/t/{slug}/groups",
            Who::Tenant {
                lower: Some(ALMATY_TRAINER),
            },
        ),
        (
            "/t/{slug}/groups/{group}",
            Who::Tenant {
                lower: Some(ALMATY_TRAINER),
            },
        ),
        ("/activate", Who::Public),
        ("/t/{slug}/notifications", Who::Tenant { lower: None }),
        (
            "/t/{slug}/reports",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/grants",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        (
            "/t/{slug}/grants/{grant}",
            Who::Tenant {
                lower: Some(ALMATY_MENTOR),
            },
        ),
        ("/unsubscribe", Who::Public),
    ]
}

/// Server functions (the portal's form endpoints): (path, who, fields without csrf).
/// Form fields a server function needs besides `csrf` and `slug`.
type Fields = Vec<(&'static str, &'static str)>;

fn server_fn_table() -> Vec<(&'static str, Who, Fields)> {
    let t = |lower| Who::Tenant { lower };
    vec![
        ("/api/session", Who::Public, vec![]),
        ("/api/login", Who::Public, vec![]),
        ("/api/logout", Who::SignedIn, vec![]),
        ("/api/set_language", Who::Public, vec![]),
        (
            "/api/set_display",
            Who::Public,
            vec![("large_text", "true"), ("high_contrast", "false")],
        ),
        ("/api/request_password_reset", Who::Public, vec![]),
        ("/api/reset_password", Who::Public, vec![]),
        ("/api/preview_invitation", Who::Public, vec![]),
        ("/api/accept_invitation", Who::Public, vec![]),
        ("/api/resend_confirmation", Who::Public, vec![]),
        ("/api/recruiting", Who::Public, vec![]),
        ("/api/dashboard", t(None), vec![]),
        ("/api/notifications_page", t(None), vec![]),
        ("/api/reports_page", t(Some(ALMATY_MENTOR)), vec![]),
        ("/api/report_lines", t(Some(ALMATY_MENTOR)), vec![]),
        (
            "/api/request_report",
            t(Some(ALMATY_MENTOR)),
            vec![("from", "2025-03-01"), ("to", "2025-03-31")],
        ),
        ("/api/grants_page", t(Some(ALMATY_MENTOR)), vec![]),
        (
            "/api/create_grant",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("funder", "Probe"),
                ("title", "Probe"),
                ("starts_on", "2026-01-01"),
                ("ends_on", "2026-12-31"),
                ("amount", "1"),
                ("currency", "KZT"),
                ("metric[0]", "pairs_started"),
                ("target[0]", "10"),
                ("note[0]", ""),
            ],
        ),
        (
            "/api/grant_page",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "APPLICATION")],
        ),
        (
            "/api/request_funder_report",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "APPLICATION")],
        ),
        ("/api/save_notifications", t(None), vec![]),
        (
            "/api/unsubscribe",
            Who::Public,
            vec![("token", "forged"), ("topic", "reports")],
        ),
        ("/api/staff_page", t(Some(ALMATY_MENTOR)), vec![]),
        (
            "/api/invite_staff",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("email", "probe@example.kz"),
                ("role", "trainer"),
                ("region", ""),
            ],
        ),
        (
            "/api/update_membership",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("membership_id", "MEMBERSHIP"),
                ("role", "trainer"),
                ("region", ""),
            ],
        ),
        (
            "/api/set_member_active",
            t(Some(ALMATY_MENTOR)),
            vec![("membership_id", "MEMBERSHIP"), ("active", "true")],
        ),
        (
            "/api/revoke_invitation",
            t(Some(ALMATY_MENTOR)),
            vec![("invitation_id", PROBE_ID)],
        ),
        ("/api/list_regions", t(Some(ALMATY_MENTOR)), vec![]),
        (
            "/api/create_region",
            t(Some(ALMATY_MENTOR)),
            vec![("name", "Probe")],
        ),
        (
            "/api/rename_region",
            t(Some(ALMATY_COORDINATOR)),
            vec![("id", PROBE_ID), ("name", "Probe")],
        ),
        (
            "/api/remove_region",
            t(Some(ALMATY_COORDINATOR)),
            vec![("id", PROBE_ID)],
        ),
        ("/api/list_institutions", t(Some(ALMATY_MENTOR)), vec![]),
        (
            "/api/create_institution",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("name", "Probe"),
                ("kind", "other"),
                ("region", ""),
                ("address", ""),
            ],
        ),
        ("/api/programmes_page", Who::Public, vec![]),
        ("/api/programme_page", Who::Public, vec![]),
        ("/api/register", Who::Public, vec![]),
        ("/api/verify_email", Who::Public, vec![]),
        ("/api/start_application", Who::SignedIn, vec![]),
        ("/api/resend_verification", Who::SignedIn, vec![]),
        (
            "/api/application_page",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "APPLICATION")],
        ),
        (
            "/api/save_profile",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("id", "APPLICATION"),
                ("phone", ""),
                ("occupation", "Probe"),
                ("experience", ""),
                ("motivation", ""),
            ],
        ),
        (
            "/api/submit_application",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "APPLICATION")],
        ),
        (
            "/api/withdraw_document_form",
            t(Some(ALMATY_MENTOR)),
            vec![("application", "APPLICATION"), ("id", PROBE_ID)],
        ),
        ("/api/review_page", t(Some(ALMATY_MENTOR)), vec![]),
        (
            "/api/review_document",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("id", "DOCUMENT"),
                ("decision", "rejected"),
                ("reason", "Probe"),
            ],
        ),
        ("/api/programmes_admin", t(Some(ALMATY_MENTOR)), vec![]),
        (
            "/api/programme_editor",
            t(Some(ALMATY_MENTOR)),
            vec![("programme", "mentors-2027")],
        ),
        ("/api/candidates_page", t(Some(ALMATY_MENTOR)), vec![]),
        (
            "/api/bulk_candidates",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("action", "advance"),
                ("cohort", ""),
                ("ids[0]", "APPLICATION"),
            ],
        ),
        (
            "/api/candidate_page",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "APPLICATION")],
        ),
        (
            "/api/open_stage",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "APPLICATION"), ("stage", "psych_test")],
        ),
        (
            "/api/decide_stage",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("id", "APPLICATION"),
                ("stage", "documents"),
                ("decision", "passed"),
                ("score", ""),
                ("notes", ""),
                ("reason", ""),
            ],
        ),
        (
            "/api/schedule_appointment",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("id", "APPLICATION"),
                ("stage", "interview"),
                ("at", "2030-01-01T10:00"),
                ("place", "Probe"),
            ],
        ),
        (
            "/api/vote_on_candidate",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "APPLICATION"), ("vote", "approve"), ("comment", "")],
        ),
        (
            "/api/make_contract",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "APPLICATION"), ("starts_on", "2027-06-01")],
        ),
        (
            "/api/sign_contract_page",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "APPLICATION"), ("contract", "APPLICATION")],
        ),
        ("/api/cohorts_page", t(Some(ALMATY_MENTOR)), vec![]),
        (
            "/api/new_cohort",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("kind", "training"),
                ("title", "Probe"),
                ("programme", ""),
                ("region", ""),
                ("starts_on", "2027-01-01"),
                ("days", "2"),
                ("academic_hours", "8"),
                ("place", ""),
                ("capacity", "2"),
                ("min_days", ""),
            ],
        ),
        (
            "/api/cohort_page",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "COHORT")],
        ),
        (
            "/api/enrol_in_cohort",
            t(Some(ALMATY_MENTOR)),
            vec![("cohort", "COHORT"), ("application", "APPLICATION")],
        ),
        (
            "/api/withdraw_seat",
            t(Some(ALMATY_MENTOR)),
            vec![("cohort", "COHORT"), ("member", "APPLICATION")],
        ),
        (
            "/api/save_attendance",
            t(Some(ALMATY_MENTOR)),
            vec![("cohort", "COHORT"), ("day", "1")],
        ),
        (
            "/api/announce_programme_results",
            t(Some(ALMATY_MENTOR)),
            vec![("programme", "mentors-2027")],
        ),
        ("/api/activate_mentor", Who::Public, vec![]),
        ("/api/mentor_account_page", t(None), vec![]),
        ("/api/children_page", t(Some(ALMATY_MENTOR)), vec![]),
        (
            "/api/register_child_form",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("first_name", "Probe"),
                ("last_initial", "P"),
                ("date_of_birth", "2015-01-01"),
                ("gender", "female"),
                ("region", ""),
                ("institution", ""),
                ("languages[0]", "ru"),
                ("interests", ""),
                ("needs", ""),
                ("preferred_mentor_gender", ""),
                ("consent_by", "institution"),
                ("consent_name", "Director"),
                ("consent_on", "2026-01-01"),
            ],
        ),
        (
            "/api/child_page",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "CHILD")],
        ),
        (
            "/api/propose_match_form",
            t(Some(ALMATY_MENTOR)),
            vec![("child", "CHILD"), ("mentor", "MEMBERSHIP")],
        ),
        (
            "/api/decide_match_form",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("child", "CHILD"),
                ("id", "MATCH"),
                ("decision", "approved"),
                ("reason", ""),
            ],
        ),
        (
            "/api/erase_child_form",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "CHILD"), ("confirm", "yes")],
        ),
        // The mentor's own: pairs, a pair, protocols, rules, concerns.
        ("/api/pairs_page", t(None), vec![]),
        ("/api/acknowledge_rules_form", t(None), vec![]),
        ("/api/pair_page", t(None), vec![("id", "PAIR")]),
        (
            "/api/log_meeting_form",
            t(None),
            vec![
                ("pair", "PAIR"),
                ("held_on", "2026-11-01"),
                ("minutes", "60"),
                ("format", "visit"),
                ("issues", ""),
                ("agreements", ""),
                ("mood", "good"),
                ("next_steps", ""),
            ],
        ),
        (
            "/api/update_meeting_form",
            t(None),
            vec![
                ("pair", "PAIR"),
                ("id", PROBE_ID),
                ("held_on", "2026-11-01"),
                ("minutes", "60"),
                ("format", "visit"),
                ("issues", ""),
                ("agreements", ""),
                ("mood", "good"),
                ("next_steps", ""),
            ],
        ),
        (
            "/api/delete_meeting_form",
            t(None),
            vec![("pair", "PAIR"), ("id", PROBE_ID), ("confirm", "yes")],
        ),
        (
            "/api/close_pair_form",
            t(Some(ALMATY_MENTOR)),
            vec![("pair", "PAIR"), ("reason", "other"), ("note", "probe")],
        ),
        (
            "/api/guest_visits_form",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("pair", "PAIR"),
                ("from_on", "2027-01-01"),
                ("until_on", "2027-01-02"),
                ("note", ""),
            ],
        ),
        (
            "/api/mentor_profile_form",
            t(None),
            vec![
                ("gender", ""),
                ("interests", "probe"),
                ("lat", ""),
                ("lon", ""),
            ],
        ),
        (
            "/api/mentor_capacity_form",
            t(Some(ALMATY_MENTOR)),
            vec![("mentor", PROBE_ID), ("capacity", "2")],
        ),
        ("/api/concerns_page", t(None), vec![]),
        (
            "/api/concern_action_form",
            t(Some(ALMATY_MENTOR)),
            vec![("id", "PAIR"), ("action", "probe")],
        ),
        ("/api/consultations_page", t(Some(ALMATY_MENTOR)), vec![]),
        (
            "/api/record_consultation_form",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("subject", "pair:PAIR"),
                ("scheduled_at", "2026-11-01T10:00"),
                ("notes", ""),
            ],
        ),
        (
            "/api/raise_concern_form",
            t(None),
            vec![("pair", "PAIR"), ("severity", "low"), ("summary", "probe")],
        ),
        // Youth groups: staff change them; their mentor logs the month's session.
        ("/api/groups_page", t(None), vec![]),
        (
            "/api/create_group_form",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("programme", PROBE_ID),
                ("region", PROBE_ID),
                ("name", "Probe"),
                ("host_organisation", "Probe"),
                ("project", ""),
                ("started_on", ""),
            ],
        ),
        ("/api/group_page", t(None), vec![("id", "GROUP")]),
        (
            "/api/add_group_member_form",
            t(Some(ALMATY_MENTOR)),
            vec![
                ("group", "GROUP"),
                ("first_name", "Probe"),
                ("last_initial", "P"),
                ("date_of_birth", "2010-01-01"),
            ],
        ),
        (
            "/api/remove_group_member_form",
            t(Some(ALMATY_MENTOR)),
            vec![("group", "GROUP"), ("member", PROBE_ID)],
        ),
        (
            "/api/assign_group_mentor_form",
            t(Some(ALMATY_MENTOR)),
            vec![("group", "GROUP"), ("mentor", PROBE_ID)],
        ),
        (
            "/api/unassign_group_mentor_form",
            t(Some(ALMATY_MENTOR)),
            vec![("group", "GROUP"), ("mentor", PROBE_ID)],
        ),
        (
            "/api/log_group_session_form",
            t(None),
            vec![
                ("group", "GROUP"),
                ("held_on", "2026-11-01"),
                ("minutes", "60"),
                ("attendees", "1"),
                ("topic", ""),
                ("agreements", ""),
                ("next_steps", ""),
            ],
        ),
        ("/api/list_tenants", Who::Operator, vec![]),
        (
            "/api/create_tenant",
            Who::Operator,
            vec![
                ("slug", "probe-ngo"),
                ("name", "P"),
                ("default_locale", "ru"),
                ("time_zone", "Asia/Almaty"),
                ("lead_tenant_slug", ""),
                ("admin_email", "p@example.kz"),
            ],
        ),
    ]
}

#[tokio::test]
async fn every_api_operation_is_in_the_table_and_refuses_strangers_and_lower_roles() {
    let app = TestApp::sqlite().await;
    let doc: Value = app
        .api()
        .get("/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let mut real: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            real.push((method.clone(), path.clone()));
        }
    }
    let table = api_table();
    for (m, p) in &real {
        assert!(
            table.iter().any(|(tm, tp, ..)| tm == m && tp == p),
            "{m} {p} is served but not in the refusal table: add it with its tenant and role checks"
        );
    }
    assert_eq!(
        real.len(),
        table.len(),
        "the table lists a route the server does not have"
    );

    let admin = app.api_as("admin@almaty-mentors.demo").await;
    let users: Value = admin
        .get("/api/v1/t/almaty-mentors/users")
        .await
        .json()
        .await
        .unwrap();
    let membership = users[0]["membership_id"].as_str().unwrap().to_string();
    // A real application with a checked document, so refusals are about who asks, not about
    // a missing record.
    let (applicant, application) = app
        .draft_application("probe-applicant@example.kz", "en")
        .await;
    let doc: Value = applicant
        .upload(
            &format!(
                "/api/v1/t/almaty-mentors/applications/{application}/documents?doc_type=id_card"
            ),
            "id.pdf",
            "application/pdf",
            worker::recruitment::fixtures::pdf(1),
        )
        .await
        .json()
        .await
        .unwrap();
    let document = doc["id"].as_str().unwrap().to_string();
    applicant
        .checked_document("almaty-mentors", &document)
        .await;
    let region = app.programme_region("almaty-mentors", "mentors-2027").await;
    // A real cohort with a seat in it, for the cohort routes.
    let cohort = cohort_of(&app).await;
    let stranger = app.api_as(OTHER_TENANT_ADMIN).await;
    let anonymous = app.api();
    for (method, path, who, body) in table {
        let id = if path.contains("/applications/") || path.contains("/candidates/") {
            &application
        } else if path.contains("/documents/") {
            &document
        } else if path.contains("/cohorts/") {
            &cohort
        } else {
            &membership
        };
        let concrete = path
            .replace("{tenant}", "almaty-mentors")
            .replace("{programme}", "mentors-2027")
            .replace("{stage}", "documents")
            .replace("{member}", &membership)
            .replace("{mentor}", &membership)
            .replace("{format}", "pdf")
            .replace("{id}", id);
        let body = body.map(|b| {
            serde_json::from_str::<Value>(
                &b.to_string()
                    .replace("REGION", &region)
                    .replace("APPLICATION", &application),
            )
            .unwrap()
        });
        match who {
            Who::Public => {}
            Who::SignedIn => {
                assert_eq!(
                    send(&anonymous, method, &concrete, body.clone())
                        .await
                        .status(),
                    401,
                    "{method} {path} anonymous"
                );
            }
            Who::Operator => {
                assert_eq!(
                    send(&anonymous, method, &concrete, body.clone())
                        .await
                        .status(),
                    401,
                    "{method} {path} anonymous"
                );
                assert_eq!(
                    send(&admin, method, &concrete, body.clone()).await.status(),
                    403,
                    "{method} {path} tenant admin"
                );
            }
            Who::Tenant { lower } => {
                assert_eq!(
                    send(&anonymous, method, &concrete, body.clone())
                        .await
                        .status(),
                    401,
                    "{method} {path} anonymous"
                );
                let res = send(&stranger, method, &concrete, body.clone()).await;
                assert_eq!(
                    res.status(),
                    404,
                    "{method} {path} by another tenant's admin"
                );
                if let Some(lower) = lower {
                    let api = app.api_as(lower).await;
                    let res = send(&api, method, &concrete, body.clone()).await;
                    assert_eq!(res.status(), 403, "{method} {path} by {lower}");
                }
            }
        }
    }
    // Nothing the refused calls tried was saved.
    let regions: Value = admin
        .get("/api/v1/t/almaty-mentors/regions")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        regions
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["name"] != "Probe")
    );
}

#[tokio::test]
async fn every_page_is_in_the_table_and_refuses_strangers_and_lower_roles() {
    let app = TestApp::sqlite().await;
    let real: Vec<String> = leptos_axum::generate_route_list(frontend::App)
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    let table = page_table();
    for p in &real {
        assert!(
            table.iter().any(|(tp, _)| tp == p),
            "page {p} is served but not in the refusal table"
        );
    }
    assert_eq!(
        real.len(),
        table.len(),
        "the table lists a page the portal does not have: {real:?}"
    );

    let pages = concrete_pages(&app).await;
    let psychologist = app.browser();
    psychologist.login("psychologist@almaty-mentors.demo").await;
    let mentor = app.browser();
    mentor.login(ALMATY_MENTOR).await;
    let stranger = app.browser();
    stranger.login(OTHER_TENANT_ADMIN).await;
    let admin = app.browser();
    admin.login("admin@almaty-mentors.demo").await;
    let anonymous = app.browser();
    for (path, who, concrete) in pages {
        match who {
            Who::Public | Who::SignedIn => {
                // Public pages open for anyone (a link page without its token says why, in 4xx).
                let status = anonymous.get(&concrete).await.status().as_u16();
                assert!(
                    ![401, 403, 404].contains(&status) && status < 500,
                    "{path}: {status}"
                );
            }
            Who::Operator => {
                assert_eq!(
                    anonymous.get(&concrete).await.status(),
                    401,
                    "{path} anonymous"
                );
                assert_eq!(
                    admin.get(&concrete).await.status(),
                    403,
                    "{path} tenant admin"
                );
            }
            Who::Tenant { lower } => {
                let opener = if path.ends_with("/consultations") {
                    &psychologist
                } else if path.ends_with("/profile") {
                    &mentor
                } else {
                    &admin
                };
                assert_eq!(opener.get(&concrete).await.status(), 200, "{path} opened");
                assert_eq!(
                    anonymous.get(&concrete).await.status(),
                    401,
                    "{path} anonymous"
                );
                assert_eq!(
                    stranger.get(&concrete).await.status(),
                    404,
                    "{path} another tenant's admin"
                );
                if let Some(lower) = lower {
                    let b = app.browser();
                    b.login(lower).await;
                    assert_eq!(b.get(&concrete).await.status(), 403, "{path} {lower}");
                }
            }
        }
    }
}

/// Every page of the table with an address that opens: (route, who, address). The records a
/// page is about (a submitted application, a cohort, a child and pair, a group, a grant) are
/// made first, so what follows is about who asks, not about a missing record.
pub(crate) async fn concrete_pages(app: &TestApp) -> Vec<(&'static str, Who, String)> {
    let (_, application, _) = app
        .submitted_application("page-probe@example.kz", "en")
        .await;
    let cohort = cohort_of(app).await;
    let (child, _, pair) = pair_of(app).await;
    let group =
        crate::groups::demo_group(&app.api_as("admin@almaty-mentors.demo").await).await["id"]
            .as_str()
            .unwrap()
            .to_string();
    let grant = app
        .api_as("admin@almaty-mentors.demo")
        .await
        .post(
            "/api/v1/t/almaty-mentors/grants",
            json!({"funder": "Probe", "title": "Probe", "starts_on": "2026-01-01",
                   "ends_on": "2026-12-31", "amount": 1, "currency": "KZT",
                   "targets": [{"metric": "pairs_started", "target": 10}]}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    page_table()
        .into_iter()
        .map(|(path, who)| {
            let concrete = path
                .replace("{slug}", "almaty-mentors")
                .replace("{programme}", "mentors-2027")
                .replace("{cohort}", &cohort)
                .replace("{child}", &child)
                .replace("{pair}", &pair)
                .replace("{group}", &group)
                .replace("{grant}", &grant)
                .replace("{id}", &application);
            (path, who, concrete)
        })
        .collect()
}

/// Calls a server function as the hydrated page does (no redirect) and returns the error body.
async fn call(b: &ustaz_tests::Browser, path: &str, fields: &[(&str, String)]) -> (u16, String) {
    let res = b
        .client
        .post(format!("{}{path}", b.base))
        .header("Origin", &b.base)
        .form(fields)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn every_server_function_is_in_the_table_and_refuses_strangers_and_lower_roles() {
    let app = TestApp::sqlite().await;
    let real: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    let table = server_fn_table();
    for p in &real {
        assert!(
            table.iter().any(|(tp, ..)| tp == p),
            "server function {p} is not in the refusal table"
        );
    }
    assert_eq!(
        real.len(),
        table.len(),
        "the table lists a server function that does not exist: {real:?}"
    );

    let admin_api = app.api_as("admin@almaty-mentors.demo").await;
    let users: Value = admin_api
        .get("/api/v1/t/almaty-mentors/users")
        .await
        .json()
        .await
        .unwrap();
    let membership = users[0]["membership_id"].as_str().unwrap().to_string();
    let (applicant, application) = app.draft_application("fn-probe@example.kz", "en").await;
    let doc: Value = applicant
        .upload(
            &format!(
                "/api/v1/t/almaty-mentors/applications/{application}/documents?doc_type=id_card"
            ),
            "id.pdf",
            "application/pdf",
            worker::recruitment::fixtures::pdf(1),
        )
        .await
        .json()
        .await
        .unwrap();
    let document = doc["id"].as_str().unwrap().to_string();
    applicant
        .checked_document("almaty-mentors", &document)
        .await;

    let cohort = cohort_of(&app).await;
    let (child, matched, pair) = pair_of(&app).await;
    let group =
        crate::groups::demo_group(&app.api_as("admin@almaty-mentors.demo").await).await["id"]
            .as_str()
            .unwrap()
            .to_string();
    let stranger = app.browser();
    stranger.login(OTHER_TENANT_ADMIN).await;
    let stranger_csrf = stranger.csrf().await;
    let mentor = app.browser();
    mentor.login(ALMATY_MENTOR).await;
    let mentor_csrf = mentor.csrf().await;
    let admin = app.browser();
    admin.login("admin@almaty-mentors.demo").await;
    let admin_csrf = admin.csrf().await;

    for (path, who, fields) in table {
        let with = |csrf: &str| {
            let mut f: Vec<(&str, String)> = fields
                .iter()
                .map(|(k, v)| {
                    (
                        *k,
                        match *v {
                            "MEMBERSHIP" => membership.clone(),
                            "APPLICATION" => application.clone(),
                            "DOCUMENT" => document.clone(),
                            "COHORT" => cohort.clone(),
                            "CHILD" => child.clone(),
                            "PAIR" => pair.clone(),
                            "MATCH" => matched.clone(),
                            "GROUP" => group.clone(),
                            other => other.replace("PAIR", &pair),
                        },
                    )
                })
                .collect();
            f.push(("csrf", csrf.to_string()));
            if !f.iter().any(|(k, _)| *k == "slug") {
                f.push(("slug", "almaty-mentors".to_string()));
            }
            f
        };
        match who {
            Who::Public | Who::SignedIn => {}
            Who::Operator => {
                let (status, body) = call(&admin, path, &with(&admin_csrf)).await;
                assert!(
                    body.contains("Forbidden") && status == 403,
                    "{path} by a tenant admin: {status} {body}"
                );
            }
            Who::Tenant { lower } => {
                let (status, body) = call(&stranger, path, &with(&stranger_csrf)).await;
                assert!(
                    body.contains("NotFound") && status == 404,
                    "{path} by another tenant's admin: {status} {body}"
                );
                if lower.is_some() {
                    let (status, body) = call(&mentor, path, &with(&mentor_csrf)).await;
                    assert!(
                        body.contains("Forbidden") && status == 403,
                        "{path} by the mentor: {status} {body}"
                    );
                }
            }
        }
    }
}
