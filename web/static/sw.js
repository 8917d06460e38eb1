// The delegate tablet's service worker (registered with scope /app/tablet/): reading and annotating work
// without the network.
//
// - Page images with a version (`?v=`) never change: served from the cache first. A page asked for at a
//   width not in the cache, while offline, is served at the nearest width that is.
// - Everything else the tablet reads (the screen, its modules, the agenda, annotations, words) goes to the
//   network first and falls back to the copy kept from the last success.
// - The page tells the worker what it already loaded before the worker took control (`keep`), and which
//   pages to fetch ahead (`prefetch`: the packet's pages, the open document's first), and hears back how
//   far that got.
// Writes (POST, PATCH, DELETE) are never touched: the reader's outbox queues them.
const PAGES = 'cauhop-pages-v1';
const DATA = 'cauhop-data-v1';
const PREFETCH_AT_ONCE = 2;
const PAGE_IMAGE = /^\/api\/documents\/\d+\/pages\/\d+$/;
const KEPT = /^(\/static\/|\/app\/tablet\/\d+$|\/api\/)/;
const NOT_KEPT = /(\/file|\/packet|\/packet\/mine|\.pdf|\.csv)$|^\/api\/(meetings\/\d+\/(events|live)|auth\/(login|logout))/;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function keepable(url, response) {
  const type = response.headers.get('content-type') || '';
  return response.ok && response.type === 'basic' && !type.startsWith('application/pdf') && !NOT_KEPT.test(url.pathname);
}

async function networkFirst(request, url) {
  const cache = await caches.open(DATA);
  try {
    const response = await fetch(request);
    if (keepable(url, response)) await cache.put(request, response.clone());
    return response;
  } catch (err) {
    const kept = await cache.match(request, { ignoreVary: true });
    if (kept) return kept;
    throw err;
  }
}

async function nearestWidth(url) {
  const cache = await caches.open(PAGES);
  const wanted = Number(url.searchParams.get('width')) || 1280;
  let best = null;
  for (const request of await cache.keys()) {
    const other = new URL(request.url);
    if (other.pathname !== url.pathname || other.searchParams.get('v') !== url.searchParams.get('v')) continue;
    const width = Number(other.searchParams.get('width'));
    const score = Math.abs(width - wanted) - (width >= wanted ? 0.5 : 0); // prefer sharper
    if (!best || score < best.score) best = { request, score };
  }
  return best ? cache.match(best.request) : undefined;
}

async function pageImage(request, url) {
  const cache = await caches.open(PAGES);
  const kept = await cache.match(request, { ignoreVary: true });
  if (kept) return kept;
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (err) {
    const nearest = await nearestWidth(url);
    if (nearest) return nearest;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method === 'POST' && url.pathname === '/api/auth/logout') {
    event.waitUntil(Promise.all([caches.delete(PAGES), caches.delete(DATA)])); // nothing stays for the next user
  }
  if (request.method !== 'GET') return;
  if (url.origin !== self.location.origin) return;
  if (PAGE_IMAGE.test(url.pathname) && url.searchParams.has('v')) {
    event.respondWith(pageImage(request, url));
  } else if (KEPT.test(url.pathname)) {
    event.respondWith(networkFirst(request, url));
  }
});

async function fetchInto(cacheName, url) {
  const cache = await caches.open(cacheName);
  if (await cache.match(url, { ignoreVary: true })) return true;
  try {
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) return false;
    await cache.put(url, response);
    return true;
  } catch {
    return false;
  }
}

let prefetching = 0; // a newer prefetch stops the one before

async function prefetch(urls, tag, client) {
  const mine = ++prefetching;
  let done = 0;
  let next = 0;
  const report = () => client && client.postMessage({ type: 'prefetched', tag, done, total: urls.length });
  const worker = async () => {
    while (next < urls.length && mine === prefetching) {
      const url = urls[next++];
      if (await fetchInto(PAGES, url)) done += 1;
      report();
    }
  };
  await Promise.all(Array.from({ length: PREFETCH_AT_ONCE }, worker));
  if (mine !== prefetching) return;
  if (client) client.postMessage({ type: 'prefetched', tag, done, total: urls.length, final: true });
  if (done === urls.length) await dropOtherVersions(urls);
}

// A document's pages of older versions go once the current version's are all kept.
async function dropOtherVersions(urls) {
  const docVersion = (u) => `${u.pathname.split('/pages/')[0]}?${u.searchParams.get('v')}`;
  const current = new Set(urls.map((u) => docVersion(new URL(u, self.location.origin))));
  const cache = await caches.open(PAGES);
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    const [doc] = url.pathname.split('/pages/');
    if ([...current].some((c) => c.startsWith(`${doc}?`)) && !current.has(`${doc}?${url.searchParams.get('v')}`)) {
      await cache.delete(request);
    }
  }
}

// What the screen loaded is kept before any prefetch reports: "saved" then means the screen, its data and
// the pages are all there.
let keeping = Promise.resolve();

self.addEventListener('message', (event) => {
  const msg = event.data || {};
  const urls = (msg.urls || []).filter((u) => typeof u === 'string' && u.startsWith('/'));
  if (msg.type === 'keep') {
    const into = (u) => (PAGE_IMAGE.test(u.split('?')[0]) ? PAGES : DATA);
    const kept = keeping.then(() => Promise.all(urls.map((u) => fetchInto(into(u), u))));
    keeping = kept;
    event.waitUntil(kept);
  } else if (msg.type === 'prefetch') {
    event.waitUntil(keeping.then(() => prefetch(urls, msg.tag, event.source)));
  }
});
