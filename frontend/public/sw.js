// Ustaz's service worker (issue 20): a mentor's pages and forms stay usable when the
// connection drops, and what is sent meanwhile waits on the phone until it can go.
//
// - Pages the server marks `ustaz-offline: keep` (a mentor's start page, mentees, pair and group
//   pages) are kept: fetched from the network first, the kept copy shown when it fails.
// - The bundle's content-named files (`/pkg/ustaz.<hash>.*`) are kept once and never asked for
//   again; other static files are asked for first.
// - A form post that carries the portal's `once` token and cannot reach the server is kept as
//   "waiting to send" and sent when the connection returns. The server carries out a token once
//   (`form_once`), so a send retried after a timeout never makes a second protocol. A token
//   this phone already sent (a kept page's form used twice) is replaced by a fresh one first.
// - Nothing else is touched: API calls, sign-in and sign-out pass straight to the network.
//   Signing out clears every kept page and this worker (`Clear-Site-Data`).
//
// The page's script (`frontend::offline::OUTBOX_SCRIPT`) lists what waits and asks for sends.

const PAGES = 'ustaz-pages';
const STATIC = 'ustaz-static';
const OUTBOX = 'ustaz-outbox';
// Tokens this phone has sent, newest last, so a kept form sent again gets a fresh one.
const SENT = '/__outbox/sent';
const SENT_KEPT = 500;
// A send that takes longer than this is treated as lost; it waits and goes again later (the
// server knows it by its token if it did arrive).
const SEND_TIMEOUT_MS = 20000;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method === 'GET' && req.mode === 'navigate') {
    event.respondWith(page(req, url));
  } else if (req.method === 'GET' && url.pathname.startsWith('/pkg/')) {
    event.respondWith(asset(req, url));
  } else if (req.method === 'POST' && req.mode === 'navigate' && sendable(req, url)) {
    event.respondWith(send(req));
  }
});

// A form of the portal that this worker may keep: a plain (not multipart) post to a server
// function, but never sign-out, whose answer must reach the network itself.
function sendable(req, url) {
  const type = req.headers.get('content-type') || '';
  return type.startsWith('application/x-www-form-urlencoded')
    && url.pathname.startsWith('/api/')
    && url.pathname !== '/api/logout';
}

async function page(req, url) {
  // A refused form from the outbox, shown again as the server drew it (values and reason).
  const waiting = url.searchParams.get('outbox');
  if (waiting) {
    const item = await read(waiting);
    if (item && item.html) {
      return new Response(item.html, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    }
  }
  try {
    const res = await fetch(req);
    if (res.ok && res.headers.get('ustaz-offline') === 'keep') {
      const copy = res.clone();
      const cache = await caches.open(PAGES);
      await cache.put(withoutQuery(url), copy);
    }
    return res;
  } catch (err) {
    const cache = await caches.open(PAGES);
    const kept = (await cache.match(withoutQuery(url))) || (await cache.match(startPage(url)));
    if (kept) return kept;
    throw err;
  }
}

async function asset(req, url) {
  const cache = await caches.open(STATIC);
  const named = /^ustaz\.[0-9a-f]{16}\./.test(url.pathname.split('/').pop());
  if (named) {
    const hit = await cache.match(req);
    if (hit) return hit;
  }
  try {
    const res = await fetch(req);
    if (res.ok) await cache.put(req, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(req);
    if (hit) return hit;
    throw err;
  }
}

// A form post: to the server if it can be reached, else into the outbox.
async function send(req) {
  const params = new URLSearchParams(await req.clone().text());
  const once = params.get('once');
  if (!once) return fetch(req);
  if (await wasSent(once)) params.set('once', fresh());
  await remember(params.get('once'));
  const from = req.referrer;
  const opened = from && new URL(from).searchParams.get('outbox');
  try {
    if (opened) return await resend(opened, req.url, params, from);
    return await post(req.url, params, from, 'manual');
  } catch (err) {
    // (A refused one sent again offline: this new one takes its place.)
    if (opened) await drop(opened);
    const id = fresh();
    const user = await currentUser();
    await write({ id, user, url: req.url, body: params.toString(), from, typed: Date.now(), state: 'waiting' });
    try { await self.registration.sync.register('outbox'); } catch (e) { /* no background sync */ }
    await tell();
    const home = startPage(new URL(from || self.location.origin));
    return Response.redirect(home + '?waiting=' + id, 303);
  }
}

// A refused form opened from the outbox and sent again. Where the server sends it is read (the
// redirect followed here): refused again, the item keeps the new page and the browser is shown
// it; accepted, the item leaves the phone and the browser goes where the server sent it.
async function resend(id, url, params, from) {
  const res = await post(url, params, from, 'follow');
  const where = new URL(res.url);
  const item = await read(id);
  if (res.ok && !where.searchParams.has('__echo') && !where.searchParams.has('__err')) {
    await drop(id);
    await tell();
    return Response.redirect(res.url, 303);
  }
  if (item) await write({ ...item, body: params.toString(), html: await res.text(), refused: Date.now() });
  return Response.redirect(from, 303);
}

function post(url, params, from, redirect) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), SEND_TIMEOUT_MS);
  return fetch(url, {
    method: 'POST',
    body: params,
    credentials: 'same-origin',
    // As the browser's own form post: the server answers it by sending the page on.
    headers: { accept: 'text/html,application/xhtml+xml' },
    redirect,
    referrer: from || undefined,
    signal: abort.signal,
  }).finally(() => clearTimeout(timer));
}

// Sends what waits, one at a time and one run at a time. Accepted: gone from the outbox.
// Refused (the server sent the form back with `__echo`/`__err`): kept with the page the server
// drew, so the mentor sees why and has what they typed. Signed out: waits for a sign-in.
// Only the signed-in person's: what another typed on this phone waits for them.
let flushing = null;
function flush() {
  if (!flushing) flushing = flushAll().finally(() => { flushing = null; });
  return flushing;
}

async function flushAll() {
  const user = await currentUser();
  for (const item of await all()) {
    if (item.user !== user) continue;
    if (item.state !== 'waiting' && item.state !== 'signin') continue;
    let res;
    try {
      res = await post(item.url, new URLSearchParams(item.body), item.from, 'follow');
    } catch (err) {
      break; // still no connection: the rest waits too
    }
    const where = new URL(res.url);
    if (where.pathname === '/login') {
      await write({ ...item, state: 'signin' });
    } else if (res.status >= 500) {
      break;
    } else if (!res.ok || where.searchParams.has('__echo') || where.searchParams.has('__err')) {
      await write({ ...item, state: 'refused', html: await res.text(), refused: Date.now() });
    } else {
      await drop(item.id);
    }
  }
  await tell();
}

self.addEventListener('sync', (event) => {
  if (event.tag === 'outbox') event.waitUntil(flush());
});

self.addEventListener('message', (event) => {
  const msg = event.data || {};
  // Whose the page is comes first: the kept pages of someone else go before anything else.
  const who = msg.user ? owner(String(msg.user)) : Promise.resolve();
  const work = [who];
  if (Array.isArray(msg.keep)) work.push(who.then(() => keep(msg.keep)));
  if (msg.flush) work.push(who.then(flush));
  if (msg.drop) work.push(drop(String(msg.drop)).then(tell));
  event.waitUntil(Promise.all(work));
});

// Fetches and keeps the pages a mentor may open next (the start page's tasks), so they are
// there offline even if never opened before.
async function keep(urls) {
  for (const u of urls.slice(0, 50)) {
    const url = new URL(u, self.location.origin);
    if (url.origin !== self.location.origin) continue;
    try {
      const res = await fetch(url, { credentials: 'same-origin' });
      if (res.ok && res.headers.get('ustaz-offline') === 'keep') {
        await (await caches.open(PAGES)).put(withoutQuery(url), res);
      }
    } catch (err) {
      return;
    }
  }
}

// Another person signed in on this browser: the pages kept for the one before go.
async function owner(user) {
  const cache = await caches.open(OUTBOX);
  const before = await cache.match('/__outbox/user');
  const was = before ? await before.text() : null;
  if (was !== user) {
    await caches.delete(PAGES);
    await cache.put('/__outbox/user', new Response(user));
  }
}

async function currentUser() {
  const res = await (await caches.open(OUTBOX)).match('/__outbox/user');
  return res ? res.text() : null;
}

// ---- the outbox: JSON entries in Cache Storage, readable by the page's script too.
async function all() {
  const cache = await caches.open(OUTBOX);
  const items = [];
  for (const key of await cache.keys()) {
    if (!new URL(key.url).pathname.startsWith('/__outbox/item/')) continue;
    const res = await cache.match(key);
    if (res) items.push(await res.json());
  }
  return items.sort((a, b) => a.typed - b.typed);
}
async function read(id) {
  const res = await (await caches.open(OUTBOX)).match('/__outbox/item/' + encodeURIComponent(id));
  return res ? res.json() : null;
}
async function write(item) {
  const body = JSON.stringify(item);
  await (await caches.open(OUTBOX)).put('/__outbox/item/' + encodeURIComponent(item.id),
    new Response(body, { headers: { 'content-type': 'application/json' } }));
}
async function drop(id) {
  await (await caches.open(OUTBOX)).delete('/__outbox/item/' + encodeURIComponent(id));
}
async function sentTokens() {
  const res = await (await caches.open(OUTBOX)).match(SENT);
  return res ? res.json() : [];
}
async function wasSent(token) {
  return (await sentTokens()).includes(token) || (await all()).some((i) => new URLSearchParams(i.body).get('once') === token);
}
async function remember(token) {
  const tokens = (await sentTokens()).filter((t) => t !== token);
  tokens.push(token);
  await (await caches.open(OUTBOX)).put(SENT, new Response(JSON.stringify(tokens.slice(-SENT_KEPT))));
}
async function tell() {
  for (const c of await self.clients.matchAll({ type: 'window' })) c.postMessage({ outbox: 'changed' });
}

function fresh() {
  return self.crypto.randomUUID().replace(/-/g, '');
}
function withoutQuery(url) {
  return url.origin + url.pathname;
}
// `/t/{slug}` of any page of an organisation; the site's root otherwise.
function startPage(url) {
  const m = url.pathname.match(/^\/t\/[^/]+/);
  return url.origin + (m ? m[0] : '/');
}
