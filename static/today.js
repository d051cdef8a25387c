/* The today view refreshes itself: once a minute it fetches the page again and replaces the
   content of #today-live. The page shows when it was updated, a button pauses and resumes the
   updates, and a polite status announces only changes in the counts (not every minute).
   Without JavaScript the page has a Refresh link. No inline script: the page's CSP stays strict. */
(function () {
  "use strict";

  var INTERVAL = 60 * 1000;
  var region = document.getElementById("today-live");
  var button = document.getElementById("today-pause");
  var status = document.getElementById("today-status");
  var note = document.getElementById("today-auto");
  if (!region || !button || !status || !window.fetch || !window.DOMParser) {
    return;
  }

  var paused = false;
  var timer = null;
  var due = false; // a refresh came due while the tab was hidden

  function schedule() {
    window.clearTimeout(timer);
    if (!paused) {
      timer = window.setTimeout(refresh, INTERVAL);
    }
  }

  function say(message) {
    // Emptied first, so the same words said twice are announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  function replace(fresh) {
    var before = region.getAttribute("data-counts");
    var active = document.activeElement;
    var focusedId = active && region.contains(active) && active.id ? active.id : null;
    var opened = Array.prototype.map.call(region.querySelectorAll("details[open][id]"), function (el) {
      return el.id;
    });
    var nodes = Array.prototype.map.call(fresh.childNodes, function (node) {
      return document.importNode(node, true);
    });
    region.replaceChildren.apply(region, nodes);
    region.setAttribute("data-counts", fresh.getAttribute("data-counts"));
    region.setAttribute("data-summary", fresh.getAttribute("data-summary"));
    opened.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) {
        details.open = true;
      }
    });
    if (focusedId && document.getElementById(focusedId)) {
      document.getElementById(focusedId).focus();
    }
    if (before !== fresh.getAttribute("data-counts")) {
      say(fresh.getAttribute("data-summary"));
    }
  }

  function refresh() {
    if (paused) {
      return;
    }
    if (document.hidden) {
      due = true;
      return;
    }
    due = false;
    window.fetch(window.location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      cache: "no-store"
    }).then(function (response) {
      // A redirect means the session has ended (the login page): not the page to show.
      if (!response.ok || response.redirected) {
        throw new Error("HTTP " + response.status);
      }
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("today-live");
      if (!fresh) {
        throw new Error("no #today-live in the page");
      }
      replace(fresh);
    }).catch(function () {
      say(button.getAttribute("data-error"));
    }).then(schedule);
  }

  button.addEventListener("click", function () {
    paused = !paused;
    button.textContent = button.getAttribute(paused ? "data-resume" : "data-pause");
    say(button.getAttribute(paused ? "data-paused" : "data-resumed"));
    if (paused) {
      window.clearTimeout(timer);
    } else {
      refresh();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && due) {
      refresh();
    }
  });

  button.hidden = false;
  if (note) {
    note.hidden = false;
  }
  schedule();
})();
