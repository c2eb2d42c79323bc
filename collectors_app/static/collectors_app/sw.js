/*
 * 城管通 service worker — served at /m/sw.js with scope /m/.
 *
 * The shell (/m/) lists every static asset it needs (the <script id="cgt-assets"> block plus
 * its src/href attributes, all written with {% static %}, so hashed names are found without this
 * file knowing them). Install caches the shell and all of them; every later open is served from
 * the cache at once and refreshes it in the background, swapping in a new shell only after all
 * of its assets are cached.
 *
 * API responses are never cached, except GET /api/v1/categories/… and the user's grids
 * (GET /api/v1/collect/grids/…): network first, the cached copy when offline.
 */

const VERSION = '2026.12.1'; // the shell follows the phone's language; case sheets
const SHELL_CACHE = `cgt-shell-${VERSION}`;
const API_CACHE = 'cgt-api-v1'; // its own version: a new shell must not drop offline categories
const SHELL_PATH = new URL(self.registration.scope).pathname; // "/m/"
const SHELL_URL = new URL(SHELL_PATH, self.location.origin).href;
const CACHED_API = [/^\/api\/v1\/categories\//, /^\/api\/v1\/collect\/grids\//];
const HASHED = /\.[0-9a-f]{12}\.[A-Za-z0-9]+$/; // ManifestStaticFilesStorage names never change content

function assetsIn(html, baseUrl) {
  const found = new Set();
  const block = html.match(/<script[^>]*id=["']cgt-assets["'][^>]*>([\s\S]*?)<\/script>/i);
  if (block) {
    try {
      for (const u of JSON.parse(block[1])) found.add(u);
    } catch (e) { /* fall back to the attributes */ }
  }
  for (const m of html.matchAll(/\s(?:src|href)=["']([^"'#]+)["']/gi)) found.add(m[1].replace(/&amp;/g, '&'));
  const urls = new Set();
  for (const raw of found) {
    const u = new URL(raw, baseUrl);
    if (u.origin !== self.location.origin) continue;
    if (u.pathname.startsWith('/api/') || u.pathname === SHELL_PATH || u.pathname === self.location.pathname) continue;
    urls.add(u.href);
  }
  return [...urls];
}

/** Fetch the shell, cache all its assets, then the shell itself; all or nothing. */
async function refreshShell() {
  const res = await fetch(SHELL_URL, { cache: 'no-cache', credentials: 'same-origin' });
  const type = res.headers.get('content-type') || '';
  // A redirect (e.g. to a login page) is not the shell: keep the one we have.
  if (!res.ok || res.redirected || !type.includes('html')) throw new Error(`shell ${res.status}`);
  const html = await res.clone().text();
  const assets = assetsIn(html, res.url);
  const cache = await caches.open(SHELL_CACHE);
  await Promise.all(assets.map(async (url) => {
    // Hashed names never change content; unhashed ones (DEBUG) are fetched again.
    if (HASHED.test(new URL(url).pathname) && await cache.match(url)) return;
    const r = await fetch(url, { cache: 'no-cache', credentials: 'same-origin' });
    if (!r.ok) throw new Error(`${url} ${r.status}`);
    await cache.put(url, r);
  }));
  await cache.put(SHELL_URL, res);
  const keep = new Set([SHELL_URL, ...assets]);
  for (const req of await cache.keys()) {
    if (!keep.has(req.url)) await cache.delete(req);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(refreshShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('cgt-') && name !== SHELL_CACHE && name !== API_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/* The worker's own few words, before any catalogue is cached: in the phone's language, as
   the shell (Django's LocaleMiddleware reads the same preference), Chinese by default. */
const WORDS = {
  zh: {
    title: '城管通',
    notInstalled: '离线：城管通尚未下载到本机，请联网后打开一次。',
    nothingCached: '离线，且本机没有缓存的数据',
  },
  en: {
    title: 'Chengguantong',
    notInstalled: 'Offline: the app is not on this phone yet. Open it once while online.',
    nothingCached: 'Offline, and nothing is cached on this phone',
  },
};
function words() {
  const langs = (self.navigator && (self.navigator.languages || [self.navigator.language])) || [];
  for (const lang of langs) {
    const l = String(lang || '').toLowerCase();
    if (l.startsWith('zh')) return WORDS.zh;
    if (l.startsWith('en')) return WORDS.en;
  }
  return WORDS.zh;
}

async function offlinePage() {
  const w = words();
  return new Response(
    `<!DOCTYPE html><html lang="${w === WORDS.en ? 'en' : 'zh-hans'}"><meta charset="utf-8">`
    + '<meta name="viewport" content="width=device-width">'
    + `<title>${w.title}</title><p style="font:18px sans-serif;padding:24px">${w.notInstalled}</p>`,
    { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } },
  );
}

async function serveShell(event) {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(SHELL_URL);
  if (hit) {
    event.waitUntil(refreshShell().catch(() => {}));
    return hit;
  }
  try {
    return await fetch(event.request);
  } catch (e) {
    return offlinePage();
  }
}

async function serveAsset(event, url) {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(event.request, { ignoreVary: true });
  if (hit) {
    if (!HASHED.test(url.pathname)) {
      // Unhashed (DEBUG) names can change content: refresh for the next open.
      event.waitUntil(fetch(event.request, { cache: 'no-cache' })
        .then((r) => (r.ok ? cache.put(event.request, r) : undefined)).catch(() => {}));
    }
    return hit;
  }
  const res = await fetch(event.request);
  const ours = ['/collectors_app/', '/vendor/', '/urbanmgmt/ui.js', '/jsi18n/'];
  if (res.ok && res.type === 'basic' && ours.some((part) => url.pathname.includes(part))) {
    event.waitUntil(cache.put(event.request, res.clone()).catch(() => {}));
  }
  return res;
}

async function serveCachedApi(request) {
  const cache = await caches.open(API_CACHE);
  try {
    const res = await fetch(request);
    if (res.ok) await cache.put(request, res.clone());
    return res;
  } catch (e) {
    const hit = await cache.match(request, { ignoreVary: true });
    if (hit) return hit;
    return new Response(JSON.stringify({ detail: words().nothingCached }), {
      status: 503, headers: { 'Content-Type': 'application/json; charset=utf-8' },
    });
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    if (url.pathname === SHELL_PATH) event.respondWith(serveShell(event));
    return;
  }
  if (url.pathname.startsWith('/api/')) {
    if (CACHED_API.some((re) => re.test(url.pathname))) event.respondWith(serveCachedApi(request));
    return; // every other API call goes straight to the network, never cached
  }
  if (url.pathname.startsWith('/media/')) return; // private evidence: never cached
  event.respondWith(serveAsset(event, url));
});
