//! The check digits that make a structured number more than its shape: Luhn (personnummer,
//! organisationsnummer, cards) and ISO 7064 mod 97-10 (IBAN).

/// The Luhn (mod 10) check over digit values 0-9, the check digit last.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let d = u32::from(d);
        sum += if i % 2 == 1 {
            let doubled = d * 2;
            if doubled > 9 { doubled - 9 } else { doubled }
        } else {
            d
        };
    }
    sum.is_multiple_of(10)
}

/// The IBAN check: the first four characters moved to the end, letters read as 10..=35, the
/// number modulo 97 must be 1. `iban` holds ASCII digits and upper-case letters only.
pub(crate) fn iban_mod97(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let mut remainder = 0u32;
    for &c in iban[4..].iter().chain(&iban[..4]) {
        remainder = match c {
            b'0'..=b'9' => (remainder * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => (remainder * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return false,
        };
    }
    remainder == 1
}

/// The Luhn check digit that completes `digits` (values 0-9).
#[cfg(test)]
pub(crate) fn luhn_digit(digits: &[u8]) -> u8 {
    (0..10)
        .find(|&c| luhn(&[digits, &[c]].concat()))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<u8> {
        text.bytes().map(|b| b - b'0').collect()
    }

    #[test]
    fn luhn_accepts_known_numbers_and_refuses_a_changed_digit() {
        assert!(luhn(&values("8112189876")));
        assert!(luhn(&values("4111111111111111")));
        // The well-known example organisationsnummer passes: an invoice number can too.
        assert!(luhn(&values("5566778899")));
        assert!(!luhn(&values("8112189875")));
        assert!(!luhn(&[]));
        assert_eq!(luhn_digit(&values("811218987")), 6);
    }

    #[test]
    fn mod97_accepts_the_published_examples() {
        assert!(iban_mod97(b"SE4550000000058398257466"));
        assert!(iban_mod97(b"DE89370400440532013000"));
        assert!(iban_mod97(b"GB82WEST12345698765432"));
        assert!(!iban_mod97(b"SE4550000000058398257467"));
        assert!(!iban_mod97(b"SE45"));
    }
}
