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
    /// Id of a category of data subjects (`subjects[].id`), listed in a purpose's `subjects`.
    SubjectId,
    /// Id of a source of data (`sources[].id`), listed in a purpose's `sources`.
    SourceId,
    /// Id of a data category (`data[].id`), named by purposes, retention rules and legal holds.
    CategoryId,
    /// Id of a field (`data[].fields[].id`): unique within its data category, not across them.
    FieldId,
    /// Id of an anchor event: a built-in one (`contract_end` ...) or one declared under `events`.
    EventId,
    /// Id of a state used by "while ... then" retention.
    StateId,
    /// Id of a purpose (processing activity).
    PurposeId,
    /// Id of a retention rule (`retention[].id`).
    RuleId,
    /// Id of a legal hold (`legal_holds[].id`).
    HoldId,
    /// Id of a recipient (`recipients[].id`), named by purposes and cookie services.
    RecipientId,
    /// Id of a security measure (`security[].id`).
    MeasureId,
    /// Id of a cookie category (`cookies.categories[].id`), a cookie service's `category`.
    CookieCategoryId,
    /// Id of a cookie service (`cookies.services[].id`).
    CookieServiceId,
    /// Id of an opt-in feature (`features[].id`), named by a purpose's `requires_feature`.
    FeatureId,
    /// Id of a job role (`roles[].id`): who in the company may ask for data, and for what.
    RoleId,
    /// Id of a subject attribute (`attributes[].id`): a fact about a person that a basis can depend on.
    AttributeId,
    /// Id of an audience (`audiences[].id`): a group of people with a notice of its own.
    AudienceId,
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

/// Declare an enum written as one word of a fixed vocabulary: the enum, its [`Choice`] table
/// and serde as that word. Exported so that other files Skydd checks (datasets) declare their
/// vocabularies the same way; the calling crate needs `serde` as a dependency.
#[macro_export]
macro_rules! choice {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident = $word:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vdoc])* $variant),* }

        impl $crate::model::Choice for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [(&'static str, Self)] = &[$(($word, $name::$variant)),*];
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::model::Choice::word(*self))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let word = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                <Self as $crate::model::Choice>::ALL
                    .iter()
                    .find(|(w, _)| *w == word)
                    .map(|(_, value)| *value)
                    .ok_or_else(|| ::serde::de::Error::custom(format_args!(
                        "`{word}` is not a {}; expected one of: {}",
                        <Self as $crate::model::Choice>::WHAT,
                        <Self as $crate::model::Choice>::ALL.iter().map(|(w, _)| *w).collect::<Vec<_>>().join(", "),
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
        /// Swedish (`sv`): once listed in `languages`, a text without Swedish is a warning.
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
        /// Art. 6(1)(a): the subject has consented to the purpose (needs `consent.wording`).
        Consent = "consent",
        /// Art. 6(1)(b): needed for a contract with the subject, or for steps before one.
        Contract = "contract",
        /// Art. 6(1)(c): needed to comply with a legal obligation (needs `law`).
        LegalObligation = "legal_obligation",
        /// Art. 6(1)(d): needed to protect someone's vital interests.
        VitalInterest = "vital_interest",
        /// Art. 6(1)(e): a task in the public interest or in official authority (needs `law`).
        PublicTask = "public_task",
        /// Art. 6(1)(f): the controller's or a third party's legitimate interests, balanced
        /// against the subject's (needs `legitimate_interest.balancing`).
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
        /// The data subject themselves (`data_subject`).
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
        /// E-mail address; a record's value is checked like an identity's e-mail.
        Email = "email",
        /// Phone number; a record's value is checked like an identity's phone number.
        Phone = "phone",
        /// Swedish personnummer or samordningsnummer.
        Personnummer = "personnummer",
        /// A company's organisation number (organisationsnummer); never kept by anonymisation.
        OrganisationNumber = "organisation_number",
        /// A postal address; never kept by anonymisation, as it identifies a person.
        PostalAddress = "postal_address",
        /// An IP address; never kept by anonymisation, as it identifies a person.
        IpAddress = "ip_address",
        /// A web address; may be kept as `statistical` (a page URL identifies no one).
        Url = "url",
        /// A calendar date; may be kept as `statistical` when a record is anonymised.
        Date = "date",
        /// A number (a count, an amount); may be kept as `statistical` when a record is anonymised.
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
        /// Data revealing racial or ethnic origin.
        RacialOrEthnicOrigin = "racial_or_ethnic_origin",
        /// Data revealing political opinions.
        PoliticalOpinions = "political_opinions",
        /// Data revealing religious or philosophical beliefs.
        ReligiousOrPhilosophicalBeliefs = "religious_or_philosophical_beliefs",
        /// Data revealing trade union membership.
        TradeUnionMembership = "trade_union_membership",
        /// Genetic data (Art. 4(13)): inherited or acquired genetic characteristics.
        Genetic = "genetic",
        /// Biometric data (Art. 4(14)) processed to identify a person uniquely.
        Biometric = "biometric",
        /// Data concerning physical or mental health, including care received (Art. 4(15)).
        Health = "health",
        /// Data concerning a person's sex life or sexual orientation.
        SexLifeOrOrientation = "sex_life_or_orientation",
    }
);

choice!(
    /// The condition that lifts the ban on special categories (Art. 9(2)(a)-(j)).
    Art9Condition, "Art. 9(2) condition", {
        /// Art. 9(2)(a): the subject's explicit consent.
        ExplicitConsent = "explicit_consent",
        /// Art. 9(2)(b): obligations and rights under employment and social security law.
        EmploymentAndSocialSecurity = "employment_and_social_security",
        /// Art. 9(2)(c): vital interests of someone physically or legally unable to consent.
        VitalInterests = "vital_interests",
        /// Art. 9(2)(d): a political, religious or trade union not-for-profit body, for members.
        NotForProfitBody = "not_for_profit_body",
        /// Art. 9(2)(e): data the subject has manifestly made public.
        MadePublicBySubject = "made_public_by_subject",
        /// Art. 9(2)(f): establishing, exercising or defending legal claims, or courts acting.
        LegalClaims = "legal_claims",
        /// Art. 9(2)(g): substantial public interest, on the basis of Union or member state law.
        SubstantialPublicInterest = "substantial_public_interest",
        /// Art. 9(2)(h): preventive or occupational medicine, diagnosis, health or social care.
        HealthOrSocialCare = "health_or_social_care",
        /// Art. 9(2)(i): public health (cross-border threats, quality of care and medicines).
        PublicHealth = "public_health",
        /// Art. 9(2)(j): archiving in the public interest, research or statistics (Art. 89(1)).
        ArchivingResearchStatistics = "archiving_research_statistics",
    }
);

choice!(
    /// Who gives a consent.
    ConsentGiver, "consent giver", {
        /// The data subject, for themselves (`subject`, the default).
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
        /// Telephone calls (`phone`).
        Phone = "phone",
        /// Letters by post (`post`).
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
        /// No fixed period (a rule with `criteria` and `review`): when the review interval has
        /// passed since collection or the last review, the record is due for a person to decide
        /// whether it is still needed; nothing is deleted by the sweep.
        Review = "review",
    }
);

choice!(
    /// What a recipient is to the controller (`recipients[].kind`); decides whether it must be
    /// told of rectifications, erasures and restrictions (Art. 19).
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
        /// A prospective buyer or seller of the business or its assets.
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
        /// Art. 49(1)(a): the subject explicitly consented after being told of the risks.
        ExplicitConsent = "explicit_consent",
        /// Art. 49(1)(b): needed for a contract with the subject, or steps before one they ask for.
        ContractWithSubject = "contract_with_subject",
        /// Art. 49(1)(c): needed for a contract made in the subject's interest with someone else.
        ContractInSubjectsInterest = "contract_in_subjects_interest",
        /// Art. 49(1)(d): needed for important reasons of public interest.
        PublicInterest = "public_interest",
        /// Art. 49(1)(e): needed to establish, exercise or defend legal claims.
        LegalClaims = "legal_claims",
        /// Art. 49(1)(f): vital interests of someone physically or legally unable to consent.
        VitalInterests = "vital_interests",
        /// Art. 49(1)(g): made from a register that the law opens to the public.
        PublicRegister = "public_register",
    }
);

choice!(
    /// The kind of a security measure (Art. 32).
    MeasureKind, "measure kind", {
        /// A technical measure (`technical`): encryption, access control, logging.
        Technical = "technical",
        /// An organisational measure (`organisational`): policies, training, agreements.
        Organisational = "organisational",
        /// A physical measure (`physical`): locked premises, access to server rooms.
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
        /// An HTTP cookie (`cookie`), the kind when a service's `kind` is left out.
        Cookie = "cookie",
        /// A pixel tag (web or e-mail).
        Pixel = "pixel",
        /// Browser local storage.
        LocalStorage = "local_storage",
    }
);

choice!(
    /// What the cookie banner does with a privacy signal a browser sends (`cookies.gpc`,
    /// `cookies.dnt`).
    SignalRule, "browser signal rule", {
        /// `honour`: a browser sending the signal starts with every category that needs consent
        /// refused, and a choice against it is asked for explicitly.
        Honour = "honour",
        /// `ignore`: the signal is logged with the choice but changes nothing the banner shows.
        Ignore = "ignore",
    }
);

choice!(
    /// A privacy signal a browser sends (the keys of `signals`), recorded for a subject as an
    /// objection by automated means (Art. 21(5)).
    BrowserSignal, "browser signal", {
        /// Global Privacy Control: `Sec-GPC: 1`.
        Gpc = "gpc",
        /// Do Not Track: `DNT: 1`.
        Dnt = "dnt",
    }
);

choice!(
    /// A Google Consent Mode v2 signal a cookie category stands for (`consent_mode`): granted
    /// when the category is given, denied otherwise.
    ConsentModeSignal, "Google Consent Mode signal", {
        /// `ad_storage`: storage (cookies) for advertising.
        AdStorage = "ad_storage",
        /// `ad_user_data`: sending user data to Google for advertising.
        AdUserData = "ad_user_data",
        /// `ad_personalization`: personalised advertising.
        AdPersonalization = "ad_personalization",
        /// `analytics_storage`: storage for analytics (visit duration, for example).
        AnalyticsStorage = "analytics_storage",
        /// `functionality_storage`: storage for the site's functions (language settings).
        FunctionalityStorage = "functionality_storage",
        /// `personalization_storage`: storage for personalisation (recommendations).
        PersonalizationStorage = "personalization_storage",
        /// `security_storage`: storage for security (authentication, fraud prevention).
        SecurityStorage = "security_storage",
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
        /// A letter by post to the people affected (sent by the company; Skydd's announcement
        /// job writes e-mail only).
        Post = "post",
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
        /// The end of the contract (`contract_end`); a record whose contract still runs is kept.
        ContractEnd = "contract_end",
        /// The invoice was paid.
        InvoicePaid = "invoice_paid",
        /// The data-subject request was closed.
        RequestClosed = "request_closed",
        /// The last review of a record kept by criteria (`retention[].review`); before its
        /// first review, a record counts from its collection.
        Reviewed = "reviewed",
    }
);

/// Text in English, optionally in Swedish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// English: always present, and the fallback for a missing Swedish text.
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
    /// Postal code as written (`311 22`), not checked.
    pub postal_code: Option<String>,
    /// City (required; `Falkenberg`).
    pub city: String,
    /// ISO 3166-1 alpha-2 code (`SE`); for the controller it decides the holiday calendar and
    /// whether the organisation number is checked.
    pub country: Country,
}

/// Ways to reach someone (at least one is present).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Contact {
    /// E-mail address, checked to look like `local@domain.tld`.
    pub email: Option<String>,
    /// Phone number as written, not checked.
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
    /// The register the number is in ("Companies House"), which the notice names with it;
    /// without one, Sweden's is "org. no." and any other "registration no.". Left out of the
    /// JSON when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// Address of the establishment.
    pub address: Address,
    /// Where privacy questions go: at least one of `email`, `phone`, `url`, `postal`.
    pub contact: Contact,
    /// Other companies of the group the notice covers (`controller.entities`). Left out of the
    /// JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<Entity>,
    /// The controller's local establishments, such as an office in another country
    /// (`controller.establishments`). Left out of the JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub establishments: Vec<Establishment>,
}

/// Another company of the controller's group that the notice covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// Legal name.
    pub name: String,
    /// Registration number (checked when the company is Swedish).
    pub organisation_number: Option<String>,
    /// The register the number is in, as for the controller.
    pub registry: Option<String>,
    /// Registered address.
    pub address: Address,
}

/// A local establishment of the controller (an office).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Establishment {
    /// What it is ("Our Stockholm office").
    pub name: Text,
    /// Where it is.
    pub address: Address,
}

impl Authority {
    /// The postal address in `language`: the Swedish one when there is one, else as written.
    pub fn address_in(&self, language: Language) -> Option<&str> {
        match language {
            Language::Sv => self.address_sv.as_deref().or(self.address.as_deref()),
            Language::En => self.address.as_deref(),
        }
    }
}

impl Recipient {
    /// Whether a disclosure to this recipient needs a decision: as `requires_decision` says,
    /// or else when it is an authority (a court decision or an order, P000-50).
    pub fn disclosure_needs_decision(&self) -> bool {
        self.requires_decision
            .unwrap_or(self.kind == RecipientKind::Authority)
    }
}

impl Controller {
    /// Whether the controller, or one of its establishments, is in the EU/EEA: if not, it
    /// needs a representative in the Union (Art. 27).
    pub fn established_in_eea(&self) -> bool {
        self.address.country.in_eea()
            || self
                .establishments
                .iter()
                .any(|e| e.address.country.in_eea())
    }
}

/// The Art. 27 representative of a controller outside the EU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representative {
    /// Name of the person or company designated in the Union.
    pub name: String,
    /// Its address, if given.
    pub address: Option<Address>,
    /// How subjects and the authority reach it (at least one way).
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
    /// Name as the notice gives it ("Integritetsskyddsmyndigheten (IMY)"); a name still saying
    /// "Datainspektionen" is warned about.
    pub name: Text,
    /// The authority's country, ISO 3166-1 alpha-2 (`SE`).
    pub country: Country,
    /// Postal address as one line, as written ("Box 8114, 104 20 Stockholm, Sweden"); the
    /// English one when the register gives `address: {en, sv}`.
    pub address: Option<String>,
    /// The address as the Swedish notice writes it ("..., Sverige"), from `address: {en, sv}`.
    /// Left out of the JSON when absent (a new key, so stored versions keep their shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_sv: Option<String>,
    /// Phone number as written, not checked ("+46 8 657 61 00").
    pub phone: Option<String>,
    /// E-mail address, checked to look like `local@domain.tld`.
    pub email: Option<String>,
    /// Web site (`https://www.imy.se`).
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
    /// Title of the document ("Terms of use", "Data processing agreement").
    pub name: Text,
    /// Where it is published.
    pub url: String,
}

/// A category of data subjects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectCategory {
    /// Id (`subjects[].id`), lower snake case, unique among subject categories.
    pub id: SubjectId,
    /// What the subjects are called in the notice ("Contact persons at our customers").
    pub name: Text,
    /// A longer explanation, when the register gives one.
    pub description: Option<Text>,
}

/// A source of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Id (`sources[].id`), lower snake case, unique among sources.
    pub id: SourceId,
    /// What kind of source it is (`data_subject`, `customer`, `social_network`, `observed` ...).
    pub kind: SourceKind,
    /// Name in the notice; a proper name ("LinkedIn") needs no Swedish form.
    pub name: Text,
    /// A longer explanation, when the register gives one.
    pub description: Option<Text>,
    /// The source's own privacy policy (social networks).
    pub policy_url: Option<String>,
}

/// A category of personal data and its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataCategory {
    /// Id (`data[].id`), lower snake case, unique among data categories.
    pub id: CategoryId,
    /// Name in the notice ("Basic contact information").
    pub name: Text,
    /// A longer explanation, when the register gives one.
    pub description: Option<Text>,
    /// Whether the subject provided the data (portability, Art. 20).
    pub provided_by_subject: bool,
    /// False for anonymous data (aggregates), which needs no retention rule.
    pub personal_data: bool,
    /// Art. 9(1) category, if special.
    pub special_category: Option<SpecialCategory>,
    /// The Art. 9(2) condition, required for a special category.
    pub art9_condition: Option<Art9Condition>,
    /// The fields it holds: at least one, each id once.
    pub fields: Vec<Field>,
}

/// A field of a data category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// Id, unique within its category (`email`, `personnummer`).
    pub id: FieldId,
    /// Kind of values.
    pub format: FieldFormat,
    /// Never shown in clear in exports (passwords, security answers).
    pub secret: bool,
    /// Kept when a record is anonymised.
    pub statistical: bool,
    /// Collected only for subjects in these countries (empty: everywhere).
    pub only_for_countries: Vec<Country>,
    /// What people read for it ("Organisation number", "Organisationsnummer"); without one,
    /// the id with spaces. Left out of the JSON when absent, so registers without labels keep
    /// their digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Text>,
}

impl Field {
    /// The field's name for people in `language`: its label, or else its id with spaces for
    /// underscores (`postal_address` → "postal address").
    pub fn label(&self, language: Language) -> String {
        match &self.label {
            Some(label) => label.get(language).to_owned(),
            None => self.id.0.replace('_', " "),
        }
    }
}

/// A named anchor event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Id (`events[].id`); a built-in event cannot be declared again.
    pub id: EventId,
    /// Name in plain words ("the end of the financial year").
    pub name: Text,
}

/// A named state that ends with an event ("you are our customer" ends with `contract_end`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Id (`states[].id`), named by a retention rule's `while`.
    pub id: StateId,
    /// Name in plain words.
    pub name: Text,
    /// The event that ends it.
    pub ends_with: EventId,
}

/// The legal bases of one data category under one purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryBasis {
    /// The data category, as keyed under the purpose's `legal_basis`.
    pub category: CategoryId,
    /// One or more bases.
    pub bases: Vec<LegalBasis>,
    /// Bases that hold only once a fact is true of the record: `{basis: contract, when:
    /// support_agreement}` (issue 20). Left out of the JSON when empty, so registers without
    /// conditions keep their digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<BasisCondition>,
}

/// A basis that holds only while a fact is true: the record's anchor `event` has happened, or
/// the subject holds an `attribute` (support on contract for a customer with a support
/// agreement, on legitimate interest otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisCondition {
    /// The basis, one of the category's `bases`.
    pub basis: LegalBasis,
    /// The fact it waits for; serialised as `event: ID` or `attribute: ID` beside `basis`, so
    /// registers written before attributes keep their digest.
    #[serde(flatten)]
    pub fact: ConditionFact,
}

/// What a conditioned basis waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionFact {
    /// The record's anchor for this event (built in or declared under `events`) is at or
    /// before now: a fact of one record.
    Event(EventId),
    /// The subject holds this attribute (declared under `attributes`) now: a fact of the
    /// person, whatever record is asked about, and also when none is.
    Attribute(AttributeId),
}

/// A fact about a person that the company records in Skydd from its own systems, for a legal
/// basis to depend on (`attributes`): "you have a support agreement with us". It holds from a
/// date, and until a date when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectAttribute {
    /// Id (`attributes[].id`), named by a basis's `when: {attribute: ID}`.
    pub id: AttributeId,
    /// The fact as a clause about the reader, in each language ("you have a support agreement
    /// with us"), so that the notice can say "when you have a support agreement with us".
    pub name: Text,
}

impl CategoryBasis {
    /// The fact `basis` waits for, when the register puts a condition on it.
    pub fn condition(&self, basis: LegalBasis) -> Option<&ConditionFact> {
        self.when.iter().find(|c| c.basis == basis).map(|c| &c.fact)
    }
}

/// What legitimate interest is pursued and how it was balanced (Art. 6(1)(f), 13(1)(d)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegitimateInterest {
    /// The interest pursued.
    pub interest: Option<Text>,
    /// The balancing test, summarised or referenced.
    pub balancing: Text,
}

/// The terms of a consent-based purpose (`purposes[].consent`): what is agreed to, and by whom.
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
    /// Id (`purposes[].id`): how the API, the consent ledger and the audit trail name the activity.
    pub id: PurposeId,
    /// Name in the notice ("Information security and preventing misuse of services").
    pub name: Text,
    /// A longer explanation, when the register gives one.
    pub description: Option<Text>,
    /// Controller or processor.
    pub role: Role,
    /// Whose data it processes (subject category ids).
    pub subjects: Vec<SubjectId>,
    /// Where its data comes from (source ids).
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
    /// Wording and giver of the consent; required when any category rests on consent.
    pub consent: Option<ConsentTerms>,
    /// Direct marketing: an objection is absolute (Art. 21(3)).
    pub direct_marketing: bool,
    /// Profiling (Art. 4(4)): the notice says the processing includes it.
    pub profiling: bool,
    /// Automated decision-making with legal or similar effect (Art. 22).
    pub automated_decision: bool,
    /// The channels direct marketing uses (`email`, `sms`, `phone`, `post`, `push`, `in_app`).
    pub channels: Vec<Channel>,
    /// Who data is disclosed to for this purpose (recipient ids).
    pub recipients: Vec<RecipientId>,
    /// A feature that must be switched on for the scope.
    pub requires_feature: Option<FeatureId>,
    /// Whether the person must provide the data, and what happens if they do not (Art.
    /// 13(2)(e)), per group of categories (`provision`). Left out of the JSON when empty, so
    /// registers without it keep their digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provision: Vec<Provision>,
    /// The audiences whose notice lists this purpose (`audiences`); empty: every audience.
    /// Left out of the JSON when empty, so registers without it keep their digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<AudienceId>,
    /// A processor activity that waits for each customer's signed data processing agreement
    /// (`requires_agreement`, Art. 28(3); P001-25): a tenant's subjects are processed under it
    /// only once an agreement with the tenant is recorded. Left out of the JSON when false,
    /// so registers without it keep their digest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requires_agreement: bool,
    /// Whether the purpose may combine data from several of its sources into one record
    /// (`combines_sources`; P000-45: "collect personal information about you from a source with
    /// information obtained from another source ... a more complete picture of you"). A record
    /// written with `combined_from` for any other purpose is refused. Left out of the JSON when
    /// false, so registers without it keep their digest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub combines_sources: bool,
}

impl Purpose {
    /// Whether the notice for `audience` lists this purpose.
    pub fn is_for(&self, audience: &AudienceId) -> bool {
        self.audiences.is_empty() || self.audiences.contains(audience)
    }
}

/// A group of people with a notice of its own (`audiences`): "people in the EU/EEA and the
/// United Kingdom" and "people elsewhere". Each audience's notice lists the purposes for it and
/// links the others'. The first is the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// Id (`audiences[].id`), named by a purpose's `audiences` and by `/privacy?audience=`.
    pub id: AudienceId,
    /// Who they are, as a noun phrase ("people in the EU/EEA and the United Kingdom"), so that
    /// the notice can say "This notice is for people in ...".
    pub name: Text,
}

choice!(
    /// Why a person provides data (`provision[].requirement`, Art. 13(2)(e)).
    ProvisionRequirement, "provision requirement", {
        /// `statutory`: a law requires the person to provide it.
        Statutory = "statutory",
        /// `contractual`: the contract with the person requires it.
        Contractual = "contractual",
        /// `contract_entry`: it is needed to enter into a contract.
        ContractEntry = "contract_entry",
        /// `voluntary`: the person may leave it out.
        Voluntary = "voluntary",
    }
);

/// Whether the person must provide some of a purpose's data, and the consequence of not
/// providing it (Art. 13(2)(e)): what the notice says where the data is collected from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provision {
    /// The categories it is about; empty: every category of the purpose.
    pub categories: Vec<CategoryId>,
    /// Statutory, contractual, needed to enter a contract, or voluntary.
    pub requirement: ProvisionRequirement,
    /// What happens if the person does not provide it; required unless voluntary.
    pub if_not_provided: Option<Text>,
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
    /// Id (`retention[].id`), lower snake case, unique among retention rules.
    pub id: RuleId,
    /// The data category it governs (`category`).
    pub category: CategoryId,
    /// Narrowed to these purposes (empty: all purposes).
    pub purposes: Vec<PurposeId>,
    /// When it expires (for a rule kept by criteria: when it is next due for review, counted
    /// from the `reviewed` anchor).
    pub clock: RetentionClock,
    /// What happens then.
    pub action: RetentionAction,
    /// Retention by criteria rather than a fixed period: what decides how long the data is kept,
    /// in words ("as long as you are a customer"); set exactly when `action` is `review`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria: Option<Text>,
}

/// A statutory obligation to keep data (Bokföringslagen 7 kap. 2 § ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHold {
    /// Id (`legal_holds[].id`), lower snake case, unique among legal holds.
    pub id: HoldId,
    /// What is kept, in plain words ("Accounting records", sv "Räkenskapsinformation").
    pub name: Text,
    /// The provision that requires keeping, as cited ("Bokföringslagen (1999:1078) 7 kap. 2 §").
    pub law: Text,
    /// The only purpose held data may be used for.
    pub purpose: PurposeId,
    /// The data categories the hold keeps (`categories`).
    pub categories: Vec<CategoryId>,
    /// When the hold ends.
    pub clock: RetentionClock,
}

/// The safeguard of a transfer outside the EU/EEA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The safeguard: `adequacy` only for a country with a decision, `eu_us_dpf` only for `US`.
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
    /// Id (`recipients[].id`), lower snake case, unique among recipients.
    pub id: RecipientId,
    /// Name in the notice; a proper name ("Microsoft Azure OpenAI Service") needs no Swedish form.
    pub name: Text,
    /// Processor, controller, authority ...: decides whether it must be told under Art. 19.
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
    /// Whether a disclosure to it needs the court decision or order behind it
    /// (`requires_decision`); `None` when the register does not say: an authority's does, any
    /// other recipient's does not. Left out of the JSON when not said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_decision: Option<bool>,
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
    /// Id (`security[].id`), lower snake case, unique among measures.
    pub id: MeasureId,
    /// Technical, organisational or physical.
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
    /// What people can do themselves, without a request (`rights.self_service`): "log in to
    /// your account to see and change your data; every marketing e-mail has a link to
    /// unsubscribe". The notice says it under how to use the rights. Left out of the JSON when
    /// absent, so registers without it keep their digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_service: Option<Text>,
}

/// A public holiday listed in the register (`rights.public_holidays`): a day that is not a
/// working day when a request's deadline is counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicHoliday {
    /// The date (`date`, ISO 8601: `2027-03-17`).
    pub date: Date,
    /// Its name as the country's calendar gives it ("St Patrick's Day"), if written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A category in the cookie banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieCategory {
    /// Id (`cookies.categories[].id`), a cookie service's `category`.
    pub id: CookieCategoryId,
    /// Name in the cookie banner ("Strictly necessary").
    pub name: Text,
    /// A longer explanation, when the register gives one.
    pub description: Option<Text>,
    /// Strictly necessary: cannot be refused.
    pub required: bool,
    /// The Google Consent Mode v2 signals this category stands for (`consent_mode`), each in at
    /// most one category. Left out of the JSON when empty, so registers without it keep their
    /// digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consent_mode: Vec<ConsentModeSignal>,
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
    /// The name the browser stores it under (`_ga`).
    pub name: String,
    /// `session` or a duration (`2 years`), as written in the register.
    pub lifetime: Lifetime,
}

/// A service that sets cookies or fires pixels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieService {
    /// Id (`cookies.services[].id`), lower snake case, unique among cookie services.
    pub id: CookieServiceId,
    /// Name of the service ("Google Analytics"); a proper name needs no Swedish form.
    pub name: Text,
    /// The company behind it ("Google"), a plain string shown after the name.
    pub provider: String,
    /// The provider as a recipient, when it receives personal data.
    pub recipient: Option<RecipientId>,
    /// The banner category it belongs to (cookie category id).
    pub category: CookieCategoryId,
    /// Cookie, pixel or local storage.
    pub kind: TrackerKind,
    /// What the service is used for, as the notice explains it.
    pub purpose: Text,
    /// Cookies set.
    pub cookies: Vec<Cookie>,
    /// Where a visitor can opt out at the provider.
    pub opt_out_url: Option<String>,
}

/// Cookie categories and services, and what the banner does with browser privacy signals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cookies {
    /// Banner categories.
    pub categories: Vec<CookieCategory>,
    /// Services that set cookies, pixels or local storage, each in one banner category.
    pub services: Vec<CookieService>,
    /// Global Privacy Control (`gpc`): honoured unless the register says `ignore`. Left out of
    /// the JSON when honoured (the default), so registers without it keep their digest.
    #[serde(
        default = "SignalRule::honour",
        skip_serializing_if = "SignalRule::is_honour"
    )]
    pub gpc: SignalRule,
    /// Do Not Track (`dnt`): ignored unless the register says `honour`. Left out of the JSON
    /// when ignored (the default).
    #[serde(
        default = "SignalRule::ignore",
        skip_serializing_if = "SignalRule::is_ignore"
    )]
    pub dnt: SignalRule,
    /// The register says `cookies:` and declares no services in it: the notice then says that
    /// no cookies or similar technologies are used. False when the key is left out (the notice
    /// says nothing about cookies, rather than a claim the register does not make) and when
    /// services are declared. Left out of the JSON when false, so other registers keep their
    /// digest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub none_used: bool,
}

impl Default for Cookies {
    /// No categories or services; GPC honoured, DNT ignored; nothing said about their use.
    fn default() -> Cookies {
        Cookies {
            categories: Vec::new(),
            services: Vec::new(),
            gpc: SignalRule::Honour,
            dnt: SignalRule::Ignore,
            none_used: false,
        }
    }
}

impl SignalRule {
    fn honour() -> SignalRule {
        SignalRule::Honour
    }

    fn ignore() -> SignalRule {
        SignalRule::Ignore
    }

    fn is_honour(&self) -> bool {
        *self == SignalRule::Honour
    }

    fn is_ignore(&self) -> bool {
        *self == SignalRule::Ignore
    }
}

impl Cookies {
    /// The banner's revision: the first 16 hex digits of the SHA-256 of this section's canonical
    /// JSON (categories, services, the GPC and DNT rules). Any change to what the banner shows
    /// or how it treats a signal changes it, so a browser's stored choice is asked again; a
    /// change elsewhere in the register leaves it alone.
    pub fn revision(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        let mut hex = data_encoding::HEXLOWER.encode(&Sha256::digest(&bytes));
        hex.truncate(REVISION_LEN);
        hex
    }

    /// A banner category by id.
    pub fn category(&self, id: &str) -> Option<&CookieCategory> {
        self.categories.iter().find(|c| c.id.as_str() == id)
    }

    /// A cookie service by id.
    pub fn service(&self, id: &str) -> Option<&CookieService> {
        self.services.iter().find(|s| s.id.as_str() == id)
    }
}

/// How many hex digits a banner revision ([`Cookies::revision`]) has.
pub const REVISION_LEN: usize = 16;

/// A feature that processes data only where an organisation opted in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    /// Id (`features[].id`), lower snake case, unique among features.
    pub id: FeatureId,
    /// Name in the notice of the purposes that need it ("only where your organisation has switched
    /// on AI features").
    pub name: Text,
    /// Where it can be switched on.
    pub scopes: Vec<FeatureScope>,
}

/// How often the security measures are evaluated (`security_review`; P003-42: "We are
/// regularly evaluating our security measures"). Reviews are recorded with their dates; a
/// cycle with none in it is overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityReview {
    /// The longest time between two reviews (`every: 12 months`).
    pub every: Period,
}

/// Where the review cycle stands on a day (see [`SecurityReview::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReviewStatus {
    /// The date of the latest review recorded, if any.
    pub last: Option<Date>,
    /// The last day the next review is due: `every` after the latest one. `None` when none was
    /// ever recorded (then it is due now) or the date is out of range.
    pub due: Option<Date>,
    /// Whether no review falls within the cycle: none recorded, or `today` is after `due`.
    pub overdue: bool,
}

impl SecurityReview {
    /// Where the cycle stands on `today`, given the dates reviews were held (any order).
    /// A review on the due date itself is in time.
    pub fn status(self, reviewed_on: &[Date], today: Date) -> ReviewStatus {
        let last = reviewed_on.iter().copied().filter(|d| *d <= today).max();
        let due = last.and_then(|last| self.every.after(last));
        ReviewStatus {
            last,
            due,
            overdue: due.is_none_or(|due| today > due),
        }
    }
}

/// A job role in the company (`roles`: billing, support ...) and the purposes whose data it
/// needs for its tasks (P002-38, P003-41: access only to those who need it). A decision asked
/// on behalf of someone in the role is denied for any other purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRole {
    /// Id (`roles[].id`), lower snake case, unique among roles.
    pub id: RoleId,
    /// Name, for the record and the console ("Customer support", sv "Kundsupport").
    pub name: Text,
    /// The purposes the role works for (`purposes`), at least one.
    pub purposes: Vec<PurposeId>,
}

impl JobRole {
    /// Whether the role works for `purpose`.
    pub fn serves(&self, purpose: &PurposeId) -> bool {
        self.purposes.contains(purpose)
    }
}

/// What a browser signal recorded for a subject objects to (one entry of `signals`): the uses a
/// decision then denies, as an objection to them would (Art. 21: absolute for direct marketing,
/// otherwise it stops legitimate interest and public task).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalObjection {
    /// Every direct marketing purpose (`direct_marketing`).
    pub direct_marketing: bool,
    /// Every use of a category the purpose discloses to a recipient that uses it for its own
    /// purposes (`sharing`: a recipient of kind `controller` or `joint_controller`).
    pub sharing: bool,
    /// These purposes besides (purpose ids in the list).
    pub purposes: Vec<PurposeId>,
}

impl SignalObjection {
    /// Direct marketing and sharing: what a signal objects to unless the register says
    /// otherwise (what "do not sell or share" means).
    pub fn marketing_and_sharing() -> SignalObjection {
        SignalObjection {
            direct_marketing: true,
            sharing: true,
            purposes: Vec::new(),
        }
    }

    /// Whether the signal objects to nothing, so recording it would change no decision.
    pub fn is_nothing(&self) -> bool {
        !self.direct_marketing && !self.sharing && self.purposes.is_empty()
    }
}

/// What each browser signal objects to when it is recorded for a subject (`signals`), by
/// `POST /v1/signals` or with a consent. Separate from what the cookie banner does with the
/// signal (`cookies.gpc`, `cookies.dnt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signals {
    /// Global Privacy Control.
    pub gpc: SignalObjection,
    /// Do Not Track.
    pub dnt: SignalObjection,
}

impl Default for Signals {
    /// Both signals object to direct marketing and sharing.
    fn default() -> Signals {
        Signals {
            gpc: SignalObjection::marketing_and_sharing(),
            dnt: SignalObjection::marketing_and_sharing(),
        }
    }
}

impl Signals {
    /// What `signal` objects to.
    pub fn get(&self, signal: BrowserSignal) -> &SignalObjection {
        match signal {
            BrowserSignal::Gpc => &self.gpc,
            BrowserSignal::Dnt => &self.dnt,
        }
    }

    fn is_default(&self) -> bool {
        *self == Signals::default()
    }
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
    /// Who decides the purposes and means (Art. 4(7)); its country picks the holiday calendar.
    pub controller: Controller,
    /// Art. 27 representative in the Union of a controller outside it (`representative`).
    pub representative: Option<Representative>,
    /// Data protection officer.
    pub dpo: Option<Dpo>,
    /// Lead supervisory authority.
    pub authority: Authority,
    /// What the register covers (`scope`); empty when the key is left out.
    pub scope: Scope,
    /// Categories of data subjects (`subjects`).
    pub subjects: Vec<SubjectCategory>,
    /// Where data comes from (`sources`).
    pub sources: Vec<Source>,
    /// Categories of personal data and anonymous aggregates (`data`).
    pub data: Vec<DataCategory>,
    /// Declared anchor events (built-in ones are implicit).
    pub events: Vec<Event>,
    /// Declared states for "while ... then" retention (`states`).
    pub states: Vec<State>,
    /// Processing activities (`purposes`), each with its legal basis per data category.
    pub purposes: Vec<Purpose>,
    /// Retention rules (`retention`): at least one for every personal data category.
    pub retention: Vec<RetentionRule>,
    /// Statutory keeping obligations (`legal_holds`); empty when none.
    pub legal_holds: Vec<LegalHold>,
    /// Who personal data is disclosed to (`recipients`); empty when none.
    pub recipients: Vec<Recipient>,
    /// Art. 32 security measures (`security`).
    pub security: Vec<SecurityMeasure>,
    /// How data-subject requests are handled (`rights`).
    pub rights: RightsPolicy,
    /// Cookie categories and services (`cookies`); empty when the key is left out.
    pub cookies: Cookies,
    /// Features off until an organisation or project opts in (`features`).
    pub features: Vec<Feature>,
    /// Job roles and the purposes each may ask for data for (`roles`); empty when none. Left
    /// out of the JSON when empty, so registers without it keep their digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<JobRole>,
    /// Facts about people that a legal basis can depend on (`attributes`); empty when none.
    /// Left out of the JSON when empty, so registers without it keep their digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<SubjectAttribute>,
    /// Groups of people with a notice each (`audiences`), the first the default; empty: one
    /// notice for everyone. Left out of the JSON when empty, so registers without it keep
    /// their digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<Audience>,
    /// How often the security measures are evaluated (`security_review`); left out of the
    /// JSON when absent, so registers without it keep their digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_review: Option<SecurityReview>,
    /// What each browser signal objects to once recorded for a subject (`signals`). Left out
    /// of the JSON when it is the default (both: direct marketing and sharing), so registers
    /// without it keep their digest.
    #[serde(default, skip_serializing_if = "Signals::is_default")]
    pub signals: Signals,
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

    /// The register as the notice for `audience` sees it: the purposes for other audiences
    /// left out (and with them their categories, recipients and transfers, which the notice
    /// derives from the purposes). `None` for an audience the register does not declare.
    pub fn for_audience(&self, audience: &str) -> Option<Register> {
        let audience = self.audiences.iter().find(|a| a.id.as_str() == audience)?;
        let mut seen = self.clone();
        seen.purposes.retain(|p| p.is_for(&audience.id));
        Some(seen)
    }

    /// Whether `recipient` receives anonymous data only: it lists its `categories` and every
    /// one is `personal_data: false`. Such a recipient receives no personal data, so the notice
    /// and the record do not list it, and it needs no transfer safeguard or `notify` address.
    pub fn receives_anonymous_data_only(&self, recipient: &Recipient) -> bool {
        !recipient.categories.is_empty()
            && recipient
                .categories
                .iter()
                .all(|c| self.category(c).is_some_and(|c| !c.personal_data))
    }
}
