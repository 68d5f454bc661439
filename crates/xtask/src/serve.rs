//! A plain static file server for the built site: what any static host
//! does, plus the response headers of `_headers` (the same file Netlify and
//! Cloudflare Pages read), so tests run under the deployment's CSP.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

/// One `_headers` rule: a path pattern and the headers it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRule {
    pub pattern: String,
    pub headers: Vec<(String, String)>,
}

/// Parses the `_headers` format: an unindented path pattern, then indented
/// `Name: value` lines; `#` starts a comment.
pub fn parse_headers(text: &str) -> Vec<HeaderRule> {
    let mut rules: Vec<HeaderRule> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            rules.push(HeaderRule { pattern: line.trim().to_string(), headers: Vec::new() });
        } else if let (Some(rule), Some((k, v))) = (rules.last_mut(), line.trim().split_once(':')) {
            rule.headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    rules
}

fn matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// MIME type by extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "png" => "image/png",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// What to answer for a URL path.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    File(PathBuf),
    Redirect(String),
    NotFound,
}

/// Maps a request path onto `root`, refusing anything that escapes it.
pub fn resolve(root: &Path, url_path: &str) -> Resolved {
    let path = url_path.split(['?', '#']).next().unwrap_or("/");
    let Some(decoded) = percent_decode(path) else { return Resolved::NotFound };
    let rel = Path::new(decoded.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Resolved::NotFound;
    }
    let full = root.join(rel);
    if full.is_dir() {
        if !decoded.ends_with('/') {
            return Resolved::Redirect(format!("{decoded}/"));
        }
        let index = full.join("index.html");
        return if index.is_file() { Resolved::File(index) } else { Resolved::NotFound };
    }
    if full.is_file() {
        Resolved::File(full)
    } else {
        Resolved::NotFound
    }
}

/// A text substitution applied to served HTML (test fixtures name the site's
/// origin as `__LLMEM_SITE__`, which is only known once its server is up).
pub type Substitution = Option<(String, String)>;

/// Serves `root` on 127.0.0.1:`port` (0 = any free port) from a few threads
/// until the process exits; returns the port.
pub fn spawn(root: PathBuf, port: u16, rules: Vec<HeaderRule>) -> Result<(u16, Vec<JoinHandle<()>>), String> {
    spawn_with(root, port, rules, None)
}

/// As [`spawn`], substituting text in HTML responses.
pub fn spawn_with(
    root: PathBuf,
    port: u16,
    rules: Vec<HeaderRule>,
    substitution: Substitution,
) -> Result<(u16, Vec<JoinHandle<()>>), String> {
    let server =
        tiny_http::Server::http(("127.0.0.1", port)).map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let port = server.server_addr().to_ip().map_or(port, |a| a.port());
    let server = Arc::new(server);
    let rules = Arc::new(rules);
    let root = Arc::new(root);
    let substitution = Arc::new(substitution);
    let handles = (0..8)
        .map(|_| {
            let (server, rules, root, sub) = (server.clone(), rules.clone(), root.clone(), substitution.clone());
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    handle(request, &root, &rules, &sub);
                }
            })
        })
        .collect();
    Ok((port, handles))
}

fn header(k: &str, v: &str) -> Option<tiny_http::Header> {
    tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).ok()
}

fn handle(request: tiny_http::Request, root: &Path, rules: &[HeaderRule], substitution: &Substitution) {
    let url = request.url().to_string();
    let method = request.method().clone();
    if !matches!(method, tiny_http::Method::Get | tiny_http::Method::Head) {
        let _ = request.respond(tiny_http::Response::empty(405));
        return;
    }
    let (status, file) = match resolve(root, &url) {
        Resolved::File(f) => (200, Some(f)),
        Resolved::Redirect(to) => {
            let mut r = tiny_http::Response::empty(301);
            if let Some(h) = header("Location", &to) {
                r.add_header(h);
            }
            let _ = request.respond(r);
            return;
        }
        Resolved::NotFound => (404, Some(root.join("404.html")).filter(|p| p.is_file())),
    };
    let mut body = file.as_ref().and_then(|f| std::fs::read(f).ok()).unwrap_or_default();
    if let (Some((from, to)), Some(f)) = (substitution, &file) {
        if f.extension().is_some_and(|e| e == "html") {
            body = String::from_utf8_lossy(&body).replace(from.as_str(), to).into_bytes();
        }
    }
    let mut response =
        tiny_http::Response::from_data(if method == tiny_http::Method::Head { Vec::new() } else { body })
            .with_status_code(status);
    let ctype = file.as_deref().map_or("text/plain; charset=utf-8", content_type);
    let path_only = url.split(['?', '#']).next().unwrap_or("/");
    let mut extra: Vec<(String, String)> =
        vec![("Content-Type".into(), ctype.into()), ("Cache-Control".into(), "no-store".into())];
    for rule in rules.iter().filter(|r| matches(&r.pattern, path_only)) {
        extra.extend(rule.headers.iter().cloned());
    }
    for (k, v) in extra {
        if let Some(h) = header(&k, &v) {
            response.add_header(h);
        }
    }
    let _ = request.respond(response);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_file() {
        let rules = parse_headers("# c\n/*\n  A: 1\n  B: x: y\n/embed/*\n  C: 2\n");
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].headers, vec![("A".into(), "1".into()), ("B".into(), "x: y".into())]);
        assert!(matches("/embed/*", "/embed/kv-cache/"));
        assert!(!matches("/embed/*", "/kv-cache/"));
    }

    #[test]
    fn refuses_escapes() {
        let root = std::env::temp_dir();
        assert_eq!(resolve(&root, "/../etc/passwd"), Resolved::NotFound);
        assert_eq!(resolve(&root, "/%2e%2e/etc/passwd"), Resolved::NotFound);
        assert_eq!(resolve(&root, "/%zz"), Resolved::NotFound);
    }
}
