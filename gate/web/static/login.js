// The login page: remembers the last address signed in with in this
// browser (localStorage, never sent anywhere but in the form), fills it
// in when the field is empty (after "Try again", or "Not you?", where it
// is selected for correcting), and forgets it on request.
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  var input = document.getElementById("email");
  var note = document.getElementById("remembered");
  var forget = document.getElementById("forget-email");
  if (!form || !input) { return; }
  var key = "authgate:last-email";

  function load() {
    try { return window.localStorage.getItem(key) || ""; } catch (e) { return ""; }
  }
  function save(v) {
    try { window.localStorage.setItem(key, v); } catch (e) { /* private mode: nothing kept */ }
  }
  function clear() {
    try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
  }

  var last = load();
  if (last && !input.value) { input.value = last; }
  if (last && note) { note.hidden = false; }
  if (form.getAttribute("data-change") === "1" && input.value) {
    input.focus();
    input.select();
  }

  form.addEventListener("submit", function () {
    var v = input.value.trim();
    if (v) { save(v); }
  });
  if (forget) {
    forget.addEventListener("click", function () {
      clear();
      input.value = "";
      if (note) { note.hidden = true; }
      input.focus();
    });
  }
})();
