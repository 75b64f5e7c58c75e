//! CISO Assistant framework library YAML: import, and for every accepted input, export and
//! re-import. A panic, or an accepted library that does not export or read back, is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_interop::CatalogImportLimits;
use mamori_interop::ciso_assistant::{export_library, import_library};

fuzz_target!(|data: &[u8]| {
    let limits = CatalogImportLimits { max_bytes: 1024 * 1024, ..CatalogImportLimits::default() };
    let Ok(first) = import_library(data, &limits) else { return };
    let yaml = match export_library(&first.catalog) {
        Ok(yaml) => yaml,
        Err(e) => panic!("an imported library does not export: {e}\n{:?}", first.catalog),
    };
    if let Err(e) = import_library(yaml.as_bytes(), &CatalogImportLimits::default()) {
        panic!("an exported library does not re-import: {e}\n{yaml}");
    }
});
