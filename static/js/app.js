/* Hai Depok's progressive enhancements (issue 15). Every page works without this file:
 * - registers the service worker (templates/pwa/sw.js), which keeps the resident's tickets
 *   for use offline, and tells it to forget them when the resident signs out;
 * - turns the share partial's button on where the Web Share API exists (the WhatsApp link
 *   is there for everyone else);
 * - loads Leaflet and draws the facility's map only when the map comes into view;
 * - lists, on the offline page, the booking pages this phone keeps.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var TICKET_CACHE = "hd-tickets";

  function registerServiceWorker() {
    if (!("serviceWorker" in navigator) || !script) return;
    var url = script.getAttribute("data-service-worker");
    if (!url) return;
    navigator.serviceWorker.register(url, { scope: "/" }).catch(function () {
      /* An unsupported or private browser: the site works as before. */
    });
  }

  function forgetTicketsOnSignOut() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("[data-sign-out], form[action$='/akun/logout/']")) return;
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: "signed-out" });
      }
      if (window.caches) window.caches.delete(TICKET_CACHE);
    });
  }

  function shareButtons() {
    if (!navigator.share) return;
    document.querySelectorAll("[data-share-url]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.share({
          title: button.getAttribute("data-share-title") || document.title,
          text: button.getAttribute("data-share-text") || "",
          url: button.getAttribute("data-share-url"),
        }).catch(function () { /* the resident closed the share sheet */ });
      });
    });
  }

  var leafletLoading = null;

  function loadLeaflet(element) {
    if (window.L) return Promise.resolve(window.L);
    if (leafletLoading) return leafletLoading;
    leafletLoading = new Promise(function (resolve, reject) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = element.getAttribute("data-leaflet-css");
      document.head.appendChild(css);
      var js = document.createElement("script");
      js.src = element.getAttribute("data-leaflet-js");
      js.onload = function () { resolve(window.L); };
      js.onerror = reject;
      document.head.appendChild(js);
    });
    return leafletLoading;
  }

  function drawMap(section) {
    var element = section.querySelector("[data-lat]");
    if (!element) return;
    loadLeaflet(element).then(function (L) {
      var lat = parseFloat(element.getAttribute("data-lat"));
      var lng = parseFloat(element.getAttribute("data-lng"));
      L.Icon.Default.imagePath = element.getAttribute("data-leaflet-images");
      element.hidden = false;
      var map = L.map(element, { scrollWheelZoom: false }).setView([lat, lng], 16);
      L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
        maxZoom: 19,
        // The site sends no Referer elsewhere (same-origin); OpenStreetMap's tile policy asks
        // for one, and the origin says no more than which site shows the map.
        referrerPolicy: "strict-origin-when-cross-origin",
        attribution: element.getAttribute("data-attribution"),
      }).addTo(map);
      L.marker([lat, lng], { title: element.getAttribute("data-name") || "" }).addTo(map);
      element.setAttribute("data-map-ready", "true");
    }).catch(function () { /* no Leaflet: the address and the links stay */ });
  }

  function lazyMaps() {
    var maps = document.querySelectorAll("[data-map]");
    if (!maps.length) return;
    if (!("IntersectionObserver" in window)) {
      maps.forEach(drawMap);
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        drawMap(entry.target);
      });
    }, { rootMargin: "200px" });
    maps.forEach(function (section) { observer.observe(section); });
  }

  function keptTickets() {
    var list = document.querySelector("[data-kept-tickets]");
    if (!list || !window.caches) return;
    window.caches.open(TICKET_CACHE).then(function (cache) {
      return cache.keys();
    }).then(function (requests) {
      requests.forEach(function (request) {
        var path = new URL(request.url).pathname;
        var reference = path.split("/").filter(Boolean).pop();
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = path;
        link.textContent = reference;
        item.appendChild(link);
        list.appendChild(item);
      });
      if (requests.length) list.closest("[data-kept-tickets-section]").hidden = false;
    });
  }

  registerServiceWorker();
  forgetTicketsOnSignOut();
  shareButtons();
  lazyMaps();
  keptTickets();
})();
