/*
 * 城管通 — patrols (巡查): start and end a patrol, record its track while it runs.
 *
 * Loaded after app.js, whose outbox it uses (window.collector.outbox): the start, each
 * point, each gap and the end are outbox items like reports, kept in IndexedDB until the
 * server has them, sent with the same backoff, idempotent on the server (the patrol's
 * client_id, a point's seq, a gap's start). Points come only from the phone's own fixes, at
 * most one every PATROL_POINT_EVERY_S seconds unless it moved PATROL_POINT_EVERY_M metres.
 * A browser gets no position while the screen is locked or the app is in the background:
 * such a stretch is recorded as a gap (hidden, no fix, permission denied), never filled in.
 */

const C = window.collector;
const UM = window.UM;
const API = '/api/v1/patrols/';
const bar = document.querySelector('#patrol-bar');
const cfg = {
  everyS: Number(bar.dataset.everyS) || 15,
  everyM: Number(bar.dataset.everyM) || 20,
  batchMax: Math.min(Number(bar.dataset.batchMax) || 200, 200),
  accuracyMaxM: Number(bar.dataset.accuracyMaxM) || 100,
};
// Without a fix for this long while the app is in front, the phone has lost its position.
const SILENCE_MS = Math.max(3 * cfg.everyS, 30) * 1000;
const KV_KEY = 'patrol.current';
const fmt = (text, values) => interpolate(text, values, true);
const $ = (sel) => document.querySelector(sel);
const pad = (n, width = 8) => String(n).padStart(width, '0');

const gapReasons = () => ({
  hidden: gettext('Screen locked or app in the background'),
  no_fix: gettext('No position fix'),
  denied: gettext('Location permission denied'),
});

/* The running patrol, as saved on the phone (kv 'patrol.current'), or null. */
let current = null;
let watchId = null;
let wakeLock = null;
let waiting = 0;

const save = () => C.kv.set(KV_KEY, current);
const mine = () => current && (current.owner || '').toLowerCase() === (C.state.username || '').toLowerCase();

function item(kind, id, fields) {
  return { client_uuid: id, kind, owner: current.owner, patrol: current.client_id, created_at: Date.now(),
    state: 'waiting', attempts: 0, next_try_at: 0, last_error: null, photos: [], ...fields };
}

async function queue(entry) {
  await C.outbox.put(entry);
  await refreshWaiting();
  C.flush();
}

/* ------------------------------------------------------------ start and end */

async function startPatrol() {
  if (!C.state.username) return;
  const now = Date.now();
  current = { client_id: C.uuid(), owner: C.state.username, started_at: now, seq: 0, distance_m: 0, last: null,
    last_fix_at: now, alive_at: now, visible_since: now, gap: null, refused: 0 };
  await save();
  await queue(item('patrol-start', `patrol-start:${current.client_id}`,
    { started_at: new Date(now).toISOString() }));
  C.toast(navigator.onLine ? gettext('Patrol started') : gettext('Patrol started; it is sent when the phone is online'));
  follow();
  render();
}

async function endPatrol() {
  if (!current) return;
  const now = Date.now();
  await closeGap(now);
  const ending = current;
  await queue({ ...item('patrol-end', `patrol-end:${ending.client_id}`, { ended_at: new Date(now).toISOString() }) });
  current = null;
  await save();
  unfollow();
  C.toast(fmt(gettext('Patrol ended: %(time)s, %(distance)s'), { time: duration(now - ending.started_at), distance: metres(ending.distance_m) }));
  render();
}

/* ------------------------------------------------------------ fixes, points and gaps */

function follow() {
  if (!('geolocation' in navigator)) {
    openGap(Date.now(), 'no_fix');
    return;
  }
  if (watchId === null) {
    watchId = navigator.geolocation.watchPosition(onFix, onError,
      { enableHighAccuracy: true, maximumAge: 0, timeout: cfg.everyS * 2000 });
  }
  keepAwake();
}

function unfollow() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
  if (wakeLock) wakeLock.release().catch(() => {});
  wakeLock = null;
}

/** Ask the screen to stay on (where the browser allows it): a locked phone records nothing. */
function keepAwake() {
  if (!current || wakeLock || document.visibilityState !== 'visible' || !navigator.wakeLock) return;
  navigator.wakeLock.request('screen').then((lock) => {
    wakeLock = lock;
    lock.addEventListener('release', () => { wakeLock = null; });
  }).catch(() => {});
}

async function onFix(pos) {
  if (!mine() || document.visibilityState !== 'visible') return;
  const c = pos.coords;
  const at = pos.timestamp || Date.now();
  // A fix taken before the patrol, or while the page was hidden (a browser's cached one), is
  // none of this patrol's track; a poor one the server would refuse.
  if (at < current.visible_since || c.accuracy > cfg.accuracyMaxM) return;
  const here = { lon: Math.round(c.longitude * 1e6) / 1e6, lat: Math.round(c.latitude * 1e6) / 1e6, at };
  current.last_fix_at = at;
  await closeGap(at);
  const last = current.last;
  const moved = last ? C.metresBetween(last, here) : 0;
  if (last && at - last.at < cfg.everyS * 1000 && moved < cfg.everyM) {
    await save();
    return;
  }
  current.seq += 1;
  current.distance_m += moved;
  current.last = here;
  await save();
  await queue(item('patrol-point', `patrol-point:${current.client_id}:${pad(current.seq)}`, {
    seq: current.seq, t: new Date(at).toISOString(), lon: here.lon, lat: here.lat,
    accuracy_m: Math.max(1, Math.ceil(c.accuracy)) }));
  render();
}

function onError(err) {
  if (!current) return;
  if (err.code === 1) openGap(Date.now(), 'denied');
  render();
}

function openGap(from, reason) {
  if (!current || current.gap) return;
  current.gap = { from, reason };
  save();
  render();
}

/** Close the open gap at `to` and queue it (a gap shorter than a point's interval is no gap). */
async function closeGap(to) {
  if (!current || !current.gap) return;
  const { from, reason } = current.gap;
  current.gap = null;
  await save();
  if (to - from < cfg.everyS * 1000) return;
  current.last_gap = { from, to, reason };
  await save();
  await queue(item('patrol-gap', `patrol-gap:${current.client_id}:${pad(from, 15)}`,
    { from: new Date(from).toISOString(), to: new Date(to).toISOString(), reason }));
}

async function onVisibility() {
  if (!mine()) return;
  const now = Date.now();
  if (document.visibilityState === 'hidden') {
    if (current.gap && current.gap.reason !== 'hidden') await closeGap(now);
    openGap(now, 'hidden');
    return;
  }
  current.visible_since = now;
  if (current.gap && current.gap.reason === 'hidden') await closeGap(now);
  keepAwake();
  probe();
  render();
}

/** Standing still, a phone may report no new position: ask for one when a point is due. */
function probe() {
  if (!navigator.geolocation || !mine()) return;
  navigator.geolocation.getCurrentPosition(onFix, onError, { enableHighAccuracy: true, maximumAge: 0, timeout: cfg.everyS * 1000 });
}

function tick() {
  if (!mine()) return;
  const now = Date.now();
  current.alive_at = now;
  if (document.visibilityState === 'visible') {
    const since = Math.max(current.last_fix_at, current.started_at);
    if (!current.gap && now - since > SILENCE_MS) openGap(since, 'no_fix');
    if (!current.last || now - current.last.at >= cfg.everyS * 1000) probe();
  }
  save();
  render();
}

/* ------------------------------------------------------------ the outbox's patrol kinds */

const patrolOf = (it) => it.patrol;

C.outbox.kinds['patrol-start'] = {
  url: () => API,
  body: ([it]) => ({ client_id: it.patrol, started_at: it.started_at }),
  done: (batch, data) => {
    if (data && data.ended_previous) {
      C.toast(fmt(gettext('Your patrol started at %(time)s was still open: it was ended at its last point.'),
        { time: UM.clock(data.ended_previous.started_at) }));
    }
  },
  summary: (items) => summary(items, gettext('Patrol start')),
};

C.outbox.kinds['patrol-point'] = {
  url: (it) => `${API}${encodeURIComponent(patrolOf(it))}/points/`,
  waits: (it, all) => all.some((o) => o.kind === 'patrol-start' && o.patrol === it.patrol),
  batch: (it, all) => all.filter((o) => (o.kind === 'patrol-point' || o.kind === 'patrol-gap') && o.patrol === it.patrol
      && o.state !== 'failed').sort((a, b) => (a.seq || 0) - (b.seq || 0)).slice(0, cfg.batchMax),
  body: (batch) => ({
    points: batch.filter((o) => o.kind === 'patrol-point')
      .map((o) => ({ seq: o.seq, t: o.t, lon: o.lon, lat: o.lat, accuracy_m: o.accuracy_m })),
    gaps: batch.filter((o) => o.kind === 'patrol-gap').map((o) => ({ from: o.from, to: o.to, reason: o.reason })),
  }),
  done: (batch, data) => {
    if (current && data && Array.isArray(data.refused) && data.refused.length) {
      current.refused += data.refused.length;
      save();
    }
    refreshWaiting();
  },
  summary: (items) => summary(items, gettext('Patrol track')),
};
C.outbox.kinds['patrol-gap'] = { ...C.outbox.kinds['patrol-point'], summary: null };

C.outbox.kinds['patrol-end'] = {
  url: (it) => `${API}${encodeURIComponent(patrolOf(it))}/end/`,
  waits: (it, all) => all.some((o) => o !== it && o.patrol === it.patrol && o.kind !== 'patrol-end' && o.state !== 'failed'),
  body: ([it]) => ({ ended_at: it.ended_at }),
  summary: (items) => summary(items, gettext('Patrol end')),
};

/** One line of the outbox view for a kind's items: how many wait, how many were refused. */
function summary(items, title) {
  if (!items.length) return null;
  const failed = items.filter((it) => it.state === 'failed');
  const line = UM.el('li', { class: 'item', 'data-kind': items[0].kind },
    UM.el('div', { class: 'body' },
      UM.el('div', { class: 'title' }, title),
      UM.el('div', { class: 'meta' }, fmt(ngettext('%(n)s item waiting to be sent', '%(n)s items waiting to be sent', items.length),
        { n: items.length })),
      failed.length ? UM.el('p', { class: 'error-text' }, failed[0].last_error || gettext('Refused by the server')) : null,
      failed.length ? UM.el('div', { class: 'actions' }, UM.el('button', {
        type: 'button', class: 'btn btn-secondary btn-small',
        onclick: async () => { for (const it of failed) await C.outbox.retry(it.client_uuid); },
      }, gettext('Retry'))) : null));
  return line;
}

/* ------------------------------------------------------------ the bar */

function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const metres = (m) => (m >= 1000 ? fmt(gettext('%(km)s km'), { km: (m / 1000).toFixed(2) }) : fmt(gettext('%(m)s m'), { m: Math.round(m) }));

async function refreshWaiting() {
  waiting = current ? await C.outbox.countPrefix(`patrol-point:${current.client_id}:`).catch(() => 0) : 0;
  render();
}

function render() {
  const on = mine();
  const button = $('#patrol-toggle');
  button.textContent = on ? gettext('End patrol') : gettext('Start patrol');
  button.classList.toggle('is-on', Boolean(on));
  button.hidden = !C.state.username;
  bar.hidden = !on;
  if (!on) return;
  $('#patrol-time').textContent = duration(Date.now() - current.started_at);
  $('#patrol-distance').textContent = metres(current.distance_m);
  $('#patrol-points').textContent = fmt(gettext('%(n)s points recorded'), { n: current.seq });
  $('#patrol-waiting').textContent = fmt(gettext('%(n)s waiting to be sent'), { n: waiting });
  const gap = current.gap;
  const status = $('#patrol-gap');
  const last = current.last_gap;
  status.hidden = !gap && !last;
  if (gap) {
    status.textContent = fmt(gettext('No track since %(time)s: %(reason)s'), { time: UM.clock(gap.from), reason: gapReasons()[gap.reason] });
  } else if (last) {
    status.textContent = fmt(gettext('Gap in the track %(from)s–%(to)s: %(reason)s'),
      { from: UM.clock(last.from), to: UM.clock(last.to), reason: gapReasons()[last.reason] });
  }
  const refused = $('#patrol-refused');
  refused.hidden = !current.refused;
  refused.textContent = fmt(gettext('%(n)s points refused by the server (inaccurate or outside the city)'), { n: current.refused });
}

async function resume() {
  current = (await C.kv.get(KV_KEY)) || null;
  if (current && mine()) {
    // The app was closed or the page reloaded during the patrol: nothing was recorded since.
    const since = Math.max(current.alive_at || 0, current.last_fix_at || 0);
    if (!current.gap) current.gap = { from: since, reason: 'hidden' };
    current.visible_since = Date.now();
    await closeGap(current.visible_since);
    follow();
  }
  await refreshWaiting();
}

$('#patrol-toggle').addEventListener('click', () => (mine() ? endPatrol() : startPatrol()));
document.addEventListener('visibilitychange', onVisibility);
setInterval(tick, 5000);
setInterval(render, 1000);
resume();
C.flush();

window.collector.patrol = { current: () => current, waiting: () => waiting, tick };
