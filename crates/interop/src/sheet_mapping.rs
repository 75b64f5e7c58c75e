//! The web's mapping step of a spreadsheet catalog import, as data: a [`ColumnMapping`] shown as
//! one [`ColumnRole`] per column and made again from the roles a person chose, and where the
//! step starts ([`propose_mapping`]: the mapping saved for the layout, else the guess). Apart
//! from `catalog_sheet` because that module reads and writes sheets; this one only decides
//! which column is what.

use std::collections::{HashMap, HashSet};

use mamori_core::catalog::LocalText;
use serde::{Deserialize, Serialize};

use crate::catalog_error::{CatalogImportError, column_letters};
use crate::catalog_sheet::{
    AnswerTargetColumn, AttributeColumn, ColumnMapping, GroupColumn, SheetGrid, Workbook, attribute_key, check_mapping, find_mapping,
    guess_at, guess_mapping, guess_sheet, layout_fingerprint, numbered,
};

/// What a person says one column holds, on the web's mapping step. A [`ColumnMapping`] is
/// shown as one role per column ([`ColumnMapping::role_of_column`]) and made again from the
/// roles chosen ([`mapping_from_roles`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    /// Not read (answer columns, remarks).
    Ignore,
    /// No.: the requirement's number and ref.
    Ref,
    /// A group level (ラベル, a 要求事項 merged over its rows); several, outermost first.
    Group,
    Title,
    /// The statement that is answered (達成条件, description).
    Text,
    /// 回答対象 (必須/任意).
    AnswerTarget,
    /// 達成基準, split at its 【…】 headers.
    Criteria,
    /// 目的, kept as the attribute `purpose`.
    Purpose,
    /// Kept as an attribute named by its header.
    Attribute,
}

impl ColumnRole {
    /// Every role, in the order the mapping step offers them.
    pub const ALL: [ColumnRole; 9] = [
        ColumnRole::Ignore,
        ColumnRole::Ref,
        ColumnRole::Group,
        ColumnRole::Title,
        ColumnRole::Text,
        ColumnRole::AnswerTarget,
        ColumnRole::Criteria,
        ColumnRole::Purpose,
        ColumnRole::Attribute,
    ];

    /// The role's name in forms.
    pub fn key(self) -> &'static str {
        match self {
            ColumnRole::Ignore => "ignore",
            ColumnRole::Ref => "ref",
            ColumnRole::Group => "group",
            ColumnRole::Title => "title",
            ColumnRole::Text => "text",
            ColumnRole::AnswerTarget => "answer_target",
            ColumnRole::Criteria => "criteria",
            ColumnRole::Purpose => "purpose",
            ColumnRole::Attribute => "attribute",
        }
    }

    pub fn parse(key: &str) -> Option<ColumnRole> {
        ColumnRole::ALL.into_iter().find(|r| r.key() == key.trim())
    }

    /// The role's label in Japanese and English.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            ColumnRole::Ignore => ("読み取らない", "Ignore"),
            ColumnRole::Ref => ("No.（番号）", "No. (ref)"),
            ColumnRole::Group => ("グループ（ラベル・要求事項など）", "Group (label, requirement …)"),
            ColumnRole::Title => ("名称", "Title"),
            ColumnRole::Text => ("本文（達成条件・説明）", "Text (condition, description)"),
            ColumnRole::AnswerTarget => ("回答対象（必須/任意）", "Answer target (mandatory/optional)"),
            ColumnRole::Criteria => ("達成基準", "Criteria"),
            ColumnRole::Purpose => ("目的", "Purpose"),
            ColumnRole::Attribute => ("その他の属性（見出しを名前に）", "Other attribute (named by its header)"),
        }
    }

    /// Whether at most one column may have this role.
    fn is_single(self) -> bool {
        !matches!(self, ColumnRole::Ignore | ColumnRole::Group | ColumnRole::Attribute)
    }
}

impl ColumnMapping {
    /// The role this mapping gives a column (counted from 1). A group's own ref column shows
    /// as [`ColumnRole::Ignore`]: the mapping step does not offer it.
    pub fn role_of_column(&self, column: usize) -> ColumnRole {
        let is = |c: Option<usize>| c == Some(column);
        if is(self.ref_column) {
            ColumnRole::Ref
        } else if self.groups.iter().any(|g| g.column == column) {
            ColumnRole::Group
        } else if is(self.title) {
            ColumnRole::Title
        } else if is(self.text) {
            ColumnRole::Text
        } else if is(self.answer_target.as_ref().map(|a| a.column)) {
            ColumnRole::AnswerTarget
        } else if is(self.criteria) {
            ColumnRole::Criteria
        } else {
            match self.attributes.iter().find(|a| a.column == column) {
                Some(a) if a.key == "purpose" => ColumnRole::Purpose,
                Some(_) => ColumnRole::Attribute,
                None => ColumnRole::Ignore,
            }
        }
    }
}

/// A mapping of `sheet` with the header in `header_row` from one role per column (`roles[j]`
/// is column `j + 1`; columns past the list are not read). Group columns are levels in column
/// order, outermost first, `numbered` when their values say so; attributes are keyed by their
/// header (目的 is `purpose`); the answer target takes the default values. Refused, with the
/// reason: a header row outside the sheet, a role that only one column may have given to two,
/// no column that names or states a requirement (No., text or title).
pub fn mapping_from_roles(sheet: &SheetGrid, header_row: usize, roles: &[ColumnRole]) -> Result<ColumnMapping, CatalogImportError> {
    check_header_row(sheet, header_row)?;
    let mut taken: HashMap<ColumnRole, usize> = HashMap::new();
    for (j, role) in roles.iter().enumerate() {
        if role.is_single()
            && let Some(first) = taken.insert(*role, j + 1)
        {
            return Err(CatalogImportError::RoleTwice { role: *role, first, second: j + 1 });
        }
    }
    let single = |role: ColumnRole| taken.get(&role).copied();
    let header = |c: usize| sheet.cell(header_row, c).split_whitespace().collect::<Vec<_>>().join(" ");
    let mut keys: HashSet<String> = HashSet::new();
    let mut attributes = Vec::new();
    for (j, role) in roles.iter().enumerate() {
        let c = j + 1;
        match role {
            ColumnRole::Purpose => {
                keys.insert("purpose".to_string());
                attributes.push(AttributeColumn {
                    column: c,
                    key: "purpose".into(),
                    name: LocalText { ja: Some("目的".into()), en: Some("Purpose".into()) },
                });
            }
            ColumnRole::Attribute => {
                let h = header(c);
                let name = if h.is_empty() { column_letters(c) } else { h.clone() };
                attributes.push(AttributeColumn { column: c, key: String::new(), name: LocalText::ja(name) });
            }
            _ => {}
        }
    }
    // Keys for the other attributes once `purpose` is taken, so that a header "purpose" in
    // another column does not take it.
    for a in attributes.iter_mut().filter(|a| a.key.is_empty()) {
        a.key = attribute_key(&header(a.column), a.column, &mut keys);
    }
    let groups = roles
        .iter()
        .enumerate()
        .filter(|(_, r)| **r == ColumnRole::Group)
        .map(|(j, _)| GroupColumn { numbered: numbered(sheet, j + 1, header_row), ..GroupColumn::new(j + 1) })
        .collect();
    let mapping = ColumnMapping {
        sheet: sheet.name.clone(),
        header_row,
        layout: Some(layout_fingerprint(sheet, header_row)),
        ref_column: single(ColumnRole::Ref),
        groups,
        title: single(ColumnRole::Title),
        text: single(ColumnRole::Text),
        answer_target: single(ColumnRole::AnswerTarget).map(AnswerTargetColumn::new),
        criteria: single(ColumnRole::Criteria),
        attributes,
    };
    check_mapping(&mapping, sheet)?;
    Ok(mapping)
}

/// Where the mapping step starts: a mapping, and whether it is one saved for this layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingProposal {
    pub mapping: ColumnMapping,
    /// A saved mapping whose layout is this sheet's header row (not a guess).
    pub saved: bool,
    /// Neither saved nor recognised: every column starts as not read.
    pub unrecognised: bool,
}

/// The mapping the mapping step proposes for a workbook. With a sheet chosen: with a header row,
/// the saved mapping of that layout, else a guess at that row; without, a saved mapping that
/// matches the sheet, else the sheet's recognised header, else its first row. With nothing
/// chosen: a saved mapping matching a sheet ([`find_mapping`]), else [`guess_mapping`], else the
/// first row of the first visible sheet that has cells, nothing recognised. `saved` holds the
/// organisation's mappings, the preferred first.
pub fn propose_mapping(
    workbook: &Workbook,
    saved: &[ColumnMapping],
    chosen: Option<(&str, Option<usize>)>,
) -> Result<MappingProposal, CatalogImportError> {
    let found = |mapping| MappingProposal { mapping, saved: true, unrecognised: false };
    let guessed = |mapping: ColumnMapping, sheet: &SheetGrid| {
        let unrecognised = (1..=sheet.width()).all(|c| mapping.role_of_column(c) == ColumnRole::Ignore);
        MappingProposal { mapping, saved: false, unrecognised }
    };
    let fits = |m: &ColumnMapping, sheet: &SheetGrid, row: usize| {
        m.header_row == row && m.layout.as_deref() == Some(layout_fingerprint(sheet, row).as_str())
    };
    match chosen {
        Some((name, header_row)) => {
            let sheet = workbook.sheet(name).ok_or_else(|| CatalogImportError::SheetNotFound { sheet: name.to_string() })?;
            let row = match header_row {
                Some(row) => row,
                None => match saved.iter().find(|m| fits(m, sheet, m.header_row)) {
                    Some(m) => m.header_row,
                    None => guess_sheet(sheet).map_or(1, |m| m.header_row),
                },
            };
            check_header_row(sheet, row)?;
            match saved.iter().find(|m| fits(m, sheet, row)) {
                Some(m) => Ok(found(ColumnMapping { sheet: sheet.name.clone(), ..m.clone() })),
                None => Ok(guessed(guess_at(sheet, row), sheet)),
            }
        }
        None => {
            if let Some(m) = find_mapping(workbook, saved) {
                return Ok(found(m));
            }
            if let Some(m) = guess_mapping(workbook) {
                return Ok(MappingProposal { mapping: m, saved: false, unrecognised: false });
            }
            let sheet = workbook.sheets.iter().filter(|s| !s.hidden).find(|s| !s.rows.is_empty()).ok_or(CatalogImportError::NoTable)?;
            Ok(guessed(guess_at(sheet, 1), sheet))
        }
    }
}

fn check_header_row(sheet: &SheetGrid, header_row: usize) -> Result<(), CatalogImportError> {
    if header_row == 0 || header_row > sheet.rows.len() {
        return Err(CatalogImportError::HeaderRowOutside { sheet: sheet.name.clone(), row: header_row, rows: sheet.rows.len() });
    }
    Ok(())
}
