// The facility page's day picker, enhanced: choosing a day (or earlier/later days) swaps the
// picker in place with the same page's picker for that day, fetched as the no-JS link would
// load it, and keeps the URL in the history. Without this script the links simply load the page.
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser || !window.history.pushState) return;

  function picker() { return document.querySelector("[data-picker]"); }

  function show(url, push, focusDay) {
    var current = picker();
    if (!current) return;
    current.setAttribute("aria-busy", "true");
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "picker" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-picker]");
        if (!fresh) throw new Error("no picker");
        current.replaceWith(fresh);
        if (push) window.history.pushState({ picker: true }, "", url);
        if (focusDay) {
          var chosen = fresh.querySelector('.pick-day[aria-current="date"]');
          if (chosen) chosen.focus({ preventScroll: true });
        }
        var chosenDay = fresh.querySelector('.pick-day[aria-current="date"]');
        if (chosenDay && chosenDay.scrollIntoView) chosenDay.scrollIntoView({ block: "nearest", inline: "nearest" });
      })
      .catch(function () { window.location.assign(url); });  // the plain link, as without JS
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-picker] .pick-day, [data-picker] .pick-page, [data-picker] .pick-none a");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || event.button !== 0) return;
    event.preventDefault();
    var url = new URL(link.href, window.location.href);
    url.hash = "";
    show(url.toString(), true, true);
  });

  window.addEventListener("popstate", function () {
    show(window.location.href, false, false);
  });
})();
