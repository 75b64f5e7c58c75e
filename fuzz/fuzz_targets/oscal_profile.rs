//! OSCAL profile JSON resolved against a small fixed catalog (never panicking).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mamori_core::catalog::CatalogDef;
use mamori_interop::CatalogImportLimits;
use mamori_interop::oscal::{import_catalog, resolve_profile};

/// Two groups, a nested group, controls with enhancements and props: enough for every
/// selection rule (with-ids, matching, with-child-controls, include-all, exclude-controls).
const BASE: &str = r#"{"catalog": {"uuid": "00000000-0000-4000-8000-000000000001",
  "metadata": {"title": "Fuzz base", "version": "1", "oscal-version": "1.1.2", "last-modified": "2026-01-01T00:00:00Z"},
  "groups": [
    {"id": "ac", "class": "family", "title": "Access Control", "controls": [
      {"id": "ac-1", "title": "Policy", "props": [{"name": "label", "value": "AC-1"}],
       "parts": [{"id": "ac-1_smt", "name": "statement", "prose": "Have a policy."}]},
      {"id": "ac-2", "title": "Accounts", "props": [{"name": "label", "value": "AC-2"}],
       "parts": [{"id": "ac-2_smt", "name": "statement", "prose": "Manage accounts."}],
       "controls": [
         {"id": "ac-2.1", "title": "Automated", "props": [{"name": "label", "value": "AC-2(1)"}],
          "parts": [{"id": "ac-2.1_smt", "name": "statement", "prose": "Automate it."}]},
         {"id": "ac-2.2", "title": "Temporary", "parts": [{"id": "ac-2.2_smt", "name": "statement", "prose": "Remove them."}]}
       ]},
      {"id": "ac-17", "title": "Remote", "parts": [{"id": "ac-17_smt", "name": "statement", "prose": "Control remote access."}]}
    ]},
    {"id": "ia", "title": "Identification", "groups": [
      {"id": "ia-x", "title": "Nested", "controls": [
        {"id": "ia-2", "title": "MFA", "parts": [{"id": "ia-2_smt", "name": "statement", "prose": "Use MFA."}],
         "controls": [{"id": "ia-2.1", "title": "Privileged", "parts": [{"id": "ia-2.1_smt", "name": "statement", "prose": "For admins."}]}]}
      ]}
    ]}
  ]}}"#;

fn base() -> &'static CatalogDef {
    static BASE_DEF: OnceLock<CatalogDef> = OnceLock::new();
    BASE_DEF.get_or_init(|| match import_catalog(BASE.as_bytes(), &CatalogImportLimits::default()) {
        Ok(def) => def,
        Err(e) => panic!("the fixed base catalog does not import: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let limits = CatalogImportLimits { max_bytes: 1024 * 1024, ..CatalogImportLimits::default() };
    let _ = resolve_profile(data, base(), &limits);
});
