//! Data-subject requests as a pure domain: what a subject may ask for, the states a request
//! moves through, its legal deadline, the identity check, repeat copies, and the letters sent
//! to the subject and to recipients.
//!
//! Nothing here does I/O or reads the clock: `now` and the received time are parameters, and
//! random bytes for a verification code are drawn by the caller. The service layer stores
//! requests, sends letters through the outbox and audits every transition.
//!
//! Deadlines follow Art. 12(3) GDPR counted as Regulation (EEC, Euratom) No 1182/71 counts a
//! period in months: the same date in the later month, or that month's last day when there is
//! none; a period that ends on a Saturday, Sunday or public holiday ends on the next working day.
//!
//! ```
//! use jiff::civil::date;
//! use skydd_register::zone::stockholm;
//! use skydd_requests::{HolidayCalendar, deadline};
//!
//! let zone = stockholm();
//! let received = date(2026, 4, 14).at(10, 0, 0, 0).to_zoned(zone.clone()).unwrap().timestamp();
//! let due = deadline(received, 1, &zone, &HolidayCalendar::sweden());
//! assert_eq!(due.unrolled, date(2026, 5, 14)); // Kristi himmelfärdsdag
//! assert_eq!(due.due, date(2026, 5, 15));
//! ```

pub mod applicability;
pub mod copies;
pub mod deadline;
pub mod holiday;
pub mod letter;
pub mod request_type;
pub mod state;
pub mod urgency;
pub mod verification;

pub use applicability::{Assessment, LeftOut, NotApplicable};
pub use copies::{CopyAllowance, copy_allowance};
pub use deadline::{
    Deadline, ExtensionError, MAX_EXTENSION_MONTHS, deadline, extend, promised_deadline,
    response_deadline,
};
pub use holiday::{Holiday, HolidayCalendar};
pub use letter::{
    Completion, ErasedTable, KeptField, KeptUnderHold, Letter, Letters, RecipientAction,
    SystemErasure, UnknownRecipientAction,
};
pub use request_type::{RequestType, UnknownRequestType};
pub use state::{RequestAction, RequestState, TransitionError, UnknownRequestState};
pub use urgency::Urgency;
pub use verification::{
    VerificationCode, VerificationPolicy, VerifyError, code_accepted, confirmed_by_staff,
    document_needed,
};
