#!/usr/bin/env python3
"""Independent check of a filled checklist workbook with openpyxl (PyPI), beside Mamori's own tests.

    python3 scripts/checklist-openpyxl.py ORIGINAL.xlsx FILLED.xlsx EXPECTED.json

EXPECTED.json maps the answered cells to their new text: {"F7": "○", "G7": "根拠", ...}; a key may
name its sheet ("自己チェック!F7"), otherwise it is on the answered sheet, which is the one sheet
whose part differs between the two packages. An empty text means the cell is empty.

The filled workbook must have:
  * at zip level, the same entries in the same order, and every entry other than the answered
    sheet's part byte-identical (compressed bytes, CRC, method, sizes);
  * the same sheets (names, order, visibility), defined names, and on every sheet the same cells
    (values, formulas as their text, styles, comments) except the expected ones, which hold the
    expected text and keep their style; the same merged ranges, column widths, row heights, data
    validations, conditional formats, freeze panes and auto filter.
Exit status 1 with every difference listed on stderr; 0 with a one-line summary otherwise.
"""

import json
import posixpath
import sys
import xml.etree.ElementTree as ET
import zipfile

from openpyxl import load_workbook

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def raw_entries(path):
    """(name, CRC, method, compressed size, size, compressed bytes) of every entry, in order."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            at = info.header_offset
            if data[at:at + 4] != b"PK\x03\x04":
                raise SystemExit(f"checklist-openpyxl: {path}: no local header for {info.filename}")
            name_len = int.from_bytes(data[at + 26:at + 28], "little")
            extra_len = int.from_bytes(data[at + 28:at + 30], "little")
            start = at + 30 + name_len + extra_len
            raw = data[start:start + info.compress_size]
            out.append((info.filename, info.CRC, info.compress_type, info.compress_size, info.file_size, raw))
    return out


def sheet_parts(path):
    """The worksheet part of each sheet name: {part: sheet}."""
    with zipfile.ZipFile(path) as z:
        root_rels = ET.fromstring(z.read("_rels/.rels"))
        workbook = next(
            r.get("Target") for r in root_rels.iter(PACKAGE_RELS + "Relationship") if r.get("Type", "").endswith("/officeDocument")
        ).lstrip("/")
        folder, file = posixpath.split(workbook)
        rels = ET.fromstring(z.read(posixpath.join(folder, "_rels", file + ".rels")))
        targets = {}
        for r in rels.iter(PACKAGE_RELS + "Relationship"):
            target = r.get("Target", "")
            targets[r.get("Id")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        book = ET.fromstring(z.read(workbook))
        return {targets.get(s.get(DOC_RELS + "id")): s.get("name") for s in book.iter(MAIN + "sheet")}


def cell_state(cell):
    comment = cell.comment.text if cell.comment is not None else None
    return (cell.value, cell.data_type, cell.style_id, comment)


def dimension_state(sheet):
    columns = {k: (d.width, d.customWidth, d.hidden, d.min, d.max, d.outlineLevel) for k, d in sheet.column_dimensions.items()}
    rows = {k: (d.ht, d.customHeight, d.hidden) for k, d in sheet.row_dimensions.items()}
    return columns, rows


def validation_state(sheet):
    return sorted(
        (dv.type, dv.formula1, dv.formula2, str(dv.sqref), dv.allow_blank, dv.showDropDown, dv.showErrorMessage, dv.operator)
        for dv in sheet.data_validations.dataValidation
    )


def conditional_state(sheet):
    out = []
    for rng in sheet.conditional_formatting:
        out.append((str(rng.sqref), [(r.type, r.operator, tuple(r.formula or ()), r.dxfId, r.priority) for r in rng.rules]))
    return sorted(out, key=repr)


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    original, filled, expected_path = argv[1:]
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    problems = []

    # Zip level: every part but the answered sheet's is copied as stored.
    a, b = raw_entries(original), raw_entries(filled)
    if [e[0] for e in a] != [e[0] for e in b]:
        problems.append(f"the entries differ: {[e[0] for e in a]} / {[e[0] for e in b]}")
    changed = [x[0] for x, y in zip(a, b) if x != y]
    parts = sheet_parts(original)
    answered = None
    if len(changed) == 1 and changed[0] in parts:
        answered = parts[changed[0]]
    elif changed:
        problems.append(f"parts other than one worksheet differ: {changed}")
    elif expected:
        problems.append("no worksheet part differs, yet answers are expected")

    cells = {}
    for key, text in expected.items():
        sheet, _, ref = key.rpartition("!")
        cells[(sheet or answered, ref.replace("$", ""))] = text

    wa, wb = load_workbook(original), load_workbook(filled)
    if wa.sheetnames != wb.sheetnames:
        problems.append(f"the sheets differ: {wa.sheetnames} / {wb.sheetnames}")
    if sorted(wa.defined_names.keys()) != sorted(wb.defined_names.keys()):
        problems.append("the defined names differ")
    for name in wa.sheetnames:
        if name not in wb.sheetnames:
            continue
        sa, sb = wa[name], wb[name]
        if sa.sheet_state != sb.sheet_state:
            problems.append(f"{name}: visibility {sa.sheet_state} / {sb.sheet_state}")
        rows, columns = max(sa.max_row, sb.max_row), max(sa.max_column, sb.max_column)
        for row in range(1, rows + 1):
            for column in range(1, columns + 1):
                ca, cb = sa.cell(row, column), sb.cell(row, column)
                ref = ca.coordinate
                if (name, ref) in cells:
                    want = cells[(name, ref)] or None
                    if cb.value != want:
                        problems.append(f"{name}!{ref}: expected {want!r}, found {cb.value!r}")
                    if ca.style_id != cb.style_id:
                        problems.append(f"{name}!{ref}: the style changed ({ca.style_id} / {cb.style_id})")
                elif cell_state(ca) != cell_state(cb):
                    problems.append(f"{name}!{ref}: {cell_state(ca)!r} became {cell_state(cb)!r}")
        if sorted(map(str, sa.merged_cells.ranges)) != sorted(map(str, sb.merged_cells.ranges)):
            problems.append(f"{name}: the merged ranges differ")
        if dimension_state(sa) != dimension_state(sb):
            problems.append(f"{name}: column widths or row heights differ")
        if validation_state(sa) != validation_state(sb):
            problems.append(f"{name}: the data validations differ: {validation_state(sa)} / {validation_state(sb)}")
        if conditional_state(sa) != conditional_state(sb):
            problems.append(f"{name}: the conditional formats differ")
        if (sa.freeze_panes, sa.auto_filter.ref) != (sb.freeze_panes, sb.auto_filter.ref):
            problems.append(f"{name}: freeze panes or auto filter differ")
    for sheet, ref in cells:
        if sheet is None:
            problems.append(f"{ref}: an answer is expected, but no worksheet part differs")
        elif sheet not in wb.sheetnames:
            problems.append(f"{sheet}!{ref}: no such sheet")

    if problems:
        for p in problems:
            print(f"checklist-openpyxl: {p}", file=sys.stderr)
        return 1
    print(f"checklist-openpyxl: ok: {len(cells)} answered cells on {answered}; {len(a) - len(changed)} parts byte-identical")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
