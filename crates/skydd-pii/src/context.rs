//! What a scan knows besides the text: the reference date (which decides the century of a
//! 10-digit personnummer), the names of the subject being searched for, and the words near a
//! match that say what a number is (`personnummer:`, `tel`, `faktura`).

use jiff::civil::Date;

/// What a scan knows besides the text.
///
/// ```
/// use jiff::civil::date;
/// use skydd_pii::Context;
///
/// let context = Context::new(date(2025, 6, 1)).with_name("Anna Maria Svensson");
/// assert_eq!(context.reference(), date(2025, 6, 1));
/// ```
#[derive(Clone)]
pub struct Context {
    reference: Date,
    names: Vec<NameVariant>,
}

/// One spelling of a subject's name that is searched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NameVariant {
    /// Its words, each lower-cased one `char` at a time (see [`lower`]).
    pub(crate) words: Vec<Vec<char>>,
    /// Whether it is the whole name as given (not first and last word of a longer one).
    pub(crate) whole: bool,
}

/// A character in lower case, one for one (`Å` is `å`; the rare characters whose lower case is
/// two characters keep the first).
pub(crate) fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

impl Context {
    /// A context with the reference date (today, in the controller's time zone) and no names.
    pub fn new(reference: Date) -> Context {
        Context {
            reference,
            names: Vec::new(),
        }
    }

    /// Adds a name of the subject being searched for. The whole name is searched for, and so is
    /// its first and last word in order (`Anna Svensson` for `Anna Maria Svensson`); names
    /// of one word are not searched for (too many false matches).
    pub fn with_name(mut self, name: &str) -> Context {
        let words: Vec<Vec<char>> = name
            .split_whitespace()
            .map(|word| word.chars().map(lower).collect())
            .collect();
        if words.len() < 2 {
            return self;
        }
        if words.len() > 2 {
            let first_last = vec![words[0].clone(), words[words.len() - 1].clone()];
            self.push_name(first_last, false);
        }
        self.push_name(words, true);
        self
    }

    fn push_name(&mut self, words: Vec<Vec<char>>, whole: bool) {
        match self.names.iter_mut().find(|n| n.words == words) {
            Some(known) => known.whole |= whole,
            None => self.names.push(NameVariant { words, whole }),
        }
    }

    /// The reference date.
    pub fn reference(&self) -> Date {
        self.reference
    }

    /// The spellings of names searched for.
    pub(crate) fn names(&self) -> &[NameVariant] {
        &self.names
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("reference", &self.reference)
            .field("names", &self.names.len())
            .finish()
    }
}

/// How many bytes before a match are read for a context word.
const WINDOW: usize = 40;

/// How many bytes before a match are read for a word that says it is something else.
const NEAR: usize = 24;

/// Words that say a nearby number is an order, invoice, case or parcel number.
pub(crate) const OTHER_NUMBERS: &[&str] = &[
    "order",
    "faktura",
    "invoice",
    "ärende",
    "ticket",
    "case",
    "referens",
    "reference",
    "ref",
    "ocr",
    "kundnummer",
    "customer no",
    "customer number",
    "tracking",
    "kolli",
    "sändning",
    "isbn",
    "artikel",
    "article",
    "bokning",
    "booking",
];

/// Whether one of `words` (lower-case) occurs in the `WINDOW` bytes before `start`.
pub(crate) fn mentions(text: &[u8], start: usize, words: &[&str]) -> bool {
    mentions_within(text, start, WINDOW, words)
}

/// Whether a word of [`OTHER_NUMBERS`] occurs just before `start`.
pub(crate) fn names_another_number(text: &[u8], start: usize) -> bool {
    mentions_within(text, start, NEAR, OTHER_NUMBERS)
}

fn mentions_within(text: &[u8], start: usize, width: usize, words: &[&str]) -> bool {
    let from = start.saturating_sub(width);
    let mut window = [0u8; WINDOW];
    let slice = &text[from..start];
    let window = &mut window[..slice.len()];
    for (w, b) in window.iter_mut().zip(slice) {
        *w = b.to_ascii_lowercase();
    }
    words.iter().any(|word| {
        let word = word.as_bytes();
        window
            .windows(word.len())
            .any(|candidate| candidate == word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn names_are_searched_whole_and_first_and_last() {
        let context = Context::new(date(2025, 6, 1))
            .with_name("Anna Maria  Svensson")
            .with_name("Prince")
            .with_name("anna svensson");
        let spelled: Vec<(String, bool)> = context
            .names()
            .iter()
            .map(|n| {
                let words: Vec<String> = n.words.iter().map(|w| w.iter().collect()).collect();
                (words.join(" "), n.whole)
            })
            .collect();
        assert_eq!(
            spelled,
            [
                ("anna svensson".to_owned(), true),
                ("anna maria svensson".to_owned(), true),
            ]
        );
        assert_eq!(
            format!("{context:?}"),
            "Context { reference: 2025-06-01, names: 2 }"
        );
    }

    #[test]
    fn context_words_are_read_before_the_match_only() {
        let text = b"Mitt Personnummer: 8112189876, faktura";
        assert!(mentions(text, 19, &["personnummer"]));
        assert!(!mentions(text, 19, &["faktura"]));
        assert!(names_another_number(b"Faktura 5566778899", 8));
        assert!(!names_another_number(b"x", 1));
    }
}
