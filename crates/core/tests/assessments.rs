//! Assessment rules on the built-in library: scales, scoring of Kubota's 153 items per label and
//! per 必須/任意, the gap rule as data, year-on-year carry-forward and comparison, and a property
//! test that scoring never panics whatever the answers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use std::collections::{BTreeMap, BTreeSet};

use mamori_core::assessment::{
    AnswerInput, AnswerScale, Answerer, AssessmentState, ItemState, Meaning, ScoringRules, ScoringRulesDef, carry_forward, compare,
    record_answer, scope_items, score, unanswered_mandatory,
};
use mamori_core::catalog::{AnswerTarget, Catalog};
use mamori_core::ids::PersonId;
use mamori_core::library::Library;
use proptest::prelude::*;
use time::OffsetDateTime;

fn library() -> Library {
    Library::builtin().expect("the built-in library loads")
}

fn person(n: u128) -> PersonId {
    PersonId::from_uuid(uuid::Uuid::from_u128(n))
}

fn answer(scale: &AnswerScale, states: &mut BTreeMap<String, ItemState>, r: &str, value: &str) {
    let item = states.get(r).cloned().unwrap_or_default();
    let input = AnswerInput { answerer: Answerer::Primary, value: value.to_string(), comment: String::new() };
    if let Some(next) = record_answer(AssessmentState::InProgress, scale, &item, &input, person(1), OffsetDateTime::UNIX_EPOCH).unwrap() {
        states.insert(r.to_string(), next);
    }
}

#[test]
fn the_library_declares_the_scales_the_issue_names() {
    let lib = library();
    let default = lib.scale("done_partial_none_na").unwrap();
    let labels: Vec<&str> = default.values.iter().map(|v| v.label.ja.as_str()).collect();
    assert_eq!(labels, ["実施済", "一部実施", "未実施", "該当なし"]);
    let ipa = lib.scale("ipa_self_check").unwrap();
    let points: Vec<i32> = ipa.values.iter().map(|v| v.points()).collect();
    assert_eq!(points, [4, 2, 0, -1]);
    assert_eq!(ipa.max_points(), 4);
    let circle = lib.scale("circle_cross").unwrap();
    assert_eq!(circle.parse("〇").map(|v| v.meaning), Some(Meaning::Met));
    assert_eq!(circle.parse("×").map(|v| v.meaning), Some(Meaning::NotMet));
    // Each catalog's default scale exists; seed 003's contractor list is answered ○/×.
    let contractors = lib.catalog("space-contractor-checklist", None).unwrap();
    assert_eq!(lib.scale_for(contractors).map(|s| s.key.as_str()), Some("circle_cross"));
    // Full-width digits are the IPA points too.
    assert_eq!(ipa.parse("４").map(|v| v.key.as_str()), Some("4"));
}

fn kubota(lib: &Library) -> &Catalog {
    lib.catalog("kubota-supplier", None).unwrap()
}

#[test]
fn kubota_is_scored_per_label_and_per_mandatory_and_optional() {
    let lib = library();
    let catalog = kubota(&lib);
    let items = scope_items(catalog, None);
    assert_eq!(items.len(), 153);
    let scale = lib.scale("done_partial_none_na").unwrap();
    let mut states = BTreeMap::new();
    // Unanswered: every 必須 item is a gap and blocks submission.
    let s = score(catalog, &items, scale, &states, lib.scoring());
    assert_eq!((s.overall.items, s.mandatory.items, s.optional.items), (153, 129, 24));
    assert_eq!(s.gaps.len(), 129);
    assert_eq!(unanswered_mandatory(&items, &states).len(), 129);
    assert_eq!(s.groups.len(), 24, "one tally per ラベル");
    // Answer everything 実施済 except: one 必須 未実施, one 必須 一部実施, one 任意 未実施, one 該当なし.
    let mandatory: Vec<&str> =
        items.iter().filter(|n| n.answer_target == Some(AnswerTarget::Mandatory)).map(|n| n.ref_id.as_str()).collect();
    let optional: Vec<&str> = items.iter().filter(|n| n.answer_target == Some(AnswerTarget::Optional)).map(|n| n.ref_id.as_str()).collect();
    for n in &items {
        answer(scale, &mut states, &n.ref_id, "実施済");
    }
    answer(scale, &mut states, mandatory[0], "未実施");
    answer(scale, &mut states, mandatory[1], "一部実施");
    answer(scale, &mut states, mandatory[2], "該当なし");
    answer(scale, &mut states, optional[0], "未実施");
    let s = score(catalog, &items, scale, &states, lib.scoring());
    assert_eq!(s.gaps.iter().map(|g| g.ref_id.as_str()).collect::<Vec<_>>(), [mandatory[0]], "only the 必須 未実施 is a gap");
    assert_eq!(s.mandatory.not_applicable, 1);
    // 必須: 128 counted items (one n/a) of 2 points each; 126 done, one partial, one not.
    assert_eq!((s.mandatory.points, s.mandatory.possible), (126 * 2 + 1, 128 * 2));
    assert_eq!(s.optional.percent(), Some(95.8));
    assert!(unanswered_mandatory(&items, &states).is_empty());
    let group_sum: usize = s.groups.iter().map(|(_, t)| t.items).sum();
    assert_eq!(group_sum, 153);

    // The rule is data: counting 一部実施 of a 必須 item as a gap too is one line.
    let strict = ScoringRules::compile(&ScoringRulesDef {
        gap: r#"mandatory && (!answered || meaning == "not_met" || meaning == "partial")"#.into(),
    })
    .unwrap();
    let s = score(catalog, &items, scale, &states, &strict);
    assert_eq!(s.gaps.len(), 2);
}

#[test]
fn a_subset_of_groups_is_a_scope() {
    let lib = library();
    let catalog = kubota(&lib);
    let first_group = catalog.roots().next().unwrap().ref_id.clone();
    let chosen: BTreeSet<String> = [first_group.clone()].into();
    let items = scope_items(catalog, Some(&chosen));
    assert!(!items.is_empty() && items.len() < 153);
    assert!(items.iter().all(|n| catalog.ancestors(&n.ref_id).iter().any(|a| a.ref_id == first_group)));
}

#[test]
fn last_years_answers_carry_forward_and_the_changes_are_listed() {
    let lib = library();
    let catalog = kubota(&lib);
    let items = scope_items(catalog, None);
    let scale = lib.scale("done_partial_none_na").unwrap();
    let mut last = BTreeMap::new();
    answer(scale, &mut last, &items[0].ref_id, "実施済");
    answer(scale, &mut last, &items[1].ref_id, "未実施");
    last.get_mut(&items[1].ref_id).unwrap().evidence.push("e1".into());
    let mut this = carry_forward((scale, &last), scale, &items, person(9), OffsetDateTime::UNIX_EPOCH);
    assert_eq!(this.len(), 2);
    assert_eq!(this[&items[1].ref_id].value(), Some("not_done"));
    assert_eq!(this[&items[1].ref_id].evidence, ["e1"]);
    assert_eq!(this[&items[1].ref_id].primary.as_ref().unwrap().by, person(9), "the person who starts the new year answers");
    assert!(compare((scale, &last, &items), (scale, &this, &items)).is_empty());
    // Improved this year.
    answer(scale, &mut this, &items[1].ref_id, "実施済");
    let changes = compare((scale, &last, &items), (scale, &this, &items));
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].before, changes[0].after), (Some(Meaning::NotMet), Some(Meaning::Met)));
    assert_eq!(changes[0].direction(), std::cmp::Ordering::Greater);

    // Into another scale (○/×/該当なし): through the meaning.
    let other = lib.scale("circle_cross_na").unwrap();
    let carried = carry_forward((scale, &last), other, &items, person(9), OffsetDateTime::UNIX_EPOCH);
    assert_eq!(carried[&items[0].ref_id].value(), Some("circle"));
    assert_eq!(carried[&items[1].ref_id].value(), Some("cross"));
}

static LIBRARY: std::sync::LazyLock<Library> = std::sync::LazyLock::new(library);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn scoring_never_panics_and_counts_add_up(values in proptest::collection::vec(0usize..6, 153)) {
        let lib = &*LIBRARY;
        let catalog = kubota(lib);
        let items = scope_items(catalog, None);
        let scale = lib.scale("ipa_self_check").unwrap();
        let mut states = BTreeMap::new();
        for (n, v) in items.iter().zip(&values) {
            if let Some(value) = scale.values.get(*v) {
                answer(scale, &mut states, &n.ref_id, &value.key);
            }
        }
        let s = score(catalog, &items, scale, &states, lib.scoring());
        prop_assert_eq!(s.overall.items, 153);
        prop_assert_eq!(s.overall.answered, values.iter().filter(|v| **v < 4).count());
        prop_assert_eq!(s.overall.met + s.overall.partial + s.overall.not_met + s.overall.not_applicable, s.overall.answered);
        prop_assert!(s.overall.percent().is_none_or(|p| (0.0..=100.0).contains(&p)));
        prop_assert_eq!(s.mandatory.gaps + s.optional.gaps, s.gaps.len());
    }
}
