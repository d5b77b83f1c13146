// Apartado's service worker. It makes the web app installable and, when
// the network is gone, shows the offline page instead of the browser's
// error. Pages are never cached: they hold the user's mail, and a signed-out
// browser must not keep it. The assets (versioned URLs, which never change)
// are served from the cache once fetched. The server fills in SHELL and
// VERSION (static.Assets.ServiceWorker): a new release brings a new
// VERSION, whose cache replaces the old one. The offline page has a cache
// of its own, which the pages refresh when their language changes
// (app.js), so that it speaks the user's language.
"use strict";

var VERSION = "__VERSION__";
var SHELL = __SHELL__;
var CACHE = "apartado-" + VERSION;
var OFFLINE = SHELL[0];
var OFFLINE_CACHE = "apartado-offline";

self.addEventListener("install", function (event) {
  event.waitUntil(
    Promise.all([
      caches.open(CACHE).then(function (cache) {
        return cache.addAll(SHELL.slice(1));
      }),
      caches.open(OFFLINE_CACHE).then(function (cache) {
        return cache.add(OFFLINE);
      }),
    ]).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(
        keys
          .filter(function (k) {
            return k.indexOf("apartado-") === 0 && k !== CACHE && k !== OFFLINE_CACHE;
          })
          .map(function (k) {
            return caches.delete(k);
          })
      );
    })
  );
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") {
    return;
  }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (req.mode === "navigate") {
    event.respondWith(
      fetch(req).catch(function () {
        return caches.match(OFFLINE);
      })
    );
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(
      caches.match(req).then(function (hit) {
        return hit || fetch(req);
      })
    );
  }
});

var ICON = SHELL[4];

// setBadge shows n on the installed app's icon, where the browser can.
function setBadge(n) {
  if (!self.navigator || !self.navigator.setAppBadge) {
    return Promise.resolve();
  }
  var p = n > 0 ? self.navigator.setAppBadge(n) : self.navigator.clearAppBadge();
  return p.catch(function () {});
}

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (err) {
    data = {};
  }
  var title = data.title || "Apartado";
  var url = typeof data.url === "string" && data.url.charAt(0) === "/" && data.url.charAt(1) !== "/" ? data.url : "/mail";
  event.waitUntil(
    Promise.all([
      self.registration.showNotification(title, {
        body: data.body || "",
        tag: "apartado-account-" + (data.account_id || 0),
        renotify: true,
        icon: ICON,
        data: { url: url },
      }),
      setBadge(data.unread || 0),
    ])
  );
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL((event.notification.data && event.notification.data.url) || "/mail", self.location.origin);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
      var open = null;
      list.forEach(function (c) {
        var u = new URL(c.url);
        if (u.origin !== self.location.origin) {
          return;
        }
        // The account's inbox itself if it is open, else any window.
        if (!open || u.pathname + u.search === url.pathname + url.search) {
          open = c;
        }
      });
      if (open && "focus" in open) {
        return open.focus();
      }
      return self.clients.openWindow(url.href);
    })
  );
});
