//! Youth groups in the portal: the list with where each group stands against its monthly
//! cadence and the form that registers a group; a group's page with its members, its mentors
//! and its sessions, where staff add and remove members and assign mentors and an assigned
//! mentor logs the month's session. The rules are in `domain::matching::groups` and
//! `domain::support::sessions`.

use domain::matching::groups::GroupView;
use domain::support::GroupSessionView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::pages::{notice, standing_badge};
use crate::errors::{AppError, ErrorNote, loaded};
use crate::forms::date;
use crate::session::use_session;

#[cfg(feature = "ssr")]
use crate::forms::{optional, parse};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupsData {
    pub groups: Vec<GroupView>,
    /// Coordinators and admins register groups: the group programmes and the regions they may
    /// choose (empty otherwise).
    pub programmes: Vec<(Uuid, String)>,
    pub regions: Vec<(Uuid, String)>,
}

#[server(endpoint = "groups_page")]
pub async fn groups_page(slug: String) -> Result<GroupsData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::matching::pairs::MANAGERS;
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let groups = domain::matching::groups::service::list_groups(db, &ctx).await?;
    let manager = ctx.has_any(&MANAGERS);
    let (programmes, regions) = if manager {
        let regions = domain::tenancy::service::list_regions(db, &ctx)
            .await?
            .into_iter()
            .filter(|r| ctx.covers_region(&MANAGERS, Some(r.id)))
            .map(|r| (r.id, r.name))
            .collect();
        (
            domain::matching::groups::service::group_programmes(db, &ctx).await?,
            regions,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(GroupsData {
        groups,
        programmes,
        regions,
    })
}

#[server(endpoint = "create_group_form")]
pub async fn create_group_form(
    csrf: String,
    slug: String,
    programme: String,
    region: String,
    name: String,
    host_organisation: String,
    project: String,
    started_on: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = domain::matching::groups::GroupInput {
        programme_id: parse("programme_id", &programme, "error-group-programme")?,
        region_id: parse("region_id", &region, "error-region-unknown")?,
        name,
        host_organisation,
        project,
        started_on: optional("started_on", &started_on, "error-date-invalid")?,
    };
    let g = domain::matching::groups::service::create_group(&state().db, &ctx, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/groups/{}?created=1", g.id));
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPageData {
    pub group: GroupView,
    pub sessions: Vec<GroupSessionView>,
    /// Coordinators and admins change members and mentors of an active group.
    pub can_manage: bool,
    /// An assigned mentor logs sessions while the group is active.
    pub can_log: bool,
    /// Whom the group can be given (managers only).
    pub mentors: Vec<(Uuid, String)>,
}

#[server(endpoint = "group_page")]
pub async fn group_page(slug: String, id: Uuid) -> Result<GroupPageData, AppError> {
    use crate::server::{session, state, tenant_ctx};
    use domain::matching::pairs::{ACTIVE, MANAGERS};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let db = &state().db;
    let group = domain::matching::groups::service::get_group(db, &ctx, id).await?;
    let sessions = domain::support::sessions::list_group_sessions(db, &ctx, id).await?;
    let active = group.status == ACTIVE;
    let can_manage = active && ctx.covers_region(&MANAGERS, Some(group.region_id));
    let mentors = if can_manage {
        domain::matching::groups::service::assignable_mentors(db, &ctx).await?
    } else {
        Vec::new()
    };
    if group.has_mentor(ctx.actor.user_id) {
        crate::offline::keep_offline();
    }
    Ok(GroupPageData {
        can_log: active && group.has_mentor(ctx.actor.user_id),
        can_manage,
        mentors,
        group,
        sessions,
    })
}

#[server(endpoint = "add_group_member_form")]
pub async fn add_group_member_form(
    csrf: String,
    slug: String,
    group: Uuid,
    first_name: String,
    last_initial: String,
    date_of_birth: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = domain::matching::groups::GroupMemberInput {
        first_name,
        last_initial,
        date_of_birth: parse("date_of_birth", &date_of_birth, "error-member-age")?,
    };
    domain::matching::groups::service::add_group_member(&state().db, &ctx, group, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/groups/{group}?member=1"));
    Ok(())
}

#[server(endpoint = "remove_group_member_form")]
pub async fn remove_group_member_form(
    csrf: String,
    slug: String,
    group: Uuid,
    member: Uuid,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    domain::matching::groups::service::remove_group_member(&state().db, &ctx, group, member)
        .await?;
    leptos_axum::redirect(&format!("/t/{slug}/groups/{group}?left=1"));
    Ok(())
}

#[server(endpoint = "assign_group_mentor_form")]
pub async fn assign_group_mentor_form(
    csrf: String,
    slug: String,
    group: Uuid,
    mentor: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = domain::matching::groups::GroupMentorInput {
        mentor_id: parse("mentor_id", &mentor, "error-mentor-unknown")?,
    };
    domain::matching::groups::service::assign_group_mentor(&state().db, &ctx, group, &input)
        .await?;
    leptos_axum::redirect(&format!("/t/{slug}/groups/{group}?assigned=1"));
    Ok(())
}

#[server(endpoint = "unassign_group_mentor_form")]
pub async fn unassign_group_mentor_form(
    csrf: String,
    slug: String,
    group: Uuid,
    mentor: Uuid,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    domain::matching::groups::service::unassign_group_mentor(&state().db, &ctx, group, mentor)
        .await?;
    leptos_axum::redirect(&format!("/t/{slug}/groups/{group}?unassigned=1"));
    Ok(())
}

#[server(endpoint = "log_group_session_form")]
pub async fn log_group_session_form(
    csrf: String,
    slug: String,
    group: Uuid,
    held_on: String,
    minutes: String,
    attendees: String,
    topic: String,
    agreements: String,
    next_steps: String,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let input = domain::support::GroupSessionInput {
        held_on: parse("held_on", &held_on, "error-date-invalid")?,
        minutes: parse("minutes", &minutes, "error-meeting-minutes")?,
        attendees: parse("attendees", &attendees, "error-session-attendees")?,
        topic,
        agreements,
        next_steps,
    };
    domain::support::sessions::log_group_session(&state().db, &ctx, group, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/groups/{group}?logged=1"));
    Ok(())
}

// ---------------------------------------------------------------- pages

#[component]
pub fn GroupsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(slug, groups_page);
    let create = ServerAction::<CreateGroupForm>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => view! {
                        <section class="card">
                            <h1>{l.t("groups-title")}</h1>
                            {d.groups.is_empty().then(|| view! { <p id="no-groups">{l.t("groups-none")}</p> })}
                            <div class="table-scroll" tabindex="0"><table id="groups">
                                <thead><tr>
                                    <th>{l.t("group-name")}</th><th>{l.t("group-host")}</th><th>{l.t("group-members")}</th>
                                    <th>{l.t("group-mentors")}</th><th>{l.t("group-last-session")}</th><th>{l.t("pair-standing")}</th>
                                </tr></thead>
                                <tbody>
                                    {d.groups.iter().map(|g| view! {
                                        <tr data-group=g.id.to_string()>
                                            <td><a href=format!("/t/{}/groups/{}", slug(), g.id)>{g.name.clone()}</a></td>
                                            <td>{g.host_organisation.clone()}</td>
                                            <td>{g.current_members()}</td>
                                            <td>{g.mentors.iter().filter(|m| m.unassigned_on.is_none()).map(|m| m.name.clone()).collect::<Vec<_>>().join(", ")}</td>
                                            <td>{g.last_session.map(date).unwrap_or_else(|| "—".into())}</td>
                                            <td>{standing_badge(l, g.standing)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        </section>
                        {(!d.programmes.is_empty()).then(|| view! {
                            <section class="card">
                                <h2>{l.t("group-create")}</h2>
                                {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <form method="post" action=CreateGroupForm::PATH class="form" id="create-group">
                                    {crate::forms::keys(info.csrf.clone())}
                                    <input type="hidden" name="slug" value=slug()/>
                                    <label>{l.t("group-programme")}
                                        <select name="programme">
                                            {d.programmes.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("child-region")}
                                        <select name="region">
                                            {d.regions.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>{l.t("group-name")}<input name="name" required maxlength="200"/></label>
                                    <label>{l.t("group-host")}<input name="host_organisation" required maxlength="200"/></label>
                                    <label>{l.t("group-project")}<textarea name="project" maxlength="4000"></textarea></label>
                                    <label>{l.t("group-started")}<input type="date" name="started_on"/></label>
                                    <button type="submit">{l.t("group-create")}</button>
                                </form>
                            </section>
                        })}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let id = crate::forms::route_id(params, "group");
    let data = Resource::new(move || (slug(), id()), |(s, i)| group_page(s, i));
    let add = ServerAction::<AddGroupMemberForm>::new();
    let remove = ServerAction::<RemoveGroupMemberForm>::new();
    let assign = ServerAction::<AssignGroupMentorForm>::new();
    let unassign = ServerAction::<UnassignGroupMentorForm>::new();
    let log = ServerAction::<LogGroupSessionForm>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let note = notice(l, &[("created", "group-created"), ("member", "group-member-added"), ("left", "group-member-left"),
                                       ("assigned", "group-mentor-assigned"), ("unassigned", "group-mentor-unassigned"), ("logged", "session-logged")]);
                match loaded(data.await, l) {
                    Err(v) => v,
                    Ok(d) => {
                        let g = d.group.clone();
                        let csrf = info.csrf.clone();
                        let group_id = g.id.to_string();
                        let hidden = move || view! {
                            {crate::forms::keys(csrf.clone())}
                            <input type="hidden" name="slug" value=slug()/>
                            <input type="hidden" name="group" value=group_id.clone()/>
                        };
                        let hidden2 = hidden.clone();
                        let hidden3 = hidden.clone();
                        let hidden4 = hidden.clone();
                        let can_manage = d.can_manage;
                        view! {
                            <section class="card" id="group">
                                <p class="muted">{g.programme_name.clone()}</p>
                                <h1>{g.name.clone()}</h1>
                                {note.map(|n| view! { <p class="ok" role="status" id="group-notice">{n}</p> })}
                                {move || add.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || assign.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || unassign.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                {move || log.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                                <dl class="figures">
                                    <dt>{l.t("pair-standing")}</dt><dd id="group-standing">{standing_badge(l, g.standing)}</dd>
                                    <dt>{l.t("group-host")}</dt><dd>{g.host_organisation.clone()}</dd>
                                    <dt>{l.t("child-region")}</dt><dd>{g.region_name.clone()}</dd>
                                    <dt>{l.t("group-started")}</dt><dd>{date(g.started_on)}</dd>
                                    <dt>{l.t("group-last-session")}</dt><dd>{g.last_session.map(date).unwrap_or_else(|| "—".into())}</dd>
                                </dl>
                                {(!g.project.is_empty()).then(|| view! { <h2>{l.t("group-project")}</h2><p>{g.project.clone()}</p> })}
                            </section>
                            {d.can_log.then(|| view! {
                                <section class="card">
                                    <h2>{l.t("session-log")}</h2>
                                    <p class="muted">{l.t("session-intro")}</p>
                                    <form method="post" action=LogGroupSessionForm::PATH class="form" id="log-session">
                                        {hidden()}
                                        <label>{l.t("meeting-date")}<input type="date" name="held_on" required/></label>
                                        <label>{l.t("meeting-minutes")}<input type="number" name="minutes" min="1" max="1440" value="90" required/></label>
                                        <label>{l.t("session-attendees")}<input type="number" name="attendees" min="0" max=g.current_members().to_string() value=g.current_members().to_string() required/></label>
                                        <label>{l.t("session-topic")}<textarea name="topic" maxlength="4000"></textarea></label>
                                        <label>{l.t("meeting-agreements")}<textarea name="agreements" maxlength="4000"></textarea></label>
                                        <label>{l.t("meeting-next-steps")}<textarea name="next_steps" maxlength="4000"></textarea></label>
                                        <button type="submit">{l.t("meeting-save")}</button>
                                    </form>
                                </section>
                            })}
                            <section class="card">
                                <h2>{l.t("sessions-title")}</h2>
                                {d.sessions.is_empty().then(|| view! { <p>{l.t("sessions-none")}</p> })}
                                <ul id="sessions" class="history">
                                    {d.sessions.iter().map(|s| view! {
                                        <li data-session=s.id.to_string()>
                                            <strong>{date(s.held_on)}</strong>" · "{s.mentor_name.clone()}" · "
                                            {l.t_args("meeting-minutes-value", &[("minutes", s.minutes.to_string())])}" · "
                                            {l.t_args("session-attendees-value", &[("count", s.attendees.to_string())])}
                                            {(!s.topic.is_empty()).then(|| view! { <p>{l.t("session-topic")}": "{s.topic.clone()}</p> })}
                                            {(!s.agreements.is_empty()).then(|| view! { <p>{l.t("meeting-agreements")}": "{s.agreements.clone()}</p> })}
                                            {(!s.next_steps.is_empty()).then(|| view! { <p>{l.t("meeting-next-steps")}": "{s.next_steps.clone()}</p> })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </section>
                            <section class="card">
                                <h2>{l.t("group-members")}</h2>
                                <ul id="members">
                                    {g.members.iter().map(|m| {
                                        let hidden = hidden2.clone();
                                        view! {
                                            <li data-member=m.id.to_string() data-left=m.left_on.is_some().to_string()>
                                                {m.name.clone()}" · "{l.t_args("group-member-age", &[("age", m.age.to_string())])}" · "
                                                {match m.left_on {
                                                    Some(d) => l.t_args("group-member-left-on", &[("date", date(d))]),
                                                    None => l.t_args("group-member-since", &[("date", date(m.joined_on))]),
                                                }}
                                                {(can_manage && m.left_on.is_none()).then(|| view! {
                                                    <form method="post" action=RemoveGroupMemberForm::PATH class="form inline">
                                                        {hidden()}
                                                        <input type="hidden" name="member" value=m.id.to_string()/>
                                                        <button type="submit" class="secondary">{l.t("group-member-remove")}</button>
                                                    </form>
                                                })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                {can_manage.then(|| view! {
                                    <form method="post" action=AddGroupMemberForm::PATH class="form inline" id="add-member">
                                        {hidden3()}
                                        <label>{l.t("child-first-name")}<input name="first_name" required maxlength="60"/></label>
                                        <label>{l.t("child-last-initial")}<input name="last_initial" required maxlength="1" size="2"/></label>
                                        <label>{l.t("child-birth-date")}<input type="date" name="date_of_birth" required/></label>
                                        <button type="submit">{l.t("group-member-add")}</button>
                                    </form>
                                })}
                            </section>
                            <section class="card">
                                <h2>{l.t("group-mentors")}</h2>
                                <ul id="group-mentors">
                                    {g.mentors.iter().map(|m| {
                                        let hidden = hidden4.clone();
                                        view! {
                                            <li data-mentor=m.mentor_id.to_string()>
                                                {m.name.clone()}" · "
                                                {match m.unassigned_on {
                                                    Some(d) => l.t_args("group-mentor-until", &[("date", date(d))]),
                                                    None => l.t_args("group-member-since", &[("date", date(m.assigned_on))]),
                                                }}
                                                {(can_manage && m.unassigned_on.is_none()).then(|| view! {
                                                    <form method="post" action=UnassignGroupMentorForm::PATH class="form inline">
                                                        {hidden()}
                                                        <input type="hidden" name="mentor" value=m.mentor_id.to_string()/>
                                                        <button type="submit" class="secondary">{l.t("group-mentor-unassign")}</button>
                                                    </form>
                                                })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                {can_manage.then(|| view! {
                                    <form method="post" action=AssignGroupMentorForm::PATH class="form inline" id="assign-mentor">
                                        {hidden()}
                                        <label>{l.t("pair-mentor")}
                                            <select name="mentor">
                                                {d.mentors.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                                            </select>
                                        </label>
                                        <button type="submit">{l.t("group-mentor-assign")}</button>
                                    </form>
                                })}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
