// Apartado: the composer's formatting. Without this file the message is a
// plain text area, which stays the default: the "Formatting" switch turns
// it into an editor with a small toolbar, whose HTML goes in the form's
// "html" field on every change (the server sanitizes it and derives the
// plain text from it). Turning the switch off turns the HTML back into
// text, asking first when formatting would be lost.
(function () {
  "use strict";

  var box = document.querySelector("[data-editor]");
  if (!box) {
    return;
  }
  var form = box.closest("form");
  var textarea = box.querySelector("textarea");
  var editor = box.querySelector("[contenteditable]");
  var bar = box.querySelector(".format-bar");
  var toggle = box.querySelector("[data-format-toggle]");
  var tools = box.querySelector("[role=toolbar]");
  var warning = box.querySelector("[data-html-warning]");
  var field = form && form.querySelector("input[name=html]");
  if (!form || !textarea || !editor || !bar || !toggle || !tools || !field || !document.execCommand) {
    return;
  }
  var buttons = Array.prototype.slice.call(tools.querySelectorAll("button[data-command]"));
  var maxHTML = parseInt(box.getAttribute("data-max-html"), 10) || 0;
  var on = false;
  var saved = null; // the editor's last selection, for the toolbar

  // ---- Text to HTML: paragraphs at blank lines, lines kept with <br>,
  // quoted lines ("> ") in a blockquote, built with the DOM (text is never
  // parsed as HTML).
  function textToNodes(text) {
    var out = document.createDocumentFragment();
    var lines = text.replace(/\r\n?/g, "\n").split("\n");
    var i = 0;
    while (i < lines.length) {
      if (/^>/.test(lines[i])) {
        var quoted = [];
        while (i < lines.length && /^>/.test(lines[i])) {
          quoted.push(lines[i].replace(/^> ?/, ""));
          i++;
        }
        var q = document.createElement("blockquote");
        q.appendChild(textToNodes(quoted.join("\n")));
        out.appendChild(q);
        continue;
      }
      if (lines[i].trim() === "") {
        i++;
        continue;
      }
      var p = document.createElement("p");
      var first = true;
      while (i < lines.length && lines[i].trim() !== "" && !/^>/.test(lines[i])) {
        if (!first) {
          p.appendChild(document.createElement("br"));
        }
        p.appendChild(document.createTextNode(lines[i]));
        first = false;
        i++;
      }
      out.appendChild(p);
    }
    return out;
  }

  // ---- HTML to text, as the server derives the text part: paragraphs
  // apart by a blank line, list items as "- " or "1. ", links as
  // "text <url>", blockquotes as "> ".
  function nodesToText(root) {
    var lines = [];
    var cur = null; // the line being written, or null
    var quote = 0;
    var blank = false;
    var lists = [];
    var marker = "";
    var indent = "";
    var since = 0;
    var prefix = function () {
      return quote ? new Array(quote + 1).join(">") + " " : "";
    };
    var emit = function (s) {
      lines.push(s.trim() === "" ? prefix().trim() : prefix() + s);
    };
    var start = function () {
      if (cur !== null) {
        return;
      }
      if (blank && lines.length > 0 && lines[lines.length - 1].replace(/[> ]/g, "") !== "") {
        emit("");
      }
      blank = false;
      cur = marker || indent;
      marker = "";
    };
    var end = function () {
      if (cur !== null) {
        emit(cur === "-- " ? cur : cur.replace(/ +$/, ""));
        cur = null;
      }
    };
    var block = function () {
      end();
      if (lines.length > since) {
        blank = true;
      }
    };
    var text = function (s) {
      var lead = /^[ \t\n\r\f]/.test(s);
      var trail = /[ \t\n\r\f]$/.test(s);
      var words = s.split(/[ \t\n\r\f]+/).filter(function (w) {
        return w !== "";
      });
      if (words.length === 0) {
        if (lead && cur && !/ $/.test(cur)) {
          cur += " ";
        }
        return;
      }
      start();
      if (lead && cur !== "" && !/ $/.test(cur)) {
        cur += " ";
      }
      cur += words.join(" ").replace(/\u00a0/g, " ") + (trail ? " " : "");
    };
    var walk = function (n) {
      if (n.nodeType === 3) {
        text(n.nodeValue);
        return;
      }
      if (n.nodeType !== 1 && n.nodeType !== 11) {
        return;
      }
      var tag = n.nodeType === 1 ? n.tagName.toLowerCase() : "";
      var kids = function () {
        Array.prototype.forEach.call(n.childNodes, walk);
      };
      switch (tag) {
        case "br":
          start();
          end();
          return;
        case "p":
        case "h1":
        case "h2":
        case "h3":
        case "h4":
        case "h5":
        case "h6":
        case "pre":
        case "table":
          block();
          kids();
          block();
          return;
        case "blockquote":
          block();
          if (blank && lines.length > 0 && lines[lines.length - 1].replace(/[> ]/g, "") !== "") {
            emit("");
          }
          blank = false;
          quote++;
          var before = since;
          since = lines.length;
          kids();
          end();
          quote--;
          since = before;
          block();
          return;
        case "ul":
        case "ol":
          if (lists.length === 0) {
            block();
          } else {
            end();
          }
          lists.push({ ordered: tag === "ol", n: 0 });
          var keep = indent;
          kids();
          end();
          indent = keep;
          lists.pop();
          if (lists.length === 0) {
            block();
          }
          return;
        case "li":
          end();
          var was = indent;
          var list = lists[lists.length - 1];
          var m = "- ";
          if (list && list.ordered) {
            list.n++;
            m = list.n + ". ";
          }
          var pad = new Array(Math.max(lists.length - 1, 0) + 1).join("  ");
          marker = pad + m;
          indent = pad + new Array(m.length + 1).join(" ");
          kids();
          end();
          marker = "";
          indent = was;
          return;
        case "div":
        case "tr":
          end();
          kids();
          end();
          return;
        case "a":
          kids();
          var href = n.getAttribute("href") || "";
          var label = n.textContent.replace(/\s+/g, " ").trim();
          if (href && label !== href && label !== href.replace(/^mailto:/, "") && label !== href.replace(/\/$/, "")) {
            text(" <" + href + ">");
          }
          return;
      }
      kids();
    };
    walk(root);
    end();
    while (lines.length && lines[lines.length - 1].replace(/[> ]/g, "") === "") {
      lines.pop();
    }
    while (lines.length && lines[0].replace(/[> ]/g, "") === "") {
      lines.shift();
    }
    return lines.join("\n");
  }

  // ---- What the editor may hold: the toolbar's elements and links to
  // http(s) and mailto. HTML given to the editor (a saved draft's, already
  // sanitized by the server) is parsed inert and copied through this list.
  var allowed = {
    P: 1, BR: 1, DIV: 1, B: 1, STRONG: 1, I: 1, EM: 1, U: 1, UL: 1, OL: 1, LI: 1,
    BLOCKQUOTE: 1, A: 1, PRE: 1, H1: 1, H2: 1, H3: 1, H4: 1, H5: 1, H6: 1
  };
  function safeHref(href) {
    return /^(https?:\/\/|mailto:)/i.test(href || "");
  }
  function copyAllowed(from, to) {
    Array.prototype.forEach.call(from.childNodes, function (n) {
      if (n.nodeType === 3) {
        to.appendChild(document.createTextNode(n.nodeValue));
        return;
      }
      if (n.nodeType !== 1) {
        return;
      }
      if (!allowed[n.tagName]) {
        copyAllowed(n, to);
        return;
      }
      var el = document.createElement(n.tagName.toLowerCase());
      if (n.tagName === "A") {
        var href = n.getAttribute("href");
        if (!safeHref(href)) {
          copyAllowed(n, to);
          return;
        }
        el.setAttribute("href", href);
      }
      if (n.tagName === "OL" && /^[0-9]{1,6}$/.test(n.getAttribute("start") || "")) {
        el.setAttribute("start", n.getAttribute("start"));
      }
      copyAllowed(n, el);
      to.appendChild(el);
    });
  }
  function setEditorHTML(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    editor.textContent = "";
    copyAllowed(doc.body, editor);
    ensureParagraph();
  }
  // An empty editor holds one empty paragraph, where typing starts.
  function ensureParagraph() {
    if (!editor.firstChild) {
      var p = document.createElement("p");
      p.appendChild(document.createElement("br"));
      editor.appendChild(p);
    }
  }

  // ---- Keeping the form's field in step with the editor.
  function utf8Length(s) {
    var n = s.length;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0x800 && (c < 0xd800 || c > 0xdfff)) {
        n += 2;
      } else if (c >= 0x80 && c < 0x800) {
        n += 1;
      }
    }
    return n;
  }
  function sync() {
    field.value = editor.innerHTML;
    var tooLong = maxHTML > 0 && utf8Length(field.value) > maxHTML;
    warning.textContent = tooLong ? box.getAttribute("data-too-long-text") : "";
    box.classList.toggle("too-long", tooLong);
    updateState();
  }
  // changed tells the rest of the page (the draft's autosave) that the
  // message changed.
  function changed() {
    sync();
    editor.dispatchEvent(new Event("input", { bubbles: true }));
  }
  editor.addEventListener("input", sync);

  // ---- The switch.
  function setMode(format) {
    on = format;
    toggle.setAttribute("aria-pressed", format ? "true" : "false");
    tools.hidden = !format;
    editor.hidden = !format;
    textarea.hidden = format;
    textarea.disabled = format;
    field.disabled = !format;
    if (!format) {
      field.value = "";
      warning.textContent = "";
      box.classList.remove("too-long");
    }
  }
  function formatted() {
    return editor.querySelector("b, strong, i, em, u, ul, ol, a, h1, h2, h3, h4, h5, h6, pre") !== null;
  }
  toggle.addEventListener("click", function () {
    if (!on) {
      editor.textContent = "";
      editor.appendChild(textToNodes(textarea.value));
      ensureParagraph();
      setMode(true);
      editor.focus();
      changed();
      return;
    }
    if (formatted() && !window.confirm(box.getAttribute("data-confirm-plain"))) {
      return;
    }
    textarea.value = nodesToText(editor);
    setMode(false);
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // ---- The toolbar.
  function inEditor(node) {
    return node && (node === editor || editor.contains(node));
  }
  document.addEventListener("selectionchange", function () {
    var sel = window.getSelection();
    if (sel.rangeCount > 0 && inEditor(sel.anchorNode)) {
      saved = sel.getRangeAt(0).cloneRange();
      updateState();
    }
  });
  function restore() {
    editor.focus();
    if (saved) {
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(saved);
    }
  }
  function closest(tag) {
    var sel = window.getSelection();
    var n = sel.rangeCount > 0 ? sel.anchorNode : null;
    while (n && n !== editor) {
      if (n.nodeType === 1 && n.tagName === tag) {
        return n;
      }
      n = n.parentNode;
    }
    return null;
  }
  function state(command) {
    try {
      switch (command) {
        case "bold":
          return document.queryCommandState("bold");
        case "italic":
          return document.queryCommandState("italic");
        case "bulleted":
          return document.queryCommandState("insertUnorderedList");
        case "numbered":
          return document.queryCommandState("insertOrderedList");
        case "quote":
          return closest("BLOCKQUOTE") !== null;
        case "link":
          return closest("A") !== null;
      }
    } catch (e) {
      return false;
    }
    return false;
  }
  function updateState() {
    var sel = window.getSelection();
    var inside = sel.rangeCount > 0 && inEditor(sel.anchorNode);
    buttons.forEach(function (b) {
      var c = b.getAttribute("data-command");
      if (c !== "clear") {
        b.setAttribute("aria-pressed", inside && state(c) ? "true" : "false");
      }
    });
  }
  function unwrap(el) {
    while (el.firstChild) {
      el.parentNode.insertBefore(el.firstChild, el);
    }
    el.parentNode.removeChild(el);
  }
  function link() {
    var a = closest("A");
    var answer = window.prompt(box.getAttribute("data-link-prompt"), a ? a.getAttribute("href") : "https://");
    if (answer === null) {
      return;
    }
    answer = answer.trim();
    if (answer === "" || answer === "https://") {
      if (a) {
        unwrap(a);
      }
      return;
    }
    if (!/^[a-z][a-z0-9+.-]*:/i.test(answer)) {
      answer = (/^[^\s/@]+@[^\s/@]+$/.test(answer) ? "mailto:" : "https://") + answer;
    }
    if (!safeHref(answer)) {
      return;
    }
    if (a) {
      a.setAttribute("href", answer);
      return;
    }
    var sel = window.getSelection();
    if (sel.rangeCount > 0 && !sel.isCollapsed) {
      document.execCommand("createLink", false, answer);
      return;
    }
    var el = document.createElement("a");
    el.setAttribute("href", answer);
    el.textContent = answer.replace(/^mailto:/i, "");
    var range = sel.rangeCount > 0 ? sel.getRangeAt(0) : null;
    if (!range || !inEditor(range.startContainer)) {
      editor.appendChild(el);
      return;
    }
    range.insertNode(el);
    range.setStartAfter(el);
    range.collapse(true);
    sel.removeAllRanges();
    sel.addRange(range);
  }
  function run(command) {
    restore();
    switch (command) {
      case "bold":
      case "italic":
        document.execCommand(command);
        break;
      case "bulleted":
        document.execCommand("insertUnorderedList");
        break;
      case "numbered":
        document.execCommand("insertOrderedList");
        break;
      case "quote":
        var q = closest("BLOCKQUOTE");
        if (q) {
          unwrap(q);
        } else {
          document.execCommand("formatBlock", false, "blockquote");
        }
        break;
      case "link":
        link();
        break;
      case "clear":
        document.execCommand("removeFormat");
        document.execCommand("unlink");
        break;
    }
    ensureParagraph();
    changed();
  }
  buttons.forEach(function (b, i) {
    // The editor keeps its selection when a button is pressed with the
    // mouse; from the keyboard the saved selection is put back.
    b.addEventListener("mousedown", function (ev) {
      ev.preventDefault();
    });
    b.addEventListener("click", function () {
      run(b.getAttribute("data-command"));
    });
    b.tabIndex = i === 0 ? 0 : -1;
  });
  // A toolbar is one stop for Tab; the arrow keys, Home and End move
  // along it (WAI-ARIA's toolbar pattern).
  tools.addEventListener("keydown", function (ev) {
    var i = buttons.indexOf(document.activeElement);
    if (i < 0) {
      return;
    }
    var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: buttons.length - 1 }[ev.key];
    if (next === undefined) {
      return;
    }
    ev.preventDefault();
    next = (next + buttons.length) % buttons.length;
    buttons[i].tabIndex = -1;
    buttons[next].tabIndex = 0;
    buttons[next].focus();
  });

  // Pasted and dropped text comes in as text: formatting from elsewhere
  // (styles, images, scripts) stays out.
  editor.addEventListener("paste", function (ev) {
    if (!ev.clipboardData) {
      return;
    }
    ev.preventDefault();
    document.execCommand("insertText", false, ev.clipboardData.getData("text/plain"));
  });
  editor.addEventListener("drop", function (ev) {
    ev.preventDefault();
  });

  // ---- Start: the switch shows, and a message that has formatting (a
  // draft, a form shown again) opens in the editor.
  try {
    document.execCommand("defaultParagraphSeparator", false, "p");
    document.execCommand("styleWithCSS", false, false);
  } catch (e) {
    // Older browsers: their defaults do.
  }
  bar.hidden = false;
  if (box.getAttribute("data-format") === "on" && field.value !== "") {
    setEditorHTML(field.value);
    setMode(true);
    sync();
  }
})();
