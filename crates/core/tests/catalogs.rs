//! The built-in catalogs checked against their sources: counts, ids, exact texts of sampled
//! rows, flags and mappings. Where a source lives in `../shared/` the test reads it; without
//! `shared/` it says SKIP, and under `CI=true` that is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use std::collections::BTreeSet;
use std::path::PathBuf;

use mamori_core::catalog::{AnswerTarget, Catalog, NodeFlag, NodeKind, Relationship, links_of};
use mamori_core::classification::Confidentiality;
use mamori_core::library::Library;

fn library() -> Library {
    Library::builtin().expect("the built-in library loads")
}

fn catalog<'a>(lib: &'a Library, key: &str) -> &'a Catalog {
    lib.catalog(key, None).unwrap_or_else(|| panic!("catalog {key} is built in"))
}

fn shared(path: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(path);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI requires ../shared/{path}");
    }
    eprintln!("SKIP: ../shared/{path} is missing");
    None
}

fn ja<'a>(c: &'a Catalog, r: &str) -> &'a str {
    c.node(r).and_then(|n| n.text.as_ref()).and_then(|t| t.ja.as_deref()).unwrap_or_else(|| panic!("{r} has a Japanese text"))
}

fn title_ja<'a>(c: &'a Catalog, r: &str) -> &'a str {
    c.node(r).and_then(|n| n.title.as_ref()).and_then(|t| t.ja.as_deref()).unwrap_or_else(|| panic!("{r} has a Japanese title"))
}

#[test]
fn kubota_counts_and_flags() {
    let lib = library();
    let k = catalog(&lib, "kubota-supplier");
    assert_eq!(k.edition(), "2.0");
    let labels = k.roots().count();
    assert_eq!(labels, 24, "labels");
    let requirements: usize = k.roots().map(|l| k.children(&l.ref_id).filter(|n| n.kind == NodeKind::Group).count()).sum();
    assert_eq!(requirements, 37, "要求事項");
    let s = k.stats();
    assert_eq!((s.requirements, s.mandatory, s.optional), (153, 129, 24));
    let no72 = k.node("72").unwrap();
    assert!(no72.text.is_none() && !no72.fields.contains_key("condition"), "No. 72 has no 達成条件 in the source");
    assert!(no72.flags.contains(&NodeFlag::NoConditionInSource));
    assert_eq!(no72.answer_target, Some(AnswerTarget::Optional));
    let flagged: Vec<&str> =
        k.nodes().iter().filter(|n| n.flags.contains(&NodeFlag::NoConditionInSource)).map(|n| n.ref_id.as_str()).collect();
    assert_eq!(flagged, vec!["72"], "only No. 72 lacks a condition");
    assert_eq!(ja(k, "1"), "自社の情報セキュリティ対応方針(ポリシー)を策定している");
    assert!(k.node("5").unwrap().flags.contains(&NodeFlag::TextInherited));
    let n137 = k.node("137").unwrap();
    assert_eq!(n137.criteria[1].header, "【パターンファイルの更新頻度】");
    assert_eq!(n137.criteria[1].text, "起動し利用する日ごとに1回 以上");
    assert_eq!(
        k.node("L4.R1").unwrap().fields.get("purpose").map(String::as_str),
        Some("情報セキュリティに関する体制及び役割を明確化し、保護すべきデータの漏洩・サイバーセキュリティ対策の徹底、強化を図る")
    );
}

/// Every row's No., label, 回答対象, 達成条件 and 達成基準 equal the extraction of seed 004.
#[test]
fn kubota_rows_match_the_source_exactly() {
    let Some(path) = shared("analysis/seed-004-requirements.json") else { return };
    let rows: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(rows.len(), 153);
    let lib = library();
    let k = catalog(&lib, "kubota-supplier");
    for row in &rows {
        let no = row["no"].as_i64().unwrap().to_string();
        let node = k.node(&no).unwrap_or_else(|| panic!("No. {no}"));
        assert_eq!(node.kind, NodeKind::Requirement);
        let target = if row["answer_target"] == "必須" { AnswerTarget::Mandatory } else { AnswerTarget::Optional };
        assert_eq!(node.answer_target, Some(target), "No. {no} 回答対象");
        let condition = row["condition"].as_str();
        assert_eq!(node.fields.get("condition").map(String::as_str), condition, "No. {no} 達成条件");
        assert_eq!(node.text.as_ref().and_then(|t| t.ja.as_deref()), condition, "No. {no} text");
        let label = k.ancestors(&no).first().map(|l| l.number.clone().unwrap_or_default()).unwrap();
        assert_eq!(label, row["label_no"].as_i64().unwrap().to_string(), "No. {no} label");
        let requirement = k.ancestors(&no).get(1).and_then(|r| r.title.as_ref()).and_then(|t| t.ja.clone());
        assert_eq!(requirement.as_deref(), row["requirement"].as_str(), "No. {no} 要求事項");
        let sections = row["criteria_sections"].as_array().unwrap();
        if !sections.is_empty() {
            let headers: Vec<&str> = node.criteria.iter().map(|c| c.header.as_str()).filter(|h| !h.is_empty()).collect();
            let expected: Vec<&str> = sections.iter().map(|s| s["header"].as_str().unwrap()).collect();
            assert_eq!(headers, expected, "No. {no} 達成基準 headers");
            for s in sections {
                let text = s["text"].as_str().unwrap();
                assert!(node.criteria.iter().any(|c| c.text == text), "No. {no}: criterion {text:?} kept verbatim");
            }
        }
    }
}

#[test]
fn abs_rules_ship_structure_only_and_confidential() {
    let lib = library();
    let abs = catalog(&lib, "abs-operation-rules");
    assert_eq!(abs.edition(), "2025年度版");
    assert_eq!(abs.def().classification, Confidentiality::Internal, "marked 社外秘 by its owner");
    let rules: BTreeSet<&str> = abs.roots().map(|n| n.ref_id.as_str()).collect();
    assert_eq!(rules, (1..=19).map(|i| i.to_string()).collect::<BTreeSet<_>>().iter().map(String::as_str).collect());
    assert_eq!(abs.children("18").count(), 15, "rule 18's items");
    assert!(abs.nodes().iter().all(|n| n.text.is_none()), "no owner's text is shipped");
    assert!(abs.nodes().iter().all(|n| n.flags.contains(&NodeFlag::StructureOnly)));
    let provisional: BTreeSet<&str> =
        abs.nodes().iter().filter(|n| n.flags.contains(&NodeFlag::ProvisionalNumbering)).map(|n| n.ref_id.as_str()).collect();
    assert_eq!(provisional, BTreeSet::from(["1", "2", "14"]));
    assert_eq!(abs.node("18.9").unwrap().number.as_deref(), Some("⑨"));
}

#[test]
fn seed003_checklist_and_csf_map() {
    let lib = library();
    let list = catalog(&lib, "space-contractor-checklist");
    assert_eq!(list.stats().requirements, 24);
    assert_eq!(list.def().answer_scale.as_deref(), Some("circle_cross"));
    assert_eq!(ja(list, "6"), "情報セキュリティ対策の実施状況に関する監査を実施している。");
    assert_eq!(ja(list, "24"), "重要情報の授受を伴う委託先には自社と同等の情報セキュリティ対策を求めている");
    let regs = catalog(&lib, "space-security-regulations");
    assert_eq!(title_ja(regs, "10"), "情報セキュリティインシデント対応及び事業継続管理");
    let targets: BTreeSet<String> =
        links_of(lib.mappings(), "space-security-regulations", "10").into_iter().map(|l| format!("{}:{}", l.catalog, l.ref_id)).collect();
    let expected: BTreeSet<String> =
        ["PR.IR", "DE.AE", "RS.MA", "RS.AN", "RS.CO", "RS.MI", "RC.RP", "RC.CO"].iter().map(|r| format!("nist-csf:{r}")).collect();
    assert_eq!(targets, expected, "chapter 10 → CSF categories");
}

#[test]
fn seed001_regulations_cite_iso_2013() {
    let lib = library();
    let regs = catalog(&lib, "company-isms-regulations");
    assert_eq!(regs.roots().count(), 14, "14 規程");
    assert_eq!(title_ja(regs, "sns"), "SNS 利用規程");
    let node = regs.node("system-admin.4.1.4").unwrap();
    assert_eq!(
        ja(regs, "system-admin.4.1.4"),
        "（１）システム及びアプリケーションを制御するためのシステムユーティリティプログラムの使用はシステム管理者に制限する。"
    );
    assert_eq!(node.cites, vec!["iso27001-2013:A.9.2.3", "iso27001-2013:A.9.4.4"]);
    // Every citation resolves in ISO 27001:2013, except those flagged as the source's errors.
    let iso = catalog(&lib, "iso27001-2013");
    for n in regs.nodes() {
        for cite in &n.cites {
            let r = cite.strip_prefix("iso27001-2013:").unwrap_or_else(|| panic!("{}: {cite}", n.ref_id));
            assert!(iso.node(r).is_some() || n.flags.contains(&NodeFlag::CitationError), "{}: {cite} resolves or is flagged", n.ref_id);
        }
    }
    assert!(regs.nodes().iter().any(|n| n.flags.contains(&NodeFlag::CitationError)), "the known citation errors are flagged");
}

#[test]
fn iso_annex_a_counts_and_mapping() {
    let lib = library();
    let a2013 = catalog(&lib, "iso27001-2013");
    assert_eq!(a2013.roots().count(), 14, "clauses A.5-A.18");
    assert_eq!(a2013.stats(), mamori_core::catalog::CatalogStats { groups: 49, requirements: 114, mandatory: 0, optional: 0 });
    let a2022 = catalog(&lib, "iso27001-2022");
    let per_theme: Vec<(String, usize)> = a2022.roots().map(|t| (t.ref_id.clone(), a2022.children(&t.ref_id).count())).collect();
    assert_eq!(per_theme, vec![("5".into(), 37), ("6".into(), 8), ("7".into(), 14), ("8".into(), 34)]);
    assert!(a2013.nodes().iter().all(|n| n.text.is_none()), "ISO's text is not shipped, only our own titles");
    let m = lib.mappings().iter().find(|m| m.key == "iso27001-2013-to-2022").unwrap();
    let mapped: BTreeSet<&str> = m.entries.iter().map(|e| e.source.as_str()).collect();
    let controls: BTreeSet<&str> = a2013.nodes().iter().filter(|n| n.kind == NodeKind::Requirement).map(|n| n.ref_id.as_str()).collect();
    assert_eq!(mapped, controls, "every 2013 control is mapped");
    let to_2022 = links_of(lib.mappings(), "iso27001-2013", "A.7.1.1");
    assert_eq!(to_2022.len(), 1);
    assert_eq!((to_2022[0].ref_id.as_str(), to_2022[0].relationship), ("6.1", Relationship::Equal));
    let back = links_of(lib.mappings(), "iso27001-2022", "8.8");
    assert!(back.iter().any(|l| l.ref_id == "A.12.6.1"), "read from the 2022 side too");
}

#[test]
fn nist_csf_counts_and_ids_match_the_reference_library() {
    let lib = library();
    let csf = catalog(&lib, "nist-csf");
    assert_eq!(csf.roots().count(), 6, "functions");
    assert_eq!(csf.stats().groups, 28, "6 functions + 22 categories");
    assert_eq!(csf.stats().requirements, 106, "subcategories");
    assert_eq!(
        csf.node("RS.AN-08").and_then(|n| n.text.as_ref()).and_then(|t| t.en.as_deref()),
        Some("An incident's magnitude is estimated and validated")
    );
    let Some(path) = shared("testdata/ciso-assistant/nist-csf-2.0.yaml") else { return };
    let doc: serde_json::Value = serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let theirs: BTreeSet<String> = doc["objects"]["framework"]["requirement_nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["ref_id"].as_str().map(str::to_string))
        .collect();
    let ours: BTreeSet<String> = csf.nodes().iter().map(|n| n.ref_id.clone()).collect();
    assert_eq!(ours, theirs, "the same functions, categories and subcategories as CISO Assistant's CSF 2.0");
}

#[test]
fn every_builtin_catalog_is_checked_and_distinct() {
    let lib = library();
    let urns: BTreeSet<&str> = lib.catalogs().iter().map(|c| c.def().urn.as_str()).collect();
    assert_eq!(urns.len(), lib.catalogs().len(), "URNs are unique");
    assert!(lib.catalogs().len() >= 8);
    for c in lib.catalogs() {
        assert!(c.def().source.is_some(), "{} names its source", c.key());
    }
}
