//! CISO Assistant libraries (YAML) to and from [`CatalogDef`], and mapping libraries to
//! [`MappingDef`].
//!
//! # How a framework library maps to a catalog
//!
//! * The catalog's `urn` is the framework's URN (what mapping libraries name), its `edition` the
//!   library's `version`, its `key` the library's `ref_id` when that is a valid key (as Mamori
//!   writes it) or else made from the last segment of the framework URN (`iso27001-2013`,
//!   `nist-csf-2-0`). `name`, `description` and `publisher` come from the library's `name`,
//!   `description` and `provider`; `source` records the library URN (`CISO Assistant library
//!   <urn>`), which the exporter reads back.
//! * Each requirement node becomes a requirement when `assessable`, else a group. Its ref is its
//!   `ref_id` when present, usable as a ref and unique in the framework; otherwise the shortest
//!   suffix of its URN (`core`, `annex-a`) that is free, and the original `ref_id`, if any, is
//!   kept in attribute `ref_id`. `name` is the title, `description` the text, `annotation` and
//!   `typical_evidence` attributes of those names.
//! * A node's URN is not stored when it is the framework URN with `:framework:` read as
//!   `:req_node:`, a colon and the lowercased ref (CISO Assistant's convention,
//!   `urn:intuitem:risk:req_node:iso27001-2013:a.5.1.1`); any other URN is kept in attribute
//!   `urn`. [`node_urns`] gives every node's URN either way.
//! * CISO Assistant lets assessable nodes have children; `Catalog::check` lets only groups be
//!   parents. A node under an assessable node hangs from that node's own parent group and names
//!   it in attribute `parent_requirement`; the exporter writes the original parent back.
//! * Texts in the library's `locale` fill that language of each [`LocalText`] (a locale other
//!   than `ja` fills the English side); `translations` into the other of Japanese and English
//!   fill the other side. Translations into other languages are dropped and counted in
//!   [`CisoImport::dropped_translations`]. Other keys (`reference_controls`, `implementation_groups`,
//!   `questions`, scores, ...) are ignored.
//!
//! [`export_library`] writes a framework library that [`import_library`] reads back to the same
//! catalog definition. Mamori's own attributes, numbers, criteria, flags and notes have no place
//! in the format and are not written. A mapping library is read by [`import_mapping`] against the
//! two catalogs' URN → ref tables ([`FrameworkRefs`]), so a mapping can be imported when only the
//! refs of a side are known; `not_related` entries are skipped.

use std::collections::{BTreeMap, HashMap, HashSet};

use mamori_core::Lang;
use mamori_core::catalog::{AttributeDef, Catalog, CatalogDef, LocalText, MappingDef, MappingEntry, NodeDef, NodeKind, Relationship};
use mamori_core::classification::Confidentiality;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::catalog_error::{
    CatalogImportError, CatalogImportLimits, Location, PARENT_REQUIREMENT, export_limits, finish, slug, valid_key, valid_ref, yaml_error,
};

const SOURCE_PREFIX: &str = "CISO Assistant library ";
const ATTR_ANNOTATION: &str = "annotation";
const ATTR_EVIDENCE: &str = "typical_evidence";
const ATTR_REF_ID: &str = "ref_id";
const ATTR_URN: &str = "urn";

// ---------------------------------------------------------------------------------------------
// The library format, as far as Mamori reads it. Unknown keys are ignored.

#[derive(Debug, Default, Deserialize)]
struct Translation {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Library {
    urn: String,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    ref_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    translations: Option<BTreeMap<String, Translation>>,
    #[serde(default)]
    objects: Objects,
}

#[derive(Debug, Default, Deserialize)]
struct Objects {
    #[serde(default)]
    framework: Option<Framework>,
    #[serde(default)]
    requirement_mapping_set: Option<MappingSet>,
    #[serde(default)]
    requirement_mapping_sets: Option<Vec<MappingSet>>,
}

#[derive(Debug, Deserialize)]
struct Framework {
    urn: String,
    #[serde(default)]
    ref_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    requirement_nodes: Vec<Spanned<Node>>,
}

#[derive(Debug, Deserialize)]
struct Node {
    urn: String,
    #[serde(default)]
    assessable: bool,
    #[serde(default)]
    parent_urn: Option<String>,
    #[serde(default)]
    ref_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    annotation: Option<String>,
    #[serde(default)]
    typical_evidence: Option<String>,
    #[serde(default)]
    translations: Option<BTreeMap<String, Translation>>,
}

#[derive(Debug, Deserialize)]
struct MappingSet {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    source_framework_urn: Option<String>,
    #[serde(default)]
    target_framework_urn: Option<String>,
    #[serde(default)]
    requirement_mappings: Vec<Spanned<RawMapping>>,
}

#[derive(Debug, Deserialize)]
struct RawMapping {
    #[serde(default)]
    source_requirement_urn: Option<String>,
    #[serde(default)]
    target_requirement_urn: Option<String>,
    #[serde(default)]
    relationship: Option<String>,
}

// What the exporter writes.

#[derive(Debug, Serialize)]
struct LibraryOut {
    urn: String,
    locale: &'static str,
    ref_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    version: VersionOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<String>,
    packager: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    translations: BTreeMap<&'static str, TranslationOut>,
    objects: ObjectsOut,
}

/// CISO Assistant expects an integer version; an edition that is not one is written as text.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum VersionOut {
    Number(u64),
    Text(String),
}

#[derive(Debug, Serialize)]
struct TranslationOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Debug, Serialize)]
struct ObjectsOut {
    framework: FrameworkOut,
}

#[derive(Debug, Serialize)]
struct FrameworkOut {
    urn: String,
    ref_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    requirement_nodes: Vec<NodeOut>,
}

#[derive(Debug, Serialize)]
struct NodeOut {
    urn: String,
    assessable: bool,
    depth: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_urn: Option<String>,
    ref_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    typical_evidence: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    translations: BTreeMap<&'static str, TranslationOut>,
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

/// Reads YAML under the limits: input size, and a parser budget that refuses alias bombs.
fn parse<T: DeserializeOwned>(bytes: &[u8], limits: &CatalogImportLimits) -> Result<T, CatalogImportError> {
    if bytes.len() > limits.max_bytes {
        return Err(CatalogImportError::TooLarge { limit: limits.max_bytes });
    }
    // Libraries use no anchors; a few are tolerated, an expansion bomb is not.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_depth = 64;
    budget.max_nodes = limits.max_nodes.saturating_mul(40).max(10_000);
    budget.max_events = limits.max_nodes.saturating_mul(80).max(20_000);
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    serde_saphyr::from_slice_with_options(bytes, options).map_err(|e| yaml_error(&e))
}

fn at(path: String, span: &Spanned<impl Sized>) -> Location {
    let l = &span.referenced;
    if l.line() == 0 { Location::path(path) } else { Location { path: Some(path), line: Some(l.line()), column: Some(l.column()) } }
}

fn lang_of(locale: Option<&str>) -> Lang {
    match locale.map(base_language).as_deref() {
        Some("ja") => Lang::Ja,
        _ => Lang::En,
    }
}

/// `ja-JP` → `ja`.
fn base_language(code: &str) -> String {
    code.split(['-', '_']).next().unwrap_or_default().trim().to_ascii_lowercase()
}

fn other(lang: Lang) -> Lang {
    match lang {
        Lang::Ja => Lang::En,
        Lang::En => Lang::Ja,
    }
}

fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "ja",
        Lang::En => "en",
    }
}

fn slot(text: &mut LocalText, lang: Lang) -> &mut Option<String> {
    match lang {
        Lang::Ja => &mut text.ja,
        Lang::En => &mut text.en,
    }
}

fn side(text: &Option<LocalText>, lang: Lang) -> Option<String> {
    text.as_ref().and_then(|t| match lang {
        Lang::Ja => t.ja.clone(),
        Lang::En => t.en.clone(),
    })
}

/// A text in the library's language plus its translation into the other of ja and en.
fn local_text(
    primary: Option<&String>,
    translations: Option<&BTreeMap<String, Translation>>,
    pick: impl Fn(&Translation) -> Option<&String>,
    lang: Lang,
) -> Option<LocalText> {
    let mut text = LocalText::default();
    *slot(&mut text, lang) = primary.cloned();
    let other_code = code(other(lang));
    if let Some(t) = translations.into_iter().flatten().find(|(k, _)| base_language(k) == other_code).and_then(|(_, t)| pick(t)) {
        *slot(&mut text, other(lang)) = Some(t.clone());
    }
    (text.ja.is_some() || text.en.is_some()).then_some(text)
}

/// Counts the translations into languages a [`LocalText`] has no side for. (One into the
/// library's own language adds nothing and is not counted.)
fn count_dropped(translations: Option<&BTreeMap<String, Translation>>, dropped: &mut BTreeMap<String, usize>) {
    for k in translations.into_iter().flatten().map(|(k, _)| base_language(k)) {
        if k != "ja" && k != "en" {
            *dropped.entry(k).or_default() += 1;
        }
    }
}

fn valid_urn(urn: &str) -> bool {
    !urn.trim().is_empty() && urn.len() <= 256 && !urn.chars().any(char::is_whitespace)
}

/// Where the URNs of a framework's nodes start, by CISO Assistant's convention.
fn node_prefix(framework_urn: &str) -> String {
    framework_urn.replacen(":framework:", ":req_node:", 1)
}

fn derived_urn(prefix: &str, ref_id: &str) -> String {
    format!("{prefix}:{}", ref_id.to_lowercase())
}

fn last_segment(urn: &str) -> &str {
    urn.rsplit(':').next().unwrap_or(urn)
}

fn attribute(key: &str) -> AttributeDef {
    let (ja, en) = match key {
        ATTR_ANNOTATION => ("注釈", "Annotation"),
        ATTR_EVIDENCE => ("典型的な証跡", "Typical evidence"),
        ATTR_REF_ID => ("原典の ref_id", "Source ref_id"),
        ATTR_URN => ("URN", "URN"),
        _ => ("上位の要求事項", "Parent requirement"),
    };
    AttributeDef { key: key.to_string(), name: LocalText { ja: Some(ja.to_string()), en: Some(en.to_string()) } }
}

// ---------------------------------------------------------------------------------------------
// Import of a framework library.

/// A framework library read into a catalog, and what was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct CisoImport {
    pub catalog: CatalogDef,
    /// Translations into languages other than Japanese and English, by language: how many
    /// library and node texts were dropped.
    pub dropped_translations: BTreeMap<String, usize>,
}

/// Reads a CISO Assistant framework library (YAML) into a checked catalog definition.
pub fn import_library(bytes: &[u8], limits: &CatalogImportLimits) -> Result<CisoImport, CatalogImportError> {
    let library: Library = parse(bytes, limits)?;
    let framework = library.objects.framework.as_ref().ok_or(CatalogImportError::NotAFramework { expected: "framework" })?;
    let lang = lang_of(library.locale.as_deref());
    let mut dropped = BTreeMap::new();
    if !valid_urn(&library.urn) {
        return Err(CatalogImportError::MissingField { location: Location::path("urn"), field: "urn" });
    }
    if !valid_urn(&framework.urn) {
        return Err(CatalogImportError::MissingField { location: Location::path("objects.framework.urn"), field: "urn" });
    }
    let raw = &framework.requirement_nodes;
    if raw.len() > limits.max_nodes {
        return Err(CatalogImportError::TooManyNodes {
            location: Location::path("objects.framework.requirement_nodes"),
            max: limits.max_nodes,
        });
    }
    let path = |i: usize| format!("objects.framework.requirement_nodes[{i}]");

    // URNs, unique.
    let mut by_urn: HashMap<&str, usize> = HashMap::with_capacity(raw.len());
    for (i, n) in raw.iter().enumerate() {
        if !valid_urn(&n.value.urn) {
            return Err(CatalogImportError::MissingField { location: at(format!("{}.urn", path(i)), n), field: "urn" });
        }
        if by_urn.insert(n.value.urn.as_str(), i).is_some() {
            return Err(CatalogImportError::DuplicateId { location: at(format!("{}.urn", path(i)), n), id: n.value.urn.clone() });
        }
    }

    // Refs: the ref_id when usable and unique, else the shortest free suffix of the URN.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for n in raw {
        if let Some(r) = n.value.ref_id.as_deref() {
            *counts.entry(r).or_default() += 1;
        }
    }
    let mut refs: Vec<Option<String>> = vec![None; raw.len()];
    let mut taken: HashSet<String> = HashSet::new();
    for (i, n) in raw.iter().enumerate() {
        if let Some(r) = n.value.ref_id.as_deref().filter(|r| counts.get(r) == Some(&1) && valid_ref(r)) {
            taken.insert(r.to_string());
            refs[i] = Some(r.to_string());
        }
    }
    for (i, n) in raw.iter().enumerate() {
        if refs[i].is_some() {
            continue;
        }
        let segments: Vec<&str> = n.value.urn.split(':').collect();
        let found = (1..=segments.len()).map(|k| segments[segments.len() - k..].join(":")).find(|c| valid_ref(c) && !taken.contains(c));
        let Some(r) = found else {
            return Err(CatalogImportError::BadId {
                location: at(format!("{}.urn", path(i)), n),
                id: n.value.urn.chars().take(80).collect(),
            });
        };
        taken.insert(r.clone());
        refs[i] = Some(r);
    }
    let refs: Vec<String> = refs.into_iter().map(Option::unwrap_or_default).collect();

    let prefix = node_prefix(&framework.urn);
    let mut nodes: Vec<NodeDef> = Vec::with_capacity(raw.len());
    let mut locations = Vec::with_capacity(raw.len());
    let mut used: HashSet<&'static str> = HashSet::new();
    for (i, spanned) in raw.iter().enumerate() {
        let n = &spanned.value;
        let ref_id = refs[i].clone();
        let mut fields = BTreeMap::new();
        let parent = match n.parent_urn.as_deref() {
            None => None,
            Some(p) => {
                let Some(&j) = by_urn.get(p).filter(|&&j| j < i) else {
                    return Err(CatalogImportError::UnknownParent {
                        location: at(format!("{}.parent_urn", path(i)), spanned),
                        parent: p.chars().take(200).collect(),
                    });
                };
                if raw[j].value.assessable {
                    fields.insert(PARENT_REQUIREMENT.to_string(), refs[j].clone());
                    used.insert(PARENT_REQUIREMENT);
                    nodes[j].parent.clone()
                } else {
                    Some(refs[j].clone())
                }
            }
        };
        let kind = if n.assessable { NodeKind::Requirement } else { NodeKind::Group };
        let mut node = NodeDef::new(ref_id.clone(), kind, parent);
        let translations = n.translations.as_ref();
        count_dropped(translations, &mut dropped);
        node.title = local_text(n.name.as_ref(), translations, |t| t.name.as_ref(), lang);
        node.text = local_text(n.description.as_ref(), translations, |t| t.description.as_ref(), lang);
        let untitled = node.title.as_ref().is_none_or(LocalText::is_empty);
        if untitled && (kind == NodeKind::Group || node.text.as_ref().is_none_or(LocalText::is_empty)) {
            // Groups need a title (and requirements a title or a text): use the id.
            let mut title = LocalText::default();
            *slot(&mut title, lang) = Some(n.ref_id.clone().filter(|r| !r.is_empty()).unwrap_or_else(|| ref_id.clone()));
            node.title = Some(title);
        }
        for (key, value) in [(ATTR_ANNOTATION, &n.annotation), (ATTR_EVIDENCE, &n.typical_evidence)] {
            if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                fields.insert(key.to_string(), v.clone());
                used.insert(key);
            }
        }
        if let Some(r) = n.ref_id.as_ref().filter(|r| **r != ref_id) {
            fields.insert(ATTR_REF_ID.to_string(), r.clone());
            used.insert(ATTR_REF_ID);
        }
        if n.urn != derived_urn(&prefix, &ref_id) {
            fields.insert(ATTR_URN.to_string(), n.urn.clone());
            used.insert(ATTR_URN);
        }
        node.fields = fields;
        nodes.push(node);
        locations.push(at(path(i), spanned));
    }

    let library_translations = library.translations.as_ref();
    count_dropped(library_translations, &mut dropped);
    let key = library
        .ref_id
        .clone()
        .filter(|r| valid_key(r))
        .or_else(|| Some(slug(last_segment(&framework.urn))).filter(|s| !s.is_empty()))
        .or_else(|| Some(slug(last_segment(&library.urn))).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "ciso-library".to_string());
    let edition: String = library.version.as_deref().map(str::trim).filter(|v| !v.is_empty()).unwrap_or("1").chars().take(64).collect();
    let fallback_name =
        library.name.clone().or_else(|| framework.name.clone()).or_else(|| library.ref_id.clone()).or_else(|| framework.ref_id.clone());
    let name = local_text(library.name.as_ref().or(fallback_name.as_ref()), library_translations, |t| t.name.as_ref(), lang)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| {
            let mut t = LocalText::default();
            *slot(&mut t, lang) = Some(framework.urn.clone());
            t
        });
    let fields = [ATTR_ANNOTATION, ATTR_EVIDENCE, ATTR_REF_ID, ATTR_URN, PARENT_REQUIREMENT]
        .into_iter()
        .filter(|k| used.contains(k))
        .map(attribute)
        .collect();
    let def = CatalogDef {
        key,
        edition,
        urn: framework.urn.clone(),
        name,
        publisher: library.provider.clone().map(|p| {
            let mut t = LocalText::default();
            *slot(&mut t, lang) = Some(p);
            t
        }),
        language: lang,
        source: Some(format!("{SOURCE_PREFIX}{}", library.urn)),
        classification: Confidentiality::Public,
        description: local_text(library.description.as_ref(), library_translations, |t| t.description.as_ref(), lang),
        fields,
        answer_scale: None,
        nodes,
    };
    let catalog = finish(def, &locations, limits)?;
    Ok(CisoImport { catalog, dropped_translations: dropped })
}

// ---------------------------------------------------------------------------------------------
// Export.

/// The URN of every node of a catalog as [`export_library`] writes it, with the node's ref, in
/// catalog order: the `urn` attribute when present, else the CISO Assistant convention from the
/// catalog URN and the lowercased ref (numbered when two refs differ only in case).
pub fn node_urns(def: &CatalogDef) -> Vec<(String, String)> {
    let prefix = node_prefix(&def.urn);
    let mut seen: HashSet<String> = def.nodes.iter().filter_map(|n| n.fields.get(ATTR_URN).cloned()).collect();
    let mut out = Vec::with_capacity(def.nodes.len());
    for n in &def.nodes {
        let urn = match n.fields.get(ATTR_URN) {
            Some(u) => u.clone(),
            None => {
                let base = derived_urn(&prefix, &n.ref_id);
                let mut urn = base.clone();
                let mut k = 1;
                while seen.contains(&urn) {
                    k += 1;
                    urn = format!("{base}~{k}");
                }
                seen.insert(urn.clone());
                urn
            }
        };
        out.push((urn, n.ref_id.clone()));
    }
    out
}

/// The `translations` of a node or library: the other language's title and text, if any.
fn translation(lang: Lang, title: Option<String>, text: Option<String>) -> BTreeMap<&'static str, TranslationOut> {
    let mut map = BTreeMap::new();
    if title.is_some() || text.is_some() {
        map.insert(code(lang), TranslationOut { name: title, description: text });
    }
    map
}

/// Writes a catalog as a CISO Assistant framework library (YAML) that [`import_library`] reads
/// back to the same definition.
pub fn export_library(def: &CatalogDef) -> Result<String, CatalogImportError> {
    let catalog = Catalog::check(def.clone(), &export_limits())
        .map_err(|source| CatalogImportError::Catalog { location: Location::default(), source })?;
    let lang = def.language;
    let other_lang = other(lang);
    let urns: HashMap<String, String> = node_urns(def).into_iter().map(|(urn, r)| (r, urn)).collect();
    let urn_of = |r: &str| urns.get(r).cloned().unwrap_or_default();
    let mut depth: HashMap<&str, usize> = HashMap::new();
    let mut requirement_nodes = Vec::with_capacity(def.nodes.len());
    for n in catalog.nodes() {
        // The source's parent: the requirement named by `parent_requirement` when it is an
        // earlier requirement under the same group, else the group.
        let parent = n
            .fields
            .get(PARENT_REQUIREMENT)
            .filter(|p| {
                catalog.node(p).is_some_and(|b| b.kind == NodeKind::Requirement && b.parent == n.parent && depth.contains_key(p.as_str()))
            })
            .map(String::as_str)
            .or(n.parent.as_deref());
        let d = parent.and_then(|p| depth.get(p)).map_or(1, |d| d + 1);
        depth.insert(n.ref_id.as_str(), d);
        requirement_nodes.push(NodeOut {
            urn: urn_of(&n.ref_id),
            assessable: n.kind == NodeKind::Requirement,
            depth: d,
            parent_urn: parent.map(urn_of),
            ref_id: n.fields.get(ATTR_REF_ID).cloned().unwrap_or_else(|| n.ref_id.clone()),
            name: side(&n.title, lang),
            description: side(&n.text, lang),
            annotation: n.fields.get(ATTR_ANNOTATION).cloned(),
            typical_evidence: n.fields.get(ATTR_EVIDENCE).cloned(),
            translations: translation(other_lang, side(&n.title, other_lang), side(&n.text, other_lang)),
        });
    }
    let library_urn = def
        .source
        .as_deref()
        .and_then(|s| s.strip_prefix(SOURCE_PREFIX))
        .filter(|u| valid_urn(u))
        .map(str::to_string)
        .unwrap_or_else(|| {
            if def.urn.contains(":framework:") { def.urn.replacen(":framework:", ":library:", 1) } else { format!("{}:library", def.urn) }
        });
    let name = side(&Some(def.name.clone()), lang);
    let description = side(&def.description, lang);
    let version = def
        .edition
        .parse::<u64>()
        .ok()
        .filter(|v| v.to_string() == def.edition)
        .map_or_else(|| VersionOut::Text(def.edition.clone()), VersionOut::Number);
    let out = LibraryOut {
        urn: library_urn,
        locale: code(lang),
        ref_id: def.key.clone(),
        name: name.clone(),
        description: description.clone(),
        version,
        provider: def.publisher.as_ref().map(|p| p.get(lang).to_string()).filter(|p| !p.is_empty()),
        packager: "mamori",
        translations: translation(other_lang, side(&Some(def.name.clone()), other_lang), side(&def.description, other_lang)),
        objects: ObjectsOut {
            framework: FrameworkOut { urn: def.urn.clone(), ref_id: def.key.clone(), name, description, requirement_nodes },
        },
    };
    serde_saphyr::to_string(&out).map_err(|e| CatalogImportError::Write(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Mapping libraries.

/// One side of a mapping: the catalog it names and the URN → ref table of its nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkRefs {
    /// The catalog's key, optionally `key@edition`, as the mapping will name it.
    pub catalog: String,
    /// The framework URN the mapping must name for this side, when known.
    pub framework_urn: Option<String>,
    /// Node URN → ref (URNs compare case-insensitively).
    pub refs: HashMap<String, String>,
}

impl FrameworkRefs {
    /// The table of a catalog imported from CISO Assistant (or any catalog, with the URNs
    /// [`export_library`] gives its nodes).
    pub fn of(def: &CatalogDef) -> FrameworkRefs {
        FrameworkRefs { catalog: def.key.clone(), framework_urn: Some(def.urn.clone()), refs: node_urns(def).into_iter().collect() }
    }
}

/// Reads a CISO Assistant mapping library (YAML, `objects.requirement_mapping_set`) into a
/// mapping from `source` to `target`.
pub fn import_mapping(
    bytes: &[u8],
    limits: &CatalogImportLimits,
    source: &FrameworkRefs,
    target: &FrameworkRefs,
) -> Result<MappingDef, CatalogImportError> {
    let library: Library = parse(bytes, limits)?;
    let (set, base) = match (&library.objects.requirement_mapping_set, &library.objects.requirement_mapping_sets) {
        (Some(set), _) => (set, "objects.requirement_mapping_set".to_string()),
        (None, Some(sets)) if !sets.is_empty() => (&sets[0], "objects.requirement_mapping_sets[0]".to_string()),
        _ => return Err(CatalogImportError::NotAFramework { expected: "requirement_mapping_set" }),
    };
    for (side, refs, found, field) in [
        ("source", source, &set.source_framework_urn, "source_framework_urn"),
        ("target", target, &set.target_framework_urn, "target_framework_urn"),
    ] {
        if let (Some(expected), Some(found)) = (&refs.framework_urn, found)
            && !expected.eq_ignore_ascii_case(found)
        {
            return Err(CatalogImportError::WrongFramework {
                location: Location::path(format!("{base}.{field}")),
                side,
                expected: expected.clone(),
                found: found.chars().take(200).collect(),
            });
        }
    }
    if set.requirement_mappings.len() > limits.max_nodes.saturating_mul(10) {
        return Err(CatalogImportError::TooManyNodes {
            location: Location::path(format!("{base}.requirement_mappings")),
            max: limits.max_nodes.saturating_mul(10),
        });
    }
    let lower =
        |refs: &FrameworkRefs| -> HashMap<String, String> { refs.refs.iter().map(|(u, r)| (u.to_lowercase(), r.clone())).collect() };
    let (source_refs, target_refs) = (lower(source), lower(target));
    let mut entries = Vec::with_capacity(set.requirement_mappings.len());
    for (i, spanned) in set.requirement_mappings.iter().enumerate() {
        let m = &spanned.value;
        let path = |field: &str| at(format!("{base}.requirement_mappings[{i}].{field}"), spanned);
        let relationship = m.relationship.as_deref().unwrap_or_default();
        if relationship.trim().eq_ignore_ascii_case("not_related") {
            continue;
        }
        let resolve = |side: &'static str, urn: &Option<String>, table: &HashMap<String, String>, field: &str| {
            let urn = urn.as_deref().unwrap_or_default();
            table.get(&urn.to_lowercase()).cloned().ok_or_else(|| CatalogImportError::UnknownUrn {
                location: path(field),
                side,
                urn: urn.chars().take(200).collect(),
            })
        };
        let source_ref = resolve("source", &m.source_requirement_urn, &source_refs, "source_requirement_urn")?;
        let target_ref = resolve("target", &m.target_requirement_urn, &target_refs, "target_requirement_urn")?;
        let Some(relationship) = Relationship::parse(relationship) else {
            return Err(CatalogImportError::UnknownRelationship {
                location: path("relationship"),
                value: relationship.chars().take(80).collect(),
            });
        };
        entries.push(MappingEntry { source: source_ref, target: target_ref, relationship, notes: None });
    }
    let lang = lang_of(library.locale.as_deref());
    let key = library
        .ref_id
        .clone()
        .filter(|r| valid_key(r))
        .or_else(|| Some(slug(last_segment(&library.urn))).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| format!("{}-to-{}", source.catalog, target.catalog));
    let name = local_text(library.name.as_ref().or(set.name.as_ref()), library.translations.as_ref(), |t| t.name.as_ref(), lang)
        .unwrap_or_else(|| {
            let mut t = LocalText::default();
            *slot(&mut t, lang) = Some(key.clone());
            t
        });
    Ok(MappingDef {
        key,
        source: source.catalog.clone(),
        target: target.catalog.clone(),
        name,
        source_note: Some(format!("CISO Assistant mapping library {}", library.urn.chars().take(200).collect::<String>())),
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        assert_eq!(lang_of(Some("ja-JP")), Lang::Ja);
        assert_eq!(lang_of(Some("fr")), Lang::En);
        assert_eq!(lang_of(None), Lang::En);
    }

    #[test]
    fn node_urns_follow_the_convention() {
        assert_eq!(node_prefix("urn:intuitem:risk:framework:iso27001-2013"), "urn:intuitem:risk:req_node:iso27001-2013");
        assert_eq!(derived_urn("urn:x", "A.5.1"), "urn:x:a.5.1");
    }
}
