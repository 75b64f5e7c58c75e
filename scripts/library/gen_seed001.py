#!/usr/bin/env python3
"""Generate library/catalogs/seed001-regulations.yaml (run from the project root).

Seed 001 (../shared/seeds/001_*.txt) is a company ISMS policy set: a basic policy,
a policy and 14 regulations (規程). This catalog holds the 14 regulations. Each
regulation is a group with its 趣旨 / 対象者 / 対象システム as fields, and two
sub-groups:

  {reg}.4  ４ 遵守事項: its headings (４．１, ４．１．１, ...) as groups; each lowest
           heading is one requirement (section: requirement) whose text is the
           heading's body, and which cites the Annex A ids written under the
           heading (or under the nearest heading above that has some).
  {reg}.5  ５ 運用確認事項: one requirement per numbered item (section:
           operational_check; the item number （１） is in `number`, not in the
           text); a section without numbered items is one requirement.

Texts are verbatim from the seed. The PDF extraction breaks lines mid-sentence, so
lines are joined: line-end and line-start spaces are removed; a line starting
with an item marker (（１）, （ア）, ①, ・, ※, 危険度) or following a line that ends
with "。" starts a new line ("\n"); otherwise it continues the previous line.
A line narrower than
56 columns (full lines are about 68-82) also ends its paragraph.
Lines inside the two tables (文書管理規程 ４．２, インシデント規程 表1) are kept
as they are, one per line. Page numbers (a line holding only a number) are dropped.
"""

import glob
import os
import re
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from catalog_yaml import dump  # noqa: E402

SEED = sorted(glob.glob("../shared/seeds/001_*.txt"))[0]
OUT = "library/catalogs/seed001-regulations.yaml"
L = open(SEED, encoding="utf-8").read().split("\n")
N = len(L)

REGS = [  # (ref, title as printed, en name, first line)
    ("hr", "人的管理規程", "Human resource management regulation", 840),
    ("outsourcing", "外部委託先管理規程", "Outsourcing contractor management regulation", 1416),
    ("documents", "文書管理規程", "Document management regulation", 1639),
    ("audit", "監査規程", "Audit regulation", 1899),
    ("physical", "物理的管理規程", "Physical security management regulation", 2127),
    ("risk", "リスク管理規程", "Risk management regulation", 2492),
    ("incident", "セキュリティインシデント報告・対応規程", "Security incident reporting and response regulation", 2755),
    ("change", "システム変更管理規程", "System change management regulation", 2960),
    ("development", "システム開発規程", "System development regulation", 3082),
    ("system-admin", "システム管理規程", "System administration regulation", 3290),
    ("network", "ネットワーク管理規程", "Network management regulation", 4289),
    ("system-use", "システム利用規程", "System usage regulation", 5327),
    ("smart-device", "スマートデバイス利用規程", "Smart device usage regulation", 6030),
    ("sns", "SNS 利用規程", "SNS usage regulation", 6342),
]

# ISO/IEC 27001:2013 Annex A: control objectives (categories) and their number of controls.
ANNEX_A = {
    "5.1": 2, "6.1": 5, "6.2": 2, "7.1": 2, "7.2": 3, "7.3": 1, "8.1": 4, "8.2": 3, "8.3": 3,
    "9.1": 2, "9.2": 6, "9.3": 1, "9.4": 5, "10.1": 2, "11.1": 6, "11.2": 9, "12.1": 4, "12.2": 1,
    "12.3": 1, "12.4": 4, "12.5": 1, "12.6": 2, "12.7": 1, "13.1": 3, "13.2": 4, "14.1": 3,
    "14.2": 9, "14.3": 1, "15.1": 3, "15.2": 2, "16.1": 7, "17.1": 3, "17.2": 1, "18.1": 5, "18.2": 3,
}
VALID = set()
for cat, n in ANNEX_A.items():
    VALID.add("A." + cat.split(".")[0])
    VALID.add("A." + cat)
    for i in range(1, n + 1):
        VALID.add("A.%s.%d" % (cat, i))

FW = str.maketrans("０１２３４５６７８９", "0123456789")
HEADING = re.compile(r"^\s*([４５](?:\s*．\s*[０-９]+)+)\s+(\S.*?)\s*$")
CITE_LINE = re.compile(r"^\s*[（(]\s*(?:A\.?\d+(?:\.\d+)+[\s、]*)+[)）]?\s*$")
CITE_ID = re.compile(r"A\.?\d+(?:\.\d+)+")
MARKER = re.compile(r"^(（[０-９0-9]+）|（[ア-ン]）|[①-⑳]|・|※|危険度)")
PAGE_NO = re.compile(r"^\s*\d+\s*$")
TABLES = [(1699, 1777), (2864, 2869)]  # kept line by line (1-based, inclusive)


def in_table(i):
    return any(a <= i <= b for a, b in TABLES)


def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in s)


SHORT = 56  # a line narrower than this (full lines are about 68-82 columns) ends its paragraph


def text_of(idxs):
    """Join the lines with the given 1-based indices into one verbatim text."""
    out = []
    prev_table = False
    prev_short = False
    for i in idxs:
        raw = L[i - 1]
        s = raw.strip()
        if not s or PAGE_NO.match(s):
            continue
        if in_table(i):
            out.append(("\n" if out else "") + s)
            prev_table = True
            continue
        if not out:
            out.append(s)
        elif prev_table or prev_short or MARKER.match(s) or out[-1].endswith("。"):
            out.append("\n" + s)
        else:
            out.append(s)
        prev_table = False
        prev_short = width(raw.lstrip()) < SHORT
    return "".join(out)


def cites_of(line_text):
    """Annex A ids as written on a citation line (e.g. "(A.8.1.4  A.8.3.2)")."""
    return CITE_ID.findall(line_text)


def find(first, last, pattern):
    for i in range(first, last + 1):
        if re.match(pattern, L[i - 1]):
            return i
    raise AssertionError("not found: %s in %d-%d" % (pattern, first, last))


def heading_num(s):
    """"４． ３．３" -> (4, 3, 3) and the number as printed without spaces."""
    printed = re.sub(r"\s+", "", s)
    return tuple(int(x.translate(FW)) for x in printed.split("．")), printed


# Known heading titles broken over two lines: heading line -> continuation line.
HEADING_CONT = {5591: 5593, 6158: 6160}

# Lines the extraction put after the wrong heading: line range -> the line they follow.
# Table 1 (復旧優先度) is referred to in ４．１ (4) "(表１参照）" and captioned "表 1" (L2840),
# but its rows were extracted after the text of ４．２.
MOVED = {2840: list(range(2864, 2870))}
MOVED_FROM = {i for v in MOVED.values() for i in v}

# Citations written in a body sentence rather than on a citation line.
INLINE_CITES = {4630: ["9.1.2"], 4692: ["9.1.2"]}


# Our remarks on source oddities kept verbatim (ja, en).
ODD = {
    "incident.4.1": ("表1（復旧優先度）は抽出テキストでは４．２の本文の後に置かれているが、「(表１参照）」と見出し「表 1」の直後に移した。",
                     "Table 1 (recovery priority) comes after the text of ４．２ in the extracted text; it is placed here, after \"(表１参照）\" and its caption \"表 1\"."),
    "system-admin.4.2.4": ("原文では項目番号（７）が2回使われている（原文どおり）。",
                           "The source uses item number （７） twice; kept as in the source."),
    "system-admin.4.8.1": ("原文ではログの取得対象の記号（ウ）が2回使われている（原文どおり）。",
                           "The source uses the mark （ウ） twice in the list of logs to collect; kept as in the source."),
    "system-use.4.1.4": ("原文では項目（２）が欠けている（（１）の次が（３））。",
                         "The source has no item （２） here (（１） is followed by （３））."),
    "smart-device.4.2.4": ("原文では４．２．３が欠番（４．２．２の次が４．２．４）。",
                           "The source has no section ４．２．３ (４．２．２ is followed by ４．２．４)."),
    "outsourcing.4.2": ("原文には「お」（を）、「う」（す）、「あ」（さ）などの誤字が多い（例：「監視うるための」「第三者おレビュー」「対象おした」「適用あれる」）。原文のまま。",
                        "The source has many typos here (お for を, う for す, あ for さ: 監視うるための, 第三者おレビュー, 対象おした, 適用あれる); kept as in the source."),
    "network.4.1": ("「下図にシステム構成図を示す。」の図は抽出テキストに含まれていない。",
                    "The diagram announced by 下図にシステム構成図を示す。 is not in the extracted text."),
}


def likely(cid):
    """What a malformed id most likely means."""
    if re.match(r"^A\d", cid):
        return "A." + cid[1:]
    if re.match(r"^\d", cid):
        return "A." + cid
    return None


def parse_sections(first, last, top):
    """Parse lines first..last into a list of heading dicts under section `top` (4 or 5)."""
    heads = []
    cur = None
    intro = []
    skip = set()
    i = first
    while i <= last:
        raw = L[i - 1]
        if i in skip or i in MOVED_FROM:
            i += 1
            continue
        m = HEADING.match(raw)
        if m and heading_num(m.group(1))[0][0] == top and len(heading_num(m.group(1))[0]) > 1:
            num, printed = heading_num(m.group(1))
            title = m.group(2)
            if i in HEADING_CONT:
                c = HEADING_CONT[i]
                title = title + L[c - 1].strip()
                skip.add(c)
            cur = {"num": num, "printed": printed, "title": title, "cites": [], "body": [], "line": i}
            heads.append(cur)
            i += 1
            continue
        cm = CITE_LINE.match(raw)
        if cm and cur is not None:
            ids = cites_of(raw)
            # A citation list may run over to the next non-empty line (ネットワーク管理規程 L4439-4441).
            if raw.rstrip().endswith("、"):
                j = i + 1
                while not L[j - 1].strip():
                    j += 1
                ids += cites_of(L[j - 1])
                skip.add(j)
            cur["cites"] += ids
            cur["cite_lines"] = cur.get("cite_lines", []) + [i]
            i += 1
            continue
        target = intro if cur is None else cur["body"]
        target.append(i)
        target.extend(MOVED.get(i, []))
        i += 1
    return intro, heads


def ref_of(reg, num):
    return reg + "." + ".".join(str(n) for n in num)


def main():
    nodes = []
    stats = {"requirement": 0, "operational_check": 0, "groups": 0}
    flagged = []
    bounds = [r[3] for r in REGS] + [N + 1]
    for k, (reg, title, en, first) in enumerate(REGS):
        last = bounds[k + 1] - 1
        assert L[first - 1].strip() == title, (L[first - 1], title)
        s1 = find(first, last, r"^\s*１\s*趣旨")
        s2 = find(first, last, r"^\s*２\s*対象者")
        s3 = find(first, last, r"^\s*３\s*対象システム")
        s4 = find(first, last, r"^\s*４\s*遵守事項")
        s5 = find(first, last, r"^\s*５\s*運用確認事項")
        s6 = find(first, last, r"^\s*６\s*(例外|除外)事項")
        assert first < s1 < s2 < s3 < s4 < s5 < s6 <= last
        nodes.append({
            "ref": reg,
            "kind": "group",
            "title": {"ja": title, "en": en},
            "fields": {
                "purpose": text_of(range(s1 + 1, s2)),
                "target_persons": text_of(range(s2 + 1, s3)),
                "target_systems": text_of(range(s3 + 1, s4)),
            },
        })
        stats["groups"] += 1

        # ---- ４ 遵守事項
        intro, heads = parse_sections(s4 + 1, s5 - 1, 4)
        g4 = {"ref": reg + ".4", "parent": reg, "kind": "group", "number": "４", "title": {"ja": "遵守事項", "en": "Requirements"}}
        it = text_of(intro)
        if it:
            g4["text"] = {"ja": it}
        nodes.append(g4)
        stats["groups"] += 1
        nums = [h["num"] for h in heads]
        assert len(set(nums)) == len(nums), (reg, nums)
        for h in heads:
            # Inline citations in the body.
            for i in h["body"]:
                if i in INLINE_CITES:
                    h.setdefault("inline", []).extend(INLINE_CITES[i])
        for idx, h in enumerate(heads):
            num = h["num"]
            parent_num = num[:-1]
            parent = ref_of(reg, parent_num) if len(parent_num) > 1 else reg + ".4"
            assert len(parent_num) == 1 or parent_num in nums, (reg, num)
            has_children = any(n[:len(num)] == num and len(n) > len(num) for n in nums)
            # Citations: as written under this heading, else the nearest heading above with some.
            own = h["cites"]
            eff = list(own)
            if not eff:
                p = parent_num
                while len(p) > 1:
                    ph = heads[nums.index(p)]
                    if ph["cites"]:
                        eff = list(ph["cites"])
                        break
                    p = p[:-1]
            eff += [c for c in h.get("inline", []) if c not in eff]
            node = {
                "ref": ref_of(reg, num),
                "parent": parent,
                "kind": "group" if has_children else "requirement",
                "number": h["printed"],
                "title": {"ja": h["title"]},
            }
            body = text_of(h["body"])
            if has_children:
                if body:
                    node["text"] = {"ja": body}
                if own:
                    node["cites"] = ["iso27001-2013:" + c for c in own]
                stats["groups"] += 1
            else:
                assert body, (reg, num)
                node["text"] = {"ja": body}
                node["fields"] = {"section": "requirement"}
                if eff:
                    node["cites"] = ["iso27001-2013:" + c for c in eff]
                stats["requirement"] += 1
            bad = [c for c in (own if has_children else eff) if c not in VALID]
            if bad:
                node["flags"] = ["citation_error"]
                where = []
                if any(c in own for c in bad):
                    where += ["L%d" % x for x in h.get("cite_lines", [])]
                for i in h["body"]:
                    if i in INLINE_CITES and any(c in INLINE_CITES[i] for c in bad):
                        where.append("L%d" % i)
                inherited = not own and any(c not in h.get("inline", []) for c in bad)
                node["notes"] = {
                    "ja": "原文の引用%sは ISO/IEC 27001:2013 附属書Aの番号として不正で、おそらく %s の誤記（%s%s）。引用は原文のまま。" % (
                        "".join("「%s」" % c for c in bad), "、".join(likely(c) for c in bad), "、".join(where),
                        "、上位の見出しから継承" if inherited else ""),
                    "en": "The source cites %s, %s; probably %s (%s%s). The citation is kept as written." % (
                        ", ".join("\"%s\"" % c for c in bad),
                        "not a valid ISO/IEC 27001:2013 Annex A id" if len(bad) == 1 else "not valid ISO/IEC 27001:2013 Annex A ids", ", ".join(likely(c) for c in bad), ", ".join(where),
                        "; inherited from the heading above" if inherited else ""),
                }
                flagged.append((node["ref"], bad))
            if node["ref"] in ODD:
                ja, enn = ODD[node["ref"]]
                if "notes" in node:
                    node["notes"] = {"ja": node["notes"]["ja"] + ja, "en": node["notes"]["en"] + " " + enn}
                else:
                    node["notes"] = {"ja": ja, "en": enn}
            nodes.append(node)

        # ---- ５ 運用確認事項
        intro5, heads5 = parse_sections(s5 + 1, s6 - 1, 5)
        assert all(not h["cites"] for h in heads5)
        blocks = []  # (parent ref, line indices)
        if heads5:
            g5 = {"ref": reg + ".5", "parent": reg, "kind": "group", "number": "５", "title": {"ja": "運用確認事項", "en": "Operational checks"}}
            if text_of(intro5):
                g5["text"] = {"ja": text_of(intro5)}
            nodes.append(g5)
            stats["groups"] += 1
            for h in heads5:
                assert len(h["num"]) == 2
                r = ref_of(reg, h["num"])
                nodes.append({"ref": r, "parent": reg + ".5", "kind": "group", "number": h["printed"], "title": {"ja": h["title"]}})
                stats["groups"] += 1
                blocks.append((r, h["body"], None))
        else:
            blocks.append((reg + ".5", intro5, "５"))
        for parent, idxs, printed in blocks:
            # Split into numbered items （１）（２）... at line starts.
            items = []
            pre = []
            for i in idxs:
                s = L[i - 1].strip()
                m = re.match(r"^（([０-９]+)）", s)
                if m:
                    items.append((int(m.group(1).translate(FW)), m.group(0), [i]))
                elif items:
                    items[-1][2].append(i)
                else:
                    pre.append(i)
            if not items:
                # No numbered items: the whole section is one check.
                assert printed == "５", parent
                nodes.append({
                    "ref": parent, "parent": reg, "kind": "requirement", "number": "５",
                    "title": {"ja": "運用確認事項", "en": "Operational checks"},
                    "text": {"ja": text_of(idxs)}, "fields": {"section": "operational_check"},
                })
                stats["operational_check"] += 1
                continue
            if printed == "５":  # numbered items directly under ５
                g5 = {"ref": parent, "parent": reg, "kind": "group", "number": "５", "title": {"ja": "運用確認事項", "en": "Operational checks"}}
                if text_of(pre):
                    g5["text"] = {"ja": text_of(pre)}
                nodes.append(g5)
                stats["groups"] += 1
            else:
                assert not text_of(pre), (parent, text_of(pre))
            assert [n for n, _, _ in items] == list(range(1, len(items) + 1)), (parent, [n for n, _, _ in items])
            for n, printed_no, ids in items:
                t = text_of(ids)
                assert t.startswith(printed_no)
                t = t[len(printed_no):].lstrip()  # the number is in `number`
                nodes.append({
                    "ref": "%s.%d" % (parent, n), "parent": parent, "kind": "requirement", "number": printed_no,
                    "text": {"ja": t}, "fields": {"section": "operational_check"},
                })
                stats["operational_check"] += 1

    doc = {
        "key": "company-isms-regulations",
        "edition": "sample",
        "urn": "urn:mamori:catalog:company-isms-regulations:sample",
        "name": {"ja": "情報セキュリティ対策規程（14規程）", "en": "Information security regulations (14 regulations)"},
        "language": "ja",
        "source": "seed 001 (%s), lines 840-6455 (the 14 regulations; the basic policy L1-41 and the policy L42-839 are not included)" % SEED,
        "classification": 1,
        "description": {
            "ja": "社内の情報セキュリティポリシー（ひな形）を構成する14の対策規程。各規程の「４ 遵守事項」の見出しごとの本文と、「５ 運用確認事項」の各項目を、"
                  "原文どおりに収める。遵守事項が引用する ISO/IEC 27001:2013 附属書Aの番号を cites に持つ（見出しに引用がない場合は上位の見出しの引用）。"
                  "日付等は原文でも「平成ｘｘ年ｘｘ月ｘｘ日」のひな形。",
            "en": "The 14 regulations of a company information security policy set (a template). For each regulation: the body of each heading of "
                  "section 4 遵守事項 (requirements) and each item of section 5 運用確認事項 (operational checks), verbatim. cites holds the "
                  "ISO/IEC 27001:2013 Annex A ids written under a heading (or under the nearest heading above when it has none). The source's "
                  "dates are placeholders (平成ｘｘ年ｘｘ月ｘｘ日).",
        },
        "fields": [
            {"key": "section", "name": {"ja": "区分", "en": "Section"}},
            {"key": "purpose", "name": {"ja": "趣旨", "en": "Purpose"}},
            {"key": "target_persons", "name": {"ja": "対象者", "en": "Target persons"}},
            {"key": "target_systems", "name": {"ja": "対象システム", "en": "Target systems"}},
        ],
        "answer_scale": "done_partial_none_na",
        "nodes": nodes,
    }
    header = "Generated by scripts/library/gen_seed001.py from %s.\nDo not edit by hand: change the generator and run it again." % SEED
    text = dump(doc, header)
    open(OUT, "w", encoding="utf-8").write(text)
    print("wrote %s: %d groups, %d requirements (%d 遵守事項, %d 運用確認事項), %d bytes"
          % (OUT, stats["groups"], stats["requirement"] + stats["operational_check"], stats["requirement"],
             stats["operational_check"], len(text.encode())))
    for r, bad in flagged:
        print("citation_error", r, bad)


if __name__ == "__main__":
    main()
