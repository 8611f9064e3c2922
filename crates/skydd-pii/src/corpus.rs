//! A generated, labelled corpus of support tickets, chats, e-mails and notes in Swedish and
//! English, to measure the recognizers ([`evaluation`](crate::evaluation)) and their speed.
//!
//! Deterministic: the same seed and reference date give the same documents, byte for byte
//! (SplitMix64, no `rand`). Each [`Template`] belongs to one [`Split`]: recognizers are tuned
//! on the `tuning` templates only, and the `test` templates, whose sentences, layouts and
//! context words no tuned text shares, say how well they do on text they were not tuned on.
//!
//! Values are random but valid (a personnummer has a real date and check digit, an IBAN its
//! mod-97 digits ...) and written in the spellings people use, including a few the recognizers
//! do not take (3 % of personnummer with a space for the separator, 3 % of Swedish phone
//! numbers with the area code in brackets, streets without a street-word ending), so recall
//! is not 1 by construction. Decoys that look like personal
//! data and are not (order, invoice, OCR, parcel and ticket numbers, dates, times, amounts,
//! versions, ISBNs) are random and unlabelled, so a decoy that happens to pass a check counts
//! as a false positive, as it would in real text.
//!
//! Names are labelled where the subject's whole name or first and last name is written:
//! that is what a search for the subject looks for ([`Document::names`] is its context).
//! A lone first name (`Mvh Anna`) and the names of others (the support agent) are not labelled.

use jiff::civil::Date;
use serde::Serialize;

use crate::checksum::luhn;
use crate::finding::Kind;

/// A labelled span: `kind` at bytes `start..end` of a document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Label {
    /// What is there.
    pub kind: Kind,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// Which part of the corpus a template belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Templates the recognizers may be tuned on.
    Tuning,
    /// Templates kept apart to measure the recognizers.
    Test,
}

/// The language of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Swedish.
    Swedish,
    /// English.
    English,
}

/// A text with placeholders (`{pnr}`, `{email}` ...) that a [`Generator`] fills in.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// Stable id (`sv-ticket-login`).
    pub id: &'static str,
    /// Its language.
    pub language: Language,
    /// Its split.
    pub split: Split,
    /// The text; placeholders are listed in [`PLACEHOLDERS`].
    pub text: &'static str,
}

/// The placeholders a template may use.
///
/// Labelled: `name` (the subject), `pnr`, `samordning`, `email`, `phone` (Swedish),
/// `phone_intl` (another EU/EEA country), `orgnr`, `iban`, `card`, `ip`, `address`.
/// Unlabelled: `first` (the subject's first name alone), `agent` (someone else's first name,
/// the same in one document), `order`, `invoice`, `ocr`, `tracking`, `ticket`, `number` (6 to
/// 12 random digits, no word saying what they are), `date`, `time`, `timestamp`, `amount`,
/// `version`, `isbn`.
pub const PLACEHOLDERS: &[&str] = &[
    "name",
    "pnr",
    "samordning",
    "email",
    "phone",
    "phone_intl",
    "orgnr",
    "iban",
    "card",
    "ip",
    "address",
    "first",
    "agent",
    "order",
    "invoice",
    "ocr",
    "tracking",
    "ticket",
    "number",
    "date",
    "time",
    "timestamp",
    "amount",
    "version",
    "isbn",
];

const fn template(id: &'static str, split: Split, text: &'static str) -> Template {
    let language = if id.as_bytes()[0] == b's' {
        Language::Swedish
    } else {
        Language::English
    };
    Template {
        id,
        language,
        split,
        text,
    }
}

use Split::{Test, Tuning};

/// The templates: 16 Swedish and 16 English, 5 of each in the test split.
pub const TEMPLATES: &[Template] = &[
    // Swedish, tuning.
    template(
        "sv-ticket-login",
        Tuning,
        "Hej,\n\nJag kan inte logga in på mitt konto. Jag heter {name} och mitt personnummer är {pnr}. Min mejl är {email}. Kan ni ringa mig på {phone}?\n\nMvh {first}",
    ),
    template(
        "sv-ticket-invoice",
        Tuning,
        "Ämne: Fel på faktura {invoice}\n\nHej! Fakturan från {date} är fel, beloppet {amount} stämmer inte. Betala gärna tillbaka till {iban}. Ordernummer {order}.\n\n/{name}\n{address}",
    ),
    template(
        "sv-chat-address",
        Tuning,
        "{agent}: Hej och välkommen till kundtjänst! Vad gäller det?\nKund: hej, jag har flyttat\nKund: ny adress är {address}\n{agent}: Tack! Och ditt personnummer?\nKund: {pnr}\n{agent}: Toppen, adressen gäller från {date}.",
    ),
    template(
        "sv-email-access",
        Tuning,
        "Till dataskyddsombudet\n\nJag, {name} ({pnr}), begär enligt artikel 15 i dataskyddsförordningen ett registerutdrag. Svara till {email} eller per post till {address}.\n\nVänliga hälsningar\n{name}\nTel: {phone}",
    ),
    template(
        "sv-ticket-card",
        Tuning,
        "Hej, jag blev dragen två gånger på kortet {card} den {date} kl {time}. Ordernummer: {order}. Belopp {amount}. Mvh {name}, {phone}",
    ),
    template(
        "sv-note-callback",
        Tuning,
        "Ring upp {name} på {phone} efter kl {time}. Kunden har tillfälligt nummer {phone_intl} under resan. Ärende #{ticket}, senast uppdaterat {date}.",
    ),
    template(
        "sv-chat-company",
        Tuning,
        "Kund: Hej, vi är ett aktiebolag med org.nr {orgnr} och vill byta konto för autogiro till {iban}\n{agent}: Absolut, vem är kontaktperson?\nKund: {name}, {email}\n{agent}: Tack, ändringen syns på faktura {invoice}.",
    ),
    template(
        "sv-ticket-security",
        Tuning,
        "Misstänkt inloggning på kontot för {email} från IP {ip} den {date} {time}. Kunden {name} har bekräftat att det inte var hen. Appversion {version}. Ärende #{ticket}, engångskod {number}.",
    ),
    template(
        "sv-ticket-delivery",
        Tuning,
        "Hej! Mitt paket med kollinummer {tracking} har inte kommit fram. Leveransadress: {address}. Nå mig på {phone} eller {email}. /{first}",
    ),
    template(
        "sv-note-samordning",
        Tuning,
        "{name} saknar svenskt personnummer och har samordningsnummer {samordning}. Kontakt via {email}. Faktura {invoice} skickad {date}, OCR {ocr}.",
    ),
    template(
        "sv-chat-refund",
        Tuning,
        "Kund: hej! fick fel vara i order {order}\n{agent}: Oj, förlåt! Vill du ha pengarna tillbaka till kortet som slutar på {amount}?\nKund: nej till mitt konto {iban} tack\nKund: jag heter {name} btw\n{agent}: Noterat {first}, det tar 3-5 bankdagar.",
    ),
    // Swedish, test.
    template(
        "sv-email-complaint",
        Test,
        "Hej!\n\nJag heter {name} och bor på {address}. Jag vill klaga på ordern {order} som levererades {date}. Jag betalade med {card} och nås på {phone} eller {email}.\n\nHälsningar,\n{name}",
    ),
    template(
        "sv-chat-bank",
        Test,
        "Kund: hej vill ändra mitt kontonummer\n{agent}: Självklart! Vad är ditt personnummer?\nKund: har bara samordningsnummer: {samordning}\nKund: nya kontot är {iban}\n{agent}: Klart, ändrat {date}. Något mer {first}?\nKund: nej tack, ha en bra dag",
    ),
    template(
        "sv-form-moving",
        Test,
        "Flyttanmälan\nNamn: {name}\nPnr: {pnr}\nFlyttdag: {date}\nNy adress: {address}\nE-post: {email}\nMobil: {phone}",
    ),
    template(
        "sv-note-it",
        Test,
        "Anteckning {date} {time}: {name} ringde från {phone_intl} och sa att inloggningen från {ip} inte var hen. Bokning {order}, version {version}. Kod {number} skickad {timestamp}.",
    ),
    template(
        "sv-email-supplier",
        Test,
        "Hej,\nBifogat finns faktura {invoice} från oss (org.nr {orgnr}). Betala till {iban} senast {date}, ange OCR {ocr}. Frågor? Kontakta {name} på {email} eller {phone}.",
    ),
    // English, tuning.
    template(
        "en-ticket-login",
        Tuning,
        "Hi,\n\nI can't sign in to my account. My name is {name}, personal identity number {pnr}, and my email is {email}. Please call me on {phone}.\n\nThanks, {first}",
    ),
    template(
        "en-ticket-invoice",
        Tuning,
        "Subject: Wrong invoice {invoice}\n\nHello, the invoice dated {date} charges {amount}, which is wrong. Please refund it to {iban}. Order {order}.\n\nRegards,\n{name}",
    ),
    template(
        "en-chat-travel",
        Tuning,
        "{agent}: Hello! How can I help you today?\nCustomer: hi, i'm abroad and my swedish number doesn't work\nCustomer: you can reach me on {phone_intl} instead\n{agent}: Noted. Can I have your full name?\nCustomer: {name}\n{agent}: Thank you {first}, updated at {time}.",
    ),
    template(
        "en-email-erasure",
        Tuning,
        "Dear Data Protection Officer,\n\nUnder Article 17 GDPR I ask you to erase all data about me, {name}, born with Swedish personal number {pnr}. My email addresses are {email} and my phone is {phone}.\n\nSincerely,\n{name}",
    ),
    template(
        "en-ticket-payment",
        Tuning,
        "Payment failed for order {order} on {date} at {time}. Card used: {card}. Amount: {amount}. Customer: {name} ({email}).",
    ),
    template(
        "en-note-fraud",
        Tuning,
        "Fraud check: login for {email} from IP address {ip}, client version {version}. Customer {name} confirmed by phone {phone}. Case #{ticket}.",
    ),
    template(
        "en-chat-delivery",
        Tuning,
        "Customer: where is my parcel?? tracking {tracking}\n{agent}: Let me check. Delivery address?\nCustomer: {address}\n{agent}: It arrives {date}. Anything else, {first}?",
    ),
    template(
        "en-email-supplier",
        Tuning,
        "Hello,\n\nWe are a Swedish company (corporate identity number {orgnr}). Please pay invoice {invoice} to {iban} by {date}, reference {ocr}.\n\nBest regards,\n{name}\n{phone}",
    ),
    template(
        "en-note-coordination",
        Tuning,
        "Customer {name} has no Swedish personal identity number; coordination number {samordning}. Contact: {email}, {phone_intl}.",
    ),
    template(
        "en-ticket-books",
        Tuning,
        "Order {order}: the book with ISBN {isbn} arrived damaged. Please send a new one to {name}, {address}. Call {phone} if needed.",
    ),
    template(
        "en-form-signup",
        Tuning,
        "New account\nName: {name}\nEmail: {email}\nPhone: {phone}\nIP: {ip}\nSigned up: {timestamp}\nCode: {number}",
    ),
    // English, test.
    template(
        "en-email-complaint",
        Test,
        "Hello,\n\nThis is {name}. I live at {address} and my order {order} from {date} never came. I paid with the card {card}. You can email me at {email} or call {phone}.\n\nKind regards,\n{name}",
    ),
    template(
        "en-chat-bank",
        Test,
        "{agent}: Good morning, how can I help?\nCustomer: i need to update my bank details\n{agent}: Sure, your Swedish personal number please?\nCustomer: {pnr}\nCustomer: new account {iban}\n{agent}: Done, {first}. Effective {date}.",
    ),
    template(
        "en-note-security",
        Test,
        "{date} {time} — {name} reported a login from {ip} that they did not make. They called from {phone_intl}. Booking {order}, app {version}, one-time code {number}.",
    ),
    template(
        "en-form-contact",
        Test,
        "Contact form\nFull name: {name}\nPersonal number: {pnr}\nE-mail: {email}\nMobile: {phone}\nAddress: {address}\nMessage: please check invoice {invoice}",
    ),
    template(
        "en-email-partner",
        Test,
        "Hi team,\n\nOur partner (org no {orgnr}) asks us to pay to {iban}. Their contact is {name}, {email}, {phone}. Invoice {invoice}, ISBN list attached ({isbn}).\n\nCheers",
    ),
];

/// SplitMix64: a small, fast, well-mixed sequence; enough for generated text.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u32, high: u32) -> u32 {
        low + (self.next() % u64::from(high - low + 1)) as u32
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `n` random decimal digits as values 0-9.
    fn digits(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() % 10) as u8).collect()
    }
}

/// One generated text with its labels.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// The text.
    pub text: String,
    /// The personal data in it.
    pub labels: Vec<Label>,
    /// The id of its template.
    pub template: &'static str,
    /// The split of its template.
    pub split: Split,
    /// The language of its template.
    pub language: Language,
    /// The subject's name, as a search for them would know it.
    pub names: Vec<String>,
}

/// The subject of one document.
struct Person {
    first: &'static str,
    agent: &'static str,
    middle: Option<&'static str>,
    last: &'static str,
    birth: (i16, i8, i8),
    serial: [u8; 3],
    email: String,
}

const FIRST_SV: &[&str] = &[
    "Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Anders", "Sara", "Mikael", "Åsa",
    "Björn", "Ingrid", "Örjan", "Linnéa", "Per", "Elin", "Oskar", "Märta", "Nils", "Zeynep",
    "Ahmed",
];
const FIRST_EN: &[&str] = &[
    "James", "Emily", "Oliver", "Sophie", "Liam", "Olivia", "Noah", "Grace", "Jack", "Chloe",
    "Ethan", "Mia", "Lucas", "Hannah", "Aoife", "Siobhan",
];
const MIDDLE: &[&str] = &[
    "Maria",
    "Louise",
    "Johan",
    "Marie",
    "Elisabeth",
    "Karl",
    "Rose",
];
const LAST_SV: &[&str] = &[
    "Svensson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Andersson",
    "Lindqvist",
    "Öberg",
    "Åkesson",
    "Bäckström",
    "Sjögren",
    "Lindén",
    "Hägg",
    "Yilmaz",
];
const LAST_EN: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Murphy", "Walsh", "Clarke",
    "O'Connor", "Evans", "Hughes",
];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "hotmail.se",
    "outlook.com",
    "telia.com",
    "example.se",
    "foretaget.se",
    "mail.co.uk",
    "web.de",
    "icloud.com",
];
const STREETS: &[&str] = &[
    "Storgatan",
    "Drottninggatan",
    "Kungsvägen",
    "Björkvägen",
    "Sankt Eriksgatan",
    "Åsvägen",
    "Lilla Nygatan",
    "Tallstigen",
    "Ekbacken",
    "Järntorget",
    "Skeppsbron",
    "Östra Hamngatan",
    "Industrigatan",
    "Ringvägen",
    "Solgränd",
    "Kungsholms strand",
    "Hamnplan",
    "Lövängsgatan",
];
const TOWNS: &[&str] = &[
    "Stockholm",
    "Göteborg",
    "Malmö",
    "Uppsala",
    "Västerås",
    "Örebro",
    "Linköping",
    "Umeå",
    "Luleå",
    "Lund",
    "Sundsvall",
    "Upplands-Bro",
    "STOCKHOLM",
];
const MONTHS_SV: &[&str] = &[
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
];

/// Makes documents from templates, deterministically.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: SplitMix64,
    reference: Date,
}

impl Generator {
    /// A generator with a seed and the reference date its personnummer are valid at.
    pub fn new(seed: u64, reference: Date) -> Generator {
        Generator {
            rng: SplitMix64(seed),
            reference,
        }
    }

    /// The next document of a random template of `split`.
    pub fn next_document(&mut self, split: Split) -> Document {
        let count = TEMPLATES.iter().filter(|t| t.split == split).count();
        let n = self.rng.below(count.max(1));
        match TEMPLATES.iter().filter(|t| t.split == split).nth(n) {
            Some(template) => self.document(template),
            None => self.document(&TEMPLATES[0]),
        }
    }

    /// A document of `template`, with a new subject and new values.
    pub fn document(&mut self, template: &Template) -> Document {
        let person = self.person(template.language);
        let names = vec![match person.middle {
            Some(middle) => format!("{} {middle} {}", person.first, person.last),
            None => format!("{} {}", person.first, person.last),
        }];
        let mut text = String::with_capacity(template.text.len() * 2);
        let mut labels = Vec::new();
        let mut rest = template.text;
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                text.push_str(&rest[open..]);
                rest = "";
                break;
            };
            let placeholder = &rest[open + 1..open + close];
            rest = &rest[open + close + 1..];
            let (value, kind) = self.value(placeholder, &person, template);
            let start = text.len();
            text.push_str(&value);
            if let Some(kind) = kind {
                labels.push(Label {
                    kind,
                    start,
                    end: text.len(),
                });
            }
        }
        text.push_str(rest);
        Document {
            text,
            labels,
            template: template.id,
            split: template.split,
            language: template.language,
            names,
        }
    }

    fn person(&mut self, language: Language) -> Person {
        let swedish = language == Language::Swedish || self.rng.chance(30);
        let (firsts, lasts) = if swedish {
            (FIRST_SV, LAST_SV)
        } else {
            (FIRST_EN, LAST_EN)
        };
        let first = *self.rng.pick(firsts);
        let last = *self.rng.pick(lasts);
        let middle = self.rng.chance(25).then(|| *self.rng.pick(MIDDLE));
        let middle = middle.filter(|m| *m != first);
        // Ages 1 to 104 at the reference date.
        let age = self.rng.between(1, 104) as i16;
        let year = self.reference.year() - age;
        let month = self.rng.between(1, 12) as i8;
        let last_day = Date::new(year, month, 1)
            .map(|d| d.days_in_month())
            .unwrap_or(28);
        let day = self.rng.between(1, last_day as u32) as i8;
        let mut serial = [0u8; 3];
        serial.copy_from_slice(&self.rng.digits(3));
        let email = self.email(first, last);
        let agent = *self.rng.pick(FIRST_SV);
        let agent = if agent == first { "Kim" } else { agent };
        Person {
            first,
            agent,
            middle,
            last,
            birth: (year, month, day),
            serial,
            email,
        }
    }

    fn email(&mut self, first: &str, last: &str) -> String {
        let ascii = |s: &str| -> String {
            s.chars()
                .filter_map(|c| match c {
                    'å' | 'ä' | 'Å' | 'Ä' => Some('a'),
                    'ö' | 'Ö' => Some('o'),
                    'é' => Some('e'),
                    '\'' => None,
                    c => Some(c.to_ascii_lowercase()),
                })
                .collect()
        };
        let (f, l) = (ascii(first), ascii(last));
        let domain = self.rng.pick(DOMAINS);
        let local = match self.rng.below(5) {
            0 => format!("{f}.{l}"),
            1 => format!("{}{l}{}", &f[..1], self.rng.between(10, 99)),
            2 => format!("{f}_{l}"),
            3 => format!("{f}.{l}+kundtjanst"),
            _ => format!("{f}{}", self.rng.between(1950, 2010)),
        };
        let address = format!("{local}@{domain}");
        if self.rng.chance(10) {
            let mut chars = address.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or(address)
        } else {
            address
        }
    }

    /// The text of one placeholder and its label, if it is personal data.
    fn value(
        &mut self,
        placeholder: &str,
        person: &Person,
        template: &Template,
    ) -> (String, Option<Kind>) {
        let labelled = |value: String, kind: Kind| (value, Some(kind));
        match placeholder {
            "name" => {
                let mut name = match (person.middle, self.rng.chance(50)) {
                    (Some(middle), true) => {
                        format!("{} {middle} {}", person.first, person.last)
                    }
                    _ => format!("{} {}", person.first, person.last),
                };
                if template.id.contains("chat") && self.rng.chance(40) {
                    name = name.to_lowercase();
                } else if self.rng.chance(5) {
                    name = name.to_uppercase();
                }
                labelled(name, Kind::Name)
            }
            "first" => (person.first.to_owned(), None),
            "agent" => (person.agent.to_owned(), None),
            "pnr" => labelled(self.personnummer(person, false), Kind::Personnummer),
            "samordning" => labelled(self.personnummer(person, true), Kind::Samordningsnummer),
            "email" => labelled(person.email.clone(), Kind::Email),
            "phone" => labelled(self.swedish_phone(), Kind::Phone),
            "phone_intl" => labelled(self.international_phone(), Kind::Phone),
            "orgnr" => labelled(self.organisationsnummer(), Kind::Organisationsnummer),
            "iban" => labelled(self.iban(), Kind::Iban),
            "card" => labelled(self.card(), Kind::Card),
            "ip" => labelled(self.ip(), Kind::IpAddress),
            "address" => labelled(self.address(), Kind::Address),
            "order" => (self.order(), None),
            "invoice" => {
                let len = self.rng.between(6, 10) as usize;
                (self.number(len), None)
            }
            "ocr" => (self.ocr(), None),
            "tracking" => (self.tracking(), None),
            "ticket" => (self.number(6), None),
            "number" => {
                let len = self.rng.between(6, 12) as usize;
                (self.number(len), None)
            }
            "timestamp" => (self.timestamp(), None),
            "date" => (self.date(template.language), None),
            "time" => (self.time(), None),
            "amount" => (self.amount(template.language), None),
            "version" => (self.version(), None),
            "isbn" => (self.isbn(), None),
            _ => (String::new(), None),
        }
    }

    /// A personnummer (or samordningsnummer) of `person` in one of its spellings.
    fn personnummer(&mut self, person: &Person, coordination: bool) -> String {
        let (year, month, day) = person.birth;
        let written_day = if coordination { day + 60 } else { day };
        let yymmdd = format!("{:02}{month:02}{written_day:02}", year % 100);
        let mut ten: Vec<u8> = yymmdd.bytes().map(|b| b - b'0').collect();
        ten.extend_from_slice(&person.serial);
        let check = (0..10)
            .find(|&c| {
                let mut all = ten.clone();
                all.push(c);
                luhn(&all)
            })
            .unwrap_or(0);
        ten.push(check);
        let last4: String = ten[6..].iter().map(|&d| char::from(b'0' + d)).collect();
        let hundred = year <= self.reference.year() - 100;
        if self.rng.chance(3) {
            // A spelling the recognizer does not take: a space for the separator.
            return format!("{yymmdd} {last4}");
        }
        match self.rng.below(6) {
            0 | 1 => format!("{yymmdd}{}{last4}", if hundred { '+' } else { '-' }),
            2 if !hundred => format!("{yymmdd}{last4}"),
            3 => format!("{year:04}{month:02}{written_day:02}{last4}"),
            _ => format!("{year:04}{month:02}{written_day:02}-{last4}"),
        }
    }

    fn swedish_phone(&mut self) -> String {
        let mobile = self.rng.chance(60);
        let (area, subscriber_len): (String, usize) = if mobile {
            (format!("07{}", self.rng.pick(&[0, 2, 3, 6, 9])), 7)
        } else {
            match self.rng.below(3) {
                0 => ("08".to_owned(), self.rng.between(7, 8) as usize),
                1 => (
                    (*self.rng.pick(&["031", "040", "018", "013", "090", "046"])).to_owned(),
                    self.rng.between(6, 7) as usize,
                ),
                _ => (
                    (*self.rng.pick(&["0470", "0980", "0611", "0522"])).to_owned(),
                    self.rng.between(5, 6) as usize,
                ),
            }
        };
        let mut subscriber = self.number(subscriber_len);
        if subscriber.starts_with('0') {
            subscriber.replace_range(0..1, "5");
        }
        let grouped = group_subscriber(&subscriber);
        let national = &area[1..];
        if self.rng.chance(3) {
            // A spelling the recognizer does not take: the area code in brackets.
            return format!("({area}) {grouped}");
        }
        match self.rng.below(9) {
            0 | 1 => format!("{area}-{grouped}"),
            2 => format!("{area} {grouped}"),
            3 => format!("{area}{subscriber}"),
            4 => format!("{area}-{subscriber}"),
            5 => format!("+46 {national} {grouped}"),
            6 => format!("+46{national}{subscriber}"),
            7 => format!("0046 {national} {grouped}"),
            _ => format!("+46 (0){national}-{grouped}"),
        }
    }

    fn international_phone(&mut self) -> String {
        // (calling code, first digits, total digits of the national number).
        const NUMBERS: &[(&str, &str, usize)] = &[
            ("49", "151", 11),
            ("49", "30", 10),
            ("47", "9", 8),
            ("45", "2", 8),
            ("358", "40", 9),
            ("33", "6", 9),
            ("31", "6", 9),
            ("44", "7700", 10),
            ("44", "20", 10),
            ("48", "5", 9),
            ("34", "6", 9),
            ("39", "3", 10),
            ("353", "8", 9),
            ("43", "664", 10),
            ("32", "4", 9),
            ("41", "7", 9),
            ("354", "6", 7),
            ("372", "5", 8),
        ];
        let &(calling, prefix, len) = self.rng.pick(NUMBERS);
        let national = format!("{prefix}{}", self.number(len - prefix.len()));
        let mut groups = vec![&national[..prefix.len()]];
        let mut at = prefix.len();
        while at < national.len() {
            let size = (self.rng.between(2, 4) as usize).min(national.len() - at);
            groups.push(&national[at..at + size]);
            at += size;
        }
        match self.rng.below(4) {
            0 => format!("+{calling}{national}"),
            1 => format!("00{calling} {}", groups.join(" ")),
            _ => format!("+{calling} {}", groups.join(" ")),
        }
    }

    fn organisationsnummer(&mut self) -> String {
        let mut digits = vec![*self.rng.pick(&[5u8, 5, 5, 7, 8, 9, 2])];
        digits.push((self.rng.next() % 10) as u8);
        digits.push(self.rng.between(2, 9) as u8);
        digits.extend(self.rng.digits(6));
        let check = (0..10)
            .find(|&c| {
                let mut all = digits.clone();
                all.push(c);
                luhn(&all)
            })
            .unwrap_or(0);
        digits.push(check);
        let text: String = digits.iter().map(|&d| char::from(b'0' + d)).collect();
        if self.rng.chance(75) {
            format!("{}-{}", &text[..6], &text[6..])
        } else {
            text
        }
    }

    fn iban(&mut self) -> String {
        let (country, length) = *self.rng.pick(&[
            ("SE", 24),
            ("SE", 24),
            ("SE", 24),
            ("DE", 22),
            ("FI", 18),
            ("DK", 18),
            ("NO", 15),
            ("GB", 22),
            ("NL", 18),
            ("FR", 27),
            ("ES", 24),
        ]);
        let bban: String = match country {
            "GB" => format!("{}{}", self.letters(4), self.number(14)),
            "NL" => format!("{}{}", self.letters(4), self.number(10)),
            _ => self.number(length - 4),
        };
        let rearranged = format!("{bban}{country}00");
        let remainder = rearranged.bytes().fold(0u32, |r, c| match c {
            b'0'..=b'9' => (r * 10 + u32::from(c - b'0')) % 97,
            _ => (r * 100 + u32::from(c - b'A') + 10) % 97,
        });
        let iban = format!("{country}{:02}{bban}", 98 - remainder);
        if self.rng.chance(70) {
            iban.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            iban
        }
    }

    fn card(&mut self) -> String {
        let (prefix, len): (String, usize) = match self.rng.below(5) {
            0 | 1 => ("4".to_owned(), 16),
            2 => (format!("5{}", self.rng.between(1, 5)), 16),
            3 => ((*self.rng.pick(&["34", "37"])).to_owned(), 15),
            _ => (
                (*self.rng.pick(&["6011", "6759", "2221", "3530"])).to_owned(),
                16,
            ),
        };
        let mut digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        digits.extend(self.rng.digits(len - 1 - digits.len()));
        let check = (0..10)
            .find(|&c| {
                let mut all = digits.clone();
                all.push(c);
                luhn(&all)
            })
            .unwrap_or(0);
        digits.push(check);
        let text: String = digits.iter().map(|&d| char::from(b'0' + d)).collect();
        let separator = if self.rng.chance(70) { " " } else { "-" };
        match (self.rng.below(3), len) {
            (0, _) => text,
            (_, 15) => [&text[..4], &text[4..10], &text[10..]].join(separator),
            _ => [&text[..4], &text[4..8], &text[8..12], &text[12..]].join(separator),
        }
    }

    fn ip(&mut self) -> String {
        if self.rng.chance(75) {
            format!(
                "{}.{}.{}.{}",
                self.rng.between(1, 223),
                self.rng.between(0, 255),
                self.rng.between(0, 255),
                self.rng.between(1, 254)
            )
        } else {
            let mut groups = [0u16; 8];
            groups[0] = 0x2001;
            groups[1] = 0x0db8;
            for g in groups.iter_mut().skip(2) {
                *g = if self.rng.chance(30) {
                    0
                } else {
                    (self.rng.next() & 0xffff) as u16
                };
            }
            let address = std::net::Ipv6Addr::from(groups);
            if self.rng.chance(50) {
                address.to_string()
            } else {
                groups
                    .iter()
                    .map(|g| format!("{g:04X}"))
                    .collect::<Vec<_>>()
                    .join(":")
            }
        }
    }

    fn address(&mut self) -> String {
        let street = self.rng.pick(STREETS);
        let number = self.rng.between(1, 150);
        let letter = match self.rng.below(8) {
            0 => "A",
            1 => " B",
            _ => "",
        };
        let postcode = self.rng.between(100, 989);
        let postcode_end = self.rng.between(0, 99);
        let town = self.rng.pick(TOWNS);
        let separator = if self.rng.chance(70) { ", " } else { "\n" };
        let space = if self.rng.chance(80) { " " } else { "  " };
        format!("{street} {number}{letter}{separator}{postcode} {postcode_end:02}{space}{town}")
    }

    fn order(&mut self) -> String {
        match self.rng.below(4) {
            0 => format!("SO-{}-{}", self.reference.year(), self.number(6)),
            1 => format!("#{}", self.number(8)),
            _ => {
                let len = self.rng.between(8, 12) as usize;
                self.number(len)
            }
        }
    }

    fn ocr(&mut self) -> String {
        // OCR references carry a Luhn check digit, like personnummer and cards.
        let len = self.rng.between(8, 16) as usize;
        let mut digits = self.rng.digits(len - 1);
        if digits[0] == 0 {
            digits[0] = 1;
        }
        let check = (0..10)
            .find(|&c| {
                let mut all = digits.clone();
                all.push(c);
                luhn(&all)
            })
            .unwrap_or(0);
        digits.push(check);
        digits.iter().map(|&d| char::from(b'0' + d)).collect()
    }

    fn tracking(&mut self) -> String {
        match self.rng.below(3) {
            0 => format!("00{}", self.number(18)),
            1 => format!("RR{}SE", self.number(9)),
            _ => format!("JJD{}", self.number(16)),
        }
    }

    fn date(&mut self, language: Language) -> String {
        let year = self.reference.year() - self.rng.between(0, 2) as i16;
        let month = self.rng.between(1, 12);
        let day = self.rng.between(1, 28);
        match (self.rng.below(4), language) {
            (0, Language::Swedish) => format!("{day} {}", MONTHS_SV[month as usize - 1]),
            (0, Language::English) => format!("{day:02}/{month:02}/{year}"),
            (1, _) => format!("{year}{month:02}{day:02}"),
            _ => format!("{year}-{month:02}-{day:02}"),
        }
    }

    fn timestamp(&mut self) -> String {
        let date = self.date(Language::English);
        let date = if date.len() == 10 && date.as_bytes()[4] == b'-' {
            date
        } else {
            format!(
                "{}-{:02}-{:02}",
                self.reference.year(),
                self.rng.between(1, 12),
                self.rng.between(1, 28)
            )
        };
        let time = self.time();
        let seconds = if time.len() == 5 { ":00" } else { "" };
        if self.rng.chance(50) {
            format!("{date}T{time}{seconds}Z")
        } else {
            format!("{date} {time}{seconds}")
        }
    }

    fn time(&mut self) -> String {
        let (h, m) = (self.rng.between(0, 23), self.rng.between(0, 59));
        if self.rng.chance(30) {
            format!("{h:02}:{m:02}:{:02}", self.rng.between(0, 59))
        } else {
            format!("{h:02}:{m:02}")
        }
    }

    fn amount(&mut self, language: Language) -> String {
        let whole = self.rng.between(10, 99_999);
        let cents = self.rng.between(0, 99);
        match language {
            Language::Swedish if whole >= 1000 => {
                format!("{} {:03},{cents:02} kr", whole / 1000, whole % 1000)
            }
            Language::Swedish => format!("{whole},{cents:02} kr"),
            Language::English => format!("€{whole}.{cents:02}"),
        }
    }

    fn version(&mut self) -> String {
        let (a, b, c) = (
            self.rng.between(1, 9),
            self.rng.between(0, 30),
            self.rng.between(0, 20),
        );
        if self.rng.chance(50) {
            format!("{a}.{b}.{c}")
        } else {
            format!("v{a}.{b}.{c}.{}", self.rng.between(0, 999))
        }
    }

    fn isbn(&mut self) -> String {
        let body = format!("97891{}", self.number(7));
        let sum: u32 = body
            .bytes()
            .enumerate()
            .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
            .sum();
        let check = (10 - sum % 10) % 10;
        if self.rng.chance(50) {
            format!("{body}{check}")
        } else {
            format!(
                "{}-{}-{}-{}-{check}",
                &body[..3],
                &body[3..5],
                &body[5..7],
                &body[7..]
            )
        }
    }

    /// `n` random digits, the first not 0.
    fn number(&mut self, n: usize) -> String {
        let mut digits = self.rng.digits(n);
        if let Some(first) = digits.first_mut()
            && *first == 0
        {
            *first = 1 + (self.rng.next() % 9) as u8;
        }
        digits.iter().map(|&d| char::from(b'0' + d)).collect()
    }

    fn letters(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'A' + (self.rng.next() % 26) as u8))
            .collect()
    }
}

/// A Swedish subscriber number in the usual groups: `123 45 67`, `12 34 56`, `123 456 78`.
fn group_subscriber(digits: &str) -> String {
    match digits.len() {
        5 => format!("{} {}", &digits[..3], &digits[3..]),
        6 => format!("{} {} {}", &digits[..2], &digits[2..4], &digits[4..]),
        7 => format!("{} {} {}", &digits[..3], &digits[3..5], &digits[5..]),
        _ => format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..]),
    }
}

/// `count` documents of `split`, from `seed`, valid at `reference`.
pub fn generate(seed: u64, reference: Date, split: Split, count: usize) -> Vec<Document> {
    let mut generator = Generator::new(seed, reference);
    (0..count).map(|_| generator.next_document(split)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_same_seed_gives_the_same_corpus() {
        let a = generate(7, date(2025, 6, 1), Split::Test, 50);
        let b = generate(7, date(2025, 6, 1), Split::Test, 50);
        let c = generate(8, date(2025, 6, 1), Split::Test, 50);
        let texts = |d: &[Document]| d.iter().map(|d| d.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&a), texts(&b));
        assert_ne!(texts(&a), texts(&c));
    }

    #[test]
    fn templates_are_split_by_template_and_use_known_placeholders() {
        for language in [Language::Swedish, Language::English] {
            let of = |split| {
                TEMPLATES
                    .iter()
                    .filter(|t| t.language == language && t.split == split)
                    .count()
            };
            assert!(of(Split::Tuning) + of(Split::Test) >= 15);
            assert_eq!(of(Split::Test), 5);
        }
        let mut ids: Vec<_> = TEMPLATES.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), TEMPLATES.len());
        for template in TEMPLATES {
            let mut rest = template.text;
            while let Some(open) = rest.find('{') {
                let close = rest[open..].find('}').unwrap();
                let name = &rest[open + 1..open + close];
                assert!(PLACEHOLDERS.contains(&name), "{} uses {name}", template.id);
                rest = &rest[open + close..];
            }
        }
    }

    #[test]
    fn labels_are_spans_of_the_text() {
        let mut generator = Generator::new(1, date(2025, 6, 1));
        for template in TEMPLATES {
            let document = generator.document(template);
            assert_eq!(document.template, template.id);
            for label in &document.labels {
                assert!(label.start < label.end && label.end <= document.text.len());
                assert!(document.text.is_char_boundary(label.start));
                assert!(document.text.is_char_boundary(label.end));
            }
        }
    }
}
