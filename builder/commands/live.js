// Live reload for `python -m builder serve`: served and injected by the dev server only, never part of the site.
(() => {
  "use strict";
  const OVERLAY_ID = "briefing-build-errors";
  let generation = null;
  const events = new EventSource("/__briefing/events");
  // A new build number after a reconnect means a reload was missed (or the server restarted).
  events.addEventListener("hello", (event) => {
    if (generation !== null && generation !== event.data) location.reload();
    generation = event.data;
  });
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("warnings", (event) => showWarnings(event.data.split("\n")));
  events.addEventListener("error", (event) => {
    // EventSource fires a plain "error" Event when the connection drops; it reconnects by itself.
    if (event instanceof MessageEvent) showOverlay(event.data.split("\n"));
  });

  function element(tag, text) {
    const node = document.createElement(tag);
    node.append(document.createTextNode(text));  // text nodes only: messages quote the content
    return node;
  }

  // Quotation marks are CSS on the page (<q>) and curly in the message: compare the words only.
  const words = (text) => text.replace(/[“”"‘’'…]/g, "").replace(/\s+/g, " ").trim();

  // A warning "content/briefs/SLUG.md:LINE: warning: paragraph has no citation: “first words…”" marks that
  // paragraph on SLUG's page: the mark lives in the preview only, never in the built files.
  function markUncited(lines) {
    const page = location.pathname.match(/briefs\/([^/]+)\/(index\.html)?$/);
    if (!page) return;
    for (const line of lines) {
      const found = line.match(/^content\/briefs\/([^/:]+)\.md:\d+: warning: paragraph has no citation: “(.*)”/);
      if (!found || found[1] !== page[1]) continue;
      const opening = words(found[2]);
      for (const para of document.querySelectorAll("main p, main li")) {
        if (opening && words(para.textContent).startsWith(opening)) {
          para.classList.add("briefing-uncited");
          Object.assign(para.style, {outline: "3px dashed #b45309", outlineOffset: "4px"});
          para.title = "Preview only: this paragraph has no citation";
        }
      }
    }
  }

  function showWarnings(lines) {
    markUncited(lines);
    document.getElementById(OVERLAY_ID)?.remove();
    const box = document.createElement("details");
    box.id = OVERLAY_ID;
    Object.assign(box.style, {
      position: "fixed", right: "0", bottom: "0", zIndex: "2147483647", maxWidth: "100%",
      maxHeight: "50vh", overflow: "auto", margin: "0", padding: ".5em 1em",
      background: "#fffbeb", color: "#451a03", font: "14px/1.4 ui-monospace, monospace",
      border: "2px solid #b45309", boxShadow: "0 -2px 12px rgba(0,0,0,.3)",
    });
    box.append(element("summary", `${lines.length} warning(s) in the last build (preview only)`));
    for (const line of lines) {
      const row = element("pre", line);
      Object.assign(row.style, {margin: ".5em 0 0", whiteSpace: "pre-wrap", font: "inherit"});
      box.append(row);
    }
    document.body.append(box);
  }

  function showOverlay(lines) {
    document.getElementById(OVERLAY_ID)?.remove();
    const box = document.createElement("div");
    box.id = OVERLAY_ID;
    box.setAttribute("role", "alert");
    // CSSOM properties, not a style attribute: the page's CSP forbids inline style attributes.
    Object.assign(box.style, {
      position: "fixed", left: "0", right: "0", bottom: "0", zIndex: "2147483647",
      maxHeight: "60vh", overflow: "auto", margin: "0", padding: "1em 1.25em",
      background: "#3b0a0a", color: "#fff", font: "14px/1.4 ui-monospace, monospace",
      borderTop: "4px solid #e5484d", boxShadow: "0 -4px 16px rgba(0,0,0,.4)",
    });
    box.append(element("strong", "Build failed: the last good site is shown. Fix the content and save."));
    for (const line of lines) {
      const row = element("pre", line);
      Object.assign(row.style, {margin: ".5em 0 0", whiteSpace: "pre-wrap", font: "inherit"});
      box.append(row);
    }
    document.body.append(box);
  }
})();
