//! Letters to the data subject and to recipients, in English and Swedish, built from the
//! register: who the controller is, how to reach it, and which authority hears complaints.
//!
//! Letters hold no personal data beyond what their reader already has: the request reference,
//! dates, the categories concerned, and (for the identity check) the one-time code. A letter to
//! a recipient names the subject only by a pseudonymous reference. Dates are shown in the
//! controller's zone (Europe/Stockholm unless set otherwise).

use skydd_register::zone::stockholm;
use std::fmt::{self, Write as _};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use skydd_register::Register;
use skydd_register::model::{CategoryId, Contact, HoldId, Language, PurposeId, RecipientId};

use crate::applicability::{LeftOut, NotApplicable};
use crate::deadline::Deadline;
use crate::request_type::RequestType;

/// A letter: a subject line and a plain-text body.
#[derive(Clone, PartialEq, Eq)]
pub struct Letter {
    /// The e-mail's subject line, in the letter's language.
    pub subject: String,
    /// Body, plain text, lines separated by `\n`.
    pub text: String,
}

impl fmt::Debug for Letter {
    /// The body is left out: it may hold a one-time code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Letter")
            .field("subject", &self.subject)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .finish()
    }
}

/// Data an erasure kept because a legal hold requires it (Art. 17(3)(b)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptUnderHold {
    /// The hold, as declared in the register.
    pub hold: HoldId,
    /// The categories kept under it.
    pub categories: Vec<CategoryId>,
    /// When the hold ends and the data is deleted, when known.
    pub until: Option<Date>,
}

/// What a completed request did, for the letter that closes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The kind of request completed (access, erasure ...): decides what the letter reports.
    pub request_type: RequestType,
    /// No personal data about the requester was found (the letter says so instead of
    /// describing a change or a copy).
    pub no_data_found: bool,
    /// The purposes concerned (objection, consent withdrawal), if any.
    pub purposes: Vec<PurposeId>,
    /// What an erasure kept under legal holds, with the law that requires it.
    pub kept: Vec<KeptUnderHold>,
    /// The recipients told of a rectification, erasure or restriction (Art. 19): `Some` lists
    /// them by name (or says there were none); `None` only says that recipients are told and
    /// that the subject can ask who they are.
    pub recipients: Option<Vec<RecipientId>>,
    /// What an erasure did in each connected database (the company's own systems), in the
    /// order they were erased: names and counts only.
    pub systems: Vec<SystemErasure>,
    /// The data or purposes the right did not reach, and why (a portability request's data on
    /// legitimate interest, an objection to a purpose on contract).
    pub not_applicable: Vec<LeftOut>,
    /// Portability: the controller the data was sent to directly, at the person's request
    /// (Art. 20(2)).
    pub transmitted_to: Option<String>,
}

/// What an erasure did in one connected database, for the completion letter: the tables and
/// fields written with their row counts, and the fields a legal hold kept. Names and counts,
/// never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemErasure {
    /// The system (the dataset's name).
    pub system: String,
    /// The tables written, in the order they were written.
    pub tables: Vec<ErasedTable>,
    /// The tables where passages of free text that mentioned the subject in other rows were
    /// replaced by their kind: the fields rewritten and the rows.
    pub redacted: Vec<ErasedTable>,
    /// The fields kept because a legal hold requires it.
    pub kept: Vec<KeptField>,
}

/// One table an erasure wrote in a connected database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasedTable {
    /// The table's name.
    pub table: String,
    /// The fields erased (`delete_row` when whole rows were deleted).
    pub fields: Vec<String>,
    /// Rows deleted or written.
    pub rows: u64,
}

/// A field of a connected database an erasure kept under a legal hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptField {
    /// `table.field`.
    pub field: String,
    /// The hold, as declared in the register.
    pub hold: HoldId,
}

impl Completion {
    /// A completion of `request_type` that found data, with no purposes, nothing kept and the
    /// recipients not listed.
    pub fn new(request_type: RequestType) -> Completion {
        Completion {
            request_type,
            no_data_found: false,
            purposes: Vec::new(),
            kept: Vec::new(),
            recipients: None,
            systems: Vec::new(),
            not_applicable: Vec::new(),
            transmitted_to: None,
        }
    }
}

/// What happened to data a recipient received (Art. 19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientAction {
    /// Corrected (Art. 16).
    Rectified,
    /// Erased (Art. 17(1)).
    Erased,
    /// Restricted to storage (Art. 18).
    Restricted,
}

impl RecipientAction {
    /// Every action, in the order of the list above.
    pub const ALL: [RecipientAction; 3] = [
        RecipientAction::Rectified,
        RecipientAction::Erased,
        RecipientAction::Restricted,
    ];

    /// The stable word stored with a notification and shown in the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecipientAction::Rectified => "rectified",
            RecipientAction::Erased => "erased",
            RecipientAction::Restricted => "restricted",
        }
    }
}

impl std::fmt::Display for RecipientAction {
    /// The stable word, padded to a width when one is asked for.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A word that names no recipient action (stored data written by a newer version, or damaged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown recipient action; use one of rectified, erased, restricted")]
pub struct UnknownRecipientAction;

impl std::str::FromStr for RecipientAction {
    type Err = UnknownRecipientAction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecipientAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or(UnknownRecipientAction)
    }
}

/// Writes letters for one register in one language.
#[derive(Debug, Clone)]
pub struct Letters<'a> {
    register: &'a Register,
    language: Language,
    zone: TimeZone,
}

impl<'a> Letters<'a> {
    /// Letters from the controller of `register` in `language`, with dates in Europe/Stockholm.
    pub fn new(register: &'a Register, language: Language) -> Letters<'a> {
        Letters {
            register,
            language,
            zone: stockholm(),
        }
    }

    /// The same letters with dates shown in `zone`.
    pub fn with_zone(self, zone: TimeZone) -> Letters<'a> {
        Letters { zone, ..self }
    }

    fn sv(&self) -> bool {
        self.language == Language::Sv
    }

    /// Pick the English or the Swedish text.
    fn pick<'t>(&self, en: &'t str, sv: &'t str) -> &'t str {
        if self.sv() { sv } else { en }
    }

    /// The one-time code that proves the requester controls a known identity.
    pub fn verification_code(
        &self,
        code: &str,
        request_type: RequestType,
        expires_at: Timestamp,
    ) -> Letter {
        let controller = &self.register.controller.name;
        let what = self.request_name(request_type);
        let until = self.date_time(expires_at);
        let (subject, body) = if self.sv() {
            (
                format!("Din kod för att bekräfta din begäran hos {controller}"),
                format!(
                    "Hej,\n\n\
                     Vi har tagit emot en begäran om {what}. För att vi ska kunna vara säkra på att \
                     begäran kommer från dig ber vi dig bekräfta den med den här koden:\n\n\
                     {code}\n\n\
                     Koden gäller till {until} och kan bara användas en gång. \
                     Om du inte har gjort någon begäran kan du bortse från det här meddelandet; \
                     ingenting lämnas ut eller ändras utan koden.\n"
                ),
            )
        } else {
            (
                format!("Your code to confirm your request to {controller}"),
                format!(
                    "Hello,\n\n\
                     We have received a request for {what}. To make sure the request comes from \
                     you, please confirm it with this code:\n\n\
                     {code}\n\n\
                     The code is valid until {until} and can be used once. \
                     If you did not make a request, you can ignore this message; nothing is \
                     disclosed or changed without the code.\n"
                ),
            )
        };
        self.letter(subject, body, None)
    }

    /// The privacy centre's sign-in (issue 18): the code to type in the browser that asked,
    /// and the magic link that does the same when opened in that browser; both work once and
    /// until `expires_at`.
    pub fn centre_sign_in(&self, code: &str, link: &str, expires_at: Timestamp) -> Letter {
        let controller = &self.register.controller.name;
        let until = self.date_time(expires_at);
        let (subject, body) = if self.sv() {
            (
                format!("Din kod för att logga in i integritetscentret hos {controller}"),
                format!(
                    "Hej,\n\n\
                     Någon har bett om att få logga in i integritetscentret hos {controller} för \
                     att se och hantera sina personuppgifter. Om det var du, skriv in den här \
                     koden i webbläsaren där du bad om den:\n\n\
                     {code}\n\n\
                     eller öppna den här länken i samma webbläsare:\n\n\
                     {link}\n\n\
                     Koden och länken gäller till {until} och kan bara användas en gång. \
                     Om det inte var du kan du bortse från det här meddelandet; ingen kommer åt \
                     dina uppgifter utan koden.\n"
                ),
            )
        } else {
            (
                format!("Your code to sign in to the privacy centre of {controller}"),
                format!(
                    "Hello,\n\n\
                     Someone asked to sign in to the privacy centre of {controller} to see and \
                     manage their personal data. If it was you, type this code in the browser \
                     where you asked for it:\n\n\
                     {code}\n\n\
                     or open this link in the same browser:\n\n\
                     {link}\n\n\
                     The code and the link are valid until {until} and can be used once. \
                     If it was not you, you can ignore this message; no one reaches your data \
                     without the code.\n"
                ),
            )
        };
        self.letter(subject, body, None)
    }

    /// Confirmation that a request was received, with its deadline.
    pub fn received(
        &self,
        reference: &str,
        request_type: RequestType,
        received_at: Timestamp,
        deadline: &Deadline,
    ) -> Letter {
        let what = self.request_name(request_type);
        let received = self.date(received_at.to_zoned(self.zone.clone()).date());
        let due = self.date(deadline.due);
        let (subject, body) = if self.sv() {
            (
                format!("Vi har tagit emot din begäran ({reference})"),
                format!(
                    "Hej,\n\n\
                     Vi tog emot din begäran om {what} den {received}.\n\n\
                     Vi svarar senast den {due}. Om begäran är komplicerad eller om vi har fått \
                     många begäranden kan tiden förlängas med högst två månader; i så fall \
                     meddelar vi dig det och skälen till det inom en månad från att vi tog emot \
                     begäran (artikel 12.3 i dataskyddsförordningen).\n"
                ),
            )
        } else {
            (
                format!("We have received your request ({reference})"),
                format!(
                    "Hello,\n\n\
                     We received your request for {what} on {received}.\n\n\
                     We will answer by {due} at the latest. If the request is complex or we have \
                     received many requests, this can be extended by at most two further months; \
                     we would tell you so, and why, within one month of receiving the request \
                     (Article 12(3) GDPR).\n"
                ),
            )
        };
        self.letter(subject, body, Some(reference))
    }

    /// Notice that the deadline is extended, with the new date and the reasons (Art. 12(3)).
    pub fn extension(
        &self,
        reference: &str,
        request_type: RequestType,
        received_at: Timestamp,
        extended: &Deadline,
        reasons: &str,
    ) -> Letter {
        let what = self.request_name(request_type);
        let received = self.date(received_at.to_zoned(self.zone.clone()).date());
        let due = self.date(extended.due);
        let reasons = reasons.trim();
        let (subject, body) = if self.sv() {
            (
                format!("Vi behöver mer tid för din begäran ({reference})"),
                format!(
                    "Hej,\n\n\
                     Din begäran om {what}, som vi tog emot den {received}, tar längre tid än en \
                     månad att hantera. Vi förlänger därför tiden enligt artikel 12.3 i \
                     dataskyddsförordningen och svarar senast den {due}.\n\n\
                     Skälen till förlängningen:\n{reasons}\n"
                ),
            )
        } else {
            (
                format!("We need more time for your request ({reference})"),
                format!(
                    "Hello,\n\n\
                     Your request for {what}, which we received on {received}, will take longer \
                     than one month to handle. We are therefore extending the time under Article \
                     12(3) GDPR and will answer by {due} at the latest.\n\n\
                     The reasons for the extension:\n{reasons}\n"
                ),
            )
        };
        let mut body = body;
        body.push('\n');
        body.push_str(&self.complaint_rights());
        self.letter(subject, body, Some(reference))
    }

    /// Refusal of a request: the reasons, the right to complain to the supervisory authority and
    /// to seek a judicial remedy (Art. 12(4)).
    pub fn rejection(&self, reference: &str, request_type: RequestType, reasons: &str) -> Letter {
        let what = self.request_name(request_type);
        let reasons = reasons.trim();
        let (subject, mut body) = if self.sv() {
            (
                format!("Beslut om din begäran ({reference})"),
                format!(
                    "Hej,\n\n\
                     Vi kan inte tillmötesgå din begäran om {what}.\n\n\
                     Skälen:\n{reasons}\n\n"
                ),
            )
        } else {
            (
                format!("Decision on your request ({reference})"),
                format!(
                    "Hello,\n\n\
                     We cannot grant your request for {what}.\n\n\
                     The reasons:\n{reasons}\n\n"
                ),
            )
        };
        body.push_str(&self.complaint_rights());
        self.letter(subject, body, Some(reference))
    }

    /// The request is done: what was done, the recipients told (Art. 19), what an erasure kept
    /// under which law, and the right to complain.
    pub fn completed(&self, reference: &str, completion: &Completion) -> Letter {
        let what = self.request_name(completion.request_type);
        let mut body = String::new();
        body.push_str(self.pick("Hello,\n\n", "Hej,\n\n"));
        let done = if completion.no_data_found {
            self.pick(
                "We have searched for personal data about you and found none: we do not process any personal data about you.",
                "Vi har sökt efter personuppgifter om dig och inte hittat några: vi behandlar inga personuppgifter om dig.",
            )
        } else if matches!(
            completion.request_type,
            RequestType::Objection | RequestType::WithdrawConsent
        ) && completion.purposes.is_empty()
            && !completion.not_applicable.is_empty()
        {
            self.pick(
                "We have assessed it: the right does not apply to the processing concerned, for the reasons below.",
                "Vi har bedömt den: rättigheten gäller inte den behandling som berörs, av skälen nedan.",
            )
        } else {
            self.done_text(completion.request_type, !completion.kept.is_empty())
        };
        let _ = writeln!(
            body,
            "{}",
            if self.sv() {
                format!("Din begäran om {what} är klar. {done}")
            } else {
                format!("Your request for {what} is complete. {done}")
            }
        );
        if !completion.purposes.is_empty() {
            let _ = writeln!(
                body,
                "\n{}",
                self.pick("The purposes concerned:", "De ändamål som berörs:")
            );
            for purpose in &completion.purposes {
                let _ = writeln!(body, "- {}", self.purpose_name(purpose));
            }
        }
        if !completion.kept.is_empty() {
            let _ = writeln!(
                body,
                "\n{}",
                self.pick(
                    "The law requires us to keep the following data (Article 17(3)(b) GDPR). We keep it only for that purpose, restricted from any other use, and delete it when the obligation ends:",
                    "Följande uppgifter måste vi enligt lag spara (artikel 17.3 b i dataskyddsförordningen). Vi sparar dem bara för det ändamålet, spärrade för all annan användning, och raderar dem när skyldigheten upphör:",
                )
            );
            for kept in &completion.kept {
                let _ = writeln!(body, "{}", self.kept_line(kept));
            }
        }
        if !completion.systems.is_empty() {
            body.push('\n');
            body.push_str(&self.systems_erased(&completion.systems));
        }
        if completion.request_type == RequestType::SafeguardCopy {
            body.push_str(&self.safeguards());
        }
        if let Some(controller) = &completion.transmitted_to {
            let _ = writeln!(
                body,
                "\n{}",
                if self.sv() {
                    format!(
                        "Som du bad om har vi också skickat uppgifterna direkt till {controller} (artikel 20.2 i dataskyddsförordningen)."
                    )
                } else {
                    format!(
                        "As you asked, we have also sent the data directly to {controller} (Article 20(2) GDPR)."
                    )
                }
            );
        }
        if !completion.not_applicable.is_empty() {
            body.push('\n');
            body.push_str(&self.not_applicable(completion));
        }
        if completion.request_type.notifies_recipients() && !completion.no_data_found {
            body.push('\n');
            body.push_str(&self.recipients_told(completion));
        }
        body.push('\n');
        body.push_str(&self.complaint_rights());
        let subject = if self.sv() {
            format!("Din begäran är klar ({reference})")
        } else {
            format!("Your request is complete ({reference})")
        };
        self.letter(subject, body, Some(reference))
    }

    fn done_text(&self, request_type: RequestType, kept_some: bool) -> &'static str {
        match request_type {
            RequestType::Access => self.pick(
                "Your register excerpt is ready: a copy of the personal data we process about you, with the purposes, the categories of data, the recipients, how long each category is kept, where data did not come from you its source, and your rights (Article 15 GDPR). We deliver it to you separately.",
                "Ditt registerutdrag är klart: en kopia av de personuppgifter vi behandlar om dig, med ändamålen, kategorierna av uppgifter, mottagarna, hur länge varje kategori sparas, varifrån uppgifterna kommer när de inte kommer från dig, och dina rättigheter (artikel 15 i dataskyddsförordningen). Vi lämnar det till dig separat.",
            ),
            RequestType::Portability => self.pick(
                "The personal data you have provided to us, which we process on the basis of your consent or a contract with you, is ready in machine-readable form (JSON and CSV in a zip file, Article 20 GDPR). We deliver it to you separately.",
                "De personuppgifter som du har lämnat till oss och som vi behandlar med stöd av ditt samtycke eller ett avtal med dig är klara i maskinläsbar form (JSON och CSV i en zip-fil, artikel 20 i dataskyddsförordningen). Vi lämnar dem till dig separat.",
            ),
            RequestType::Rectification => self.pick(
                "We have corrected your personal data as you asked (Article 16 GDPR).",
                "Vi har rättat dina personuppgifter enligt din begäran (artikel 16 i dataskyddsförordningen).",
            ),
            RequestType::Erasure if kept_some => self.pick(
                "We have erased your personal data (Article 17 GDPR), except the data listed below, which the law requires us to keep.",
                "Vi har raderat dina personuppgifter (artikel 17 i dataskyddsförordningen), utom de uppgifter som anges nedan och som vi enligt lag måste spara.",
            ),
            RequestType::Erasure => self.pick(
                "We have erased your personal data (Article 17 GDPR).",
                "Vi har raderat dina personuppgifter (artikel 17 i dataskyddsförordningen).",
            ),
            RequestType::Restriction => self.pick(
                "We have restricted the processing of your personal data (Article 18 GDPR): from now on we only store it, and use it for nothing else without your consent, except for legal claims or to protect the rights of others. We will tell you before the restriction is lifted.",
                "Vi har begränsat behandlingen av dina personuppgifter (artikel 18 i dataskyddsförordningen): från och med nu lagrar vi dem bara och använder dem inte till något annat utan ditt samtycke, utom för rättsliga anspråk eller för att skydda någon annans rättigheter. Vi meddelar dig innan begränsningen upphävs.",
            ),
            RequestType::Objection => self.pick(
                "We have stopped processing your personal data for the purposes you objected to (Article 21 GDPR).",
                "Vi har slutat behandla dina personuppgifter för de ändamål som du invände mot (artikel 21 i dataskyddsförordningen).",
            ),
            RequestType::WithdrawConsent => self.pick(
                "We have recorded the withdrawal of your consent. It applies from now on; processing before the withdrawal remains lawful (Article 7(3) GDPR).",
                "Vi har registrerat att du återkallar ditt samtycke. Återkallelsen gäller från och med nu; behandling före återkallelsen påverkas inte (artikel 7.3 i dataskyddsförordningen).",
            ),
            RequestType::MarketingOptOut => self.pick(
                "We will no longer use your personal data for direct marketing (Article 21(3) GDPR).",
                "Vi kommer inte längre att använda dina personuppgifter för direktmarknadsföring (artikel 21.3 i dataskyddsförordningen).",
            ),
            RequestType::SafeguardCopy if self.transfers() => self.pick(
                "Below is each recipient we transfer personal data to outside the EU/EEA, the safeguard that protects the transfer, and where you find a copy of it (Articles 13(1)(f) and 44-49 GDPR). Where a copy is not public, we send it to you on request, with only commercial terms removed.",
                "Nedan finns varje mottagare utanför EU/EES som vi överför personuppgifter till, den skyddsåtgärd som skyddar överföringen och var du hittar en kopia av den (artiklarna 13.1 f och 44–49 i dataskyddsförordningen). När en kopia inte är offentlig skickar vi den till dig på begäran, med bara affärsvillkor borttagna.",
            ),
            RequestType::SafeguardCopy => self.pick(
                "We do not transfer personal data outside the EU/EEA, so there is no safeguard to copy.",
                "Vi överför inga personuppgifter utanför EU/EES, så det finns ingen skyddsåtgärd att kopiera.",
            ),
            RequestType::Complaint => self.pick(
                "We have looked into your complaint in confidence and have answered you about what we found and what we have done.",
                "Vi har utrett ditt klagomål konfidentiellt och har svarat dig om vad vi kom fram till och vad vi har gjort.",
            ),
        }
    }

    /// Whether the register transfers data outside the EU/EEA (a recipient with `transfer`).
    fn transfers(&self) -> bool {
        self.register
            .recipients
            .iter()
            .any(|r| r.transfer.is_some())
    }

    /// Each transfer outside the EU/EEA: the recipient and its country, the safeguard, and
    /// where a copy is (`documented_in`); an Art. 49 derogation names its point.
    fn safeguards(&self) -> String {
        let mut text = String::new();
        for recipient in &self.register.recipients {
            let Some(transfer) = &recipient.transfer else {
                continue;
            };
            let country = recipient
                .country
                .map(|c| {
                    let country = skydd_notice::wording::country(self.language, c);
                    format!(", {} {country}", self.pick("in", "i"))
                })
                .unwrap_or_default();
            let mechanism =
                skydd_notice::wording::transfer_mechanism(self.language, transfer.mechanism);
            let _ = write!(
                text,
                "\n- {}{country}: {mechanism}",
                recipient.name.get(self.language)
            );
            if let Some(point) = transfer.derogation {
                let _ = write!(
                    text,
                    " ({})",
                    skydd_notice::wording::derogation(self.language, point)
                );
            }
            let copy = self.pick("a copy:", "en kopia:");
            let _ = writeln!(text, ";\n  {copy} {}", transfer.documented_in);
        }
        text
    }

    /// What the right did not reach and why, one line per purpose and reason; for
    /// portability, that an access request still gives a copy (Art. 15).
    fn not_applicable(&self, completion: &Completion) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{}",
            match completion.request_type {
                RequestType::Portability => self.pick(
                    "The right to data portability does not reach the following data:",
                    "Rätten till dataportabilitet omfattar inte följande uppgifter:",
                ),
                _ => self.pick(
                    "The right does not apply here:",
                    "Rättigheten gäller inte här:",
                ),
            }
        );
        for left in &completion.not_applicable {
            let _ = writeln!(text, "{}", self.left_out_line(left));
        }
        if completion.request_type == RequestType::Portability {
            let _ = writeln!(
                text,
                "{}",
                self.pick(
                    "You can still receive a copy of this data with a request for access (Article 15 GDPR).",
                    "Du kan fortfarande få en kopia av de uppgifterna genom att begära ett registerutdrag (artikel 15 i dataskyddsförordningen).",
                )
            );
        }
        text
    }

    /// "- Support tickets (Customer support): we process this data on legitimate interest
    /// (GDPR Art. 6(1)(f)), and the right reaches only ...".
    fn left_out_line(&self, left: &LeftOut) -> String {
        let purpose = self.purpose_name(&left.purpose);
        let what = if left.categories.is_empty() {
            purpose.to_string()
        } else {
            // Names after the first sit inside the sentence: "Namn och sekundära kontakter".
            let names: Vec<String> = left
                .categories
                .iter()
                .enumerate()
                .map(|(n, c)| match n {
                    0 => self.category_name(c).to_string(),
                    _ => skydd_notice::wording::lower_first(self.category_name(c)),
                })
                .collect();
            format!(
                "{} ({purpose})",
                skydd_notice::wording::join_and(self.language, &names)
            )
        };
        let basis = |basis| skydd_notice::wording::legal_basis(self.language, basis);
        let why = match (left.reason, self.language) {
            (NotApplicable::NotProvidedBySubject, Language::En) => {
                "you did not provide this data to us yourself, and the right reaches only data you provided (Article 20(1) GDPR)".to_string()
            }
            (NotApplicable::NotProvidedBySubject, Language::Sv) => {
                "du har inte själv lämnat uppgifterna till oss, och rätten omfattar bara uppgifter som du har lämnat (artikel 20.1 i dataskyddsförordningen)".to_string()
            }
            (NotApplicable::NotOnConsentOrContract { basis: b }, Language::En) => format!(
                "we process this data on the basis of {}, and the right reaches only data processed on your consent or a contract with you (Article 20(1)(a) GDPR)",
                basis(b)
            ),
            (NotApplicable::NotOnConsentOrContract { basis: b }, Language::Sv) => format!(
                "vi behandlar uppgifterna med stöd av {}, och rätten omfattar bara uppgifter som behandlas med stöd av ditt samtycke eller ett avtal med dig (artikel 20.1 a i dataskyddsförordningen)",
                basis(b)
            ),
            (NotApplicable::NotObjectable { basis: b }, Language::En) => format!(
                "we process this data on the basis of {}; the right to object reaches processing on legitimate interests or a task in the public interest, and direct marketing (Article 21 GDPR)",
                basis(b)
            ),
            (NotApplicable::NotObjectable { basis: b }, Language::Sv) => format!(
                "vi behandlar uppgifterna med stöd av {}; rätten att invända gäller behandling med stöd av berättigat intresse eller en uppgift av allmänt intresse, och direktmarknadsföring (artikel 21 i dataskyddsförordningen)",
                basis(b)
            ),
            (NotApplicable::NotOnConsent, Language::En) => {
                "this processing does not rest on your consent, so there is no consent to withdraw (Article 7(3) GDPR)".to_string()
            }
            (NotApplicable::NotOnConsent, Language::Sv) => {
                "den här behandlingen grundar sig inte på ditt samtycke, så det finns inget samtycke att återkalla (artikel 7.3 i dataskyddsförordningen)".to_string()
            }
        };
        format!("- {what}: {why}.")
    }

    /// Who was told of a rectification, erasure or restriction (Art. 19).
    fn recipients_told(&self, completion: &Completion) -> String {
        let action = match (completion.request_type, self.language) {
            (RequestType::Rectification, Language::En) => "the correction",
            (RequestType::Rectification, Language::Sv) => "rättelsen",
            (RequestType::Erasure, Language::En) => "the erasure",
            (RequestType::Erasure, Language::Sv) => "raderingen",
            (_, Language::En) => "the restriction",
            (_, Language::Sv) => "begränsningen",
        };
        let mut text = String::new();
        match &completion.recipients {
            None => {
                let _ = writeln!(
                    text,
                    "{}",
                    if self.sv() {
                        format!(
                            "Vi underrättar alla som vi har lämnat ut uppgifterna till om {action} (artikel 19 i dataskyddsförordningen); du kan fråga oss vilka de är."
                        )
                    } else {
                        format!(
                            "We tell everyone we disclosed the data to about {action} (Article 19 GDPR); you can ask us who they are."
                        )
                    }
                );
            }
            Some(recipients) if recipients.is_empty() => {
                let _ = writeln!(
                    text,
                    "{}",
                    self.pick(
                        "We have not disclosed the data concerned to anyone else, so there was no one else to tell (Article 19 GDPR).",
                        "Vi har inte lämnat ut de berörda uppgifterna till någon annan, så det fanns ingen annan att underrätta (artikel 19 i dataskyddsförordningen).",
                    )
                );
            }
            Some(recipients) => {
                let _ = writeln!(
                    text,
                    "{}",
                    if self.sv() {
                        format!(
                            "Vi har underrättat dessa mottagare av uppgifterna om {action} (artikel 19 i dataskyddsförordningen):"
                        )
                    } else {
                        format!(
                            "We have told these recipients of the data about {action} (Article 19 GDPR):"
                        )
                    }
                );
                for recipient in recipients {
                    let _ = writeln!(text, "- {}", self.recipient_name(recipient));
                }
            }
        }
        text
    }

    /// Advance notice that a restriction will be lifted (Art. 18(3)), with the reasons.
    pub fn restriction_lifting(
        &self,
        reference: &str,
        lifted_at: Timestamp,
        reasons: &str,
    ) -> Letter {
        let on = self.date(lifted_at.to_zoned(self.zone.clone()).date());
        let reasons = reasons.trim();
        let (subject, mut body) = if self.sv() {
            (
                format!("Begränsningen av behandlingen upphävs ({reference})"),
                format!(
                    "Hej,\n\n\
                     På din begäran har vi begränsat behandlingen av dina personuppgifter. \
                     Enligt artikel 18.3 i dataskyddsförordningen meddelar vi dig i förväg att \
                     begränsningen upphävs den {on}. Därefter behandlar vi uppgifterna igen \
                     enligt vår integritetspolicy.\n\n\
                     Skälen:\n{reasons}\n\n"
                ),
            )
        } else {
            (
                format!("The restriction of processing will be lifted ({reference})"),
                format!(
                    "Hello,\n\n\
                     At your request we restricted the processing of your personal data. As \
                     Article 18(3) GDPR requires, we tell you in advance that the restriction \
                     will be lifted on {on}. From then on we process the data again as our \
                     privacy notice describes.\n\n\
                     The reasons:\n{reasons}\n\n"
                ),
            )
        };
        body.push_str(&self.complaint_rights());
        self.letter(subject, body, Some(reference))
    }

    /// Notice to a recipient that data it received was rectified, erased or restricted
    /// (Art. 19). The subject is named only by `subject_reference`, a pseudonym the recipient
    /// can match against what it received.
    pub fn recipient_notice(
        &self,
        recipient: &RecipientId,
        action: RecipientAction,
        categories: &[CategoryId],
        subject_reference: &str,
        reference: &str,
    ) -> Letter {
        let controller = &self.register.controller.name;
        let recipient_name = self.recipient_name(recipient);
        let (done_en, done_sv, ask_en, ask_sv) = match action {
            RecipientAction::Rectified => (
                "rectified",
                "rättats",
                "Please correct your copy: fetch the corrected data through the channel we use to share data with you, quoting the reference above.",
                "Rätta er kopia: hämta de rättade uppgifterna via den kanal vi använder för att dela uppgifter med er, och ange referensen ovan.",
            ),
            RecipientAction::Erased => (
                "erased",
                "raderats",
                "Please erase the data concerned in your systems, unless you are obliged by law to keep it.",
                "Radera de berörda uppgifterna i era system, om ni inte är skyldiga enligt lag att spara dem.",
            ),
            RecipientAction::Restricted => (
                "restricted",
                "begränsats",
                "Please restrict your processing of the data concerned to storage until we tell you the restriction is lifted.",
                "Begränsa er behandling av de berörda uppgifterna till lagring tills vi meddelar att begränsningen har upphävts.",
            ),
        };
        let mut list = String::new();
        for category in categories {
            let _ = writeln!(list, "- {}", self.category_name(category));
        }
        let (subject, body) = if self.sv() {
            (
                format!(
                    "Underrättelse enligt artikel 19: personuppgifter har {done_sv} ({reference})"
                ),
                format!(
                    "Till: {recipient_name}\n\n\
                     Enligt artikel 19 i dataskyddsförordningen underrättar {controller} er om \
                     att personuppgifter som vi har lämnat ut till er har {done_sv} efter en \
                     begäran från den registrerade.\n\n\
                     Den registrerades referens: {subject_reference}\n\n\
                     Berörda kategorier:\n{list}\n\
                     {ask_sv}\n"
                ),
            )
        } else {
            (
                format!("Article 19 GDPR notice: personal data {done_en} ({reference})"),
                format!(
                    "To: {recipient_name}\n\n\
                     Under Article 19 GDPR, {controller} notifies you that personal data we \
                     disclosed to you has been {done_en} at the request of the data subject.\n\n\
                     The data subject's reference: {subject_reference}\n\n\
                     Categories concerned:\n{list}\n\
                     {ask_en}\n"
                ),
            )
        };
        self.letter(subject, body, Some(reference))
    }

    /// The subject's rights after a decision: complain to the supervisory authority (Art. 77)
    /// and seek a judicial remedy (Art. 79).
    fn complaint_rights(&self) -> String {
        let authority = &self.register.authority;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{}\n  {}",
            self.pick(
                "If you are not satisfied with how we handle your request, you have the right to lodge a complaint with the supervisory authority:",
                "Om du inte är nöjd med hur vi hanterar din begäran har du rätt att lämna in ett klagomål till tillsynsmyndigheten:",
            ),
            authority.name.get(self.language)
        );
        let lines = [
            (
                self.pick("Address", "Adress"),
                authority.address_in(self.language),
            ),
            (self.pick("Phone", "Telefon"), authority.phone.as_deref()),
            (self.pick("E-mail", "E-post"), authority.email.as_deref()),
            (self.pick("Web", "Webb"), authority.url.as_deref()),
        ];
        for (label, value) in lines {
            if let Some(value) = value {
                let _ = writeln!(text, "  {label}: {value}");
            }
        }
        text.push_str(self.pick(
            "You may also complain to the supervisory authority of the EU/EEA member state where you live or work, or where the alleged infringement took place (Article 77 GDPR), and you have the right to an effective judicial remedy in court (Articles 78 and 79 GDPR).\n",
            "Du kan också klaga hos tillsynsmyndigheten i det EU/EES-land där du bor eller arbetar eller där den påstådda överträdelsen ägde rum (artikel 77 i dataskyddsförordningen), och du har rätt till ett effektivt rättsmedel i domstol (artiklarna 78 och 79).\n",
        ));
        text
    }

    /// Per connected system: the tables, fields and rows erased, and what a hold kept.
    fn systems_erased(&self, systems: &[SystemErasure]) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{}",
            self.pick(
                "In our other systems we erased:",
                "I våra övriga system raderade vi:"
            )
        );
        for system in systems {
            let _ = writeln!(text, "- {}:", system.system);
            if system.tables.is_empty() && system.redacted.is_empty() {
                let _ = writeln!(
                    text,
                    "  {}",
                    self.pick(
                        "nothing was stored about you there",
                        "där fanns inget lagrat om dig"
                    )
                );
            }
            let rows = |n: u64| {
                if self.sv() {
                    format!("{n} rad{}", if n == 1 { "" } else { "er" })
                } else {
                    format!("{n} row{}", if n == 1 { "" } else { "s" })
                }
            };
            for table in &system.tables {
                let rows = rows(table.rows);
                let fields = if table.fields.iter().any(|f| f == "delete_row") {
                    self.pick("whole rows deleted", "hela rader raderade")
                        .to_owned()
                } else {
                    table.fields.join(", ")
                };
                let _ = writeln!(text, "  {} ({rows}): {fields}", table.table);
            }
            for table in &system.redacted {
                let _ = writeln!(
                    text,
                    "  {} ({}): {} {}",
                    table.table,
                    rows(table.rows),
                    self.pick(
                        "text that mentioned you, with each mention replaced by its kind (such as [email]), in",
                        "text som nämnde dig, där varje omnämnande ersattes med sin typ (till exempel [email]), i"
                    ),
                    table.fields.join(", ")
                );
            }
            for kept in &system.kept {
                let hold = self.register.legal_holds.iter().find(|h| h.id == kept.hold);
                let name = hold.map_or(kept.hold.as_str(), |h| h.name.get(self.language));
                let _ = writeln!(
                    text,
                    "  {} {}: {name}",
                    kept.field,
                    self.pick("kept", "sparas"),
                );
            }
        }
        text
    }

    fn kept_line(&self, kept: &KeptUnderHold) -> String {
        let hold = self.register.legal_holds.iter().find(|h| h.id == kept.hold);
        let (name, law) = hold.map_or((kept.hold.as_str(), ""), |h| {
            (h.name.get(self.language), h.law.get(self.language))
        });
        let categories: Vec<&str> = kept
            .categories
            .iter()
            .map(|c| self.category_name(c))
            .collect();
        let mut line = format!("- {name} ({})", categories.join(", "));
        if !law.is_empty() {
            let _ = write!(line, ": {law}");
        }
        if let Some(until) = kept.until {
            let until = self.date(until);
            let _ = write!(line, "{}", self.pick(", kept until ", ", sparas till "));
            line.push_str(&until);
        }
        line
    }

    fn category_name<'s>(&'s self, id: &'s CategoryId) -> &'s str {
        self.register
            .category(id)
            .map_or(id.as_str(), |c| c.name.get(self.language))
    }

    fn recipient_name<'s>(&'s self, id: &'s RecipientId) -> &'s str {
        self.register
            .recipients
            .iter()
            .find(|r| &r.id == id)
            .map_or(id.as_str(), |r| r.name.get(self.language))
    }

    fn purpose_name<'s>(&'s self, id: &'s PurposeId) -> &'s str {
        self.register
            .purpose(id)
            .map_or(id.as_str(), |p| p.name.get(self.language))
    }

    fn request_name(&self, request_type: RequestType) -> &'static str {
        match (request_type, self.language) {
            (RequestType::Access, Language::En) => "access to your personal data",
            (RequestType::Access, Language::Sv) => "tillgång till dina personuppgifter",
            (RequestType::Portability, Language::En) => {
                "a copy of your data to take elsewhere (data portability)"
            }
            (RequestType::Portability, Language::Sv) => {
                "en kopia av dina uppgifter att flytta (dataportabilitet)"
            }
            (RequestType::Rectification, Language::En) => "rectification of your personal data",
            (RequestType::Rectification, Language::Sv) => "rättelse av dina personuppgifter",
            (RequestType::Erasure, Language::En) => "erasure of your personal data",
            (RequestType::Erasure, Language::Sv) => "radering av dina personuppgifter",
            (RequestType::Restriction, Language::En) => "restriction of processing",
            (RequestType::Restriction, Language::Sv) => "begränsning av behandlingen",
            (RequestType::Objection, Language::En) => "an objection to processing",
            (RequestType::Objection, Language::Sv) => "invändning mot behandlingen",
            (RequestType::WithdrawConsent, Language::En) => "withdrawal of your consent",
            (RequestType::WithdrawConsent, Language::Sv) => "återkallelse av ditt samtycke",
            (RequestType::MarketingOptOut, Language::En) => "no more direct marketing",
            (RequestType::MarketingOptOut, Language::Sv) => "att inte få direktmarknadsföring",
            (RequestType::SafeguardCopy, Language::En) => {
                "a copy of the safeguards for transfers of personal data outside the EU/EEA"
            }
            (RequestType::SafeguardCopy, Language::Sv) => {
                "en kopia av skyddsåtgärderna för överföringar av personuppgifter utanför EU/EES"
            }
            (RequestType::Complaint, Language::En) => {
                "a complaint about how we process your personal data"
            }
            (RequestType::Complaint, Language::Sv) => {
                "ett klagomål på hur vi behandlar dina personuppgifter"
            }
        }
    }

    /// A date in words: "30 April 2026", "30 april 2026".
    fn date(&self, date: Date) -> String {
        let language = if self.sv() {
            Language::Sv
        } else {
            Language::En
        };
        let month = language.month_name(date.month());
        format!("{} {month} {}", date.day(), date.year())
    }

    /// A time and date: "14:35 on 30 April 2026", "kl. 14.35 den 30 april 2026".
    fn date_time(&self, at: Timestamp) -> String {
        let local: Zoned = at.to_zoned(self.zone.clone());
        let date = self.date(local.date());
        if self.sv() {
            format!("kl. {:02}.{:02} den {date}", local.hour(), local.minute())
        } else {
            format!("{:02}:{:02} on {date}", local.hour(), local.minute())
        }
    }

    /// The letter with the controller's signature and, for a request, its reference.
    fn letter(&self, subject: String, mut body: String, reference: Option<&str>) -> Letter {
        let controller = &self.register.controller.name;
        body.push('\n');
        body.push_str(self.pick("Kind regards,\n", "Vänliga hälsningar,\n"));
        let _ = writeln!(body, "{controller}");
        let contact = self.contact();
        for line in contact_lines(contact) {
            let _ = writeln!(body, "{line}");
        }
        if let Some(reference) = reference {
            let _ = writeln!(
                body,
                "\n{} {reference}",
                self.pick(
                    "Please quote this reference when you contact us:",
                    "Ange den här referensen när du kontaktar oss:",
                )
            );
        }
        Letter {
            subject,
            text: body,
        }
    }

    /// Where requests go: the rights policy's contact, else the controller's.
    fn contact(&self) -> &Contact {
        let rights = &self.register.rights.contact;
        if contact_lines(rights).is_empty() {
            &self.register.controller.contact
        } else {
            rights
        }
    }
}

fn contact_lines(contact: &Contact) -> Vec<&str> {
    [
        contact.email.as_deref(),
        contact.phone.as_deref(),
        contact.url.as_deref(),
        contact.postal.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
