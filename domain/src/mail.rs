//! E-mail templates: each `EmailMessage` rendered in the recipient's language as a subject, a
//! plain-text part and an HTML part. Texts come from the i18n catalogue.

use crate::i18n::Locale;
use crate::jobs::{EmailMessage, TomorrowEvent};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Where a mail program turns this kind of e-mail off with one POST (`List-Unsubscribe`).
    pub unsubscribe_url: Option<String>,
}

/// Renders `message` for `locale`; `public_url` (no trailing slash) prefixes links. A reminder's
/// `unsubscribe` path adds the link that turns its topic off.
pub fn render(
    message: &EmailMessage,
    locale: Locale,
    public_url: &str,
    unsubscribe: Option<&str>,
) -> RenderedEmail {
    let base = public_url.trim_end_matches('/');
    let (subject, body, link_label, path) = match message {
        EmailMessage::Invitation {
            tenant_name,
            role,
            inviter_name,
            path,
        } => {
            let args = [
                ("tenant", tenant_name.clone()),
                ("role", locale.t(&role.label_key())),
                ("inviter", inviter_name.clone()),
            ];
            (
                locale.t_args("email-invitation-subject", &args),
                locale.t_args("email-invitation-body", &args),
                locale.t("email-invitation-action"),
                path,
            )
        }
        EmailMessage::VerifyEmail { path } => (
            locale.t("email-verify-subject"),
            locale.t("email-verify-body"),
            locale.t("email-verify-action"),
            path,
        ),
        EmailMessage::AlreadyRegistered { path } => (
            locale.t("email-registered-subject"),
            locale.t("email-registered-body"),
            locale.t("email-registered-action"),
            path,
        ),
        EmailMessage::DocumentRejected {
            programme_name,
            document,
            reason,
            path,
        } => {
            let args = [
                ("programme", programme_name.clone()),
                ("document", document.clone()),
                ("reason", reason.clone()),
            ];
            (
                locale.t_args("email-doc-rejected-subject", &args),
                locale.t_args("email-doc-rejected-body", &args),
                locale.t("email-doc-rejected-action"),
                path,
            )
        }
        EmailMessage::ResultsSelected {
            tenant_name,
            programme_name,
            path,
        } => {
            let args = [
                ("tenant", tenant_name.clone()),
                ("programme", programme_name.clone()),
                (
                    "days",
                    crate::selection::results::ACTIVATION_DAYS.to_string(),
                ),
            ];
            (
                locale.t_args("email-selected-subject", &args),
                locale.t_args("email-selected-body", &args),
                locale.t("email-selected-action"),
                path,
            )
        }
        EmailMessage::ResultsNotSelected {
            tenant_name,
            programme_name,
            path,
        } => {
            let args = [
                ("tenant", tenant_name.clone()),
                ("programme", programme_name.clone()),
            ];
            (
                locale.t_args("email-not-selected-subject", &args),
                locale.t_args("email-not-selected-body", &args),
                locale.t("email-not-selected-action"),
                path,
            )
        }
        EmailMessage::CohortSeat {
            tenant_name,
            title,
            first_day,
            days,
            place,
            waitlisted,
            path,
        } => {
            let args = [
                ("tenant", tenant_name.clone()),
                ("title", title.clone()),
                ("date", first_day.clone()),
                ("days", days.to_string()),
                ("place", place.clone()),
            ];
            let which = if *waitlisted {
                "waitlisted"
            } else {
                "enrolled"
            };
            (
                locale.t_args(&format!("email-cohort-{which}-subject"), &args),
                locale.t_args(&format!("email-cohort-{which}-body"), &args),
                locale.t("email-cohort-action"),
                path,
            )
        }
        EmailMessage::ConcernRaised {
            tenant_name,
            region_name,
            severity,
            path,
        } => {
            let args = [
                ("tenant", tenant_name.clone()),
                ("region", region_name.clone()),
                (
                    "severity",
                    locale.t(&format!("severity-{}", severity.as_str())),
                ),
            ];
            (
                locale.t_args("email-concern-subject", &args),
                locale.t_args("email-concern-body", &args),
                locale.t("email-concern-action"),
                path,
            )
        }
        EmailMessage::Appointment {
            tenant_name,
            stage,
            date,
            time,
            place,
            path,
        } => {
            let args = [
                ("tenant", tenant_name.clone()),
                ("stage", locale.t(&stage.label_key())),
                ("date", date.clone()),
                ("time", time.clone()),
                ("place", place.clone()),
            ];
            (
                locale.t_args("email-appointment-subject", &args),
                locale.t_args("email-appointment-body", &args),
                locale.t("email-open-action"),
                path,
            )
        }
        EmailMessage::ReportReady {
            tenant_name,
            period,
            path,
        } => {
            let args = [("tenant", tenant_name.clone()), ("period", period.clone())];
            (
                locale.t_args("email-report-subject", &args),
                locale.t_args("email-report-body", &args),
                locale.t("email-report-action"),
                path,
            )
        }
        EmailMessage::MatchApproved { tenant_name, path } => {
            let args = [("tenant", tenant_name.clone())];
            (
                locale.t_args("email-match-subject", &args),
                locale.t_args("email-match-body", &args),
                locale.t("email-match-action"),
                path,
            )
        }
        EmailMessage::ProtocolOverdue {
            tenant_name,
            mentor_name,
            group_name,
            due,
            days,
            path,
        } => {
            let who = if mentor_name.is_some() {
                "coordinator"
            } else {
                "mentor"
            };
            let what = match group_name {
                Some(g) => locale.t_args("email-overdue-what-group", &[("group", g.clone())]),
                None => locale.t(&format!(
                    "email-overdue-what-pair-{}",
                    if mentor_name.is_some() {
                        "staff"
                    } else {
                        "mentor"
                    }
                )),
            };
            let args = [
                ("tenant", tenant_name.clone()),
                ("mentor", mentor_name.clone().unwrap_or_default()),
                ("what", what),
                ("due", due.clone()),
                ("days", days.to_string()),
            ];
            (
                locale.t_args(&format!("email-overdue-{who}-subject"), &args),
                locale.t_args(&format!("email-overdue-{who}-body"), &args),
                locale.t("email-overdue-action"),
                path,
            )
        }
        EmailMessage::Tomorrow {
            tenant_name,
            event,
            date,
            time,
            place,
            path,
        } => {
            let mut args = vec![
                ("tenant", tenant_name.clone()),
                ("date", date.clone()),
                ("time", time.clone().unwrap_or_default()),
                ("place", place.clone()),
            ];
            let which = match event {
                TomorrowEvent::Consultation => "consultation",
                TomorrowEvent::TrainingDay { title, day, days } => {
                    args.extend([
                        ("title", title.clone()),
                        ("day", day.to_string()),
                        ("days", days.to_string()),
                    ]);
                    "training"
                }
                TomorrowEvent::Appointment { stage } => {
                    args.push(("stage", locale.t(&stage.label_key())));
                    "appointment"
                }
            };
            (
                locale.t_args(&format!("email-tomorrow-{which}-subject"), &args),
                locale.t_args(&format!("email-tomorrow-{which}-body"), &args),
                locale.t("email-open-action"),
                path,
            )
        }
        EmailMessage::ApplicationIncomplete {
            tenant_name,
            programme_name,
            closes_on,
            path,
        } => {
            let args = [
                ("tenant", tenant_name.clone()),
                ("programme", programme_name.clone()),
                ("date", closes_on.clone()),
            ];
            (
                locale.t_args("email-incomplete-subject", &args),
                locale.t_args("email-incomplete-body", &args),
                locale.t("email-incomplete-action"),
                path,
            )
        }
        EmailMessage::DocumentExpiring {
            tenant_name,
            document,
            expires_on,
            path,
        } => {
            let args = [
                ("tenant", tenant_name.clone()),
                ("document", document.clone()),
                ("date", expires_on.clone()),
            ];
            (
                locale.t_args("email-expiring-subject", &args),
                locale.t_args("email-expiring-body", &args),
                locale.t("email-incomplete-action"),
                path,
            )
        }
        EmailMessage::TermEnding {
            tenant_name,
            contract,
            mentor_name,
            ends_on,
            days,
            path,
        } => {
            let what = format!(
                "email-term-{}-{}",
                if *contract { "contract" } else { "pair" },
                if mentor_name.is_some() {
                    "staff"
                } else {
                    "mentor"
                }
            );
            let args = [
                ("tenant", tenant_name.clone()),
                (
                    "what",
                    locale.t_args(
                        &what,
                        &[("mentor", mentor_name.clone().unwrap_or_default())],
                    ),
                ),
                ("date", ends_on.clone()),
                ("days", days.to_string()),
            ];
            (
                locale.t_args("email-term-subject", &args),
                locale.t_args("email-term-body", &args),
                locale.t("email-open-action"),
                path,
            )
        }
        EmailMessage::VotesPending {
            tenant_name,
            count,
            path,
        } => {
            let args = [
                ("tenant", tenant_name.clone()),
                ("count", count.to_string()),
            ];
            (
                locale.t_args("email-votes-subject", &args),
                locale.t_args("email-votes-body", &args),
                locale.t("email-votes-action"),
                path,
            )
        }
        EmailMessage::StageReady {
            tenant_name,
            passed,
            next,
            opened,
            path,
        } => {
            let stage = |s: &str| {
                crate::selection::StageKind::parse(s)
                    .map(|k| locale.t(&k.label_key()))
                    .unwrap_or_default()
            };
            let args = [
                ("tenant", tenant_name.clone()),
                ("passed", stage(passed)),
                ("next", stage(next)),
            ];
            let body = if *opened {
                "email-stage-opened-body"
            } else {
                "email-stage-ready-body"
            };
            (
                locale.t_args("email-stage-ready-subject", &args),
                locale.t_args(body, &args),
                locale.t("email-stage-ready-action"),
                path,
            )
        }
        EmailMessage::PasswordReset { path } => (
            locale.t("email-reset-subject"),
            locale.t("email-reset-body"),
            locale.t("email-reset-action"),
            path,
        ),
    };
    let link = format!("{base}{path}");
    let footer = locale.t("email-footer");
    let unsubscribe = unsubscribe.map(|p| {
        (
            locale.t("email-unsubscribe"),
            format!("{base}{p}"),
            format!("{base}/api/v1{p}"),
        )
    });
    let (text_unsub, html_unsub) = match &unsubscribe {
        Some((label, url, _)) => (
            format!("{label}: {url}\n"),
            format!(
                "<p style=\"color:#666\"><a href=\"{}\">{}</a></p>",
                escape(url),
                escape(label)
            ),
        ),
        None => (String::new(), String::new()),
    };
    let text = format!("{body}\n\n{link_label}: {link}\n\n-- \n{footer}\n{text_unsub}");
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><body style=\"font-family:sans-serif\">\
         <p>{body}</p><p><a href=\"{link}\">{link_label}</a></p><hr><p style=\"color:#666\">{footer}</p>\
         {html_unsub}</body></html>",
        lang = locale.code(),
        body = escape(&body),
        link = escape(&link),
        link_label = escape(&link_label),
        footer = escape(&footer),
    );
    RenderedEmail {
        subject,
        text,
        html,
        // The page asks before it acts (link scanners open links); the header's one-click POST
        // goes to the API, which acts at once (RFC 8058).
        unsubscribe_url: unsubscribe.map(|(_, _, one_click)| one_click),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Role;

    #[test]
    fn invitation_is_rendered_in_each_language_with_escaped_html() {
        let msg = EmailMessage::Invitation {
            tenant_name: "Dara <Almaty>".into(),
            role: Role::Coordinator,
            inviter_name: "Ainur".into(),
            path: "/accept-invitation?token=abc".into(),
        };
        for locale in Locale::ALL {
            let r = render(&msg, locale, "https://ustaz.example/", None);
            assert!(
                r.subject.contains("Dara <Almaty>"),
                "{locale}: {}",
                r.subject
            );
            assert!(
                r.text
                    .contains("https://ustaz.example/accept-invitation?token=abc")
            );
            assert!(r.html.contains("Dara &lt;Almaty&gt;"));
            assert!(!r.html.contains("<Almaty>"));
        }
        assert_ne!(
            render(&msg, Locale::Kk, "x", None).subject,
            render(&msg, Locale::En, "x", None).subject
        );
    }
}
