"""``node status``: pure parsing of BGP daemon replies and rendering of calicoctl's exact output.

Inputs are plain values (process argv lists, the text of a BIRD ``show protocols`` reply, the
speaker's ``status json`` document); outputs are strings. The effects (root check, process scan,
socket I/O) live in :mod:`pycalicoctl.commands.node`.

Layout of the text output (calicoctl v3.29 ``commands/node/status.go``)::

    Calico process is running.
    <for each family: "\\nIPv4 BGP status\\n" + table | "No IPv4 peers found." | error text>
    <blank line>

Tables are ``olekukonko/tablewriter`` v0.0.5 with default options: bordered, centred upper-case
headers, cells wrapped at 30 columns with minimum raggedness, numbers right-aligned.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

NOT_ROOT = "Need super user privileges: Operation not permitted"
RUNNING = "Calico process is running."
NOT_RUNNING = "Calico process is not running."
NO_BGP = "\nThe BGP backend process (BIRD) is not running.\n"
HEADERS = ("Peer address", "Peer type", "State", "Since", "Info")
PEER_TYPES = {"Global": "global", "Mesh": "node-to-node mesh", "Node": "node specific"}
EXPECTED_HEADINGS = ["name", "proto", "table", "state", "since", "info"]
WRAP_LIMIT = 30

_PEER_NAME = re.compile(r"^(Global|Node|Mesh)_(.+)$")
_NUMBER = re.compile(r"^-?(\d{1,3}(,\d{3})*|\d+)(\.\d+)?$")


class BirdOutputError(Exception):
    """The daemon's ``show protocols`` reply is not in BIRD's format (calicoctl's wording)."""


@dataclass(frozen=True)
class PeerRow:
    """One row of the ``BGP status`` table, plus extra detail for ``-o json``."""

    address: str
    peer_type: str
    state: str
    since: str
    info: str
    detail: Mapping = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Section:
    """What to print for one IP version: rows, an error line, or a not-running note."""

    version: int
    rows: tuple[PeerRow, ...] = ()
    error: str = ""
    not_running: bool = False


@dataclass(frozen=True)
class Processes:
    """Which relevant processes run on this host (calicoctl's argv matching, plus pycalico's)."""

    calico: bool
    bird4: bool
    bird6: bool
    speaker: bool


def classify(argvs: Iterable[Sequence[str]]) -> Processes:
    """Classify process argv lists the way calicoctl's ``psContains`` does.

    calicoctl matches positionally and ORs the positions: argv[0] == ``calico-felix``;
    argv[0] == ``calico-node`` or argv[1] == ``-felix``; argv[0] == ``bird`` / ``bird6``.
    Our speaker (``python -m node.bgp ...``, ``python -m node ...`` or ``pycalico-node``) counts
    both as the Calico process and as the BGP backend for both families.
    """
    calico = bird4 = bird6 = speaker = False
    for argv in argvs:
        if not argv:
            continue
        first = argv[0]
        second = argv[1] if len(argv) > 1 else ""
        if first == "calico-felix" or first == "calico-node" or second == "-felix":
            calico = True
        bird4 = bird4 or first == "bird"
        bird6 = bird6 or first == "bird6"
        if is_speaker(argv):
            speaker = True
    return Processes(calico or speaker, bird4, bird6, speaker)


def is_speaker(argv: Sequence[str]) -> bool:
    """True for the pycalico node or the standalone speaker."""
    if os.path.basename(argv[0]) == "pycalico-node":
        return True
    for i, arg in enumerate(argv[:-1]):
        if arg == "-m" and argv[i + 1] in ("node", "node.bgp", "node.agent"):
            return True
    return False


def parse_show_protocols(lines: Iterable[str], version: int) -> tuple[PeerRow, ...]:
    """calicoctl's ``scanBIRDPeers``: BGP peer rows from a BIRD ``show protocols`` reply."""
    sep = ":" if version == 6 else "."
    rows = []
    for line in lines:
        if line.startswith("0000"):
            break
        if line.startswith("0001"):
            continue
        if line.startswith("2002"):
            if line[5:].split() != EXPECTED_HEADINGS:
                raise BirdOutputError("unknown BIRD table output format")
        elif line.startswith("1002"):
            row = _bird_row(line[5:], sep)
            if row:
                rows.append(row)
        elif line.startswith(" "):
            row = _bird_row(line[1:], sep)
            if row:
                rows.append(row)
        else:
            raise BirdOutputError("unexpected output line from BIRD")
    return tuple(rows)


def _bird_row(line: str, sep: str) -> PeerRow | None:
    columns = line.split()
    if len(columns) < 6 or columns[1] != "BGP":
        return None
    match = _PEER_NAME.match(columns[0])
    if match is None:
        return None
    return PeerRow(address=match.group(2).replace("_", sep), peer_type=PEER_TYPES[match.group(1)],
                   state=columns[3], since=columns[4], info=" ".join(columns[5:]))


def rows_from_status(doc: Mapping, version: int, since_text) -> tuple[PeerRow, ...]:
    """Rows for one IP version from the speaker's ``status json`` document.

    ``since_text(epoch) -> str`` formats the SINCE column (BIRD's ``HH:MM:SS`` / ``YYYY-MM-DD``).
    Peers whose name is not ``Mesh_``/``Global_``/``Node_`` are skipped, as calicoctl skips them.
    """
    family = "ipv6" if version == 6 else "ipv4"
    rows = []
    for peer in doc.get("peers", []):
        if peer.get("family") != family or not _PEER_NAME.match(str(peer.get("name", ""))):
            continue
        info = " ".join(str(peer.get("info", "")).split())
        if not info:
            continue
        rows.append(PeerRow(address=str(peer["address"]), peer_type=str(peer.get("type", "global")),
                            state=str(peer.get("bird_state", "")),
                            since=since_text(float(peer.get("since_epoch", 0))), info=info,
                            detail=peer))
    return tuple(rows)


def bird_since(epoch: float, now: float) -> str:
    """BIRD 1.x SINCE column: local ``HH:MM:SS`` within 20 hours, else ``YYYY-MM-DD``."""
    fmt = "%H:%M:%S" if now - epoch < 20 * 3600 else "%Y-%m-%d"
    return time.strftime(fmt, time.localtime(epoch))


def dial_error(path: str, exc: OSError) -> str:
    """Go's ``net.Dial`` error text for a unix socket (``dial unix P: connect: no such file...``)."""
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return f"dial unix {path}: connect: {reason[:1].lower()}{reason[1:]}"


# ---------------------------------------------------------------------------------------------
# tablewriter v0.0.5 (default options)
# ---------------------------------------------------------------------------------------------

def wrap_words(words: Sequence[str], limit: int, penalty: int = 100000) -> list[list[str]]:
    """tablewriter's ``WrapWords``: minimum-raggedness line breaking (one space between words)."""
    n = len(words)
    if n == 0:
        return []
    length = [[0] * n for _ in range(n)]
    for i in range(n):
        length[i][i] = len(words[i])
        for j in range(i + 1, n):
            length[i][j] = length[i][j - 1] + 1 + len(words[j])
    cost = [2 ** 31 - 1] * n
    brk = [0] * n
    for i in range(n - 1, -1, -1):
        if length[i][n - 1] <= limit:
            cost[i], brk[i] = 0, n
            continue
        for j in range(i + 1, n):
            d = limit - length[i][j - 1]
            c = d * d + cost[j]
            if length[i][j - 1] > limit:
                c += penalty
            if c < cost[i]:
                cost[i], brk[i] = c, j
    lines, i = [], 0
    while i < n:
        lines.append(list(words[i:brk[i]]))
        i = brk[i]
    return lines


def wrap_cell(text: str) -> tuple[list[str], int]:
    """A cell's physical lines and its width, as tablewriter's ``parseDimension`` computes them."""
    paragraphs = text.split("\n")
    width = min(max(len(p) for p in paragraphs), WRAP_LIMIT)
    lines: list[str] = []
    new_width = width
    for index, para in enumerate(paragraphs):
        words = para.replace("\n", " ").split(" ")
        limit = max([width] + [len(w) for w in words])
        para_lines = [" ".join(line) for line in wrap_words(words, limit)]
        new_width = max([new_width] + [len(line) for line in para_lines])
        if index > 0:
            lines.append(" ")
        lines.extend(para_lines)
    return lines, new_width


def title(name: str) -> str:
    """tablewriter's header formatting: ``_`` (and non-numeric ``.``) become spaces, upper-cased."""
    chars = list(name)
    for i, ch in enumerate(chars):
        if ch == "_":
            chars[i] = " "
        elif ch == ".":
            before_ok = i == 0 or chars[i - 1].isdigit() or chars[i - 1] == " "
            after_ok = i == len(chars) - 1 or name[i + 1].isdigit() or name[i + 1] == " "
            if not (before_ok and after_ok):
                chars[i] = " "
    text = "".join(chars).strip()
    if not text and name:
        text = " "
    return text.upper()


def _pad_centre(text: str, width: int) -> str:
    gap = width - len(text)
    if gap <= 0:
        return text
    left = gap // 2
    return " " * left + text + " " * (gap - left)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A bordered table exactly as tablewriter v0.0.5 renders it with default options."""
    head_cells = [wrap_cell(title(h)) for h in headers]
    body = [[wrap_cell(cell) for cell in row] for row in rows]
    widths = [max([head_cells[c][1]] + [r[c][1] for r in body]) for c in range(len(headers))]
    border = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [border]
    head_height = max(len(lines) for lines, _ in head_cells)
    for k in range(head_height):
        parts = [_pad_centre(lines[k] if k < len(lines) else "", widths[c])
                 for c, (lines, _) in enumerate(head_cells)]
        out.append("| " + " | ".join(parts) + " |")
    out.append(border)
    for row in body:
        height = max(len(lines) for lines, _ in row)
        for k in range(height):
            parts = []
            for c, (lines, _) in enumerate(row):
                text = lines[k] if k < len(lines) else ""
                parts.append(text.rjust(widths[c]) if _NUMBER.match(text.strip()) else text.ljust(widths[c]))
            out.append("| " + " | ".join(parts) + " |")
    out.append(border)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Whole outputs
# ---------------------------------------------------------------------------------------------

def render_section(section: Section) -> str:
    """One IP version's part of the text output."""
    v = section.version
    if section.not_running:
        name = "bird6" if v == 6 else "bird"
        return f"\nINFO: BIRDv{v} process: '{name}' is not running.\n"
    text = f"\nIPv{v} BGP status\n"
    if section.error:
        return text + section.error
    if not section.rows:
        return text + f"No IPv{v} peers found.\n"
    return text + render_table(HEADERS, [(r.address, r.peer_type, r.state, r.since, r.info)
                                         for r in section.rows])


def render_text(sections: Sequence[Section] | None) -> str:
    """The full stdout of a successful ``node status`` (``None`` = no BGP backend running)."""
    body = NO_BGP if sections is None else "".join(render_section(s) for s in sections)
    return RUNNING + "\n" + body + "\n"


def render_json(calico_running: bool, sections: Sequence[Section] | None) -> str:
    """``-o json``: the same facts as the text output, for scripts (2-space indent, newline)."""
    doc: dict = {"calicoProcessRunning": calico_running,
                 "bgpBackendRunning": sections is not None, "bgp": {}}
    for s in sections or ():
        entry: dict = {"running": not s.not_running}
        if s.error:
            entry["error"] = s.error
        entry["peers"] = [_peer_json(r) for r in s.rows]
        doc["bgp"][f"ipv{s.version}"] = entry
    return json.dumps(doc, indent=2) + "\n"


def _peer_json(row: PeerRow) -> dict:
    out = {"peerAddress": row.address, "peerType": row.peer_type, "state": row.state,
           "since": row.since, "info": row.info}
    detail = row.detail
    if detail:
        out["bgpState"] = detail.get("state", "")
        out["lastError"] = detail.get("last_error", "")
        out["sinceUTC"] = detail.get("since", "")
        out["asNumber"] = detail.get("asn")
        out["name"] = detail.get("name", "")
        prefixes = detail.get("prefixes") or {}
        out["prefixes"] = {k: prefixes.get(k, 0) for k in ("received", "accepted", "sent")}
    return out
