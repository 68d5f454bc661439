//! A plain static file server for the built site: what any static host
//! does, plus the response headers of `_headers` (the same file Netlify and
//! Cloudflare Pages read), so tests run under the deployment's CSP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

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

/// Text substitutions applied to served HTML (test fixtures name the site's
/// origin as `__LLMEM_SITE__`, which is only known once its server is up).
pub type Substitution = Vec<(String, String)>;

/// Serves `root` on 127.0.0.1:`port` (0 = any free port) until the process
/// exits; returns the port.
pub fn spawn(root: PathBuf, port: u16, rules: Vec<HeaderRule>) -> Result<(u16, Vec<JoinHandle<()>>), String> {
    spawn_with(root, port, rules, Vec::new())
}

/// As [`spawn`], substituting text in HTML responses.
///
/// One thread per connection, on the standard library alone. Why not a
/// server crate: tiny_http 0.12 queues a new connection behind busy
/// keep-alive connections when its thread pool miscounts idle threads, and
/// Chromium's six kept-alive connections per host then stall page loads for
/// good (seen in the end-to-end suite); a static test server needs nothing a
/// few dozen lines of HTTP/1.1 cannot do.
pub fn spawn_with(
    root: PathBuf,
    port: u16,
    rules: Vec<HeaderRule>,
    substitution: Substitution,
) -> Result<(u16, Vec<JoinHandle<()>>), String> {
    let listener =
        TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let port = listener.local_addr().map_or(port, |a| a.port());
    let site = Site { root, rules, substitution };
    Ok((port, vec![accept(listener, move |method: &str, target: &str| respond(&site, method, target))]))
}

/// Status line, headers and body for one request.
pub type Answer = (&'static str, Vec<(String, String)>, Vec<u8>);

/// Answers every connection on `listener` with `answer`, one thread each.
pub fn accept(listener: TcpListener, answer: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> JoinHandle<()> {
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || {
                let _ = serve_connection(stream, &*answer);
            });
        }
    })
}

struct Site {
    root: PathBuf,
    rules: Vec<HeaderRule>,
    substitution: Substitution,
}

/// Answers requests on one connection until the client closes it, asks to,
/// or stays silent for a minute.
fn serve_connection(stream: TcpStream, answer: &dyn Fn(&str, &str) -> Answer) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let (method, target, version) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"), parts.next());
        let mut close = version != Some("HTTP/1.1");
        let mut body_len = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase());
                if k == "connection" {
                    close = v.contains("close");
                } else if k == "content-length" {
                    body_len = v.parse().unwrap_or(0);
                }
            }
        }
        // A body (there should be none) is read and dropped.
        std::io::copy(&mut (&mut reader).take(body_len as u64), &mut std::io::sink())?;
        let (status, headers, body) = answer(method, target);
        let head_only = method == "HEAD";
        let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in &headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(if close { "Connection: close\r\n\r\n" } else { "Connection: keep-alive\r\n\r\n" });
        writer.write_all(out.as_bytes())?;
        if !head_only {
            writer.write_all(&body)?;
        }
        writer.flush()?;
        if close {
            return Ok(());
        }
    }
}

/// What the static host answers.
fn respond(site: &Site, method: &str, target: &str) -> Answer {
    if !matches!(method, "GET" | "HEAD") {
        return ("405 Method Not Allowed", vec![("Allow".into(), "GET, HEAD".into())], Vec::new());
    }
    let (status, file) = match resolve(&site.root, target) {
        Resolved::File(f) => ("200 OK", Some(f)),
        Resolved::Redirect(to) => return ("301 Moved Permanently", vec![("Location".into(), to)], Vec::new()),
        Resolved::NotFound => ("404 Not Found", Some(site.root.join("404.html")).filter(|p| p.is_file())),
    };
    let mut body = file.as_ref().and_then(|f| std::fs::read(f).ok()).unwrap_or_default();
    if !site.substitution.is_empty() && file.as_ref().is_some_and(|f| f.extension().is_some_and(|e| e == "html")) {
        let mut text = String::from_utf8_lossy(&body).into_owned();
        for (from, to) in &site.substitution {
            text = text.replace(from.as_str(), to);
        }
        body = text.into_bytes();
    }
    let ctype = file.as_deref().map_or("text/plain; charset=utf-8", content_type);
    let path_only = target.split(['?', '#']).next().unwrap_or("/");
    let mut headers: Vec<(String, String)> =
        vec![("Content-Type".into(), ctype.into()), ("Cache-Control".into(), "no-store".into())];
    for rule in site.rules.iter().filter(|r| matches(&r.pattern, path_only)) {
        headers.extend(rule.headers.iter().cloned());
    }
    if std::env::var_os("LLMEM_SERVE_LOG").is_some() {
        eprintln!("serve: {method} {target} {status}");
    }
    (status, headers, body)
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
