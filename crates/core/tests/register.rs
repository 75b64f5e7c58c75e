//! The information asset register as the library declares it: validation, normalisation,
//! computed 重要度, index entries and search terms.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use std::collections::BTreeSet;

use mamori_core::classification::Confidentiality;
use mamori_core::ids::{PersonId, RecordId, UnitId};
use mamori_core::library::Library;
use mamori_core::register::{Directory, FieldProblem, IndexValue};
use mamori_core::{CoreError, Lang};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

struct Dir {
    units: BTreeSet<UnitId>,
    people: BTreeSet<PersonId>,
}

impl Directory for Dir {
    fn has_person(&self, p: PersonId) -> bool {
        self.people.contains(&p)
    }
    fn has_unit(&self, u: UnitId) -> bool {
        self.units.contains(&u)
    }
    fn has_record(&self, _: &str, _: RecordId) -> bool {
        false
    }
}

fn setup() -> (Library, Dir, UnitId, PersonId) {
    let unit = UnitId::from_uuid(uuid::Uuid::from_u128(1));
    let person = PersonId::from_uuid(uuid::Uuid::from_u128(2));
    (Library::builtin().unwrap(), Dir { units: [unit].into(), people: [person].into() }, unit, person)
}

fn input(unit: UnitId, pairs: &[(&str, Value)]) -> Map<String, Value> {
    let mut m: Map<String, Value> = [
        ("business_category", json!("営業")),
        ("name", json!("顧客名簿")),
        ("managing_unit", json!(unit.to_string())),
        ("personal_information", json!("personal")),
        ("confidentiality", json!("3")),
        ("integrity", json!("2")),
        ("availability", json!("1")),
        ("registered_on", json!("2026-04-01")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in pairs {
        m.insert(k.to_string(), v.clone());
    }
    m
}

fn problems(result: Result<mamori_core::register::ValidRecord, CoreError>) -> Vec<(String, FieldProblem)> {
    match result {
        Err(CoreError::Validation(errors)) => errors.into_iter().map(|e| (e.field, e.problem)).collect(),
        other => panic!("expected validation errors, got {other:?}"),
    }
}

#[test]
fn a_valid_asset_is_normalised_with_its_facts() {
    let (library, dir, unit, person) = setup();
    let register = library.register("information_assets").unwrap();
    for written in ["2026-04-01", "2026/4/1", "2026/04/01", "2026.4.1", "2026年4月1日"] {
        let valid = register.validate(&input(unit, &[("registered_on", json!(written))]), &dir).unwrap();
        assert_eq!(valid.fields["registered_on"], json!("2026-04-01"), "{written}");
    }
    for wrong in ["2026-02-30", "26/4/1", "2026-4", "April 1", "2026-13-01"] {
        assert!(register.validate(&input(unit, &[("registered_on", json!(wrong))]), &dir).is_err(), "{wrong}");
    }
    let valid = register.validate(&input(unit, &[("owner", json!(person.to_string()))]), &dir).unwrap();
    assert_eq!(valid.fields["confidentiality"], json!(3), "form strings become numbers");
    assert_eq!(valid.classification, Confidentiality::Secret);
    assert_eq!((valid.unit, valid.owner), (Some(unit), Some(person)));
    assert_eq!(valid.title, "顧客名簿");
    let importance = register.slot_of("importance").unwrap();
    assert!(valid.index.contains(&(importance, IndexValue::Number(3.0))), "importance is indexed");
    assert!(valid.search_terms.split(' ').any(|t| t == "顧客"), "name bigrams are searchable");
}

#[test]
fn importance_is_the_highest_of_c_i_a_for_every_combination() {
    let (library, dir, unit, _) = setup();
    let register = library.register("information_assets").unwrap();
    for c in 1..=3 {
        for i in 1..=2 {
            for a in 1..=2 {
                let valid = register
                    .validate(&input(unit, &[("confidentiality", json!(c)), ("integrity", json!(i)), ("availability", json!(a))]), &dir)
                    .unwrap();
                assert_eq!(valid.computed["importance"], json!(c.max(i).max(a)), "C={c} I={i} A={a}");
            }
        }
    }
    let summed = register.with_formula("importance", "confidentiality + integrity + availability").unwrap();
    let valid = summed.validate(&input(unit, &[]), &dir).unwrap();
    assert_eq!(valid.computed["importance"], json!(6), "an organisation's own formula");
    assert!(register.with_formula("importance", "max(").is_err());
}

#[test]
fn every_rule_names_its_field_in_both_languages() {
    let (library, dir, unit, _) = setup();
    let register = library.register("information_assets").unwrap();
    type Case = (&'static str, Map<String, Value>, &'static str, fn(&FieldProblem) -> bool);
    let cases: Vec<Case> = vec![
        ("integrity 3", input(unit, &[("integrity", json!("3"))]), "integrity", |p| matches!(p, FieldProblem::NotAnOption { .. })),
        ("confidentiality 4", input(unit, &[("confidentiality", json!(4))]), "confidentiality", |p| {
            matches!(p, FieldProblem::NotAClassification)
        }),
        ("unknown enum", input(unit, &[("personal_information", json!("other"))]), "personal_information", |p| {
            matches!(p, FieldProblem::NotAnOption { .. })
        }),
        ("too long", input(unit, &[("name", json!("x".repeat(201)))]), "name", |p| matches!(p, FieldProblem::TooLong { max: 200 })),
        ("bad date", input(unit, &[("registered_on", json!("2026-02-30"))]), "registered_on", |p| matches!(p, FieldProblem::NotADate)),
        ("unknown unit", input(UnitId::from_uuid(uuid::Uuid::from_u128(9)), &[]), "managing_unit", |p| {
            matches!(p, FieldProblem::UnknownUnit)
        }),
        ("unknown person", input(unit, &[("owner", json!(PersonId::from_uuid(uuid::Uuid::from_u128(9)).to_string()))]), "owner", |p| {
            matches!(p, FieldProblem::UnknownPerson)
        }),
        ("unknown field", input(unit, &[("colour", json!("red"))]), "colour", |p| matches!(p, FieldProblem::UnknownField)),
        ("not text", input(unit, &[("name", json!(["a"]))]), "name", |p| matches!(p, FieldProblem::NotText)),
        ("not a boolean", input(unit, &[("legally_regulated", json!("maybe"))]), "legally_regulated", |p| {
            matches!(p, FieldProblem::NotABoolean)
        }),
    ];
    for (name, data, field, expected) in cases {
        let found = problems(register.validate(&data, &dir));
        assert!(found.iter().any(|(f, p)| f == field && expected(p)), "{name}: {found:?}");
    }
    let err = register.validate(&Map::new(), &dir).unwrap_err();
    let ja = err.message(Lang::Ja);
    let en = err.message(Lang::En);
    for (ja_label, en_label) in
        [("業務分類", "Business category"), ("情報資産名称", "Asset name"), ("機密性", "Confidentiality"), ("登録日", "Registered on")]
    {
        assert!(ja.contains(&format!("{ja_label}: 入力してください")), "{ja}");
        assert!(en.contains(&format!("{en_label} is required")), "{en}");
    }
    assert!(!ja.contains("備考"), "optional fields are not required");
}

#[test]
fn labels_are_accepted_for_enums_and_classifications() {
    let (library, dir, unit, _) = setup();
    let register = library.register("information_assets").unwrap();
    let valid = register
        .validate(
            &input(
                unit,
                &[
                    ("confidentiality", json!("社外秘")),
                    ("personal_information", json!("要配慮個人情報")),
                    ("legally_regulated", json!("はい")),
                ],
            ),
            &dir,
        )
        .unwrap();
    assert_eq!(valid.fields["confidentiality"], json!(2));
    assert_eq!(valid.fields["personal_information"], json!("sensitive"));
    assert_eq!(valid.fields["legally_regulated"], json!(true));
}

#[test]
fn bad_library_files_are_refused_naming_the_file() {
    let roles = ("roles.yaml", "roles: []\n");
    let base = "key: t\nname: {ja: 試験, en: Test}\ntitle_field: a\nfields:\n  - {key: a, label: {ja: あ, en: A}, kind: text}\n";
    let cases = [
        ("duplicate key", format!("{base}  - {{key: a, label: {{ja: い, en: B}}, kind: text}}\n")),
        ("title not a field", base.replace("title_field: a", "title_field: zz")),
        ("unknown key", format!("{base}colour: red\n")),
        ("classification of wrong kind", format!("{base}classification_field: a\n")),
        ("bad expression", format!("{base}computed:\n  - {{key: c, label: {{ja: c, en: c}}, expression: \"a +\"}}\n")),
        (
            "too many indexed",
            format!(
                "key: t\nname: {{ja: 試験, en: Test}}\ntitle_field: f0\nfields:\n{}",
                (0..9).map(|i| format!("  - {{key: f{i}, label: {{ja: x, en: x}}, kind: text, indexed: true}}\n")).collect::<String>()
            ),
        ),
    ];
    for (name, yaml) in cases {
        match Library::from_sources(roles, &[("registers/t.yaml", &yaml)]) {
            Err(CoreError::LibraryInvalid { file, .. }) => assert_eq!(file, "registers/t.yaml", "{name}"),
            other => panic!("{name}: expected LibraryInvalid, got {other:?}"),
        }
    }
    assert!(Library::from_sources(roles, &[("registers/t.yaml", base)]).is_ok());
}

proptest! {
    /// Whatever arrives (from a form, an API call, an import), validation returns a value.
    #[test]
    fn validation_never_panics(
        keys in proptest::collection::vec(prop_oneof![Just("name".to_string()), Just("confidentiality".to_string()), Just("integrity".to_string()), Just("registered_on".to_string()), Just("owner".to_string()), Just("legally_regulated".to_string()), "[a-z_]{1,12}"], 0..12),
        values in proptest::collection::vec(prop_oneof![
            any::<String>().prop_map(Value::String),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
            proptest::collection::vec(any::<u8>(), 0..3).prop_map(|v| json!(v)),
        ], 0..12),
    ) {
        let (library, dir, _, _) = setup();
        let register = library.register("information_assets").unwrap();
        let data: Map<String, Value> = keys.into_iter().zip(values).collect();
        let _ = register.validate(&data, &dir);
    }
}
