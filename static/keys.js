// Apartado: keyboard shortcuts, as in Gmail. Everything they do is a link
// or a button already on the page: a key follows the link or presses the
// button, so the server's rules and its Undo notice apply as for a click.
// They act only when <body data-shortcuts="on"> (the user's setting), never
// while typing in a field, and never with Ctrl, Alt or Meta held. The help
// lists them in <dialog id="shortcuts">, with its texts from the server.
(function () {
  "use strict";

  if (document.body.getAttribute("data-shortcuts") !== "on") {
    return;
  }

  var help = document.getElementById("shortcuts");
  var rows = function () {
    return Array.prototype.slice.call(document.querySelectorAll(".list-form li.message"));
  };
  var current = null; // the highlighted row of the list
  var waitingForG = false;
  var gTimer = 0;

  // typing reports whether a key pressed on el is text being written.
  var typing = function (el) {
    if (!el || el === document.body) {
      return false;
    }
    if (el.isContentEditable || el.closest("[contenteditable]:not([contenteditable=false])")) {
      return true;
    }
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") {
      return true;
    }
    if (tag === "INPUT") {
      return ["checkbox", "radio", "button", "submit", "reset"].indexOf(el.type) < 0;
    }
    return false;
  };

  // highlight moves the list's highlight to row, gives its link the focus
  // (so the focus ring shows and a screen reader reads it) and marks it.
  var highlight = function (row) {
    if (!row) {
      return;
    }
    if (current && current !== row) {
      current.removeAttribute("aria-current");
    }
    current = row;
    row.setAttribute("aria-current", "true");
    var link = row.querySelector("a.open");
    if (link) {
      link.focus();
    }
  };

  var step = function (by) {
    var list = rows();
    if (list.length === 0) {
      return false;
    }
    var i = list.indexOf(current);
    if (i < 0) {
      highlight(list[by > 0 ? 0 : list.length - 1]);
      return true;
    }
    highlight(list[Math.min(list.length - 1, Math.max(0, i + by))]);
    return true;
  };

  // follow clicks the element the page marks for this key, if any.
  var follow = function (key) {
    var el = document.querySelector('[data-shortcut="' + key + '"]');
    if (!el) {
      return false;
    }
    el.click();
    return true;
  };

  var checked = function (form) {
    return Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=ids]:checked"));
  };

  // press submits the list's form (or the open message's) with the button
  // whose action is one of values, the first found. In a list it acts on
  // the selected rows, or on the highlighted one when none is selected.
  var press = function (values) {
    var form = document.querySelector(".list-form") || document.querySelector("form.message-actions");
    if (!form) {
      return false;
    }
    var button = null;
    for (var i = 0; i < values.length && !button; i++) {
      button = form.querySelector('button[name=action][value="' + values[i] + '"]');
    }
    if (!button) {
      return false;
    }
    if (form.classList.contains("list-form") && checked(form).length === 0) {
      var box = current && current.querySelector("input[type=checkbox][name=ids]");
      if (!box) {
        return false;
      }
      box.checked = true;
    }
    button.click();
    return true;
  };

  // star stars the selection, unless it is all starred already; then it
  // takes the stars away. With nothing selected it toggles the
  // highlighted row's star, or the open message's.
  var star = function () {
    var form = document.querySelector(".list-form");
    if (!form) {
      return press(["star", "unstar"]);
    }
    var picked = checked(form);
    if (picked.length === 0) {
      var toggle = current && current.querySelector("button.star[name=one]");
      if (!toggle) {
        return false;
      }
      toggle.click();
      return true;
    }
    var allStarred = picked.every(function (box) {
      var row = box.closest("li.message");
      var t = row && row.querySelector("button.star[name=one]");
      return t && t.getAttribute("data-starred") === "true";
    });
    return press([allStarred ? "unstar" : "star"]);
  };

  var go = function (letter) {
    if (!help) {
      return false;
    }
    var line = help.querySelector('[data-go="' + letter + '"][data-href]');
    if (!line) {
      return false;
    }
    window.location.assign(line.getAttribute("data-href"));
    return true;
  };

  var openHelp = function () {
    if (!help || help.open) {
      return false;
    }
    help.showModal();
    return true;
  };

  // handle runs the shortcut for key, reporting whether there was one.
  var handle = function (key, shift) {
    if (waitingForG) {
      waitingForG = false;
      window.clearTimeout(gTimer);
      return go(key.toLowerCase());
    }
    if (key === "?") {
      return openHelp();
    }
    if (key === "#") {
      return press(["trash"]);
    }
    if (key === "/") {
      var search = document.getElementById("search-q");
      if (!search) {
        return false;
      }
      search.focus();
      search.select();
      return true;
    }
    if (key === "Enter") {
      // A focused link or button answers Enter itself.
      var active = document.activeElement;
      if (current && (!active || active === document.body)) {
        var open = current.querySelector("a.open");
        if (open) {
          open.click();
          return true;
        }
      }
      return false;
    }
    if (key.length !== 1) {
      return false;
    }
    var letter = key.toLowerCase();
    if (shift) {
      if (letter === "i") {
        return press(["read"]);
      }
      if (letter === "u") {
        return press(["unread"]);
      }
      return false;
    }
    switch (letter) {
      case "j":
        return step(1) || follow("j");
      case "k":
        return step(-1) || follow("k");
      case "o":
        if (current) {
          var link = current.querySelector("a.open");
          if (link) {
            link.click();
            return true;
          }
        }
        return false;
      case "x":
        var box = current && current.querySelector("input[type=checkbox][name=ids]");
        if (!box) {
          return false;
        }
        // A click, so that "Select all" hears of it.
        box.click();
        return true;
      case "e":
        return press(["archive"]);
      case "s":
        return star();
      case "u":
      case "r":
      case "a":
      case "f":
        return follow(letter);
      case "g":
        waitingForG = true;
        gTimer = window.setTimeout(function () {
          waitingForG = false;
        }, 2000);
        return true;
    }
    return false;
  };

  document.addEventListener("keydown", function (ev) {
    if (ev.defaultPrevented || ev.isComposing) {
      return;
    }
    // Holding j or k runs down the list; no other key repeats an action.
    if (ev.repeat && ev.key !== "j" && ev.key !== "k") {
      return;
    }
    // AltGr (Ctrl+Alt on Windows) types "#" on Spanish keyboards: that is
    // a character, not a modifier held.
    var altGr = ev.getModifierState && ev.getModifierState("AltGraph");
    if (!altGr && (ev.ctrlKey || ev.altKey || ev.metaKey)) {
      return;
    }
    if (help && help.open) {
      return; // the dialog answers its own keys; Escape closes it
    }
    if (typing(ev.target)) {
      return;
    }
    if (handle(ev.key, ev.shiftKey)) {
      ev.preventDefault();
    }
  });

  // A click on a row moves the highlight there, so j and k go on from it.
  document.addEventListener("click", function (ev) {
    var row = ev.target.closest && ev.target.closest(".list-form li.message");
    if (row && row !== current) {
      if (current) {
        current.removeAttribute("aria-current");
      }
      current = row;
      row.setAttribute("aria-current", "true");
    }
  });
})();
