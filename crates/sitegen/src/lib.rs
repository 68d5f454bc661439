//! # llmem-sitegen
//!
//! Builds the static site at build time: Markdown content with estimator
//! shortcodes → HTML pages in the shell of `index.html`; widget CSS bundled
//! from beside each component; `embed.js`, the loader every page with a
//! widget (and every embedding blog) uses. Runs as trunk's `post_build`
//! hook, so `trunk serve` and `trunk build` both produce the whole site.
//!
//! The build fails — naming file and line — on an unknown shortcode or
//! widget parameter, a typed figure in prose, a glossary reference to a
//! missing term, or an internal link or anchor that does not resolve.

pub mod bundles;
pub mod content;
pub mod pages;
pub mod render;
pub mod search;
pub mod shortcodes;
pub mod template;

use bundles::BundleMap;
use content::Content;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use template::{PageParts, Shell};

/// Where the inputs are.
#[derive(Debug, Clone)]
pub struct Sources {
    /// `site/content`.
    pub content: PathBuf,
    /// `assets` (css/, static/).
    pub assets: PathBuf,
    /// `crates/widgets/src` (each widget's CSS lives beside its code).
    pub widgets: PathBuf,
}

impl Sources {
    /// The sources of this repository (located from this crate's manifest).
    pub fn repository() -> Sources {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        Sources {
            content: root.join("site/content"),
            assets: root.join("assets"),
            widgets: root.join("crates/widgets/src"),
        }
    }
}

/// A built site: output path → file contents.
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Site {
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files.get(path).and_then(|b| std::str::from_utf8(b).ok())
    }

    /// Writes every file under `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        for (path, bytes) in &self.files {
            let full = dir.join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            std::fs::write(&full, bytes).map_err(|e| format!("{}: {e}", full.display()))?;
        }
        Ok(())
    }
}

/// FNV-1a, 64-bit: a stable content hash for cache-busting file names.
pub fn content_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")[..12].to_string()
}

fn read_css_dir(dir: &Path) -> Result<String, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "css"))
        .collect();
    files.sort();
    let mut css = String::new();
    for f in files {
        css.push_str(&format!("/* {} */\n", f.file_name().unwrap_or_default().to_string_lossy()));
        css.push_str(&std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?);
        css.push('\n');
    }
    Ok(css)
}

/// Minifies CSS conservatively: drops comments and collapses whitespace
/// (never inside strings, which our stylesheets quote only in attribute
/// selectors and `content`).
pub fn minify_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        if c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            let mut prev = ' ';
            for d in chars.by_ref() {
                if prev == '*' && d == '/' {
                    break;
                }
                prev = d;
            }
            pending_space = true;
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            let last = out.chars().last().unwrap_or(' ');
            // A space before `:` may be a descendant combinator (`.x :where(…)`): keep it.
            if !"{};:,>".contains(last) && !"{};,>)".contains(c) {
                out.push(' ');
            }
        }
        pending_space = false;
        if c == '"' || c == '\'' {
            quote = Some(c);
        }
        out.push(c);
    }
    out
}

/// All widget CSS: `base.css`, then every `<widget>/style.css` in name order.
pub fn widgets_css(widgets_src: &Path) -> Result<String, String> {
    let mut css = std::fs::read_to_string(widgets_src.join("base.css"))
        .map_err(|e| format!("{}: {e}", widgets_src.join("base.css").display()))?;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(widgets_src)
        .map_err(|e| format!("{}: {e}", widgets_src.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("style.css").is_file())
        .collect();
    dirs.sort();
    for d in dirs {
        let f = d.join("style.css");
        css.push_str(&format!("\n/* {} */\n", d.file_name().unwrap_or_default().to_string_lossy()));
        css.push_str(&std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?);
    }
    Ok(css)
}

/// One widget's CSS: `base.css`, then its own `style.css` if it has one —
/// what a page embedding that widget alone needs (the site's pages share
/// [`widgets_css`], cached across them).
pub fn widget_css(widgets_src: &Path, widget: &str) -> Result<String, String> {
    let mut css = std::fs::read_to_string(widgets_src.join("base.css"))
        .map_err(|e| format!("{}: {e}", widgets_src.join("base.css").display()))?;
    let own = widgets_src.join(widget.replace('-', "_")).join("style.css");
    if own.is_file() {
        css.push('\n');
        css.push_str(&std::fs::read_to_string(&own).map_err(|e| format!("{}: {e}", own.display()))?);
    }
    Ok(css)
}

/// How the content writes the site's own address (HTML-escaped, as it
/// appears inside a code block).
const SITE_URL_PLACEHOLDER: &str = "https://&lt;this site&gt;/";

/// The Hub the calculator fetches configs from, unless the build says otherwise.
pub const DEFAULT_HUB_URL: &str = "https://huggingface.co";

/// The Hub setting, checked: (its URL without a trailing `/`, its origin).
fn hub_url(setting: Option<String>) -> Result<(String, String), String> {
    let u = setting.map(|u| u.trim().trim_end_matches('/').to_string()).filter(|u| !u.is_empty());
    let u = u.unwrap_or_else(|| DEFAULT_HUB_URL.to_string());
    let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"));
    let host = rest.and_then(|r| r.split('/').next()).filter(|h| !h.is_empty());
    match host {
        Some(host) if !u.contains(['"', '<', '>', ' ', '\'', ';']) => {
            let scheme = if u.starts_with("https://") { "https" } else { "http" };
            Ok((u.clone(), format!("{scheme}://{host}")))
        }
        _ => Err(format!("the Hub URL `{u}` (LLMEM_HUB_URL or site.toml's hub) must be an http(s) address")),
    }
}

/// The site URL setting, checked and ending in `/`.
fn site_url(setting: Option<String>) -> Result<Option<String>, String> {
    let Some(u) = setting.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) else { return Ok(None) };
    if !(u.starts_with("https://") || u.starts_with("http://")) || u.contains(['"', '<', '>', ' ']) {
        return Err(format!("the site URL `{u}` (LLMEM_SITE_URL or site.toml's url) must be an http(s) address"));
    }
    Ok(Some(if u.ends_with('/') { u } else { format!("{u}/") }))
}

/// The loader: injects the widget stylesheet if the page lacks it, then
/// loads the wasm bundles the page needs — the one a site page names in
/// `<meta name="llmem-bundle">`, or on anyone else's page the bundle of
/// each widget it finds. Every URL is resolved against the script's own, so
/// it works from any page on any origin. `window.llmem.mount()` mounts
/// placeholders added later.
pub fn embed_js(bundles: &BundleMap, widgets_css: &str) -> String {
    // Every release bundle is a folder `<stem>/llmem.js` + `<stem>/llmem_bg.wasm`,
    // so the loader spells out only files that do not follow that rule (the
    // development build's). A page names its bundle (`llmem-bundle`); the
    // loader checks the name's form, not a list of every bundle, which
    // every embed would download.
    let odd = bundles
        .files
        .iter()
        .filter(|(stem, (js, wasm))| **js != format!("{stem}/llmem.js") || **wasm != format!("{stem}/llmem_bg.wasm"))
        .map(|(stem, (js, wasm))| format!("{stem:?}: [{js:?}, {wasm:?}]"))
        .collect::<Vec<_>>()
        .join(", ");
    let by_widget = bundles.by_widget.iter().map(|(w, b)| format!("{w:?}: {b:?}")).collect::<Vec<_>>().join(", ");
    minify_js(&format!(
        r#"// llmem widget loader — https://<site>/embed.js
// Include once: <script type="module" src="https://<site>/embed.js"></script>
// then place <div data-llmem-widget="kv-cache"></div> where a widget goes.
// Every asset is resolved against this script's URL, never the host page's.
const here = import.meta.url;
const STEM = /^[\w-]+$/;
const ODD = {{{odd}}};
const filesOf = (stem) => ODD[stem] || [stem + "/llmem.js", stem + "/llmem_bg.wasm"];
const BY_WIDGET = {{{by_widget}}};
// On another site's page each widget links a stylesheet of its own (the
// shared rules and its own), read from its placeholder's `data-llmem-css`.
const OWN_CSS = {own_css};
if (!document.querySelector("link[data-llmem-css]") && !OWN_CSS) {{
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("./{css}", here).href;
  link.setAttribute("data-llmem-css", "");
  document.head.append(link);
}}
const loaded = new Map();
function load(stem) {{
  if (!loaded.has(stem)) {{
    const [js, wasm] = filesOf(stem);
    // The wasm is fetched alongside the glue, not after it has run; init
    // takes the pending response (and compiles it as it streams).
    const bytes = fetch(new URL("./" + wasm, here));
    bytes.catch(() => {{}}); // reported by init, not as an unhandled rejection
    loaded.set(stem, import(new URL("./" + js, here).href).then(async (m) => {{
      await m.default({{ module_or_path: bytes }});
      return m;
    }}));
  }}
  return loaded.get(stem);
}}
async function mount() {{
  const meta = document.querySelector('meta[name="llmem-bundle"]');
  const stems = new Set();
  if (meta && STEM.test(meta.content)) stems.add(meta.content);
  for (const el of document.querySelectorAll("[data-llmem-widget]:not([data-llmem-mounted])")) {{
    const stem = BY_WIDGET[el.getAttribute("data-llmem-widget")];
    if (stem && OWN_CSS && !meta) {{
      const href = new URL("./" + stem + "/{widget_css}", here).href;
      el.setAttribute("data-llmem-css", href);
      // Fetched now, beside the wasm; the widget links it when it mounts.
      if (!document.querySelector(`link[href="${{href}}"]`)) {{
        const pre = document.createElement("link");
        pre.rel = "preload";
        pre.as = "style";
        pre.href = href;
        document.head.append(pre);
      }}
    }}
    if (stem && !(meta && stems.has(meta.content) && meta.content === stem)) {{
      if (!meta || !STEM.test(meta.content)) stems.add(stem);
    }} else if (!stem) {{
      el.textContent = "llmem: there is no widget called “" + String(el.getAttribute("data-llmem-widget")).slice(0, 40) + "”.";
      el.setAttribute("data-llmem-mounted", "");
      el.setAttribute("data-llmem-error", "unknown-widget");
    }}
  }}
  for (const m of await Promise.all([...stems].map(load))) m.mount();
  for (const host of document.querySelectorAll("[data-llmem-mounted]")) {{
    if (host.shadowRoot && !host.hasAttribute("data-llmem-embed")) {{
      host.setAttribute("data-llmem-embed", "");
      host.shadowRoot.addEventListener("click", (e) => {{ copyText(e, host); fillEmbedPanel(e, host); }});
      host.shadowRoot.addEventListener("dragover", (e) => {{ if (dropZone(e)) e.preventDefault(); }});
      host.shadowRoot.addEventListener("drop", dropFile);
    }}
  }}
}}
// A file dropped on an element marked `data-llmem-drop` goes to the file
// input inside it, as if chosen with it (the calculator's model box).
function dropZone(event) {{
  return event.target.closest && event.target.closest("[data-llmem-drop]");
}}
function dropFile(event) {{
  const zone = dropZone(event);
  const input = zone && zone.querySelector("input[type=file]");
  if (!input || !event.dataTransfer || !event.dataTransfer.files.length) return;
  event.preventDefault();
  input.files = event.dataTransfer.files;
  input.dispatchEvent(new Event("change", {{ bubbles: true }}));
}}
// A button with `data-llmem-copy="<id>"` copies that element's text (the
// calculator's command line); where the clipboard is refused, it selects it.
function copyText(event, host) {{
  const button = event.target.closest && event.target.closest("[data-llmem-copy]");
  const source = button && host.shadowRoot.getElementById(button.getAttribute("data-llmem-copy"));
  if (!source) return;
  const label = button.textContent;
  (navigator.clipboard ? navigator.clipboard.writeText(source.textContent) : Promise.reject()).then(
    () => {{ button.textContent = "Copied"; }},
    () => {{ getSelection().selectAllChildren(source); button.textContent = "Selected: press Ctrl+C"; }},
  );
  setTimeout(() => {{ button.textContent = label; }}, 2500);
}}
// The "Embed" panel under each widget: both snippets for its current state.
// Listens on the widget's own shadow root, never on the host document.
function fillEmbedPanel(event, host) {{
  const button = event.target.closest && event.target.closest(".lw-embed-btn");
  if (!button) return;
  const panel = host.shadowRoot.getElementById(button.getAttribute("aria-controls"));
  if (!panel || panel.hidden) return;
  const base = new URL("./", here).href;
  const id = panel.dataset.widget;
  const state = new URLSearchParams(panel.dataset.state || "");
  const attrs = [...state].map(([k, v]) => ` data-${{k}}="${{v.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}}"`).join("");
  const query = state.toString();
  const height = Math.round(host.getBoundingClientRect().height) + 40;
  const snippets = [
    // The link inside the placeholder is what readers see until the widget
    // mounts, and what stays if it cannot load.
    ["Script (the widget lives in your page)", `<div data-llmem-widget="${{id}}"${{attrs}}><a href="${{base}}embed/${{id}}/${{query ? "?" + query : ""}}">${{panel.dataset.title}} — interactive figure on llmem</a></div>\n<script type="module" src="${{base}}embed.js"></script>`],
    ["Iframe (isolated, any site)", `<iframe src="${{base}}embed/${{id}}/${{query ? "?" + query : ""}}" title="${{panel.dataset.title}} — llmem" width="100%" height="${{height}}" style="border:0" loading="lazy"></iframe>`],
  ];
  panel.textContent = "";
  const el = (tag, cls, text) => {{ const e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; }};
  panel.append(el("p", "lw-embed-title", "Embed this figure, as it is set now"));
  snippets.forEach(([label, text], i) => {{
    const area = el("textarea", "lw-textarea lw-snippet");
    area.id = `${{panel.id}}-s${{i}}`;
    area.readOnly = true;
    area.rows = 3;
    area.spellcheck = false;
    area.value = text;
    const l = el("label", "lw-label", label);
    l.htmlFor = area.id;
    const copy = el("button", "lw-button", "Copy");
    copy.type = "button";
    copy.addEventListener("click", () => {{
      area.select();
      (navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject()).then(
        () => {{ copy.textContent = "Copied"; }},
        () => {{ copy.textContent = "Selected: press Ctrl+C"; }},
      );
    }});
    panel.append(l, area, copy);
  }});
  const note = el("p", "lw-detail", "To size the iframe to its content, listen for its height message: see ");
  const guide = el("a", "", "the embed guide");
  guide.href = base + "embed/";
  guide.target = "_blank";
  guide.rel = "noopener";
  note.append(guide, ".");
  panel.append(note);
}}
if (!window.llmem) {{
  Object.defineProperty(window, "llmem", {{ value: Object.freeze({{ version: 1, mount }}), enumerable: false }});
}}
// Not awaited: the host page's load event never waits for our wasm. On
// failure the placeholders keep whatever the page put in them.
mount().catch((e) => {{
  for (const el of document.querySelectorAll("[data-llmem-widget]:not([data-llmem-mounted])")) {{
    el.setAttribute("data-llmem-error", "load");
  }}
  console.error(
    "llmem: the widget code could not be loaded from " + new URL("./", here).origin +
      ". If this page is on another site, that server must send Access-Control-Allow-Origin (see DEPLOY.md); " +
      "or use the iframe embed, which needs no header.",
    e,
  );
}});
"#,
        css = widgets_css,
        own_css = !bundles.css.is_empty(),
        widget_css = crate::bundles::WIDGET_CSS,
    ))
}

/// Conservative JS minification for our loader and wasm-bindgen's glue:
/// drops `/** … */` and `/* … */` comment blocks that start a line, whole-line
/// `//` comments, and indentation. Neither file has multi-line strings, so
/// no string content is touched.
pub fn minify_js(js: &str) -> String {
    let mut out = String::with_capacity(js.len());
    let mut in_block = false;
    for line in js.lines() {
        let t = line.trim();
        if in_block {
            if t.contains("*/") {
                in_block = false;
            }
            continue;
        }
        if t.starts_with("/*") {
            if !t.contains("*/") {
                in_block = true;
            }
            continue;
        }
        if t.is_empty() || t.starts_with("//") {
            continue;
        }
        out.push_str(t);
        out.push('\n');
    }
    out
}

/// Builds every file of the site in memory and checks it.
pub fn build(sources: &Sources, shell_html: &str, bundles: &BundleMap) -> Result<Site, String> {
    let content = Content::load(&sources.content)?;
    let shell = Shell::new(shell_html)?;
    let mut site = Site::default();

    let site_css = minify_css(&read_css_dir(&sources.assets.join("css"))?);
    let site_css_name = format!("site-{}.css", content_hash(site_css.as_bytes()));
    let widgets_css = minify_css(&widgets_css(&sources.widgets)?);
    let widgets_css_name = format!("widgets-{}.css", content_hash(widgets_css.as_bytes()));
    site.files.insert(site_css_name.clone(), site_css.into_bytes());
    site.files.insert(widgets_css_name.clone(), widgets_css.into_bytes());
    site.files.insert("embed.js".into(), embed_js(bundles, &widgets_css_name).into_bytes());
    let frame_css =
        std::fs::read_to_string(sources.assets.join("frame.css")).map_err(|e| format!("assets/frame.css: {e}"))?;
    let frame_css_name = format!("frame-{}.css", content_hash(frame_css.as_bytes()));
    site.files.insert(frame_css_name.clone(), frame_css.into_bytes());
    let static_dir = sources.assets.join("static");
    if static_dir.is_dir() {
        for e in std::fs::read_dir(&static_dir).map_err(|e| e.to_string())?.flatten() {
            let p = e.path();
            if p.is_file() {
                let name = p.file_name().unwrap_or_default().to_string_lossy().to_string();
                site.files.insert(name, std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?);
            }
        }
    }

    // The Hub: named in every page for the calculator, allowed by the CSP.
    let (hub, hub_origin) = hub_url(std::env::var("LLMEM_HUB_URL").ok().or_else(|| content.site.hub.clone()))?;
    let hub_meta = format!("<meta name=\"llmem-hub\" content=\"{}\">\n", render::escape(&hub));
    if let Some(headers) = site.files.get_mut("_headers") {
        let text = String::from_utf8_lossy(headers).into_owned();
        if !text.contains("connect-src 'self';") {
            return Err(
                "assets/static/_headers: the CSP must say `connect-src 'self';` for the Hub's origin to join it".into(),
            );
        }
        *headers = text.replace("connect-src 'self';", &format!("connect-src 'self' {hub_origin};")).into_bytes();
    }
    let css_head = format!(
        "{hub_meta}<meta name=\"llmem-page\" content=\"site\">\n<link rel=\"stylesheet\" href=\"/{site_css_name}\">\n<link rel=\"stylesheet\" href=\"/{widgets_css_name}\" data-llmem-css>\n<script type=\"module\" src=\"/search.js\"></script>\n<script type=\"module\" src=\"/follow.js\"></script>\n"
    );
    site.files.insert("search-index.json".into(), search::index(&content)?.into_bytes());
    let wasm_head = |widgets: &[String]| -> Result<String, String> {
        let stem = bundles.for_set(widgets).ok_or_else(|| format!("no bundle carries {widgets:?}"))?;
        let (js, wasm) = &bundles.files[stem];
        Ok(format!(
            "<meta name=\"llmem-bundle\" content=\"{stem}\">\n<link rel=\"modulepreload\" href=\"/{js}\">\n{}<script type=\"module\" src=\"/embed.js\"></script>\n",
            wasm_preload(wasm)
        ))
    };
    let site_name = content.site.title.clone();
    let site_url = site_url(std::env::var("LLMEM_SITE_URL").ok().or_else(|| content.site.url.clone()))?;
    // The root path the 404 page links from (`/` unless the site lives deeper).
    let base_path =
        site_url.as_deref().and_then(|u| u.splitn(4, '/').nth(3)).map_or_else(|| "/".to_string(), |p| format!("/{p}"));
    let emit = |site: &mut Site, mut parts: PageParts| {
        if let Some(url) = &site_url {
            if parts.path.ends_with("index.html") {
                let dir = parts.path.trim_end_matches("index.html");
                parts.head.push_str(&format!("<link rel=\"canonical\" href=\"{}{dir}\">\n", render::escape(url)));
            }
        }
        let html = shell.render(&parts);
        // The embed guide's snippets carry the site's real address: the
        // setting's, or the one guide.js reads from where it is served.
        let html = match &site_url {
            Some(url) => html.replace(SITE_URL_PLACEHOLDER, &render::escape(url)),
            None => {
                html.replace(SITE_URL_PLACEHOLDER, &format!("<span data-llmem-site-url>{SITE_URL_PLACEHOLDER}</span>"))
            }
        };
        site.files.insert(parts.path.clone(), html.into_bytes());
    };

    emit(
        &mut site,
        PageParts {
            path: "index.html".into(),
            title: format!("{} — {}", site_name, content.site.tagline),
            description: "How large language models use memory: weights, KV cache, attention, paging, training and hardware, with exact figures for real models.".into(),
            body_class: "page-home".into(),
            head: css_head.clone(),
            main: pages::home(&content)?,
            nav_current: Some("/".into()),
            absolute_base: None,
        },
    );
    for (i, a) in content.articles.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| content.articles.get(j));
        let next = content.articles.get(i + 1);
        let (main, body) = pages::article(&content, a, prev, next)?;
        let head =
            if body.widgets.is_empty() { css_head.clone() } else { format!("{css_head}{}", wasm_head(&body.widgets)?) };
        emit(
            &mut site,
            PageParts {
                path: format!("{}/index.html", a.meta.slug),
                title: format!("{} — {}", a.meta.title, site_name),
                description: a.meta.summary.clone(),
                body_class: "page-article".into(),
                head,
                main,
                nav_current: None,
                absolute_base: None,
            },
        );
    }
    for p in &content.pages {
        let (main, body) = pages::standalone(&content, p)?;
        let mut head =
            if body.widgets.is_empty() { css_head.clone() } else { format!("{css_head}{}", wasm_head(&body.widgets)?) };
        if p.meta.slug == "embed" {
            head.push_str("<script type=\"module\" src=\"/guide.js\"></script>\n");
        }
        emit(
            &mut site,
            PageParts {
                path: format!("{}/index.html", p.meta.slug),
                title: format!("{} — {}", p.meta.title, site_name),
                description: p.meta.description.clone(),
                body_class: "page-standalone".into(),
                head,
                main,
                nav_current: Some(format!("/{}/", p.meta.slug)),
                absolute_base: None,
            },
        );
    }
    emit(
        &mut site,
        PageParts {
            path: "glossary/index.html".into(),
            title: format!("Glossary — {site_name}"),
            description:
                "Definitions of the terms used across llmem: KV cache, GQA, MLA, HBM, ZeRO, PagedAttention and more."
                    .into(),
            body_class: "page-glossary".into(),
            head: css_head.clone(),
            main: pages::glossary(&content)?,
            nav_current: Some("/glossary/".into()),
            absolute_base: None,
        },
    );
    emit(
        &mut site,
        PageParts {
            path: "404.html".into(),
            title: format!("Not found — {site_name}"),
            description: "Page not found.".into(),
            body_class: "page-404".into(),
            head: css_head,
            main: pages::not_found(),
            nav_current: None,
            absolute_base: Some(base_path.clone()),
        },
    );
    for spec in llmem_catalog::WIDGETS {
        let (js, wasm) =
            &bundles.files[bundles.for_set(&[spec.id.to_string()]).ok_or(format!("no bundle for {}", spec.id))?];
        let stem = bundles.for_set(&[spec.id.to_string()]).unwrap_or_default();
        // The widget's own stylesheet where the build made one.
        let css = bundles.css.get(stem).unwrap_or(&widgets_css_name);
        let article = content
            .articles
            .iter()
            .find(|a| a.meta.slug == spec.article)
            .map(|a| (format!("/{}/", a.meta.slug), a.meta.title.clone()));
        let credit = match article {
            Some((href, title)) => format!(
                "<p class=\"frame-credit\"><a href=\"{href}\" target=\"_blank\" rel=\"noopener\">{} — explained in “{}” on llmem ↗</a></p>",
                render::escape(spec.title),
                render::escape(&title)
            ),
            None => format!(
                "<p class=\"frame-credit\"><a href=\"/\" target=\"_blank\" rel=\"noopener\">{} — llmem ↗</a></p>",
                render::escape(spec.title)
            ),
        };
        let html = format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"color-scheme\" content=\"light dark\">\n<title>{title} — llmem</title>\n<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n<meta name=\"robots\" content=\"noindex\">\n\
             {hub_meta}<meta name=\"llmem-page\" content=\"frame\">\n<meta name=\"llmem-bundle\" content=\"{stem}\">\n\
             <link rel=\"stylesheet\" href=\"/{frame_css_name}\">\n<link rel=\"stylesheet\" href=\"/{css}\" data-llmem-css>\n\
             <link rel=\"modulepreload\" href=\"/{js}\">\n{preload}<script type=\"module\" src=\"/embed.js\"></script>\n</head>\n\
             <body class=\"frame\">\n<main>\n<h1 class=\"frame-title\">{title}</h1>\n{slot}\n{credit}\n</main>\n</body>\n</html>\n",
            title = render::escape(spec.title),
            slot = render::placeholder(spec, &[]),
            preload = wasm_preload(wasm),
        );
        let path = format!("embed/{}/index.html", spec.id);
        let html = template::relativize(&html, template::depth(&path));
        site.files.insert(path, html.into_bytes());
    }
    site.files.insert("embed/widgets.json".into(), catalog_json().into_bytes());
    let bundle_files: Vec<&str> = bundles
        .files
        .values()
        .flat_map(|(j, w)| [j.as_str(), w.as_str()])
        .chain(bundles.css.values().map(String::as_str))
        .collect();
    check_links(&site, &bundle_files)?;
    Ok(site)
}

/// The widget catalogue as JSON, published at `/embed/widgets.json` for
/// embedders and tools: ids, titles, articles and parameters with defaults
/// and allowed values.
pub fn catalog_json() -> String {
    let widgets: Vec<serde_json::Value> = llmem_catalog::WIDGETS
        .iter()
        .map(|w| {
            serde_json::json!({
                "id": w.id,
                "title": w.title,
                "article": w.article,
                "summary": w.summary,
                "params": w.params.iter().map(|p| serde_json::json!({
                    "name": p.name,
                    "attribute": format!("data-{}", p.name),
                    "default": p.default,
                    "values": p.describe_values(),
                    "doc": p.doc,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "version": 1, "widgets": widgets })).unwrap_or_default()
}

/// Every distinct set of widgets a page shows, labelled with the page (for
/// bundle names), and every widget alone (for its embed).
pub fn widget_sets(sources: &Sources) -> Result<Vec<(Vec<String>, String)>, String> {
    let content = Content::load(&sources.content)?;
    let mut sets = Vec::new();
    for a in &content.articles {
        let r = render::render(&a.body, &content, &a.source.display().to_string())?;
        if !r.widgets.is_empty() {
            sets.push((r.widgets, a.meta.slug.clone()));
        }
    }
    for p in &content.pages {
        let r = render::render(&p.body, &content, &p.source.display().to_string())?;
        if !r.widgets.is_empty() {
            sets.push((r.widgets, p.meta.slug.clone()));
        }
    }
    for w in llmem_catalog::WIDGETS {
        sets.push((vec![w.id.to_string()], w.id.to_string()));
    }
    Ok(sets)
}

/// Every `href`/`src` that stays inside the site must name a file we built
/// (or one of `also_present`, written by trunk), and every `#anchor` an `id`
/// on that page.
pub fn check_links(site: &Site, also_present: &[&str]) -> Result<(), String> {
    let mut ids: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (path, bytes) in &site.files {
        if path.ends_with(".html") {
            let html = std::str::from_utf8(bytes).unwrap_or("");
            ids.insert(path.as_str(), attr_values(html, "id=\"").into_iter().collect());
        }
    }
    let mut problems = Vec::new();
    for (path, bytes) in &site.files {
        if !path.ends_with(".html") {
            continue;
        }
        let html = std::str::from_utf8(bytes).unwrap_or("");
        let dir = Path::new(path).parent().unwrap_or(Path::new(""));
        for url in attr_values(html, "href=\"").into_iter().chain(attr_values(html, "src=\"")) {
            if url.starts_with("http://")
                || url.starts_with("https://")
                || url.starts_with("mailto:")
                || url.starts_with("//")
                // Markup quoted inside a code block, not a link.
                || url.starts_with('<')
            {
                continue;
            }
            let (file, anchor) = match url.split_once('#') {
                Some((f, a)) => (f.to_string(), Some(a.to_string())),
                None => (url.clone(), None),
            };
            let target = if file.is_empty() {
                path.clone()
            } else {
                let mut joined = normalize(&dir.join(&file));
                if joined.is_empty() || file.ends_with('/') {
                    joined = if joined.is_empty() { "index.html".into() } else { format!("{joined}/index.html") };
                }
                joined
            };
            if !site.files.contains_key(&target) && !also_present.contains(&target.as_str()) {
                problems.push(format!("{path}: link `{url}` → missing {target}"));
                continue;
            }
            if let Some(a) = anchor {
                if !ids.get(target.as_str()).is_some_and(|set| set.contains(&a)) {
                    problems.push(format!("{path}: link `{url}` → no id `{a}` in {target}"));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("broken internal links:\n  {}", problems.join("\n  ")))
    }
}

/// Resolves `..` and `.` in a relative path without touching the disk.
fn normalize(p: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().to_string()),
            _ => {}
        }
    }
    parts.join("/")
}

/// Values of every `attr="…"` in an HTML string.
pub fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(attr) {
        let before = rest[..i].chars().last();
        let after = &rest[i + attr.len()..];
        let end = after.find('"').unwrap_or(after.len());
        // `data-id="…"` is not `id="…"`.
        if before.is_none_or(|c| c.is_whitespace()) {
            out.push(after[..end].to_string());
        }
        rest = &after[end.min(after.len())..];
    }
    out
}

/// A `<link>` that starts fetching a page's wasm while the HTML, CSS and JS
/// glue are still arriving, instead of after the glue has run (the fetch
/// that `init` makes then finds it in the preload cache). `crossorigin`
/// makes the preload's request mode match that fetch's.
fn wasm_preload(wasm: &str) -> String {
    format!("<link rel=\"preload\" href=\"/{wasm}\" as=\"fetch\" type=\"application/wasm\" crossorigin>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_setting() {
        assert_eq!(hub_url(None).unwrap(), ("https://huggingface.co".into(), "https://huggingface.co".into()));
        assert_eq!(
            hub_url(Some("http://127.0.0.1:8123/mirror/".into())).unwrap(),
            ("http://127.0.0.1:8123/mirror".into(), "http://127.0.0.1:8123".into())
        );
        assert!(hub_url(Some("ftp://x".into())).is_err());
        assert!(hub_url(Some("https://x\"onload=\"".into())).is_err());
    }

    /// The `lw-…` class names in `text`: in CSS, those after a `.`; in
    /// Rust, every `lw-` word.
    fn class_names(text: &str, css: bool) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let b = text.as_bytes();
        for (i, _) in text.match_indices("lw-") {
            let before = if i == 0 { b' ' } else { b[i - 1] };
            if (css && before != b'.') || before.is_ascii_alphanumeric() || before == b'-' || before == b'_' {
                continue;
            }
            let end = text[i..]
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
                .map_or(text.len(), |n| i + n);
            out.insert(text[i..end].trim_end_matches('-').to_string());
        }
        out
    }

    /// An embed links `base.css` and its own widget's stylesheet alone
    /// ([`widget_css`]): a class a widget's code (or the code every widget
    /// shares) uses must not be styled only in another widget's stylesheet.
    #[test]
    fn every_embed_has_the_rules_its_classes_need() {
        let src = Sources::repository().widgets;
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        let rs_in = |dir: &Path| {
            let mut text = String::new();
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                if e.path().extension().is_some_and(|x| x == "rs") {
                    // Comments name classes without using them.
                    for line in read(&e.path()).lines().filter(|l| !l.trim_start().starts_with("//")) {
                        text += line;
                        text.push('\n');
                    }
                }
            }
            text
        };
        let base = class_names(&read(&src.join("base.css")), true);
        let mut styled: Vec<(String, std::collections::BTreeSet<String>)> = Vec::new();
        let mut dirs: Vec<PathBuf> =
            std::fs::read_dir(&src).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
        dirs.sort();
        for d in &dirs {
            if d.join("style.css").is_file() {
                styled.push((
                    d.file_name().unwrap().to_string_lossy().into(),
                    class_names(&read(&d.join("style.css")), true),
                ));
            }
        }
        let elsewhere = |c: &str, own: &str| -> Vec<String> {
            styled.iter().filter(|(w, set)| w != own && set.contains(c)).map(|(w, _)| w.clone()).collect()
        };
        let mut wrong = Vec::new();
        let shared = class_names(&rs_in(&src), false);
        for c in &shared {
            let there = elsewhere(c, "");
            if !base.contains(c) && !there.is_empty() {
                wrong.push(format!("{c} (shared code) is styled only in {there:?}"));
            }
        }
        for d in &dirs {
            let w: String = d.file_name().unwrap().to_string_lossy().into();
            let own = styled.iter().find(|(x, _)| *x == w).map(|(_, s)| s.clone()).unwrap_or_default();
            for c in class_names(&rs_in(d), false) {
                let there = elsewhere(&c, &w);
                if !base.contains(&c) && !own.contains(&c) && !there.is_empty() {
                    wrong.push(format!("{c} ({w}) is styled only in {there:?}"));
                }
            }
        }
        assert!(wrong.is_empty(), "move these rules to base.css:\n{}", wrong.join("\n"));
        // The scanner itself.
        assert_eq!(
            class_names(".llmem-widget .lw-big.lw-yes, a.xlw-no { }", true).into_iter().collect::<Vec<_>>(),
            ["lw-big", "lw-yes"]
        );
    }

    #[test]
    fn css_minifies_safely() {
        let css = "/* c */\n.a  >  .b , .c {\n  color : red;  /* x */\n  content: \"a  b\";\n}\n@media (max-width: 30rem) {\n  .d { margin: 0 auto }\n}\n";
        assert_eq!(
            minify_css(css),
            ".a>.b,.c{color :red;content:\"a  b\";}@media (max-width:30rem){.d{margin:0 auto}}"
        );
        assert_eq!(minify_css(".x :where(a, b)"), ".x :where(a,b)");
    }

    #[test]
    fn js_minifies_safely() {
        let js = "/**\n * doc\n */\nexport function f(a) {\n    // note\n    return \"http://x\" + a; // tail\n}\n/* one */\n";
        assert_eq!(minify_js(js), "export function f(a) {\nreturn \"http://x\" + a; // tail\n}\n");
    }

    #[test]
    fn hashes_are_stable() {
        assert_eq!(content_hash(b""), "cbf29ce48422");
        assert_ne!(content_hash(b"a"), content_hash(b"b"));
    }

    #[test]
    fn attr_values_skip_data_attributes() {
        let v = attr_values(r#"<a id="x" data-id="y"><b id="z">"#, "id=\"");
        assert_eq!(v, vec!["x", "z"]);
    }
}
