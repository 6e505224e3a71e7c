//! The reports room: the reports page (ask for a report, watch it being made, download its
//! PDF, CSV and XLSX) and the dashboard's charts of the same figures; funders' grants
//! (`grants`).

pub mod grants;

use chrono::NaiveDate;
use domain::reports::ReportView;
use domain::reports::{Period, ReportFormat, ReportStatus, Table, chart};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::errors::{AppError, ErrorNote, loaded};
use crate::session::use_session;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReportsData {
    pub reports: Vec<ReportView>,
    /// The organisation leads a network: the network report is offered.
    pub network: bool,
}

#[server(endpoint = "reports_page")]
pub async fn reports_page(slug: String) -> Result<ReportsData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::reports::service;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    Ok(ReportsData {
        reports: service::list_reports(db, &ctx).await?,
        network: service::leads_network(db, &ctx).await?,
    })
}

/// Asks for a report of the period between the form's two dates.
#[server(endpoint = "request_report")]
pub async fn request_report(
    csrf: String,
    slug: String,
    from: String,
    to: String,
    network: Option<String>,
    shared: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let date = |field: &str, v: &str| {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| domain::Error::invalid(field, "error-report-date"))
    };
    let input = domain::reports::ReportRequest {
        from: date("from", &from)?,
        to: date("to", &to)?,
        locale: None,
        network: network.is_some_and(|v| v == "on" || v == "true"),
        shared: shared.is_some_and(|v| v == "on" || v == "true"),
    };
    domain::reports::service::request_report(&state().db, &ctx, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/reports"));
    Ok(())
}

/// The form's default period: last month (its rule and test are `Period::month_before`'s).
fn last_month(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let p = Period::month_before(today);
    (p.from, p.last_day())
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let ask = ServerAction::<RequestReport>::new();
    // Bumped while a report is being made, so the list (and its progress bars) reloads.
    let tick = RwSignal::new(0u32);
    let data = Resource::new(
        move || (slug(), ask.version().get(), tick.get()),
        |(s, _, _)| reports_page(s),
    );
    Effect::new(move |_| {
        let busy = data
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|d| d.reports.iter().any(|r| !r.status.is_finished()));
        if busy {
            set_timeout(
                move || tick.update(|t| *t += 1),
                std::time::Duration::from_millis(800),
            );
        }
    });
    let today = chrono::Utc::now().date_naive();
    let (from, to) = last_month(today);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let s = slug();
                let form_slug = s.clone();
                match loaded(data.await, l) {
                    Err(error_view) => error_view,
                    Ok(ReportsData { reports: list, network }) => view! {
                        <section class="card">
                            <h1>{l.t("reports-title")}</h1>
                            <p class="muted">{l.t("reports-intro")}</p>
                            <h2>{l.t("reports-ask")}</h2>
                            {move || ask.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            <ActionForm action=ask attr:id="report-form">
                                <div class="form inline">
                                    {crate::forms::keys(info.csrf.clone())}
                                    <input type="hidden" name="slug" value=form_slug/>
                                    <label>{l.t("reports-from")}<input type="date" name="from" value=from.to_string() required/></label>
                                    <label>{l.t("reports-to")}<input type="date" name="to" value=to.to_string() required/></label>
                                    <label class="check"><input type="checkbox" name="shared" value="on" id="report-shared"/>{l.t("reports-shared")}</label>
                                    {network.then(|| view! {
                                        <label class="check"><input type="checkbox" name="network" value="on" id="report-network"/>{l.t("reports-network")}</label>
                                    })}
                                    <button type="submit">{l.t("reports-request")}</button>
                                </div>
                            </ActionForm>
                            <h2>{l.t("reports-list")}</h2>
                            {list.is_empty().then(|| view! { <p>{l.t("reports-empty")}</p> })}
                            <table class="list" id="reports">
                                <thead><tr>
                                    <th>{l.t("reports-col-kind")}</th>
                                    <th>{l.t("reports-col-period")}</th>
                                    <th>{l.t("reports-col-status")}</th>
                                    <th>{l.t("reports-col-files")}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|r| {
                                        let period = Period { from: r.from, to: r.to.succ_opt().unwrap_or(r.to) };
                                        let files = ReportFormat::ALL.into_iter()
                                            .filter(|f| r.links.iter().any(|k| k.format == *f))
                                            .map(|f| view! {
                                                <a href=format!("/t/{s}/reports/{}/files/{}", r.id, f.as_str()) class=format!("file-{}", f.as_str()) download>
                                                    {f.as_str().to_uppercase()}
                                                </a>" "
                                            })
                                            .collect_view();
                                        view! {
                                            <tr data-report=r.id.to_string() data-status=r.status.as_str()>
                                                <td>
                                                    {l.t(r.kind.label_key())}" "
                                                    <span class="badge" data-shared=r.shared.to_string()>
                                                        {if r.shared { l.t("reports-shared-badge") } else { l.t("reports-own-badge") }}
                                                    </span>
                                                </td>
                                                <td>{period.label()}</td>
                                                <td>
                                                    {l.t(r.status.label_key())}
                                                    {(!r.status.is_finished()).then(|| view! {
                                                        " "<progress max="100" value=r.progress.to_string() aria-label=l.t("reports-progress")>{format!("{}%", r.progress)}</progress>
                                                        " "<span class="progress-figure">{format!("{}%", r.progress)}</span>
                                                    })}
                                                    {(r.status == ReportStatus::Failed).then(|| view! {
                                                        <span class="error"> {l.t(r.error.as_deref().unwrap_or("error-report-failed"))}</span>
                                                    })}
                                                </td>
                                                <td>{files}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <p><a href=format!("/t/{s}/reports")>{l.t("reports-refresh")}</a></p>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// One table's chart with its heading.
#[component]
pub fn ChartFigure(table: Table) -> impl IntoView {
    chart::svg(&table).map(|svg| {
        view! {
            <figure class="chart" data-chart=table.key.clone()>
                <figcaption>{table.title.clone()}</figcaption>
                // Built by `domain::reports::chart` from our own figures, every label escaped.
                <div inner_html=svg></div>
            </figure>
        }
    })
}

/// The dashboard's charts (admins): this month's figures so far.
#[component]
pub fn DashboardCharts(
    period: Period,
    tables: Vec<Table>,
    locale: domain::Locale,
) -> impl IntoView {
    let l = locale;
    view! {
        <section class="card" id="dashboard-charts">
            <h2>{l.t_args("dashboard-figures", &[("period", period.label())])}</h2>
            <p class="muted">{l.t("report-exact-note")}</p>
            <div class="charts">
                {tables.into_iter().map(|t| view! { <ChartFigure table=t/> }).collect_view()}
            </div>
        </section>
    }
}
