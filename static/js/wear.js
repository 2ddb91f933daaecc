/* "See it on me": ask the API to fit every garment card of the page on the shopper's photo, then swap
   each card's picture for its result as the websocket reports it (results already made come back at
   once). Cards are the elements with data-wear-product; the panel is [data-wear]. The progress line
   counts every product card of the page and says why the ones not shown keep their product picture
   (the server's reasons for the garments it left out, failures, cards past the page limit). */
(function () {
  "use strict";
  var root = document.querySelector("[data-wear][data-wearing=on]");
  if (!root) return;
  var progress = root.querySelector("[data-wear-progress]");
  var limit = Number(root.dataset.pageLimit) || 12;
  var cards = {};
  var wearable = document.querySelectorAll("[data-wear-product]");
  Array.prototype.slice.call(wearable, 0, limit).forEach(function (card) {
    cards[card.dataset.wearProduct] = card;
  });
  var products = Object.keys(cards);
  var totalCards = document.querySelectorAll(".product-card").length;
  var notTryable = totalCards - wearable.length;  // no garment picture, or a product that cannot be tried on
  var pastLimit = Math.max(0, wearable.length - limit);
  var leftOutSummary = "";  // the server's reasons, e.g. "trousers and dresses need a full-length photo."
  var jobs = {};  // job id -> product id, only the jobs of this page
  var outcome = {};  // product id -> "done" | "failed"
  var MAX_RETRY_DELAY_MS = 15000;
  var retries = 0;

  function say(text) { progress.textContent = text; }

  function report() {
    var done = 0, failed = 0;
    products.forEach(function (product) {
      if (outcome[product] === "done") done += 1;
      if (outcome[product] === "failed") failed += 1;
    });
    var fitting = products.length - done - failed;
    if (done === totalCards) {
      say("All " + totalCards + " garments are shown on your photo.");
    } else {
      var reasons = [];
      if (fitting) reasons.push(fitting + " still being fitted");
      if (leftOutSummary) reasons.push(leftOutSummary.replace(/\.$/, ""));
      if (failed) reasons.push(failed + " could not be fitted");
      if (notTryable) reasons.push(notTryable + " cannot be tried on");
      if (pastLimit) reasons.push("only the first " + limit + " garments of a page are fitted");
      say(done + " of " + totalCards + " garments shown on your photo" + (reasons.length ? "; " + reasons.join("; ") : "") + ".");
    }
    root.dataset.wearReady = String(done);
  }

  function show(job) {
    var product = jobs[String(job.job)];
    if (product === undefined) return;
    var card = cards[product];
    if (job.status === "done" && job.result_small_url) {
      var picture = card.querySelector("img");
      if (!picture) {
        picture = document.createElement("img");
        var placeholder = card.querySelector(".no-image");
        placeholder.parentNode.replaceChild(picture, placeholder);
      }
      picture.src = job.result_small_url;
      picture.alt = "This garment on your photo";
      card.classList.add("worn");
      outcome[product] = "done";
    } else if (job.status === "failed") {
      card.classList.add("wear-failed");
      card.title = job.error || "This garment could not be fitted on your photo.";
      outcome[product] = "failed";
    }
    report();
  }

  function handleMessage(message) {
    if (message.type === "tryon.state") message.jobs.forEach(show);
    else show(message);
  }

  function start() {
    var token = root.querySelector("input[name=csrfmiddlewaretoken]").value;
    fetch(root.dataset.apiUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ photo_id: root.dataset.photoId, products: products })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (reply) {
      if (!reply.ok) {
        say(reply.body.message || "The garments could not be fitted on your photo.");
        return;
      }
      products = reply.body.jobs.map(function (job) { return String(job.product); });
      leftOutSummary = reply.body.left_out_summary || "";
      Object.keys(cards).forEach(function (product) {  // left out: the photo cannot try it, or it is not offered
        if (products.indexOf(product) === -1) cards[product].classList.add("wear-skipped");
      });
      reply.body.jobs.forEach(function (job) { jobs[String(job.id)] = String(job.product); });
      reply.body.jobs.forEach(show);
      report();
    }).catch(function () { say("The connection to the shop failed; reload the page to try again."); });
  }

  function connect(first) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + root.dataset.wsPath);
    socket.onopen = function () {
      retries = 0;
      if (first) start();  // after the socket opens, so no result is missed
    };
    socket.onmessage = function (event) { handleMessage(JSON.parse(event.data)); };
    socket.onclose = function () {
      var delay = Math.min(MAX_RETRY_DELAY_MS, 1000 * Math.pow(2, retries));
      retries += 1;
      window.setTimeout(function () { connect(false); }, delay);
    };
  }

  if (!products.length) {
    say("No garment on this page can be tried on.");
    return;
  }
  connect(true);
})();
