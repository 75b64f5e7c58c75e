//! A supplier's submission package. The first byte chooses what the rest is:
//! - even: a package as it arrives. `submission::open` must return an error or a package whose
//!   every file matches its manifest entry;
//! - odd: a manifest in JSON. Its files get contents made from their paths, `submission::build`
//!   signs and packs them, and whatever `build` makes, `open` must accept with the same answers
//!   and files (or refuse only for size). The signature stops random bytes early, so this is how
//!   the checks after it (format, names, every file against the manifest) are reached.
//! Any panic is a finding. Small limits keep each run fast while still exercising every bound.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mamori_interop::submission::{Manifest, PackageError, PackageLimits, build, generate_key, open};

fn key() -> &'static [u8] {
    static KEY: OnceLock<Vec<u8>> = OnceLock::new();
    KEY.get_or_init(|| generate_key().expect("a signing key"))
}

fuzz_target!(|data: &[u8]| {
    let limits = PackageLimits { max_bytes: 1 << 20, max_unpacked: 4 << 20, max_entries: 64, max_manifest: 1 << 20 };
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        if let Ok(opened) = open(rest, &limits) {
            for f in &opened.manifest.files {
                assert_eq!(opened.files[&f.path].len() as u64, f.size);
            }
        }
        return;
    }
    let Ok(manifest) = serde_json::from_slice::<Manifest>(rest) else { return };
    let files: Vec<_> =
        manifest.files.iter().map(|f| (f.clone(), f.path.as_bytes().repeat((f.size % 64) as usize))).collect();
    let Ok(package) = build(manifest.clone(), files.clone(), key()) else { return };
    match open(&package, &limits) {
        Ok(opened) => {
            assert_eq!(opened.manifest.answers, manifest.answers);
            assert_eq!(opened.files.len(), files.len());
            for (f, bytes) in &files {
                assert_eq!(&opened.files[&f.path], bytes);
            }
        }
        Err(PackageError::TooLarge(_)) => {}
        Err(e) => panic!("open refused a package that build made: {e:?}"),
    }
});
