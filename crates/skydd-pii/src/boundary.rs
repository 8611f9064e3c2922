//! Where a match may start and end: never inside a word or a longer number.
//!
//! Every recognizer works on bytes. A byte of 0x80 or above belongs to a non-ASCII character,
//! which the recognizers treat as a letter (å, ä, ö, é ...): a match next to one is inside a
//! word. Structured matches consist of ASCII only, so their spans are on `char` boundaries.

/// Whether `b` can be part of a word: an ASCII letter or digit, `_`, or any byte of a
/// non-ASCII character.
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Punctuation that joins digit groups into one number (`2024-05-01`, `1.2.3`, `12:30`,
/// `12/5`, `3+4`).
fn joins_digits(b: u8) -> bool {
    matches!(b, b'-' | b'.' | b'/' | b':' | b'+' | b',')
}

/// Whether a match may start at `start`: not inside a word, not after a digit group joined by
/// punctuation (`2024-05-01`: `05` cannot start a match).
pub(crate) fn starts_clear(text: &[u8], start: usize) -> bool {
    if start == 0 {
        return true;
    }
    let before = text[start - 1];
    if is_word(before) {
        return false;
    }
    !(joins_digits(before) && start >= 2 && text[start - 2].is_ascii_digit())
}

/// Whether a match may end at `end`: not inside a word, not before punctuation that continues
/// the number (`850101-1234-5`, `1.2.3.4.5`). A full stop or comma followed by a space or the
/// end is the sentence's.
pub(crate) fn ends_clear(text: &[u8], end: usize) -> bool {
    let Some(&after) = text.get(end) else {
        return true;
    };
    if is_word(after) {
        return false;
    }
    !(joins_digits(after) && text.get(end + 1).is_some_and(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_match_stops_at_words_and_joined_numbers() {
        let text = b"x 2024-05-01 a1 1.2";
        assert!(starts_clear(text, 2));
        assert!(!starts_clear(text, 7));
        assert!(!starts_clear(text, 14));
        assert!(ends_clear(text, 12));
        assert!(!ends_clear(text, 6));
        assert!(!ends_clear(text, 16));
        assert!(starts_clear("ö1".as_bytes(), 0));
        assert!(!starts_clear("ö1".as_bytes(), 2));
        assert!(ends_clear(b"1. ", 1));
    }
}
