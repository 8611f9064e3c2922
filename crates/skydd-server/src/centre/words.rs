//! The privacy centre's words in English and Swedish: keys `centre.*`, looked up through the
//! console's catalog functions ([`crate::console::i18n::text`]), which read this table after
//! the console's. A key `centre.KEY` also replaces the console's `KEY` on the centre's error
//! pages (`centre.error.404.help`), where the console's words speak of its dashboard.

use crate::console::i18n::Message;

/// Every text of the privacy centre's pages.
pub(crate) const CATALOG: &[Message] = &[
    // --- the frame ---
    ("centre.name", "Privacy centre", "Integritetscenter"),
    (
        "centre.frame.signed_in_as",
        "Signed in with {}",
        "Inloggad med {}",
    ),
    ("centre.frame.sign_out", "Sign out", "Logga ut"),
    (
        "centre.frame.session_ends",
        "For your safety, your session ends after 15 minutes without activity, and at {} Swedish time at the latest.",
        "För din säkerhet avslutas sessionen efter 15 minuter utan aktivitet, och senast klockan {} svensk tid.",
    ),
    (
        "centre.frame.footer",
        "The privacy centre of {}. Dates and times are in Swedish time.",
        "Integritetscenter för {}. Datum och tider anges i svensk tid.",
    ),
    ("centre.frame.notice", "Privacy notice", "Integritetspolicy"),
    (
        "centre.problem",
        "There is a problem",
        "Något behöver rättas",
    ),
    ("centre.start_again", "Start again", "Börja om"),
    ("centre.back", "Back to your page", "Tillbaka till din sida"),
    (
        "centre.error.404.help",
        "Check the address, or start again from the privacy centre.",
        "Kontrollera adressen eller börja om från integritetscentret.",
    ),
    (
        "centre.expired",
        "The code or link no longer works",
        "Koden eller länken fungerar inte längre",
    ),
    (
        "centre.expired.help",
        "Codes and links work once, for 15 minutes, and five wrong codes end them. Start again to get a new one.",
        "Koder och länkar fungerar en gång i 15 minuter, och fem felaktiga koder gör dem ogiltiga. Börja om för att få en ny.",
    ),
    (
        "centre.other_browser",
        "Open the link in the browser where you asked for it",
        "Öppna länken i webbläsaren där du bad om den",
    ),
    (
        "centre.other_browser.help",
        "For your safety, the code and the link only work in the browser where you started. Type the code from the message there, or open the link in that browser. If you no longer have it open, start again here.",
        "För din säkerhet fungerar koden och länken bara i webbläsaren där du började. Skriv koden från meddelandet där, eller öppna länken i den webbläsaren. Om du inte längre har den öppen kan du börja om här.",
    ),
    (
        "centre.invalid.help",
        "Nothing was changed. Go back, correct the form and send it again.",
        "Inget ändrades. Gå tillbaka, rätta formuläret och skicka det igen.",
    ),
    (
        "centre.too_large",
        "The file is too large",
        "Filen är för stor",
    ),
    (
        "centre.too_large.help",
        "A document may be at most 10 MB. Nothing was saved. Scan or photograph it at a lower resolution and try again.",
        "Ett dokument får vara högst 10 MB. Inget sparades. Skanna eller fotografera det med lägre upplösning och försök igen.",
    ),
    // --- the start page ---
    (
        "centre.landing.title",
        "Your data and your rights",
        "Dina uppgifter och dina rättigheter",
    ),
    (
        "centre.landing.lead",
        "Here you can see what personal data {} holds about you and use your rights under the GDPR, without an account and without writing to anyone.",
        "Här kan du se vilka personuppgifter {} har om dig och använda dina rättigheter enligt dataskyddsförordningen, utan konto och utan att skriva till någon.",
    ),
    (
        "centre.landing.continue",
        "Continue to your page",
        "Fortsätt till din sida",
    ),
    (
        "centre.landing.can_do",
        "What you can do here",
        "Det här kan du göra",
    ),
    (
        "centre.can.see",
        "See the data held about you, why it is used, who receives it and how long it is kept",
        "Se vilka uppgifter som finns om dig, varför de används, vem som får dem och hur länge de sparas",
    ),
    (
        "centre.can.download",
        "Download a copy of your data",
        "Ladda ner en kopia av dina uppgifter",
    ),
    (
        "centre.can.correct",
        "Have wrong data corrected",
        "Få felaktiga uppgifter rättade",
    ),
    (
        "centre.can.erase",
        "Have your data erased",
        "Få dina uppgifter raderade",
    ),
    (
        "centre.can.restrict",
        "Have the use of your data restricted",
        "Få användningen av dina uppgifter begränsad",
    ),
    (
        "centre.can.object",
        "Object to a use of your data",
        "Invända mot en användning av dina uppgifter",
    ),
    (
        "centre.can.withdraw",
        "Withdraw a consent you have given",
        "Återkalla ett samtycke du har gett",
    ),
    (
        "centre.can.marketing",
        "Choose which marketing you receive, and how",
        "Välja vilken marknadsföring du får, och hur",
    ),
    (
        "centre.can.follow",
        "Follow your requests and the letters sent about them",
        "Följa dina begäranden och breven om dem",
    ),
    (
        "centre.landing.no_account",
        "You need no account or password: we send a one-time code to confirm that it is you.",
        "Du behöver inget konto eller lösenord: vi skickar en engångskod för att bekräfta att det är du.",
    ),
    ("centre.landing.start", "Start here", "Börja här"),
    (
        "centre.landing.what",
        "What do you want to do?",
        "Vad vill du göra?",
    ),
    (
        "centre.intent.overview",
        "See and manage my data",
        "Se och hantera mina uppgifter",
    ),
    (
        "centre.intent.access",
        "Get a copy of my data (a formal request)",
        "Få en kopia av mina uppgifter (en formell begäran)",
    ),
    (
        "centre.intent.portability",
        "Move my data to another service",
        "Flytta mina uppgifter till en annan tjänst",
    ),
    (
        "centre.intent.rectification",
        "Correct my data",
        "Rätta mina uppgifter",
    ),
    (
        "centre.intent.erasure",
        "Erase my data",
        "Radera mina uppgifter",
    ),
    (
        "centre.intent.restriction",
        "Restrict the use of my data",
        "Begränsa användningen av mina uppgifter",
    ),
    (
        "centre.intent.objection",
        "Object to a use of my data",
        "Invända mot en användning av mina uppgifter",
    ),
    (
        "centre.intent.withdraw_consent",
        "Withdraw a consent",
        "Återkalla ett samtycke",
    ),
    (
        "centre.intent.marketing_opt_out",
        "Stop all marketing",
        "Stoppa all marknadsföring",
    ),
    (
        "centre.intent.safeguard_copy",
        "Get a copy of the safeguards for transfers outside the EU/EEA",
        "Få en kopia av skyddsåtgärderna för överföringar utanför EU/EES",
    ),
    (
        "centre.intent.complaint",
        "Complain about how we process your data",
        "Klaga på hur vi behandlar dina uppgifter",
    ),
    ("centre.landing.who", "Who are you?", "Vem är du?"),
    (
        "centre.landing.who_hint",
        "Give your e-mail address, your phone number, or both, as you gave them to us.",
        "Ange din e-postadress, ditt telefonnummer eller båda, så som du har lämnat dem till oss.",
    ),
    ("centre.landing.email", "E-mail address", "E-postadress"),
    ("centre.landing.phone", "Phone number", "Telefonnummer"),
    (
        "centre.landing.submit",
        "Send me a code",
        "Skicka en kod till mig",
    ),
    (
        "centre.landing.same_answer",
        "For your privacy, we answer in the same way whether or not we hold data about you.",
        "För din integritets skull svarar vi likadant oavsett om vi har uppgifter om dig eller inte.",
    ),
    (
        "centre.landing.need_identity",
        "Give your e-mail address or your phone number.",
        "Ange din e-postadress eller ditt telefonnummer.",
    ),
    (
        "centre.landing.bad_email",
        "The e-mail address does not look right: write it as name@example.com.",
        "E-postadressen ser inte rätt ut: skriv den som namn@exempel.se.",
    ),
    (
        "centre.landing.bad_phone",
        "The phone number does not look right: write it with its area code, such as 070-123 45 67 or +46 70 123 45 67.",
        "Telefonnumret ser inte rätt ut: skriv det med riktnummer, till exempel 070-123 45 67 eller +46 70 123 45 67.",
    ),
    // --- the code page ---
    ("centre.code.title", "Check your e-mail", "Kolla din e-post"),
    (
        "centre.code.sent",
        "If we hold data about you, we have sent a message with a code and a link to your e-mail address.",
        "Om vi har uppgifter om dig har vi skickat ett meddelande med en kod och en länk till din e-postadress.",
    ),
    (
        "centre.code.lifetime",
        "Type the code below, or open the link in this browser. Both work once, for 15 minutes.",
        "Skriv koden nedan eller öppna länken i den här webbläsaren. Båda fungerar en gång i 15 minuter.",
    ),
    (
        "centre.code.label",
        "Code from the message",
        "Kod från meddelandet",
    ),
    ("centre.code.submit", "Continue", "Fortsätt"),
    (
        "centre.code.wrong",
        "The code is not right. Check it and try again; attempts left: {}.",
        "Koden stämmer inte. Kontrollera den och försök igen; försök kvar: {}.",
    ),
    ("centre.code.none_title", "No message?", "Inget meddelande?"),
    (
        "centre.code.none",
        "It can take a few minutes, and it may be in your spam folder. If we hold no data about you, no message is sent. You can also start again with another address or phone number.",
        "Det kan ta några minuter, och meddelandet kan hamna i skräpposten. Om vi inte har några uppgifter om dig skickas inget meddelande. Du kan också börja om med en annan adress eller ett annat telefonnummer.",
    ),
    // --- flash messages ---
    (
        "centre.flash.session_ended",
        "Your session has ended. Start again to get a new code.",
        "Din session har avslutats. Börja om för att få en ny kod.",
    ),
    (
        "centre.flash.signed_out",
        "You are signed out.",
        "Du är utloggad.",
    ),
    (
        "centre.flash.withdrawn",
        "Your consent is withdrawn, from now on.",
        "Ditt samtycke är återkallat, från och med nu.",
    ),
    (
        "centre.flash.objected",
        "Your objection is recorded.",
        "Din invändning är registrerad.",
    ),
    (
        "centre.flash.preferences",
        "Your marketing choices are saved.",
        "Dina val för marknadsföring är sparade.",
    ),
    (
        "centre.flash.received",
        "Your request is received. Here is your receipt.",
        "Din begäran är mottagen. Här är ditt kvitto.",
    ),
    (
        "centre.flash.uploaded",
        "Your document is received.",
        "Ditt dokument är mottaget.",
    ),
    (
        "centre.flash.no_file",
        "Choose a file to send.",
        "Välj en fil att skicka.",
    ),
    // --- the personal page ---
    ("centre.me.title", "Your data", "Dina uppgifter"),
    ("centre.me.toc", "On this page", "På den här sidan"),
    (
        "centre.me.data",
        "The data we hold about you",
        "Uppgifterna vi har om dig",
    ),
    (
        "centre.me.restricted",
        "The use of your data is restricted: we only store it.",
        "Användningen av dina uppgifter är begränsad: vi bara lagrar dem.",
    ),
    (
        "centre.me.nothing",
        "We hold no personal data about you.",
        "Vi har inga personuppgifter om dig.",
    ),
    (
        "centre.me.identities",
        "You are known to us by",
        "Vi känner igen dig på",
    ),
    ("centre.identity.email", "E-mail address", "E-postadress"),
    ("centre.identity.phone", "Phone number", "Telefonnummer"),
    (
        "centre.identity.personnummer",
        "Personal identity number",
        "Personnummer",
    ),
    (
        "centre.identity.customer_number",
        "Customer number",
        "Kundnummer",
    ),
    ("centre.me.collected", "Collected {}", "Insamlat {}"),
    ("centre.me.field", "Field", "Fält"),
    ("centre.me.value", "Value", "Värde"),
    ("centre.me.correct", "Correct", "Rätta"),
    (
        "centre.me.connected",
        "In our other systems",
        "I våra andra system",
    ),
    ("centre.me.system", "System", "System"),
    ("centre.me.purposes", "Used for", "Används för"),
    ("centre.me.recipients", "Shared with", "Delas med"),
    (
        "centre.me.no_recipients",
        "Nobody outside the company",
        "Ingen utanför företaget",
    ),
    ("centre.me.retention", "Kept", "Sparas"),
    (
        "centre.me.kept_by_law",
        "Kept longer by law: {}",
        "Sparas längre enligt lag: {}",
    ),
    (
        "centre.me.sources",
        "Some of it comes from:",
        "En del kommer från:",
    ),
    (
        "centre.me.disclosures",
        "We have disclosed your data to",
        "Vi har lämnat ut dina uppgifter till",
    ),
    (
        "centre.me.corrections",
        "Corrections made to your data, with the value before each",
        "Rättelser av dina uppgifter, med värdet före varje rättelse",
    ),
    (
        "centre.me.mentions",
        "Where records filed under someone else mention you (what they say about others is masked)",
        "Där uppgifter som hör till någon annan nämner dig (det som gäller andra är dolt)",
    ),
    ("centre.me.before", "before:", "före:"),
    (
        "centre.me.on_court_decision",
        "on a court decision",
        "efter ett domstolsbeslut",
    ),
    (
        "centre.me.on_order",
        "on an order from an authority",
        "efter ett beslut av en myndighet",
    ),
    (
        "centre.me.unread",
        "These systems could not be read just now, so this page may be incomplete: {}.",
        "De här systemen kunde inte läsas just nu, så sidan kan vara ofullständig: {}.",
    ),
    (
        "centre.me.download",
        "Download your data",
        "Ladda ner dina uppgifter",
    ),
    (
        "centre.me.download_help",
        "A copy of everything on this page, to keep: readable as a web page, or as a file for other programs.",
        "En kopia av allt på den här sidan att spara: läsbar som webbsida, eller som fil för andra program.",
    ),
    (
        "centre.me.download_html",
        "Download as a web page (HTML)",
        "Ladda ner som webbsida (HTML)",
    ),
    (
        "centre.me.download_json",
        "Download as data (JSON)",
        "Ladda ner som data (JSON)",
    ),
    (
        "centre.me.download_zip",
        "Download the data you gave us, to move it elsewhere (ZIP with JSON and CSV)",
        "Ladda ner uppgifterna du gav oss, för att flytta dem (ZIP med JSON och CSV)",
    ),
    ("centre.me.consents", "Your consents", "Dina samtycken"),
    (
        "centre.me.no_consents",
        "You have given us no consents.",
        "Du har inte gett oss några samtycken.",
    ),
    ("centre.me.consent_given", "Given", "Givet"),
    ("centre.me.consent_withdrawn", "Withdrawn", "Återkallat"),
    ("centre.me.consent_when", "on {}", "den {}"),
    (
        "centre.me.withdraw",
        "Withdraw consent",
        "Återkalla samtycket",
    ),
    ("centre.method.web_form", "in a form", "i ett formulär"),
    (
        "centre.method.banner",
        "in the cookie banner",
        "i cookie-rutan",
    ),
    ("centre.method.email", "by e-mail", "via e-post"),
    ("centre.method.api", "in our service", "i vår tjänst"),
    (
        "centre.method.import",
        "in an earlier system",
        "i ett tidigare system",
    ),
    (
        "centre.method.admin",
        "on your instruction to our staff",
        "på din begäran till vår personal",
    ),
    (
        "centre.method.unsubscribe_link",
        "with the link in a message",
        "med länken i ett meddelande",
    ),
    ("centre.me.marketing", "Marketing", "Marknadsföring"),
    (
        "centre.me.no_marketing",
        "We send no marketing you can choose here.",
        "Vi skickar ingen marknadsföring som du kan välja här.",
    ),
    (
        "centre.me.channels",
        "How we may contact you",
        "Hur vi får kontakta dig",
    ),
    (
        "centre.me.interests",
        "What you want to hear about",
        "Vad du vill höra om",
    ),
    ("centre.me.chosen_on", "chosen {}", "valt {}"),
    (
        "centre.me.save_marketing",
        "Save my choices",
        "Spara mina val",
    ),
    (
        "centre.me.objections",
        "Object to a use of your data",
        "Invänd mot en användning av dina uppgifter",
    ),
    (
        "centre.me.objections_help",
        "We use some of your data because of our legitimate interest. You may object; for marketing, your objection always stops it.",
        "Vi använder en del av dina uppgifter med stöd av vårt berättigade intresse. Du får invända; för marknadsföring stoppar din invändning alltid användningen.",
    ),
    (
        "centre.me.no_objections",
        "Nothing we do with your data rests on our own interest: there is nothing to object to here.",
        "Inget vi gör med dina uppgifter vilar på vårt eget intresse: det finns inget att invända mot här.",
    ),
    (
        "centre.me.direct_marketing",
        "Marketing: your objection stops it at once.",
        "Marknadsföring: din invändning stoppar den direkt.",
    ),
    ("centre.me.object", "Object", "Invänd"),
    ("centre.me.objected", "You have objected", "Du har invänt"),
    ("centre.me.requests", "Your requests", "Dina begäranden"),
    (
        "centre.me.no_requests",
        "You have made no requests.",
        "Du har inte gjort några begäranden.",
    ),
    ("centre.me.rights", "Make a request", "Gör en begäran"),
    (
        "centre.me.contact",
        "Questions about your data: {}.",
        "Frågor om dina uppgifter: {}.",
    ),
    (
        "centre.me.complain",
        "If you think we handle your data wrongly, you may complain to {}.",
        "Om du anser att vi hanterar dina uppgifter fel kan du klaga hos {}.",
    ),
    // --- request types, states and letters ---
    (
        "centre.type.access",
        "Access to your data",
        "Tillgång till dina uppgifter",
    ),
    (
        "centre.type.portability",
        "Data portability",
        "Dataportabilitet",
    ),
    ("centre.type.rectification", "Correction", "Rättelse"),
    ("centre.type.erasure", "Erasure", "Radering"),
    ("centre.type.restriction", "Restriction", "Begränsning"),
    ("centre.type.objection", "Objection", "Invändning"),
    (
        "centre.type.withdraw_consent",
        "Withdrawal of consent",
        "Återkallelse av samtycke",
    ),
    (
        "centre.type.marketing_opt_out",
        "No more marketing",
        "Ingen mer marknadsföring",
    ),
    (
        "centre.type.safeguard_copy",
        "Copy of transfer safeguards",
        "Kopia av skyddsåtgärder vid överföring",
    ),
    ("centre.type.complaint", "Complaint", "Klagomål"),
    (
        "centre.about.access",
        "A formal answer with a copy of your data and how it is used (GDPR Art. 15).",
        "Ett formellt svar med en kopia av dina uppgifter och hur de används (artikel 15).",
    ),
    (
        "centre.about.portability",
        "The data you gave us, in a file another service can read (Art. 20).",
        "Uppgifterna du gav oss, i en fil som en annan tjänst kan läsa (artikel 20).",
    ),
    (
        "centre.about.rectification",
        "Have a value that is wrong or incomplete corrected (Art. 16).",
        "Få ett felaktigt eller ofullständigt värde rättat (artikel 16).",
    ),
    (
        "centre.about.erasure",
        "Have your data erased, except what the law makes us keep (Art. 17).",
        "Få dina uppgifter raderade, utom det som lagen kräver att vi sparar (artikel 17).",
    ),
    (
        "centre.about.restriction",
        "Have us only store your data while something is settled (Art. 18).",
        "Låt oss bara lagra dina uppgifter medan något utreds (artikel 18).",
    ),
    (
        "centre.about.objection",
        "Object to a use that rests on our legitimate interest (Art. 21).",
        "Invänd mot en användning som vilar på vårt berättigade intresse (artikel 21).",
    ),
    (
        "centre.about.withdraw_consent",
        "Withdraw a consent as a formal request (the button beside each consent does it at once).",
        "Återkalla ett samtycke som en formell begäran (knappen vid varje samtycke gör det direkt).",
    ),
    (
        "centre.about.marketing_opt_out",
        "Stop every kind of marketing to you.",
        "Stoppa all slags marknadsföring till dig.",
    ),
    (
        "centre.about.safeguard_copy",
        "Get a copy of the safeguards that protect your data outside the EU/EEA (Art. 13(1)(f)).",
        "Få en kopia av skyddsåtgärderna som skyddar dina uppgifter utanför EU/EES (artikel 13.1 f).",
    ),
    (
        "centre.about.complaint",
        "Tell our privacy officer what we did wrong; your complaint is handled in confidence.",
        "Berätta för den som ansvarar för dataskydd hos oss vad vi har gjort fel; ditt klagomål behandlas konfidentiellt.",
    ),
    ("centre.state.received", "Received", "Mottagen"),
    (
        "centre.state.verifying",
        "Waiting for your identity to be confirmed",
        "Väntar på att din identitet bekräftas",
    ),
    (
        "centre.state.verified",
        "Confirmed, waiting to be handled",
        "Bekräftad, väntar på handläggning",
    ),
    ("centre.state.in_progress", "Being handled", "Handläggs"),
    ("centre.state.completed", "Completed", "Klar"),
    (
        "centre.state.rejected",
        "Refused (the letter says why)",
        "Avslagen (brevet förklarar varför)",
    ),
    (
        "centre.letter.received",
        "Confirmation of receipt",
        "Mottagningsbekräftelse",
    ),
    (
        "centre.letter.verification_code",
        "Code to confirm your identity",
        "Kod för att bekräfta din identitet",
    ),
    ("centre.letter.completed", "Answer", "Svar"),
    (
        "centre.letter.recipient_notice",
        "Notice to someone we shared your data with",
        "Meddelande till någon vi har delat dina uppgifter med",
    ),
    (
        "centre.letter.restriction_lifting",
        "Notice that the restriction ends",
        "Meddelande om att begränsningen upphör",
    ),
    (
        "centre.letter.extension",
        "Extension of the time to answer",
        "Förlängd svarstid",
    ),
    (
        "centre.letter.rejection",
        "Refusal with reasons",
        "Avslag med skäl",
    ),
    (
        "centre.letter.queued",
        "Waiting to be sent",
        "Väntar på att skickas",
    ),
    ("centre.letter.sent", "Sent", "Skickat"),
    (
        "centre.letter.failed",
        "Could not be sent",
        "Kunde inte skickas",
    ),
    // --- request forms and the request page ---
    (
        "centre.ask.access",
        "We answer with a copy of your data and how it is used. You can already download everything on your page at once; a formal request also gets a written answer.",
        "Vi svarar med en kopia av dina uppgifter och hur de används. Du kan redan ladda ner allt på din sida direkt; en formell begäran får också ett skriftligt svar.",
    ),
    (
        "centre.ask.portability",
        "We send you the data you gave us, in a file another service can read.",
        "Vi skickar dig uppgifterna du gav oss, i en fil som en annan tjänst kan läsa.",
    ),
    (
        "centre.ask.rectification",
        "Choose the value that is wrong and write what it should be. We check the correction before we make it.",
        "Välj värdet som är fel och skriv vad det ska vara. Vi kontrollerar rättelsen innan vi gör den.",
    ),
    (
        "centre.ask.erasure",
        "We erase your data everywhere we hold it, except what the law makes us keep, and tell those we shared it with. This cannot be undone.",
        "Vi raderar dina uppgifter överallt där vi har dem, utom det som lagen kräver att vi sparar, och meddelar dem vi har delat dem med. Det går inte att ångra.",
    ),
    (
        "centre.ask.restriction",
        "From now on we only store your data and use it for nothing else until the restriction is lifted, for example while a correction is checked.",
        "Från och med nu lagrar vi bara dina uppgifter och använder dem inte till något annat förrän begränsningen hävs, till exempel medan en rättelse kontrolleras.",
    ),
    (
        "centre.ask.objection",
        "Choose the use you object to. We stop it unless we have compelling legitimate grounds, which we then explain to you; marketing always stops.",
        "Välj användningen du invänder mot. Vi slutar om vi inte har tvingande berättigade skäl, som vi då förklarar för dig; marknadsföring slutar alltid.",
    ),
    (
        "centre.ask.withdraw_consent",
        "Choose the consent to withdraw. It ends from now on; what was done before stays lawful.",
        "Välj samtycket att återkalla. Det upphör från och med nu; det som gjordes innan förblir lagligt.",
    ),
    (
        "centre.ask.marketing_opt_out",
        "We stop sending you marketing of every kind, by every channel.",
        "Vi slutar skicka marknadsföring av alla slag, i alla kanaler.",
    ),
    (
        "centre.ask.safeguard_copy",
        "We send you each transfer of personal data outside the EU/EEA, its safeguard and where a copy of it is.",
        "Vi skickar dig varje överföring av personuppgifter utanför EU/EES, dess skyddsåtgärd och var det finns en kopia av den.",
    ),
    (
        "centre.ask.complaint",
        "Only our privacy officer reads your complaint. They look into it, contact you, and answer within the time we promise for requests.",
        "Bara den som ansvarar för dataskydd hos oss läser ditt klagomål och utreder det, kontaktar dig och svarar inom den tid vi lovar för begäranden.",
    ),
    (
        "centre.ask.kept",
        "What the law makes us keep",
        "Det här kräver lagen att vi sparar",
    ),
    (
        "centre.ask.target",
        "The value to correct",
        "Värdet som ska rättas",
    ),
    ("centre.ask.value", "What it should be", "Vad det ska vara"),
    ("centre.ask.purpose", "Which use", "Vilken användning"),
    ("centre.ask.choose", "Choose…", "Välj …"),
    (
        "centre.ask.message",
        "Anything you want us to know (optional)",
        "Något du vill att vi ska veta (frivilligt)",
    ),
    (
        "centre.ask.message_hint",
        "Only the team handling your request reads it.",
        "Bara de som handlägger din begäran läser det.",
    ),
    (
        "centre.ask.confirm",
        "I understand, and I want this",
        "Jag förstår, och jag vill detta",
    ),
    ("centre.ask.submit", "Send the request", "Skicka begäran"),
    (
        "centre.ask.confirm_missing",
        "Tick the box to confirm that you want this.",
        "Kryssa i rutan för att bekräfta att du vill detta.",
    ),
    (
        "centre.ask.purpose_missing",
        "Choose which use.",
        "Välj vilken användning.",
    ),
    (
        "centre.ask.target_missing",
        "Choose the value to correct.",
        "Välj värdet som ska rättas.",
    ),
    (
        "centre.ask.value_missing",
        "Write what the value should be.",
        "Skriv vad värdet ska vara.",
    ),
    ("centre.request.title", "Your request", "Din begäran"),
    ("centre.request.type", "Request", "Begäran"),
    ("centre.request.received", "Received", "Mottagen"),
    ("centre.request.status", "Status", "Status"),
    ("centre.request.due", "Answer due by", "Svar senast"),
    ("centre.request.reference", "Reference", "Referens"),
    (
        "centre.request.due_help",
        "The law gives us until {} to answer. We answer as soon as we can.",
        "Enligt lag har vi fram till {} på oss att svara. Vi svarar så snart vi kan.",
    ),
    (
        "centre.request.extended",
        "The time to answer was extended; the letter about it says why.",
        "Svarstiden har förlängts; brevet om det förklarar varför.",
    ),
    ("centre.request.extended_short", "extended", "förlängd"),
    (
        "centre.request.needs_document",
        "Document needed",
        "Dokument behövs",
    ),
    (
        "centre.request.document",
        "Send an identity document",
        "Skicka en id-handling",
    ),
    (
        "centre.request.document_help",
        "To handle this request we need to confirm who you are with an identity document. It is kept encrypted and deleted when the request is closed.",
        "För att handlägga begäran behöver vi bekräfta vem du är med en id-handling. Den sparas krypterad och raderas när begäran avslutas.",
    ),
    (
        "centre.request.document_file",
        "Identity document",
        "Id-handling",
    ),
    (
        "centre.request.document_hint",
        "A PDF, JPEG or PNG file of at most 10 MB.",
        "En PDF-, JPEG- eller PNG-fil på högst 10 MB.",
    ),
    (
        "centre.request.upload",
        "Send the document",
        "Skicka dokumentet",
    ),
    (
        "centre.request.letters",
        "Letters about this request",
        "Brev om den här begäran",
    ),
    (
        "centre.request.no_letters",
        "No letters yet.",
        "Inga brev än.",
    ),
    ("centre.request.letter", "Letter", "Brev"),
    ("centre.request.date", "Date", "Datum"),
    ("centre.request.letter_state", "Delivery", "Leverans"),
];
