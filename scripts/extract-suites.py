#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Turn Microsoft's per-OS cipher-suite and curve tables into tlsreg's catalogue data.

Reads the Markdown pages of MicrosoftDocs/win32 (desktop-src/SecAuthN/) listed in PAGES
from a checkout or a (bare) git mirror, and writes

  src/catalog/suite_builds/data.rs   one row per table row (generated Rust; do not edit)
  scripts/suite-tables.sha256        the source commit, and each page's path and sha256

Python 3.11 standard library only; `git` is needed when --win32 is a git directory.

Usage:
  scripts/extract-suites.py --win32 DIR [--commit REV] [--out-data F] [--out-manifest F]
                            [--allow-unmapped]

DIR is a work tree of MicrosoftDocs/win32 or its git directory (a bare mirror). With a git
directory (or a work tree that is a git repository) the pages are read at --commit
(default HEAD). A plain directory (no git) needs --commit to name the commit it holds.

Nothing is guessed. Each page's OS, builds and editions are written by hand in PAGES, and
the words of the page that justify them (its title, the sentence introducing its tables)
must occur in the page, or the script fails. Each table is classified by the sentence
that introduces it, each note by its first words; a table, note, row annotation, column
or protocol the script does not know is an "unmapped" item: they are all reported on
stderr and the script fails (exit 1) unless --allow-unmapped is given, in which case the
unmapped rows are left out.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import re
import subprocess
import sys

SECAUTHN = "desktop-src/SecAuthN/"

# Where each page's build numbers come from: "REF" is shared/docs/schannel-reference.md
# section 2.2 (build numbers, with its own sources); "win32:" pages are MicrosoftDocs/win32.
MSI_OS = "win32:desktop-src/Msi/operating-system-property-values.md"
REF = "schannel-reference.md section 2.2"

@dataclasses.dataclass(frozen=True)
class Page:
    """One Microsoft page and the builds it speaks for (written by hand, checked below)."""

    file: str  # file name under desktop-src/SecAuthN/
    ident: str  # Rust static name
    kind: str  # "Suite" or "Curve"
    covers: str  # the OS, in the page's words
    evidence: tuple[str, ...]  # phrases that must occur in the page (title, table intro)
    min_build: int
    max_build: int | None  # None: the page says "and later"
    client: bool
    server: bool
    builds_source: str
    note: str | None = None  # page-level condition, quoted; must occur in the page


PAGES: tuple[Page, ...] = (
    Page(
        "schannel-cipher-suites-in-windows-vista.md", "VISTA", "Suite", "Windows Vista",
        ("title: TLS Cipher Suites in Windows Vista",),
        6000, 6002, True, False,
        f"{MSI_OS}: Windows Vista 6000, Vista SP1 6001, Vista SP2 6002",
    ),
    Page(
        "tls-cipher-suites-in-windows-7.md", "WIN7", "Suite", "Windows 7",
        ("title: TLS Cipher Suites in Windows 7",),
        7600, 7601, True, False,
        "win32:desktop-src/Msi/released-versions-of-windows-installer.md: Windows Installer "
        f"5.0.7600.16385 released with Windows 7; {REF}: Windows 7 SP1 7601",
        "Windows 7, Windows 8, and Windows Server 2012 are updated by the Windows Update by "
        "the 3042058 update which changes the priority order.",
    ),
    Page(
        "tls-cipher-suites-in-windows-8.md", "WIN8", "Suite",
        "Windows 8 and Windows Server 2012",
        ("title: TLS Cipher Suites in Windows 8",
         "Windows 7, Windows 8, and Windows Server 2012 are updated"),
        9200, 9200, True, True,
        f"{MSI_OS}: Windows 8 and Windows Server 2012 >= 9200; {REF}: 9200",
        "Windows 7, Windows 8, and Windows Server 2012 are updated by the Windows Update by "
        "the 3042058 update which changes the priority order.",
    ),
    Page(
        "tls-cipher-suites-in-windows-8-1.md", "WIN81", "Suite",
        "Windows 8.1 and Windows Server 2012 R2",
        ("title: TLS Cipher Suites in Windows 8.1",
         "Windows 8.1 and Windows Server 2012 R2 are updated"),
        9600, 9600, True, True,
        f"{MSI_OS}: Windows 8.1 >= 9600; {REF}: Server 2012 R2 / Win8.1 9600",
        "Windows 8.1 and Windows Server 2012 R2 are updated by Windows Update by the "
        "[update 2919355](https://support.microsoft.com/kb/2919355) applied which adds the "
        "new cipher suites and changes the priority order.",
    ),
    Page(
        "tls-cipher-suites-in-windows-10--version-1507.md", "WIN10_1507", "Suite",
        "Windows 10, version 1507",
        ("title: TLS Cipher Suites in Windows 10 v1507", "For Windows 10, version 1507,"),
        10240, 10240, True, False,
        f"{REF}: Windows 10 1507 10240",
    ),
    Page(
        "tls-cipher-suites-in-windows-10-v1511.md", "WIN10_1511", "Suite",
        "Windows 10, version 1511",
        ("title: TLS Cipher Suites in Windows 10 v1511", "For Windows 10, version 1511,"),
        10586, 10586, True, False,
        f"{REF}: Windows 10 1511 10586",
    ),
    Page(
        "tls-cipher-suites-in-windows-10-v1607.md", "WIN10_1607", "Suite",
        "Windows 10, version 1607 and Windows Server 2016",
        ("title: TLS Cipher Suites in Windows 10 v1607",
         "For Windows 10, version 1607 and Windows Server 2016,"),
        14393, 14393, True, True,
        f"{REF}: Windows 10 1607 and Server 2016 14393",
    ),
    Page(
        "tls-cipher-suites-in-windows-10-v1703.md", "WIN10_1703", "Suite",
        "Windows 10, version 1703",
        ("title: TLS Cipher Suites in Windows 10 v1703", "For Windows 10, version 1703,"),
        15063, 15063, True, False,
        f"{REF}: Windows 10 1703 15063",
    ),
    Page(
        "tls-cipher-suites-in-windows-10-v1709.md", "WIN10_1709", "Suite",
        "Windows 10, version 1709",
        ("title: TLS Cipher Suites in Windows 10 v1709", "For Windows 10, version 1709,"),
        16299, 16299, True, False,
        f"{REF}: Windows 10 1709 16299",
    ),
    Page(
        "tls-cipher-suites-in-windows-10-v1803.md", "WIN10_1803", "Suite",
        "Windows 10, version 1803",
        ("title: TLS Cipher Suites in Windows 10 v1803", "For Windows 10, version 1803,"),
        17134, 17134, True, False,
        f"{REF}: Windows 10 1803 17134",
    ),
    Page(
        "tls-cipher-suites-in-windows-10-v1809.md", "WIN10_1809", "Suite",
        "Windows 10, version 1809",
        ("title: TLS Cipher Suites in Windows 10 v1809", "For Windows 10, version 1809,"),
        17763, 17763, True, False,
        f"{REF}: Windows 10 1809 17763",
    ),
    Page(
        "tls-cipher-suites-in-windows-10-v1903.md", "WIN10_1903", "Suite",
        "Windows 10, versions 1903, 1909 and 2004",
        ("title: TLS Cipher Suites in Windows 10 v1903, v1909, and v2004",
         "For Windows 10, version 1903, 1909, and 2004,"),
        18362, 19041, True, False,
        f"{REF}: 1903 18362, 1909 18363, 2004 19041; win32:desktop-src/SbsCs/"
        "application-manifests.md: 10.0.18362.1 for Windows 10, version 1903; "
        "win32:desktop-src/WinSock/winsock-ioctls.md: 10.0.19041.0 (Windows 10, version 2004)",
    ),
    Page(
        "tls-cipher-suites-in-windows-10-v20H2.md", "WIN10_20H2", "Suite",
        "Windows 10, versions 20H2, 21H1 and 21H2",
        ("title: TLS Cipher Suites in Windows 10 v20H2, v21H1, and v21H2",
         "For Windows 10, version v20H2, v21H1, and v21H2,"),
        19042, 19044, True, False,
        f"{REF}: 20H2 19042, 21H1 19043, 21H2 19044",
    ),
    Page(
        "tls-cipher-suites-in-windows-10-v22H2.md", "WIN10_22H2", "Suite",
        "Windows 10, version 22H2",
        ("title: TLS Cipher Suites in Windows 10 v22H2", "For Windows 10, version v22H2,"),
        19045, 19045, True, False,
        f"{REF}: Windows 10 22H2 19045",
    ),
    Page(
        "tls-cipher-suites-in-windows-11.md", "WIN11", "Suite", "Windows 11 (21H2)",
        ("title: TLS Cipher Suites in Windows 11.", "For Windows 11, the following"),
        22000, 22000, True, False,
        f"{REF}: Windows 11 21H2 22000; win32:desktop-src/NativeWiFi/"
        "wlan-profileschema-authencryption-security-element.md: Windows 11 version 21H2 "
        "[10.0.22000]",
    ),
    Page(
        "tls-cipher-suites-in-windows-11-v22H2.md", "WIN11_22H2", "Suite",
        "Windows 11, version 22H2 and later",
        ("title: TLS Cipher Suites in Windows 11 v22H2 and later.",
         "For Windows 11 v22H2 and later,"),
        22621, None, True, False,
        f"{REF}: Windows 11 22H2 22621 (23H2 22631, 24H2 26100 later)",
    ),
    Page(
        "tls-cipher-suites-in-windows-server-2022.md", "SERVER_2022", "Suite",
        "Windows Server 2022",
        ("title: TLS Cipher Suites in Windows Server 2022", "For Windows Server 2022,"),
        20348, 20348, False, True,
        f"{REF}: Windows Server 2022 20348",
    ),
    Page(
        "tls-cipher-suites-in-windows-server-2025.md", "SERVER_2025", "Suite",
        "Windows Server 2025 and later",
        ("title: TLS Cipher Suites in Windows Server 2025 and later",
         "For Windows Server 2025 and later,"),
        26100, None, False, True,
        f"{REF}: Windows Server 2025 26100",
    ),
    Page(
        "tls-elliptic-curves-in-windows-10-1507-and-1511.md", "CURVES_WIN10_1507", "Curve",
        "Windows 10, versions 1507 and 1511",
        ("title: TLS Elliptic Curves in Windows 10 version 1507 and 1511",
         "For Windows 10, versions 1507 and 1511,"),
        10240, 10586, True, False,
        f"{REF}: Windows 10 1507 10240, 1511 10586",
    ),
    Page(
        "tls-elliptic-curves-in-windows-10-1607-and-later.md", "CURVES_WIN10_1607", "Curve",
        "Windows 10, version 1607 and later",
        ("title: TLS Elliptic Curves in Windows 10 version 1607 and later",
         "For Windows 10, versions 1607 and later,"),
        14393, None, True, False,
        f"{REF}: Windows 10 1607 14393",
    ),
    Page(
        "tls-supported-groups-in-windows-11-24h2-and-later.md", "GROUPS_WIN11_24H2", "Curve",
        "Windows 11, version 24H2, Windows Server 2025, and later",
        ("title: TLS Supported Groups in Windows 11 versions 24H2, Windows Server 2025, and "
         "later", "For Windows 11, versions 24H2 and later,"),
        26100, None, True, True,
        f"{REF}: Windows 11 24H2 and Server 2025 26100",
    ),
)

# The sentence introducing a table (or the Vista bullet list) says what its rows are.
INTROS: tuple[tuple[str, str], ...] = (
    (r"following PSK cipher suites are enabled and in this priority order by default", "Psk"),
    (r"following (cipher suites|elliptic curves|groups) are enabled and in this priority "
     r"order by default", "EnabledByDefault"),
    (r"supported by the Microsoft Schannel Provider, but (are )?not enabled by default",
     "NotEnabledByDefault"),
    (r"Schannel supports the following cipher suites\. The suites are listed in the default "
     r"order", "EnabledByDefault"),
    (r"supported by Schannel; however, they are not present by default",
     "NotEnabledByDefault"),
)

# The PSK tables are introduced as "enabled ... by default", but every such page adds this
# note; the rows are read as not enabled by default, and the script fails if the note is
# missing from a page with a PSK table.
PSK_NOTE = "No PSK cipher suites are enabled by default."

# Notes ("> [!NOTE]" / "> [!IMPORTANT]" blocks), by their first words, and what they do.
NOTES: tuple[tuple[str, str], ...] = (
    ("HTTP/2 web services", "ignore"),
    ("Prior to Windows 10, cipher suite strings were appended", "ignore"),
    (PSK_NOTE, "psk"),
    ("With the addition of post-quantum key exchange algorithms", "ignore"),
    ("The legacy FIPS mode setting is no longer recommended", "ignore"),
    ("The following cipher suites from the table above are not enabled by default in "
     "Windows Server 2022 23H2 and later:", "row-note"),
    ("NEW post-quantum ML-KEM groups are now available", "needs-update"),
)

# The names a "needs-update" note speaks of.
NEEDS_UPDATE_NAMES = re.compile(r"mlkem", re.IGNORECASE)

# Words after a name in its cell.
ROW_NOTES = ("Only used when application explicitly requests.",)

NAME_HEADERS = ("Cipher suite string", "Cipher suite", "Elliptic curve string",
                "Supported Group String")
PROTOCOL_HEADERS = ("TLS/SSL Protocol versions", "TLS/SSL Protocol Versions", "Protocols",
                    "Supported Protocol Versions")
STRONG_HEADERS = ("Allowed by SCH_USE_STRONG_CRYPTO",)
IGNORED_HEADERS = ("FIPS mode enabled", "Exchange", "Encryption", "Hash",
                   "Available in FIPS mode", "Available in FIPS mode (legacy)")
PROTOCOLS = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3")


@dataclasses.dataclass
class Row:
    name: str
    page: Page
    listing: str
    order: int
    protocols: tuple[str, ...]
    strong_crypto: bool | None
    note: str | None = None
    needs_update: str | None = None


class Extraction:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.unmapped: list[str] = []
        self.warnings: list[str] = []

    def fail(self, page: Page, line: int, what: str) -> None:
        self.unmapped.append(f"{SECAUTHN}{page.file}:{line}: {what}")


def clean(cell: str) -> str:
    cell = re.sub(r"<br\s*/?>", " ", cell)
    cell = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", cell)  # [text](link) -> text
    cell = cell.replace("\\_", "_").replace("**", "").replace("\\[", "[").replace("\\]", "]")
    return re.sub(r"\s+", " ", cell).strip()


def split_row(line: str) -> list[str]:
    inner = line.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|"):
        inner = inner[:-1]
    return [clean(c) for c in inner.split("|")]


def parse_protocols(text: str) -> tuple[str, ...] | None:
    out: list[str] = []
    family = None
    for tok in (t.strip() for t in text.split(",")):
        m = re.fullmatch(r"(?:(SSL|TLS) )?(\d\.\d)", tok)
        if not m:
            return None
        family = m.group(1) or family
        if family is None:
            return None
        proto = f"{family} {m.group(2)}"
        if proto not in PROTOCOLS:
            return None
        out.append(proto)
    return tuple(out)


def paragraphs(lines: list[str]):
    """Yield (start line, kind, lines) blocks: 'table', 'list', 'quote', 'text', 'head'."""
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        s = line.strip()
        if not s:
            i += 1
            continue
        start = i
        if s.startswith("|"):
            kind = "table"
            pred = lambda t: t.strip().startswith("|")  # noqa: E731
        elif s.startswith(">"):
            kind = "quote"
            pred = lambda t: t.strip().startswith(">")  # noqa: E731
        elif re.match(r"[-*] ", s):
            kind = "list"
            pred = lambda t: re.match(r"\s*[-*] ", t) is not None  # noqa: E731
        elif s.startswith("#") or s == "---":
            yield start + 1, "head", [line]
            i += 1
            continue
        else:
            kind = "text"
            pred = lambda t: t.strip() != "" and not t.strip().startswith(("|", ">", "#"))  # noqa: E731,E501
        block = []
        while i < n and pred(lines[i]):
            block.append(lines[i])
            i += 1
        yield start + 1, kind, block


def extract_page(ex: Extraction, page: Page, text: str) -> None:
    flat = re.sub(r"\s+", " ", text)
    for phrase in page.evidence + ((page.note,) if page.note else ()):
        if phrase not in flat:
            ex.fail(page, 0, f"the page no longer says {phrase!r} (check PAGES)")
    lines = text.split("\n")
    # Skip the front matter.
    if lines and lines[0].strip() == "---":
        end = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), 0)
        lines = [""] * (end + 1) + lines[end + 1:]
    intro: tuple[int, str] | None = None  # (line, listing) awaiting its table or list
    page_rows: list[Row] = []
    has_psk_note = False
    notes: list[tuple[int, str, str]] = []
    for lineno, kind, block in paragraphs(lines):
        if kind == "text":
            para = clean(" ".join(b.strip() for b in block))
            listing = next((lst for pat, lst in INTROS if re.search(pat, para)), None)
            intro = (lineno, listing) if listing else None
        elif kind == "quote":
            body = clean(" ".join(re.sub(r"^\s*>\s?", "", b) for b in block))
            body = re.sub(r"^\[!(NOTE|IMPORTANT|TIP|CAUTION|WARNING)\]\s*", "", body)
            action = next((act for head, act in NOTES if body.startswith(head)), None)
            if action is None:
                ex.fail(page, lineno, f"unknown note: {body[:100]!r}")
            elif action == "psk":
                has_psk_note = True
            elif action in ("row-note", "needs-update"):
                notes.append((lineno, action, body))
        elif kind == "table":
            header = split_row(block[0])
            if header[0] not in NAME_HEADERS:
                ex.warnings.append(f"{SECAUTHN}{page.file}:{lineno}: table with header "
                                   f"{header!r} skipped (not a suite or curve table)")
                continue
            if intro is None:
                ex.fail(page, lineno, "a suite/curve table without a known introduction")
                continue
            page_rows += table_rows(ex, page, lineno, intro[1], header, block[2:])
            intro = None
        elif kind == "list" and intro is not None:
            for k, item in enumerate(block):
                cell = clean(re.sub(r"^\s*[-*] ", "", item))
                if not re.fullmatch(r"[A-Za-z0-9_]+", cell):
                    ex.fail(page, lineno + k, f"list item {cell!r} is not a name")
                    continue
                page_rows.append(Row(cell, page, intro[1], k + 1, (), None))
            intro = None
    if any(r.listing == "Psk" for r in page_rows) and not has_psk_note:
        ex.fail(page, 0, f"a PSK table without the note {PSK_NOTE!r}")
    for lineno, action, body in notes:
        if action == "row-note":
            named = set(re.findall(r"\b(TLS_[A-Z0-9_]+)\b", body))
            hit = {r.name for r in page_rows
                   if r.listing == "EnabledByDefault" and r.name in named}
            if not named or hit != named:
                ex.fail(page, lineno, f"note names {sorted(named - hit)} not in the table above")
            for r in page_rows:
                if r.listing == "EnabledByDefault" and r.name in named:
                    r.note = body
        else:
            hit = [r for r in page_rows if NEEDS_UPDATE_NAMES.search(r.name)]
            if not hit:
                ex.fail(page, lineno, "an update note that names no row")
            for r in hit:
                r.needs_update = body
    seen: dict[str, str] = {}
    for r in page_rows:
        if r.name in seen:
            ex.warnings.append(f"{SECAUTHN}{page.file}: {r.name} is listed twice "
                               f"({seen[r.name]} and {r.listing})")
        seen.setdefault(r.name, r.listing)
    if not page_rows:
        ex.fail(page, 0, "no rows found")
    ex.rows += page_rows


def table_rows(ex: Extraction, page: Page, lineno: int, listing: str, header: list[str],
               body: list[str]) -> list[Row]:
    proto_col = strong_col = None
    for k, h in enumerate(header[1:], start=1):
        if h in PROTOCOL_HEADERS:
            proto_col = k
        elif h in STRONG_HEADERS:
            strong_col = k
        elif h not in IGNORED_HEADERS:
            ex.fail(page, lineno, f"unknown column {h!r}")
    rows = []
    for k, line in enumerate(body):
        at = lineno + 2 + k
        cells = split_row(line)
        if len(cells) != len(header):
            ex.fail(page, at, f"{len(cells)} cells, header has {len(header)}")
            continue
        m = re.fullmatch(r"([A-Za-z0-9_]+)\s*(.*)", cells[0])
        if not m:
            ex.fail(page, at, f"no name in {cells[0]!r}")
            continue
        name, rest = m.group(1), m.group(2)
        if rest and rest not in ROW_NOTES:
            ex.fail(page, at, f"unknown words after {name}: {rest!r}")
            continue
        protocols: tuple[str, ...] = ()
        if proto_col is not None:
            parsed = parse_protocols(cells[proto_col])
            if parsed is None:
                ex.fail(page, at, f"protocols {cells[proto_col]!r} not understood")
                continue
            protocols = parsed
        strong = None
        if strong_col is not None:
            if cells[strong_col] not in ("Yes", "No"):
                ex.fail(page, at, f"SCH_USE_STRONG_CRYPTO {cells[strong_col]!r}")
                continue
            strong = cells[strong_col] == "Yes"
        rows.append(Row(name, page, listing, len(rows) + 1, protocols, strong, rest or None))
    return rows


# ---- reading the sources ----------------------------------------------------------------

def git(args: list[str], cwd: str) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True).stdout


def is_git(path: str) -> bool:
    """Whether `path` is itself a git directory or the top of a work tree (not merely a
    folder inside some other repository)."""
    r = subprocess.run(["git", "rev-parse", "--absolute-git-dir"], cwd=path,
                       capture_output=True, text=True)
    if r.returncode != 0:
        return False
    here = os.path.realpath(path)
    return os.path.realpath(r.stdout.strip()) in (here, os.path.join(here, ".git"))


def read_sources(root: str, commit: str | None) -> tuple[str, dict[str, bytes]]:
    pages: dict[str, bytes] = {}
    if is_git(root):
        full = git(["rev-parse", "--verify", f"{commit or 'HEAD'}^{{commit}}"], root)
        full_commit = full.decode().strip()
        for p in PAGES:
            pages[p.file] = git(["show", f"{full_commit}:{SECAUTHN}{p.file}"], root)
        return full_commit, pages
    if not commit or not re.fullmatch(r"[0-9a-f]{40}", commit):
        sys.exit("--win32 is not a git directory: give --commit with the 40-digit commit "
                 "its files are from")
    for p in PAGES:
        with open(os.path.join(root, SECAUTHN, p.file), "rb") as f:
            pages[p.file] = f.read()
    return commit, pages


# ---- writing Rust ------------------------------------------------------------------------

def rs(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def opt(s: str | None) -> str:
    return "None" if s is None else f"Some({rs(s)})"


def render(commit: str, rows: list[Row]) -> str:
    out: list[str] = []
    w = out.append
    w(f"//! Generated by scripts/extract-suites.py from MicrosoftDocs/win32 {commit}; "
      "do not edit.")
    w("//!")
    w("//! One row per row of Microsoft's per-OS cipher-suite and curve tables")
    w("//! (`desktop-src/SecAuthN/`), with the page it came from. Regenerate with")
    w("//! `python3 scripts/extract-suites.py --win32 <MicrosoftDocs/win32 checkout or mirror>`;")
    w("//! `scripts/suite-tables.sha256` names the pages and their hashes.")
    w("")
    w("use super::{row, Kind, Listing, SuiteAvailability, Table};")
    w("")
    w("/// The MicrosoftDocs/win32 commit the tables were read at.")
    w(f"pub const SOURCE_COMMIT: &str = {rs(commit)};")
    w("")
    for p in PAGES:
        w(f"/// {p.covers}: `{SECAUTHN}{p.file}`.")
        w("#[rustfmt::skip]")
        w(f"pub static {p.ident}: Table = Table {{")
        w(f"    page: {rs(SECAUTHN + p.file)},")
        w(f"    covers: {rs(p.covers)},")
        w(f"    kind: Kind::{p.kind},")
        w(f"    min_build: {p.min_build},")
        w(f"    max_build: {'None' if p.max_build is None else f'Some({p.max_build})'},")
        w(f"    client: {'true' if p.client else 'false'},")
        w(f"    server: {'true' if p.server else 'false'},")
        w(f"    evidence: &[{', '.join(rs(e) for e in p.evidence)}],")
        w(f"    builds_source: {rs(p.builds_source)},")
        w(f"    note: {opt(clean(p.note) if p.note else None)},")
        w("};")
        w("")
    w("/// Every table: the suite pages (clients by version, then servers), then the curve pages.")
    w("#[rustfmt::skip]")
    w("pub static TABLES: &[&Table] = &[")
    for p in PAGES:
        w(f"    &{p.ident},")
    w("];")
    w("")
    protos: dict[tuple[str, ...], str] = {}
    for r in rows:
        if r.protocols and r.protocols not in protos:
            protos[r.protocols] = "P_" + "_".join(
                x.replace(" ", "").replace(".", "") for x in r.protocols)
    for ps, ident in sorted(protos.items(), key=lambda kv: kv[1]):
        w(f"const {ident}: &[&str] = &[{', '.join(rs(x) for x in ps)}];")
    w("")
    texts: dict[str, str] = {}
    for r in rows:
        for t in (r.note, r.needs_update):
            if t is not None and t not in texts:
                texts[t] = f"NOTE_{len(texts) + 1}"
    for t, ident in texts.items():
        w("#[rustfmt::skip]")
        w(f"const {ident}: &str = {rs(t)};")
    w("")
    w("/// Every row: name, table, listing, position in it, protocols, allowed by")
    w("/// `SCH_USE_STRONG_CRYPTO`, note, update the row needs.")
    w("#[rustfmt::skip]")
    w("pub static ROWS: &[SuiteAvailability] = &[")
    lmap = {"EnabledByDefault": "Listing::EnabledByDefault",
            "NotEnabledByDefault": "Listing::NotEnabledByDefault", "Psk": "Listing::Psk"}
    for r in rows:
        ps = protos.get(r.protocols, "&[]")
        sc = "None" if r.strong_crypto is None else f"Some({'true' if r.strong_crypto else 'false'})"
        note = "None" if r.note is None else f"Some({texts[r.note]})"
        upd = "None" if r.needs_update is None else f"Some({texts[r.needs_update]})"
        w(f"    row({rs(r.name)}, &{r.page.ident}, {lmap[r.listing]}, {r.order}, {ps}, {sc}, "
          f"{note}, {upd}),")
    w("];")
    return "\n".join(out) + "\n"


def manifest(commit: str, pages: dict[str, bytes]) -> str:
    out = ["# The MicrosoftDocs/win32 pages scripts/extract-suites.py reads; sha256 of each",
           "# page at the commit below. Regenerated with src/catalog/suite_builds/data.rs.",
           f"commit {commit}"]
    for p in PAGES:
        out.append(f"{hashlib.sha256(pages[p.file]).hexdigest()}  {SECAUTHN}{p.file}")
    return "\n".join(out) + "\n"


def main() -> int:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--win32", required=True, help="MicrosoftDocs/win32 checkout or git dir")
    ap.add_argument("--commit", help="commit to read (git) or that the files are from")
    ap.add_argument("--out-data",
                    default=os.path.join(here, "src/catalog/suite_builds/data.rs"))
    ap.add_argument("--out-manifest", default=os.path.join(here, "scripts/suite-tables.sha256"))
    ap.add_argument("--allow-unmapped", action="store_true",
                    help="write the rows that could be mapped even if some could not")
    args = ap.parse_args()

    commit, pages = read_sources(args.win32, args.commit)
    ex = Extraction()
    for p in PAGES:
        extract_page(ex, p, pages[p.file].decode("utf-8"))
    for msg in ex.warnings:
        print(f"note: {msg}", file=sys.stderr)
    for msg in ex.unmapped:
        print(f"unmapped: {msg}", file=sys.stderr)
    if ex.unmapped and not args.allow_unmapped:
        print(f"{len(ex.unmapped)} unmapped item(s); nothing written "
              "(--allow-unmapped writes the rest)", file=sys.stderr)
        return 1
    data = render(commit, ex.rows)
    with open(args.out_data, "w", encoding="utf-8", newline="\n") as f:
        f.write(data)
    with open(args.out_manifest, "w", encoding="utf-8", newline="\n") as f:
        f.write(manifest(commit, pages))
    suites = {r.name for r in ex.rows if r.page.kind == "Suite"}
    curves = {r.name.lower() for r in ex.rows if r.page.kind == "Curve"}
    print(f"{len(ex.rows)} rows from {len(PAGES)} pages at {commit}: {len(suites)} suite "
          f"names, {len(curves)} curve names (case folded)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
