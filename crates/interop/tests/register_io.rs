//! Round trips and hostile input for register export and import.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use mamori_core::library::Library;
use mamori_interop::InteropError;
use mamori_interop::register_export::{ExportCell, ExportTable, export_csv, export_xlsx};
use mamori_interop::register_import::{ImportLimits, map_to_register, read_table};
use proptest::prelude::*;

fn sample() -> ExportTable {
    ExportTable {
        headers: vec!["ID".into(), "情報資産名称".into(), "機密性".into(), "登録日".into(), "重要度".into(), "備考".into()],
        rows: vec![
            vec![
                ExportCell::Text("a1".into()),
                ExportCell::Text("顧客名簿".into()),
                ExportCell::Text("極秘".into()),
                ExportCell::Date("2026-04-01".into()),
                ExportCell::Number(3.0),
                ExportCell::Text("改行\nと \"引用符\"、カンマ,を含む".into()),
            ],
            vec![
                ExportCell::Text("a2".into()),
                ExportCell::Text("Company brochure".into()),
                ExportCell::Text("公開".into()),
                ExportCell::Date("2025-12-31".into()),
                ExportCell::Number(1.0),
                ExportCell::Empty,
            ],
        ],
    }
}

fn as_strings(table: &ExportTable) -> Vec<Vec<String>> {
    table
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    ExportCell::Text(t) | ExportCell::Date(t) => t.clone(),
                    ExportCell::Number(n) => format!("{}", *n as i64),
                    ExportCell::Empty => String::new(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn xlsx_round_trip_keeps_every_cell() {
    let table = sample();
    let bytes = export_xlsx("情報資産管理台帳", &table).unwrap();
    let read = read_table(&bytes, &ImportLimits::default()).unwrap();
    assert_eq!(read.headers, table.headers);
    let cells: Vec<Vec<String>> = read
        .rows
        .iter()
        .map(|r| {
            r.cells.iter().take(table.headers.len()).cloned().chain(std::iter::repeat(String::new())).take(table.headers.len()).collect()
        })
        .collect();
    assert_eq!(cells, as_strings(&table));
    assert_eq!(read.rows[0].number, 2, "the first data row is Excel row 2");
}

#[test]
fn csv_has_bom_and_round_trips() {
    let table = sample();
    let bytes = export_csv(&table);
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
    assert!(String::from_utf8_lossy(&bytes).contains("\r\n"));
    let read = read_table(&bytes, &ImportLimits::default()).unwrap();
    assert_eq!(read.headers, table.headers);
    let cells: Vec<Vec<String>> = read.rows.iter().map(|r| r.cells.clone()).collect();
    assert_eq!(cells, as_strings(&table));
}

#[test]
fn shift_jis_csv_is_read() {
    let text = "情報資産名称,機密性\r\n顧客名簿,極秘\r\n";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    let read = read_table(&bytes, &ImportLimits::default()).unwrap();
    assert_eq!(read.headers, vec!["情報資産名称", "機密性"]);
    assert_eq!(read.rows[0].cells, vec!["顧客名簿", "極秘"]);
}

#[test]
fn broken_and_oversized_inputs_are_errors() {
    let limits = ImportLimits { max_bytes: 1000, max_rows: 3, max_columns: 4 };
    type Case = (&'static str, Vec<u8>, fn(&InteropError) -> bool);
    let cases: Vec<Case> = vec![
        ("truncated zip", b"PK\x03\x04garbage".to_vec(), |e| matches!(e, InteropError::NotAWorkbook { .. })),
        ("too large", vec![b'a'; 2000], |e| matches!(e, InteropError::TooLarge { .. })),
        ("binary", vec![0, 1, 2, 3, 0xff, 0xfe], |e| matches!(e, InteropError::UnsupportedFormat)),
        ("too many rows", b"a\n1\n2\n3\n4\n5\n".to_vec(), |e| matches!(e, InteropError::TooManyRows { .. })),
        ("too many columns", b"a,b,c,d,e\n".to_vec(), |e| matches!(e, InteropError::TooManyColumns { .. })),
        ("empty", Vec::new(), |e| matches!(e, InteropError::MissingHeader)),
    ];
    for (name, bytes, expected) in cases {
        let err = read_table(&bytes, &limits).unwrap_err();
        assert!(expected(&err), "{name}: got {err:?}");
        assert!(!err.text().ja.is_empty() && !err.text().en.is_empty(), "{name}: both languages");
    }
}

#[test]
fn headers_map_by_japanese_english_or_key() {
    let library = Library::builtin().unwrap();
    let register = library.register("information_assets").unwrap();
    let csv = "ID,業務分類,Asset name,managing_unit,個人情報の種類,機密性,Integrity,可用性,登録日,重要度\n\
               ,営業,顧客名簿,営業部,個人情報,3,2,2,2026-04-01,3\n";
    let table = read_table(csv.as_bytes(), &ImportLimits::default()).unwrap();
    let rows = map_to_register(register, &table).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].number, 2);
    assert_eq!(rows[0].input.get("name").and_then(|v| v.as_str()), Some("顧客名簿"));
    assert_eq!(rows[0].input.get("integrity").and_then(|v| v.as_str()), Some("2"));
    assert!(!rows[0].input.contains_key("importance"), "computed columns are not imported");

    let bad = "業務分類,知らない列\n営業,x\n";
    let problems = map_to_register(register, &read_table(bad.as_bytes(), &ImportLimits::default()).unwrap()).unwrap_err();
    assert!(problems.iter().any(|p| p.column.as_deref() == Some("知らない列")), "unknown column named");
    assert!(problems.iter().any(|p| p.text.ja.contains("情報資産名称")), "missing required column named");
}

proptest! {
    #[test]
    fn read_table_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048), zip in any::<bool>()) {
        let mut input = if zip { b"PK\x03\x04".to_vec() } else { Vec::new() };
        input.extend(bytes);
        let _ = read_table(&input, &ImportLimits::default());
    }

    #[test]
    fn csv_text_round_trips(cells in proptest::collection::vec("[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{7f}\r]{1,20}", 1..6)) {
        let table = ExportTable { headers: cells.iter().enumerate().map(|(i, _)| format!("h{i}")).collect(), rows: vec![cells.iter().map(|c| ExportCell::Text(c.clone())).collect()] };
        let read = read_table(&export_csv(&table), &ImportLimits::default()).unwrap();
        let expected: Vec<String> = cells.clone();
        prop_assume!(expected.iter().any(|c| !c.trim().is_empty()));
        prop_assert_eq!(&read.rows[0].cells, &expected);
    }
}
