//! How a consent, withdrawal or preference was expressed.

use std::fmt;
use std::str::FromStr;

use crate::error::UnknownWord;

/// How a consent was given or withdrawn, or a preference changed. The names are stable: they are
/// stored with every event and shown in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentMethod {
    /// A form on a web page or in the privacy centre (`web_form`).
    WebForm,
    /// The cookie banner (`banner`).
    Banner,
    /// A reply by e-mail (`email`).
    Email,
    /// A call to Skydd's API by the company's own systems (`api`).
    Api,
    /// Imported from an earlier system, with its original time (`import`).
    Import,
    /// An administrator, for an organisation or project, or on a subject's written instruction
    /// (`admin`).
    Admin,
    /// The signed one-click link at the bottom of a message (`unsubscribe_link`).
    UnsubscribeLink,
}

impl ConsentMethod {
    /// Every method with its stable name.
    pub const ALL: [(ConsentMethod, &'static str); 7] = [
        (ConsentMethod::WebForm, "web_form"),
        (ConsentMethod::Banner, "banner"),
        (ConsentMethod::Email, "email"),
        (ConsentMethod::Api, "api"),
        (ConsentMethod::Import, "import"),
        (ConsentMethod::Admin, "admin"),
        (ConsentMethod::UnsubscribeLink, "unsubscribe_link"),
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentMethod::WebForm => "web_form",
            ConsentMethod::Banner => "banner",
            ConsentMethod::Email => "email",
            ConsentMethod::Api => "api",
            ConsentMethod::Import => "import",
            ConsentMethod::Admin => "admin",
            ConsentMethod::UnsubscribeLink => "unsubscribe_link",
        }
    }
}

impl fmt::Display for ConsentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConsentMethod {
    type Err = UnknownWord;

    fn from_str(word: &str) -> Result<ConsentMethod, UnknownWord> {
        ConsentMethod::ALL
            .iter()
            .find(|(_, name)| *name == word)
            .map(|(method, _)| *method)
            .ok_or(UnknownWord {
                what: "consent method",
                expected: "web_form, banner, email, api, import, admin, unsubscribe_link",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_stable() {
        for (method, name) in ConsentMethod::ALL {
            assert_eq!(method.as_str(), name);
            assert_eq!(name.parse::<ConsentMethod>(), Ok(method));
            assert_eq!(method.to_string(), name);
        }
        let error = "WebForm".parse::<ConsentMethod>().unwrap_err();
        assert!(error.to_string().contains("unsubscribe_link"));
        assert!(
            !error.to_string().contains("WebForm"),
            "input is not echoed"
        );
    }
}
