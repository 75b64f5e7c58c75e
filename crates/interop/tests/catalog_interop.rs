//! Catalog imports and exports against real files in `../shared/testdata/` (OSCAL from NIST,
//! libraries from CISO Assistant), round trips, and hostile input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use mamori_core::catalog::{Catalog, CatalogDef, CatalogLimits, NodeKind, Relationship};
use mamori_interop::catalog_error::{CatalogImportError, CatalogImportLimits, PARENT_REQUIREMENT};
use mamori_interop::ciso_assistant::{self, FrameworkRefs};
use mamori_interop::oscal;
use proptest::prelude::*;
use time::macros::datetime;

/// The shared test data, or `None` (after saying so) when it is not there. In CI it must be.
fn testdata(relative: &str) -> Option<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    if !dir.is_dir() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "../shared/testdata is missing in CI");
        println!("SKIP: ../shared/testdata is missing");
        return None;
    }
    Some(std::fs::read(dir.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}")))
}

const LOW_CATALOG: &str = "oscal/NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json";
const LOW_PROFILE: &str = "oscal/NIST_SP-800-53_rev5_LOW-baseline_profile.json";
const ISO_2013: &str = "ciso-assistant/iso27001-2013.yaml";
const CSF_2: &str = "ciso-assistant/nist-csf-2.0.yaml";
const ISO_MAPPING: &str = "ciso-assistant/mapping-iso27001-2013-to-iso27001-2022.yaml";

fn limits() -> CatalogImportLimits {
    CatalogImportLimits::default()
}

fn low() -> Option<CatalogDef> {
    let bytes = testdata(LOW_CATALOG)?;
    Some(oscal::import_catalog(&bytes, &limits()).unwrap_or_else(|e| panic!("{e}")))
}

fn node<'a>(def: &'a CatalogDef, r: &str) -> &'a mamori_core::catalog::NodeDef {
    def.nodes.iter().find(|n| n.ref_id == r).unwrap_or_else(|| panic!("no node {r}"))
}

fn en(t: &Option<mamori_core::catalog::LocalText>) -> &str {
    t.as_ref().and_then(|t| t.en.as_deref()).unwrap_or_default()
}

fn requirement_refs(def: &CatalogDef) -> Vec<String> {
    def.nodes.iter().filter(|n| n.kind == NodeKind::Requirement).map(|n| n.ref_id.clone()).collect()
}

// ------------------------------------------------------------------------------------------
// OSCAL

#[test]
fn low_baseline_has_149_controls_in_18_groups() {
    let Some(def) = low() else { return };
    let groups: Vec<_> = def.nodes.iter().filter(|n| n.kind == NodeKind::Group).collect();
    let requirements: Vec<_> = def.nodes.iter().filter(|n| n.kind == NodeKind::Requirement).collect();
    assert_eq!(groups.len(), 18);
    assert_eq!(requirements.len(), 149);
    let enhancements = requirements.iter().filter(|n| n.fields.contains_key(PARENT_REQUIREMENT)).count();
    assert_eq!(enhancements, 18);
    assert_eq!(requirements.len() - enhancements, 131);
    for n in &requirements {
        assert!(!n.ref_id.is_empty());
        assert!(!en(&n.title).is_empty(), "{} has no title", n.ref_id);
        assert!(!en(&n.text).is_empty(), "{} has no statement", n.ref_id);
        assert!(n.number.is_some(), "{} has no label", n.ref_id);
        assert!(n.parent.as_deref().is_some_and(|p| groups.iter().any(|g| g.ref_id == p)), "{} is not in a group", n.ref_id);
    }
    assert_eq!(def.key, "nist-special-publication-800-53-revision-5-1-1-low-impact");
    assert_eq!(def.edition, "5.1.1+u4");
    assert_eq!(def.name.en.as_deref(), Some("NIST Special Publication 800-53 Revision 5.1.1 LOW IMPACT BASELINE"));
}

#[test]
fn low_baseline_texts_are_exact() {
    let Some(def) = low() else { return };
    let ac = node(&def, "ac");
    assert_eq!(en(&ac.title), "Access Control");
    let ac1 = node(&def, "ac-1");
    assert_eq!(en(&ac1.title), "Policy and Procedures");
    assert_eq!(ac1.number.as_deref(), Some("AC-1"));
    assert_eq!(ac1.parent.as_deref(), Some("ac"));
    let text = en(&ac1.text);
    assert!(
        text.starts_with("a. Develop, document, and disseminate to [Assignment: organization-defined personnel or roles]:\n  1. [Selection (one or more): organization-level; mission/business process-level; system-level] access control policy that:\n    (a) Addresses purpose, scope, roles, responsibilities, management commitment, coordination among organizational entities, and compliance; and\n"),
        "{text}"
    );
    assert!(
        ac1.fields.get("guidance").is_some_and(|g| g.starts_with("Access control policy and procedures address the controls")),
        "{:?}",
        ac1.fields.get("guidance")
    );
    assert!(ac1.fields.contains_key("assessment-objective"));
    assert!(ac1.fields.get("assessment-method").is_some_and(|m| m.starts_with("EXAMINE")));

    let e = node(&def, "ia-2.1");
    assert_eq!(en(&e.title), "Multi-factor Authentication to Privileged Accounts");
    assert_eq!(e.number.as_deref(), Some("IA-2(1)"));
    assert_eq!(en(&e.text), "Implement multi-factor authentication for access to privileged accounts.");
    assert_eq!(e.fields.get(PARENT_REQUIREMENT).map(String::as_str), Some("ia-2"));
    assert_eq!(e.parent.as_deref(), Some("ia"));
    // Enhancements follow their control.
    let order = requirement_refs(&def);
    let at = |r: &str| order.iter().position(|x| x == r).unwrap();
    assert_eq!(at("ia-2.1"), at("ia-2") + 1);
    assert!(def.fields.iter().any(|f| f.key == PARENT_REQUIREMENT));
}

#[test]
fn low_profile_selects_the_same_149_ids() {
    let Some(def) = low() else { return };
    let Some(profile) = testdata(LOW_PROFILE) else { return };
    let resolved = oscal::resolve_profile(&profile, &def, &limits()).unwrap_or_else(|e| panic!("{e}"));
    let mut want = requirement_refs(&def);
    let mut got = requirement_refs(&resolved);
    assert_eq!(got.len(), 149);
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(resolved.nodes.iter().filter(|n| n.kind == NodeKind::Group).count(), 18);
    assert_eq!(resolved.edition, "5.1.1+u4");
    assert!(resolved.source.as_deref().is_some_and(|s| s.starts_with("OSCAL profile ")));
}

#[test]
fn profile_selection_rules() {
    let Some(def) = low() else { return };
    let profile = |imports: &str| {
        format!(r#"{{"profile": {{"uuid": "u", "metadata": {{"title": "Tiny baseline", "version": "1"}}, "imports": [{imports}]}}}}"#)
    };
    let refs = |json: String| requirement_refs(&oscal::resolve_profile(json.as_bytes(), &def, &limits()).unwrap_or_else(|e| panic!("{e}")));
    let with_children = refs(profile(r#"{"href": "x", "include-controls": [{"with-ids": ["ia-2"], "with-child-controls": "yes"}]}"#));
    assert_eq!(with_children, vec!["ia-2", "ia-2.1", "ia-2.2", "ia-2.8", "ia-2.12"]);
    let matched = refs(profile(
        r#"{"href": "x", "include-controls": [{"matching": [{"pattern": "ac-1*"}]}], "exclude-controls": [{"with-ids": ["ac-14"]}]}"#,
    ));
    assert_eq!(matched, vec!["ac-1", "ac-17", "ac-18", "ac-19"], "ac-14 excluded");
    let all_but = refs(profile(r#"{"href": "x", "include-all": {}, "exclude-controls": [{"with-ids": ["ac-1"]}]}"#));
    assert_eq!(all_but.len(), 148);
    let resolved =
        oscal::resolve_profile(profile(r#"{"href": "x", "include-controls": [{"with-ids": ["ac-1"]}]}"#).as_bytes(), &def, &limits())
            .unwrap();
    assert_eq!(resolved.key, "tiny-baseline");
    assert_eq!(resolved.nodes.len(), 2, "ac-1 and its group");

    let err = oscal::resolve_profile(
        profile(r#"{"href": "https://example.org/full-catalog.json", "include-controls": [{"with-ids": ["ac-1", "zz-9", "ac-2.4"]}]}"#)
            .as_bytes(),
        &def,
        &limits(),
    )
    .unwrap_err();
    match &err {
        CatalogImportError::ProfileIdsNotFound { count, sample, hrefs } => {
            assert_eq!(*count, 2);
            assert_eq!(sample, &vec!["zz-9".to_string(), "ac-2.4".to_string()]);
            assert_eq!(hrefs, &vec!["https://example.org/full-catalog.json".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.text().ja.contains("取得しない"));
}

#[test]
fn basic_catalog_imports() {
    let Some(bytes) = testdata("oscal/basic-catalog.json") else { return };
    let def = oscal::import_catalog(&bytes, &limits()).unwrap_or_else(|e| panic!("{e}"));
    let c = Catalog::check(def.clone(), &CatalogLimits::default()).unwrap();
    assert!(c.stats().requirements > 0);
    let s1 = node(&def, "s1");
    assert_eq!(s1.kind, NodeKind::Group);
    assert_eq!(en(&s1.title), "Organization of Information Security");
    assert_eq!(s1.number.as_deref(), Some("1"));
    let ctl = node(&def, "s1.1.1");
    assert_eq!(ctl.parent.as_deref(), Some("s1.1"));
    assert_eq!(en(&ctl.title), "Information security roles and responsibilities");
    // A selection whose choice inserts another parameter.
    assert!(
        en(&ctl.text).contains("A value has been assigned to [Selection (one or more): initiating a device lock after [Assignment: a duration] of inactivity; requiring the user to initiate a device lock before leaving the system unattended]."),
        "{}",
        en(&ctl.text)
    );
    assert!(ctl.fields.contains_key("overview"));
}

#[test]
fn oscal_export_reimports_with_same_refs_titles_and_statements() {
    let Some(def) = low() else { return };
    let json = oscal::export_catalog(&def, datetime!(2026-11-22 09:30:00 +9)).unwrap();
    assert!(json.contains(r#""oscal-version": "1.1.2""#));
    assert!(json.contains(r#""last-modified": "2026-11-22T09:30:00+09:00""#));
    // Enhancements are nested in their controls again.
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ia = value["catalog"]["groups"].as_array().unwrap().iter().find(|g| g["id"] == "ia").unwrap();
    let ia2 = ia["controls"].as_array().unwrap().iter().find(|c| c["id"] == "ia-2").unwrap();
    assert_eq!(ia2["controls"].as_array().map(Vec::len), Some(4));
    assert_eq!(ia2["props"][0]["value"], "IA-2");

    let again = oscal::import_catalog(json.as_bytes(), &limits()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.key, def.key);
    assert_eq!(again.edition, def.edition);
    assert_eq!(again.urn, def.urn);
    assert_eq!(again.nodes.len(), def.nodes.len());
    for (a, b) in def.nodes.iter().zip(&again.nodes) {
        assert_eq!(a.ref_id, b.ref_id);
        assert_eq!(a.kind, b.kind);
        assert_eq!(a.parent, b.parent, "{}", a.ref_id);
        assert_eq!(a.number, b.number, "{}", a.ref_id);
        assert_eq!(a.title, b.title, "{}", a.ref_id);
        assert_eq!(a.text, b.text, "{}", a.ref_id);
        assert_eq!(a.fields, b.fields, "{}", a.ref_id);
    }
    assert_eq!(again.nodes, def.nodes);
    // The same catalog at the same time gives the same document.
    assert_eq!(oscal::export_catalog(&def, datetime!(2026-11-22 09:30:00 +9)).unwrap(), json);
    if let Ok(dir) = std::env::var("MAMORI_OSCAL_EXPORT_DIR") {
        std::fs::write(PathBuf::from(dir).join("low-roundtrip.json"), &json).unwrap();
    }
}

#[test]
fn oscal_export_keeps_japanese_and_odd_refs() {
    let yaml = r#"
key: sample
edition: "第2版"
urn: "urn:mamori:catalog:sample:v2"
name: {ja: "サンプル基準", en: "Sample standard"}
language: ja
fields:
  - {key: purpose, name: {ja: 目的, en: Purpose}}
  - {key: statement, name: {ja: 本文の別名, en: Another statement}}
nodes:
  - {ref: "1", kind: group, number: "1", title: {ja: 方針, en: Policy}}
  - {ref: "1.R1", parent: "1", kind: requirement, text: {ja: "方針を定めている"}, fields: {purpose: "会社として", statement: "x"}}
  - {ref: "第2章", kind: group, title: {ja: 組織}}
  - {ref: "a_b", parent: "第2章", kind: requirement, title: {ja: 役割, en: Roles}, text: {ja: "役割を定める", en: "Define roles"}}
"#;
    let def: CatalogDef = serde_saphyr::from_str(yaml).unwrap();
    let def = Catalog::check(def, &CatalogLimits::default()).unwrap().into_def();
    let json = oscal::export_catalog(&def, datetime!(2026-01-01 00:00:00 UTC)).unwrap();
    assert!(json.contains(r#""id": "_1.R1""#), "{json}");
    if let Ok(dir) = std::env::var("MAMORI_OSCAL_EXPORT_DIR") {
        std::fs::write(PathBuf::from(dir).join("japanese.json"), &json).unwrap();
    }
    let again = oscal::import_catalog(json.as_bytes(), &limits()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.key, "sample");
    assert_eq!(again.urn, def.urn);
    assert_eq!(again.edition, def.edition);
    assert_eq!(again.language, def.language);
    assert_eq!(again.name, def.name);
    for (a, b) in def.nodes.iter().zip(&again.nodes) {
        assert_eq!(
            (&a.ref_id, &a.parent, &a.number, &a.title, &a.text, &a.fields),
            (&b.ref_id, &b.parent, &b.number, &b.title, &b.text, &b.fields)
        );
    }
}

// ------------------------------------------------------------------------------------------
// CISO Assistant

fn ciso(relative: &str) -> Option<ciso_assistant::CisoImport> {
    let bytes = testdata(relative)?;
    Some(ciso_assistant::import_library(&bytes, &limits()).unwrap_or_else(|e| panic!("{relative}: {e}")))
}

#[test]
fn iso27001_2013_library_imports() {
    let Some(import) = ciso(ISO_2013) else { return };
    let def = &import.catalog;
    // 26 assessable clauses 4-10 plus the 114 Annex A controls.
    let requirements = requirement_refs(def);
    assert_eq!(requirements.len(), 140);
    assert_eq!(requirements.iter().filter(|r| r.starts_with("A.")).count(), 114);
    assert_eq!(def.nodes.len(), 200);
    assert_eq!(def.key, "iso27001-2013");
    assert_eq!(def.edition, "1");
    assert_eq!(def.urn, "urn:intuitem:risk:framework:iso27001-2013");
    assert_eq!(def.source.as_deref(), Some("CISO Assistant library urn:intuitem:risk:library:iso27001-2013"));
    let a = node(def, "A.5.1.1");
    assert_eq!(en(&a.title), "Policies for information security");
    assert_eq!(a.parent.as_deref(), Some("A.5.1"));
    assert_eq!(en(&node(def, "4").title), "Context of the organization ", "texts are kept exactly");
    // Nodes without a ref_id get the end of their URN; no URN needs storing.
    assert_eq!(node(def, "core").kind, NodeKind::Group);
    assert_eq!(node(def, "annex-a").kind, NodeKind::Group);
    assert!(def.nodes.iter().all(|n| !n.fields.contains_key("urn")));
    assert!(import.dropped_translations.is_empty());
}

#[test]
fn nist_csf_library_imports() {
    let Some(import) = ciso(CSF_2) else { return };
    let def = &import.catalog;
    assert_eq!(requirement_refs(def).len(), 106, "the subcategories");
    assert_eq!(def.nodes.len() - 106, 28, "6 functions and 22 categories");
    let gv = node(def, "GV.OC-01");
    assert_eq!(en(&gv.text), "The organizational mission is understood and informs cybersecurity risk management");
    assert!(gv.title.is_none());
    assert!(gv.fields.get("annotation").is_some_and(|a| a.starts_with("1st: 1st Party Risk\nEx1:")));
    assert_eq!(en(&node(def, "GV").title), "GOVERN");
    // French and Spanish: 134 nodes plus the library itself.
    assert_eq!(import.dropped_translations, BTreeMap::from([("es".to_string(), 135), ("fr".to_string(), 135)]));
}

#[test]
fn ciso_libraries_round_trip_identically() {
    for file in [ISO_2013, CSF_2] {
        let Some(first) = ciso(file) else { return };
        let yaml = ciso_assistant::export_library(&first.catalog).unwrap();
        let second = ciso_assistant::import_library(yaml.as_bytes(), &limits()).unwrap_or_else(|e| panic!("{file}: {e}\n{yaml}"));
        assert_eq!(second.catalog, first.catalog, "{file}");
        // Node URNs are reproduced.
        let original: serde_json::Value = serde_saphyr::from_slice(&testdata(file).unwrap()).unwrap();
        let written: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
        let urns = |v: &serde_json::Value| -> Vec<String> {
            v["objects"]["framework"]["requirement_nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["urn"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(urns(&written), urns(&original), "{file}");
        assert_eq!(written["urn"], original["urn"]);
    }
}

#[test]
fn ciso_round_trip_of_requirements_under_requirements_and_japanese() {
    let yaml = r#"
urn: urn:example:library:nested
locale: ja
ref_id: nested-sample
name: 入れ子の例
version: 3
translations:
  en: {name: Nested sample}
  de: {name: Verschachtelt}
objects:
  framework:
    urn: urn:example:framework:nested
    ref_id: nested
    name: 入れ子の例
    requirement_nodes:
      - {urn: "urn:example:req_node:nested:1", assessable: false, ref_id: "1", name: 方針}
      - {urn: "urn:example:req_node:nested:1.1", assessable: true, parent_urn: "urn:example:req_node:nested:1", ref_id: "1.1", name: 方針の策定, description: 方針を定める, translations: {en: {name: Policy, description: Define a policy}}}
      - {urn: "urn:example:req_node:nested:1.1.a", assessable: true, parent_urn: "urn:example:req_node:nested:1.1", ref_id: "1.1.a", description: 承認を得る}
      - {urn: "urn:other:Dup", assessable: true, parent_urn: "urn:example:req_node:nested:1", ref_id: "X", description: 一つ目}
      - {urn: "urn:other:Dup2", assessable: true, parent_urn: "urn:example:req_node:nested:1", ref_id: "X", description: 二つ目}
"#;
    let first = ciso_assistant::import_library(yaml.as_bytes(), &limits()).unwrap_or_else(|e| panic!("{e}"));
    let def = &first.catalog;
    assert_eq!(def.key, "nested-sample");
    assert_eq!(def.edition, "3");
    assert_eq!(def.name.ja.as_deref(), Some("入れ子の例"));
    assert_eq!(def.name.en.as_deref(), Some("Nested sample"));
    assert_eq!(first.dropped_translations.get("de"), Some(&1));
    let sub = node(def, "1.1.a");
    assert_eq!(sub.parent.as_deref(), Some("1"));
    assert_eq!(sub.fields.get(PARENT_REQUIREMENT).map(String::as_str), Some("1.1"));
    let r = node(def, "1.1");
    assert_eq!(r.title.as_ref().and_then(|t| t.en.as_deref()), Some("Policy"));
    // Duplicate ref_ids fall back to URN suffixes and keep the ref_id as an attribute.
    let dup = node(def, "Dup");
    assert_eq!(dup.fields.get("ref_id").map(String::as_str), Some("X"));
    assert_eq!(dup.fields.get("urn").map(String::as_str), Some("urn:other:Dup"));
    let yaml2 = ciso_assistant::export_library(def).unwrap();
    let second = ciso_assistant::import_library(yaml2.as_bytes(), &limits()).unwrap_or_else(|e| panic!("{e}\n{yaml2}"));
    assert_eq!(&second.catalog, def, "{yaml2}");
    assert!(yaml2.contains("parent_urn: urn:example:req_node:nested:1.1\n"), "{yaml2}");
}

#[test]
fn iso_mapping_imports_against_the_source_catalog_and_target_urns() {
    let Some(source) = ciso(ISO_2013) else { return };
    let Some(bytes) = testdata(ISO_MAPPING) else { return };
    let source_refs = FrameworkRefs::of(&source.catalog);
    // iso27001-2022 is not in the test data: build its side from the mapping's own target URNs,
    // with refs as CISO Assistant writes them (upper-case letters, as in "A.5.31").
    let doc: serde_json::Value = serde_saphyr::from_slice(&bytes).unwrap();
    let mappings = doc["objects"]["requirement_mapping_set"]["requirement_mappings"].as_array().unwrap();
    let target_refs: HashMap<String, String> = mappings
        .iter()
        .map(|m| {
            let urn = m["target_requirement_urn"].as_str().unwrap().to_string();
            let r = urn.rsplit(':').next().unwrap().to_uppercase();
            (urn, r)
        })
        .collect();
    let target = FrameworkRefs {
        catalog: "iso27001-2022".into(),
        framework_urn: Some("urn:intuitem:risk:framework:iso27001-2022".into()),
        refs: target_refs,
    };
    let mapping = ciso_assistant::import_mapping(&bytes, &limits(), &source_refs, &target).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mapping.key, "mapping-iso27001-2013-to-iso27001-2022");
    assert_eq!(mapping.source, "iso27001-2013");
    assert_eq!(mapping.target, "iso27001-2022");
    assert_eq!(mapping.entries.len(), 134);
    let count = |rel: Relationship| mapping.entries.iter().filter(|e| e.relationship == rel).count();
    assert_eq!(
        (count(Relationship::Equal), count(Relationship::Subset), count(Relationship::Superset), count(Relationship::Intersect)),
        (77, 48, 6, 3)
    );
    let e = mapping.entries.iter().find(|e| e.source == "A.18.1.5").unwrap();
    assert_eq!((e.target.as_str(), e.relationship), ("A.5.31", Relationship::Subset));
    // Every source ref is a node of the source catalog.
    let c = Catalog::check(source.catalog.clone(), &CatalogLimits::default()).unwrap();
    assert!(mapping.entries.iter().all(|e| c.node(&e.source).is_some()));

    // The wrong catalog for a side is refused with where the mapping names it.
    let Some(csf) = ciso(CSF_2) else { return };
    let err = ciso_assistant::import_mapping(&bytes, &limits(), &FrameworkRefs::of(&csf.catalog), &target).unwrap_err();
    assert!(matches!(err, CatalogImportError::WrongFramework { side: "source", .. }), "{err:?}");
    assert_eq!(err.location().and_then(|l| l.path.as_deref()), Some("objects.requirement_mapping_set.source_framework_urn"));
    // An unknown URN names its entry and line.
    let mut partial = target.clone();
    partial.refs.retain(|u, _| !u.ends_with(":a.5.31"));
    let err = ciso_assistant::import_mapping(&bytes, &limits(), &source_refs, &partial).unwrap_err();
    let loc = err.location().unwrap();
    assert!(loc.path.as_deref().is_some_and(|p| p.ends_with("].target_requirement_urn")), "{err:?}");
    assert!(loc.line.is_some(), "{err:?}");
}

#[test]
fn a_risk_matrix_is_not_a_framework() {
    let Some(bytes) = testdata("ciso-assistant/risk-matrix-5x5-iso-27005.yaml") else { return };
    let err = ciso_assistant::import_library(&bytes, &limits()).unwrap_err();
    assert_eq!(err, CatalogImportError::NotAFramework { expected: "framework" });
}

// ------------------------------------------------------------------------------------------
// Hostile and broken input

#[test]
fn truncated_json_is_located() {
    let Some(bytes) = testdata(LOW_CATALOG) else { return };
    let cut = &bytes[..bytes.len() / 2];
    let err = oscal::import_catalog(cut, &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::Truncated { .. }), "{err:?}");
    let path = err.location().and_then(|l| l.path.clone()).unwrap_or_default();
    assert!(path.starts_with("catalog.groups["), "{path}");
    assert!(!err.text().ja.is_empty() && !err.text().en.is_empty());
}

#[test]
fn wrong_types_are_located_by_path() {
    let json = br#"{"catalog": {"uuid": "u", "metadata": {"title": "T", "version": "1"},
        "groups": [{"id": "g", "title": "G", "controls": [{"id": "c-1", "title": "C"}, {"id": 7, "title": "D"}]}]}}"#;
    let err = oscal::import_catalog(json, &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::WrongShape { .. }), "{err:?}");
    let loc = err.location().unwrap();
    assert_eq!(loc.path.as_deref(), Some("catalog.groups[0].controls[1].id"), "{err}");
    assert_eq!(loc.line, Some(2));

    let missing = br#"{"catalog": {"uuid": "u", "metadata": {"title": "T"}, "controls": [{"title": "no id"}]}}"#;
    let err = oscal::import_catalog(missing, &limits()).unwrap_err();
    assert_eq!(err.location().and_then(|l| l.path.as_deref()), Some("catalog.controls[0]"), "{err}");
    assert!(err.to_string().contains("missing field `id`"), "{err}");

    let not_oscal = br#"{"profile": {}}"#;
    assert!(oscal::import_catalog(not_oscal, &limits()).is_err());

    let yaml = b"urn: urn:x:library:y\nobjects:\n  framework:\n    urn: urn:x:framework:y\n    requirement_nodes:\n      - urn: urn:x:req_node:y:1\n        assessable: [1, 2]\n";
    let err = ciso_assistant::import_library(yaml, &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::WrongShape { .. }), "{err:?}");
    assert_eq!(err.location().and_then(|l| l.line), Some(7), "{err}");

    let orphan = b"urn: urn:x:library:y\nobjects:\n  framework:\n    urn: urn:x:framework:y\n    requirement_nodes:\n      - {urn: 'urn:x:req_node:y:1', assessable: true, parent_urn: 'urn:x:req_node:y:0', description: x}\n";
    let err = ciso_assistant::import_library(orphan, &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::UnknownParent { .. }), "{err:?}");
    assert_eq!(err.location().and_then(|l| l.path.as_deref()), Some("objects.framework.requirement_nodes[0].parent_urn"));
}

/// Groups nested `levels` deep, with one control at the bottom.
fn nested_groups(levels: usize) -> String {
    let mut json = String::from(r#"{"catalog": {"uuid": "u", "metadata": {"title": "Deep"}, "groups": ["#);
    for i in 0..levels {
        json.push_str(&format!(r#"{{"id": "g{i}", "title": "G{i}", "groups": ["#));
    }
    json.push_str(&"]}".repeat(levels));
    json.push_str("]}}");
    json
}

#[test]
fn nesting_beyond_the_limit_is_refused() {
    let max = limits().max_depth;
    assert!(oscal::import_catalog(nested_groups(max).as_bytes(), &limits()).is_ok());
    let err = oscal::import_catalog(nested_groups(max + 10).as_bytes(), &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::TooDeep { max: 16, .. }), "{err:?}");
    assert!(err.location().and_then(|l| l.path.as_deref()).is_some_and(|p| p.starts_with("catalog.groups[0].groups[0]")));
    // Far deeper than any parser frame budget: refused, not a stack overflow.
    let err = oscal::import_catalog(nested_groups(5_000).as_bytes(), &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::ResourceLimit { .. }), "{err:?}");
    let err = oscal::import_catalog("[".repeat(100_000).as_bytes(), &limits()).unwrap_err();
    assert!(err.location().is_some(), "{err:?}");
    let err = ciso_assistant::import_library("[".repeat(100_000).as_bytes(), &limits()).unwrap_err();
    assert!(err.location().is_some_and(|l| l.line.is_some()), "{err:?}");
    let block: String = (0..1_000).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    let err = ciso_assistant::import_library(block.as_bytes(), &limits()).unwrap_err();
    assert!(err.location().is_some(), "{err:?}");

    // CISO Assistant: a parent chain 10 levels past the limit.
    let mut yaml = String::from("urn: urn:x:library:d\nobjects:\n  framework:\n    urn: urn:x:framework:d\n    requirement_nodes:\n");
    for i in 0..max + 10 {
        let parent = if i == 0 { String::new() } else { format!(", parent_urn: 'urn:x:req_node:d:{}'", i - 1) };
        yaml.push_str(&format!("      - {{urn: 'urn:x:req_node:d:{i}', name: 'N{i}'{parent}}}\n"));
    }
    let err = ciso_assistant::import_library(yaml.as_bytes(), &limits()).unwrap_err();
    match &err {
        CatalogImportError::Catalog { location, .. } => {
            assert_eq!(location.path.as_deref(), Some("objects.framework.requirement_nodes[16]"), "{err}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn size_and_count_limits() {
    let small = CatalogImportLimits { max_bytes: 100, ..limits() };
    let big = nested_groups(3).repeat(2);
    assert_eq!(oscal::import_catalog(big.as_bytes(), &small).unwrap_err(), CatalogImportError::TooLarge { limit: 100 });
    assert_eq!(ciso_assistant::import_library(big.as_bytes(), &small).unwrap_err(), CatalogImportError::TooLarge { limit: 100 });
    assert!(matches!(oscal::resolve_profile(big.as_bytes(), &empty_catalog(), &small), Err(CatalogImportError::TooLarge { .. })));
    let few = CatalogImportLimits { max_nodes: 2, ..limits() };
    let err = oscal::import_catalog(nested_groups(3).as_bytes(), &few).unwrap_err();
    assert!(matches!(err, CatalogImportError::TooManyNodes { max: 2, .. }), "{err:?}");
}

fn empty_catalog() -> CatalogDef {
    serde_saphyr::from_str("key: e\nedition: '1'\nurn: urn:e\nname: {en: E}\nnodes: []\n").unwrap()
}

#[test]
fn yaml_alias_bomb_is_refused() {
    let mut yaml = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        yaml.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    yaml.push_str("urn: *a11\n");
    let err = ciso_assistant::import_library(yaml.as_bytes(), &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::ResourceLimit { .. }), "{err:?}");
    assert!(err.location().is_some_and(|l| l.line.is_some()), "{err:?}");
}

#[test]
fn truncated_and_broken_yaml_is_located() {
    let Some(bytes) = testdata(ISO_2013) else { return };
    // Cut inside a quoted scalar (a cut elsewhere can leave valid YAML).
    let quote = bytes.iter().position(|&b| b == b'"').unwrap();
    let err = ciso_assistant::import_library(&bytes[..quote + 10], &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::Truncated { .. } | CatalogImportError::Syntax { .. }), "{err:?}");
    assert!(err.location().is_some_and(|l| l.line.is_some()), "{err:?}");
    let err = ciso_assistant::import_library(b"urn: [unclosed\n", &limits()).unwrap_err();
    assert!(err.location().is_some_and(|l| l.line.is_some()), "{err:?}");
    let err = ciso_assistant::import_library(b"\xff\xfe\x00", &limits()).unwrap_err();
    assert!(!err.text().en.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let l = limits();
        let _ = oscal::import_catalog(&bytes, &l);
        let _ = oscal::resolve_profile(&bytes, &empty_catalog(), &l);
        let _ = ciso_assistant::import_library(&bytes, &l);
        let refs = FrameworkRefs { catalog: "a".into(), framework_urn: None, refs: HashMap::new() };
        let _ = ciso_assistant::import_mapping(&bytes, &l, &refs, &refs);
    }

    #[test]
    fn json_like_text_never_panics(text in r#"[\{\}\[\]":,a-z0-9 \\{}]{0,400}"#) {
        let prefixed = format!(r#"{{"catalog": {{"uuid": "u", "metadata": {{"title": "t"}}, "groups": [{text}"#);
        let _ = oscal::import_catalog(prefixed.as_bytes(), &limits());
        let _ = oscal::import_catalog(text.as_bytes(), &limits());
    }

    #[test]
    fn yaml_like_text_never_panics(text in r#"[a-z:\-\[\]{}&*!|>'" \n0-9]{0,400}"#) {
        let _ = ciso_assistant::import_library(text.as_bytes(), &limits());
        let prefixed = format!("urn: urn:a\nobjects:\n  framework:\n    urn: urn:b\n    requirement_nodes:\n{text}");
        let _ = ciso_assistant::import_library(prefixed.as_bytes(), &limits());
    }
}

#[test]
fn nested_parameter_insertions_cannot_explode() {
    // Each level inserts the next 200 times: 200^4 expansions if nothing stopped it.
    let inserts = |id: &str| format!("{{{{ insert: param, {id} }}}} ").repeat(200);
    let params: Vec<String> = (0..6)
        .map(|i| format!(r#"{{"id": "p{i}", "label": "{}"}}"#, if i == 5 { "end".to_string() } else { inserts(&format!("p{}", i + 1)) }))
        .collect();
    let json = format!(
        r#"{{"catalog": {{"uuid": "u", "metadata": {{"title": "Bomb"}}, "params": [{}], "controls": [{{"id": "c", "title": "C", "parts": [{{"name": "statement", "prose": "{}"}}]}}]}}}}"#,
        params.join(","),
        inserts("p0")
    );
    let started = std::time::Instant::now();
    let result = oscal::import_catalog(json.as_bytes(), &CatalogImportLimits { max_bytes: 4 * 1024 * 1024, ..limits() });
    assert!(started.elapsed().as_secs() < 20, "took {:?}", started.elapsed());
    // The statement is far too long for a catalog: refused, with the control's place.
    let err = result.unwrap_err();
    assert!(matches!(err, CatalogImportError::Catalog { .. }), "{err:?}");
    assert_eq!(err.location().and_then(|l| l.path.as_deref()), Some("catalog.controls[0]"));
}

#[test]
fn long_enhancement_chains_export_flat_beyond_a_depth() {
    let mut yaml = String::from(
        "key: chain\nedition: '1'\nurn: urn:chain\nname: {en: Chain}\nfields: [{key: parent_requirement, name: {en: Enhancement of}}]\nnodes:\n  - {ref: g, kind: group, title: {en: G}}\n",
    );
    for i in 0..1_000 {
        let base = if i == 0 { String::new() } else { format!(", fields: {{parent_requirement: r{}}}", i - 1) };
        yaml.push_str(&format!("  - {{ref: r{i}, parent: g, kind: requirement, title: {{en: R{i}}}{base}}}\n"));
    }
    let def: CatalogDef = serde_saphyr::from_str(&yaml).unwrap();
    let json = oscal::export_catalog(&def, datetime!(2026-01-01 00:00:00 UTC)).unwrap();
    let again = oscal::import_catalog(json.as_bytes(), &limits()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.nodes, def.nodes);
    let yaml = ciso_assistant::export_library(&def).unwrap();
    let again = ciso_assistant::import_library(yaml.as_bytes(), &limits()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(requirement_refs(&again.catalog), requirement_refs(&def));
}

#[test]
fn a_profile_cannot_ask_for_unbounded_matching() {
    let patterns = vec![r#"{"pattern": "*a*b*c*"}"#; 5_000].join(",");
    let json = format!(
        r#"{{"profile": {{"uuid": "u", "metadata": {{"title": "P"}}, "imports": [{{"href": "x", "include-controls": [{{"matching": [{patterns}]}}]}}]}}}}"#
    );
    let err = oscal::resolve_profile(json.as_bytes(), &empty_catalog(), &limits()).unwrap_err();
    assert!(matches!(err, CatalogImportError::ResourceLimit { .. }), "{err:?}");
}
