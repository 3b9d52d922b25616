// The app's own script: it receives the token when the phone approves
// and, in a real app, sends it to the app's backend, which checks it with
// GET http://localhost:9080/auth/verify?app_id=my-app&token=… before
// trusting it. Here it only asks the gate and shows who signed in.
document.getElementById("authgate-widget").addEventListener("authgate:approved", function (e) {
  fetch("http://localhost:9080/auth/verify?app_id=my-app&token=" + encodeURIComponent(e.detail.token))
    .then(function (r) { return r.json(); })
    .then(function (v) {
      var who = document.getElementById("who");
      who.textContent = v.valid ? "Signed in as " + v.email + "." : "The token was not accepted.";
      who.hidden = false;
    });
});
