//! The repository's real content: it builds, every internal link resolves,
//! no placeholder text ships, and the examples in CONTENT.md are what the
//! shortcodes really produce.

use llmem_sitegen::{build, bundles::BundleMap, shortcodes, Sources};

fn site() -> llmem_sitegen::Site {
    let sources = Sources::repository();
    let shell = std::fs::read_to_string(sources.content.join("../../index.html")).unwrap();
    build(&sources, &shell, &BundleMap::single("llmem-site-test.js", "llmem-site-test_bg.wasm"))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_page_renders_with_one_h1_and_no_placeholder_text() {
    let site = site();
    let pages: Vec<_> = site.files.keys().filter(|p| p.ends_with(".html")).collect();
    assert!(pages.len() >= 12, "{pages:?}");
    for p in pages {
        let html = site.text(p).unwrap();
        assert_eq!(html.matches("<h1").count(), 1, "{p}");
        for bad in ["lorem", "ipsum", "TODO", "TBD", "{{", "}}", "[[", "coming soon"] {
            assert!(!html.contains(bad), "{p} contains {bad:?}");
        }
    }
}

#[test]
fn nine_articles_in_order_and_a_glossary() {
    let site = site();
    for slug in [
        "fundamentals",
        "weights",
        "kv-cache",
        "attention",
        "inference",
        "training",
        "hardware",
        "agent-memory",
        "advanced",
    ] {
        assert!(site.files.contains_key(&format!("{slug}/index.html")), "{slug}");
    }
    assert!(site.text("glossary/index.html").unwrap().contains("id=\"kv-cache\""));
}

#[test]
fn shortcodes_in_articles_match_the_estimator() {
    let site = site();
    let kv = site.text("kv-cache/index.html").unwrap();
    // {{kv model=llama-3.1-8b context=128K}}: 131,072 B × 131,072 tokens.
    assert!(kv.contains("17.2 GB"));
    assert!(kv.contains("data-llmem-widget=\"kv-cache\""));
}

/// Every row of CONTENT.md's shortcode table that shows `→ output`.
#[test]
fn content_guide_examples_are_true() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../CONTENT.md")).unwrap();
    let mut checked = 0;
    for line in guide.lines().filter(|l| l.starts_with('|')) {
        let Some(start) = line.find("`{{") else { continue };
        let Some(arrow) = line[start..].find("}}` → ") else { continue };
        let inner = &line[start + 3..start + arrow];
        let rest = &line[start + arrow + "}}` → ".len()..];
        let expected = rest.split(" |").next().unwrap().trim();
        let code = shortcodes::parse(inner).unwrap();
        let got = shortcodes::evaluate(&code).unwrap_or_else(|e| panic!("{inner}: {e}"));
        assert_eq!(got, expected, "CONTENT.md example `{{{{{inner}}}}}`");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} examples found");
}

#[test]
fn a_number_follows_a_figure_on_its_page_only() {
    use llmem_sitegen::{content::Content, render::render};
    let content = Content::load(&Sources::repository().content).unwrap();
    let page = "{{widget kv-cache}}\n\nNow {{kv model=llama-3.1-8b context=8K follow=kv-cache}} of cache.\n";
    let html = render(page, &content, "test.md").unwrap_or_else(|e| panic!("{e}")).html;
    assert!(
        html.contains("<span class=\"fig lw-follow\" data-follow=\"kv-cache\" data-article=\"1.07 GB\" title=\"≈ 1020 MiB\">1.07 GB</span>"),
        "{html}"
    );
    let alone = "Now {{kv model=llama-3.1-8b context=8K follow=kv-cache}} of cache.\n";
    let e = render(alone, &content, "test.md").err().unwrap();
    assert!(e.contains("not on this page"), "{e}");
    let e = render("{{kv model=llama-3.1-8b follow=no-such-figure}}\n", &content, "test.md").err().unwrap();
    assert!(e.contains("no such figure"), "{e}");
}

#[test]
fn the_site_binds_a_number_to_a_figure_in_six_articles() {
    let site = site();
    for slug in ["weights", "kv-cache", "attention", "inference", "training", "hardware"] {
        let html = site.text(&format!("{slug}/index.html")).unwrap();
        assert!(html.contains("data-follow=\""), "{slug}");
    }
}
