// Apartado: small enhancements. Everything works without this file.
(function () {
  "use strict";

  // Message lists: "Select all", and how many are ticked, said in the bar
  // of actions (CSS shows the bar once something is ticked).
  document.querySelectorAll("[data-select-all]").forEach(function (label) {
    var form = label.closest("form");
    var all = label.querySelector("input[type=checkbox]");
    if (!form || !all) {
      return;
    }
    var count = form.querySelector("[data-selected-text]");
    var picks = function () {
      return form.querySelectorAll("input[type=checkbox][name=ids]");
    };
    var say = function () {
      if (!count) {
        return;
      }
      var checked = form.querySelectorAll("input[type=checkbox][name=ids]:checked").length;
      var text = checked > 0 ? count.getAttribute("data-selected-text").replace("%s", String(checked)) : "";
      if (count.textContent !== text) {
        count.textContent = text;
      }
    };
    label.hidden = false;
    all.addEventListener("change", function () {
      picks().forEach(function (box) {
        box.checked = all.checked;
      });
      say();
    });
    form.addEventListener("change", function (ev) {
      if (ev.target === all) {
        return;
      }
      var boxes = picks();
      var checked = 0;
      boxes.forEach(function (box) {
        if (box.checked) {
          checked++;
        }
      });
      all.checked = checked > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
      say();
    });
    // A page brought back from the history keeps its ticks.
    window.addEventListener("pageshow", say);
    say();
  });

  // The drawers of a narrow screen (the navigation, the mailboxes): without
  // JavaScript a checkbox holds whether each is open and its label is the
  // button, through CSS alone. Here the label becomes a real button that
  // says whether its drawer is open; opening one moves the focus into it,
  // and Escape, a click or a tap outside it, or the focus leaving it closes
  // it (Escape and the click giving the focus back to the button). Where
  // the button is not shown (a wide screen) the drawer is not one, and none
  // of this applies.
  var drawers = [];
  document.querySelectorAll("label[data-disclosure]").forEach(function (label) {
    var box = document.getElementById(label.htmlFor);
    var panel = document.getElementById(label.getAttribute("data-disclosure"));
    if (!box || !panel) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = label.className;
    if (label.title) {
      button.title = label.title;
    }
    button.setAttribute("data-testid", label.getAttribute("data-testid"));
    button.setAttribute("aria-controls", panel.id);
    button.setAttribute("aria-expanded", box.checked ? "true" : "false");
    while (label.firstChild) {
      button.appendChild(label.firstChild);
    }
    label.parentNode.replaceChild(button, label);
    box.hidden = true;
    drawers.push({ box: box, button: button, panel: panel });
  });
  var isOpen = function (d) {
    return d.box.checked && d.button.getClientRects().length > 0;
  };
  var setOpen = function (d, open, focusButton) {
    d.box.checked = open;
    d.button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      drawers.forEach(function (other) {
        if (other !== d && other.box.checked) {
          setOpen(other, false, false);
        }
      });
      var first = d.panel.querySelector("a[href], button:not([disabled]), input:not([type=hidden]), select");
      if (first) {
        first.focus();
      }
    } else if (focusButton) {
      d.button.focus();
    }
  };
  drawers.forEach(function (d) {
    d.button.addEventListener("click", function () {
      setOpen(d, !d.box.checked, true);
    });
  });
  var inside = function (d, el) {
    return d.panel.contains(el) || d.button.contains(el);
  };
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") {
      return;
    }
    drawers.forEach(function (d) {
      if (isOpen(d)) {
        ev.preventDefault();
        setOpen(d, false, true);
      }
    });
  });
  // A tap outside an open drawer closes it and does nothing else: the
  // press neither moves the focus nor leads to the click that follows it.
  var swallow = false;
  document.addEventListener(
    "mousedown",
    function (ev) {
      drawers.forEach(function (d) {
        if (isOpen(d) && !inside(d, ev.target)) {
          ev.preventDefault();
          swallow = true;
          window.setTimeout(function () {
            swallow = false;
          }, 1000);
          setOpen(d, false, false);
        }
      });
    },
    true
  );
  document.addEventListener(
    "click",
    function (ev) {
      if (swallow) {
        swallow = false;
        ev.preventDefault();
        ev.stopPropagation();
      }
    },
    true
  );
  window.addEventListener("pageshow", function () {
    drawers.forEach(function (d) {
      d.button.setAttribute("aria-expanded", d.box.checked ? "true" : "false");
    });
  });
  document.addEventListener("focusin", function (ev) {
    drawers.forEach(function (d) {
      if (isOpen(d) && !inside(d, ev.target)) {
        setOpen(d, false, false);
      }
    });
  });

  // Ask before destructive actions; the button's data-confirm is the question.
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      ev.preventDefault();
    }
  });

  // Account form: choosing a security setting switches the port between
  // the usual ones, unless the user typed another; the same for the
  // outgoing server's.
  [["security", "port", ["995", "110"]], ["smtp_security", "smtp_port", ["465", "587"]]].forEach(function (pair) {
    var port = document.getElementById(pair[1]);
    if (!port) {
      return;
    }
    document.querySelectorAll("input[name=" + pair[0] + "][data-port]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked && (port.value === "" || pair[2].indexOf(port.value) >= 0)) {
          port.value = radio.getAttribute("data-port");
        }
      });
    });
  });

  // HTML mail: each frame as tall as what it shows, so that the page
  // scrolls rather than a box inside it, and a short message leaves no
  // void. The frame's document runs no script (its sandbox and policy
  // allow none) but is on this page's origin, which lets this script
  // measure it: once it has loaded, again when one of its images loads or
  // fails, when the window's width changes and when a folded message of a
  // conversation opens. Without this script the frame keeps the style
  // sheet's height and scrolls inside.
  var fitFrame = function (frame) {
    var doc = null;
    try {
      doc = frame.contentDocument;
    } catch (err) {
      return;
    }
    if (!doc || !doc.body || doc.URL === "about:blank" || !frame.offsetWidth) {
      return;
    }
    var root = doc.documentElement;
    frame.style.minHeight = "0";
    // A scroll bar that came or went with the last height changes the
    // width, and so the height: a few rounds settle it.
    for (var round = 0; round < 3; round++) {
      var before = frame.style.height;
      // The frame's borders, and a horizontal scroll bar inside it (a
      // table wider than a phone), come on top of the content's height.
      var extra = frame.offsetHeight - frame.clientHeight + Math.max(0, (doc.defaultView ? doc.defaultView.innerHeight : 0) - root.clientHeight);
      // The document's box is the content's height, unless the message's
      // style makes it as tall as the frame; then what overflows counts.
      var h = Math.ceil(root.getBoundingClientRect().height);
      if (root.scrollHeight > root.clientHeight) {
        h = Math.max(h, root.scrollHeight);
      }
      frame.style.height = Math.max(h, 24) + extra + "px";
      // Floats and positioned boxes can reach below the document's box.
      if (root.scrollHeight > root.clientHeight) {
        frame.style.height = root.scrollHeight + extra + "px";
      }
      if (frame.style.height === before) {
        break;
      }
    }
  };
  var bodyFrames = document.querySelectorAll("iframe.body-frame");
  var fitPending = false;
  var fitAll = function () {
    if (fitPending) {
      return;
    }
    fitPending = true;
    window.requestAnimationFrame(function () {
      fitPending = false;
      bodyFrames.forEach(fitFrame);
    });
  };
  var watchFrame = function (frame) {
    var doc = null;
    try {
      doc = frame.contentDocument;
    } catch (err) {
      return;
    }
    if (!doc || doc.URL === "about:blank" || doc.apartadoWatched) {
      return;
    }
    doc.apartadoWatched = true;
    // Images' load and error events reach the document in the capture
    // phase.
    doc.addEventListener("load", fitAll, true);
    doc.addEventListener("error", fitAll, true);
    fitAll();
  };
  bodyFrames.forEach(function (frame) {
    frame.addEventListener("load", function () {
      watchFrame(frame);
    });
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") {
      watchFrame(frame);
    }
  });
  if (bodyFrames.length > 0) {
    var lastWidth = window.innerWidth;
    window.addEventListener("resize", function () {
      if (window.innerWidth !== lastWidth) {
        lastWidth = window.innerWidth;
        fitAll();
      }
    });
    document.addEventListener("toggle", fitAll, true);
  }

  // Account form: a security choice's warning ("Not encrypted") shows
  // while that choice is the one chosen (the style sheet does the same
  // where the browser knows :has).
  ["security", "smtp_security"].forEach(function (name) {
    var radios = document.querySelectorAll("input[type=radio][name=" + name + "]");
    var show = function () {
      radios.forEach(function (radio) {
        var warning = radio.hasAttribute("data-warning") && document.getElementById(radio.getAttribute("data-warning"));
        if (warning) {
          warning.hidden = !radio.checked;
        }
      });
    };
    radios.forEach(function (radio) {
      radio.addEventListener("change", show);
    });
  });

  // The installable app: the service worker shows the offline page when
  // the network is gone (it keeps no mail). The page it shows is kept in a
  // cache of its own, fetched again here when this page's language is not
  // the one it was kept in (signing in, a new preference), so that it
  // speaks the user's language.
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
    var lang = document.documentElement.lang || "";
    try {
      if (navigator.serviceWorker.controller && window.caches && localStorage.getItem("apartado-offline-lang") !== lang) {
        caches
          .open("apartado-offline")
          .then(function (cache) {
            return cache.add("/offline");
          })
          .then(function () {
            localStorage.setItem("apartado-offline-lang", lang);
          })
          .catch(function () {});
      }
    } catch (err) {
      // no storage (a private window): the page stays as it was kept
    }
  }

  // The sign-in and set-up forms send the browser's time zone: a user who
  // has none of their own gets it (the server's is seldom the family's).
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    try {
      input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (err) {
      input.value = "";
    }
  });

  // Sync progress: while a check runs (or is about to), ask the server how
  // it is going and move the bar. When it ends, reload to show the result,
  // unless something has been typed on the page; then say so instead.
  var typed = false;
  document.addEventListener("input", function () {
    typed = true;
  });
  document.querySelectorAll("[data-progress-url]").forEach(function (box) {
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-testid=sync-progress-text]");
    var failures = 0;
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (res) {
          if (!res.ok) {
            throw new Error("HTTP " + res.status);
          }
          return res.json();
        })
        .then(function (p) {
          failures = 0;
          if (!p.running && !p.queued) {
            if (!typed) {
              window.location.reload();
              return;
            }
            text.textContent = box.getAttribute("data-done-text");
            bar.hidden = true;
            return;
          }
          if (p.max > 0) {
            bar.max = p.max;
            bar.value = p.value;
          } else {
            bar.removeAttribute("value");
          }
          text.textContent = p.text;
          window.setTimeout(poll, p.running ? 1000 : 2000);
        })
        .catch(function () {
          failures++;
          if (failures < 10) {
            window.setTimeout(poll, 3000);
          }
        });
    };
    window.setTimeout(poll, 1000);
  });

  // Composer: the attachments' limit is the From account's outgoing
  // server's; each account's sentence is on its option. The server checks
  // the limit whatever this shows.
  document.querySelectorAll("[data-follows]").forEach(function (hint) {
    var select = document.getElementById(hint.getAttribute("data-follows"));
    if (!select) {
      return;
    }
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (option && option.getAttribute("data-attachments-hint")) {
        hint.textContent = option.getAttribute("data-attachments-hint");
      }
    });
  });

  // Composer: save the draft's text a few seconds after typing stops, so
  // that closing the page loses nothing. The files already saved stay with
  // the draft; those chosen but not yet sent go by name only, to be asked
  // for again. The "Save draft" button saves everything, files included,
  // without JavaScript. Every save carries the message's compose key: a
  // message already in the outbox (sent from here or from another tab)
  // answers 409, and from then on nothing is saved: it is not an error.
  var draft = document.querySelector("input[data-autosave]");
  if (draft && draft.form) {
    var form = draft.form;
    var status = form.querySelector("[data-testid=draft-status]");
    var timer = null;
    var sent = false;
    var save = function () {
      timer = null;
      if (sent || form.hasAttribute("data-uploading")) {
        return; // in the outbox already, or the form itself is on its way
      }
      var data = new FormData(form);
      data.delete("attachments");
      var files = form.querySelector("input[type=file]");
      if (files) {
        Array.prototype.forEach.call(files.files, function (f) {
          data.append("attachments", new Blob([]), f.name);
        });
      }
      fetch(draft.getAttribute("data-autosave"), { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 409) {
            return null;
          }
          if (!r.ok) {
            throw new Error(r.status);
          }
          return r.json();
        })
        .then(function (j) {
          if (j === null) {
            sent = true;
            if (timer) {
              window.clearTimeout(timer);
              timer = null;
            }
            if (status) {
              status.textContent = status.getAttribute("data-sent-text");
            }
            return;
          }
          draft.value = String(j.id);
          if (status) {
            status.textContent = status.getAttribute("data-saved-text");
          }
        })
        .catch(function () {
          if (status) {
            status.textContent = status.getAttribute("data-failed-text");
          }
        });
    };
    form.addEventListener("input", function () {
      if (sent) {
        return;
      }
      if (timer) {
        window.clearTimeout(timer);
      }
      timer = window.setTimeout(save, 2000);
    });
    // What is sent now is the latest; a save after it would leave a draft
    // of a message already in the outbox.
    form.addEventListener("submit", function () {
      if (timer) {
        window.clearTimeout(timer);
        timer = null;
      }
    });
  }

  // Composer: when files go with the message, post the form with
  // XMLHttpRequest to show how far the upload is, then follow the answer as
  // the browser would have: a redirect leads to its page, anything else (the
  // form again with its errors, an error page) replaces this page, scripts
  // and all. The form's data is read when it is sent, after the form's own
  // submit listeners (this one listens on the document), so fields other
  // scripts keep up to date go with it; the button pressed goes too ("Save
  // draft"). The plain post is stopped only once the request has started:
  // if anything fails before, the form posts the plain way. While the
  // request runs the buttons are disabled, so nothing is sent twice; a lost
  // connection says so and gives them back, the form as it was.
  var upload = document.querySelector("[data-upload-progress]");
  var upForm = upload && upload.closest("form");
  if (upForm && window.XMLHttpRequest && window.FormData) {
    var upBar = upload.querySelector("progress");
    var upText = upload.querySelector("[data-testid=upload-progress-text]");
    var say = function (text) {
      if (upText.textContent !== text) {
        upText.textContent = text;
      }
    };
    // size is i18n's Locale.Size: SI units, one decimal under ten.
    var size = function (n) {
      var units = ["B", "KB", "MB", "GB", "TB"];
      var v = n;
      var i = 0;
      while (v >= 1000 && i < units.length - 1) {
        v /= 1000;
        i++;
      }
      var s = String(n);
      if (i > 0 && v < 10) {
        s = v.toLocaleString(document.documentElement.lang || undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
      } else if (i > 0) {
        s = String(Math.round(v));
      }
      return s + "\u00a0" + units[i];
    };
    var progress = function (done, total) {
      return upload.getAttribute("data-uploading-text").replace("%[1]s", size(done)).replace("%[2]s", size(total));
    };
    var busy = function (on) {
      upForm.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.disabled = on;
      });
      if (on) {
        upForm.setAttribute("data-uploading", "");
      } else {
        upForm.removeAttribute("data-uploading");
      }
    };
    document.addEventListener("submit", function (ev) {
      if (ev.target !== upForm || ev.defaultPrevented) {
        return;
      }
      if (upForm.hasAttribute("data-uploading")) {
        ev.preventDefault(); // already on its way
        return;
      }
      var files = upForm.querySelector("input[type=file]");
      // Without files there is nothing to show; without ev.submitter the
      // button pressed is not known, and "Save draft" must not send.
      if (!files || !files.files || files.files.length === 0 || !("submitter" in ev)) {
        return;
      }
      var submitter = ev.submitter;
      var total = 0;
      var xhr;
      var uploaded = false;
      try {
        var action = submitter && submitter.hasAttribute("formaction") ? submitter.getAttribute("formaction") : upForm.getAttribute("action");
        // getAttribute, not upForm.action: the button named "action"
        // shadows that property.
        var target = new URL(action || "", window.location.href).href;
        var data = new FormData(upForm, submitter);
        if (submitter && submitter.name && data.getAll(submitter.name).indexOf(submitter.value) < 0) {
          data.append(submitter.name, submitter.value); // a browser that ignores FormData's second argument
        }
        Array.prototype.forEach.call(files.files, function (f) {
          total += f.size;
        });
        xhr = new XMLHttpRequest();
        xhr.open("POST", target);
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable && !uploaded) {
            upBar.max = e.total;
            upBar.value = e.loaded;
            say(progress(e.loaded, e.total));
          }
        });
        xhr.upload.addEventListener("load", function () {
          uploaded = true;
          upBar.removeAttribute("value");
          say(upload.getAttribute("data-waiting-text"));
        });
        xhr.addEventListener("load", function () {
          if (xhr.responseURL && xhr.responseURL !== target) {
            window.location.assign(xhr.responseURL);
            return;
          }
          document.open();
          document.write(xhr.responseText);
          document.close();
        });
        var lost = function () {
          busy(false);
          upBar.hidden = true;
          say(upload.getAttribute(uploaded ? "data-lost-text" : "data-failed-text"));
        };
        xhr.addEventListener("error", lost);
        xhr.addEventListener("abort", lost);
        xhr.send(data);
      } catch (err) {
        return; // the request did not start: the form posts the plain way
      }
      ev.preventDefault();
      busy(true);
      upBar.hidden = false;
      upBar.max = total || 1;
      upBar.value = 0;
      upload.hidden = false;
      say(progress(0, total));
    });
  }

  // Composer: the address fields propose people the user has mail from or
  // wrote to, for the address being typed after the last comma. Each
  // proposal is the whole field's value, so picking one keeps the
  // addresses before it.
  var suggestForm = document.querySelector("form[data-suggest]");
  if (suggestForm) {
    ["to", "cc", "bcc"].forEach(function (name) {
      var input = suggestForm.querySelector("#" + name);
      if (!input) {
        return;
      }
      var list = document.createElement("datalist");
      list.id = "suggest-" + name;
      input.setAttribute("list", list.id);
      input.parentNode.appendChild(list);
      var wait = null;
      input.addEventListener("input", function () {
        if (wait) {
          window.clearTimeout(wait);
        }
        wait = window.setTimeout(function () {
          var value = input.value;
          var cut = value.lastIndexOf(",");
          var head = cut < 0 ? "" : value.slice(0, cut).trim();
          var partial = value.slice(cut + 1).trim();
          if (partial === "") {
            list.textContent = "";
            return;
          }
          fetch(suggestForm.getAttribute("data-suggest") + "?q=" + encodeURIComponent(partial), { credentials: "same-origin" })
            .then(function (r) {
              return r.ok ? r.json() : [];
            })
            .then(function (found) {
              list.textContent = "";
              found.forEach(function (s) {
                var option = document.createElement("option");
                option.value = (head ? head + ", " : "") + s.label;
                list.appendChild(option);
              });
            })
            .catch(function () {});
        }, 150);
      });
    });
  }

  // Outbox: an Undo button counts the seconds left and goes away when they
  // are over; while a message is on its way out, the page follows it (unless
  // something has been typed on it).
  document.querySelectorAll("form[data-undo-until]").forEach(function (form) {
    var until = Date.parse(form.getAttribute("data-undo-until"));
    var button = form.querySelector("button");
    if (!button || isNaN(until)) {
      return;
    }
    var label = button.textContent;
    var tick = function () {
      var left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        form.hidden = true;
        return;
      }
      button.textContent = label + " (" + left + ")";
      window.setTimeout(tick, 250);
    };
    tick();
  });
  if (document.querySelector('[data-testid="outbox-row"][data-state="queued"], [data-testid="outbox-row"][data-state="sending"]')) {
    window.setTimeout(function () {
      if (!typed) {
        window.location.reload();
      }
    }, 2000);
  }

  // A search's first page is drawn without counting every result, which
  // costs more than the page (handlers/search.go, searchCount): the count
  // comes after, in place of "More than 50 results".
  var searchTotal = document.querySelector("[data-count-url]");
  if (searchTotal && window.fetch) {
    fetch(searchTotal.getAttribute("data-count-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (c) {
        if (!c || !c.total) {
          return;
        }
        searchTotal.textContent = c.total;
        var all = document.querySelector("[data-testid=all-results-text]");
        if (all && c.all) {
          all.textContent = c.all;
        }
      })
      .catch(function () {});
  }
})();
