/*
 * postmortem-kb site search: the dialog of templates/partials/pmkb/search.html over the
 * static index the `postmortems` plugin writes into <site>/pmkb-search/ (site_index.py).
 *
 * Nothing is downloaded until the dialog opens: then the manifest (the first term of each
 * term shard, the stop words). Each word typed fetches only the term shards its prefix
 * spans; each result shown, the block of 16 result records holding it, and when typing
 * pauses, its page's text, for the passage around the words typed; a facet's document lists load
 * when a filter is first touched. Scores were computed at build time (BM25, one
 * byte per posting), so a search adds up postings in a typed array: a few milliseconds at
 * 10,000 incidents. A search starts on every key (none runs twice at once: keys typed
 * meanwhile make one more search, for the latest text, when it is done). Stop words, and a
 * last word still shorter than 3 letters, are left out of it.
 *
 * A word matches every term it starts ("pool" finds "pooling"), whole terms scoring more;
 * a page must match every word, or, when none does, any of them (the status says so). A
 * "quoted phrase" matches whole words only, every one of them. Words are split and
 * normalised as site_index.tokens() does: lower case, runs of letters and digits, a plural
 * "s" dropped.
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

  const PAGE_SIZE = 5; // results shown at a time
  const MIN_CHARS = 3; // a word being typed searches from 3 letters: shorter prefixes span
  // many term shards
  const PREFIX_WEIGHT = 0.7; // "pool" matching "pooling" scores less than matching "pool"
  const PASSAGE_WORDS = 28; // the excerpt around the words typed
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

  let indexLoading = null; // the promise of the loaded manifest and its caches (loadIndex)
  let searchId = 0; // the latest query; older answers are dropped
  let current = null; // {term, words, filters, ids, shown: [records], partial}
  let active = -1; // index of the active result

  // --- opening and closing ---------------------------------------------------------------

  function open() {
    if (!dialog.open) {
      dialog.showModal();
    }
    input.focus();
    input.select();
    loadIndex().catch(() => {});
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

  /** What to search for in the text typed: {term, words: [{text, prefix}]}, `term` being
   * the words as typed (shown, and highlighted on the page opened). An exact "phrase": its
   * words, whole. Otherwise every word but stop words, each matching the terms it starts,
   * without the last word while it is shorter than MIN_CHARS and still being typed (no
   * space after it). */
  function parseQuery(typed, ix) {
    const indexed = (text) => terms(text, ix).filter((w) => !ix.stopWords.has(w));
    if (/^\s*".+"\s*$/.test(typed)) {
      const words = [...new Set(indexed(typed))];
      return { term: typed.trim(), words: words.map((text) => ({ text, prefix: false })) };
    }
    const typedWords = typed.trim().split(/\s+/).filter((w) => indexed(w).length);
    const last = typedWords[typedWords.length - 1];
    if (last && last.length < MIN_CHARS && !/\s$/.test(typed)) {
      typedWords.pop();
    }
    const words = [...new Set(typedWords.flatMap(indexed))];
    return { term: typedWords.join(" "), words: words.map((text) => ({ text, prefix: true })) };
  }

  /** The index terms of `text`, as site_index.tokens() makes them. */
  function terms(text, ix) {
    const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || [];
    return words.filter((w) => w.length <= ix.manifest.maxTermLength).map(normalise);
  }

  /** site_index.normalise(): a plural "s" dropped. */
  function normalise(word) {
    if (word.length > 3 && word.endsWith("s") && !/(ss|us|is)$/.test(word)) {
      return word.slice(0, -1);
    }
    return word;
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
    let ix;
    try {
      ix = await loadIndex();
    } catch (error) {
      return;
    }
    const { term, words } = parseQuery(input.value, ix);
    const filters = chosenFilters();
    if (!words.length && !Object.keys(filters).length) {
      clear();
      return;
    }
    const [allowed, matches] = await Promise.all([
      allowedDocuments(ix, filters),
      Promise.all(words.map((word) => wordScores(ix, word))),
    ]);
    if (id !== searchId) {
      return; // a newer query is on its way
    }
    let { ids, partial } = rank(ix, matches, allowed);
    if (!term.startsWith('"') && !ids.length && matches.length > 1) {
      ({ ids, partial } = rank(ix, matches, allowed, true)); // no page has every word
    }
    const shown = await records(ix, ids.slice(0, PAGE_SIZE));
    if (id !== searchId) {
      return;
    }
    current = { term, words: words.map((w) => w.text), filters, ids, shown, partial };
    render(started, filters);
    showPassages(ix);
  }

  /** Each document's score for one word: the best impact of the terms it matches. */
  async function wordScores(ix, word) {
    const scores = new Float32Array(ix.manifest.documents);
    const shards = await Promise.all(shardsFor(ix, word).map((i) => shard(ix, i)));
    for (const sh of shards) {
      let t = lowerBound(sh.terms, word.text);
      for (; t < sh.terms.length; t++) {
        const candidate = sh.terms[t];
        if (candidate === word.text) {
          addPostings(sh, t, scores, 1);
        } else if (word.prefix && candidate.startsWith(word.text)) {
          addPostings(sh, t, scores, PREFIX_WEIGHT);
        } else {
          break;
        }
      }
    }
    return scores;
  }

  /** The term shards that may hold terms starting with the word (or the word itself). */
  function shardsFor(ix, word) {
    const firsts = ix.manifest.shards;
    if (!firsts.length) {
      return []; // an empty index
    }
    const at = Math.max(0, upperBound(firsts, word.text) - 1);
    const wanted = [at];
    if (word.prefix) {
      for (let i = at + 1; i < firsts.length && firsts[i].startsWith(word.text); i++) {
        wanted.push(i);
      }
    }
    return wanted;
  }

  /** Add one term's postings (doc id deltas as varints, one impact byte each) to `scores`,
   * keeping each document's best. */
  function addPostings(sh, t, scores, weight) {
    const body = sh.body;
    const end = t + 1 < sh.offsets.length ? sh.offsets[t + 1] : body.length;
    let doc = 0;
    let delta = 0;
    let shift = 0;
    for (let i = sh.offsets[t]; i < end; ) {
      const byte = body[i++];
      delta |= (byte & 0x7f) << shift;
      if (byte & 0x80) {
        shift += 7;
        continue;
      }
      doc += delta;
      const impact = body[i++] * weight;
      if (impact > scores[doc]) {
        scores[doc] = impact;
      }
      delta = 0;
      shift = 0;
    }
  }

  /** Document ids, best first (ties: lower id, i.e. newer), of the documents `allowed`
   * (null: all) matching every word, or with `anyWord`, at least one. With no word, every
   * allowed document in id order: incidents newest first. */
  function rank(ix, matches, allowed, anyWord = false) {
    const n = ix.manifest.documents;
    const ids = [];
    if (!matches.length) {
      for (let doc = 0; doc < n; doc++) {
        if (!allowed || allowed[doc]) {
          ids.push(doc);
        }
      }
      return { ids, partial: false };
    }
    const total = new Float32Array(n);
    for (let doc = 0; doc < n; doc++) {
      if (allowed && !allowed[doc]) {
        continue;
      }
      let sum = 0;
      let found = 0;
      for (const scores of matches) {
        if (scores[doc] > 0) {
          sum += scores[doc];
          found++;
        }
      }
      if (found === matches.length || (anyWord && found > 0)) {
        total[doc] = sum;
        ids.push(doc);
      }
    }
    ids.sort((a, b) => total[b] - total[a] || a - b);
    return { ids, partial: anyWord };
  }

  function lowerBound(sorted, value) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function upperBound(sorted, value) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async function showMore() {
    if (!current) {
      return;
    }
    const id = searchId;
    const { ids, shown } = current;
    const data = await records(loadedIndex, ids.slice(shown.length, shown.length + PAGE_SIZE));
    if (id !== searchId || current.shown !== shown) {
      return;
    }
    const first = shown.length;
    shown.push(...data);
    data.forEach((item, i) => list.append(resultItem(item, first + i)));
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
    const left = current.ids.length - current.shown.length;
    more.hidden = left <= 0;
    more.textContent = `Show ${Math.min(left, PAGE_SIZE)} more (${current.shown.length} of ${current.ids.length} shown)`;
  }

  /** One result: `record` is site_index.doc_record() (u url, t title, k kind, x excerpt,
   * s severity, b badge style, d date, v services). */
  function resultItem(record, index) {
    const item = element("li", { role: "option", id: `pmkb-search-result-${index}`, class: "pmkb-search__result" });
    item.setAttribute("aria-selected", "false");
    const link = element("a", { href: resultUrl(record.u), tabindex: "-1" });
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
   * holds the most of the words typed (each page's text is fetched once). The excerpt from
   * the record stays when no passage matches. */
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
      indexFile(ix, `text/${id}.txt`, (response) => response.text())
        .then((text) => {
          const passage = bestPassage(text, shown.words);
          const excerpt = list.children[i]?.querySelector(".pmkb-search__excerpt");
          if (passage && excerpt && current === shown) {
            excerpt.replaceChildren();
            marked(excerpt, passage);
          }
        })
        .catch(() => {}); // the record's excerpt stays
    });
  }

  /** The PASSAGE_WORDS words of `text` holding the most distinct `words` (then the most
   * matches), from a little before the first of them; "" when none matches. */
  function bestPassage(text, words) {
    const parts = text.split(/\s+/);
    const hits = parts.map((part) => {
      const found = (part.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []).map(normalise);
      return words.findIndex((w) => found.some((term) => term.startsWith(w)));
    });
    let best = -1;
    let bestScore = 0;
    hits.forEach((hit, start) => {
      if (hit < 0) {
        return; // a passage starts at a match
      }
      const window = hits.slice(start, start + PASSAGE_WORDS).filter((h) => h >= 0);
      const score = new Set(window).size * 1000 + window.length;
      if (score > bestScore) {
        bestScore = score;
        best = start;
      }
    });
    if (best < 0) {
      return "";
    }
    const from = Math.max(0, best - 6);
    const to = Math.min(parts.length, from + PASSAGE_WORDS);
    return `${from > 0 ? "… " : ""}${parts.slice(from, to).join(" ")}${to < parts.length ? " …" : ""}`;
  }

  /** `node` with `text`, the words that match the query's words in <mark>. */
  function marked(node, text) {
    const words = current?.words || [];
    if (!words.length) {
      node.textContent = text;
      return node;
    }
    for (const part of text.split(/([\p{L}\p{N}]+)/u)) {
      const term = normalise(part.toLowerCase());
      if (part && words.some((w) => term.startsWith(w))) {
        node.append(element("mark", {}, part));
      } else if (part) {
        node.append(part);
      }
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
        const values = await facet(ix, select.dataset.pmkbFacet).catch(() => null);
        if (values) {
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

  /** A mask of the documents every chosen filter allows, or null when none is chosen. */
  async function allowedDocuments(ix, filters) {
    const chosen = Object.entries(filters);
    if (!chosen.length) {
      return null;
    }
    const facets = await Promise.all(chosen.map(([name]) => facet(ix, name)));
    const allowed = new Uint8Array(ix.manifest.documents);
    chosen.forEach(([name, value], i) => {
      for (const doc of facets[i].get(value) || []) {
        allowed[doc]++;
      }
      const select = selects.find((s) => s.dataset.pmkbFacet === name);
      if (select) {
        fillOptions(select, facets[i]);
      }
    });
    return allowed.map((count) => (count === chosen.length ? 1 : 0));
  }

  // --- the index (site_index.py) ------------------------------------------------------------

  let loadedIndex = null;

  function siteRoot() {
    const base = dialog.dataset.pmkbBase || config.base || ".";
    return new URL(base.replace(/\/?$/, "/"), document.baseURI);
  }

  /** The manifest, and caches of the files fetched so far. */
  function loadIndex() {
    if (!indexLoading) {
      const root = new URL(INDEX_DIR, siteRoot());
      status.textContent = "Loading the search index…";
      indexLoading = fetch(new URL("manifest.json", root), { cache: "no-cache" })
        .then((response) => {
          if (!response.ok) {
            throw new Error(`${response.status} ${response.statusText}`);
          }
          return response.json();
        })
        .then(
          (manifest) => {
            if (status.textContent.startsWith("Loading")) {
              status.textContent = "";
            }
            loadedIndex = {
              manifest,
              root,
              stopWords: new Set(manifest.stopWords),
              files: new Map(), // name -> promise of its decoded content
            };
            return loadedIndex;
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

  /** The decoded content of one index file, fetched once (again after a failure). */
  function indexFile(ix, name, decode) {
    if (!ix.files.has(name)) {
      const url = new URL(`${name}?v=${ix.manifest.build}`, ix.root);
      const loading = fetch(url)
        .then((response) => {
          if (!response.ok) {
            throw new Error(`${name}: ${response.status} ${response.statusText}`);
          }
          return decode(response);
        })
        .catch((error) => {
          ix.files.delete(name);
          throw error;
        });
      ix.files.set(name, loading);
    }
    return ix.files.get(name);
  }

  /** Term shard `i`: {terms, df, offsets, body} (see site_index.py). */
  function shard(ix, i) {
    return indexFile(ix, `terms/${i}.bin`, async (response) => {
      const buffer = await response.arrayBuffer();
      const length = new DataView(buffer).getUint32(0, true);
      const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
      return { ...header, body: new Uint8Array(buffer, 4 + length) };
    });
  }

  /** The result records of `ids`, in that order. */
  async function records(ix, ids) {
    const size = ix.manifest.blockSize;
    const blocks = await Promise.all(
      ids.map((id) => indexFile(ix, `docs/${Math.floor(id / size)}.json`, (r) => r.json())),
    );
    return ids.map((id, i) => blocks[i][id % size]);
  }

  /** A facet's values, each with its document ids (Map value -> ids). */
  function facet(ix, name) {
    return indexFile(ix, `facets/${name}.json`, async (response) => {
      const values = new Map();
      for (const [value, deltas] of Object.entries(await response.json())) {
        let id = 0;
        values.set(value, deltas.map((delta) => (id += delta)));
      }
      return values;
    });
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
