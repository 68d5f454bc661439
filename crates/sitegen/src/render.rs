//! Markdown → HTML with shortcodes, glossary references, heading anchors and
//! a lint that keeps typed figures out of the prose.

use crate::content::Content;
use crate::shortcodes;
use llmem_catalog::{widget, WidgetSpec};
use pulldown_cmark::{html, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

/// A rendered Markdown body.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    /// (level, id, text) of every h2 and h3, in order.
    pub headings: Vec<(u8, String, String)>,
    /// Widget ids placed, in order.
    pub widgets: Vec<String>,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A URL fragment id from heading text: lowercase ASCII words joined by `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            dash = false;
        } else {
            dash = true;
        }
    }
    if out.is_empty() {
        "section".into()
    } else {
        out
    }
}

/// The placeholder a widget mounts into. The text inside is what a reader
/// without JavaScript (or before the wasm arrives) sees.
pub fn placeholder(spec: &WidgetSpec, attrs: &[(String, String)]) -> String {
    let mut s = format!("<div class=\"llmem-slot\" data-llmem-widget=\"{}\"", spec.id);
    for (k, v) in attrs {
        s.push_str(&format!(" data-{}=\"{}\"", escape(k), escape(v)));
    }
    s.push_str(&format!(
        "><p class=\"llmem-slot-fallback\"><strong>{}</strong> — an interactive figure: {} It needs JavaScript and WebAssembly.</p></div>",
        escape(spec.title),
        escape(spec.summary)
    ));
    s
}

/// Validates a widget shortcode's attributes against the catalogue.
fn widget_html(code: &shortcodes::Shortcode) -> Result<(String, String), String> {
    let id = code.positional.as_deref().ok_or("`widget` needs a widget id: {{widget kv-cache}}")?;
    let spec = widget(id).ok_or_else(|| {
        format!(
            "unknown widget `{id}`; known: {}",
            llmem_catalog::WIDGETS.iter().map(|w| w.id).collect::<Vec<_>>().join(", ")
        )
    })?;
    let mut attrs = Vec::new();
    for (k, v) in &code.args {
        let p = spec.param(k).ok_or_else(|| format!("widget `{id}` has no parameter `{k}`"))?;
        let canon =
            p.accept(v).ok_or_else(|| format!("widget `{id}`: `{k}={v}` is not allowed ({})", p.describe_values()))?;
        attrs.push((k.clone(), canon));
    }
    Ok((id.to_string(), placeholder(spec, &attrs)))
}

/// The embed reference: every widget with its attributes, from the catalogue.
pub fn embed_reference() -> String {
    let mut s = String::new();
    for w in llmem_catalog::WIDGETS {
        s.push_str(&format!(
            "<h3 id=\"widget-{id}\"><code>{id}</code> — {title}</h3>\n<p>{summary} Preview: <a href=\"/embed/{id}/\">/embed/{id}/</a>.</p>\n\
             <table><thead><tr><th scope=\"col\">Attribute</th><th scope=\"col\">Values</th><th scope=\"col\">Default</th><th scope=\"col\">What it sets</th></tr></thead><tbody>",
            id = w.id,
            title = escape(w.title),
            summary = escape(w.summary)
        ));
        for p in w.params {
            s.push_str(&format!(
                "<tr><td><code>data-{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                p.name,
                escape(&p.describe_values()),
                escape(p.default),
                escape(p.doc)
            ));
        }
        s.push_str("</tbody></table>\n");
    }
    let models: Vec<String> = llmem_estimator::presets::PRESETS
        .iter()
        .map(|p| format!("<code>{}</code> ({})", p.id, escape(p.name)))
        .collect();
    s.push_str(&format!("<p id=\"model-ids\">Model ids: {}.</p>\n", models.join(", ")));
    s
}

/// Units that mark a typed, computable figure.
const FIGURE_UNITS: &[&str] =
    &["GiB", "MiB", "KiB", "TiB", "GB/s", "TB/s", "GB", "MB", "kB", "KB", "TB", "PB", "TFLOPS", "PFLOPS", "tokens/s"];

/// Finds figures like `14 GB` typed into prose (outside shortcodes).
pub fn typed_figures(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.')) {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b',') {
                i += 1;
            }
            let number_end = i;
            let rest = &line[i..];
            let rest = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('\u{a0}')).unwrap_or(rest);
            for unit in FIGURE_UNITS {
                if let Some(after) = rest.strip_prefix(unit) {
                    if !after.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) {
                        found.push(format!("{} {unit}", &line[start..number_end]));
                        break;
                    }
                }
            }
        } else {
            i += 1;
        }
    }
    found
}

/// Replaces shortcodes and glossary references in one source line.
fn expand_line(
    line: &str,
    content: &Content,
    widgets: &mut Vec<String>,
    follows: &mut Vec<String>,
) -> Result<String, String> {
    let trimmed = line.trim();
    if trimmed == "{{embed_reference}}" {
        return Ok(format!("\n{}\n", embed_reference()));
    }
    if trimmed.starts_with("{{widget") && trimmed.ends_with("}}") && trimmed.matches("{{").count() == 1 {
        let code = shortcodes::parse(&trimmed[2..trimmed.len() - 2])?;
        let (id, html) = widget_html(&code)?;
        widgets.push(id);
        return Ok(format!("\n{html}\n"));
    }
    // Inline figures.
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut stripped = String::new();
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}").ok_or("unclosed `{{`")? + start;
        out.push_str(&rest[..start]);
        stripped.push_str(&rest[..start]);
        let mut code = shortcodes::parse(&rest[start + 2..end])?;
        if code.name == "widget" {
            return Err("a {{widget …}} shortcode must be on a line of its own".into());
        }
        // `follow=<figure>`: the number is that figure's headline at the
        // article's setting, and follows the figure when a reader changes it
        // (assets/static/follow.js; the figure must be on the same page).
        let follow = code.args.remove("follow");
        let (text, alt) = shortcodes::evaluate_with_alt(&code)?;
        match (alt, follow) {
            (alt, Some(id)) => {
                if llmem_catalog::widget(&id).is_none() {
                    return Err(format!("`follow={id}`: there is no such figure"));
                }
                out.push_str(&format!(
                    "<span class=\"fig lw-follow\" data-follow=\"{}\" data-article=\"{}\"{}>{}</span>",
                    escape(&id),
                    escape(&text),
                    alt.map(|a| format!(" title=\"{}\"", escape(&a))).unwrap_or_default(),
                    escape(&text)
                ));
                follows.push(id);
            }
            (Some(alt), None) => {
                out.push_str(&format!("<span class=\"fig\" title=\"{}\">{}</span>", escape(&alt), escape(&text)))
            }
            (None, None) => out.push_str(&escape(&text)),
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    stripped.push_str(rest);
    if let Some(fig) = typed_figures(&stripped).first() {
        return Err(format!(
            "typed figure `{fig}`: write it as a shortcode so the estimator computes it (see CONTENT.md)"
        ));
    }
    // Glossary references: [[term]] or [[term|shown text]].
    let mut linked = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(start) = rest.find("[[") {
        let end = rest[start..].find("]]").ok_or("unclosed `[[`")? + start;
        linked.push_str(&rest[..start]);
        let inner = &rest[start + 2..end];
        let (name, shown) = inner.split_once('|').unwrap_or((inner, inner));
        let term = content.find_term(name).ok_or_else(|| format!("`[[{name}]]` is not in glossary.toml"))?;
        linked.push_str(&format!("[{shown}](/glossary/#{} \"glossary-term\")", term.id));
        rest = &rest[end + 2..];
    }
    linked.push_str(rest);
    Ok(linked)
}

/// Renders a Markdown body. `source` names the file in errors.
pub fn render(markdown: &str, content: &Content, source: &str) -> Result<Rendered, String> {
    let mut widgets = Vec::new();
    let mut follows = Vec::new();
    let mut expanded = String::with_capacity(markdown.len() * 2);
    for (n, line) in markdown.lines().enumerate() {
        let line =
            expand_line(line, content, &mut widgets, &mut follows).map_err(|e| format!("{source}:{}: {e}", n + 1))?;
        expanded.push_str(&line);
        expanded.push('\n');
    }
    if let Some(id) = follows.iter().find(|id| !widgets.contains(id)) {
        return Err(format!("{source}: a number follows the `{id}` figure, which is not on this page"));
    }
    let opts = Options::ENABLE_TABLES | Options::ENABLE_SMART_PUNCTUATION | Options::ENABLE_STRIKETHROUGH;
    let events: Vec<Event> = Parser::new_ext(&expanded, opts).collect();
    let mut out_events: Vec<Event> = Vec::with_capacity(events.len());
    let mut headings = Vec::new();
    let mut used_ids: Vec<String> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { level, .. }) => {
                let level = *level;
                let mut j = i + 1;
                let mut text = String::new();
                while !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                    if let Event::Text(t) | Event::Code(t) = &events[j] {
                        text.push_str(t);
                    }
                    j += 1;
                }
                let mut inner = String::new();
                html::push_html(&mut inner, events[i + 1..j].iter().cloned());
                let mut id = slugify(&text);
                let base = id.clone();
                let mut k = 2;
                while used_ids.contains(&id) {
                    id = format!("{base}-{k}");
                    k += 1;
                }
                used_ids.push(id.clone());
                let n = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                };
                if n == 1 {
                    return Err(format!("{source}: use ## for sections; the page title is the only h1"));
                }
                if n <= 3 {
                    headings.push((n, id.clone(), text.clone()));
                }
                out_events.push(Event::Html(CowStr::from(format!("<h{n} id=\"{id}\">{inner}</h{n}>\n"))));
                i = j + 1;
            }
            Event::Start(Tag::Link { link_type: LinkType::Inline, dest_url, title, .. })
                if title.as_ref() == "glossary-term" =>
            {
                out_events.push(Event::Html(CowStr::from(format!("<a class=\"term\" href=\"{}\">", escape(dest_url)))));
                let mut depth = 1;
                i += 1;
                while i < events.len() {
                    match &events[i] {
                        Event::Start(Tag::Link { .. }) => depth += 1,
                        Event::End(TagEnd::Link) => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    out_events.push(events[i].clone());
                    i += 1;
                }
                out_events.push(Event::Html(CowStr::from("</a>")));
                i += 1;
            }
            e => {
                out_events.push(e.clone());
                i += 1;
            }
        }
    }
    let mut html_out = String::with_capacity(expanded.len() * 2);
    html::push_html(&mut html_out, out_events.into_iter());
    // A code block wider than the column scrolls sideways; keyboard users
    // need to be able to focus it to scroll it (WCAG 2.1.1).
    let html_out = html_out.replace("<pre>", "<pre tabindex=\"0\">");
    Ok(Rendered { html: html_out, headings, widgets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typed_figures() {
        assert_eq!(typed_figures("a 7B model takes about 14 GB in fp16"), vec!["14 GB"]);
        assert_eq!(typed_figures("reads 3.35 TB/s and 1,008 GB/s"), vec!["3.35 TB/s", "1,008 GB/s"]);
        assert!(typed_figures("Llama 3.1 8B and 2 bytes per parameter").is_empty());
        assert!(typed_figures("GB200 and H100").is_empty());
        assert!(typed_figures("16 GBs of fun").is_empty());
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("What the KV cache is & why it matters"), "what-the-kv-cache-is-why-it-matters");
        assert_eq!(slugify("O(n²) vs O(n)"), "o-n-vs-o-n");
        assert_eq!(slugify("—"), "section");
    }

    #[test]
    fn escapes() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
