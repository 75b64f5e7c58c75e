//! `mamori checklist import | answer | export` through the real binary: the sample customer
//! workbook from `../shared/testdata/checklists/` comes in, answers come from a Shift_JIS CSV as
//! Japanese Excel writes it, and the workbook goes back out with the answers in the right rows;
//! Python's openpyxl (scripts/checklist-openpyxl.py) then checks every other cell, merge, width,
//! drop-down and formula and every other package part. Without `shared/` or openpyxl the test
//! says SKIP; under `CI=true` either missing is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use std::path::{Path, PathBuf};
use std::process::Command;

fn mamori(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mamori")).args(args).env("MAMORI_LOG", "error").output().expect("run mamori")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = mamori(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON document on stdout")
}

fn sample() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/checklists/supplier-checklist-sample.xlsx");
    if p.exists() {
        return Some(p);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "CI requires {}", p.display());
    eprintln!("SKIP: {} is missing", p.display());
    None
}

fn openpyxl() -> bool {
    let ok = Command::new("python3").args(["-c", "import openpyxl"]).status().is_ok_and(|s| s.success());
    assert!(ok || std::env::var("CI").as_deref() != Ok("true"), "CI requires Python's openpyxl");
    if !ok {
        eprintln!("SKIP openpyxl check: python3 -c 'import openpyxl' fails");
    }
    ok
}

#[test]
fn a_customer_workbook_round_trips_through_the_command_line() {
    let Some(sample) = sample() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    json(&[
        "init",
        "--data",
        data,
        "--org-slug",
        "supplier",
        "--org-name",
        "東和精工",
        "--admin-email",
        "ciso@towa.example",
        "--admin-password",
        "Towa-Seiko-2026!x",
        "--json",
    ]);
    let me = ["--as", "ciso@towa.example", "--data", data];
    let sample_text = sample.to_str().unwrap();
    let imported = json(&[&["checklist", "import", sample_text, "--period", "2026年度", "--json"][..], &me].concat());
    let id = imported["assessment"].as_str().unwrap().to_string();
    assert_eq!(imported["sheet"], "自己チェック");
    assert_eq!(imported["header_row"], 6);
    assert_eq!((imported["answer_column"].as_str(), imported["comment_column"].as_str()), (Some("F"), Some("G")));
    assert_eq!(imported["choices"], serde_json::json!(["○", "×", "該当なし"]));
    let rows = imported["rows"].as_u64().unwrap();
    assert!(rows >= 30, "{rows}");

    // Answers from a Shift_JIS CSV with a header row, as Japanese Excel saves it.
    let csv_text = "No.,回答,コメント\r\n1,○,情報セキュリティ基本方針（2025年4月）\r\n5,×,誓約書は来期から\r\n9,該当なし,\r\n";
    let (csv, _, _) = encoding_rs::SHIFT_JIS.encode(csv_text);
    let csv_path = dir.path().join("answers.csv");
    std::fs::write(&csv_path, &csv).unwrap();
    let answered = json(&[&["checklist", "answer", &id, "--from", csv_path.to_str().unwrap(), "--json"][..], &me].concat());
    assert_eq!((answered["rows"].as_u64(), answered["changed"].as_u64()), (Some(3), Some(3)));

    // A bad row changes nothing and says which row.
    let bad_path = dir.path().join("bad.csv");
    std::fs::write(&bad_path, "1,○,\n5,たぶん,\n").unwrap();
    let out = mamori(&[&["checklist", "answer", &id, "--from", bad_path.to_str().unwrap()][..], &me].concat());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("No. 5") && err.contains("nothing changed"), "{err}");

    let filled = dir.path().join("filled.xlsx");
    let exported = json(&[&["checklist", "export", &id, "--out", filled.to_str().unwrap(), "--json"][..], &me].concat());
    assert_eq!(exported["answered"], 3);
    let bytes = std::fs::read(&filled).unwrap();
    let back = mamori_interop::read_checklist(&bytes, &mamori_interop::ChecklistOptions::new("x", "1"), &Default::default()).unwrap();
    let row_of = |no: &str| back.items.iter().find(|i| i.number == no).unwrap().clone();
    assert_eq!((row_of("1").answer.as_str(), row_of("1").comment.as_str()), ("○", "情報セキュリティ基本方針（2025年4月）"));
    assert_eq!(row_of("5").answer, "×");
    assert_eq!(row_of("9").answer, "該当なし");

    // The independent reader: every other cell, merge, width, drop-down and formula, and every
    // other package part, exactly as the customer sent them.
    if openpyxl() {
        let expected = serde_json::json!({
            format!("F{}", row_of("1").row): "○", format!("G{}", row_of("1").row): "情報セキュリティ基本方針（2025年4月）",
            format!("F{}", row_of("5").row): "×", format!("G{}", row_of("5").row): "誓約書は来期から",
            format!("F{}", row_of("9").row): "該当なし",
        });
        let expected_path = dir.path().join("expected.json");
        std::fs::write(&expected_path, expected.to_string()).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/checklist-openpyxl.py");
        let check = Command::new("python3").arg(script).arg(&sample).arg(&filled).arg(&expected_path).output().unwrap();
        assert!(check.status.success(), "openpyxl: {}{}", String::from_utf8_lossy(&check.stdout), String::from_utf8_lossy(&check.stderr));
    }

    // Without the right: an employee of the same organisation cannot export.
    let out = mamori(&["checklist", "export", &id, "--out", filled.to_str().unwrap(), "--as", "nobody@towa.example", "--data", data]);
    assert_eq!(out.status.code(), Some(1));
}
