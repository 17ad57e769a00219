// The live preview's pages (`generate.py serve`): the server sends a document as one sheet per part between
// its page breaks; once the fonts and images are in, this moves the document's blocks into as many A4 sheets
// as they fill, as the PDF's pages do. A block goes to the next sheet when its bottom passes the sheet's
// content box (297 mm less the top and bottom margins of sheets.css); a list, or a section ending in one, is
// split between its items; a heading (any block with `break-after: avoid`) goes with the block after it; a
// block taller than a page stays whole and runs on. Every sheet after the first carries the footer and
// "Page N of M", where the PDF has them. When done, the article says how many sheets it has (data-sheets).
(() => {
  const SPLIT_BETWEEN_CHILDREN = ["UL", "OL", "SECTION"];
  const article = document.querySelector("article.document");

  const shown = (node) => node instanceof Element && getComputedStyle(node).display !== "none";
  const bottom = (element) => element.getBoundingClientRect().bottom;
  const keptWithNext = (element) => getComputedStyle(element).breakAfter === "avoid";

  // Where a sheet's content must end: its top, plus A4's height, less its bottom margin.
  function contentEnd(sheet) {
    const style = getComputedStyle(sheet);
    return sheet.getBoundingClientRect().top + parseFloat(style.minHeight) - parseFloat(style.paddingBottom);
  }

  function firstShown(sheet) {
    return [...sheet.children].find(shown);
  }

  // Leaves in `element` the children that end above `end` and returns a copy of it holding the others,
  // or null (and `element` as it was) when not even its first child fits.
  function split(element, end) {
    if (!SPLIT_BETWEEN_CHILDREN.includes(element.tagName)) return null;
    const rest = element.cloneNode(false);
    rest.removeAttribute("id");
    while (element.lastElementChild && bottom(element.lastElementChild) > end) {
      const child = element.lastElementChild;
      const part = child.getBoundingClientRect().top < end ? split(child, end) : null;
      if (part) {
        rest.prepend(part);
        break;
      }
      rest.prepend(child);
    }
    while (element.lastElementChild && keptWithNext(element.lastElementChild)) {
      rest.prepend(element.lastElementChild);
    }
    if (!element.lastElementChild) {
      element.append(...rest.childNodes);
      return null;
    }
    if (element.tagName === "OL") rest.start = element.start + element.children.length;
    return rest;
  }

  function newSheetAfter(sheet) {
    const next = document.createElement("div");
    next.className = "sheet continued";
    sheet.after(next);
    return next;
  }

  // One part of the document (what lies between two page breaks) laid out from `sheet` on; every sheet used.
  function layOut(sheet) {
    const queue = [...sheet.childNodes];
    const used = [sheet];
    sheet.replaceChildren();
    while (queue.length > 0) {
      const block = queue.shift();
      sheet.append(block);
      if (!shown(block) || bottom(block) <= contentEnd(sheet) + 0.5) continue;
      const rest = split(block, contentEnd(sheet));
      if (!rest && firstShown(sheet) === block) {
        sheet.classList.add("runs-on"); // taller than a page
        continue;
      }
      const carried = [rest ?? block];
      let before = rest ? null : block.previousElementSibling;
      while (before && shown(before) && keptWithNext(before) && firstShown(sheet) !== before) {
        carried.unshift(before);
        before = before.previousElementSibling;
      }
      for (const node of carried) node.remove();
      queue.unshift(...carried);
      sheet = newSheetAfter(sheet);
      used.push(sheet);
    }
    return used;
  }

  // The PDF may break a web address after any "/" (before a letter); so may the browser, given <wbr>.
  function breakAddresses() {
    const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
    const found = [];
    while (walker.nextNode()) if (walker.currentNode.data.includes("://")) found.push(walker.currentNode);
    for (const text of found) {
      const parts = text.data.split(/(?<=\/)(?=[^\/\s])/);
      text.replaceWith(...parts.flatMap((part, index) => (index ? [document.createElement("wbr"), part] : [part])));
    }
  }

  function paginate() {
    breakAddresses();
    const footer = article.querySelector(".page-footer");
    footer?.remove();
    const sheets = [...article.querySelectorAll(":scope > .sheet")].flatMap(layOut);
    const welsh = article.lang === "cy";
    sheets.forEach((sheet, index) => {
      if (index === 0 || !footer) return;
      const copy = footer.cloneNode(true);
      copy.classList.add("on-sheet");
      const number = copy.querySelector(".page-number");
      if (number) {
        number.textContent = welsh
          ? `Tudalen ${index + 1} o ${sheets.length}`
          : `Page ${index + 1} of ${sheets.length}`;
      }
      sheet.append(copy);
    });
    article.dataset.sheets = String(sheets.length);
  }

  if (article) {
    window.addEventListener("load", () => document.fonts.ready.then(paginate));
  }
})();
