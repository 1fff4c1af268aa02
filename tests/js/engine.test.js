// The site search's engine (plugins/postmortem_kb/search/site/assets/engine.js) in Node,
// without a browser: words, the index files' formats, ranking, passages, and loading the
// files through the fetch it is given. Run with `node --test tests/js/` (make lint).
//
// The fixture index below is written by hand, byte by byte; tests/test_search_engine_js.py
// runs the engine on an index that index_writer.py wrote.
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const test = require("node:test");
const vm = require("node:vm");

const ENGINE_PATH = path.join(
  __dirname,
  "..",
  "..",
  "plugins",
  "postmortem_kb",
  "search",
  "site",
  "assets",
  "engine.js",
);
const engine = require(ENGINE_PATH);

const ROOT = new URL("https://kb.example/pmkb-search/");

/** A term shard file: u32 little-endian header length, the JSON header, the postings. */
function shardFile(header, body) {
  const head = Buffer.from(JSON.stringify(header), "utf-8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(head.length);
  return Buffer.concat([length, head, Buffer.from(body)]);
}

function arrayBuffer(buffer) {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
}

// Three documents, ids 0..2. Postings (doc id, impact), encoded by hand:
//   cert    (2, 40)                  -> 2 40
//   pool    (1, 50) (2, 100)         -> 1 50 | 1 100        (deltas)
//   pooling (0, 10) (2, 90)          -> 0 10 | 2 90
//   zebra   (0, 255)                 -> 0 255               (the second shard)
const FILES = {
  "manifest.json": {
    version: 1,
    build: "b1",
    documents: 3,
    blockSize: 2,
    maxTermLength: 40,
    stopWords: ["the", "of"],
    shards: ["cert", "zebra"],
    facets: ["severity"],
  },
  "terms/0.bin": shardFile(
    { terms: ["cert", "pool", "pooling"], df: [1, 2, 2], offsets: [0, 2, 6] },
    [2, 40, 1, 50, 1, 100, 0, 10, 2, 90],
  ),
  "terms/1.bin": shardFile({ terms: ["zebra"], df: [1], offsets: [0] }, [0, 255]),
  "docs/0.json": [{ u: "a/", t: "A" }, { u: "b/", t: "B" }],
  "docs/1.json": [{ u: "c/", t: "C" }],
  "facets/severity.json": { SEV1: [0, 2], SEV2: [1] },
  "text/2.txt": "Intro words here. The payments pool was exhausted, then the pool recovered.",
};

/** A fetch over FILES that records what is asked for; `failures` names files that answer
 * 500 once. */
function fakeFetch(files = FILES, failures = new Set()) {
  const requests = [];
  async function fetchFile(url, init) {
    const address = new URL(url);
    requests.push({ url: address.href, init });
    const name = address.pathname.slice(ROOT.pathname.length);
    if (failures.delete(name)) {
      return new Response("", { status: 500, statusText: "Server Error" });
    }
    if (!(name in files)) {
      return new Response("", { status: 404, statusText: "Not Found" });
    }
    const content = files[name];
    const isBytes = Buffer.isBuffer(content) || typeof content === "string";
    return new Response(isBytes ? content : JSON.stringify(content));
  }
  return { fetchFile, requests };
}

async function open(files, failures) {
  const fake = fakeFetch(files, failures);
  const index = await engine.openIndex(ROOT, fake.fetchFile);
  return { index, requests: fake.requests };
}

async function searchFor(index, typed, filters = {}) {
  return engine.search(index, engine.parseQuery(typed, index), filters);
}

// --- words ---------------------------------------------------------------------------------

test("normalise drops a plural s, but not from ss, us, is or short words", () => {
  assert.equal(engine.normalise("timeouts"), "timeout");
  assert.equal(engine.normalise("certificates"), "certificate");
  for (const kept of ["status", "class", "redis", "gas", "dns"]) {
    assert.equal(engine.normalise(kept), kept);
  }
});

test("terms are lower-cased runs of letters and digits, too-long runs left out", () => {
  assert.deepEqual(engine.terms("PgBouncer's pools: 503s, x_y café", 40), [
    "pgbouncer",
    "s",
    "pool",
    "503",
    "x",
    "y",
    "café",
  ]);
  assert.deepEqual(engine.terms(`ok ${"a".repeat(41)} ${"b".repeat(40)}`, 40), [
    "ok",
    "b".repeat(40),
  ]);
});

test("a query drops stop words and a last word under 3 letters still being typed", () => {
  const index = { manifest: { maxTermLength: 40 }, stopWords: new Set(["the", "of"]) };
  assert.deepEqual(engine.parseQuery("the Pools of db", index), {
    term: "Pools", // stop words are not part of what is shown or highlighted
    words: [{ text: "pool", prefix: true }],
  });
  assert.deepEqual(engine.parseQuery("the Pools of db ", index).words, [
    { text: "pool", prefix: true },
    { text: "db", prefix: true },
  ]);
  assert.deepEqual(engine.parseQuery("  ", index), { term: "", words: [] });
  assert.deepEqual(engine.parseQuery("pool pool pools", index).words, [
    { text: "pool", prefix: true },
  ]);
});

test('a "quoted phrase" keeps its words whole, short ones included', () => {
  const index = { manifest: { maxTermLength: 40 }, stopWords: new Set(["the"]) };
  assert.deepEqual(engine.parseQuery(' "The DB timeouts" ', index), {
    term: '"The DB timeouts"',
    words: [
      { text: "db", prefix: false },
      { text: "timeout", prefix: false },
    ],
  });
});

// --- the file formats ----------------------------------------------------------------------

test("postings decode varint deltas of one, two and three bytes", () => {
  // (0, 200), (130, 7), (20000, 255): 130 = 0x82 0x01; 19870 = 0x9e 0x9b 0x01
  const body = [0x00, 200, 0x82, 0x01, 7, 0x9e, 0x9b, 0x01, 255];
  const shard = engine.decodeShard(arrayBuffer(shardFile({ terms: ["x"], df: [3], offsets: [0] }, body)));
  assert.deepEqual(shard.terms, ["x"]);
  assert.deepEqual(engine.postings(shard, 0), [
    [0, 200],
    [130, 7],
    [20000, 255],
  ]);
});

test("a shard's header gives each term its slice of the postings", () => {
  const shard = engine.decodeShard(arrayBuffer(FILES["terms/0.bin"]));
  assert.deepEqual(shard.df, [1, 2, 2]);
  assert.deepEqual(engine.postings(shard, 0), [[2, 40]]);
  assert.deepEqual(engine.postings(shard, 1), [
    [1, 50],
    [2, 100],
  ]);
  assert.deepEqual(engine.postings(shard, 2), [
    [0, 10],
    [2, 90],
  ]);
});

test("a facet's delta-coded ids add up to document ids", () => {
  const values = engine.decodeFacet({ SEV1: [3, 1, 10], SEV2: [0] });
  assert.deepEqual([...values.entries()], [
    ["SEV1", [3, 4, 14]],
    ["SEV2", [0]],
  ]);
});

test("a word's shards: the one it sorts into, and for a prefix the ones it starts", () => {
  const firsts = ["cert", "pool", "poolz", "zebra"];
  assert.deepEqual(engine.shardsFor(firsts, { text: "pool", prefix: true }), [1, 2]);
  assert.deepEqual(engine.shardsFor(firsts, { text: "pool", prefix: false }), [1]);
  assert.deepEqual(engine.shardsFor(firsts, { text: "aaa", prefix: true }), [0]);
  assert.deepEqual(engine.shardsFor(firsts, { text: "zz", prefix: true }), [3]);
  assert.deepEqual(engine.shardsFor([], { text: "pool", prefix: true }), []);
});

// --- ranking -------------------------------------------------------------------------------

test("rank: every word needed, best sum first, ties to the lower id", () => {
  const a = Float32Array.from([5, 0, 3, 3]);
  const b = Float32Array.from([1, 9, 2, 2]);
  assert.deepEqual(engine.rank(4, [a, b], null), { ids: [0, 2, 3], partial: false });
  assert.deepEqual(engine.rank(4, [a, b], null, true), { ids: [1, 0, 2, 3], partial: true });
  assert.deepEqual(engine.rank(4, [a, b], Uint8Array.from([0, 1, 1, 0])), {
    ids: [2],
    partial: false,
  });
  assert.deepEqual(engine.rank(4, [], Uint8Array.from([1, 0, 1, 1])), {
    ids: [0, 2, 3],
    partial: false,
  });
});

test("a prefix scores 0.7 of the longer term's impact; a document keeps its best term", async () => {
  const { index } = await open();
  const scores = await engine.wordScores(index, { text: "pool", prefix: true });
  // doc 0: pooling 10 × 0.7; doc 1: pool 50; doc 2: max(pool 100, pooling 90 × 0.7)
  assert.deepEqual(Array.from(scores), [Math.fround(7), 50, 100]);
  const whole = await engine.wordScores(index, { text: "pool", prefix: false });
  assert.deepEqual(Array.from(whole), [0, 50, 100]);
});

test("search: prefixes, phrases, every word, then any word", async () => {
  const { index } = await open();
  assert.deepEqual(await searchFor(index, "pool"), { ids: [2, 1, 0], partial: false });
  assert.deepEqual(await searchFor(index, '"pool"'), { ids: [2, 1], partial: false });
  assert.deepEqual(await searchFor(index, "the POOLS "), { ids: [2, 1, 0], partial: false });
  assert.deepEqual(await searchFor(index, "pool zebra"), { ids: [0], partial: false });
  assert.deepEqual(await searchFor(index, "cert zebra"), { ids: [0, 2], partial: true });
  assert.deepEqual(await searchFor(index, '"cert zebra"'), { ids: [], partial: false });
  assert.deepEqual(await searchFor(index, "zeb"), { ids: [0], partial: false });
  assert.deepEqual(await searchFor(index, "nothing"), { ids: [], partial: false });
});

test("search: filters alone list documents in id order, and narrow words", async () => {
  const { index } = await open();
  assert.deepEqual(await searchFor(index, "", { severity: "SEV2" }), {
    ids: [1],
    partial: false,
  });
  assert.deepEqual(await searchFor(index, "pool", { severity: "SEV1" }), {
    ids: [2, 0],
    partial: false,
  });
  assert.deepEqual(await searchFor(index, "pool", { severity: "SEV9" }), {
    ids: [],
    partial: false,
  });
});

// --- loading -------------------------------------------------------------------------------

test("the manifest is revalidated; a word fetches only its shards, each once, as ?v=<build>", async () => {
  const { index, requests } = await open();
  assert.deepEqual(requests, [{ url: `${ROOT}manifest.json`, init: { cache: "no-cache" } }]);
  await searchFor(index, "pool");
  await searchFor(index, "pooling");
  assert.deepEqual(
    requests.slice(1).map((r) => r.url),
    [`${ROOT}terms/0.bin?v=b1`],
  );
  await searchFor(index, "zebra");
  assert.equal(requests[requests.length - 1].url, `${ROOT}terms/1.bin?v=b1`);
});

test("records come from their blocks, in the order asked", async () => {
  const { index, requests } = await open();
  assert.deepEqual(await index.records([2, 0, 1]), [
    { u: "c/", t: "C" },
    { u: "a/", t: "A" },
    { u: "b/", t: "B" },
  ]);
  assert.equal(requests.filter((r) => r.url.includes("/docs/")).length, 2);
});

test("a file that fails is fetched again next time; a missing manifest is an error", async () => {
  const { index } = await open(FILES, new Set(["docs/0.json"]));
  await assert.rejects(index.records([0]), /docs\/0\.json: 500 Server Error/);
  assert.deepEqual(await index.records([0]), [{ u: "a/", t: "A" }]);
  const { fetchFile } = fakeFetch({});
  await assert.rejects(engine.openIndex(ROOT, fetchFile), /404 Not Found/);
});

// --- what a result shows -------------------------------------------------------------------

test("the passage: the words with the most query words, from a little before", () => {
  const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
  words[10] = "pool";
  words[30] = "Pools,";
  words[39] = "exhausted";
  const passage = engine.bestPassage(words.join(" "), ["pool", "exhaust"]);
  // the window at word 30 holds both words; it starts 6 words before, 28 words long
  assert.equal(passage, `… ${words.slice(24, 40).join(" ")}`);
  assert.equal(engine.bestPassage("nothing to see", ["pool"]), "");
  assert.equal(engine.bestPassage("a pool", ["pool"]), "a pool");
});

test("highlight marks the words that start with a query word", () => {
  assert.deepEqual(engine.highlight("PgBouncer pools, (db)", ["pool", "pgb"]), [
    { text: "PgBouncer", match: true },
    { text: " ", match: false },
    { text: "pools", match: true },
    { text: ", (", match: false },
    { text: "db", match: false },
    { text: ")", match: false },
  ]);
});

// --- as the browser loads it ---------------------------------------------------------------

test("as a plain script it sets a global, and searches without document or window", async () => {
  const trap = (name) => ({
    get() {
      throw new Error(`engine.js used ${name}`);
    },
  });
  const sandbox = { URL, TextDecoder, Response };
  const context = vm.createContext(sandbox);
  Object.defineProperty(context, "document", trap("document"));
  Object.defineProperty(context, "window", trap("window"));
  vm.runInContext(fs.readFileSync(ENGINE_PATH, "utf-8"), context, { filename: "engine.js" });
  const browserEngine = context.PmkbSearchEngine;
  assert.equal(typeof browserEngine.search, "function");
  const index = await browserEngine.openIndex(ROOT, fakeFetch().fetchFile);
  const found = await browserEngine.search(index, browserEngine.parseQuery("pool", index), {});
  assert.deepEqual(Array.from(found.ids), [2, 1, 0]);
  const text = await index.text(2);
  assert.match(browserEngine.bestPassage(text, ["pool"]), /payments pool was exhausted/);
});
