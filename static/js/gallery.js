/* Product gallery: one large picture with thumbnails to switch, and an enlarged view with zoom.
   Plain JavaScript, no build step. Without JavaScript the page shows every picture, each a link to
   its full-size file, so nothing depends on this script. */
(function () {
  "use strict";

  var ZOOM_SCALE = 2.5;

  function setUpGallery(root) {
    var images = Array.prototype.slice.call(root.querySelectorAll("[data-gallery-image]"));
    var thumbs = Array.prototype.slice.call(root.querySelectorAll("[data-gallery-thumb]"));
    var dialog = root.querySelector("[data-gallery-zoom]");
    if (!images.length || !dialog || typeof dialog.showModal !== "function") return;
    var zoomFrame = dialog.querySelector("[data-gallery-zoom-frame]");
    var zoomImage = dialog.querySelector("[data-gallery-zoom-image]");
    var zoomCaption = dialog.querySelector("[data-gallery-zoom-caption]");
    var zoomToggle = dialog.querySelector("[data-gallery-zoom-toggle]");
    var current = 0;
    var zoomed = false;

    root.classList.add("gallery-enhanced");
    var thumbStrip = root.querySelector("[data-gallery-thumbs]");
    if (thumbStrip) thumbStrip.hidden = false;

    function show(index) {
      current = (index + images.length) % images.length;
      images.forEach(function (link, position) { link.hidden = position !== current; });
      thumbs.forEach(function (thumb, position) { thumb.setAttribute("aria-pressed", String(position === current)); });
      if (dialog.open) fillDialog();
    }

    function setZoom(on, originX, originY) {
      zoomed = on;
      zoomFrame.classList.toggle("zoomed", on);
      zoomToggle.setAttribute("aria-pressed", String(on));
      zoomToggle.textContent = on ? "Zoom out" : "Zoom in";
      zoomImage.style.transformOrigin = (originX === undefined ? 50 : originX) + "% " + (originY === undefined ? 50 : originY) + "%";
      zoomImage.style.transform = on ? "scale(" + ZOOM_SCALE + ")" : "";
    }

    function fillDialog() {
      var picture = images[current].querySelector("img");
      zoomImage.src = images[current].href;
      zoomImage.alt = picture.alt;
      zoomCaption.textContent = "Picture " + (current + 1) + " of " + images.length + ": " + picture.alt;
      setZoom(false);
    }

    function pointerOrigin(event) {
      var box = zoomFrame.getBoundingClientRect();
      return [((event.clientX - box.left) / box.width) * 100, ((event.clientY - box.top) / box.height) * 100];
    }

    images.forEach(function (link, index) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        current = index;
        fillDialog();
        dialog.showModal();
      });
    });
    thumbs.forEach(function (thumb) {
      thumb.addEventListener("click", function () { show(Number(thumb.dataset.galleryThumb)); });
    });
    zoomFrame.addEventListener("click", function (event) {
      var origin = pointerOrigin(event);
      setZoom(!zoomed, origin[0], origin[1]);
    });
    zoomFrame.addEventListener("mousemove", function (event) {
      if (!zoomed) return;
      var origin = pointerOrigin(event);
      zoomImage.style.transformOrigin = origin[0] + "% " + origin[1] + "%";
    });
    zoomToggle.addEventListener("click", function () { setZoom(!zoomed); });
    dialog.querySelector("[data-gallery-close]").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
      else if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
      else if (event.key === "+" || event.key === "=") { setZoom(true); event.preventDefault(); }
      else if (event.key === "-") { setZoom(false); event.preventDefault(); }
    });
    dialog.addEventListener("close", function () { images[current].focus(); });
    show(0);
  }

  document.querySelectorAll("[data-gallery]").forEach(setUpGallery);
})();
