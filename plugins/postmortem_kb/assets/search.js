/*
 * postmortem-kb site search: the dialog of overrides/partials/pmkb/search.html over
 * Pagefind's JS API (the index is written into <site>/pagefind/ after each build).
 *
 * Nothing is downloaded until the dialog opens: then pagefind.js, its WASM and the index's
 * metadata; each query fetches only the index chunks of its words, and one fragment
 * (title, metadata, text) per result shown, five at a time. A query runs 40 ms after the
 * last key (a faster key cancels it before it fetches anything), one at a time (keys typed
 * meanwhile make one more search, for the latest text, when it is done); stop words and a last
 * word still shorter than 3 letters are left out of it, since Pagefind matches prefixes
 * and their chunks are the largest. The facets' values and counts (pagefind.filters())
 * load after the first results, or when a filter is touched, so they never delay them.
 *
 * Keyboard: "/" or "s" (or Ctrl/Cmd-K) opens the dialog from anywhere but a text field;
 * ArrowDown/ArrowUp move through the results (the focus stays in the query field, the
 * result is aria-activedescendant); Enter opens the active result, or the first;
 * Ctrl/Cmd-Enter opens it in a new tab; Escape closes (the <dialog>'s own behaviour).
 *
 * With the theme feature `search.highlight`, result links carry `?h=<terms>` and the page
 * opened marks those terms, as Material's own search does.
 *
 * For measurements, the results list gets `data-pmkb-query` (the query it shows) and the
 * dialog dispatches `pmkb-search:results` ({query, filters, total, ms}) after rendering.
 */
(() => {
  "use strict";

  const DEBOUNCE_MS = 40; // a key typed sooner after the last one cancels its search
  const PAGE_SIZE = 5; // results whose fragment (~5-10 KB each) is fetched and shown at a time
  const MIN_CHARS = 3; // a word being typed searches from 3 letters: shorter prefixes fetch
  // the index of every word they start (at 10,000 incidents "co" is ~400 KB of chunks)
  const STOP_WORDS = new Set(
    ("a an and are as at be been by for from in into is it its no not of on or that the " +
      "this to was were with after before during")
      .split(" "),
  ); // every page has them: their index chunks are the largest (~430 KB for "the")
  const EXCERPT_WORDS = 26;
  const HIGHLIGHT_PARAM = "h";

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

  let pagefind = null; // the promise of the imported module
  let searchId = 0; // the latest query; older answers are dropped
  let current = null; // {term, search, shown: [fragment data]}
  let active = -1; // index of the active result
  let facetsLoaded = false;

  // --- opening and closing ---------------------------------------------------------------

  function open() {
    if (!dialog.open) {
      dialog.showModal();
    }
    input.focus();
    input.select();
    loadPagefind().catch(() => {});
  }

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
      const option = options[Math.max(active, 0)];
      const link = option?.querySelector("a");
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
      setActive([...list.children].indexOf(option));
    }
  });

  // --- searching ----------------------------------------------------------------------------

  let timer = 0;
  let running = null; // the search in flight: one at a time, or Pagefind's worker queues them
  let again = false; // the query changed while it ran
  input.addEventListener("input", () => {
    searchId++; // what is in flight is out of date
    clearTimeout(timer);
    timer = setTimeout(schedule, DEBOUNCE_MS);
  });

  /** Search for what the dialog holds now, or as soon as the search in flight is done: a
   * search for a word most pages contain takes longer than the time between two keys, and
   * queued searches for every key would answer later and later. */
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
  for (const select of selects) {
    select.addEventListener("change", () => {
      searchId++;
      schedule();
    });
    select.addEventListener("focus", () => loadFacets(), { once: true });
  }
  more.addEventListener("click", () => showMore());

  /** What to search for in the text typed: an exact "phrase" as typed; otherwise its words
   * without stop words, and without the last word while it is shorter than MIN_CHARS and
   * still being typed (no space after it). */
  function searchTerm(typed) {
    if (/^\s*".+"\s*$/.test(typed)) {
      return typed.trim();
    }
    const words = typed.trim().split(/\s+/).filter((w) => w && !STOP_WORDS.has(w.toLowerCase()));
    const last = words[words.length - 1];
    if (last && last.length < MIN_CHARS && !/\s$/.test(typed)) {
      words.pop();
    }
    return words.join(" ");
  }

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
    const term = searchTerm(input.value);
    const filters = chosenFilters();
    if (!term && !Object.keys(filters).length) {
      clear();
      return;
    }
    let pf;
    try {
      pf = await loadPagefind();
    } catch (error) {
      return;
    }
    let search;
    if (term) {
      search = await pf.search(term, { filters });
    } else {
      search = await pf.search(null, { filters, sort: { date: "desc" } });
    }
    if (id !== searchId) {
      return; // a newer query is on its way
    }
    let partial = false;
    if (!search.results.length && !term.startsWith('"') && term.split(/\s+/).length > 1) {
      search = await anyWord(pf, term, filters); // no page has every word: any of them
      partial = search.results.length > 0;
      if (id !== searchId) {
        return;
      }
    }
    const shown = await Promise.all(search.results.slice(0, PAGE_SIZE).map((r) => r.data()));
    if (id !== searchId) {
      return;
    }
    current = { term, filters, search, shown, partial };
    render(started, filters);
    loadFacets();
  }

  /** Pages with any of the words of `term`, best score first: Pagefind finds pages with
   * all of them, and during an incident "stripe timeout" should still show the timeouts. */
  async function anyWord(pf, term, filters) {
    const best = new Map();
    for (const word of new Set(term.split(/\s+/))) {
      for (const result of (await pf.search(word, { filters })).results) {
        if (!best.has(result.id) || best.get(result.id).score < result.score) {
          best.set(result.id, result);
        }
      }
    }
    const results = [...best.values()].sort((a, b) => b.score - a.score);
    return { results, filters: {} };
  }

  async function showMore() {
    if (!current) {
      return;
    }
    const id = searchId;
    const { search, shown } = current;
    const next = search.results.slice(shown.length, shown.length + PAGE_SIZE);
    const data = await Promise.all(next.map((r) => r.data()));
    if (id !== searchId || current.shown !== shown) {
      return;
    }
    const first = shown.length;
    shown.push(...data);
    data.forEach((item, i) => list.append(resultItem(item, first + i)));
    setActive(first);
    updateMore();
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
    const { term, search, shown } = current;
    const total = search.results.length;
    list.replaceChildren(...shown.map((item, i) => resultItem(item, i)));
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
    const left = current.search.results.length - current.shown.length;
    more.hidden = left <= 0;
    more.textContent = `Show ${Math.min(left, PAGE_SIZE)} more (${current.shown.length} of ${current.search.results.length} shown)`;
  }

  function resultItem(data, index) {
    const meta = data.meta || {};
    const item = element("li", { role: "option", id: `pmkb-search-result-${index}`, class: "pmkb-search__result" });
    item.setAttribute("aria-selected", "false");
    const link = element("a", { href: resultUrl(data.url), tabindex: "-1" });
    const head = element("span", { class: "pmkb-search__head" });
    if (meta.severity) {
      const badge = element("span", { class: "pmkb-badge" }, meta.severity);
      badge.style.cssText = meta.badge || "";
      head.append(badge, " ");
    } else if (meta.kind === "handbook") {
      head.append(element("span", { class: "pmkb-search__kind" }, "Handbook"), " ");
    }
    head.append(element("span", { class: "pmkb-search__title" }, meta.title || data.url));
    link.append(head);
    const facts = [meta.date, meta.services].filter(Boolean).join(" · ");
    if (facts) {
      link.append(element("span", { class: "pmkb-search__facts" }, facts));
    }
    const excerpt = element("span", { class: "pmkb-search__excerpt" });
    if (current?.term || !meta.impact) {
      excerpt.innerHTML = data.excerpt || ""; // Pagefind escapes the text; only <mark> is HTML
    } else {
      excerpt.textContent = meta.impact; // filters only: no words to show in context
    }
    link.append(excerpt);
    item.append(link);
    return item;
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
    const term = current?.term;
    if (!highlight || !term) {
      return url;
    }
    const target = new URL(url, location.href);
    target.searchParams.set(HIGHLIGHT_PARAM, term);
    return target.pathname + target.search + target.hash;
  }

  // --- facets -------------------------------------------------------------------------------

  /** The facets' values with their totals (pagefind.filters()), once. A separate instance
   * computes them: an instance that has loaded every filter counts results per filter value
   * on every search, which makes each keystroke 3 to 4 times slower at 10,000 incidents. */
  async function loadFacets() {
    if (facetsLoaded) {
      return;
    }
    facetsLoaded = true;
    let instance;
    try {
      const pf = await loadPagefind();
      instance = pf.createInstance({});
      const all = await instance.filters();
      for (const select of selects) {
        fillOptions(select, all[select.dataset.pmkbFacet] || {});
      }
    } catch (error) {
      facetsLoaded = false;
    } finally {
      instance?.destroy();
    }
  }

  function fillOptions(select, counts) {
    const known = new Set([...select.options].map((o) => o.value));
    const values = Object.keys(counts).filter((v) => !known.has(v));
    const facet = select.dataset.pmkbFacet;
    values.sort(facet === "year" ? (a, b) => b.localeCompare(a) : (a, b) => a.localeCompare(b));
    for (const value of values) {
      select.append(element("option", { value }, value));
    }
    for (const option of select.options) {
      if (option.value) {
        option.textContent = `${option.value} (${counts[option.value] || 0})`; // the total
      }
    }
  }

  // --- Pagefind -----------------------------------------------------------------------------

  function loadPagefind() {
    if (!pagefind) {
      const base = dialog.dataset.pmkbBase || config.base || ".";
      const url = new URL(`${base.replace(/\/?$/, "/")}pagefind/pagefind.js`, document.baseURI);
      status.textContent = "Loading the search index…";
      pagefind = import(url.href).then(
        async (pf) => {
          await pf.options({ excerptLength: EXCERPT_WORDS }); // searches in a web worker
          await pf.init();
          if (status.textContent.startsWith("Loading")) {
            status.textContent = "";
          }
          return pf;
        },
        (error) => {
          status.textContent =
            "Search is not available: its index did not load. Is the site served over HTTP, " +
            "and built with the postmortems plugin?";
          pagefind = null;
          throw error;
        },
      );
    }
    return pagefind;
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
