// The embed guide: every snippet shows the address this site is served
// from, and every code block gets a Copy button.
const base = new URL("./", import.meta.url).href;
for (const el of document.querySelectorAll("[data-llmem-site-url]")) el.textContent = base;
for (const pre of document.querySelectorAll(".prose pre")) {
  const code = pre.querySelector("code") || pre;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy-button";
  button.textContent = "Copy";
  button.setAttribute("aria-label", "Copy this code");
  button.addEventListener("click", () => {
    const text = code.textContent;
    const done = (label) => {
      button.textContent = label;
      setTimeout(() => (button.textContent = "Copy"), 2000);
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(() => done("Copied"), () => done("Press Ctrl+C"));
    } else {
      const range = document.createRange();
      range.selectNodeContents(code);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      done("Selected: press Ctrl+C");
    }
  });
  const wrap = document.createElement("div");
  wrap.className = "code-block";
  pre.replaceWith(wrap);
  wrap.append(pre, button);
}
