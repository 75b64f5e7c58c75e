//! A supplier's submission package: `submission::open` on arbitrary bytes must return an error
//! or a package whose every file matches its manifest entry; any panic is a finding. Small
//! limits keep each run fast while still exercising every bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_interop::submission::{PackageLimits, open};

fuzz_target!(|data: &[u8]| {
    let limits = PackageLimits { max_bytes: 1 << 20, max_unpacked: 4 << 20, max_entries: 64, max_manifest: 1 << 20 };
    if let Ok(opened) = open(data, &limits) {
        for f in &opened.manifest.files {
            let content = &opened.files[&f.path];
            assert_eq!(content.len() as u64, f.size);
        }
    }
});
