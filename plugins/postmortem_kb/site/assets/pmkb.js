/*
 * postmortem-kb, on every page: Material puts each table in a box that scrolls sideways
 * when the table is wider than the page (the dashboard's at any width, every listing on a
 * phone). A box that does scroll becomes a focusable region named after the heading above
 * its table, so a keyboard can reach and scroll it (WCAG 2.1.1); one that no longer
 * scrolls (the window grew) is a plain box again.
 */
(() => {
  "use strict";

  const MARK = "pmkbScrollRegion";

  function headingBefore(element) {
    for (let node = element; node && !node.matches?.(".md-content__inner"); node = node.parentElement) {
      for (let before = node.previousElementSibling; before; before = before.previousElementSibling) {
        if (/^H[1-6]$/.test(before.tagName)) {
          return before.textContent.replace(/¶\s*$/, "").trim();
        }
      }
    }
    return "";
  }

  function update() {
    for (const box of document.querySelectorAll(".md-typeset__scrollwrap")) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        const caption = box.querySelector("caption")?.textContent.trim();
        box.dataset[MARK] = "";
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", `Table: ${caption || headingBefore(box) || "scrolls sideways"}`);
      } else if (!scrolls && MARK in box.dataset) {
        delete box.dataset[MARK];
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  }

  if (window.document$?.subscribe) {
    window.document$.subscribe(update); // after Material has wrapped the page's tables
  } else {
    addEventListener("load", update);
  }
  addEventListener("resize", update);
})();
