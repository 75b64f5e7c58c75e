//! Register types and records: a register is a typed table whose fields, validation, computed
//! values, classification and retention are declared in `library/registers/*.yaml`, not coded.
//!
//! A record is a JSON document. Validation turns what a form, an API call or an import row sent
//! into a [`ValidRecord`]: normalised field values, computed values as they were at that moment,
//! the facts authorisation needs (classification, unit, owner), the values to copy into the
//! index slots, and the text to index for search.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::classification::Confidentiality;
use crate::error::CoreError;
use crate::expr::Expression;
use crate::ids::{PersonId, RecordId, UnitId};
use crate::text::{Lang, Text};

/// Number of text and number index slots per record. A register type may declare at most this
/// many indexed fields of each family; the loader refuses more.
pub const TEXT_SLOTS: usize = 8;
pub const NUMBER_SLOTS: usize = 6;

/// Longest text accepted in any field when the type sets no `max_length`.
const DEFAULT_MAX_TEXT: usize = 10_000;

/// How a field's value is typed and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldKind {
    Text {
        #[serde(default)]
        max_length: Option<usize>,
    },
    LongText {
        #[serde(default)]
        max_length: Option<usize>,
    },
    Number {
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
        #[serde(default)]
        integer: bool,
    },
    /// A calendar date, written `YYYY-MM-DD`.
    Date,
    Boolean,
    Enum {
        options: Vec<EnumOption>,
    },
    Person,
    Unit,
    /// 機密性: the record's classification label, 1 公開 / 2 社外秘 / 3 極秘.
    Classification,
    Reference {
        register: String,
    },
}

/// One allowed value of an enum field; the value is what is stored, the label what is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumOption {
    pub value: Value,
    pub label: Text,
    #[serde(default)]
    pub description: Option<Text>,
}

/// A declared field of a register type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub key: String,
    pub label: Text,
    #[serde(default)]
    pub help: Option<Text>,
    #[serde(flatten)]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// Copied into an index slot so lists can filter and sort on it by key.
    #[serde(default)]
    pub indexed: bool,
    /// Included in the record's full-text search terms.
    #[serde(default)]
    pub searchable: bool,
    /// Extra validation in CEL: the field's value is `value`, the whole record `record`; must be true.
    #[serde(default)]
    pub rule: Option<RuleDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDef {
    pub expression: String,
    pub message: Text,
}

/// A value computed from the record's fields, stored with the record as it was computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComputedDef {
    pub key: String,
    pub label: Text,
    #[serde(default)]
    pub help: Option<Text>,
    /// CEL over the record's field keys. An organisation may override it (a parameter).
    pub expression: String,
    #[serde(default)]
    pub indexed: bool,
}

/// How long records of this type are kept after they are closed or superseded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retention {
    pub years: u32,
    #[serde(default)]
    pub note: Option<Text>,
}

/// A register type as declared in the library.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterTypeDef {
    pub key: String,
    pub name: Text,
    #[serde(default)]
    pub description: Option<Text>,
    /// Where in the seeds the register comes from, for the reader of the library file.
    #[serde(default)]
    pub source: Option<String>,
    pub title_field: String,
    #[serde(default)]
    pub classification_field: Option<String>,
    #[serde(default)]
    pub unit_field: Option<String>,
    #[serde(default)]
    pub owner_field: Option<String>,
    #[serde(default)]
    pub retention: Option<Retention>,
    /// Columns shown in the list page, in order; default: the title and the indexed fields.
    #[serde(default)]
    pub list_columns: Vec<String>,
    pub fields: Vec<FieldDef>,
    #[serde(default)]
    pub computed: Vec<ComputedDef>,
}

/// An index slot: text slots hold strings that sort as text (dates sort correctly as
/// `YYYY-MM-DD`), number slots hold numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    Text(usize),
    Number(usize),
}

impl Slot {
    /// The column name in the store's index table (`t1`..`t8`, `n1`..`n6`).
    pub fn column(self) -> &'static str {
        const T: [&str; TEXT_SLOTS] = ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"];
        const N: [&str; NUMBER_SLOTS] = ["n1", "n2", "n3", "n4", "n5", "n6"];
        match self {
            Slot::Text(i) => T[i.min(TEXT_SLOTS - 1)],
            Slot::Number(i) => N[i.min(NUMBER_SLOTS - 1)],
        }
    }
}

/// A register type checked and compiled: expressions compiled, index slots assigned.
#[derive(Debug, Clone)]
pub struct RegisterType {
    def: RegisterTypeDef,
    computed: Vec<(ComputedDef, Expression)>,
    rules: BTreeMap<String, Expression>,
    slots: BTreeMap<String, Slot>,
}

/// A value typed by its field, ready to index.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexValue {
    Text(String),
    Number(f64),
}

/// One field's problem, with the field named in both languages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub label: Text,
    pub problem: FieldProblem,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum FieldProblem {
    Required,
    NotText,
    TooLong { max: usize },
    NotANumber,
    NotAnInteger,
    BelowMinimum { min: f64 },
    AboveMaximum { max: f64 },
    NotADate,
    NotABoolean,
    NotAnOption { allowed: Vec<String> },
    UnknownPerson,
    UnknownUnit,
    UnknownRecord,
    NotAClassification,
    UnknownField,
    RuleFailed { message: Text },
    ComputeFailed { detail: String },
}

impl FieldError {
    pub fn message(&self, lang: Lang) -> String {
        let label = self.label.get(lang);
        let (ja, en) = match &self.problem {
            FieldProblem::Required => ("入力してください".to_string(), "is required".to_string()),
            FieldProblem::NotText => ("文字で入力してください".to_string(), "must be text".to_string()),
            FieldProblem::TooLong { max } => (format!("{max} 文字以内で入力してください"), format!("must be at most {max} characters")),
            FieldProblem::NotANumber => ("数値を入力してください".to_string(), "must be a number".to_string()),
            FieldProblem::NotAnInteger => ("整数を入力してください".to_string(), "must be a whole number".to_string()),
            FieldProblem::BelowMinimum { min } => (format!("{min} 以上にしてください"), format!("must be at least {min}")),
            FieldProblem::AboveMaximum { max } => (format!("{max} 以下にしてください"), format!("must be at most {max}")),
            FieldProblem::NotADate => {
                ("日付を YYYY-MM-DD の形式で入力してください".to_string(), "must be a date written YYYY-MM-DD".to_string())
            }
            FieldProblem::NotABoolean => ("はい・いいえで指定してください".to_string(), "must be yes or no".to_string()),
            FieldProblem::NotAnOption { allowed } => {
                (format!("次のいずれかを選んでください: {}", allowed.join("、")), format!("must be one of: {}", allowed.join(", ")))
            }
            FieldProblem::UnknownPerson => {
                ("この組織の人を選んでください".to_string(), "must be a person of this organisation".to_string())
            }
            FieldProblem::UnknownUnit => ("この組織の部門を選んでください".to_string(), "must be a unit of this organisation".to_string()),
            FieldProblem::UnknownRecord => {
                ("参照先の記録が見つかりません".to_string(), "refers to a record that does not exist".to_string())
            }
            FieldProblem::NotAClassification => (
                "1（公開）、2（社外秘）、3（極秘）のいずれかにしてください".to_string(),
                "must be 1 (Public), 2 (Internal) or 3 (Secret)".to_string(),
            ),
            FieldProblem::UnknownField => ("この台帳にはない項目です".to_string(), "is not a field of this register".to_string()),
            FieldProblem::RuleFailed { message } => (message.ja.clone(), message.en.clone()),
            FieldProblem::ComputeFailed { detail } => (format!("計算できません（{detail}）"), format!("could not be computed ({detail})")),
        };
        match lang {
            Lang::Ja => format!("{label}: {ja}"),
            Lang::En => format!("{label} {en}"),
        }
    }
}

/// What validation needs to know about the organisation: which people, units and records exist.
/// The caller loads the facts; core only asks.
pub trait Directory {
    fn has_person(&self, person: PersonId) -> bool;
    fn has_unit(&self, unit: UnitId) -> bool;
    fn has_record(&self, register: &str, record: RecordId) -> bool;
}

/// A record that passed validation: everything `store` needs to write it.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidRecord {
    /// The normalised document (only declared fields; empty optional fields omitted).
    pub fields: Map<String, Value>,
    /// Computed values as they were at validation time.
    pub computed: Map<String, Value>,
    pub classification: Confidentiality,
    pub unit: Option<UnitId>,
    pub owner: Option<PersonId>,
    pub title: String,
    pub index: Vec<(Slot, IndexValue)>,
    /// Search terms (see [`crate::search`]) of the searchable fields.
    pub search_terms: String,
}

impl RegisterType {
    /// Checks a definition read from the library and compiles its expressions.
    pub fn compile(def: RegisterTypeDef, file: &str) -> Result<RegisterType, CoreError> {
        let invalid = |detail: String| CoreError::LibraryInvalid { file: file.to_string(), detail };
        let mut seen = BTreeSet::new();
        for key in def.fields.iter().map(|f| &f.key).chain(def.computed.iter().map(|c| &c.key)) {
            let well_formed = !key.is_empty()
                && key.len() <= 64
                && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && key.chars().next().is_some_and(|c| c.is_ascii_lowercase());
            if !well_formed {
                return Err(invalid(format!("field key {key:?} must be lower_snake_case ASCII")));
            }
            if !seen.insert(key.clone()) {
                return Err(invalid(format!("field key {key:?} is declared twice")));
            }
        }
        let field = |name: &str| def.fields.iter().find(|f| f.key == name);
        if field(&def.title_field).is_none() {
            return Err(invalid(format!("title_field {:?} is not a field", def.title_field)));
        }
        let check_ref = |what: &str, key: &Option<String>, ok: fn(&FieldKind) -> bool| match key {
            Some(k) => match field(k) {
                Some(f) if ok(&f.kind) => Ok(()),
                Some(_) => Err(invalid(format!("{what} {k:?} has the wrong kind"))),
                None => Err(invalid(format!("{what} {k:?} is not a field"))),
            },
            None => Ok(()),
        };
        check_ref("classification_field", &def.classification_field, |k| matches!(k, FieldKind::Classification))?;
        check_ref("unit_field", &def.unit_field, |k| matches!(k, FieldKind::Unit))?;
        check_ref("owner_field", &def.owner_field, |k| matches!(k, FieldKind::Person))?;
        for f in &def.fields {
            if let FieldKind::Enum { options } = &f.kind {
                if options.is_empty() {
                    return Err(invalid(format!("enum field {:?} has no options", f.key)));
                }
                if options.iter().any(|o| !(o.value.is_string() || o.value.is_i64())) {
                    return Err(invalid(format!("enum field {:?}: option values must be strings or integers", f.key)));
                }
            }
        }
        for column in &def.list_columns {
            if !seen.contains(column) {
                return Err(invalid(format!("list column {column:?} is not a field")));
            }
        }

        let mut computed = Vec::new();
        for c in &def.computed {
            let e = Expression::compile(&c.expression).map_err(|e| invalid(format!("computed {:?}: {}", c.key, e.message(Lang::En))))?;
            computed.push((c.clone(), e));
        }
        let mut rules = BTreeMap::new();
        for f in &def.fields {
            if let Some(rule) = &f.rule {
                let e =
                    Expression::compile(&rule.expression).map_err(|e| invalid(format!("rule of {:?}: {}", f.key, e.message(Lang::En))))?;
                rules.insert(f.key.clone(), e);
            }
        }

        // Slots are assigned in declaration order: fields first, then computed values. A change
        // of layout is detected by `layout_fingerprint` and makes the store re-index the register.
        let mut slots = BTreeMap::new();
        let (mut text, mut number) = (0usize, 0usize);
        let indexed_fields = def.fields.iter().filter(|f| f.indexed).map(|f| (f.key.clone(), is_numeric(&f.kind)));
        let indexed_computed = def.computed.iter().filter(|c| c.indexed).map(|c| (c.key.clone(), true));
        for (key, numeric) in indexed_fields.chain(indexed_computed) {
            let slot = if numeric {
                number += 1;
                Slot::Number(number - 1)
            } else {
                text += 1;
                Slot::Text(text - 1)
            };
            if text > TEXT_SLOTS || number > NUMBER_SLOTS {
                return Err(invalid(format!("at most {TEXT_SLOTS} text-like and {NUMBER_SLOTS} numeric fields can be indexed")));
            }
            slots.insert(key, slot);
        }
        Ok(RegisterType { def, computed, rules, slots })
    }

    pub fn key(&self) -> &str {
        &self.def.key
    }

    pub fn name(&self) -> &Text {
        &self.def.name
    }

    pub fn def(&self) -> &RegisterTypeDef {
        &self.def
    }

    pub fn fields(&self) -> &[FieldDef] {
        &self.def.fields
    }

    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.def.fields.iter().find(|f| f.key == key)
    }

    pub fn computed_defs(&self) -> impl Iterator<Item = &ComputedDef> {
        self.computed.iter().map(|(c, _)| c)
    }

    /// The label of a field or computed value, for column headers and history.
    pub fn label_of(&self, key: &str) -> Option<&Text> {
        self.field(key).map(|f| &f.label).or_else(|| self.computed_defs().find(|c| c.key == key).map(|c| &c.label))
    }

    pub fn slot_of(&self, key: &str) -> Option<Slot> {
        self.slots.get(key).copied()
    }

    pub fn is_searchable(&self) -> bool {
        self.def.fields.iter().any(|f| f.searchable)
    }

    /// Columns of the list page.
    pub fn list_columns(&self) -> Vec<String> {
        if !self.def.list_columns.is_empty() {
            return self.def.list_columns.clone();
        }
        let mut cols = vec![self.def.title_field.clone()];
        cols.extend(self.def.fields.iter().filter(|f| f.indexed && f.key != self.def.title_field).map(|f| f.key.clone()));
        cols.extend(self.def.computed.iter().filter(|c| c.indexed).map(|c| c.key.clone()));
        cols
    }

    /// A string that changes whenever the index layout changes, so the store knows to re-index.
    pub fn layout_fingerprint(&self) -> String {
        let parts: Vec<String> = self.slots.iter().map(|(k, s)| format!("{k}={}", s.column())).collect();
        let searchable: Vec<&str> = self.def.fields.iter().filter(|f| f.searchable).map(|f| f.key.as_str()).collect();
        format!("v1;{};search={}", parts.join(","), searchable.join(","))
    }

    /// Replaces a computed value's expression with an organisation's own formula (a parameter,
    /// such as the 重要度 formula).
    pub fn with_formula(&self, key: &str, source: &str) -> Result<RegisterType, CoreError> {
        let mut copy = self.clone();
        let expression = Expression::compile(source)?;
        let slot = copy
            .computed
            .iter_mut()
            .find(|(c, _)| c.key == key)
            .ok_or_else(|| CoreError::InvalidValue { field: "computed", value: key.to_string() })?;
        slot.0.expression = source.to_string();
        slot.1 = expression;
        Ok(copy)
    }

    /// Validates input from a form, an API call or an import row. Strings are accepted for every
    /// kind (forms send nothing else) and converted; unknown keys are errors, not silently dropped.
    pub fn validate(&self, input: &Map<String, Value>, directory: &dyn Directory) -> Result<ValidRecord, CoreError> {
        let mut errors = Vec::new();
        let mut fields = Map::new();
        for key in input.keys() {
            if self.field(key).is_none() && !self.computed.iter().any(|(c, _)| &c.key == key) {
                errors.push(FieldError {
                    field: key.clone(),
                    label: Text::new(key.clone(), key.clone()),
                    problem: FieldProblem::UnknownField,
                });
            }
        }
        for f in &self.def.fields {
            let raw = input.get(&f.key).unwrap_or(&Value::Null);
            match normalise(f, raw, directory) {
                Ok(Some(value)) => {
                    fields.insert(f.key.clone(), value);
                }
                Ok(None) if f.required => errors.push(self.error(f, FieldProblem::Required)),
                Ok(None) => {}
                Err(problem) => errors.push(self.error(f, problem)),
            }
        }
        if errors.is_empty() {
            let record = Value::Object(fields.clone());
            for (key, rule) in &self.rules {
                let Some(f) = self.field(key) else { continue };
                let Some(value) = fields.get(key) else {
                    continue;
                };
                let vars = BTreeMap::from([("value".to_string(), value.clone()), ("record".to_string(), record.clone())]);
                let passed = matches!(rule.evaluate(&vars), Ok(Value::Bool(true)));
                if !passed {
                    let message = f.rule.as_ref().map(|r| r.message.clone()).unwrap_or_else(|| Text::new("", ""));
                    errors.push(self.error(f, FieldProblem::RuleFailed { message }));
                }
            }
        }
        let mut computed = Map::new();
        if errors.is_empty() {
            let vars: BTreeMap<String, Value> =
                self.def.fields.iter().map(|f| (f.key.clone(), fields.get(&f.key).cloned().unwrap_or(Value::Null))).collect();
            for (c, e) in &self.computed {
                match e.evaluate(&vars) {
                    Ok(v) => {
                        computed.insert(c.key.clone(), v);
                    }
                    Err(err) => errors.push(FieldError {
                        field: c.key.clone(),
                        label: c.label.clone(),
                        problem: FieldProblem::ComputeFailed { detail: err.message(Lang::En) },
                    }),
                }
            }
        }
        if !errors.is_empty() {
            return Err(CoreError::Validation(errors));
        }

        let classification = self
            .def
            .classification_field
            .as_ref()
            .and_then(|k| fields.get(k))
            .and_then(Value::as_i64)
            .and_then(Confidentiality::from_level)
            .unwrap_or(Confidentiality::Internal);
        let id_of = |key: &Option<String>| key.as_ref().and_then(|k| fields.get(k)).and_then(Value::as_str).map(str::to_string);
        let unit = id_of(&self.def.unit_field).and_then(|s| UnitId::parse(&s).ok());
        let owner = id_of(&self.def.owner_field).and_then(|s| PersonId::parse(&s).ok());
        let title = fields.get(&self.def.title_field).map(display_plain).unwrap_or_default();

        let index = self.index_of(&fields, &computed);
        let search_terms = self.search_terms_of(&fields);
        Ok(ValidRecord { fields, computed, classification, unit, owner, title, index, search_terms })
    }

    /// The index slot values of a record's fields and computed values.
    fn index_of(&self, fields: &Map<String, Value>, computed: &Map<String, Value>) -> Vec<(Slot, IndexValue)> {
        let mut index = Vec::new();
        for (key, slot) in &self.slots {
            let Some(value) = fields.get(key).or_else(|| computed.get(key)) else {
                continue;
            };
            let iv = match slot {
                Slot::Number(_) => value.as_f64().or_else(|| value.as_bool().map(|b| if b { 1.0 } else { 0.0 })).map(IndexValue::Number),
                Slot::Text(_) => Some(IndexValue::Text(index_text(value))),
            };
            if let Some(iv) = iv {
                index.push((*slot, iv));
            }
        }
        index
    }

    fn search_terms_of(&self, fields: &Map<String, Value>) -> String {
        let searchable: Vec<String> =
            self.def.fields.iter().filter(|f| f.searchable).filter_map(|f| fields.get(&f.key)).map(display_plain).collect();
        crate::search::terms(&searchable.join(" "))
    }

    /// Rebuilds the index entries and search terms of a stored record, whose values were
    /// validated when written, after the register's index layout changed. Computed values keep
    /// the values they were stored with.
    pub fn reindex(
        &self,
        fields: &Map<String, Value>,
        computed: &Map<String, Value>,
        classification: Confidentiality,
        unit: Option<UnitId>,
        owner: Option<PersonId>,
    ) -> ValidRecord {
        ValidRecord {
            fields: fields.clone(),
            computed: computed.clone(),
            classification,
            unit,
            owner,
            title: fields.get(&self.def.title_field).map(display_plain).unwrap_or_default(),
            index: self.index_of(fields, computed),
            search_terms: self.search_terms_of(fields),
        }
    }

    fn error(&self, f: &FieldDef, problem: FieldProblem) -> FieldError {
        FieldError { field: f.key.clone(), label: f.label.clone(), problem }
    }

    /// The label of an enum value, or the value itself.
    pub fn option_label<'a>(&'a self, field: &str, value: &Value) -> Option<&'a Text> {
        match &self.field(field)?.kind {
            FieldKind::Enum { options } => options.iter().find(|o| same_option(&o.value, value)).map(|o| &o.label),
            _ => None,
        }
    }
}

fn is_numeric(kind: &FieldKind) -> bool {
    matches!(kind, FieldKind::Number { .. } | FieldKind::Classification | FieldKind::Boolean)
        || matches!(kind, FieldKind::Enum { options } if options.iter().all(|o| o.value.is_i64()))
}

/// Text of a value for titles and search: strings as they are, numbers and booleans printed.
pub fn display_plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Index form of a text-like value: case-folded so that sorting and equality ignore case.
fn index_text(value: &Value) -> String {
    let s = display_plain(value);
    s.chars().take(200).collect::<String>().to_lowercase()
}

fn same_option(option: &Value, given: &Value) -> bool {
    match (option, given) {
        (Value::Number(a), Value::Number(b)) => a.as_i64() == b.as_i64(),
        (Value::Number(a), Value::String(b)) => a.as_i64().is_some_and(|a| b.trim().parse::<i64>().ok() == Some(a)),
        (Value::String(a), Value::String(b)) => a == b.trim(),
        _ => false,
    }
}

/// A calendar date as people write it: `2026-04-01`, `2026/4/1`, `2026.4.1` or `2026年4月1日`.
fn parse_date(text: &str) -> Option<time::Date> {
    let parts: Vec<&str> = text.trim().trim_end_matches('日').split(['-', '/', '.', '年', '月']).collect();
    let [y, m, d] = parts.as_slice() else { return None };
    let all_digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit());
    if !(all_digits(y) && y.len() == 4 && all_digits(m) && m.len() <= 2 && all_digits(d) && d.len() <= 2) {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// Converts one raw input value to the field's normalised value; `Ok(None)` means empty.
fn normalise(f: &FieldDef, raw: &Value, directory: &dyn Directory) -> Result<Option<Value>, FieldProblem> {
    let text = match raw {
        Value::Null => return Ok(None),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => Some(s.as_str()),
        _ => None,
    };
    match &f.kind {
        FieldKind::Text { max_length } | FieldKind::LongText { max_length } => {
            let s = match raw {
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                _ => return Err(FieldProblem::NotText),
            };
            let s = if matches!(f.kind, FieldKind::Text { .. }) { s.replace(['\r', '\n'], " ") } else { s.replace("\r\n", "\n") };
            let max = max_length.unwrap_or(DEFAULT_MAX_TEXT);
            if s.chars().count() > max {
                return Err(FieldProblem::TooLong { max });
            }
            Ok(Some(Value::String(s)))
        }
        FieldKind::Number { min, max, integer } => {
            let n = match (raw, text) {
                (Value::Number(n), _) => n.as_f64(),
                (_, Some(s)) => s.trim().replace([',', '，'], "").parse::<f64>().ok().filter(|n| n.is_finite()),
                _ => None,
            }
            .ok_or(FieldProblem::NotANumber)?;
            if *integer && n.fract() != 0.0 {
                return Err(FieldProblem::NotAnInteger);
            }
            if let Some(min) = min
                && n < *min
            {
                return Err(FieldProblem::BelowMinimum { min: *min });
            }
            if let Some(max) = max
                && n > *max
            {
                return Err(FieldProblem::AboveMaximum { max: *max });
            }
            if *integer || n.fract() == 0.0 && n.abs() < 9.0e15 {
                Ok(Some(Value::from(n as i64)))
            } else {
                Ok(serde_json::Number::from_f64(n).map(Value::Number))
            }
        }
        FieldKind::Date => {
            let date = text.and_then(parse_date).ok_or(FieldProblem::NotADate)?;
            let format = time::macros::format_description!("[year]-[month]-[day]");
            Ok(Some(Value::String(date.format(&format).map_err(|_| FieldProblem::NotADate)?)))
        }
        FieldKind::Boolean => match raw {
            Value::Bool(b) => Ok(Some(Value::Bool(*b))),
            _ => match text.map(|s| s.trim().to_lowercase()).as_deref() {
                Some("true" | "1" | "yes" | "on" | "はい" | "○" | "〇") => Ok(Some(Value::Bool(true))),
                Some("false" | "0" | "no" | "off" | "いいえ" | "×") => Ok(Some(Value::Bool(false))),
                _ => Err(FieldProblem::NotABoolean),
            },
        },
        FieldKind::Enum { options } => options
            .iter()
            .find(|o| same_option(&o.value, raw) || text.is_some_and(|t| t.trim() == o.label.ja || t.trim() == o.label.en))
            .map(|o| Some(o.value.clone()))
            .ok_or_else(|| FieldProblem::NotAnOption { allowed: options.iter().map(|o| o.label.ja.clone()).collect() }),
        FieldKind::Classification => {
            let level = match (raw, text) {
                (Value::Number(n), _) => n.as_i64(),
                (_, Some(s)) => {
                    let s = s.trim();
                    s.parse::<i64>().ok().or_else(|| {
                        Confidentiality::ALL.iter().find(|c| c.label().ja == s || c.label().en.eq_ignore_ascii_case(s)).map(|c| c.level())
                    })
                }
                _ => None,
            };
            level.and_then(Confidentiality::from_level).map(|c| Some(Value::from(c.level()))).ok_or(FieldProblem::NotAClassification)
        }
        FieldKind::Person => {
            let id = text.and_then(|s| PersonId::parse(s).ok()).ok_or(FieldProblem::UnknownPerson)?;
            if directory.has_person(id) { Ok(Some(Value::String(id.to_string()))) } else { Err(FieldProblem::UnknownPerson) }
        }
        FieldKind::Unit => {
            let id = text.and_then(|s| UnitId::parse(s).ok()).ok_or(FieldProblem::UnknownUnit)?;
            if directory.has_unit(id) { Ok(Some(Value::String(id.to_string()))) } else { Err(FieldProblem::UnknownUnit) }
        }
        FieldKind::Reference { register } => {
            let id = text.and_then(|s| RecordId::parse(s).ok()).ok_or(FieldProblem::UnknownRecord)?;
            if directory.has_record(register, id) { Ok(Some(Value::String(id.to_string()))) } else { Err(FieldProblem::UnknownRecord) }
        }
    }
}

/// Names by which an import file may refer to the organisation's units and people.
pub trait NameLookup {
    /// The unit whose code or Japanese or English name is `name`.
    fn unit_named(&self, name: &str) -> Option<UnitId>;
    /// The person whose e-mail address or display name is `name` (a name only if unique).
    fn person_named(&self, name: &str) -> Option<PersonId>;
}

impl RegisterType {
    /// Replaces unit and person names in imported text with their ids, so that validation
    /// sees ids. Values that are already ids, or that match nothing, are left for validation
    /// to accept or reject.
    pub fn resolve_names(&self, input: &mut Map<String, Value>, lookup: &dyn NameLookup) {
        for f in &self.def.fields {
            let Some(Value::String(text)) = input.get(&f.key) else { continue };
            let text = text.trim();
            let resolved = match f.kind {
                FieldKind::Unit if UnitId::parse(text).is_err() => lookup.unit_named(text).map(|u| u.to_string()),
                FieldKind::Person if PersonId::parse(text).is_err() => lookup.person_named(text).map(|p| p.to_string()),
                _ => None,
            };
            if let Some(id) = resolved {
                input.insert(f.key.clone(), Value::String(id));
            }
        }
    }
}
