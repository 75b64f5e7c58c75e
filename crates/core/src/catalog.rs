//! Catalogs: versioned sets of requirements with stable ids, grouping and cross-references
//! (DESIGN.md, concept 1), and the mappings between them.
//!
//! A [`CatalogDef`] is the interchange form: library files, OSCAL, CISO Assistant YAML and
//! spreadsheets all become one. [`Catalog::check`] turns it into a [`Catalog`] whose invariants
//! hold (refs unique and well formed, parents before children, attributes declared, sizes within
//! [`CatalogLimits`]); everything after that (tree, search, comparison of editions, mappings) works
//! on checked catalogs only. The format of library files is described in
//! `library/catalogs/README.md`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::classification::Confidentiality;
use crate::search::normalise;
use crate::text::{Lang, Text};

/// A text that a source may give in Japanese, in English, or both. At least one is present
/// (checked by [`Catalog::check`]); the viewer's language is shown, falling back to the other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalText {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ja: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl LocalText {
    pub fn ja(text: impl Into<String>) -> LocalText {
        LocalText { ja: Some(text.into()), en: None }
    }

    pub fn en(text: impl Into<String>) -> LocalText {
        LocalText { ja: None, en: Some(text.into()) }
    }

    /// The text in `lang`, or in the other language when `lang` is missing.
    pub fn get(&self, lang: Lang) -> &str {
        let (first, second) = match lang {
            Lang::Ja => (&self.ja, &self.en),
            Lang::En => (&self.en, &self.ja),
        };
        first.as_deref().or(second.as_deref()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.ja.as_deref().is_none_or(str::is_empty) && self.en.as_deref().is_none_or(str::is_empty)
    }

    fn chars(&self) -> usize {
        self.ja.as_deref().map_or(0, |t| t.chars().count()) + self.en.as_deref().map_or(0, |t| t.chars().count())
    }
}

impl From<Text> for LocalText {
    fn from(t: Text) -> LocalText {
        LocalText { ja: Some(t.ja), en: Some(t.en) }
    }
}

/// Whether a node groups others or is an item that an assessment answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Group,
    Requirement,
}

/// 回答対象: whether a requirement must be answered (必須) or may be (任意).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerTarget {
    Mandatory,
    Optional,
}

impl AnswerTarget {
    pub fn text(self) -> Text {
        match self {
            AnswerTarget::Mandatory => Text::new("必須", "Mandatory"),
            AnswerTarget::Optional => Text::new("任意", "Optional"),
        }
    }
}

/// How often something must be done, normalised from texts such as 「1 回以上/年」.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    AtLeastAnnually,
    AtLeastSemiannually,
    AtLeastQuarterly,
    AtLeastMonthly,
    AtLeastWeekly,
    Daily,
    OnChange,
    OnMajorIncidentOrChange,
    OnHire,
    OnLeave,
    OnEvent,
    RegularlyUnspecified,
}

impl Frequency {
    pub fn text(self) -> Text {
        match self {
            Frequency::AtLeastAnnually => Text::new("年 1 回以上", "At least annually"),
            Frequency::AtLeastSemiannually => Text::new("半年に 1 回以上", "At least every six months"),
            Frequency::AtLeastQuarterly => Text::new("四半期に 1 回以上", "At least quarterly"),
            Frequency::AtLeastMonthly => Text::new("月 1 回以上", "At least monthly"),
            Frequency::AtLeastWeekly => Text::new("週 1 回以上", "At least weekly"),
            Frequency::Daily => Text::new("毎日", "Daily"),
            Frequency::OnChange => Text::new("変更時", "On change"),
            Frequency::OnMajorIncidentOrChange => Text::new("重大な変化・事故の発生時", "On a major incident or change"),
            Frequency::OnHire => Text::new("入社・受入れ時", "On joining"),
            Frequency::OnLeave => Text::new("退職・期間満了時", "On leaving"),
            Frequency::OnEvent => Text::new("事象の発生時", "When it happens"),
            Frequency::RegularlyUnspecified => Text::new("定期的（頻度の定めなし）", "Regularly (interval not stated)"),
        }
    }
}

/// Facts about a node that a reader must know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeFlag {
    /// The source has no 達成条件 for this row (Kubota No. 72).
    NoConditionInSource,
    /// The numbering is a reconstruction, not the source's.
    ProvisionalNumbering,
    /// A cited id is wrong in the source; the citation is kept as written.
    CitationError,
    /// The text belongs to its owner and is not shipped: the organisation imports its own copy.
    StructureOnly,
    /// The source leaves the cell blank, meaning the value above.
    TextInherited,
}

impl NodeFlag {
    pub fn text(self) -> Text {
        match self {
            NodeFlag::NoConditionInSource => Text::new("原典に達成条件の記載なし", "No condition in the source"),
            NodeFlag::ProvisionalNumbering => Text::new("番号は暫定（原典から再構成）", "Provisional numbering (reconstructed)"),
            NodeFlag::CitationError => Text::new("原典の引用番号に誤りの可能性", "The source's citation looks wrong"),
            NodeFlag::StructureOnly => {
                Text::new("構成のみ（本文は自社の原本を取り込み）", "Structure only (import your own copy of the text)")
            }
            NodeFlag::TextInherited => Text::new("原典では空欄（上の行と同じ）", "Blank in the source (same as the row above)"),
        }
    }
}

/// A relationship between two requirements or groups of different catalogs, in the vocabulary
/// of NIST OLIR and CISO Assistant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    Equal,
    /// The source is part of the target.
    Subset,
    /// The source contains the target.
    Superset,
    Intersect,
    Related,
}

impl Relationship {
    /// The same relationship seen from the other side.
    pub fn inverse(self) -> Relationship {
        match self {
            Relationship::Subset => Relationship::Superset,
            Relationship::Superset => Relationship::Subset,
            other => other,
        }
    }

    pub fn text(self) -> Text {
        match self {
            Relationship::Equal => Text::new("同等", "Equal"),
            Relationship::Subset => Text::new("部分（含まれる）", "Subset"),
            Relationship::Superset => Text::new("包含（含む）", "Superset"),
            Relationship::Intersect => Text::new("一部重複", "Intersects"),
            Relationship::Related => Text::new("関連", "Related"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Equal => "equal",
            Relationship::Subset => "subset",
            Relationship::Superset => "superset",
            Relationship::Intersect => "intersect",
            Relationship::Related => "related",
        }
    }

    pub fn parse(text: &str) -> Option<Relationship> {
        match text.trim().to_ascii_lowercase().as_str() {
            "equal" => Some(Relationship::Equal),
            "subset" => Some(Relationship::Subset),
            "superset" => Some(Relationship::Superset),
            "intersect" => Some(Relationship::Intersect),
            "related" => Some(Relationship::Related),
            _ => None,
        }
    }
}

/// An attribute of requirements that a catalog declares (目的, 達成条件, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeDef {
    pub key: String,
    pub name: LocalText,
}

/// One part of a 達成基準, split at its 【】 headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    #[serde(default)]
    pub header: String,
    pub text: String,
}

/// A group or requirement as a source gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDef {
    #[serde(rename = "ref")]
    pub ref_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub kind: NodeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<LocalText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<LocalText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_target: Option<AnswerTarget>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<Criterion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frequencies: Vec<Frequency>,
    /// Ids this node cites in other catalogs, written `catalog-key:ref`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cites: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<NodeFlag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<LocalText>,
}

impl NodeDef {
    /// A node with only its ref, kind and parent; the rest empty.
    pub fn new(ref_id: impl Into<String>, kind: NodeKind, parent: Option<String>) -> NodeDef {
        NodeDef {
            ref_id: ref_id.into(),
            parent,
            kind,
            number: None,
            title: None,
            text: None,
            answer_target: None,
            fields: BTreeMap::new(),
            criteria: Vec::new(),
            frequencies: Vec::new(),
            cites: Vec::new(),
            flags: Vec::new(),
            notes: None,
        }
    }
}

/// A catalog edition as a source gives it (a library file, or what an importer produced).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogDef {
    /// The catalog's family; editions share it.
    pub key: String,
    pub edition: String,
    pub urn: String,
    pub name: LocalText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<LocalText>,
    #[serde(default)]
    pub language: Lang,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// How the owner marks the document.
    #[serde(default = "public")]
    pub classification: Confidentiality,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LocalText>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<AttributeDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_scale: Option<String>,
    pub nodes: Vec<NodeDef>,
}

impl CatalogDef {
    /// Gives the catalog the edition a person chose (for a file whose own version is already
    /// imported, or says nothing of the year); its URN follows, so editions stay apart. Blank or
    /// unchanged: nothing happens.
    pub fn set_edition(&mut self, edition: &str) {
        let edition = edition.trim();
        if edition.is_empty() || edition == self.edition {
            return;
        }
        let edition: String = edition.chars().take(64).collect();
        let tail: String =
            edition.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
        self.urn = format!("{}:{tail}", self.urn);
        self.edition = edition;
    }
}

/// The catalogs an organisation works with: the built-in ones, where the organisation's own
/// edition of the same key replaces the built-in one (its copy of a structure-only catalog, with
/// the owner's text), then its other editions. Each comes with whether it is the organisation's
/// own. Who may read which is decided by `authz`.
pub fn overlay<C: AsRef<Catalog> + Clone>(builtin: &[C], mut own: Vec<C>) -> Vec<(C, bool)> {
    let mut out = Vec::with_capacity(builtin.len() + own.len());
    for b in builtin {
        let same = |o: &C| o.as_ref().key() == b.as_ref().key() && o.as_ref().edition() == b.as_ref().edition();
        match own.iter().position(same) {
            Some(i) => out.push((own.remove(i), true)),
            None => out.push((b.clone(), false)),
        }
    }
    out.extend(own.into_iter().map(|o| (o, true)));
    out
}

fn public() -> Confidentiality {
    Confidentiality::Public
}

/// Bounds on what a catalog may hold: imports of outside data are checked against them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogLimits {
    pub max_nodes: usize,
    pub max_depth: usize,
    /// Characters in one text (title, statement, attribute value, criterion).
    pub max_text_chars: usize,
}

impl Default for CatalogLimits {
    fn default() -> CatalogLimits {
        CatalogLimits { max_nodes: 200_000, max_depth: 16, max_text_chars: 100_000 }
    }
}

/// Why a catalog was refused, with the node it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog {field} is invalid: {value:?}")]
    Header { field: &'static str, value: String },
    #[error("node {index}: invalid ref {ref_id:?}")]
    BadRef { index: usize, ref_id: String },
    #[error("node {index}: ref {ref_id:?} appears twice")]
    DuplicateRef { index: usize, ref_id: String },
    #[error("node {ref_id:?}: parent {parent:?} is not declared before it")]
    UnknownParent { ref_id: String, parent: String },
    #[error("node {ref_id:?}: parent {parent:?} is a requirement, not a group")]
    ParentNotGroup { ref_id: String, parent: String },
    #[error("node {ref_id:?}: nested deeper than {max}")]
    TooDeep { ref_id: String, max: usize },
    #[error("node {ref_id:?}: a group needs a title")]
    UntitledGroup { ref_id: String },
    #[error("node {ref_id:?}: a requirement needs a text, a title or the structure_only flag")]
    EmptyRequirement { ref_id: String },
    #[error("node {ref_id:?}: attribute {field:?} is not declared by the catalog")]
    UndeclaredField { ref_id: String, field: String },
    #[error("node {ref_id:?}: a text is longer than {max} characters")]
    TextTooLong { ref_id: String, max: usize },
    #[error("the catalog has more than {max} nodes")]
    TooManyNodes { max: usize },
}

impl CatalogError {
    pub fn text(&self) -> Text {
        match self {
            CatalogError::Header { field, value } => {
                Text::new(format!("カタログの {field} が正しくありません: {value}"), format!("The catalog's {field} is invalid: {value}"))
            }
            CatalogError::BadRef { index, ref_id } => Text::new(
                format!("{index} 番目の項目の ID「{ref_id}」が正しくありません（1〜64 文字、空白なし）"),
                format!("Item {index}: the id \"{ref_id}\" is invalid (1-64 characters, no spaces)"),
            ),
            CatalogError::DuplicateRef { index, ref_id } => Text::new(
                format!("{index} 番目の項目の ID「{ref_id}」が重複しています"),
                format!("Item {index}: the id \"{ref_id}\" appears twice"),
            ),
            CatalogError::UnknownParent { ref_id, parent } => Text::new(
                format!("項目「{ref_id}」の親「{parent}」がそれより前にありません"),
                format!("Item \"{ref_id}\": its parent \"{parent}\" is not declared before it"),
            ),
            CatalogError::ParentNotGroup { ref_id, parent } => Text::new(
                format!("項目「{ref_id}」の親「{parent}」は要求事項で、グループではありません"),
                format!("Item \"{ref_id}\": its parent \"{parent}\" is a requirement, not a group"),
            ),
            CatalogError::TooDeep { ref_id, max } => Text::new(
                format!("項目「{ref_id}」の階層が {max} を超えています"),
                format!("Item \"{ref_id}\" is nested deeper than {max}"),
            ),
            CatalogError::UntitledGroup { ref_id } => {
                Text::new(format!("グループ「{ref_id}」に名前がありません"), format!("Group \"{ref_id}\" has no title"))
            }
            CatalogError::EmptyRequirement { ref_id } => Text::new(
                format!("要求事項「{ref_id}」に本文も名前もありません"),
                format!("Requirement \"{ref_id}\" has neither a text nor a title"),
            ),
            CatalogError::UndeclaredField { ref_id, field } => Text::new(
                format!("項目「{ref_id}」の属性「{field}」はカタログで定義されていません"),
                format!("Item \"{ref_id}\": the attribute \"{field}\" is not declared by the catalog"),
            ),
            CatalogError::TextTooLong { ref_id, max } => Text::new(
                format!("項目「{ref_id}」の文章が {max} 文字を超えています"),
                format!("Item \"{ref_id}\": a text is longer than {max} characters"),
            ),
            CatalogError::TooManyNodes { max } => {
                Text::new(format!("項目数が上限 {max} を超えています"), format!("The catalog has more than {max} items"))
            }
        }
    }
}

/// Counts of a catalog's nodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CatalogStats {
    pub groups: usize,
    pub requirements: usize,
    pub mandatory: usize,
    pub optional: usize,
}

/// A checked catalog: its definition plus the tree.
#[derive(Debug, Clone)]
pub struct Catalog {
    def: CatalogDef,
    by_ref: HashMap<String, usize>,
    children: Vec<Vec<usize>>,
    roots: Vec<usize>,
    depth: Vec<usize>,
}

fn valid_ref(text: &str) -> bool {
    !text.is_empty() && text.chars().count() <= 64 && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn valid_key(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

impl Catalog {
    /// Checks a definition against the invariants and the limits.
    pub fn check(def: CatalogDef, limits: &CatalogLimits) -> Result<Catalog, CatalogError> {
        if !valid_key(&def.key) {
            return Err(CatalogError::Header { field: "key", value: def.key.chars().take(80).collect() });
        }
        if def.edition.trim().is_empty() || def.edition.chars().count() > 64 {
            return Err(CatalogError::Header { field: "edition", value: def.edition.chars().take(80).collect() });
        }
        if def.urn.trim().is_empty() || def.urn.len() > 256 || def.urn.chars().any(char::is_whitespace) {
            return Err(CatalogError::Header { field: "urn", value: def.urn.chars().take(80).collect() });
        }
        if def.name.is_empty() || def.name.chars() > 500 {
            return Err(CatalogError::Header { field: "name", value: def.name.get(Lang::En).chars().take(80).collect() });
        }
        if def.nodes.len() > limits.max_nodes {
            return Err(CatalogError::TooManyNodes { max: limits.max_nodes });
        }
        let declared: BTreeSet<&str> = def.fields.iter().map(|f| f.key.as_str()).collect();
        let mut by_ref = HashMap::with_capacity(def.nodes.len());
        let mut children = vec![Vec::new(); def.nodes.len()];
        let mut roots = Vec::new();
        let mut depth = vec![0; def.nodes.len()];
        for (index, node) in def.nodes.iter().enumerate() {
            if !valid_ref(&node.ref_id) {
                return Err(CatalogError::BadRef { index: index + 1, ref_id: node.ref_id.chars().take(80).collect() });
            }
            let ref_id = || node.ref_id.clone();
            match &node.parent {
                None => roots.push(index),
                Some(parent) => {
                    let Some(&p): Option<&usize> = by_ref.get(parent.as_str()) else {
                        return Err(CatalogError::UnknownParent { ref_id: ref_id(), parent: parent.chars().take(80).collect() });
                    };
                    if def.nodes[p].kind != NodeKind::Group {
                        return Err(CatalogError::ParentNotGroup { ref_id: ref_id(), parent: parent.clone() });
                    }
                    depth[index] = depth[p] + 1;
                    if depth[index] >= limits.max_depth {
                        return Err(CatalogError::TooDeep { ref_id: ref_id(), max: limits.max_depth });
                    }
                    children[p].push(index);
                }
            }
            if by_ref.insert(node.ref_id.clone(), index).is_some() {
                return Err(CatalogError::DuplicateRef { index: index + 1, ref_id: ref_id() });
            }
            let has = |t: &Option<LocalText>| t.as_ref().is_some_and(|t| !t.is_empty());
            match node.kind {
                NodeKind::Group if !has(&node.title) => return Err(CatalogError::UntitledGroup { ref_id: ref_id() }),
                NodeKind::Requirement if !has(&node.title) && !has(&node.text) && !node.flags.contains(&NodeFlag::StructureOnly) => {
                    return Err(CatalogError::EmptyRequirement { ref_id: ref_id() });
                }
                _ => {}
            }
            if let Some(field) = node.fields.keys().find(|k| !declared.contains(k.as_str())) {
                return Err(CatalogError::UndeclaredField { ref_id: ref_id(), field: field.clone() });
            }
            let max = limits.max_text_chars;
            let too_long = [&node.title, &node.text, &node.notes].iter().any(|t| t.as_ref().is_some_and(|t| t.chars() > max))
                || node.fields.values().any(|v| v.chars().count() > max)
                || node.criteria.iter().any(|c| c.text.chars().count() > max || c.header.chars().count() > max)
                || node.cites.iter().any(|c| c.chars().count() > 200)
                || node.number.as_ref().is_some_and(|n| n.chars().count() > 200);
            if too_long {
                return Err(CatalogError::TextTooLong { ref_id: ref_id(), max });
            }
        }
        Ok(Catalog { def, by_ref, children, roots, depth })
    }

    pub fn def(&self) -> &CatalogDef {
        &self.def
    }

    pub fn into_def(self) -> CatalogDef {
        self.def
    }

    pub fn key(&self) -> &str {
        &self.def.key
    }

    pub fn edition(&self) -> &str {
        &self.def.edition
    }

    pub fn nodes(&self) -> &[NodeDef] {
        &self.def.nodes
    }

    pub fn node(&self, ref_id: &str) -> Option<&NodeDef> {
        self.by_ref.get(ref_id).map(|&i| &self.def.nodes[i])
    }

    /// The URN of a node: the catalog's URN and the node's ref.
    pub fn urn_of(&self, ref_id: &str) -> String {
        format!("{}:{}", self.def.urn, ref_id)
    }

    pub fn roots(&self) -> impl Iterator<Item = &NodeDef> {
        self.roots.iter().map(|&i| &self.def.nodes[i])
    }

    pub fn children(&self, ref_id: &str) -> impl Iterator<Item = &NodeDef> {
        let list = self.by_ref.get(ref_id).map(|&i| self.children[i].as_slice()).unwrap_or_default();
        list.iter().map(|&i| &self.def.nodes[i])
    }

    /// The groups above a node, outermost first.
    pub fn ancestors(&self, ref_id: &str) -> Vec<&NodeDef> {
        let mut chain = Vec::new();
        let mut current = self.node(ref_id).and_then(|n| n.parent.as_deref());
        while let Some(parent) = current {
            let Some(node) = self.node(parent) else { break };
            chain.push(node);
            current = node.parent.as_deref();
        }
        chain.reverse();
        chain
    }

    /// Every node in tree order (a group, then its descendants), with its depth.
    pub fn walk(&self) -> Vec<(usize, &NodeDef)> {
        let mut out = Vec::with_capacity(self.def.nodes.len());
        let mut stack: Vec<usize> = self.roots.iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            out.push((self.depth[i], &self.def.nodes[i]));
            stack.extend(self.children[i].iter().rev());
        }
        out
    }

    pub fn stats(&self) -> CatalogStats {
        let mut s = CatalogStats::default();
        for node in &self.def.nodes {
            match node.kind {
                NodeKind::Group => s.groups += 1,
                NodeKind::Requirement => {
                    s.requirements += 1;
                    match node.answer_target {
                        Some(AnswerTarget::Mandatory) => s.mandatory += 1,
                        Some(AnswerTarget::Optional) => s.optional += 1,
                        None => {}
                    }
                }
            }
        }
        s
    }

    /// The name a viewer reads for a node: the number the source shows and its title (or its
    /// statement). A ref is Mamori's id, not the source's: it is shown only when the node has
    /// neither a number nor any text.
    pub fn label(node: &NodeDef, lang: Lang) -> String {
        let title = node.title.as_ref().filter(|t| !t.is_empty()).or(node.text.as_ref()).map(|t| t.get(lang)).unwrap_or_default();
        match (&node.number, title.is_empty()) {
            (Some(n), false) if !n.is_empty() => format!("{n} {title}"),
            (Some(n), true) if !n.is_empty() => n.clone(),
            (_, false) => title.to_string(),
            (_, true) => node.ref_id.clone(),
        }
    }

    /// The refs of nodes whose ref, number, title, statement, attributes or criteria contain
    /// every word of `query` (NFKC-normalised, case-insensitive; Japanese matched as written),
    /// in catalog order.
    pub fn search(&self, query: &str) -> Vec<&NodeDef> {
        let words: Vec<String> = normalise(query).split_whitespace().map(str::to_string).collect();
        if words.is_empty() {
            return Vec::new();
        }
        self.def
            .nodes
            .iter()
            .filter(|node| {
                let hay = normalise(&haystack(node));
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .collect()
    }
}

fn haystack(node: &NodeDef) -> String {
    let mut parts: Vec<&str> = vec![&node.ref_id];
    parts.extend(node.number.as_deref());
    for t in [&node.title, &node.text].into_iter().flatten() {
        parts.extend(t.ja.as_deref());
        parts.extend(t.en.as_deref());
    }
    parts.extend(node.fields.values().map(String::as_str));
    for c in &node.criteria {
        parts.push(&c.text);
    }
    parts.join("\n")
}

/// A part of a node that can change between editions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodePart {
    Kind,
    Parent,
    Number,
    Title,
    Text,
    AnswerTarget,
    Fields,
    Criteria,
    Frequencies,
    Cites,
}

impl NodePart {
    pub fn as_str(self) -> &'static str {
        match self {
            NodePart::Kind => "kind",
            NodePart::Parent => "parent",
            NodePart::Number => "number",
            NodePart::Title => "title",
            NodePart::Text => "text",
            NodePart::AnswerTarget => "answer_target",
            NodePart::Fields => "fields",
            NodePart::Criteria => "criteria",
            NodePart::Frequencies => "frequencies",
            NodePart::Cites => "cites",
        }
    }

    pub fn text(self) -> Text {
        let (ja, en) = match self {
            NodePart::Kind => ("種別", "kind"),
            NodePart::Parent => ("位置（親）", "position"),
            NodePart::Number => ("番号", "number"),
            NodePart::Title => ("名称", "title"),
            NodePart::Text => ("本文", "text"),
            NodePart::AnswerTarget => ("回答対象", "answer target"),
            NodePart::Fields => ("属性", "attributes"),
            NodePart::Criteria => ("達成基準", "criteria"),
            NodePart::Frequencies => ("頻度", "frequency"),
            NodePart::Cites => ("引用", "citations"),
        };
        Text::new(ja, en)
    }
}

/// What changed between two editions of a catalog, matched by ref.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Refs in both whose content differs, with the parts that changed.
    pub changed: Vec<(String, Vec<NodePart>)>,
    pub unchanged: usize,
}

/// Compares two catalogs (typically two editions of one): which refs were added or removed,
/// and for refs in both, which parts changed (title, text, parent, answer target, attributes,
/// criteria, frequencies, cites, kind).
pub fn diff(old: &Catalog, new: &Catalog) -> CatalogDiff {
    let mut out = CatalogDiff::default();
    for node in new.nodes() {
        match old.node(&node.ref_id) {
            None => out.added.push(node.ref_id.clone()),
            Some(before) => {
                let parts = changed_parts(before, node);
                if parts.is_empty() {
                    out.unchanged += 1;
                } else {
                    out.changed.push((node.ref_id.clone(), parts));
                }
            }
        }
    }
    out.removed = old.nodes().iter().filter(|n| new.node(&n.ref_id).is_none()).map(|n| n.ref_id.clone()).collect();
    out
}

fn changed_parts(a: &NodeDef, b: &NodeDef) -> Vec<NodePart> {
    let differs = [
        (NodePart::Kind, a.kind != b.kind),
        (NodePart::Parent, a.parent != b.parent),
        (NodePart::Number, a.number != b.number),
        (NodePart::Title, a.title != b.title),
        (NodePart::Text, a.text != b.text),
        (NodePart::AnswerTarget, a.answer_target != b.answer_target),
        (NodePart::Fields, a.fields != b.fields),
        (NodePart::Criteria, a.criteria != b.criteria),
        (NodePart::Frequencies, a.frequencies != b.frequencies),
        (NodePart::Cites, a.cites != b.cites),
    ];
    differs.into_iter().filter_map(|(part, changed)| changed.then_some(part)).collect()
}

/// One link of a mapping, by refs in the source and target catalogs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingEntry {
    pub source: String,
    pub target: String,
    pub relationship: Relationship,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<LocalText>,
}

/// A set of links from one catalog to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingDef {
    pub key: String,
    /// The source catalog's key, optionally `key@edition`.
    pub source: String,
    pub target: String,
    pub name: LocalText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_note: Option<String>,
    pub entries: Vec<MappingEntry>,
}

/// Which catalog a mapping side names: a key, and an edition when it says `key@edition`.
pub fn parse_catalog_ref(text: &str) -> (&str, Option<&str>) {
    match text.split_once('@') {
        Some((key, edition)) => (key, Some(edition)),
        None => (text, None),
    }
}

/// Why a mapping was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("mapping {mapping}: entry {index}: {side} ref {ref_id:?} is not in catalog {catalog}")]
    UnknownRef { mapping: String, index: usize, side: &'static str, ref_id: String, catalog: String },
}

impl MappingError {
    pub fn text(&self) -> Text {
        match self {
            MappingError::UnknownRef { mapping, index, side, ref_id, catalog } => Text::new(
                format!("対応表 {mapping} の {index} 行目: {side} の「{ref_id}」はカタログ {catalog} にありません"),
                format!("Mapping {mapping}, entry {index}: the {side} \"{ref_id}\" is not in catalog {catalog}"),
            ),
        }
    }
}

/// Checks that every entry of a mapping names nodes that exist in its two catalogs.
pub fn check_mapping(mapping: &MappingDef, source: &Catalog, target: &Catalog) -> Result<(), MappingError> {
    for (i, e) in mapping.entries.iter().enumerate() {
        for (side, catalog, ref_id) in [("source", source, &e.source), ("target", target, &e.target)] {
            if catalog.node(ref_id).is_none() {
                return Err(MappingError::UnknownRef {
                    mapping: mapping.key.clone(),
                    index: i + 1,
                    side,
                    ref_id: ref_id.clone(),
                    catalog: format!("{}@{}", catalog.key(), catalog.edition()),
                });
            }
        }
    }
    Ok(())
}

/// A link seen from one node: the other catalog's key and ref, and the relationship read from
/// this node's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub mapping: String,
    pub catalog: String,
    pub ref_id: String,
    pub relationship: Relationship,
}

/// Every link of `mappings` that touches node `ref_id` of catalog `key`, in both directions.
pub fn links_of<'a>(mappings: impl IntoIterator<Item = &'a MappingDef>, key: &str, ref_id: &str) -> Vec<Link> {
    let mut out = Vec::new();
    for m in mappings {
        let (source_key, _) = parse_catalog_ref(&m.source);
        let (target_key, _) = parse_catalog_ref(&m.target);
        for e in &m.entries {
            if source_key == key && e.source == ref_id {
                out.push(Link {
                    mapping: m.key.clone(),
                    catalog: target_key.to_string(),
                    ref_id: e.target.clone(),
                    relationship: e.relationship,
                });
            }
            if target_key == key && e.target == ref_id {
                out.push(Link {
                    mapping: m.key.clone(),
                    catalog: source_key.to_string(),
                    ref_id: e.source.clone(),
                    relationship: e.relationship.inverse(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(nodes: Vec<NodeDef>) -> CatalogDef {
        CatalogDef {
            key: "t".into(),
            edition: "1".into(),
            urn: "urn:t:1".into(),
            name: LocalText::ja("テスト"),
            publisher: None,
            language: Lang::Ja,
            source: None,
            classification: Confidentiality::Public,
            description: None,
            fields: vec![AttributeDef { key: "purpose".into(), name: LocalText::ja("目的") }],
            answer_scale: None,
            nodes,
        }
    }

    fn group(r: &str, parent: Option<&str>) -> NodeDef {
        let mut n = NodeDef::new(r, NodeKind::Group, parent.map(str::to_string));
        n.title = Some(LocalText::ja(format!("グループ{r}")));
        n
    }

    fn req(r: &str, parent: Option<&str>, text: &str) -> NodeDef {
        let mut n = NodeDef::new(r, NodeKind::Requirement, parent.map(str::to_string));
        n.text = Some(LocalText::ja(text));
        n
    }

    #[test]
    fn tree_order_and_ancestors() {
        let c = Catalog::check(
            def(vec![
                group("1", None),
                req("1.1", Some("1"), "方針"),
                group("2", None),
                group("2.1", Some("2")),
                req("2.1.1", Some("2.1"), "x"),
            ]),
            &CatalogLimits::default(),
        )
        .unwrap();
        let order: Vec<(usize, &str)> = c.walk().into_iter().map(|(d, n)| (d, n.ref_id.as_str())).collect();
        assert_eq!(order, vec![(0, "1"), (1, "1.1"), (0, "2"), (1, "2.1"), (2, "2.1.1")]);
        let up: Vec<&str> = c.ancestors("2.1.1").iter().map(|n| n.ref_id.as_str()).collect();
        assert_eq!(up, vec!["2", "2.1"]);
        assert_eq!(c.stats(), CatalogStats { groups: 3, requirements: 2, mandatory: 0, optional: 0 });
    }

    #[test]
    fn refuses_broken_structure() {
        let limits = CatalogLimits::default();
        let dup = Catalog::check(def(vec![group("1", None), req("1", Some("1"), "x")]), &limits).unwrap_err();
        assert!(matches!(dup, CatalogError::DuplicateRef { .. }), "{dup:?}");
        let orphan = Catalog::check(def(vec![req("1.1", Some("1"), "x"), group("1", None)]), &limits).unwrap_err();
        assert!(matches!(orphan, CatalogError::UnknownParent { .. }), "{orphan:?}");
        let under_req = Catalog::check(def(vec![req("1", None, "x"), req("1.1", Some("1"), "y")]), &limits).unwrap_err();
        assert!(matches!(under_req, CatalogError::ParentNotGroup { .. }), "{under_req:?}");
        let spaced = Catalog::check(def(vec![req("a b", None, "x")]), &limits).unwrap_err();
        assert!(matches!(spaced, CatalogError::BadRef { .. }), "{spaced:?}");
        let mut undeclared = req("1", None, "x");
        undeclared.fields.insert("colour".into(), "red".into());
        let err = Catalog::check(def(vec![undeclared]), &limits).unwrap_err();
        assert!(matches!(err, CatalogError::UndeclaredField { .. }), "{err:?}");
        let empty = Catalog::check(def(vec![NodeDef::new("1", NodeKind::Requirement, None)]), &limits).unwrap_err();
        assert!(matches!(empty, CatalogError::EmptyRequirement { .. }), "{empty:?}");
        let mut structure = NodeDef::new("1", NodeKind::Requirement, None);
        structure.flags.push(NodeFlag::StructureOnly);
        assert!(Catalog::check(def(vec![structure]), &limits).is_ok());
    }

    #[test]
    fn limits_are_enforced() {
        let limits = CatalogLimits { max_nodes: 2, max_depth: 2, max_text_chars: 5 };
        let many = Catalog::check(def(vec![group("1", None), group("2", None), group("3", None)]), &limits).unwrap_err();
        assert_eq!(many, CatalogError::TooManyNodes { max: 2 });
        let deep_limits = CatalogLimits { max_nodes: 10, ..limits };
        let deep = Catalog::check(def(vec![group("1", None), group("2", Some("1")), group("3", Some("2"))]), &deep_limits).unwrap_err();
        assert!(matches!(deep, CatalogError::TooDeep { .. }), "{deep:?}");
        let long = Catalog::check(def(vec![req("1", None, "とても長い文章")]), &limits).unwrap_err();
        assert!(matches!(long, CatalogError::TextTooLong { .. }), "{long:?}");
    }

    #[test]
    fn search_matches_every_word_across_languages_and_widths() {
        let mut n = req("A.5.1", None, "情報セキュリティのための方針群");
        n.title = Some(LocalText { ja: None, en: Some("Policies for Information Security".into()) });
        let c = Catalog::check(def(vec![n, req("A.6", None, "組織")]), &CatalogLimits::default()).unwrap();
        let refs = |q: &str| c.search(q).iter().map(|n| n.ref_id.clone()).collect::<Vec<_>>();
        assert_eq!(refs("方針"), vec!["A.5.1"]);
        assert_eq!(refs("ｐｏｌｉｃｉｅｓ security"), vec!["A.5.1"], "full-width Latin and case fold");
        assert_eq!(refs("方針 組織"), Vec::<String>::new(), "every word must match");
        assert_eq!(refs("a.6"), vec!["A.6"]);
        assert!(refs("   ").is_empty());
    }

    #[test]
    fn diff_finds_added_removed_changed() {
        let limits = CatalogLimits::default();
        let old = Catalog::check(def(vec![group("1", None), req("1.1", Some("1"), "旧"), req("1.2", Some("1"), "同じ")]), &limits).unwrap();
        let new = Catalog::check(
            def(vec![group("1", None), req("1.1", Some("1"), "新"), req("1.3", Some("1"), "追加"), req("1.2", Some("1"), "同じ")]),
            &limits,
        )
        .unwrap();
        let d = diff(&old, &new);
        assert_eq!(d.added, vec!["1.3"]);
        assert!(d.removed.is_empty());
        assert_eq!(d.changed, vec![("1.1".to_string(), vec![NodePart::Text])]);
        assert_eq!(NodePart::AnswerTarget.as_str(), serde_json::to_value(NodePart::AnswerTarget).unwrap(), "one name in JSON and text");
        assert_eq!(d.unchanged, 2);
        let back = diff(&new, &old);
        assert_eq!(back.removed, vec!["1.3"]);
    }

    #[test]
    fn links_read_both_ways() {
        let m = MappingDef {
            key: "a-to-b".into(),
            source: "a".into(),
            target: "b@2".into(),
            name: LocalText::en("a to b"),
            source_note: None,
            entries: vec![MappingEntry { source: "1".into(), target: "x".into(), relationship: Relationship::Subset, notes: None }],
        };
        let forward = links_of([&m], "a", "1");
        assert_eq!(
            forward,
            vec![Link { mapping: "a-to-b".into(), catalog: "b".into(), ref_id: "x".into(), relationship: Relationship::Subset }]
        );
        let backward = links_of([&m], "b", "x");
        assert_eq!(backward[0].relationship, Relationship::Superset);
        assert_eq!(backward[0].ref_id, "1");
        assert!(links_of([&m], "a", "2").is_empty());
    }

    #[test]
    fn labels_show_the_source_number_never_an_internal_ref() {
        let mut numbered = req("L1.R1.3", None, "方針を定める");
        numbered.number = Some("3".into());
        assert_eq!(Catalog::label(&numbered, Lang::Ja), "3 方針を定める");
        assert_eq!(Catalog::label(&group("L1.R1", None), Lang::Ja), "グループL1.R1", "no number: the title alone");
        let mut structure = NodeDef::new("18.9", NodeKind::Requirement, None);
        assert_eq!(Catalog::label(&structure, Lang::Ja), "18.9", "nothing else to show");
        structure.number = Some("⑨".into());
        assert_eq!(Catalog::label(&structure, Lang::Ja), "⑨");
    }

    #[test]
    fn an_own_edition_replaces_the_builtin_one_in_place() {
        let limits = CatalogLimits::default();
        let make = |key: &str, edition: &str, text: &str| {
            let mut d = def(vec![req("1", None, text)]);
            d.key = key.into();
            d.edition = edition.into();
            std::sync::Arc::new(Catalog::check(d, &limits).unwrap())
        };
        let builtin = vec![make("abs", "2025", "構成のみ"), make("iso", "2022", "x")];
        let own = vec![make("mine", "1", "自社"), make("abs", "2025", "原文")];
        let seen: Vec<(String, bool, String)> = overlay(&builtin, own)
            .into_iter()
            .map(|(c, own)| (c.key().to_string(), own, c.node("1").unwrap().text.as_ref().unwrap().get(Lang::Ja).to_string()))
            .collect();
        assert_eq!(
            seen,
            vec![("abs".into(), true, "原文".into()), ("iso".into(), false, "x".into()), ("mine".into(), true, "自社".into())]
        );
    }

    #[test]
    fn a_chosen_edition_moves_the_urn_along() {
        let mut d = def(vec![req("1", None, "x")]);
        d.set_edition("  ");
        assert_eq!((d.edition.as_str(), d.urn.as_str()), ("1", "urn:t:1"));
        d.set_edition("2026年度版");
        assert_eq!((d.edition.as_str(), d.urn.as_str()), ("2026年度版", "urn:t:1:2026___"));
    }

    #[test]
    fn local_text_falls_back() {
        let t = LocalText::ja("方針");
        assert_eq!(t.get(Lang::En), "方針");
        let both = LocalText { ja: Some("方針".into()), en: Some("Policy".into()) };
        assert_eq!(both.get(Lang::En), "Policy");
    }
}
