//! Matching and support pages. Plain HTML forms that work before the bundle loads; errors
//! come back translated on the page they were sent from.

use domain::Locale;
use domain::matching::{CloseReason, Reason};
use domain::support::{MeetingFormat, Mood, Severity, Standing};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::*;
use crate::errors::{AppError, ErrorNote, loaded};
use crate::forms::{date, when};
use crate::recruitment::{document_line, upload_form};
use crate::session::use_session;

fn key(prefix: &str, value: &str) -> String {
    format!("{prefix}-{}", value.replace('_', "-"))
}

/// One reason of a suggestion, as a chip with its points.
fn reason_text(l: Locale, r: &Reason) -> String {
    let (k, args): (&str, Vec<(&'static str, String)>) = match r {
        Reason::SameRegion { .. } => ("reason-same-region", vec![]),
        Reason::SharedLanguages { languages, .. } => (
            "reason-languages",
            vec![("list", crate::forms::languages(l, languages))],
        ),
        Reason::SharedInterests { interests, .. } => {
            ("reason-interests", vec![("list", interests.join(", "))])
        }
        Reason::PreferredGender { .. } => ("reason-preferred-gender", vec![]),
        Reason::NotPreferredGender { .. } => ("reason-not-preferred-gender", vec![]),
        Reason::FreeCapacity { free, .. } => ("reason-free", vec![("free", free.to_string())]),
        Reason::Distance { km, .. } => ("reason-distance", vec![("km", km.to_string())]),
    };
    let points = r.points();
    let sign = if points >= 0 { "+" } else { "" };
    format!("{} ({sign}{points})", l.t_args(k, &args))
}

/// Where a pair stands, as a badge: on track until a date, or late by some days.
pub fn standing_badge(l: Locale, s: Option<Standing>) -> AnyView {
    match s {
        Some(Standing::OnTrack { due }) => view! {
            <span class="badge ok standing" data-state="on_track">{l.t_args("pair-on-track", &[("date", date(due))])}</span>
        }
        .into_any(),
        Some(Standing::Overdue { days, .. }) => view! {
            <span class="badge error standing" data-state="overdue">{l.t_args("pair-overdue", &[("days", days.to_string())])}</span>
        }
        .into_any(),
        None => view! { <span class="badge standing" data-state="closed">{l.t("pair-closed")}</span> }.into_any(),
    }
}

fn severity_class(s: Severity) -> &'static str {
    if s >= Severity::High {
        "badge error"
    } else {
        "badge"
    }
}

/// The translated reason a plain (script-less) upload was refused, from the address.
fn upload_error() -> Option<String> {
    use_query_map().read_untracked().get("upload_error")
}

pub(super) fn notice(l: Locale, pairs: &[(&str, &str)]) -> Option<String> {
    let q = use_query_map();
    let q = q.read_untracked();
    pairs
        .iter()
        .find(|(k, _)| q.get(k).is_some())
        .map(|(_, key)| l.t(key))
}

// ---------------------------------------------------------------- the waiting list

#[component]
pub fn ChildrenPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, children_page);
    let register = ServerAction::<RegisterChildForm>::new();
    // From the start page's count: only the children whose proposed match waits for a decision.
    let query = leptos_router::hooks::use_query_map();
    let only_proposed = move || query.read().get("proposed").as_deref() == Some("1");
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let note = notice(l, &[("erased", "child-erased")]);
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => view! {
                        <section class="card">
                            <h1>{l.t("children-title")}</h1>
                            {note.map(|n| view! { <p class="ok" role="status" id="children-notice">{n}</p> })}
                            <p class="muted">{l.t("children-intro")}</p>
                            {only_proposed().then(|| view! {
                                <p id="only-proposed">{l.t("children-only-proposed")}" "<a href=format!("/t/{}/children", slug())>{l.t("children-show-all")}</a></p>
                            })}
                            {d.waiting.is_empty().then(|| view! { <p id="no-children">{l.t("children-none")}</p> })}
                            <div class="table-scroll" tabindex="0"><table id="waiting-list">
                                <thead><tr>
                                    <th>{l.t("child-name")}</th><th>{l.t("child-age")}</th><th>{l.t("child-region")}</th>
                                    <th>{l.t("child-institution")}</th><th>{l.t("child-languages")}</th><th>{l.t("children-waited")}</th>
                                </tr></thead>
                                <tbody>
                                    {d.waiting.iter().filter(|c| c.proposed || !only_proposed()).map(|c| view! {
                                        <tr data-child=c.id.to_string()>
                                            <td>
                                                <a href=format!("/t/{}/children/{}", slug(), c.id)>{c.name.clone()}</a>
                                                {c.proposed.then(|| view! { <br/><span class="badge" data-proposed="1">{l.t("children-proposed")}</span> })}
                                            </td>
                                            <td>{c.age}</td>
                                            <td>{c.region_name.clone()}</td>
                                            <td>{c.institution_name.clone()}</td>
                                            <td>{crate::forms::languages(l, &c.languages)}</td>
                                            <td class="waited">{l.t_args("children-days", &[("days", c.waiting_days.to_string())])}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        </section>
                        {d.can_register.then(|| view! {
                            <section class="card">
                                <h2>{l.t("children-register")}</h2>
                                {move || register.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <form method="post" action=RegisterChildForm::PATH class="form" id="register-child">
                                    {crate::forms::keys(info.csrf.clone())}
                                    <input type="hidden" name="slug" value=slug()/>
                                    <label>{l.t("child-first-name")}<input name="first_name" required maxlength="60"/></label>
                                    <label>{l.t("child-last-initial")}<input name="last_initial" required maxlength="1"/></label>
                                    <label>{l.t("child-birth-date")}<input type="date" name="date_of_birth" required/></label>
                                    <label>{l.t("child-gender")}
                                        <select name="gender">
                                            <option value="female">{l.t("gender-female")}</option>
                                            <option value="male">{l.t("gender-male")}</option>
                                        </select>
                                    </label>
                                    <label>{l.t("child-region")}
                                        <select name="region">
                                            {d.regions.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("child-institution")}
                                        <select name="institution">
                                            <option value="">"—"</option>
                                            {d.institutions.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <fieldset>
                                        <legend>{l.t("child-languages")}</legend>
                                        {["kk", "ru", "en"].into_iter().enumerate().map(|(i, code)| view! {
                                            <label class="check"><input type="checkbox" name=format!("languages[{i}]") value=code/>{l.t(&format!("language-{code}"))}</label>
                                        }).collect_view()}
                                    </fieldset>
                                    <label>{l.t("child-interests")}<input name="interests" placeholder=l.t("child-interests-hint")/></label>
                                    <label>{l.t("child-needs")}<textarea name="needs" maxlength="2000"></textarea></label>
                                    <label>{l.t("child-preferred-gender")}
                                        <select name="preferred_mentor_gender">
                                            <option value="">{l.t("child-no-preference")}</option>
                                            <option value="female">{l.t("gender-female")}</option>
                                            <option value="male">{l.t("gender-male")}</option>
                                        </select>
                                    </label>
                                    <label>{l.t("child-consent-by")}
                                        <select name="consent_by">
                                            <option value="institution">{l.t("consent-institution")}</option>
                                            <option value="guardian">{l.t("consent-guardian")}</option>
                                        </select>
                                    </label>
                                    <label>{l.t("child-consent-name")}<input name="consent_name" required maxlength="200"/></label>
                                    <label>{l.t("child-consent-on")}<input type="date" name="consent_on" required/></label>
                                    <button type="submit">{l.t("children-register")}</button>
                                </form>
                            </section>
                        })}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

// ---------------------------------------------------------------- a child

#[component]
pub fn ChildPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let id = crate::forms::route_id(params, "child");
    let data = Resource::new(move || (slug(), id()), |(s, i)| child_page(s, i));
    let propose = ServerAction::<ProposeMatchForm>::new();
    let decide = ServerAction::<DecideMatchForm>::new();
    let erase = ServerAction::<EraseChildForm>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let note = notice(l, &[("registered", "child-registered"), ("proposed", "match-proposed"), ("decided", "match-decided"), ("uploaded", "document-uploaded")]);
                let upload_error = upload_error();
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => {
                        let c = d.child.clone();
                        let csrf = info.csrf.clone();
                        let child_id = c.id.to_string();
                        // An approval without the signed consent on file is warned about.
                        let consent_missing = c.consent_documents.is_empty();
                        view! {
                            <section class="card" id="child">
                                <h1>{format!("{} {}.", c.first_name, c.last_initial)}</h1>
                                {note.map(|n| view! { <p class="ok" role="status" id="child-notice">{n}</p> })}
                                {upload_error.map(|m| view! { <p class="error" role="alert">{m}</p> })}
                                {move || propose.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || decide.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || erase.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <dl class="figures">
                                    <dt>{l.t("child-age")}</dt><dd>{c.age}" ("{date(c.date_of_birth)}")"</dd>
                                    <dt>{l.t("child-gender")}</dt><dd>{l.t(&format!("gender-{}", c.gender.as_str()))}</dd>
                                    <dt>{l.t("child-region")}</dt><dd>{c.region_name.clone()}</dd>
                                    <dt>{l.t("child-institution")}</dt><dd>{c.institution_name.clone()}</dd>
                                    <dt>{l.t("child-languages")}</dt><dd>{crate::forms::languages(l, &c.languages)}</dd>
                                    <dt>{l.t("child-interests")}</dt><dd>{c.interests.join(", ")}</dd>
                                    <dt>{l.t("child-needs")}</dt><dd class="confidential">{c.needs.clone()}</dd>
                                    <dt>{l.t("child-consent-by")}</dt><dd>{c.consent.name.clone()}", "{date(c.consent.given_on)}</dd>
                                    <dt>{l.t("child-status")}</dt><dd id="child-status">{l.t(&key("child-status", &c.status))}</dd>
                                    {(c.status == "waiting").then(|| view! {
                                        <dt>{l.t("children-waited")}</dt><dd>{l.t_args("children-days", &[("days", c.waiting_days.to_string())])}</dd>
                                    })}
                                </dl>
                                {d.is_admin.then(|| view! {
                                    // A file download, not a page: the router must not take it.
                                    <p><a href=format!("/t/{}/children/{}/export", slug(), c.id) rel="external" download="" class="button secondary" id="child-export">{l.t("child-export")}</a></p>
                                    <form method="post" action=EraseChildForm::PATH class="form inline" id="erase-child">
                                        {crate::forms::keys(csrf.clone())}
                                        <input type="hidden" name="slug" value=slug()/>
                                        <input type="hidden" name="id" value=child_id.clone()/>
                                        <label class="check"><input type="checkbox" name="confirm" value="yes"/>{l.t("child-erase-confirm")}</label>
                                        <button type="submit" class="danger">{l.t("child-erase")}</button>
                                    </form>
                                })}
                            </section>
                            {d.is_admin.then(|| view! {
                                <section class="card" id="child-audit">
                                    <h2>{l.t("child-audit-title")}</h2>
                                    <p class="muted">{l.t_args("child-audit-help", &[("count", CHILD_AUDIT_SHOWN.to_string())])}</p>
                                    <div class="table-scroll" tabindex="0">
                                        <table>
                                            <thead><tr>
                                                <th>{l.t("child-audit-when")}</th><th>{l.t("child-audit-who")}</th><th>{l.t("child-audit-what")}</th>
                                            </tr></thead>
                                            <tbody>
                                                {d.audit.iter().map(|e| view! {
                                                    <tr>
                                                        <td>{e.when.clone()}</td>
                                                        <td>{e.who.clone().unwrap_or_else(|| l.t("child-audit-system"))}</td>
                                                        <td><code>{e.action.clone()}</code></td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                </section>
                            })}
                            <section class="card" id="consent">
                                <h2>{l.t("consent-document")}</h2>
                                {c.consent_documents.is_empty().then(|| view! { <p class="muted">{l.t("consent-document-none")}</p> })}
                                <ul class="documents">
                                    {c.consent_documents.iter().map(|doc| view! {
                                        {document_line(l, doc)}
                                        <li class="muted"><a href=format!("/t/{}/documents/{}/file", slug(), doc.id) rel="external">{l.t("review-download")}</a></li>
                                    }).collect_view()}
                                </ul>
                                {d.can_register.then(|| upload_form(
                                    l,
                                    format!("/t/{}/children/{}/consent", slug(), c.id),
                                    csrf.clone(),
                                    l.t("consent-document-upload"),
                                    Vec::new(),
                                    "consent-form",
                                ))}
                            </section>
                            {(c.status == "waiting").then(|| view! {
                                <section class="card">
                                    <h2>{l.t("suggestions-title")}</h2>
                                    {d.suggestions.is_empty().then(|| view! { <p id="no-suggestions">{l.t("suggestions-none")}</p> })}
                                    <div class="table-scroll" tabindex="0"><table id="suggestions">
                                        <thead><tr><th>{l.t("suggestions-mentor")}</th><th>{l.t("suggestions-score")}</th><th>{l.t("suggestions-why")}</th>{d.can_propose.then(|| view! { <th></th> })}</tr></thead>
                                        <tbody>
                                            {d.suggestions.iter().map(|s| view! {
                                                <tr data-mentor=s.mentor_id.to_string()>
                                                    <td>{s.mentor_name.clone()}</td>
                                                    <td class="score">{s.score}</td>
                                                    <td><ul class="reasons">{s.reasons.iter().map(|r| view! { <li class="chip">{reason_text(l, r)}</li> }).collect_view()}</ul></td>
                                                    {d.can_propose.then(|| view! {
                                                        <td>
                                                            <form method="post" action=ProposeMatchForm::PATH>
                                                                {crate::forms::keys(csrf.clone())}
                                                                <input type="hidden" name="slug" value=slug()/>
                                                                <input type="hidden" name="child" value=child_id.clone()/>
                                                                <input type="hidden" name="mentor" value=s.mentor_id.to_string()/>
                                                                <button type="submit">{l.t("suggestions-propose")}</button>
                                                            </form>
                                                        </td>
                                                    })}
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table></div>
                                </section>
                            })}
                            <section class="card">
                                <h2>{l.t("matches-title")}</h2>
                                {d.matches.is_empty().then(|| view! { <p>{l.t("matches-none")}</p> })}
                                <ul id="matches">
                                    {d.matches.iter().map(|m| view! {
                                        <li data-match=m.id.to_string() data-status=m.status.clone()>
                                            <strong>{m.mentor_name.clone()}</strong>" · "{m.score}" · "
                                            <span class="badge">{l.t(&key("match-status", &m.status))}</span>
                                            {m.decision_reason.clone().map(|r| view! { <span class="muted">" — "{r}</span> })}
                                            {m.pair_id.map(|p| view! { " " <a href=format!("/t/{}/pairs/{}", slug(), p)>{l.t("match-open-pair")}</a> })}
                                            {(d.can_decide && m.status == "proposed").then(|| view! {
                                                <form method="post" action=DecideMatchForm::PATH class="form inline decide">
                                                    {crate::forms::keys(csrf.clone())}
                                                    <input type="hidden" name="slug" value=slug()/>
                                                    <input type="hidden" name="child" value=child_id.clone()/>
                                                    <input type="hidden" name="id" value=m.id.to_string()/>
                                                    {consent_missing.then(|| view! {
                                                        <p class="warning" id="consent-missing">{l.t("match-consent-missing")}</p>
                                                    })}
                                                    <label>{l.t("match-reason")}<input name="reason" maxlength="2000"/></label>
                                                    <button type="submit" name="decision" value="approved">{l.t("match-approve")}</button>
                                                    <button type="submit" name="decision" value="declined" class="secondary">{l.t("match-decline")}</button>
                                                </form>
                                            })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

// ---------------------------------------------------------------- the mentor's profile

/// The mentor's profile for matching, a page of its own (issue 20): the programme's rules to
/// acknowledge, and what the ranking knows about them (gender, interests, where they live).
#[component]
pub fn ProfilePage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, pairs_page);
    let acknowledge = ServerAction::<AcknowledgeRulesForm>::new();
    let profile = ServerAction::<MentorProfileForm>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let note = notice(l, &[("acknowledged", "rules-acknowledged"), ("profile", "profile-saved")]);
                // Only a mentor has a profile for matching; anyone else of the organisation is
                // refused as the pages refuse a role (403).
                let found = data.await.and_then(|d| d.profile.ok_or(AppError::Domain(domain::Error::Forbidden)));
                match loaded(found, l) {
                    Err(v) => v,
                    Ok(p) => view! {
                        {view! {
                            <section class="card" id="rules">
                                <h1>{l.t("nav-profile")}</h1>
                                <h2>{l.t("rules-title")}</h2>
                                <p>{l.t("rules-text")}</p>
                                {note.clone().map(|n| view! { <p class="ok" role="status">{n}</p> })}
                                {move || acknowledge.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {match p.rules_acknowledged_at {
                                    Some(t) => view! { <p class="muted" id="rules-acknowledged">{l.t_args("rules-acknowledged-on", &[("date", date(t.date_naive()))])}</p> }.into_any(),
                                    None => view! {
                                        <form method="post" action=AcknowledgeRulesForm::PATH>
                                            {crate::forms::keys(info.csrf.clone())}
                                            <input type="hidden" name="slug" value=slug()/>
                                            <button type="submit" id="acknowledge-rules">{l.t("rules-acknowledge")}</button>
                                        </form>
                                    }.into_any(),
                                }}
                            </section>
                            <section class="card" id="mentor-profile">
                                <h2>{l.t("profile-title")}</h2>
                                <p class="muted">{l.t("profile-intro")}</p>
                                {move || profile.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <form method="post" action=MentorProfileForm::PATH class="form" id="profile-form">
                                    {crate::forms::keys(info.csrf.clone())}
                                    <input type="hidden" name="slug" value=slug()/>
                                    <label>{l.t("child-gender")}
                                        <select name="gender">
                                            <option value="" selected=p.gender.is_none()>"—"</option>
                                            <option value="female" selected=p.gender == Some(domain::matching::Gender::Female)>{l.t("gender-female")}</option>
                                            <option value="male" selected=p.gender == Some(domain::matching::Gender::Male)>{l.t("gender-male")}</option>
                                        </select>
                                    </label>
                                    <label>{l.t("child-interests")}<input name="interests" value=p.interests.join(", ") placeholder=l.t("child-interests-hint")/></label>
                                    <label>{l.t("profile-lat")}<input name="lat" inputmode="decimal" value=p.home_at.map(|h| h.lat.to_string()).unwrap_or_default()/></label>
                                    <label>{l.t("profile-lon")}<input name="lon" inputmode="decimal" value=p.home_at.map(|h| h.lon.to_string()).unwrap_or_default()/></label>
                                    <p class="muted">{l.t_args("profile-capacity", &[("count", p.capacity.to_string())])}</p>
                                    <button type="submit">{l.t("profile-save")}</button>
                                </form>
                            </section>
                        }}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

// ---------------------------------------------------------------- pairs

#[component]
pub fn PairsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, pairs_page);
    let capacity = ServerAction::<MentorCapacityForm>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let note = notice(l, &[("capacity", "mentors-capacity-saved")]);
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => view! {
                        <section class="card">
                            <h1>{if d.is_staff { l.t("pairs-title") } else { l.t("pairs-mine") }}</h1>
                            {d.pairs.is_empty().then(|| view! { <p id="no-pairs">{l.t("pairs-none")}</p> })}
                            <div class="table-scroll" tabindex="0"><table id="pairs">
                                <thead><tr>
                                    <th>{l.t("pair-child")}</th><th>{l.t("pair-mentor")}</th><th>{l.t("pair-term")}</th>
                                    <th>{l.t("pair-last-meeting")}</th><th>{l.t("pair-standing")}</th>
                                </tr></thead>
                                <tbody>
                                    {d.pairs.iter().map(|p| view! {
                                        <tr data-pair=p.id.to_string()>
                                            <td><a href=format!("/t/{}/pairs/{}", slug(), p.id)>{p.child_name.clone()}</a></td>
                                            <td>{p.mentor_name.clone()}</td>
                                            <td>{format!("{} – {}", date(p.starts_on), date(p.ends_on))}</td>
                                            <td>{p.last_meeting.map(date).unwrap_or_else(|| "—".into())}</td>
                                            <td>{standing_badge(l, p.standing)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        </section>
                        {(!d.mentors.is_empty()).then(|| view! {
                            <section class="card" id="mentors">
                                <h2>{l.t("mentors-title")}</h2>
                                {note.clone().map(|n| view! { <p class="ok" role="status">{n}</p> })}
                                {move || capacity.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <div class="table-scroll" tabindex="0"><table>
                                    <thead><tr><th>{l.t("pair-mentor")}</th><th>{l.t("child-languages")}</th><th>{l.t("child-interests")}</th><th>{l.t("mentors-load")}</th><th>{l.t("mentors-capacity")}</th></tr></thead>
                                    <tbody>
                                        {d.mentors.iter().map(|m| view! {
                                            <tr data-mentor=m.id.to_string()>
                                                <td>{m.name.clone()}</td>
                                                <td>{crate::forms::languages(l, &m.languages)}</td>
                                                <td>{m.interests.join(", ")}</td>
                                                <td class="load">{format!("{} / {}", m.mentees, m.capacity)}</td>
                                                <td>
                                                    <form method="post" action=MentorCapacityForm::PATH class="form inline">
                                                        {crate::forms::keys(info.csrf.clone())}
                                                        <input type="hidden" name="slug" value=slug()/>
                                                        <input type="hidden" name="mentor" value=m.id.to_string()/>
                                                        <input type="number" name="capacity" min="1" max=domain::matching::MAX_CAPACITY.to_string() value=m.capacity.to_string() aria-label=l.t("mentors-capacity")/>
                                                        <button type="submit" class="secondary">{l.t("mentors-capacity-save")}</button>
                                                    </form>
                                                </td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            </section>
                        })}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn PairPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let id = crate::forms::route_id(params, "pair");
    let data = Resource::new(move || (slug(), id()), |(s, i)| pair_page(s, i));
    let log = ServerAction::<LogMeetingForm>::new();
    let correct = ServerAction::<UpdateMeetingForm>::new();
    let withdraw = ServerAction::<DeleteMeetingForm>::new();
    let close = ServerAction::<ClosePairForm>::new();
    let guest = ServerAction::<GuestVisitsForm>::new();
    let concern = ServerAction::<RaiseConcernForm>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let note = notice(l, &[("logged", "meeting-logged"), ("corrected", "meeting-corrected"), ("deleted", "meeting-deleted"), ("closed", "pair-closed-notice"), ("granted", "guest-granted"), ("concern", "concern-raised"), ("uploaded", "document-uploaded")]);
                let upload_error = upload_error();
                let photo = use_query_map().read_untracked().get("photo");
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => {
                        let p = d.pair.clone();
                        // Just logged (`photo=<meeting>`): a photo of that meeting is offered
                        // first; a chosen file goes at once (issue 20: three taps in all).
                        let photo_for = photo.and_then(|id| {
                            d.meetings
                                .iter()
                                .find(|m| d.can_log && !m.locked && m.id.to_string() == id)
                                .map(|m| m.id)
                        });
                        let csrf = info.csrf.clone();
                        let pair_id = p.id.to_string();
                        let hidden = move || view! {
                            {crate::forms::keys(csrf.clone())}
                            <input type="hidden" name="slug" value=slug()/>
                            <input type="hidden" name="pair" value=pair_id.clone()/>
                        };
                        let hidden_for_meetings = hidden.clone();
                        view! {
                            <section class="card" id="pair">
                                <p class="muted">{p.programme_name.clone()}</p>
                                <h1>{format!("{} · {}", p.child_name, p.mentor_name)}</h1>
                                {note.map(|n| view! { <p class="ok" role="status" id="pair-notice">{n}</p> })}
                                {upload_error.map(|m| view! { <p class="error" role="alert">{m}</p> })}
                                {photo_for.map(|meeting| view! {
                                    <div class="meeting-photo" id="meeting-photo" data-auto-send="">
                                        {upload_form(
                                            l,
                                            format!("/t/{}/pairs/{}/attachments", slug(), p.id),
                                            info.csrf.clone(),
                                            l.t("meeting-photo-add"),
                                            vec![("meeting", meeting.to_string())],
                                            "meeting-photo-form",
                                        )}
                                    </div>
                                })}
                                {move || log.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || correct.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || withdraw.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || close.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || guest.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || concern.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <dl class="figures">
                                    <dt>{l.t("pair-standing")}</dt><dd id="pair-standing">{standing_badge(l, p.standing)}</dd>
                                    <dt>{l.t("pair-term")}</dt><dd>{format!("{} – {}", date(p.starts_on), date(p.ends_on))}</dd>
                                    <dt>{l.t("pair-last-meeting")}</dt><dd>{p.last_meeting.map(date).unwrap_or_else(|| "—".into())}</dd>
                                    <dt>{l.t("pair-child-age")}</dt><dd>{p.child_age}</dd>
                                    <dt>{l.t("child-languages")}</dt><dd>{crate::forms::languages(l, &p.child_languages)}</dd>
                                    <dt>{l.t("child-interests")}</dt><dd>{p.child_interests.join(", ")}</dd>
                                    {p.close_reason.map(|r| view! { <dt>{l.t("pair-close-reason")}</dt><dd>{l.t(&key("close-reason", r.as_str()))}</dd> })}
                                </dl>
                                {(!p.guest_visits.is_empty()).then(|| view! {
                                    <h2>{l.t("guest-title")}</h2>
                                    <ul id="guest-visits">
                                        {p.guest_visits.iter().map(|g| view! {
                                            <li data-visits=g.id.to_string()>{format!("{} – {}", date(g.from_on), date(g.until_on))}" · "{l.t_args("guest-approved-by", &[("name", g.approved_by.clone())])}" "{g.note.clone()}
                                                {match &g.document {
                                                    Some(doc) => view! {
                                                        <ul class="documents">{document_line(l, doc)}</ul>
                                                        {d.is_staff.then(|| view! { <a href=format!("/t/{}/documents/{}/file", slug(), doc.id) rel="external">{l.t("review-download")}</a> })}
                                                    }.into_any(),
                                                    None => view! { " " <span class="badge error">{l.t("guest-permission-missing")}</span> }.into_any(),
                                                }}
                                                {d.can_manage.then(|| upload_form(
                                                    l,
                                                    format!("/t/{}/pairs/{}/guest-permission", slug(), p.id),
                                                    info.csrf.clone(),
                                                    l.t("guest-permission-upload"),
                                                    vec![("visits", g.id.to_string())],
                                                    "guest-permission-form",
                                                ))}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                })}
                            </section>
                            {d.can_log.then(|| view! {
                                <section class="card">
                                    <h2>{l.t("meeting-log")}</h2>
                                    <form method="post" action=LogMeetingForm::PATH class="form" id="log-meeting">
                                        {hidden()}
                                        <label>{l.t("meeting-date")}<input type="date" name="held_on" required/></label>
                                        <label>{l.t("meeting-minutes")}<input type="number" name="minutes" min="1" max="1440" value="60" required/></label>
                                        <label>{l.t("meeting-format")}
                                            <select name="format">
                                                {MeetingFormat::ALL.iter().map(|f| view! { <option value=f.as_str()>{l.t(&key("meeting-format", f.as_str()))}</option> }).collect_view()}
                                            </select>
                                        </label>
                                        <label>{l.t("meeting-issues")}<textarea name="issues" maxlength="4000"></textarea></label>
                                        <label>{l.t("meeting-agreements")}<textarea name="agreements" maxlength="4000"></textarea></label>
                                        <label>{l.t("meeting-mood")}
                                            <select name="mood">
                                                {Mood::ALL.iter().map(|m| view! { <option value=m.as_str()>{l.t(&key("mood", m.as_str()))}</option> }).collect_view()}
                                            </select>
                                        </label>
                                        <label>{l.t("meeting-next-steps")}<textarea name="next_steps" maxlength="4000"></textarea></label>
                                        <button type="submit">{l.t("meeting-save")}</button>
                                    </form>
                                </section>
                            })}
                            <section class="card">
                                <h2>{l.t("meetings-title")}</h2>
                                {d.meetings.is_empty().then(|| view! { <p>{l.t("meetings-none")}</p> })}
                                <ul id="meetings" class="history">
                                    {d.meetings.iter().map(|m| view! {
                                        <li data-meeting=m.id.to_string()>
                                            <strong>{date(m.held_on)}</strong>" · "{l.t(&key("meeting-format", m.format.as_str()))}" · "
                                            {l.t_args("meeting-minutes-value", &[("minutes", m.minutes.to_string())])}" · "
                                            {l.t(&key("mood", m.mood.as_str()))}
                                            {m.locked.then(|| view! { " " <span class="badge">{l.t("meeting-locked")}</span> })}
                                            {(!m.issues.is_empty()).then(|| view! { <p>{l.t("meeting-issues")}": "{m.issues.clone()}</p> })}
                                            {(!m.agreements.is_empty()).then(|| view! { <p>{l.t("meeting-agreements")}": "{m.agreements.clone()}</p> })}
                                            {(!m.next_steps.is_empty()).then(|| view! { <p>{l.t("meeting-next-steps")}": "{m.next_steps.clone()}</p> })}
                                            {(!m.attachments.is_empty()).then(|| view! {
                                                <ul class="documents attachments">
                                                    {m.attachments.iter().map(|doc| view! {
                                                        {document_line(l, doc)}
                                                        {d.is_staff.then(|| view! { <li class="muted"><a href=format!("/t/{}/documents/{}/file", slug(), doc.id) rel="external">{l.t("review-download")}</a></li> })}
                                                    }).collect_view()}
                                                </ul>
                                            })}
                                            {(d.can_log && !m.locked).then(|| upload_form(
                                                l,
                                                format!("/t/{}/pairs/{}/attachments", slug(), m.pair_id),
                                                info.csrf.clone(),
                                                l.t("meeting-attach"),
                                                vec![("meeting", m.id.to_string())],
                                                "attachment-form",
                                            ))}
                                            // The mentor corrects an open protocol; the form says until when.
                                            {(d.can_log && !m.locked).then(|| {
                                                let hidden = hidden_for_meetings.clone();
                                                let hidden_delete = hidden_for_meetings.clone();
                                                view! {
                                                    <details class="correct">
                                                        <summary>{l.t_args("meeting-correct-until", &[("date", when(m.editable_until))])}</summary>
                                                        <form method="post" action=UpdateMeetingForm::PATH class="form" data-correct=m.id.to_string()>
                                                            {hidden()}
                                                            <input type="hidden" name="id" value=m.id.to_string()/>
                                                            <label>{l.t("meeting-date")}<input type="date" name="held_on" value=m.held_on.to_string() required/></label>
                                                            <label>{l.t("meeting-minutes")}<input type="number" name="minutes" min="1" max="1440" value=m.minutes.to_string() required/></label>
                                                            <label>{l.t("meeting-format")}
                                                                <select name="format">
                                                                    {MeetingFormat::ALL.iter().map(|f| view! { <option value=f.as_str() selected=*f == m.format>{l.t(&key("meeting-format", f.as_str()))}</option> }).collect_view()}
                                                                </select>
                                                            </label>
                                                            <label>{l.t("meeting-issues")}<textarea name="issues" maxlength="4000">{m.issues.clone()}</textarea></label>
                                                            <label>{l.t("meeting-agreements")}<textarea name="agreements" maxlength="4000">{m.agreements.clone()}</textarea></label>
                                                            <label>{l.t("meeting-mood")}
                                                                <select name="mood">
                                                                    {Mood::ALL.iter().map(|x| view! { <option value=x.as_str() selected=*x == m.mood>{l.t(&key("mood", x.as_str()))}</option> }).collect_view()}
                                                                </select>
                                                            </label>
                                                            <label>{l.t("meeting-next-steps")}<textarea name="next_steps" maxlength="4000">{m.next_steps.clone()}</textarea></label>
                                                            <button type="submit">{l.t("meeting-correct")}</button>
                                                        </form>
                                                        // A protocol logged twice or for the wrong day is withdrawn while open.
                                                        <form method="post" action=DeleteMeetingForm::PATH class="form inline" data-delete=m.id.to_string()>
                                                            {hidden_delete()}
                                                            <input type="hidden" name="id" value=m.id.to_string()/>
                                                            <label class="check"><input type="checkbox" name="confirm" value="yes"/>{l.t("meeting-delete-confirm")}</label>
                                                            <button type="submit" class="danger">{l.t("meeting-delete")}</button>
                                                        </form>
                                                    </details>
                                                }
                                            })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </section>
                            {d.can_manage.then(|| view! {
                                <section class="card">
                                    <h2>{l.t("guest-grant")}</h2>
                                    <form method="post" action=GuestVisitsForm::PATH class="form inline">
                                        {hidden()}
                                        <label>{l.t("guest-from")}<input type="date" name="from_on" required/></label>
                                        <label>{l.t("guest-until")}<input type="date" name="until_on" required/></label>
                                        <label>{l.t("guest-note")}<input name="note" maxlength="2000"/></label>
                                        <button type="submit">{l.t("guest-grant")}</button>
                                    </form>
                                    <h2>{l.t("pair-close")}</h2>
                                    <form method="post" action=ClosePairForm::PATH class="form inline">
                                        {hidden()}
                                        <label>{l.t("pair-close-reason")}
                                            <select name="reason">
                                                {CloseReason::ALL.iter().map(|r| view! { <option value=r.as_str()>{l.t(&key("close-reason", r.as_str()))}</option> }).collect_view()}
                                            </select>
                                        </label>
                                        <label>{l.t("pair-close-note")}<input name="note" maxlength="2000"/></label>
                                        <button type="submit" class="secondary">{l.t("pair-close")}</button>
                                    </form>
                                </section>
                            })}
                            <section class="card">
                                <h2>{l.t("concern-raise")}</h2>
                                <p class="muted">{l.t("concern-intro")}</p>
                                <form method="post" action=RaiseConcernForm::PATH class="form" id="raise-concern">
                                    {hidden()}
                                    <label>{l.t("concern-severity")}
                                        <select name="severity">
                                            {Severity::ALL.iter().map(|s| view! { <option value=s.as_str()>{l.t(&format!("severity-{}", s.as_str()))}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("concern-summary")}<textarea name="summary" required maxlength="4000"></textarea></label>
                                    <button type="submit" class="secondary">{l.t("concern-raise")}</button>
                                </form>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

// ---------------------------------------------------------------- concerns

#[component]
pub fn ConcernsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, concerns_page);
    let act = ServerAction::<ConcernActionForm>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let note = notice(l, &[("acted", "concern-acted")]);
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => {
                        let csrf = info.csrf.clone();
                        view! {
                            <section class="card">
                                <h1>{l.t("concerns-title")}</h1>
                                {note.map(|n| view! { <p class="ok" role="status" id="concerns-notice">{n}</p> })}
                                {move || act.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {d.concerns.is_empty().then(|| view! { <p>{l.t("concerns-none")}</p> })}
                                <ul id="concerns" class="history">
                                    {d.concerns.iter().map(|c| view! {
                                        <li data-concern=c.id.to_string() data-status=c.status.clone()>
                                            <span class=severity_class(c.severity)>{l.t(&format!("severity-{}", c.severity.as_str()))}</span>" "
                                            <span class="badge">{l.t(&key("concern-status", &c.status))}</span>" "
                                            <span class="muted">{c.raised_by.clone()}", "{when(c.raised_at)}</span>
                                            {c.pair_id.map(|p| view! { " " <a href=format!("/t/{}/pairs/{}", slug(), p)>{l.t("concern-open-pair")}</a> })}
                                            <p>{c.summary.clone()}</p>
                                            <ol class="actions">
                                                {c.actions.iter().map(|a| view! { <li>{date(a.at.date_naive())}" · "{a.by.clone()}": "{a.action.clone()}</li> }).collect_view()}
                                            </ol>
                                            {(d.can_act && c.status == "open").then(|| view! {
                                                <form method="post" action=ConcernActionForm::PATH class="form inline">
                                                    {crate::forms::keys(csrf.clone())}
                                                    <input type="hidden" name="slug" value=slug()/>
                                                    <input type="hidden" name="id" value=c.id.to_string()/>
                                                    <label>{l.t("concern-action")}<input name="action" required maxlength="4000"/></label>
                                                    <label class="check"><input type="checkbox" name="resolve" value="yes"/>{l.t("concern-resolve")}</label>
                                                    <button type="submit">{l.t("concern-record")}</button>
                                                </form>
                                            })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

// ---------------------------------------------------------------- consultations

#[component]
pub fn ConsultationsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, consultations_page);
    let record = ServerAction::<RecordConsultationForm>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let note = notice(l, &[("recorded", "consultation-recorded")]);
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => view! {
                        <section class="card">
                            <h1>{l.t("consultations-title")}</h1>
                            <p class="muted">{l.t("consultations-private")}</p>
                            {note.map(|n| view! { <p class="ok" role="status" id="consultations-notice">{n}</p> })}
                            {move || record.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            <form method="post" action=RecordConsultationForm::PATH class="form" id="record-consultation">
                                {crate::forms::keys(info.csrf.clone())}
                                <input type="hidden" name="slug" value=slug()/>
                                <label>{l.t("consultation-with")}
                                    <select name="subject">
                                        <optgroup label=l.t("consultation-pair")>
                                            {d.pairs.iter().map(|(id, name)| view! { <option value=format!("pair:{id}")>{name.clone()}</option> }).collect_view()}
                                        </optgroup>
                                        <optgroup label=l.t("consultation-mentor")>
                                            {d.mentors.iter().map(|(id, name)| view! { <option value=format!("mentor:{id}")>{name.clone()}</option> }).collect_view()}
                                        </optgroup>
                                        <optgroup label=l.t("consultation-child")>
                                            {d.children.iter().map(|(id, name)| view! { <option value=format!("child:{id}")>{name.clone()}</option> }).collect_view()}
                                        </optgroup>
                                    </select>
                                </label>
                                <label>{l.t("consultation-when")}<input type="datetime-local" name="scheduled_at" required/></label>
                                <label class="check"><input type="checkbox" name="held" value="yes"/>{l.t("consultation-held")}</label>
                                <label>{l.t("consultation-notes")}<textarea name="notes" maxlength="4000"></textarea></label>
                                <button type="submit">{l.t("consultation-save")}</button>
                            </form>
                            {d.consultations.is_empty().then(|| view! { <p>{l.t("consultations-none")}</p> })}
                            <ul id="consultations" class="history">
                                {d.consultations.iter().map(|c| view! {
                                    <li data-consultation=c.id.to_string()>
                                        <strong>{when(c.scheduled_at)}</strong>" · "
                                        <span class="badge">{l.t(&key("consultation-status", &c.status))}</span>" · "{c.psychologist_name.clone()}
                                        {c.pair_id.map(|p| view! { " " <a href=format!("/t/{}/pairs/{}", slug(), p)>{l.t("concern-open-pair")}</a> })}
                                        <p>{c.notes.clone()}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
