//! One-time verification codes.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use skydd_requests::verification::{CODE_DIGITS, check};
use skydd_requests::{VerificationCode, VerificationPolicy, VerifyError};

fn issued() -> Timestamp {
    "2026-04-14T08:00:00Z".parse().unwrap()
}

fn minutes(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

#[test]
fn codes_are_eight_digits_from_the_random_bytes() {
    let (code, hash) = VerificationCode::generate(&[0; 8]);
    assert_eq!(code, "00000000");
    assert_eq!(hash, VerificationCode::hash("00000000"));
    let (code, _) = VerificationCode::generate(&123_456_789_012u64.to_le_bytes());
    assert_eq!(code, "56789012");
    let (code, _) = VerificationCode::generate(&[0xff; 8]);
    assert_eq!(code, format!("{:08}", u64::MAX % 100_000_000));
    // The stored hash is not a plain SHA-256 of the digits.
    assert_ne!(VerificationCode::hash("00000000").to_vec(), vec![0u8; 32],);
}

#[test]
fn the_default_policy_is_five_attempts_in_thirty_minutes() {
    let policy = VerificationPolicy::default();
    assert_eq!(policy.max_attempts, 5);
    assert_eq!(policy.ttl, minutes(30));
}

#[test]
fn the_right_code_in_time_is_accepted() {
    let (code, hash) = VerificationCode::generate(&[7, 1, 2, 3, 4, 5, 6, 9]);
    let policy = VerificationPolicy::default();
    assert_eq!(check(&code, &hash, 0, issued(), issued(), policy), Ok(()));
    let last_second = issued() + minutes(30) - SignedDuration::from_secs(1);
    assert_eq!(
        check(&code, &hash, 4, issued(), last_second, policy),
        Ok(())
    );
    // Spaces and hyphens are ignored: "1234 5678", "1234-5678".
    let spaced = format!("{} {}", &code[..4], &code[4..]);
    let hyphened = format!(" {}-{} ", &code[..4], &code[4..]);
    assert_eq!(check(&spaced, &hash, 0, issued(), issued(), policy), Ok(()));
    assert_eq!(
        VerificationCode::check(&hyphened, &hash, 0, issued(), issued(), policy),
        Ok(())
    );
}

#[test]
fn wrong_codes_count_down_then_lock() {
    let (code, hash) = VerificationCode::generate(&[1; 8]);
    let wrong = if code == "12345678" {
        "87654321"
    } else {
        "12345678"
    };
    let policy = VerificationPolicy::default();
    let now = issued() + minutes(1);
    for attempts in 0..5 {
        let error = check(wrong, &hash, attempts, issued(), now, policy).unwrap_err();
        assert_eq!(
            error,
            VerifyError::Wrong {
                attempts_left: 4 - attempts
            }
        );
        assert!(error.counts_as_attempt());
    }
    // After five wrong codes even the right one is refused: a new code must be issued.
    let error = check(&code, &hash, 5, issued(), now, policy).unwrap_err();
    assert_eq!(error, VerifyError::TooManyAttempts);
    assert!(!error.counts_as_attempt());
    assert_eq!(
        error.to_string(),
        "too many wrong codes; ask for a new code"
    );
    assert_eq!(
        check(wrong, &hash, 2, issued(), now, policy)
            .unwrap_err()
            .to_string(),
        "the code is wrong; 2 attempts left"
    );
}

#[test]
fn codes_expire() {
    let (code, hash) = VerificationCode::generate(&[2; 8]);
    let policy = VerificationPolicy::default();
    let error = check(&code, &hash, 0, issued(), issued() + minutes(30), policy).unwrap_err();
    assert_eq!(error, VerifyError::Expired);
    assert_eq!(
        error.to_string(),
        "the code has expired; ask for a new code"
    );
    assert!(!error.counts_as_attempt());
    // A clock that went backwards is not a reason to accept.
    assert_eq!(
        check(&code, &hash, 0, issued(), issued() - minutes(1), policy),
        Err(VerifyError::Expired)
    );
    let short = VerificationPolicy {
        max_attempts: 3,
        ttl: minutes(5),
    };
    assert_eq!(
        check(&code, &hash, 0, issued(), issued() + minutes(5), short),
        Err(VerifyError::Expired)
    );
}

#[test]
fn malformed_input_is_not_an_attempt_and_is_not_repeated() {
    let (_, hash) = VerificationCode::generate(&[3; 8]);
    let policy = VerificationPolicy::default();
    for presented in [
        "",
        "1234567",
        "123456789",
        "abcdefgh",
        "1234567x",
        "١٢٣٤٥٦٧٨",
    ] {
        let error = check(presented, &hash, 0, issued(), issued(), policy).unwrap_err();
        assert_eq!(error, VerifyError::Malformed, "{presented:?}");
        assert!(!error.counts_as_attempt());
        assert_eq!(
            error.to_string(),
            format!("a code is {CODE_DIGITS} digits (spaces and hyphens are ignored)")
        );
    }
}

proptest! {
    #[test]
    fn a_generated_code_checks_and_no_other_does(random in any::<[u8; 8]>(), other in 0u64..100_000_000) {
        let (code, hash) = VerificationCode::generate(&random);
        prop_assert_eq!(code.len(), CODE_DIGITS);
        prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
        let policy = VerificationPolicy::default();
        prop_assert_eq!(check(&code, &hash, 0, issued(), issued(), policy), Ok(()));
        let other = format!("{other:08}");
        if other != code {
            let refused = check(&other, &hash, 0, issued(), issued(), policy);
            prop_assert_eq!(refused, Err(VerifyError::Wrong { attempts_left: 4 }));
            prop_assert!(!refused.unwrap_err().to_string().contains(&other));
        }
    }
}
