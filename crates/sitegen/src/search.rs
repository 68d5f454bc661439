//! The client-side search index, `search-index.json`: one entry per article
//! section (with its figures already computed, so "1.07 GB" is findable)
//! and per glossary term. `assets/static/search.js` fetches it the first
//! time a reader types in the search box; pages do not load it otherwise.

use crate::content::Content;
use crate::render;
use serde::Serialize;

/// One searchable place on the site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The page's title ("KV cache", "Glossary").
    pub page: String,
    /// The section heading or glossary term; empty for an article's opening.
    pub section: String,
    /// Site-relative URL: `kv-cache/#gqa`, `glossary/#pagedattention`.
    pub url: String,
    /// Plain text, cut to [`TEXT_LIMIT`] characters.
    pub text: String,
}

/// Characters of text kept per entry: enough to match on and to show a
/// snippet, small enough that the whole index stays a few tens of KiB gzipped.
pub const TEXT_LIMIT: usize = 700;

/// Text content of an HTML fragment: tags dropped, the entities the
/// renderer writes decoded, whitespace collapsed.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cut(text: String) -> String {
    match text.char_indices().nth(TEXT_LIMIT) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// Splits rendered article HTML at its h2/h3 headings: (id, heading, body).
fn sections(html: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    let mut current = (String::new(), String::new());
    loop {
        let next = ["<h2 id=\"", "<h3 id=\""].iter().filter_map(|p| rest.find(p)).min();
        let Some(at) = next else {
            out.push((current.0, current.1, plain_text(rest)));
            return out;
        };
        out.push((current.0.clone(), current.1.clone(), plain_text(&rest[..at])));
        let after = &rest[at + 8..];
        let id_end = after.find('"').unwrap_or(0);
        let id = after[..id_end].to_string();
        let close = after.find("</h").unwrap_or(after.len());
        let open_end = after.find('>').map_or(0, |i| i + 1).min(close);
        let heading = plain_text(&after[open_end..close]);
        current = (id, heading);
        rest = &after[close..];
        // Skip the closing tag.
        rest = rest.find('>').map_or("", |i| &rest[i + 1..]);
    }
}

/// The index as JSON.
pub fn index(content: &Content) -> Result<String, String> {
    let mut entries = Vec::new();
    for a in &content.articles {
        let source = a.source.display().to_string();
        let r = render::render(&a.body, content, &source)?;
        for (id, heading, text) in sections(&r.html) {
            // Further reading is a list of titles, not the article's text.
            if id == "further-reading" || (id.is_empty() && text.is_empty()) {
                continue;
            }
            let url = if id.is_empty() { format!("{}/", a.meta.slug) } else { format!("{}/#{id}", a.meta.slug) };
            let text = if id.is_empty() { format!("{} {}", a.meta.summary, text) } else { text };
            entries.push(Entry { page: a.meta.title.clone(), section: heading, url, text: cut(text) });
        }
    }
    for t in &content.glossary {
        let definition = render::render(&t.definition, content, "glossary.toml").map(|r| plain_text(&r.html))?;
        let text = if t.aliases.is_empty() { definition } else { format!("{} — {definition}", t.aliases.join(", ")) };
        entries.push(Entry {
            page: "Glossary".into(),
            section: t.term.clone(),
            url: format!("glossary/#{}", t.id),
            text: cut(text),
        });
    }
    serde_json::to_string(&entries).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_sections() {
        assert_eq!(
            plain_text("<p>KV &amp; <b>cache</b>\n is  <span class=\"fig\">1.07 GB</span></p>"),
            "KV & cache is 1.07 GB"
        );
        let s = sections("<p>Intro</p>\n<h2 id=\"a-b\">A <em>b</em></h2>\n<p>One</p><h3 id=\"c\">C</h3><p>Two</p>");
        assert_eq!(
            s,
            vec![
                (String::new(), String::new(), "Intro".into()),
                ("a-b".into(), "A b".into(), "One".into()),
                ("c".into(), "C".into(), "Two".into()),
            ]
        );
        let long = "x".repeat(TEXT_LIMIT + 10);
        assert_eq!(cut(long).chars().count(), TEXT_LIMIT + 1);
    }
}
