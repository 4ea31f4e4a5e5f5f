// Unit tests of docs/javascripts/search-ja.js, run with node's built-in test runner:
//   node --test tests/js/
// (tests/test_search_units.py runs this from pytest, with an index segmented by hooks/search_ja.py.)
// The script is an IIFE for the browser: it is run here in a vm context with a fake `window` and a `Worker`
// whose postMessage records what the search worker would receive.
import { test } from "node:test"
import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import vm from "node:vm"

const SCRIPT = new URL("../../docs/javascripts/search-ja.js", import.meta.url)
const ZWSP = "\u200b"
// The pair fence and the search separator, as the build has them (hooks/search_ja.py, mkdocs.yml): given by
// tests/test_search_units.py, which runs these tests.
const { fence: FENCE, separator: SEPARATOR } = JSON.parse(process.env.SEARCH_JA_CONSTANTS ?? "null") ??
  assert.fail("SEARCH_JA_CONSTANTS is not set: run these tests through tests/test_search_units.py")

/** Load the script in a fresh context; returns the context's window, Worker and the messages posted. */
function load() {
  const posted = []
  class Worker {}
  Worker.prototype.postMessage = function (message) { posted.push(message) }
  const context = { window: {}, Worker, console, document: {}, location: {} }
  vm.createContext(context)
  vm.runInContext(readFileSync(SCRIPT, "utf-8"), context, { filename: SCRIPT.pathname })
  return { window: context.window, worker: new context.Worker(), posted }
}

/** An index as the build hook writes it: Japanese words joined with U+200B. */
function index(...texts) {
  return {
    config: { separator: SEPARATOR },
    docs: (process.env.SEARCH_JA_INDEX ? JSON.parse(readFileSync(process.env.SEARCH_JA_INDEX, "utf-8")).docs : [])
      .concat(texts.map((text, i) => ({ location: `p${i}/`, title: "", text }))),
  }
}

function setUp(...texts) {
  const loaded = load()
  loaded.worker.postMessage({ type: 0, data: index(...texts) })  // SETUP carries the index
  return loaded
}

const ja = words => ZWSP + words.join(ZWSP) + ZWSP

test("before the index arrives, rewrite() leaves the query alone", () => {
  assert.equal(load().window.__searchJa.rewrite("デジタル格差"), "デジタル格差")
})

test("a compound becomes its required index words, the last one open, and an optional pair term", () => {
  const { window } = setUp(ja(["デジタル", "格差", "の", "解消"]))
  assert.equal(window.__searchJa.rewrite("デジタル格差"), `+デジタル +\\格\\差* ${FENCE}デジタル\\格\\差`)
})

test("a particle between words is not required; the pairs keep it", () => {
  const { window } = setUp(ja(["デジタル", "格差", "の", "解消"]))
  const out = window.__searchJa.rewrite("格差の解消")
  assert.deepEqual(out.split(" ").filter(t => t.startsWith("+")), ["+\\格\\差*", "+\\解\\消*"])
  assert.ok(out.includes(`${FENCE}\\格\\差の${FENCE}`), out)
})

test("the first piece may be the tail of a longer index word", () => {
  const { window } = setUp(ja(["マイナンバー", "カード"]))
  assert.equal(window.__searchJa.rewrite("ナンバーカード"), `+*ナンバー +カード* *ナンバーカード`)
})

test("a word that is nowhere in the index stays required, so it finds nothing", () => {
  const { window } = setUp(ja(["デジタル", "格差"]))
  assert.equal(window.__searchJa.rewrite("宇宙"), "+\\宇\\宙")
})

test("words without Japanese and words in lunr's syntax are left to Material", () => {
  const { window } = setUp(ja(["デジタル", "格差"]))
  assert.equal(window.__searchJa.rewrite("ICT"), "ICT")
  assert.equal(window.__searchJa.rewrite("+デジタル格差"), "+デジタル格差")
  assert.equal(window.__searchJa.rewrite("ICT デジタル"), "ICT +デジタル*")
})

test("QUERY messages to the worker are rewritten, other messages pass unchanged", () => {
  const { worker, posted } = setUp(ja(["デジタル", "格差"]))
  worker.postMessage({ type: 2, data: "デジタル格差" })
  worker.postMessage({ type: 2, data: "ICT" })
  assert.equal(posted[0].type, 0)
  assert.equal(posted[1].data, `+デジタル +\\格\\差* ${FENCE}デジタル\\格\\差`)
  assert.equal(posted[2].data, "ICT")
})

test("with the site's segmented index, known compounds split as the index does", { skip: !process.env.SEARCH_JA_INDEX }, () => {
  const { window } = setUp()
  const expected = JSON.parse(process.env.SEARCH_JA_EXPECTED)
  for (const [query, words] of Object.entries(expected)) {
    const required = window.__searchJa.rewrite(query).split(" ").filter(t => t.startsWith("+"))
      .map(t => t.replace(/[+*\\]/g, ""))
    assert.deepEqual(required, words, query)
  }
})
