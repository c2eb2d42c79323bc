/*
 * 城管通 — the inspectors' mobile app (PWA). Plain JS, no build step.
 *
 * One file on purpose: it is served through Django's hashed static storage and cached by the
 * service worker from the shell's asset list, and relative ES-module imports would bypass both.
 * Sections: helpers · storage · API · login · shell and tabs · photos · location and map ·
 * categories · new report · queue sender · queue view · my reports · tasks · start.
 *
 * The report queue lives in IndexedDB and an item leaves it only when the server answers
 * 200/201 for it; client_uuid makes every resend idempotent on the server.
 */

const API = '/api/v1';
const SW_URL = '/m/sw.js';
const SW_SCOPE = '/m/';
const DEFAULT_CENTER = [34.5966, 119.1786]; // 海州区, 连云港 (only when nothing better is known)
const DEFAULT_LIMITS = {
  accuracy_warn_m: 30,
  accuracy_max_m: 100,
  max_photos: 6,
  max_photo_bytes: 10485760,
  max_report_bytes: 41943040,
};
const DESCRIPTION_MAX = 500;
const BACKOFF_BASE_MS = 2000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;
const FLUSH_INTERVAL_MS = 30000;
const RELOCATE_AFTER_M = 20;
const LS = {
  token: 'cgt.token',
  username: 'cgt.username',
  me: 'cgt.me',
  frequent: 'cgt.frequentCategories',
  recent: 'cgt.recentCategories.',
};
const FAMILY_KEYS = { component: 'component', part: 'component', parts: 'component', event: 'event', events: 'event' };
const familyLabels = () => ({ component: gettext('Component'), event: gettext('Event') });
/* The server's field names, as an inspector reads them in an error. */
const fieldLabels = () => ({
  photos: gettext('Photos'), category: gettext('Category'), lon: gettext('Longitude'), lat: gettext('Latitude'),
  accuracy_m: gettext('Location accuracy'), description: gettext('Description'),
  captured_at: gettext('Time taken'), client_uuid: gettext('Number'), placed_by_hand: gettext('Placed on the map'),
  result: gettext('Result'), note: gettext('Note'), username: gettext('Username'), password: gettext('Password'),
});
const taskResults = () => ({
  verify: [['confirmed', gettext('Confirmed')], ['not_found', gettext('Not found')]],
  check: [['fixed', gettext('Fixed')], ['not_fixed', gettext('Not fixed')]],
});
/* The server's doubts about a photo (collectors_app/evidence.py), as the inspector reads them. */
const photoFlags = () => ({
  exif_gps_far: gettext('a photo was taken far from the reported place'),
  exif_time_off: gettext('a photo was taken at another time'),
  photo_used_before: gettext('a photo was already used in another report'),
});
const taskKinds = () => ({ verify: gettext('Verify'), check: gettext('Check') });

const state = {
  token: null,
  username: null,
  me: null,
  tab: 'new',
};

/* ------------------------------------------------------------------ helpers */

const $ = (sel) => document.querySelector(sel);

/* The pages' shared toolkit (urbanmgmt/ui.js, loaded by the shell before this module):
 * elements, fetch, error text, and times on the city's clocks. */
const { el: h, shortWhen: fmtDateTime, clock: fmtClock, megabytes: fmtMB } = window.UM;
// A number keeps the word after it (its unit: 200 m, 1.2 km, in any language) on its line:
// joined by a no-break space.
const fmt = (text, values) => interpolate(text, values, true).replace(/(\d) (?=[^\s\d])/g, '$1\u00a0');

function showMessage(node, text, kind = 'error') {
  if (!text) {
    node.hidden = true;
    node.textContent = '';
    return;
  }
  node.textContent = text;
  node.className = `message ${kind}`;
  node.hidden = false;
}

let toastTimer = null;
function toast(text, kind = '') {
  const node = $('#toast');
  node.textContent = text;
  node.className = `toast ${kind}`;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 4000);
}

const { pad } = window.UM;

/** ISO 8601 in local time with its offset, e.g. 2024-05-01T09:30:12+08:00. */
function isoWithOffset(date) {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
    + `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function uuid() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not.
  const b = new Uint8Array(16);
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(b);
  else for (let i = 0; i < 16; i += 1) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function metresBetween(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const s = Math.sin(dLat / 2) ** 2
    + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 6371000 * 2 * Math.asin(Math.sqrt(s));
}

const round6 = (x) => Math.round(x * 1e6) / 1e6;

/** A message a person can read from a DRF error body, the fields named as an inspector knows them. */
const errorText = (data, status) => window.UM.errorText({ status, data }, fieldLabels());

function limits() {
  const merged = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS)) {
    const v = state.me && state.me[key];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) merged[key] = v;
  }
  return merged;
}

function readJSON(key, fallback) {
  try {
    const raw = localStorage.getItem(key);
    return raw ? JSON.parse(raw) : fallback;
  } catch (e) {
    return fallback;
  }
}

const sameUser = (a, b) => (a || '').toLowerCase() === (b || '').toLowerCase();

/* ------------------------------------------------------------------ storage (IndexedDB) */

const DB_NAME = 'chengguantong';
const DB_VERSION = 1;
let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains('queue')) db.createObjectStore('queue', { keyPath: 'client_uuid' });
        if (!db.objectStoreNames.contains('kv')) db.createObjectStore('kv', { keyPath: 'key' });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

/** Run fn(store) in one transaction; resolves with the last request's result once committed. */
async function idb(storeName, mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    // Strict durability: a queued report must survive a power cut right after "已保存".
    const tx = db.transaction(storeName, mode, { durability: 'strict' });
    let result;
    const req = fn(tx.objectStore(storeName));
    if (req) req.onsuccess = () => { result = req.result; };
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted'));
  });
}

const queueDb = {
  all: () => idb('queue', 'readonly', (s) => s.getAll()),
  count: () => idb('queue', 'readonly', (s) => s.count()),
  /** How many items have an id starting with `prefix` (a patrol's points), without reading them. */
  countPrefix: (prefix) => idb('queue', 'readonly', (s) => s.count(IDBKeyRange.bound(prefix, `${prefix}\uffff`))),
  put: (item) => idb('queue', 'readwrite', (s) => s.put(item)),
  remove: (id) => idb('queue', 'readwrite', (s) => s.delete(id)),
  removeMany: (ids) => idb('queue', 'readwrite', (s) => { for (const id of ids) s.delete(id); }),
  /** Merge patch into an item; a deleted item stays deleted. */
  patch: (id, patch) => idb('queue', 'readwrite', (s) => {
    const get = s.get(id);
    get.onsuccess = () => { if (get.result) s.put({ ...get.result, ...patch }); };
  }),
};

const kv = {
  get: async (key) => {
    try {
      const row = await idb('kv', 'readonly', (s) => s.get(key));
      return row ? row.value : undefined;
    } catch (e) {
      return undefined;
    }
  },
  set: (key, value) => idb('kv', 'readwrite', (s) => s.put({ key, value })).catch(() => {}),
  remove: (key) => idb('kv', 'readwrite', (s) => s.delete(key)).catch(() => {}),
};

/* ------------------------------------------------------------------ API */

class NetworkError extends Error {}

/**
 * fetch with the token. Resolves {status, ok, data, headers}; rejects NetworkError when no
 * answer came. A 401 on an authenticated call sends the user back to the login view.
 */
async function api(path, { method = 'GET', json, body, timeoutMs = 30000, auth = true } = {}) {
  const headers = {};
  if (auth && state.token) headers.Authorization = `Token ${state.token}`;
  // Without the cookie the server would answer in the phone's language: ask for the shell's.
  if (document.documentElement.lang) headers['Accept-Language'] = document.documentElement.lang;
  // Token only: a Django session cookie in the same browser must not switch DRF to
  // session auth (and its CSRF check).
  const res = await window.UM.api(path, { method, json, body, headers, timeoutMs, credentials: 'omit' });
  if (res.status === 0) {
    throw new NetworkError(res.error === 'timeout' ? gettext('The request timed out')
      : gettext('Network error: the server cannot be reached'));
  }
  if (res.status === 401 && auth) onUnauthorized();
  return res;
}

/** All pages of a DRF list (plain array, {results, next} or a GeoJSON collection). */
async function fetchAll(url, key = 'results', maxPages = 20) {
  const items = [];
  let next = url;
  let first = null;
  for (let page = 0; next && page < maxPages; page += 1) {
    const res = await api(next);
    if (!res.ok) return { ok: false, res };
    const data = res.data;
    if (Array.isArray(data)) return { ok: true, items: data, first: data };
    if (!first) first = data;
    items.push(...((data && data[key]) || []));
    next = data && data.next ? data.next : null;
  }
  return { ok: true, items, first };
}

/* ------------------------------------------------------------------ login */

function showLogin(message) {
  $('#view-main').hidden = true;
  $('#view-login').hidden = false;
  showMessage($('#login-message'), message || '', 'error');
  const user = $('#username');
  if (!user.value && state.username) user.value = state.username;
  stopGeo();
}

function onUnauthorized() {
  if (!state.token) return;
  state.token = null;
  localStorage.removeItem(LS.token);
  showLogin(gettext('Your sign-in has expired: sign in again (reports waiting to be sent are kept).'));
}

async function login(event) {
  event.preventDefault();
  const username = $('#username').value.trim();
  const password = $('#password').value;
  const message = $('#login-message');
  if (!username || !password) {
    showMessage(message, gettext('Enter your username and password.'));
    return;
  }
  if (!navigator.onLine) {
    showMessage(message, gettext('Offline: signing in needs a network connection.'));
    return;
  }
  const button = $('#login-button');
  button.disabled = true;
  button.textContent = gettext('Signing in…');
  try {
    const res = await api(`${API}/auth/token/`, { method: 'POST', json: { username, password }, auth: false });
    if (res.ok && res.data && res.data.token) {
      state.token = res.data.token;
      localStorage.setItem(LS.token, state.token);
      if (!sameUser(state.username, username)) {
        localStorage.removeItem(LS.me);
        localStorage.removeItem(LS.frequent);
        state.me = null;
      }
      state.username = username;
      localStorage.setItem(LS.username, username);
      $('#password').value = '';
      showMessage(message, '');
      await refreshMe();
      enterMain();
    } else {
      const known = res.data && typeof res.data === 'object';
      showMessage(message, (res.status === 400 || res.status === 401) && !known
        ? gettext('Wrong username or password.')
        : errorText(res.data, res.status));
    }
  } catch (e) {
    showMessage(message, e.message || gettext('Network error'));
  } finally {
    button.disabled = false;
    button.textContent = gettext('Sign in');
  }
}

let logoutArmed = null;
async function logout() {
  const mine = (await queueDb.all().catch(() => [])).filter((it) => sameUser(it.owner, state.username));
  const button = $('#logout-button');
  if (mine.length && !logoutArmed) {
    toast(fmt(gettext('%(n)s reports are not sent yet: they stay on the phone and are sent at your next sign-in. Tap again to sign out.'), { n: mine.length }));
    button.textContent = gettext('Confirm sign-out');
    logoutArmed = setTimeout(() => { logoutArmed = null; button.textContent = gettext('Sign out'); }, 5000);
    return;
  }
  clearTimeout(logoutArmed);
  logoutArmed = null;
  button.textContent = gettext('Sign out');
  const username = state.username;
  state.token = null;
  state.me = null;
  localStorage.removeItem(LS.token);
  localStorage.removeItem(LS.me);
  localStorage.removeItem(LS.frequent);
  await kv.remove(`grids:${(username || '').toLowerCase()}`);
  await forgetCachedGrids();
  resetReportForm();
  grids.data = null;
  if (map.gridsLayer) { map.gridsLayer.remove(); map.gridsLayer = null; }
  showLogin('');
}

/** The user's grids are personal: drop the service worker's copy on logout. */
async function forgetCachedGrids() {
  if (!('caches' in window)) return;
  try {
    for (const name of await caches.keys()) {
      if (!name.startsWith('cgt-api-')) continue;
      const cache = await caches.open(name);
      for (const req of await cache.keys()) {
        if (new URL(req.url).pathname.startsWith(`${API}/collect/grids/`)) await cache.delete(req);
      }
    }
  } catch (e) { /* nothing cached */ }
}

/* ------------------------------------------------------------------ counts on the tabs */

/* Every badge is an element data-count-for="<name>"; the server's counts/ answers the
   numbers it knows by name (open tasks, …), the outbox is counted on the phone. */
const counts = {};

function showCount(name, n) {
  for (const badge of document.querySelectorAll(`[data-count-for="${name}"]`)) {
    badge.textContent = n > 99 ? '99+' : String(n);
    badge.classList.toggle('is-zero', !n);
  }
}

/** What a rise of a count says (a new task has arrived), by the count's name. */
const countNews = () => ({
  tasks: gettext('A new task has arrived: see Tasks'),
  notifications: gettext('A new notification has arrived'),
});

function setCount(name, n) {
  const before = counts[name];
  counts[name] = n;
  showCount(name, n);
  if (typeof before === 'number' && n > before && countNews()[name]) toast(countNews()[name]);
}

async function refreshCounts() {
  if (!state.token || !navigator.onLine) return;
  try {
    const res = await api(`${API}/collect/counts/`, { timeoutMs: 10000 });
    if (!res.ok || !res.data || typeof res.data !== 'object') return;
    for (const [name, n] of Object.entries(res.data)) if (typeof n === 'number') setCount(name, n);
  } catch (e) { /* offline: the last numbers stay */ }
}

/* ------------------------------------------------------------------ shell: me, tabs, online */

function renderMe() {
  const me = state.me || {};
  $('#me-name').textContent = me.display_name || me.username || state.username || '—';
  const count = Array.isArray(me.grids) ? me.grids.length : me.grids;
  $('#me-grids').textContent = typeof count === 'number' ? fmt(ngettext('%(n)s grid', '%(n)s grids', count), { n: count }) : '';
  renderPhotos();
  renderLocation();
}

async function refreshMe() {
  if (!state.token || !navigator.onLine) return;
  try {
    const res = await api(`${API}/collect/me/`);
    if (res.ok && res.data && typeof res.data === 'object') {
      state.me = res.data;
      if (res.data.username) {
        state.username = res.data.username;
        localStorage.setItem(LS.username, res.data.username);
      }
      localStorage.setItem(LS.me, JSON.stringify(res.data));
      renderMe();
    }
  } catch (e) { /* offline: keep the cached profile */ }
}

const TABS = ['new', 'queue', 'mine', 'tasks'];
const PANELS = [...TABS, 'notices']; // the notifications are opened by the bell, not a tab

function showTab(name) {
  const tab = PANELS.includes(name) ? name : 'new';
  state.tab = tab;
  for (const t of PANELS) {
    $(`#panel-${t}`).hidden = t !== tab;
    const button = $(`#tab-${t}`);
    if (button) button.setAttribute('aria-selected', String(t === tab));
  }
  $('#notices-link').setAttribute('aria-expanded', String(tab === 'notices'));
  if (location.hash !== `#${tab}`) history.replaceState(null, '', `#${tab}`);
  if (tab === 'new' && !$('#map-wrap').hidden) ensureMap();
  if (tab === 'queue') renderQueue();
  if (tab === 'mine') loadMine();
  if (tab === 'tasks') loadTasks();
  if (tab === 'notices') loadNotices();
}

function enterMain() {
  $('#view-login').hidden = true;
  $('#view-main').hidden = false;
  renderMe();
  showTab((location.hash || '').slice(1) || state.tab);
  startGeo();
  loadCategories();
  loadFrequent();
  loadGrids();
  refreshQueueBadge();
  refreshCounts();
  flush(true);
}

function onConnectivity() {
  $('#offline-banner').hidden = navigator.onLine;
  renderLocation();
  renderTaskSheetState();
  if (navigator.onLine && state.token) {
    flush(true);
    maybeLocate(true);
    if (!categories.all.length) loadCategories();
    refreshMe();
    refreshCounts();
  }
}

/* ------------------------------------------------------------------ photos */

const form = {
  photos: [], // {file, name, url}
  firstPhotoAt: null,
  category: null,
  hand: null, // {lon, lat} when placed on the map
  saving: false,
  problem: null, // what validateReport said when send was pressed, while it is shown
};

/* The photo formats the server takes, by their first bytes (a file's name and type can lie). */
const PHOTO_SIGNATURES = [[0xff, 0xd8, 0xff], [0x89, 0x50, 0x4e, 0x47]];
const isWebp = (b) => String.fromCharCode(...b.slice(0, 4)) === 'RIFF' && String.fromCharCode(...b.slice(8, 12)) === 'WEBP';

/**
 * Why a file cannot be sent as a photo, or '' when it can: it must be a JPEG, PNG or WebP
 * (as the server requires) that this phone can decode. Checked when it is picked, so a bad
 * file never reaches the outbox.
 */
async function photoProblem(file, name) {
  const label = name || file.name || gettext('the file');
  let head;
  try {
    head = [...new Uint8Array(await file.slice(0, 12).arrayBuffer())];
  } catch (e) {
    return fmt(gettext('“%(name)s” cannot be read on this phone: choose it again'), { name: label });
  }
  if (!PHOTO_SIGNATURES.some((sig) => sig.every((byte, i) => head[i] === byte)) && !isWebp(head)) {
    return fmt(gettext('“%(name)s” is not a photo (JPEG, PNG or WebP): choose a picture'), { name: label });
  }
  try {
    const bitmap = await createImageBitmap(file, { resizeWidth: 64, resizeHeight: 64 });
    bitmap.close();
  } catch (e) {
    return fmt(gettext('“%(name)s” is damaged and cannot be shown: take the photo again'), { name: label });
  }
  return '';
}

let photoPicks = Promise.resolve();

async function addPhotos(fileList) {
  const lim = limits();
  const problems = [];
  for (const file of [...fileList]) {
    const problem = await photoProblem(file);
    if (problem) {
      problems.push(problem);
      continue;
    }
    if (form.photos.length >= lim.max_photos) {
      problems.push(fmt(gettext('At most %(n)s photos per report'), { n: lim.max_photos }));
      break;
    }
    if (file.size > lim.max_photo_bytes) {
      problems.push(fmt(gettext('Photo “%(name)s” is %(size)s, over the limit of %(max)s a photo'), { name: file.name, size: fmtMB(file.size), max: fmtMB(lim.max_photo_bytes) }));
      continue;
    }
    const total = form.photos.reduce((sum, p) => sum + p.file.size, 0) + file.size;
    if (total > lim.max_report_bytes) {
      problems.push(fmt(gettext('The photos together are over %(max)s: choose fewer'), { max: fmtMB(lim.max_report_bytes) }));
      continue;
    }
    if (!form.firstPhotoAt) form.firstPhotoAt = new Date();
    const name = file.name || `photo-${form.photos.length + 1}.jpg`;
    form.photos.push({ file, name, url: URL.createObjectURL(file) });
  }
  showMessage($('#photo-message'), [...new Set(problems)].join(gettext('; ')));
  renderPhotos();
}

function removePhoto(index) {
  const [photo] = form.photos.splice(index, 1);
  if (photo) URL.revokeObjectURL(photo.url);
  if (!form.photos.length) form.firstPhotoAt = null;
  showMessage($('#photo-message'), '');
  renderPhotos();
}

function renderPhotos() {
  const lim = limits();
  const box = $('#photo-thumbs');
  box.replaceChildren(...form.photos.map((p, i) => h('div', { class: 'thumb' },
    h('img', { src: p.url, alt: fmt(gettext('Photo %(n)s'), { n: i + 1 }) }),
    h('button', { type: 'button', class: 'remove', 'aria-label': fmt(gettext('Remove photo %(n)s'), { n: i + 1 }), onclick: () => removePhoto(i) }, '×'))));
  $('#photo-count').textContent = `${form.photos.length}/${lim.max_photos}`;
  recheckReport();
}

/* ------------------------------------------------------------------ location, map, grid */

const geo = { watchId: null, fix: null, error: null, startedAt: 0, graceTimer: null };
const GPS_GRACE_MS = 3000; // no fix yet: wait this long before opening the map by itself

function startGeo() {
  if (geo.watchId !== null) return;
  if (!('geolocation' in navigator)) {
    geo.error = gettext('This device cannot tell its location');
    renderLocation();
    return;
  }
  geo.startedAt = Date.now();
  clearTimeout(geo.graceTimer);
  geo.graceTimer = setTimeout(renderLocation, GPS_GRACE_MS + 50);
  geo.watchId = navigator.geolocation.watchPosition(onFix, onGeoError, {
    enableHighAccuracy: true,
    maximumAge: 5000,
    timeout: 30000,
  });
}

function stopGeo() {
  if (geo.watchId !== null && navigator.geolocation) navigator.geolocation.clearWatch(geo.watchId);
  geo.watchId = null;
}

function onFix(pos) {
  const c = pos.coords;
  geo.fix = { lon: round6(c.longitude), lat: round6(c.latitude), accuracy: c.accuracy, at: pos.timestamp };
  geo.error = null;
  renderLocation();
  renderTaskGps();
  updateFixOnMap();
}

function onGeoError(err) {
  const reasons = {
    1: gettext('No permission to use the location: allow it in the browser settings'),
    2: gettext('The location cannot be found'),
    3: gettext('Locating is taking long; still trying…'),
  };
  geo.error = reasons[err.code] || gettext('Locating failed');
  renderLocation();
}

/** Accuracy is sent as whole metres, never better than measured. */
const accuracyMetres = (fix) => (fix ? Math.max(1, Math.ceil(fix.accuracy)) : null);

/** The point a report would be sent with now, or null when it may not be sent. */
function currentPoint() {
  if (form.hand) {
    return { lon: form.hand.lon, lat: form.hand.lat, accuracy_m: accuracyMetres(geo.fix), placed_by_hand: true };
  }
  if (geo.fix && geo.fix.accuracy <= limits().accuracy_max_m) {
    return { lon: geo.fix.lon, lat: geo.fix.lat, accuracy_m: accuracyMetres(geo.fix), placed_by_hand: false };
  }
  return null;
}

function renderLocation() {
  const lim = limits();
  const fix = geo.fix;
  const acc = accuracyMetres(fix);
  const text = $('#accuracy');
  const message = $('#accuracy-message');
  if (form.hand) {
    text.textContent = fmt(gettext('Placed on the map: longitude %(lon)s  latitude %(lat)s'), { lon: form.hand.lon.toFixed(6), lat: form.hand.lat.toFixed(6) })
      + (fix ? fmt(gettext(' (GPS accuracy %(m)s m)'), { m: acc }) : gettext(' (no GPS fix)'));
  } else if (fix) {
    text.textContent = fmt(gettext('Longitude %(lon)s  latitude %(lat)s  accuracy %(m)s m'), { lon: fix.lon.toFixed(6), lat: fix.lat.toFixed(6), m: acc });
  } else {
    text.textContent = geo.error || gettext('Locating…');
  }

  const refused = !form.hand && (!fix || fix.accuracy > lim.accuracy_max_m);
  if (form.hand) showMessage(message, gettext('Placed by hand on the map'), 'ok');
  else if (refused) showMessage(message, gettext('The location is not accurate enough: place the report on the map'), 'error');
  else if (fix.accuracy > lim.accuracy_warn_m) {
    showMessage(message, fmt(gettext('Low accuracy (%(m)s m): check the place, and place it on the map if needed'), { m: acc }), 'warn');
  } else showMessage(message, '');

  $('#submit-report').disabled = refused || form.saving;
  $('#use-gps').hidden = !form.hand;
  const stillStarting = !fix && !geo.error
    && (geo.watchId === null || Date.now() - geo.startedAt < GPS_GRACE_MS);
  if (refused && !stillStarting && $('#map-wrap').hidden) {
    showMap(true);
    map.autoOpened = true;
  } else if (!refused && !form.hand && map.autoOpened) {
    showMap(false); // the fix became good enough: fold away the map we opened ourselves
  }
  $('#toggle-map').hidden = refused && !$('#map-wrap').hidden;
  $('#toggle-map').textContent = $('#map-wrap').hidden ? gettext('Place on the map') : gettext('Hide the map');
  maybeLocate(false);
}

const map = {
  instance: null, marker: null, fixCircle: null, gridsLayer: null, autoOpened: false, centred: false,
};
const grids = { data: null };

function showMap(show) {
  const wrap = $('#map-wrap');
  if (wrap.hidden === !show) return;
  wrap.hidden = !show;
  map.autoOpened = false;
  $('#toggle-map').textContent = show ? gettext('Hide the map') : gettext('Place on the map');
  if (show) ensureMap();
}

function ensureMap() {
  if (map.instance) {
    setTimeout(() => map.instance.invalidateSize(), 0);
    return;
  }
  if (!window.L) {
    $('#place-map').textContent = gettext('The map did not load: reload the page');
    return;
  }
  // Leaflet measures its container: build the map only once it is on screen (see showTab).
  if (!$('#place-map').offsetWidth) return;
  // The city network may be offline: the user's grids (outlines and names) are the base map;
  // a tile layer only when the platform's MAP_TILE_URL setting names one.
  const node = $('#place-map');
  map.instance = L.map('place-map', { attributionControl: Boolean(node.dataset.tiles), zoomControl: true });
  if (node.dataset.tiles) {
    L.tileLayer(node.dataset.tiles, { attribution: node.dataset.attribution || '', maxZoom: 19 }).addTo(map.instance);
  }
  const fix = geo.fix;
  map.instance.setView(DEFAULT_CENTER, 13);
  if (fix) centreOn([fix.lat, fix.lon]);
  map.instance.on('click', (e) => placeByHand(e.latlng));
  // Grid names only where a grid is big enough on screen to hold them.
  const labelsFit = () => node.classList.toggle('labels-hidden', map.instance.getZoom() < 16);
  map.instance.on('zoomend', labelsFit);
  drawGrids();
  updateFixOnMap();
  labelsFit();
  if (form.hand) drawHandMarker();
  setTimeout(() => map.instance && map.instance.invalidateSize(), 0);
}

function drawGrids() {
  if (!map.instance || !grids.data || map.gridsLayer) return;
  map.gridsLayer = L.geoJSON(grids.data, {
    interactive: false,
    style: { color: '#0b6e4f', weight: 1.5, fillColor: '#0b6e4f', fillOpacity: 0.06 },
    onEachFeature: (feature, layer) => {
      const p = feature.properties || {};
      // Each grid says where it is: its code and its community, the names the platform has.
      layer.bindTooltip(h('span', {}, p.community_name || '', h('br'), h('small', {}, p.code || '')), {
        permanent: true, direction: 'center', className: 'grid-label', interactive: false,
      });
    },
  }).addTo(map.instance);
  const bounds = map.gridsLayer.getBounds();
  if (form.hand || !bounds.isValid()) return;
  if (!map.centred) map.instance.fitBounds(bounds, { padding: [8, 8] });
  else if (geo.fix) centreOn([geo.fix.lat, geo.fix.lon]); // centred before the grids came: see they are in view
}

/** The map on the phone's fix: close in (the problem is usually within sight) where the fix is
 *  among the inspector's grids; from outside them, on the grids, where the report is to be
 *  placed, rather than an empty square of no grid and no tiles around the fix. */
function centreOn(latlng) {
  map.centred = true;
  const bounds = map.gridsLayer && map.gridsLayer.getBounds();
  if (bounds && bounds.isValid() && !bounds.pad(0.1).contains(latlng)) {
    map.instance.fitBounds(bounds, { padding: [16, 16] });
  } else {
    map.instance.setView(latlng, 17);
  }
}

function updateFixOnMap() {
  if (!map.instance || !geo.fix) return;
  const latlng = [geo.fix.lat, geo.fix.lon];
  if (!map.centred && !form.hand) centreOn(latlng); // the first fix
  if (!map.fixCircle) {
    map.fixCircle = L.circle(latlng, {
      radius: geo.fix.accuracy, interactive: false, color: '#2563eb', weight: 1, fillOpacity: 0.1,
    }).addTo(map.instance);
  } else {
    map.fixCircle.setLatLng(latlng);
    map.fixCircle.setRadius(geo.fix.accuracy);
  }
}

function placeByHand(latlng) {
  const wrapped = latlng.wrap();
  form.hand = { lon: round6(wrapped.lng), lat: round6(wrapped.lat) };
  drawHandMarker();
  renderLocation();
  maybeLocate(true);
}

function drawHandMarker() {
  if (!map.instance || !form.hand) return;
  const latlng = [form.hand.lat, form.hand.lon];
  if (!map.marker) {
    map.marker = L.circleMarker(latlng, {
      radius: 10, color: '#fff', weight: 3, fillColor: '#c0392b', fillOpacity: 1, interactive: false,
    }).addTo(map.instance);
  } else {
    map.marker.setLatLng(latlng);
  }
}

function useGps() {
  form.hand = null;
  if (map.marker) { map.marker.remove(); map.marker = null; }
  renderLocation();
  maybeLocate(true);
}

async function loadGrids() {
  const key = `grids:${(state.username || '').toLowerCase()}`;
  const cached = await kv.get(key);
  if (cached && !grids.data) {
    grids.data = cached;
    drawGrids();
  }
  if (!navigator.onLine) return;
  try {
    const got = await fetchAll(`${API}/collect/grids/`, 'features');
    if (!got.ok) return;
    const first = got.first && !Array.isArray(got.first) ? got.first : {};
    const fresh = first.type === 'Feature' ? first : { type: 'FeatureCollection', features: got.items };
    grids.data = fresh;
    kv.set(key, fresh);
    if (map.gridsLayer) { map.gridsLayer.remove(); map.gridsLayer = null; }
    drawGrids();
  } catch (e) { /* offline: the cached grids stay */ }
}

// outside: the server's word that the point at `at` is in no grid of the city (the report would be refused).
const locating = { seq: 0, timer: null, at: null, done: false, triedAt: 0, outside: null };

/** Ask the server which grid the point is in, when the point moved enough to matter. */
function maybeLocate(force) {
  const point = currentPoint();
  const out = $('#locate-result');
  if (!point || !state.token) {
    clearTimeout(locating.timer);
    locating.at = null;
    out.hidden = true;
    return;
  }
  const near = locating.at && metresBetween(locating.at, point) < RELOCATE_AFTER_M;
  // Same place: done, or tried moments ago (offline, server trouble) — do not ask at every fix.
  if (!force && near && (locating.done || Date.now() - locating.triedAt < 10000)) return;
  if (!force && locating.timer) return;
  clearTimeout(locating.timer);
  locating.timer = setTimeout(() => {
    locating.timer = null;
    const latest = currentPoint();
    if (latest) locate(latest);
  }, force ? 150 : 600);
}

function showLocate(text, kind = '') {
  const out = $('#locate-result');
  out.textContent = text;
  out.className = `locate ${kind}`;
  out.hidden = false;
}

async function locate(point) {
  const seq = ++locating.seq;
  locating.at = { lon: point.lon, lat: point.lat };
  locating.done = false;
  locating.outside = null;
  locating.triedAt = Date.now();
  if (!navigator.onLine) {
    showLocate(gettext('Offline: the grid is found when the report is sent'), 'muted');
    return;
  }
  showLocate(gettext('Finding the grid…'), 'muted');
  let res;
  try {
    res = await api(`${API}/grids/locate/?lon=${point.lon}&lat=${point.lat}`, { timeoutMs: 10000 });
  } catch (e) {
    if (seq === locating.seq) showLocate(gettext('Offline: the grid is found when the report is sent'), 'muted');
    return;
  }
  if (seq !== locating.seq) return;
  locating.done = true;
  if (res.ok && res.data && typeof res.data === 'object') {
    const p = res.data.properties || res.data;
    const where = [p.street_name, p.community_name].filter(Boolean).join(' ');
    showLocate(fmt(gettext('Grid %(code)s'), { code: p.code || '—' }) + (where ? ` · ${where}` : ''));
    recheckReport();
  } else if (res.status === 400) {
    locating.outside = errorText(res.data, res.status);
    showLocate(locating.outside, 'error');
  } else if (res.status !== 401) {
    locating.done = false;
    showLocate(fmt(gettext('The grid cannot be found now (%(status)s): it is found when the report is sent'), { status: res.status }), 'muted');
  }
}

/* ------------------------------------------------------------------ categories */

const categories = { all: [], byCode: new Map(), frequent: [] };

function familyLabel(family) {
  if (!family) return '';
  if (typeof family === 'object') return localName(family) || family.label || '';
  return familyLabels()[FAMILY_KEYS[String(family).toLowerCase()]] || String(family);
}

/** A catalogue name in the page's language (the Chinese one when there is no other). */
const english = () => (document.documentElement.lang || '').toLowerCase().startsWith('en');
const localName = (o) => (o ? ((english() && o.name_en) || o.name_zh || o.name || '') : '');

function setCategories(raw) {
  categories.all = raw.filter((c) => c && c.service_code).map((c) => ({
    code: String(c.service_code),
    name: localName(c),
    names: [c.name_zh, c.name_en].filter(Boolean).map((n) => n.toLowerCase()),
    major: localName(c.major),
    family: familyLabel(c.family),
    isEvent: FAMILY_KEYS[String(c.family).toLowerCase()] === 'event',
    // The words citizens and inspectors use (乱停车, 井盖没了…), from the catalogue.
    keywords: Array.isArray(c.keywords) ? c.keywords.map((k) => String(k).toLowerCase()) : [],
  })).sort((a, b) => a.code.localeCompare(b.code));
  categories.byCode = new Map(categories.all.map((c) => [c.code, c]));
  renderCategories();
}

async function loadCategories() {
  if (!categories.all.length) {
    const cached = await kv.get('categories');
    if (Array.isArray(cached)) setCategories(cached);
  }
  if (!navigator.onLine || !state.token) {
    renderCategories();
    return;
  }
  try {
    const got = await fetchAll(`${API}/categories/?limit=500&active=true`);
    if (got.ok && got.items.length) {
      setCategories(got.items);
      kv.set('categories', got.items);
    }
  } catch (e) { /* keep the cached list */ }
  renderCategories();
}

async function loadFrequent() {
  categories.frequent = readJSON(LS.frequent, []);
  if (!navigator.onLine) return;
  try {
    const res = await api(`${API}/collect/categories/frequent/`);
    if (res.ok && res.data && Array.isArray(res.data.results)) {
      categories.frequent = res.data.results.map(String);
      localStorage.setItem(LS.frequent, JSON.stringify(categories.frequent));
      renderCategories();
    }
  } catch (e) { /* offline */ }
}

const recentKey = () => `${LS.recent}${(state.username || '').toLowerCase()}`;

function rememberRecent(code) {
  const list = [code, ...readJSON(recentKey(), []).filter((c) => c !== code)].slice(0, 8);
  localStorage.setItem(recentKey(), JSON.stringify(list));
}

/**
 * How well a category matches the search, lower is better, null for no match: a name or an
 * inspector's word (keyword) equal to it, then starting with it, then a name containing it,
 * then a word or the major class containing it, then the code. Within a rank an event (事件,
 * most of what inspectors report) comes before a component, then a name before a word.
 */
function matchRank(cat, q) {
  const words = [...cat.names, ...cat.keywords];
  let rank = null;
  if (words.some((w) => w === q) || cat.code.toLowerCase() === q) rank = 0;
  else if (words.some((w) => w.startsWith(q))) rank = 1;
  else if (cat.names.some((w) => w.includes(q))) rank = 2;
  else if (cat.keywords.some((w) => w.includes(q)) || cat.major.toLowerCase().includes(q)) rank = 3;
  else if (cat.code.toLowerCase().includes(q)) rank = 4;
  if (rank === null) return null;
  const byName = cat.names.some((w) => w.startsWith(q) || w === q) ? 0 : 1;
  return rank * 4 + (cat.isEvent ? 0 : 2) + byName;
}

function ranked(list, q) {
  return list.map((c) => [matchRank(c, q), c]).filter(([r]) => r !== null)
    .sort((a, b) => a[0] - b[0] || a[1].code.localeCompare(b[1].code)).map(([, c]) => c);
}

function renderCategories() {
  const list = $('#category-list');
  if (!categories.all.length) {
    list.replaceChildren(h('div', { class: 'cat-note' },
      navigator.onLine ? gettext('Loading the categories…') : gettext('The categories are not downloaded yet: connect and try again')));
    return;
  }
  const q = $('#category-search').value.trim().toLowerCase();
  const recent = readJSON(recentKey(), []);
  const tags = new Map();
  for (const code of categories.frequent) tags.set(code, 'frequent');
  for (const code of recent) tags.set(code, 'recent');
  const pinned = [...new Set([...recent, ...categories.frequent])].filter((c) => categories.byCode.has(c));
  const pinnedSet = new Set(pinned);
  // Each code appears once: pinned first, then the rest in code order.
  let ordered = [...pinned.map((c) => categories.byCode.get(c)),
    ...categories.all.filter((c) => !pinnedSet.has(c.code))];
  if (q) ordered = ranked(ordered, q); // a search ranks by how well each matches, not pinned first
  if (!ordered.length) {
    list.replaceChildren(h('div', { class: 'cat-note' }, fmt(gettext('No category matches “%(q)s”'), { q })));
    return;
  }
  list.replaceChildren(...ordered.map((c) => h('button', {
    type: 'button',
    class: `cat${c.code === form.category ? ' is-selected' : ''}`,
    role: 'option',
    'aria-selected': String(c.code === form.category),
    'data-code': c.code,
  },
  h('span', { class: 'cat-main' },
    h('span', { class: 'cat-name' }, c.name || c.code),
    h('span', { class: 'cat-sub' }, [c.code, c.family, c.major].filter(Boolean).join(' · '))),
  tags.has(c.code) ? h('span', { class: `tag${tags.get(c.code) === 'recent' ? ' recent' : ''}` },
    tags.get(c.code) === 'recent' ? gettext('recent') : gettext('frequent')) : null)));
}

function chooseCategory(code) {
  form.category = code;
  for (const node of $('#category-list').querySelectorAll('[data-code]')) {
    const on = node.dataset.code === code;
    node.classList.toggle('is-selected', on);
    node.setAttribute('aria-selected', String(on));
  }
  renderChosen();
  showMessage($('#report-message'), '');
}

function renderChosen() {
  const chosen = $('#category-chosen');
  const cat = form.category && categories.byCode.get(form.category);
  chosen.textContent = cat ? fmt(gettext('Chosen: %(name)s (%(code)s)'), { name: cat.name, code: cat.code }) : (form.category || gettext('none chosen'));
  chosen.classList.toggle('muted', !form.category);
}

/* ------------------------------------------------------------------ new report */

function validateReport() {
  const lim = limits();
  if (!form.photos.length) return gettext('Take at least 1 photo');
  if (form.photos.length > lim.max_photos) return fmt(gettext('At most %(n)s photos per report'), { n: lim.max_photos });
  const big = form.photos.find((p) => p.file.size > lim.max_photo_bytes);
  if (big) return fmt(gettext('Photo “%(name)s” is over the limit of %(max)s a photo: remove it and take it again'), { name: big.name, max: fmtMB(lim.max_photo_bytes) });
  const total = form.photos.reduce((sum, p) => sum + p.file.size, 0);
  if (total > lim.max_report_bytes) return fmt(gettext('The photos together are %(size)s, over the limit of %(max)s'), { size: fmtMB(total), max: fmtMB(lim.max_report_bytes) });
  if (!form.category) return gettext('Choose a category');
  if ($('#description').value.length > DESCRIPTION_MAX) return fmt(gettext('The description can have at most %(n)s characters'), { n: DESCRIPTION_MAX });
  const point = currentPoint();
  if (!point) return gettext('The location is not accurate enough: place the report on the map');
  if (locating.outside && locating.at && metresBetween(locating.at, point) < RELOCATE_AFTER_M) {
    const gap = /[。！？]$/.test(locating.outside) ? '' : ' '; // no space after a Chinese full stop
    return `${locating.outside}${gap}${gettext('Place the report on the map inside your grids.')}`;
  }
  return '';
}

/** A problem said when the inspector pressed send goes once it no longer holds (a photo added,
 *  the point moved into a grid), not when the next send is pressed. */
function recheckReport() {
  if (form.problem && validateReport() !== form.problem) {
    form.problem = null;
    showMessage($('#report-message'), '');
  }
}

async function submitReport(event) {
  event.preventDefault();
  const message = $('#report-message');
  const problem = validateReport();
  form.problem = problem || null;
  if (problem) {
    showMessage(message, problem);
    return;
  }
  const item = newQueueItem(currentPoint());
  form.saving = true;
  renderLocation();
  showMessage(message, navigator.onLine ? gettext('Checking whether it was already reported…') : '', 'info');
  let near = null;
  try {
    near = await findNearby(item);
  } finally {
    form.saving = false;
    renderLocation();
  }
  showMessage(message, '');
  if (near && near.results.length) {
    showDuplicates(item, near);
    return;
  }
  await enqueue(item, navigator.onLine ? gettext('Saved; sending…') : gettext('Saved to the outbox: it is sent when the phone is online'));
}

/** What the form holds, as an item of the outbox (a new report until a case is chosen). */
function newQueueItem(point) {
  const cat = categories.byCode.get(form.category);
  return {
    client_uuid: uuid(),
    owner: state.username,
    lon: point.lon,
    lat: point.lat,
    accuracy_m: point.accuracy_m,
    placed_by_hand: point.placed_by_hand,
    category: form.category,
    category_name: cat ? cat.name : '',
    description: $('#description').value.trim(),
    captured_at: isoWithOffset(form.firstPhotoAt || new Date()),
    photos: form.photos.map((p) => ({ blob: p.file, name: p.name, type: p.file.type || 'image/jpeg' })),
    created_at: Date.now(),
    state: 'waiting',
    attempts: 0,
    next_try_at: 0,
    last_error: null,
  };
}

async function enqueue(item, saidAfter) {
  const message = $('#report-message');
  form.saving = true;
  renderLocation();
  try {
    await queueDb.put(item); // the queue first: nothing is reset before the item is on disk
  } catch (e) {
    showMessage(message, fmt(gettext('Could not save on the phone: try again (%(error)s)'), { error: e && e.message ? e.message : e }));
    return;
  } finally {
    form.saving = false;
    renderLocation();
  }
  rememberRecent(item.category);
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  resetReportForm();
  toast(saidAfter);
  refreshQueueBadge();
  flush(true);
}

/* ------------------------------------------------------------------ 已有人上报？ */

/**
 * The open cases of the chosen category near the point, asked before a report is queued;
 * null when offline or the server does not answer in time: the report then goes ahead as
 * a new one (a duplicate is the dispatcher's to reject, a lost report is worse).
 */
async function findNearby(item) {
  if (!navigator.onLine || !state.token) return null;
  try {
    const q = new URLSearchParams({ lon: item.lon, lat: item.lat, category: item.category });
    const res = await api(`${API}/collect/nearby/?${q}`, { timeoutMs: 6000 });
    return res.ok && res.data && Array.isArray(res.data.results) ? res.data : null;
  } catch (e) {
    return null;
  }
}

function showDuplicates(item, near) {
  $('#dup-intro').textContent = fmt(gettext('Open cases of this category within %(m)s m. If one is your problem, add your photos to it instead of reporting it again.'), { m: Math.round(near.radius_m) });
  showMessage($('#dup-message'), '');
  $('#dup-list').replaceChildren(...near.results.map((c) => h('li', { class: 'item dup', 'data-case-id': c.id },
    h('div', { class: 'body' },
      h('div', { class: 'title' }, `${c.code || ''} ${c.category_name || ''}`.trim()),
      h('div', { class: 'meta' }, [fmt(gettext('%(n)s m away'), { n: c.distance_m }), c.state_display, fmtDateTime(c.reported_at)]
        .filter(Boolean).join(' · ')),
      c.description ? h('div', {}, c.description) : null,
      ...casePhotos(c.photos || [], false),
      h('div', { class: 'actions' }, h('button', {
        type: 'button', class: 'btn btn-primary btn-small', 'data-action': 'add-to-case',
        onclick: () => addToCase(item, c),
      }, gettext('Same problem: add my photos')))))));
  $('#dup-new').onclick = () => {
    closeDuplicates();
    enqueue(item, navigator.onLine ? gettext('Saved; sending…') : gettext('Saved to the outbox: it is sent when the phone is online'));
  };
  $('#dup-sheet').hidden = false;
  $('#dup-sheet .sheet-body').scrollTop = 0;
}

function closeDuplicates() {
  $('#dup-sheet').hidden = true;
  $('#dup-new').onclick = null;
}

/** The photos (and the description, as a note) go to the chosen case, through the outbox. */
function addToCase(item, c) {
  closeDuplicates();
  enqueue({ ...item, kind: 'evidence', case_id: c.id, case_code: c.code, category_name: c.category_name || item.category_name },
    fmt(gettext('Your photos are added to %(code)s'), { code: c.code }));
}

function resetReportForm() {
  for (const p of form.photos) URL.revokeObjectURL(p.url);
  form.photos = [];
  form.firstPhotoAt = null;
  form.category = null;
  form.problem = null;
  form.hand = null;
  if (map.marker) { map.marker.remove(); map.marker = null; }
  $('#category-search').value = '';
  $('#description').value = '';
  $('#description-count').textContent = `0/${DESCRIPTION_MAX}`;
  showMessage($('#photo-message'), '');
  showMessage($('#report-message'), '');
  renderPhotos();
  renderCategories();
  renderChosen();
  showMap(false);
  renderLocation();
}

/* ------------------------------------------------------------------ queue sender */

const sender = { current: null, pending: null, timer: null, pausedUntil: 0, sent: [] };

/*
 * Other kinds of outbox items (a patrol's start, points, gaps and end: patrol.js) register
 * here and go through the same queue, sender, backoff and retry as reports. A kind says:
 * url(item) and body(batch) of its JSON POST; batch(item, all) the items sent with it
 * (default: itself); waits(item, all) true while an item it depends on is still queued;
 * done(batch, data) after the server took them; summary(items) a line of the outbox view
 * for all its items (they are not listed one by one). An item of a kind not registered yet
 * waits (the script registering it loads after this one).
 */
const outboxKinds = {};
const isReport = (item) => !item.kind || item.kind === 'evidence';

/**
 * Send what is due, one item at a time. Calls while a pass runs are merged into one more pass
 * after it, so the returned promise settles only when the caller's request has been served.
 * force: ignore the backoff (explicit retry, app start, the online event, tests).
 */
function flush(force = false) {
  if (!sender.current) {
    sender.current = runPass(force).finally(() => { sender.current = null; });
    return sender.current;
  }
  if (!sender.pending) {
    const pending = { force };
    pending.promise = sender.current.then(() => {
      sender.pending = null;
      return flush(pending.force);
    });
    sender.pending = pending;
  } else if (force) {
    sender.pending.force = true;
  }
  return sender.pending.promise;
}

async function runPass(force) {
  const pass = () => sendDue(force);
  try {
    if (navigator.locks && navigator.locks.request) await navigator.locks.request('cgt-sender', pass);
    else await pass();
  } catch (e) {
    console.error('send queue failed', e);
  }
  await renderQueue();
  scheduleNextTry();
}

async function sendDue(force) {
  const tried = new Set();
  for (;;) {
    if (!state.token || !navigator.onLine) return;
    const now = Date.now();
    if (!force && sender.pausedUntil > now) return;
    const all = await queueDb.all();
    const due = all
      .filter((it) => sameUser(it.owner, state.username) && it.state !== 'failed'
        && !tried.has(it.client_uuid) && (force || (it.next_try_at || 0) <= now)
        && (isReport(it) || (outboxKinds[it.kind] && !(outboxKinds[it.kind].waits || (() => false))(it, all))))
      // Fewest attempts first, so one item the server keeps refusing with 5xx starves no other.
      .sort((a, b) => (a.attempts || 0) - (b.attempts || 0) || a.created_at - b.created_at);
    if (!due.length) return;
    tried.add(due[0].client_uuid);
    let outcome;
    try {
      outcome = isReport(due[0]) ? await sendItem(due[0]) : await sendKind(due[0], all, tried);
    } catch (e) {
      // Not the server's answer (e.g. a photo unreadable right now): keep the item, back off.
      await backoff(due[0], fmt(gettext('Error on the phone: %(error)s'), { error: e && e.message ? e.message : e }));
      outcome = 'stop';
    }
    if (outcome === 'stop') return;
  }
}

function reportForm(item) {
  const fd = new FormData();
  if (item.kind === 'evidence') {
    fd.append('client_uuid', item.client_uuid);
    fd.append('note', item.description || '');
    fd.append('lon', String(item.lon));
    fd.append('lat', String(item.lat));
    fd.append('photo_count', String(item.photos.length));
    item.photos.forEach((p, i) => fd.append('photos', p.blob, p.name || `photo-${i + 1}.jpg`));
    return fd;
  }
  fd.append('client_uuid', item.client_uuid);
  fd.append('lon', String(item.lon));
  fd.append('lat', String(item.lat));
  if (item.accuracy_m !== null && item.accuracy_m !== undefined) fd.append('accuracy_m', String(item.accuracy_m));
  fd.append('placed_by_hand', item.placed_by_hand ? 'true' : 'false');
  fd.append('category', item.category);
  fd.append('description', item.description || '');
  fd.append('captured_at', item.captured_at);
  // Before the photos: the server checks that as many arrived as were sent.
  fd.append('photo_count', String(item.photos.length));
  item.photos.forEach((p, i) => fd.append('photos', p.blob, p.name || `photo-${i + 1}.jpg`));
  return fd;
}

const sameUuid = (a, b) => String(a).toLowerCase().replace(/-/g, '') === String(b).toLowerCase().replace(/-/g, '');

/** Send one item. Returns 'ok' (go on with the next) or 'stop' (end this pass). */
async function sendItem(item) {
  const id = item.client_uuid;
  await queueDb.patch(id, { state: 'sending' });
  renderQueue();
  const bytes = item.photos.reduce((sum, p) => sum + (p.blob ? p.blob.size : 0), 0);
  // Slow links are normal in the field: allow ~50 KB/s before calling it a timeout.
  const timeoutMs = 60000 + Math.ceil(bytes / 51200) * 1000;
  let res;
  try {
    const url = item.kind === 'evidence' ? `${API}/collect/cases/${encodeURIComponent(item.case_id)}/evidence/` : `${API}/collect/reports/`;
    res = await api(url, { method: 'POST', body: reportForm(item), timeoutMs, auth: true });
  } catch (e) {
    await backoff(item, e.message || gettext('Network error'));
    return 'stop';
  }
  if (res.status === 200 || res.status === 201) {
    const d = res.data;
    if (!d || typeof d !== 'object' || (!d.code && !d.id)) {
      await backoff(item, gettext('The server gave an answer that cannot be read; will retry'));
      return 'stop';
    }
    if (d.client_uuid && !sameUuid(d.client_uuid, id)) {
      await backoff(item, gettext('The server answered about another report; will retry'));
      return 'stop';
    }
    await queueDb.remove(id); // only now: the server has it
    sender.sent.unshift({ ...d, kind: item.kind, category_name: item.category_name, at: Date.now() });
    sender.sent.length = Math.min(sender.sent.length, 10);
    toast(item.kind === 'evidence' ? fmt(gettext('Your photos are added to %(code)s'), { code: d.code || d.id })
      : fmt(gettext('Reported: %(code)s'), { code: d.code || d.id }));
    refreshQueueBadge();
    return 'ok';
  }
  if (res.status === 401) {
    await queueDb.patch(id, { state: 'waiting' });
    return 'stop'; // api() already sent the user to the login view
  }
  if (res.status === 408 || res.status === 429 || res.status >= 500) {
    await backoff(item, fmt(gettext('The server cannot take it now (%(status)s)'), { status: res.status }), retryAfterMs(res.headers));
    return 'stop';
  }
  if (res.data && res.data.code === 'upload_incomplete') {
    // The body was cut on the way (a weak link): the same item, sent again, is whole.
    await backoff(item, fmt(gettext('The photos did not arrive whole; will retry: %(error)s'), { error: errorText(res.data, res.status) }));
    return 'stop';
  }
  if (res.status >= 400) {
    await queueDb.patch(id, { state: 'failed', last_error: errorText(res.data, res.status), failed_at: Date.now() });
    return 'ok';
  }
  await backoff(item, fmt(gettext('Unexpected answer from the server (%(status)s); will retry'), { status: res.status }));
  return 'stop';
}

/** Send an item of a registered kind with the items that go with it (sendItem's answers). */
async function sendKind(item, all, tried) {
  const spec = outboxKinds[item.kind];
  const batch = spec.batch ? spec.batch(item, all) : [item];
  for (const it of batch) tried.add(it.client_uuid);
  let res;
  try {
    res = await api(spec.url(item), { method: 'POST', json: spec.body(batch), timeoutMs: 30000 });
  } catch (e) {
    await backoff(item, e.message || gettext('Network error'));
    return 'stop';
  }
  if (res.status === 200 || res.status === 201) {
    await queueDb.removeMany(batch.map((it) => it.client_uuid)); // only now: the server has them
    if (spec.done) spec.done(batch, res.data);
    refreshQueueBadge();
    return 'ok';
  }
  if (res.status === 401) return 'stop';
  // 404: what it belongs to has not arrived yet (sent from another outbox pass): try again later.
  if (res.status === 404 || res.status === 408 || res.status === 429 || res.status >= 500) {
    await backoff(item, fmt(gettext('The server cannot take it now (%(status)s)'), { status: res.status }), retryAfterMs(res.headers));
    return 'stop';
  }
  const error = errorText(res.data, res.status);
  for (const it of batch) await queueDb.patch(it.client_uuid, { state: 'failed', last_error: error, failed_at: Date.now() });
  return 'ok';
}

function retryAfterMs(headers) {
  const raw = headers && headers.get('retry-after');
  if (!raw) return 0;
  const secs = Number(raw);
  if (Number.isFinite(secs)) return secs * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? 0 : at - Date.now();
}

async function backoff(item, reason, atLeastMs = 0) {
  const attempts = (item.attempts || 0) + 1;
  const delay = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_BASE_MS * 2 ** (attempts - 1), atLeastMs));
  const next = Date.now() + delay;
  sender.pausedUntil = next; // the link or the server is down: give every item a rest
  await queueDb.patch(item.client_uuid, { state: 'waiting', attempts, next_try_at: next, last_error: reason });
}

async function scheduleNextTry() {
  clearTimeout(sender.timer);
  sender.timer = null;
  if (!state.token || !navigator.onLine) return; // the online event flushes
  const items = (await queueDb.all().catch(() => []))
    .filter((it) => sameUser(it.owner, state.username) && it.state === 'waiting');
  if (!items.length) return;
  const earliest = Math.max(sender.pausedUntil, Math.min(...items.map((it) => it.next_try_at || 0)));
  const wait = Math.max(1000, earliest - Date.now());
  if (wait <= FLUSH_INTERVAL_MS) sender.timer = setTimeout(() => flush(false), wait);
  // Longer waits are picked up by the 30-second tick.
}

async function retryItem(id) {
  const item = (await queueDb.all()).find((it) => it.client_uuid === id);
  if (item && isReport(item) && !(item.photos || []).length) {
    toast(gettext('Add at least 1 photo, then send it again'), 'error');
    return undefined;
  }
  queueFixing.delete(id);
  await queueDb.patch(id, { state: 'waiting', attempts: 0, next_try_at: 0, last_error: null });
  sender.pausedUntil = 0;
  await renderQueue();
  if (!navigator.onLine) toast(gettext('Offline: it is sent when the phone is online'));
  return flush(true);
}

async function deleteItem(id) {
  await queueDb.remove(id);
  toast(gettext('Deleted'));
  await renderQueue();
}

/* ------------------------------------------------------------------ queue view */

let queueUrls = [];

async function refreshQueueBadge() {
  const n = await queueDb.count().catch(() => 0);
  showCount('queue', n);
  return n;
}

function queueStatus(item) {
  if (!sameUser(item.owner, state.username)) {
    return [h('span', { class: 'status waiting' }, fmt(gettext('Belongs to the account %(owner)s: sent when it signs in'), { owner: item.owner }))];
  }
  if (item.state === 'sending') return [h('span', { class: 'status sending' }, gettext('Sending…'))];
  if (item.state === 'failed') {
    return [h('span', { class: 'status failed' }, gettext('Not sent')),
      h('p', { class: 'error-text' }, item.last_error || gettext('Refused by the server'))];
  }
  const parts = [h('span', { class: 'status waiting' }, navigator.onLine ? gettext('Waiting to be sent') : gettext('Waiting to be sent (offline)'))];
  if (item.attempts) {
    const when = item.next_try_at > Date.now() ? fmt(gettext('; next try at %(time)s'), { time: fmtClock(item.next_try_at) }) : '';
    parts.push(h('p', { class: 'meta' }, fmt(gettext('Tried %(n)s times: %(error)s'), { n: item.attempts, error: item.last_error || '' }) + when));
  }
  return parts;
}

function queueActions(item) {
  if (!sameUser(item.owner, state.username) || item.state === 'sending') return null;
  const id = item.client_uuid;
  const retry = h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => retryItem(id) },
    item.state === 'failed' ? gettext('Retry') : gettext('Send now'));
  if (item.state !== 'failed') return item.attempts ? h('div', { class: 'actions' }, retry) : null;
  const fix = item.photos && item.photos.length ? h('button', {
    type: 'button', class: 'btn btn-secondary btn-small', 'data-action': 'fix-photos',
    onclick: () => { queueFixing.has(id) ? queueFixing.delete(id) : queueFixing.add(id); renderQueue(); },
  }, queueFixing.has(id) ? gettext('Done') : gettext('Fix the photos')) : null;
  const del = h('button', { type: 'button', class: 'btn btn-danger btn-small' }, gettext('Delete'));
  del.addEventListener('click', () => {
    if (del.dataset.armed) {
      deleteItem(id);
      return;
    }
    del.dataset.armed = '1';
    del.textContent = gettext('Confirm delete');
    setTimeout(() => { delete del.dataset.armed; del.textContent = gettext('Delete'); }, 4000);
  });
  return h('div', { class: 'actions' }, retry, fix, del);
}

/* A report the server refused for one of its photos is mended here, not retried forever:
   each photo is checked as at pick time; a bad one can be removed, another added. */
const queueFixing = new Set();

function photoFixer(item) {
  const id = item.client_uuid;
  const lim = limits();
  const thumbs = item.photos.map((p, i) => {
    const url = URL.createObjectURL(p.blob);
    queueUrls.push(url);
    const note = h('span', { class: 'thumb-note' });
    const box = h('div', { class: 'thumb', 'data-photo': String(i) }, h('img', { src: url, alt: p.name || '' }), note,
      h('button', { type: 'button', class: 'remove', 'aria-label': fmt(gettext('Remove photo %(n)s'), { n: i + 1 }),
        onclick: () => editQueuedPhotos(id, (photos) => photos.filter((_p, j) => j !== i)) }, '×'));
    photoProblem(p.blob, p.name).then((problem) => {
      if (!problem) return;
      box.classList.add('is-bad');
      note.textContent = gettext('cannot be sent');
      box.title = problem;
    });
    return box;
  });
  const input = h('input', { type: 'file', accept: 'image/*', 'data-action': 'add-photo' });
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    const problem = await photoProblem(file);
    if (problem) {
      toast(problem, 'error');
      return;
    }
    await editQueuedPhotos(id, (photos) => [...photos, { blob: file, name: file.name || 'photo.jpg', type: file.type || 'image/jpeg' }]
      .slice(-lim.max_photos));
  });
  return h('div', { class: 'fixer' },
    h('p', { class: 'muted small' }, gettext('Remove the photo that cannot be sent or add another, then send again.')),
    h('div', { class: 'thumbs' }, ...thumbs),
    h('label', { class: 'btn btn-secondary btn-small file-btn' }, gettext('Add a photo'), input));
}

async function editQueuedPhotos(id, change) {
  const item = (await queueDb.all()).find((it) => it.client_uuid === id);
  if (!item) return;
  const photos = change(item.photos || []);
  await queueDb.patch(id, { photos, last_error: photos.length ? gettext('Photos changed: send it again')
    : gettext('Add at least 1 photo, then send it again') });
  await renderQueue();
}

async function renderQueue() {
  const everything = (await queueDb.all().catch(() => [])).sort((a, b) => a.created_at - b.created_at);
  const items = everything.filter(isReport);
  const summaries = Object.entries(outboxKinds).filter(([, spec]) => spec.summary)
    .map(([kind, spec]) => spec.summary(everything.filter((it) => it.kind === kind))).filter(Boolean);
  await refreshQueueBadge();
  for (const url of queueUrls) URL.revokeObjectURL(url);
  queueUrls = [];
  $('#queue-empty').hidden = everything.length > 0;
  $('#queue-list').replaceChildren(...summaries, ...items.map((item) => {
    const first = item.photos && item.photos[0];
    let pic = h('div', { class: 'pic' });
    if (first && first.blob) {
      const url = URL.createObjectURL(first.blob);
      queueUrls.push(url);
      pic = h('img', { class: 'pic', src: url, alt: '' });
    }
    return h('li', { class: 'item', 'data-uuid': item.client_uuid, 'data-state': item.state }, pic,
      h('div', { class: 'body' },
        h('div', { class: 'title' }, item.kind === 'evidence'
          ? fmt(gettext('Photos for %(code)s %(category)s'), { code: item.case_code || '', category: item.category_name || '' })
          : `${item.category_name || ''} ${item.category}`.trim()),
        h('div', { class: 'meta' }, [fmtDateTime(item.captured_at), fmt(ngettext('%(n)s photo', '%(n)s photos', item.photos.length), { n: item.photos.length }),
          item.placed_by_hand && gettext('Placed on the map')].filter(Boolean).join(' · ')),
        ...queueStatus(item),
        queueActions(item),
        item.state === 'failed' && queueFixing.has(item.client_uuid) ? photoFixer(item) : null));
  }));
  $('#sent-wrap').hidden = sender.sent.length === 0;
  $('#sent-list').replaceChildren(...sender.sent.map((s) => h('li', { class: 'item' },
    h('div', { class: 'body' },
      h('div', { class: 'title' }, fmt(s.kind === 'evidence' ? gettext('Your photos are added to %(code)s') : gettext('Reported: %(code)s'), { code: s.code || s.id })),
      h('div', { class: 'meta' }, [s.category_name, s.grid && fmt(gettext('Grid %(code)s'), { code: s.grid }), s.community, fmtDateTime(s.at)]
        .filter(Boolean).join(' · ')),
      Array.isArray(s.flags) && s.flags.length ? h('div', { class: 'meta' }, fmt(gettext('Note: %(flags)s'), { flags: s.flags.map((f) => photoFlags()[f] || f).join(gettext(', ')) })) : null,
      h('span', { class: 'status done' }, s.state_display
        || (s.kind === 'evidence' ? gettext('Photos received') : gettext('Report received')))))));
}

/* ------------------------------------------------------------------ my reports */

let mineUrls = [];

/** Media may need the token: fetch with it, fall back to a plain <img src>. */
async function loadImage(img, url) {
  try {
    const headers = state.token ? { Authorization: `Token ${state.token}` } : {};
    const res = await fetch(url, { headers, credentials: 'same-origin' });
    if (!res.ok) throw new Error(String(res.status));
    const obj = URL.createObjectURL(await res.blob());
    mineUrls.push(obj);
    img.src = obj;
  } catch (e) {
    img.src = url;
  }
}

/* A list from the server into a view: its message line says offline, loading, the error,
   or that the list is empty; the rows, or null when there are none to show. */
async function fetchList(messageSelector, url, texts) {
  const message = $(messageSelector);
  message.hidden = false;
  if (!navigator.onLine) {
    message.textContent = texts.offline;
    return null;
  }
  message.textContent = gettext('Loading…');
  let res;
  try {
    res = await api(url);
  } catch (e) {
    message.textContent = e.message;
    return null;
  }
  if (!res.ok) {
    message.textContent = errorText(res.data, res.status);
    return null;
  }
  const rows = Array.isArray(res.data) ? res.data : (res.data && res.data.results) || [];
  message.hidden = rows.length > 0;
  message.textContent = rows.length ? '' : texts.empty;
  return rows;
}

async function loadMine() {
  const rows = await fetchList('#mine-message', `${API}/collect/reports/?limit=50`,
    { offline: gettext('Offline: connect to see your reports'), empty: gettext('No reports yet') });
  if (!rows) return;
  for (const url of mineUrls) URL.revokeObjectURL(url);
  mineUrls = [];
  $('#my-reports').replaceChildren(...rows.map((r) => {
    const rejected = r.state === 'rejected';
    const pic = h('img', { class: 'pic', alt: '' });
    if (r.thumbnail) loadImage(pic, r.thumbnail);
    const li = h('li', { class: 'item report', role: 'button', tabindex: '0', 'data-id': r.id, 'data-state': r.state }, pic,
      h('div', { class: 'body' },
        h('div', { class: 'title' }, `${r.code || ''} ${r.category_name || ''}`.trim()),
        h('div', { class: 'meta' }, fmtDateTime(r.reported_at)),
        h('span', { class: `status ${rejected ? 'rejected' : ''}` }, r.state_display || r.state || ''),
        rejected && (r.reject_reason_display || r.reject_note)
          ? h('p', { class: 'reject' }, fmt(gettext('Rejected: %(reason)s'), { reason: [r.reject_reason_display, r.reject_note].filter(Boolean).join(gettext('; ')) }))
          : null));
    li.addEventListener('click', () => openReport(r.id));
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') openReport(r.id); });
    return li;
  }));
}

/** One of my reports: its state, photos and history, the times on the city's clock. */
async function openReport(id) {
  const sheet = $('#report-sheet');
  const box = $('#report-detail');
  const message = $('#report-detail-message');
  box.replaceChildren();
  showMessage(message, navigator.onLine ? gettext('Loading…') : gettext('Offline: connect to see your reports'),
    navigator.onLine ? 'info' : 'warn');
  sheet.hidden = false;
  if (!navigator.onLine) return;
  let res;
  try {
    res = await api(`${API}/collect/reports/${encodeURIComponent(id)}/`);
  } catch (e) {
    showMessage(message, e.message);
    return;
  }
  if (!res.ok) {
    if (res.status !== 401) showMessage(message, errorText(res.data, res.status));
    return;
  }
  showMessage(message, '');
  const r = res.data;
  $('#report-title').textContent = fmt(gettext('Report %(code)s'), { code: r.code || r.id });
  box.replaceChildren(...[
    h('p', {}, h('strong', {}, r.category_name || ''), ' ', h('span', { class: `status ${r.state === 'rejected' ? 'rejected' : ''}` }, r.state_display || '')),
    h('p', { class: 'muted small' }, [fmtDateTime(r.reported_at), r.grid && fmt(gettext('Grid %(code)s'), { code: r.grid }), r.community].filter(Boolean).join(' · ')),
    r.description ? h('p', {}, fmt(gettext('Description: %(text)s'), { text: r.description })) : null,
    // How it ended: once the department replied, its reply and photos, and the on-site check's.
    ...casePhotos(r.photos || [], Boolean(r.reply), true),
    r.reply ? h('p', { 'data-field': 'reply' }, fmt(gettext('Department reply: %(text)s'), { text: r.reply })) : null,
    h('h3', { class: 'photo-group' }, gettext('History')),
    h('ol', { class: 'history', 'data-testid': 'report-history' }, ...(r.history || []).map((e) => h('li', {},
      h('span', { class: 'when' }, window.UM.when(e.at)), ' ',
      h('strong', {}, e.action_display || ''), e.by ? ` · ${e.by}` : '',
      e.reason ? h('div', { class: 'muted small' }, e.reason) : null))),
  ].filter(Boolean));
}

function closeReport() {
  $('#report-sheet').hidden = true;
}

/* ------------------------------------------------------------------ tasks */

const tasks = { list: [], open: null, photo: null, busy: false, pending: null };

async function loadTasks() {
  const rows = await fetchList('#tasks-message', `${API}/collect/tasks/`,
    { offline: gettext('Offline: tasks need a network connection; connect and refresh'), empty: gettext('No tasks') });
  if (!rows) return;
  tasks.list = rows;
  setCount('tasks', rows.length);
  renderTasks();
}

/* ------------------------------------------------------------------ notifications (the bell) */

async function loadNotices() {
  const rows = await fetchList('#notices-message', $('#panel-notices').dataset.listUrl, {
    offline: gettext('Offline: notifications need a network connection; connect and refresh'),
    empty: gettext('No notifications.'),
  });
  if (!rows) return;
  $('#notices-read-all').hidden = !rows.some((n) => !n.read);
  $('#notice-list').replaceChildren(...rows.map((n) => {
    const li = h('li', { class: `item notice${n.read ? '' : ' unread'}`, 'data-notification': n.id },
      h('div', { class: 'meta' }, fmtDateTime(n.at)), h('div', { class: 'title' }, n.headline));
    if (!n.read) {
      li.setAttribute('role', 'button');
      li.setAttribute('tabindex', '0');
      li.title = gettext('Mark as read');
      li.addEventListener('click', () => markNoticesRead(n.id));
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') markNoticesRead(n.id); });
    }
    return li;
  }));
}

/** One notification (its id) or all of them read; the list and the badge follow. */
async function markNoticesRead(id) {
  let res;
  try {
    res = await api($('#panel-notices').dataset.readUrl, { method: 'POST', json: id ? { id } : {} });
  } catch (e) {
    toast(e.message);
    return;
  }
  if (!res.ok) {
    toast(errorText(res.data, res.status));
    return;
  }
  setCount('notifications', res.data.unread);
  loadNotices();
}

function distanceText(c) {
  if (!geo.fix || typeof c.lon !== 'number' || typeof c.lat !== 'number') return '';
  const m = metresBetween(geo.fix, { lon: c.lon, lat: c.lat });
  return m < 1000 ? fmt(gettext('about %(n)s m away'), { n: Math.round(m) }) : fmt(gettext('about %(n)s km away'), { n: (m / 1000).toFixed(1) });
}

function renderTasks() {
  $('#task-list').replaceChildren(...tasks.list.map((t) => {
    const c = t.case || {};
    const li = h('li', { class: 'item task', role: 'button', tabindex: '0', 'data-task-id': t.id },
      h('div', {},
        h('span', { class: `kind ${t.kind}` }, taskKinds()[t.kind] || t.kind_display || t.kind), ' ',
        h('strong', {}, `${c.code || ''} ${c.category_name || ''}`)),
      c.address ? h('div', { class: 'meta' }, c.address) : null,
      c.description ? h('div', {}, c.description) : null,
      h('div', { class: 'meta' },
        t.due_at ? fmt(gettext('Due %(time)s'), { time: fmtDateTime(t.due_at) }) + ' ' : '',
        t.overdue ? h('span', { class: 'overdue' }, gettext('overdue')) : null,
        c.grid ? ' · ' + fmt(gettext('Grid %(code)s'), { code: c.grid }) : '',
        distanceText(c) ? ` · ${distanceText(c)}` : ''));
    li.addEventListener('click', () => openTask(t));
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') openTask(t); });
    return li;
  }));
}

function openTask(task) {
  tasks.open = task;
  const c = task.case || {};
  $('#task-title').textContent = `${taskKinds()[task.kind] || task.kind_display || gettext('Task')} · ${c.code || ''}`;
  $('#task-case').replaceChildren(...[
    h('p', {}, h('strong', {}, c.category_name || '')),
    c.address ? h('p', {}, fmt(gettext('Address: %(text)s'), { text: c.address })) : null,
    c.description ? h('p', {}, fmt(gettext('Description: %(text)s'), { text: c.description })) : null,
    h('p', { class: 'muted small' }, [c.grid && fmt(gettext('Grid %(code)s'), { code: c.grid }), task.due_at && fmt(gettext('Due %(time)s'), { time: fmtDateTime(task.due_at) }),
      task.overdue && gettext('overdue'), distanceText(c)].filter(Boolean).join(' · ')),
    ...casePhotos(c.photos || [], task.kind === 'check'),
    c.reply && task.kind === 'check' ? h('p', {}, fmt(gettext('Department reply: %(text)s'), { text: c.reply })) : null,
  ].filter(Boolean)); // replaceChildren would write a null as the text "null"
  askConfirm(null);
  $('#task-note').value = '';
  setTaskPhoto(null);
  showMessage($('#task-message'), '');
  const results = taskResults()[task.kind] || taskResults().verify;
  $('#task-results').replaceChildren(...results.map(([value, label], i) => h('button', {
    type: 'button',
    class: `btn btn-grow ${i === 0 ? 'btn-primary' : 'btn-danger'}`,
    'data-result': value,
    onclick: () => askConfirm({ value, label }),
  }, label)));
  $('#task-sheet').hidden = false;
  renderTaskGps();
  renderTaskSheetState();
}

/* The photos of a case as groups with a heading: what was reported, and for a check what
   the department sent after its work, side by side with what the inspector sees now. */
function casePhotos(photos, withAfter, withCheck = false) {
  const groups = [['before', gettext('Reported photos')], ['snapshot', gettext('Reported photos')]];
  if (withAfter) groups.push(['after', gettext('After handling (department photos)')]);
  if (withCheck) groups.push(['check', gettext('On-site check photos')]);
  const out = [];
  const seen = new Set();
  for (const [kind, title] of groups) {
    const mine = photos.filter((p) => p.kind === kind);
    if (!mine.length) continue;
    if (!seen.has(title)) out.push(h('h3', { class: 'photo-group' }, title));
    seen.add(title);
    out.push(h('div', { class: 'thumbs', 'data-kind': kind }, ...mine.map((p, i) => {
      const img = h('img', { alt: fmt(gettext('%(kind)s photo %(n)s'), { kind: p.kind_display || title, n: i + 1 }) });
      loadImage(img, p.thumbnail || p.display);
      return h('a', { class: 'thumb', href: p.display, target: '_blank', rel: 'noopener' }, img);
    })));
  }
  if (withAfter && !photos.some((p) => p.kind === 'after')) out.push(h('p', { class: 'muted small' }, gettext('The department sent no photo after its work.')));
  return out;
}

/* A result is submitted only once confirmed: one tap on the wrong button must not close a case. */
function askConfirm(choice) {
  tasks.pending = choice;
  const box = $('#task-confirm');
  box.hidden = !choice;
  if (!choice) return;
  $('#task-confirm-text').textContent = fmt(gettext('Submit the result “%(label)s”? It cannot be changed afterwards.'), { label: choice.label });
  box.scrollIntoView({ block: 'nearest' });
  $('#task-confirm-yes').focus();
}

function closeTask() {
  askConfirm(null);
  $('#task-sheet').hidden = true;
  tasks.open = null;
  setTaskPhoto(null);
}

function setTaskPhoto(file) {
  if (tasks.photo) URL.revokeObjectURL(tasks.photo.url);
  tasks.photo = file ? { file, url: URL.createObjectURL(file) } : null;
  $('#task-thumb-title').hidden = !tasks.photo; // never read as the department's photos above it
  const box = $('#task-thumb');
  box.replaceChildren(...(tasks.photo ? [h('div', { class: 'thumb' },
    h('img', { src: tasks.photo.url, alt: gettext('Task photo') }),
    h('button', { type: 'button', class: 'remove', 'aria-label': gettext('Remove the photo'), onclick: () => setTaskPhoto(null) }, '×'))] : []));
}

function renderTaskGps() {
  const node = $('#task-gps');
  if (!node) return;
  node.textContent = geo.fix
    ? fmt(gettext('Here: longitude %(lon)s latitude %(lat)s (accuracy %(m)s m)'), { lon: geo.fix.lon.toFixed(6), lat: geo.fix.lat.toFixed(6), m: accuracyMetres(geo.fix) })
    : gettext('No location yet: the result is sent without one');
}

function renderTaskSheetState() {
  if (!tasks.open) return;
  const offline = !navigator.onLine;
  for (const b of $('#task-results').querySelectorAll('button')) b.disabled = offline || tasks.busy;
  if (offline) showMessage($('#task-message'), gettext('Offline: tasks need a network connection; connect and submit'), 'warn');
  else if ($('#task-message').classList.contains('warn')) showMessage($('#task-message'), '');
}

async function completeTask(result, label) {
  const task = tasks.open;
  if (!task || tasks.busy) return;
  const message = $('#task-message');
  if (!navigator.onLine) {
    showMessage(message, gettext('Offline: tasks need a network connection; connect and submit'), 'warn');
    return;
  }
  const fd = new FormData();
  fd.append('result', result);
  fd.append('note', $('#task-note').value.trim());
  fd.append('photo_count', tasks.photo ? '1' : '0');
  if (tasks.photo) fd.append('photos', tasks.photo.file, tasks.photo.file.name || 'photo.jpg');
  if (geo.fix) {
    fd.append('lon', String(geo.fix.lon));
    fd.append('lat', String(geo.fix.lat));
  }
  tasks.busy = true;
  renderTaskSheetState();
  showMessage(message, fmt(gettext('Submitting “%(label)s”…'), { label }), 'info');
  try {
    const res = await api(`${API}/collect/tasks/${encodeURIComponent(task.id)}/complete/`, {
      method: 'POST', body: fd, timeoutMs: 120000,
    });
    if (res.ok) {
      closeTask();
      toast(fmt(gettext('Submitted: %(label)s'), { label }));
      tasks.list = tasks.list.filter((t) => t.id !== task.id);
      setCount('tasks', tasks.list.length);
      renderTasks();
      loadTasks();
    } else if (res.status !== 401) {
      showMessage(message, errorText(res.data, res.status));
    }
  } catch (e) {
    showMessage(message, fmt(gettext('%(error)s; try again later'), { error: e.message }));
  } finally {
    tasks.busy = false;
    renderTaskSheetState();
  }
}

/* ------------------------------------------------------------------ start */

function bindEvents() {
  $('#login-form').addEventListener('submit', login);
  $('#logout-button').addEventListener('click', logout);
  for (const t of TABS) $(`#tab-${t}`).addEventListener('click', () => showTab(t));
  $('#notices-link').addEventListener('click', () => showTab('notices'));
  $('#notices-read-all').addEventListener('click', () => markNoticesRead());

  for (const sel of ['#photo-input', '#photo-gallery']) {
    $(sel).addEventListener('change', (e) => {
      const files = [...e.target.files];
      e.target.value = ''; // the same photo may be chosen again after removing it
      // One pick at a time, so photos keep the order they were taken in while each is checked.
      photoPicks = photoPicks.then(() => addPhotos(files)).catch(() => {});
    });
  }
  $('#toggle-map').addEventListener('click', () => showMap($('#map-wrap').hidden));
  $('#use-gps').addEventListener('click', useGps);
  $('#category-search').addEventListener('input', renderCategories);
  $('#category-list').addEventListener('click', (e) => {
    const option = e.target.closest('[data-code]');
    if (option) chooseCategory(option.dataset.code);
  });
  $('#description').addEventListener('input', (e) => {
    $('#description-count').textContent = `${e.target.value.length}/${DESCRIPTION_MAX}`;
    recheckReport();
  });
  $('#report-form').addEventListener('submit', submitReport);

  $('#flush-button').addEventListener('click', async () => {
    if (!navigator.onLine) {
      toast(gettext('Offline: it is sent when the phone is online'));
      return;
    }
    sender.pausedUntil = 0;
    await flush(true);
  });
  $('#mine-refresh').addEventListener('click', loadMine);
  $('#report-close').addEventListener('click', closeReport);
  $('#dup-close').addEventListener('click', closeDuplicates);
  $('#report-sheet').addEventListener('click', (e) => { if (e.target.id === 'report-sheet') closeReport(); });
  $('#tasks-refresh').addEventListener('click', loadTasks);
  $('#task-close').addEventListener('click', closeTask);
  $('#task-confirm-no').addEventListener('click', () => askConfirm(null));
  $('#task-confirm-yes').addEventListener('click', () => {
    const choice = tasks.pending;
    askConfirm(null);
    if (choice) completeTask(choice.value, choice.label);
  });
  $('#task-sheet').addEventListener('click', (e) => { if (e.target.id === 'task-sheet') closeTask(); });
  $('#task-photo').addEventListener('change', (e) => {
    const file = e.target.files && e.target.files[0];
    e.target.value = '';
    if (!file) return;
    if (file.size > limits().max_photo_bytes) {
      showMessage($('#task-message'), fmt(gettext('The photo is %(size)s, over the limit of %(max)s a photo'), { size: fmtMB(file.size), max: fmtMB(limits().max_photo_bytes) }));
      return;
    }
    setTaskPhoto(file);
  });

  window.addEventListener('online', onConnectivity);
  window.addEventListener('offline', onConnectivity);
  window.addEventListener('hashchange', () => {
    const tab = location.hash.slice(1);
    if (PANELS.includes(tab) && tab !== state.tab && !$('#view-main').hidden) showTab(tab);
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible' || !state.token) return;
    flush(false);
    refreshCounts();
  });
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register(SW_URL, { scope: SW_SCOPE }).catch((e) => {
    console.warn('service worker registration failed', e);
  });
}

async function resetInterruptedSends() {
  // A send cut short by closing the app left its item 'sending'; it is simply due again.
  for (const item of await queueDb.all()) {
    if (item.state === 'sending') await queueDb.patch(item.client_uuid, { state: 'waiting' });
  }
}

async function start() {
  bindEvents();
  $('#offline-banner').hidden = navigator.onLine;
  registerServiceWorker();
  state.token = localStorage.getItem(LS.token);
  state.username = localStorage.getItem(LS.username);
  state.me = readJSON(LS.me, null);
  try {
    await openDb();
    await resetInterruptedSends();
  } catch (e) {
    toast(gettext('The phone storage is not available: reports cannot be kept offline'), 'error');
  }
  if (state.token) {
    enterMain();
    refreshMe();
  } else {
    showLogin('');
  }
  setInterval(() => {
    if (!state.token) return;
    flush(false);
    refreshCounts();
  }, FLUSH_INTERVAL_MS);
}

window.collector = {
  flush: () => flush(true),
  refreshCounts: () => refreshCounts(),
  queueSize: () => queueDb.count(),
  // What patrol.js builds on: the same outbox, the same words and helpers.
  outbox: { kinds: outboxKinds, put: queueDb.put, all: queueDb.all, countPrefix: queueDb.countPrefix,
    render: () => renderQueue(), retry: (id) => retryItem(id) },
  kv,
  api,
  toast,
  uuid,
  metresBetween,
  isoWithOffset,
  state,
  limits,
};

start();
