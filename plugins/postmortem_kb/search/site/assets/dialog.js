/*
 * postmortem-kb site search: the dialog of templates/partials/pmkb/search.html, over the
 * engine of engine.js (`PmkbSearchEngine`, loaded first), which reads the static index the
 * `postmortems` plugin writes into <site>/pmkb-search/ and ranks its documents.
 *
 * Nothing is downloaded until the dialog opens: then the manifest. Each word typed fetches
 * only the term shards its prefix spans; each result shown, the block of 16 result records
 * holding it, and when typing pauses, its page's text, for the passage around the words
 * typed; a facet's document lists load when a filter is first touched. A search starts on
 * every key (none runs twice at once: keys typed meanwhile make one more search, for the
 * latest text, when it is done). When no page has every word, the results are the pages
 * with any of them, and the status says so.
 *
 * Keyboard: "/" or "s" (or Ctrl/Cmd-K) opens the dialog from anywhere but a text field;
 * ArrowDown/ArrowUp move through the results (the focus stays in the query field, the
 * result is aria-activedescendant); Enter opens the active result, or the first;
 * Ctrl/Cmd-Enter opens it in a new tab; Escape closes (the <dialog>'s own behaviour).
 *
 * Screen readers: a modal dialog named by its aria-label; the query field is a combobox
 * whose listbox "Results" holds the results, each link itself an option (an option holding
 * a link would be a control inside a control), with its position among all the results
 * (aria-posinset/-setsize); the status line, a polite live region, says how many there are.
 * Tab and Shift-Tab stay inside the dialog; closing it gives the focus back to what had it.
 *
 * With the theme feature `search.highlight`, result links carry `?h=<terms>` and the page
 * opened marks those terms, as Material's own search does.
 *
 * For measurements, the results list gets `data-pmkb-query` (the query it shows) and the
 * dialog dispatches `pmkb-search:results` ({query, filters, total, ms}) after rendering.
 */
(() => {
  "use strict";

  const engine = window.PmkbSearchEngine;
  const PAGE_SIZE = 5; // results shown at a time
  const PASSAGE_DELAY_MS = 300; // passages load when typing pauses: they never hold up a key
  const HIGHLIGHT_PARAM = "h";
  const INDEX_DIR = "pmkb-search/";

  const config = readMaterialConfig();
  const highlight = (config.features || []).includes("search.highlight");
  if (highlight) {
    markTermsOnThisPage();
  }

  const dialog = document.getElementById("pmkb-search");
  if (!dialog) {
    return;
  }
  const opener = document.querySelector(".pmkb-search-button");
  const input = dialog.querySelector(".pmkb-search__input");
  const list = dialog.querySelector(".pmkb-search__results");
  const status = dialog.querySelector(".pmkb-search__status");
  const more = dialog.querySelector(".pmkb-search__more");
  const selects = [...dialog.querySelectorAll("select[data-pmkb-facet]")];

  let indexLoading = null; // the promise of the opened index (loadIndex)
  let loadedIndex = null; // the index, once opened
  let searchId = 0; // the latest query; older answers are dropped
  let current = null; // {term, words, filters, ids, shown: [records], partial}
  let active = -1; // index of the active result
  let returnFocus = null; // what had the focus before the dialog opened

  // --- opening and closing ---------------------------------------------------------------

  function open() {
    if (!dialog.open) {
      returnFocus = document.activeElement;
      dialog.showModal();
    }
    input.focus();
    input.select();
    loadIndex().catch(() => {});
  }

  dialog.addEventListener("close", () => {
    if (returnFocus instanceof HTMLElement && returnFocus !== document.body && returnFocus.isConnected) {
      returnFocus.focus();
    }
    returnFocus = null;
  });

  /** Tab from the last control goes to the first, Shift-Tab from the first to the last:
   * the focus never leaves the dialog for the page behind it or the browser's own bar. */
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") {
      return;
    }
    const controls = [...dialog.querySelectorAll("input, select, button, a[href]")].filter(
      (control) => !control.disabled && control.tabIndex >= 0 && control.getClientRects().length,
    );
    const first = controls[0];
    const last = controls[controls.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  opener?.addEventListener("click", open);
  dialog.querySelector(".pmkb-search__close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) {
      dialog.close(); // a click on the backdrop
    }
  });

  document.addEventListener("keydown", (event) => {
    if (dialog.open || event.defaultPrevented || event.isComposing) {
      return;
    }
    const shortcut =
      ((event.key === "/" || event.key === "s") && !event.ctrlKey && !event.metaKey && !event.altKey) ||
      (event.key === "k" && (event.ctrlKey || event.metaKey));
    if (shortcut && !isTyping(event.target)) {
      event.preventDefault();
      open();
    }
  });

  function isTyping(element) {
    if (!(element instanceof HTMLElement)) {
      return false;
    }
    return element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName);
  }

  // --- keyboard inside the dialog -----------------------------------------------------------

  input.addEventListener("keydown", (event) => {
    const options = list.querySelectorAll("[role=option]");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!options.length) {
        return;
      }
      const step = event.key === "ArrowDown" ? 1 : -1;
      if (step > 0 && active === options.length - 1 && !more.hidden) {
        showMore(); // moving past the last result loads the next ones
        return;
      }
      setActive(Math.max(0, Math.min(options.length - 1, active + step)));
    } else if (event.key === "Enter") {
      event.preventDefault();
      const link = options[Math.max(active, 0)];
      if (link) {
        if (event.ctrlKey || event.metaKey) {
          window.open(link.href, "_blank", "noopener");
        } else {
          link.click();
        }
      }
    }
  });

  function setActive(index) {
    const options = list.querySelectorAll("[role=option]");
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index >= 0 && options[index]) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  list.addEventListener("mousemove", (event) => {
    const option = event.target.closest?.("[role=option]");
    if (option) {
      setActive([...list.querySelectorAll("[role=option]")].indexOf(option));
    }
  });

  // --- searching ----------------------------------------------------------------------------

  let running = null; // the search in flight: one at a time
  let passageTimer = 0; // showPassages, waiting for a pause in typing
  let again = false; // the query changed while it ran
  input.addEventListener("input", () => {
    searchId++; // what is in flight is out of date
    clearTimeout(passageTimer);
    schedule();
  });

  /** Search for what the dialog holds now, or as soon as the search in flight is done
   * (then once, for the latest text, however many keys came meanwhile). */
  function schedule() {
    if (running) {
      again = true;
      return;
    }
    running = run()
      .catch((error) => {
        status.textContent = `The search failed: ${error.message || error}`;
      })
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          schedule();
        }
      });
  }
  const filterGroup = dialog.querySelector(".pmkb-search__filters");
  for (const event of ["pointerenter", "focusin"]) {
    filterGroup?.addEventListener(event, () => loadFacets(selects), { once: true });
  }
  for (const select of selects) {
    select.addEventListener("change", () => {
      searchId++;
      schedule();
    });
  }
  more.addEventListener("click", () => showMore());

  function chosenFilters() {
    const filters = {};
    for (const select of selects) {
      if (select.value) {
        filters[select.dataset.pmkbFacet] = select.value;
      }
    }
    return filters;
  }

  async function run() {
    const id = ++searchId;
    const started = performance.now();
    let ix;
    try {
      ix = await loadIndex();
    } catch (error) {
      return;
    }
    const query = engine.parseQuery(input.value, ix);
    const filters = chosenFilters();
    if (!query.words.length && !Object.keys(filters).length) {
      clear();
      return;
    }
    const [{ ids, partial }] = await Promise.all([
      engine.search(ix, query, filters),
      showFacetCounts(ix, Object.keys(filters)),
    ]);
    if (id !== searchId) {
      return; // a newer query is on its way
    }
    const shown = await ix.records(ids.slice(0, PAGE_SIZE));
    if (id !== searchId) {
      return;
    }
    const words = query.words.map((w) => w.text);
    current = { term: query.term, words, filters, ids, shown, partial };
    render(started, filters);
    showPassages(ix);
  }

  async function showMore() {
    if (!current) {
      return;
    }
    const id = searchId;
    const { ids, shown } = current;
    const data = await loadedIndex.records(ids.slice(shown.length, shown.length + PAGE_SIZE));
    if (id !== searchId || current.shown !== shown) {
      return;
    }
    const first = shown.length;
    shown.push(...data);
    data.forEach((item, i) => list.append(resultItem(item, first + i, ids.length)));
    setActive(first);
    updateMore();
    showPassages(loadedIndex);
  }

  function clear() {
    current = null;
    list.replaceChildren();
    list.dataset.pmkbQuery = "";
    status.textContent = "";
    more.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
  }

  // --- rendering ----------------------------------------------------------------------------

  function render(started, filters) {
    const { term, ids, shown } = current;
    const total = ids.length;
    list.replaceChildren(...shown.map((item, i) => resultItem(item, i, total)));
    list.dataset.pmkbQuery = term;
    input.setAttribute("aria-expanded", String(total > 0));
    const what = term ? `for “${term}”` : "for these filters";
    if (current.partial) {
      status.textContent = `No page has all of “${term}”: ${total} with some of the words`;
    } else {
      status.textContent = total
        ? `${total} ${total === 1 ? "result" : "results"} ${what}`
        : `No results ${what}`;
    }
    setActive(-1); // Enter opens the first result; ArrowDown selects it
    updateMore();
    const ms = performance.now() - started;
    dialog.dispatchEvent(
      new CustomEvent("pmkb-search:results", { detail: { query: term, filters, total, ms } }),
    );
  }

  function updateMore() {
    const left = current.ids.length - current.shown.length;
    more.hidden = left <= 0;
    more.textContent = `Show ${Math.min(left, PAGE_SIZE)} more (${current.shown.length} of ${current.ids.length} shown)`;
  }

  /** One result, the `index`th of `total`: `record` is index_writer.doc_record() (u url,
   * t title, k kind, x excerpt, s severity, b badge style, d date, v services). The link is
   * the option (reached with the arrows, not Tab); its <li> is only the list's structure. */
  function resultItem(record, index, total) {
    const item = element("li", { role: "none", class: "pmkb-search__result" });
    const link = element("a", {
      href: resultUrl(record.u),
      tabindex: "-1",
      role: "option",
      id: `pmkb-search-result-${index}`,
      "aria-selected": "false",
      "aria-posinset": String(index + 1),
      "aria-setsize": String(total),
    });
    const head = element("span", { class: "pmkb-search__head" });
    if (record.s) {
      const badge = element("span", { class: "pmkb-badge" }, record.s);
      badge.style.cssText = record.b || "";
      head.append(badge, " ");
    } else if (record.k === "handbook") {
      head.append(element("span", { class: "pmkb-search__kind" }, "Handbook"), " ");
    }
    head.append(marked(element("span", { class: "pmkb-search__title" }), record.t || record.u));
    link.append(head);
    const facts = [record.d, record.v].filter(Boolean).join(" · ");
    if (facts) {
      link.append(element("span", { class: "pmkb-search__facts" }, facts));
    }
    link.append(marked(element("span", { class: "pmkb-search__excerpt" }), record.x || ""));
    item.append(link);
    return item;
  }

  /** Once the results are shown and typing pauses (PASSAGE_DELAY_MS without a key):
   * replace the excerpt of every result shown with the passage of its page's text that
   * holds the most of the words typed (engine.bestPassage; each page's text is fetched
   * once). The excerpt from the record stays when no passage matches. */
  function showPassages(ix) {
    const shown = current;
    if (!shown?.words.length) {
      return;
    }
    clearTimeout(passageTimer);
    passageTimer = setTimeout(() => {
      if (current === shown) {
        loadPassages(ix, shown);
      }
    }, PASSAGE_DELAY_MS);
  }

  function loadPassages(ix, shown) {
    shown.ids.slice(0, shown.shown.length).forEach((id, i) => {
      ix.text(id)
        .then((text) => {
          const passage = engine.bestPassage(text, shown.words);
          const excerpt = list.children[i]?.querySelector(".pmkb-search__excerpt");
          if (passage && excerpt && current === shown) {
            excerpt.replaceChildren();
            marked(excerpt, passage);
          }
        })
        .catch(() => {}); // the record's excerpt stays
    });
  }

  /** `node` with `text`, the words that match the query's words in <mark>. */
  function marked(node, text) {
    const words = current?.words || [];
    if (!words.length) {
      node.textContent = text;
      return node;
    }
    for (const piece of engine.highlight(text, words)) {
      node.append(piece.match ? element("mark", {}, piece.text) : piece.text);
    }
    return node;
  }

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      node.setAttribute(name, value);
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function resultUrl(url) {
    const target = new URL(url, siteRoot());
    const term = current?.term;
    if (highlight && term) {
      target.searchParams.set(HIGHLIGHT_PARAM, term);
    }
    return target.pathname + target.search + target.hash;
  }

  // --- facets -------------------------------------------------------------------------------

  /** Fill each select of `facetSelects` with its values and their totals. */
  async function loadFacets(facetSelects) {
    let ix;
    try {
      ix = await loadIndex();
    } catch (error) {
      return;
    }
    await Promise.all(
      facetSelects.map(async (select) => {
        const values = await ix.facet(select.dataset.pmkbFacet).catch(() => null);
        if (values) {
          fillOptions(select, values);
        }
      }),
    );
  }

  /** The totals of the facets `names` (those a search filters by) in their selects. A facet
   * that does not load is left as it is (the search reports the failure). */
  async function showFacetCounts(ix, names) {
    await Promise.all(
      names.map(async (name) => {
        const values = await ix.facet(name).catch(() => null);
        const select = selects.find((s) => s.dataset.pmkbFacet === name);
        if (values && select) {
          fillOptions(select, values);
        }
      }),
    );
  }

  function fillOptions(select, values) {
    const known = new Set([...select.options].map((o) => o.value));
    const added = [...values.keys()].filter((v) => !known.has(v));
    const name = select.dataset.pmkbFacet;
    added.sort(name === "year" ? (a, b) => b.localeCompare(a) : (a, b) => a.localeCompare(b));
    for (const value of added) {
      select.append(element("option", { value }, value));
    }
    for (const option of select.options) {
      if (option.value) {
        option.textContent = `${option.value} (${values.get(option.value)?.length || 0})`;
      }
    }
  }

  // --- the index ----------------------------------------------------------------------------

  function siteRoot() {
    const base = dialog.dataset.pmkbBase || config.base || ".";
    return new URL(base.replace(/\/?$/, "/"), document.baseURI);
  }

  /** The index (engine.openIndex), opened once (again after a failure), with what the
   * status says meanwhile. */
  function loadIndex() {
    if (!indexLoading) {
      status.textContent = "Loading the search index…";
      const root = new URL(INDEX_DIR, siteRoot());
      indexLoading = engine.openIndex(root, (url, init) => fetch(url, init)).then(
        (index) => {
          if (status.textContent.startsWith("Loading")) {
            status.textContent = "";
          }
          loadedIndex = index;
          return index;
        },
        (error) => {
          status.textContent =
            "Search is not available: its index did not load. Is the site served over " +
            "HTTP, and built with the postmortems plugin?";
          indexLoading = null;
          throw error;
        },
      );
    }
    return indexLoading;
  }

  // --- Material's settings and the search.highlight feature ---------------------------------

  function readMaterialConfig() {
    try {
      return JSON.parse(document.getElementById("__config")?.textContent || "{}");
    } catch (error) {
      return {};
    }
  }

  /** Wrap the words of `?h=` in <mark> inside the article, as Material's search.highlight. */
  function markTermsOnThisPage() {
    const terms = new URL(location.href).searchParams
      .getAll(HIGHLIGHT_PARAM)
      .flatMap((value) => value.split(/\s+/))
      .filter((term) => term.length > 1);
    const article = document.querySelector("article.md-content__inner");
    if (!terms.length || !article) {
      return;
    }
    const escaped = terms.map((term) => term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    const pattern = new RegExp(`(${escaped.join("|")})`, "gi");
    const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) =>
        node.parentElement.closest("script, style, mark, .headerlink")
          ? NodeFilter.FILTER_REJECT
          : NodeFilter.FILTER_ACCEPT,
    });
    const nodes = [];
    while (walker.nextNode()) {
      nodes.push(walker.currentNode);
    }
    for (const node of nodes) {
      const parts = node.nodeValue.split(pattern);
      if (parts.length < 2) {
        continue;
      }
      const fragment = document.createDocumentFragment();
      parts.forEach((part, i) => {
        fragment.append(i % 2 ? element("mark", { "data-md-highlight": "" }, part) : part);
      });
      node.replaceWith(fragment);
    }
  }
})();
