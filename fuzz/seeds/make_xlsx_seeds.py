#!/usr/bin/env python3
"""Writes the small xlsx seeds of the sheet_xlsx fuzz target (our own content, no third-party file).

Run from fuzz/seeds/: python3 make_xlsx_seeds.py. Each workbook is a minimal package written by
hand (content types, workbook, relationships, sheets, shared strings): a table with title rows,
merged cells and a hidden sheet; Mamori's export layout; CISO Assistant's framework layout.
"""
import zipfile
from xml.sax.saxutils import escape

HIDDEN = ' state="hidden"'

def col(n):
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s

def sheet_xml(rows, merges=(), shared=None):
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
    out.append('</worksheet>')
    return "".join(out)

def workbook(path, sheets, compression=zipfile.ZIP_DEFLATED):
    """sheets: list of (name, rows, merges, hidden)."""
    shared = []
    parts = {}
    for k, (name, rows, merges, hidden) in enumerate(sheets, 1):
        parts[f"xl/worksheets/sheet{k}.xml"] = sheet_xml(rows, merges, shared)
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
                    for k, (name, _, _, hidden) in enumerate(sheets, 1))
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
