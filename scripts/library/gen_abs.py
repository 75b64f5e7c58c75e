#!/usr/bin/env python3
"""Generate library/catalogs/abs-operation-rules-2025.yaml (run from the project root).

Seed 000 (../shared/seeds/000_*.txt) is ABS情報セキュリティ運用ルール（2025年度版）,
marked 社外秘 by its owner. This catalog ships its STRUCTURE ONLY: the 19 rule
numbers and the 15 items of rule 18, with short titles written in our own words
(not the source's sentences). No rule text is shipped: an organisation that holds
the document imports its own copy. Numbering follows ../shared/analysis/seed-003-000.md
part B (B1.1, B8); rules 1, 2 and 14 are our reconstruction.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from catalog_yaml import dump  # noqa: E402

SEED = "../shared/seeds/000_7dfa008037472ce1.txt"
OUT = "library/catalogs/abs-operation-rules-2025.yaml"

# (rule, ja, en) — our own short titles: topics only, so that no rule's content is disclosed.
RULES = [
    ("1", "顧客の遵守事項文書", "The customer's compliance document"),
    ("2", "顧客の秘密指定の指針", "The customer's guideline on designating secrets"),
    ("3", "取り外し可能な媒体", "Removable media"),
    ("4", "秘密事項を格納する業務用スマートデバイス", "Business smart devices holding secret matters"),
    ("5", "私有の機器と媒体", "Private devices and media"),
    ("6", "社有のスマートデバイス", "Company-owned smart devices"),
    ("7", "秘密事項の表示", "Marking secret matters"),
    ("8", "秘密事項の持ち出しと携行", "Taking out and carrying secret matters"),
    ("9", "秘密事項の廃棄・返還", "Disposal and return of secret matters"),
    ("10", "データのアクセス制御", "Access control on data"),
    ("11", "事務所の入退室", "Office entry and exit"),
    ("12", "サイバー攻撃への備え", "Cyber attacks"),
    ("13", "情報システムの脆弱性", "Vulnerabilities of information systems"),
    ("14", "業務の再委託", "Subcontracting of the work"),
    ("15", "電子メール", "E-mail"),
    ("16", "FAX", "Fax"),
    ("17", "インシデント発生時の対応", "Incident response"),
    ("18", "安全な開発", "Secure development"),
    ("19", "知的財産権", "Intellectual property"),
]
# Rule 18's items, numbered ①..⑮ in the source. Topics only, in our words.
ITEMS18 = [
    ("Webアプリケーションの脆弱性", "Web application vulnerabilities"),
    ("安全なコーディング", "Secure coding"),
    ("セキュリティの試験", "Security testing"),
    ("脆弱性の診断", "Vulnerability assessment"),
    ("運用・保守の手順", "Operation and maintenance procedures"),
    ("脆弱性情報への対応", "Acting on vulnerability information"),
    ("顧客提供のチェックリスト", "The customer's checklist"),
    ("外部サービス", "External services"),
    ("納品物のマルウェア検査", "Malware check of deliverables"),
    ("開発場所の物理的対策", "Physical security of development sites"),
    ("開発・運用機器の論理的対策", "Logical security of development and operation equipment"),
    ("海外再委託", "Subcontracting abroad"),
    ("アクセス権限", "Access rights"),
    ("ログの収集と分析", "Log collection and analysis"),
    ("機器の持ち込み・持ち出し", "Devices brought in and taken out"),
]
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮"

PROVISIONAL = {
    "1": ("rule 1 / 規則1", "000 L166-167"),
    "2": ("rule 2 / 規則2", "000 L184"),
    "14": ("rule 14 / 規則14", "000 L165"),
}
NOTE_PROVISIONAL = (
    "抽出テキストでは規則番号と本文の位置関係が崩れている。番号の近くに置かれていない短い規則が3つ"
    "（顧客の遵守事項文書 %s、顧客の秘密指定の指針 %s、業務の再委託 %s）あり、これを1・2・14に割り当てたのは当方の再構成"
    "（1・2は順序と位置からの推定、14は残り）。業務の再委託が1で遵守事項文書が14である可能性もある。原本で確認すること。",
    "In the extracted text the rule numbers are separated from the rule texts. Three short rules stand near no number "
    "(the customer's compliance document, %s; the customer's secret-designation guideline, %s; subcontracting of the work, %s). "
    "Assigning them to 1, 2 and 14 is our reconstruction (1 and 2 from order and position, 14 by elimination); the subcontracting "
    "rule may instead be rule 1 and the compliance document rule 14. Check against the original.",
)


def main():
    lines = ["000 L166-167", "000 L184", "000 L165"]
    nodes = []
    for ref, ja, en in RULES:
        n = {
            "ref": ref,
            "kind": "group" if ref == "18" else "requirement",
            "number": ref,
            "title": {"ja": ja, "en": en},
            "flags": ["structure_only"],
        }
        if ref in PROVISIONAL:
            n["flags"].append("provisional_numbering")
            n["notes"] = {"ja": NOTE_PROVISIONAL[0] % tuple(lines), "en": NOTE_PROVISIONAL[1] % tuple(lines)}
        if ref == "18":
            n["notes"] = {
                "ja": "規則18は15項目（①〜⑮）からなり、回答は各項目に対して行う。",
                "en": "Rule 18 consists of 15 items (① to ⑮); answers are given per item.",
            }
        nodes.append(n)
        if ref == "18":
            for i, (ija, ien) in enumerate(ITEMS18, 1):
                nodes.append({
                    "ref": "18.%d" % i,
                    "parent": "18",
                    "kind": "requirement",
                    "number": CIRCLED[i - 1],
                    "title": {"ja": ija, "en": ien},
                    "flags": ["structure_only"],
                })
    assert len(RULES) == 19 and len(ITEMS18) == 15
    doc = {
        "key": "abs-operation-rules",
        "edition": "2025年度版",
        "urn": "urn:mamori:catalog:abs-operation-rules:fy2025",
        "name": {"ja": "ABS情報セキュリティ運用ルール", "en": "ABS information security operation rules"},
        "publisher": {"ja": "ABS", "en": "ABS"},
        "language": "ja",
        "source": "seed 000 (%s), lines 1-368 (structure only; the owner marks the document 社外秘, L242, L248)" % SEED,
        "classification": 2,
        "description": {
            "ja": "NECグループの委託元が求める、ABSの情報セキュリティ運用ルール（2025年度版）の構成（規則19件、規則18の15項目）。"
                  "原本は社外秘のため本文は同梱せず、見出しは当方の言葉で書いたもの。原本を保有する組織は自分の写しを取り込むこと。"
                  "規則番号は抽出テキストからの再構成で、3・5・18・19は番号が本文に隣接、4・6〜13・15〜17は箇条の並びから高い確度で推定、1・2・14は未確定。",
            "en": "The structure of ABS's information security operation rules (fiscal 2025 edition) required by an NEC group customer: 19 rules, "
                  "and the 15 items of rule 18. The document is marked 社外秘 (confidential), so no rule text is shipped and the titles are our own words; "
                  "an organisation that holds the document imports its own copy. The numbering is reconstructed from a scrambled extraction: "
                  "3, 5, 18 and 19 are printed next to their text, 4, 6-13 and 15-17 follow with high confidence from the order of the bullets, "
                  "and 1, 2 and 14 are undetermined.",
        },
        "answer_scale": "done_partial_none_na",
        "nodes": nodes,
    }
    header = "Generated by scripts/library/gen_abs.py. Structure only: no text of seed 000 is copied here.\nDo not edit by hand: change the generator and run it again."
    text = dump(doc, header)
    open(OUT, "w", encoding="utf-8").write(text)
    print("wrote %s: 19 rules (18 requirements + rule 18 as a group of 15 items), %d bytes" % (OUT, len(text.encode())))


if __name__ == "__main__":
    main()
