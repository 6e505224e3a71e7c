//! The platform operator's page: organisations, and creating one with its first admin.

use domain::Locale;
use domain::tenancy::TenantView;
use leptos::prelude::*;

use crate::errors::{AppError, ErrorNote, loaded};
use crate::session::use_session;

#[server(endpoint = "list_tenants")]
pub async fn list_tenants() -> Result<Vec<TenantView>, AppError> {
    use crate::server::{session, state};
    let s = session()?;
    Ok(domain::tenancy::service::list_tenants(&state().db, &s.actor).await?)
}

#[server(endpoint = "create_tenant")]
pub async fn create_tenant(
    csrf: String,
    slug: String,
    name: String,
    default_locale: String,
    time_zone: String,
    lead_tenant_slug: String,
    admin_email: String,
) -> Result<String, AppError> {
    use crate::server::{session_for_change, state};
    let s = session_for_change(&csrf)?;
    let default_locale: Locale = default_locale.parse().map_err(|_| {
        AppError::Domain(domain::Error::invalid(
            "default_locale",
            "error-locale-invalid",
        ))
    })?;
    let t = domain::tenancy::service::create_tenant(
        &state().db,
        &s.actor,
        domain::tenancy::service::NewTenant {
            slug,
            name,
            default_locale,
            time_zone: Some(time_zone),
            lead_tenant_slug: Some(lead_tenant_slug),
            admin_email,
        },
    )
    .await?;
    // Said by the page after a plain post too (no wasm; issue 20).
    leptos_axum::redirect(&format!("/platform?created={}", t.slug));
    Ok(t.slug)
}

#[component]
pub fn PlatformPage() -> impl IntoView {
    let session = use_session();
    let create = ServerAction::<CreateTenant>::new();
    let data = Resource::new(move || create.version().get(), |_| list_tenants());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                match loaded(data.await, l) {
                    Err(error_view) => error_view,
                    Ok(tenants) => {
                        let leads = tenants.clone();
                        // Just created (the address after the form): only an organisation that
                        // exists is named.
                        let created = leptos_router::hooks::use_query_map()
                            .read_untracked()
                            .get("created")
                            .filter(|slug| tenants.iter().any(|t| &t.slug == slug));
                        view! {
                            <section class="card">
                                <h1>{l.t("platform-tenants")}</h1>
                                <div class="table-scroll" tabindex="0"><table>
                                    <thead><tr><th>{l.t("platform-name")}</th><th>{l.t("platform-slug-column")}</th><th>{l.t("platform-lead")}</th></tr></thead>
                                    <tbody>
                                        {tenants.into_iter().map(|t| view! {
                                            <tr><td>{t.name}</td><td><code>{t.slug}</code></td><td>{t.lead_tenant_slug.unwrap_or_else(|| l.t("common-none"))}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            </section>
                            <section class="card">
                                <h2>{l.t("platform-create")}</h2>
                                {created.map(|slug| view! { <p class="ok" role="status" id="created">{l.t_args("platform-created", &[("slug", slug)])}</p> })}
                                {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <ActionForm action=create>
                                    <div class="form">
                                        {crate::forms::keys(info.csrf.clone())}
                                        <label>{l.t("platform-name")}<input type="text" name="name" required maxlength="200"/></label>
                                        <label>{l.t("platform-slug")}<input type="text" name="slug" required pattern="[a-z0-9\\-]{3,40}"/></label>
                                        <label>{l.t("platform-locale")}
                                            <select name="default_locale">
                                                {Locale::ALL.iter().map(|x| view! { <option value=x.code() selected=*x == Locale::Ru>{x.native_name()}</option> }).collect_view()}
                                            </select>
                                        </label>
                                        <label>{l.t("platform-time-zone")}
                                            <select name="time_zone">
                                                {domain::tenancy::TIME_ZONES.iter().map(|(zone, key)| view! {
                                                    <option value=*zone selected=*zone == domain::tenancy::DEFAULT_TIME_ZONE>{l.t(key)}</option>
                                                }).collect_view()}
                                            </select>
                                        </label>
                                        <label>{l.t("platform-lead")}
                                            <select name="lead_tenant_slug">
                                                <option value="">{l.t("platform-lead-none")}</option>
                                                {leads.into_iter().map(|t| view! { <option value=t.slug.clone()>{t.name}</option> }).collect_view()}
                                            </select>
                                        </label>
                                        <label>{l.t("platform-admin-email")}<input type="email" name="admin_email" required/></label>
                                        <button type="submit">{l.t("platform-create")}</button>
                                    </div>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
