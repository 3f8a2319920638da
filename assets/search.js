// The search page's only script: start Pagefind's UI in #search. Without JavaScript the page
// says so and points to the A–Z of every spelling (the rest of the site needs no script).
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (typeof PagefindUI !== "function" || !document.getElementById("search")) {
    return;
  }
  new PagefindUI({ element: "#search", showSubResults: true, showImages: false });
});
