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
    let data = Resource::new(
        move || (slug(), ask.version().get()),
        |(s, _)| reports_page(s),
    );
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
                            <ReportsLive slug=s.clone() table=reports_table(l, &s, list)/>
                            <p><a href=format!("/t/{s}/reports")>{l.t("reports-refresh")}</a></p>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// One line of the reports table, already in the reader's language: the server writes it, so
/// the browser bundle carries neither the messages nor the reports' rules.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReportLine {
    pub id: String,
    /// `ReportStatus::as_str`.
    pub status: String,
    pub kind: String,
    pub shared: bool,
    pub badge: String,
    pub period: String,
    pub status_label: String,
    /// 0–100 while the report is being made; none once it is finished.
    pub progress: Option<u8>,
    pub error: Option<String>,
    /// Each file's format and address.
    pub files: Vec<(String, String)>,
}

/// The reports table, in the reader's language.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReportsTable {
    pub headers: Vec<String>,
    pub progress_label: String,
    pub lines: Vec<ReportLine>,
}

fn reports_table(l: domain::Locale, slug: &str, reports: Vec<ReportView>) -> ReportsTable {
    let lines = reports
        .into_iter()
        .map(|r| {
            let period = Period {
                from: r.from,
                to: r.to.succ_opt().unwrap_or(r.to),
            };
            ReportLine {
                id: r.id.to_string(),
                status: r.status.as_str().to_string(),
                kind: l.t(r.kind.label_key()),
                shared: r.shared,
                badge: l.t(if r.shared {
                    "reports-shared-badge"
                } else {
                    "reports-own-badge"
                }),
                period: period.label(),
                status_label: l.t(r.status.label_key()),
                progress: (!r.status.is_finished()).then_some(r.progress),
                error: (r.status == ReportStatus::Failed)
                    .then(|| l.t(r.error.as_deref().unwrap_or("error-report-failed"))),
                files: ReportFormat::ALL
                    .into_iter()
                    .filter(|f| r.links.iter().any(|k| k.format == *f))
                    .map(|f| {
                        (
                            f.as_str().to_string(),
                            format!("/t/{slug}/reports/{}/files/{}", r.id, f.as_str()),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    ReportsTable {
        headers: [
            "reports-col-kind",
            "reports-col-period",
            "reports-col-status",
            "reports-col-files",
        ]
        .map(|k| l.t(k))
        .to_vec(),
        progress_label: l.t("reports-progress"),
        lines,
    }
}

/// The reports table as it is now, for the live table to poll.
#[server(endpoint = "report_lines")]
pub async fn report_lines(slug: String) -> Result<ReportsTable, AppError> {
    use crate::server::{request_locale, session, state, tenant_ctx};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let list = domain::reports::service::list_reports(&state().db, &ctx).await?;
    Ok(reports_table(request_locale(), &slug, list))
}

/// The reports table, live: while a report is being made it asks the server for the table
/// again every 0.8 s, so its progress bar moves and its files appear without a reload (or
/// any typed value in the request form being lost). One of the portal's few islands.
#[island]
pub fn ReportsLive(slug: String, table: ReportsTable) -> impl IntoView {
    let table = RwSignal::new(table);
    #[cfg(feature = "hydrate")]
    {
        // Bumped when a poll fails, so that a lost connection only delays the next one.
        let failed = RwSignal::new(0u32);
        Effect::new(move |_| {
            failed.track();
            let busy = table.with(|t| t.lines.iter().any(|r| r.progress.is_some()));
            if busy {
                let slug = slug.clone();
                set_timeout(
                    move || {
                        leptos::task::spawn_local(async move {
                            match report_lines(slug).await {
                                Ok(t) => table.set(t),
                                Err(_) => failed.update(|n| *n += 1),
                            }
                        })
                    },
                    std::time::Duration::from_millis(800),
                );
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = slug;
    view! {
        <div class="table-scroll" tabindex="0"><table class="list" id="reports">
            <thead><tr>
                {move || table.with(|t| t.headers.iter().map(|h| view! { <th>{h.clone()}</th> }).collect_view())}
            </tr></thead>
            <tbody>
                {move || {
                    let t = table.get();
                    let label = t.progress_label.clone();
                    t.lines.into_iter().map(|r| view! {
                        <tr data-report=r.id.clone() data-status=r.status.clone()>
                            <td>
                                {r.kind.clone()}" "
                                <span class="badge" data-shared=r.shared.to_string()>{r.badge.clone()}</span>
                            </td>
                            <td>{r.period.clone()}</td>
                            <td>
                                {r.status_label.clone()}
                                {r.progress.map(|p| view! {
                                    " "<progress max="100" value=p.to_string() aria-label=label.clone()>{format!("{p}%")}</progress>
                                    " "<span class="progress-figure">{format!("{p}%")}</span>
                                })}
                                {r.error.clone().map(|e| view! { <span class="error">" "{e}</span> })}
                            </td>
                            <td>
                                {r.files.into_iter().map(|(format, href)| view! {
                                    <a href=href class=format!("file-{format}") download>{format.to_uppercase()}</a>" "
                                }).collect_view()}
                            </td>
                        </tr>
                    }).collect_view()
                }}
            </tbody>
        </table></div>
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
