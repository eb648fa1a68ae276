/* Fast line entry, added on top of forms that work without it.
 *
 * - Every input marked data-item-lookup asks the item lookup as a code is typed: its
 *   suggestions fill the input's own datalist, and the item's name, unit and pack size are said
 *   in a polite live region next to it.
 * - On a form with lines (inputs named lines-N-field): Enter in a line moves to the next line's
 *   item code, adding a line at the end; Ctrl+Enter saves from anywhere; Enter in the header
 *   saves too; "add lines" adds them in place; inputs the item does not use (packs of an item
 *   without packs, expiry, serial numbers) leave the tab order while empty; Ctrl+' or the
 *   "same as above" button copies the lot and expiry from the line above.
 * Configuration comes from the script tag's data attributes (no inline script: CSP).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !window.fetch || !document.querySelector) {
    return;
  }
  var config = script.dataset;
  var LINE_NAME = /^lines-(\d+)-(\w+)$/;
  var MAX_LINES = parseInt(config.maxLines || "100", 10);
  var MORE_LINES = parseInt(config.moreLines || "5", 10);
  var DEBOUNCE_MS = 150;
  var answers = {};

  function lineOf(element) {
    var match = LINE_NAME.exec(element.name || "");
    return match ? { index: parseInt(match[1], 10), field: match[2] } : null;
  }

  function container(element) {
    return element.closest(".line") || element.closest("tr");
  }

  function fieldIn(line, field) {
    return line.querySelector('[name$="-' + field + '"]');
  }

  /* --- the lookup ------------------------------------------------------------------------ */

  function lookup(text) {
    var key = text.toUpperCase();
    if (!answers[key]) {
      answers[key] = fetch(config.lookupUrl + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      }).then(function (response) {
        /* Signed out meanwhile (a redirect to the sign-in page) or a server error: no answer. */
        var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
        return response.ok && json ? response.json() : null;
      }).catch(function () {
        return null;
      }).then(function (answer) {
        if (!answer) {
          delete answers[key];
        }
        return answer;
      });
    }
    return answers[key];
  }

  function describedBy(input, id) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(id) < 0) {
      ids.push(id);
      input.setAttribute("aria-describedby", ids.join(" "));
    }
  }

  /* The status region is the server's own hint paragraph when there is one, so that a line
     shown again after a post keeps a single description. */
  function statusOf(input) {
    var id = input.id + "-help";
    var status = document.getElementById(id);
    if (!status) {
      status = document.createElement("p");
      status.className = "help";
      status.id = id;
      input.insertAdjacentElement("afterend", status);
    }
    status.setAttribute("aria-live", "polite");
    describedBy(input, id);
    return status;
  }

  function suggestionsOf(input) {
    var id = input.id + "-suggestions";
    var list = document.getElementById(id);
    if (!list) {
      list = document.createElement("datalist");
      list.id = id;
      input.insertAdjacentElement("afterend", list);
      input.setAttribute("list", id);
    }
    return list;
  }

  function say(input, text) {
    var status = statusOf(input);
    if (status.textContent !== text) {
      status.textContent = text;
    }
  }

  function show(input, answer, leaving) {
    var typed = input.value.trim();
    if (!answer || answer.q.toUpperCase() !== typed.slice(0, 40).toUpperCase()) {
      return; // an answer for text typed before: a newer one is coming
    }
    var list = suggestionsOf(input);
    list.textContent = "";
    answer.items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.code;
      option.textContent = item.name;
      list.appendChild(option);
    });
    if (answer.exact) {
      say(input, answer.exact.summary);
    } else if (leaving || !answer.items.length) {
      say(input, config.msgUnknown);
    } else {
      say(input, "");
    }
    applyRules(input, answer.exact);
  }

  function refresh(input, leaving) {
    var typed = input.value.trim();
    if (!typed) {
      say(input, "");
      applyRules(input, null);
      return;
    }
    lookup(typed).then(function (answer) {
      show(input, answer, leaving);
    });
  }

  /* --- inputs the item does not use leave the tab order (never while they hold data) ------ */

  function applyRules(input, item) {
    var line = lineOf(input) && container(input);
    if (!line) {
      return;
    }
    var unused = {
      packs: item && item.pack_size === 1,
      expires_on: item && !item.tracks_expiry,
      serials: item && !item.tracks_serial,
    };
    Object.keys(unused).forEach(function (field) {
      var other = fieldIn(line, field);
      if (!other) {
        return;
      }
      if (unused[field] && !other.value) {
        other.setAttribute("tabindex", "-1");
        other.setAttribute("data-skipped", "");
      } else if (other.hasAttribute("data-skipped")) {
        other.removeAttribute("tabindex");
        other.removeAttribute("data-skipped");
      }
    });
  }

  function watch(input) {
    var timer = null;
    input.setAttribute("autocomplete", "off");
    statusOf(input);
    suggestionsOf(input);
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        refresh(input, false);
      }, DEBOUNCE_MS);
    });
    input.addEventListener("change", function () {
      clearTimeout(timer);
      refresh(input, true);
    });
    if (input.value.trim()) {
      refresh(input, true);
    }
  }

  /* --- lines ------------------------------------------------------------------------------ */

  function itemInputs(form) {
    return Array.prototype.filter.call(
      form.querySelectorAll("[name]"),
      function (element) {
        var line = lineOf(element);
        return line && line.field === "item";
      }
    );
  }

  function shift(text, pattern, delta) {
    return text.replace(pattern, function (whole, before, number) {
      return before + (parseInt(number, 10) + delta);
    });
  }

  /* A copy of the last line, empty, numbered after it: names and ids lines-N-field and the
     line's own id line-N move on by one, so the server's FieldList reads it like the others. */
  function addLine(form) {
    var items = itemInputs(form);
    if (items.length >= MAX_LINES) {
      return null;
    }
    var last = container(items[items.length - 1]);
    var copy = last.cloneNode(true);
    var nodes = [copy].concat(Array.prototype.slice.call(copy.querySelectorAll("*")));
    nodes.forEach(function (node) {
      ["id", "name", "for", "list", "aria-describedby", "aria-labelledby"].forEach(function (attr) {
        var value = node.getAttribute(attr);
        if (value) {
          value = shift(value, /(\blines-)(\d+)(?=-)/g, 1);
          value = shift(value, /(^line-)(\d+)$/, 1);
          node.setAttribute(attr, value);
        }
      });
    });
    Array.prototype.forEach.call(copy.querySelectorAll(".error"), function (error) {
      error.remove();
    });
    Array.prototype.forEach.call(copy.querySelectorAll(".field-error"), function (cell) {
      cell.className = "line-cell";
    });
    Array.prototype.forEach.call(copy.querySelectorAll(".help, datalist"), function (node) {
      node.textContent = "";
    });
    Array.prototype.forEach.call(copy.querySelectorAll("input, textarea, select"), function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("tabindex");
      el.removeAttribute("data-skipped");
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = false;
      } else if (el.tagName === "SELECT") {
        el.selectedIndex = 0;
      } else {
        el.value = "";
      }
      var described = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
        return id && copy.querySelector('[id="' + id + '"]');
      });
      if (described.length) {
        el.setAttribute("aria-describedby", described.join(" "));
      } else {
        el.removeAttribute("aria-describedby");
      }
    });
    /* The line's number as people read it: the row header and each hidden label. */
    var number = container(items[items.length - 1]).querySelector("th");
    var was = number ? parseInt(number.textContent, 10) : NaN;
    if (!isNaN(was)) {
      copy.querySelector("th").textContent = String(was + 1);
      Array.prototype.forEach.call(copy.querySelectorAll("label"), function (label) {
        label.textContent = label.textContent.replace(String(was), String(was + 1));
      });
    }
    last.insertAdjacentElement("afterend", copy);
    itemInputs(copy).forEach(watch);
    addSameButton(copy);
    return copy;
  }

  function copyFromAbove(line) {
    var items = itemInputs(line.closest("form"));
    var mine = fieldIn(line, "item");
    var position = items.indexOf(mine);
    if (position < 1) {
      return;
    }
    var above = container(items[position - 1]);
    ["lot_code", "expires_on"].forEach(function (field) {
      var from = fieldIn(above, field);
      var to = fieldIn(line, field);
      if (from && to) {
        to.value = from.value;
        to.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
  }

  function addSameButton(line) {
    var lot = fieldIn(line, "lot_code");
    var old = line.querySelector("[data-same-as-above]");
    if (old) {
      old.remove();
    }
    var form = line.closest("form");
    if (!lot || !config.msgSame || itemInputs(form).indexOf(fieldIn(line, "item")) < 1) {
      return; // the first line has nothing above it
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button-link line-same";
    button.textContent = config.msgSame;
    /* Out of the tab order, like a spreadsheet's fill handle: Ctrl+' does it from the keys. */
    button.setAttribute("tabindex", "-1");
    button.setAttribute("aria-keyshortcuts", "Control+'");
    button.setAttribute("data-same-as-above", "");
    lot.parentNode.appendChild(button);
  }

  function save(form) {
    var button = form.querySelector('[type="submit"][name="submit"]') ||
      form.querySelector(".button-primary");
    if (form.requestSubmit) {
      form.requestSubmit(button || undefined);
    } else if (button) {
      button.click();
    } else {
      form.submit();
    }
  }

  function nextItem(form, from) {
    var items = itemInputs(form);
    var here = items.indexOf(fieldIn(container(from), "item"));
    if (here + 1 < items.length) {
      return items[here + 1];
    }
    var added = addLine(form);
    return added && fieldIn(added, "item");
  }

  function setUpLines(form) {
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key !== "Enter" && event.key !== "'") {
        return;
      }
      if (event.isComposing || event.altKey) {
        return; // an input method (Korean) is composing: Enter ends the syllable
      }
      var inLine = lineOf(target) && container(target);
      if (event.key === "'") {
        if ((event.ctrlKey || event.metaKey) && inLine) {
          event.preventDefault();
          copyFromAbove(inLine);
        }
        return;
      }
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        save(form);
        return;
      }
      if (target.tagName === "BUTTON" || /^(submit|button|reset)$/.test(target.type) ||
          event.shiftKey) {
        return; // buttons do what they say; Shift+Enter is a line break where one fits
      }
      if (target.tagName === "TEXTAREA") {
        /* Enter starts the next serial number; on an empty row it ends the list. */
        var atEnd = target.selectionStart === target.value.length;
        if (!inLine || !(target.value === "" || (atEnd && /\n\s*$/.test(target.value)))) {
          return;
        }
        target.value = target.value.replace(/\s+$/, "");
      }
      event.preventDefault();
      if (!inLine) {
        save(form); // Enter in the header saves, as the page says (never "add lines")
        return;
      }
      var next = nextItem(form, target);
      if (next) {
        next.focus();
      }
    });
    form.addEventListener("click", function (event) {
      var target = event.target;
      if (target.closest("[data-same-as-above]")) {
        copyFromAbove(container(target));
      } else if (target.name === "add_lines") {
        event.preventDefault();
        var first = null;
        for (var n = 0; n < MORE_LINES; n += 1) {
          var added = addLine(form);
          first = first || added;
        }
        if (itemInputs(form).length >= MAX_LINES) {
          target.hidden = true;
        }
        if (first) {
          fieldIn(first, "item").focus();
        }
      }
    });
    itemInputs(form).forEach(function (input) {
      addSameButton(container(input));
    });
    Array.prototype.forEach.call(form.querySelectorAll("[data-lines-keys]"), function (hint) {
      hint.hidden = false;
    });
    /* What Enter does without the script is no longer true: say only what it does now. */
    Array.prototype.forEach.call(form.querySelectorAll("[data-lines-nojs]"), function (hint) {
      hint.hidden = true;
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-item-lookup]"), watch);
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    if (itemInputs(form).length) {
      setUpLines(form);
    }
  });
})();
