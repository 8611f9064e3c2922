//! The ID token: its claims read from the JWT and checked as OpenID Connect Core 3.1.3.7 asks
//! (`iss`, `aud`, `azp`, `exp`, `iat`, `nonce`), then the e-mail and the role claim taken out.
//!
//! The signature is not checked: the token came straight from the provider's token endpoint
//! over TLS with the server's certificate validated, which Core 3.1.3.7 point 6 accepts in its
//! place (SECURITY.md). No clock is read: `now` is a parameter.

use std::fmt;

use data_encoding::BASE64URL_NOPAD;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

/// How far the provider's clock may be ahead of or behind ours.
pub const LEEWAY: SignedDuration = SignedDuration::from_secs(60);
/// The oldest `iat` accepted: the token was just issued for this sign-in.
pub const MAX_AGE: SignedDuration = SignedDuration::from_secs(10 * 60);

/// Why an ID token is refused. Names the claim, never a value from the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    /// Not three base64url parts with JSON objects in the first two, or `alg` is `none`.
    #[error("the ID token is not a signed JWT with a JSON claims object")]
    Malformed,
    /// `iss` is missing or not exactly the configured issuer.
    #[error("the ID token's `iss` is not the configured issuer")]
    Issuer,
    /// `aud` is missing or does not hold the client id.
    #[error("the ID token's `aud` does not hold this client's id")]
    Audience,
    /// `azp` is present and not the client id, or missing while `aud` names other parties.
    #[error("the ID token's `azp` is not this client's id")]
    AuthorizedParty,
    /// `exp` is missing, not a number, or passed.
    #[error("the ID token has expired (or has no `exp`)")]
    Expired,
    /// `iat` is missing, not a number, in the future or too old.
    #[error("the ID token's `iat` is missing, in the future or older than ten minutes")]
    IssuedAt,
    /// `nonce` is missing or not the one sent with this sign-in.
    #[error("the ID token's `nonce` is not the one this sign-in sent")]
    Nonce,
    /// `sub` is missing or empty.
    #[error("the ID token has no `sub`")]
    Subject,
}

/// What the checked token says about the person. `Debug` shows neither the e-mail address nor
/// the subject.
#[derive(Clone, PartialEq, Eq)]
pub struct Claims {
    /// `sub`: the provider's stable id of the person.
    pub subject: String,
    /// `email`, if present.
    pub email: Option<String>,
    /// `email_verified` is `true` (a JSON boolean, or the string `"true"` some providers send).
    pub email_verified: bool,
    /// The values of the role claim: its string, or the strings of its array; empty when the
    /// claim is absent or holds neither.
    pub role_values: Vec<String>,
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("email_verified", &self.email_verified)
            .field("role_values", &self.role_values.len())
            .finish_non_exhaustive()
    }
}

/// What the token must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The configured issuer.
    pub issuer: &'a str,
    /// The client id.
    pub client_id: &'a str,
    /// The nonce sent with this sign-in.
    pub nonce: &'a str,
    /// The claim carrying roles.
    pub role_claim: &'a str,
    /// Now.
    pub now: Timestamp,
}

/// Read the JWT `token` and check its claims against `expected`.
pub fn check(token: &str, expected: &Expected<'_>) -> Result<Claims, TokenRefusal> {
    let claims = decode(token)?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(expected.issuer) {
        return Err(TokenRefusal::Issuer);
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(TokenRefusal::Audience);
    }
    match text("azp") {
        Some(azp) if azp != expected.client_id => return Err(TokenRefusal::AuthorizedParty),
        None if audiences.len() > 1 => return Err(TokenRefusal::AuthorizedParty),
        _ => {}
    }
    let exp = seconds(claims.get("exp")).ok_or(TokenRefusal::Expired)?;
    if exp + LEEWAY.as_secs() <= expected.now.as_second() {
        return Err(TokenRefusal::Expired);
    }
    let iat = seconds(claims.get("iat")).ok_or(TokenRefusal::IssuedAt)?;
    let now = expected.now.as_second();
    if iat > now + LEEWAY.as_secs() || iat < now - MAX_AGE.as_secs() {
        return Err(TokenRefusal::IssuedAt);
    }
    // Both sides are short random texts of ours: a plain compare leaks nothing useful, the
    // nonce being single use.
    if text("nonce") != Some(expected.nonce) {
        return Err(TokenRefusal::Nonce);
    }
    let subject = text("sub")
        .filter(|s| !s.is_empty())
        .ok_or(TokenRefusal::Subject)?
        .to_owned();
    let email_verified = match claims.get("email_verified") {
        Some(Value::Bool(verified)) => *verified,
        Some(Value::String(word)) => word == "true",
        _ => false,
    };
    let role_values = match claims.get(expected.role_claim) {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Ok(Claims {
        subject,
        email: text("email").map(str::to_owned),
        email_verified,
        role_values,
    })
}

/// The claims object of a JWS compact serialisation (`header.payload.signature`); the header
/// must be a JSON object whose `alg` is not `none`.
pub fn decode(token: &str) -> Result<Map<String, Value>, TokenRefusal> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenRefusal::Malformed);
    };
    if signature.is_empty() {
        return Err(TokenRefusal::Malformed);
    }
    let header = object(header)?;
    match header.get("alg").and_then(Value::as_str) {
        Some(alg) if !alg.eq_ignore_ascii_case("none") => {}
        _ => return Err(TokenRefusal::Malformed),
    }
    object(payload)
}

fn object(part: &str) -> Result<Map<String, Value>, TokenRefusal> {
    let bytes = BASE64URL_NOPAD
        .decode(part.trim_end_matches('=').as_bytes())
        .map_err(|_| TokenRefusal::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(TokenRefusal::Malformed),
    }
}

/// A NumericDate (RFC 7519 2): whole seconds, a fraction cut off.
fn seconds(value: Option<&Value>) -> Option<i64> {
    let value = value?;
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() < 1e15)
            // In range by the filter above, so the cast neither wraps nor saturates.
            .map(|f| f.trunc() as i64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn jwt(claims: &Value) -> String {
        let header = BASE64URL_NOPAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let payload = BASE64URL_NOPAD.encode(claims.to_string().as_bytes());
        format!("{header}.{payload}.c2lnbmF0dXJl")
    }

    fn good() -> Value {
        json!({
            "iss": "https://idp.example", "aud": "skydd", "sub": "u-1", "nonce": "n-1",
            "exp": NOW + 300, "iat": NOW - 5, "email": "dpo@example.com",
            "email_verified": true, "groups": ["staff", "privacy"]
        })
    }

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "https://idp.example",
            client_id: "skydd",
            nonce: "n-1",
            role_claim: "groups",
            now: Timestamp::from_second(NOW).unwrap(),
        }
    }

    fn with(change: impl FnOnce(&mut Map<String, Value>)) -> Result<Claims, TokenRefusal> {
        let mut claims = good();
        change(claims.as_object_mut().unwrap());
        check(&jwt(&claims), &expected())
    }

    #[test]
    fn a_good_token_gives_its_claims() {
        let claims = check(&jwt(&good()), &expected()).unwrap();
        assert_eq!(claims.subject, "u-1");
        assert_eq!(claims.email.as_deref(), Some("dpo@example.com"));
        assert!(claims.email_verified);
        assert_eq!(claims.role_values, ["staff", "privacy"]);
        assert!(!format!("{claims:?}").contains("dpo@example.com"));
    }

    #[test]
    fn each_claim_is_checked() {
        // (claim, its value or `None` to leave it out, the refusal)
        let cases = [
            (
                "iss",
                Some(json!("https://idp.example/")),
                TokenRefusal::Issuer,
            ),
            ("iss", None, TokenRefusal::Issuer),
            ("aud", Some(json!("other")), TokenRefusal::Audience),
            ("aud", Some(json!(["other"])), TokenRefusal::Audience),
            (
                "aud",
                Some(json!(["skydd", "other"])),
                TokenRefusal::AuthorizedParty,
            ),
            ("azp", Some(json!("other")), TokenRefusal::AuthorizedParty),
            ("exp", Some(json!(NOW - 61)), TokenRefusal::Expired),
            ("exp", None, TokenRefusal::Expired),
            ("iat", Some(json!(NOW + 61)), TokenRefusal::IssuedAt),
            ("iat", Some(json!(NOW - 601)), TokenRefusal::IssuedAt),
            ("nonce", Some(json!("n-2")), TokenRefusal::Nonce),
            ("nonce", None, TokenRefusal::Nonce),
            ("sub", Some(json!("")), TokenRefusal::Subject),
        ];
        for (claim, value, refusal) in cases {
            let outcome = with(|c| match value {
                Some(value) => {
                    c.insert(claim.into(), value);
                }
                None => {
                    c.remove(claim);
                }
            });
            assert_eq!(outcome, Err(refusal), "{claim}");
        }
        // Within the leeway, and with `azp` naming this client among several audiences.
        with(|c| {
            c.insert("exp".into(), json!(NOW - 59));
            c.insert("aud".into(), json!(["skydd", "api"]));
            c.insert("azp".into(), json!("skydd"));
        })
        .unwrap();
        let single = with(|c| {
            c.insert("groups".into(), json!("privacy"));
            c.insert("email_verified".into(), json!("false"));
        })
        .unwrap();
        assert_eq!(single.role_values, ["privacy"]);
        assert!(!single.email_verified);
    }

    #[test]
    fn unsigned_and_broken_tokens_are_malformed() {
        let none = format!(
            "{}.{}.x",
            BASE64URL_NOPAD.encode(br#"{"alg":"none"}"#),
            BASE64URL_NOPAD.encode(good().to_string().as_bytes())
        );
        for token in [
            none.as_str(),
            "",
            "a.b",
            "a.b.c.d",
            "e30.e30.",
            "e30.W10.x",
            "!!.e30.x",
        ] {
            assert_eq!(
                check(token, &expected()),
                Err(TokenRefusal::Malformed),
                "{token}"
            );
        }
    }

    proptest! {
        #[test]
        fn decoding_never_panics(token in "\\PC{0,200}") {
            let _ = decode(&token);
        }

        #[test]
        fn claims_round_trip(sub in "[a-zA-Z0-9@._-]{1,40}", groups in proptest::collection::vec("[a-z=,]{1,12}", 0..5)) {
            let mut claims = good();
            claims["sub"] = json!(sub);
            claims["groups"] = json!(groups);
            let checked = check(&jwt(&claims), &expected()).unwrap();
            prop_assert_eq!(checked.subject, sub);
            prop_assert_eq!(checked.role_values, groups);
        }
    }
}
