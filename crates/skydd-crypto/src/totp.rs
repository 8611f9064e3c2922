//! Time-based one-time passwords (RFC 6238): the staff's second factor.
//!
//! HMAC-SHA-1 over the number of 30-second steps since the Unix epoch, dynamically truncated to
//! 6 digits (RFC 4226) — what every authenticator app computes from an `otpauth://` URI. A code
//! is accepted for its own step and one step either side (clock drift); [`TotpSecret::verify`]
//! returns the step that matched, and refuses a step at or before the last one used, so a code
//! seen over someone's shoulder cannot be replayed.
//!
//! The secret is 20 random bytes (160 bits, RFC 4226's recommendation), shown once to the
//! staff member as base32 and inside the URI, and otherwise stored only encrypted.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::random::{self, RandomError};

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a secret.
pub const SECRET_LEN: usize = 20;
/// The issuer the authenticator app shows.
pub const ISSUER: &str = "Skydd";

/// The step `unix_seconds` falls in (0 before the epoch).
pub fn step_at(unix_seconds: i64) -> u64 {
    u64::try_from(unix_seconds.div_euclid(STEP_SECONDS)).unwrap_or(0)
}

/// A TOTP secret; zeroed on drop, hidden from `Debug`.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<[u8; SECRET_LEN]>);

/// Stored bytes that are not a secret of [`SECRET_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a stored TOTP secret does not hold 20 bytes; reset the account's TOTP (`skydd user reset-totp`)"
)]
pub struct MalformedSecret;

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> Result<TotpSecret, RandomError> {
        let mut bytes = Zeroizing::new([0u8; SECRET_LEN]);
        random::fill(&mut bytes[..])?;
        Ok(TotpSecret(bytes))
    }

    /// The secret in `bytes`, as decrypted from storage.
    pub fn from_bytes(bytes: &[u8]) -> Result<TotpSecret, MalformedSecret> {
        let array: [u8; SECRET_LEN] = bytes.try_into().map_err(|_| MalformedSecret)?;
        Ok(TotpSecret(Zeroizing::new(array)))
    }

    /// The raw bytes, to encrypt for storage.
    pub fn bytes(&self) -> &[u8] {
        &self.0[..]
    }

    /// The secret in base32 without padding (32 characters), as typed into an app by hand.
    pub fn base32(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&self.0[..]))
    }

    /// The `otpauth://totp/` URI an authenticator app reads from a QR code, labelled with
    /// `account` (the staff member's e-mail address) under the issuer Skydd. It holds the
    /// secret: show it once, never log it.
    pub fn otpauth_uri(&self, account: &str) -> Zeroizing<String> {
        let mut uri = Zeroizing::new(String::from("otpauth://totp/"));
        uri.push_str(ISSUER);
        uri.push(':');
        percent_encode(account, &mut uri);
        uri.push_str("?secret=");
        uri.push_str(&self.base32());
        uri.push_str("&issuer=");
        uri.push_str(ISSUER);
        uri.push_str("&algorithm=SHA1&digits=6&period=30");
        uri
    }

    /// The code of `step`.
    pub fn code_at_step(&self, step: u64) -> Zeroizing<String> {
        hotp(&self.0[..], step, DIGITS)
    }

    /// The step within one of `unix_seconds`'s whose code is `code`, if any and if it is after
    /// `last_used` (the step of the last code accepted for this secret): the caller stores the
    /// step returned as the new `last_used`. Digits only, surrounding spaces and a space in
    /// the middle (`123 456`) ignored; compared in constant time.
    pub fn verify(&self, code: &str, unix_seconds: i64, last_used: Option<u64>) -> Option<u64> {
        let code: Zeroizing<String> =
            Zeroizing::new(code.chars().filter(|c| !c.is_whitespace()).collect());
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = step_at(unix_seconds);
        let mut matched = None;
        // Every candidate is computed and compared, so timing does not say which one matched.
        for step in [now.saturating_sub(1), now, now.saturating_add(1)] {
            let expected = self.code_at_step(step);
            let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
            if equal && matched.is_none() && last_used.is_none_or(|last| step > last) {
                matched = Some(step);
            }
        }
        matched
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// RFC 4226 HOTP: HMAC-SHA-1 of the big-endian counter, dynamic truncation, `digits` digits.
fn hotp(secret: &[u8], counter: u64, digits: u32) -> Zeroizing<String> {
    // HMAC takes a key of any length (RFC 2104: longer keys are hashed, shorter ones padded),
    // so `new_from_slice` cannot fail here.
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(secret) else {
        return Zeroizing::new(String::new());
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    let value = binary % 10u32.pow(digits);
    Zeroizing::new(format!("{value:0width$}", width = digits as usize))
}

/// Append `text` to `out` with everything but RFC 3986's unreserved characters and `@`
/// percent-encoded (the label of an otpauth URI).
fn percent_encode(text: &str, out: &mut String) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 seed and 8-digit codes at the given times.
    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let seed = b"12345678901234567890";
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(&*hotp(seed, step_at(time), 8), code, "T = {time}");
        }
        // The 6-digit code is the last 6 digits of the same truncation.
        let secret = TotpSecret::from_bytes(seed).unwrap();
        assert_eq!(&*secret.code_at_step(step_at(59)), "287082");
    }

    #[test]
    fn rfc_4226_appendix_d_hotp_vectors() {
        let seed = b"12345678901234567890";
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(&*hotp(seed, counter as u64, 6), *code);
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_never_twice() {
        let secret = TotpSecret::generate().unwrap();
        let now = 1_700_000_015;
        let step = step_at(now);
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let at = step.checked_add_signed(offset).unwrap();
            let code = secret.code_at_step(at);
            assert_eq!(
                secret.verify(&code, now, None),
                accepted.then_some(at),
                "{offset}"
            );
        }
        let code = secret.code_at_step(step);
        assert_eq!(
            secret.verify(&code, now, Some(step)),
            None,
            "replay refused"
        );
        assert_eq!(
            secret.verify(&code, now, Some(step + 1)),
            None,
            "older refused"
        );
        assert_eq!(secret.verify(&code, now, Some(step - 1)), Some(step));
        let spaced = format!(" {} {} ", &code[..3], &code[3..]);
        assert_eq!(secret.verify(&spaced, now, None), Some(step));
        for bad in ["", "12345", "1234567", "abcdef", "１２３４５６"] {
            assert_eq!(secret.verify(bad, now, None), None, "{bad}");
        }
    }

    #[test]
    fn the_uri_and_base32_hold_the_secret_and_debug_does_not() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        assert_eq!(&*secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            &*secret.otpauth_uri("dpo+1@example.se"),
            "otpauth://totp/Skydd:dpo%2B1@example.se?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Skydd&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(format!("{secret:?}"), "TotpSecret(<redacted>)");
        assert_eq!(
            TotpSecret::from_bytes(&[0; 19]).unwrap_err(),
            MalformedSecret
        );
        assert_eq!(step_at(-1), 0);
    }
}
