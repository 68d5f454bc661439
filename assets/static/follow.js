// Numbers in the prose that follow a figure (CONTENT.md, `follow=`): a
// shortcode written `{{kv … follow=kv-cache}}` is that figure's headline at
// the article's setting. When a reader changes the figure, the number takes
// the figure's new headline — read from the figure's own "Show the formula"
// panel, whose result is the headline (tests/e2e/formulas.spec.js) — with a
// quiet cue and a link back to the article's setting.
const spans = [...document.querySelectorAll('span[data-follow]')];
const WAIT_MS = 15000;

/** The figure's current headline, or null before it has mounted. */
function headline(host) {
  const result = host.shadowRoot?.querySelector('.lw-formula-body .lw-formula-result');
  return result ? result.textContent : null;
}

/** The page without the figure's settings in its URL, at the number. */
function articleUrl(id, span) {
  const url = new URL(window.location.href);
  for (const key of [...url.searchParams.keys()]) {
    if (key.startsWith(`${id}.`)) url.searchParams.delete(key);
  }
  url.hash = span.id;
  return url.href;
}

/** A link that reloads the page at the article's setting of the figure. */
function backLink(id, span) {
  const a = document.createElement('a');
  a.className = 'lw-follow-back';
  a.href = articleUrl(id, span);
  // Other figures' settings may have changed since: take the URL as it is now.
  a.addEventListener('click', () => {
    a.href = articleUrl(id, span);
  });
  a.textContent = `article: ${span.dataset.article}`;
  a.setAttribute('aria-label', `Back to the article's setting, where this reads ${span.dataset.article}`);
  return a;
}

function update(id, host) {
  const now = headline(host);
  if (now === null) return;
  for (const span of spans.filter((s) => s.dataset.follow === id)) {
    const changed = now !== span.dataset.article;
    if (span.textContent !== now) span.textContent = now;
    span.classList.toggle('lw-followed', changed);
    span.title = changed ? `Follows the figure; at the article's setting this reads ${span.dataset.article}` : span.dataset.alt;
    const next = span.nextElementSibling;
    const hasBack = next?.classList.contains('lw-follow-back');
    if (changed && !hasBack) span.after(' ', backLink(id, span));
    if (!changed && hasBack) {
      const gap = next.previousSibling;
      if (gap?.nodeType === Node.TEXT_NODE && gap.textContent === ' ') gap.remove();
      next.remove();
    }
  }
}

function watchFigure(id, host, since = performance.now()) {
  const body = host.shadowRoot?.querySelector('.lw-formula-body');
  if (!body) {
    // The figure mounts after this script runs; look again shortly.
    if (performance.now() - since < WAIT_MS) setTimeout(() => watchFigure(id, host, since), 100);
    return;
  }
  new MutationObserver(() => update(id, host)).observe(body, { childList: true, subtree: true, characterData: true });
  update(id, host);
}

spans.forEach((span, i) => {
  if (!span.id) span.id = `follow-${i + 1}`;
  // The same amount in the other unit system, shown while the number is the article's.
  span.dataset.alt = span.title;
});
for (const id of new Set(spans.map((s) => s.dataset.follow))) {
  const host = document.querySelector(`[data-llmem-widget="${CSS.escape(id)}"]`);
  if (host) watchFigure(id, host);
}
