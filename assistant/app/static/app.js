// The page's behaviour beyond Gradio's components (settings in window.CCHC, see app/assets.py):
// - <html lang> is the page's language (Gradio sets it from the browser's locale);
// - Gradio's own labels in the page's language (Gradio has no Vietnamese strings);
// - a character counter under the question box near the length limit;
// - a [n] marker in an answer opens and scrolls to that answer's source n.
(function () {
  "use strict";
  var cfg = window.CCHC || {lang: "vi", strings: {}, maxChars: 2000, counterFrom: 1600};
  var strings = {};
  var prefixes = [];  // entries ending in "*": a label that goes on with content ("user's message: …")
  Object.keys(cfg.strings || {}).forEach(function (key) {
    if (key.slice(-1) === "*") prefixes.push([key.slice(0, -1), cfg.strings[key].replace(/\*$/, "")]);
    else strings[key] = cfg.strings[key];
  });
  var hasStrings = Object.keys(cfg.strings || {}).length > 0;

  function translated(value) {
    var key = value.trim();
    if (Object.prototype.hasOwnProperty.call(strings, key)) return strings[key];
    for (var i = 0; i < prefixes.length; i++) {
      if (value.indexOf(prefixes[i][0]) === 0) return prefixes[i][1] + value.slice(prefixes[i][0].length);
    }
    return null;
  }

  function keepLang() {
    if (document.documentElement.getAttribute("lang") !== cfg.lang) {
      document.documentElement.setAttribute("lang", cfg.lang);
    }
  }

  var scratch = document.createElement("textarea");
  function plainText(markup) {  // an answer's markup as the words a screen reader should say
    scratch.innerHTML = markup.replace(/<br\s*\/?>/g, " ").replace(/<[^>]*>/g, "");
    return scratch.value;
  }

  function cleanLabels(root) {
    // Gradio labels each chat message with its content, our markup included: keep the words only
    var nodes = root.querySelectorAll("#cchc-chat [aria-label*='<']");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].setAttribute("aria-label", plainText(nodes[i].getAttribute("aria-label")));
    }
  }

  function fixSourceToggles(root) {
    // Gradio makes a source's title a button (role, tabindex) with an unnamed arrow button inside: a control in
    // a control, announced as an empty button. The arrow becomes the one control, named by the title; a click
    // or Enter on it still reaches the title's toggle.
    var titles = root.querySelectorAll("#cchc-chat .thought-group .title");
    for (var i = 0; i < titles.length; i++) {
      var title = titles[i];
      var arrow = title.querySelector("button");
      if (!arrow) continue;
      if (title.hasAttribute("role")) title.removeAttribute("role");
      if (title.hasAttribute("tabindex")) title.removeAttribute("tabindex");
      var name = title.textContent.replace(/\s+/g, " ").trim();
      if (arrow.getAttribute("aria-label") !== name) arrow.setAttribute("aria-label", name);
      if (arrow.hasAttribute("title")) arrow.removeAttribute("title");
    }
  }

  function fixExamples(root) {
    // the example questions are buttons in an element Gradio gives a list role without list items
    var lists = root.querySelectorAll("#cchc-chat .examples[role]");
    for (var i = 0; i < lists.length; i++) lists[i].removeAttribute("role");
  }

  function translate(root) {
    if (!root.querySelectorAll) return;
    cleanLabels(root);
    fixSourceToggles(root);
    fixExamples(root);
    if (!hasStrings) return;
    var nodes = root.querySelectorAll("[aria-label], [title], [placeholder]");
    for (var i = 0; i < nodes.length; i++) {
      ["aria-label", "title", "placeholder"].forEach(function (name) {
        var value = nodes[i].getAttribute(name);
        var local = value ? translated(value) : null;
        if (local !== null && local !== value) nodes[i].setAttribute(name, local);
      });
    }
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      var text = node.nodeValue.trim();
      if (text && Object.prototype.hasOwnProperty.call(strings, text)
          && !(node.parentElement && node.parentElement.closest(".cchc-answer, .cchc-passage, .cchc-docname, [data-testid=user], textarea"))) {
        node.nodeValue = node.nodeValue.replace(text, strings[text]);
      }
    }
  }

  function updateCounter() {
    var box = document.querySelector("#cchc-question textarea");
    var counter = document.getElementById("cchc-counter");
    if (!box || !counter) return;
    var n = box.value.length;
    var shown = n >= cfg.counterFrom;
    var text = shown ? n + " / " + cfg.maxChars : "";
    if (counter.textContent !== text) counter.textContent = text;
    counter.classList.toggle("cchc-over", n > cfg.maxChars);
  }

  function openSource(link) {
    var chat = link.closest("#cchc-chat") || document;
    // the chatbot's sanitizer keeps href but drops data-* attributes: the source number is in the href
    var found = /cchc-source-(\d+)$/.exec(link.getAttribute("href") || "");
    if (!found) return;
    var n = found[1];
    var answer = link.closest(".cchc-answer");
    var items = chat.querySelectorAll(".cchc-answer, .thought-group");
    var after = false;
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      if (item === answer) { after = true; continue; }
      if (!after) continue;
      if (item.classList.contains("cchc-answer")) break;  // the next answer: its sources are not this one's
      var title = item.querySelector(".title");
      if (title && title.textContent.indexOf("[" + n + "]") !== -1) {
        if (!item.querySelector(".cchc-passage")) title.click();
        // twice: the source opens with an animation, and the chat may scroll itself as its content grows
        [200, 700].forEach(function (delay) {
          setTimeout(function () {
            var mark = item.querySelector("mark.cchc-quote") || item;
            mark.scrollIntoView({block: "center", behavior: delay > 200 ? "auto" : "smooth"});
          }, delay);
        });
        item.classList.add("cchc-flash");
        setTimeout(function () { item.classList.remove("cchc-flash"); }, 1500);
        return;
      }
    }
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var link = event.target.closest("a.cchc-ref");
    if (link) {
      event.preventDefault();
      openSource(link);
      return;
    }
    // the full text opens beside the chat (the sanitizer drops target="_blank"; leaving would lose the chat)
    var full = event.target.closest("a.cchc-fulltext");
    if (full) {
      event.preventDefault();
      window.open(full.getAttribute("href"), "_blank", "noopener");
    }
  }, true);
  // Sending with Enter: the question is taken and the box emptied right here, in the key's own event, so that
  // what the user types next (while Gradio gets round to the submit) is never cleared with it. A question over
  // the limit stays in the box. Gradio's submit then calls cchcTake (chat.take_question_js) for the question.
  var taken = null;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || !event.target.closest
        || !event.target.closest("#cchc-question textarea")) return;
    var box = event.target;
    taken = box.value;
    if (taken.trim().length <= cfg.maxChars) {
      box.value = "";
      box.dispatchEvent(new Event("input", {bubbles: true}));  // Gradio's copy of the value follows
    }
  }, true);
  // [box value, question to answer] for the send event
  window.cchcTake = function (q) {
    var box = document.querySelector("#cchc-question textarea");
    var question = taken !== null ? taken : (q || "");
    taken = null;
    var now = box ? box.value : "";
    if (question.trim().length > cfg.maxChars) return [now || question, question];
    return [now === question ? "" : now, question];
  };

  // Enter on a source's toggle: the button's own click toggles it; the title's key handler must not toggle it back
  document.addEventListener("keydown", function (event) {
    if ((event.key === "Enter" || event.key === " ") && event.target.closest
        && event.target.closest("#cchc-chat .thought-group .title button")) {
      event.stopPropagation();
    }
  }, true);
  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("#cchc-question")) updateCounter();
  }, true);

  var pending = false;
  var observer = new MutationObserver(function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      keepLang();
      translate(document.body);
      updateCounter();
    });
  });
  function start() {
    keepLang();
    translate(document.body);
    observer.observe(document.documentElement, {childList: true, subtree: true, attributes: true,
                                                attributeFilter: ["lang", "aria-label", "title", "tabindex", "role"]});
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
