//! The register model: what a valid register file describes.
//!
//! Every type here is built only by [`crate::check`] (or read back by [`Register::from_json`] from
//! the canonical JSON of a register `check` built), so a `Register` in hand is always valid:
//! references resolve, every personal data category has a retention rule, every consent purpose has
//! its wording. The JSON form (`Serialize`) is what `GET /v1/register` returns and what the digest is
//! computed over; `Deserialize` and [`Register::from_json`] read stored versions back.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::country::Country;
use crate::period::{CalendarRounding, Period};

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as written in the register.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

id_type! {
    /// Id of a category of data subjects.
    SubjectId,
    /// Id of a source of data.
    SourceId,
    /// Id of a data category.
    CategoryId,
    /// Id of a field of a data category.
    FieldId,
    /// Id of an anchor event.
    EventId,
    /// Id of a state used by "while ... then" retention.
    StateId,
    /// Id of a purpose (processing activity).
    PurposeId,
    /// Id of a retention rule.
    RuleId,
    /// Id of a legal hold.
    HoldId,
    /// Id of a recipient.
    RecipientId,
    /// Id of a security measure.
    MeasureId,
    /// Id of a cookie category.
    CookieCategoryId,
    /// Id of a cookie service.
    CookieServiceId,
    /// Id of an opt-in feature.
    FeatureId,
}

/// A value that is written as one of a fixed set of words in the register.
pub trait Choice: Sized + Copy + 'static {
    /// What the value is called in messages ("legal basis").
    const WHAT: &'static str;
    /// Every word and the value it stands for.
    const ALL: &'static [(&'static str, Self)];

    /// The word for this value.
    fn word(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::ALL
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("", |(w, _)| w)
    }
}

macro_rules! choice {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident = $word:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vdoc])* $variant),* }

        impl Choice for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [(&'static str, Self)] = &[$(($word, $name::$variant)),*];
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.word())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::ALL
                    .iter()
                    .find(|(w, _)| *w == word)
                    .map(|(_, value)| *value)
                    .ok_or_else(|| serde::de::Error::custom(format_args!(
                        "`{word}` is not a {}; expected one of: {}",
                        Self::WHAT,
                        Self::ALL.iter().map(|(w, _)| *w).collect::<Vec<_>>().join(", "),
                    )))
            }
        }
    };
}

choice!(
    /// A language a notice is published in.
    Language, "language", {
        /// English (always present).
        En = "en",
        /// Swedish.
        Sv = "sv",
    }
);

impl Language {
    /// The name of a month (1 = January) as written in running text: "April", "april".
    /// Months outside 1..=12 are clamped into it.
    pub fn month_name(self, month: i8) -> &'static str {
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const SV: [&str; 12] = [
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
        let index = usize::try_from(month.clamp(1, 12) - 1).unwrap_or(0);
        match self {
            Language::En => EN[index],
            Language::Sv => SV[index],
        }
    }
}

choice!(
    /// The legal basis of processing (Art. 6(1)).
    LegalBasis, "legal basis", {
        /// Art. 6(1)(a).
        Consent = "consent",
        /// Art. 6(1)(b).
        Contract = "contract",
        /// Art. 6(1)(c).
        LegalObligation = "legal_obligation",
        /// Art. 6(1)(d).
        VitalInterest = "vital_interest",
        /// Art. 6(1)(e).
        PublicTask = "public_task",
        /// Art. 6(1)(f).
        LegitimateInterest = "legitimate_interest",
    }
);

choice!(
    /// Whether Skydd's operator decides the purpose (controller) or acts for customers (processor).
    Role, "role", {
        /// Controller (Art. 30(1)).
        Controller = "controller",
        /// Processor on a customer's instructions (Art. 28, Art. 30(2)).
        Processor = "processor",
    }
);

choice!(
    /// Where data comes from.
    SourceKind, "source kind", {
        /// The data subject.
        DataSubject = "data_subject",
        /// The customer organisation.
        Customer = "customer",
        /// People connected to the customer (a manager, a colleague).
        Colleague = "colleague",
        /// A partner company.
        Partner = "partner",
        /// Another third party (data brokers, marketing partners).
        ThirdParty = "third_party",
        /// Public sources.
        Public = "public",
        /// A social network (a separate controller).
        SocialNetwork = "social_network",
        /// Generated by the use of a service: logs, traffic, cookies.
        Observed = "observed",
    }
);

choice!(
    /// The kind of values a field holds (drives validation and redaction in later layers).
    FieldFormat, "field format", {
        /// Short text.
        Text = "text",
        /// E-mail address.
        Email = "email",
        /// Phone number.
        Phone = "phone",
        /// Swedish personnummer or samordningsnummer.
        Personnummer = "personnummer",
        /// Organisation number.
        OrganisationNumber = "organisation_number",
        /// Postal address.
        PostalAddress = "postal_address",
        /// IP address.
        IpAddress = "ip_address",
        /// URL.
        Url = "url",
        /// Date.
        Date = "date",
        /// Number.
        Number = "number",
        /// A payment provider's token, never a card number.
        PaymentToken = "payment_token",
        /// A file (document, recording, image).
        File = "file",
        /// Free text that may hold anything (support tickets, chats).
        FreeText = "free_text",
    }
);

choice!(
    /// Special categories of personal data (Art. 9(1)).
    SpecialCategory, "special category", {
        /// Racial or ethnic origin.
        RacialOrEthnicOrigin = "racial_or_ethnic_origin",
        /// Political opinions.
        PoliticalOpinions = "political_opinions",
        /// Religious or philosophical beliefs.
        ReligiousOrPhilosophicalBeliefs = "religious_or_philosophical_beliefs",
        /// Trade union membership.
        TradeUnionMembership = "trade_union_membership",
        /// Genetic data.
        Genetic = "genetic",
        /// Biometric data for identification.
        Biometric = "biometric",
        /// Health.
        Health = "health",
        /// Sex life or sexual orientation.
        SexLifeOrOrientation = "sex_life_or_orientation",
    }
);

choice!(
    /// The condition that lifts the ban on special categories (Art. 9(2)(a)-(j)).
    Art9Condition, "Art. 9(2) condition", {
        /// (a).
        ExplicitConsent = "explicit_consent",
        /// (b).
        EmploymentAndSocialSecurity = "employment_and_social_security",
        /// (c).
        VitalInterests = "vital_interests",
        /// (d).
        NotForProfitBody = "not_for_profit_body",
        /// (e).
        MadePublicBySubject = "made_public_by_subject",
        /// (f).
        LegalClaims = "legal_claims",
        /// (g).
        SubstantialPublicInterest = "substantial_public_interest",
        /// (h).
        HealthOrSocialCare = "health_or_social_care",
        /// (i).
        PublicHealth = "public_health",
        /// (j).
        ArchivingResearchStatistics = "archiving_research_statistics",
    }
);

choice!(
    /// Who gives a consent.
    ConsentGiver, "consent giver", {
        /// The data subject.
        Subject = "subject",
        /// An organisation's administrator, for the organisation.
        Organisation = "organisation",
        /// An administrator, for one project.
        Project = "project",
    }
);

choice!(
    /// A marketing channel.
    Channel, "channel", {
        /// E-mail.
        Email = "email",
        /// Text message.
        Sms = "sms",
        /// Telephone.
        Phone = "phone",
        /// Letter.
        Post = "post",
        /// Push notification.
        Push = "push",
        /// Message inside the service.
        InApp = "in_app",
    }
);

choice!(
    /// What happens when a retention rule expires.
    RetentionAction, "retention action", {
        /// Crypto-shred and delete.
        Delete = "delete",
        /// Keep only fields marked `statistical`, with identifiers removed.
        Anonymise = "anonymise",
    }
);

choice!(
    /// The kind of a recipient.
    RecipientKind, "recipient kind", {
        /// Processor (Art. 28).
        Processor = "processor",
        /// Sub-processor of a processor.
        SubProcessor = "sub_processor",
        /// Joint controller (Art. 26).
        JointController = "joint_controller",
        /// An independent controller (a partner company).
        Controller = "controller",
        /// A company of the same group.
        GroupCompany = "group_company",
        /// A public authority.
        Authority = "authority",
        /// A buyer or prospective buyer of the business.
        Acquirer = "acquirer",
        /// The public, or everyone with access (forum posts).
        Public = "public",
    }
);

choice!(
    /// The safeguard of a transfer to a third country (Chapter V).
    TransferMechanism, "transfer mechanism", {
        /// Art. 45 adequacy decision.
        Adequacy = "adequacy",
        /// The EU-US Data Privacy Framework (certified US organisations).
        EuUsDpf = "eu_us_dpf",
        /// Standard contractual clauses (Art. 46(2)(c)).
        Scc = "scc",
        /// Binding corporate rules (Art. 47).
        Bcr = "bcr",
        /// A derogation for specific situations (Art. 49).
        Derogation = "derogation",
    }
);

choice!(
    /// The Art. 49(1) derogation a transfer rests on.
    Derogation, "Art. 49(1) derogation", {
        /// (a) explicit consent.
        ExplicitConsent = "explicit_consent",
        /// (b) performance of a contract with the subject.
        ContractWithSubject = "contract_with_subject",
        /// (c) a contract in the subject's interest.
        ContractInSubjectsInterest = "contract_in_subjects_interest",
        /// (d) important reasons of public interest.
        PublicInterest = "public_interest",
        /// (e) legal claims.
        LegalClaims = "legal_claims",
        /// (f) vital interests.
        VitalInterests = "vital_interests",
        /// (g) a public register.
        PublicRegister = "public_register",
    }
);

choice!(
    /// The kind of a security measure (Art. 32).
    MeasureKind, "measure kind", {
        /// Technical.
        Technical = "technical",
        /// Organisational.
        Organisational = "organisational",
        /// Physical.
        Physical = "physical",
    }
);

choice!(
    /// What happens with further copies beyond the free ones (Art. 12(5), 15(3)).
    FurtherCopies, "policy for further copies", {
        /// A reasonable fee based on administrative costs.
        Fee = "fee",
        /// Refused with reasons (manifestly unfounded or excessive).
        RefuseWithReasons = "refuse_with_reasons",
        /// Free as well.
        Free = "free",
    }
);

choice!(
    /// How a requester's identity is verified.
    VerificationMethod, "identity verification method", {
        /// A one-time code sent to a known e-mail address.
        EmailCode = "email_code",
        /// A one-time code sent by text message.
        SmsCode = "sms_code",
        /// An identity document (kept encrypted, destroyed when the request closes).
        IdDocument = "id_document",
        /// A signed written request.
        SignedRequest = "signed_request",
        /// The customer who identifies its user confirms.
        CustomerConfirmation = "customer_confirmation",
        /// The subject is logged in to their account.
        AccountLogin = "account_login",
    }
);

choice!(
    /// What a cookie service places.
    TrackerKind, "tracker kind", {
        /// A cookie.
        Cookie = "cookie",
        /// A pixel tag (web or e-mail).
        Pixel = "pixel",
        /// Browser local storage.
        LocalStorage = "local_storage",
    }
);

choice!(
    /// How significant changes to the notice are announced (P000-69, P001-05, P003-46).
    ChangeChannel, "change announcement channel", {
        /// An e-mail to the people affected.
        Email = "email",
        /// A notice on the web site.
        Website = "website",
        /// A message inside the service.
        InApp = "in_app",
        /// A post in the company's social media channels.
        SocialMedia = "social_media",
    }
);

choice!(
    /// Where an opt-in feature can be switched on.
    FeatureScope, "feature scope", {
        /// A whole organisation.
        Organisation = "organisation",
        /// One project.
        Project = "project",
    }
);

choice!(
    /// An anchor event every register knows.
    BuiltinEvent, "built-in event", {
        /// When the record was collected.
        CollectedAt = "collected_at",
        /// The last contact with the subject or customer.
        LastContact = "last_contact",
        /// The end of the contract.
        ContractEnd = "contract_end",
        /// The invoice was paid.
        InvoicePaid = "invoice_paid",
        /// The data-subject request was closed.
        RequestClosed = "request_closed",
    }
);

/// Text in English, optionally in Swedish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// English.
    pub en: String,
    /// Swedish, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sv: Option<String>,
}

impl Text {
    /// The text in `language`, falling back to English.
    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Sv => self.sv.as_deref().unwrap_or(&self.en),
            Language::En => &self.en,
        }
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street or box.
    pub street: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: String,
    /// Country.
    pub country: Country,
}

/// Ways to reach someone (at least one is present).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Contact {
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Web page or form.
    pub url: Option<String>,
    /// Postal address as one line.
    pub postal: Option<String>,
}

/// The controller (Art. 30(1)(a)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controller {
    /// Legal name.
    pub name: String,
    /// Organisation number (checked when the country is Sweden).
    pub organisation_number: Option<String>,
    /// Address of the establishment.
    pub address: Address,
    /// Privacy contact.
    pub contact: Contact,
}

/// The Art. 27 representative of a controller outside the EU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representative {
    /// Name.
    pub name: String,
    /// Address.
    pub address: Option<Address>,
    /// Contact.
    pub contact: Contact,
}

/// The data protection officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dpo {
    /// Name, if published.
    pub name: Option<String>,
    /// How to reach the DPO.
    pub contact: Contact,
}

/// The lead supervisory authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authority {
    /// Name.
    pub name: Text,
    /// Country.
    pub country: Country,
    /// Postal address.
    pub address: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Web site.
    pub url: Option<String>,
}

/// What the register covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Scope {
    /// Description of the processes, services and systems covered.
    pub description: Option<Text>,
    /// Web sites covered.
    pub websites: Vec<String>,
    /// Service-specific supplements (terms of use, DPA).
    pub supplements: Vec<Supplement>,
}

/// A document that supplements the notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplement {
    /// Name.
    pub name: Text,
    /// Where it is published.
    pub url: String,
}

/// A category of data subjects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectCategory {
    /// Id.
    pub id: SubjectId,
    /// Name.
    pub name: Text,
    /// Description.
    pub description: Option<Text>,
}

/// A source of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Id.
    pub id: SourceId,
    /// Kind.
    pub kind: SourceKind,
    /// Name.
    pub name: Text,
    /// Description.
    pub description: Option<Text>,
    /// The source's own privacy policy (social networks).
    pub policy_url: Option<String>,
}

/// A category of personal data and its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataCategory {
    /// Id.
    pub id: CategoryId,
    /// Name.
    pub name: Text,
    /// Description.
    pub description: Option<Text>,
    /// Whether the subject provided the data (portability, Art. 20).
    pub provided_by_subject: bool,
    /// False for anonymous data (aggregates), which needs no retention rule.
    pub personal_data: bool,
    /// Art. 9(1) category, if special.
    pub special_category: Option<SpecialCategory>,
    /// The Art. 9(2) condition, required for a special category.
    pub art9_condition: Option<Art9Condition>,
    /// Fields.
    pub fields: Vec<Field>,
}

/// A field of a data category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// Id.
    pub id: FieldId,
    /// Kind of values.
    pub format: FieldFormat,
    /// Never shown in clear in exports (passwords, security answers).
    pub secret: bool,
    /// Kept when a record is anonymised.
    pub statistical: bool,
    /// Collected only for subjects in these countries (empty: everywhere).
    pub only_for_countries: Vec<Country>,
}

/// A named anchor event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Id.
    pub id: EventId,
    /// Name in plain words ("the end of the financial year").
    pub name: Text,
}

/// A named state that ends with an event ("you are our customer" ends with `contract_end`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Id.
    pub id: StateId,
    /// Name in plain words.
    pub name: Text,
    /// The event that ends it.
    pub ends_with: EventId,
}

/// The legal bases of one data category under one purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryBasis {
    /// The data category.
    pub category: CategoryId,
    /// One or more bases.
    pub bases: Vec<LegalBasis>,
}

/// What legitimate interest is pursued and how it was balanced (Art. 6(1)(f), 13(1)(d)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegitimateInterest {
    /// The interest pursued.
    pub interest: Option<Text>,
    /// The balancing test, summarised or referenced.
    pub balancing: Text,
}

/// The terms of a consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentTerms {
    /// What the subject agrees to, as shown.
    pub wording: Text,
    /// Who gives it.
    pub given_by: ConsentGiver,
}

impl ConsentTerms {
    /// SHA-256 (hex) of the wording in every language: stored with each consent as the text
    /// shown, so that a consent given to earlier wording is known to need renewal.
    pub fn wording_hash(&self) -> String {
        // Serialising a `Text` (strings) cannot fail.
        let wording = serde_json::to_vec(&self.wording).unwrap_or_default();
        data_encoding::HEXLOWER.encode(&Sha256::digest(&wording))
    }
}

/// A purpose of processing (a processing activity in Art. 30 terms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purpose {
    /// Id.
    pub id: PurposeId,
    /// Name.
    pub name: Text,
    /// Description.
    pub description: Option<Text>,
    /// Controller or processor.
    pub role: Role,
    /// Subject categories.
    pub subjects: Vec<SubjectId>,
    /// Sources.
    pub sources: Vec<SourceId>,
    /// Legal basis per data category (controller activities).
    pub legal_basis: Vec<CategoryBasis>,
    /// Categories processed on a customer's behalf (processor activities).
    pub categories: Vec<CategoryId>,
    /// The controllers a processor activity is carried out for.
    pub controllers: Option<Text>,
    /// The law behind a legal obligation or public task.
    pub law: Option<Text>,
    /// The legitimate interest and its balancing.
    pub legitimate_interest: Option<LegitimateInterest>,
    /// The consent terms.
    pub consent: Option<ConsentTerms>,
    /// Direct marketing: an objection is absolute (Art. 21(3)).
    pub direct_marketing: bool,
    /// Profiling.
    pub profiling: bool,
    /// Automated decision-making with legal or similar effect (Art. 22).
    pub automated_decision: bool,
    /// Marketing channels.
    pub channels: Vec<Channel>,
    /// Recipients.
    pub recipients: Vec<RecipientId>,
    /// A feature that must be switched on for the scope.
    pub requires_feature: Option<FeatureId>,
}

impl Purpose {
    /// Every data category the purpose processes, for either role.
    pub fn data_categories(&self) -> impl Iterator<Item = &CategoryId> {
        self.legal_basis
            .iter()
            .map(|b| &b.category)
            .chain(&self.categories)
    }

    /// The bases for `category`, if the purpose processes it as controller.
    pub fn bases_for(&self, category: &CategoryId) -> Option<&[LegalBasis]> {
        self.legal_basis
            .iter()
            .find(|b| &b.category == category)
            .map(|b| b.bases.as_slice())
    }

    /// Whether any category rests on `basis`.
    pub fn uses_basis(&self, basis: LegalBasis) -> bool {
        self.legal_basis.iter().any(|b| b.bases.contains(&basis))
    }
}

/// What starts a retention clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// A period after an event.
    After(EventId),
    /// While a state holds, then a period after it ends.
    While(StateId),
}

/// When data expires: an anchor, a period, and an optional rounding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionClock {
    /// What starts the clock.
    pub anchor: Anchor,
    /// How long after the anchor.
    pub period: Period,
    /// Rounding of the expiry date.
    pub round_up_to: Option<CalendarRounding>,
}

impl RetentionClock {
    /// The expiry date for an anchor that happened on `anchor_date`.
    pub fn expires_on(&self, anchor_date: Date) -> Option<Date> {
        let end = self.period.after(anchor_date)?;
        Some(self.round_up_to.map_or(end, |rounding| rounding.apply(end)))
    }
}

/// How long a data category is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRule {
    /// Id.
    pub id: RuleId,
    /// The data category.
    pub category: CategoryId,
    /// Narrowed to these purposes (empty: all purposes).
    pub purposes: Vec<PurposeId>,
    /// When it expires.
    pub clock: RetentionClock,
    /// What happens then.
    pub action: RetentionAction,
}

/// A statutory obligation to keep data (Bokföringslagen 7 kap. 2 § ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHold {
    /// Id.
    pub id: HoldId,
    /// Name.
    pub name: Text,
    /// The law.
    pub law: Text,
    /// The only purpose held data may be used for.
    pub purpose: PurposeId,
    /// Categories held.
    pub categories: Vec<CategoryId>,
    /// When the hold ends.
    pub clock: RetentionClock,
}

/// The safeguard of a transfer outside the EU/EEA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Mechanism.
    pub mechanism: TransferMechanism,
    /// Where the safeguard is documented.
    pub documented_in: String,
    /// The Art. 49(1) point, for a derogation.
    pub derogation: Option<Derogation>,
    /// When certification or adequacy was last verified.
    pub verified_at: Option<Date>,
}

/// Someone personal data is disclosed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Id.
    pub id: RecipientId,
    /// Name.
    pub name: Text,
    /// Kind.
    pub kind: RecipientKind,
    /// Country where data is processed (absent only for the public).
    pub country: Option<Country>,
    /// Purposes the recipient receives data for.
    pub purposes: Vec<PurposeId>,
    /// Categories it receives (empty: those of its purposes).
    pub categories: Vec<CategoryId>,
    /// The agreement (DPA, contract) that binds it.
    pub agreement: Option<String>,
    /// The transfer safeguard, when outside the EU/EEA.
    pub transfer: Option<Transfer>,
    /// Where notices of a rectification, erasure or restriction are sent (Art. 19); without it
    /// they wait for manual handling. Left out of the JSON when absent, so registers without it
    /// keep their digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<RecipientNotify>,
}

/// How a recipient is told of a rectification, erasure or restriction of data it received
/// (Art. 19): `recipients[].notify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientNotify {
    /// The e-mail address the notices go to (the recipient's privacy contact).
    pub email: String,
}

impl RecipientKind {
    /// Whether a recipient of this kind receives personal data it keeps and processes, so that
    /// it must be told of rectifications, erasures and restrictions (Art. 19): processors,
    /// sub-processors, controllers, joint controllers and group companies.
    pub fn keeps_received_data(self) -> bool {
        matches!(
            self,
            Self::Processor
                | Self::SubProcessor
                | Self::Controller
                | Self::JointController
                | Self::GroupCompany
        )
    }
}

/// A security measure (Art. 32).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityMeasure {
    /// Id.
    pub id: MeasureId,
    /// Kind.
    pub kind: MeasureKind,
    /// What it is.
    pub description: Text,
}

/// How many copies of their data a subject gets for free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopiesPolicy {
    /// Free copies per period (at least 1: the first copy is always free).
    pub free: u32,
    /// The period; absent means "in total".
    pub per: Option<Period>,
    /// What happens with further copies.
    pub further: FurtherCopies,
}

/// How data-subject requests are handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsPolicy {
    /// Where requests go.
    pub contact: Contact,
    /// Time to answer (at most one month).
    pub response_time: Period,
    /// Longest extension (at most two months).
    pub extension: Period,
    /// Repeat access requests.
    pub copies: CopiesPolicy,
    /// How identity is verified.
    pub identity_verification: Vec<VerificationMethod>,
    /// Public holidays of the controller's country, for a country without a built-in calendar
    /// (see [`Country::has_built_in_holiday_calendar`]); sorted by date, no date twice. Left out
    /// of the JSON when empty, so registers without it keep their digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_holidays: Vec<PublicHoliday>,
}

/// A public holiday listed in the register (`rights.public_holidays`): a day that is not a
/// working day when a request's deadline is counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicHoliday {
    /// The day.
    pub date: Date,
    /// Its name as the country's calendar gives it ("St Patrick's Day"), if written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A category in the cookie banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieCategory {
    /// Id.
    pub id: CookieCategoryId,
    /// Name.
    pub name: Text,
    /// Description.
    pub description: Option<Text>,
    /// Strictly necessary: cannot be refused.
    pub required: bool,
}

/// How long a cookie lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifetime {
    /// Until the browser closes.
    Session,
    /// A period.
    For(Period),
}

/// One cookie a service sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cookie {
    /// Cookie name.
    pub name: String,
    /// Lifetime.
    pub lifetime: Lifetime,
}

/// A service that sets cookies or fires pixels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieService {
    /// Id.
    pub id: CookieServiceId,
    /// Name.
    pub name: Text,
    /// Provider.
    pub provider: String,
    /// The provider as a recipient, when it receives personal data.
    pub recipient: Option<RecipientId>,
    /// Banner category.
    pub category: CookieCategoryId,
    /// Cookie, pixel or local storage.
    pub kind: TrackerKind,
    /// Why.
    pub purpose: Text,
    /// Cookies set.
    pub cookies: Vec<Cookie>,
    /// Where a visitor can opt out at the provider.
    pub opt_out_url: Option<String>,
}

/// Cookie categories and services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Cookies {
    /// Banner categories.
    pub categories: Vec<CookieCategory>,
    /// Services.
    pub services: Vec<CookieService>,
}

/// A feature that processes data only where an organisation opted in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    /// Id.
    pub id: FeatureId,
    /// Name.
    pub name: Text,
    /// Where it can be switched on.
    pub scopes: Vec<FeatureScope>,
}

/// How the company announces changes to its notice (P000-68, P000-69, P001-05).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePolicy {
    /// How significant changes are announced to the people affected.
    pub announce: Vec<ChangeChannel>,
    /// How long before a significant change takes effect it is announced, if promised.
    pub notice_period: Option<Period>,
}

/// A validated register of processing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    /// Format version (1).
    pub format: u32,
    /// The date this version takes effect.
    pub published: Date,
    /// Languages of the notice (English first).
    pub languages: Vec<Language>,
    /// The controller.
    pub controller: Controller,
    /// Art. 27 representative.
    pub representative: Option<Representative>,
    /// Data protection officer.
    pub dpo: Option<Dpo>,
    /// Lead supervisory authority.
    pub authority: Authority,
    /// Scope.
    pub scope: Scope,
    /// Subject categories.
    pub subjects: Vec<SubjectCategory>,
    /// Sources.
    pub sources: Vec<Source>,
    /// Data categories.
    pub data: Vec<DataCategory>,
    /// Declared anchor events (built-in ones are implicit).
    pub events: Vec<Event>,
    /// Declared states.
    pub states: Vec<State>,
    /// Purposes.
    pub purposes: Vec<Purpose>,
    /// Retention rules.
    pub retention: Vec<RetentionRule>,
    /// Legal holds.
    pub legal_holds: Vec<LegalHold>,
    /// Recipients.
    pub recipients: Vec<Recipient>,
    /// Security measures.
    pub security: Vec<SecurityMeasure>,
    /// Rights policy.
    pub rights: RightsPolicy,
    /// Cookies.
    pub cookies: Cookies,
    /// Opt-in features.
    pub features: Vec<Feature>,
    /// How changes to the notice are announced (absent: only published with a new date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangePolicy>,
}

/// Why stored register JSON could not be read back into a [`Register`]: the content is damaged.
/// The message says where; it quotes register text only, never personal data (a register holds
/// none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FromJsonError {
    /// The text is not JSON.
    #[error("the stored register is not JSON ({message})")]
    NotJson {
        /// What the JSON parser reported, with line and column.
        message: String,
    },
    /// The JSON does not have a register's shape: a key is missing, a value has the wrong type
    /// or is not one of the words the register format allows.
    #[error("the stored register does not have a register's shape at `{path}`: {message}")]
    Shape {
        /// Where in the JSON (`purposes[2].legal_basis[0].bases[0]`).
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// The JSON reads as a register but is not that register's canonical JSON (an unknown key,
    /// a code in lower case, a key left out): it was not written by [`Register::to_json`], so
    /// its digest would not be the one it was recorded under.
    #[error(
        "the stored register is not in canonical form (it holds something `Register::to_json` would not write, such as an unknown key)"
    )]
    NotCanonical,
}

impl Register {
    /// The register's canonical JSON.
    pub fn to_json(&self) -> serde_json::Value {
        // Serialising plain data (strings, numbers, vectors) cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Rebuild a register from its canonical JSON (what [`Register::to_json`] wrote, as kept in
    /// the database for every version a server loaded), so that `from_json(to_json(r)) == r`
    /// and the digest is unchanged.
    ///
    /// Only the canonical form is accepted: the JSON must read as a register and serialise back
    /// to exactly the same JSON, so an unknown key, a missing key, a wrong type or a word the
    /// format does not know is an error, never a panic. The checks across sections that
    /// [`crate::check`] runs (references resolve, retention covers every category) are not
    /// repeated: stored content was produced by `check`, and callers holding the digest it was
    /// recorded under compare it with [`Register::digest`] to detect any other change.
    pub fn from_json(json: &str) -> Result<Register, FromJsonError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|error| FromJsonError::NotJson {
                message: error.to_string(),
            })?;
        let register: Register =
            serde_path_to_error::deserialize(&value).map_err(|error| FromJsonError::Shape {
                path: error.path().to_string(),
                message: error.inner().to_string(),
            })?;
        if register.to_json() != value {
            return Err(FromJsonError::NotCanonical);
        }
        Ok(register)
    }

    /// SHA-256 (hex) of the register's canonical JSON: changes whenever the content does, not
    /// when comments or formatting do.
    pub fn digest(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        data_encoding::HEXLOWER.encode(&Sha256::digest(&bytes))
    }

    /// A data category by id.
    pub fn category(&self, id: &CategoryId) -> Option<&DataCategory> {
        self.data.iter().find(|c| &c.id == id)
    }

    /// A purpose by id.
    pub fn purpose(&self, id: &PurposeId) -> Option<&Purpose> {
        self.purposes.iter().find(|p| &p.id == id)
    }
}
