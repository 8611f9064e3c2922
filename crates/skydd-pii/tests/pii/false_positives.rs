//! Numbers that look like personal data and are not: none of them is found as a
//! personnummer, samordningsnummer, card, IBAN or phone number.

use skydd_pii::Kind;

use crate::found;

/// Look-alikes, each in the sentence it would come in.
const LOOK_ALIKES: &[&str] = &[
    // Dates and timestamps.
    "Leverans 2024-05-01, svar senast 2024-05-31.",
    "Created 2024-05-01T14:35:07Z, updated 2024-05-01 14:35:07+02:00.",
    "Datum: 20240501, 01/05/2024, 1.5.2024, 08-05-2024.",
    "Unix time 1714574107, ms 1714574107123.",
    // Order, invoice, OCR, ticket and customer numbers.
    "Faktura 5566778899 förfaller 2024-06-30.",
    "Fakturanummer 8112189876, OCR 4111111111111111.",
    "Ordernummer 0701234567 har skickats.",
    "Order #20240501-1234 confirmed.",
    "Ärende 19121212-1212-7 är stängt.",
    "Kundnummer 123456789012, referens 4000123412341234.",
    "Invoice no. 7012345678 is overdue.",
    "Ticket 4111-1111-1111-1111-42 escalated.",
    // Versions, ISBNs, tracking numbers, amounts.
    "Version 1.2.3.4.5 and v10.0.0.1 released; build 2.14.1.",
    "ISBN 978-91-1-301234-5 and ISBN 9789113012345.",
    "Spårningsnummer 00370730253456789017, kolli JJD0001234567890123, RR123456785SE.",
    "Summa 1 234 567,89 kr; 12 345 678 kr; €4,111.11.",
    "Bankgiro 5050-1055, plusgiro 12 34 56-7.",
    // Numbers in longer numbers or words.
    "ID A8112189876B, hash 48112189876123, serial X4111111111111111.",
    "Telefax-nr saknas; tel 08-12; 070-12; kl. 08.00-17.00.",
    "Intervall 0800-1200 och 1300-1700.",
    "Mått 120x80x45 cm, vikt 12,5 kg, koordinater 59.3293, 18.0686.",
    "IBAN-liknande SE45 5000 0000 0583 9825 7467 (fel kontrollsiffror).",
    "GB82 WEST 1234 5698 7654 3 (för kort).",
    "Tid 12:30:45, MAC 00:1A:2B:3C:4D:5E, std::net::Ipv6Addr.",
];

#[test]
fn look_alikes_are_not_personal_data() {
    for text in LOOK_ALIKES {
        let wrong: Vec<_> = found(text)
            .into_iter()
            .filter(|(kind, _)| {
                matches!(
                    kind,
                    Kind::Personnummer
                        | Kind::Samordningsnummer
                        | Kind::Card
                        | Kind::Iban
                        | Kind::Phone
                )
            })
            .collect();
        assert!(wrong.is_empty(), "{text}: {wrong:?}");
    }
}

#[test]
fn the_same_numbers_are_found_when_a_word_says_what_they_are() {
    assert_eq!(
        found("Mitt personnummer är 8112189876."),
        [(Kind::Personnummer, "8112189876")]
    );
    assert_eq!(
        found("Kortnummer 4111111111111111"),
        [(Kind::Card, "4111111111111111")]
    );
    assert_eq!(found("Ring 0701234567"), [(Kind::Phone, "0701234567")]);
    assert_eq!(
        found("Org.nr 5566778899"),
        [(Kind::Organisationsnummer, "5566778899")]
    );
}
