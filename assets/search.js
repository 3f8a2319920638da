// The search page's only script: start Pagefind's UI in #search. Without JavaScript the page
// says so and points to the A–Z of every spelling (the rest of the site needs no script).
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (typeof PagefindUI !== "function" || !document.getElementById("search")) {
    return;
  }
  new PagefindUI({
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
  });
});
