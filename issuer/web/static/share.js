/* Badge page: the phone's own share sheet (Web Share API), as a progressive enhancement.
   The "Share…" button is `hidden` in the HTML and shown only where navigator.share exists;
   without JavaScript, or on a browser without it, the plain share links below it do the job.
   Loaded from /static (the CSP allows no inline script); nothing is sent anywhere by this file. */
(function () {
  "use strict";
  // "Copy the link": shown where the Clipboard API exists (HTTPS or localhost); it copies the
  // page address and says so in the live region beside it.
  if (navigator.clipboard && typeof navigator.clipboard.writeText === "function") {
    Array.prototype.forEach.call(document.querySelectorAll("button.copy-link"), function (button) {
      var status = document.getElementById(button.getAttribute("aria-describedby") || "");
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.getAttribute("data-copy") || window.location.href)
          .then(function () {
            if (status) { status.textContent = button.getAttribute("data-copied") || ""; }
          })
          .catch(function () {});
      });
    });
  }
  if (typeof navigator.share !== "function") {
    return;
  }
  var buttons = document.querySelectorAll("button.share-native");
  Array.prototype.forEach.call(buttons, function (button) {
    var data = {
      title: button.getAttribute("data-share-title") || document.title,
      text: button.getAttribute("data-share-text") || "",
      url: button.getAttribute("data-share-url") || window.location.href
    };
    if (typeof navigator.canShare === "function" && !navigator.canShare(data)) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      // A dismissed share sheet rejects the promise: that is not an error worth showing.
      navigator.share(data).catch(function () {});
    });
  });
}());
