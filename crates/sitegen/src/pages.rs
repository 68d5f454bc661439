//! The HTML of each kind of page, inside the shell's `<main>`.

use crate::content::{Article, Content};
use crate::render::{escape, render, Rendered};

/// Markdown for short fields (intro, glossary definitions), inline only.
pub fn inline_markdown(md: &str, content: &Content, source: &str) -> Result<String, String> {
    let r = render(md, content, source)?;
    Ok(r.html)
}

fn badge(content: &Content, phase: &str) -> String {
    format!("<span class=\"badge phase-{phase}\">{}</span>", escape(content.phase_label(phase)))
}

/// The home page: intro, phase legend, and the topic cards by domain.
pub fn home(content: &Content) -> Result<String, String> {
    let site = &content.site;
    let mut s = String::new();
    s.push_str("<section class=\"hero\" aria-labelledby=\"page-title\">");
    s.push_str(&format!("<h1 id=\"page-title\">{}</h1>", escape(&site.tagline)));
    s.push_str(&format!("<div class=\"intro\">{}</div>", inline_markdown(&site.intro, content, "site.toml intro")?));
    s.push_str("<h2 class=\"visually-hidden\">Legend</h2><ul class=\"legend\" aria-label=\"When the memory is used\">");
    for p in &site.phases {
        s.push_str(&format!(
            "<li><span class=\"swatch phase-{id}\" aria-hidden=\"true\"></span><strong>{label}</strong> — {desc}</li>",
            id = escape(&p.id),
            label = escape(&p.label),
            desc = escape(&p.description)
        ));
    }
    s.push_str("</ul>");
    s.push_str(
        "<p class=\"callout\"><strong>Sizing a real deployment?</strong> The <a href=\"/calculator/\">Will it fit? calculator</a> \
         takes a model (or your own config.json), a GPU and a workload, and shows the weights, KV cache and overhead against its memory. \
         Writing about this? Every figure here can be <a href=\"/embed/\">embedded in your own post</a>.</p>",
    );
    s.push_str("</section>");
    for d in &site.domains {
        s.push_str(&format!(
            "<section class=\"domain\" aria-labelledby=\"domain-{id}\"><h2 id=\"domain-{id}\">{title}</h2><p class=\"domain-desc\">{desc}</p><ul class=\"cards\">",
            id = escape(&d.id),
            title = escape(&d.title),
            desc = escape(&d.description)
        ));
        for a in content.articles.iter().filter(|a| a.meta.domain == d.id) {
            let m = &a.meta;
            let chips: String = m.chips.iter().map(|c| format!("<li>{}</li>", escape(c))).collect();
            s.push_str(&format!(
                "<li class=\"card phase-{phase}\"><p class=\"card-top\"><span class=\"num\" aria-hidden=\"true\">{num}</span>{badge}</p>\
                 <h3><a class=\"card-link\" href=\"/{slug}/\"><span class=\"visually-hidden\">{num}: </span>{title}</a></h3>\
                 <p class=\"card-summary\">{summary}</p><ul class=\"chips\" aria-label=\"Topics\">{chips}</ul></li>",
                phase = escape(&m.phase),
                num = escape(&m.number),
                badge = badge(content, &m.phase),
                slug = escape(&m.slug),
                title = escape(&m.title),
                summary = escape(&m.summary),
            ));
        }
        s.push_str("</ul></section>");
    }
    Ok(s)
}

/// An article page; returns the main HTML and the rendered body (for its widget list).
pub fn article(
    content: &Content,
    a: &Article,
    prev: Option<&Article>,
    next: Option<&Article>,
) -> Result<(String, Rendered), String> {
    let m = &a.meta;
    let body = render(&a.body, content, &a.source.display().to_string())?;
    let mut s = String::new();
    s.push_str("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/\">← All topics</a></nav>");
    s.push_str("<article class=\"article\" aria-labelledby=\"page-title\"><header class=\"article-head\">");
    s.push_str(&format!(
        "<p class=\"article-meta\"><span class=\"num\">{num}</span>{badge}<span class=\"domain-label\">{domain}</span></p>",
        num = escape(&m.number),
        badge = badge(content, &m.phase),
        domain = escape(content.domain_title(&m.domain)),
    ));
    s.push_str(&format!("<h1 id=\"page-title\">{}</h1>", escape(&m.title)));
    s.push_str(&format!("<p class=\"lead\">{}</p></header>", escape(&m.lead)));
    let sections: Vec<_> = body.headings.iter().filter(|h| h.0 == 2).collect();
    if sections.len() >= 2 {
        s.push_str("<nav class=\"toc\" aria-labelledby=\"toc-title\"><h2 id=\"toc-title\">On this page</h2><ol>");
        for (_, id, text) in &sections {
            // Fragment-only: following it must not reload the page, or the
            // figures' state in the query string would be lost.
            s.push_str(&format!("<li><a href=\"#{id}\">{}</a></li>", escape(text)));
        }
        s.push_str("</ol></nav>");
    }
    // Links from the article to its own sections, fragment-only for the same reason.
    let own = format!("href=\"/{}/#", m.slug);
    s.push_str(&format!("<div class=\"prose\">{}</div>", body.html.replace(&own, "href=\"#")));
    s.push_str("<nav class=\"pager\" aria-label=\"Other topics\">");
    if let Some(p) = prev {
        s.push_str(&format!(
            "<a class=\"pager-prev\" href=\"/{}/\" rel=\"prev\"><span>Previous</span> {} {}</a>",
            escape(&p.meta.slug),
            escape(&p.meta.number),
            escape(&p.meta.title)
        ));
    }
    if let Some(n) = next {
        s.push_str(&format!(
            "<a class=\"pager-next\" href=\"/{}/\" rel=\"next\"><span>Next</span> {} {}</a>",
            escape(&n.meta.slug),
            escape(&n.meta.number),
            escape(&n.meta.title)
        ));
    }
    s.push_str("</nav></article>");
    Ok((s, body))
}

/// A standalone page (the calculator).
pub fn standalone(content: &Content, p: &crate::content::Page) -> Result<(String, Rendered), String> {
    let body = render(&p.body, content, &p.source.display().to_string())?;
    let s = format!(
        "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/\">← All topics</a></nav>\
         <article class=\"article\" aria-labelledby=\"page-title\"><header class=\"article-head\"><h1 id=\"page-title\">{}</h1>\
         <p class=\"lead\">{}</p></header><div class=\"prose\">{}</div></article>",
        escape(&p.meta.title),
        escape(&p.meta.lead),
        body.html
    );
    Ok((s, body))
}

/// The glossary page.
pub fn glossary(content: &Content) -> Result<String, String> {
    let mut terms: Vec<_> = content.glossary.iter().collect();
    terms.sort_by_key(|t| t.term.to_ascii_lowercase());
    let mut s = String::from(
        "<article class=\"article glossary\" aria-labelledby=\"page-title\"><header class=\"article-head\"><h1 id=\"page-title\">Glossary</h1>\
         <p class=\"lead\">The vocabulary of LLM memory, one short definition each, with a pointer to the article that explains it in full.</p></header><dl class=\"terms\">",
    );
    for t in terms {
        s.push_str(&format!("<dt id=\"{}\">{}</dt><dd>", escape(&t.id), escape(&t.term)));
        s.push_str(&inline_markdown(&t.definition, content, &format!("glossary.toml [{}]", t.id))?);
        if let Some(slug) = &t.article {
            let a = content
                .articles
                .iter()
                .find(|a| &a.meta.slug == slug)
                .ok_or_else(|| format!("glossary.toml [{}]: no article `{slug}`", t.id))?;
            s.push_str(&format!(
                "<p class=\"see\">More in <a href=\"/{}/\">{} {}</a>.</p>",
                escape(slug),
                escape(&a.meta.number),
                escape(&a.meta.title)
            ));
        }
        s.push_str("</dd>");
    }
    s.push_str("</dl></article>");
    Ok(s)
}

/// The not-found page.
pub fn not_found() -> String {
    "<article class=\"article\" aria-labelledby=\"page-title\"><header class=\"article-head\"><h1 id=\"page-title\">Page not found</h1>\
     <p class=\"lead\">There is nothing at this address. The topics are all listed on the <a href=\"/\">home page</a>.</p></header></article>"
        .to_string()
}
