//! Loading the content files: `site.toml`, `articles/*.md` (TOML front
//! matter between `+++` lines, then Markdown) and `glossary.toml`.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `site/content/site.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteMeta {
    pub title: String,
    /// The site's public address (`https://example.org/llmem/`), for
    /// canonical links and the embed guide's snippets; `LLMEM_SITE_URL`
    /// overrides it at build time. Optional: without it, the guide fills in
    /// the address it is served from.
    #[serde(default)]
    pub url: Option<String>,
    /// The Hugging Face Hub the calculator fetches a model's `config.json`
    /// from (`https://huggingface.co` if unset; `LLMEM_HUB_URL` overrides
    /// it at build time). The CSP's `connect-src` gains exactly its origin.
    #[serde(default)]
    pub hub: Option<String>,
    pub tagline: String,
    /// Markdown.
    pub intro: String,
    pub phases: Vec<Phase>,
    pub domains: Vec<Domain>,
}

/// When a kind of memory is consumed (the colour-coded legend).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub id: String,
    pub label: String,
    pub description: String,
}

/// A group of topics on the home page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    pub id: String,
    pub title: String,
    pub description: String,
}

/// An article's front matter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleMeta {
    /// Two digits, e.g. "03".
    pub number: String,
    /// URL path segment: the article lives at `/<slug>/`.
    pub slug: String,
    pub title: String,
    pub phase: String,
    pub domain: String,
    /// One sentence for the home-page card.
    pub summary: String,
    /// Topic chips on the card.
    pub chips: Vec<String>,
    /// The opening paragraph under the title.
    pub lead: String,
}

/// An article: metadata and Markdown body.
#[derive(Debug, Clone)]
pub struct Article {
    pub meta: ArticleMeta,
    pub body: String,
    pub source: PathBuf,
}

/// A standalone page's front matter (`site/content/pages/*.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageMeta {
    pub slug: String,
    pub title: String,
    /// For the `<meta name="description">`.
    pub description: String,
    pub lead: String,
}

/// A standalone page: the calculator.
#[derive(Debug, Clone)]
pub struct Page {
    pub meta: PageMeta,
    pub body: String,
    pub source: PathBuf,
}

/// A glossary entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// Anchor id on the glossary page.
    pub id: String,
    pub term: String,
    /// Other spellings that link here (`[[key-value cache]]`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Markdown.
    pub definition: String,
    /// Slug of the article that explains it best.
    #[serde(default)]
    pub article: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GlossaryFile {
    term: Vec<Term>,
}

/// Everything under `site/content`.
#[derive(Debug, Clone)]
pub struct Content {
    pub site: SiteMeta,
    pub articles: Vec<Article>,
    pub pages: Vec<Page>,
    pub glossary: Vec<Term>,
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Splits `+++\n<toml>\n+++\n<markdown>`.
pub fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("+++")?;
    let rest = rest.strip_prefix('\n').or_else(|| rest.strip_prefix("\r\n"))?;
    let end = rest.find("\n+++")?;
    let front = &rest[..end];
    let body = rest[end + 4..].trim_start_matches(['\r', '\n']);
    Some((front, body))
}

impl Content {
    /// Loads and checks the content directory.
    pub fn load(dir: &Path) -> Result<Content, String> {
        let site: SiteMeta = toml::from_str(&read(&dir.join("site.toml"))?).map_err(|e| format!("site.toml: {e}"))?;
        let mut articles = Vec::new();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.join("articles"))
            .map_err(|e| format!("{}: {e}", dir.join("articles").display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        paths.sort();
        for path in paths {
            let text = read(&path)?;
            let (front, body) = split_front_matter(&text)
                .ok_or_else(|| format!("{}: must start with +++ front matter +++", path.display()))?;
            let meta: ArticleMeta = toml::from_str(front).map_err(|e| format!("{}: {e}", path.display()))?;
            if !site.phases.iter().any(|p| p.id == meta.phase) {
                return Err(format!("{}: unknown phase `{}`", path.display(), meta.phase));
            }
            if !site.domains.iter().any(|d| d.id == meta.domain) {
                return Err(format!("{}: unknown domain `{}`", path.display(), meta.domain));
            }
            if !meta.slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return Err(format!("{}: slug must be lowercase letters, digits and hyphens", path.display()));
            }
            articles.push(Article { meta, body: body.to_string(), source: path });
        }
        let mut pages = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir.join("pages")) {
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .collect();
            paths.sort();
            for path in paths {
                let text = read(&path)?;
                let (front, body) = split_front_matter(&text)
                    .ok_or_else(|| format!("{}: must start with +++ front matter +++", path.display()))?;
                let meta: PageMeta = toml::from_str(front).map_err(|e| format!("{}: {e}", path.display()))?;
                pages.push(Page { meta, body: body.to_string(), source: path });
            }
        }
        let glossary: GlossaryFile =
            toml::from_str(&read(&dir.join("glossary.toml"))?).map_err(|e| format!("glossary.toml: {e}"))?;
        let mut slugs: Vec<&str> = articles.iter().map(|a| a.meta.slug.as_str()).collect();
        slugs.sort();
        if slugs.windows(2).any(|w| w[0] == w[1]) {
            return Err("two articles share a slug".into());
        }
        Ok(Content { site, articles, pages, glossary: glossary.term })
    }

    /// The glossary entry a `[[reference]]` names (term or alias, case-insensitive).
    pub fn find_term(&self, name: &str) -> Option<&Term> {
        let n = name.trim();
        self.glossary.iter().find(|t| {
            t.term.eq_ignore_ascii_case(n) || t.id == n || t.aliases.iter().any(|a| a.eq_ignore_ascii_case(n))
        })
    }

    pub fn phase_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.site.phases.iter().find(|p| p.id == id).map_or(id, |p| p.label.as_str())
    }

    pub fn domain_title<'a>(&'a self, id: &'a str) -> &'a str {
        self.site.domains.iter().find(|d| d.id == id).map_or(id, |d| d.title.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter() {
        let (f, b) = split_front_matter("+++\nslug = \"x\"\n+++\n\n# Hi\n").unwrap();
        assert_eq!(f, "slug = \"x\"");
        assert_eq!(b, "# Hi\n");
        assert!(split_front_matter("no front matter").is_none());
    }
}
