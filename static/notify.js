// Apartado: browser notifications of new mail, turned on and off in this
// browser from the settings page's Notifications section. "Turn on" asks
// for permission, subscribes with the service worker's push manager
// (sw.js shows the pushes) using the server's public key, and gives the
// subscription to the server; "Turn off" undoes both. The server sends
// the pushes (the push package). Without this file the section lists the
// devices and the accounts' choices, which work as plain forms.
(function () {
  "use strict";

  var section = document.querySelector("[data-push-key]");
  if (!section) {
    return;
  }
  var status = section.querySelector("[data-testid=push-status]");
  var onButton = section.querySelector("[data-testid=push-on]");
  var offButton = section.querySelector("[data-testid=push-off]");
  var key = section.getAttribute("data-push-key");

  var say = function (what, detail) {
    status.textContent = detail || section.getAttribute("data-text-" + what);
    status.hidden = false;
  };
  var show = function (on) {
    onButton.hidden = on;
    offButton.hidden = !on;
    onButton.disabled = offButton.disabled = false;
  };

  if (!("serviceWorker" in navigator) || !window.isSecureContext || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
    return;
  }

  // The key as applicationServerKey takes it: the bytes of its base64url.
  var keyBytes = function (b64) {
    var s = (b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(s);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out;
  };
  var sameKey = function (buf) {
    if (!buf) {
      return true;
    }
    var a = new Uint8Array(buf);
    var b = keyBytes(key);
    if (a.length !== b.length) {
      return false;
    }
    for (var i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) {
        return false;
      }
    }
    return true;
  };

  var registration = function () {
    return navigator.serviceWorker.register("/sw.js").then(function () {
      return navigator.serviceWorker.ready;
    });
  };

  var post = function (url, fields) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new URLSearchParams(fields),
    }).then(function (res) {
      return res.json().then(
        function (answer) {
          return { status: res.status, answer: answer };
        },
        function () {
          return { status: res.status, answer: {} };
        }
      );
    });
  };

  // Is endpoint one the server lists among the user's devices?
  var known = function (endpoint) {
    var found = false;
    section.querySelectorAll("[data-testid=push-device]").forEach(function (li) {
      found = found || li.getAttribute("data-endpoint") === endpoint;
    });
    return found;
  };

  var turnOn = function () {
    onButton.disabled = true;
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== "granted") {
          say("denied");
          show(false);
          return null;
        }
        return registration()
          .then(function (reg) {
            return reg.pushManager.getSubscription().then(function (sub) {
              // One made with another key (the server's changed) cannot be
              // used: replace it.
              if (sub && !sameKey(sub.options && sub.options.applicationServerKey)) {
                return sub.unsubscribe().then(function () {
                  return null;
                });
              }
              return sub;
            }).then(function (sub) {
              return sub || reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
            });
          })
          .then(function (sub) {
            var j = sub.toJSON();
            return post(section.getAttribute("data-push-subscribe"), {
              endpoint: j.endpoint,
              p256dh: (j.keys && j.keys.p256dh) || "",
              auth: (j.keys && j.keys.auth) || "",
            });
          })
          .then(function (r) {
            if (r.status !== 200) {
              var e = new Error("HTTP " + r.status);
              e.said = r.answer.error; // in the reader's language
              throw e;
            }
            // Drawn again, the page lists this device.
            window.location.reload();
          });
      })
      .catch(function (err) {
        say("failed", err && err.said ? section.getAttribute("data-text-failed") + " " + err.said : "");
        show(false);
      });
  };

  var turnOff = function () {
    offButton.disabled = true;
    registration()
      .then(function (reg) {
        return reg.pushManager.getSubscription();
      })
      .then(function (sub) {
        if (!sub) {
          return null;
        }
        var endpoint = sub.endpoint;
        return sub.unsubscribe().then(function () {
          return post(section.getAttribute("data-push-unsubscribe"), { endpoint: endpoint });
        });
      })
      .then(function () {
        window.location.reload();
      })
      .catch(function () {
        say("failed");
        show(true);
      });
  };

  onButton.addEventListener("click", turnOn);
  offButton.addEventListener("click", turnOff);

  if (Notification.permission === "denied") {
    say("denied");
    return;
  }
  registration()
    .then(function (reg) {
      return reg.pushManager.getSubscription();
    })
    .then(function (sub) {
      var on = !!sub && Notification.permission === "granted" && known(sub.endpoint);
      say(on ? "on" : "off");
      show(on);
    })
    .catch(function () {
      say("off");
      show(false);
    });
})();
