//! A small validator over GitHub's official OpenAPI 3.0.3 description
//! (`shared/contracts/github-api.github.com.json`, bundled, `$ref`s not dereferenced), loaded
//! once per test binary.
//!
//! - [`Spec::operation`] finds the operation a request hits, preferring literal path segments
//!   over `{parameters}` (`/repos/{owner}/{repo}/issues/comments` over
//!   `…/issues/{issue_number}`).
//! - [`Spec::check_query`] / [`Spec::check_path`]: every query parameter must be declared for
//!   the operation (path-item and operation parameters, `$ref`s to `#/components/parameters`
//!   resolved), required ones present, values of the declared type (`integer`, `number`,
//!   `boolean`), in the `enum`, and `format: date-time` values RFC 3339.
//! - [`Spec::check_request_body`] / [`Spec::check_response`]: a JSON body against the
//!   `requestBody` schema, or the schema of the documented response for that status (`$ref` to
//!   `#/components/responses` resolved; a response without content must have no body).
//! - [`Spec::validate`]: JSON Schema as OpenAPI 3.0 uses it — `$ref`, `type` (also a list),
//!   `nullable`, `enum`, `required`, `properties`, `additionalProperties`, `items`, `oneOf`
//!   (exactly one branch), `anyOf`, `allOf`, `format: date-time` (RFC 3339), `uri` (an absolute
//!   URL), `date`, and the length/size/range bounds. `nullable: true` on a schema allows `null`
//!   whatever its `oneOf`/`anyOf` branches say: the description puts `nullable` next to a
//!   type-less `oneOf` in several request bodies (`title`, `milestone` of update-issue; see
//!   `shared/contracts/SOURCES.md`), which OpenAPI 3.0 means as "or null". `pattern`,
//!   `uniqueItems`, `maxProperties`, `discriminator` and `readOnly` are not checked.
//!
//! Every error names the JSON pointer of the offending value (`/items/3/user/login: …`).
#![allow(dead_code)]

use std::sync::OnceLock;

use serde_json::Value;

/// The loaded description.
pub struct Spec {
    doc: Value,
}

/// An operation of the description: `method` (lowercase) on `template`.
pub struct Operation<'a> {
    pub method: String,
    pub template: &'a str,
    item: &'a Value,
    op: &'a Value,
}

impl Operation<'_> {
    /// The `operationId`, e.g. `issues/list-for-repo`.
    pub fn id(&self) -> &str {
        self.op["operationId"].as_str().unwrap_or("?")
    }
}

static SPEC: OnceLock<Spec> = OnceLock::new();

/// Where the description lives (beside the repository, in `shared/`).
pub fn spec_path() -> String {
    format!(
        "{}/../shared/contracts/github-api.github.com.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The description, parsed on first use.
pub fn spec() -> &'static Spec {
    SPEC.get_or_init(|| {
        let path = spec_path();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e} (shared/ must sit beside the repo)"));
        Spec {
            doc: serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}")),
        }
    })
}

/// `a/b` → `/a~1b` (RFC 6901).
fn child(ptr: &str, key: &str) -> String {
    format!("{ptr}/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn at(ptr: &str) -> &str {
    if ptr.is_empty() {
        "(root)"
    } else {
        ptr
    }
}

fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let mut shown = v.to_string();
    if shown.len() > 60 {
        shown.truncate(57);
        shown.push_str("...");
    }
    format!("{kind} {shown}")
}

fn type_matches(ty: &str, v: &Value) -> bool {
    match ty {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => true,
    }
}

fn is_rfc3339(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

fn is_uri(s: &str) -> bool {
    url::Url::parse(s).is_ok()
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

fn is_param(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

impl Spec {
    /// The raw description.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// Follows a local `$ref` (`#/components/...`).
    pub fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        let mut v = v;
        for _ in 0..16 {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => match r.strip_prefix('#').and_then(|p| self.doc.pointer(p)) {
                    Some(target) => v = target,
                    None => return &Value::Null,
                },
                None => return v,
            }
        }
        v
    }

    /// `#/components/schemas/{name}`.
    pub fn schema(&self, name: &str) -> &Value {
        self.doc
            .pointer(&format!("/components/schemas/{name}"))
            .unwrap_or_else(|| panic!("no schema {name:?} in the description"))
    }

    /// Finds the operation for `method` and `path` (relative to the API root, no query).
    ///
    /// # Errors
    /// No template matches, or the best one lacks the method.
    pub fn operation(&self, method: &str, path: &str) -> Result<Operation<'_>, String> {
        let wanted = segments(path);
        let paths = self.doc["paths"]
            .as_object()
            .ok_or("the description has no paths")?;
        let best = paths
            .iter()
            .filter(|(template, _)| {
                let t = segments(template);
                t.len() == wanted.len() && t.iter().zip(&wanted).all(|(t, p)| is_param(t) || t == p)
            })
            // Literal segments win over parameters, from the left.
            .min_by_key(|(template, _)| {
                segments(template)
                    .iter()
                    .map(|s| is_param(s))
                    .collect::<Vec<bool>>()
            })
            .ok_or_else(|| format!("no path of the description matches {path}"))?;
        let (template, item) = best;
        let method = method.to_lowercase();
        let op = item.get(&method).ok_or_else(|| {
            format!(
                "{} {template} is not in the description",
                method.to_uppercase()
            )
        })?;
        Ok(Operation {
            method,
            template,
            item,
            op,
        })
    }

    /// The operation's parameters (path-item ones overridden by the operation's), resolved.
    pub fn parameters<'a>(&'a self, op: &Operation<'a>) -> Vec<&'a Value> {
        let mut out: Vec<&Value> = Vec::new();
        for list in [&op.op["parameters"], &op.item["parameters"]] {
            for p in list.as_array().into_iter().flatten() {
                let p = self.resolve(p);
                let dup = out
                    .iter()
                    .any(|q| q["name"] == p["name"] && q["in"] == p["in"]);
                if !dup {
                    out.push(p);
                }
            }
        }
        out
    }

    /// A query or path value (text) against a parameter schema.
    fn check_text(&self, what: &str, value: &str, schema: &Value, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        let ok = match schema["type"].as_str() {
            Some("integer") => value.parse::<i64>().is_ok(),
            Some("number") => value.parse::<f64>().is_ok(),
            Some("boolean") => value == "true" || value == "false",
            _ => true,
        };
        if !ok {
            errors.push(format!(
                "{what}={value:?} is not of type {}",
                schema["type"].as_str().unwrap_or("?")
            ));
            return;
        }
        if let Some(allowed) = schema["enum"].as_array() {
            let found = allowed.iter().any(|a| match a {
                Value::String(s) => s == value,
                other => {
                    let text = other.to_string();
                    text == value
                }
            });
            if !found {
                errors.push(format!("{what}={value:?} is not one of {allowed:?}"));
            }
        }
        if schema["format"] == "date-time" && !is_rfc3339(value) {
            errors.push(format!("{what}={value:?} is not an RFC 3339 date-time"));
        }
        if let Some(items) = schema.get("items").filter(|_| schema["type"] == "array") {
            for part in value.split(',') {
                self.check_text(what, part, items, errors);
            }
        }
    }

    /// Query parameters: declared, required ones present, typed and in their enums.
    pub fn check_query(&self, op: &Operation<'_>, query: &[(String, String)]) -> Vec<String> {
        let params = self.parameters(op);
        let mut errors = Vec::new();
        for (name, value) in query {
            let declared = params
                .iter()
                .find(|p| p["in"] == "query" && p["name"] == name.as_str());
            match declared {
                None => errors.push(format!(
                    "{} {}: query parameter {name:?} is not in the description",
                    op.method.to_uppercase(),
                    op.template
                )),
                Some(p) => {
                    self.check_text(&format!("query {name}"), value, &p["schema"], &mut errors)
                }
            }
        }
        for p in &params {
            let name = p["name"].as_str().unwrap_or("");
            if p["in"] == "query" && p["required"] == true && !query.iter().any(|(k, _)| k == name)
            {
                errors.push(format!("required query parameter {name:?} is missing"));
            }
        }
        errors
    }

    /// Path parameters of `path` (raw, relative to the API root) against the template.
    pub fn check_path(&self, op: &Operation<'_>, path: &str) -> Vec<String> {
        let params = self.parameters(op);
        let mut errors = Vec::new();
        for (t, actual) in segments(op.template).iter().zip(segments(path)) {
            if !is_param(t) {
                continue;
            }
            let name = &t[1..t.len() - 1];
            match params
                .iter()
                .find(|p| p["in"] == "path" && p["name"] == name)
            {
                Some(p) => {
                    let decoded = url::form_urlencoded::parse(format!("x={actual}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default();
                    self.check_text(&format!("path {name}"), &decoded, &p["schema"], &mut errors);
                }
                None => errors.push(format!("path parameter {name} is not declared")),
            }
        }
        errors
    }

    /// A request body against the operation's `requestBody` (JSON).
    pub fn check_request_body(&self, op: &Operation<'_>, body: Option<&Value>) -> Vec<String> {
        let rb = self.resolve(&op.op["requestBody"]);
        match (body, rb.is_null()) {
            (None, true) => Vec::new(),
            (None, false) if rb["required"] == true => {
                vec![format!(
                    "{} {} requires a body",
                    op.method.to_uppercase(),
                    op.template
                )]
            }
            (None, false) => Vec::new(),
            (Some(_), true) => vec![format!(
                "{} {} takes no body",
                op.method.to_uppercase(),
                op.template
            )],
            (Some(body), false) => match rb["content"]["application/json"].get("schema") {
                Some(schema) => self.validate(schema, body),
                None => vec![format!("{}: the request body is not JSON", op.template)],
            },
        }
    }

    /// A response body (`None`: empty) against the documented response for `status`.
    pub fn check_response(
        &self,
        op: &Operation<'_>,
        status: u16,
        body: Option<&Value>,
    ) -> Vec<String> {
        let responses = &op.op["responses"];
        let code = status.to_string();
        let range = format!("{}XX", status / 100);
        let Some(response) = responses
            .get(&code)
            .or_else(|| responses.get(&range))
            .or_else(|| responses.get("default"))
        else {
            return vec![format!(
                "status {status} is not documented for {} {}",
                op.method.to_uppercase(),
                op.template
            )];
        };
        let response = self.resolve(response);
        let schema = response["content"].as_object().and_then(|c| {
            c.iter()
                .find(|(ct, _)| ct.contains("json"))
                .map(|(_, v)| &v["schema"])
        });
        match (schema, body) {
            (Some(schema), Some(body)) => self.validate(schema, body),
            (Some(_), None) => vec![format!("status {status} must have a JSON body")],
            (None, None) => Vec::new(),
            (None, Some(body)) => vec![format!(
                "status {status} has no content in the description, got {}",
                describe(body)
            )],
        }
    }

    /// Everything about a request: operation, path and query parameters, body.
    ///
    /// # Errors
    /// The list of problems found.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<(), Vec<String>> {
        let op = self.operation(method, path).map_err(|e| vec![e])?;
        let mut errors = self.check_path(&op, path);
        errors.extend(self.check_query(&op, query));
        errors.extend(self.check_request_body(&op, body));
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// `value` against `schema`; the errors, each starting with a JSON pointer.
    pub fn validate(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(schema, value, "", &mut errors);
        errors
    }

    /// `value` against `#/components/schemas/{name}`.
    pub fn validate_component(&self, name: &str, value: &Value) -> Vec<String> {
        self.validate(self.schema(name), value)
    }

    fn check(&self, schema: &Value, value: &Value, ptr: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        let Some(s) = schema.as_object() else {
            return;
        };
        if value.is_null() && s.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
            errors.push(format!(
                "{}: expected {}, got {}",
                at(ptr),
                types.join(" or "),
                describe(value)
            ));
            return;
        }
        if let Some(allowed) = s.get("enum").and_then(Value::as_array) {
            if !allowed.contains(value) {
                errors.push(format!(
                    "{}: {} is not one of {}",
                    at(ptr),
                    describe(value),
                    Value::Array(allowed.clone())
                ));
            }
        }
        if let Value::String(text) = value {
            match s.get("format").and_then(Value::as_str) {
                Some("date-time") if !is_rfc3339(text) => errors.push(format!(
                    "{}: {text:?} is not an RFC 3339 date-time",
                    at(ptr)
                )),
                Some("uri") if !is_uri(text) => {
                    errors.push(format!("{}: {text:?} is not an absolute URI", at(ptr)))
                }
                Some("date") if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() => {
                    errors.push(format!("{}: {text:?} is not a date", at(ptr)))
                }
                _ => {}
            }
            let len = text.chars().count() as u64;
            if s.get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| len < m)
            {
                errors.push(format!("{}: shorter than minLength", at(ptr)));
            }
            if s.get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
            {
                errors.push(format!("{}: longer than maxLength", at(ptr)));
            }
        }
        if let Some(n) = value.as_f64() {
            if s.get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| n < m)
            {
                errors.push(format!("{}: {n} is below the minimum", at(ptr)));
            }
            if s.get("maximum")
                .and_then(Value::as_f64)
                .is_some_and(|m| n > m)
            {
                errors.push(format!("{}: {n} is above the maximum", at(ptr)));
            }
        }
        if let Value::Object(obj) = value {
            for req in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = req.as_str() {
                    if !obj.contains_key(name) {
                        errors.push(format!(
                            "{}: required property is missing",
                            child(ptr, name)
                        ));
                    }
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (key, v) in obj {
                match props.and_then(|p| p.get(key)) {
                    Some(prop) => self.check(prop, v, &child(ptr, key), errors),
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => errors.push(format!(
                            "{}: property not allowed (additionalProperties: false)",
                            child(ptr, key)
                        )),
                        Some(extra @ Value::Object(_)) => {
                            self.check(extra, v, &child(ptr, key), errors)
                        }
                        _ => {}
                    },
                }
            }
        }
        if let Value::Array(items) = value {
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    self.check(item_schema, item, &format!("{ptr}/{i}"), errors);
                }
            }
            let n = items.len() as u64;
            if s.get("minItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n < m)
            {
                errors.push(format!("{}: fewer than minItems", at(ptr)));
            }
            if s.get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
            {
                errors.push(format!("{}: more than maxItems", at(ptr)));
            }
        }
        for branch in s
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.check(branch, value, ptr, errors);
        }
        for (keyword, exactly_one) in [("oneOf", true), ("anyOf", false)] {
            let Some(branches) = s.get(keyword).and_then(Value::as_array) else {
                continue;
            };
            let results: Vec<Vec<String>> = branches
                .iter()
                .map(|b| self.validate_at(b, value, ptr))
                .collect();
            let passing = results.iter().filter(|r| r.is_empty()).count();
            if passing == 0 {
                // The closest branch: one whose type fits, then the fewest errors.
                let wrong_type = format!("{}: expected ", at(ptr));
                let closest = results
                    .iter()
                    .min_by_key(|r| (r.iter().any(|e| e.starts_with(&wrong_type)), r.len()))
                    .cloned()
                    .unwrap_or_default();
                errors.push(format!(
                    "{}: {} matches none of the {} {keyword} branches; closest: {}",
                    at(ptr),
                    describe(value),
                    branches.len(),
                    closest.join("; ")
                ));
            } else if exactly_one && passing > 1 {
                errors.push(format!(
                    "{}: {} matches {passing} oneOf branches, not exactly one",
                    at(ptr),
                    describe(value)
                ));
            }
        }
    }

    fn validate_at(&self, schema: &Value, value: &Value, ptr: &str) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(schema, value, ptr, &mut errors);
        errors
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample(name: &str) -> Value {
        let path = format!(
            "{}/../shared/contracts/samples/github/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn recorded_issues_validate() {
        let s = spec();
        let issue = sample("issue.json");
        assert_eq!(s.validate_component("issue", &issue), Vec::<String>::new());
        let create = s.operation("POST", "/repos/o/r/issues").unwrap();
        assert_eq!(
            s.check_response(&create, 201, Some(&issue)),
            Vec::<String>::new()
        );
        let list = s.operation("GET", "/repos/o/r/issues").unwrap();
        let page = sample("issues-list-page.json");
        assert_eq!(
            s.check_response(&list, 200, Some(&page)),
            Vec::<String>::new()
        );
        // The recorded pages of the pagination fixture, too.
        for recorded in sample("octokit-fixture-paginate-issues.json")
            .as_array()
            .unwrap()
        {
            let errors = s.check_response(&list, 200, Some(&recorded["response"]));
            assert_eq!(errors, Vec::<String>::new(), "{}", recorded["path"]);
        }
        let failed = sample("octokit-fixture-errors-422.json");
        let labels = s.operation("POST", "/repos/o/r/labels").unwrap();
        assert_eq!(
            s.check_response(&labels, 422, Some(&failed[0]["response"])),
            Vec::<String>::new()
        );
    }

    #[test]
    fn recorded_comments_validate_except_where_the_sample_is_trimmed() {
        let s = spec();
        // GitHub's published webhook example carries a complete comment.
        let hook = sample("webhook-issue_comment-created.json");
        assert_eq!(
            s.validate_component("issue-comment", &hook["comment"]),
            Vec::<String>::new()
        );
        // `issue-comment.json` is old octocat example data (drone/go-scm testdata): it predates
        // `node_id` and lacks `issue_url`, which the schema requires. The validator must say
        // exactly that, and nothing else.
        let trimmed = sample("issue-comment.json");
        let mut errors = s.validate_component("issue-comment", &trimmed);
        errors.sort();
        assert_eq!(
            errors,
            vec![
                "/issue_url: required property is missing",
                "/node_id: required property is missing",
                "/user/node_id: required property is missing",
            ]
        );
        let mut fixed = trimmed.clone();
        fixed["node_id"] = json!("IC_1");
        fixed["user"]["node_id"] = json!("U_1");
        fixed["issue_url"] = json!("https://api.github.com/repos/octocat/Hello-World/issues/1347");
        assert_eq!(
            s.validate_component("issue-comment", &fixed),
            Vec::<String>::new()
        );
    }

    #[test]
    fn wrong_types_fail_with_their_pointer() {
        let s = spec();
        let mut issue = sample("issue.json");
        issue["number"] = json!("1");
        issue["user"]["login"] = json!(7);
        issue["labels"] = json!([{ "name": "bug", "default": "no" }]);
        issue["created_at"] = json!("10/10/2017");
        let errors = s.validate_component("issue", &issue);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("/number: expected integer, got string")),
            "{errors:#?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("/user/login: expected string")),
            "{errors:#?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("/labels/0: ") && e.contains("/labels/0/default")),
            "{errors:#?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("/created_at: ") && e.contains("RFC 3339")),
            "{errors:#?}"
        );
        // Not nullable: null is a wrong type too.
        let mut issue = sample("issue.json");
        issue["title"] = Value::Null;
        assert_eq!(
            s.validate_component("issue", &issue),
            vec!["/title: expected string, got null null"]
        );
    }

    #[test]
    fn missing_required_fields_fail() {
        let s = spec();
        let mut issue = sample("issue.json");
        issue.as_object_mut().unwrap().remove("title");
        issue["milestone"] = json!({ "number": 1 });
        let errors = s.validate_component("issue", &issue);
        assert!(errors.contains(&"/title: required property is missing".to_string()));
        assert!(
            errors.contains(&"/milestone/title: required property is missing".to_string()),
            "{errors:#?}"
        );
        let create = s.operation("POST", "/repos/o/r/issues").unwrap();
        assert_eq!(
            s.check_request_body(&create, Some(&json!({ "body": "x" }))),
            vec!["/title: required property is missing"]
        );
        assert_eq!(
            s.check_request_body(&create, None),
            vec!["POST /repos/{owner}/{repo}/issues requires a body"]
        );
    }

    #[test]
    fn query_parameters_are_checked() {
        let s = spec();
        let ok = pairs(&[
            ("state", "all"),
            ("sort", "updated"),
            ("direction", "asc"),
            ("since", "2026-01-05T10:00:00Z"),
            ("labels", "bug,ui"),
            ("milestone", "3"),
            ("per_page", "100"),
            ("page", "2"),
        ]);
        assert_eq!(
            s.check_request("GET", "/repos/o/r/issues", &ok, None),
            Ok(())
        );
        let unknown = s
            .check_request("GET", "/repos/o/r/issues", &pairs(&[("limit", "50")]), None)
            .unwrap_err();
        assert_eq!(
            unknown,
            vec!["GET /repos/{owner}/{repo}/issues: query parameter \"limit\" is not in the description"]
        );
        let bad_enum = s
            .check_request(
                "GET",
                "/repos/o/r/issues",
                &pairs(&[("sort", "title")]),
                None,
            )
            .unwrap_err();
        assert!(
            bad_enum[0].starts_with("query sort=\"title\" is not one of"),
            "{bad_enum:?}"
        );
        let bad_int = s
            .check_request(
                "GET",
                "/repos/o/r/issues",
                &pairs(&[("per_page", "lots")]),
                None,
            )
            .unwrap_err();
        assert_eq!(
            bad_int,
            vec!["query per_page=\"lots\" is not of type integer"]
        );
        let bad_time = s
            .check_request(
                "GET",
                "/repos/o/r/issues",
                &pairs(&[("since", "yesterday")]),
                None,
            )
            .unwrap_err();
        assert_eq!(
            bad_time,
            vec!["query since=\"yesterday\" is not an RFC 3339 date-time"]
        );
        let bad_path = s
            .check_request("GET", "/repos/o/r/issues/seven", &[], None)
            .unwrap_err();
        assert_eq!(
            bad_path,
            vec!["path issue_number=\"seven\" is not of type integer"]
        );
        // Declared on another operation only.
        assert!(s
            .check_request(
                "GET",
                "/repos/o/r/labels",
                &pairs(&[("state", "all")]),
                None
            )
            .is_err());
    }

    #[test]
    fn operations_prefer_literal_segments_and_need_the_method() {
        let s = spec();
        assert_eq!(
            s.operation("GET", "/repos/o/r/issues/comments")
                .unwrap()
                .id(),
            "issues/list-comments-for-repo"
        );
        assert_eq!(
            s.operation("GET", "/repos/o/r/issues/12").unwrap().id(),
            "issues/get"
        );
        assert_eq!(
            s.operation("PATCH", "/repos/o/r/issues/12").unwrap().id(),
            "issues/update"
        );
        assert!(s.operation("GET", "/repos/o/r/nothing-here").is_err());
        assert!(s.operation("DELETE", "/repos/o/r/issues/12").is_err());
        assert!(s.operation("POST", "/repos/o/r/issues/comments").is_err());
    }

    #[test]
    fn request_bodies_follow_the_schema_including_nullable_next_to_one_of() {
        let s = spec();
        let update = s.operation("PATCH", "/repos/o/r/issues/1").unwrap();
        let ok = json!({
            "title": "t",
            "body": null,
            "state": "closed",
            "state_reason": "not_planned",
            "labels": ["bug", { "name": "ui" }],
            "assignees": ["alice"],
            "milestone": null,
        });
        assert_eq!(
            s.check_request_body(&update, Some(&ok)),
            Vec::<String>::new()
        );
        assert_eq!(
            s.check_request_body(&update, Some(&json!({ "milestone": 3, "title": null }))),
            Vec::<String>::new()
        );
        let errors = s.check_request_body(&update, Some(&json!({ "state": "shut" })));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("/state: string \"shut\" is not one of"));
        let errors = s.check_request_body(&update, Some(&json!({ "labels": "bug" })));
        assert_eq!(errors, vec!["/labels: expected array, got string \"bug\""]);
        let errors = s.check_request_body(&update, Some(&json!({ "milestone": true })));
        assert!(
            errors[0].starts_with("/milestone: boolean true matches none of the 2 oneOf"),
            "{errors:?}"
        );
        let errors = s.check_request_body(&update, Some(&json!({ "labels": [true] })));
        assert!(errors[0].starts_with("/labels/0: "), "{errors:?}");
        let list = s.operation("GET", "/repos/o/r/issues").unwrap();
        assert_eq!(
            s.check_request_body(&list, Some(&json!({}))),
            vec!["GET /repos/{owner}/{repo}/issues takes no body"]
        );
    }

    #[test]
    fn responses_need_a_documented_status_and_the_right_content() {
        let s = spec();
        let get = s.operation("GET", "/repos/o/r/issues/1").unwrap();
        assert_eq!(s.check_response(&get, 304, None), Vec::<String>::new());
        assert_eq!(
            s.check_response(&get, 304, Some(&json!({}))),
            vec!["status 304 has no content in the description, got object {}"]
        );
        assert_eq!(
            s.check_response(&get, 418, None),
            vec![
                "status 418 is not documented for GET /repos/{owner}/{repo}/issues/{issue_number}"
            ]
        );
        let gone = json!({ "message": "This issue was deleted", "documentation_url": "x" });
        assert_eq!(
            s.check_response(&get, 410, Some(&gone)),
            Vec::<String>::new()
        );
        assert_eq!(
            s.check_response(&get, 410, Some(&json!({ "message": 410 }))),
            vec!["/message: expected string, got integer 410"]
        );
        // additionalProperties: false (public-user).
        let user = s.schema("public-user");
        let mut errors = s.validate(user, &json!({ "login": "a", "surprise": 1 }));
        errors.retain(|e| !e.ends_with("required property is missing"));
        assert_eq!(
            errors,
            vec!["/surprise: property not allowed (additionalProperties: false)"]
        );
    }
}
