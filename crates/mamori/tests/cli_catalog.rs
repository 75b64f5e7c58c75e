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

fn shared(path: &str) -> Option<std::path::PathBuf> {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(path);
    if p.exists() {
        return Some(p);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "CI requires ../shared/{path}");
    eprintln!("SKIP: ../shared/{path} is missing");
    None
}

#[test]
fn import_and_export_round_trip_through_the_binary() {
    let Some(low) = shared("testdata/oscal/NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json") else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let init = json(&[
        "init",
        "--data",
        data,
        "--org-slug",
        "acme",
        "--org-name",
        "株式会社アクメ",
        "--admin-email",
        "ciso@acme.example",
        "--admin-password",
        "Acme-Password-2026!",
        "--json",
    ]);
    assert!(init["organisation"]["id"].is_string());
    let low = low.to_str().unwrap();
    let imported = json(&["catalog", "import", low, "--as", "ciso@acme.example", "--data", data, "--json"]);
    assert_eq!((imported["groups"].as_u64(), imported["requirements"].as_u64()), (Some(18), Some(149)));
    let key = imported["key"].as_str().unwrap().to_string();
    let edition = imported["edition"].as_str().unwrap().to_string();
    let name = format!("{key}@{edition}");

    // The organisation's catalog is listed for its people, and not without --as.
    let listed = json(&["catalog", "list", "--as", "ciso@acme.example", "--data", data, "--json"]);
    assert!(listed["catalogs"].as_array().unwrap().iter().any(|c| c["key"] == key.as_str()));
    let builtin = json(&["catalog", "list", "--json"]);
    assert!(!builtin["catalogs"].as_array().unwrap().iter().any(|c| c["key"] == key.as_str()));

    // Exported as OSCAL and imported again as another edition: the same tree.
    let out = dir.path().join("low-out.json");
    let out_text = out.to_str().unwrap();
    json(&["catalog", "export", &name, "--as", "ciso@acme.example", "--data", data, "--format", "oscal", "--out", out_text, "--json"]);
    let again = json(&["catalog", "import", out_text, "--as", "ciso@acme.example", "--data", data, "--edition", "再取込", "--json"]);
    assert_eq!(again["requirements"], 149);
    let d = json(&[
        "catalog",
        "diff",
        &name,
        &format!("{}@再取込", again["key"].as_str().unwrap()),
        "--as",
        "ciso@acme.example",
        "--data",
        data,
        "--json",
    ]);
    assert_eq!(
        (d["added"].as_array().unwrap().len(), d["removed"].as_array().unwrap().len(), d["changed"].as_array().unwrap().len()),
        (0, 0, 0),
        "{d}"
    );

    // The same edition twice is a user error; so is a file that is not a catalog.
    let twice = mamori(&["catalog", "import", low, "--as", "ciso@acme.example", "--data", data]);
    assert_eq!(twice.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("すでに取り込まれています"));
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"catalog\": {\"uuid\": 1").unwrap();
    let bad = mamori(&["catalog", "import", junk.to_str().unwrap(), "--as", "ciso@acme.example", "--data", data]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("エラー") && err.contains("Error"), "{err}");

    // A customer's checklist workbook as it was sent: the header row is found, and its rows come in.
    if let Some(sample) = shared("testdata/checklists/supplier-checklist-sample.xlsx") {
        let sheet = json(&[
            "catalog",
            "import",
            sample.to_str().unwrap(),
            "--as",
            "ciso@acme.example",
            "--data",
            data,
            "--key",
            "customer-checklist",
            "--name",
            "取引先チェックリスト",
            "--edition",
            "2026年度版",
            "--json",
        ]);
        assert_eq!(sheet["requirements"], 38, "{sheet}");
        let no_key = mamori(&["catalog", "import", sample.to_str().unwrap(), "--as", "ciso@acme.example", "--data", data]);
        assert_eq!(no_key.status.code(), Some(1), "a table needs a key");
    }
    // Kubota's standard to xlsx and back, as the organisation's own edition: nothing changes.
    let xlsx = dir.path().join("kubota.xlsx");
    json(&["catalog", "export", "kubota-supplier", "--format", "xlsx", "--out", xlsx.to_str().unwrap(), "--json"]);
    let back = json(&[
        "catalog",
        "import",
        xlsx.to_str().unwrap(),
        "--as",
        "ciso@acme.example",
        "--data",
        data,
        "--edition",
        "2.0-xlsx",
        "--json",
    ]);
    assert_eq!(back["requirements"], 153);
    let d = json(&[
        "catalog",
        "diff",
        "kubota-supplier@2.0",
        "kubota-supplier@2.0-xlsx",
        "--as",
        "ciso@acme.example",
        "--data",
        data,
        "--json",
    ]);
    assert_eq!(
        (d["added"].as_array().unwrap().len(), d["removed"].as_array().unwrap().len(), d["changed"].as_array().unwrap().len()),
        (0, 0, 0),
        "{d}"
    );
    // The organisation's verification covers its imported catalogs.
    json(&["verify", "--data", data, "--json"]);

    // A built-in catalog exports as CISO Assistant YAML without a database.
    let yaml = dir.path().join("csf.yaml");
    json(&["catalog", "export", "nist-csf", "--format", "ciso", "--out", yaml.to_str().unwrap(), "--json"]);
    assert!(std::fs::read_to_string(&yaml).unwrap().contains("GV.OC-01"));
}
