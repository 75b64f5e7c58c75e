#!/usr/bin/env python3
"""Check the built-in catalogs and mappings against library/catalogs/README.md.

Usage (from the project root):
    python3 scripts/library/check_catalogs.py            # all of library/catalogs and library/mappings
    python3 scripts/library/check_catalogs.py FILE...    # only these files (cross-file checks use all)

Checks, per file: UTF-8 without BOM, under 1 MB, parses as YAML with no duplicate
keys and no plain scalar that YAML 1.1 and 1.2 read differently (yes/no/on/off,
leading-zero or sexagesimal numbers); required keys; no keys the README does not
define. Catalogs: key format, classification 1-3, declared fields, refs unique
(1-64 characters, no whitespace), every parent exists and comes before its
children, kind group|requirement, answer_target, frequency codes and flags from
the README's lists, flags consistent with the node (structure_only and
no_condition_in_source: no text), cites written "catalog-key:ref". Mappings:
relationship vocabulary, no duplicate entries. Across files: unique urns and
key+edition; mapping and cite references resolve when the referenced catalog is
present (a missing catalog is a warning; a cite flagged citation_error may not
resolve).

Needs PyYAML (pip install pyyaml). Exit status 1 if any error is found.
"""

import glob
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("check_catalogs.py needs PyYAML: pip install pyyaml")

MAX_BYTES = 1024 * 1024
FREQUENCIES = {
    "at_least_annually", "at_least_semiannually", "at_least_quarterly", "at_least_monthly",
    "at_least_weekly", "daily", "on_change", "on_major_incident_or_change", "on_hire", "on_leave",
    "on_event", "regularly_unspecified",
}
FLAGS = {"no_condition_in_source", "provisional_numbering", "citation_error", "structure_only", "text_inherited"}
RELATIONSHIPS = {"equal", "subset", "superset", "intersect", "related"}
ANSWER_SCALES = {"done_partial_none_na", "circle_cross"}  # the scales the catalogs use so far
LANGS = {"ja", "en"}

CATALOG_KEYS = {"key", "edition", "urn", "name", "publisher", "language", "source", "classification",
                "description", "fields", "answer_scale", "nodes"}
CATALOG_REQUIRED = {"key", "edition", "urn", "name", "language", "source", "classification", "nodes"}
NODE_KEYS = {"ref", "parent", "kind", "number", "title", "text", "answer_target", "fields", "criteria",
             "frequencies", "cites", "flags", "notes"}
MAPPING_KEYS = {"key", "source", "target", "name", "source_note", "entries"}
MAPPING_REQUIRED = {"key", "source", "target", "name", "entries"}
ENTRY_KEYS = {"source", "target", "relationship", "notes"}  # notes: MappingEntry in mamori-core

KEY_RE = re.compile(r"^[a-z0-9-]+$")
REF_RE = re.compile(r"^\S{1,64}$")
CITE_RE = re.compile(r"^([a-z0-9-]+):(\S+)$")
# Plain scalars that YAML 1.1 (PyYAML) and YAML 1.2 resolve differently.
AMBIGUOUS_PLAIN = re.compile(
    r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?0[0-7]+|[-+]?0b[01_]+|"
    r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|[-+]?[0-9][0-9_]*_[0-9_]*)$"
)


class Report:
    def __init__(self, silent=False):
        self.errors = 0
        self.warnings = 0
        self.silent = silent

    def error(self, where, msg):
        self.errors += 1
        if not self.silent:
            print("ERROR   %s: %s" % (where, msg))

    def warn(self, where, msg):
        self.warnings += 1
        if not self.silent:
            print("warning %s: %s" % (where, msg))


class StrictLoader(yaml.SafeLoader):
    pass


def _no_duplicates(loader, node, deep=False):
    seen = set()
    for k, _ in node.value:
        key = loader.construct_object(k, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, "duplicate key %r" % (key,), k.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def plain_scalar_issues(node, out):
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and AMBIGUOUS_PLAIN.match(node.value):
            out.append("line %d: plain scalar %r reads differently in YAML 1.1 and 1.2; quote it"
                       % (node.start_mark.line + 1, node.value))
    elif isinstance(node, yaml.SequenceNode):
        for x in node.value:
            plain_scalar_issues(x, out)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            plain_scalar_issues(k, out)
            plain_scalar_issues(v, out)


def load(path, rep):
    raw = open(path, "rb").read()
    if len(raw) >= MAX_BYTES:
        rep.error(path, "file is %d bytes, must be under 1 MB" % len(raw))
    if raw.startswith(b"\xef\xbb\xbf"):
        rep.error(path, "file starts with a byte-order mark")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        rep.error(path, "not UTF-8: %s" % e)
        return None
    for n, line in enumerate(text.split("\n"), 1):
        if line.startswith("\t") or re.match(r"^ *\t", line):
            rep.error(path, "line %d: tab in indentation" % n)
    try:
        tree = yaml.compose(text, Loader=StrictLoader)
        issues = []
        plain_scalar_issues(tree, issues)
        for i in issues:
            rep.error(path, i)
        return yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as e:
        rep.error(path, "YAML: %s" % str(e).replace("\n", " "))
        return None


def check_localized(where, v, rep, what, required=True):
    if v is None:
        if required:
            rep.error(where, "%s is missing" % what)
        return
    if not isinstance(v, dict) or not v:
        rep.error(where, "%s must be a mapping {ja: ..., en: ...}" % what)
        return
    for k, s in v.items():
        if k not in LANGS:
            rep.error(where, "%s has language %r (ja | en)" % (what, k))
        if not isinstance(s, str) or not s.strip():
            rep.error(where, "%s.%s must be a non-empty string" % (what, k))
        elif s != s.strip():
            rep.warn(where, "%s.%s has leading or trailing whitespace" % (what, k))


def check_catalog(path, doc, rep):
    for k in doc:
        if k not in CATALOG_KEYS:
            rep.error(path, "unknown top-level key %r" % k)
    for k in sorted(CATALOG_REQUIRED - set(doc)):
        rep.error(path, "missing required key %r" % k)
    key = doc.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        rep.error(path, "key %r must match [a-z0-9-]+" % (key,))
    if not isinstance(doc.get("edition"), str) or not doc.get("edition").strip() or len(doc.get("edition")) > 64:
        rep.error(path, "edition must be a non-empty string of at most 64 characters")
    urn = doc.get("urn")
    if not isinstance(urn, str) or not urn.startswith("urn:") or re.search(r"\s", urn) or len(urn) > 256:
        rep.error(path, "urn %r must be a urn: string without spaces, at most 256 bytes" % (urn,))
    check_localized(path, doc.get("name"), rep, "name")
    check_localized(path, doc.get("publisher"), rep, "publisher", required=False)
    check_localized(path, doc.get("description"), rep, "description", required=False)
    if doc.get("language") not in LANGS:
        rep.error(path, "language %r must be ja or en" % (doc.get("language"),))
    if not isinstance(doc.get("source"), str) or not doc.get("source"):
        rep.error(path, "source must be a non-empty string")
    if doc.get("classification") not in (1, 2, 3) or isinstance(doc.get("classification"), bool):
        rep.error(path, "classification %r must be 1, 2 or 3" % (doc.get("classification"),))
    if "answer_scale" in doc and doc["answer_scale"] not in ANSWER_SCALES:
        rep.warn(path, "answer_scale %r is not one of %s" % (doc["answer_scale"], sorted(ANSWER_SCALES)))

    declared = []
    for i, f in enumerate(doc.get("fields") or []):
        w = "%s fields[%d]" % (path, i)
        if not isinstance(f, dict) or set(f) - {"key", "name"} or "key" not in f:
            rep.error(w, "a field is {key, name}")
            continue
        if not isinstance(f["key"], str) or not re.match(r"^[a-z][a-z0-9_]*$", f["key"]):
            rep.error(w, "field key %r must match [a-z][a-z0-9_]*" % (f["key"],))
        if f["key"] in declared:
            rep.error(w, "field %r declared twice" % f["key"])
        declared.append(f["key"])
        check_localized(w, f.get("name"), rep, "name")

    nodes = doc.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        rep.error(path, "nodes must be a non-empty list")
        return None
    refs = {}
    children = {}
    stats = {"group": 0, "requirement": 0, "mandatory": 0, "optional": 0}
    for idx, n in enumerate(nodes):
        if not isinstance(n, dict):
            rep.error("%s nodes[%d]" % (path, idx), "a node must be a mapping")
            continue
        ref = n.get("ref")
        w = "%s node %r" % (path, ref)
        for k in n:
            if k not in NODE_KEYS:
                rep.error(w, "unknown key %r" % k)
        if not isinstance(ref, str) or not REF_RE.match(ref):
            rep.error(w, "ref must be a string of 1-64 characters without whitespace")
            continue
        if ref in refs:
            rep.error(w, "duplicate ref")
        kind = n.get("kind")
        if kind not in ("group", "requirement"):
            rep.error(w, "kind %r must be group or requirement" % (kind,))
        else:
            stats[kind] += 1
        parent = n.get("parent")
        if parent is not None:
            if not isinstance(parent, str):
                rep.error(w, "parent must be a string")
            elif parent not in refs:
                rep.error(w, "parent %r does not exist before this node" % parent)
            elif refs[parent].get("kind") != "group":
                rep.error(w, "parent %r is not a group" % parent)
            else:
                children[parent] = children.get(parent, 0) + 1
        if "number" in n and (not isinstance(n["number"], str) or not n["number"]):
            rep.error(w, "number must be a non-empty string")
        flags = n.get("flags") or []
        if not isinstance(flags, list) or any(f not in FLAGS for f in flags):
            rep.error(w, "flags %r must be from %s" % (flags, sorted(FLAGS)))
            flags = [f for f in flags if f in FLAGS] if isinstance(flags, list) else []
        if len(set(flags)) != len(flags):
            rep.error(w, "duplicate flag")
        check_localized(w, n.get("title"), rep, "title", required=(kind == "group"))
        check_localized(w, n.get("text"), rep, "text", required=False)
        check_localized(w, n.get("notes"), rep, "notes", required=False)
        if kind == "requirement" and "title" not in n and "text" not in n and "structure_only" not in flags:
            # as mamori-core's Catalog::check: only structure_only exempts a requirement
            rep.error(w, "a requirement needs a title, a text or the structure_only flag")
        if "structure_only" in flags and "text" in n:
            rep.error(w, "structure_only but the node has a text")
        if "no_condition_in_source" in flags:
            if "text" in n:
                rep.error(w, "no_condition_in_source but the node has a text")
            if isinstance(n.get("fields"), dict) and "condition" in n["fields"]:
                rep.error(w, "no_condition_in_source but fields.condition is present")
        if "text_inherited" in flags and "text" not in n:
            rep.error(w, "text_inherited but the node has no text")
        if [f for f in flags if f != "structure_only"] and "notes" not in n:
            rep.warn(w, "flags %s without notes saying why" % flags)
        at = n.get("answer_target")
        if at is not None:
            if at not in ("mandatory", "optional"):
                rep.error(w, "answer_target %r must be mandatory or optional" % (at,))
            elif kind == "requirement":
                stats[at] += 1
        fields = n.get("fields")
        if fields is not None:
            if not isinstance(fields, dict):
                rep.error(w, "fields must be a mapping")
            else:
                for fk, fv in fields.items():
                    if fk not in declared:
                        rep.error(w, "field %r is not declared in the catalog's fields" % fk)
                    if not isinstance(fv, str) or not fv:
                        rep.error(w, "field %r must be a non-empty string (leave it out when absent)" % fk)
        crit = n.get("criteria")
        if crit is not None:
            if not isinstance(crit, list) or not crit:
                rep.error(w, "criteria must be a non-empty list")
            else:
                for c in crit:
                    if not isinstance(c, dict) or set(c) != {"header", "text"} or not all(isinstance(c[x], str) for x in c):
                        rep.error(w, "criteria entries are {header: string, text: string}")
                    elif not c["text"]:
                        rep.error(w, "criteria entry with an empty text")
        fr = n.get("frequencies")
        if fr is not None:
            if not isinstance(fr, list) or any(f not in FREQUENCIES for f in fr):
                rep.error(w, "frequencies %r must be from %s" % (fr, sorted(FREQUENCIES)))
            elif len(set(fr)) != len(fr):
                rep.error(w, "duplicate frequency code")
        cites = n.get("cites")
        if cites is not None:
            if not isinstance(cites, list) or any(not isinstance(c, str) or not CITE_RE.match(c) for c in cites):
                rep.error(w, "cites must be strings \"catalog-key:ref\"")
            elif len(set(cites)) != len(cites):
                rep.error(w, "duplicate cite")
        refs.setdefault(ref, n)
    for ref, n in refs.items():
        if n.get("kind") == "group" and not children.get(ref):
            rep.warn("%s node %r" % (path, ref), "group without children")
    return {"path": path, "key": doc.get("key"), "edition": doc.get("edition"), "urn": doc.get("urn"),
            "refs": refs, "stats": stats}


def check_mapping(path, doc, rep):
    for k in doc:
        if k not in MAPPING_KEYS:
            rep.error(path, "unknown top-level key %r" % k)
    for k in sorted(MAPPING_REQUIRED - set(doc)):
        rep.error(path, "missing required key %r" % k)
    if not isinstance(doc.get("key"), str) or not KEY_RE.match(doc.get("key", "")):
        rep.error(path, "key %r must match [a-z0-9-]+" % (doc.get("key"),))
    for side in ("source", "target"):
        v = doc.get(side)
        if not isinstance(v, str) or not re.match(r"^[a-z0-9-]+(@\S+)?$", v):
            rep.error(path, "%s %r must be a catalog key, optionally key@edition" % (side, v))
    check_localized(path, doc.get("name"), rep, "name")
    entries = doc.get("entries")
    if not isinstance(entries, list) or not entries:
        rep.error(path, "entries must be a non-empty list")
        return None
    seen = set()
    for i, e in enumerate(entries):
        w = "%s entries[%d]" % (path, i)
        if not isinstance(e, dict):
            rep.error(w, "an entry is a mapping")
            continue
        for k in e:
            if k not in ENTRY_KEYS:
                rep.error(w, "unknown key %r" % k)
        if not all(isinstance(e.get(k), str) and e.get(k) for k in ("source", "target")):
            rep.error(w, "source and target must be non-empty strings")
        if e.get("relationship") not in RELATIONSHIPS:
            rep.error(w, "relationship %r must be one of %s" % (e.get("relationship"), sorted(RELATIONSHIPS)))
        if "notes" in e:
            check_localized(w, e["notes"], rep, "notes")
        pair = (e.get("source"), e.get("target"))
        if pair in seen:
            rep.error(w, "duplicate entry %s -> %s" % pair)
        seen.add(pair)
    return {"path": path, "key": doc.get("key"), "source": doc.get("source"), "target": doc.get("target"),
            "entries": entries}


def find_catalog(catalogs, spec):
    key, _, edition = spec.partition("@")
    found = [c for c in catalogs if c["key"] == key and (not edition or c["edition"] == edition)]
    return found


def main(argv):
    root = os.getcwd()
    all_cat = sorted(glob.glob(os.path.join(root, "library/catalogs/*.yaml")))
    all_map = sorted(glob.glob(os.path.join(root, "library/mappings/*.yaml")))
    only = {os.path.abspath(p) for p in argv} if argv else None
    rep = Report()
    catalogs, mappings = [], []
    quiet = Report(silent=True)  # files outside the selection are loaded for cross-references only
    for path in all_cat + all_map:
        selected = only is None or os.path.abspath(path) in only
        r = rep if selected else quiet
        rel = os.path.relpath(path, root)
        doc = load(rel, r)
        if doc is None:
            continue
        if not isinstance(doc, dict):
            r.error(rel, "top level must be a mapping")
            continue
        is_mapping = "/mappings/" in path.replace(os.sep, "/")
        info = check_mapping(rel, doc, r) if is_mapping else check_catalog(rel, doc, r)
        if info:
            info["selected"] = selected
            (mappings if is_mapping else catalogs).append(info)
    if only:
        for p in only:
            if p not in {os.path.abspath(x) for x in all_cat + all_map}:
                rep.error(p, "not under library/catalogs or library/mappings")

    # Across files.
    for attr in ("urn",):
        seen = {}
        for c in catalogs:
            if c[attr] in seen:
                rep.error(c["path"], "%s %r also used by %s" % (attr, c[attr], seen[c[attr]]))
            seen[c[attr]] = c["path"]
    seen = {}
    for c in catalogs:
        ke = (c["key"], c["edition"])
        if ke in seen:
            rep.error(c["path"], "key+edition %r also used by %s" % (ke, seen[ke]))
        seen[ke] = c["path"]
    missing = {}
    for m in mappings:
        if not m["selected"]:
            continue
        for side in ("source", "target"):
            found = find_catalog(catalogs, m[side])
            if not found:
                missing.setdefault(m[side], []).append(m["path"])
                continue
            if len(found) > 1:
                rep.warn(m["path"], "%s %r matches %d editions; the check uses all of them" % (side, m[side], len(found)))
            refs = set().union(*(set(c["refs"]) for c in found))
            for i, e in enumerate(m["entries"]):
                if isinstance(e, dict) and e.get(side) not in refs:
                    rep.error("%s entries[%d]" % (m["path"], i), "%s ref %r not found in catalog %r" % (side, e.get(side), m[side]))
    for c in catalogs:
        if not c["selected"]:
            continue
        for ref, n in c["refs"].items():
            for cite in n.get("cites") or []:
                m = CITE_RE.match(cite) if isinstance(cite, str) else None
                if not m:
                    continue
                found = find_catalog(catalogs, m.group(1))
                if not found:
                    missing.setdefault(m.group(1), []).append(c["path"])
                    continue
                if not any(m.group(2) in x["refs"] for x in found):
                    w = "%s node %r" % (c["path"], ref)
                    if "citation_error" in (n.get("flags") or []):
                        rep.warn(w, "cite %r does not resolve (flagged citation_error)" % cite)
                    else:
                        rep.error(w, "cite %r does not resolve in catalog %r" % (cite, m.group(1)))
    for key, paths in sorted(missing.items()):
        rep.warn(", ".join(sorted(set(paths))), "catalog %r is not in library/catalogs: its references were not checked" % key)

    for c in catalogs:
        if c["selected"]:
            s = c["stats"]
            print("summary %s: %d groups, %d requirements (%d mandatory, %d optional)"
                  % (c["path"], s["group"], s["requirement"], s["mandatory"], s["optional"]))
    for m in mappings:
        if m["selected"]:
            print("summary %s: %d entries, %s -> %s" % (m["path"], len(m["entries"]), m["source"], m["target"]))
    print("%d error(s), %d warning(s)" % (rep.errors, rep.warnings))
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
