//! Selection pages. Plain HTML forms (GET for filters, POST for changes) that work before the
//! bundle loads; errors come back translated on the page they were sent from.

use domain::Locale;
use domain::selection::{
    Awaits, CandidateRow, CohortKind, Outcome, SeatStatus, StageKind, StageRecord, StageStatus,
    Vote,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::*;
use crate::errors::{ErrorNote, loaded};
use crate::forms::{date, when};
use crate::session::use_session;

fn status_class(s: Option<StageStatus>) -> &'static str {
    match s {
        Some(StageStatus::Passed) => "badge ok",
        Some(StageStatus::Failed) => "badge error",
        _ => "badge",
    }
}

fn outcome_class(o: Outcome) -> &'static str {
    match o {
        Outcome::Selected | Outcome::Active => "badge ok",
        Outcome::NotSelected => "badge error",
        Outcome::Pending => "badge",
    }
}

/// "Stage · status" of a candidate row.
fn where_now(l: Locale, r: &CandidateRow) -> String {
    match (r.stage, r.stage_status) {
        (Some(s), Some(st)) => format!("{} · {}", l.t(&s.label_key()), l.t(st.label_key())),
        _ => String::new(),
    }
}

/// The filter as the page's query string has it (unknown values are ignored, not refused:
/// a stale bookmark still opens the page).
fn filter_from_query(q: &leptos_router::params::ParamsMap) -> CandidateFilter {
    let nonempty = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
    CandidateFilter {
        programme: nonempty("programme"),
        stage: nonempty("stage").and_then(|s| StageKind::parse(&s).ok()),
        region_id: nonempty("region").and_then(|r| r.parse().ok()),
        outcome: nonempty("outcome").and_then(|o| Outcome::parse(&o)),
        q: nonempty("q"),
        awaits: nonempty("awaits").and_then(|a| Awaits::parse(&a)),
    }
}

/// The board (a column per stage) and the table (with bulk actions) of candidates.
#[component]
pub fn CandidatesPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let filter = move || filter_from_query(&query.read());
    let data = Resource::new(
        move || (slug(), filter()),
        |(s, f)| candidates_page(s, Some(f)),
    );
    let bulk = ServerAction::<BulkCandidates>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let f = filter();
                let (table, done, failed) = {
                    let q = query.read_untracked();
                    (
                        q.get("view").as_deref() == Some("table"),
                        q.get("done"),
                        q.get_all("failed").unwrap_or_default(),
                    )
                };
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => {
                        let base = format!("/t/{}/candidates", slug());
                        let link = |table: bool| {
                            let q = query.read_untracked();
                            let mut parts: Vec<String> = ["programme", "stage", "region", "outcome", "awaits", "q"]
                                .into_iter()
                                .filter_map(|k| q.get(k).map(|v| format!("{k}={}", crate::encode_query_value(&v))))
                                .collect();
                            if table {
                                parts.push("view=table".into());
                            }
                            format!("{base}?{}", parts.join("&"))
                        };
                        view! {
                            <section class="card">
                                <h1>{l.t("candidates-title")}</h1>
                                <p class="muted" id="candidates-count">{l.t_args("candidates-count", &[("shown", d.rows.len().to_string()), ("total", d.total.to_string())])}</p>
                                {done.map(|n| view! { <p class="ok" role="status" id="bulk-done">{l.t_args("candidates-bulk-done", &[("count", n)])}</p> })}
                                {(!failed.is_empty()).then(|| view! {
                                    <div class="error" role="alert" id="bulk-failed">
                                        <p>{l.t("candidates-bulk-failed")}</p>
                                        <ul>{failed.iter().map(|m| view! { <li>{m.clone()}</li> }).collect_view()}</ul>
                                    </div>
                                })}
                                {move || bulk.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <form method="get" action=base.clone() class="form inline filters" id="candidate-filter">
                                    {table.then(|| view! { <input type="hidden" name="view" value="table"/> })}
                                    <label>{l.t("candidates-programme")}
                                        <select name="programme">
                                            <option value="">{l.t("candidates-any")}</option>
                                            {d.programmes.iter().map(|(s, n)| view! { <option value=s.clone() selected=f.programme.as_deref() == Some(s.as_str())>{n.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("candidates-stage")}
                                        <select name="stage">
                                            <option value="">{l.t("candidates-any")}</option>
                                            {StageKind::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=f.stage == Some(s)>{l.t(&s.label_key())}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("candidates-region")}
                                        <select name="region">
                                            <option value="">{l.t("candidates-any")}</option>
                                            {d.regions.iter().map(|(id, n)| view! { <option value=id.to_string() selected=f.region_id == Some(*id)>{n.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("candidates-outcome")}
                                        <select name="outcome">
                                            <option value="">{l.t("candidates-any")}</option>
                                            {Outcome::ALL.into_iter().map(|o| view! { <option value=o.as_str() selected=f.outcome == Some(o)>{l.t(o.label_key())}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    {
                                        let mine = info.roles_in(&slug());
                                        let asked: Vec<Awaits> = Awaits::ALL.into_iter().filter(|a| a.roles().iter().any(|r| mine.contains(r))).collect();
                                        (!asked.is_empty()).then(|| view! {
                                            <label>{l.t("candidates-awaits")}
                                                <select name="awaits">
                                                    <option value="">{l.t("candidates-any")}</option>
                                                    {asked.into_iter().map(|a| view! { <option value=a.as_str() selected=f.awaits == Some(a)>{l.t(&a.label_key())}</option> }).collect_view()}
                                                </select>
                                            </label>
                                        })
                                    }
                                    <label>{l.t("candidates-search")}<input type="search" name="q" maxlength="100" value=f.q.clone().unwrap_or_default()/></label>
                                    <button type="submit">{l.t("candidates-filter")}</button>
                                </form>
                                <p class="tabs">
                                    <a href=link(false) class:active=!table id="board-link">{l.t("candidates-board")}</a>" · "
                                    <a href=link(true) class:active=table id="table-link">{l.t("candidates-table")}</a>
                                </p>
                            </section>
                            {if table {
                                candidate_table(l, slug(), info.csrf.clone(), d).into_any()
                            } else {
                                candidate_board(l, slug(), d.rows).into_any()
                            }}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// A column per stage; each card is a candidate whose furthest stage it is.
fn candidate_board(l: Locale, slug: String, rows: Vec<CandidateRow>) -> impl IntoView {
    view! {
        <section class="board" id="candidate-board">
            {StageKind::ALL.into_iter().map(|stage| {
                let here: Vec<CandidateRow> = rows.iter().filter(|r| r.stage == Some(stage)).cloned().collect();
                let slug = slug.clone();
                view! {
                    <div class="column card" data-stage=stage.as_str()>
                        <h2>{l.t(&stage.label_key())}" "<span class="muted">{here.len()}</span></h2>
                        <ul>
                            {here.into_iter().map(|r| view! {
                                <li class="candidate" data-candidate=r.id.to_string()>
                                    <a href=format!("/t/{slug}/candidates/{}", r.id)>{r.name.clone()}</a><br/>
                                    <span class=status_class(r.stage_status)>{r.stage_status.map(|s| l.t(s.label_key())).unwrap_or_default()}</span>" "
                                    {(r.outcome != Outcome::Pending).then(|| view! { <span class=outcome_class(r.outcome)>{l.t(r.outcome.label_key())}</span> })}
                                    <br/><span class="muted">{r.region_name.clone().unwrap_or_default()}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    </div>
                }
            }).collect_view()}
        </section>
    }
}

/// The table: one row per candidate, check boxes for the bulk actions.
fn candidate_table(l: Locale, slug: String, csrf: String, d: CandidatesData) -> impl IntoView {
    let manage = d.can_manage;
    view! {
        <section class="card">
            <form method="post" action=BulkCandidates::PATH id="bulk-form">
                {crate::forms::keys(csrf)}
                <input type="hidden" name="slug" value=slug.clone()/>
                <div class="table-scroll" tabindex="0"><table class="candidates" id="candidate-table">
                    <thead><tr>
                        {manage.then(|| view! { <th><span class="visually-hidden">{l.t("candidates-select")}</span></th> })}
                        <th>{l.t("candidates-name")}</th>
                        <th>{l.t("candidates-programme")}</th>
                        <th>{l.t("candidates-region")}</th>
                        <th>{l.t("candidates-stage")}</th>
                        <th>{l.t("candidates-outcome")}</th>
                        <th>{l.t("candidates-submitted")}</th>
                    </tr></thead>
                    <tbody>
                        {d.rows.iter().enumerate().map(|(i, r)| view! {
                            <tr data-candidate=r.id.to_string()>
                                {manage.then(|| view! { <td><input type="checkbox" name=format!("ids[{i}]") value=r.id.to_string() aria-label=r.name.clone()/></td> })}
                                <td><a href=format!("/t/{slug}/candidates/{}", r.id)>{r.name.clone()}</a><br/><span class="muted">{r.email.clone()}</span></td>
                                <td>{r.programme_name.clone()}</td>
                                <td>{r.region_name.clone().unwrap_or_default()}</td>
                                <td>{where_now(l, r)}</td>
                                <td><span class=outcome_class(r.outcome)>{l.t(r.outcome.label_key())}</span></td>
                                <td>{r.submitted_at.map(|t| date(t.date_naive())).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
                {manage.then(|| view! {
                    <fieldset class="form inline">
                        <legend>{l.t("candidates-bulk")}</legend>
                        <label>{l.t("candidates-bulk-action")}
                            <select name="action">
                                <option value="advance">{l.t("candidates-bulk-advance")}</option>
                                <option value="enrol">{l.t("candidates-bulk-enrol")}</option>
                            </select>
                        </label>
                        <label>{l.t("candidates-bulk-cohort")}
                            <select name="cohort">
                                <option value="">"—"</option>
                                {d.cohorts.iter().map(|c| view! { <option value=c.id.to_string()>{c.title.clone()}" · "{date(c.starts_on)}</option> }).collect_view()}
                            </select>
                        </label>
                        <button type="submit">{l.t("candidates-bulk-apply")}</button>
                    </fieldset>
                })}
            </form>
        </section>
    }
}

/// A candidate's whole history, and what the reader may do next.
#[component]
pub fn CandidatePage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let id = crate::forms::route_id(params, "id");
    let data = Resource::new(move || (slug(), id()), |(s, i)| candidate_page(s, i));
    let open = ServerAction::<OpenStage>::new();
    let decide = ServerAction::<DecideStage>::new();
    let schedule = ServerAction::<ScheduleAppointment>::new();
    let vote = ServerAction::<VoteOnCandidate>::new();
    let enrol = ServerAction::<EnrolInCohort>::new();
    let contract = ServerAction::<MakeContract>::new();
    let sign = ServerAction::<SignContractPage>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let (notice, upload_error) = {
                    let q = query.read_untracked();
                    let notice = [("saved", "candidate-saved"), ("voted", "candidate-voted"), ("enrolled", "candidate-enrolled"), ("uploaded", "candidate-scan-uploaded"), ("signed", "candidate-signed"), ("scheduled", "candidate-scheduled")]
                        .into_iter()
                        .find(|(k, _)| q.get(k).is_some())
                        .map(|(_, key)| l.t(key));
                    (notice, q.get("upload_error"))
                };
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => {
                        let v = d.view.clone();
                        let c = v.candidate.clone();
                        let csrf = info.csrf.clone();
                        let errors = view! {
                            {move || open.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            {move || decide.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            {move || schedule.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            {move || vote.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            {move || enrol.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            {move || contract.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            {move || sign.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        };
                        let hidden = {
                            let (csrf, slug, id) = (csrf.clone(), slug(), c.id.to_string());
                            move || view! {
                                {crate::forms::keys(csrf.clone())}
                                <input type="hidden" name="slug" value=slug.clone()/>
                                <input type="hidden" name="id" value=id.clone()/>
                            }
                        };
                        let open_record = v.records.iter().find(|r| r.status == StageStatus::Open).cloned();
                        let appointment = open_record.clone().filter(|r| r.stage.is_appointment() && d.can_manage);
                        let may_decide = open_record.as_ref().is_some_and(|r| {
                            if r.stage.is_psychological() { d.is_psychologist } else { r.stage != StageKind::Contract && d.can_manage }
                        });
                        view! {
                            <section class="card">
                                <p class="muted">{c.programme_name.clone()}" · "{c.region_name.clone().unwrap_or_default()}</p>
                                <h1>{c.name.clone()}</h1>
                                <p>
                                    <span class=outcome_class(c.outcome) id="candidate-outcome" data-outcome=c.outcome.as_str()>{l.t(c.outcome.label_key())}</span>" "
                                    <span class="muted">{c.email.clone()}</span>" · "
                                    <a href=format!("/t/{}/applications/{}", slug(), c.id)>{l.t("candidate-application")}</a>
                                </p>
                                {notice.map(|n| view! { <p class="ok" role="status" id="candidate-notice">{n}</p> })}
                                {upload_error.map(|m| view! { <p class="error" role="alert">{m}</p> })}
                                {errors}
                            </section>
                            <section class="card">
                                <h2>{l.t("candidate-history")}</h2>
                                <ol class="stages" id="stages">
                                    {v.stages.iter().map(|s| {
                                        let rec = v.records.iter().find(|r| r.stage == *s).cloned();
                                        stage_item(l, *s, rec)
                                    }).collect_view()}
                                </ol>
                                {match (v.next_stage, d.can_manage) {
                                    (Some(next), true) => Some(view! {
                                        <form method="post" action=OpenStage::PATH class="form inline" id="open-stage">
                                            {hidden()}
                                            <input type="hidden" name="stage" value=next.as_str()/>
                                            <button type="submit">{l.t_args("candidate-open-stage", &[("stage", l.t(&next.label_key()))])}</button>
                                        </form>
                                    }),
                                    _ => None,
                                }}
                            </section>
                            {appointment.map(|r| view! {
                                <section class="card" id="appointment">
                                    <h2>{l.t("appointment-title")}": "{l.t(&r.stage.label_key())}</h2>
                                    <p id="appointment-now">{match r.scheduled_local.clone() {
                                        Some(w) => format!("{w} · {}", r.place.clone().unwrap_or_default()),
                                        None => l.t("appointment-none"),
                                    }}</p>
                                    <form method="post" action=ScheduleAppointment::PATH class="form inline" id="appointment-form">
                                        {hidden()}
                                        <input type="hidden" name="stage" value=r.stage.as_str()/>
                                        <label>{l.t("appointment-at")}<input type="datetime-local" name="at" required/></label>
                                        <label>{l.t("appointment-place")}<input type="text" name="place" maxlength="200" required/></label>
                                        <button type="submit">{l.t("appointment-save")}</button>
                                    </form>
                                </section>
                            })}
                            {match (open_record, may_decide) {
                                (Some(r), true) => Some(view! {
                                    <section class="card">
                                        <h2>{l.t_args("candidate-decide", &[("stage", l.t(&r.stage.label_key()))])}</h2>
                                        {(r.stage == StageKind::Committee).then(|| view! { <p class="muted">{l.t("candidate-committee-hint")}</p> })}
                                        <form method="post" action=DecideStage::PATH class="form" id="decide-stage">
                                            {hidden()}
                                            <input type="hidden" name="stage" value=r.stage.as_str()/>
                                            <fieldset>
                                                <legend>{l.t("candidate-decision")}</legend>
                                                <label class="check"><input type="radio" name="decision" value="passed" required/>{l.t("stage-status-passed")}</label>
                                                <label class="check"><input type="radio" name="decision" value="failed"/>{l.t("stage-status-failed")}</label>
                                            </fieldset>
                                            {r.stage.has_score().then(|| view! {
                                                <label>{l.t("candidate-score")}<input type="number" name="score" min="0" max="100" required/></label>
                                            })}
                                            <label>{if r.stage.is_psychological() { l.t("candidate-notes-private") } else { l.t("candidate-notes") }}
                                                <textarea name="notes" rows="4" maxlength="5000"></textarea>
                                            </label>
                                            <label>{l.t("candidate-reason")}<input type="text" name="reason" maxlength="1000"/></label>
                                            <button type="submit">{l.t("candidate-record")}</button>
                                        </form>
                                    </section>
                                }),
                                _ => None,
                            }}
                            {(v.stages.contains(&StageKind::Committee)).then(|| {
                                let rule = v.committee;
                                view! {
                                    <section class="card" id="committee">
                                        <h2>{l.t("stage-committee")}</h2>
                                        <p class="muted">{l.t(rule.majority.label_key())}" · "{l.t_args("candidate-quorum", &[("quorum", rule.quorum.to_string())])}</p>
                                        {v.decision.map(|dec| view! { <p id="committee-decision">{l.t("candidate-votes-decide")}" "<strong>{l.t(committee_key(dec))}</strong></p> })}
                                        <ul class="votes">
                                            {v.votes.iter().map(|vv| view! {
                                                <li>{vv.voter.clone()}": "<strong>{l.t(vv.vote.label_key())}</strong>
                                                    {vv.comment.clone().map(|c| view! { " — "{c} })}
                                                    " "<span class="muted">{when(vv.cast_at)}</span></li>
                                            }).collect_view()}
                                        </ul>
                                        {v.can_vote.then(|| view! {
                                            <form method="post" action=VoteOnCandidate::PATH class="form" id="vote-form">
                                                {hidden()}
                                                <fieldset>
                                                    <legend>{l.t("candidate-your-vote")}</legend>
                                                    {Vote::ALL.into_iter().map(|x| view! {
                                                        <label class="check"><input type="radio" name="vote" value=x.as_str() required/>{l.t(x.label_key())}</label>
                                                    }).collect_view()}
                                                </fieldset>
                                                <label>{l.t("candidate-comment")}<textarea name="comment" rows="2" maxlength="2000"></textarea></label>
                                                <button type="submit">{l.t("candidate-vote")}</button>
                                            </form>
                                        })}
                                    </section>
                                }
                            })}
                            {(!v.seats.is_empty() || !d.cohorts.is_empty()).then(|| view! {
                                <section class="card" id="seats">
                                    <h2>{l.t("candidate-trainings")}</h2>
                                    <ul>
                                        {v.seats.iter().map(|s| view! {
                                            <li><a href=format!("/t/{}/cohorts/{}", slug(), s.cohort_id)>{s.cohort_title.clone()}</a>" · "
                                                {l.t(s.status.label_key())}" · "
                                                {l.t_args("cohort-days-present", &[("days", s.days_present.to_string())])}
                                                {s.completed.then(|| view! { " · "<span class="badge ok">{l.t("cohort-completed")}</span> })}</li>
                                        }).collect_view()}
                                    </ul>
                                    {(!d.cohorts.is_empty()).then(|| view! {
                                        <form method="post" action=EnrolInCohort::PATH class="form inline" id="enrol-form">
                                            {crate::forms::keys(csrf.clone())}
                                            <input type="hidden" name="slug" value=slug()/>
                                            <input type="hidden" name="application" value=c.id.to_string()/>
                                            <label>{l.t("candidate-cohort")}
                                                <select name="cohort">
                                                    {d.cohorts.iter().map(|k| view! { <option value=k.id.to_string()>{k.title.clone()}" · "{date(k.starts_on)}" · "{l.t_args("cohort-fill", &[("enrolled", k.enrolled.to_string()), ("capacity", k.capacity.to_string())])}</option> }).collect_view()}
                                                </select>
                                            </label>
                                            <button type="submit">{l.t("candidate-enrol")}</button>
                                        </form>
                                    })}
                                </section>
                            })}
                            {contract_section(l, &d, slug(), csrf.clone())}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn committee_key(d: domain::selection::CommitteeDecision) -> &'static str {
    use domain::selection::CommitteeDecision::*;
    match d {
        NoQuorum { .. } => "candidate-no-quorum",
        Approved => "candidate-approved",
        Rejected => "candidate-rejected",
    }
}

fn stage_item(l: Locale, stage: StageKind, rec: Option<StageRecord>) -> impl IntoView {
    let status = rec.as_ref().map(|r| r.status);
    view! {
        <li class="stage" data-stage=stage.as_str() data-status=status.map(|s| s.as_str()).unwrap_or("not_started")>
            <strong>{l.t(&stage.label_key())}</strong>" "
            <span class=status_class(status)>{match status { Some(s) => l.t(s.label_key()), None => l.t("candidate-not-started") }}</span>
            {rec.map(|r| view! {
                <p class="muted">
                    {l.t_args("candidate-opened", &[("when", when(r.opened_at)), ("who", r.opened_by.clone().unwrap_or_default())])}
                    {r.decided_at.map(|t| format!(" · {}", l.t_args("candidate-decided", &[("when", when(t)), ("who", r.assessor.clone().unwrap_or_default())])))}
                </p>
                {r.score.map(|s| view! { <p>{l.t("candidate-score")}": "<strong class="score">{s}</strong></p> })}
                {r.notes.clone().map(|n| view! { <p class="notes">{n}</p> })}
                {r.notes_hidden.then(|| view! { <p class="muted">{l.t("candidate-notes-hidden")}</p> })}
                {r.reason.clone().map(|x| view! { <p>{l.t("candidate-reason")}": "{x}</p> })}
                {r.scheduled_local.clone().filter(|_| r.status == StageStatus::Open).map(|w| view! {
                    <p class="appointment">{l.t("appointment-title")}": "{w}" · "{r.place.clone().unwrap_or_default()}</p>
                })}
            })}
        </li>
    }
}

/// The contract: made once the candidate is selected, the signed scan uploaded through the
/// document pipeline (with a progress bar), and signing once the scan passed its checks.
fn contract_section(
    l: Locale,
    d: &CandidatePageData,
    slug: String,
    csrf: String,
) -> Option<impl IntoView + use<>> {
    let v = &d.view;
    let c = &v.candidate;
    if !v.stages.contains(&StageKind::Contract) {
        return None;
    }
    let selected = matches!(c.outcome, Outcome::Selected | Outcome::Active);
    if !selected && v.contract.is_none() {
        return None;
    }
    let id = c.id.to_string();
    let manage = d.can_manage;
    let body = match v.contract.clone() {
        None => manage
            .then(|| {
                view! {
                    <form method="post" action=MakeContract::PATH class="form inline" id="contract-form">
                        {crate::forms::keys(csrf.clone())}
                        <input type="hidden" name="slug" value=slug.clone()/>
                        <input type="hidden" name="id" value=id.clone()/>
                        <label>{l.t("candidate-contract-start")}<input type="date" name="starts_on" required value=d.today.to_string()/></label>
                        <button type="submit">{l.t("candidate-contract-make")}</button>
                    </form>
                }
            })
            .into_any(),
        Some(k) => {
            let checked = k.scan.as_ref().is_some_and(|s| {
                matches!(
                    s.status,
                    domain::recruitment::DocStatus::AutoPassed
                        | domain::recruitment::DocStatus::Verified
                )
            });
            let unsigned = k.signed_at.is_none();
            view! {
                <p id="contract-dates">{l.t_args("candidate-contract-dates", &[("start", date(k.starts_on)), ("end", date(k.ends_on))])}</p>
                {k.scan.clone().map(|s| view! {
                    <p id="contract-scan" data-status=s.status.as_str()>{l.t("candidate-contract-scan")}": "{s.original_name.clone()}" · "
                        <span class="badge">{l.t(&s.status.label_key())}</span>" · "
                        <a href=format!("/t/{slug}/documents/{}/file", s.id)>{l.t("review-download")}</a></p>
                })}
                {k.signed_at.map(|t| view! { <p class="ok" id="contract-signed">{l.t_args("candidate-contract-signed-at", &[("when", when(t))])}</p> })}
                {(manage && unsigned).then(|| view! {
                    {crate::recruitment::upload_form(
                        l,
                        format!("/t/{slug}/candidates/{id}/contract/scan"),
                        csrf.clone(),
                        l.t("candidate-contract-scan"),
                        vec![("contract", k.id.to_string())],
                        "scan-form",
                    )}
                })}
                {(manage && unsigned).then(|| view! {
                    <form method="post" action=SignContractPage::PATH class="form inline" id="sign-form">
                        {crate::forms::keys(csrf.clone())}
                        <input type="hidden" name="slug" value=slug.clone()/>
                        <input type="hidden" name="id" value=id.clone()/>
                        <input type="hidden" name="contract" value=k.id.to_string()/>
                        {(!checked).then(|| view! { <p class="muted">{l.t("candidate-contract-wait")}</p> })}
                        <button type="submit" disabled=!checked>{l.t("candidate-contract-sign")}</button>
                    </form>
                })}
            }
            .into_any()
        }
    };
    Some(view! {
        <section class="card" id="contract">
            <h2>{l.t("candidate-contract")}</h2>
            {body}
        </section>
    })
}

/// Cohorts (School of Mentors and other trainings) and the form for a new one.
#[component]
pub fn CohortsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, cohorts_page);
    let create = ServerAction::<NewCohort>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => view! {
                        <section class="card">
                            <h1>{l.t("cohorts-title")}</h1>
                            {d.cohorts.is_empty().then(|| view! { <p>{l.t("cohorts-none")}</p> })}
                            <div class="table-scroll" tabindex="0"><table class="cohorts" id="cohort-list">
                                <thead><tr>
                                    <th>{l.t("cohort-title")}</th><th>{l.t("cohort-kind")}</th><th>{l.t("cohort-dates")}</th>
                                    <th>{l.t("cohort-place")}</th><th>{l.t("cohort-fill-rate")}</th>
                                </tr></thead>
                                <tbody>
                                    {d.cohorts.iter().map(|c| view! {
                                        <tr data-cohort=c.id.to_string()>
                                            <td><a href=format!("/t/{}/cohorts/{}", slug(), c.id)>{c.title.clone()}</a></td>
                                            <td>{l.t(c.kind.label_key())}</td>
                                            <td>{cohort_dates(l, c)}</td>
                                            <td>{c.place.clone()}</td>
                                            <td>{fill_bar(l, c)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        </section>
                        {d.can_manage.then(|| view! {
                            <section class="card">
                                <h2>{l.t("cohorts-new")}</h2>
                                {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <form method="post" action=NewCohort::PATH class="form" id="cohort-form">
                                    {crate::forms::keys(info.csrf.clone())}
                                    <input type="hidden" name="slug" value=slug()/>
                                    <label>{l.t("cohort-kind")}
                                        <select name="kind">{CohortKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{l.t(k.label_key())}</option> }).collect_view()}</select>
                                    </label>
                                    <label>{l.t("cohort-title")}<input type="text" name="title" required maxlength="200"/></label>
                                    <label>{l.t("cohort-programme")}
                                        <select name="programme">
                                            <option value="">"—"</option>
                                            {d.programmes.iter().map(|p| view! { <option value=p.id.to_string()>{p.name.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("candidates-region")}
                                        <select name="region">
                                            <option value="">{l.t("staff-region-none")}</option>
                                            {d.regions.iter().map(|r| view! { <option value=r.id.to_string()>{r.name.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("cohort-starts")}<input type="date" name="starts_on" required value=d.today.to_string()/></label>
                                    <label>{l.t("cohort-days")}<input type="number" name="days" min="1" max="30" required value="2"/></label>
                                    <label>{l.t("cohort-hours")}<input type="number" name="academic_hours" min="1" max="360" required value="16"/></label>
                                    <label>{l.t("cohort-place")}<input type="text" name="place" maxlength="300"/></label>
                                    <label>{l.t("cohort-capacity")}<input type="number" name="capacity" min="1" max="200" required value="25"/></label>
                                    <label>{l.t("cohort-min-days")}<input type="number" name="min_days" min="1" max="30" placeholder=l.t("cohort-min-days-all")/></label>
                                    <fieldset><legend>{l.t("cohort-trainers")}</legend>
                                        {d.trainers.is_empty().then(|| view! { <p class="muted">{l.t("cohort-no-trainers")}</p> })}
                                        {d.trainers.iter().enumerate().map(|(i, (id, name))| view! {
                                            <label class="check"><input type="checkbox" name=format!("trainers[{i}]") value=id.to_string()/>{name.clone()}</label>
                                        }).collect_view()}
                                    </fieldset>
                                    <button type="submit">{l.t("cohorts-create")}</button>
                                </form>
                            </section>
                        })}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn cohort_dates(l: Locale, c: &CohortSummary) -> String {
    let last = domain::selection::day_date(c.starts_on, c.days);
    format!(
        "{} – {} · {}",
        date(c.starts_on),
        date(last),
        l.t_args(
            "cohort-hours-short",
            &[("hours", c.academic_hours.to_string())]
        )
    )
}

/// Seats taken of capacity, drawn as a bar with the figures beside it.
fn fill_bar(l: Locale, c: &CohortSummary) -> impl IntoView + use<> {
    let label = l.t_args(
        "cohort-fill",
        &[
            ("enrolled", c.enrolled.to_string()),
            ("capacity", c.capacity.to_string()),
        ],
    );
    let waiting = (c.waitlisted > 0)
        .then(|| l.t_args("cohort-waiting", &[("count", c.waitlisted.to_string())]));
    view! {
        <span class="meter" role="img" aria-label=label.clone()>
            <span class="meter-fill" style=format!("width:{}%", c.fill_rate.min(100))></span>
        </span>
        " "{label}{waiting.map(|w| format!(" · {w}"))}
    }
}

/// One cohort: seats and waiting list, the attendance grid for its trainers, invitations.
#[component]
pub fn CohortPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let id = crate::forms::route_id(params, "cohort");
    let data = Resource::new(move || (slug(), id()), |(s, i)| cohort_page(s, i));
    let enrol = ServerAction::<EnrolInCohort>::new();
    let withdraw = ServerAction::<WithdrawSeat>::new();
    let attendance = ServerAction::<SaveAttendance>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let notice = {
                    let q = query.read_untracked();
                    [("created", "cohort-created"), ("enrolled", "candidate-enrolled"), ("withdrawn", "cohort-withdrawn"), ("recorded", "cohort-recorded")]
                        .into_iter()
                        .find(|(k, _)| q.get(k).is_some())
                        .map(|(_, key)| l.t(key))
                };
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => {
                        let v = d.view.clone();
                        let c = v.cohort.clone();
                        let csrf = info.csrf.clone();
                        let cohort_id = c.id.to_string();
                        let enrolled: Vec<_> = v.members.iter().filter(|m| m.status == SeatStatus::Enrolled).cloned().collect();
                        let waiting: Vec<_> = v.members.iter().filter(|m| m.status == SeatStatus::Waitlisted).cloned().collect();
                        let days: Vec<u32> = (1..=c.days).collect();
                        // The day the trainer records: asked for in the address (`day`, or the
                        // one just saved), else the latest begun; its boxes show what is saved.
                        let chosen = {
                            let q = query.read_untracked();
                            q.get("day")
                                .or_else(|| q.get("recorded"))
                                .and_then(|n| n.parse::<u32>().ok())
                                .filter(|n| (1..=d.days_begun).contains(n))
                                .unwrap_or(d.days_begun)
                        };
                        let here = format!("/t/{}/cohorts/{}", slug(), c.id);
                        view! {
                            <section class="card">
                                <p class="muted">{l.t(c.kind.label_key())}</p>
                                <h1>{c.title.clone()}</h1>
                                <p>{cohort_dates(l, &c)}" · "{c.place.clone()}</p>
                                <p class="muted">{l.t("cohort-trainers")}": "{v.trainers.join(", ")}</p>
                                <p class="muted">{l.t_args("cohort-rule", &[("days", c.min_days.to_string()), ("of", c.days.to_string())])}</p>
                                {notice.map(|n| view! { <p class="ok" role="status" id="cohort-notice">{n}</p> })}
                                {move || enrol.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || withdraw.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || attendance.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <dl class="figures" id="cohort-figures">
                                    <dt>{l.t("cohort-fill-rate")}</dt><dd>{fill_bar(l, &c)}</dd>
                                    <dt>{l.t("cohort-attendance-rate")}</dt>
                                    <dd>
                                        <span class="meter" role="img" aria-label=format!("{}%", v.attendance_rate)><span class="meter-fill" style=format!("width:{}%", v.attendance_rate.min(100))></span></span>
                                        " "<span id="attendance-rate">{format!("{}%", v.attendance_rate)}</span>
                                    </dd>
                                    <dt>{l.t("cohort-completed")}</dt><dd id="completed-count">{v.completed}</dd>
                                </dl>
                            </section>
                            <section class="card">
                                <h2>{l.t("cohort-participants")}</h2>
                                <form method="post" action=SaveAttendance::PATH id="attendance-form">
                                    {crate::forms::keys(csrf.clone())}
                                    <input type="hidden" name="slug" value=slug()/>
                                    <input type="hidden" name="cohort" value=cohort_id.clone()/>
                                    <div class="table-scroll" tabindex="0"><table class="attendance" id="attendance">
                                        <thead><tr>
                                            <th>{l.t("candidates-name")}</th>
                                            {days.iter().map(|n| {
                                                let label = l.t_args("cohort-day", &[("day", n.to_string())]);
                                                // A begun day is a link: its saved marks come into the boxes.
                                                let head = if d.can_record && *n <= d.days_begun && *n != chosen {
                                                    view! { <a href=format!("{here}?day={n}") data-record-day=n.to_string()>{label}</a> }.into_any()
                                                } else {
                                                    view! { <span>{label}</span> }.into_any()
                                                };
                                                view! { <th class:chosen=d.can_record && *n == chosen>{head}<br/><span class="muted">{date(domain::selection::day_date(c.starts_on, *n))}</span></th> }
                                            }).collect_view()}
                                            <th>{l.t("cohort-completed")}</th>
                                            {d.can_manage.then(|| view! { <th></th> })}
                                            {d.can_record.then(|| view! { <th>{l.t("cohort-present")}</th> })}
                                        </tr></thead>
                                        <tbody>
                                            {enrolled.iter().enumerate().map(|(i, m)| view! {
                                                <tr data-member=m.id.to_string()>
                                                    <td><a href=format!("/t/{}/candidates/{}", slug(), m.application_id)>{m.name.clone()}</a></td>
                                                    {days.iter().map(|n| {
                                                        let mark = m.attendance.get(*n as usize - 1).copied().flatten();
                                                        view! { <td class="day" data-day=n.to_string()>{match mark { Some(true) => "✓", Some(false) => "✗", None => "·" }}</td> }
                                                    }).collect_view()}
                                                    <td>{m.completed.then_some("✓")}</td>
                                                    {d.can_manage.then(|| view! { <td><button type="submit" form=format!("withdraw-{}", m.id) class="secondary">{l.t("cohort-withdraw")}</button></td> })}
                                                    {d.can_record.then(|| {
                                                        let saved = chosen > 0 && m.attendance.get(chosen as usize - 1).copied().flatten() == Some(true);
                                                        view! { <td class="present"><label class="check"><input type="checkbox" name=format!("present[{i}]") value=m.id.to_string() checked=saved/>{l.t("cohort-present")}</label></td> }
                                                    })}
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table></div>
                                    {(d.can_record && !enrolled.is_empty()).then(|| view! {
                                        <div class="form inline">
                                            {if d.days_begun == 0 {
                                                view! { <p class="muted">{l.t("cohort-not-begun")}</p> }.into_any()
                                            } else {
                                                view! {
                                                    <input type="hidden" name="day" value=chosen.to_string()/>
                                                    <p id="recording-day">{l.t_args("cohort-recording-day", &[("day", chosen.to_string()), ("date", date(domain::selection::day_date(c.starts_on, chosen)))])}</p>
                                                    <button type="submit">{l.t("cohort-record")}</button>
                                                }.into_any()
                                            }}
                                        </div>
                                    })}
                                </form>
                                // Withdraw buttons point here (forms cannot nest inside the grid's form).
                                {d.can_manage.then(|| enrolled.iter().chain(waiting.iter()).map(|m| view! {
                                    <form method="post" action=WithdrawSeat::PATH id=format!("withdraw-{}", m.id) hidden>
                                        {crate::forms::keys(csrf.clone())}
                                        <input type="hidden" name="slug" value=slug()/>
                                        <input type="hidden" name="cohort" value=cohort_id.clone()/>
                                        <input type="hidden" name="member" value=m.id.to_string()/>
                                    </form>
                                }).collect_view())}
                                {(!waiting.is_empty()).then(|| view! {
                                    <h3>{l.t("seat-waitlisted")}</h3>
                                    <ol id="waiting-list">
                                        {waiting.iter().map(|m| view! {
                                            <li data-member=m.id.to_string()>{m.name.clone()}
                                                {d.can_manage.then(|| view! { " "<button type="submit" form=format!("withdraw-{}", m.id) class="secondary">{l.t("cohort-withdraw")}</button> })}</li>
                                        }).collect_view()}
                                    </ol>
                                })}
                            </section>
                            {d.can_manage.then(|| view! {
                                <section class="card">
                                    <h2>{l.t("cohort-invite")}</h2>
                                    {d.invitable.is_empty().then(|| view! { <p class="muted">{l.t("cohort-none-to-invite")}</p> })}
                                    <ul id="invitable">
                                        {d.invitable.iter().map(|r| view! {
                                            <li data-candidate=r.id.to_string()>
                                                <form method="post" action=EnrolInCohort::PATH class="form inline">
                                                    {crate::forms::keys(csrf.clone())}
                                                    <input type="hidden" name="slug" value=slug()/>
                                                    <input type="hidden" name="cohort" value=cohort_id.clone()/>
                                                    <input type="hidden" name="application" value=r.id.to_string()/>
                                                    {r.name.clone()}" "<span class="muted">{r.region_name.clone().unwrap_or_default()}</span>" "
                                                    <button type="submit">{l.t("cohort-invite-one")}</button>
                                                </form>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </section>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The activation link from the results e-mail: the selected candidate chooses a password.
#[component]
pub fn ActivatePage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let action = ServerAction::<ActivateMentor>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = session.await.unwrap_or_default().locale;
                let q = query.read_untracked();
                let done = q.get("done").is_some();
                let token = q.get("token").unwrap_or_default();
                let tenant = q.get("tenant").unwrap_or_default();
                let email = q.get("email").unwrap_or_default();
                view! {
                    <section class="card narrow">
                        <h1>{l.t("activate-title")}</h1>
                        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        {if done {
                            view! {
                                <p class="ok" role="status" id="activated">{l.t("activate-done")}</p>
                                <p><a class="button" id="activated-sign-in" href=format!("/login?next=/t/{}/me", crate::encode_query_value(&tenant))>{l.t("nav-sign-in")}</a>
                                   " "<span class="muted">{email}</span></p>
                            }.into_any()
                        } else {
                            view! {
                                <p>{l.t("activate-intro")}</p>
                                <form method="post" action=ActivateMentor::PATH class="form" id="activate-form">
                                    <input type="hidden" name="token" value=token.clone()/>
                                    <label>{l.t("reset-new-password")}<input type="password" name="password" required minlength="10" autocomplete="new-password"/></label>
                                    <button type="submit">{l.t("activate-submit")}</button>
                                </form>
                            }.into_any()
                        }}
                    </section>
                }
            })}
        </Suspense>
    }
}

/// The mentor's personal account: their selection, contract and its term.
#[component]
pub fn MentorAccountPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, mentor_account_page);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok((tenant, mine)) => view! {
                        <section class="card" id="mentor-account">
                            <p class="muted">{tenant}</p>
                            <h1>{l.t("account-title")}</h1>
                            <p>{info.user.as_ref().map(|u| u.full_name.clone())}</p>
                            {mine.is_empty().then(|| view! { <p>{l.t("account-none")}</p> })}
                            {mine.into_iter().map(|m| view! {
                                <div class="mentorship" data-outcome=m.outcome.as_str()>
                                    <h2>{m.programme_name.clone()}</h2>
                                    <p><span class=outcome_class(m.outcome)>{l.t(m.outcome.label_key())}</span></p>
                                    {match m.contract {
                                        Some(k) => view! {
                                            <p>{l.t_args("candidate-contract-dates", &[("start", date(k.starts_on)), ("end", date(k.ends_on))])}</p>
                                            <p>{match k.signed_at { Some(t) => l.t_args("candidate-contract-signed-at", &[("when", when(t))]), None => l.t("account-contract-unsigned") }}</p>
                                        }.into_any(),
                                        None => view! { <p class="muted">{l.t("account-contract-pending")}</p> }.into_any(),
                                    }}
                                    <p><a href=format!("/t/{}/applications/{}", slug(), m.application_id)>{l.t("candidate-application")}</a></p>
                                </div>
                            }).collect_view()}
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
