"""Write data/sample_tickets.csv: a few hundred made-up support tickets for the coverage report.

The tickets look like a helpdesk export (``ticket_id, created_at, channel, subject, body``):
some ask what the bundled SSO-enforcement FAQ answers, others ask about things it does not
(invoices, two-factor recovery, pull rate limits, deleting accounts, Desktop on WSL, SCIM,
refunds, renaming organizations). They carry the usual noise: greetings, signatures with email
addresses and phone numbers, pasted access tokens, quoted earlier mail and typos. A handful of rows
are broken the way real exports are (UTF-8 BOM, stray carriage returns, an empty line, a row
without text, a Windows-1252 byte, a pasted log far over the size limit).

Every ticket, name, address, number and token here is invented. Deterministic: the same seed
gives the same bytes. Run ``python data/make_sample_tickets.py`` to regenerate, or
``python data/make_sample_tickets.py --rows 1000000 --out tickets.csv`` for a big clean file of the
same topics (``bench/coverage.py`` uses :func:`write_many`).
"""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta
from pathlib import Path

SEED = 6
OUT = Path(__file__).with_name("sample_tickets.csv")

# (topic, subject lines, body sentences). Covered topics are about the bundled SSO-enforcement FAQ.
COVERED = {
    "team-plan": (
        ["SSO on our plan?", "Single sign-on availability", "Upgrade needed for SSO"],
        ["We pay for the Team tier right now and the SSO settings page is greyed out. Which plan unlocks single sign-on?",
         "Our company is on a Team subscription. Is single sign-on included or do we have to move to Business first?",
         "I can't find where to switch on SSO for our Team account, do we need a different subscription?"],
    ),
    "service-accounts": (
        ["Service accounts and SSO", "Bot account after SSO", "SSO for robot users"],
        ["We have a couple of service accounts that push images at night. How do those behave once single sign-on is on?",
         "Our bot user has an address on the company domain. With SSO switched on, does it need a personal access token?",
         "How are service accounts treated when we turn SSO on for the org?"],
    ),
    "dns": (
        ["Domain verification question", "Do we need the TXT record?", "DNS step before SSO"],
        ["Before setting up the SSO connection, do we really have to verify our domain with a DNS record?",
         "Is verifying the domain in DNS mandatory to configure SSO or can we skip that step?",
         "Our DNS team is slow. Can we enable single sign-on before the domain verification is done?"],
    ),
    "cli": (
        ["docker login fails after SSO", "CLI sign in with SSO enforced", "Command line auth and SSO"],
        ["Since we enforced SSO nobody can sign in from the command line with their password. How are we supposed to authenticate the CLI now?",
         "Does single sign-on work for command line logins? My password stopped working in the terminal after enforcement.",
         "How do developers log in with the CLI when SSO is enforced? Do they need a personal access token?"],
    ),
    "pipelines": (
        ["CI pipeline broke after enforcing SSO", "Jenkins and SSO enforcement", "Automation and SSO"],
        ["Our GitHub Actions jobs started failing to push images right after we enforced single sign-on. What should the pipelines use instead of a password?",
         "What happens to our CI/CD automation when SSO gets enforced? The build agents log in with a username and password today.",
         "We are about to enforce SSO. What do we need to change in our Jenkins pipelines beforehand?"],
    ),
    "migration": (
        ["Desktop work after moving to SSO", "Will my user lose projects?", "Personal email user and SSO migration"],
        ["One of our developers signed up with a personal gmail address and has months of work in Desktop. When we enforce SSO through Okta, is his work affected by the move to the new account?",
         "A user authenticated in Desktop with no company email. After we buy Business seats and enforce SSO, will their existing work be migrated or lost?"],
    ),
    "choose-ids": (
        ["Which accounts join the org with SSO?", "Can owners pick users for SSO?"],
        ["When SSO is enforced for our email domain, does every account with that domain get added to the org? Some of them never use Desktop and don't need a Business seat.",
         "Can the org owners choose which accounts on our domain are added to the organization once SSO is on, and is there a way to tell which of them are Desktop users?"],
    ),
    "enable-not-enforce": (
        ["Turn on SSO without enforcing", "Optional SSO first?", "SSO rollout in phases"],
        ["Can we switch single sign-on on but leave enforcement off for a few weeks while people get used to it?",
         "Is it possible to enable SSO and keep the password login available for now, enforcing later?",
         "We'd like to roll out SSO gradually. Can we enable it without enforcing it at first?"],
    ),
    "bypass": (
        ["User bypasses SSO", "SSO enforced but password login still works", "Why can this user skip SSO?"],
        ["SSO is enforced but one engineer who belongs to several organizations still signs in with username and password. How is that possible?",
         "We enforced single sign-on, yet a user with two email addresses can still log in without going through our IdP. Why is this happening?"],
    ),
    "test-tenant": (
        ["Testing SSO before production", "Okta sandbox test", "Trial SSO setup"],
        ["Can we try the SSO setup against our Okta test tenant before we switch production over?",
         "Is there a way to test single sign-on with a sandbox identity provider before rolling it out to everyone?",
         "How do we test SSO without locking out all our domain users?"],
    ),
    "build-systems": (
        ["Build systems after enabling SSO", "Impact on build service accounts"],
        ["Once we enable SSO, what changes for our build systems that sign in with service accounts?",
         "What is the impact on build machines using service accounts if we turn SSO on for Desktop?"],
    ),
    "sso-vs-signin": (
        ["Enforce SSO vs enforce sign-in", "Two enforcement settings?"],
        ["Is enforcing single sign-on the same thing as enforcing sign-in for Desktop, or are they separate settings?",
         "What's the difference between enforcing SSO and enforcing sign-in to Desktop? Do we need both?"],
    ),
}

GAPS = {
    "invoices": (
        ["Invoice request", "Wrong VAT on invoice", "Need invoice PDF", "Billing: invoice copy"],
        ["Where can I download the invoice for last month's charge? Our accounting needs the PDF.",
         "The VAT number on our latest invoice is wrong. Can you reissue the invoice with the correct VAT ID?",
         "Please send me copies of all invoices for this year, our finance team needs them for the audit.",
         "How do I change the billing address printed on our invoices?"],
    ),
    "two-factor": (
        ["Locked out: lost 2FA device", "Two-factor recovery codes", "Authenticator app reset"],
        ["I lost my phone with the authenticator app and I don't have the recovery codes. How do I get back into my account?",
         "Two-factor authentication is blocking me, the codes from my authenticator app are rejected. Can you reset 2FA?",
         "Where do I find my two-factor recovery codes? I changed phones and the authenticator app is empty."],
    ),
    "rate-limit": (
        ["Pull rate limit reached", "toomanyrequests error", "Rate limiting on image pulls"],
        ["Our Kubernetes nodes keep getting 'toomanyrequests: You have reached your pull rate limit'. How many pulls do we get per hour?",
         "We hit the image pull rate limit during deployments. Does authenticating raise the pull limit?",
         "How is the pull rate limit counted for anonymous pulls from our CI runners behind one IP address?"],
    ),
    "delete-account": (
        ["Delete my account", "Account deletion and data", "Remove organization"],
        ["Please delete my account and all the data associated with it.",
         "How do I permanently delete our organization and its repositories?",
         "I want to close my account. Will my images and repositories be deleted too?"],
    ),
    "wsl": (
        ["Desktop won't start on Windows", "WSL 2 installation is incomplete", "Desktop stuck starting"],
        ["Desktop fails to start on Windows 11 with 'WSL 2 installation is incomplete'. I already ran wsl --update.",
         "After the latest update Desktop is stuck on 'Engine starting' forever on my Windows laptop with WSL 2.",
         "Desktop on Windows says the WSL kernel needs updating and then crashes. Any fix?"],
    ),
    "scim": (
        ["SCIM provisioning not syncing", "Group mapping with Entra ID", "Users not deprovisioned"],
        ["SCIM provisioning from Entra ID stopped syncing new users into our teams. Where can I see the provisioning errors?",
         "How do we map Azure AD groups to teams with SCIM group mapping?",
         "Users removed in our IdP are not deprovisioned by SCIM. Is there a delay?"],
    ),
    "refund": (
        ["Charged twice", "Refund request", "Duplicate charge on card"],
        ["We were charged twice for the annual plan this month. Can we get a refund for the duplicate charge?",
         "I cancelled within a week of renewal, am I eligible for a refund?",
         "There is a duplicate charge on our company card, please refund one of them."],
    ),
    "rename-org": (
        ["Rename organization", "Change org name", "Transfer org ownership"],
        ["How can I rename our organization? The old name is our previous company brand.",
         "Our org owner left the company. How do we transfer ownership of the organization to someone else?",
         "Is it possible to change the organization name without losing repositories?"],
    ),
}

GREETINGS = ["Hi team,", "Hello,", "Hi there,", "Dear support,", "Good morning,", "Hey,", "", "", ""]
FIRST = ["Jane", "Omar", "Priya", "Luca", "Mei", "Tomasz", "Ana", "Kwame", "Sofia", "Dmitri", "Aisha", "Jonas"]
LAST = ["Doe", "Haddad", "Raman", "Bianchi", "Chen", "Nowak", "Silva", "Mensah", "Rossi", "Ivanov", "Bello", "Berg"]
COMPANIES = ["acme", "globex", "initech", "umbrella-labs", "stark-ind", "wayne-ent"]
EXTRAS = [
    "This is urgent, half the team is blocked.",
    "We checked the docs but couldn't find it.",
    "Thanks for any pointers.",
    "Happy to jump on a call if easier.",
    "Ticket from our IT department.",
    "",
    "",
]


def _typos(text: str, rng: random.Random, rate: float) -> str:
    """Swap two neighbouring letters in about ``rate`` of the longer words."""
    words = text.split(" ")
    for i, w in enumerate(words):
        if len(w) > 4 and w.isalpha() and rng.random() < rate:
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def _signature(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company = rng.choice(COMPANIES)
    lines = [rng.choice(["Thanks,", "Best regards,", "Cheers,", "Kind regards,", "Thanks in advance"]), f"{first} {last}"]
    if rng.random() < 0.6:
        lines.append(f"{first.lower()}.{last.lower()}@{company}.example")
    if rng.random() < 0.4:
        lines.append(rng.choice([f"+1 (415) 555-{rng.randrange(1000, 9999)}", f"+44 20 7946 {rng.randrange(1000, 9999)}",
                                 f"030 {rng.randrange(100, 999)} {rng.randrange(1000, 9999)} {rng.randrange(10, 99)}"]))
    return "\n".join(lines)


def _token(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "dckr_pat_" + "".join(rng.choice(alphabet) for _ in range(27))


def _ticket(rng: random.Random, subjects: list[str], sentences: list[str]) -> tuple[str, str]:
    subject = rng.choice(subjects)
    if rng.random() < 0.15:
        subject = subject.lower()
    parts = []
    greeting = rng.choice(GREETINGS)
    if greeting:
        parts.append(greeting)
    body = rng.choice(sentences)
    body = _typos(body, rng, 0.08 if rng.random() < 0.5 else 0.0)
    extra = rng.choice(EXTRAS)
    if rng.random() < 0.1:
        extra = f"I tried with my token {_token(rng)} but it didn't help."
    parts.append(body + (" " + extra if extra else ""))
    if rng.random() < 0.12:
        parts.append(f"You can reach me at {rng.choice(FIRST).lower()}@{rng.choice(COMPANIES)}.example or call "
                     f"+1 212 555 {rng.randrange(1000, 9999)}.")
    parts.append(_signature(rng))
    if rng.random() < 0.1:
        parts.append(f"On Mon, 3 Mar 2025 at 09:1{rng.randrange(10)}, Support wrote:\n> Thanks for contacting us.\n"
                     f"> Could you describe the problem?")
    return subject, "\n\n".join(parts)


def make_rows(seed: int = SEED) -> list[list[str]]:
    """The ticket rows (header first), before the messy rows are added."""
    rng = random.Random(seed)
    plan = [(t, 14) for t in COVERED] + [(t, 12) for t in GAPS]  # 12*14 + 8*12 = 264 tickets
    topics = [t for t, n in plan for _ in range(n)]
    rng.shuffle(topics)
    rows = [["ticket_id", "created_at", "channel", "subject", "body"]]
    start = datetime(2025, 3, 3, 8, 0)
    for i, topic in enumerate(topics, 1):
        subjects, sentences = COVERED.get(topic) or GAPS[topic]
        subject, body = _ticket(rng, subjects, sentences)
        created = start + timedelta(minutes=37 * i + rng.randrange(30))
        rows.append([f"T-{10400 + i}", created.strftime("%Y-%m-%d %H:%M"), rng.choice(["email", "web", "chat"]),
                     subject, body])
    return rows


def render(rows: list[list[str]], seed: int = SEED) -> bytes:
    """CSV bytes (UTF-8 with BOM, CRLF line ends like a spreadsheet export) with a few broken rows mixed in."""
    rng = random.Random(seed + 1)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    lines = buf.getvalue().encode("utf-8").split(b"\r\n")[:-1]  # drop the empty piece after the last CRLF
    # Splice the broken records in after some record boundaries (never inside a quoted field).
    out: list[bytes] = []
    quotes = 0
    inserted = 0
    broken = [
        b"",  # an empty line
        b'T-19001,2025-03-04 10:00,web,,',  # a row whose subject and body are empty
        'T-19002,2025-03-04 11:30,email,Caf\u00e9 invoice,"Our caf\u00e9 chain needs the invoice for March, where do I download it?"'.encode("cp1252"),
        b'T-19003,2025-03-05 09:12,web,Stray carriage return,"We enforced SSO and now the CLI asks for a token\rinstead of my password. How do we sign in from the terminal?"\r',
        ('T-19004,2025-03-05 14:02,email,Desktop crash log attached,"Desktop crashes on start, full log below.\n'
         + "".join(f"[2025-03-05T14:0{n % 10}:{n % 60:02d}Z] com.example.backend: vm start failed: exit status 1 (attempt {n})\n"
                   for n in range(330))
         + '"').encode("utf-8"),
    ]
    for line in lines:
        out.append(line)
        quotes += line.count(b'"')
        if quotes % 2 == 0 and len(out) > 20 and inserted < len(broken) and rng.random() < 0.05:
            out.append(broken[inserted])
            inserted += 1
    out.extend(broken[inserted:])
    return b"\xef\xbb\xbf" + b"\r\n".join(out) + b"\r\n"


def iter_rows(n: int, seed: int = SEED):
    """``n`` clean ticket rows (no header, no broken rows) of the same topics and noise, for benchmarks.

    Row ``i`` gets ticket id ``T-<i>``; covered and gap topics are drawn in the proportions of the
    sample (12 covered topics of 14 tickets, 8 gap topics of 12). Deterministic for a ``seed``.
    """
    rng = random.Random(seed)
    topics = [t for t in COVERED for _ in range(14)] + [t for t in GAPS for _ in range(12)]
    start = datetime(2025, 1, 1, 0, 0)
    for i in range(1, n + 1):
        topic = rng.choice(topics)
        subjects, sentences = COVERED.get(topic) or GAPS[topic]
        subject, body = _ticket(rng, subjects, sentences)
        created = start + timedelta(seconds=97 * i)
        yield [f"T-{i}", created.strftime("%Y-%m-%d %H:%M"), rng.choice(["email", "web", "chat"]), subject, body]


def write_many(path: Path, n: int, seed: int = SEED, chunk: int = 50_000) -> Path:
    """Write ``n`` tickets of :func:`iter_rows` to ``path`` (``.csv``, or Parquet for ``.parquet``), in chunks."""
    header = ["ticket_id", "created_at", "channel", "subject", "body"]
    rows = iter_rows(n, seed)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        with pq.ParquetWriter(path, pa.schema([(h, pa.string()) for h in header])) as writer:
            while True:
                block = [r for _, r in zip(range(chunk), rows)]
                if not block:
                    break
                writer.write_table(pa.Table.from_pylist([dict(zip(header, r)) for r in block]))
        return path
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Write data/sample_tickets.csv, or --rows N generated tickets.")
    parser.add_argument("--rows", type=int, help="write this many clean generated tickets instead of the sample")
    parser.add_argument("--out", type=Path, help="where to write them (.csv or .parquet; default: the sample path)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    if args.rows is not None:
        out = write_many(args.out or Path("tickets.csv"), args.rows, args.seed)
        print(f"wrote {out} ({args.rows:,} tickets, {out.stat().st_size:,} bytes)")
        return
    data = render(make_rows())
    out = args.out or OUT
    out.write_bytes(data)
    print(f"wrote {out} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
