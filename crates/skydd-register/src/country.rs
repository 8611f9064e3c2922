//! Countries: ISO 3166-1 alpha-2 codes, the EU/EEA, and the Commission's adequacy decisions.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO 3166-1 alpha-2 country code, checked against the list of assigned codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

/// Every officially assigned ISO 3166-1 alpha-2 code (249).
const ASSIGNED: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM \
BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ \
EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN \
HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS \
LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO \
NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK \
SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC \
VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// The 27 EU member states and the three other EEA states (Iceland, Liechtenstein, Norway).
const EEA: &str =
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO";

/// Countries with an adequacy decision under Art. 45 GDPR, as of 2026-11 (review when the
/// Commission adopts or withdraws one). The United States is adequate only for organisations
/// certified under the EU-US Data Privacy Framework; that is the `eu_us_dpf` mechanism, not this list.
const ADEQUATE: &str = "AD AR CA CH FO GB GG IL IM JE JP KR NZ UY";

/// Countries whose public holidays Skydd computes (`skydd_requests::HolidayCalendar::built_in`).
const BUILT_IN_HOLIDAY_CALENDARS: &str = "SE";

impl Country {
    /// Parse a code; `Err` carries a message with a way to fix it.
    pub fn parse(text: &str) -> Result<Country, String> {
        let upper = text.trim().to_ascii_uppercase();
        if upper == "UK" {
            return Err("`UK` is not an ISO 3166-1 code; the United Kingdom is `GB`".into());
        }
        if upper == "EL" {
            return Err(
                "`EL` is the EU's abbreviation; the ISO 3166-1 code of Greece is `GR`".into(),
            );
        }
        let bytes = upper.as_bytes();
        if bytes.len() == 2 && ASSIGNED.split(' ').any(|code| code == upper) {
            return Ok(Country([bytes[0], bytes[1]]));
        }
        Err(format!(
            "`{text}` is not an ISO 3166-1 alpha-2 country code; write two letters, e.g. `SE`, `IE`, `US`"
        ))
    }

    /// The ISO 3166-1 alpha-2 code in upper case (`SE`), whatever case the register used.
    pub fn code(&self) -> &str {
        // Only ever built from ASCII letters of the ASSIGNED list, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Whether the country is in the EU or the EEA (no transfer safeguard needed).
    pub fn in_eea(&self) -> bool {
        EEA.split(' ').any(|code| code == self.code())
    }

    /// Whether the Commission has found the country adequate (Art. 45).
    pub fn has_adequacy_decision(&self) -> bool {
        ADEQUATE.split(' ').any(|code| code == self.code())
    }

    /// Whether Skydd computes this country's public holidays itself (Sweden, moveable feasts
    /// included), so that a register need not list them. For every other country the register
    /// lists them in `rights.public_holidays`.
    pub fn has_built_in_holiday_calendar(&self) -> bool {
        BUILT_IN_HOLIDAY_CALENDARS
            .split(' ')
            .any(|code| code == self.code())
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Country::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// Check a Swedish organisation number (`NNNNNN-NNNN`, ten digits with a Luhn check digit).
/// Returns the number in its canonical `NNNNNN-NNNN` form.
pub fn swedish_organisation_number(text: &str) -> Result<String, String> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    let only_digits_and_dash = text.trim().bytes().all(|b| b.is_ascii_digit() || b == b'-');
    if digits.len() != 10 || !only_digits_and_dash {
        return Err(format!(
            "`{text}` is not a Swedish organisation number; write ten digits as `NNNNNN-NNNN`"
        ));
    }
    if !luhn_valid(&digits) {
        return Err(format!(
            "`{text}` fails the organisation number's check digit; check for a typo"
        ));
    }
    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    Ok(format!("{}-{}", &text[..6], &text[6..]))
}

/// The Luhn (mod 10) check used by Swedish personal and organisation numbers.
pub fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    !digits.is_empty() && sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_complete_and_consistent() {
        assert_eq!(ASSIGNED.split(' ').count(), 249);
        assert_eq!(EEA.split(' ').count(), 30);
        for code in EEA.split(' ').chain(ADEQUATE.split(' ')) {
            assert!(Country::parse(code).is_ok(), "{code}");
        }
        for code in ADEQUATE.split(' ') {
            assert!(
                !Country::parse(code).unwrap().in_eea(),
                "{code} is in the EEA"
            );
        }
    }

    #[test]
    fn codes() {
        assert!(Country::parse("SE").unwrap().in_eea());
        assert!(Country::parse("no").unwrap().in_eea());
        assert!(!Country::parse("US").unwrap().in_eea());
        assert!(!Country::parse("US").unwrap().has_adequacy_decision());
        assert!(Country::parse("CH").unwrap().has_adequacy_decision());
        assert!(Country::parse("UK").unwrap_err().contains("GB"));
        assert!(Country::parse("XX").is_err());
        assert!(Country::parse("Sweden").is_err());
    }

    #[test]
    fn organisation_numbers() {
        // GleSYS AB, from 001_a2e6258953c450df.txt (P001-01).
        assert_eq!(
            swedish_organisation_number("556647-9241").unwrap(),
            "556647-9241"
        );
        assert_eq!(
            swedish_organisation_number("5566479241").unwrap(),
            "556647-9241"
        );
        assert!(
            swedish_organisation_number("556647-9242")
                .unwrap_err()
                .contains("check digit")
        );
        assert!(swedish_organisation_number("55664-79241x").is_err());
        assert!(swedish_organisation_number("123").is_err());
    }
}
