//! The public version history of the notice (P000-68, P001-04): every version with its date,
//! when it took effect and its significant changes; and an archived version of the notice,
//! marked as such.
//!
//! The caller (the server) knows the versions, their times and where the pages are served;
//! this module only writes the documents. Times are shown as dates in Swedish time
//! (Europe/Stockholm), where the people reading them live.

use jiff::Timestamp;
use jiff::civil::Date;
use skydd_register::Register;
use skydd_register::model::{Choice as _, Language, Text};
use skydd_register::zone::stockholm_date;

use crate::diff::{Change, ChangeKind, RegisterDiff, Significance};
use crate::document::{Block, Document, Inline, Line, Section, link, text};
use crate::notice::notice;
use crate::wording::{self, pick};

/// Where the notice pages are served, so that the documents can link to each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticePaths {
    /// The current notice (`/privacy`).
    pub notice: String,
    /// The version history (`/privacy/versions`); a version is under it
    /// (`/privacy/versions/{version}`).
    pub history: String,
}

impl NoticePaths {
    /// The paths under a base path: `{base}` and `{base}/versions`.
    pub fn under(base: &str) -> NoticePaths {
        NoticePaths {
            notice: base.to_owned(),
            history: format!("{base}/versions"),
        }
    }

    fn with_language(path: &str, language: Language) -> String {
        format!("{path}?lang={}", language.word())
    }

    /// The current notice in `language`.
    pub fn notice_in(&self, language: Language) -> String {
        Self::with_language(&self.notice, language)
    }

    /// The history in `language`.
    pub fn history_in(&self, language: Language) -> String {
        Self::with_language(&self.history, language)
    }

    /// One archived version in `language`.
    pub fn version_in(&self, version: &str, language: Language) -> String {
        Self::with_language(&format!("{}/{version}", self.history), language)
    }

    /// The current notice for `audience` in `language` (an audience id is a register id:
    /// safe in a query string as it is).
    pub fn audience_in(&self, audience: &str, language: Language) -> String {
        format!(
            "{}?audience={audience}&lang={}",
            self.notice,
            language.word()
        )
    }
}

/// Link, from the notice for `audience`, the notices of the register's other audiences: a line
/// per audience under the version line ("For people elsewhere: our notice for them"), so that
/// each notice leads to the others. Nothing for a register without audiences.
pub fn link_audiences(
    document: &mut Document,
    register: &Register,
    audience: &str,
    paths: &NoticePaths,
) {
    let l = document.language;
    for other in register
        .audiences
        .iter()
        .filter(|a| a.id.as_str() != audience)
    {
        document.preamble.push(vec![
            text(format!("{} {}: ", pick(l, "For", "För"), other.name.get(l))),
            link(
                pick(l, "the notice for them", "integritetspolicyn för dem"),
                paths.audience_in(other.id.as_str(), l),
            ),
            text("."),
        ]);
    }
}

/// What one version changed compared with the version before it.
#[derive(Debug, Clone, Copy)]
pub enum VersionChanges<'a> {
    /// The first version recorded: there is nothing to compare with.
    First,
    /// The changes, with both registers (to name what changed).
    Diff {
        /// The version before.
        old: &'a Register,
        /// This version.
        new: &'a Register,
        /// `diff(old, new)`.
        diff: &'a RegisterDiff,
    },
    /// This version or the one before could not be read back from storage.
    Unavailable,
}

/// When a version applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InEffect {
    /// When a server first served this version.
    pub from: Timestamp,
    /// When the next version took its place; `None` for the latest version.
    pub until: Option<Timestamp>,
    /// Whether the server serves this version now.
    pub current: bool,
}

/// One version in the history.
#[derive(Debug, Clone, Copy)]
pub struct VersionEntry<'a> {
    /// The notice version (the first 12 hex digits of the register digest).
    pub version: &'a str,
    /// The `published` date ("last updated"), when it could be read.
    pub published: Option<Date>,
    /// From when a server first served it until the next version took its place.
    pub in_effect: InEffect,
    /// Whether the archived notice of this version can be shown.
    pub readable: bool,
    /// What it changed against the version before (nothing to compare for the first).
    pub changes: VersionChanges<'a>,
}

/// Why a change is significant, in words for the people it concerns.
pub fn significance(language: Language, significance: Significance) -> &'static str {
    let l = language;
    match significance {
        Significance::NewPurpose => pick(l, "New purpose", "Nytt ändamål"),
        Significance::NewRecipient => pick(l, "New recipient", "Ny mottagare"),
        Significance::NewTransfer => pick(
            l,
            "New transfer outside the EU/EEA",
            "Ny överföring utanför EU/EES",
        ),
        Significance::NewDataCategory => pick(l, "New kind of data", "Ny sorts uppgifter"),
        Significance::ChangedLegalBasis => pick(l, "Changed legal basis", "Ändrad rättslig grund"),
        Significance::ChangedConsentWording => pick(
            l,
            "Changed consent wording (we will ask for your consent again)",
            "Ändrad lydelse av samtycket (vi ber om ditt samtycke på nytt)",
        ),
        Significance::LongerRetention => pick(l, "Longer retention", "Längre lagringstid"),
        Significance::NewKindOfProcessing => {
            pick(l, "New kind of processing", "Ny sorts behandling")
        }
        Significance::NewTracker => pick(
            l,
            "New cookie or tracker that needs your consent",
            "Ny kaka eller spårningsteknik som kräver ditt samtycke",
        ),
        Significance::NewController => pick(l, "New controller", "Ny personuppgiftsansvarig"),
    }
}

/// What a change is about, by the name the notice uses: a purpose's, recipient's, data
/// category's, cookie service's or legal hold's name, looked up in the register that has it
/// (the old one for a removal). Falls back to the id, or the section.
pub fn subject_of(change: &Change, old: &Register, new: &Register, language: Language) -> String {
    let register = if change.kind == ChangeKind::Removed {
        old
    } else {
        new
    };
    let id = change.id.as_deref().unwrap_or_default();
    let named = |name: Option<&Text>| name.map(|n| n.get(language).to_owned());
    let name = match change.section {
        "purposes" => named(
            register
                .purposes
                .iter()
                .find(|p| p.id.as_str() == id)
                .map(|p| &p.name),
        ),
        "recipients" => named(
            register
                .recipients
                .iter()
                .find(|r| r.id.as_str() == id)
                .map(|r| &r.name),
        ),
        "data" => named(
            register
                .data
                .iter()
                .find(|c| c.id.as_str() == id)
                .map(|c| &c.name),
        ),
        "retention" => register
            .retention
            .iter()
            .find(|r| r.id.as_str() == id)
            .and_then(|r| named(register.category(&r.category).map(|c| &c.name))),
        "legal_holds" => named(
            register
                .legal_holds
                .iter()
                .find(|h| h.id.as_str() == id)
                .map(|h| &h.name),
        ),
        "cookies.services" => named(
            register
                .cookies
                .services
                .iter()
                .find(|s| s.id.as_str() == id)
                .map(|s| &s.name),
        ),
        "controller" => Some(register.controller.name.clone()),
        _ => None,
    };
    name.unwrap_or_else(|| {
        if id.is_empty() {
            change.section.to_owned()
        } else {
            id.to_owned()
        }
    })
}

/// The lines of a version's section describing what it changed.
fn changes_blocks(changes: VersionChanges<'_>, l: Language) -> Vec<Block> {
    match changes {
        VersionChanges::First => vec![Block::Paragraph(vec![text(pick(
            l,
            "The first version recorded.",
            "Den första versionen som registrerats.",
        ))])],
        VersionChanges::Unavailable => vec![Block::Paragraph(vec![text(pick(
            l,
            "The changes from the version before cannot be shown.",
            "Ändringarna från versionen innan kan inte visas.",
        ))])],
        VersionChanges::Diff { old, new, diff } => {
            let significant: Vec<&Change> = diff.significant().collect();
            let others = diff.changes.len() - significant.len();
            let mut blocks = Vec::new();
            if significant.is_empty() {
                blocks.push(Block::Paragraph(vec![text(pick(
                    l,
                    "No significant changes.",
                    "Inga väsentliga ändringar.",
                ))]));
            } else {
                blocks.push(Block::Paragraph(vec![text(pick(
                    l,
                    "Significant changes:",
                    "Väsentliga ändringar:",
                ))]));
                blocks.push(Block::List(
                    significant
                        .iter()
                        .filter_map(|c| {
                            let reason = significance(l, c.significance?);
                            Some(vec![
                                Inline::Strong(reason.to_owned()),
                                text(format!(": {}", subject_of(c, old, new, l))),
                            ])
                        })
                        .collect(),
                ));
            }
            if others > 0 {
                blocks.push(Block::Paragraph(vec![text(match (l, others) {
                    (Language::En, 1) => "1 other change that is not significant.".to_owned(),
                    (Language::En, n) => format!("{n} other changes that are not significant."),
                    (Language::Sv, 1) => "1 annan ändring som inte är väsentlig.".to_owned(),
                    (Language::Sv, n) => format!("{n} andra ändringar som inte är väsentliga."),
                })]));
            }
            blocks
        }
    }
}

/// The line saying when a version applied.
fn in_effect(l: Language, in_effect: InEffect) -> String {
    let from = wording::date(l, stockholm_date(in_effect.from));
    match in_effect.until {
        Some(until) => {
            let until = wording::date(l, stockholm_date(until));
            match l {
                Language::En => format!("In effect from {from} until {until}."),
                Language::Sv => format!("Gällde från och med {from} till {until}."),
            }
        }
        None => match l {
            Language::En => format!("In effect since {from}."),
            Language::Sv => format!("Gäller sedan {from}."),
        },
    }
}

/// The version history as a document: one section per version, in the order given (newest
/// first), each with its dates, a link to the archived notice and its significant changes.
pub fn history(
    current: &Register,
    entries: &[VersionEntry<'_>],
    language: Language,
    paths: &NoticePaths,
) -> Document {
    let l = language;
    let preamble = vec![
        vec![text(pick(
            l,
            "Every version of our privacy notice, newest first: when it was last updated, when it took effect, and what changed in it. Earlier versions stay available here.",
            "Alla versioner av vår integritetspolicy, den senaste först: när den uppdaterades, när den började gälla och vad som ändrades. Tidigare versioner finns kvar här.",
        ))],
        vec![link(
            pick(
                l,
                "Read the current notice",
                "Läs den gällande integritetspolicyn",
            ),
            paths.notice_in(l),
        )],
    ];
    let sections = entries
        .iter()
        .map(|entry| {
            let mut heading = format!("{} {}", pick(l, "Version", "Version"), entry.version);
            if let Some(published) = entry.published {
                heading.push_str(&format!(" · {}", wording::date(l, published)));
            }
            let mut facts: Line = Vec::new();
            if let Some(published) = entry.published {
                facts.push(text(format!(
                    "{} {}. ",
                    pick(l, "Last updated", "Senast uppdaterad"),
                    wording::date(l, published)
                )));
            }
            facts.push(text(in_effect(l, entry.in_effect)));
            if entry.in_effect.current {
                facts.push(text(" "));
                facts.push(Inline::Strong(
                    pick(
                        l,
                        "This is the current version.",
                        "Detta är den gällande versionen.",
                    )
                    .to_owned(),
                ));
            }
            let mut blocks = vec![Block::Paragraph(facts)];
            blocks.push(Block::Paragraph(if entry.readable {
                vec![link(
                    pick(l, "Read this version", "Läs denna version"),
                    paths.version_in(entry.version, l),
                )]
            } else {
                vec![text(pick(
                    l,
                    "This version cannot be shown: its stored copy cannot be read.",
                    "Denna version kan inte visas: den sparade kopian går inte att läsa.",
                ))]
            }));
            blocks.extend(changes_blocks(entry.changes, l));
            Section {
                id: format!("version-{}", entry.version),
                heading,
                blocks,
            }
        })
        .collect();
    Document {
        language,
        title: format!(
            "{} – {}",
            pick(
                l,
                "Privacy notice: version history",
                "Integritetspolicy: versionshistorik"
            ),
            current.controller.name
        ),
        preamble,
        contents_heading: None,
        sections,
        footer: Vec::new(),
    }
}

/// The notice written from an archived register, with a line at the top saying that it is
/// archived, when it applied, and where the current notice and the history are.
pub fn archived_notice(
    register: &Register,
    language: Language,
    applied: InEffect,
    paths: &NoticePaths,
) -> Document {
    let l = language;
    let mut document = notice(register, language);
    let status = if applied.current {
        pick(
            l,
            "This is the current version of the notice.",
            "Detta är den gällande versionen av integritetspolicyn.",
        )
    } else {
        pick(
            l,
            "This is an archived version of the notice; it no longer applies.",
            "Detta är en arkiverad version av integritetspolicyn; den gäller inte längre.",
        )
    };
    let banner = vec![
        Inline::Strong(status.to_owned()),
        text(format!(" {} ", in_effect(l, applied))),
        link(
            pick(
                l,
                "Read the current notice",
                "Läs den gällande integritetspolicyn",
            ),
            paths.notice_in(l),
        ),
        text(" · "),
        link(
            pick(l, "All versions", "Alla versioner"),
            paths.history_in(l),
        ),
    ];
    document.preamble.insert(0, banner);
    document
}

/// Add a link to the version history to a notice: in the line under the title and in its
/// section on changes (P001-04).
pub fn link_history(document: &mut Document, paths: &NoticePaths) {
    let l = document.language;
    let href = paths.history_in(l);
    let label = pick(l, "Version history", "Versionshistorik");
    if let Some(first) = document.preamble.first_mut() {
        first.push(text(" · "));
        first.push(link(label, href.clone()));
    }
    if let Some(section) = document.sections.iter_mut().find(|s| s.id == "changes") {
        section.blocks.push(Block::Paragraph(vec![
            text(pick(
                l,
                "Earlier versions of this notice, with the date of each change and what changed, are in the ",
                "Tidigare versioner av denna integritetspolicy, med datum för varje ändring och vad som ändrades, finns i ",
            )),
            link(pick(l, "version history", "versionshistoriken"), href),
            text("."),
        ]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_shown_in_stockholm() {
        // 23:30 UTC on 31 December is already New Year's Day in Stockholm (CET, +1).
        let at: Timestamp = "2025-12-31T23:30:00Z".parse().unwrap();
        assert_eq!(stockholm_date(at), jiff::civil::date(2026, 1, 1));
        // 22:30 UTC on 30 June is 00:30 in summer time (CEST, +2).
        let at: Timestamp = "2026-06-30T22:30:00Z".parse().unwrap();
        assert_eq!(stockholm_date(at), jiff::civil::date(2026, 7, 1));
        // 22:30 UTC on 30 November is still 23:30 on the 30th (CET).
        let at: Timestamp = "2026-11-30T22:30:00Z".parse().unwrap();
        assert_eq!(stockholm_date(at), jiff::civil::date(2026, 11, 30));
        // Summer time 2028 (a leap year) starts on the last Sunday of March, the 26th.
        let at: Timestamp = "2028-03-26T22:30:00Z".parse().unwrap();
        assert_eq!(stockholm_date(at), jiff::civil::date(2028, 3, 27));
        let at: Timestamp = "2028-03-25T22:30:00Z".parse().unwrap();
        assert_eq!(stockholm_date(at), jiff::civil::date(2028, 3, 25));
    }

    #[test]
    fn paths_carry_the_language() {
        let paths = NoticePaths::under("/privacy");
        assert_eq!(paths.notice_in(Language::Sv), "/privacy?lang=sv");
        assert_eq!(paths.history_in(Language::En), "/privacy/versions?lang=en");
        assert_eq!(
            paths.version_in("0123456789ab", Language::Sv),
            "/privacy/versions/0123456789ab?lang=sv"
        );
    }
}
