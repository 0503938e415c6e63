// While typing an interest, suggest phrases that last week's papers use, with their counts.
"use strict";

// The phrase being typed: the text between the last comma or new line and the caret, and
// what leads it apart: a list marker ("- ", "• ", "2. ") and a minus or "no " (a topic to
// keep out; see accounts.forms.parse_interests).
function currentPhrase(box) {
  const before = box.value.slice(0, box.selectionStart);
  const start = Math.max(before.lastIndexOf(","), before.lastIndexOf("\n"), before.lastIndexOf(";")) + 1;
  const typed = before.slice(start).trim();
  const lead = typed.match(
    /^(?:(?:[-*•·‣◦–—]|\d{1,2}[.)])\s+)?(?:-|(?:no|not|except|excluding|exclude|without)\s+)?/i,
  )[0];
  return { start, end: box.selectionStart, lead, text: typed.slice(lead.length).trim() };
}

function useSuggestion(box, phrase) {
  const current = currentPhrase(box);
  const head = box.value.slice(0, current.start);
  const tail = box.value.slice(current.end);
  const spacer = head && !/[\n ]$/.test(head) ? " " : "";
  const chosen = current.lead + phrase;
  box.value = `${head}${spacer}${chosen}, ${tail.replace(/^[ ,]+/, "")}`;
  const caret = head.length + spacer.length + chosen.length + 2;
  box.focus();
  box.setSelectionRange(caret, caret);
}

function attachSuggestions(panel) {
  const box = document.getElementById(panel.dataset.suggestFor);
  const list = panel.querySelector("ul");
  let timer = null;
  let asked = "";
  const show = (suggestions) => {
    list.replaceChildren(
      ...suggestions.map(({ phrase, papers }) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "small secondary";
        button.textContent = phrase;
        const count = document.createElement("span");
        count.className = "count";
        count.textContent = ` ${papers} paper${papers === 1 ? "" : "s"}`;
        button.append(count);
        button.addEventListener("click", () => {
          useSuggestion(box, phrase);
          panel.hidden = true;
          asked = ""; // the next phrase may start as this one did
        });
        item.append(button);
        return item;
      }),
    );
    panel.hidden = suggestions.length === 0;
  };
  const ask = async () => {
    const text = currentPhrase(box).text;
    if (text === asked) return;
    asked = text;
    if (text.length < 2) return show([]);
    const response = await fetch(`${panel.dataset.suggestUrl}?q=${encodeURIComponent(text)}`);
    if (response.ok && asked === text) show((await response.json()).suggestions);
  };
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  });
}

document.querySelectorAll("[data-suggest-for]").forEach(attachSuggestions);
