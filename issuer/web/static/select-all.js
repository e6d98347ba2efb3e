/* Coordinator's claims list: the "All the requests" checkbox also ticks (or unticks) every
   request's own box, and follows them. A convenience only: without JavaScript the server reads
   the ticked "All the requests" box as every request the page showed. Loaded from /static (the
   CSP allows no inline script); nothing is sent anywhere by this file. */
(function () {
  "use strict";
  var masters = document.querySelectorAll("input[type=checkbox][data-select-all]");
  Array.prototype.forEach.call(masters, function (master) {
    var form = master.form;
    if (!form) {
      return;
    }
    var name = master.getAttribute("data-select-all");
    var boxes = form.querySelectorAll("input[type=checkbox][name='" + name + "']");
    master.addEventListener("change", function () {
      Array.prototype.forEach.call(boxes, function (box) {
        box.checked = master.checked;
      });
    });
    Array.prototype.forEach.call(boxes, function (box) {
      box.addEventListener("change", function () {
        var all = Array.prototype.every.call(boxes, function (each) { return each.checked; });
        master.checked = all;
      });
    });
  });
}());
