//! Register values in plain words, in English and Swedish: periods, dates, legal bases,
//! recipients, transfers, countries and the other fixed vocabularies of the register.

use jiff::civil::Date;
use skydd_register::country::Country;
use skydd_register::model::{
    Address, Art9Condition, BuiltinEvent, ChangeChannel, Channel, Derogation, FurtherCopies,
    Language, LegalBasis, Lifetime, MeasureKind, RecipientKind, SpecialCategory, TrackerKind,
    TransferMechanism, VerificationMethod,
};
use skydd_register::period::{Period, PeriodUnit};

/// Pick the English or the Swedish wording.
pub(crate) fn pick<'a>(language: Language, en: &'a str, sv: &'a str) -> &'a str {
    match language {
        Language::En => en,
        Language::Sv => sv,
    }
}

/// A period in words: "24 months", "1 month", "24 månader", "1 år".
pub fn period(language: Language, period: Period) -> String {
    let one = period.amount == 1;
    let unit = match (language, period.unit, one) {
        (Language::En, PeriodUnit::Minute, true) => "minute",
        (Language::En, PeriodUnit::Minute, false) => "minutes",
        (Language::En, PeriodUnit::Hour, true) => "hour",
        (Language::En, PeriodUnit::Hour, false) => "hours",
        (Language::En, PeriodUnit::Day, true) => "day",
        (Language::En, PeriodUnit::Day, false) => "days",
        (Language::En, PeriodUnit::Week, true) => "week",
        (Language::En, PeriodUnit::Week, false) => "weeks",
        (Language::En, PeriodUnit::Month, true) => "month",
        (Language::En, PeriodUnit::Month, false) => "months",
        (Language::En, PeriodUnit::Year, true) => "year",
        (Language::En, PeriodUnit::Year, false) => "years",
        (Language::Sv, PeriodUnit::Minute, true) => "minut",
        (Language::Sv, PeriodUnit::Minute, false) => "minuter",
        (Language::Sv, PeriodUnit::Hour, true) => "timme",
        (Language::Sv, PeriodUnit::Hour, false) => "timmar",
        (Language::Sv, PeriodUnit::Day, true) => "dag",
        (Language::Sv, PeriodUnit::Day, false) => "dagar",
        (Language::Sv, PeriodUnit::Week, true) => "vecka",
        (Language::Sv, PeriodUnit::Week, false) => "veckor",
        (Language::Sv, PeriodUnit::Month, true) => "månad",
        (Language::Sv, PeriodUnit::Month, false) => "månader",
        (Language::Sv, PeriodUnit::Year, _) => "år",
    };
    format!("{} {unit}", period.amount)
}

/// A date as people write it in Europe: "5 January 2022" (British) / "5 januari 2022".
pub fn date(language: Language, date: Date) -> String {
    format!(
        "{} {} {}",
        date.day(),
        language.month_name(date.month()),
        date.year()
    )
}

/// A company's registration number named by its register: "Companies House 05921693" when the
/// register names the registry, "Swedish corporate identity number 556647-9241" / "org.nr ..."
/// for a Swedish company,
/// "registration no. ..." / "registreringsnummer ..." otherwise; `None` without a number.
pub fn registration(
    l: Language,
    number: Option<&str>,
    registry: Option<&str>,
    address: &Address,
) -> Option<String> {
    let number = number?;
    Some(match registry {
        Some(registry) => format!("{registry} {number}"),
        None if address.country.code() == "SE" => {
            format!(
                "{} {number}",
                match l {
                    Language::En => "Swedish corporate identity number",
                    Language::Sv => "org.nr",
                }
            )
        }
        None => format!(
            "{} {number}",
            match l {
                Language::En => "registration no.",
                Language::Sv => "registreringsnummer",
            }
        ),
    })
}

/// Countries that write the postcode after the town ("London EC1A 1BB"); the others, Sweden
/// among them, before it ("311 22 Falkenberg").
const POSTCODE_AFTER_TOWN: [&str; 6] = ["GB", "IE", "US", "CA", "AU", "NZ"];

/// An address on one line, in the order its country writes it, with the country named in `l`.
pub fn address(l: Language, a: &Address) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(a.street.clone());
    parts.push(match &a.postal_code {
        Some(code) if POSTCODE_AFTER_TOWN.contains(&a.country.code()) => {
            format!("{} {code}", a.city)
        }
        Some(code) => format!("{code} {}", a.city),
        None => a.city.clone(),
    });
    parts.push(country(l, a.country));
    parts.join(", ")
}

/// An ordinal in words up to ten, digits after: "seventh" / "sjunde", "12th" / "12:e".
pub fn ordinal(language: Language, n: u32) -> String {
    const EN: [&str; 10] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth",
    ];
    const SV: [&str; 10] = [
        "första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde", "åttonde", "nionde",
        "tionde",
    ];
    match (language, n) {
        (Language::En, 1..=10) => EN[(n - 1) as usize].to_owned(),
        (Language::Sv, 1..=10) => SV[(n - 1) as usize].to_owned(),
        (Language::En, _) => match (n % 10, n % 100) {
            (1, r) if r != 11 => format!("{n}st"),
            (2, r) if r != 12 => format!("{n}nd"),
            (3, r) if r != 13 => format!("{n}rd"),
            _ => format!("{n}th"),
        },
        (Language::Sv, _) => match (n % 10, n % 100) {
            (1 | 2, r) if r != 11 && r != 12 => format!("{n}:a"),
            _ => format!("{n}:e"),
        },
    }
}

/// The legal basis with its article: "legitimate interest (GDPR Art. 6(1)(f))" /
/// "berättigat intresse (artikel 6.1 f i dataskyddsförordningen)".
pub fn legal_basis(language: Language, basis: LegalBasis) -> String {
    let (en, sv, letter) = match basis {
        LegalBasis::Consent => ("consent", "samtycke", 'a'),
        LegalBasis::Contract => ("performance of a contract", "fullgörande av avtal", 'b'),
        LegalBasis::LegalObligation => ("legal obligation", "rättslig förpliktelse", 'c'),
        LegalBasis::VitalInterest => ("vital interests", "grundläggande intressen", 'd'),
        LegalBasis::PublicTask => (
            "a task in the public interest",
            "uppgift av allmänt intresse",
            'e',
        ),
        LegalBasis::LegitimateInterest => ("legitimate interest", "berättigat intresse", 'f'),
    };
    match language {
        Language::En => format!("{en} (GDPR Art. 6(1)({letter}))"),
        Language::Sv => format!("{sv} (artikel 6.1 {letter} i dataskyddsförordningen)"),
    }
}

/// Several bases for one category: "performance of a contract or consent".
pub fn legal_bases(language: Language, bases: &[LegalBasis]) -> String {
    let words: Vec<String> = bases.iter().map(|b| legal_basis(language, *b)).collect();
    join_or(language, &words)
}

/// "a, b and c" / "a, b och c".
pub fn join_and(language: Language, items: &[String]) -> String {
    join_with(items, pick(language, "and", "och"))
}

/// Names from the register joined as a phrase that starts a cell or a line: the first as
/// written, the others lower-cased where they are not acronyms ("Förbättring av våra tjänster
/// och intresseprofiler för marknadsföring").
pub fn join_names(language: Language, names: &[String]) -> String {
    let names: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(n, name)| {
            if n == 0 {
                name.clone()
            } else {
                lower_first(name)
            }
        })
        .collect();
    // A name that holds the conjunction itself ("products, services and websites") would blur
    // where one name ends: then the names are set apart with semicolons.
    let and = pick(language, " and ", " och ");
    if names.len() > 1 && names.iter().any(|n| n.contains(and) || n.contains(',')) {
        return names.join("; ");
    }
    join_and(language, &names)
}

/// "a, b or c" / "a, b eller c".
pub fn join_or(language: Language, items: &[String]) -> String {
    join_with(items, pick(language, "or", "eller"))
}

fn join_with(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

/// What kind of recipient: "processor" / "personuppgiftsbiträde".
pub fn recipient_kind(language: Language, kind: RecipientKind) -> &'static str {
    match kind {
        RecipientKind::Processor => pick(language, "processor", "personuppgiftsbiträde"),
        RecipientKind::SubProcessor => pick(language, "sub-processor", "underbiträde"),
        RecipientKind::JointController => pick(
            language,
            "joint controller",
            "gemensamt personuppgiftsansvarig",
        ),
        RecipientKind::Controller => pick(
            language,
            "independent controller",
            "självständigt personuppgiftsansvarig",
        ),
        RecipientKind::GroupCompany => pick(language, "company in our group", "koncernbolag"),
        RecipientKind::Authority => pick(language, "public authority", "myndighet"),
        RecipientKind::Acquirer => pick(
            language,
            "prospective buyer or seller of the business",
            "möjlig köpare eller säljare av verksamheten",
        ),
        RecipientKind::Public => pick(language, "the public", "allmänheten"),
    }
}

/// The safeguard of a transfer with its article.
pub fn transfer_mechanism(language: Language, mechanism: TransferMechanism) -> &'static str {
    match mechanism {
        TransferMechanism::Adequacy => pick(
            language,
            "an adequacy decision of the European Commission (GDPR Art. 45)",
            "EU-kommissionens beslut om adekvat skyddsnivå (artikel 45 i dataskyddsförordningen)",
        ),
        TransferMechanism::EuUsDpf => pick(
            language,
            "the EU-US Data Privacy Framework, an adequacy decision for certified US companies (GDPR Art. 45)",
            "ramverket för dataskydd mellan EU och USA (EU-US Data Privacy Framework), ett beslut om adekvat skyddsnivå för certifierade amerikanska företag (artikel 45 i dataskyddsförordningen)",
        ),
        TransferMechanism::Scc => pick(
            language,
            "the European Commission's standard contractual clauses (GDPR Art. 46(2)(c))",
            "EU-kommissionens standardavtalsklausuler (artikel 46.2 c i dataskyddsförordningen)",
        ),
        TransferMechanism::Bcr => pick(
            language,
            "binding corporate rules (GDPR Art. 47)",
            "bindande företagsbestämmelser (artikel 47 i dataskyddsförordningen)",
        ),
        TransferMechanism::Derogation => pick(
            language,
            "an exception for a specific situation (GDPR Art. 49)",
            "ett undantag för en särskild situation (artikel 49 i dataskyddsförordningen)",
        ),
    }
}

/// The Art. 49(1) point of a derogation.
pub fn derogation(language: Language, derogation: Derogation) -> &'static str {
    match derogation {
        Derogation::ExplicitConsent => pick(
            language,
            "your explicit consent",
            "ditt uttryckliga samtycke",
        ),
        Derogation::ContractWithSubject => pick(
            language,
            "it is necessary for our contract with you",
            "den är nödvändig för vårt avtal med dig",
        ),
        Derogation::ContractInSubjectsInterest => pick(
            language,
            "it is necessary for a contract made in your interest",
            "den är nödvändig för ett avtal som ingåtts i ditt intresse",
        ),
        Derogation::PublicInterest => pick(
            language,
            "important reasons of public interest",
            "viktiga skäl som rör allmänintresset",
        ),
        Derogation::LegalClaims => pick(
            language,
            "it is necessary for legal claims",
            "den är nödvändig för att fastställa, göra gällande eller försvara rättsliga anspråk",
        ),
        Derogation::VitalInterests => pick(
            language,
            "it is necessary to protect someone's vital interests",
            "den är nödvändig för att skydda någons grundläggande intressen",
        ),
        Derogation::PublicRegister => pick(
            language,
            "the data comes from a public register",
            "uppgifterna kommer från ett offentligt register",
        ),
    }
}

/// A country's name, or its code when the name is not known here.
pub fn country(language: Language, country: Country) -> String {
    let names: &[(&str, &str, &str)] = &[
        ("SE", "Sweden", "Sverige"),
        ("NO", "Norway", "Norge"),
        ("DK", "Denmark", "Danmark"),
        ("FI", "Finland", "Finland"),
        ("IS", "Iceland", "Island"),
        ("DE", "Germany", "Tyskland"),
        ("NL", "the Netherlands", "Nederländerna"),
        ("IE", "Ireland", "Irland"),
        ("FR", "France", "Frankrike"),
        ("BE", "Belgium", "Belgien"),
        ("LU", "Luxembourg", "Luxemburg"),
        ("PL", "Poland", "Polen"),
        ("ES", "Spain", "Spanien"),
        ("IT", "Italy", "Italien"),
        ("AT", "Austria", "Österrike"),
        ("EE", "Estonia", "Estland"),
        ("US", "the United States", "USA"),
        ("GB", "the United Kingdom", "Storbritannien"),
        ("CH", "Switzerland", "Schweiz"),
        ("CA", "Canada", "Kanada"),
        ("JP", "Japan", "Japan"),
        ("KR", "South Korea", "Sydkorea"),
        ("IN", "India", "Indien"),
        ("AU", "Australia", "Australien"),
        ("NZ", "New Zealand", "Nya Zeeland"),
        ("IL", "Israel", "Israel"),
        ("UA", "Ukraine", "Ukraina"),
    ];
    names
        .iter()
        .find(|(code, _, _)| *code == country.code())
        .map_or_else(
            || country.code().to_owned(),
            |(_, en, sv)| pick(language, en, sv).to_owned(),
        )
}

/// A built-in event as the end of "... after X" / "... until X".
pub fn builtin_event(language: Language, event: BuiltinEvent) -> &'static str {
    match event {
        BuiltinEvent::CollectedAt => pick(language, "collection", "insamlingen"),
        BuiltinEvent::LastContact => pick(
            language,
            "our last contact with you",
            "vår senaste kontakt med dig",
        ),
        BuiltinEvent::ContractEnd => pick(language, "the contract ends", "att avtalet har upphört"),
        BuiltinEvent::InvoicePaid => {
            pick(language, "the invoice is paid", "att fakturan har betalats")
        }
        BuiltinEvent::RequestClosed => pick(
            language,
            "your request is closed",
            "att ditt ärende har avslutats",
        ),
        BuiltinEvent::Reviewed => pick(
            language,
            "we last reviewed whether we still need it",
            "att vi senast prövade om vi fortfarande behöver dem",
        ),
    }
}

/// A special category of data (Art. 9(1)).
pub fn special_category(language: Language, category: SpecialCategory) -> &'static str {
    match category {
        SpecialCategory::RacialOrEthnicOrigin => pick(
            language,
            "racial or ethnic origin",
            "ras eller etniskt ursprung",
        ),
        SpecialCategory::PoliticalOpinions => {
            pick(language, "political opinions", "politiska åsikter")
        }
        SpecialCategory::ReligiousOrPhilosophicalBeliefs => pick(
            language,
            "religious or philosophical beliefs",
            "religiös eller filosofisk övertygelse",
        ),
        SpecialCategory::TradeUnionMembership => pick(
            language,
            "trade union membership",
            "medlemskap i fackförening",
        ),
        SpecialCategory::Genetic => pick(language, "genetic data", "genetiska uppgifter"),
        SpecialCategory::Biometric => pick(
            language,
            "biometric data used to identify you",
            "biometriska uppgifter för att identifiera dig",
        ),
        SpecialCategory::Health => pick(language, "health", "hälsa"),
        SpecialCategory::SexLifeOrOrientation => pick(
            language,
            "sex life or sexual orientation",
            "sexualliv eller sexuell läggning",
        ),
    }
}

/// The Art. 9(2) condition, with its point.
pub fn art9_condition(language: Language, condition: Art9Condition) -> String {
    let (en, sv, point) = match condition {
        Art9Condition::ExplicitConsent => {
            ("your explicit consent", "ditt uttryckliga samtycke", 'a')
        }
        Art9Condition::EmploymentAndSocialSecurity => (
            "obligations in employment and social security law",
            "skyldigheter inom arbetsrätt och social trygghet",
            'b',
        ),
        Art9Condition::VitalInterests => ("vital interests", "grundläggande intressen", 'c'),
        Art9Condition::NotForProfitBody => (
            "the activities of a not-for-profit body",
            "en ideell organisations verksamhet",
            'd',
        ),
        Art9Condition::MadePublicBySubject => (
            "data you have made public yourself",
            "uppgifter som du själv har offentliggjort",
            'e',
        ),
        Art9Condition::LegalClaims => ("legal claims", "rättsliga anspråk", 'f'),
        Art9Condition::SubstantialPublicInterest => (
            "substantial public interest",
            "ett viktigt allmänt intresse",
            'g',
        ),
        Art9Condition::HealthOrSocialCare => (
            "health or social care",
            "hälso- och sjukvård eller social omsorg",
            'h',
        ),
        Art9Condition::PublicHealth => ("public health", "folkhälsa", 'i'),
        Art9Condition::ArchivingResearchStatistics => (
            "archiving, research or statistics",
            "arkivändamål, forskning eller statistik",
            'j',
        ),
    };
    match language {
        Language::En => format!("{en} (GDPR Art. 9(2)({point}))"),
        Language::Sv => format!("{sv} (artikel 9.2 {point} i dataskyddsförordningen)"),
    }
}

/// A marketing channel.
pub fn channel(language: Language, channel: Channel) -> &'static str {
    match channel {
        Channel::Email => pick(language, "e-mail", "e-post"),
        Channel::Sms => pick(language, "text message", "sms"),
        Channel::Phone => pick(language, "telephone", "telefon"),
        Channel::Post => pick(language, "post", "brev"),
        Channel::Push => pick(language, "push notification", "pushnotis"),
        Channel::InApp => pick(
            language,
            "messages in the service",
            "meddelanden i tjänsten",
        ),
    }
}

/// A way changes are announced.
pub fn change_channel(language: Language, channel: ChangeChannel) -> &'static str {
    match channel {
        ChangeChannel::Email => pick(language, "by e-mail", "via e-post"),
        ChangeChannel::Website => pick(language, "on our website", "på vår webbplats"),
        ChangeChannel::InApp => pick(language, "in our services", "i våra tjänster"),
        ChangeChannel::SocialMedia => {
            pick(language, "in our social media", "i våra sociala medier")
        }
        ChangeChannel::Post => pick(language, "by post", "per brev"),
    }
}

/// A kind of security measure.
pub fn measure_kind(language: Language, kind: MeasureKind) -> &'static str {
    match kind {
        MeasureKind::Technical => pick(language, "Technical measures", "Tekniska åtgärder"),
        MeasureKind::Organisational => pick(
            language,
            "Organisational measures",
            "Organisatoriska åtgärder",
        ),
        MeasureKind::Physical => pick(language, "Physical measures", "Fysiska åtgärder"),
    }
}

/// How identity is verified.
pub fn verification(language: Language, method: VerificationMethod) -> &'static str {
    match method {
        VerificationMethod::EmailCode => pick(
            language,
            "a one-time code sent to your e-mail address",
            "en engångskod som skickas till din e-postadress",
        ),
        VerificationMethod::SmsCode => pick(
            language,
            "a one-time code sent by text message",
            "en engångskod som skickas med sms",
        ),
        VerificationMethod::IdDocument => pick(
            language,
            "a copy of an identity document, deleted when your request is closed",
            "en kopia av en id-handling, som raderas när ditt ärende har avslutats",
        ),
        VerificationMethod::SignedRequest => pick(
            language,
            "a signed written request",
            "en undertecknad skriftlig begäran",
        ),
        VerificationMethod::CustomerConfirmation => pick(
            language,
            "confirmation from the customer organisation you belong to",
            "en bekräftelse från den kundorganisation du tillhör",
        ),
        VerificationMethod::AccountLogin => pick(
            language,
            "logging in to your account",
            "inloggning på ditt konto",
        ),
    }
}

/// What happens with further copies, as the second half of a sentence about free copies.
pub fn further_copies(language: Language, further: FurtherCopies) -> &'static str {
    match further {
        FurtherCopies::Fee => pick(
            language,
            "for further copies we may charge a reasonable fee based on our administrative costs",
            "för ytterligare kopior kan vi ta ut en rimlig avgift som motsvarar våra administrativa kostnader",
        ),
        FurtherCopies::RefuseWithReasons => pick(
            language,
            "further requests that are manifestly unfounded or excessive may be refused, and we then tell you why",
            "ytterligare begäranden som är uppenbart ogrundade eller orimliga kan vi avslå, och vi förklarar då varför",
        ),
        FurtherCopies::Free => pick(
            language,
            "further copies are free as well",
            "även ytterligare kopior är kostnadsfria",
        ),
    }
}

/// What a cookie service places.
pub fn tracker_kind(language: Language, kind: TrackerKind) -> &'static str {
    match kind {
        TrackerKind::Cookie => pick(language, "cookie", "kaka"),
        TrackerKind::Pixel => pick(language, "pixel tag", "pixeltagg"),
        TrackerKind::LocalStorage => pick(
            language,
            "local storage in the browser",
            "lokal lagring i webbläsaren",
        ),
    }
}

/// How long a cookie lives, as the notice and the banner both say it: "until you close the
/// browser", "2 years".
pub fn cookie_lifetime(language: Language, lifetime: Lifetime) -> String {
    match lifetime {
        Lifetime::Session => pick(
            language,
            "until you close the browser",
            "tills du stänger webbläsaren",
        )
        .to_owned(),
        Lifetime::For(p) => period(language, p),
    }
}

/// Upper-case the first letter.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A name from the register as it runs on after a label or inside a sentence: one that starts
/// with a determiner ("Our subcontractors", "The police", "Våra underleverantörer") is lower-cased
/// there, as a common noun phrase is; a proper name ("Google LLC") stays as written.
pub fn name_in_text(name: &str) -> String {
    const DETERMINERS: [&str; 10] = [
        "Our", "The", "A", "An", "Vår", "Vårt", "Våra", "En", "Ett", "Den",
    ];
    match name.split_whitespace().next() {
        Some(first) if DETERMINERS.contains(&first) => lower_first(name),
        _ => name.to_owned(),
    }
}

/// The supervisory authority's name inside an English sentence: "the" before a descriptive
/// name ("the Swedish Authority for Privacy Protection (IMY)", "the Information Commissioner's
/// Office"), nothing before a proper one ("Datatilsynet") or in Swedish.
pub fn authority_in_sentence(language: Language, name: &str) -> String {
    let descriptive = [
        "Authority",
        "Office",
        "Commission",
        "Commissioner",
        "Agency",
        "Board",
    ]
    .iter()
    .any(|noun| name.split_whitespace().any(|word| word == *noun));
    if language == Language::En
        && descriptive
        && !name.starts_with("The ")
        && !name.starts_with("the ")
    {
        format!("the {name}")
    } else {
        name.to_owned()
    }
}

/// Lower-case the first letter, unless the first word looks like an acronym (`IMY`, `GDPR`):
/// a name from the register (a purpose, a category) inside a sentence, "för anmälan och
/// bekräftelse" rather than "för Anmälan och bekräftelse".
pub fn lower_first(text: &str) -> String {
    let first_word = text.split_whitespace().next().unwrap_or("");
    let acronym = first_word.chars().filter(|c| c.is_uppercase()).count() > 1;
    if acronym {
        return text.to_owned();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review findings C17 and C24 (docs/notice-reviews): "the" before a descriptive
    /// authority name in English only; a determiner-led name lower-cased after a label.
    #[test]
    fn names_inside_sentences_read_as_prose() {
        let imy = "Swedish Authority for Privacy Protection (IMY)";
        assert_eq!(
            authority_in_sentence(Language::En, imy),
            format!("the {imy}")
        );
        assert_eq!(
            authority_in_sentence(Language::En, "Datatilsynet"),
            "Datatilsynet"
        );
        assert_eq!(
            authority_in_sentence(Language::Sv, "Integritetsskyddsmyndigheten (IMY)"),
            "Integritetsskyddsmyndigheten (IMY)"
        );
        assert_eq!(
            authority_in_sentence(Language::En, "The Data Protection Commission"),
            "The Data Protection Commission"
        );
        assert_eq!(name_in_text("Our subcontractors"), "our subcontractors");
        assert_eq!(
            name_in_text("Våra underleverantörer"),
            "våra underleverantörer"
        );
        assert_eq!(name_in_text("Google LLC"), "Google LLC");
        assert_eq!(name_in_text("Ourselves Ltd"), "Ourselves Ltd");
    }

    #[test]
    fn periods_agree_in_number() {
        let p = |s: &str| {
            s.parse::<Period>()
                .unwrap_or(Period::new(0, PeriodUnit::Day))
        };
        assert_eq!(period(Language::En, p("1 month")), "1 month");
        assert_eq!(period(Language::En, p("24 months")), "24 months");
        assert_eq!(period(Language::Sv, p("24 months")), "24 månader");
        assert_eq!(period(Language::Sv, p("1 year")), "1 år");
        assert_eq!(period(Language::Sv, p("7 years")), "7 år");
        assert_eq!(period(Language::Sv, p("1 week")), "1 vecka");
    }

    #[test]
    fn dates_as_people_write_them() {
        let d = jiff::civil::date(2022, 1, 5);
        assert_eq!(date(Language::En, d), "5 January 2022");
        assert_eq!(date(Language::Sv, d), "5 januari 2022");
    }

    #[test]
    fn ordinals() {
        assert_eq!(ordinal(Language::En, 7), "seventh");
        assert_eq!(ordinal(Language::Sv, 7), "sjunde");
        assert_eq!(ordinal(Language::En, 11), "11th");
        assert_eq!(ordinal(Language::En, 22), "22nd");
        assert_eq!(ordinal(Language::Sv, 21), "21:a");
        assert_eq!(ordinal(Language::Sv, 12), "12:e");
    }

    #[test]
    fn lists_read_naturally() {
        let items = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(join_and(Language::En, &items), "a, b and c");
        assert_eq!(join_or(Language::Sv, &items[..2]), "a eller b");
    }
}
