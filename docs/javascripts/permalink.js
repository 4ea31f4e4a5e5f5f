/**
 * "Copy link" buttons next to the permalinks (a.sd-permalink) of the document's items.
 *
 * Progressive enhancement: without this script the permalink icon is a plain link to the item's anchor. With
 * it, a button after each permalink copies the item's full URL (page URL + #id) to the clipboard and a polite
 * live region announces the result. The buttons are made here, never in the HTML, so print and the PDF (built
 * without scripts) have none; strategy.css hides permalinks and buttons in print as well.
 */
(() => {
  "use strict"

  const LABEL = "リンクをコピー"
  const DONE = "コピーしました"
  const FAILED = "コピーできませんでした。リンクの印を右クリック（長押し）してコピーしてください。"
  const ICON =
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M10.6 13.4a1 1 0 0 1 0-1.4l3.5-3.5a1 1 0 1 1 1.4 1.4L12 13.4a1 1 0 0 1-1.4 0ZM8.5 19.5a4.2 4.2 0 0 1-3-7.2l2.1-2.1a1 1 0 1 1 1.4 1.4L6.9 13.7a2.2 2.2 0 0 0 3.1 3.1l2.1-2.1a1 1 0 1 1 1.4 1.4l-2.1 2.1a4.2 4.2 0 0 1-2.9 1.3Zm8-5.6a1 1 0 0 1-.7-1.7l2.1-2.1a2.2 2.2 0 0 0-3.1-3.1l-2.1 2.1a1 1 0 1 1-1.4-1.4l2.1-2.1a4.2 4.2 0 0 1 5.9 5.9l-2.1 2.1a1 1 0 0 1-.7.3Z"/></svg>'

  /** The one polite live region of the page, made on first use. */
  function liveRegion() {
    let region = document.getElementById("sd-copy-status")
    if (!region) {
      region = document.createElement("div")
      region.id = "sd-copy-status"
      region.className = "sd-visually-hidden"
      region.setAttribute("role", "status")
      region.setAttribute("aria-live", "polite")
      document.body.append(region)
    }
    return region
  }

  /** Announce a message; cleared first, so that the same message is announced again. */
  function announce(message) {
    const region = liveRegion()
    region.textContent = ""
    window.setTimeout(() => { region.textContent = message }, 50)
  }

  /** Copy text with the Clipboard API, or with a hidden text area where that API is missing. */
  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text)
      return
    }
    const area = document.createElement("textarea")
    area.value = text
    area.setAttribute("readonly", "")
    area.className = "sd-visually-hidden"
    document.body.append(area)
    area.select()
    const ok = document.execCommand("copy")
    area.remove()
    if (!ok) throw new Error("copy refused")
  }

  /** The full URL of an item: this page's address with the item's id as fragment. */
  function itemUrl(id) {
    return `${location.origin}${location.pathname}#${encodeURIComponent(id)}`
  }

  /** A copy button for one permalink, named by the item's visible label (never its id). */
  function button(badge) {
    const id = badge.getAttribute("href").slice(1)
    const label = badge.dataset.itemLabel || ""
    const control = document.createElement("button")
    control.type = "button"
    control.className = "sd-copy"
    control.setAttribute("aria-label", `${LABEL}（${label}）`)
    control.title = LABEL
    control.innerHTML = ICON
    control.addEventListener("click", async () => {
      try {
        await copy(itemUrl(id))
        control.classList.add("sd-copied")
        window.setTimeout(() => control.classList.remove("sd-copied"), 2000)
        announce(DONE)
      } catch {
        announce(FAILED)
      }
    })
    return control
  }

  /** Add a button after every permalink that has none yet. */
  function enhance() {
    for (const badge of document.querySelectorAll('article a.sd-permalink[href^="#"]')) {
      if (!badge.nextElementSibling || !badge.nextElementSibling.classList.contains("sd-copy")) {
        badge.after(button(badge))
      }
    }
  }

  // Material's document$ emits on every page load (also with instant navigation); plain load otherwise.
  if (typeof window.document$ !== "undefined") {
    window.document$.subscribe(enhance)
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance)
  } else {
    enhance()
  }
})()
