//! Swedish postal addresses: street, house number, postcode and town, normal form lower case
//! with single spaces and the postcode without its space (`storgatan 12 b 12345 stockholm`).
//!
//! A street is one word ending in a street word (`-gatan`, `-vägen`, `-gränd`, `-torget`,
//! `-stigen`, `-allén` ... see [`STREET_ENDINGS`]), optionally after `Sankt`, `Gamla`,
//! `Norra` ...; then a house number of 1 to 4 digits with an optional letter (`12B`,
//! `12 B`); a comma, spaces or a line break; a postcode `NNN NN` or `NNNNN` not starting with
//! 0; one or two spaces and a town, one capitalised word (hyphens allowed: `Upplands-Bro`).
//!
//! Always [`Confidence::Low`]: there is no check digit, and streets without these endings
//! (`Box 123`, `Kungsholms strand`, `Slussen`) are missed and towns of two words cut
//! (`Upplands Väsby`: only `Upplands` is in the span). Addresses outside Sweden are not
//! recognized.

use crate::boundary::{ends_clear, is_word, starts_clear};
use crate::finding::{Confidence, Finding, Kind};
use crate::personnummer::digit_run;

/// Endings of Swedish street names (lower case).
pub const STREET_ENDINGS: &[&str] = &[
    "gatan",
    "gata",
    "vägen",
    "väg",
    "gränd",
    "gränden",
    "torget",
    "torg",
    "stigen",
    "allén",
    "allé",
    "backen",
    "backe",
    "leden",
    "kajen",
    "esplanaden",
    "promenaden",
    "parken",
    "liden",
    "slingan",
    "länken",
    "platsen",
    "gången",
    "ringen",
    "stranden",
    "höjden",
    "plan",
    "bron",
];

/// Words that may precede a street name and belong to it.
const STREET_PREFIXES: &[&str] = &[
    "Sankt", "S:t", "Gamla", "Nya", "Norra", "Södra", "Östra", "Västra", "Stora", "Lilla",
];

/// The address whose postcode starts at `start` (an ASCII digit), if any.
pub(crate) fn at_postcode(text: &str, start: usize) -> Option<Finding> {
    let bytes = text.as_bytes();
    if !matches!(bytes.get(start), Some(b'1'..=b'9')) || !starts_clear(bytes, start) {
        return None;
    }
    let postcode_end = match digit_run(bytes, start) {
        3 if bytes.get(start + 3) == Some(&b' ') && digit_run(bytes, start + 4) == 2 => start + 6,
        5 => start + 5,
        _ => return None,
    };
    let end = town_end(text, postcode_end)?;
    let street = street_start(text, start)?;
    if !ends_clear(bytes, end) {
        return None;
    }
    let mut normal = String::with_capacity(end - street);
    let mut words = text[street..start]
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase);
    if let Some(first) = words.next() {
        normal.push_str(&first);
    }
    for word in words {
        normal.push(' ');
        normal.push_str(&word);
    }
    normal.push(' ');
    normal.extend(
        text[start..postcode_end]
            .chars()
            .filter(char::is_ascii_digit),
    );
    normal.push(' ');
    normal.push_str(&text[postcode_end..end].trim_start().to_lowercase());
    Some(Finding::new(
        Kind::Address,
        street..end,
        Confidence::Low,
        normal,
    ))
}

/// Where the town after the postcode ends: one or two spaces, then a capitalised word.
fn town_end(text: &str, postcode_end: usize) -> Option<usize> {
    let rest = text.get(postcode_end..)?;
    let spaces = rest.bytes().take_while(|&b| b == b' ').count();
    if !(1..=2).contains(&spaces) {
        return None;
    }
    let town = &rest[spaces..];
    let mut chars = town.char_indices();
    let (_, first) = chars.next()?;
    if !first.is_uppercase() {
        return None;
    }
    let mut len = first.len_utf8();
    let mut hyphen = false;
    for (i, c) in chars {
        if c.is_alphabetic() {
            hyphen = false;
        } else if c == '-' && !hyphen {
            hyphen = true;
        } else {
            break;
        }
        len = i + c.len_utf8();
    }
    if hyphen {
        len -= 1;
    }
    if len < 2 {
        return None;
    }
    Some(postcode_end + spaces + len)
}

/// Where the street before the postcode at `postcode` starts, if there is one.
fn street_start(text: &str, postcode: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut p = postcode;
    // The separator between number and postcode: a comma, spaces, a line break.
    let mut separators = 0;
    while p > 0 && matches!(bytes[p - 1], b' ' | b',' | b'\n' | b'\r') && separators < 4 {
        p -= 1;
        separators += 1;
    }
    if separators == 0 || p == 0 {
        return None;
    }
    // An optional letter after the house number: `12B`, `12 B`.
    if bytes[p - 1].is_ascii_alphabetic() {
        p -= 1;
        if p > 0 && bytes[p - 1] == b' ' {
            p -= 1;
        }
        if p == 0 || !bytes[p - 1].is_ascii_digit() {
            return None;
        }
    }
    let number_end = p;
    while p > 0 && bytes[p - 1].is_ascii_digit() {
        p -= 1;
    }
    if !(1..=4).contains(&(number_end - p)) || p < 2 || bytes[p - 1] != b' ' {
        return None;
    }
    let word_end = p - 1;
    let mut word_start = word_end;
    while word_start > 0 && is_word(bytes[word_start - 1]) {
        word_start -= 1;
    }
    let street = text.get(word_start..word_end)?;
    if !street.chars().next().is_some_and(char::is_uppercase)
        || !street.chars().all(char::is_alphabetic)
    {
        return None;
    }
    let lower = street.to_lowercase();
    if !STREET_ENDINGS.iter().any(|ending| lower.ends_with(ending)) {
        return None;
    }
    // `Sankt Eriksgatan`, `Gamla Tullvägen`.
    if word_start > 1 && bytes[word_start - 1] == b' ' {
        let before = &text[..word_start - 1];
        if let Some(prefix) = STREET_PREFIXES.iter().find(|p| before.ends_with(*p)) {
            let prefix_start = word_start - 1 - prefix.len();
            if prefix_start == 0 || !is_word(bytes[prefix_start - 1]) {
                return Some(prefix_start);
            }
        }
    }
    Some(word_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Option<(String, &str)> {
        let start = text
            .char_indices()
            .filter(|(_, c)| c.is_ascii_digit())
            .map(|(i, _)| i)
            .find(|&i| at_postcode(text, i).is_some())?;
        at_postcode(text, start).map(|f| (f.normal.as_str().to_owned(), &text[f.span]))
    }

    #[test]
    fn swedish_addresses_in_their_usual_spellings() {
        assert_eq!(
            find("Adress: Storgatan 12, 123 45 Stockholm. Tack!"),
            Some((
                "storgatan 12 12345 stockholm".to_owned(),
                "Storgatan 12, 123 45 Stockholm"
            ))
        );
        assert_eq!(
            find("Skicka till Sankt Eriksgatan 5 B\n112 39  STOCKHOLM"),
            Some((
                "sankt eriksgatan 5 b 11239 stockholm".to_owned(),
                "Sankt Eriksgatan 5 B\n112 39  STOCKHOLM"
            ))
        );
        assert_eq!(
            find("bor på Åsvägen 3A, 75320 Uppsala-Näs").map(|f| f.1),
            Some("Åsvägen 3A, 75320 Uppsala-Näs")
        );
        assert_eq!(
            find("Götgatan 7, 118 46 Malmö").map(|f| f.0),
            Some("götgatan 7 11846 malmö".to_owned())
        );
    }

    #[test]
    fn near_misses_are_not_addresses() {
        for raw in [
            "Storgatan 12",
            "123 45 Stockholm",
            "storgatan 12, 123 45 Stockholm",
            "Storgatan 12, 023 45 Stockholm",
            "Storgatan 12, 123 45 stockholm",
            "Storgatan 12345, 123 45 Stockholm",
            "Ordernummer 12, 123 45 Stockholm",
            "Storgatan12, 123 45 Stockholm",
        ] {
            assert_eq!(find(raw), None, "{raw}");
        }
    }
}
