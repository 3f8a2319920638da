// The search page's only script: start Pagefind's UI in #search. Without JavaScript the page
// says so and points to the A–Z of every spelling (the rest of the site needs no script).
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var box = document.getElementById("search");
  if (typeof PagefindUI !== "function" || !box) {
    return;
  }
  var options = {
    element: "#search",
    showSubResults: true,
    showImages: false,
    // Each result says what it is (Brief, Person, Source…): every page's <main> carries its kind.
    processResult: function (result) {
      var kind = result.meta && result.meta.kind;
      if (kind && result.meta.title) {
        result.meta.title = kind + " · " + result.meta.title;
      }
      return result;
    }
  };
  // The index comes in bundles of up to a few thousand pages each (data-bundles, relative to this page):
  // the first is the UI's own, the others are merged into its results.
  var bundles = (box.getAttribute("data-bundles") || "").split(" ").filter(Boolean).map(function (path) {
    return new URL(path, document.baseURI).href;
  });
  if (bundles.length) {
    options.bundlePath = bundles[0];
    options.mergeIndex = bundles.slice(1).map(function (path) { return { bundlePath: path }; });
  }
  new PagefindUI(options);
});
