//! `mamori catalog`: the built-in catalogs through the real binary, with its exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use std::process::Command;

fn mamori(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mamori")).args(args).env("MAMORI_LOG", "error").output().expect("run mamori")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = mamori(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON document on stdout")
}

#[test]
fn list_names_every_builtin_catalog_with_counts() {
    let doc = json(&["catalog", "list", "--json"]);
    let list = doc["catalogs"].as_array().unwrap();
    let kubota = list.iter().find(|c| c["key"] == "kubota-supplier").expect("Kubota's standard is built in");
    assert_eq!(
        (kubota["requirements"].as_u64(), kubota["mandatory"].as_u64(), kubota["optional"].as_u64()),
        (Some(153), Some(129), Some(24))
    );
    for key in
        ["nist-csf", "iso27001-2013", "iso27001-2022", "abs-operation-rules", "company-isms-regulations", "space-contractor-checklist"]
    {
        assert!(list.iter().any(|c| c["key"] == key), "{key}");
    }
}

#[test]
fn show_gives_the_tree_and_diff_compares_editions() {
    let doc = json(&["catalog", "show", "nist-csf@2.0", "--tree", "--json"]);
    assert_eq!(doc["requirements"], 106);
    let nodes = doc["nodes"].as_array().unwrap();
    assert!(nodes.iter().any(|n| n["ref"] == "GV.OC-01" && n["parent"] == "GV.OC"));
    let d = json(&["catalog", "diff", "iso27001-2013", "iso27001-2022", "--json"]);
    assert_eq!(d["unchanged"].as_u64().unwrap() + d["changed"].as_array().unwrap().len() as u64, 0, "the two editions share no ids");
    assert_eq!(d["added"].as_array().unwrap().len(), 97);
    assert_eq!(d["removed"].as_array().unwrap().len(), 163);
    let text = mamori(&["catalog", "show", "kubota-supplier", "--tree"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("72 IT 機器調達における情報セキュリティリスクを管理すること"), "{}", &text[..text.len().min(400)]);
}

#[test]
fn an_unknown_catalog_is_a_user_error_in_both_languages() {
    let out = mamori(&["catalog", "show", "no-such-catalog"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("カタログ「no-such-catalog」はありません") && err.contains("There is no catalog"), "{err}");
    let misuse = mamori(&["catalog", "frobnicate"]);
    assert_eq!(misuse.status.code(), Some(2));
}
