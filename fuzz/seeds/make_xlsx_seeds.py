#!/usr/bin/env python3
"""Writes the small xlsx seeds of the sheet_xlsx fuzz target (our own content, no third-party file).

Run from fuzz/seeds/: python3 make_xlsx_seeds.py. Each workbook is a minimal package written by
hand (content types, workbook, relationships, sheets, shared strings): a table with title rows,
merged cells and a hidden sheet; Mamori's export layout; CISO Assistant's framework layout; and for
checklist_xlsx, customer checklists with drop-down lists (run with "checklist" to write only those).
"""
import sys
import zipfile
from xml.sax.saxutils import escape

HIDDEN = ' state="hidden"'

def col(n):
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s

def sheet_xml(rows, merges=(), shared=None, tail=""):
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for i, row in enumerate(rows, 1):
        if not row:
            continue
        out.append(f'<row r="{i}">')
        for j, v in enumerate(row, 1):
            if v == "" or v is None:
                continue
            ref = f"{col(j)}{i}"
            if isinstance(v, (int, float)):
                out.append(f'<c r="{ref}"><v>{v}</v></c>')
            elif isinstance(v, tuple):  # ("=", formula)
                out.append(f'<c r="{ref}"><f>{escape(v[1])}</f></c>')
            elif shared is not None:
                if v not in shared:
                    shared.append(v)
                out.append(f'<c r="{ref}" t="s"><v>{shared.index(v)}</v></c>')
            else:
                out.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(v)}</t></is></c>')
        out.append('</row>')
    out.append('</sheetData>')
    if merges:
        out.append(f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges) + '</mergeCells>')
    out.append(tail)
    out.append('</worksheet>')
    return "".join(out)

def workbook(path, sheets, compression=zipfile.ZIP_DEFLATED):
    """sheets: list of (name, rows, merges, hidden) or (name, rows, merges, hidden, XML after the merges)."""
    shared = []
    parts = {}
    for k, (name, rows, merges, hidden, *tail) in enumerate(sheets, 1):
        parts[f"xl/worksheets/sheet{k}.xml"] = sheet_xml(rows, merges, shared, "".join(tail))
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
          + "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                    for k in range(1, len(sheets) + 1))
          + '</Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>')
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
          + "".join(f'<sheet name="{escape(name)}" sheetId="{k}"{HIDDEN if hidden else ""} r:id="rId{k}"/>'
                    for k, (name, _, _, hidden, *_) in enumerate(sheets, 1))
          + '</sheets></workbook>')
    wbrels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              + "".join(f'<Relationship Id="rId{k}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{k}.xml"/>'
                        for k in range(1, len(sheets) + 1))
              + f'<Relationship Id="rId{len(sheets) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
              '</Relationships>')
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(shared)}" uniqueCount="{len(shared)}">'
           + "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in shared) + '</sst>')
    files = [("[Content_Types].xml", ct), ("_rels/.rels", rels), ("xl/workbook.xml", wb),
             ("xl/_rels/workbook.xml.rels", wbrels), *parts.items(), ("xl/sharedStrings.xml", sst)]
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in files:
            # A fixed date, so that the seeds are the same bytes each time they are written.
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, compress_type=compression)

def checklist_seeds():
    """checklist_xlsx: a checklist answered from a hidden list sheet (deflated), and one with an inline
    list in Excel's x14 form and a partly filled answer column (stored, so mutations reach the XML)."""
    dv = ('<dataValidations count="1"><dataValidation type="list" allowBlank="1" sqref="G4:G6">'
          '<formula1>リスト!$A$1:$A$3</formula1></dataValidation></dataValidations>')
    workbook("../seeds/checklist_xlsx/checklist.xlsx", [
        ("記入方法", [["回答欄を選択してください"]], [], False),
        ("自己チェック", [
            ["自己チェックシート"],
            [],
            ["No.", "分類", "要求事項", "達成基準", "必須/任意", "備考", "回答欄"],
            [1, "方針", "方針を定めている", "【規則】文書化", "必須", "", ""],
            [2, "", "周知している", "", "任意", "", ""],
            [5, "体制", "責任者を置いている", "【規則】任命\n【頻度】年1回", "必須", "", ""],
            [],
            ["", "", "", "", "", "○の数", ("=", 'COUNTIF(G4:G6,"○")')],
        ], ["B4:B5"], False, dv),
        ("リスト", [["○"], ["×"], ["該当なし"]], [], True),
    ])
    x14 = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
           'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
           '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
           '<x14:dataValidation type="list"><x14:formula1><xm:f>"実施済,一部実施,未実施"</xm:f></x14:formula1>'
           '<xm:sqref>D2:D4</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>')
    rows = [["ラベル", "No.", "達成条件", "回答", "備考"], ["1 方針", "1", "方針がある", "実施済", "規程"],
            ["", "2", "周知している"], ["2 技術", "3", "権限を見直す"]]
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = [
        ("_rels/.rels", f'<Relationships><Relationship Id="r" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        ("xl/workbook.xml", f'<workbook xmlns:r="{rel}"><sheets><sheet name="S" r:id="s"/></sheets></workbook>'),
        ("xl/_rels/workbook.xml.rels", f'<Relationships><Relationship Id="s" Type="{rel}/worksheet" Target="s.xml"/></Relationships>'),
        ("xl/s.xml", sheet_xml(rows, ["A2:A3"], None, x14)),
    ]
    with zipfile.ZipFile("../seeds/checklist_xlsx/checklist_stored.xlsx", "w", zipfile.ZIP_STORED) as z:
        for name, data in parts:
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)

if sys.argv[1:] == ["checklist"]:
    checklist_seeds()
    sys.exit(0)

# A customer's checklist: an instruction sheet, title rows, the header at row 3, merged group cells,
# a hidden list sheet.
workbook("../seeds/sheet_xlsx/table.xlsx", [
    ("説明", [["このシートに回答してください"]], [], False),
    ("チェックリスト", [
        ["情報セキュリティ チェックシート"],
        [],
        ["No.", "ラベル", "要求事項", "達成条件", "回答対象", "達成基準", "回答"],
        [1, "組織", "方針", "方針を定めている", "必須", "【基準】文書がある\n【例】承認記録", ""],
        [2, "", "", "周知している", "任意", "", ""],
        [3, "技術", "アクセス", "権限を見直している", "必須", "【基準】記録", ""],
    ], ["B4:B5", "C4:C5"], False),
    ("リスト", [["はい"], ["いいえ"]], [], True),
])
# Stored (not compressed): the sheet XML is visible to the fuzzer's byte mutations.
workbook("../seeds/sheet_xlsx/table_stored.xlsx", [
    ("Sheet1", [["No.", "要求事項", "達成条件", "回答対象"], ["1", "方針", "方針を定めている", "必須"], ["2", "方針", "周知している", "任意"]], [], False),
], zipfile.ZIP_STORED)
# Mamori's own workbook (the layout of catalog_sheet::export_xlsx).
header = ["ID\nref", "親 ID\nparent", "種別\nkind", "番号\nnumber", "名称（日本語）\ntitle (ja)", "名称（英語）\ntitle (en)",
          "本文（日本語）\ntext (ja)", "本文（英語）\ntext (en)", "回答対象\nanswer_target", "重要度\nfield:importance",
          "達成基準（【】ごと）\ncriteria", "フラグ\nflags", "頻度\nfrequencies", "引用\ncites", "注記（日本語）\nnotes (ja)", "注記（英語）\nnotes (en)"]
workbook("../seeds/sheet_xlsx/export.xlsx", [
    ("catalog", [
        header,
        ["1", "", "グループ", "1", "方針", "Policy"],
        ["1.1", "1", "要求事項", "1.1", "方針の策定", "", "方針を定める", "Define a policy", "必須", "高", "【基準】文書", "", "", "ISO 5.1", "注記"],
        ["1.2", "1", "要求事項", "1.2", "", "", "見直す", "", "任意", "", "", "", "", "[\"a\",\"b\"]"],
    ], [], False),
    ("catalog_info", [
        ["項目\nkey", "値・日本語\nvalue (ja)", "英語\nvalue (en)", "説明\nnote"],
        ["key", "fuzz-sample"], ["edition", "1"], ["urn", "urn:mamori:catalog:fuzz-sample:1"],
        ["name", "ファズ用", "Fuzz sample"], ["language", "ja"], ["classification", "1"],
        ["field:importance", "重要度", "Importance"],
    ], [], False),
])
# CISO Assistant's framework workbook layout.
workbook("../seeds/sheet_xlsx/ciso.xlsx", [
    ("library_meta", [["type", "library"], ["urn", "urn:fuzz:risk:library:sample"], ["version", "1"], ["locale", "en"],
                      ["ref_id", "sample"], ["name", "Sample"], ["name[fr]", "Exemple"], ["provider", "Mamori"]], [], False),
    ("fw_meta", [["type", "framework"], ["base_urn", "urn:fuzz:risk:req_node:sample"], ["urn", "urn:fuzz:risk:framework:sample"],
                 ["ref_id", "sample"], ["name", "Sample framework"]], [], False),
    ("fw_content", [
        ["assessable", "depth", "ref_id", "name", "description", "annotation", "typical_evidence", "name[fr]"],
        ["", 1, "A", "Organisation", "", "", "", "Organisation"],
        ["x", 2, "A.1", "Policy", "Have a policy", "note", "the document", ""],
        ["x", 2, "", "", "No ref", "", "", ""],
        ["", 1, "B", "Technology"],
        ["x", 2, "B.1", "", "Review access"],
    ], [], False),
])

# Smallest packages calamine opens (stored, so the XML is visible to mutations): one with Excel's
# first and last cells (a bound on rows and columns must refuse it before anything is allocated),
# one with the cell reference that overflows calamine's parser (see tests/fuzz_regressions.rs).
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
def minimal(path, sheet_data):
    parts = [
        ("_rels/.rels", f'<Relationships><Relationship Id="r" Type="{R}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        ("xl/workbook.xml", f'<workbook xmlns:r="{R}"><sheets><sheet name="S" r:id="s"/></sheets></workbook>'),
        ("xl/_rels/workbook.xml.rels", f'<Relationships><Relationship Id="s" Type="{R}/worksheet" Target="s.xml"/></Relationships>'),
        ("xl/s.xml", f"<sheetData>{sheet_data}</sheetData>"),
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in parts:
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)

minimal("../seeds/sheet_xlsx/corners.xlsx",
        '<c r="A1" t="inlineStr"><is><t>x</t></is></c><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c>')
minimal("../seeds/sheet_xlsx/column_overflow.xlsx", '<c r="ZZZZZZZ1" t="inlineStr"><is><t>x</t></is></c>')
checklist_seeds()
