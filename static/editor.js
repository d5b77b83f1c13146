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

  // ---- Text to HTML: a <div> a line (as the editor makes them; an empty
  // line holds a <br>), quoted lines ("> ") in a blockquote, built with the
  // DOM (text is never parsed as HTML).
  function line(content) {
    var div = document.createElement("div");
    if (content === "") {
      div.appendChild(document.createElement("br"));
    } else {
      div.appendChild(document.createTextNode(content));
    }
    return div;
  }
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
      out.appendChild(line(lines[i]));
      i++;
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
          end();
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
  // An empty editor holds one empty line, where typing starts.
  function ensureParagraph() {
    if (!editor.firstChild) {
      editor.appendChild(line(""));
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
    var sel = window.getSelection();
    if (sel.rangeCount > 0 && inEditor(sel.anchorNode)) {
      // A button pressed with the mouse or the keyboard leaves the
      // editor's selection where it was.
      if (document.activeElement !== editor) {
        editor.focus();
      }
      return;
    }
    editor.focus();
    if (saved) {
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
          return (innermostList() || {}).tagName === "UL";
        case "numbered":
          return (innermostList() || {}).tagName === "OL";
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

  // Lists and quotes are made here, not with execCommand: Chrome's
  // insertUnorderedList nests the list in the line's <div> and moves the
  // caret to the start of the item. Text nodes are moved, never made
  // again, so the selection is put back where it was.
  var lineTags = { DIV: 1, P: 1, LI: 1, PRE: 1, H1: 1, H2: 1, H3: 1, H4: 1, H5: 1, H6: 1 };
  function isBlock(n) {
    return n.nodeType === 1 && (lineTags[n.tagName] || n.tagName === "UL" || n.tagName === "OL" || n.tagName === "BLOCKQUOTE");
  }
  // lineOf is the line (a block) node is in; text typed straight into the
  // editor or a quote is put in a <div> first.
  function lineOf(node) {
    for (var n = node; n && n !== editor; n = n.parentNode) {
      if (n.nodeType === 1 && lineTags[n.tagName]) {
        return n;
      }
      var parent = n.parentNode;
      if (parent === editor || (parent && parent.tagName === "BLOCKQUOTE")) {
        if (isBlock(n)) {
          return n;
        }
        var first = n;
        var last = n;
        while (first.previousSibling && !isBlock(first.previousSibling)) {
          first = first.previousSibling;
        }
        while (last.nextSibling && !isBlock(last.nextSibling)) {
          last = last.nextSibling;
        }
        var div = document.createElement("div");
        parent.insertBefore(div, first);
        for (var cur = first, next; cur; cur = next) {
          next = cur === last ? null : cur.nextSibling;
          div.appendChild(cur);
        }
        return div;
      }
    }
    return null;
  }
  // selectedLines is the run of sibling lines the selection covers.
  function selectedLines() {
    var sel = window.getSelection();
    if (sel.rangeCount === 0 || !inEditor(sel.anchorNode)) {
      return null;
    }
    var r = sel.getRangeAt(0);
    var mark = { sc: r.startContainer, so: r.startOffset, ec: r.endContainer, eo: r.endOffset };
    var first = lineOf(r.startContainer === editor ? editor.childNodes[Math.min(r.startOffset, editor.childNodes.length - 1)] : r.startContainer);
    if (!first) {
      return null;
    }
    var last = lineOf(r.endContainer === editor ? editor.childNodes[Math.max(r.endOffset - 1, 0)] : r.endContainer) || first;
    var lines = [first];
    if (last !== first && last.parentNode === first.parentNode) {
      for (var n = first.nextSibling; n; n = n.nextSibling) {
        if (n.nodeType === 1) {
          lines.push(n);
        }
        if (n === last) {
          break;
        }
      }
    }
    return { lines: lines, mark: mark };
  }
  // moveInto moves el's children into a new element tag, put where el
  // was, and returns it; renamed remembers the pair for putBack.
  var renamed = [];
  function moveInto(el, tag, before) {
    var to = document.createElement(tag);
    while (el.firstChild) {
      to.appendChild(el.firstChild);
    }
    (before || el).parentNode.insertBefore(to, before || el);
    renamed.push([el, to]);
    return to;
  }
  function putBack(mark) {
    var map = function (n) {
      for (var i = 0; i < renamed.length; i++) {
        if (renamed[i][0] === n) {
          return renamed[i][1];
        }
      }
      return n;
    };
    renamed = [];
    try {
      var r = document.createRange();
      r.setStart(map(mark.sc), mark.so);
      r.setEnd(map(mark.ec), mark.eo);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(r);
    } catch (e) {
      // The place is gone: the caret stays where the browser put it.
    }
  }
  function innermostList() {
    var li = closest("LI");
    return li ? li.parentNode : null;
  }
  function toggleList(tag) {
    var got = selectedLines();
    if (!got) {
      return;
    }
    var list = innermostList();
    if (list && (list.tagName === "UL" || list.tagName === "OL")) {
      if (list.tagName === tag) {
        // Off: each item a line again.
        Array.prototype.slice.call(list.children).forEach(function (li) {
          moveInto(li, "div", list);
          li.parentNode.removeChild(li);
        });
        list.parentNode.removeChild(list);
      } else {
        var other = moveInto(list, tag.toLowerCase());
        list.parentNode.removeChild(list);
        if (other.tagName === "OL" && list.getAttribute("start")) {
          other.setAttribute("start", list.getAttribute("start"));
        }
      }
      putBack(got.mark);
      return;
    }
    var fresh = document.createElement(tag.toLowerCase());
    got.lines[0].parentNode.insertBefore(fresh, got.lines[0]);
    got.lines.forEach(function (line) {
      if (line.tagName === "UL" || line.tagName === "OL" || line.tagName === "BLOCKQUOTE") {
        fresh.appendChild(line);
        return;
      }
      var li = moveInto(line, "li", line);
      fresh.appendChild(li);
      line.parentNode.removeChild(line);
    });
    putBack(got.mark);
  }
  function toggleQuote() {
    var q = closest("BLOCKQUOTE");
    if (q) {
      var sel = window.getSelection();
      var r = sel.getRangeAt(0);
      var mark = { sc: r.startContainer, so: r.startOffset, ec: r.endContainer, eo: r.endOffset };
      unwrap(q);
      putBack(mark);
      return;
    }
    var got = selectedLines();
    if (!got) {
      return;
    }
    var first = got.lines[0];
    // A list item is quoted with its whole list.
    if (first.tagName === "LI") {
      got.lines = [first.parentNode];
      first = first.parentNode;
    }
    var quote = document.createElement("blockquote");
    first.parentNode.insertBefore(quote, first);
    got.lines.forEach(function (line) {
      quote.appendChild(line);
    });
    putBack(got.mark);
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
        toggleList("UL");
        break;
      case "numbered":
        toggleList("OL");
        break;
      case "quote":
        toggleQuote();
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
    document.execCommand("defaultParagraphSeparator", false, "div");
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
