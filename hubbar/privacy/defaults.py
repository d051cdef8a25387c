"""The texts of the privacy notice and the record of processing as hubbar ships them, in Swedish
and English. An admin's edit of a section replaces its text for one language (pages.py).

Texts are plain text: a blank line starts a new paragraph, a line starting "- " is an item of a
list, and an https:// address becomes a link. Words in braces are filled in when the page is
shown: {retention_months}, {inactive_months}, {notice_days}, {sent_mail_days} and
{small_group_k} from the configuration, {host_organisations} from the hubs' host organisations.
"""

# ruff: noqa: E501  (a paragraph is one line: a line break in a text is a line break on the page)

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# When the texts below last changed: the "last updated" date of a page nobody has edited.
DEFAULTS_UPDATED = date(2026, 11, 24)

# What {host_organisations} says while no hub has been set up.
NO_HOST = {
    "sv": "den organisation som äger lokalerna",
    "en": "the organisation that owns the premises",
}


@dataclass(frozen=True)
class Section:
    """One section of a page: its key (the SiteText key), its heading and its default text, each
    by language."""

    key: str
    heading: dict[str, str]
    body: dict[str, str]


# --- the privacy notice (integritetsmeddelande) ------------------------------------------------

NOTICE = (
    Section(
        "notice.controller",
        {"sv": "Vem ansvarar för dina uppgifter?", "en": "Who is responsible for your data?"},
        {
            "sv": """\
hubbar är en tjänst där du bokar arbetsplatser i kontorshubbar som flera organisationer delar.

Den organisation du arbetar i är personuppgiftsansvarig för uppgifterna om dig: din profil, dina bokningar, dina incheckningar och den feedback du lämnar. Varje organisation som använder hubbar ansvarar alltså för uppgifterna om sin egen personal.

Värd för hubbarna är {host_organisations}. Värdorganisationen ansvarar för lokalerna och för de uppgifter som behövs för att driva hubbarna.

Har du frågor om dina uppgifter? Kontakta dataskyddsombudet i den organisation du arbetar i. Du når dataskyddsombudet via organisationens registratur eller webbplats.""",
            "en": """\
hubbar is a service where you book desks at office hubs that several organisations share.

The organisation you work for is the controller of the data about you: your profile, your bookings, your check-ins and the feedback you give. In other words, each organisation that uses hubbar is responsible for the data about its own staff.

The hubs are hosted by {host_organisations}. The host organisation is responsible for the premises and for the data needed to run the hubs.

Do you have questions about your data? Contact the data protection officer of the organisation you work for. You reach the data protection officer through your organisation's registry office or website.""",
        },
    ),
    Section(
        "notice.data",
        {"sv": "Vilka uppgifter sparar vi?", "en": "What data do we keep?"},
        {
            "sv": """\
Vi sparar bara de uppgifter som behövs för att du ska kunna boka en plats och för att hubbarna ska kunna följas upp:

- ditt namn, din e-postadress och den organisation du arbetar i
- dina val i profilen: språk, vilka e-postmeddelanden du vill få och om kollegor får se ditt namn på dina bokningar
- dina bokningar: hubb, plats, dag och tid, och om du har avbokat
- dina incheckningar, det vill säga när du har checkat in på en plats du har bokat
- den feedback du lämnar efter ett besök, om du väljer att lämna någon
- inloggningsförsök: när de gjordes, från vilken nätverksadress (IP-adress) och om de lyckades
- e-postmeddelanden som tjänsten har skickat till dig, till exempel bokningsbekräftelser och påminnelser
- de nycklar du har skapat för din kalender eller för API:et, om du har skapat några

Är du administratör eller hubbansvarig sparar vi också vilka ändringar du gör i tjänsten, så att det går att se i efterhand vem som har gjort vad.

Skriv inte namn eller andra personuppgifter i fritexten när du lämnar feedback.""",
            "en": """\
We only keep the data needed for you to book a desk and for the hubs to be evaluated:

- your name, your e-mail address and the organisation you work for
- your choices in your profile: language, which e-mails you want and whether colleagues may see your name on your bookings
- your bookings: hub, desk, day and time, and whether you cancelled
- your check-ins, that is, when you checked in at a desk you had booked
- the feedback you give after a visit, if you choose to give any
- login attempts: when they were made, from which network address (IP address) and whether they succeeded
- e-mails the service has sent you, such as booking confirmations and reminders
- the keys you have created for your calendar or for the API, if you have created any

If you are an administrator or a hub manager, we also keep the changes you make in the service, so that it is possible to see afterwards who did what.

Please do not write names or other personal data in the comment when you give feedback.""",
        },
    ),
    Section(
        "notice.purposes",
        {
            "sv": "Varför behandlar vi uppgifterna och med vilken rätt?",
            "en": "Why do we use your data, and on what legal basis?",
        },
        {
            "sv": """\
Vi använder uppgifterna för att

- du ska kunna boka, ändra och avboka platser och checka in
- skicka bekräftelser, påminnelser och besked om ändringar till dig
- värdorganisationen ska kunna driva hubbarna och veta vem som är i lokalerna
- följa upp och utvärdera hubbarna: hur mycket de används och vad de som använder dem tycker. Det gör vi med statistik där ingen enskild person går att peka ut
- skydda tjänsten mot intrång och missbruk.

Vi får behandla uppgifterna eftersom det behövs för att utföra en uppgift av allmänt intresse (artikel 6.1 e i dataskyddsförordningen, GDPR). Uppgiften är att organisationerna ska kunna ordna arbetsplatser åt sin personal och använda sina lokaler väl.""",
            "en": """\
We use the data to

- let you book, change and cancel desks and check in
- send you confirmations, reminders and notices of changes
- let the host organisation run the hubs and know who is on the premises
- follow up and evaluate the hubs: how much they are used and what the people who use them think. We do this with statistics in which no individual can be singled out
- protect the service against intrusion and misuse.

We may process the data because it is necessary for performing a task carried out in the public interest (Article 6(1)(e) of the General Data Protection Regulation, GDPR). The task is for the organisations to provide workplaces for their staff and to make good use of their premises.""",
        },
    ),
    Section(
        "notice.visibility",
        {"sv": "Vem ser vad?", "en": "Who sees what?"},
        {
            "sv": """\
- Kollegor ser att en plats är bokad, men inte av vem. Vill du att de ska se ditt namn på dina bokningar kan du välja det i din profil.
- Hubbansvariga ser namnen på dem som har bokat i de hubbar de ansvarar för, eftersom de behöver veta vem som är i lokalerna. De ser inte bokningar i andra hubbar.
- Utvärderare och administratörer i din organisation ser inte vem som har bokat vad. I statistiken har varje person ett påhittat id (en pseudonym). Organisationens administratörer ser de användarkonton de hanterar, men inte dina bokningar.
- Grupper med färre än {small_group_k} personer visas inte i statistiken, så att ingen kan räkna ut vem det handlar om.
- Systemadministratörer kan se alla uppgifter när de behöver det för att sköta tjänsten. Det de ändrar sparas i en logg.""",
            "en": """\
- Colleagues see that a desk is booked, but not by whom. If you want them to see your name on your bookings, you can choose that in your profile.
- Hub managers see the names of the people who have booked at the hubs they manage, because they need to know who is on the premises. They do not see bookings at other hubs.
- Evaluators and the administrators of your organisation do not see who booked what. In the statistics each person has a made-up id (a pseudonym). Your organisation's administrators see the user accounts they manage, but not your bookings.
- Groups of fewer than {small_group_k} people are not shown in the statistics, so that nobody can work out who they are.
- System administrators can see all data when they need to in order to run the service. The changes they make are kept in a log.""",
        },
    ),
    Section(
        "notice.retention",
        {"sv": "Hur länge sparar vi uppgifterna?", "en": "How long do we keep your data?"},
        {
            "sv": """\
- Dina bokningar, incheckningar och din feedback kopplas bort från ditt konto efter {retention_months} månader. Kvar blir en kod som bara tjänstens hemliga nyckel kan koppla till dig, så att statistiken stämmer. Ingen som använder hubbar kan se att det var du. Tar du bort ditt konto byts koden mot ett slumpat nummer, och då går det inte längre att koppla bokningarna till dig alls.
- Har du inte använt tjänsten på {inactive_months} månader får du ett e-postmeddelande om att ditt konto kommer att tas bort. Använder du inte tjänsten inom {notice_days} dagar efter det tas kontot bort, och dina bokningar kopplas bort från dig på samma sätt.
- Inloggningsförsök sparas i ett dygn. De behövs för att stoppa den som försöker gissa lösenord.
- E-postmeddelanden som tjänsten har skickat sparas i {sent_mail_days} dagar.
- Ditt konto finns kvar så länge du använder tjänsten, tills du själv tar bort det eller tills din organisation avslutar det.""",
            "en": """\
- Your bookings, check-ins and feedback are separated from your account after {retention_months} months. What remains is a code that only the service's secret key can link to you, so that the statistics stay correct. Nobody using hubbar can see that it was you. If you delete your account, the code is replaced by a random number, and the bookings can no longer be linked to you at all.
- If you have not used the service for {inactive_months} months, you get an e-mail saying that your account will be deleted. If you do not use the service within {notice_days} days after that, the account is deleted and your bookings are separated from you in the same way.
- Login attempts are kept for one day. They are needed to stop anyone trying to guess passwords.
- E-mails the service has sent are kept for {sent_mail_days} days.
- Your account is kept as long as you use the service, until you delete it yourself or until your organisation closes it.""",
        },
    ),
    Section(
        "notice.rights",
        {"sv": "Dina rättigheter", "en": "Your rights"},
        {
            "sv": """\
Du har rätt att

- få veta vilka uppgifter vi har om dig. Du kan själv ladda ner alla dina uppgifter från din profil
- få felaktiga uppgifter rättade. Ditt namn och ditt språk ändrar du själv i din profil. Andra uppgifter rättar din organisations administratör
- få dina uppgifter raderade. Du kan själv ta bort ditt konto från din profil. Dina bokningar finns då kvar i statistiken, men utan koppling till dig
- invända mot att vi behandlar dina uppgifter
- klaga hos Integritetsskyddsmyndigheten (IMY) om du tycker att vi behandlar dina uppgifter på fel sätt: https://www.imy.se/

Vill du använda dina rättigheter eller har du frågor? Kontakta dataskyddsombudet i den organisation du arbetar i.""",
            "en": """\
You have the right to

- know what data we hold about you. You can download all your data yourself from your profile
- have incorrect data corrected. You change your name and your language yourself in your profile. Your organisation's administrator corrects other data
- have your data erased. You can delete your account yourself from your profile. Your bookings then stay in the statistics, but without any link to you
- object to our processing of your data
- complain to the Swedish Authority for Privacy Protection (Integritetsskyddsmyndigheten, IMY) if you think we process your data the wrong way: https://www.imy.se/

Do you want to use your rights, or do you have questions? Contact the data protection officer of the organisation you work for.""",
        },
    ),
)


# --- the record of processing (registerförteckning, GDPR article 30) ---------------------------

RECORD = (
    Section(
        "record.controller",
        {
            "sv": "Personuppgiftsansvarig och dataskyddsombud",
            "en": "Controller and data protection officer",
        },
        {
            "sv": """\
Varje organisation som använder hubbar är personuppgiftsansvarig för uppgifterna om sin egen personal.

Värd för hubbarna är {host_organisations}. Värdorganisationen ansvarar för lokalerna och för de uppgifter som behövs för att driva hubbarna.

Kontakt: dataskyddsombudet i respektive organisation, via organisationens registratur eller webbplats.""",
            "en": """\
Each organisation that uses hubbar is the controller of the data about its own staff.

The hubs are hosted by {host_organisations}. The host organisation is responsible for the premises and for the data needed to run the hubs.

Contact: the data protection officer of each organisation, through the organisation's registry office or website.""",
        },
    ),
    Section(
        "record.purposes",
        {"sv": "Ändamål", "en": "Purposes of the processing"},
        {
            "sv": """\
- Bokning av arbetsplatser i delade kontorshubbar: boka, ändra, avboka och checka in
- Meddelanden till användarna: bekräftelser, påminnelser och besked om ändringar
- Drift av hubbarna: värdorganisationen behöver veta vem som är i lokalerna
- Uppföljning och utvärdering av hubbarna och av pilotprojekt, med statistik där enskilda inte går att peka ut
- Säkerhet: att skydda tjänsten mot intrång och missbruk och att i efterhand kunna se vem som har ändrat vad""",
            "en": """\
- Booking desks at shared office hubs: booking, changing, cancelling and checking in
- Messages to users: confirmations, reminders and notices of changes
- Running the hubs: the host organisation needs to know who is on the premises
- Following up and evaluating the hubs and pilot projects, with statistics in which no individual can be singled out
- Security: protecting the service against intrusion and misuse, and being able to see afterwards who changed what""",
        },
    ),
    Section(
        "record.legal_basis",
        {"sv": "Rättslig grund", "en": "Legal basis"},
        {
            "sv": """\
Uppgift av allmänt intresse: artikel 6.1 e i dataskyddsförordningen (GDPR) och 2 kap. 2 § lagen (2018:218) med kompletterande bestämmelser till EU:s dataskyddsförordning. Uppgiften är organisationernas ansvar att ordna arbetsplatser åt sin personal och att använda sina lokaler väl.

Inga känsliga personuppgifter (artikel 9) behandlas.""",
            "en": """\
Task carried out in the public interest: Article 6(1)(e) of the General Data Protection Regulation (GDPR) and Chapter 2, Section 2 of the Swedish Act (2018:218) containing supplementary provisions to the EU General Data Protection Regulation. The task is the organisations' responsibility to provide workplaces for their staff and to make good use of their premises.

No special categories of personal data (Article 9) are processed.""",
        },
    ),
    Section(
        "record.data_subjects",
        {"sv": "Kategorier av registrerade", "en": "Categories of data subjects"},
        {
            "sv": """\
- Anställda och uppdragstagare i de organisationer som använder hubbarna
- Hubbansvariga, utvärderare och administratörer
- Personer som har fått en inbjudan men ännu inte har aktiverat sitt konto""",
            "en": """\
- Employees and contractors of the organisations that use the hubs
- Hub managers, evaluators and administrators
- People who have been invited but have not yet activated their account""",
        },
    ),
    Section(
        "record.data_categories",
        {"sv": "Kategorier av personuppgifter", "en": "Categories of personal data"},
        {
            "sv": """\
- Kontaktuppgifter: namn, e-postadress och organisation
- Kontouppgifter: roller, språk, val för e-post och för att visa namnet på bokningar, lösenord (bara som hash) och när kontot senast användes
- Bokningar: hubb, plats, tid, avbokningar, incheckningar och uteblivna besök
- Feedback efter besök: betyg och eventuell fritext
- Inloggningsförsök: tidpunkt, IP-adress, en hash av den e-postadress som angavs och om försöket lyckades
- Skickade e-postmeddelanden: mottagare och innehåll
- Händelselogg: ändringar som administratörer och hubbansvariga har gjort
- Nycklar för kalenderflöden och för API:et (bara som hash)

Inga personnummer och inga känsliga personuppgifter behandlas.""",
            "en": """\
- Contact details: name, e-mail address and organisation
- Account details: roles, language, choices about e-mail and about showing the name on bookings, password (only as a hash) and when the account was last used
- Bookings: hub, desk, time, cancellations, check-ins and no-shows
- Feedback after visits: rating and any comment
- Login attempts: time, IP address, a hash of the e-mail address entered and whether the attempt succeeded
- Sent e-mails: recipient and content
- Audit log: changes made by administrators and hub managers
- Keys for calendar feeds and for the API (only as a hash)

No personal identity numbers and no special categories of personal data are processed.""",
        },
    ),
    Section(
        "record.recipients",
        {"sv": "Mottagare", "en": "Recipients"},
        {
            "sv": """\
- Hubbansvariga: namnen på dem som har bokat i de hubbar de ansvarar för
- Kollegor: att en plats är bokad, och namnet bara om den som bokat har valt att visa det
- Utvärderare och organisationsadministratörer: pseudonymiserad statistik, där grupper med färre än {small_group_k} personer inte visas
- Systemadministratörer: alla uppgifter, när de behövs för att sköta tjänsten
- Den som driver servrarna och e-posttjänsten, om det är en annan organisation än den personuppgiftsansvarige. De är personuppgiftsbiträden och ska ha ett personuppgiftsbiträdesavtal

Uppgifter i allmänna handlingar kan lämnas ut efter prövning enligt offentlighets- och sekretesslagen (2009:400).""",
            "en": """\
- Hub managers: the names of the people who have booked at the hubs they manage
- Colleagues: that a desk is booked, and the name only if the person who booked has chosen to show it
- Evaluators and organisation administrators: pseudonymised statistics, in which groups of fewer than {small_group_k} people are not shown
- System administrators: all data, when it is needed to run the service
- Whoever runs the servers and the e-mail service, if that is an organisation other than the controller. They are processors and must have a data processing agreement

Data in official documents may be disclosed after an assessment under the Swedish Public Access to Information and Secrecy Act (2009:400).""",
        },
    ),
    Section(
        "record.transfers",
        {"sv": "Överföring till tredje land", "en": "Transfers to third countries"},
        {
            "sv": "Inga personuppgifter förs över till länder utanför EU/EES.",
            "en": "No personal data is transferred to countries outside the EU/EEA.",
        },
    ),
    Section(
        "record.retention",
        {"sv": "Lagringstider", "en": "Retention periods"},
        {
            "sv": """\
- Bokningar, incheckningar och feedback: pseudonymiseras efter {retention_months} månader
- Konton som inte har använts på {inactive_months} månader: användaren varnas via e-post, och kontot tas bort {notice_days} dagar senare. Bokningarna pseudonymiseras då
- Konton som användaren själv tar bort: tas bort direkt, och bokningarna pseudonymiseras
- Inloggningsförsök: ett dygn
- Skickade e-postmeddelanden: {sent_mail_days} dagar
- Händelseloggen: gallras inte automatiskt. Hur länge den sparas står i den personuppgiftsansvariges informationshanteringsplan""",
            "en": """\
- Bookings, check-ins and feedback: pseudonymised after {retention_months} months
- Accounts not used for {inactive_months} months: the user is warned by e-mail, and the account is deleted {notice_days} days later. Its bookings are then pseudonymised
- Accounts that the user deletes: deleted at once, and their bookings pseudonymised
- Login attempts: one day
- Sent e-mails: {sent_mail_days} days
- Audit log: not deleted automatically. How long it is kept is set out in the controller's records management plan""",
        },
    ),
    Section(
        "record.security",
        {
            "sv": "Tekniska och organisatoriska säkerhetsåtgärder",
            "en": "Technical and organisational security measures",
        },
        {
            "sv": """\
- Lösenord sparas bara som en hash med salt, aldrig i klartext. De måste ha minst 12 tecken och får inte vara e-postadressen eller ett vanligt lösenord
- Inloggningen är begränsad: efter för många misslyckade försök för ett konto eller från en adress stoppas fler försök en stund
- Skydd mot förfalskade formulär (CSRF) på alla formulär
- En strikt Content Security Policy och andra säkerhetsrubriker i varje svar
- Varje åtkomst kontrolleras mot användarens roll och vad rollen omfattar, till exempel vilka hubbar
- En händelselogg över ändringar som administratörer och hubbansvariga gör
- Pseudonymisering: i statistik och exporter, och av bokningar efter lagringstiden. Små grupper visas inte
- Krypterad förbindelse (TLS) och säkra sessionskakor i produktion
- Regelbundna säkerhetskopior av databasen
- Behörigheter delas ut av administratörer och bara efter behov""",
            "en": """\
- Passwords are stored only as a salted hash, never in plain text. They must have at least 12 characters and may not be the e-mail address or a common password
- Login is rate-limited: after too many failed attempts for one account or from one address, further attempts are stopped for a while
- Protection against forged forms (CSRF) on every form
- A strict Content Security Policy and other security headers on every response
- Every access is checked against the user's role and what the role covers, such as which hubs
- An audit log of changes made by administrators and hub managers
- Pseudonymisation: in statistics and exports, and of bookings after the retention period. Small groups are not shown
- Encrypted connections (TLS) and secure session cookies in production
- Regular backups of the database
- Permissions are granted by administrators, and only where needed""",
        },
    ),
)

PAGES: dict[str, tuple[Section, ...]] = {"notice": NOTICE, "record": RECORD}
