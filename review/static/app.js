// Keyboard shortcuts for the review app (press ? on any page for the list).
// No inline scripts anywhere: the Content-Security-Policy allows only files from /static.
(function () {
  "use strict";

  var busy = false;      // a decision is being sent: ignore further keys
  var pendingG = false;  // "g" was pressed: the next key picks a page
  var selected = 0;      // selected row of the queue table

  function typing(el) {
    if (!el || !el.tagName) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    if (el.tagName !== "INPUT") return false;
    return ["checkbox", "radio", "submit", "button"].indexOf(el.type) < 0;
  }

  function go(href) { if (href) window.location.assign(href); }

  function rows() { return document.querySelectorAll(".queue-row"); }

  function select(index) {
    var all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === selected); });
    all[selected].scrollIntoView({ block: "nearest" });
  }

  function queueKey(key) {
    var all = rows();
    if (key === "j" || key === "ArrowDown") { select(selected + 1); return true; }
    if (key === "k" || key === "ArrowUp") { select(selected - 1); return true; }
    if ((key === "Enter" || key === "o") && all.length) { go(all[selected].dataset.href); return true; }
    if (key === "]") { var next = document.getElementById("page-next"); if (next) go(next.href); return true; }
    if (key === "[") { var prev = document.getElementById("page-prev"); if (prev) go(prev.href); return true; }
    return false;
  }

  function postKey(key) {
    var toggle = document.querySelector('[data-toggle-key="' + key + '"]');
    if (toggle) { toggle.checked = !toggle.checked; return true; }
    if (key === "n") { document.getElementById("note").focus(); return true; }
    if (key === "l") {
      var first = document.querySelector("#correction input");
      if (first) { first.focus(); first.scrollIntoView({ block: "center" }); }
      return true;
    }
    var target = document.querySelector('[data-key="' + key + '"]');
    if (!target) return false;
    if (target.tagName === "BUTTON") {
      busy = true;
      document.body.classList.add("busy");
      target.click();
    } else {
      go(target.href);
    }
    return true;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    var el = ev.target;
    if (typing(el)) {
      if (ev.key === "Escape") el.blur();
      return;
    }
    if (busy) { ev.preventDefault(); return; }
    // Enter on a focused link or button keeps its usual meaning.
    if (ev.key === "Enter" && el && (el.tagName === "A" || el.tagName === "BUTTON")) return;
    var help = document.getElementById("shortcut-help");
    if (ev.key === "?" && help) {
      if (help.open) help.close(); else help.showModal();
      ev.preventDefault();
      return;
    }
    if (help && help.open) return;
    if (pendingG) {
      pendingG = false;
      if (ev.key === "q") go("/queue");
      if (ev.key === "u") go("/uncertain");
      if (ev.key === "c") go("/calibration");
      ev.preventDefault();
      return;
    }
    if (ev.key === "g") {
      pendingG = true;
      window.setTimeout(function () { pendingG = false; }, 1500);
      return;
    }
    var page = document.body.dataset.page;
    var handled = page === "queue" ? queueKey(ev.key) : page === "post" ? postKey(ev.key) : false;
    if (handled) ev.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.dataset.page === "queue") select(0);
  });

  // A decision form sent with the mouse also blocks a second, accidental send.
  document.addEventListener("submit", function (ev) {
    if (ev.target && ev.target.id === "decision-form") busy = true;
  });
})();
