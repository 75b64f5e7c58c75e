#!/usr/bin/env python3
"""Generate library/catalogs/kubota-supplier-2.0.yaml from the seed-004 table.

Input: ../shared/analysis/seed-004-requirements.json (153 rows, one per No.;
it mirrors seed 004, ../shared/seeds/004_*.txt). Paths are relative to the
project root; run from there:  python3 scripts/library/gen_kubota.py

Tree: 24 labels (group "L1".."L24") -> 37 要求事項 (group "L1.R1" ...) -> 153
rows (requirement "1".."153"). Texts are copied from the JSON unchanged.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from catalog_yaml import dump  # noqa: E402

SRC = "../shared/analysis/seed-004-requirements.json"
SEED = "../shared/seeds/004_820f31e67722f2ed.txt"
OUT = "library/catalogs/kubota-supplier-2.0.yaml"

# The JSON's derived frequency codes (an analyst's normalisation) mapped onto the
# README's code list. Codes the README lacks go to the nearest weaker code.
FREQ = {
    "at_least_annually": "at_least_annually",
    "annually": "at_least_annually",  # 1回/年: once a year meets "at least annually"
    "at_least_every_6_months": "at_least_semiannually",
    "twice_yearly": "at_least_semiannually",  # 2回/年 (No.126)
    "at_least_monthly": "at_least_monthly",
    "daily_on_use": "daily",  # 起動し利用する日ごとに1回 以上 (No.137)
    "continuous": "daily",  # 常時 / 24 時間/365 日 (Nos.74, 145): no finer code exists
    "on_change": "on_change",
    "on_asset_review": "on_change",  # 重要な情報資産を見直した時 (No.66)
    "on_major_incident_or_change": "on_major_incident_or_change",
    "on_onboarding": "on_hire",  # 新規受け入れ時
    "regularly_unspecified": "regularly_unspecified",
    "before_start": "on_event",  # 業務開始前 (No.6), リモートワークの開始前 (Nos.82-83)
    "before_go_live": "on_event",  # 本番稼働前 (Nos.126-128)
    "before_and_after_training": "on_event",  # 教育・訓練実施前後 (No.40)
    "on_new_business_relationship": "on_event",  # 取引開始時 (No.70)
    "on_start_or_stop_of_use": "on_event",  # 新規開始あるいは利用中止時 (No.78)
    "on_system_build": "on_event",  # システム構築時 (No.151)
    "on_critical_vulnerability_published": "on_event",  # 影響の大きな脆弱性が公開された時 (No.126)
}
# Per-row refinements of the mapping above.
FREQ_ROW = {6: {"before_start": "on_hire"}}  # NDA before a dispatched/seconded person starts work

# Our own remarks on rows (ja, en). Flags are derived from the data; these explain them
# and record the source's oddities, which are kept verbatim.
ROW_NOTES = {
    12: ("【頻度】欄には頻度ではなく規則（社内ルールの遵守状況の確認・是正）が書かれている（原文どおり）。",
         "The 【頻度】 section holds a rule (check compliance with the internal rules and correct), not a frequency; kept as in the source."),
    16: ("「事件・事件事例」は原文のまま（「事件・事故事例」の誤記と思われる）。",
         "\"事件・事件事例\" is as in the source (probably a typo for 事件・事故事例)."),
    47: ("「定期的の確認され」は原文のまま（「定期的に確認され」の誤記と思われる）。",
         "\"定期的の確認され\" is as in the source (probably a typo for 定期的に確認され)."),
    66: ("【対象】の「No.26 で特定した情報資産」は原文のまま。No.26 はマルウェア対応手順であり、機密レベルの高い情報資産の一覧は No.56 のため、No.56 の誤記と思われる。",
         "【対象】 says \"No.26 で特定した情報資産\" as in the source; No.26 is the malware-response procedure and the list of highly classified assets is No.56, so this is probably a typo for No.56."),
    74: ("達成基準の「<追記>」は原文のまま。[頻度]「常時」は該当するコードがないため frequencies では daily としている。",
         "The \"<追記>\" (addendum) marker in the criteria is as in the source. Its [頻度] 常時 (continuous) has no code of its own and is given as daily in frequencies."),
    145: ("「24 時間/365 日」の監視は該当するコードがないため frequencies では daily としている。",
          "24/365 monitoring has no code of its own and is given as daily in frequencies."),
    97: ("No.97-102 は原文のレイアウト上ラベル16「物理セキュリティ」の下にある（PC 標準設定、ソフトウェア制御等）。要求事項の「こなえて」は原文のまま（「行えて」の誤記と思われる）。",
         "Nos.97-102 sit under label 16 物理セキュリティ by the source's layout although they are technical controls. \"こなえて\" in the requirement is as in the source (probably a typo for 行えて)."),
    103: ("ラベル17「通信制御」には目的欄が原文のどこにもないため、purpose は空欄ではなく省略している。",
          "Label 17 通信制御 has no 目的 cell anywhere in the source, so purpose is left out (not an empty string)."),
    131: ("ラベル21は目的・要求事項ともラベル20と同一の文言（原文どおり）。",
          "Label 21 repeats the 目的 and 要求事項 of label 20 word for word, as in the source."),
    132: ("【対象】の「社外宛での」は原文のまま（「社外宛ての」の誤記と思われる）。",
          "\"社外宛での\" is as in the source (probably a typo for 社外宛ての)."),
    133: ("【対象】の「社外宛での」は原文のまま（「社外宛ての」の誤記と思われる）。",
          "\"社外宛での\" is as in the source (probably a typo for 社外宛ての)."),
    153: ("達成条件の「要度に応じて」は原文のまま（「重要度に応じて」の脱字と思われる）。",
          "\"要度に応じて\" in the condition is as in the source (probably 重要度に応じて with a character missing)."),
}

NOTE_72 = (
    "原文（seed 004 L140）は列がずれており、No.72 の行には「IT 機器調達における情報セキュリティリスクを管理すること」という文と達成基準しかない。"
    "文体（…すること）が要求事項のものであり、No.73 と同じ IT 機器調達の話題を始めるため、No.72-73 の新しい要求事項とみなし、No.72 の達成条件は原文にないものとして扱った。"
    "別の読み方として、この文を No.72 の達成条件とし、要求事項を No.70-71 から継続とすることもできる（行の列配置は達成条件欄にある No.101-102 と同じ形）。"
    "表示のため、この文を項目の題名（title）とし、本文（text）は持たない。",
    "The source row (seed 004 L140) has shifted columns: it holds only the sentence \"IT 機器調達における情報セキュリティリスクを管理すること\" and the criteria. "
    "The sentence is worded like a 要求事項 (…すること) and opens the IT-procurement topic that No.73 continues, so it is taken as a new 要求事項 for Nos.72-73 "
    "and No.72 is treated as having no 達成条件 in the source. The other reading is that the sentence is No.72's 達成条件 and the 要求事項 continues from Nos.70-71 "
    "(the row's cell layout is the same as that of Nos.101-102, where the cell in that position is the 達成条件). "
    "The node's title is that sentence, so that the row can be shown; it has no text.",
)

GROUP_NOTES = {
    "L4.R1": ("目的・要求事項は原文では改ページで分割されている（L57・L61）。目的は「…サイバーセ」＋「セキュリティ対策…」を、重複した「セ」を1字にまとめて結合した。",
              "The purpose and the requirement are split by a page break in the source (L57, L61). The purpose joins \"…サイバーセ\" and \"セキュリティ対策…\" with the repeated \"セ\" written once."),
    "L7.R2": ("目的・要求事項は原文では改ページで分割されている（L92・L95）ため結合した。",
              "The purpose and the requirement are split by a page break in the source (L92, L95) and are joined here."),
    "L18.R1": ("目的は原文では改ページで分割されている（L202・L206）ため結合した。",
               "The purpose is split by a page break in the source (L202, L206) and is joined here."),
    "L13.R2": ("No.72 の行の文を要求事項として読んだもの（No.72 の注記参照）。",
               "Taken from the sentence in No.72's row, read as a 要求事項 (see the note on No.72)."),
    "L16.R5": ("「こなえて」は原文のまま（「行えて」の誤記と思われる）。",
               "\"こなえて\" is as in the source (probably a typo for 行えて)."),
    "L17.R1": ("ラベル17には原文に目的欄がない。要求事項は原文では改ページで分割されている（L187・L191）ため結合した。",
               "Label 17 has no 目的 cell in the source. The requirement is split by a page break in the source (L187, L191) and is joined here."),
    "L21.R1": ("ラベル20と同一の要求事項・目的（原文どおり）。",
               "Same 要求事項 and 目的 as label 20, as in the source."),
}


def purpose_note(row):
    """Label 6 writes 同上 (same as above) as its purpose."""
    if row["purpose"] == "同上":
        return ("目的は原文どおり「同上」（ラベル5の目的「%s」を指す）。" % row["purpose_resolved"],
                "The purpose is \"同上\" (same as above) in the source, meaning label 5's purpose: \"%s\"." % row["purpose_resolved"])
    return None


def notes(*pairs):
    pairs = [p for p in pairs if p]
    if not pairs:
        return None
    return {"ja": "".join(p[0] for p in pairs), "en": " ".join(p[1] for p in pairs)}


def criteria_list(row):
    out = []
    if row["criteria_preamble"] is not None:
        out.append({"header": "", "text": row["criteria_preamble"]})
    for s in row["criteria_sections"]:
        out.append({"header": s["header"], "text": s["text"]})
    # The list must reassemble to the criteria text exactly.
    joined = " ".join(
        (e["header"] + " " + e["text"]) if e["header"] else e["text"] for e in out
    )
    assert joined == row["criteria"], (row["no"], joined, row["criteria"])
    return out


def frequencies(row):
    out = []
    for c in row["frequency_codes_derived"]:
        code = FREQ_ROW.get(row["no"], {}).get(c) or FREQ[c]
        if code not in out:
            out.append(code)
    return out


def main():
    rows = json.load(open(SRC, encoding="utf-8"))
    assert [r["no"] for r in rows] == list(range(1, 154)), "Nos. must run 1..153"
    lines = [r["source_line"] for r in rows]

    nodes = []
    labels = {}
    reqs = {}  # (label_no, requirement) -> ref
    counts = {"必須": 0, "任意": 0}
    for r in rows:
        ln = r["label_no"]
        lref = "L%d" % ln
        if ln not in labels:
            labels[ln] = lref
            nodes.append({
                "ref": lref,
                "kind": "group",
                "number": str(ln),
                "title": {"ja": r["label_name"]},
            })
        key = (ln, r["requirement"])
        if key not in reqs:
            k = sum(1 for x in reqs if x[0] == ln) + 1
            rref = "%s.R%d" % (lref, k)
            reqs[key] = rref
            g = {
                "ref": rref,
                "parent": lref,
                "kind": "group",
                "title": {"ja": r["requirement"]},
                "fields": {"purpose": r["purpose"]} if r["purpose"] is not None else None,
            }
            n = notes(GROUP_NOTES.get(rref), purpose_note(r))
            if n:
                g["notes"] = n
            nodes.append(g)

        flags = []
        extra = []
        if r["condition"] is None:
            flags.append("no_condition_in_source")
            extra.append(NOTE_72 if r["no"] == 72 else None)
        if r["condition_inherited_from_no"]:
            flags.append("text_inherited")
            src = r["condition_inherited_from_no"]
            extra.append((
                "原文の達成条件欄は空欄（結合セル）で、No.%d の達成条件を指す。" % src,
                "The 達成条件 cell is blank in the source (a merged cell) and means the condition of No.%d above." % src,
            ))
        counts[r["answer_target"]] += 1
        fields = {"requirement": r["requirement"]}
        if r["purpose"] is not None:
            fields["purpose"] = r["purpose"]
        if r["condition"] is not None:
            fields["condition"] = r["condition"]
        fields["criteria"] = r["criteria"]
        node = {
            "ref": str(r["no"]),
            "parent": reqs[key],
            "kind": "requirement",
            "number": str(r["no"]),
            "text": {"ja": r["condition"]} if r["condition"] is not None else None,
            # A requirement needs a title or a text (mamori-core Catalog::check). No.72 has no
            # 達成条件, so its title is the only text cell of its row (see NOTE_72).
            "title": {"ja": r["requirement"]} if r["condition"] is None else None,
            "answer_target": {"必須": "mandatory", "任意": "optional"}[r["answer_target"]],
            "fields": fields,
            "criteria": criteria_list(r),
            "frequencies": frequencies(r),
            "flags": flags,
        }
        n = notes(*extra, ROW_NOTES.get(r["no"]), purpose_note(r))
        if n:
            node["notes"] = n
        nodes.append(node)

    assert len(labels) == 24, len(labels)
    assert len(reqs) == 37, len(reqs)
    assert counts == {"必須": 129, "任意": 24}, counts

    doc = {
        "key": "kubota-supplier",
        "edition": "2.0",
        "urn": "urn:mamori:catalog:kubota-supplier:2.0",
        "name": {
            "ja": "クボタグループ お取引先様向け 情報セキュリティ対策基準",
            "en": "Kubota Group information security standard for suppliers",
        },
        "publisher": {"ja": "株式会社クボタ", "en": "Kubota Corporation"},
        "language": "ja",
        "source": "seed 004 (%s), table lines %d-%d (header L40; version 2.0, October 2022)"
        % (SEED, min(lines) - 1, max(lines)),
        "classification": 1,
        "description": {
            "ja": "株式会社クボタが機密情報を共有する取引先に求める情報セキュリティ対策の基準（2.0版、2022年10月）。"
                  "ラベル24件、要求事項37件、達成条件153件（必須129、任意24）。回答形式・採点方法は原文に定めがない。",
            "en": "The information security measures Kubota asks of suppliers with whom it shares confidential information "
                  "(version 2.0, October 2022): 24 labels, 37 requirements, 153 conditions (129 mandatory, 24 optional). "
                  "The source defines no answer scale or scoring.",
        },
        "fields": [
            {"key": "requirement", "name": {"ja": "要求事項", "en": "Requirement"}},
            {"key": "purpose", "name": {"ja": "目的", "en": "Purpose"}},
            {"key": "condition", "name": {"ja": "達成条件", "en": "Condition"}},
            {"key": "criteria", "name": {"ja": "達成基準", "en": "Criteria"}},
        ],
        "answer_scale": "done_partial_none_na",
        "nodes": nodes,
    }
    header = (
        "Generated by scripts/library/gen_kubota.py from ../shared/analysis/seed-004-requirements.json.\n"
        "Do not edit by hand: change the generator and run it again."
    )
    text = dump(doc, header)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s: %d labels, %d requirements, %d rows (%d mandatory, %d optional), %d bytes"
          % (OUT, len(labels), len(reqs), len(rows), counts["必須"], counts["任意"], len(text.encode())))


if __name__ == "__main__":
    main()
