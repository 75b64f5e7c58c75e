//! OSCAL catalog JSON: import, and for every accepted input, export and re-import.
//! A panic, or an accepted catalog that does not export or does not read back, is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_interop::CatalogImportLimits;
use mamori_interop::oscal::{export_catalog, import_catalog};
use time::OffsetDateTime;

/// The defaults, with a 1 MB file size (libFuzzer's inputs are far smaller; same code paths).
fn limits() -> CatalogImportLimits {
    CatalogImportLimits { max_bytes: 1024 * 1024, ..CatalogImportLimits::default() }
}

fuzz_target!(|data: &[u8]| {
    let limits = limits();
    let Ok(def) = import_catalog(data, &limits) else { return };
    let json = match export_catalog(&def, OffsetDateTime::UNIX_EPOCH) {
        Ok(json) => json,
        Err(e) => panic!("an imported catalog does not export: {e}\n{def:?}"),
    };
    if let Err(e) = import_catalog(json.as_bytes(), &CatalogImportLimits::default()) {
        panic!("an exported catalog does not re-import: {e}\n{json}");
    }
});
