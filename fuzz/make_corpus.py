#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from the test fixtures.

    python3 fuzz/make_corpus.py [OUT_DIR]     (default: fuzz/corpus)

pipeline: one seed per fixture case (every tests/fixtures case and LSP test
workspace): a flags byte, then each file as its path line and its text,
separated by the byte 0xFF (the format fuzz_targets/pipeline.rs reads).

lsp_messages: message sequences in the format fuzz_targets/lsp_messages.rs
reads: an initialize record, then didOpen of a fixture file, hovers over
its relationships, foreign keys and classes, code actions, edits, settings,
watched files, folders and a few malformed messages.

Seeds are named after their content's hash, so rerunning adds nothing twice
to a corpus the fuzzer grew.
"""

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SEP = b"\xff"
CHANGE_SEP = b"\xfe"

# The op numbers of fuzz_targets/lsp_messages.rs.
RAW, OPEN, CHANGE, CLOSE, SAVE, HOVER, CODE_ACTION, CONFIGURATION = range(8)
WATCHED, FOLDERS, CANCEL, SHUTDOWN, EXIT, INITIALIZED, INITIALIZE, UNKNOWN, SYNC = range(8, 17)


def case_dirs():
    """Each fixture case: a directory whose files form one workspace."""
    cases = []
    for family in ("rules", "sql"):
        for group in sorted((FIXTURES / family).iterdir()):
            if group.is_dir():
                children = [c for c in sorted(group.iterdir()) if c.is_dir()]
                if family == "rules" and children:
                    cases.extend(children)
                else:
                    cases.append(group)
    for family in ("extract", "regressions"):
        cases.extend(d for d in sorted((FIXTURES / family).iterdir()) if d.is_dir())
    workspaces = ROOT / "tests" / "lsp" / "workspaces"
    if workspaces.is_dir():
        cases.extend(d for d in sorted(workspaces.iterdir()) if d.is_dir())
    return cases


def case_files(case):
    files = []
    for path in sorted(case.rglob("*")):
        if path.suffix in (".py", ".pyi") or path.name == "pyproject.toml":
            files.append((path.relative_to(case).as_posix(), path.read_bytes()))
    return files


def pipeline_seeds():
    seeds = []
    for number, case in enumerate(case_dirs()):
        files = case_files(case)
        if not files:
            continue
        flags = number % 3  # the dialect
        if number % 7 == 0:
            flags |= 0x20  # hovers in every dialect
        if number % 11 == 0:
            flags |= (1 + number % 5) << 2  # a table-naming setting
        parts = [name.encode() + b"\n" + text for name, text in files]
        seeds.append(bytes([flags]) + SEP.join(parts))
    return seeds


def record(op, *params, payload=b""):
    params = list(params) + [0] * (5 - len(params))
    return bytes([op] + [p & 0xFF for p in params[:5]]) + payload


def raw(body):
    return bytes([RAW]) + body


def positions(text, needles):
    """(line, character) of each needle's occurrences, for hovers."""
    found = []
    for number, line in enumerate(text.split("\n")):
        for needle in needles:
            at = line.find(needle)
            if at >= 0 and number < 256 and at + 1 < 256:
                found.append((number, at + 1))
    return found


def lsp_sequence(text, encoding, document, folders, flags):
    records = [bytes([flags, encoding, folders])]
    records.append(record(OPEN, document, 1, 0, payload=text.encode()))
    records.append(record(SYNC, document))
    for line, character in positions(text, ("relationship(", "ForeignKey(", "class ", "Table("))[:12]:
        records.append(record(HOVER, document, line, character))
    lines = text.count("\n") + 1
    for only in range(3):
        records.append(record(CODE_ACTION, document, 0, 0, min(lines, 255), 0, payload=bytes([only])))
    # Insert a line at the top, then retype a word in the middle.
    records.append(record(CHANGE, document, 1, payload=bytes([0, 0, 0, 0, 0]) + b"import os\n"))
    middle = min(lines // 2, 255)
    records.append(record(CHANGE, document, 1, payload=bytes([0, middle, 0, middle, 4]) + b"    "
                          + CHANGE_SEP + bytes([0, middle, 2, middle, 2]) + b"x"))
    records.append(record(SYNC, document))
    records.append(record(CODE_ACTION, document, middle, 0, middle, 10, payload=bytes([2])))
    records.append(record(SAVE, document))
    records.append(record(CLOSE, document))
    return SEP.join(records)


def lsp_seeds():
    seeds = []
    texts = []
    for case in case_dirs():
        for name, data in case_files(case):
            if name.endswith(".py") and b"relationship" in data:
                texts.append(data.decode("utf-8", "replace"))
                break
    # A spread of fixtures, not all of them: each seed costs a whole session.
    step = max(1, len(texts) // 24)
    for number, text in enumerate(texts[::step]):
        document = (0, 5, 2, 7)[number % 4]
        seeds.append(lsp_sequence(text, number % 6, document, number % 6, number & 0x0F))

    models = texts[0] if texts else "from sqlalchemy.orm import relationship\n"
    init = bytes([0x0F, 2, 0])
    # Settings, configuration answers, watched files and folders.
    seeds.append(SEP.join([
        init,
        record(OPEN, 0, 1, payload=models.encode()),
        record(CONFIGURATION, payload=json.dumps({"sqla-analyzer": {"select": ["SA2"], "dialect": "sqlite"}}).encode()),
        record(SYNC, 0),
        record(CONFIGURATION, payload=b'{"select": ["SA9"]}'),
        record(CONFIGURATION, payload=b"null"),
        record(WATCHED, 1, 1), record(WATCHED, 8, 1), record(WATCHED, 2, 2),
        record(FOLDERS, 2, 1), record(SYNC, 1), record(FOLDERS, 1, 2), record(FOLDERS, 3, 0),
        record(SAVE, 8), record(HOVER, 1, 9, 10), record(SYNC, 0),
    ]))
    # Malformed and unusual messages, then a clean shutdown.
    seeds.append(SEP.join([
        init,
        raw(b"{not json"),
        raw(b'{"jsonrpc":"2.0","id":7,"method":42}'),
        raw(b'[{"jsonrpc":"2.0","method":"initialized"}]'),
        raw(b'{"jsonrpc":"2.0","id":99,"result":null}'),
        raw(json.dumps({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": "file:///x/y.py", "languageId": "python", "version": 1, "text": models}}}).encode()),
        raw(b'{"jsonrpc":"2.0","id":8,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///x/y.py"},"position":{"line":4294967295,"character":-1}}}'),
        record(UNKNOWN, 1, payload=b"{}"), record(UNKNOWN, 0),
        record(CANCEL, 2), record(INITIALIZE, payload=bytes([0, 1, 0])),
        record(OPEN, 7, 1, payload=models.encode()),
        record(CHANGE, 7, 1, payload=bytes([2, 0, 200, 255, 255]) + b"tail" + CHANGE_SEP + bytes([1, 0, 0, 0, 0]) + models.encode()),
        record(CHANGE, 7, 0xFF, payload=bytes([1]) + b"stale"),
        record(HOVER, 7, 3, 5, 1), record(SYNC, 7),
        record(SHUTDOWN), record(HOVER, 7, 0, 0), record(EXIT),
    ]))
    # Messages before initialize, and encodings with non-ASCII text.
    seeds.append(SEP.join([
        bytes([0x80]),
        record(HOVER, 0, 0, 0), record(OPEN, 0, 1, payload=b"x = 1\n"),
        record(INITIALIZE, payload=bytes([0x01, 3, 1])), record(INITIALIZED),
        record(OPEN, 5, 1, payload=("# é😀\r\n" + models.replace("\n", "\r\n")).encode()),
        record(CHANGE, 5, 1, payload=bytes([0, 0, 3, 0, 4]) + "ü".encode()),
        record(SYNC, 5), record(CODE_ACTION, 5, 0, 0, 255, 0, payload=bytes([0])),
    ]))
    return seeds


def write(directory, seeds):
    directory.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        (directory / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    return len(seeds)


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz" / "corpus"
    count = write(out / "pipeline", pipeline_seeds())
    print(f"pipeline: {count} seeds")
    count = write(out / "lsp_messages", lsp_seeds())
    print(f"lsp_messages: {count} seeds")


if __name__ == "__main__":
    main()
