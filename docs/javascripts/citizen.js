/**
 * The reader's tools above each page (docs/overrides/partials/actions.html): print, and ふりがな.
 *
 * ふりがな: readings over the kanji of the article, computed at build time (hooks/citizen.py writes furigana.json
 * next to each page: for each text of the article, the kanji words in it and their readings). They are added as
 * <ruby> elements only when the reader turns ふりがな on, and the choice is remembered in this browser
 * (localStorage "sd-furigana"). When it is on at load, the script in the page's head has already hidden the
 * article and started fetching the readings, so the page is shown once, with its readings (no layout shift).
 * The readings are the site's, never the document's: every <rt> carries data-origin="site".
 */
(() => {
  "use strict"

  const KEY = "sd-furigana"
  const root = document.documentElement
  const SKIP = new Set(["SCRIPT", "STYLE", "CODE", "PRE", "KBD", "SAMP", "SVG", "RT", "RP", "TEXTAREA", "TEMPLATE", "RUBY"])

  function stored() {
    try {
      return localStorage.getItem(KEY) === "on"
    } catch (e) {
      return false
    }
  }

  function store(on) {
    try {
      localStorage.setItem(KEY, on ? "on" : "off")
    } catch (e) {
      /* private mode: the choice lasts for this page only */
    }
  }

  function article() {
    return document.querySelector("article.md-content__inner")
  }

  /** The readings of this page: started by the head script, or fetched now. */
  function readings() {
    if (!window.sdFurigana) {
      const button = document.querySelector('[data-sd-tool="furigana"]')
      const url = button && button.dataset.src
      window.sdFurigana = url ? fetch(url).then((r) => (r.ok ? r.json() : {})) : Promise.resolve({})
    }
    return window.sdFurigana.catch(() => ({}))
  }

  /** Add <ruby> to every text node of the article that the readings know (once). */
  function addRuby(map) {
    const top = article()
    if (!top || top.dataset.sdRuby === "done") return
    const walker = document.createTreeWalker(top, NodeFilter.SHOW_TEXT, {
      acceptNode(node) {
        for (let p = node.parentNode; p && p !== top; p = p.parentNode) {
          if (SKIP.has(p.nodeName.toUpperCase()) || p.classList.contains("sd-tools")) return NodeFilter.FILTER_REJECT
        }
        return Object.prototype.hasOwnProperty.call(map, node.data) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP
      },
    })
    const nodes = []
    while (walker.nextNode()) nodes.push(walker.currentNode)
    for (const node of nodes) {
      const text = node.data
      const fragment = document.createDocumentFragment()
      let pos = 0
      for (const [offset, length, reading] of map[text]) {
        if (offset < pos || offset + length > text.length) continue
        if (offset > pos) fragment.append(text.slice(pos, offset))
        const ruby = document.createElement("ruby")
        const rt = document.createElement("rt")
        rt.dataset.origin = "site"
        rt.textContent = reading
        ruby.append(text.slice(offset, offset + length), rt)
        fragment.append(ruby)
        pos = offset + length
      }
      if (pos < text.length) fragment.append(text.slice(pos))
      node.replaceWith(fragment)
    }
    top.dataset.sdRuby = "done"
  }

  function show() {
    root.classList.remove("sd-furigana-pending")
  }

  function setFurigana(on) {
    const button = document.querySelector('[data-sd-tool="furigana"]')
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false")
    root.classList.toggle("sd-furigana", on)
    if (!on) return Promise.resolve(show())
    return readings().then(addRuby).finally(show)
  }

  function init() {
    const furigana = document.querySelector('[data-sd-tool="furigana"]')
    if (furigana) {
      furigana.addEventListener("click", () => {
        const on = furigana.getAttribute("aria-pressed") !== "true"
        store(on)
        setFurigana(on)
      })
    }
    const print = document.querySelector('[data-sd-tool="print"]')
    if (print) print.addEventListener("click", () => window.print())
    setFurigana(stored())
    // Never leave the article hidden, whatever happens to the readings.
    setTimeout(show, 3000)
  }

  init()
})()
