//! The staff page (tenant admin): people, their roles and regions, invitations.

use domain::accounts::{InvitationView, Role, StaffMember};
use domain::tenancy::RegionView;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::errors::{AppError, ErrorNote, loaded};
use crate::session::use_session;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffPageData {
    pub staff: Vec<StaffMember>,
    pub regions: Vec<RegionView>,
    pub invitations: Vec<InvitationView>,
}

/// `""` is "no region"; anything else must be a region id.
pub fn parse_region(raw: &str) -> Result<Option<Uuid>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| AppError::Domain(domain::Error::invalid("region_id", "error-region-unknown")))
}

#[server(endpoint = "staff_page")]
pub async fn staff_page(slug: String) -> Result<StaffPageData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::accounts::service;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    Ok(StaffPageData {
        staff: service::list_staff(db, &ctx).await?,
        regions: domain::tenancy::service::list_regions(db, &ctx).await?,
        invitations: service::list_invitations(db, &ctx).await?,
    })
}

#[server(endpoint = "invite_staff")]
pub async fn invite_staff(
    csrf: String,
    slug: String,
    email: String,
    role: String,
    region: String,
) -> Result<String, AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let role: Role = role.parse()?;
    let inv =
        domain::accounts::service::invite(&state().db, &ctx, &email, role, parse_region(&region)?)
            .await?;
    // The page says so after a plain post too (no wasm; issue 20): the invitation is named by
    // its id, not its address, which stays out of the address bar and the logs.
    leptos_axum::redirect(&format!("/t/{}/staff?invited={}", ctx.tenant.slug, inv.id));
    Ok(inv.email)
}

#[server(endpoint = "update_membership")]
pub async fn update_membership(
    csrf: String,
    slug: String,
    membership_id: Uuid,
    role: String,
    region: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let role: Role = role.parse()?;
    let change = domain::accounts::service::MembershipChange {
        role: Some(role),
        region_id: Some(parse_region(&region)?),
        active: None,
    };
    domain::accounts::service::change_membership(&state().db, &ctx, membership_id, change).await?;
    Ok(())
}

#[server(endpoint = "revoke_invitation")]
pub async fn revoke_invitation(
    csrf: String,
    slug: String,
    invitation_id: Uuid,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    domain::accounts::service::revoke_invitation(&state().db, &ctx, invitation_id).await?;
    Ok(())
}

#[server(endpoint = "set_member_active")]
pub async fn set_member_active(
    csrf: String,
    slug: String,
    membership_id: Uuid,
    active: bool,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let change = domain::accounts::service::MembershipChange {
        active: Some(active),
        ..Default::default()
    };
    domain::accounts::service::change_membership(&state().db, &ctx, membership_id, change).await?;
    Ok(())
}

fn role_options(l: domain::Locale, selected: Option<Role>) -> impl IntoView {
    Role::STAFF
        .iter()
        .map(|r| view! { <option value=r.as_str() selected=selected == Some(*r)>{l.t(&r.label_key())}</option> })
        .collect_view()
}

fn region_options(
    l: domain::Locale,
    regions: &[RegionView],
    selected: Option<Uuid>,
) -> impl IntoView + use<> {
    let none =
        view! { <option value="" selected=selected.is_none()>{l.t("staff-region-none")}</option> };
    let rest = regions
        .iter()
        .map(|r| view! { <option value=r.id.to_string() selected=selected == Some(r.id)>{r.name.clone()}</option> })
        .collect_view();
    (none, rest)
}

#[component]
pub fn StaffPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let invite = ServerAction::<InviteStaff>::new();
    let update = ServerAction::<UpdateMembership>::new();
    let activate = ServerAction::<SetMemberActive>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let data = Resource::new(
        move || {
            (
                slug(),
                invite.version().get(),
                update.version().get(),
                activate.version().get(),
                revoke.version().get(),
            )
        },
        |(slug, ..)| staff_page(slug),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let csrf = info.csrf.clone();
                let data = match loaded(data.await, l) {
                    Ok(d) => d,
                    Err(error_view) => return error_view,
                };
                let regions = data.regions.clone();
                let slug_now = slug();
                let rows = data.staff.clone().into_iter().map(|m| {
                    // Each form's children are their own closure, so each gets its own copies.
                    let (csrf, csrf2) = (csrf.clone(), csrf.clone());
                    let (slug_now, slug2) = (slug_now.clone(), slug_now.clone());
                    let (id, id2) = (m.membership_id.to_string(), m.membership_id.to_string());
                    let region_select = region_options(l, &regions, m.region_id);
                    view! {
                        <tr>
                            <td>{m.full_name.clone()}<br/><span class="muted">{m.email.clone()}</span></td>
                            <td>
                                <ActionForm action=update>
                                    {crate::forms::keys(csrf)}
                                    <input type="hidden" name="slug" value=slug_now/>
                                    <input type="hidden" name="membership_id" value=id/>
                                    <select name="role" aria-label=l.t("staff-role")>{role_options(l, Some(m.role))}</select>
                                    <select name="region" aria-label=l.t("staff-region")>{region_select}</select>
                                    <button type="submit">{l.t("staff-save")}</button>
                                </ActionForm>
                            </td>
                            <td>{if m.active { l.t("staff-active") } else { l.t("staff-inactive") }}</td>
                            <td>
                                <ActionForm action=activate>
                                    {crate::forms::keys(csrf2)}
                                    <input type="hidden" name="slug" value=slug2/>
                                    <input type="hidden" name="membership_id" value=id2/>
                                    <input type="hidden" name="active" value=(!m.active).to_string()/>
                                    <button type="submit" class="secondary">
                                        {if m.active { l.t("staff-deactivate") } else { l.t("staff-reactivate") }}
                                    </button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view();
                // Just sent (the address after the invitation form): said with its address.
                let invited = use_query_map()
                    .read_untracked()
                    .get("invited")
                    .and_then(|id| data.invitations.iter().find(|i| i.id.to_string() == id))
                    .map(|i| i.email.clone());
                let invitations = data.invitations.clone().into_iter().map(|i| {
                    let (csrf, slug_now) = (csrf.clone(), slug_now.clone());
                    view! {
                        <tr>
                            <td>{i.email.clone()}</td>
                            <td>{l.t(&i.role.label_key())}</td>
                            <td>{if i.accepted { l.t("staff-invitation-accepted") } else { l.t("staff-invitation-pending") }}</td>
                            <td>{crate::forms::date(i.expires_at.date_naive())}</td>
                            <td>
                                {(!i.accepted).then(|| view! {
                                    <ActionForm action=revoke>
                                        {crate::forms::keys(csrf)}
                                        <input type="hidden" name="slug" value=slug_now/>
                                        <input type="hidden" name="invitation_id" value=i.id.to_string()/>
                                        <button type="submit" class="secondary">{l.t("staff-invitation-revoke")}</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view();
                view! {
                    <section class="card" id="members">
                        <h1>{l.t("staff-title")}</h1>
                        {move || update.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        {move || activate.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        <div class="table-scroll" tabindex="0">
                            <table class="staff">
                                <thead><tr>
                                    <th>{l.t("staff-name")}</th><th>{l.t("staff-role")}</th><th>{l.t("staff-status")}</th><th></th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                    </section>
                    <section class="card">
                        <h2>{l.t("staff-invite-title")}</h2>
                        {invited.map(|email| view! { <p class="ok" role="status" id="invited">{l.t_args("staff-invited", &[("email", email)])}</p> })}
                        {move || invite.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        <ActionForm action=invite>
                            <div class="form" id="invite-form">
                                {crate::forms::keys(csrf.clone())}
                                <input type="hidden" name="slug" value=slug_now.clone()/>
                                <label>{l.t("staff-email")}<input type="email" name="email" required/></label>
                                <label>{l.t("staff-role")}<select name="role">{role_options(l, Some(Role::Coordinator))}</select></label>
                                <label>{l.t("staff-region")}<select name="region">{region_options(l, &data.regions, None)}</select></label>
                                <button type="submit">{l.t("staff-invite-submit")}</button>
                            </div>
                        </ActionForm>
                    </section>
                    <section class="card" id="invitations">
                        <h2>{l.t("staff-invitations-title")}</h2>
                        {move || revoke.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                        <div class="table-scroll" tabindex="0">
                            <table>
                                <thead><tr>
                                    <th>{l.t("staff-email")}</th><th>{l.t("staff-role")}</th><th>{l.t("staff-status")}</th><th>{l.t("staff-expires")}</th><th></th>
                                </tr></thead>
                                <tbody>{invitations}</tbody>
                            </table>
                        </div>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
