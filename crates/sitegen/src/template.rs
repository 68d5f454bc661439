//! The page shell: `index.html` as trunk outputs it, with its header and
//! footer, into which every page is rendered.
//!
//! Trunk injects an inline `<script type="module">` that loads the wasm; an
//! inline script would need `'unsafe-inline'` in the Content Security Policy
//! and would load the bundle on pages without widgets, so it is removed here
//! and pages with widgets load `embed.js` instead — the same loader other
//! people's blogs use.

use crate::render::escape;

/// Where pages plug into the shell.
const HEAD_MARKER: &str = "<!-- llmem:head -->";
const MAIN_MARKER: &str = "<!-- llmem:main -->";

/// The shell with trunk's loader removed.
#[derive(Debug, Clone)]
pub struct Shell {
    html: String,
}

/// What one page puts into the shell.
#[derive(Debug, Clone, Default)]
pub struct PageParts {
    /// Output path, e.g. `kv-cache/index.html`.
    pub path: String,
    pub title: String,
    pub description: String,
    /// Class on `<body>`: `page-home`, `page-article`, …
    pub body_class: String,
    /// Extra `<head>` elements.
    pub head: String,
    pub main: String,
    /// Which header link is current (`/`, `/glossary/`…), for `aria-current`.
    pub nav_current: Option<String>,
    /// Links from the site's root path (`/`, `/llmem/`) instead of relative
    /// ones: for the 404 page, which a host serves at any missing address.
    pub absolute_base: Option<String>,
}

impl Shell {
    /// Takes trunk's `index.html` (or the source `index.html` in tests).
    pub fn new(trunk_html: &str) -> Result<Shell, String> {
        for marker in [HEAD_MARKER, MAIN_MARKER, "<title>", "<body"] {
            if !trunk_html.contains(marker) {
                return Err(format!("index.html must contain `{marker}`"));
            }
        }
        Ok(Shell { html: strip_trunk_loader(trunk_html) })
    }

    /// Renders a page; every site-absolute `href="/…"` and `src="/…"` becomes
    /// relative to the page, so the site works under any path on any host.
    pub fn render(&self, page: &PageParts) -> String {
        let mut html = self.html.clone();
        if let (Some(a), Some(b)) = (html.find("<title>"), html.find("</title>")) {
            html.replace_range(a..b + "</title>".len(), &format!("<title>{}</title>", escape(&page.title)));
        }
        let head = format!("<meta name=\"description\" content=\"{}\">\n{}", escape(&page.description), page.head);
        html = html.replacen(HEAD_MARKER, &head, 1);
        html = html.replacen(MAIN_MARKER, &page.main, 1);
        html = html.replacen("<body", &format!("<body class=\"{}\"", escape(&page.body_class)), 1);
        if let Some(cur) = &page.nav_current {
            let needle = format!("data-nav href=\"{cur}\"");
            html = html.replacen(&needle, &format!("data-nav aria-current=\"page\" href=\"{cur}\""), 1);
        }
        match &page.absolute_base {
            Some(base) => absolutize(&html, base),
            None => relativize(&html, depth(&page.path)),
        }
    }
}

/// Rewrites root-relative `href="/…"` and `src="/…"` to start at `base`
/// (a path ending in `/`), leaving protocol-relative and absolute URLs alone.
pub fn absolutize(html: &str, base: &str) -> String {
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    loop {
        let next = ["href=\"/", "src=\"/"].iter().filter_map(|pat| rest.find(pat).map(|i| (i, pat.len()))).min();
        match next {
            Some((i, len)) if !rest[i + len..].starts_with('/') => {
                out.push_str(&rest[..i + len - 1]);
                out.push_str(base);
                rest = &rest[i + len..];
            }
            Some((i, len)) => {
                out.push_str(&rest[..i + len]);
                rest = &rest[i + len..];
            }
            None => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// Directory depth of an output path (`index.html` 0, `kv-cache/index.html` 1).
pub fn depth(path: &str) -> usize {
    path.matches('/').count()
}

/// Rewrites `href="/x"` and `src="/x"` to `../x` (per depth) or `./x`.
pub fn relativize(html: &str, depth: usize) -> String {
    let prefix = if depth == 0 { "./".to_string() } else { "../".repeat(depth) };
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    loop {
        let next = ["href=\"/", "src=\"/"].iter().filter_map(|pat| rest.find(pat).map(|i| (i, pat.len()))).min();
        match next {
            Some((i, len)) if !rest[i + len..].starts_with('/') => {
                out.push_str(&rest[..i + len - 1]);
                out.push_str(&prefix);
                rest = &rest[i + len..];
            }
            Some((i, len)) => {
                out.push_str(&rest[..i + len]);
                rest = &rest[i + len..];
            }
            None => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// Removes trunk's wasm loader: its module script and the preload links for
/// the wasm and JS glue (SRI attributes included).
pub fn strip_trunk_loader(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        if tail.starts_with("<script") {
            let end = tail.find("</script>").map(|e| e + "</script>".len()).unwrap_or(tail.len());
            let element = &tail[..end];
            if !(element.contains("type=\"module\"") && element.contains("init")) {
                out.push_str(element);
            }
            rest = &tail[end..];
        } else if tail.starts_with("<link") {
            let end = tail.find('>').map(|e| e + 1).unwrap_or(tail.len());
            let element = &tail[..end];
            // Preloads of the bundle go; so does an unprocessed `data-trunk`
            // link (when rendering from the source index.html in tests).
            let drop = element.contains("rel=\"modulepreload\"")
                || element.contains("rel=\"preload\"")
                || element.contains("data-trunk");
            if !drop {
                out.push_str(element);
            }
            rest = &tail[end..];
        } else {
            out.push('<');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links() {
        assert_eq!(relativize(r#"<a href="/">x</a><img src="/a.svg">"#, 0), r#"<a href="./">x</a><img src="./a.svg">"#);
        assert_eq!(relativize(r#"<a href="/glossary/#kv">x</a>"#, 2), r#"<a href="../../glossary/#kv">x</a>"#);
        assert_eq!(relativize(r#"<a href="//cdn.example/x">"#, 1), r#"<a href="//cdn.example/x">"#);
        assert_eq!(relativize(r#"<a href="https://arxiv.org/abs/1">"#, 1), r#"<a href="https://arxiv.org/abs/1">"#);
        assert_eq!(
            absolutize(r#"<a href="/glossary/#kv"><img src="/a.svg">"#, "/llmem/"),
            r#"<a href="/llmem/glossary/#kv"><img src="/llmem/a.svg">"#
        );
        assert_eq!(absolutize(r#"<a href="//cdn.example/x">"#, "/"), r#"<a href="//cdn.example/x">"#);
    }

    #[test]
    fn strips_only_trunks_loader() {
        let html = r#"<head><link rel="modulepreload" href="/llmem-1.js" integrity="x"><link rel="preload" href="/llmem-1_bg.wasm" as="fetch"><link rel="icon" href="/favicon.svg"><script type="module">import init from '/llmem-1.js'; await init();</script><script>reload()</script></head>"#;
        let s = strip_trunk_loader(html);
        assert_eq!(s, r#"<head><link rel="icon" href="/favicon.svg"><script>reload()</script></head>"#);
    }
}
