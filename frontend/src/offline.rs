//! A lost connection loses nothing (issue 20). Mentors log meetings from orphanages and
//! villages with a weak signal: on their pages a service worker (`/sw.js`, in `public/`) keeps
//! the pages they need and holds a form sent while offline as "waiting to send", until the
//! connection returns. The server carries each form out once (`form_once`), so a send retried
//! after a timeout never makes a second protocol.
//!
//! Here: the list of what waits, drawn on every page of a mentor's organisation (its words in
//! the person's language, its items filled in by [`OUTBOX_SCRIPT`] from the worker's store),
//! and the header by which a page says the phone may keep it.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::session::use_session;

/// The header by which a page tells the service worker it may keep a copy for offline use:
/// only a mentor's own pages (their start page, mentees, a pair or group they lead).
pub const KEEP_HEADER: &str = "ustaz-offline";

/// Marks the page being rendered as one a mentor's phone keeps.
#[cfg(feature = "ssr")]
pub fn keep_offline() {
    use axum::http::{HeaderName, HeaderValue};
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.insert_header(
            HeaderName::from_static(KEEP_HEADER),
            HeaderValue::from_static("keep"),
        );
    }
}

/// What waits to be sent, on every page of an organisation where the person is a mentor.
/// Hidden until the script finds something to say (offline, or something waiting).
#[component]
pub fn Outbox() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = session.await.unwrap_or_default();
                let l = info.locale;
                let slug = location.pathname.with_untracked(|p| {
                    p.strip_prefix("/t/")
                        .and_then(|r| r.split('/').next())
                        .map(String::from)
                })?;
                let user = info.user.as_ref()?.id;
                if !info.roles_in(&slug).contains(&domain::accounts::Role::Mentor) {
                    return None;
                }
                Some(view! {
                    <section class="card outbox" id="outbox" hidden aria-labelledby="outbox-title"
                        data-user=user.to_string() data-slug=slug
                        data-waiting=l.t("outbox-waiting") data-refused=l.t("outbox-refused")
                        data-signin=l.t("outbox-signin") data-typed=l.t("outbox-typed")
                        data-what=l.t("outbox-what") data-open=l.t("outbox-open")
                        data-remove=l.t("outbox-remove") data-remove-confirm=l.t("outbox-remove-confirm")
                        data-signout-confirm=l.t("outbox-signout-confirm") data-sent=l.t("outbox-sent")
                        data-reason=l.t("outbox-reason")>
                        <h2 id="outbox-title">{l.t("outbox-title")}</h2>
                        <p class="muted" id="outbox-offline" hidden>{l.t("outbox-offline")}</p>
                        // Shown by the script after a form was kept (`?waiting=`): the page
                        // then comes from the phone's copy, drawn before that address.
                        <p class="ok" role="status" id="outbox-saved" hidden>{l.t("outbox-saved")}</p>
                        <p class="ok" role="status" id="outbox-status"></p>
                        <ul class="outbox-items" id="outbox-items"></ul>
                        <button type="button" id="outbox-send" hidden>{l.t("outbox-send")}</button>
                    </section>
                })
            })}
        </Suspense>
    }
}

/// Registers the service worker and keeps the list of what waits up to date; runs only where
/// [`Outbox`] is drawn. Plain script, not the wasm: it must work on a page kept offline, and
/// weighs a few kilobytes.
pub const OUTBOX_SCRIPT: &str = r#"
document.addEventListener('DOMContentLoaded', function () {
  var box = document.getElementById('outbox');
  if (!box || !('serviceWorker' in navigator) || !window.caches) return;
  var d = box.dataset;
  var list = document.getElementById('outbox-items');
  var sendButton = document.getElementById('outbox-send');
  var offlineNote = document.getElementById('outbox-offline');
  var status = document.getElementById('outbox-status');
  var saved = document.getElementById('outbox-saved');
  saved.hidden = !new URLSearchParams(location.search).has('waiting');
  var lang = document.documentElement.lang || undefined;
  navigator.serviceWorker.register('/sw.js').catch(function () {});
  function tell(msg) {
    return navigator.serviceWorker.ready.then(function (r) { if (r.active) r.active.postMessage(msg); });
  }

  // The phone keeps this organisation's start page, this page and the pages the start page's
  // tasks open, once per tab (each later visit refreshes its own copy through the worker).
  var home = location.pathname.match(/^\/t\/[^/]+/)[0];
  // (A page the worker served is kept already, if it may be.)
  var keep = [home];
  if (!navigator.serviceWorker.controller) keep.push(location.pathname);
  document.querySelectorAll('a[data-task]').forEach(function (a) { keep.push(a.href.split('#')[0]); });
  var asked = sessionStorage.getItem('ustaz-kept') || '';
  keep = keep.filter(function (u, i) { return keep.indexOf(u) === i && asked.indexOf('|' + u + '|') < 0; });
  sessionStorage.setItem('ustaz-kept', asked + keep.map(function (u) { return '|' + u + '|'; }).join(''));
  tell({ user: d.user, keep: keep });

  function items() {
    return caches.open('ustaz-outbox').then(function (c) {
      return c.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) {
          return new URL(k.url).pathname.indexOf('/__outbox/item/') === 0;
        }).map(function (k) { return c.match(k).then(function (r) { return r.json(); }); }));
      });
    }).then(function (all) {
      return all.filter(function (i) { return i.user === d.user; })
        .sort(function (a, b) { return a.typed - b.typed; });
    });
  }
  function keptPage(url) {
    return caches.match(url.split('?')[0], { cacheName: 'ustaz-pages' })
      .then(function (r) { return r ? r.text() : ''; })
      .then(function (t) { return new DOMParser().parseFromString(t, 'text/html'); });
  }
  function text(el) { return el ? el.textContent.replace(/\s+/g, ' ').trim() : ''; }
  function el(tag, cls, content) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (content != null) e.textContent = content;
    return e;
  }
  // What was typed, field by field, under the labels of the form it was typed into.
  function typed(item, page) {
    var action = new URL(item.url).pathname;
    var form = Array.prototype.find.call(page.querySelectorAll('form'), function (f) {
      return new URL(f.getAttribute('action') || '', location.origin).pathname === action;
    });
    var dl = el('dl', 'figures');
    new URLSearchParams(item.body).forEach(function (value, name) {
      if (name === 'csrf' || name === 'once' || value === '') return;
      var field = form && form.querySelector('[name="' + CSS.escape(name) + '"]');
      if (field && field.type === 'hidden') return;
      var label = field && field.labels && field.labels[0] ? text(field.labels[0]) : name;
      if (field && field.tagName === 'SELECT') {
        var option = field.querySelector('option[value="' + CSS.escape(value) + '"]');
        if (option) value = text(option);
      }
      dl.appendChild(el('dt', null, label));
      dl.appendChild(el('dd', null, value));
    });
    return dl;
  }
  function render() {
    return items().then(function (all) {
      return Promise.all(all.map(function (i) { return keptPage(i.from || home); }))
        .then(function (pages) { draw(all, pages); });
    });
  }
  var before = 0;
  function draw(all, pages) {
    list.textContent = '';
    all.forEach(function (item, n) {
      var li = el('li', 'outbox-item');
      li.dataset.outbox = item.id;
      li.dataset.state = item.state;
      var title = text(pages[n].querySelector('h1')) || item.from;
      li.appendChild(el('strong', null, title));
      var when = new Date(item.typed).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
      li.appendChild(el('span', 'muted', d.typed + ' ' + when));
      var state = { waiting: d.waiting, refused: d.refused, signin: d.signin }[item.state] || d.waiting;
      li.appendChild(el('span', 'badge' + (item.state === 'refused' ? ' error' : ''), state));
      if (item.state === 'refused') {
        var shown = new DOMParser().parseFromString(item.html || '', 'text/html');
        var reason = text(shown.querySelector('[role=alert]')) || text(shown.querySelector('[aria-invalid=true]') && shown.querySelector('[aria-invalid=true]').labels[0]);
        if (reason) li.appendChild(el('p', 'error', d.reason + ' ' + reason));
        var open = el('a', 'button', d.open);
        var from = new URL(item.from || home, location.origin);
        from.searchParams.set('outbox', item.id);
        open.href = from.pathname + from.search;
        li.appendChild(open);
      }
      var details = el('details');
      details.appendChild(el('summary', null, d.what));
      details.appendChild(typed(item, pages[n]));
      li.appendChild(details);
      var remove = el('button', 'secondary', d.remove);
      remove.type = 'button';
      remove.dataset.drop = item.id;
      remove.addEventListener('click', function () {
        if (confirm(d.removeConfirm)) tell({ drop: item.id });
      });
      li.appendChild(remove);
      list.appendChild(li);
    });
    var waiting = all.some(function (i) { return i.state !== 'refused'; });
    sendButton.hidden = !waiting;
    offlineNote.hidden = navigator.onLine;
    // Everything went: say so, and no longer that something waits.
    status.textContent = before > 0 && all.length === 0 ? d.sent : '';
    if (!waiting && before > all.length) saved.hidden = true;
    before = all.length;
    box.hidden = all.length === 0 && navigator.onLine && !status.textContent && saved.hidden;
    box.dataset.count = String(all.length);
  }
  function flush() { tell({ flush: true, user: d.user }); }
  sendButton.addEventListener('click', flush);
  navigator.serviceWorker.addEventListener('message', function (e) {
    if (e.data && e.data.outbox) render();
  });
  window.addEventListener('online', function () { render(); flush(); });
  window.addEventListener('offline', render);
  render().then(function () { if (navigator.onLine && Number(box.dataset.count) > 0) flush(); });

  // Signing out clears this phone's copies, the waiting forms with them: say so first.
  document.addEventListener('submit', function (ev) {
    var action = ev.target.getAttribute('action') || '';
    if (action !== '/api/logout' || Number(box.dataset.count) === 0) return;
    if (!confirm(d.signoutConfirm)) ev.preventDefault();
  }, true);
});
"#;
