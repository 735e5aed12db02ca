// Assured Safeguarding kit: the live-voting page's browser side (served by the gate as
// /_ak/live.js, loaded before the page server's own scripts).
//
// 1. Never a silent dead page: it watches the page's websocket and asks the gate every few
//    seconds whether this page's session still exists. When the connection is lost (network,
//    server restart, session closed), it covers the page with "Connection lost —
//    reconnecting…", keeps asking, and reloads the page once the server answers. The reload
//    carries the join code and the device token, so the voter is the same respondent and sees
//    the current question with their saved answer.
// 2. Remembering the device: the page shows its device token in an element with
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
