//! Integration tests of `skydd-requests`: deadlines at chosen dates (month ends, leap years,
//! Swedish holidays) and their properties, extensions, the holiday calendar, one-time codes,
//! repeat copies, the state machine, and the letters in English and Swedish.

// Tests may unwrap: a failing unwrap is a failing test with a good message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "requests/copies.rs"]
mod copies;
#[path = "requests/deadline.rs"]
mod deadline;
#[path = "requests/holiday.rs"]
mod holiday;
#[path = "requests/letter.rs"]
mod letter;
#[path = "requests/response_deadline.rs"]
mod response_deadline;
#[path = "requests/verification.rs"]
mod verification;
#[path = "requests/workflow.rs"]
mod workflow;

use jiff::Timestamp;
use jiff::civil::Date;
use skydd_register::Register;
use skydd_register::zone;

/// The bundled GleSYS register (P001-*), the one `skydd serve` starts with.
pub fn glesys() -> Register {
    let checked = skydd_register::check(include_str!("../../../examples/registers/glesys.yaml"));
    checked
        .register
        .expect("the GleSYS example register is valid")
}

/// `hour:minute` on `day`, Swedish time.
pub fn stockholm(day: Date, hour: i8, minute: i8) -> Timestamp {
    day.at(hour, minute, 0, 0)
        .to_zoned(zone::stockholm())
        .unwrap()
        .timestamp()
}
