//! A customer's checklist workbook: `checklist::read_checklist`, and when it succeeds,
//! `fill_checklist` with one answer (the first drop-down choice) and one comment in the first item.
//! The filled package must read again with that answer in that row; any panic is a finding.
//!
//! As in `sheet_xlsx`, a panic raised inside calamine's own source is left to unwind to
//! `read_xlsx`'s `catch_unwind` (which turns it into an error); any other panic aborts.
#![no_main]

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use mamori_interop::CatalogImportLimits;
use mamori_interop::checklist::{ChecklistOptions, FilledCell, fill_checklist, read_checklist};

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
                    eprintln!("checklist_xlsx: {n} panics inside calamine so far, left to read_xlsx's catch_unwind (last: {info})");
                }
            } else {
                abort_hook(info);
            }
        }));
    });
}

/// Smaller than the defaults so that a hostile input is refused quickly (as in sheet_common.rs).
fn limits() -> CatalogImportLimits {
    CatalogImportLimits { max_bytes: 1024 * 1024, max_text_chars: 10_000, ..CatalogImportLimits::default() }
}

fuzz_target!(|data: &[u8]| {
    tolerate_panics_inside_calamine();
    let options = ChecklistOptions::new("fuzz", "1");
    let Ok(checklist) = read_checklist(data, &options, &limits()) else { return };
    let Some(item) = checklist.items.first() else { return };
    let answer = checklist.answer_choices.first().cloned().unwrap_or_else(|| "○".to_string());
    let comment = checklist.columns.comment.map(|_| "根拠 <a> & \"b\"".to_string());
    let filled = [FilledCell { row: item.row, answer: Some(answer.clone()), comment }];
    if let Ok(out) = fill_checklist(data, &checklist, &filled) {
        let again = read_checklist(&out, &options, &limits()).unwrap_or_else(|e| panic!("the filled workbook does not read: {e}"));
        let found = again.items.iter().find(|i| i.row == item.row).map(|i| i.answer.as_str());
        assert_eq!(found, Some(answer.as_str()), "the answer does not read back");
    }
});
