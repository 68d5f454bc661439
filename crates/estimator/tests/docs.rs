//! MODELS.md carries the family registry's defaults table; this keeps the
//! two equal. Run with `LLMEM_BLESS=1` to rewrite the table after changing
//! the registry.

use std::path::Path;

#[test]
fn models_md_defaults_table_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../MODELS.md");
    let doc = std::fs::read_to_string(&path).expect("MODELS.md exists");
    let (begin, end) = ("<!-- defaults:begin -->\n", "<!-- defaults:end -->");
    let (a, b) = (doc.find(begin).expect("begin marker") + begin.len(), doc.find(end).expect("end marker"));
    let table = llmem_estimator::families::defaults_table_markdown();
    if std::env::var_os("LLMEM_BLESS").is_some() {
        std::fs::write(&path, format!("{}{table}{}", &doc[..a], &doc[b..])).unwrap();
        return;
    }
    assert_eq!(&doc[a..b], table, "MODELS.md's defaults table is stale: run with LLMEM_BLESS=1");
}
