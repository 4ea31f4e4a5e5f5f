/**
 * Japanese compound-word queries for Material for MkDocs' built-in search.
 *
 * The build hook (hooks/search_ja.py) word-segments the index with U+200B, so
 * the browser's lunr index holds dictionary words: デジタル, 格差, ...
 * This script segments each Japanese query word against that same vocabulary
 * (taken from the index itself, so index and query can never disagree) and
 * turns 「デジタル格差」 into the lunr query `+デジタル +格差*`:
 *
 * - every piece is required (hiragana-only pieces only if there is nothing
 *   else), so a compound finds only sections holding all of its words, and a
 *   word that is nowhere in the index finds nothing;
 * - each adjacent pair of pieces is added as an optional term against the
 *   hidden `pairs` field (fenced with U+E000), so sections where the words
 *   are adjacent, i.e. that hold the compound itself, rank first;
 * - the first piece may be the tail of an index word (`+*ナンバー`), the last
 *   one the head of an index word (`+格*`), so any substring of the text works;
 * - Han characters are escaped (`\格\差`): lunr drops the backslashes, while
 *   Material's experimental Chinese segmenter (which would cut 「格差」 down to
 *   「格」 when 「格」 is also an index word) no longer sees a Han run.
 *
 * Material 9 has no query-transform hook (`__search.transform` was removed),
 * so the query messages sent to the search worker are rewritten instead: the
 * SETUP message carries the index (vocabulary), QUERY messages carry the raw
 * query string. Message types are Material's `SearchMessageType` enum.
 */
(() => {
  "use strict"

  const SETUP = 0
  const QUERY = 2

  /* Constants shared with hooks/search_ja.py: the build writes them from there. */
  /** Japanese characters (kana, ideographs, iteration marks). */
  const JA = /[\u3005\u3006\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]/
  /** Fence around the word pairs of the hidden `pairs` index field. */
  const FENCE = "\ue000"
  /* End of the shared constants. */
  /** Characters with a meaning in lunr's query syntax. */
  const SYNTAX = /[+\-*:^~"\\]/
  /** Hiragana only, e.g. a particle such as 「の」 or okurigana. */
  const HIRAGANA = /^[\u3040-\u309f]+$/

  /**
   * Vocabulary of the index.
   * @typedef {{words: Set<string>, prefixes: Set<string>, suffixes: Set<string>,
   *            list: string[], separator: RegExp}} Vocabulary
   * @type {Vocabulary | undefined}
   */
  let vocabulary
  /**
   * The index of the SETUP message, kept until the first Japanese query: the
   * vocabulary is built then, not while the page loads (on a phone, building
   * it from the whole index is a long task of the main thread).
   */
  let pendingIndex

  /** The vocabulary, built from the kept index on first use. */
  function currentVocabulary() {
    if (!vocabulary && pendingIndex) {
      vocabulary = buildVocabulary(pendingIndex)
      pendingIndex = undefined
    }
    return vocabulary
  }

  /**
   * Build the vocabulary from the search index exactly as Material tokenizes
   * it: text outside tags, split at the configured separator, lower-cased.
   *
   * @param {{config: {separator: string}, docs: {title?: string, text?: string}[]}} index
   * @returns {Vocabulary}
   */
  function buildVocabulary({ config, docs }) {
    const separator = new RegExp(config.separator, "g")
    const words = new Set()
    for (const doc of docs)
      for (const field of [doc.title, doc.text])
        if (typeof field === "string")
          for (const text of field.split(/<[^>]*>/))
            for (const word of text.toLowerCase().split(separator))
              if (word)
                words.add(word)
    const prefixes = new Set()
    const suffixes = new Set()
    for (const word of words)
      for (let i = 1; i < word.length; i++) {
        prefixes.add(word.slice(0, i))
        suffixes.add(word.slice(i))
      }
    return { words, prefixes, suffixes, list: [...words], separator }
  }

  /**
   * Split one query word into index pieces with the fewest pieces (ties:
   * fewest partial pieces). Returns undefined if the word cannot be covered.
   *
   * @param {string} word - lower-cased query word without separators
   * @param {Vocabulary} v - vocabulary
   * @returns {{text: string, head: boolean, tail: boolean}[] | undefined}
   *   pieces; `head`/`tail` mark a leading/trailing wildcard
   */
  function segment(word, v) {
    const n = word.length
    if (v.words.has(word))
      return [{ text: word, head: false, tail: false }]
    if (v.prefixes.has(word))
      return [{ text: word, head: false, tail: true }]
    if (v.suffixes.has(word))
      return [{ text: word, head: true, tail: false }]
    if (v.list.some(w => w.includes(word)))
      return [{ text: word, head: true, tail: true }]

    /* best[i]: cheapest cover of word[0, i) whose last piece is complete */
    const best = new Array(n + 1).fill(undefined)
    best[0] = { cost: 0, pieces: [] }
    for (let i = 0; i < n; i++) {
      if (!best[i])
        continue
      for (let j = i + 1; j <= n; j++) {
        const text = word.slice(i, j)
        const options = []
        if (v.words.has(text))
          options.push({ head: false, tail: false, cost: 1 })
        if (i === 0 && v.suffixes.has(text))
          options.push({ head: true, tail: false, cost: 1.1 })
        if (j === n && v.prefixes.has(text))
          options.push({ head: false, tail: true, cost: 1.1 })
        for (const { head, tail, cost } of options) {
          const total = best[i].cost + cost
          if (!best[j] || total < best[j].cost)
            best[j] = {
              cost: total,
              pieces: [...best[i].pieces, { text, head, tail }]
            }
        }
      }
    }
    return best[n]?.pieces
  }

  /**
   * Escape a piece for lunr's query lexer (see the file comment).
   *
   * @param {string} text - piece
   * @returns {string} escaped piece
   */
  function escape(text) {
    return text.replace(/\p{sc=Han}/gu, "\\$&")
  }

  /**
   * Rewrite a raw query: Japanese words become required index pieces; other
   * words and words using lunr's query syntax are left to Material.
   *
   * @param {string} query - query typed by the user
   * @param {Vocabulary} v - vocabulary
   * @returns {string} query for Material's search worker
   */
  function rewrite(query, v) {
    const out = []
    for (const part of query.trim().split(/\s+/)) {
      if (!part || SYNTAX.test(part) || !JA.test(part)) {
        out.push(part)
        continue
      }
      const words = part.toLowerCase().split(v.separator).filter(Boolean)
      words.forEach((word, w) => {
        const pieces = segment(word, v)
        if (!pieces) {                   /* nowhere in the index: match nothing */
          out.push(`+${escape(word)}`)
          return
        }
        /* hiragana-only pieces (particles, okurigana) are segmented
           differently in different contexts (して vs し|て): require them only
           if the word has nothing else, and let the pair terms rank them */
        const content = pieces.some(({ text }) => !HIRAGANA.test(text))
        pieces.forEach(({ text, head, tail }, p) => {
          if (content && HIRAGANA.test(text))
            return
          const next = pieces[p + 1]
          const last = w === words.length - 1 && p === pieces.length - 1
          /* the first piece may be the tail of a longer word (川 of 河川) */
          head ||= p === 0 && v.suffixes.has(text)
          tail ||= last || (content && next !== undefined && HIRAGANA.test(next.text))
          out.push(`+${head ? "*" : ""}${escape(text)}${tail ? "*" : ""}`)
        })

        /* optional adjacent-pair terms: rank sections with the compound first */
        for (let p = 0; p + 1 < pieces.length; p++) {
          const head = p === 0 && (pieces[0].head || v.suffixes.has(pieces[0].text))
          const pair = escape(pieces[p].text + pieces[p + 1].text)
          /* the last pair stays open: its last piece may be the head of a word */
          const open = w === words.length - 1 && p + 2 === pieces.length
          out.push(`${head ? "*" : FENCE}${pair}${open ? "" : FENCE}`)
        }
      })
    }
    return out.join(" ")
  }

  /* Pending queries while the vocabulary is fetched (SETUP was missed) */
  let loading

  /**
   * Fetch the search index ourselves (from the HTTP cache, normally).
   *
   * @returns {Promise<void>}
   */
  function loadVocabulary() {
    loading ??= (async () => {
      const config = JSON.parse(document.getElementById("__config").textContent)
      const url = new URL("search/search_index.json", new URL(config.base, location.href))
      const res = await fetch(url)
      vocabulary = buildVocabulary(await res.json())
    })()
    return loading
  }

  const post = Worker.prototype.postMessage
  Worker.prototype.postMessage = function (message, ...rest) {
    try {
      if (message?.type === SETUP && message.data?.docs) {
        pendingIndex = message.data
        vocabulary = undefined
      } else if (message?.type === QUERY && typeof message.data === "string" &&
                 JA.test(message.data)) {
        if (!currentVocabulary()) {
          loadVocabulary()
            .then(() => post.call(this, { ...message,
              data: rewrite(message.data, vocabulary) }, ...rest))
            .catch(() => post.call(this, message, ...rest))
          return
        }
        message = { ...message, data: rewrite(message.data, vocabulary) }
      }
    } catch (err) {
      console.warn("search-ja: query left unchanged", err)
    }
    return post.call(this, message, ...rest)
  }

  /* Exposed for tests and debugging */
  window.__searchJa = { rewrite: q => currentVocabulary() ? rewrite(q, vocabulary) : q }
})()
