//! Catalogs from and to spreadsheets: seed 004's table as customers send it (built here from
//! `../shared/analysis/seed-004-requirements.json`), the supplier checklist and CISO Assistant's
//! framework workbook from `../shared/testdata/`, Mamori's own workbook round trips, CSV in
//! UTF-8 and Shift_JIS, and broken or hostile input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use std::path::PathBuf;
use std::sync::OnceLock;

use mamori_core::Lang;
use mamori_core::catalog::{AnswerTarget, Catalog, CatalogDef, CatalogLimits, Criterion, LocalText, NodeDef, NodeFlag, NodeKind};
use mamori_core::library::Library;
use mamori_interop::catalog_error::{CatalogImportError, CatalogImportLimits, CellRef, PARENT_REQUIREMENT, SheetBound};
use mamori_interop::catalog_sheet::{
    self, AnswerTargetColumn, CatalogHeader, ColumnMapping, ColumnRole, GroupColumn, SheetLayout, SheetLimits, Workbook, detect_layout,
    export_xlsx, find_mapping, guess_mapping, import_ciso_xlsx, import_export_xlsx, import_table, layout_fingerprint, mapping_from_roles,
    propose_mapping, read_csv, read_workbook, read_xlsx,
};
use mamori_interop::oscal;
use proptest::prelude::*;
use rust_xlsxwriter::{Format, Workbook as XlsxWriter};
use serde_json::Value;

/// A file of the shared data, or `None` (after saying so) when the test data is not there. In CI
/// it must be.
fn shared(relative: &str) -> Option<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if !root.join("testdata").is_dir() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "../shared/testdata is missing in CI");
        println!("SKIP: ../shared/testdata is missing");
        return None;
    }
    Some(std::fs::read(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}")))
}

fn limits() -> CatalogImportLimits {
    CatalogImportLimits::default()
}

fn seed_004() -> Option<Vec<Value>> {
    let bytes = shared("analysis/seed-004-requirements.json")?;
    let rows: Vec<Value> = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(rows.len(), 153);
    Some(rows)
}

fn s<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}

fn no(row: &Value) -> u64 {
    row["no"].as_u64().unwrap()
}

/// Runs of consecutive rows with the same key: (first index, last index).
fn runs(rows: &[Value], key: impl Fn(usize, &Value) -> String) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        match out.last_mut() {
            Some(last) if key(last.0, &rows[last.0]) == key(i, row) => last.1 = i,
            _ => out.push((i, i)),
        }
    }
    out
}

/// Seed 004's table as customers send it: two title rows, a blank row, the header in row 4, the
/// data from row 5; ラベル, 目的 and 要求事項 merged over their rows, and the 達成条件 cells
/// that the source leaves blank merged with the row above.
fn kubota_workbook(rows: &[Value]) -> Vec<u8> {
    const FIRST: u32 = 4; // 0-based row of the first data row (Excel row 5)
    let mut book = XlsxWriter::new();
    let merged = Format::new().set_text_wrap();
    let sheet = book.add_worksheet();
    sheet.set_name("対策基準").unwrap();
    sheet.merge_range(0, 0, 0, 6, "クボタグループ お取引先様向け 情報セキュリティ対策基準", &merged).unwrap();
    sheet.write_string(1, 0, "2.0 版（2022年10月）").unwrap();
    for (j, h) in ["ラベル", "目的", "要求事項", "No.", "回答対象", "達成条件", "達成基準"].iter().enumerate() {
        sheet.write_string(3, j as u16, *h).unwrap();
    }
    let mut write_runs = |col: u16, spans: Vec<(usize, usize)>, value: &dyn Fn(&Value) -> Option<String>| {
        for (a, b) in spans {
            let text = value(&rows[a]).unwrap_or_default();
            if a == b {
                if !text.is_empty() {
                    sheet.write_string(FIRST + a as u32, col, &text).unwrap();
                }
            } else {
                sheet.merge_range(FIRST + a as u32, col, FIRST + b as u32, col, &text, &merged).unwrap();
            }
        }
    };
    let label = |_: usize, r: &Value| s(r, "label").unwrap_or_default().to_string();
    write_runs(0, runs(rows, label), &|r| s(r, "label").map(str::to_string));
    let purpose = |_: usize, r: &Value| format!("{}\u{1}{}", label(0, r), s(r, "purpose").unwrap_or_default());
    write_runs(1, runs(rows, purpose), &|r| s(r, "purpose").map(str::to_string));
    let requirement = |_: usize, r: &Value| format!("{}\u{1}{}", label(0, r), s(r, "requirement").unwrap_or_default());
    write_runs(2, runs(rows, requirement), &|r| s(r, "requirement").map(str::to_string));
    // A row whose condition the source leaves blank continues the merged cell above.
    let condition_run = |i: usize, r: &Value| {
        let mut k = i;
        while k > 0 && rows[k]["condition_inherited_from_no"].as_u64() == Some(no(&rows[k - 1])) {
            k -= 1;
        }
        let _ = r;
        k.to_string()
    };
    write_runs(5, runs(rows, condition_run), &|r| s(r, "condition").map(str::to_string));
    for (i, r) in rows.iter().enumerate() {
        let row = FIRST + i as u32;
        sheet.write_number(row, 3, no(r) as f64).unwrap();
        sheet.write_string(row, 4, s(r, "answer_target").unwrap()).unwrap();
        sheet.write_string(row, 6, s(r, "criteria").unwrap_or_default()).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// The criteria as the JSON splits them: the preamble, then each 【】 section.
fn expected_criteria(row: &Value) -> Vec<Criterion> {
    let sections = row["criteria_sections"].as_array().unwrap();
    if sections.is_empty() {
        return vec![Criterion { header: String::new(), text: s(row, "criteria").unwrap().to_string() }];
    }
    let mut out = Vec::new();
    if let Some(p) = s(row, "criteria_preamble").filter(|p| !p.is_empty()) {
        out.push(Criterion { header: String::new(), text: p.to_string() });
    }
    out.extend(sections.iter().map(|c| Criterion { header: s(c, "header").unwrap().into(), text: s(c, "text").unwrap().into() }));
    out
}

fn header(key: &str) -> CatalogHeader {
    CatalogHeader::new(key, "2.0", LocalText::ja("クボタグループ お取引先様向け 情報セキュリティ対策基準"))
}

fn node<'a>(def: &'a CatalogDef, r: &str) -> &'a NodeDef {
    def.nodes.iter().find(|n| n.ref_id == r).unwrap_or_else(|| panic!("no node {r}"))
}

fn ja(t: &Option<LocalText>) -> Option<&str> {
    t.as_ref().and_then(|t| t.ja.as_deref())
}

fn stats(def: &CatalogDef) -> mamori_core::catalog::CatalogStats {
    Catalog::check(def.clone(), &CatalogLimits::default()).unwrap().stats()
}

// ------------------------------------------------------------------------------------------
// (a) Seed 004's layout.

#[test]
fn seed_004_layout_imports_with_the_guessed_mapping() {
    let Some(rows) = seed_004() else { return };
    let workbook = read_xlsx(&kubota_workbook(&rows), &SheetLimits::default()).unwrap();
    let grid = workbook.sheet("対策基準").unwrap();
    // Merged cells read on every row they cover.
    assert_eq!(grid.cell(6, 1), "1 方針");
    assert_eq!(grid.cell(1, 7), "クボタグループ お取引先様向け 情報セキュリティ対策基準");

    let mapping = guess_mapping(&workbook).expect("a mapping");
    assert_eq!(mapping.sheet, "対策基準");
    assert_eq!(mapping.header_row, 4);
    assert_eq!(mapping.ref_column, Some(4));
    assert_eq!(mapping.groups.iter().map(|g| (g.column, g.numbered)).collect::<Vec<_>>(), vec![(1, true), (3, false)]);
    assert_eq!(mapping.text, Some(6));
    assert_eq!(mapping.criteria, Some(7));
    assert_eq!(mapping.answer_target.as_ref().map(|a| a.column), Some(5));
    assert_eq!(mapping.attributes.iter().map(|a| (a.column, a.key.as_str())).collect::<Vec<_>>(), vec![(2, "purpose")]);
    assert_eq!(mapping.title, None);

    let def = import_table(&workbook, &mapping, header("kubota-sheet"), &limits()).unwrap_or_else(|e| panic!("{e}"));
    let labels: Vec<&NodeDef> = def.nodes.iter().filter(|n| n.kind == NodeKind::Group && n.parent.is_none()).collect();
    let requirement_groups = def.nodes.iter().filter(|n| n.kind == NodeKind::Group && n.parent.is_some()).count();
    assert_eq!(labels.len(), 24);
    assert_eq!(requirement_groups, 37);
    let st = stats(&def);
    assert_eq!((st.groups, st.requirements, st.mandatory, st.optional), (61, 153, 129, 24));
    assert_eq!(labels[3].ref_id, "L4");
    assert_eq!(labels[3].number.as_deref(), Some("4"));
    assert_eq!(ja(&labels[3].title), Some("体制 (平時)"));

    // Every 達成条件 and 達成基準 as in the JSON.
    for row in &rows {
        let n = node(&def, &no(row).to_string());
        assert_eq!(ja(&n.text), s(row, "condition"), "No.{} text", no(row));
        assert_eq!(n.criteria, expected_criteria(row), "No.{} criteria", no(row));
        assert_eq!(
            n.answer_target,
            Some(if s(row, "answer_target") == Some("必須") { AnswerTarget::Mandatory } else { AnswerTarget::Optional })
        );
        assert_eq!(n.fields.get("purpose").map(String::as_str), s(row, "purpose"), "No.{} purpose", no(row));
        assert_eq!(n.number.as_deref(), Some(no(row).to_string().as_str()));
    }
    // No. 72: no condition in the source, named by its 要求事項.
    let n72 = node(&def, "72");
    assert_eq!(n72.flags, vec![NodeFlag::NoConditionInSource]);
    assert_eq!(ja(&n72.title), Some("IT 機器調達における情報セキュリティリスクを管理すること"));
    assert_eq!(n72.text, None);
    // Conditions the source leaves blank in a merged cell.
    let inherited: Vec<String> =
        def.nodes.iter().filter(|n| n.flags.contains(&NodeFlag::TextInherited)).map(|n| n.ref_id.clone()).collect();
    assert_eq!(inherited, vec!["5", "12", "14", "50", "63"]);
    assert_eq!(ja(&node(&def, "5").text), ja(&node(&def, "4").text));
    assert!(!node(&def, "103").fields.contains_key("purpose"), "label 17 has no purpose in the source");

    // The same tree, refs, texts and criteria as the built-in catalog made from the same JSON.
    let library = Library::builtin().unwrap();
    let builtin = library.catalog("kubota-supplier", None).unwrap().def();
    for b in &builtin.nodes {
        let n = node(&def, &b.ref_id);
        assert_eq!((n.kind, &n.parent), (b.kind, &b.parent), "{}", b.ref_id);
        if b.kind == NodeKind::Requirement {
            assert_eq!((&n.text, &n.criteria, n.answer_target), (&b.text, &b.criteria, b.answer_target), "{}", b.ref_id);
        } else {
            assert_eq!(n.title, b.title, "{}", b.ref_id);
        }
    }
    assert_eq!(def.nodes.len(), builtin.nodes.len());
    assert_eq!(def.urn, "urn:mamori:catalog:kubota-sheet:2.0");
}

#[test]
fn a_saved_mapping_is_found_again_for_the_same_layout() {
    let Some(rows) = seed_004() else { return };
    let full = read_xlsx(&kubota_workbook(&rows), &SheetLimits::default()).unwrap();
    let mapping = guess_mapping(&full).unwrap();
    // The UI stores it as JSON.
    let json = serde_json::to_string(&mapping).unwrap();
    let saved: ColumnMapping = serde_json::from_str(&json).unwrap();
    assert_eq!(saved, mapping);
    assert!(json.contains(r#""ref":4"#), "{json}");

    // Another file of the same layout, fewer rows: the same fingerprint.
    let part = read_xlsx(&kubota_workbook(&rows[10..40]), &SheetLimits::default()).unwrap();
    assert_eq!(layout_fingerprint(&part.sheets[0], 4), layout_fingerprint(&full.sheets[0], 4));
    let found = find_mapping(&part, std::slice::from_ref(&saved)).expect("found");
    let def = import_table(&part, &found, header("kubota-part"), &limits()).unwrap();
    assert_eq!(stats(&def).requirements, 30);
    // A different layout does not match.
    let Some(bytes) = shared("testdata/checklists/supplier-checklist-sample.xlsx") else { return };
    let other = read_xlsx(&bytes, &SheetLimits::default()).unwrap();
    assert_eq!(find_mapping(&other, &[saved]), None);
}

/// The mapping step: a mapping shown as one role per column and made again from the roles a
/// person chose, with the proposals it starts from and the choices it refuses.
#[test]
fn the_mapping_step_shows_roles_and_makes_the_mapping_again() {
    use ColumnRole::*;
    let Some(rows) = seed_004() else { return };
    let workbook = read_xlsx(&kubota_workbook(&rows), &SheetLimits::default()).unwrap();
    let sheet = workbook.sheet("対策基準").unwrap();
    let guessed = guess_mapping(&workbook).unwrap();
    let roles: Vec<ColumnRole> = (1..=sheet.width()).map(|c| guessed.role_of_column(c)).collect();
    assert_eq!(roles, vec![Group, Purpose, Group, Ref, AnswerTarget, Text, Criteria]);
    assert_eq!(mapping_from_roles(sheet, 4, &roles).unwrap(), guessed, "the guess made again from its roles");
    for role in ColumnRole::ALL {
        assert_eq!(ColumnRole::parse(role.key()), Some(role));
    }

    // 目的 not read, 要求事項 as the title instead of a group level: one level, no attribute.
    let changed = vec![Group, Ignore, Title, Ref, AnswerTarget, Text, Criteria];
    let mapping = mapping_from_roles(sheet, 4, &changed).unwrap();
    assert_eq!((mapping.groups.len(), mapping.title, mapping.attributes.len()), (1, Some(3), 0));
    let def = import_table(&workbook, &mapping, header("kubota-changed"), &limits()).unwrap();
    assert_eq!(stats(&def).groups, 24, "the labels only");
    assert_eq!(ja(&node(&def, "1").title), s(&rows[0], "requirement"));
    assert!(node(&def, "1").fields.is_empty());
    // Other columns become attributes named by their header.
    let extra = mapping_from_roles(sheet, 4, &[Group, Attribute, Group, Ref, Attribute, Text, Criteria]).unwrap();
    assert_eq!(extra.attributes.iter().map(|a| (a.column, a.key.as_str())).collect::<Vec<_>>(), vec![(2, "column_b"), (5, "column_e")]);
    assert_eq!(extra.attributes[0].name, LocalText::ja("目的"));

    // Refused: a role two columns may not share, no requirement column, a row outside the sheet.
    let err = mapping_from_roles(sheet, 4, &[Group, Purpose, Group, Ref, AnswerTarget, Ref, Criteria]).unwrap_err();
    assert_eq!(err, CatalogImportError::RoleTwice { role: Ref, first: 4, second: 6 });
    assert!(err.text().ja.contains("列 D と列 F"), "{}", err.text().ja);
    let err = mapping_from_roles(sheet, 4, &[Group, Purpose, Group, Ignore, AnswerTarget, Ignore, Criteria]).unwrap_err();
    assert_eq!(err, CatalogImportError::NoRequirementColumn);
    for row in [0, sheet.rows.len() + 1] {
        let err = mapping_from_roles(sheet, row, &roles).unwrap_err();
        assert!(matches!(err, CatalogImportError::HeaderRowOutside { .. }), "{err:?}");
    }

    // Proposals: the guess; the saved mapping of the layout; another row; unknown choices.
    let first = propose_mapping(&workbook, &[], None).unwrap();
    assert_eq!((first.saved, first.unrecognised, &first.mapping), (false, false, &guessed));
    let saved = propose_mapping(&workbook, std::slice::from_ref(&mapping), None).unwrap();
    assert_eq!((saved.saved, &saved.mapping), (true, &mapping));
    let same = propose_mapping(&workbook, std::slice::from_ref(&mapping), Some(("対策基準", None))).unwrap();
    assert_eq!((same.saved, same.mapping.header_row), (true, 4));
    let title_row = propose_mapping(&workbook, std::slice::from_ref(&mapping), Some(("対策基準", Some(1)))).unwrap();
    assert_eq!((title_row.saved, title_row.unrecognised, title_row.mapping.header_row), (false, true, 1));
    let err = propose_mapping(&workbook, &[], Some(("nope", Some(4)))).unwrap_err();
    assert_eq!(err, CatalogImportError::SheetNotFound { sheet: "nope".into() });
    let err = propose_mapping(&workbook, &[], Some(("対策基準", Some(9999)))).unwrap_err();
    assert!(matches!(err, CatalogImportError::HeaderRowOutside { row: 9999, .. }), "{err:?}");
    // A table nobody recognises starts at its first row with every column ignored.
    let unknown = read_csv("foo,bar\n1,2\n".as_bytes(), &SheetLimits::default()).unwrap();
    let p = propose_mapping(&unknown, &[], None).unwrap();
    assert_eq!((p.unrecognised, p.mapping.header_row, p.mapping.role_of_column(1)), (true, 1, Ignore));
    assert_eq!(propose_mapping(&Workbook::default(), &[], None).unwrap_err(), CatalogImportError::NoTable);
}

// ------------------------------------------------------------------------------------------
// (b) The supplier checklist.

#[test]
fn supplier_checklist_imports_its_38_rows() {
    let Some(bytes) = shared("testdata/checklists/supplier-checklist-sample.xlsx") else { return };
    let workbook = read_workbook(&bytes, &SheetLimits::default()).unwrap();
    let names: Vec<(&str, bool)> = workbook.sheets.iter().map(|s| (s.name.as_str(), s.hidden)).collect();
    assert_eq!(names, vec![("記入方法", false), ("自己チェック", false), ("リスト", true)]);
    let sheet = workbook.sheet("自己チェック").unwrap();
    assert_eq!(sheet.cell(11, 2), "体制 (平時)", "B10:B11 is merged");
    assert_eq!(sheet.cell(7, 1), "1", "numbers without .0");

    let mapping = guess_mapping(&workbook).expect("a mapping");
    assert_eq!((mapping.sheet.as_str(), mapping.header_row), ("自己チェック", 6));
    assert_eq!(mapping.ref_column, Some(1));
    assert_eq!(mapping.groups, vec![GroupColumn::new(2)]);
    assert_eq!(mapping.text, Some(3), "要求事項 holds the statement when there is no 達成条件 column");
    assert_eq!(mapping.criteria, Some(4));
    assert_eq!(mapping.answer_target, Some(AnswerTargetColumn::new(5)));
    assert!(mapping.attributes.is_empty(), "回答欄 and 根拠・補足 are answers, not catalog content");

    let def = import_table(&workbook, &mapping, header("supplier-sample"), &limits()).unwrap_or_else(|e| panic!("{e}"));
    let st = stats(&def);
    assert_eq!((st.requirements, st.groups, st.mandatory, st.optional), (38, 23, 31, 7));
    let first = node(&def, "1");
    assert_eq!(ja(&first.text), Some("自社の情報セキュリティ対応方針(ポリシー)を策定している"));
    assert_eq!(first.parent.as_deref(), Some("L1"));
    assert_eq!(ja(&node(&def, "L1").title), Some("方針"));
    assert_eq!(node(&def, "17").parent, node(&def, "13").parent, "a merged 分類 cell is one group");
    assert_eq!(
        node(&def, "149").criteria,
        vec![Criterion {
            header: "【規則】".into(), text: "バックアップ対象ごとにリストア手順書を整備すること".into()
        }]
    );
    assert!(def.nodes.iter().all(|n| n.flags.is_empty()));
    assert_eq!(def.nodes.last().map(|n| n.ref_id.as_str()), Some("149"), "the COUNTIF row below the table is not a requirement");
}

// ------------------------------------------------------------------------------------------
// (c) CISO Assistant's framework workbook.

#[test]
fn ciso_assistant_example_framework_imports() {
    let Some(bytes) = shared("testdata/ciso-assistant/example_framework.xlsx") else { return };
    let workbook = read_xlsx(&bytes, &SheetLimits::default()).unwrap();
    assert_eq!(detect_layout(&workbook), Some(SheetLayout::CisoAssistant));
    assert_eq!(guess_mapping(&workbook), None);
    let import = import_ciso_xlsx(&workbook, &limits()).unwrap_or_else(|e| panic!("{e}"));
    let def = &import.catalog;
    // fwk_content rows 2-39: 38 nodes, 27 assessable.
    let st = stats(def);
    assert_eq!((def.nodes.len(), st.groups, st.requirements), (38, 11, 27));
    assert_eq!((st.mandatory, st.optional), (1, 6), "importance: 1 mandatory, 2 recommended and 4 nice_to_have");
    assert_eq!(def.urn, "urn:intuitem:risk:framework:my-framework_example.1");
    assert_eq!(def.key, "my-framework-example-1");
    assert_eq!(def.edition, "1");
    assert_eq!(def.name.en.as_deref(), Some("Example Framework"));
    assert_eq!(def.language, Lang::En);
    assert_eq!(import.dropped_translations.get("fr").copied(), Some(39), "the library and its 38 nodes have French texts");
    let level1 = node(def, "level1");
    assert_eq!((level1.kind, level1.parent.as_deref()), (NodeKind::Group, None));
    assert_eq!(level1.text.as_ref().and_then(|t| t.en.as_deref()), Some("This is Level 1 of the framework."));
    let level3 = node(def, "level3");
    // Requirements 1-7 and Level 4, and Requirements 5.1 and 5.2 (below Requirement 5 in the source).
    assert_eq!(def.nodes.iter().filter(|n| n.parent.as_deref() == Some("level3")).count(), 10);
    // Node URNs as convert_library_v2.py makes them: from the parent's URN and a counter.
    assert_eq!(
        node(def, "7:3").fields.get("urn").map(String::as_str),
        Some("urn:intuitem:risk:req_node:my-framework_example.1:level3:7:3")
    );
    assert_eq!(ja(&node(def, "7:3").title), None);
    assert_eq!(node(def, "1:1").text.as_ref().and_then(|t| t.en.as_deref()), Some("My Note 2"));
    assert_eq!(level3.title.as_ref().and_then(|t| t.en.as_deref()), Some("Level 3"));
    // Requirement 5.1 sits under the assessable Requirement 5 in the source.
    let r51 = def.nodes.iter().find(|n| n.title.as_ref().and_then(|t| t.en.as_deref()) == Some("Requirement 5.1")).unwrap();
    let r5 = def.nodes.iter().find(|n| n.title.as_ref().and_then(|t| t.en.as_deref()) == Some("Requirement 5")).unwrap();
    assert_eq!(r51.fields.get(PARENT_REQUIREMENT), Some(&r5.ref_id));
    assert_eq!(r51.parent, r5.parent);
    assert_eq!(node(def, "3.r7").fields.get("annotation"), None);
    assert_eq!(
        def.nodes
            .iter()
            .find(|n| n.title.as_ref().and_then(|t| t.en.as_deref()) == Some("Requirement 2"))
            .unwrap()
            .fields
            .get("annotation")
            .map(String::as_str),
        Some("Annotation Requirement 2")
    );
    // It exports to a CISO Assistant library that reads back to the same catalog.
    let yaml = mamori_interop::ciso_assistant::export_library(def).unwrap();
    let again = mamori_interop::ciso_assistant::import_library(yaml.as_bytes(), &limits()).unwrap();
    let strip = |d: &CatalogDef| d.nodes.iter().map(|n| NodeDef { answer_target: None, ..n.clone() }).collect::<Vec<_>>();
    assert_eq!(strip(&again.catalog), strip(def));
}

// ------------------------------------------------------------------------------------------
// (d) Mamori's workbook round trips.

fn cells(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    read_xlsx(bytes, &SheetLimits::default()).unwrap().sheets.into_iter().map(|s| (s.name, s.rows)).collect()
}

#[test]
fn kubota_round_trips_through_xlsx() {
    let library = Library::builtin().unwrap();
    let def = library.catalog("kubota-supplier", None).unwrap().def().clone();
    for lang in [Lang::Ja, Lang::En] {
        let bytes = export_xlsx(&def, lang).unwrap();
        let workbook = read_xlsx(&bytes, &SheetLimits::default()).unwrap();
        assert_eq!(detect_layout(&workbook), Some(SheetLayout::MamoriExport));
        let sheet = workbook.sheet(catalog_sheet::EXPORT_SHEET).unwrap();
        assert_eq!(sheet.cell(1, 1), "ID\nref");
        assert_eq!(sheet.rows.len(), def.nodes.len() + 1);
        let back = import_export_xlsx(&bytes, &limits()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, def, "CatalogDef → xlsx → CatalogDef ({lang:?})");
        // xlsx → Mamori → xlsx keeps every cell.
        assert_eq!(cells(&export_xlsx(&back, lang).unwrap()), cells(&bytes));
    }
    let ja = read_xlsx(&export_xlsx(&def, Lang::Ja).unwrap(), &SheetLimits::default()).unwrap();
    let sheet = ja.sheet(catalog_sheet::EXPORT_SHEET).unwrap();
    let row = sheet.rows.iter().position(|r| r.first().map(String::as_str) == Some("72")).unwrap() + 1;
    let col = |key: &str| sheet.rows[0].iter().position(|h| h.lines().last() == Some(key)).unwrap() + 1;
    assert_eq!(sheet.cell(row, col("kind")), "要求事項");
    assert_eq!(sheet.cell(row, col("answer_target")), "任意");
    assert_eq!(sheet.cell(row, col("flags")), "no_condition_in_source");
    assert!(sheet.cell(row, col("criteria")).starts_with("【規則】 ・機器調達に対する"));
    assert_eq!(sheet.cell(1, col("field:purpose")), "目的\nfield:purpose");
}

#[test]
fn every_builtin_catalog_round_trips_through_xlsx() {
    let library = Library::builtin().unwrap();
    for catalog in library.catalogs() {
        let def = catalog.def();
        let bytes = export_xlsx(def, Lang::Ja).unwrap_or_else(|e| panic!("{}: {e}", def.key));
        let back = import_export_xlsx(&bytes, &limits()).unwrap_or_else(|e| panic!("{}: {e}", def.key));
        assert_eq!(&back, def, "{}", def.key);
    }
}

#[test]
fn the_nist_low_baseline_round_trips_through_xlsx() {
    let Some(bytes) = shared("testdata/oscal/NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json") else { return };
    let def = oscal::import_catalog(&bytes, &limits()).unwrap();
    let xlsx = export_xlsx(&def, Lang::En).unwrap();
    assert_eq!(import_export_xlsx(&xlsx, &limits()).unwrap(), def);
}

#[test]
fn awkward_values_round_trip_exactly() {
    let library = Library::builtin().unwrap();
    let mut def = library.catalog("kubota-supplier", None).unwrap().def().clone();
    let n = def.nodes.iter_mut().find(|n| n.ref_id == "1").unwrap();
    n.title = Some(LocalText { ja: Some("  前後に空白 ".into()), en: Some("=SUM(A1) _x0041_ \"quoted\"\n2nd line".into()) });
    n.criteria = vec![
        Criterion { header: "【規則】".into(), text: "本文に【見出し】を含む".into() },
        Criterion { header: String::new(), text: "見出しの後の前文".into() },
        Criterion { header: "[対象]".into(), text: "  ".into() },
    ];
    n.cites = vec!["iso27001-2013:A.5.1.1".into(), "x:with\nnewline".into()];
    n.notes = Some(LocalText::en("tab\there"));
    let bytes = export_xlsx(&def, Lang::Ja).unwrap();
    assert_eq!(import_export_xlsx(&bytes, &limits()).unwrap(), def);
}

#[test]
fn export_refuses_cells_excel_cannot_hold() {
    let library = Library::builtin().unwrap();
    let mut def = library.catalog("kubota-supplier", None).unwrap().def().clone();
    def.nodes[2].text = Some(LocalText::ja("あ".repeat(40_000)));
    let err = export_xlsx(&def, Lang::Ja).unwrap_err();
    assert!(matches!(&err, CatalogImportError::CellTooLongForExcel { column, .. } if column == "text (ja)"), "{err:?}");
    assert!(err.text().ja.contains("32767"));
}

// ------------------------------------------------------------------------------------------
// (e) CSV in UTF-8 with BOM and in Shift_JIS.

fn kubota_csv(rows: &[Value]) -> String {
    let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let mut out = String::from("ラベル,目的,要求事項,No.,回答対象,達成条件,達成基準\r\n");
    for r in rows {
        let fields = [
            s(r, "label").unwrap_or_default().to_string(),
            s(r, "purpose").unwrap_or_default().to_string(),
            s(r, "requirement").unwrap_or_default().to_string(),
            no(r).to_string(),
            s(r, "answer_target").unwrap_or_default().to_string(),
            s(r, "condition").unwrap_or_default().to_string(),
            // A line break inside a quoted cell, as Excel writes one.
            s(r, "criteria").unwrap_or_default().replace(" 【", "\n【"),
        ];
        out.push_str(&fields.iter().map(|f| quote(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[test]
fn csv_in_utf8_with_bom_and_in_shift_jis_import_the_same() {
    let Some(rows) = seed_004() else { return };
    let text = kubota_csv(&rows);
    let mut utf8 = vec![0xEF, 0xBB, 0xBF];
    utf8.extend(text.as_bytes());
    let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&sjis).is_err(), "really Shift_JIS");
    let mut defs = Vec::new();
    for bytes in [utf8.as_slice(), &sjis, text.as_bytes()] {
        let workbook = read_workbook(bytes, &SheetLimits::default()).unwrap();
        assert_eq!(workbook.sheets.len(), 1);
        let mapping = guess_mapping(&workbook).unwrap();
        assert_eq!((mapping.header_row, mapping.groups.len(), mapping.text), (1, 2, Some(6)));
        defs.push(import_table(&workbook, &mapping, header("kubota-csv"), &limits()).unwrap_or_else(|e| panic!("{e}")));
    }
    assert_eq!(defs[0], defs[1]);
    assert_eq!(defs[0], defs[2]);
    let st = stats(&defs[0]);
    assert_eq!((st.groups, st.requirements, st.mandatory, st.optional), (61, 153, 129, 24));
    for row in &rows {
        let n = node(&defs[0], &no(row).to_string());
        assert_eq!(ja(&n.text), s(row, "condition"));
        assert_eq!(n.criteria, expected_criteria(row), "No.{}", no(row));
    }
    // Without merged cells nothing says a condition is inherited; No. 72 still has none.
    assert_eq!(node(&defs[0], "72").flags, vec![NodeFlag::NoConditionInSource]);
    assert!(node(&defs[0], "5").flags.is_empty());
}

#[test]
fn tab_separated_text_is_read_too() {
    let workbook = read_csv("No.\t要求事項\n1\t方針を定めている\n".as_bytes(), &SheetLimits::default()).unwrap();
    assert_eq!(workbook.sheets[0].rows, vec![vec!["No.".to_string(), "要求事項".into()], vec!["1".into(), "方針を定めている".into()]]);
}

// ------------------------------------------------------------------------------------------
// Cells as Excel shows them.

#[test]
fn numbers_and_dates_read_as_displayed() {
    let mut book = XlsxWriter::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let time = Format::new().set_num_format("hh:mm");
    let sheet = book.add_worksheet();
    sheet.write_number(0, 0, 1.0).unwrap();
    sheet.write_number(0, 1, 2.5).unwrap();
    sheet.write_datetime_with_format(0, 2, rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 4, 1).unwrap(), &date).unwrap();
    sheet.write_datetime_with_format(0, 3, rust_xlsxwriter::ExcelDateTime::from_hms(9, 30, 0).unwrap(), &time).unwrap();
    sheet.write_boolean(0, 4, true).unwrap();
    sheet.write_string(0, 6, "after a gap").unwrap();
    let workbook = read_xlsx(&book.save_to_buffer().unwrap(), &SheetLimits::default()).unwrap();
    assert_eq!(workbook.sheets[0].rows, vec![vec!["1", "2.5", "2024-04-01", "09:30", "true", "", "after a gap"]]);
}

// ------------------------------------------------------------------------------------------
// (f) Broken and hostile input.

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A zip package of stored (uncompressed) files.
fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = out.len() as u32;
        let (crc, len, name_len) = (crc32(data), data.len() as u32, name.len() as u16);
        out.extend(b"PK\x03\x04");
        out.extend(20u16.to_le_bytes()); // version
        out.extend([0u8; 4]); // flags, method (stored)
        out.extend([0u8; 4]); // time, date
        out.extend(crc.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(name_len.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(name.as_bytes());
        out.extend(*data);
        central.extend(b"PK\x01\x02");
        central.extend(20u16.to_le_bytes());
        central.extend(20u16.to_le_bytes());
        central.extend([0u8; 8]);
        central.extend(crc.to_le_bytes());
        central.extend(len.to_le_bytes());
        central.extend(len.to_le_bytes());
        central.extend(name_len.to_le_bytes());
        central.extend([0u8; 12]);
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let (cd_offset, cd_len, count) = (out.len() as u32, central.len() as u32, files.len() as u16);
    out.extend(&central);
    out.extend(b"PK\x05\x06");
    out.extend([0u8; 4]);
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend(cd_len.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn small_table(rows: &[[&str; 4]]) -> Vec<u8> {
    let mut book = XlsxWriter::new();
    let sheet = book.add_worksheet();
    for (j, h) in ["No.", "要求事項", "達成条件", "回答対象"].iter().enumerate() {
        sheet.write_string(0, j as u16, *h).unwrap();
    }
    for (i, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(i as u32 + 1, j as u16, *v).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn valid_xlsx() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| small_table(&[["1", "方針", "方針を定めている", "必須"], ["2", "方針", "周知している", "任意"]]))
}

fn import_small(bytes: &[u8]) -> Result<CatalogDef, CatalogImportError> {
    let workbook = read_xlsx(bytes, &SheetLimits::default())?;
    let mapping = guess_mapping(&workbook).ok_or(CatalogImportError::NoTable)?;
    import_table(&workbook, &mapping, header("small"), &limits())
}

#[test]
fn a_valid_small_table_imports() {
    let def = import_small(valid_xlsx()).unwrap();
    assert_eq!(stats(&def).requirements, 2);
    assert_eq!(node(&def, "2").parent.as_deref(), Some("L1"), "要求事項 repeats: a group");
}

#[test]
fn a_zip_that_is_not_a_workbook_is_refused() {
    let bytes = zip(&[("hello.txt", b"hello"), ("docs/readme.md", b"# not a workbook")]);
    let err = read_xlsx(&bytes, &SheetLimits::default()).unwrap_err();
    assert!(matches!(err, CatalogImportError::NotAWorkbook { .. }), "{err:?}");
    assert!(err.text().ja.contains("xlsx"));
    let err = read_workbook(&bytes, &SheetLimits::default()).unwrap_err();
    assert!(matches!(err, CatalogImportError::NotAWorkbook { .. }), "{err:?}");
}

#[test]
fn a_truncated_workbook_is_refused() {
    let bytes = valid_xlsx();
    for cut in [bytes.len() / 2, bytes.len() - 10, 30] {
        let err = read_xlsx(&bytes[..cut], &SheetLimits::default()).unwrap_err();
        assert!(matches!(err, CatalogImportError::NotAWorkbook { .. }), "{cut}: {err:?}");
    }
}

#[test]
fn two_thousand_columns_are_refused_at_the_first_one_too_many() {
    let mut book = XlsxWriter::new();
    let sheet = book.add_worksheet();
    for j in 0..2_000u16 {
        sheet.write_string(0, j, format!("c{j}")).unwrap();
    }
    let err = read_xlsx(&book.save_to_buffer().unwrap(), &SheetLimits::default()).unwrap_err();
    assert!(matches!(err, CatalogImportError::SheetLimit { bound: SheetBound::Columns, max: 1_000, .. }), "{err:?}");
    assert_eq!(err.cell(), Some(&CellRef::cell("Sheet1", 1, 1_001)));
    assert!(err.text().ja.contains("ALM1"), "{}", err.text().ja);
    let csv: String = (0..2_000).map(|j| format!("c{j}")).collect::<Vec<_>>().join(",");
    let err = read_csv(csv.as_bytes(), &SheetLimits::default()).unwrap_err();
    assert_eq!(err.cell(), Some(&CellRef::cell(catalog_sheet::CSV_SHEET, 1, 1_001)));
}

#[test]
fn rows_cells_and_size_are_bounded() {
    let tight = SheetLimits { max_rows: 2, ..SheetLimits::default() };
    let err = read_xlsx(valid_xlsx(), &tight).unwrap_err();
    assert!(matches!(err, CatalogImportError::SheetLimit { bound: SheetBound::Rows, .. }), "{err:?}");
    assert_eq!(err.cell().and_then(|c| c.row), Some(3));
    let err = read_xlsx(valid_xlsx(), &SheetLimits { max_cell_chars: 3, ..SheetLimits::default() }).unwrap_err();
    assert!(matches!(err, CatalogImportError::SheetLimit { bound: SheetBound::CellChars, .. }), "{err:?}");
    let err = read_xlsx(valid_xlsx(), &SheetLimits { max_unpacked_bytes: 1_000, ..SheetLimits::default() }).unwrap_err();
    assert!(matches!(err, CatalogImportError::SheetLimit { bound: SheetBound::UnpackedBytes, .. }), "{err:?}");
    let err = read_xlsx(valid_xlsx(), &SheetLimits { max_bytes: 100, ..SheetLimits::default() }).unwrap_err();
    assert_eq!(err, CatalogImportError::TooLarge { limit: 100 });
    let err = read_csv("a,b\nc,d\n".as_bytes(), &SheetLimits { max_chars: 3, ..SheetLimits::default() }).unwrap_err();
    assert!(matches!(err, CatalogImportError::SheetLimit { bound: SheetBound::Chars, .. }), "{err:?}");

    // Merged regions count every cell they fill.
    let err = read_xlsx(
        &{
            let mut book = XlsxWriter::new();
            let sheet = book.add_worksheet();
            sheet.merge_range(0, 0, 999, 99, "all", &Format::new()).unwrap();
            sheet.write_string(999, 99, "x").unwrap();
            book.save_to_buffer().unwrap()
        },
        &SheetLimits { max_cells: 50_000, ..SheetLimits::default() },
    )
    .unwrap_err();
    assert!(matches!(err, CatalogImportError::SheetLimit { bound: SheetBound::Cells, .. }), "{err:?}");
}

#[test]
fn a_repeated_number_is_located() {
    let bytes = small_table(&[["1", "方針", "a", "必須"], ["2", "方針", "b", "必須"], ["1", "方針", "c", "任意"]]);
    let err = import_small(&bytes).unwrap_err();
    assert_eq!(err, CatalogImportError::DuplicateRow { at: CellRef::cell("Sheet1", 4, 1), id: "1".into(), first_row: 2 });
    assert!(err.text().ja.contains("2 行目と重複"), "{}", err.text().ja);
    assert!(err.text().en.contains("row 4, column A (A4)"), "{}", err.text().en);
}

#[test]
fn an_unknown_answer_target_is_located() {
    let bytes = small_table(&[["1", "方針", "a", "必須"], ["2", "方針", "b", "推奨"]]);
    let err = import_small(&bytes).unwrap_err();
    assert!(matches!(&err, CatalogImportError::UnknownAnswerTarget { value, .. } if value == "推奨"), "{err:?}");
    assert_eq!(err.cell(), Some(&CellRef::cell("Sheet1", 3, 4)));
    assert!(err.text().ja.contains("推奨"));
    // The mapping can say what 推奨 means.
    let workbook = read_xlsx(&bytes, &SheetLimits::default()).unwrap();
    let mut mapping = guess_mapping(&workbook).unwrap();
    mapping.answer_target.as_mut().unwrap().optional.push("推奨".into());
    let def = import_table(&workbook, &mapping, header("small"), &limits()).unwrap();
    assert_eq!(node(&def, "2").answer_target, Some(AnswerTarget::Optional));
}

#[test]
fn other_problems_are_located() {
    // A number with a space cannot be a ref.
    let err = import_small(&small_table(&[["1 2", "方針", "a", "必須"]])).unwrap_err();
    assert_eq!(err.cell(), Some(&CellRef::cell("Sheet1", 2, 1)));
    // A numbered row with no condition and no group to name it.
    let workbook = read_xlsx(&small_table(&[["1", "", "", "必須"]]), &SheetLimits::default()).unwrap();
    let mapping = ColumnMapping {
        sheet: "Sheet1".into(),
        header_row: 1,
        layout: None,
        ref_column: Some(1),
        groups: vec![],
        title: None,
        text: Some(3),
        answer_target: None,
        criteria: None,
        attributes: vec![],
    };
    let err = import_table(&workbook, &mapping, header("small"), &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::SheetCatalog { .. }), "{err:?}");
    assert_eq!(err.cell(), Some(&CellRef::cell("Sheet1", 2, 1)));
    // A mapping naming a sheet that is not there, or column 0.
    let err = import_table(&workbook, &ColumnMapping { sheet: "x".into(), ..mapping.clone() }, header("small"), &limits()).unwrap_err();
    assert_eq!(err, CatalogImportError::SheetNotFound { sheet: "x".into() });
    let err = import_table(&workbook, &ColumnMapping { text: Some(0), ..mapping.clone() }, header("small"), &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::BadMapping { .. }), "{err:?}");
    // A bad catalog key from the caller.
    let err = import_table(&workbook, &ColumnMapping { title: Some(3), ..mapping }, header("Bad Key"), &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::SheetCatalog { .. }), "{err:?}");
    // A header and no rows below it.
    let err = import_small(&small_table(&[])).unwrap_err();
    assert!(matches!(err, CatalogImportError::MissingCell { field: "requirement rows", .. }), "{err:?}");
    // No header that Mamori knows.
    let unknown = read_csv("foo,bar\n1,2\n".as_bytes(), &SheetLimits::default()).unwrap();
    assert_eq!(guess_mapping(&unknown), None);
    // Not text.
    assert_eq!(read_csv(b"\x00\x01\x02", &SheetLimits::default()).unwrap_err(), CatalogImportError::NotText);
    let err = read_csv(b"\xff\xfe\xfd", &SheetLimits::default()).unwrap_err();
    assert_eq!(err, CatalogImportError::NotText);
}

#[test]
fn every_error_has_both_texts() {
    let errors = [
        read_xlsx(&zip(&[("a", b"b")]), &SheetLimits::default()).unwrap_err(),
        import_small(&small_table(&[["1", "方針", "a", "必須"], ["1", "方針", "b", "必須"]])).unwrap_err(),
        import_small(&small_table(&[["1", "方針", "a", "x"]])).unwrap_err(),
        read_csv(b"\x00", &SheetLimits::default()).unwrap_err(),
        CatalogImportError::NoTable,
        CatalogImportError::NoRequirementColumn,
        CatalogImportError::HeaderRowOutside { sheet: "Sheet1".into(), row: 9, rows: 3 },
        CatalogImportError::RoleTwice { role: ColumnRole::Criteria, first: 1, second: 2 },
    ];
    for e in errors {
        let t = e.text();
        assert!(!t.ja.is_empty() && !t.en.is_empty(), "{e:?}");
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn a_mamori_export_is_not_mistaken_for_a_table() {
    let library = Library::builtin().unwrap();
    let def = library.catalog("kubota-supplier", None).unwrap().def();
    let workbook: Workbook = read_xlsx(&export_xlsx(def, Lang::Ja).unwrap(), &SheetLimits::default()).unwrap();
    assert_eq!(guess_mapping(&workbook), None);
    assert_eq!(catalog_sheet::import_export_workbook(&workbook, &limits()).unwrap(), *def);
    // A broken kind is located.
    let mut broken = workbook.clone();
    let sheet = broken.sheets.iter_mut().find(|s| s.name == catalog_sheet::EXPORT_SHEET).unwrap();
    sheet.rows[3][2] = "chapter".into();
    let err = catalog_sheet::import_export_workbook(&broken, &limits()).unwrap_err();
    assert!(matches!(&err, CatalogImportError::UnknownValue { what: "kind", .. }), "{err:?}");
    assert_eq!(err.cell(), Some(&CellRef::cell(catalog_sheet::EXPORT_SHEET, 4, 3)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let l = SheetLimits::default();
        let _ = read_xlsx(&bytes, &l);
        let _ = read_csv(&bytes, &l);
        let mut zipped = b"PK\x03\x04".to_vec();
        zipped.extend(&bytes);
        let _ = read_workbook(&zipped, &l);
        if let Ok(workbook) = read_csv(&bytes, &l) {
            if let Some(mapping) = guess_mapping(&workbook) {
                let _ = import_table(&workbook, &mapping, header("fuzz"), &limits());
            }
            let _ = catalog_sheet::import_export_workbook(&workbook, &limits());
            let _ = import_ciso_xlsx(&workbook, &limits());
        }
    }

    #[test]
    fn damaged_workbooks_never_panic(position in 0usize..100_000, value in any::<u8>(), cut in 0usize..100_000) {
        let good = valid_xlsx();
        let mut damaged = good.to_vec();
        let i = position % damaged.len();
        damaged[i] ^= value | 1;
        let _ = read_xlsx(&damaged, &SheetLimits::default()).map(|w| import_small_workbook(&w));
        let _ = read_xlsx(&good[..cut % good.len()], &SheetLimits::default());
    }

    #[test]
    fn arbitrary_sheet_xml_never_panics(body in r#"[<>/a-zA-Z0-9="' :_\-]{0,300}"#, merge in r#"[A-Z0-9:]{0,12}"#) {
        // Stored parts with correct checksums, so the XML itself reaches the sheet reader.
        let xml = format!(r#"{SHEET_START}{body}</sheetData><mergeCells count="1"><mergeCell ref="{merge}"/></mergeCells></worksheet>"#);
        if let Ok(workbook) = read_xlsx(&package(xml.as_bytes()), &SheetLimits::default()) {
            let _ = import_small_workbook(&workbook);
        }
        let _ = read_xlsx(&package(body.as_bytes()), &SheetLimits::default());
    }

    #[test]
    fn csv_like_text_never_panics(text in r#"[a-z0-9,"\n\r\t 【】必須任意No.要求事項達成条件]{0,400}"#) {
        if let Ok(workbook) = read_csv(text.as_bytes(), &SheetLimits::default())
            && let Some(mapping) = guess_mapping(&workbook)
        {
            let _ = import_table(&workbook, &mapping, header("fuzz"), &limits());
        }
    }
}

fn import_small_workbook(workbook: &Workbook) -> Option<CatalogDef> {
    let mapping = guess_mapping(workbook)?;
    import_table(workbook, &mapping, header("small"), &limits()).ok()
}

/// A workbook package with one sheet "S" whose XML is given, made with the test's zip writer.
fn package(sheet_xml: &[u8]) -> Vec<u8> {
    let workbook_xml = br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    let rels = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    let types = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#;
    let root_rels = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    zip(&[
        ("[Content_Types].xml", types),
        ("_rels/.rels", root_rels),
        ("xl/workbook.xml", workbook_xml),
        ("xl/_rels/workbook.xml.rels", rels),
        ("xl/worksheets/sheet1.xml", sheet_xml),
    ])
}

const SHEET_START: &str =
    r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;

#[test]
fn a_hand_made_package_reads_and_a_broken_sheet_is_located() {
    let sheet = format!(r#"{SHEET_START}<row r="1"><c r="B1" t="inlineStr"><is><t>hi</t></is></c></row></sheetData></worksheet>"#);
    let workbook = read_xlsx(&package(sheet.as_bytes()), &SheetLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(workbook.sheets[0].rows, vec![vec![String::new(), "hi".to_string()]]);
    // A sheet whose XML breaks off after its first row is located at that sheet and row.
    let broken = format!(r#"{SHEET_START}<row r="1"><c r="B1" t="inlineStr"><is><t>hi</t></is></c></row><row r="2"><c r="A2"><v>1"#);
    let err = read_xlsx(&package(broken.as_bytes()), &SheetLimits::default()).unwrap_err();
    assert_eq!(err.cell().and_then(|c| c.sheet.as_deref()), Some("S"), "{err:?}");
    assert!(!err.text().ja.is_empty());
}

#[test]
fn a_merged_region_over_the_whole_sheet_fills_only_the_data() {
    // A1:XFD1048576 merged, one value far inside: the fill stops at the data's last row and column.
    let sheet = format!(
        r#"{SHEET_START}<row r="1"><c r="A1" t="inlineStr"><is><t>all</t></is></c></row><row r="51"><c r="AY51" t="inlineStr"><is><t>x</t></is></c></row></sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells></worksheet>"#
    );
    let started = std::time::Instant::now();
    let workbook = read_xlsx(&package(sheet.as_bytes()), &SheetLimits::default()).unwrap();
    assert!(started.elapsed().as_secs() < 10);
    let grid = &workbook.sheets[0];
    assert_eq!((grid.rows.len(), grid.rows[50].len()), (51, 51));
    assert_eq!(grid.cell(51, 51), "all", "the merge covers it");
    assert_eq!(grid.merges.len(), 1);
    assert_eq!(grid.merge_at(1_000_000, 16_000).map(|m| m.last_row), Some(1_048_576));
    // And within the cell budget.
    let err = read_xlsx(&package(sheet.as_bytes()), &SheetLimits { max_cells: 1_000, ..SheetLimits::default() }).unwrap_err();
    assert!(matches!(err, CatalogImportError::SheetLimit { bound: SheetBound::Cells, .. }), "{err:?}");
    // A cell far out is refused by the row limit, however the sheet declares its size.
    let far =
        format!(r#"{SHEET_START}<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>far</t></is></c></row></sheetData></worksheet>"#);
    let err = read_xlsx(&package(far.as_bytes()), &SheetLimits::default()).unwrap_err();
    assert_eq!(err.cell(), Some(&CellRef::cell("S", 1_048_576, 1)));
}

#[test]
fn tricky_sheet_xml_is_read_or_refused_without_panic() {
    let cases = [
        r#"<row r="0"><c r="A0"><v>1</v></c></row>"#,
        r#"<row r="1"><c r="ZZZZZZZZ1"><v>1</v></c></row>"#,
        r#"<row r="4294967295"><c><v>1</v></c></row>"#,
        r#"<row r="1"><c r="A1" t="s"><v>999</v></c></row>"#,
        r#"<row r="1"><c r="A1" t="s"><v>-1</v></c></row>"#,
        r#"<row r="1"><c r="A1" t="e"><v>#N/A</v></c><c r="B1" t="d"><v>2024-01-01T00:00:00</v></c></row>"#,
        r#"<row r="1"><c r="A1" s="999"><v>45000</v></c><c r="B1" t="b"><v>7</v></c><c r="C1"><v>1e400</v></c><c r="D1"><v>NaN</v></c></row>"#,
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="1"><c r="A1" t="inlineStr"><is><t>b</t></is></c></row>"#,
        r#"<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>"#,
    ];
    let merges = [
        "",
        r#"<mergeCells><mergeCell ref="B2:A1"/></mergeCells>"#,
        r#"<mergeCells><mergeCell ref="A0:B0"/></mergeCells>"#,
        r#"<mergeCells><mergeCell ref="XFD1048576"/></mergeCells>"#,
    ];
    for body in cases {
        for merge in merges {
            let xml = format!("{SHEET_START}{body}</sheetData>{merge}</worksheet>");
            match read_xlsx(&package(xml.as_bytes()), &SheetLimits::default()) {
                Ok(workbook) => {
                    let _ = import_small_workbook(&workbook);
                }
                Err(e) => assert!(!e.text().en.is_empty()),
            }
        }
    }
    // Cells without positions follow each other.
    let xml = format!(
        r#"{SHEET_START}<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row></sheetData><mergeCells><mergeCell ref="A1:B2"/></mergeCells></worksheet>"#
    );
    let workbook = read_xlsx(&package(xml.as_bytes()), &SheetLimits::default()).unwrap();
    assert_eq!(workbook.sheets[0].rows, vec![vec!["1", "1"], vec!["1", "1"]]);
    // calamine panics on a reversed range when overflow checks are on: the panic is caught and
    // the file refused, located at its sheet. (Without overflow checks the range is read.)
    let xml =
        format!(r#"{SHEET_START}<row><c><v>1</v></c></row></sheetData><mergeCells><mergeCell ref="B2:A1"/></mergeCells></worksheet>"#);
    match read_xlsx(&package(xml.as_bytes()), &SheetLimits::default()) {
        Ok(workbook) => assert_eq!(workbook.sheets[0].merges.len(), 1),
        Err(e) => assert_eq!(e.cell(), Some(&CellRef::sheet("S")), "{e:?}"),
    }
}

/// A package with a shared-strings part, stored, with the given `uniqueCount`; its sheet uses
/// string 0.
fn package_with_shared_strings(unique_count: &str) -> Vec<u8> {
    let workbook_xml = br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    let rels = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
    let types = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#;
    let root_rels = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let sst = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="{unique_count}"><si><t>x</t></si></sst>"#
    );
    let sheet = format!(r#"{SHEET_START}<row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#);
    zip(&[
        ("[Content_Types].xml", types),
        ("_rels/.rels", root_rels),
        ("xl/workbook.xml", workbook_xml),
        ("xl/_rels/workbook.xml.rels", rels),
        ("xl/sharedStrings.xml", sst.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}

#[test]
fn a_shared_strings_count_bomb_is_refused_before_it_is_allocated() {
    let workbook = read_xlsx(&package_with_shared_strings("1"), &SheetLimits::default()).unwrap();
    assert_eq!(workbook.sheets[0].cell(1, 1), "x");
    // calamine reserves memory for the declared count: 10^11 strings would abort the process.
    let err = read_xlsx(&package_with_shared_strings("100000000000"), &SheetLimits::default()).unwrap_err();
    assert!(matches!(&err, CatalogImportError::NotAWorkbook { detail } if detail.contains("shared strings")), "{err:?}");
    // The register import reads uploaded workbooks through the same check.
    use mamori_interop::register_import::{ImportLimits, read_table};
    assert!(read_table(&package_with_shared_strings("1"), &ImportLimits::default()).is_ok());
    let err = read_table(&package_with_shared_strings("100000000000"), &ImportLimits::default()).unwrap_err();
    assert!(matches!(&err, mamori_interop::InteropError::NotAWorkbook { detail } if detail.contains("shared strings")), "{err:?}");
}
