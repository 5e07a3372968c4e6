//! A fake's HTTP answer, read completely, for the fidelity tests: status, headers, the
//! text and its JSON, and the `Link` header taken apart (`<url>; rel="x"` entries joined
//! by `", "`, as GitHub and GitLab send them).
#![allow(dead_code)]

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Resp {
    /// Reads a reqwest response to the end.
    pub async fn read(response: reqwest::Response) -> Resp {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("response body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn header_u64(&self, name: &str) -> u64 {
        self.header(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("numeric header {name}: {:?}", self.headers))
    }

    pub fn items(&self) -> &Vec<Value> {
        self.body
            .as_array()
            .unwrap_or_else(|| panic!("JSON array body, got {}: {}", self.status, self.text))
    }

    /// The unsigned field `key` of every item of a JSON array body.
    pub fn field_of_items(&self, key: &str) -> Vec<u64> {
        self.items()
            .iter()
            .map(|i| i[key].as_u64().unwrap_or_else(|| panic!("{key} in {i}")))
            .collect()
    }

    /// `Link` entries as (rel, url), in header order.
    pub fn links(&self) -> Vec<(String, String)> {
        let Some(h) = self.header("link") else {
            return Vec::new();
        };
        h.split(", ")
            .map(|part| {
                let (url, rel) = part.split_once(">; rel=\"").expect("link entry shape");
                (
                    rel.trim_end_matches('"').to_string(),
                    url.trim_start_matches('<').to_string(),
                )
            })
            .collect()
    }

    pub fn rels(&self) -> Vec<String> {
        self.links().into_iter().map(|(rel, _)| rel).collect()
    }

    pub fn link(&self, rel: &str) -> Option<String> {
        self.links()
            .into_iter()
            .find(|(r, _)| r == rel)
            .map(|(_, u)| u)
    }
}
