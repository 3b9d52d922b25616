// The account page right after an API key was made: a Copy button for
// the key, which is shown only this once. Without script the key stays
// selectable with one click.
(function () {
  "use strict";
  var value = document.getElementById("new-key-value");
  var button = document.getElementById("copy-key");
  var status = document.getElementById("copy-status");
  if (!value || !button || !status) { return; }
  button.hidden = false;

  function selectKey() {
    var range = document.createRange();
    range.selectNodeContents(value);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  button.addEventListener("click", function () {
    var key = value.textContent.trim();
    var done = function () { status.textContent = "Copied. Keep it somewhere safe."; };
    var fallback = function () {
      selectKey();
      status.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(key).then(done, fallback);
    } else {
      fallback();
    }
  });
})();
