/* Live try-on: start a job through the API, follow it over the websocket /ws/tryon/, show the result.
   Plain JavaScript, no build step. Without JavaScript the form posts to the server and the job page
   refreshes itself. */
(function () {
  "use strict";

  var STAGE_LABELS = {
    segmenting: "Finding you in the photo",
    masking: "Cutting out the garment",
    warping: "Fitting the garment to you",
    rendering: "Rendering",
    compositing: "Putting it together"
  };
  var MAX_RETRY_DELAY_MS = 30000;

  function setup(root) {
    var form = root.querySelector(".tryon-form");
    var statusBox = root.querySelector("[data-tryon-status]");
    var stageLabel = root.querySelector("[data-tryon-stage]");
    var progressBar = root.querySelector("[data-tryon-progress]");
    var failure = root.querySelector("[data-tryon-failure]");
    var resultBox = root.querySelector("[data-tryon-result]");
    var before = root.querySelector("[data-tryon-before]");
    var after = root.querySelector("[data-tryon-after]");
    var engineNote = root.querySelector("[data-tryon-engine]");
    var openFull = root.querySelector("[data-tryon-open]");
    var saveLink = root.querySelector("[data-tryon-save]");
    var photoInput = form ? form.querySelector("input[type=file][name=photo]") : null;
    var formError = root.querySelector("[data-tryon-error]");
    var announcement = root.querySelector("[data-tryon-announcement]");
    var resultHeading = root.querySelector("[data-tryon-result-heading]");
    var sizePicker = root.querySelector(".tryon-add-to-cart");
    // Ids are compared as strings: integers on SQLite, ObjectId strings on MongoDB.
    var productId = String(root.dataset.product);
    var jobId = root.dataset.jobId ? String(root.dataset.jobId) : null;
    var socket = null;
    var retries = 0;
    var shownStatus = null;  // the status on screen: focus moves only when a job seen live ends
    var latestSeen = {};  // job id → newest message, so a result that beats the POST reply is not lost
    var STATUS_RANK = { queued: 0, running: 1, done: 2, failed: 2 };

    // The try a message belongs to: a queued job waits for try attempts + 1, so a job queued again
    // after its worker died is newer than the running messages of the try before it. Done and
    // failed are final, newer than anything.
    function tryNumber(job) {
      if (STATUS_RANK[job.status] === 2) return Infinity;
      return (job.attempts || 0) + (job.status === "queued" ? 1 : 0);
    }

    function newer(a, b) {
      if (!b) return a;
      if (tryNumber(b) !== tryNumber(a)) return tryNumber(b) > tryNumber(a) ? b : a;
      if (STATUS_RANK[b.status] !== STATUS_RANK[a.status]) return STATUS_RANK[b.status] > STATUS_RANK[a.status] ? b : a;
      return b.progress > a.progress ? b : a;
    }

    function stageText(job) {
      if (job.status === "queued" && job.attempts > 0) return "The try-on worker stopped; trying again…";
      if (job.status === "queued") return "Waiting for a free try-on worker…";
      if (job.status === "running") return (STAGE_LABELS[job.stage] || "Starting") + "…";
      if (job.status === "done") return "Done";
      return "The try-on failed";
    }

    function announce(text) {
      if (announcement.textContent !== text) announcement.textContent = text;
    }

    function resultSummary() {
      var parts = ["Done. " + resultHeading.textContent + " is below.", "The After picture shows " + after.alt + "."];
      if (!engineNote.hidden) parts.push(engineNote.textContent);
      if (sizePicker) parts.push("Pick your size there to add it to the cart.");
      return parts.join(" ");
    }

    // When a job the shopper watched ends, focus goes to its result (or its error), so keyboard and
    // screen-reader users land on it instead of wherever the page left them.
    function settle(job) {
      var wasLive = shownStatus === "queued" || shownStatus === "running";
      shownStatus = job.status;
      if (job.status === "queued" || job.status === "running") {
        announce(stageText(job));
        return;
      }
      if (!wasLive) return;  // a result already there when the page opened is not news
      if (job.status === "done") {
        announce(resultSummary());
        resultHeading.focus();
      } else {
        announce("The try-on failed. " + (job.error || ""));
        failure.focus();
      }
    }

    function render(job) {
      statusBox.hidden = false;
      root.dataset.jobStatus = job.status;
      stageLabel.textContent = stageText(job);
      progressBar.value = job.status === "done" ? 1 : job.progress;
      failure.hidden = job.status !== "failed";
      failure.textContent = job.error || "";
      if (job.status !== "done") {
        resultBox.hidden = true;
        settle(job);
        return;
      }
      before.src = job.photo_url;
      after.src = job.result_url;
      openFull.href = job.result_url;
      saveLink.href = job.result_url + "?download=1";
      // The notes' wording comes from the page (tryon.wording), one per engine.
      engineNote.dataset.engine = job.engine;
      engineNote.textContent = engineNote.dataset["text" + job.engine.charAt(0).toUpperCase() + job.engine.slice(1)] || "";
      engineNote.hidden = !engineNote.textContent;
      var jobField = root.querySelector("[data-tryon-job-field]");
      if (jobField) jobField.value = String(job.job);  // the cart line remembers which try-on sold it
      resultBox.hidden = false;
      settle(job);
    }

    // A new attempt starts clean: no failure, progress or result of the previous job stays on screen
    // under the new attempt's error, and messages still arriving for the old job are ignored.
    function clearPreviousJob() {
      jobId = null;
      delete root.dataset.jobStatus;
      statusBox.hidden = true;
      failure.hidden = true;
      failure.textContent = "";
      progressBar.value = 0;
      stageLabel.textContent = "";
      resultBox.hidden = true;
    }

    function showFormError(message) {
      if (!formError) return;
      formError.innerHTML = "";
      if (message) {
        var item = document.createElement("li");
        item.textContent = message;
        formError.appendChild(item);
      }
      formError.hidden = !message;
      // The photo box is described by its help text and, while there is one, by the error.
      var helpId = photoInput.id + "_helptext";
      photoInput.setAttribute("aria-describedby", message ? helpId + " " + formError.id : helpId);
      if (message) photoInput.setAttribute("aria-invalid", "true");
      else photoInput.removeAttribute("aria-invalid");
    }

    function handleMessage(message) {
      (message.type === "tryon.state" ? message.jobs : [message]).forEach(function (job) {
        latestSeen[String(job.job)] = newer(job, latestSeen[String(job.job)]);
      });
      if (message.type === "tryon.state") {
        if (jobId === null) {
          // After a reload: pick up this product's newest job, if one is live or just finished.
          var mine = message.jobs.filter(function (job) { return String(job.product) === productId; });
          if (mine.length) jobId = String(mine[0].job);
        }
        message.jobs.forEach(function (job) { if (String(job.job) === jobId) render(job); });
      } else if (String(message.job) === jobId) {
        render(message);
      }
    }

    function connect() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + window.location.host + root.dataset.wsPath);
      socket.onopen = function () { retries = 0; root.dataset.socket = "open"; };
      socket.onmessage = function (event) { handleMessage(JSON.parse(event.data)); };
      socket.onclose = function () {
        root.dataset.socket = "closed";
        var delay = Math.min(MAX_RETRY_DELAY_MS, 1000 * Math.pow(2, retries));
        retries += 1;
        window.setTimeout(connect, delay);  // the state sent on reconnect catches up what was missed
      };
    }

    if (form && root.dataset.apiUrl) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button[type=submit]");
        // aria-disabled, not disabled: a disabled button drops the keyboard focus to the page body.
        if (button.getAttribute("aria-disabled") === "true") return;
        var data = new FormData(form);
        var photo = data.get("photo");
        if (photo && !photo.name) data.delete("photo");
        if (!data.get("photo_id")) data.delete("photo_id");
        clearPreviousJob();
        if (!data.has("photo") && !data.has("photo_id")) {
          showFormError("Choose a saved photo or upload one.");
          return;
        }
        showFormError("");
        button.setAttribute("aria-disabled", "true");
        fetch(root.dataset.apiUrl, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken"), "Accept": "application/json" }
        }).then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        }).then(function (reply) {
          if (!reply.ok) {
            showFormError(reply.body.message || "The try-on could not be started.");
            return;
          }
          jobId = String(reply.body.id);
          shownStatus = "queued";  // just started here: even a result that is ready at once gets the focus
          render(newer(reply.body, latestSeen[jobId]));
        }).catch(function () {
          showFormError("The connection to the shop failed; please try again.");
        }).finally(function () {
          button.removeAttribute("aria-disabled");
        });
      });
    }
    if (photoInput) {
      // Choosing a file means "upload a new photo"; choosing a saved photo drops the chosen file.
      photoInput.addEventListener("change", function () {
        var uploadChoice = form.querySelector("input[name=photo_id][value='']");
        if (photoInput.files.length && uploadChoice) uploadChoice.checked = true;
      });
      form.querySelectorAll("input[name=photo_id]").forEach(function (choice) {
        choice.addEventListener("change", function () { if (choice.value) photoInput.value = ""; });
      });
    }
    connect();
  }

  document.querySelectorAll("[data-tryon]").forEach(setup);
})();
