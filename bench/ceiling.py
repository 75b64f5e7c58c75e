# What Mamori's SQLite schema allows for journaled appends with no application in the way:
# Python's sqlite3 (C) runs the statements an append runs (journal event, record, index row,
# search terms per group), each command in its own SAVEPOINT, groups committed with
# synchronous=FULL in WAL, on a copy of the generated organisation. Variants take parts away
# (slot indexes, savepoints, everything but the journal) to show where the time goes.
#   python3 bench/ceiling.py DB GROUP SECONDS VARIANT
# VARIANT: schema | random_ids | no_savepoints | no_unused_slots | no_slots | journal_only
# Ids are time-ordered (UUIDv7, as Mamori makes them) except in random_ids (UUIDv4), which shows
# what ordered keys save in the records, index and journal B-trees.
# Prints one JSON line. Run it through bench/ceiling.sh (fresh copy per run, medians of 5).
import hashlib
import json
import os
import random
import sqlite3
import sys
import time
import uuid

db, group, seconds, variant = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
SLOTS = [f"record_index_t{i}" for i in range(1, 9)] + [f"record_index_n{i}" for i in range(1, 7)]
# The information asset register fills t1..t7 and n1..n4; these stay NULL.
UNUSED = ["record_index_t8", "record_index_n5", "record_index_n6"]
drop = {"no_slots": SLOTS, "no_unused_slots": UNUSED}.get(variant, [])
savepoints = variant != "no_savepoints"
journal_only = variant == "journal_only"


def uuid7():
    """A UUIDv7: 48 bits of Unix milliseconds, then random bits, with version and variant set."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76
    value = value & ~(0x3 << 62) | 0x2 << 62
    return str(uuid.UUID(int=value))


new_id = (lambda: str(uuid.uuid4())) if variant == "random_ids" else uuid7

c = sqlite3.connect(db, isolation_level=None)
for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "cache_size=-65536"):
    c.execute("PRAGMA " + pragma)
for index in drop:
    c.execute("DROP INDEX " + index)
org, scope = c.execute("SELECT org_id, scope FROM register_scopes WHERE register = 'information_assets'").fetchone()
seq = c.execute("SELECT max(seq) FROM journal WHERE org_id = ?", (org,)).fetchone()[0]
units = [r[0] for r in c.execute("SELECT id FROM units WHERE org_id = ?", (org,))]
at = "2026-12-02T00:00:00.000000Z"

appends = groups = 0
commands_s = commit_s = 0.0
start = time.time()
while time.time() - start < seconds:
    a = time.time()
    c.execute("BEGIN IMMEDIATE")
    terms = []
    for _ in range(group):
        seq += 1
        rid_uuid = new_id()
        name = "資産 %08d" % random.randrange(10**8)
        unit = random.choice(units)
        doc = json.dumps({"computed": {"importance": 3}, "fields": {"name": name, "confidentiality": 3, "managing_unit": unit}}, ensure_ascii=False)
        if savepoints:
            c.execute("SAVEPOINT command")
        c.execute(
            "INSERT INTO journal (org_id, seq, hash, header, payload, kind, entity_type, entity_id, at, actor_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (org, seq, hashlib.sha256(doc.encode()).hexdigest(), '{"v":1}', doc, "record.created", "record", rid_uuid, at),
        )
        if not journal_only:
            c.execute(
                "INSERT INTO records (id, org_id, register, version, title, classification, unit_id, owner_id, document, created_at, created_by, updated_at, updated_by) "
                "VALUES (?, ?, 'information_assets', 1, ?, 3, ?, NULL, ?, ?, NULL, ?, NULL)",
                (rid_uuid, org, name, unit, doc, at, at),
            )
            rid = c.execute(
                "INSERT INTO record_index (id, scope, classification, unit_id, owner_id, t1, t2, t3, t4, t5, t6, t7, t8, n1, n2, n3, n4, n5, n6) "
                "VALUES (?, ?, 3, ?, NULL, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, NULL, NULL) RETURNING rid",
                (rid_uuid, scope, unit, random.choice("ABCDEFGHIJ"), name, unit, random.choice("abcde"), random.choice("xyz"), random.choice("pq"),
                 "20%02d-%02d-%02d" % (random.randrange(15, 27), random.randrange(1, 13), random.randrange(1, 29)),
                 random.randrange(1, 4), random.randrange(1, 3), random.randrange(1, 3), random.randrange(1, 4)),
            ).fetchone()[0]
            terms.append((rid, name))
        if savepoints:
            c.execute("RELEASE command")
    c.executemany("INSERT INTO record_search (rowid, terms) VALUES (?, ?)", terms)
    b = time.time()
    c.execute("COMMIT")
    commands_s += b - a
    commit_s += time.time() - b
    appends += group
    groups += 1
elapsed = time.time() - start
print(json.dumps({
    "bench": "sqlite_ceiling", "variant": variant, "group": group, "appends_per_second": round(appends / elapsed),
    "commands_ms_per_group": round(commands_s / groups * 1000, 2), "commit_ms_per_group": round(commit_s / groups * 1000, 2),
}))
