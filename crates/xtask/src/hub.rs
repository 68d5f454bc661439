//! An imitation of the Hugging Face Hub's file endpoint for the end-to-end
//! tests, which cannot reach the real Hub: `GET /{owner}/{repo}/resolve/
//! {revision}/config.json`, answered as the Hub answers it (huggingface_hub
//! documentation, "Download files from the Hub": `hf_hub_url`; and the
//! `X-Error-Code` header its client reads in `hf_raise_for_status`), with
//! `Access-Control-Allow-Origin: *` as the Hub sends for browsers.
//!
//! Configs live in `tests/fixtures/hub/{owner}/{repo}/config.json`. A few
//! repository names act out the Hub's other answers:
//! - `gated-…`: 401 with `X-Error-Code: GatedRepo` (a gated model, asked
//!   for anonymously);
//! - `renamed-…`: 307 to the same file under the repository's new name
//!   (the part after `renamed-`), as the Hub redirects renamed repositories;
//! - `slow-…`: the config of the part after `slow-`, after two seconds;
//! - anything else without a file: 404 with `X-Error-Code: RepoNotFound`.

use crate::serve::{accept, Answer};
use std::net::TcpListener;
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

/// Serves the imitation on a free port of 127.0.0.1; returns the port.
pub fn spawn(configs: PathBuf) -> Result<(u16, JoinHandle<()>), String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("cannot listen for the hub: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    Ok((port, accept(listener, move |method: &str, target: &str| answer(&configs, method, target))))
}

fn cors(mut headers: Vec<(String, String)>) -> Vec<(String, String)> {
    headers.push(("Access-Control-Allow-Origin".into(), "*".into()));
    headers.push(("Access-Control-Expose-Headers".into(), "X-Error-Code, X-Error-Message".into()));
    headers.push(("Cache-Control".into(), "no-store".into()));
    headers
}

fn error(status: &'static str, code: &str, message: &str) -> Answer {
    let body = format!("{{\"error\":\"{message}\"}}").into_bytes();
    let headers = vec![
        ("Content-Type".into(), "application/json".into()),
        ("X-Error-Code".into(), code.into()),
        ("X-Error-Message".into(), message.into()),
    ];
    (status, cors(headers), body)
}

/// The Hub's answer to one request.
pub fn answer(configs: &std::path::Path, method: &str, target: &str) -> Answer {
    if !matches!(method, "GET" | "HEAD") {
        return ("405 Method Not Allowed", cors(vec![("Allow".into(), "GET, HEAD".into())]), Vec::new());
    }
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let [owner, repo, "resolve", revision, "config.json"] = parts[..] else {
        return error("404 Not Found", "EntryNotFound", "Entry not found");
    };
    let safe =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) && s != "..";
    if ![owner, repo, revision].iter().all(|s| safe(s)) {
        return error("404 Not Found", "RepoNotFound", "Repository not found");
    }
    if repo.starts_with("gated-") {
        return error(
            "401 Unauthorized",
            "GatedRepo",
            &format!("Access to model {owner}/{repo} is restricted. You must have access to it and be authenticated to access it. Please log in."),
        );
    }
    if let Some(new) = repo.strip_prefix("renamed-") {
        let to = format!("/{owner}/{new}/resolve/{revision}/config.json");
        return ("307 Temporary Redirect", cors(vec![("Location".into(), to)]), Vec::new());
    }
    let repo = match repo.strip_prefix("slow-") {
        Some(real) => {
            std::thread::sleep(Duration::from_secs(2));
            real
        }
        None => repo,
    };
    match std::fs::read(configs.join(owner).join(repo).join("config.json")) {
        Ok(body) => ("200 OK", cors(vec![("Content-Type".into(), "application/json".into())]), body),
        Err(_) => error("404 Not Found", "RepoNotFound", "Repository not found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_the_hub() {
        let dir = std::env::temp_dir().join("llmem-hub-test");
        std::fs::create_dir_all(dir.join("acme/tiny")).unwrap();
        std::fs::write(dir.join("acme/tiny/config.json"), "{}").unwrap();
        assert_eq!(answer(&dir, "GET", "/acme/tiny/resolve/main/config.json").0, "200 OK");
        let (status, headers, _) = answer(&dir, "GET", "/acme/gated-x/resolve/main/config.json");
        assert_eq!(status, "401 Unauthorized");
        assert!(headers.contains(&("X-Error-Code".into(), "GatedRepo".into())));
        let (status, headers, _) = answer(&dir, "GET", "/acme/renamed-tiny/resolve/main/config.json");
        assert_eq!(status, "307 Temporary Redirect");
        assert!(headers.contains(&("Location".into(), "/acme/tiny/resolve/main/config.json".into())));
        assert_eq!(answer(&dir, "GET", "/acme/none/resolve/main/config.json").0, "404 Not Found");
        assert_eq!(answer(&dir, "GET", "/acme/../resolve/main/config.json").0, "404 Not Found");
        assert_eq!(answer(&dir, "GET", "/etc/passwd").0, "404 Not Found");
    }
}
