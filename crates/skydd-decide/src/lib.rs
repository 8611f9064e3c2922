//! Purpose-based access decisions: "may purpose P use category C of subject S now?".
//!
//! [`Policy::compile`] turns a register into lookup tables once per loaded register;
//! [`Policy::decide`] answers a [`DecisionRequest`] from the compiled register, what is known about
//! the subject ([`SubjectFacts`]), about organisations, projects and tenants ([`ScopeFacts`]) and,
//! optionally, about the record in question ([`RecordFacts`]). The answer is
//! [`Decision::Allow`] with the legal basis relied on, or [`Decision::Deny`] with a stable
//! [`DenyCode`] and an explanation that names ids only.
//!
//! The crate does no I/O and never reads the clock: `now` is a parameter.
//!
//! ## The rules, in the order they are checked
//!
//! 1. **Register.** The purpose and the category must exist and the purpose must list the category.
//!    A request naming a channel must name one the purpose declares; a direct marketing purpose
//!    that declares none may use none (P002-16). A purpose that is not direct marketing and
//!    declares no channels is not limited by channel (administrative messages).
//! 2. **Processor mode** (Art. 28). A subject with a tenant is a customer's end user: only processor
//!    activities apply to them, and only those the tenant instructed
//!    ([`ScopeFacts::set_instructions`]; with nothing recorded, every processor activity in the
//!    register counts as instructed by the data processing agreement). A subject without a tenant
//!    is the controller's own and is never processed by a processor activity. A person who is
//!    both is two subjects in the vault, one per controller.
//! 3. **Retention and legal holds** (with [`RecordFacts`]). The rules for the category narrowed to
//!    the purpose govern it, otherwise the rules for every purpose. An anchor that has not happened
//!    yet keeps the record. Of several clocks the earliest expiry counts. A record may be used
//!    through its expiry date (UTC) and not after. Past it, a legal hold on the category keeps the
//!    record for the hold's purpose only, through the hold's own expiry date. A hold applies to the
//!    records that carry its anchor event: the vault marks accounting material by setting, say,
//!    `financial_year_end` (a future date while the year runs); a record without it is not held,
//!    so ordinary user data is deleted on time (P002-20) and accounting records are kept (P002-21).
//! 4. **Storage** ([`Operation::Store`]) is decided here: keeping the data needs only the checks
//!    above.
//! 5. **Restriction** (Art. 18): a restricted subject's data may only be stored.
//! 6. **Opt-in feature.** A purpose with `requires_feature` needs the feature switched on for the
//!    request's organisation or project (or the subject's own, when the request names none): the
//!    project's switch if it has one, else the organisation's, else off.
//! 7. **Direct marketing.** Any objection that covers the purpose denies, whatever the legal basis
//!    (Art. 21(3)): an objection to the purpose, to all direct marketing, or a browser signal (GPC,
//!    DNT). Then the subject's channel and interest-area opt-outs, for the request's channel and
//!    interest.
//! 8. **Legal basis.** The category's bases are tried in register order and the first that holds is
//!    reported: contract, legal obligation and vital interest hold; legitimate interest and public
//!    task hold unless an objection covers the purpose (Art. 21(1)): one to the purpose itself, or
//!    a browser signal when the purpose shares the category with a third party that uses it for its
//!    own purposes (a recipient of kind `controller` or `joint_controller`); consent holds with a
//!    current grant from the purpose's `given_by`: the subject; the organisation (a project's own
//!    decision overrides its organisation's); or the project. A processor activity has no basis of
//!    its own and is allowed with `legal_basis: None`.
//! 9. **Special categories.** A category whose Art. 9(2) condition is `explicit_consent` needs the
//!    subject's own consent to the purpose as well.
//!
//! Anonymous categories (`personal_data: false`) are about nobody: only the register and the
//! opt-in feature apply to them.
//!
//! ```
//! use jiff::Timestamp;
//! use skydd_decide::{DecisionRequest, DenyCode, Policy, ScopeFacts, SubjectFacts};
//!
//! let register = skydd_register::check(include_str!("../../../examples/registers/workitems.yaml"))
//!     .register
//!     .unwrap();
//! let policy = Policy::compile(&register);
//! let now: Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
//! let request = DecisionRequest::new("ai_processing", "work_item_content").in_project("acme", "apollo");
//! let decision = policy.decide(&request, &SubjectFacts::new(), &ScopeFacts::new(), None, now);
//! assert_eq!(decision.deny_code(), Some(DenyCode::FeatureDisabled)); // off by default
//! ```

mod code;
mod decide;
mod decision;
mod facts;
mod policy;
mod request;
mod retention;

pub use code::{DenyCode, UnknownDenyCode};
pub use decision::{ConsentRef, Decision};
pub use facts::{Interner, RecordFacts, ScopeFacts, SubjectFacts};
pub use policy::Policy;
pub use request::{DecisionRequest, Operation, Scope};
pub use retention::RetentionStatus;
