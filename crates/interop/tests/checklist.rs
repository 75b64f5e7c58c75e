//! A customer's checklist workbook read and filled in: the supplier checklist sample from
//! `../shared/testdata/`, a workbook in seed 004's layout built here from
//! `../shared/analysis/seed-004-requirements.json`, an independent check with openpyxl, and
//! broken or hostile input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::PathBuf;
use std::process::Command;

use mamori_core::catalog::{AnswerTarget, CatalogDef, LocalText, NodeDef, NodeFlag, NodeKind};
use mamori_interop::catalog_error::{CatalogImportError, CatalogImportLimits, column_letters};
use mamori_interop::catalog_sheet::split_criteria;
use mamori_interop::checklist::{Checklist, ChecklistColumns, ChecklistOptions, FilledCell, fill_checklist, read_checklist};
use proptest::prelude::*;
use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook as XlsxWriter};
use serde_json::Value;

// ------------------------------------------------------------------------------------------
// Helpers.

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// A file of the shared data, or `None` (after saying so) when it is not there. In CI it must be.
fn shared(relative: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(relative);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            assert!(!in_ci(), "{} is missing in CI: {e}", path.display());
            println!("SKIP: {} is missing ({e})", path.display());
            None
        }
    }
}

fn sample() -> Option<Vec<u8>> {
    shared("testdata/checklists/supplier-checklist-sample.xlsx")
}

fn seed_004() -> Option<Vec<Value>> {
    let bytes = shared("analysis/seed-004-requirements.json")?;
    Some(serde_json::from_slice(&bytes).unwrap())
}

fn limits() -> CatalogImportLimits {
    CatalogImportLimits::default()
}

fn options() -> ChecklistOptions {
    ChecklistOptions::new("supplier-sample", "2026")
}

fn read(bytes: &[u8], options: &ChecklistOptions) -> Checklist {
    read_checklist(bytes, options, &limits()).unwrap_or_else(|e| panic!("{e}\n{}", e.text().ja))
}

fn fill(row: usize, answer: &str, comment: &str) -> FilledCell {
    FilledCell { row, answer: Some(answer.to_string()), comment: Some(comment.to_string()) }
}

fn node<'a>(def: &'a CatalogDef, r: &str) -> &'a NodeDef {
    def.nodes.iter().find(|n| n.ref_id == r).unwrap_or_else(|| panic!("no node {r}"))
}

fn ja(t: &Option<LocalText>) -> Option<&str> {
    t.as_ref().and_then(|t| t.ja.as_deref())
}

/// One zip entry as stored: name, CRC, method, unpacked size and the compressed bytes.
#[derive(Debug, PartialEq, Eq)]
struct RawEntry {
    name: String,
    crc: u32,
    method: String,
    size: u64,
    raw: Vec<u8>,
}

fn raw_entries(bytes: &[u8]) -> Vec<RawEntry> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index_raw(i).unwrap();
            let mut raw = Vec::new();
            file.read_to_end(&mut raw).unwrap();
            RawEntry {
                name: file.name().unwrap().into_owned(),
                crc: file.crc32(),
                method: format!("{:?}", file.compression()),
                size: file.size(),
                raw,
            }
        })
        .collect()
}

fn part_text(bytes: &[u8], part: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive.by_name(part).unwrap().read_to_string(&mut text).unwrap();
    text
}

/// The XML with the `<c>` elements of the given cells taken out.
fn without_cells(xml: &str, cells: &[String]) -> String {
    let mut out = xml.to_string();
    for r in cells {
        let open = format!("<c r=\"{r}\"");
        let Some(start) =
            out.match_indices(&open).map(|(i, _)| i).find(|&i| matches!(out.as_bytes().get(i + open.len()), Some(b' ' | b'/' | b'>')))
        else {
            continue;
        };
        let tag_end = start + out[start..].find('>').unwrap();
        let end = if out.as_bytes()[tag_end - 1] == b'/' { tag_end + 1 } else { start + out[start..].find("</c>").unwrap() + 4 };
        out.replace_range(start..end, "");
    }
    out
}

/// The filled package is the original except inside the filled cells of its sheet part.
fn assert_only_cells_changed(original: &[u8], filled: &[u8], part: &str, cells: &[String]) {
    let (a, b) = (raw_entries(original), raw_entries(filled));
    assert_eq!(a.iter().map(|e| &e.name).collect::<Vec<_>>(), b.iter().map(|e| &e.name).collect::<Vec<_>>(), "same entries, same order");
    for (x, y) in a.iter().zip(&b) {
        if x.name != part {
            assert_eq!(x, y, "{} is copied as stored", x.name);
        }
    }
    let (before, after) = (part_text(original, part), part_text(filled, part));
    assert_ne!(before, after);
    assert_eq!(without_cells(&before, cells), without_cells(&after, cells), "the sheet differs only inside the filled cells");
}

fn a1(column: usize, row: usize) -> String {
    format!("{}{row}", column_letters(column))
}

// ------------------------------------------------------------------------------------------
// The supplier checklist sample.

#[test]
fn the_supplier_sample_is_read_as_a_checklist() {
    let Some(bytes) = sample() else { return };
    let c = read(&bytes, &options());
    assert_eq!((c.sheet.as_str(), c.part.as_str(), c.header_row), ("自己チェック", "xl/worksheets/sheet2.xml", 6));
    assert_eq!(
        c.columns,
        ChecklistColumns {
            number: 1,
            group: Some(2),
            purpose: None,
            requirement: 3,
            condition: None,
            criteria: Some(4),
            target: Some(5),
            answer: 6,
            comment: Some(7),
        },
        "F 回答欄 and G 根拠・補足"
    );
    assert_eq!(c.answer_choices, ["○", "×", "該当なし"], "from the hidden リスト sheet");
    assert_eq!(c.items.len(), 38);
    assert_eq!((c.items[0].row, c.items[0].number.as_str()), (7, "1"));
    let last = c.items.last().unwrap();
    assert_eq!((last.row, last.number.as_str()), (44, "149"), "the 「○の数」 row is not an item");
    assert!(c.items.iter().all(|i| i.answer.is_empty() && i.comment.is_empty()));

    // The catalog: one requirement per item, groups from the merged 分類 cells.
    let def = &c.catalog;
    assert_eq!(ja(&Some(def.name.clone())), Some("情報セキュリティ対策 自己チェックシート（サンプル）"), "the title row");
    assert_eq!((def.key.as_str(), def.edition.as_str()), ("supplier-sample", "2026"));
    let requirements: Vec<&NodeDef> = def.nodes.iter().filter(|n| n.kind == NodeKind::Requirement).collect();
    assert_eq!(
        requirements.iter().map(|n| n.ref_id.as_str()).collect::<Vec<_>>(),
        c.items.iter().map(|i| i.number.as_str()).collect::<Vec<_>>()
    );
    let first = node(def, "1");
    assert_eq!(ja(&first.text), Some("自社の情報セキュリティ対応方針(ポリシー)を策定している"));
    assert_eq!(ja(&node(def, first.parent.as_deref().unwrap()).title), Some("方針"));
    assert_eq!(first.answer_target, Some(AnswerTarget::Mandatory));
    assert_eq!(node(def, "129").answer_target, Some(AnswerTarget::Optional));
    // B10:B11 is merged: rows 10 and 11 (Nos. 13 and 17) are in the one group 体制 (平時).
    let (n13, n17) = (&c.items[3], &c.items[4]);
    assert_eq!((n13.row, n17.row), (10, 11));
    assert_eq!(node(def, &n17.number).parent, node(def, &n13.number).parent);
    assert_eq!(ja(&node(def, node(def, &n17.number).parent.as_deref().unwrap()).title), Some("体制 (平時)"));
    assert_eq!(node(def, "149").criteria, split_criteria("【規則】 バックアップ対象ごとにリストア手順書を整備すること"));
}

/// The sample with three rows answered: the first, the second row of the merged B10:B11 group
/// and the last; the third answer has a comment with characters XML must escape.
fn filled_sample(bytes: &[u8]) -> (Checklist, Vec<u8>, Vec<FilledCell>) {
    let c = read(bytes, &options());
    let answers = vec![
        fill(7, "○", "情報セキュリティ基本方針 第1版（2025-04-01）"),
        fill(11, "×", "2027 年度に体制を整備予定"),
        fill(44, "該当なし", "<手順書> & \"リストア\" は委託先が実施\n2 行目"),
    ];
    let filled = fill_checklist(bytes, &c, &answers).unwrap_or_else(|e| panic!("{e}"));
    (c, filled, answers)
}

#[test]
fn filling_the_sample_changes_only_the_answer_and_comment_cells() {
    let Some(bytes) = sample() else { return };
    let (before, filled, answers) = filled_sample(&bytes);
    let after = read(&filled, &options());
    for item in &after.items {
        match answers.iter().find(|a| a.row == item.row) {
            Some(a) => {
                assert_eq!(Some(&item.answer), a.answer.as_ref(), "row {}", item.row);
                assert_eq!(Some(&item.comment), a.comment.as_ref(), "row {}", item.row);
            }
            None => assert_eq!(Some(item), before.items.iter().find(|i| i.row == item.row), "row {} unchanged", item.row),
        }
    }
    assert_eq!(after.catalog, before.catalog);
    assert_eq!(after.answer_choices, before.answer_choices);

    let cells: Vec<String> = answers.iter().flat_map(|a| [a1(6, a.row), a1(7, a.row)]).collect();
    assert_only_cells_changed(&bytes, &filled, &before.part, &cells);
    let xml = part_text(&filled, &before.part);
    assert!(xml.contains(r#"<c r="F46"><f>COUNTIF(F7:F44,"○")</f><v /></c>"#), "the COUNTIF cell is kept");
    assert!(xml.contains(r#"<c r="F7" s="3" t="inlineStr"><is><t xml:space="preserve">○</t></is></c>"#), "the style is kept");
    assert!(xml.contains("&lt;手順書&gt; &amp; &quot;リストア&quot;"));

    // The checklist read from the original does not fill another version of the workbook.
    let err = fill_checklist(&filled, &before, &[fill(8, "○", "")]).unwrap_err();
    assert!(err.text().en.contains("not the one the checklist was read from"), "{}", err.text().en);
    // Filling again from the filled file replaces the answers; None leaves a cell alone.
    let again = fill_checklist(&filled, &after, &[FilledCell { row: 7, answer: Some("×".into()), comment: None }]).unwrap();
    let c = read(&again, &options());
    assert_eq!((c.items[0].answer.as_str(), c.items[0].comment.as_str()), ("×", "情報セキュリティ基本方針 第1版（2025-04-01）"));
    // An empty answer clears the cell and keeps its style.
    let cleared = fill_checklist(&again, &c, &[FilledCell { row: 7, answer: Some(String::new()), comment: Some(String::new()) }]).unwrap();
    assert!(part_text(&cleared, &c.part).contains(r#"<c r="F7" s="3"/><c r="G7" s="3"/>"#));
    assert_eq!(read(&cleared, &options()).items[0], before.items[0]);
}

#[test]
fn answers_are_matched_to_the_choices_and_checked() {
    let Some(bytes) = sample() else { return };
    let c = read(&bytes, &options());
    // Written as the drop-down spells it, whatever the width or spaces.
    let filled = fill_checklist(&bytes, &c, &[FilledCell { row: 8, answer: Some(" 該当なし ".into()), comment: None }]).unwrap();
    assert_eq!(read(&filled, &options()).items[1].answer, "該当なし");

    let err = fill_checklist(&bytes, &c, &[fill(9, "△", "")]).unwrap_err();
    let text = err.text();
    for message in [&text.ja, &text.en] {
        for part in ["F9", "△", "○", "×", "該当なし"] {
            assert!(message.contains(part), "{part} in {message}");
        }
    }
    let err = fill_checklist(&bytes, &c, &[fill(6, "○", "")]).unwrap_err();
    assert!(err.text().en.contains("row 6"), "the header row is not an item: {}", err.text().en);
    let err = fill_checklist(&bytes, &c, &[fill(46, "○", "")]).unwrap_err();
    assert!(err.text().ja.contains("46"), "the formula row is not an item");
    let long = "あ".repeat(32_768);
    let err = fill_checklist(&bytes, &c, &[FilledCell { row: 7, answer: None, comment: Some(long) }]).unwrap_err();
    assert!(matches!(err, CatalogImportError::CellTooLongForExcel { .. }), "{err:?}");
    // Later entries for a row win.
    let filled = fill_checklist(&bytes, &c, &[fill(7, "○", "a"), fill(7, "×", "b")]).unwrap();
    assert_eq!(read(&filled, &options()).items[0].answer, "×");
}

/// Whether `python3` can import openpyxl; in CI it must.
fn openpyxl_available() -> bool {
    let available = Command::new("python3").args(["-c", "import openpyxl"]).output().is_ok_and(|o| o.status.success());
    if !available {
        assert!(!in_ci(), "CI must have python3 with openpyxl (pip install openpyxl)");
        println!("SKIP: python3 with openpyxl is not available");
    }
    available
}

/// Runs scripts/checklist-openpyxl.py on two workbooks and the expected answers: (exit code, stderr).
fn openpyxl_check(original: &[u8], filled: &[u8], expected: &BTreeMap<String, String>) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let paths = [dir.path().join("original.xlsx"), dir.path().join("filled.xlsx"), dir.path().join("expected.json")];
    std::fs::write(&paths[0], original).unwrap();
    std::fs::write(&paths[1], filled).unwrap();
    std::fs::write(&paths[2], serde_json::to_vec(expected).unwrap()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/checklist-openpyxl.py");
    let out = Command::new("python3").arg(&script).args(&paths).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    (out.status.code(), format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
}

/// The expected cells of filled rows: the answer and comment columns.
fn expected_cells(answers: &[FilledCell], answer: usize, comment: usize) -> BTreeMap<String, String> {
    let mut expected = BTreeMap::new();
    for a in answers {
        if let Some(v) = &a.answer {
            expected.insert(a1(answer, a.row), v.clone());
        }
        if let Some(v) = &a.comment {
            expected.insert(a1(comment, a.row), v.clone());
        }
    }
    expected
}

#[test]
fn the_filled_sample_passes_an_independent_check_with_openpyxl() {
    let Some(bytes) = sample() else { return };
    if !openpyxl_available() {
        return;
    }
    let (c, filled, answers) = filled_sample(&bytes);
    let expected = expected_cells(&answers, 6, 7);
    let (code, output) = openpyxl_check(&bytes, &filled, &expected);
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("ok: 6 answered cells on 自己チェック"), "{output}");

    // The check does see differences: a cell answered beyond the expected ones, and the
    // original, which lacks the answers.
    let mut more = answers.clone();
    more.push(fill(8, "○", ""));
    let (code, output) = openpyxl_check(&bytes, &fill_checklist(&bytes, &c, &more).unwrap(), &expected);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("F8"), "{output}");
    let (code, output) = openpyxl_check(&bytes, &bytes, &expected);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("F7"), "{output}");

    // A workbook written by rust_xlsxwriter (shared strings, an inline list, widths, a hidden sheet).
    let Some(rows) = seed_004() else { return };
    let original = seed_004_workbook(&rows[..12]);
    let c = read(&original, &options());
    let answers = [fill(5, "実施済", "方針書"), fill(7, "", ""), fill(16, "未実施", "計画中 & 予算待ち")];
    let filled = fill_checklist(&original, &c, &answers).unwrap();
    let (code, output) = openpyxl_check(&original, &filled, &expected_cells(&answers, 8, 9));
    assert_eq!(code, Some(0), "{output}");
}

// ------------------------------------------------------------------------------------------
// Seed 004's layout, built with rust_xlsxwriter.

const CHOICES: [&str; 4] = ["実施済", "一部実施", "未実施", "該当なし"];
/// The header is in row 4 (0-based 3) and the data start in row 5.
const FIRST: u32 = 4;

fn s<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}

/// Consecutive rows with the same key: (first index, last index).
fn runs(rows: &[Value], key: impl Fn(&Value) -> String) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        match out.last_mut() {
            Some(last) if key(&rows[last.0]) == key(row) => last.1 = i,
            _ => out.push((i, i)),
        }
    }
    out
}

/// An instruction sheet first; title rows; the header ラベル / 目的 / 要求事項 / No. / 回答対象 /
/// 達成条件 / 達成基準 / 回答 / 備考 with the first three merged down their rows; a drop-down on 回答
/// with an inline list; a COUNTIF below the table; a hidden sheet; column widths. The third row
/// is already answered.
fn seed_004_workbook(rows: &[Value]) -> Vec<u8> {
    let mut book = XlsxWriter::new();
    let wrap = Format::new().set_text_wrap();
    let guide = book.add_worksheet();
    guide.set_name("記入要領").unwrap();
    guide.write_string(0, 0, "「チェックシート」の回答欄をプルダウンから選び、備考に根拠を記入してください。").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("チェックシート").unwrap();
    sheet.merge_range(0, 0, 0, 8, "お取引先様向け 情報セキュリティ チェックシート", &wrap).unwrap();
    sheet.write_string(1, 0, "回答者:").unwrap();
    for (j, h) in ["ラベル", "目的", "要求事項", "No.", "回答対象", "達成条件", "達成基準", "回答", "備考"].iter().enumerate()
    {
        sheet.write_string(FIRST - 1, j as u16, *h).unwrap();
    }
    for (col, key) in [(0u16, "label"), (1, "purpose"), (2, "requirement")] {
        let spans = runs(rows, |r| format!("{}\u{1}{}", s(r, "label").unwrap_or_default(), s(r, key).unwrap_or_default()));
        for (a, b) in spans {
            let text = s(&rows[a], key).unwrap_or_default();
            if a == b {
                sheet.write_string(FIRST + a as u32, col, text).unwrap();
            } else {
                sheet.merge_range(FIRST + a as u32, col, FIRST + b as u32, col, text, &wrap).unwrap();
            }
        }
    }
    for (i, r) in rows.iter().enumerate() {
        let row = FIRST + i as u32;
        sheet.write_number(row, 3, r["no"].as_f64().unwrap()).unwrap();
        sheet.write_string(row, 4, s(r, "answer_target").unwrap()).unwrap();
        if let Some(condition) = s(r, "condition") {
            sheet.write_string(row, 5, condition).unwrap();
        }
        sheet.write_string(row, 6, s(r, "criteria").unwrap_or_default()).unwrap();
    }
    sheet.write_string(FIRST + 2, 7, "実施済").unwrap();
    sheet.write_string(FIRST + 2, 8, "規程 3.2 条").unwrap();
    let last = FIRST + rows.len() as u32 - 1;
    sheet.add_data_validation(FIRST, 7, last, 7, &DataValidation::new().allow_list_strings(&CHOICES).unwrap()).unwrap();
    sheet.write_string(last + 2, 6, "実施済の数").unwrap();
    sheet.write_formula(last + 2, 7, format!("=COUNTIF(H{}:H{},\"実施済\")", FIRST + 1, last + 1).as_str()).unwrap();
    for (col, width) in [(0u16, 16), (1, 30), (2, 30), (3, 6), (4, 9), (5, 40), (6, 50), (7, 10), (8, 30)] {
        sheet.set_column_width(col, width).unwrap();
    }
    let hidden = book.add_worksheet();
    hidden.set_name("集計").unwrap();
    hidden.write_string(0, 0, "内部用").unwrap();
    hidden.set_hidden(true);
    book.save_to_buffer().unwrap()
}

#[test]
fn a_workbook_in_seed_004s_layout_is_read_and_filled() {
    let Some(all) = seed_004() else { return };
    let rows = &all[..12];
    let bytes = seed_004_workbook(rows);
    let c = read(&bytes, &ChecklistOptions::new("kubota-check", "2.0"));
    assert_eq!((c.sheet.as_str(), c.header_row), ("チェックシート", 4), "the instruction sheet is passed over");
    assert_eq!(
        c.columns,
        ChecklistColumns {
            number: 4,
            group: Some(1),
            purpose: Some(2),
            requirement: 3,
            condition: Some(6),
            criteria: Some(7),
            target: Some(5),
            answer: 8,
            comment: Some(9),
        }
    );
    assert_eq!(c.answer_choices, CHOICES);
    assert_eq!(c.items.iter().map(|i| i.number.clone()).collect::<Vec<_>>(), (1..=12).map(|n| n.to_string()).collect::<Vec<_>>());
    assert_eq!((c.items[2].answer.as_str(), c.items[2].comment.as_str()), ("実施済", "規程 3.2 条"), "a partly filled workbook");

    // The catalog: ラベル (numbered) and 要求事項 as groups, 達成条件 as text, 目的 as an attribute.
    let def = &c.catalog;
    assert_eq!(ja(&Some(def.name.clone())), Some("お取引先様向け 情報セキュリティ チェックシート"));
    for r in rows {
        let n = node(def, &r["no"].to_string());
        assert_eq!(ja(&n.text), s(r, "condition"), "No.{}", r["no"]);
        assert_eq!(n.criteria, split_criteria(s(r, "criteria").unwrap_or_default()), "No.{}", r["no"]);
        assert_eq!(n.fields.get("purpose").map(String::as_str), s(r, "purpose"));
        let requirement = node(def, n.parent.as_deref().unwrap());
        assert_eq!(ja(&requirement.title), s(r, "requirement"));
        let label = node(def, requirement.parent.as_deref().unwrap());
        assert_eq!(label.number.as_deref(), Some(r["label_no"].to_string().as_str()));
        assert_eq!(ja(&label.title), s(r, "label_name"));
        let mandatory = s(r, "answer_target") == Some("必須");
        assert_eq!(n.answer_target, Some(if mandatory { AnswerTarget::Mandatory } else { AnswerTarget::Optional }));
        if s(r, "condition").is_none() {
            assert_eq!(n.flags, vec![NodeFlag::NoConditionInSource], "No.{}", r["no"]);
        }
    }
    assert!(!def.fields.iter().any(|f| f.key.contains("回答") || f.key.contains("備考")));

    // Fill the first, a middle and the last row; clear the answered one.
    let answers = vec![
        fill(5, "実施済", "方針書 v3"),
        fill(7, "", ""),
        fill(10, "一部実施", "一部の拠点のみ"),
        FilledCell { row: 16, answer: Some("該当なし".into()), comment: None },
    ];
    let filled = fill_checklist(&bytes, &c, &answers).unwrap_or_else(|e| panic!("{e}"));
    let after = read(&filled, &ChecklistOptions::new("kubota-check", "2.0"));
    let got: Vec<(usize, &str, &str)> = after.items.iter().map(|i| (i.row, i.answer.as_str(), i.comment.as_str())).collect();
    let mut want: Vec<(usize, &str, &str)> = (5..=16).map(|r| (r, "", "")).collect();
    want[0] = (5, "実施済", "方針書 v3");
    want[5] = (10, "一部実施", "一部の拠点のみ");
    want[11] = (16, "該当なし", "");
    assert_eq!(got, want);
    assert_eq!(after.catalog, c.catalog);
    let cells: Vec<String> = [5, 7, 10, 16].iter().flat_map(|&r| [a1(8, r), a1(9, r)]).collect();
    assert_only_cells_changed(&bytes, &filled, &c.part, &cells);
    let xml = part_text(&filled, &c.part);
    assert!(xml.contains("COUNTIF(H5:H16"), "the formula is kept");
    assert!(xml.contains("<dataValidations"), "the drop-down is kept");
    let err = fill_checklist(&bytes, &c, &[fill(5, "○", "")]).unwrap_err();
    assert!(err.text().ja.contains("一部実施"), "{}", err.text().ja);
}

/// A small checklist: header in row 1, items below, the answer header given as `header`.
fn small_checklist(header: &[&str], rows: &[&[&str]], setup: impl FnOnce(&mut XlsxWriter)) -> Vec<u8> {
    let mut book = XlsxWriter::new();
    let sheet = book.add_worksheet();
    sheet.set_name("S").unwrap();
    for (j, h) in header.iter().enumerate() {
        sheet.write_string(0, j as u16, *h).unwrap();
    }
    for (i, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(i as u32 + 1, j as u16, *v).unwrap();
            }
        }
    }
    setup(&mut book);
    book.save_to_buffer().unwrap()
}

#[test]
fn lists_from_ranges_and_defined_names_and_columns_named_by_the_caller() {
    let rows: &[&[&str]] = &[&["1", "方針を定めている", "", ""], &["2", "周知している", "", ""]];
    let header = ["番号", "確認項目", "判定結果", "メモ"];
    // A list on the same sheet ($K$1:$K$3) and columns given by letter and by header.
    let same_sheet = small_checklist(&header, rows, |book| {
        let sheet = book.worksheet_from_index(0).unwrap();
        for (i, v) in ["はい", "いいえ", "はい"].iter().enumerate() {
            sheet.write_string(i as u32, 10, *v).unwrap();
        }
        let dv = DataValidation::new().allow_list_formula(Formula::new("=$K$1:$K$3"));
        sheet.add_data_validation(1, 2, 2, 2, &dv).unwrap();
    });
    let guessed = read_checklist(&same_sheet, &options(), &limits()).unwrap_err();
    assert!(
        matches!(&guessed, CatalogImportError::BadMapping { field: "answer_column", .. }),
        "判定結果 is not a known header: {guessed:?}"
    );
    let given = ChecklistOptions { answer_column: Some("c".into()), comment_column: Some("メモ".into()), ..options() };
    let c = read(&same_sheet, &given);
    assert_eq!((c.columns.number, c.columns.requirement, c.columns.answer, c.columns.comment), (1, 2, 3, Some(4)));
    assert_eq!(c.answer_choices, ["はい", "いいえ"], "in order, without repeats");
    let filled = fill_checklist(&same_sheet, &c, &[fill(2, "はい", "議事録")]).unwrap();
    assert_eq!(read(&filled, &given).items[0].answer, "はい");

    // A defined name pointing at a hidden sheet.
    let named = small_checklist(&["No.", "要求事項", "回答", "備考"], rows, |book| {
        let list = book.add_worksheet();
        list.set_name("選択肢 一覧").unwrap();
        for (i, v) in CHOICES.iter().enumerate() {
            list.write_string(i as u32, 0, *v).unwrap();
        }
        list.set_hidden(true);
        book.define_name("回答リスト", "='選択肢 一覧'!$A$1:$A$4").unwrap();
        let dv = DataValidation::new().allow_list_formula(Formula::new("=回答リスト"));
        book.worksheet_from_index(0).unwrap().add_data_validation(1, 2, 2, 2, &dv).unwrap();
    });
    let c = read(&named, &options());
    assert_eq!(c.answer_choices, CHOICES);
    // Without a drop-down any answer is accepted.
    let plain = small_checklist(&["No.", "要求事項", "自己評価"], rows, |_| {});
    let c = read(&plain, &options());
    assert!(c.answer_choices.is_empty());
    assert_eq!(c.columns.comment, None);
    let filled = fill_checklist(&plain, &c, &[FilledCell { row: 3, answer: Some("3".into()), comment: None }]).unwrap();
    assert_eq!(read(&filled, &options()).items[1].answer, "3");
    let err = fill_checklist(&plain, &c, &[FilledCell { row: 3, answer: None, comment: Some("x".into()) }]).unwrap_err();
    assert!(matches!(err, CatalogImportError::MissingCell { .. }), "no comment column: {err:?}");
}

// ------------------------------------------------------------------------------------------
// Bad input.

#[test]
fn bad_input_is_an_error_with_both_texts() {
    let not_zip = read_checklist("No.,要求事項,回答\n1,a,\n".as_bytes(), &options(), &limits()).unwrap_err();
    assert!(matches!(not_zip, CatalogImportError::NotAWorkbook { .. }), "{not_zip:?}");

    let no_answer = small_checklist(&["No.", "要求事項", "達成基準"], &[&["1", "方針を定めている", "【規則】 文書化"]], |_| {});
    let err = read_checklist(&no_answer, &options(), &limits()).unwrap_err();
    let text = err.text();
    for part in ["answer_column", "A1 \"No.\"", "B1 \"要求事項\"", "C1 \"達成基準\""] {
        assert!(text.ja.contains(part) && text.en.contains(part), "{part}: {} / {}", text.ja, text.en);
    }
    let err = read_checklist(&no_answer, &ChecklistOptions { answer_column: Some("回答欄".into()), ..options() }, &limits()).unwrap_err();
    assert!(err.text().en.contains("回答欄"), "{}", err.text().en);
    let err = read_checklist(&no_answer, &ChecklistOptions { answer_column: Some("B".into()), ..options() }, &limits()).unwrap_err();
    assert!(err.text().en.contains("B1"), "the requirement column cannot take answers: {}", err.text().en);
    let err = read_checklist(&no_answer, &ChecklistOptions { sheet: Some("なし".into()), ..options() }, &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::SheetNotFound { .. }));

    let Some(bytes) = sample() else { return };
    let small = CatalogImportLimits { max_bytes: 10_000, ..limits() };
    assert!(matches!(read_checklist(&bytes, &options(), &small), Err(CatalogImportError::TooLarge { .. })));
    let mut c = read(&bytes, &options());
    c.limits = small;
    assert!(matches!(fill_checklist(&bytes, &c, &[fill(7, "○", "")]), Err(CatalogImportError::TooLarge { .. })));
    let c = read(&bytes, &options());
    let err = fill_checklist(b"PK\x03\x04 not really", &c, &[fill(7, "○", "")]).unwrap_err();
    assert!(matches!(err, CatalogImportError::NotAWorkbook { .. }), "{err:?}");
    let other = seed_004().map(|rows| seed_004_workbook(&rows[..3]));
    if let Some(other) = other {
        let err = fill_checklist(&other, &c, &[fill(7, "○", "")]).unwrap_err();
        assert!(!err.text().ja.is_empty(), "a checklist filled into another workbook is refused: {err:?}");
    }
}

#[test]
fn damaged_samples_never_panic() {
    let Some(bytes) = sample() else { return };
    let c = read(&bytes, &options());
    let answers = [fill(7, "○", "x"), fill(44, "×", "y")];
    let try_both = |input: &[u8]| {
        if let Ok(found) = read_checklist(input, &options(), &limits()) {
            let _ = fill_checklist(input, &found, &answers);
        }
        let _ = fill_checklist(input, &c, &answers);
    };
    for cut in (0..bytes.len()).step_by(61) {
        try_both(&bytes[..cut]);
    }
    for at in (0..bytes.len()).step_by(23) {
        for mask in [0x01u8, 0xFF] {
            let mut damaged = bytes.clone();
            damaged[at] ^= mask;
            try_both(&damaged);
        }
    }
}

// Found by fuzz/fuzz_targets/checklist_xlsx.rs (2026-12-02): a mutated seed whose filled copy
// did not read again. The input ended in a second end-of-directory record with no entries and a
// directory offset the zip crate rejects, so `check_package` (which takes the last record it
// finds) checked an empty package while calamine and the zip crate read the real one; and its
// shared strings part was damaged past the point where calamine stops reading. The filled copy,
// written with one clean directory, was then refused by the check the input had escaped.

/// The sample with a bogus end-of-central-directory record appended: no entries, a directory
/// offset and size that point nowhere.
fn with_second_directory(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out.extend(b"PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00");
    out.extend(0xFFFF_0000u32.to_le_bytes());
    out.extend(0xFFFF_0000u32.to_le_bytes());
    out.extend([0u8; 2]);
    out
}

#[test]
fn a_package_with_two_directories_is_refused() {
    let Some(bytes) = sample() else { return };
    let c = read(&bytes, &options());
    let twice = with_second_directory(&bytes);
    // Refused by the package check (the last end record must close its own directory) or, past
    // it, by the comparison with the unpacker's directory.
    let err = read_checklist(&twice, &options(), &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::NotAWorkbook { .. }), "{err}");
    let err = fill_checklist(&twice, &c, &[fill(7, "○", "")]).unwrap_err();
    assert!(matches!(err, CatalogImportError::NotAWorkbook { .. }), "{err}");
}

#[test]
fn a_damaged_part_that_calamine_does_not_read_is_refused() {
    let Some(bytes) = sample() else { return };
    let c = read(&bytes, &options());
    let mut damaged = bytes.clone();
    let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
    let theme = archive.by_name("xl/theme/theme1.xml").unwrap();
    let middle = theme.data_start().unwrap() as usize + theme.compressed_size() as usize / 2;
    damaged[middle] ^= 0x55;
    let workbook = mamori_interop::catalog_sheet::read_xlsx(&damaged, &Default::default());
    assert!(workbook.is_ok(), "calamine does not read the theme");
    assert!(matches!(read_checklist(&damaged, &options(), &limits()), Err(CatalogImportError::NotAWorkbook { .. })));
    assert!(matches!(fill_checklist(&damaged, &c, &[fill(7, "○", "")]), Err(CatalogImportError::NotAWorkbook { .. })));
}

/// A package with one sheet whose XML is given, stored (not compressed).
fn package(sheet_xml: &str) -> Vec<u8> {
    let files: [(&str, &str); 5] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
        ("xl/worksheets/sheet1.xml", sheet_xml),
    ];
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in files {
        writer.start_file(name, stored).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

const HEADER_ROW: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>No.</t></is></c><c r="B1" t="inlineStr"><is><t>要求事項</t></is></c><c r="C1" t="inlineStr"><is><t>回答</t></is></c></row>"#;

fn sheet_xml(body: &str, tail: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{HEADER_ROW}{body}</sheetData>{tail}</worksheet>"#
    )
}

#[test]
fn a_hand_made_sheet_gets_cells_inserted_where_excel_expects_them() {
    let body = r#"<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>a</t></is></c></row><row r="3" spans="1:4"><c r="A3"><v>2</v></c><c r="B3" t="inlineStr"><is><t>b</t></is></c><c r="D3"><v>9</v></c></row>"#;
    let tail = r#"<dataValidations count="1"><dataValidation type="list" sqref="C2:C3"><formula1>"○,×"</formula1></dataValidation></dataValidations>"#;
    let bytes = package(&sheet_xml(body, tail));
    let c = read(&bytes, &options());
    assert_eq!(c.answer_choices, ["○", "×"]);
    let filled = fill_checklist(
        &bytes,
        &c,
        &[FilledCell { row: 2, answer: Some("○".into()), comment: None }, FilledCell { row: 3, answer: Some("×".into()), comment: None }],
    )
    .unwrap();
    let xml = part_text(&filled, "xl/worksheets/sheet1.xml");
    assert!(xml.contains(r#"<is><t>a</t></is></c><c r="C2" t="inlineStr"><is><t xml:space="preserve">○</t></is></c></row>"#), "{xml}");
    assert!(
        xml.contains(r#"<is><t>b</t></is></c><c r="C3" t="inlineStr"><is><t xml:space="preserve">×</t></is></c><c r="D3"><v>9</v></c>"#),
        "{xml}"
    );
    let after = read(&filled, &options());
    assert_eq!(after.items.iter().map(|i| i.answer.as_str()).collect::<Vec<_>>(), ["○", "×"]);
    assert_eq!(
        raw_entries(&filled).iter().find(|e| e.name.ends_with("sheet1.xml")).map(|e| e.method.clone()),
        Some("Stored".into()),
        "a stored part stays stored"
    );
}

/// An area as A1 text, its corners in order (calamine 0.38 panics on a reversed merge range,
/// which `read_xlsx` catches; that path has its own tests in catalog_sheet.rs).
fn area_text((c1, r1, c2, r2): (usize, usize, usize, usize)) -> String {
    format!("{}{}:{}{}", column_letters(c1.min(c2) + 1), r1.min(r2) + 1, column_letters(c1.max(c2) + 1), r1.max(r2) + 1)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Rows and cells in any order, with or without references, merged regions and validations:
    /// reading and filling give a result or an error, never a panic; a fill reads back.
    #[test]
    fn arbitrary_sheets_never_panic(
        rows in proptest::collection::vec((0usize..8, proptest::collection::vec((0usize..6, any::<bool>(), "[a-z○×]{0,3}"), 0..5), any::<bool>()), 0..8),
        merge in proptest::option::of((0usize..6, 0usize..9, 0usize..6, 0usize..9)),
        list in proptest::option::of(((0usize..6, 0usize..9, 0usize..6, 0usize..9), "[○×a-z,]{0,8}")),
    ) {
        let mut body = String::new();
        for (r, cells, with_ref) in &rows {
            let row_ref = if *with_ref { format!(r#" r="{}""#, r + 2) } else { String::new() };
            body.push_str(&format!("<row{row_ref}>"));
            for (c, cell_ref, text) in cells {
                let at = if *cell_ref { format!(r#" r="{}{}""#, column_letters(c + 1), r + 2) } else { String::new() };
                body.push_str(&format!(r#"<c{at} t="inlineStr"><is><t>{text}</t></is></c>"#));
            }
            body.push_str("</row>");
        }
        let mut tail = String::new();
        if let Some(m) = merge {
            tail.push_str(&format!(r#"<mergeCells><mergeCell ref="{}"/></mergeCells>"#, area_text(m)));
        }
        if let Some((area, values)) = &list {
            tail.push_str(&format!(r#"<dataValidations><dataValidation type="list" sqref="{}"><formula1>"{values}"</formula1></dataValidation></dataValidations>"#, area_text(*area)));
        }
        let bytes = package(&sheet_xml(&body, &tail));
        if let Ok(c) = read_checklist(&bytes, &options(), &limits()) {
            let answer = c.answer_choices.first().cloned().unwrap_or_else(|| "○".into());
            let Some(item) = c.items.first() else { return Ok(()) };
            if let Ok(filled) = fill_checklist(&bytes, &c, &[FilledCell { row: item.row, answer: Some(answer.clone()), comment: None }]) {
                let again = read_checklist(&filled, &options(), &limits()).unwrap_or_else(|e| panic!("{e}"));
                let found = again.items.iter().find(|i| i.row == item.row).map(|i| i.answer.clone());
                prop_assert_eq!(found, Some(answer));
            }
        }
    }
}

#[test]
fn the_fuzz_seeds_are_checklists() {
    // fuzz/seeds/checklist_xlsx, written by fuzz/seeds/make_xlsx_seeds.py: both must reach the fill.
    let seeds = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/checklist_xlsx");
    let read_seed = |name: &str| std::fs::read(seeds.join(name)).unwrap();
    let deflated = read_seed("checklist.xlsx");
    let c = read(&deflated, &options());
    assert_eq!((c.sheet.as_str(), c.header_row, c.columns.answer, c.columns.comment), ("自己チェック", 3, 7, Some(6)));
    assert_eq!(c.answer_choices, ["○", "×", "該当なし"]);
    assert_eq!(c.items.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(), ["1", "2", "5"]);
    assert!(fill_checklist(&deflated, &c, &[fill(4, "○", "x")]).is_ok());
    let stored = read_seed("checklist_stored.xlsx");
    let c = read(&stored, &options());
    assert_eq!(c.answer_choices, ["実施済", "一部実施", "未実施"], "the x14 form");
    assert_eq!((c.columns.condition, c.columns.requirement, c.items[0].answer.as_str()), (None, 3, "実施済"));
    assert!(fill_checklist(&stored, &c, &[fill(3, "未実施", "x")]).is_ok());
}
