//! Retention in plain words, derived from the register's rules, events, states and legal holds:
//! "24 months after the contract ends" / "24 månader efter att avtalet har upphört".

use skydd_register::Register;
use skydd_register::model::{
    Anchor, AttributeId, BuiltinEvent, CategoryBasis, CategoryId, Choice, ConditionFact, EventId,
    Language, LegalHold, RetentionAction, RetentionClock, RetentionRule,
};
use skydd_register::period::{CalendarRounding, PeriodUnit};

use crate::wording::{self, pick};

/// An event as it ends "... after X": built-in events have fixed wording, declared events use
/// their `name`.
pub fn event(register: &Register, language: Language, id: &EventId) -> String {
    if let Some(builtin) = BuiltinEvent::ALL
        .iter()
        .find(|(word, _)| *word == id.as_str())
        .map(|(_, event)| *event)
    {
        return wording::builtin_event(language, builtin).to_owned();
    }
    register
        .events
        .iter()
        .find(|e| &e.id == id)
        .map_or_else(|| id.to_string(), |e| e.name.get(language).to_owned())
}

/// A category's legal bases in words, with the fact a conditioned basis waits for: "contract
/// (GDPR Art. 6(1)(b)) after you sign a support agreement; otherwise legitimate interest (...)".
/// Without conditions, the bases joined with "or" as [`wording::legal_bases`] writes them.
pub fn bases(register: &Register, language: Language, basis: &CategoryBasis) -> String {
    if basis.when.is_empty() {
        return wording::legal_bases(language, &basis.bases);
    }
    basis
        .bases
        .iter()
        .map(|b| {
            let words = wording::legal_basis(language, *b);
            match basis.condition(*b) {
                Some(ConditionFact::Event(fact)) => format!(
                    "{words} {}",
                    after(language, &event(register, language, fact))
                ),
                Some(ConditionFact::Attribute(fact)) => format!(
                    "{words} {} {}",
                    pick(language, "when", "när"),
                    attribute(register, language, fact)
                ),
                None => words,
            }
        })
        .collect::<Vec<_>>()
        .join(pick(language, "; otherwise ", "; annars "))
}

/// A subject attribute's clause in `language` ("you have a support agreement with us"), or its
/// id when the register does not declare it (a checked register always does).
fn attribute(register: &Register, language: Language, id: &AttributeId) -> String {
    register
        .attributes
        .iter()
        .find(|a| &a.id == id)
        .map_or_else(|| id.to_string(), |a| a.name.get(language).to_owned())
}

/// "after X" / "efter X".
fn after(language: Language, event: &str) -> String {
    format!("{} {event}", pick(language, "after", "efter"))
}

/// "until X" / "tills X" (a clause) or "fram till X" (a noun phrase).
fn until(language: Language, event: &str) -> String {
    match language {
        Language::En => format!("until {event}"),
        Language::Sv => match event.strip_prefix("att ") {
            Some(clause) => format!("tills {clause}"),
            None => format!("fram till {event}"),
        },
    }
}

/// How long a clock keeps data, in plain words: "24 months after the contract ends", "as long
/// as you are our customer, and then 3 months after the contract ends", "until the end of the
/// seventh calendar year after the end of the financial year".
pub fn clock(register: &Register, language: Language, clock: &RetentionClock) -> String {
    match &clock.anchor {
        Anchor::After(event_id) => after_event(register, language, clock, event_id),
        Anchor::While(state_id) => {
            let Some(state) = register.states.iter().find(|s| &s.id == state_id) else {
                return state_id.to_string();
            };
            let holds = format!(
                "{} {}",
                pick(language, "as long as", "så länge"),
                state.name.get(language)
            );
            if clock.period.amount == 0 && clock.round_up_to.is_none() {
                return holds;
            }
            let then = after_event(register, language, clock, &state.ends_with);
            match language {
                Language::En => format!("{holds}, and then {then}"),
                Language::Sv => format!("{holds} och därefter {then}"),
            }
        }
    }
}

fn after_event(
    register: &Register,
    language: Language,
    clock: &RetentionClock,
    event_id: &EventId,
) -> String {
    let event = event(register, language, event_id);
    let period = clock.period;
    match clock.round_up_to {
        None if period.amount == 0 => until(language, &event),
        None => format!(
            "{} {}",
            wording::period(language, period),
            after(language, &event)
        ),
        Some(CalendarRounding::EndOfYear) if period.unit == PeriodUnit::Year => {
            let nth = wording::ordinal(language, period.amount);
            match language {
                Language::En => {
                    format!(
                        "until the end of the {nth} calendar year {}",
                        after(language, &event)
                    )
                }
                Language::Sv => {
                    format!(
                        "till utgången av det {nth} kalenderåret {}",
                        after(language, &event)
                    )
                }
            }
        }
        Some(CalendarRounding::EndOfYear) if period.amount == 0 => match language {
            Language::En => format!("until the end of the calendar year of {event}"),
            Language::Sv => format!("till utgången av det kalenderår då {}", strip_att(&event)),
        },
        Some(CalendarRounding::EndOfMonth) if period.amount == 0 => match language {
            Language::En => format!("until the end of the month of {event}"),
            Language::Sv => format!("till utgången av den månad då {}", strip_att(&event)),
        },
        Some(rounding) => {
            let base = format!(
                "{} {}",
                wording::period(language, period),
                after(language, &event)
            );
            let to = match (language, rounding) {
                (Language::En, CalendarRounding::EndOfMonth) => "counted to the end of that month",
                (Language::En, CalendarRounding::EndOfYear) => "counted to the end of that year",
                (Language::Sv, CalendarRounding::EndOfMonth) => "räknat till slutet av den månaden",
                (Language::Sv, CalendarRounding::EndOfYear) => "räknat till slutet av det året",
            };
            format!("{base}, {to}")
        }
    }
}

fn strip_att(event: &str) -> &str {
    event.strip_prefix("att ").unwrap_or(event)
}

/// What happens when a rule's time is up: "Then the data is deleted." / "Sedan raderas
/// uppgifterna."
pub fn action(language: Language, action: RetentionAction) -> &'static str {
    match action {
        RetentionAction::Delete => pick(
            language,
            "Then the data is deleted.",
            "Sedan raderas uppgifterna.",
        ),
        RetentionAction::Anonymise => pick(
            language,
            "Then the data is anonymised so that it no longer identifies you.",
            "Sedan anonymiseras uppgifterna så att de inte längre kan kopplas till dig.",
        ),
        RetentionAction::Review => pick(
            language,
            "Data we no longer need is deleted.",
            "Uppgifter som vi inte längre behöver raderas.",
        ),
    }
}

/// How long a rule kept by criteria keeps the data, as the policy says it, with no number
/// invented: "we keep it as long as you are a customer, and review at least every 12 months
/// whether we still need it" / "vi sparar dem så länge du är kund och prövar minst var 12:e
/// månad om vi fortfarande behöver dem".
fn by_criteria(
    language: Language,
    criteria: &skydd_register::model::Text,
    every: skydd_register::period::Period,
) -> String {
    let criteria = criteria.get(language).trim_end_matches('.');
    match language {
        Language::En => format!(
            "we keep it {criteria}, and review at least every {} whether we still need it",
            wording::period(language, every)
        ),
        Language::Sv => {
            // "var" before an en-word, "vart" before an ett-word: var 12:e månad, vart 2:a år.
            let (each, noun) = match every.unit {
                PeriodUnit::Minute => ("var", "minut"),
                PeriodUnit::Hour => ("var", "timme"),
                PeriodUnit::Day => ("var", "dag"),
                PeriodUnit::Week => ("var", "vecka"),
                PeriodUnit::Month => ("var", "månad"),
                PeriodUnit::Year => ("vart", "år"),
            };
            let every = match every.amount {
                1 => format!("{each} {noun}"),
                n => format!("{each} {} {noun}", wording::ordinal(language, n)),
            };
            format!(
                "vi sparar dem {criteria} och prövar minst {every} om vi fortfarande behöver dem"
            )
        }
    }
}

/// One rule in plain words, narrowed to its purposes when it is, their names in lower case
/// inside the sentence: "For marketing: 24 months after our last contact with you. Then the
/// data is deleted." / "För anmälan och bekräftelse: ...".
pub fn rule(register: &Register, language: Language, rule: &RetentionRule) -> String {
    let mut sentence = String::new();
    if !rule.purposes.is_empty() {
        let names: Vec<String> = rule
            .purposes
            .iter()
            .map(|id| {
                register.purpose(id).map_or_else(
                    || id.to_string(),
                    |p| wording::lower_first(p.name.get(language)),
                )
            })
            .collect();
        sentence.push_str(&format!(
            "{} {}: ",
            pick(language, "For", "För"),
            wording::join_and(language, &names)
        ));
    }
    let at_once = rule.clock.period.amount == 0
        && matches!(&rule.clock.anchor, Anchor::After(e) if e.as_str() == "collected_at");
    if at_once && rule.criteria.is_none() {
        // "Some data is deleted immediately" (P002-19): not stored at all.
        let not_kept = pick(
            language,
            "we do not store it: it is deleted as soon as it has been used.",
            "vi sparar dem inte: de raderas så snart de har använts.",
        );
        if rule.purposes.is_empty() {
            sentence.push_str(&wording::capitalise(not_kept));
        } else {
            sentence.push_str(not_kept);
        }
        return sentence;
    }
    let how_long = match &rule.criteria {
        Some(criteria) => by_criteria(language, criteria, rule.clock.period),
        None => clock(register, language, &rule.clock),
    };
    if rule.purposes.is_empty() {
        sentence.push_str(&wording::capitalise(&how_long));
    } else {
        sentence.push_str(&how_long);
    }
    sentence.push_str(". ");
    sentence.push_str(action(language, rule.action));
    sentence
}

/// A legal hold in plain words: which law, until when, and the one use still allowed.
pub fn hold(register: &Register, language: Language, hold: &LegalHold) -> String {
    let purpose = register.purpose(&hold.purpose).map_or_else(
        || hold.purpose.to_string(),
        |p| p.name.get(language).to_owned(),
    );
    let until = clock(register, language, &hold.clock);
    match language {
        Language::En => format!(
            "{}: {} requires us to keep them {until}, even if you ask us to erase them. Until then they are used only for {}.",
            hold.name.get(language),
            hold.law.get(language),
            wording::lower_first(&purpose),
        ),
        Language::Sv => format!(
            "{}: enligt {} måste vi spara dem {until}, även om du begär att de raderas. Fram till dess används de bara för {}.",
            hold.name.get(language),
            hold.law.get(language),
            wording::lower_first(&purpose),
        ),
    }
}

/// Every sentence about how long `category` is kept: its rules, then the legal holds on it.
pub fn for_category(register: &Register, language: Language, category: &CategoryId) -> Vec<String> {
    let rules = register
        .retention
        .iter()
        .filter(|r| &r.category == category)
        .map(|r| rule(register, language, r));
    let holds = register
        .legal_holds
        .iter()
        .filter(|h| h.categories.contains(category))
        .map(|h| hold(register, language, h));
    rules.chain(holds).collect()
}
