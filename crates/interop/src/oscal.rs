//! OSCAL catalogs and profiles (JSON, OSCAL 1.1+) to and from [`CatalogDef`].
//!
//! # How OSCAL maps to a catalog
//!
//! * An OSCAL **group** becomes a group node; its ref is the group's id (a group without an id,
//!   which OSCAL allows, gets `group-N`, the first such name not used as an id in the file).
//! * Every OSCAL **control**, enhancements included, becomes a requirement node whose ref is the
//!   control's id (`ac-2`, `ac-2.1`), so a profile's `with-ids` and anyone's OSCAL ids are refs.
//!   `Catalog::check` lets only groups be parents, and a control with enhancements must stay a
//!   requirement (it is assessed itself), so an **enhancement hangs from the enhanced control's
//!   own parent** (its group, or the catalog root) and names the control it enhances in the
//!   attribute `parent_requirement` ("Enhancement of"). Enhancements follow their control in
//!   node order, so the tree reads AC-2, AC-2(1), AC-2(2), ...; the exporter nests them again.
//! * `number` is the control's `label` prop (the one without a class when there are several:
//!   `AC-1`, not `AC-01`). `title` is the title; `text` is the `statement` part with its items
//!   flattened into lines (`a. …`, `  1. …`, two spaces per level), and parameter insertions
//!   rendered as NIST prints them: `[Assignment: <label>]`, `[Selection (one or more): x; y]`.
//! * Every other part (`guidance`, `assessment-objective`, `assessment-method`, `overview`, ...)
//!   becomes an attribute named after the part and declared by the catalog; parts of one name are
//!   joined with a blank line. The `status` prop (withdrawn controls) is kept as attribute
//!   `status`. Links, back-matter, other props and params themselves are not kept.
//! * Texts go to the English side of [`LocalText`], unless the file was written by Mamori in
//!   Japanese (see below).
//! * The catalog's `key` is made from the metadata title (lowercase ASCII words joined by `-`, at
//!   most 64 characters, cut at a word), its `edition` is the metadata `version`, its `urn`
//!   `urn:mamori:oscal:<key>:<edition>`; a file exported by Mamori carries its own (below).
//!
//! OSCAL ids are tokens (`^[_A-Za-z][_A-Za-z0-9.-]*$` in practice) while refs may be `1.2`,
//! `A.5.1.1` or Japanese. [`ref_to_id`] keeps a ref that is already such a token without `_` and
//! otherwise writes `_` followed by the ref with every character outside `[A-Za-z0-9.-]` as `_XX`
//! per UTF-8 byte (`1.2` → `_1.2`, `a_b` → `_a_5Fb`); [`id_to_ref`] undoes it, and leaves ids
//! that are not such an encoding as they are. Part names for attributes use the same encoding.
//!
//! # Export
//!
//! [`export_catalog`] writes OSCAL 1.1.2 JSON: groups as groups, requirements as controls with a
//! `label` prop (the number), a `statement` part (the text as one prose) and one part per
//! attribute; a requirement whose `parent_requirement` names an earlier sibling requirement is
//! nested in it as an enhancement (at most 8 levels deep; a longer chain is written flat, with
//! `parent_requirement` as a part, and re-imports the same). What OSCAL has no place for is written with Mamori's
//! namespace [`MAMORI_NS`] so that the file re-imports to the same refs, numbers, titles,
//! statements and attributes: metadata props `catalog-key`, `catalog-urn`, `language` and `name`
//! (class `ja` / `en`); on a node, a part `translation` (class `ja` or `en`) with the title and
//! statement in the other language, a prop `lang-fallback` (`title` or `text`) when a text exists
//! only in the other language, and a prop `no-title` on a requirement without a title (OSCAL
//! requires one, so its number or ref is written). Titles are written on one line, as OSCAL
//! requires. Answer targets, criteria, frequencies, cites, flags and notes are not exported. A
//! statement containing `{{ insert: … }}` literally would re-import with it rendered.
//!
//! # Profiles
//!
//! [`resolve_profile`] applies a profile's `imports` (`include-all`, `include-controls` and
//! `exclude-controls` with `with-ids`, `matching` patterns and `with-child-controls`) to a
//! catalog already imported, keeping the selected controls and their ancestor groups. An
//! import's `href` is not followed (it is usually a URL or a back-matter resource we cannot
//! fetch): every import selects from the given catalog, and the error for ids that are not
//! there names the hrefs. `merge` and `modify` (parameter settings, alterations) are ignored.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use mamori_core::Lang;
use mamori_core::catalog::{AttributeDef, Catalog, CatalogDef, LocalText, NodeDef, NodeKind};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::catalog_error::{
    CatalogImportError, CatalogImportLimits, Location, PARENT_REQUIREMENT, export_limits, finish, json_error, slug, valid_key, valid_ref,
};

/// The namespace of the props and parts Mamori adds to an exported catalog.
pub const MAMORI_NS: &str = "urn:mamori:oscal";
/// The OSCAL version [`export_catalog`] writes.
pub const OSCAL_VERSION: &str = "1.1.2";

// ---------------------------------------------------------------------------------------------
// The OSCAL model, as far as Mamori reads and writes it. Unknown fields are ignored on reading.

#[derive(Debug, Deserialize, Serialize)]
struct CatalogDocument {
    catalog: OscalCatalog,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct OscalCatalog {
    uuid: String,
    metadata: Metadata,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    params: Vec<Param>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    controls: Vec<Control>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<Group>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata {
    title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    oscal_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Group {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    class: Option<String>,
    title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    params: Vec<Param>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    parts: Vec<Part>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<Group>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    controls: Vec<Control>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Control {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    class: Option<String>,
    title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    params: Vec<Param>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    parts: Vec<Part>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    controls: Vec<Control>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Param {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    select: Option<Select>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    values: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Select {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    how_many: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    choice: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Prop {
    name: String,
    value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    class: Option<String>,
}

impl Prop {
    fn new(name: &str, value: impl Into<String>) -> Prop {
        Prop { name: name.to_string(), value: value.into(), ns: None, class: None }
    }

    fn mamori(name: &str, value: impl Into<String>) -> Prop {
        Prop { name: name.to_string(), value: value.into(), ns: Some(MAMORI_NS.to_string()), class: None }
    }

    fn is_mamori(&self, name: &str) -> bool {
        self.ns.as_deref() == Some(MAMORI_NS) && self.name == name
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Part {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prose: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    parts: Vec<Part>,
}

impl Part {
    fn new(name: String, prose: String) -> Part {
        Part { id: None, name, ns: None, class: None, title: None, props: Vec::new(), prose: Some(prose), parts: Vec::new() }
    }
}

#[derive(Debug, Deserialize)]
struct ProfileDocument {
    profile: Profile,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Profile {
    uuid: String,
    metadata: Metadata,
    #[serde(default)]
    imports: Vec<ProfileImport>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ProfileImport {
    #[serde(default)]
    href: String,
    #[serde(default)]
    include_all: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    include_controls: Vec<Selector>,
    #[serde(default)]
    exclude_controls: Vec<Selector>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Selector {
    #[serde(default)]
    with_child_controls: Option<String>,
    #[serde(default)]
    with_ids: Vec<String>,
    #[serde(default)]
    matching: Vec<Matching>,
}

#[derive(Debug, Deserialize)]
struct Matching {
    #[serde(default)]
    pattern: String,
}

// ---------------------------------------------------------------------------------------------
// Ids and refs.

fn plain_token(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn escape(text: &str) -> String {
    let mut out = String::from("_");
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("_{b:02X}"));
            }
        }
    }
    out
}

/// The OSCAL id for a ref: the ref itself when it is a token of letters, digits, `.` and `-`
/// starting with a letter, else its reversible `_` encoding (see the module documentation).
pub fn ref_to_id(ref_id: &str) -> String {
    if plain_token(ref_id) { ref_id.to_string() } else { escape(ref_id) }
}

/// The ref for an OSCAL id: undoes [`ref_to_id`]; an id that is not such an encoding is kept.
pub fn id_to_ref(id: &str) -> String {
    let Some(rest) = id.strip_prefix('_') else { return id.to_string() };
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'_' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                // Only uppercase hex is ours; anything else means the id is not an encoding.
                Some(b) if bytes[i + 1..i + 3].iter().all(|c| !c.is_ascii_lowercase()) => out.push(b),
                _ => return id.to_string(),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    match String::from_utf8(out) {
        Ok(s) if !s.is_empty() => s,
        _ => id.to_string(),
    }
}

/// The part name for an attribute key: like [`ref_to_id`], but never `statement` (which would be
/// taken for the statement on re-import).
fn field_to_part_name(key: &str) -> String {
    if key == "statement" { escape(key) } else { ref_to_id(key) }
}

// ---------------------------------------------------------------------------------------------
// Import.

/// Names of the parts NIST uses, for the attribute declarations.
fn known_attribute(key: &str) -> Option<LocalText> {
    let (ja, en) = match key {
        "guidance" => ("ガイダンス（補足説明）", "Guidance"),
        "assessment-objective" => ("評価の目的", "Assessment objective"),
        "assessment-method" => ("評価方法", "Assessment method"),
        "assessment" => ("評価", "Assessment"),
        "objective" => ("目的", "Objective"),
        "overview" => ("概要", "Overview"),
        "example" => ("例", "Example"),
        "status" => ("状態", "Status"),
        PARENT_REQUIREMENT => ("強化対象の管理策", "Enhancement of"),
        _ => return None,
    };
    Some(LocalText { ja: Some(ja.to_string()), en: Some(en.to_string()) })
}

/// `assessment-method` → `Assessment method`.
fn humanise(key: &str) -> String {
    let spaced = key.replace(['-', '_'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

fn put(text: &mut LocalText, lang: Lang, value: String) {
    match lang {
        Lang::Ja => text.ja = Some(value),
        Lang::En => text.en = Some(value),
    }
}

fn local(lang: Lang, value: String) -> LocalText {
    let mut text = LocalText::default();
    put(&mut text, lang, value);
    text
}

fn other(lang: Lang) -> Lang {
    match lang {
        Lang::Ja => Lang::En,
        Lang::En => Lang::Ja,
    }
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "ja",
        Lang::En => "en",
    }
}

/// The number of a control or group: the `label` prop without a class, else the first label.
fn label_of(props: &[Prop]) -> Option<String> {
    let labels = || props.iter().filter(|p| p.name == "label" && p.ns.is_none() && !p.value.trim().is_empty());
    labels().find(|p| p.class.is_none()).or_else(|| labels().next()).map(|p| p.value.clone())
}

/// What a walk over the catalog learns before building nodes: every parameter and every id.
struct Index<'a> {
    params: HashMap<&'a str, &'a Param>,
    ids: HashSet<&'a str>,
}

impl<'a> Index<'a> {
    fn new(catalog: &'a OscalCatalog, limits: &CatalogImportLimits) -> Result<Index<'a>, CatalogImportError> {
        let mut index = Index { params: HashMap::new(), ids: HashSet::new() };
        let mut count = 0usize;
        index.add_params(&catalog.params);
        for (i, g) in catalog.groups.iter().enumerate() {
            index.group(g, 0, &format!("catalog.groups[{i}]"), &mut count, limits)?;
        }
        for (i, c) in catalog.controls.iter().enumerate() {
            index.control(c, 0, &format!("catalog.controls[{i}]"), &mut count, limits)?;
        }
        Ok(index)
    }

    fn add_params(&mut self, params: &'a [Param]) {
        for p in params {
            self.params.entry(p.id.as_str()).or_insert(p);
        }
    }

    fn visit(&mut self, depth: usize, path: &str, count: &mut usize, limits: &CatalogImportLimits) -> Result<(), CatalogImportError> {
        if depth >= limits.max_depth {
            return Err(CatalogImportError::TooDeep { location: Location::path(path), max: limits.max_depth });
        }
        *count += 1;
        if *count > limits.max_nodes {
            return Err(CatalogImportError::TooManyNodes { location: Location::path(path), max: limits.max_nodes });
        }
        Ok(())
    }

    fn group(
        &mut self,
        g: &'a Group,
        depth: usize,
        path: &str,
        count: &mut usize,
        limits: &CatalogImportLimits,
    ) -> Result<(), CatalogImportError> {
        self.visit(depth, path, count, limits)?;
        if let Some(id) = &g.id {
            self.ids.insert(id);
        }
        self.add_params(&g.params);
        for (i, child) in g.groups.iter().enumerate() {
            self.group(child, depth + 1, &format!("{path}.groups[{i}]"), count, limits)?;
        }
        for (i, c) in g.controls.iter().enumerate() {
            self.control(c, depth + 1, &format!("{path}.controls[{i}]"), count, limits)?;
        }
        Ok(())
    }

    fn control(
        &mut self,
        c: &'a Control,
        depth: usize,
        path: &str,
        count: &mut usize,
        limits: &CatalogImportLimits,
    ) -> Result<(), CatalogImportError> {
        self.visit(depth, path, count, limits)?;
        self.ids.insert(&c.id);
        self.add_params(&c.params);
        for (i, child) in c.controls.iter().enumerate() {
            self.control(child, depth + 1, &format!("{path}.controls[{i}]"), count, limits)?;
        }
        Ok(())
    }
}

/// Turns the OSCAL tree into nodes, in document order.
struct Builder<'a> {
    index: Index<'a>,
    lang: Lang,
    nodes: Vec<NodeDef>,
    locations: Vec<Location>,
    fields: Vec<AttributeDef>,
    declared: HashSet<String>,
    next_group: usize,
    /// Bytes that parameter insertions may still produce. Insertions can nest (a choice that
    /// inserts a parameter), so a hostile file could make the output grow exponentially; once
    /// this is spent, insertions are written as `[Assignment: id]` without expanding them.
    insert_budget: Cell<usize>,
}

/// How deep parameter insertions may refer to each other (a choice that inserts a parameter...).
const MAX_INSERT_DEPTH: usize = 4;

impl<'a> Builder<'a> {
    /// A prose or title with `{{ insert: param, id }}` rendered as NIST prints it.
    fn render(&self, text: &str, depth: usize) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                out.push_str(&rest[start..]);
                return out;
            };
            let inner = after[..end].trim();
            match inner.strip_prefix("insert:").map(|r| r.split(',').map(str::trim).collect::<Vec<_>>()) {
                Some(args) if args.len() == 2 && args[0] == "param" => out.push_str(&self.param(args[1], depth)),
                _ => out.push_str(&rest[start..start + 2 + end + 2]),
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn param(&self, id: &str, depth: usize) -> String {
        let Some(param) = self.index.params.get(id).filter(|_| depth < MAX_INSERT_DEPTH && self.insert_budget.get() > 0) else {
            return format!("[Assignment: {id}]");
        };
        let text = self.expand(param, id, depth);
        self.insert_budget.set(self.insert_budget.get().saturating_sub(text.len()));
        text
    }

    fn expand(&self, param: &Param, id: &str, depth: usize) -> String {
        // A selection is printed as its choices even when it also has a label.
        if let Some(select) = &param.select {
            let choices: Vec<String> = select.choice.iter().map(|c| self.render(c.trim(), depth + 1)).collect();
            let how = if select.how_many.as_deref() == Some("one-or-more") { "Selection (one or more)" } else { "Selection" };
            return format!("[{how}: {}]", choices.join("; "));
        }
        if let Some(label) = param.label.as_deref().filter(|l| !l.trim().is_empty()) {
            return format!("[Assignment: {}]", self.render(label.trim(), depth + 1));
        }
        if !param.values.is_empty() {
            return param.values.join(", ");
        }
        format!("[Assignment: {id}]")
    }

    /// A part and its sub-parts as lines: label (or title) and prose, indented by level.
    fn flatten(&self, part: &Part, level: usize, lines: &mut Vec<String>) {
        let header = label_of(&part.props)
            .or_else(|| part.title.clone().filter(|t| !t.trim().is_empty()))
            .or_else(|| part.props.iter().find(|p| p.name == "method").map(|p| p.value.clone()));
        let prose = part.prose.as_deref().map(|p| self.render(p, 0)).unwrap_or_default();
        let line =
            [header.unwrap_or_default(), prose.trim().to_string()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
        let next = if line.is_empty() {
            level
        } else {
            lines.push(format!("{}{line}", "  ".repeat(level)));
            level + 1
        };
        for child in &part.parts {
            self.flatten(child, next, lines);
        }
    }

    fn declare(&mut self, key: &str, title: Option<&str>) {
        if self.declared.insert(key.to_string()) {
            let name = known_attribute(key)
                .or_else(|| title.filter(|t| !t.trim().is_empty()).map(|t| local(self.lang, t.to_string())))
                .unwrap_or_else(|| local(self.lang, humanise(key)));
            self.fields.push(AttributeDef { key: key.to_string(), name });
        }
    }

    /// Fills title, number, text and attributes of a node from an OSCAL title, props and parts.
    fn fill(&mut self, node: &mut NodeDef, title: &str, props: &[Prop], parts: &[Part]) {
        let lang = self.lang;
        let fallback = |field: &str| props.iter().any(|p| p.is_mamori("lang-fallback") && p.value == field);
        let title_lang = if fallback("title") { other(lang) } else { lang };
        let text_lang = if fallback("text") { other(lang) } else { lang };
        node.title = Some(local(title_lang, self.render(title, 0)));
        if props.iter().any(|p| p.is_mamori("no-title")) {
            node.title = None;
        }
        node.number = label_of(props);
        if let Some(status) = props.iter().find(|p| p.name == "status" && p.ns.is_none()) {
            self.declare("status", None);
            node.fields.insert("status".to_string(), status.value.clone());
        }
        let mut statement = Vec::new();
        for part in parts {
            if part.ns.as_deref() == Some(MAMORI_NS) {
                if part.name == "translation" {
                    let side = if part.class.as_deref() == Some("ja") { Lang::Ja } else { Lang::En };
                    if let Some(t) = part.title.as_deref().filter(|_| side != title_lang) {
                        put(node.title.get_or_insert_with(LocalText::default), side, self.render(t, 0));
                    }
                    if let Some(p) = part.prose.as_deref().filter(|_| side != text_lang) {
                        put(node.text.get_or_insert_with(LocalText::default), side, self.render(p, 0));
                    }
                }
                continue;
            }
            if part.name == "statement" {
                self.flatten(part, 0, &mut statement);
                continue;
            }
            let mut lines = Vec::new();
            self.flatten_body(part, &mut lines);
            let value = lines.join("\n");
            if value.is_empty() {
                continue;
            }
            let key = id_to_ref(&part.name);
            self.declare(&key, part.title.as_deref());
            node.fields
                .entry(key)
                .and_modify(|v| {
                    v.push_str("\n\n");
                    v.push_str(&value);
                })
                .or_insert(value);
        }
        if !statement.is_empty() {
            put(node.text.get_or_insert_with(LocalText::default), text_lang, statement.join("\n"));
        }
    }

    /// An attribute part: its title names the attribute, so only its body is flattened.
    fn flatten_body(&self, part: &Part, lines: &mut Vec<String>) {
        // An assessment method reads better as EXAMINE / INTERVIEW / TEST than by its label.
        let header = part.props.iter().find(|p| p.name == "method").map(|p| p.value.clone()).or_else(|| label_of(&part.props));
        let prose = part.prose.as_deref().map(|p| self.render(p, 0)).unwrap_or_default();
        let line =
            [header.unwrap_or_default(), prose.trim().to_string()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
        let next = if line.is_empty() {
            0
        } else {
            lines.push(line);
            1
        };
        for child in &part.parts {
            self.flatten(child, next, lines);
        }
    }

    fn group(&mut self, g: &Group, parent: Option<&str>, path: &str) -> Result<(), CatalogImportError> {
        let ref_id = match &g.id {
            Some(id) => id_to_ref(id),
            None => loop {
                self.next_group += 1;
                let candidate = format!("group-{}", self.next_group);
                if !self.index.ids.contains(candidate.as_str()) {
                    break candidate;
                }
            },
        };
        self.check_ref(&ref_id, &format!("{path}.id"))?;
        let mut node = NodeDef::new(ref_id.clone(), NodeKind::Group, parent.map(str::to_string));
        self.fill(&mut node, &g.title, &g.props, &g.parts);
        self.push(node, path);
        for (i, child) in g.groups.iter().enumerate() {
            self.group(child, Some(&ref_id), &format!("{path}.groups[{i}]"))?;
        }
        for (i, c) in g.controls.iter().enumerate() {
            self.control(c, Some(&ref_id), None, &format!("{path}.controls[{i}]"))?;
        }
        Ok(())
    }

    fn control(&mut self, c: &Control, parent: Option<&str>, enhances: Option<&str>, path: &str) -> Result<(), CatalogImportError> {
        let ref_id = id_to_ref(&c.id);
        self.check_ref(&ref_id, &format!("{path}.id"))?;
        let mut node = NodeDef::new(ref_id.clone(), NodeKind::Requirement, parent.map(str::to_string));
        self.fill(&mut node, &c.title, &c.props, &c.parts);
        if let Some(base) = enhances {
            self.declare(PARENT_REQUIREMENT, None);
            node.fields.insert(PARENT_REQUIREMENT.to_string(), base.to_string());
        }
        self.push(node, path);
        for (i, child) in c.controls.iter().enumerate() {
            self.control(child, parent, Some(&ref_id), &format!("{path}.controls[{i}]"))?;
        }
        Ok(())
    }

    fn check_ref(&self, ref_id: &str, path: &str) -> Result<(), CatalogImportError> {
        if ref_id.trim().is_empty() {
            return Err(CatalogImportError::MissingField { location: Location::path(path), field: "id" });
        }
        if !valid_ref(ref_id) {
            return Err(CatalogImportError::BadId { location: Location::path(path), id: ref_id.chars().take(80).collect() });
        }
        Ok(())
    }

    fn push(&mut self, node: NodeDef, path: &str) {
        self.nodes.push(node);
        self.locations.push(Location::path(path));
    }
}

/// The language a Mamori export declared, else English.
fn language_of(metadata: &Metadata) -> Lang {
    match metadata.props.iter().find(|p| p.is_mamori("language")).map(|p| p.value.as_str()) {
        Some("ja") => Lang::Ja,
        _ => Lang::En,
    }
}

/// The catalog's name: the `name` props of a Mamori export, else the title.
fn name_of(metadata: &Metadata, lang: Lang) -> LocalText {
    let mut name = LocalText::default();
    for p in metadata.props.iter().filter(|p| p.is_mamori("name")) {
        match p.class.as_deref() {
            Some("ja") => name.ja = Some(p.value.clone()),
            Some("en") => name.en = Some(p.value.clone()),
            _ => {}
        }
    }
    if name.is_empty() { local(lang, metadata.title.clone()) } else { name }
}

/// Key, edition and URN of a catalog read from OSCAL metadata.
fn header_of(metadata: &Metadata, uuid: &str) -> (String, String, String) {
    let key = metadata
        .props
        .iter()
        .find(|p| p.is_mamori("catalog-key") && valid_key(&p.value))
        .map(|p| p.value.clone())
        .or_else(|| Some(slug(&metadata.title)).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| format!("oscal-{}", slug(&uuid.chars().take(8).collect::<String>())).trim_end_matches('-').to_string());
    let edition = metadata
        .version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .or_else(|| metadata.last_modified.as_deref().map(|d| d.get(..10).unwrap_or(d)))
        .unwrap_or("1")
        .chars()
        .take(64)
        .collect::<String>();
    let urn = metadata
        .props
        .iter()
        .find(|p| p.is_mamori("catalog-urn") && !p.value.is_empty() && p.value.len() <= 256 && !p.value.chars().any(char::is_whitespace))
        .map(|p| p.value.clone())
        .unwrap_or_else(|| format!("urn:mamori:oscal:{key}:{}", edition.split_whitespace().collect::<Vec<_>>().join("-")));
    (key, edition, urn)
}

/// Reads an OSCAL catalog (JSON, OSCAL 1.1 or later) into a checked catalog definition.
pub fn import_catalog(bytes: &[u8], limits: &CatalogImportLimits) -> Result<CatalogDef, CatalogImportError> {
    if bytes.len() > limits.max_bytes {
        return Err(CatalogImportError::TooLarge { limit: limits.max_bytes });
    }
    let document: CatalogDocument = serde_json::from_slice(bytes).map_err(|e| json_error(bytes, &e))?;
    let catalog = &document.catalog;
    let index = Index::new(catalog, limits)?;
    let lang = language_of(&catalog.metadata);
    let mut builder = Builder {
        index,
        lang,
        nodes: Vec::new(),
        locations: Vec::new(),
        fields: Vec::new(),
        declared: HashSet::new(),
        next_group: 0,
        insert_budget: Cell::new(limits.max_bytes),
    };
    for (i, g) in catalog.groups.iter().enumerate() {
        builder.group(g, None, &format!("catalog.groups[{i}]"))?;
    }
    for (i, c) in catalog.controls.iter().enumerate() {
        builder.control(c, None, None, &format!("catalog.controls[{i}]"))?;
    }
    let metadata = &catalog.metadata;
    if metadata.title.trim().is_empty() {
        return Err(CatalogImportError::MissingField { location: Location::path("catalog.metadata.title"), field: "title" });
    }
    let (key, edition, urn) = header_of(metadata, &catalog.uuid);
    let def = CatalogDef {
        key,
        edition,
        urn,
        name: name_of(metadata, lang),
        publisher: None,
        language: lang,
        source: Some(format!("OSCAL catalog {}", catalog.uuid.chars().take(80).collect::<String>())),
        classification: mamori_core::classification::Confidentiality::Public,
        description: None,
        fields: builder.fields,
        answer_scale: None,
        nodes: builder.nodes,
    };
    finish(def, &builder.locations, limits)
}

// ---------------------------------------------------------------------------------------------
// Profiles.

/// `*` and `?` wildcards, as OSCAL's `matching` patterns use them.
fn glob(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

const MAX_PATTERNS: usize = 1_000;
const MAX_PATTERN_LEN: usize = 1_000;

struct Selection<'a> {
    /// Requirement refs → index in `def.nodes`.
    requirements: HashMap<&'a str, usize>,
    /// Control → its enhancements (by `parent_requirement`).
    enhancements: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Selection<'a> {
    fn new(def: &'a CatalogDef) -> Selection<'a> {
        let mut requirements = HashMap::new();
        let mut enhancements: HashMap<&str, Vec<&str>> = HashMap::new();
        for (i, n) in def.nodes.iter().enumerate() {
            if n.kind == NodeKind::Requirement {
                requirements.insert(n.ref_id.as_str(), i);
                if let Some(base) = n.fields.get(PARENT_REQUIREMENT) {
                    enhancements.entry(base.as_str()).or_default().push(n.ref_id.as_str());
                }
            }
        }
        Selection { requirements, enhancements }
    }

    /// Adds a control (and with `children`, its enhancements, recursively) to `out`.
    fn add(&self, ref_id: &'a str, children: bool, out: &mut HashSet<&'a str>) {
        let mut stack = vec![ref_id];
        while let Some(r) = stack.pop() {
            if out.insert(r) && children {
                stack.extend(self.enhancements.get(r).into_iter().flatten().copied());
            }
        }
    }

    /// The refs a selector names; ids not in the catalog go to `missing`.
    fn select(&self, selector: &Selector, missing: &mut Vec<String>) -> HashSet<&'a str> {
        let children = selector.with_child_controls.as_deref() == Some("yes");
        let mut out = HashSet::new();
        for id in &selector.with_ids {
            let ref_id = id_to_ref(id);
            match self.requirements.get_key_value(ref_id.as_str()) {
                Some((&r, _)) => self.add(r, children, &mut out),
                None => missing.push(id.clone()),
            }
        }
        for m in &selector.matching {
            let pattern: Vec<char> = m.pattern.chars().collect();
            for &r in self.requirements.keys() {
                let id: Vec<char> = ref_to_id(r).chars().collect();
                let plain: Vec<char> = r.chars().collect();
                if glob(&pattern, &plain) || glob(&pattern, &id) {
                    self.add(r, children, &mut out);
                }
            }
        }
        out
    }
}

/// Applies an OSCAL profile (JSON) to a catalog imported before: the result holds the selected
/// controls and their ancestor groups, in the catalog's order, with the profile's title, version
/// and a key made from its title. The profile's import hrefs are not followed.
pub fn resolve_profile(profile_bytes: &[u8], catalog: &CatalogDef, limits: &CatalogImportLimits) -> Result<CatalogDef, CatalogImportError> {
    if profile_bytes.len() > limits.max_bytes {
        return Err(CatalogImportError::TooLarge { limit: limits.max_bytes });
    }
    let document: ProfileDocument = serde_json::from_slice(profile_bytes).map_err(|e| json_error(profile_bytes, &e))?;
    let profile = &document.profile;
    // Each pattern is tried on every control: bound the work a hostile profile can ask for.
    let patterns = profile.imports.iter().flat_map(|i| i.include_controls.iter().chain(&i.exclude_controls)).flat_map(|s| &s.matching);
    let (count, longest) = patterns.fold((0usize, 0usize), |(n, l), m| (n + 1, l.max(m.pattern.len())));
    if count > MAX_PATTERNS || longest > MAX_PATTERN_LEN {
        return Err(CatalogImportError::ResourceLimit {
            location: Location::path("profile.imports"),
            detail: format!("at most {MAX_PATTERNS} matching patterns of at most {MAX_PATTERN_LEN} characters"),
        });
    }
    let selection = Selection::new(catalog);
    let mut selected: HashSet<&str> = HashSet::new();
    let mut missing = Vec::new();
    for import in &profile.imports {
        let mut chosen: HashSet<&str> = HashSet::new();
        if import.include_all.is_some() {
            chosen.extend(selection.requirements.keys().copied());
        }
        for s in &import.include_controls {
            chosen.extend(selection.select(s, &mut missing));
        }
        let mut ignored = Vec::new();
        for s in &import.exclude_controls {
            for r in selection.select(s, &mut ignored) {
                chosen.remove(r);
            }
        }
        selected.extend(chosen);
    }
    if !missing.is_empty() {
        return Err(CatalogImportError::ProfileIdsNotFound {
            count: missing.len(),
            sample: missing.iter().take(5).cloned().collect(),
            hrefs: profile.imports.iter().map(|i| i.href.chars().take(200).collect()).collect(),
        });
    }
    // Keep the selected requirements and every group above one of them.
    let position: HashMap<&str, usize> = catalog.nodes.iter().enumerate().map(|(i, n)| (n.ref_id.as_str(), i)).collect();
    let mut keep = vec![false; catalog.nodes.len()];
    for r in &selected {
        let Some(&i) = selection.requirements.get(r) else { continue };
        keep[i] = true;
        let mut parent = catalog.nodes[i].parent.as_deref();
        // Bounded: each step moves to an earlier node (parents come first in a checked catalog).
        let mut steps = 0;
        while let Some(p) = parent {
            let Some(&pi) = position.get(p) else { break };
            if keep[pi] || steps > catalog.nodes.len() {
                break;
            }
            keep[pi] = true;
            parent = catalog.nodes[pi].parent.as_deref();
            steps += 1;
        }
    }
    let nodes: Vec<NodeDef> = catalog.nodes.iter().zip(&keep).filter(|(_, k)| **k).map(|(n, _)| n.clone()).collect();
    let locations: Vec<Location> = nodes.iter().map(|n| Location::path(format!("catalog node {}", n.ref_id))).collect();
    let metadata = &profile.metadata;
    if metadata.title.trim().is_empty() {
        return Err(CatalogImportError::MissingField { location: Location::path("profile.metadata.title"), field: "title" });
    }
    let (key, edition, urn) = header_of(metadata, &profile.uuid);
    let def = CatalogDef {
        key,
        edition,
        urn,
        name: local(catalog.language, metadata.title.clone()),
        publisher: catalog.publisher.clone(),
        language: catalog.language,
        source: Some(format!("OSCAL profile {} applied to {}", profile.uuid.chars().take(80).collect::<String>(), catalog.urn)),
        classification: catalog.classification,
        description: catalog.description.clone(),
        fields: catalog.fields.clone(),
        answer_scale: catalog.answer_scale.clone(),
        nodes,
    };
    finish(def, &locations, limits)
}

// ---------------------------------------------------------------------------------------------
// Export.

/// A title as OSCAL requires it: one line.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// A prop value as OSCAL requires it: no surrounding or repeated whitespace, not empty.
fn prop_value(text: &str) -> Option<String> {
    let value = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!value.is_empty()).then_some(value)
}

/// How deep the exporter nests enhancements of enhancements.
const MAX_ENHANCEMENT_NESTING: usize = 8;

struct Exporter<'a> {
    catalog: &'a Catalog,
    lang: Lang,
    /// Requirement → the requirements nested in it (its enhancements).
    nested: HashMap<&'a str, Vec<&'a NodeDef>>,
    /// Requirements that are nested in another and so not listed under their group.
    is_nested: HashSet<&'a str>,
}

impl<'a> Exporter<'a> {
    fn new(catalog: &'a Catalog) -> Exporter<'a> {
        let mut nested: HashMap<&str, Vec<&NodeDef>> = HashMap::new();
        let mut is_nested = HashSet::new();
        // Earlier nodes, with how deep each is nested as an enhancement (0: not nested).
        let mut seen: HashMap<&str, (&NodeDef, usize)> = HashMap::new();
        for node in catalog.nodes() {
            let mut level = 0;
            // Deeper chains stay flat (their `parent_requirement` is written as a part, which
            // re-imports the same), so that writing them never recurses without bound.
            if node.kind == NodeKind::Requirement
                && let Some(base) = node.fields.get(PARENT_REQUIREMENT)
                && let Some(&(b, b_level)) = seen.get(base.as_str())
                && b.kind == NodeKind::Requirement
                && b.parent == node.parent
                && b_level < MAX_ENHANCEMENT_NESTING
            {
                nested.entry(b.ref_id.as_str()).or_default().push(node);
                is_nested.insert(node.ref_id.as_str());
                level = b_level + 1;
            }
            seen.insert(node.ref_id.as_str(), (node, level));
        }
        Exporter { catalog, lang: catalog.def().language, nested, is_nested }
    }

    /// A text's catalog-language and other-language sides, each when not empty.
    fn sides(&self, text: &Option<LocalText>) -> (Option<String>, Option<String>) {
        let Some(t) = text else { return (None, None) };
        let (mine, theirs) = match self.lang {
            Lang::Ja => (&t.ja, &t.en),
            Lang::En => (&t.en, &t.ja),
        };
        (mine.clone().filter(|m| !m.is_empty()), theirs.clone().filter(|s| !s.is_empty()))
    }

    /// What OSCAL's single-language field gets: the catalog's language, or else the other one
    /// (marked with a `lang-fallback` prop naming the field), and the other side for the
    /// translation part when both are present.
    fn split(&self, text: &Option<LocalText>, field: &str, props: &mut Vec<Prop>) -> (Option<String>, Option<String>) {
        match self.sides(text) {
            (Some(mine), theirs) => (Some(mine), theirs),
            (None, Some(theirs)) => {
                props.push(Prop::mamori("lang-fallback", field));
                (Some(theirs), None)
            }
            (None, None) => (None, None),
        }
    }

    /// Title, props and parts of a node.
    fn content(&self, node: &NodeDef, consumed_parent: bool) -> (String, Vec<Prop>, Vec<Part>) {
        let id = ref_to_id(&node.ref_id);
        let mut props = Vec::new();
        if let Some(label) = node.number.as_deref().and_then(prop_value) {
            props.push(Prop::new("label", label));
        }
        let (title, other_title) = self.split(&node.title, "title", &mut props);
        let (text, other_text) = self.split(&node.text, "text", &mut props);
        let title = match title.filter(|t| !t.trim().is_empty()) {
            Some(t) => one_line(&t),
            None => {
                props.push(Prop::mamori("no-title", "true"));
                node.number.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| node.ref_id.clone())
            }
        };
        let mut parts = Vec::new();
        if let Some(text) = text {
            let mut statement = Part::new("statement".to_string(), text);
            statement.id = Some(format!("{id}_smt"));
            parts.push(statement);
        }
        for (key, value) in &node.fields {
            if (key == PARENT_REQUIREMENT && consumed_parent) || value.is_empty() {
                continue;
            }
            if key == "status"
                && let Some(v) = prop_value(value).filter(|v| v == value)
            {
                props.push(Prop::new("status", v));
                continue;
            }
            let mut part = Part::new(field_to_part_name(key), value.clone());
            if let Some(attr) = self.catalog.def().fields.iter().find(|f| &f.key == key) {
                part.title = Some(one_line(attr.name.get(self.lang))).filter(|t| !t.trim().is_empty());
            }
            parts.push(part);
        }
        if other_title.is_some() || other_text.is_some() {
            parts.push(Part {
                id: None,
                name: "translation".to_string(),
                ns: Some(MAMORI_NS.to_string()),
                class: Some(lang_code(other(self.lang)).to_string()),
                title: other_title.map(|t| one_line(&t)),
                props: Vec::new(),
                prose: other_text,
                parts: Vec::new(),
            });
        }
        (title, props, parts)
    }

    fn group(&self, node: &NodeDef) -> Group {
        let (title, props, parts) = self.content(node, false);
        let mut group = Group {
            id: Some(ref_to_id(&node.ref_id)),
            class: None,
            title,
            params: Vec::new(),
            props,
            parts,
            groups: Vec::new(),
            controls: Vec::new(),
        };
        for child in self.catalog.children(&node.ref_id) {
            match child.kind {
                NodeKind::Group => group.groups.push(self.group(child)),
                NodeKind::Requirement if !self.is_nested.contains(child.ref_id.as_str()) => group.controls.push(self.control(child)),
                NodeKind::Requirement => {}
            }
        }
        group
    }

    fn control(&self, node: &NodeDef) -> Control {
        let nested = self.is_nested.contains(node.ref_id.as_str());
        let (title, props, parts) = self.content(node, nested);
        Control {
            id: ref_to_id(&node.ref_id),
            class: None,
            title,
            params: Vec::new(),
            props,
            parts,
            controls: self.nested.get(node.ref_id.as_str()).into_iter().flatten().map(|n| self.control(n)).collect(),
        }
    }
}

/// Writes a catalog as OSCAL 1.1.2 catalog JSON. `last_modified` is the document's
/// `last-modified`; the document's uuid is a UUIDv5 of the catalog's URN and that time, so the
/// same catalog exported at the same time gives the same file.
pub fn export_catalog(def: &CatalogDef, last_modified: OffsetDateTime) -> Result<String, CatalogImportError> {
    let catalog = Catalog::check(def.clone(), &export_limits())
        .map_err(|source| CatalogImportError::Catalog { location: Location::default(), source })?;
    let last_modified = last_modified.format(&Rfc3339).map_err(|e| CatalogImportError::Write(e.to_string()))?;
    let exporter = Exporter::new(&catalog);
    let lang = exporter.lang;
    let mut groups = Vec::new();
    let mut controls = Vec::new();
    for root in catalog.roots() {
        match root.kind {
            NodeKind::Group => groups.push(exporter.group(root)),
            NodeKind::Requirement if !exporter.is_nested.contains(root.ref_id.as_str()) => controls.push(exporter.control(root)),
            NodeKind::Requirement => {}
        }
    }
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, MAMORI_NS.as_bytes());
    let uuid = Uuid::new_v5(&namespace, format!("{}\n{last_modified}", def.urn).as_bytes());
    let mut props = Vec::new();
    if let Some(v) = prop_value(&def.key) {
        props.push(Prop::mamori("catalog-key", v));
    }
    if let Some(v) = prop_value(&def.urn) {
        props.push(Prop::mamori("catalog-urn", v));
    }
    props.push(Prop::mamori("language", lang_code(lang)));
    // The catalog's name in each language it has (OSCAL's title holds one).
    for (side, name) in [(Lang::Ja, &def.name.ja), (Lang::En, &def.name.en)] {
        if let Some(v) = name.as_deref().and_then(prop_value) {
            props.push(Prop { class: Some(lang_code(side).to_string()), ..Prop::mamori("name", v) });
        }
    }
    let title = def.name.get(lang).to_string();
    let document = CatalogDocument {
        catalog: OscalCatalog {
            uuid: uuid.to_string(),
            metadata: Metadata {
                title: if title.trim().is_empty() { def.key.clone() } else { one_line(&title) },
                published: None,
                last_modified: Some(last_modified),
                version: Some(def.edition.clone()),
                oscal_version: Some(OSCAL_VERSION.to_string()),
                props,
            },
            params: Vec::new(),
            controls,
            groups,
        },
    };
    serde_json::to_string_pretty(&document).map_err(|e| CatalogImportError::Write(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for r in ["ac-2", "ac-2.1", "A.5.1.1", "1", "1.R1", "a_b", "第1章", "_x", "s1.1.1", "a/b", "_"] {
            let id = ref_to_id(r);
            assert!(id.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_'), "{id}");
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)), "{id}");
            assert_eq!(id_to_ref(&id), r, "{id}");
        }
        assert_eq!(ref_to_id("ac-2"), "ac-2");
        assert_eq!(ref_to_id("1.2"), "_1.2");
        assert_eq!(id_to_ref("my_control"), "my_control");
        assert_eq!(id_to_ref("_not_an_escape"), "_not_an_escape");
    }

    #[test]
    fn globs() {
        let g = |p: &str, t: &str| glob(&p.chars().collect::<Vec<_>>(), &t.chars().collect::<Vec<_>>());
        assert!(g("ac-*", "ac-2.1"));
        assert!(g("*", ""));
        assert!(g("a?-2", "ac-2"));
        assert!(!g("ac-*", "au-2"));
        assert!(g("*-2*", "ac-2.1"));
    }
}
