// Site search: the box in the header. The index (search-index.json, built
// with the site: every article section and glossary term, figures included)
// is fetched the first time someone types, never on page load.
const input = document.getElementById('site-search-input');
const list = document.getElementById('site-search-results');
const status = document.getElementById('site-search-status');
const ROOT = new URL('./', import.meta.url);
const MAX_RESULTS = 8;
let index = null;
let loading = null;

function load() {
  if (!loading) {
    loading = fetch(new URL('search-index.json', ROOT))
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((entries) => {
        index = entries.map((e) => ({ ...e, hay: `${e.page} ${e.section} ${e.text}`.toLowerCase() }));
      })
      .catch((err) => {
        loading = null;
        throw err;
      });
  }
  return loading;
}

// Every word of the query must occur; a word in the section's title or
// term counts most, in the page title next, in the text least.
function search(query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const hits = [];
  for (const e of index) {
    if (!words.every((w) => e.hay.includes(w))) continue;
    const section = e.section.toLowerCase();
    let score = 0;
    for (const w of words) {
      if (section === w) score += 8;
      else if (section.includes(w)) score += 5;
      if (e.page.toLowerCase().includes(w)) score += 2;
      if (e.text.toLowerCase().includes(w)) score += 1;
    }
    hits.push({ e, score });
  }
  hits.sort((a, b) => b.score - a.score);
  return hits.slice(0, MAX_RESULTS).map((h) => h.e);
}

function snippet(text, query) {
  const w = query.toLowerCase().split(/\s+/).filter(Boolean)[0] || '';
  const at = Math.max(0, text.toLowerCase().indexOf(w));
  const start = Math.max(0, at - 50);
  return (start > 0 ? '…' : '') + text.slice(start, start + 140) + (start + 140 < text.length ? '…' : '');
}

function show(query) {
  list.replaceChildren();
  const q = query.trim();
  if (!q) {
    list.hidden = true;
    status.textContent = '';
    return;
  }
  const found = search(q);
  for (const e of found) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = new URL(e.url, ROOT).href;
    const where = document.createElement('span');
    where.className = 'site-search-where';
    where.textContent = e.section ? `${e.page} › ${e.section}` : e.page;
    const text = document.createElement('span');
    text.className = 'site-search-text';
    text.textContent = snippet(e.text, q);
    a.append(where, text);
    li.append(a);
    list.append(li);
  }
  if (!found.length) {
    const li = document.createElement('li');
    li.className = 'site-search-none';
    li.textContent = 'Nothing found. Try a shorter word, or the glossary.';
    list.append(li);
  }
  list.hidden = false;
  status.textContent = found.length === 1 ? '1 result' : `${found.length} results`;
}

if (input && list && status) {
  const search = () => {
    const q = input.value;
    if (index) {
      show(q);
      return;
    }
    load().then(
      () => show(input.value),
      (err) => {
        status.textContent = 'Search is unavailable right now.';
        console.warn(`llmem search: could not load search-index.json (${err.message}).`);
      },
    );
  };
  input.addEventListener('input', search);
  // Text typed before this script ran (or restored by the browser on Back) is searched now.
  if (input.value.trim()) search();
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      input.value = '';
      show('');
    } else if (ev.key === 'ArrowDown') {
      const first = list.querySelector('a');
      if (first) {
        ev.preventDefault();
        first.focus();
      }
    }
  });
  list.addEventListener('keydown', (ev) => {
    const links = [...list.querySelectorAll('a')];
    const i = links.indexOf(document.activeElement);
    if (ev.key === 'ArrowDown' && i >= 0 && i < links.length - 1) {
      ev.preventDefault();
      links[i + 1].focus();
    } else if (ev.key === 'ArrowUp' && i >= 0) {
      ev.preventDefault();
      (i === 0 ? input : links[i - 1]).focus();
    } else if (ev.key === 'Escape') {
      input.focus();
      input.value = '';
      show('');
    }
  });
  // A result on this page changes only the fragment: close the list.
  list.addEventListener('click', () => {
    list.hidden = true;
  });
}
