{% autoescape off %}/* Hai Depok's service worker (haidepok/pwa.py serves it from the site's root).
 *
 * - The shell (CSS, scripts, icons, the offline page) is kept on install, in a cache named
 *   after a digest of those files: a release that changes them replaces it.
 * - Pages: network first. The resident's own booking pages (/booking-saya/<ref>/) are kept
 *   each time one opens, so the ticket with its QR code opens at the venue without signal;
 *   any other page the network cannot fetch gets the offline page.
 * - Never kept: anything but a GET, the admin, the workspace, the accounts, the API, and a
 *   booking page that did not answer 200 itself (another person's answers 404; signed out,
 *   it redirects to the sign-in page).
 * - Signing in or out drops the kept booking pages: the next person on this phone sees none.
 */
"use strict";

const VERSION = {{ version_json }};
const SHELL_CACHE = "hd-shell-" + VERSION;
const TICKET_CACHE = "hd-tickets";
const SHELL = {{ shell_json }};
const OFFLINE_URL = {{ offline_json }};
const PRIVATE_PREFIXES = {{ private_json }};
const SIGN_IN_OUT = {{ sign_in_out_json }};
const STATIC_PREFIX = {{ static_prefix_json }};
const TICKET_PATH = /^\/booking-saya\/[^/]+\/$/;
const TICKET_QR_PATH = /^\/booking-saya\/[^/]+\/qr\.svg$/;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(SHELL);
    // Without cookies: the offline page is the same for everyone and names no one.
    const offline = await fetch(OFFLINE_URL, { credentials: "omit" });
    if (offline.ok) await cache.put(OFFLINE_URL, offline);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("hd-shell-") && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "signed-out") {
    event.waitUntil(caches.delete(TICKET_CACHE));
  }
});

function ticketKey(url) {
  // One copy per booking, whatever the query string (?bayar=..., tracking).
  return url.origin + url.pathname;
}

async function networkFirstTicket(request, url) {
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && response.type === "basic") {
      const cache = await caches.open(TICKET_CACHE);
      await cache.put(ticketKey(url), response.clone());
    }
    return response;
  } catch (error) {
    const kept = await caches.match(ticketKey(url), { cacheName: TICKET_CACHE });
    if (kept) return kept;
    return request.mode === "navigate" ? offlinePage() : Response.error();
  }
}

async function offlinePage() {
  const page = await caches.match(OFFLINE_URL, { cacheName: SHELL_CACHE });
  return page || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
}

async function staticFile(request) {
  const kept = await caches.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(SHELL_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // map tiles and the like: the browser's
  if (request.method !== "GET") {
    if (SIGN_IN_OUT.includes(url.pathname)) {
      // The form goes to the network as usual; the kept tickets go meanwhile.
      event.waitUntil(caches.delete(TICKET_CACHE));
    }
    return;
  }
  if (PRIVATE_PREFIXES.some((prefix) => url.pathname.startsWith(prefix))) return;
  if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(staticFile(request));
    return;
  }
  if (TICKET_QR_PATH.test(url.pathname)) {
    event.respondWith(networkFirstTicket(request, url));
    return;
  }
  if (request.mode !== "navigate") return;
  if (TICKET_PATH.test(url.pathname)) {
    event.respondWith(networkFirstTicket(request, url));
    return;
  }
  event.respondWith(fetch(request).catch(offlinePage));
});
{% endautoescape %}
