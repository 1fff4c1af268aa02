/*
 * postmortem-kb site search: the engine. It reads the static index the `postmortems` plugin
 * writes into <site>/pmkb-search/ (search/site/index_writer.py) and ranks its documents for
 * a query. No DOM: the page side is dialog.js, which passes in the function that fetches
 * (the browser's `fetch`; the tests', reading files).
 *
 * A plain script: in the browser it sets `globalThis.PmkbSearchEngine`, in Node it is
 * `module.exports` (tests/js/).
 *
 * The files: the manifest (the first term of each term shard, the stop words), term shards
 * (a 4-byte little-endian header length, a JSON header {terms, df, offsets}, then each
 * term's postings: document id delta as a varint, one impact byte), blocks of result
 * records, facets (each value's document ids, delta-coded), and each page's text. Scores
 * were computed at build time (BM25, one byte per posting), so a search adds up postings in
 * a typed array: a few milliseconds at 10,000 incidents.
 *
 * A word matches every term it starts ("pool" finds "pooling"), whole terms scoring more;
 * a page must match every word, or, when none does, any of them. A "quoted phrase" matches
 * whole words only, every one of them. Words are split and normalised as index_writer's
 * tokens() does: lower case, runs of letters and digits, a plural "s" dropped. Stop words,
 * and a last word still shorter than 3 letters, are left out of a query.
 */
((engine) => {
  if (typeof module === "object" && module.exports) {
    module.exports = engine;
  } else {
    globalThis.PmkbSearchEngine = engine;
  }
})(
  (() => {
    "use strict";

    const MIN_CHARS = 3; // a word being typed searches from 3 letters: shorter prefixes span
    // many term shards
    const PREFIX_WEIGHT = 0.7; // "pool" matching "pooling" scores less than matching "pool"
    const PASSAGE_WORDS = 28; // the excerpt around the words typed
    const WORD = /[\p{L}\p{N}]+/gu;

    // --- words -------------------------------------------------------------------------------

    /** index_writer.normalise(): a plural "s" dropped. */
    function normalise(word) {
      if (word.length > 3 && word.endsWith("s") && !/(ss|us|is)$/.test(word)) {
        return word.slice(0, -1);
      }
      return word;
    }

    /** The index terms of `text`, as index_writer.tokens() makes them (stop words included). */
    function terms(text, maxTermLength) {
      const words = text.toLowerCase().match(WORD) || [];
      return words.filter((w) => w.length <= maxTermLength).map(normalise);
    }

    /** What to search for in the text typed: {term, words: [{text, prefix}]}, `term` being
     * the words as typed (shown, and highlighted on the page opened). An exact "phrase": its
     * words, whole. Otherwise every word but stop words, each matching the terms it starts,
     * without the last word while it is shorter than MIN_CHARS and still being typed (no
     * space after it). */
    function parseQuery(typed, index) {
      const indexed = (text) =>
        terms(text, index.manifest.maxTermLength).filter((w) => !index.stopWords.has(w));
      if (/^\s*".+"\s*$/.test(typed)) {
        const words = [...new Set(indexed(typed))];
        return { term: typed.trim(), words: words.map((text) => ({ text, prefix: false })) };
      }
      const typedWords = typed
        .trim()
        .split(/\s+/)
        .filter((w) => indexed(w).length);
      const last = typedWords[typedWords.length - 1];
      if (last && last.length < MIN_CHARS && !/\s$/.test(typed)) {
        typedWords.pop();
      }
      const words = [...new Set(typedWords.flatMap(indexed))];
      return { term: typedWords.join(" "), words: words.map((text) => ({ text, prefix: true })) };
    }

    // --- reading the index files -------------------------------------------------------------

    /** Term shard file `buffer` (an ArrayBuffer): {terms, df, offsets, body}. */
    function decodeShard(buffer) {
      const length = new DataView(buffer).getUint32(0, true);
      const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
      return { ...header, body: new Uint8Array(buffer, 4 + length) };
    }

    /** Visit term `t`'s postings in shard `sh`: visit(doc id, impact byte), ids ascending. */
    function eachPosting(sh, t, visit) {
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
        visit(doc, body[i++]);
        delta = 0;
        shift = 0;
      }
    }

    /** Term `t`'s postings in shard `sh`: [[doc id, impact], ...]. */
    function postings(sh, t) {
      const out = [];
      eachPosting(sh, t, (doc, impact) => out.push([doc, impact]));
      return out;
    }

    /** A facet file's JSON ({value: id deltas}): Map value -> document ids. */
    function decodeFacet(json) {
      const values = new Map();
      for (const [value, deltas] of Object.entries(json)) {
        let id = 0;
        values.set(value, deltas.map((delta) => (id += delta)));
      }
      return values;
    }

    /** The index under `root` (a URL ending in "/"), once its manifest is fetched with
     * `fetchFile(url, init)`, which answers as `fetch` does. Each other file is fetched once
     * (again after a failure), as `<name>?v=<build>`. */
    async function openIndex(root, fetchFile) {
      const response = await fetchFile(new URL("manifest.json", root), { cache: "no-cache" });
      if (!response.ok) {
        throw new Error(`${response.status} ${response.statusText}`);
      }
      const manifest = await response.json();
      const files = new Map(); // name -> promise of its decoded content

      function file(name, decode) {
        if (!files.has(name)) {
          const url = new URL(`${name}?v=${manifest.build}`, root);
          const loading = fetchFile(url)
            .then((answer) => {
              if (!answer.ok) {
                throw new Error(`${name}: ${answer.status} ${answer.statusText}`);
              }
              return decode(answer);
            })
            .catch((error) => {
              files.delete(name);
              throw error;
            });
          files.set(name, loading);
        }
        return files.get(name);
      }

      return {
        manifest,
        root,
        stopWords: new Set(manifest.stopWords),
        /** Term shard `i`: {terms, df, offsets, body}. */
        shard: (i) => file(`terms/${i}.bin`, async (r) => decodeShard(await r.arrayBuffer())),
        /** The result records of `ids` (index_writer.doc_record()), in that order. */
        async records(ids) {
          const size = manifest.blockSize;
          const blocks = await Promise.all(
            ids.map((id) => file(`docs/${Math.floor(id / size)}.json`, (r) => r.json())),
          );
          return ids.map((id, i) => blocks[i][id % size]);
        },
        /** A facet's values, each with its document ids (Map value -> ids). */
        facet: (name) => file(`facets/${name}.json`, async (r) => decodeFacet(await r.json())),
        /** Document `id`'s text. */
        text: (id) => file(`text/${id}.txt`, (r) => r.text()),
      };
    }

    // --- ranking -----------------------------------------------------------------------------

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

    /** The term shards (by the manifest's first terms `firsts`) that may hold terms starting
     * with the word (or the word itself). */
    function shardsFor(firsts, word) {
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

    /** Each document's score for one word: the best impact of the terms it matches (a longer
     * term it starts: PREFIX_WEIGHT of its impact). */
    async function wordScores(index, word) {
      const scores = new Float32Array(index.manifest.documents);
      const keep = (weight) => (doc, impact) => {
        if (impact * weight > scores[doc]) {
          scores[doc] = impact * weight;
        }
      };
      const shards = await Promise.all(
        shardsFor(index.manifest.shards, word).map((i) => index.shard(i)),
      );
      for (const sh of shards) {
        for (let t = lowerBound(sh.terms, word.text); t < sh.terms.length; t++) {
          const candidate = sh.terms[t];
          if (candidate === word.text) {
            eachPosting(sh, t, keep(1));
          } else if (word.prefix && candidate.startsWith(word.text)) {
            eachPosting(sh, t, keep(PREFIX_WEIGHT));
          } else {
            break;
          }
        }
      }
      return scores;
    }

    /** Document ids, best first (ties: lower id, i.e. newer), of the `n` documents `allowed`
     * (null: all) matching every word (`matches`: each word's scores), or with `anyWord`, at
     * least one. With no word, every allowed document in id order: incidents newest first. */
    function rank(n, matches, allowed, anyWord = false) {
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

    /** A mask of the documents every chosen filter ({facet: value}) allows, or null when
     * none is chosen. */
    async function allowedDocuments(index, filters) {
      const chosen = Object.entries(filters);
      if (!chosen.length) {
        return null;
      }
      const facets = await Promise.all(chosen.map(([name]) => index.facet(name)));
      const allowed = new Uint8Array(index.manifest.documents);
      chosen.forEach(([, value], i) => {
        for (const doc of facets[i].get(value) || []) {
          allowed[doc]++;
        }
      });
      return allowed.map((count) => (count === chosen.length ? 1 : 0));
    }

    /** The documents for `query` (parseQuery()) and `filters`: {ids, partial}, `partial`
     * when no page has every word and the ids are those with any of them (not for a quoted
     * phrase). */
    async function search(index, query, filters) {
      const [allowed, matches] = await Promise.all([
        allowedDocuments(index, filters),
        Promise.all(query.words.map((word) => wordScores(index, word))),
      ]);
      const n = index.manifest.documents;
      const result = rank(n, matches, allowed);
      if (!query.term.startsWith('"') && !result.ids.length && matches.length > 1) {
        return rank(n, matches, allowed, true); // no page has every word
      }
      return result;
    }

    // --- what a result shows -----------------------------------------------------------------

    /** The PASSAGE_WORDS words of `text` holding the most distinct `words` (query terms,
     * matched as beginnings), then the most matches, from a little before the first of them;
     * "" when none matches. */
    function bestPassage(text, words) {
      const parts = text.split(/\s+/);
      const hits = parts.map((part) => {
        const found = (part.toLowerCase().match(WORD) || []).map(normalise);
        return words.findIndex((w) => found.some((term) => term.startsWith(w)));
      });
      let best = -1;
      let bestScore = 0;
      hits.forEach((hit, start) => {
        if (hit < 0) {
          return; // a passage starts at a match
        }
        const span = hits.slice(start, start + PASSAGE_WORDS).filter((h) => h >= 0);
        const score = new Set(span).size * 1000 + span.length;
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

    /** `text` in pieces, [{text, match}], `match` for the words that start with one of the
     * query's `words` (after normalise()). */
    function highlight(text, words) {
      const pieces = [];
      for (const part of text.split(/([\p{L}\p{N}]+)/u)) {
        const term = normalise(part.toLowerCase());
        if (part) {
          pieces.push({ text: part, match: words.some((w) => term.startsWith(w)) });
        }
      }
      return pieces;
    }

    return {
      MIN_CHARS,
      PREFIX_WEIGHT,
      PASSAGE_WORDS,
      normalise,
      terms,
      parseQuery,
      decodeShard,
      postings,
      decodeFacet,
      openIndex,
      shardsFor,
      wordScores,
      rank,
      allowedDocuments,
      search,
      bestPassage,
      highlight,
    };
  })(),
);
