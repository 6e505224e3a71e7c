//! The notifications page (which reminders a person receives in a tenant) and the page an
//! e-mail's unsubscribe link opens. Both work without script.

use domain::accounts::notifications::{NotificationPreferences, Topic};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::errors::{AppError, ErrorNote, loaded};
use crate::session::use_session;

#[server(endpoint = "notifications_page")]
pub async fn notifications_page(slug: String) -> Result<NotificationPreferences, AppError> {
    use crate::server::{session, state, tenant_ctx};
    let s = session()?;
    let ctx = tenant_ctx(&s, &slug).await?;
    Ok(domain::accounts::notifications::service::get_preferences(&state().db, &ctx).await?)
}

/// Saves the page's switches: every topic is set, on when its box was ticked.
#[server(endpoint = "save_notifications")]
pub async fn save_notifications(
    csrf: String,
    slug: String,
    enabled: Option<Vec<String>>,
) -> Result<(), AppError> {
    use crate::server::{session_for_change, state, tenant_ctx};
    use domain::accounts::notifications::{PreferencesInput, TopicSetting};
    let s = session_for_change(&csrf)?;
    let ctx = tenant_ctx(&s, &slug).await?;
    let enabled = enabled.unwrap_or_default();
    for name in &enabled {
        if Topic::parse(name).is_none() {
            return Err(domain::Error::invalid("topics", "error-topic-unknown").into());
        }
    }
    let input = PreferencesInput {
        topics: Topic::ALL
            .into_iter()
            .map(|topic| TopicSetting {
                topic,
                enabled: enabled.iter().any(|n| n == topic.as_str()),
            })
            .collect(),
    };
    domain::accounts::notifications::service::set_preferences(&state().db, &ctx, &input).await?;
    leptos_axum::redirect(&format!("/t/{slug}/notifications?saved=1"));
    Ok(())
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let save = ServerAction::<SaveNotifications>::new();
    let data = Resource::new(
        move || (slug(), save.version().get()),
        |(s, _)| notifications_page(s),
    );
    let saved = move || use_query_map().read_untracked().get("saved").is_some();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                match loaded(data.await, l) {
                    Err(error_view) => error_view,
                    Ok(prefs) => view! {
                        <section class="card">
                            <h1>{l.t("notifications-title")}</h1>
                            <p class="muted">{l.t("notifications-intro")}</p>
                            {(saved() || save.value().get().is_some_and(|r| r.is_ok())).then(|| view! {
                                <p class="notice" role="status">{l.t("notifications-saved")}</p>
                            })}
                            {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e locale=l/> })}
                            <ActionForm action=save attr:id="notifications-form">
                                <div class="form">
                                    {crate::forms::keys(info.csrf.clone())}
                                    <input type="hidden" name="slug" value=slug()/>
                                    {prefs.topics.into_iter().enumerate().map(|(i, s)| view! {
                                        <label class="check">
                                            <input type="checkbox" name=format!("enabled[{i}]") value=s.topic.as_str() checked=s.enabled/>
                                            {l.t(&s.topic.label_key())}
                                        </label>
                                    }).collect_view()}
                                    <button type="submit">{l.t("notifications-save")}</button>
                                </div>
                            </ActionForm>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Turns a topic off from an e-mail's link. The link itself changes nothing (mail scanners
/// open links); the button does.
#[server(endpoint = "unsubscribe")]
pub async fn unsubscribe(token: String, topic: String) -> Result<(), AppError> {
    use crate::server::state;
    let done =
        domain::accounts::notifications::service::unsubscribe(&state().db, &token, &topic).await?;
    leptos_axum::redirect(&format!(
        "/unsubscribe?topic={}&done=1",
        done.topic.as_str()
    ));
    Ok(())
}

#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let action = ServerAction::<Unsubscribe>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let q = query.read_untracked();
                let topic = q.get("topic").as_deref().and_then(Topic::parse);
                let token = q.get("token").unwrap_or_default();
                let done = q.get("done").is_some();
                view! {
                    <section class="card">
                        <h1>{l.t("unsubscribe-title")}</h1>
                        {match topic {
                            None => view! { <p role="alert">{l.t("unsubscribe-invalid")}</p> }.into_any(),
                            Some(t) if done => view! {
                                <p class="notice" role="status" id="unsubscribed">
                                    {l.t_args("unsubscribe-done", &[("topic", l.t(&t.label_key()))])}
                                </p>
                            }.into_any(),
                            Some(t) => view! {
                                <p>{l.t_args("unsubscribe-question", &[("topic", l.t(&t.label_key()))])}</p>
                                {move || action.value().get().and_then(|r| r.err()).map(|_| view! {
                                    <p role="alert">{l.t("unsubscribe-invalid")}</p>
                                })}
                                <ActionForm action=action attr:id="unsubscribe-form">
                                    <input type="hidden" name="token" value=token.clone()/>
                                    <input type="hidden" name="topic" value=t.as_str()/>
                                    <button type="submit">{l.t("unsubscribe-confirm")}</button>
                                </ActionForm>
                            }.into_any(),
                        }}
                    </section>
                }
            })}
        </Suspense>
    }
}
