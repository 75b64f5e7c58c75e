//! xlsx workbooks: read, then every importer the layout leads to (never panicking).
//!
//! calamine 0.38 panics on some malformed parts when overflow checks are on, as they are in
//! these builds (its cell-reference parser multiplies without a check: `ZZZZZZZ1`,
//! `A99999999999`; see crates/interop/tests/fuzz_regressions.rs). `read_xlsx` catches those
//! panics and returns an error, which is the behaviour under test; but libFuzzer's panic hook
//! aborts on every panic, caught or not. So the hook lets a panic raised inside calamine's own
//! source unwind to `read_xlsx`'s `catch_unwind`; any other panic (Mamori's code, the standard
//! library, another crate), and any panic that is not caught, still aborts and is a finding.
#![no_main]

#[path = "sheet_common.rs"]
mod sheet_common;

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use mamori_interop::catalog_sheet::read_xlsx;

static CAUGHT_IN_CALAMINE: AtomicU64 = AtomicU64::new(0);

fn tolerate_panics_inside_calamine() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let inside_calamine = info.location().is_some_and(|l| l.file().replace('\\', "/").contains("/calamine-"));
            if inside_calamine {
                let n = CAUGHT_IN_CALAMINE.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_power_of_two() {
                    eprintln!("sheet_xlsx: {n} panics inside calamine so far, left to read_xlsx's catch_unwind (last: {info})");
                }
            } else {
                abort_hook(info);
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    tolerate_panics_inside_calamine();
    if let Ok(workbook) = read_xlsx(data, &sheet_common::sheet_limits()) {
        sheet_common::exercise(&workbook);
    }
});
