use domain::accounts::Role;
use domain::tenancy::{DashboardCounts, InstitutionKind, InstitutionView, RegionView};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::errors::{AppError, ErrorNote, loaded};
use crate::session::use_session;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardData {
    pub tenant_name: String,
    pub counts: DashboardCounts,
    pub roles: Vec<Role>,
    /// This month's figures as tables for the charts (tenant admins only).
    pub charts: Option<(domain::reports::Period, Vec<domain::reports::Table>)>,
    /// What waits for the reader, by the roles they hold: a count and the list it links to.
    pub waiting: Vec<Waiting>,
    /// A mentor's own pairs and groups, first on their start page.
    pub desk: Option<domain::matching::MentorDesk>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Waiting {
    /// The i18n key of what is counted.
    pub key: String,
    pub count: usize,
    pub href: String,
}

#[server(endpoint = "dashboard")]
pub async fn dashboard(slug: String) -> Result<DashboardData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let counts = domain::tenancy::service::dashboard(&state().db, &ctx).await?;
    let charts = match ctx.require_admin() {
        Ok(()) => Some(domain::reports::service::dashboard_tables(&state().db, &ctx).await?),
        Err(_) => None,
    };
    let desk = match ctx.has(Role::Mentor) {
        true => {
            crate::offline::keep_offline();
            Some(domain::matching::pairs::mentor_desk(&state().db, &ctx).await?)
        }
        false => None,
    };
    Ok(DashboardData {
        tenant_name: ctx.tenant.name.clone(),
        counts,
        roles: ctx.roles_sorted(),
        charts,
        waiting: waiting_for(&ctx).await?,
        desk,
    })
}

/// The counts of what waits for the reader, one for each kind of move their roles ask of them.
#[cfg(feature = "ssr")]
async fn waiting_for(ctx: &domain::tenancy::context::TenantCtx) -> Result<Vec<Waiting>, AppError> {
    use domain::selection::{Awaits, CandidateFilter};
    let db = &crate::server::state().db;
    let slug = &ctx.tenant.slug;
    let mut out = Vec::new();
    if ctx.has_any(&domain::recruitment::service::REVIEWERS) {
        out.push(Waiting {
            key: "awaits-documents".into(),
            count: domain::recruitment::service::review_count(db, ctx).await?,
            href: format!("/t/{slug}/review"),
        });
    }
    let asked: Vec<Awaits> = Awaits::ALL
        .into_iter()
        .filter(|a| ctx.has_any(a.roles()))
        .collect();
    if !asked.is_empty() {
        let rows =
            domain::selection::service::list_candidates(db, ctx, &CandidateFilter::default())
                .await?;
        out.extend(asked.into_iter().map(|a| Waiting {
            key: a.label_key(),
            count: rows.iter().filter(|r| r.awaits == Some(a)).count(),
            href: format!("/t/{slug}/candidates?awaits={}", a.as_str()),
        }));
    }
    if ctx.has_any(&domain::matching::pairs::DECIDERS) {
        out.push(Waiting {
            key: "awaits-match".into(),
            count: domain::matching::pairs::decisions_waiting(db, ctx).await?,
            href: format!("/t/{slug}/children?proposed=1"),
        });
    }
    Ok(out)
}

#[server(endpoint = "list_regions")]
pub async fn list_regions(slug: String) -> Result<Vec<RegionView>, AppError> {
    use crate::server::{session, state, tenant_ctx};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    Ok(domain::tenancy::service::list_regions(&state().db, &ctx).await?)
}

#[server(endpoint = "create_region")]
pub async fn create_region(
    csrf: String,
    slug: String,
    name: String,
) -> Result<RegionView, AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    Ok(domain::tenancy::service::create_region(&state().db, &ctx, &name).await?)
}

#[server(endpoint = "rename_region")]
pub async fn rename_region(
    csrf: String,
    slug: String,
    id: Uuid,
    name: String,
) -> Result<RegionView, AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    Ok(domain::tenancy::service::rename_region(&state().db, &ctx, id, &name).await?)
}

/// Removes a region nothing belongs to (one made by mistake).
#[server(endpoint = "remove_region")]
pub async fn remove_region(csrf: String, slug: String, id: Uuid) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    Ok(domain::tenancy::service::remove_region(&state().db, &ctx, id).await?)
}

#[server(endpoint = "list_institutions")]
pub async fn list_institutions(
    slug: String,
) -> Result<(Vec<InstitutionView>, Vec<RegionView>), AppError> {
    use crate::server::{session, state, tenant_ctx};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    Ok((
        domain::tenancy::service::list_institutions(db, &ctx).await?,
        domain::tenancy::service::list_regions(db, &ctx).await?,
    ))
}

#[server(endpoint = "create_institution")]
pub async fn create_institution(
    csrf: String,
    slug: String,
    name: String,
    kind: String,
    region: String,
    address: String,
) -> Result<InstitutionView, AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = domain::tenancy::service::NewInstitution {
        name,
        kind,
        region_id: crate::accounts::parse_region(&region)?,
        address: Some(address),
    };
    Ok(domain::tenancy::service::create_institution(&state().db, &ctx, input).await?)
}

/// The start page: the organisations the person works in; for someone not signed in, the way
/// to sign in and the organisations taking mentor applications now, each a link to its
/// "become a mentor" page (nobody has to know an address).
#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    let recruiting = Resource::new(|| (), |_| crate::recruitment::recruiting());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                match info.user {
                    None => {
                        let open = recruiting.await.unwrap_or_default();
                        view! {
                            <section class="card narrow">
                                <h1>{l.t("app-name")}</h1>
                                <p>{l.t("app-tagline")}</p>
                                <p><a class="button" href="/login">{l.t("nav-sign-in")}</a></p>
                            </section>
                            <section class="card narrow" id="recruiting">
                                <h2>{l.t("home-become-mentor")}</h2>
                                {open.is_empty().then(|| view! { <p class="muted">{l.t("home-recruiting-none")}</p> })}
                                <ul class="tenants">
                                    {open.into_iter().map(|o| view! {
                                        <li>
                                            <a href=format!("/t/{}/apply", o.slug)>{o.name}</a>
                                            " "<span class="muted">{o.programmes.join(", ")}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </section>
                        }.into_any()
                    }
                    Some(user) => {
                        let mut tenants: Vec<(String, String, Vec<Role>)> = Vec::new();
                        for m in &user.memberships {
                            match tenants.iter_mut().find(|t| t.0 == m.tenant_slug) {
                                Some(t) => t.2.push(m.role),
                                None => tenants.push((m.tenant_slug.clone(), m.tenant_name.clone(), vec![m.role])),
                            }
                        }
                        let empty = tenants.is_empty() && !user.is_platform_admin;
                        view! {
                            <section class="card narrow">
                                <h1>{l.t("home-title")}</h1>
                                <p>{l.t_args("login-welcome", &[("name", user.full_name.clone())])}</p>
                                {empty.then(|| view! { <p>{l.t("home-no-tenants")}</p> })}
                                {(!tenants.is_empty()).then(|| view! { <p>{l.t("home-choose-tenant")}</p> })}
                                <ul class="tenants">
                                    {tenants.into_iter().map(|(slug, name, roles)| {
                                        // Applicants have no dashboard: their way in is the programme list.
                                        let href = if roles.iter().all(|r| *r == Role::Applicant) {
                                            format!("/t/{slug}/apply")
                                        } else {
                                            format!("/t/{slug}")
                                        };
                                        let roles = roles.iter().map(|r| l.t(&r.label_key())).collect::<Vec<_>>().join(", ");
                                        view! { <li><a href=href>{name}</a>" "<span class="muted">{roles}</span></li> }
                                    }).collect_view()}
                                    {user.is_platform_admin.then(|| view! { <li><a href="/platform">{l.t("nav-platform")}</a></li> })}
                                </ul>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, dashboard);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = session.await.unwrap_or_default().locale;
                match loaded(data.await, l) {
                    Err(error_view) => error_view,
                    Ok(d) => {
                        let c = d.counts;
                        // Each tile links to the list it counts, for those who may open it.
                        let s = slug();
                        let admin = d.roles.contains(&Role::TenantAdmin);
                        let staff = d.roles.iter().any(|r| r.is_staff());
                        let tiles = [
                            ("dashboard-staff", c.staff, admin.then(|| format!("/t/{s}/staff#members"))),
                            ("dashboard-mentors", c.mentors, admin.then(|| format!("/t/{s}/staff#members"))),
                            ("dashboard-regions", c.regions, staff.then(|| format!("/t/{s}/regions"))),
                            ("dashboard-institutions", c.institutions, staff.then(|| format!("/t/{s}/institutions"))),
                            ("dashboard-invitations", c.open_invitations, admin.then(|| format!("/t/{s}/staff#invitations"))),
                        ];
                        let roles = d.roles.iter().map(|r| l.t(&r.label_key())).collect::<Vec<_>>().join(", ");
                        // A mentor's start page opens on their mentees and groups; the
                        // organisation's figures are for its staff.
                        let desk = d.desk.clone().map(|desk| view! { <MentorDeskView desk organisation=d.tenant_name.clone() slug=s.clone() locale=l/> });
                        let figures = staff || d.desk.is_none();
                        view! {
                            {desk}
                            {figures.then(move || view! {
                            <section class="card">
                                <h1>{d.tenant_name.clone()}</h1>
                                <p class="muted">{l.t("dashboard-your-roles")}": "{roles}</p>
                                {(!d.waiting.is_empty()).then(|| view! {
                                    <h2>{l.t("dashboard-waiting")}</h2>
                                    <div class="tiles" id="waiting-for-you">
                                        {d.waiting.iter().map(|w| view! {
                                            <a class="tile" class:quiet=w.count == 0 href=w.href.clone() data-waiting=w.key.clone()>
                                                <span class="figure">{w.count}</span><span>{l.t(&w.key)}</span>
                                            </a>
                                        }).collect_view()}
                                    </div>
                                    <h2>{l.t("dashboard-organisation")}</h2>
                                })}
                                <div class="tiles">
                                    {tiles.into_iter().map(|(key, n, href)| match href {
                                        Some(href) => view! {
                                            <a class="tile" href=href data-figure=key><span class="figure">{n}</span><span>{l.t(key)}</span></a>
                                        }.into_any(),
                                        None => view! {
                                            <div class="tile" data-figure=key><span class="figure">{n}</span><span>{l.t(key)}</span></div>
                                        }.into_any(),
                                    }).collect_view()}
                                </div>
                            </section>
                            })}
                            {d.charts.map(|(period, tables)| view! { <crate::reports::DashboardCharts period tables locale=l/> })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The mentor's own pairs and groups as cards, each with its standing and a button for the
/// day's task (log a meeting, raise a concern, log a group session): one tap to the form, one
/// to send it (issue 20).
#[component]
fn MentorDeskView(
    desk: domain::matching::MentorDesk,
    organisation: String,
    slug: String,
    locale: domain::Locale,
) -> impl IntoView {
    let l = locale;
    let s = slug;
    let date = crate::forms::date;
    view! {
        <section class="card" id="desk">
            <p class="muted">{organisation}</p>
            <h1>{l.t("desk-title")}</h1>
            {(!desk.rules_acknowledged).then(|| view! {
                <p class="notice" role="status"><a href=format!("/t/{s}/profile#rules") id="desk-rules">{l.t("desk-rules-first")}</a></p>
            })}
            <h2>{l.t("pairs-mine")}</h2>
            {desk.pairs.is_empty().then(|| view! { <p id="no-pairs">{l.t("pairs-none")}</p> })}
            <ul class="desk" id="desk-pairs">
                {desk.pairs.iter().map(|p| {
                    let pair = format!("/t/{s}/pairs/{}", p.id);
                    view! {
                        <li data-pair=p.id.to_string()>
                            <a class="desk-name" href=pair.clone()>{p.child_name.clone()}</a>
                            {crate::matching::standing_badge(l, p.standing)}
                            <span class="muted">{l.t("pair-last-meeting")}": "{p.last_meeting.map(date).unwrap_or_else(|| "—".into())}</span>
                            <span class="desk-tasks">
                                <a class="button" href=format!("{pair}#log-meeting") data-task="meeting">{l.t("meeting-log")}</a>
                                <a class="button secondary" href=format!("{pair}#raise-concern") data-task="concern">{l.t("concern-raise")}</a>
                            </span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <h2>{l.t("desk-groups")}</h2>
            {desk.groups.is_empty().then(|| view! { <p id="no-groups">{l.t("desk-no-groups")}</p> })}
            <ul class="desk" id="desk-groups">
                {desk.groups.iter().map(|g| {
                    let group = format!("/t/{s}/groups/{}", g.id);
                    view! {
                        <li data-group=g.id.to_string()>
                            <a class="desk-name" href=group.clone()>{g.name.clone()}</a>
                            {crate::matching::standing_badge(l, g.standing)}
                            <span class="muted">{l.t("group-last-session")}": "{g.last_session.map(date).unwrap_or_else(|| "—".into())}</span>
                            <span class="desk-tasks">
                                <a class="button" href=format!("{group}#log-session") data-task="session">{l.t("session-log")}</a>
                            </span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
pub fn RegionsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let create = ServerAction::<CreateRegion>::new();
    let rename = ServerAction::<RenameRegion>::new();
    let remove = ServerAction::<RemoveRegion>::new();
    let data = Resource::new(
        move || {
            (
                slug(),
                create.version().get() + rename.version().get() + remove.version().get(),
            )
        },
        |(s, _)| list_regions(s),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let admin = info.roles_in(&slug()).contains(&Role::TenantAdmin);
                match loaded(data.await, l) {
                    Err(error_view) => error_view,
                    Ok(regions) => view! {
                        <section class="card">
                            <h1>{l.t("regions-title")}</h1>
                            {regions.is_empty().then(|| view! { <p>{l.t("regions-empty")}</p> })}
                            {move || rename.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            <ul id="regions">{regions.into_iter().map(|r| {
                                let (csrf, csrf2) = (info.csrf.clone(), info.csrf.clone());
                                view! {
                                    <li data-region=r.id.to_string()>
                                        <span class="name">{r.name.clone()}</span>
                                        // Admins rename a region, or remove one nothing belongs to.
                                        {admin.then(|| view! {
                                            <details class="correct">
                                                <summary>{l.t("regions-change")}</summary>
                                                <ActionForm action=rename>
                                                    <div class="form inline">
                                                        {crate::forms::keys(csrf.clone())}
                                                        <input type="hidden" name="slug" value=slug()/>
                                                        <input type="hidden" name="id" value=r.id.to_string()/>
                                                        <label>{l.t("regions-name")}<input type="text" name="name" required maxlength="200" value=r.name.clone()/></label>
                                                        <button type="submit">{l.t("regions-rename")}</button>
                                                    </div>
                                                </ActionForm>
                                                <ActionForm action=remove>
                                                    <div class="form inline">
                                                        {crate::forms::keys(csrf2.clone())}
                                                        <input type="hidden" name="slug" value=slug()/>
                                                        <input type="hidden" name="id" value=r.id.to_string()/>
                                                        <p class="muted">{l.t("regions-remove-help")}</p>
                                                        <button type="submit" class="danger">{l.t("regions-remove")}</button>
                                                    </div>
                                                </ActionForm>
                                            </details>
                                        })}
                                    </li>
                                }
                            }).collect_view()}</ul>
                            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            <ActionForm action=create>
                                <div class="form inline">
                                    {crate::forms::keys(info.csrf.clone())}
                                    <input type="hidden" name="slug" value=slug()/>
                                    <label>{l.t("regions-name")}<input type="text" name="name" required maxlength="200"/></label>
                                    <button type="submit">{l.t("regions-add")}</button>
                                </div>
                            </ActionForm>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn InstitutionsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let create = ServerAction::<CreateInstitution>::new();
    let data = Resource::new(
        move || (slug(), create.version().get()),
        |(s, _)| list_institutions(s),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                match loaded(data.await, l) {
                    Err(error_view) => error_view,
                    Ok((institutions, regions)) => view! {
                        <section class="card">
                            <h1>{l.t("institutions-title")}</h1>
                            {institutions.is_empty().then(|| view! { <p>{l.t("institutions-empty")}</p> })}
                            <div class="table-scroll" tabindex="0"><table>
                                <thead><tr>
                                    <th>{l.t("institutions-name")}</th><th>{l.t("institutions-kind")}</th>
                                    <th>{l.t("institutions-region")}</th><th>{l.t("institutions-address")}</th>
                                </tr></thead>
                                <tbody>
                                    {institutions.into_iter().map(|i| view! {
                                        <tr>
                                            <td>{i.name}</td><td>{l.t(&i.kind.label_key())}</td>
                                            <td>{i.region_name.unwrap_or_else(|| l.t("common-none"))}</td>
                                            <td>{i.address.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            <ActionForm action=create>
                                <div class="form">
                                    {crate::forms::keys(info.csrf.clone())}
                                    <input type="hidden" name="slug" value=slug()/>
                                    <label>{l.t("institutions-name")}<input type="text" name="name" required maxlength="200"/></label>
                                    <label>{l.t("institutions-kind")}
                                        <select name="kind">
                                            {InstitutionKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{l.t(&k.label_key())}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("institutions-region")}
                                        <select name="region">
                                            <option value="">{l.t("staff-region-none")}</option>
                                            {regions.into_iter().map(|r| view! { <option value=r.id.to_string()>{r.name}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("institutions-address")}<input type="text" name="address" maxlength="200"/></label>
                                    <button type="submit">{l.t("institutions-add")}</button>
                                </div>
                            </ActionForm>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
