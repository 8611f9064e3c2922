//! Documents written from the register: the privacy notice in English and Swedish (HTML and
//! Markdown), the list of changes between two registers, the notice's version history and
//! archived versions, and the Art. 30 record.
//!
//! Every sentence about a company comes from its [`Register`]: the notice cannot drift from what
//! the register enforces. The crate does no I/O and never reads the clock; a notice's version
//! and "last updated" date come from the register's content (its digest and `published` date).
//!
//! ```
//! # let source = include_str!("../../../examples/registers/glesys.yaml");
//! let register = skydd_register::check(source).register.unwrap();
//! let html = skydd_notice::render_html(&register, skydd_register::model::Language::Sv);
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.contains("personuppgiftsansvarig"));
//! ```
//!
//! [`Register`]: skydd_register::Register

pub mod diff;
pub mod document;
pub mod history;
pub mod notice;
pub mod record;
pub mod retention;
pub mod wording;

pub use diff::{Change, ChangeKind, RegisterDiff, diff};
pub use document::Document;
pub use history::{
    InEffect, NoticePaths, VersionChanges, VersionEntry, archived_notice, history, link_audiences,
    link_history,
};
pub use notice::{
    NoticeVersion, link_privacy_centre, notice, notice_for, render_html, render_markdown,
};
pub use record::{Activity, Art30Record, System, record, record_with_systems};
