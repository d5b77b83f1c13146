// Apartado: a message list that keeps itself up to date. Every 20 seconds
// while the tab is shown (every 3 for a minute after "Check mail"), ask
// the server what changed since the page was drawn (handlers/live.go says
// why this polls rather than streams): the unread counts of the sidebar,
// the navigation and the tab's title follow, and on a list's first page a
// bar offers the messages that arrived. The list itself is left as it is,
// so nothing selected or scrolled to moves while the person is choosing;
// "Show" loads the page again with the new mail. Everything works without
// this file: the page is as it was drawn, and a reload shows new mail.
(function () {
  "use strict";

  var bar = document.querySelector("[data-live-url]");
  if (!bar || !window.fetch) {
    return;
  }
  var url = bar.getAttribute("data-live-url");
  var since = bar.getAttribute("data-live-since");
  var title = bar.getAttribute("data-live-title");
  var first = bar.hasAttribute("data-live-first");
  var text = bar.querySelector("[data-testid=live-text]");
  var every = 20000;
  var soonEvery = 3000;
  var soonUntil = bar.hasAttribute("data-live-soon") ? Date.now() + 60000 : 0;
  // The installed app's badge counts the unread mail (the navigation's
  // Inbox), where the browser has one; sw.js sets it too, on a push.
  var badge = function (n) {
    if (!navigator.setAppBadge) {
      return;
    }
    (n > 0 ? navigator.setAppBadge(n) : navigator.clearAppBadge()).catch(function () {});
  };
  badge(Number(bar.getAttribute("data-live-badge")) || 0);
  var timer = null;
  var busy = false;
  var failures = 0;
  var stopped = false;

  // setCount shows c (a count as the server writes it) in link, as the
  // page draws it: a span.count after the name, none for 0.
  var setCount = function (link, c, testid) {
    if (!link || !c) {
      return;
    }
    var span = link.querySelector(".count");
    if (!c.n) {
      if (span) {
        span.parentNode.removeChild(span);
      }
      return;
    }
    if (!span) {
      span = document.createElement("span");
      span.className = "count";
      if (testid) {
        span.setAttribute("data-testid", testid);
      }
      link.appendChild(span);
    }
    if (span.textContent !== c.text) {
      span.textContent = c.text;
    }
    span.setAttribute("aria-label", c.label);
  };

  var apply = function (s) {
    var t = s.unread > 0 ? "(" + s.unread_text + ") " + title : title;
    if (document.title !== t) {
      document.title = t;
    }
    setCount(document.querySelector("[data-testid=nav-inbox]"), s.inbox);
    badge(s.inbox ? s.inbox.n : 0);
    (s.accounts || []).forEach(function (c) {
      setCount(document.querySelector('[data-testid=nav-account][data-account-id="' + c.id + '"]'), c);
    });
    (s.mailboxes || []).forEach(function (c) {
      setCount(document.querySelector('#sidebar [data-mailbox-id="' + c.id + '"]'), c, "box-unread");
    });
    if (first && s["new"] > 0) {
      if (text.textContent !== s.new_text) {
        text.textContent = s.new_text;
      }
      bar.hidden = false;
    }
  };

  var schedule = function () {
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (stopped || document.hidden) {
      return; // asked again when the tab is shown
    }
    var wait = Date.now() < soonUntil ? soonEvery : every;
    // After failures, wait longer each time, up to five minutes.
    wait = Math.min(wait * Math.pow(2, failures), 300000);
    timer = window.setTimeout(poll, wait);
  };

  var poll = function () {
    timer = null;
    if (busy || stopped) {
      return;
    }
    busy = true;
    fetch(url + "&since=" + encodeURIComponent(since), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) {
        if (res.redirected || res.status === 404) {
          stopped = true; // signed out, or the list is gone: a reload will say
        }
        if (!res.ok || res.redirected) {
          throw new Error("HTTP " + res.status);
        }
        return res.json();
      })
      .then(function (s) {
        failures = 0;
        apply(s);
      })
      .catch(function () {
        failures++;
      })
      .then(function () {
        busy = false;
        schedule();
      });
  };

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      schedule(); // clears the timer
    } else {
      poll();
    }
  });
  // Back to the page from the browser's history: it may be old.
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted) {
      poll();
    }
  });
  schedule();
})();
