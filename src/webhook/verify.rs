//! Verifying a webhook delivery before anything in it is read: pure functions over the
//! headers, the raw body and the connection's secret.
//!
//! Invariants:
//! - GitHub, Gitea and Forgejo sign the raw body: `X-Hub-Signature-256:
//!   sha256=<hex HMAC-SHA256(secret, body)>` (Gitea/Forgejo also send the bare hex as
//!   `X-Gitea-Signature`/`X-Forgejo-Signature`, accepted when the first is absent).
//! - GitLab: the Standard Webhooks signature (`webhook-signature: v1,<base64 HMAC-SHA256
//!   of "{webhook-id}.{webhook-timestamp}.{body}">`, key = the `whsec_` token decoded) is
//!   preferred where present, and its timestamp must be within the tolerance; else
//!   `X-Gitlab-Token` must equal the secret. A signature that is present and wrong is
//!   never rescued by the token.
//! - Every comparison is constant-time (`hmac`'s `verify_slice`, `subtle`); nothing here
//!   logs, and a [`Rejection`] never carries the body, the secret or a header value.

use axum::http::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::model::ProviderKind;
use crate::secrets::Secret;

type HmacSha256 = Hmac<Sha256>;

/// How far a Standard Webhooks timestamp may be from our clock, either way.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 5 * 60;

/// Why a delivery was not authentic. Shown in logs; says which check failed, nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("no signature header ({0})")]
    Missing(&'static str),
    #[error("the signature header is malformed ({0})")]
    Malformed(&'static str),
    #[error("the signature does not match ({0})")]
    Mismatch(&'static str),
    #[error("the signed timestamp is outside the {TIMESTAMP_TOLERANCE_SECS} s tolerance")]
    Stale,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Checks that `body` was sent by the holder of `secret` for a connection of `kind`;
/// `now_unix` is our clock (seconds), for GitLab's signed timestamp.
///
/// # Errors
/// A [`Rejection`] naming the check that failed.
pub fn verify(
    kind: ProviderKind,
    headers: &HeaderMap,
    body: &[u8],
    secret: &Secret,
    now_unix: i64,
) -> Result<(), Rejection> {
    match kind {
        ProviderKind::Github | ProviderKind::Gitea => hub_signature(kind, headers, body, secret),
        ProviderKind::Gitlab => gitlab(headers, body, secret, now_unix),
    }
}

fn hub_signature(
    kind: ProviderKind,
    headers: &HeaderMap,
    body: &[u8],
    secret: &Secret,
) -> Result<(), Rejection> {
    const HUB: &str = "X-Hub-Signature-256";
    let hex_signature = match header(headers, HUB) {
        Some(value) => value
            .strip_prefix("sha256=")
            .ok_or(Rejection::Malformed(HUB))?,
        None if kind == ProviderKind::Gitea => ["X-Gitea-Signature", "X-Forgejo-Signature"]
            .into_iter()
            .find_map(|name| header(headers, name))
            .ok_or(Rejection::Missing(HUB))?,
        None => return Err(Rejection::Missing(HUB)),
    };
    let signature = hex::decode(hex_signature).map_err(|_| Rejection::Malformed(HUB))?;
    let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes())
        .map_err(|_| Rejection::Mismatch(HUB))?;
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| Rejection::Mismatch(HUB))
}

fn gitlab(
    headers: &HeaderMap,
    body: &[u8],
    secret: &Secret,
    now_unix: i64,
) -> Result<(), Rejection> {
    const SIGNATURE: &str = "webhook-signature";
    const TOKEN: &str = "X-Gitlab-Token";
    if let Some(signatures) = header(headers, SIGNATURE) {
        let id = header(headers, "webhook-id").ok_or(Rejection::Missing("webhook-id"))?;
        let timestamp =
            header(headers, "webhook-timestamp").ok_or(Rejection::Missing("webhook-timestamp"))?;
        let at: i64 = timestamp
            .parse()
            .map_err(|_| Rejection::Malformed("webhook-timestamp"))?;
        if now_unix.abs_diff(at) > TIMESTAMP_TOLERANCE_SECS.unsigned_abs() {
            return Err(Rejection::Stale);
        }
        let key = signing_key(secret);
        let mut any = false;
        for candidate in signatures.split(' ').filter(|s| !s.is_empty()) {
            let Some(encoded) = candidate.strip_prefix("v1,") else {
                continue;
            };
            any = true;
            let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
                continue;
            };
            let mut mac =
                HmacSha256::new_from_slice(&key).map_err(|_| Rejection::Mismatch(SIGNATURE))?;
            mac.update(id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.as_bytes());
            mac.update(b".");
            mac.update(body);
            if mac.verify_slice(&signature).is_ok() {
                return Ok(());
            }
        }
        return Err(if any {
            Rejection::Mismatch(SIGNATURE)
        } else {
            Rejection::Malformed(SIGNATURE)
        });
    }
    let token = header(headers, TOKEN).ok_or(Rejection::Missing(TOKEN))?;
    if bool::from(token.as_bytes().ct_eq(secret.expose().as_bytes())) {
        Ok(())
    } else {
        Err(Rejection::Mismatch(TOKEN))
    }
}

/// The HMAC key of a Standard Webhooks secret: `whsec_<base64>` decoded, else the bytes
/// as they are.
fn signing_key(secret: &Secret) -> Vec<u8> {
    let text = secret.expose();
    text.strip_prefix("whsec_")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .unwrap_or_else(|| text.as_bytes().to_vec())
}

/// The tracker's id of this delivery, stable across its retries: `X-GitHub-Delivery`,
/// `X-Gitea-Delivery`, `X-Forgejo-Delivery`, GitLab's `Idempotency-Key` (or `webhook-id`).
/// Only printable ASCII up to 200 characters counts.
pub fn delivery_id(kind: ProviderKind, headers: &HeaderMap) -> Option<String> {
    let names: &[&str] = match kind {
        ProviderKind::Github => &["X-GitHub-Delivery"],
        ProviderKind::Gitea => &[
            "X-Forgejo-Delivery",
            "X-Gitea-Delivery",
            "X-GitHub-Delivery",
        ],
        ProviderKind::Gitlab => &["Idempotency-Key", "webhook-id", "X-Gitlab-Event-UUID"],
    };
    names
        .iter()
        .filter_map(|name| header(headers, name))
        .find(|v| !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
}

/// `sha256=<hex>` for `body`: what GitHub, Gitea and Forgejo send (tests and the
/// benchmark sign their deliveries with it).
pub fn hub_signature_of(secret: &Secret, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// `v1,<base64>` for a Standard Webhooks delivery (GitLab's signing token).
pub fn standard_signature_of(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(&signing_key(secret))
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};
    use proptest::prelude::*;
    use rstest::rstest;

    const BODY: &[u8] = br#"{"action":"opened"}"#;
    const NOW: i64 = 1_767_600_000;

    fn secret() -> Secret {
        Secret::new("It's a Secret to Everybody")
    }

    fn headers(pairs: &[(&str, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    /// GitHub's documented test vector (docs.github.com, "Validating webhook deliveries").
    #[test]
    fn the_github_documented_example_verifies() {
        let sig = hub_signature_of(&secret(), b"Hello, World!");
        assert_eq!(
            sig,
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    fn good_hub() -> String {
        hub_signature_of(&secret(), BODY)
    }

    fn good_standard(ts: i64) -> String {
        standard_signature_of(&secret(), "msg-1", ts, BODY)
    }

    #[rstest]
    #[case::github_signed(ProviderKind::Github, vec![("X-Hub-Signature-256", good_hub())], Ok(()))]
    #[case::github_unsigned(ProviderKind::Github, vec![], Err(Rejection::Missing("X-Hub-Signature-256")))]
    #[case::github_bare_hex_is_not_enough(
        ProviderKind::Github,
        vec![("X-Gitea-Signature", good_hub()[7..].to_string())],
        Err(Rejection::Missing("X-Hub-Signature-256"))
    )]
    #[case::github_wrong_prefix(ProviderKind::Github, vec![("X-Hub-Signature-256", good_hub().replace("sha256=", "sha1="))], Err(Rejection::Malformed("X-Hub-Signature-256")))]
    #[case::github_not_hex(ProviderKind::Github, vec![("X-Hub-Signature-256", "sha256=zz".into())], Err(Rejection::Malformed("X-Hub-Signature-256")))]
    #[case::github_other_secret(
        ProviderKind::Github,
        vec![("X-Hub-Signature-256", hub_signature_of(&Secret::new("other"), BODY))],
        Err(Rejection::Mismatch("X-Hub-Signature-256"))
    )]
    #[case::github_truncated_signature(
        ProviderKind::Github,
        vec![("X-Hub-Signature-256", good_hub()[..41].to_string())],
        Err(Rejection::Mismatch("X-Hub-Signature-256"))
    )]
    #[case::gitea_hub(ProviderKind::Gitea, vec![("X-Hub-Signature-256", good_hub())], Ok(()))]
    #[case::gitea_bare_hex(ProviderKind::Gitea, vec![("X-Gitea-Signature", good_hub()[7..].to_string())], Ok(()))]
    #[case::forgejo_bare_hex(ProviderKind::Gitea, vec![("X-Forgejo-Signature", good_hub()[7..].to_string())], Ok(()))]
    #[case::gitea_hub_wins_over_a_good_bare_one(
        ProviderKind::Gitea,
        vec![("X-Hub-Signature-256", "sha256=00".into()), ("X-Gitea-Signature", good_hub()[7..].to_string())],
        Err(Rejection::Mismatch("X-Hub-Signature-256"))
    )]
    #[case::gitlab_token(ProviderKind::Gitlab, vec![("X-Gitlab-Token", "It's a Secret to Everybody".into())], Ok(()))]
    #[case::gitlab_wrong_token(ProviderKind::Gitlab, vec![("X-Gitlab-Token", "It's a Secret".into())], Err(Rejection::Mismatch("X-Gitlab-Token")))]
    #[case::gitlab_nothing(ProviderKind::Gitlab, vec![], Err(Rejection::Missing("X-Gitlab-Token")))]
    #[case::gitlab_signed(
        ProviderKind::Gitlab,
        vec![("webhook-id", "msg-1".into()), ("webhook-timestamp", NOW.to_string()), ("webhook-signature", good_standard(NOW))],
        Ok(())
    )]
    #[case::gitlab_one_of_several_signatures(
        ProviderKind::Gitlab,
        vec![("webhook-id", "msg-1".into()), ("webhook-timestamp", NOW.to_string()), ("webhook-signature", format!("v1,AAAA {}", good_standard(NOW)))],
        Ok(())
    )]
    #[case::gitlab_bad_signature_is_not_rescued_by_the_token(
        ProviderKind::Gitlab,
        vec![("webhook-id", "msg-1".into()), ("webhook-timestamp", NOW.to_string()), ("webhook-signature", good_standard(NOW + 1)), ("X-Gitlab-Token", "It's a Secret to Everybody".into())],
        Err(Rejection::Mismatch("webhook-signature"))
    )]
    #[case::gitlab_old_timestamp(
        ProviderKind::Gitlab,
        vec![("webhook-id", "msg-1".into()), ("webhook-timestamp", (NOW - 301).to_string()), ("webhook-signature", good_standard(NOW - 301))],
        Err(Rejection::Stale)
    )]
    #[case::gitlab_future_timestamp(
        ProviderKind::Gitlab,
        vec![("webhook-id", "msg-1".into()), ("webhook-timestamp", (NOW + 301).to_string()), ("webhook-signature", good_standard(NOW + 301))],
        Err(Rejection::Stale)
    )]
    #[case::gitlab_another_id(
        ProviderKind::Gitlab,
        vec![("webhook-id", "msg-2".into()), ("webhook-timestamp", NOW.to_string()), ("webhook-signature", good_standard(NOW))],
        Err(Rejection::Mismatch("webhook-signature"))
    )]
    #[case::gitlab_unversioned(
        ProviderKind::Gitlab,
        vec![("webhook-id", "msg-1".into()), ("webhook-timestamp", NOW.to_string()), ("webhook-signature", good_standard(NOW).replace("v1,", "v2,"))],
        Err(Rejection::Malformed("webhook-signature"))
    )]
    #[case::gitlab_no_id(
        ProviderKind::Gitlab,
        vec![("webhook-timestamp", NOW.to_string()), ("webhook-signature", good_standard(NOW))],
        Err(Rejection::Missing("webhook-id"))
    )]
    fn deliveries_are_checked_per_tracker(
        #[case] kind: ProviderKind,
        #[case] pairs: Vec<(&str, String)>,
        #[case] expected: Result<(), Rejection>,
    ) {
        assert_eq!(
            verify(kind, &headers(&pairs), BODY, &secret(), NOW),
            expected
        );
    }

    #[test]
    fn a_whsec_token_signs_with_its_decoded_bytes() {
        let token = Secret::new(format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32])
        ));
        let sig = standard_signature_of(&token, "m", NOW, BODY);
        let mut mac = HmacSha256::new_from_slice(&[7u8; 32]).unwrap();
        mac.update(format!("m.{NOW}.").as_bytes());
        mac.update(BODY);
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(sig, format!("v1,{expected}"));
        let h = headers(&[
            ("webhook-id", "m".into()),
            ("webhook-timestamp", NOW.to_string()),
            ("webhook-signature", sig),
        ]);
        assert_eq!(verify(ProviderKind::Gitlab, &h, BODY, &token, NOW), Ok(()));
    }

    #[test]
    fn a_changed_body_fails_every_scheme() {
        let tampered = br#"{"action":"closed"}"#;
        let hub = headers(&[("X-Hub-Signature-256", good_hub())]);
        assert!(verify(ProviderKind::Github, &hub, tampered, &secret(), NOW).is_err());
        let std = headers(&[
            ("webhook-id", "msg-1".into()),
            ("webhook-timestamp", NOW.to_string()),
            ("webhook-signature", good_standard(NOW)),
        ]);
        assert!(verify(ProviderKind::Gitlab, &std, tampered, &secret(), NOW).is_err());
    }

    #[rstest]
    #[case(ProviderKind::Github, &[("X-GitHub-Delivery", "72d3162e")], Some("72d3162e"))]
    #[case(ProviderKind::Gitea, &[("X-GitHub-Delivery", "g"), ("X-Gitea-Delivery", "t")], Some("t"))]
    #[case(ProviderKind::Gitea, &[("X-Gitea-Delivery", "t"), ("X-Forgejo-Delivery", "f")], Some("f"))]
    #[case(ProviderKind::Gitlab, &[("webhook-id", "w"), ("Idempotency-Key", "k")], Some("k"))]
    #[case(ProviderKind::Gitlab, &[("X-Gitlab-Event-UUID", "u")], Some("u"))]
    #[case(ProviderKind::Github, &[("X-Gitea-Delivery", "t")], None)]
    #[case(ProviderKind::Github, &[("X-GitHub-Delivery", "with space")], None)]
    fn delivery_ids_come_from_the_trackers_header(
        #[case] kind: ProviderKind,
        #[case] pairs: &[(&str, &str)],
        #[case] expected: Option<&str>,
    ) {
        let owned: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (*k, v.to_string())).collect();
        assert_eq!(delivery_id(kind, &headers(&owned)).as_deref(), expected);
    }

    proptest! {
        /// Arbitrary header values and bodies never make verification panic, and never
        /// pass without the secret's signature.
        #[test]
        fn verification_never_panics_or_passes_forged_input(
            kind in prop_oneof![Just(ProviderKind::Github), Just(ProviderKind::Gitea), Just(ProviderKind::Gitlab)],
            values in proptest::collection::vec("[ -~]{0,80}", 5),
            body in proptest::collection::vec(any::<u8>(), 0..256),
            now in any::<i64>(),
        ) {
            let names = ["X-Hub-Signature-256", "X-Gitea-Signature", "webhook-signature", "webhook-timestamp", "webhook-id"];
            let pairs: Vec<(&str, String)> = names.iter().copied().zip(values).collect();
            let result = verify(kind, &headers(&pairs), &body, &secret(), now);
            prop_assert!(result.is_err());
        }
    }
}
