// Checkout address step: the new-address fields count only while "A new address" is chosen,
// so they are shown only then. Without JavaScript they stay visible and the form still works.
(function () {
  "use strict";
  const fields = document.querySelector("[data-new-address]");
  const choices = document.querySelectorAll('input[name="saved_address"]');
  if (!fields || choices.length === 0) {
    return;
  }
  function showChosen() {
    const chosen = document.querySelector('input[name="saved_address"]:checked');
    fields.hidden = Boolean(chosen) && chosen.value !== "new";
  }
  choices.forEach((choice) => choice.addEventListener("change", showChosen));
  showChosen();
})();
