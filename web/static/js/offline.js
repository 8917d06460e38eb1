// Offline reading for the tablet: registers the service worker (/sw.js, scope /app/tablet/), waits until it
// controls the screen (from then on every read goes through it and is kept), hands it what the screen
// loaded before that, and asks it to fetch the packet's pages ahead.
const listeners = new Map(); // tag → fn({done, total})
let registration = null;

function sameOrigin(name) {
  const url = new URL(name, location.href);
  return url.origin === location.origin ? url.pathname + url.search : null;
}

export async function startOffline() {
  if (!('serviceWorker' in navigator)) return false;
  navigator.serviceWorker.addEventListener('message', (event) => {
    const msg = event.data || {};
    const fn = msg.type === 'prefetched' && listeners.get(msg.tag);
    if (fn) fn(msg);
  });
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/app/tablet/' });
    registration = await navigator.serviceWorker.ready;
  } catch {
    return false; // no worker (private mode, old browser): the tablet still works online
  }
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
  }
  const loaded = performance.getEntriesByType('resource').map((e) => sameOrigin(e.name));
  post({ type: 'keep', urls: [location.pathname, ...loaded.filter(Boolean)] });
  return true;
}

function post(msg) {
  if (registration && registration.active) registration.active.postMessage(msg);
}

// Fetch these URLs into the worker's page cache; `progress({done, total})` hears how far it got.
export function prefetch(tag, urls, progress) {
  if (!registration) return false;
  listeners.clear();
  listeners.set(tag, progress);
  post({ type: 'prefetch', tag, urls });
  return true;
}
