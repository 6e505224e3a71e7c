//! Grants in the portal (tenant admins): the list with a form to record a funder's grant and
//! its targets, and a grant's page with its progress against each target, drawn as a chart,
//! and the funder report asked for from there.

// A form's fields are a server function's arguments (the `#[server]` macro repeats them).
#![allow(clippy::too_many_arguments)]

use domain::reports::grants::{GrantMetric, GrantProgress, GrantView, Named, format_amount};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ChartFigure;
use crate::errors::{AppError, ErrorNote, loaded};
use crate::forms::{date, route_id};
use crate::session::use_session;

/// How many target rows the form offers (empty rows are left out).
const TARGET_ROWS: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantsData {
    pub grants: Vec<GrantView>,
    pub programmes: Vec<Named>,
    pub regions: Vec<Named>,
}

#[server(endpoint = "grants_page")]
pub async fn grants_page(slug: String) -> Result<GrantsData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::reports::grants::service;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let grants = service::list_grants(db, &ctx).await?;
    let (programmes, regions) = service::grant_options(db, &ctx).await?;
    Ok(GrantsData {
        grants,
        programmes,
        regions,
    })
}

/// Records a grant from the form: its targets are the rows whose metric is chosen.
#[server(endpoint = "create_grant")]
pub async fn create_grant(
    csrf: String,
    slug: String,
    funder: String,
    title: String,
    starts_on: String,
    ends_on: String,
    amount: String,
    currency: String,
    programmes: Option<Vec<String>>,
    regions: Option<Vec<String>>,
    metric: Option<Vec<String>>,
    target: Option<Vec<String>>,
    note: Option<Vec<String>>,
) -> Result<(), AppError> {
    use crate::forms::parse;
    use crate::server::{session_for_change, state, tenant_ctx};
    use domain::reports::grants::{GrantInput, TargetInput};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let ids = |field: &str, raw: Option<Vec<String>>, code: &str| -> Result<Vec<Uuid>, AppError> {
        raw.unwrap_or_default()
            .iter()
            .map(|v| parse::<Uuid>(field, v, code))
            .collect()
    };
    let (metric, target, note) = (
        metric.unwrap_or_default(),
        target.unwrap_or_default(),
        note.unwrap_or_default(),
    );
    let mut targets = Vec::new();
    for (i, m) in metric.iter().enumerate() {
        let number = target.get(i).map(String::as_str).unwrap_or("");
        if m.trim().is_empty() && number.trim().is_empty() {
            continue;
        }
        let field = format!("targets[{}]", targets.len());
        let metric = GrantMetric::parse(m.trim()).ok_or_else(|| {
            AppError::Domain(domain::Error::invalid(
                &format!("{field}.metric"),
                "error-grant-metric",
            ))
        })?;
        targets.push(TargetInput {
            metric,
            target: parse(
                &format!("{field}.target"),
                number,
                "error-grant-target-value",
            )?,
            note: note.get(i).cloned().unwrap_or_default(),
        });
    }
    let input = GrantInput {
        funder,
        title,
        starts_on: parse("starts_on", &starts_on, "error-grant-date")?,
        ends_on: parse("ends_on", &ends_on, "error-grant-date")?,
        amount: parse(
            "amount",
            &amount.replace([' ', '\u{a0}'], ""),
            "error-grant-amount",
        )?,
        currency,
        programmes: ids("programmes", programmes, "error-grant-programme-unknown")?,
        regions: ids("regions", regions, "error-grant-region-unknown")?,
        targets,
    };
    let g = domain::reports::grants::service::create_grant(&state().db, &ctx, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/grants/{}", g.id));
    Ok(())
}

#[server(endpoint = "grant_page")]
pub async fn grant_page(slug: String, id: Uuid) -> Result<GrantProgress, AppError> {
    use crate::server::{session, state, tenant_ctx};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    Ok(domain::reports::grants::service::get_grant_progress(&state().db, &ctx, id, None).await?)
}

/// Asks for the grant's funder report; the reports page then shows it being made.
#[server(endpoint = "request_funder_report")]
pub async fn request_funder_report(csrf: String, slug: String, id: String) -> Result<(), AppError> {
    use crate::forms::parse;
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let id: Uuid = parse("id", &id, "error-not-found")?;
    domain::reports::service::request_funder_report(&state().db, &ctx, id, None).await?;
    leptos_axum::redirect(&format!("/t/{slug}/reports"));
    Ok(())
}

fn names(v: &[Named], l: domain::Locale) -> String {
    if v.is_empty() {
        l.t("grant-all")
    } else {
        v.iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[component]
pub fn GrantsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let create = ServerAction::<CreateGrant>::new();
    let data = Resource::new(
        move || (slug(), create.version().get()),
        |(s, _)| grants_page(s),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let s = slug();
                match loaded(data.await, l) {
                    Err(error_view) => error_view,
                    Ok(d) => view! {
                        <section class="card">
                            <h1>{l.t("grants-title")}</h1>
                            <p class="muted">{l.t("grants-intro")}</p>
                            {d.grants.is_empty().then(|| view! { <p>{l.t("grants-empty")}</p> })}
                            <div class="table-scroll" tabindex="0"><table class="list" id="grants">
                                <thead><tr>
                                    <th>{l.t("grant-title")}</th>
                                    <th>{l.t("grant-funder")}</th>
                                    <th>{l.t("grant-period")}</th>
                                    <th>{l.t("grant-amount")}</th>
                                </tr></thead>
                                <tbody>
                                    {d.grants.iter().map(|g| view! {
                                        <tr data-grant=g.id.to_string()>
                                            <td><a href=format!("/t/{s}/grants/{}", g.id)>{g.title.clone()}</a></td>
                                            <td>{g.funder.clone()}</td>
                                            <td>{format!("{}–{}", date(g.starts_on), date(g.ends_on))}</td>
                                            <td>{format_amount(g.amount, &g.currency)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        </section>
                        <section class="card">
                            <h2>{l.t("grants-new")}</h2>
                            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            <ActionForm action=create attr:id="grant-form">
                                <div class="form">
                                    {crate::forms::keys(info.csrf.clone())}
                                    <input type="hidden" name="slug" value=s.clone()/>
                                    <label>{l.t("grant-funder")}<input name="funder" required maxlength="200"/></label>
                                    <label>{l.t("grant-title")}<input name="title" required maxlength="200"/></label>
                                    <label>{l.t("grants-starts")}<input type="date" name="starts_on" required/></label>
                                    <label>{l.t("grants-ends")}<input type="date" name="ends_on" required/></label>
                                    <label>{l.t("grant-amount")}<input name="amount" inputmode="numeric" required/></label>
                                    <label>{l.t("grants-currency")}<input name="currency" value="KZT" maxlength="3" required/></label>
                                    <fieldset>
                                        <legend>{l.t("grant-programmes")}</legend>
                                        <p class="muted">{l.t("grants-none-is-all")}</p>
                                        {d.programmes.iter().enumerate().map(|(i, p)| view! {
                                            <label class="check"><input type="checkbox" name=format!("programmes[{i}]") value=p.id.to_string()/>{p.name.clone()}</label>
                                        }).collect_view()}
                                    </fieldset>
                                    <fieldset>
                                        <legend>{l.t("grant-regions")}</legend>
                                        <p class="muted">{l.t("grants-none-is-all")}</p>
                                        {d.regions.iter().enumerate().map(|(i, r)| view! {
                                            <label class="check"><input type="checkbox" name=format!("regions[{i}]") value=r.id.to_string()/>{r.name.clone()}</label>
                                        }).collect_view()}
                                    </fieldset>
                                    <fieldset id="grant-targets">
                                        <legend>{l.t("grant-targets")}</legend>
                                        {(0..TARGET_ROWS).map(|i| view! {
                                            <div class="form inline target-row">
                                                <label>{l.t("grant-col-target")}
                                                    <select name=format!("metric[{i}]")>
                                                        <option value="">{l.t("grants-metric-choose")}</option>
                                                        {GrantMetric::ALL.into_iter().map(|m| view! {
                                                            <option value=m.as_str()>{l.t(&m.label_key())}</option>
                                                        }).collect_view()}
                                                    </select>
                                                </label>
                                                <label>{l.t("grant-col-goal")}<input name=format!("target[{i}]") inputmode="numeric"/></label>
                                                <label>{l.t("grants-note")}<input name=format!("note[{i}]") maxlength="300"/></label>
                                            </div>
                                        }).collect_view()}
                                    </fieldset>
                                    <button type="submit">{l.t("grants-create")}</button>
                                </div>
                            </ActionForm>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn GrantPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let id = route_id(params, "grant");
    let ask = ServerAction::<RequestFunderReport>::new();
    let data = Resource::new(move || (slug(), id()), |(s, id)| grant_page(s, id));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let s = slug();
                match loaded(data.await, l) {
                    Err(error_view) => error_view,
                    Ok(p) => {
                        let g = p.grant.clone();
                        let tables = p.tables(l);
                        view! {
                            <section class="card" id="grant" data-grant=g.id.to_string()>
                                <p><a href=format!("/t/{s}/grants")>{l.t("grants-back")}</a></p>
                                <h1>{g.title.clone()}</h1>
                                <p>{g.funder.clone()}" · "{format!("{}–{}", date(g.starts_on), date(g.ends_on))}" · "{format_amount(g.amount, &g.currency)}</p>
                                <p class="muted">
                                    {l.t("grant-programmes")}": "{names(&g.programmes, l)}" · "
                                    {l.t("grant-regions")}": "{names(&g.regions, l)}
                                </p>
                                <h2>{l.t_args("grants-progress", &[("date", date(p.as_of)), ("elapsed", p.elapsed_percent.to_string())])}</h2>
                                <p class="muted">{l.t("report-suppression-note")}</p>
                                <div class="table-scroll" tabindex="0"><table class="list" id="grant-progress">
                                    <thead><tr>
                                        {tables[0].columns.iter().map(|c| view! { <th>{c.clone()}</th> }).collect_view()}
                                    </tr></thead>
                                    <tbody>
                                        {p.targets.iter().zip(tables[0].rows.iter()).map(|(t, r)| view! {
                                            <tr data-metric=t.metric.as_str()>
                                                <td>{r.label.clone()}</td>
                                                {r.cells.iter().map(|c| view! { <td class="num">{c.display()}</td> }).collect_view()}
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                                <ChartFigure table=tables[0].clone()/>
                                {move || ask.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <ActionForm action=ask attr:id="funder-report-form">
                                    {crate::forms::keys(info.csrf.clone())}
                                    <input type="hidden" name="slug" value=s.clone()/>
                                    <input type="hidden" name="id" value=g.id.to_string()/>
                                    <button type="submit">{l.t("grants-funder-report")}</button>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
