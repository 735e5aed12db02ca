// Assured Safeguarding kit: the live-voting page's browser side (served by the gate as
// /_ak/live.js, loaded before the page server's own scripts).
//
// 1. Never a silent dead page: it watches the page's websocket and asks the gate every few
//    seconds whether this page's session still exists. When the connection is lost (network,
//    server restart, session closed), it covers the page with "Connection lost —
//    reconnecting…", keeps asking, and reloads the page once the server answers. The reload
//    carries the join code and the device token, so the voter is the same respondent and sees
//    the current question with their saved answer.
// 2. Taps go straight to the server: a rating button (class ak-rate) sends the device token,
//    the question and round the page shows (data-ak-question, data-ak-round) and the answer
//    to /_ak/tap, which answers once the workshop file has it; the page's widgets then show
//    "Saved" (the server tells them only after saving). A refusal the widgets cannot show
//    (too many taps, a page from elsewhere) is said in a status line; a lost session reloads.
//    Without fetch, or before the page's connection is open, the tap goes through the widget.
// 3. Remembering the device: the page shows its device token in an element with
//    data-ak-voter; this script puts it in the address and the browser's storage. On the join
//    form (data-ak-workshop), a browser that joined before goes back to its own voting page.
(function () {
  "use strict";
  var kernel = null;
  var lost = false;
  var everOpen = false;
  var checking = false;
  var TOKEN = /^[A-Za-z0-9_-]{20,60}$/;

  var NativeSocket = window.WebSocket;
  function Watched(url, protocols) {
    var socket = protocols === undefined ? new NativeSocket(url) : new NativeSocket(url, protocols);
    var match = /\/jupyter\/api\/kernels\/([0-9a-fA-F-]+)\/channels/.exec(String(url));
    if (match) {
      kernel = match[1];
      socket.addEventListener("open", function () { everOpen = true; });
      socket.addEventListener("close", function () { connectionLost(); });
    }
    return socket;
  }
  Watched.prototype = NativeSocket.prototype;
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (k) { Watched[k] = NativeSocket[k]; });
  window.WebSocket = Watched;

  function banner() {
    var el = document.getElementById("ak-connection");
    if (el) { return el; }
    el = document.createElement("div");
    el.id = "ak-connection";
    el.setAttribute("role", "alert");
    el.setAttribute("aria-live", "assertive");
    el.style.cssText = "position:fixed;inset:0;z-index:100000;background:rgba(255,255,255,.94);" +
      "display:flex;align-items:center;justify-content:center;text-align:center;" +
      "font:700 22px/1.4 system-ui,sans-serif;color:#111;padding:24px";
    document.body.appendChild(el);
    return el;
  }

  function say(text) { banner().textContent = text; }

  function connectionLost() {
    if (lost) { return; }
    lost = true;
    say("Connection lost \u2014 reconnecting\u2026");
    setTimeout(retry, 1000);
  }

  function alive(callback) {
    var url = "/_ak/alive" + (kernel ? "?kernel=" + encodeURIComponent(kernel) : "");
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(callback, function () { callback(null); });
  }

  function retry() {
    alive(function (state) {
      if (state === null) { setTimeout(retry, 2000); return; }
      if (state.full && !state.session) {
        say("Connection lost \u2014 the room is full; trying again\u2026");
        setTimeout(retry, 5000);
        return;
      }
      location.reload();
    });
  }

  function check() {
    if (lost || checking || document.hidden || !everOpen) { return; }
    checking = true;
    alive(function (state) {
      checking = false;
      if (state === null || !state.session) { connectionLost(); }
    });
  }

  function note(text) {
    var el = document.getElementById("ak-tap-message");
    if (!el) {
      el = document.createElement("div");
      el.id = "ak-tap-message";
      el.setAttribute("role", "status");
      el.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:99999;padding:12px 16px;" +
        "background:#111;color:#fff;font:600 18px/1.4 system-ui,sans-serif;text-align:center";
      document.body.appendChild(el);
    }
    el.textContent = text;
    el.hidden = !text;
  }

  function send(button, body) {
    button.setAttribute("aria-busy", "true");
    note("");
    fetch("/_ak/tap", {
      method: "POST", cache: "no-store", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (answer) { return [r.status, answer]; },
                           function () { return [r.status, {}]; });
    }).then(function (result) {
      button.removeAttribute("aria-busy");
      var status = result[0], answer = result[1] || {};
      if (status === 410 || answer.reload) { connectionLost(); return; }
      // 200: the page's own widgets say "Saved"; 409: they show why and the current question.
      if (status !== 200 && status !== 409) {
        note(answer.message || "Not saved: something went wrong. Please tap again.");
      }
    }, function () {
      button.removeAttribute("aria-busy");
      note("Not saved: the connection dropped. Please tap again.");
      check();
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button.ak-rate") : null;
    if (!button || button.disabled || lost || !kernel || !everOpen || !window.fetch) { return; }
    var shown = document.querySelector("[data-ak-question]");
    var voter = document.querySelector("[data-ak-voter]");
    var value = /(?:^|\s)ak-value-(\d+|dk)(?:\s|$)/.exec(button.className);
    if (!shown || !voter || !value) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    send(button, {
      kernel: kernel,
      voter: voter.getAttribute("data-ak-voter"),
      question: shown.getAttribute("data-ak-question"),
      round: parseInt(shown.getAttribute("data-ak-round"), 10),
      value: value[1] === "dk" ? null : parseInt(value[1], 10)
    });
  }, true);

  function storageKey(workshop) { return "assured-kit-voter-" + workshop; }

  function remember() {
    var params = new URLSearchParams(location.search);
    var voter = document.querySelector("[data-ak-voter]");
    if (voter) {
      var token = voter.getAttribute("data-ak-voter");
      var workshop = voter.getAttribute("data-ak-workshop") || "";
      if (TOKEN.test(token) && params.get("voter") !== token) {
        params.set("voter", token);
        try {
          history.replaceState(null, "", "?" + params.toString());
          localStorage.setItem(storageKey(workshop), token);
        } catch (e) { /* private browsing: the address still carries the token */ }
      }
      return;
    }
    var form = document.querySelector("[data-ak-join]");
    if (form && !params.has("voter")) {
      var stored = null;
      try { stored = localStorage.getItem(storageKey(form.getAttribute("data-ak-join"))); }
      catch (e) { stored = null; }
      if (stored && TOKEN.test(stored)) {
        params.set("voter", stored);
        location.replace("?" + params.toString());
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    new MutationObserver(remember).observe(document.body, { childList: true, subtree: true });
  });
  document.addEventListener("visibilitychange", check);
  window.addEventListener("online", check);
  setInterval(check, 5000);
})();
