// The site search's engine over an index on disk, for tests/test_search_engine_js.py:
// `node tests/js/query_index.js <index dir>` reads a JSON list of requests on stdin and
// writes a JSON list of answers, one per request:
//   {"search": typed, "filters": {...}} -> {ids, partial, urls, words, fetched}
//       (`fetched`: the files the search read, the manifest left out; a fresh index each)
//   {"terms": text}                     -> the terms engine.terms() makes of it
//   {"postings": true}                  -> {term: [[doc id, impact], ...]} of every shard
//   {"facet": name}                     -> {value: [doc ids]}
//   {"passage": doc id, "words": [...]} -> engine.bestPassage() of that document's text
// Not a test file itself (`node --test` runs only *.test.js here).
"use strict";

const fs = require("node:fs/promises");
const path = require("node:path");
const { pathToFileURL, fileURLToPath } = require("node:url");
const engine = require("../../plugins/postmortem_kb/search/site/assets/engine.js");

const root = pathToFileURL(`${path.resolve(process.argv[2])}/`);

/** Open the index, with a fetch that reads files and notes their names. */
async function open() {
  const fetched = [];
  async function fetchFile(url) {
    const file = new URL(url);
    file.search = "";
    const name = file.href.slice(root.href.length);
    try {
      const data = await fs.readFile(fileURLToPath(file));
      fetched.push(name);
      return new Response(data);
    } catch (error) {
      return new Response("", { status: 404, statusText: "Not Found" });
    }
  }
  const index = await engine.openIndex(root, fetchFile);
  fetched.length = 0;
  return { index, fetched };
}

async function answer(request) {
  const { index, fetched } = await open();
  if ("search" in request) {
    const query = engine.parseQuery(request.search, index);
    const { ids, partial } = await engine.search(index, query, request.filters || {});
    const records = await index.records(ids);
    const read = [...fetched];
    return {
      ids,
      partial,
      urls: records.map((record) => record.u),
      words: query.words,
      fetched: read,
    };
  }
  if ("terms" in request) {
    return engine.terms(request.terms, index.manifest.maxTermLength);
  }
  if ("postings" in request) {
    const all = {};
    for (let i = 0; i < index.manifest.shards.length; i++) {
      const shard = await index.shard(i);
      shard.terms.forEach((term, t) => {
        all[term] = engine.postings(shard, t);
      });
    }
    return all;
  }
  if ("facet" in request) {
    return Object.fromEntries(await index.facet(request.facet));
  }
  if ("passage" in request) {
    return engine.bestPassage(await index.text(request.passage), request.words);
  }
  throw new Error(`unknown request ${JSON.stringify(request)}`);
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const requests = JSON.parse(Buffer.concat(chunks).toString("utf-8"));
  const answers = [];
  for (const request of requests) {
    answers.push(await answer(request));
  }
  process.stdout.write(JSON.stringify(answers));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
