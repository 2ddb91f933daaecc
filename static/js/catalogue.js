// Catalogue list: the filter panel starts folded on phones (products come first) and open on wider screens.
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 800px)");
  var panels = document.querySelectorAll("details[data-open-on-wide-screens]");
  function openOnWideScreens() {
    if (!wide.matches) return;
    panels.forEach(function (panel) { panel.open = true; });
  }
  openOnWideScreens();
  wide.addEventListener("change", openOnWideScreens);
})();
