//! Names of the subject being searched for, normal form the words in lower case joined by
//! single spaces.
//!
//! There is no general recognition of names: a name is found only where it is one of the
//! names in the [`Context`](crate::Context), whole (`Anna Maria Svensson`,
//! [`Confidence::Medium`]) or as its first and last word in order (`Anna Svensson`,
//! [`Confidence::Low`]), in any case, words apart by white space, not inside a longer word. A
//! genitive `s` (`Anna Svenssons`, `Anna Svensson's`) is allowed after it and left out of the
//! span. It is a candidate: another person may have the same name.

use crate::boundary::is_word;
use crate::context::{NameVariant, lower};
use crate::finding::{Confidence, Finding, Kind};

/// Appends the findings of `names` in `text`.
pub(crate) fn find(text: &str, names: &[NameVariant], out: &mut Vec<Finding>) {
    if names.is_empty() {
        return;
    }
    // The first UTF-8 byte of every case of every name's first letter: most bytes of a text
    // are not one, and are passed over with one look-up.
    let mut first_bytes = [false; 256];
    for variant in names {
        if let Some(&first) = variant.words.first().and_then(|w| w.first()) {
            for c in std::iter::once(first)
                .chain(first.to_uppercase())
                .chain(first.to_lowercase())
            {
                let mut buffer = [0u8; 4];
                first_bytes[usize::from(c.encode_utf8(&mut buffer).as_bytes()[0])] = true;
            }
        }
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !first_bytes[usize::from(b)] {
            i += 1;
            continue;
        }
        let starts_word = is_word(b) && (i == 0 || !is_word(bytes[i - 1]));
        if starts_word {
            for variant in names {
                if let Some(end) = matches_at(text, i, variant) {
                    let normal = variant
                        .words
                        .iter()
                        .map(|w| w.iter().collect::<String>())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let confidence = if variant.whole {
                        Confidence::Medium
                    } else {
                        Confidence::Low
                    };
                    out.push(Finding::new(Kind::Name, i..end, confidence, normal));
                }
            }
        }
        i += 1;
    }
}

/// Where `variant` ends if it is written at `start`.
fn matches_at(text: &str, start: usize, variant: &NameVariant) -> Option<usize> {
    let mut pos = start;
    for (n, word) in variant.words.iter().enumerate() {
        if n > 0 {
            let gap = text[pos..]
                .char_indices()
                .take(4)
                .take_while(|(_, c)| c.is_whitespace())
                .last()
                .map(|(i, c)| i + c.len_utf8())?;
            if gap > 3 {
                return None;
            }
            pos += gap;
        }
        pos = word_at(text, pos, word)?;
    }
    let bytes = text.as_bytes();
    let rest = &bytes[pos..];
    let genitive = if rest.starts_with(b"'s") {
        2
    } else if rest.starts_with("’s".as_bytes()) {
        "’s".len()
    } else if rest.first() == Some(&b's') {
        1
    } else {
        0
    };
    match bytes.get(pos + genitive) {
        Some(&b) if is_word(b) => None,
        _ => Some(pos),
    }
}

/// Where `word` (lower-case characters) ends if it is written at `start`, in any case.
fn word_at(text: &str, start: usize, word: &[char]) -> Option<usize> {
    let mut chars = text.get(start..)?.char_indices();
    let mut end = start;
    for &w in word {
        let (i, c) = chars.next()?;
        if lower(c) != w {
            return None;
        }
        end = start + i + c.len_utf8();
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Context;
    use jiff::civil::date;

    fn find_in(text: &str, name: &str) -> Vec<(&'static str, String, Confidence)> {
        let context = Context::new(date(2025, 6, 1)).with_name(name);
        let mut out = Vec::new();
        find(text, context.names(), &mut out);
        out.into_iter()
            .map(|f| {
                let shown = text[f.span.clone()].to_owned();
                let _ = f.normal.as_str();
                (f.kind.as_str(), shown, f.confidence)
            })
            .collect()
    }

    #[test]
    fn the_whole_name_and_first_and_last_in_any_case() {
        let text = "Hej! ANNA maria svensson skrev. Anna  Svenssons ärende, anna svensson's mail.";
        let found = find_in(text, "Anna Maria Svensson");
        assert_eq!(
            found,
            [
                ("name", "ANNA maria svensson".to_owned(), Confidence::Medium),
                ("name", "Anna  Svensson".to_owned(), Confidence::Low),
                ("name", "anna svensson".to_owned(), Confidence::Low),
            ]
        );
        let swedish = find_in("Till ÅSA ÖBERG, från Åsa Öberg.", "Åsa Öberg");
        assert_eq!(swedish.len(), 2);
    }

    #[test]
    fn not_inside_words_not_other_names_not_one_word() {
        assert!(
            find_in(
                "Annaa Svensson, Anna Svenssonson, Anna Berg",
                "Anna Svensson"
            )
            .is_empty()
        );
        assert!(find_in("Anna kom", "Anna").is_empty());
        assert!(find_in("Anna\n\n\n\nSvensson", "Anna Svensson").is_empty());
    }
}
