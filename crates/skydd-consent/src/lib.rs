//! The consent ledger as a pure model: what subjects and organisations agreed to, what they objected
//! to, which marketing they opted out of, and which opt-in features are switched on.
//!
//! Everything here is an **event** (a consent given or withdrawn, an objection raised or lifted, a
//! preference changed, a feature switched) and a **state** derived from the events. Events are never
//! changed or removed: the history is the proof a controller must be able to show (Art. 7(1)). A
//! state keeps, for each key, the event that set its current value, so a decision can say under
//! which notice version and when a consent was given.
//!
//! | events | state | key |
//! |---|---|---|
//! | [`ConsentEvent`] | [`ConsentState`] | scope (subject, organisation, project) and purpose |
//! | [`ObjectionEvent`] | [`ObjectionState`] | subject and [`ObjectionTarget`] |
//! | [`PreferenceEvent`] | [`PreferenceState`] | subject and [`Preference`] (channel or interest) |
//! | [`FeatureSwitch`] | [`FeatureState`] | feature and [`OrganisationScope`] |
//!
//! [`Ledger`] keeps all four histories in one append-only list with their states. A browser's
//! choices in the cookie banner ([`CookieChoice`], issue 18) are events of their own: they
//! belong to a pseudonymous browser, not to a subject, and are checked against the register's
//! `cookies` section. Unlike the events above they do not stay for good: the vault's retention
//! sweep deletes a choice three years after it was made.
//!
//! ## Order of events
//!
//! Events may arrive out of time order (an import, a clock that drifted, a retried call). Every state
//! is defined as if its events were **sorted by `at`, ties kept in the order given**, and then
//! applied one after another: for each key the event with the latest `at` wins, and among events
//! with the same `at` the one given (or applied) last wins. `apply` gives the same result
//! incrementally: an event older than the current one for its key is kept in the history but does
//! not change the state.
//!
//! ## What is not here
//!
//! The IP address and user agent behind a consent are personal data: the vault stores them
//! encrypted with the subject's key, next to the event's id. They are deliberately not fields of
//! these types, so that a state can be logged, cached and compared without carrying them. The crate
//! does no I/O and never reads the clock: every time is a field of an event.
//!
//! ```
//! use jiff::Timestamp;
//! use skydd_consent::{ConsentEvent, ConsentMethod, ConsentScope, ConsentState};
//! use skydd_register::model::PurposeId;
//!
//! let given: Timestamp = "2025-03-01T10:00:00Z".parse().unwrap();
//! let grant = ConsentEvent {
//!     scope: ConsentScope::Subject("s-1".into()),
//!     purpose: PurposeId("newsletter".into()),
//!     granted: true,
//!     method: ConsentMethod::WebForm,
//!     notice_version: "2025-01".into(),
//!     at: given,
//!     text_hash: None,
//! };
//! let withdrawal = ConsentEvent { granted: false, method: ConsentMethod::UnsubscribeLink,
//!     at: "2025-04-01T08:00:00Z".parse().unwrap(), ..grant.clone() };
//! let state = ConsentState::from_events(&[grant, withdrawal]);
//! assert!(!state.is_granted(&ConsentScope::Subject("s-1".into()), "newsletter"));
//! ```

mod consent;
mod cookie;
mod error;
mod feature;
mod ledger;
mod method;
mod objection;
mod preference;
mod scope;

pub use consent::{ConsentEvent, ConsentState};
pub use cookie::{
    BROWSER_ID_MAX, BROWSER_ID_MIN, BannerAction, BrowserId, CookieChoice, CookieChoiceError,
    is_browser_id, is_revision,
};
pub use error::{LedgerError, UnknownWord};
pub use feature::{FeatureState, FeatureSwitch};
pub use ledger::{Ledger, LedgerEvent};
pub use method::ConsentMethod;
pub use objection::{ObjectionEvent, ObjectionSource, ObjectionState, ObjectionTarget};
pub use preference::{Preference, PreferenceEvent, PreferenceState};
pub use scope::{ConsentScope, OrganisationScope};

use jiff::Timestamp;

/// Whether an event at `new` replaces the current event at `current` for the same key.
///
/// Later times win; an equal time wins too, so that among events with the same `at` the one applied
/// last decides ("ties keep the order given").
pub(crate) fn supersedes(new: Timestamp, current: Timestamp) -> bool {
    new >= current
}

/// Sort references to events by time, keeping the given order for equal times.
pub(crate) fn in_time_order<T>(events: &[T], at: impl Fn(&T) -> Timestamp) -> Vec<&T> {
    let mut sorted: Vec<&T> = events.iter().collect();
    sorted.sort_by_key(|event| at(event));
    sorted
}
