//! Catalogs (catalog.view): the list, a catalog's tree with search, one requirement with its
//! mappings in both directions, and the comparison of two editions. A catalog the viewer may not
//! read (a 社外秘 one for an external role) is "not found", like anything of another organisation.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use mamori_core::Lang;
use mamori_core::authz::{Action, Resource};
use mamori_core::catalog::{Catalog, NodeKind, diff, links_of, parse_catalog_ref};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Viewer;
use crate::catalogs_io::{self, VisibleCatalog};
use crate::error::WebError;
use crate::i18n::Tr;
use crate::view::{Badge, Nav, path_segment as segment, render};

fn catalog_url(c: &Catalog) -> String {
    format!("/catalogs/{}/{}", segment(c.key()), segment(c.edition()))
}

fn node_url(c: &Catalog, ref_id: &str) -> String {
    format!("{}/{}", catalog_url(c), segment(ref_id))
}

/// The catalogs this viewer may read (built-in and the organisation's own).
async fn readable(state: &AppState, viewer: &Viewer) -> Result<Vec<VisibleCatalog>, WebError> {
    catalogs_io::visible_catalogs(&state.store, &state.library, &viewer.actor).await
}

/// A catalog by key and edition, or 404 when it does not exist or the viewer may not read it.
async fn find(state: &AppState, viewer: &Viewer, key: &str, edition: &str) -> Result<VisibleCatalog, WebError> {
    catalogs_io::find_catalog(&state.store, &state.library, &viewer.actor, key, Some(edition)).await
}

/// The choices of a catalog select (`key@edition`, name and edition), in list order.
fn options(catalogs: &[VisibleCatalog], lang: Lang) -> Vec<(String, String)> {
    catalogs
        .iter()
        .map(|v| {
            (
                format!("{}@{}", v.catalog.key(), v.catalog.edition()),
                format!("{} ({})", v.catalog.def().name.get(lang), v.catalog.edition()),
            )
        })
        .collect()
}

struct CatalogRow {
    url: String,
    name: String,
    key_edition: String,
    publisher: String,
    badge: Badge,
    groups: usize,
    requirements: usize,
    mandatory: usize,
    optional: usize,
    /// Imported by the organisation (not built in).
    own: bool,
}

#[derive(Template)]
#[template(path = "catalogs.html")]
struct ListPage {
    t: Tr,
    nav: Nav,
    catalogs: Vec<CatalogRow>,
    options: Vec<(String, String)>,
    may_import: bool,
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.authorize(Action::CatalogView, &Resource::Organisation(viewer.org()))?;
    let t = viewer.tr();
    let catalogs = readable(&state, &viewer).await?;
    let rows = catalogs
        .iter()
        .map(|v| {
            let c = &v.catalog;
            let s = c.stats();
            CatalogRow {
                url: catalog_url(c),
                name: c.def().name.get(t.lang).to_string(),
                key_edition: format!("{} {}", c.key(), c.edition()),
                publisher: c.def().publisher.as_ref().map(|p| p.get(t.lang).to_string()).unwrap_or_default(),
                badge: Badge::new(c.def().classification, t.lang),
                groups: s.groups,
                requirements: s.requirements,
                mandatory: s.mandatory,
                optional: s.optional,
                own: v.owner.is_some(),
            }
        })
        .collect();
    let options = options(&catalogs, t.lang);
    let may_import = viewer.may(Action::CatalogImport, &Resource::Organisation(viewer.org()));
    Ok(render(&ListPage { t, nav: Nav::new(&viewer, "catalogs"), catalogs: rows, options, may_import }))
}

/// One line of a tree or of search results.
struct NodeLine {
    depth: usize,
    group: bool,
    url: String,
    label: String,
    /// 必須 / 任意, when the catalog says.
    target: String,
    mandatory: bool,
    /// The groups above it, for search results.
    path: String,
    flags: Vec<String>,
}

fn line(c: &Catalog, depth: usize, node: &mamori_core::catalog::NodeDef, lang: Lang, with_path: bool) -> NodeLine {
    NodeLine {
        depth: depth.min(6),
        group: node.kind == NodeKind::Group,
        url: node_url(c, &node.ref_id),
        label: Catalog::label(node, lang),
        target: node.answer_target.map(|a| a.text().get(lang).to_string()).unwrap_or_default(),
        mandatory: node.answer_target == Some(mamori_core::catalog::AnswerTarget::Mandatory),
        path: if with_path {
            c.ancestors(&node.ref_id).iter().map(|a| Catalog::label(a, lang)).collect::<Vec<_>>().join(" › ")
        } else {
            String::new()
        },
        flags: node.flags.iter().map(|f| f.text().get(lang).to_string()).collect(),
    }
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct TreePage {
    t: Tr,
    nav: Nav,
    name: String,
    key: String,
    edition: String,
    url: String,
    publisher: String,
    source: String,
    description: String,
    badge: Badge,
    groups: usize,
    requirements: usize,
    mandatory: usize,
    optional: usize,
    q: String,
    searched: bool,
    imported: bool,
    lines: Vec<NodeLine>,
}

#[derive(Debug, Deserialize)]
pub struct TreeQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    imported: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, edition)): Path<(String, String)>,
    Query(query): Query<TreeQuery>,
) -> Result<Response, WebError> {
    let found = find(&state, &viewer, &key, &edition).await?;
    let c = found.catalog.as_ref();
    let t = viewer.tr();
    let q: String = query.q.trim().chars().take(200).collect();
    let lines = if q.is_empty() {
        c.walk().into_iter().map(|(depth, n)| line(c, depth, n, t.lang, false)).collect()
    } else {
        c.search(&q).into_iter().map(|n| line(c, 0, n, t.lang, true)).collect()
    };
    let s = c.stats();
    let def = c.def();
    Ok(render(&TreePage {
        t,
        nav: Nav::new(&viewer, "catalogs"),
        name: def.name.get(t.lang).to_string(),
        key: c.key().to_string(),
        edition: c.edition().to_string(),
        url: catalog_url(c),
        publisher: def.publisher.as_ref().map(|p| p.get(t.lang).to_string()).unwrap_or_default(),
        source: def.source.clone().unwrap_or_default(),
        description: def.description.as_ref().map(|d| d.get(t.lang).to_string()).unwrap_or_default(),
        badge: Badge::new(def.classification, t.lang),
        groups: s.groups,
        requirements: s.requirements,
        mandatory: s.mandatory,
        optional: s.optional,
        searched: !q.is_empty(),
        imported: query.imported.is_some(),
        q,
        lines,
    }))
}

struct LinkRow {
    relationship: String,
    label: String,
    /// Empty when the other side is not a catalog the viewer may read.
    url: String,
    catalog: String,
}

#[derive(Template)]
#[template(path = "requirement.html")]
struct NodePage {
    t: Tr,
    nav: Nav,
    catalog_name: String,
    catalog_url: String,
    badge: Badge,
    crumbs: Vec<(String, String)>,
    label: String,
    number: String,
    title: String,
    text: String,
    /// The text in the other language, when the source has both.
    other_text: String,
    target: String,
    attributes: Vec<(String, String)>,
    criteria: Vec<(String, String)>,
    frequencies: Vec<String>,
    cites: Vec<(String, String)>,
    flags: Vec<String>,
    notes: String,
    children: Vec<NodeLine>,
    links: Vec<LinkRow>,
    /// The organisation's assessments of this edition that answer this requirement, with the
    /// answer each gave: (item url, assessment, period, answer).
    used_by: Vec<(String, String, String, String)>,
}

/// The viewer's assessments of catalog `c` whose scope holds requirement `ref_id`.
async fn assessments_using(
    state: &AppState,
    viewer: &Viewer,
    c: &Catalog,
    ref_id: &str,
) -> Result<Vec<(String, String, String, String)>, WebError> {
    let scope = mamori_core::authz::assessment_scope(&state.library, &viewer.actor, Action::AssessmentView);
    if scope.is_nothing() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for a in state.store.assessments(viewer.org(), &scope).await? {
        if a.doc.catalog_key != c.key() || a.doc.catalog_edition != c.edition() {
            continue;
        }
        if !mamori_core::assessment::scope_items(c, a.doc.scope.as_ref()).iter().any(|n| n.ref_id == ref_id) {
            continue;
        }
        let items = state.store.assessment_items(a.org, &a.id).await?;
        let answer = items
            .get(ref_id)
            .and_then(|i| i.state.value().and_then(|k| a.doc.scale.value(k)))
            .map(|v| v.label.get(viewer.lang).to_string())
            .unwrap_or_else(|| viewer.tr().get("assessment-unanswered"));
        let url = format!("/assessments/{}/items/{}", segment(&a.id), segment(ref_id));
        out.push((url, a.doc.name.clone(), a.doc.period.clone(), answer));
    }
    Ok(out)
}

pub async fn node(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, edition, ref_id)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    viewer.authorize(Action::CatalogView, &Resource::Organisation(viewer.org()))?;
    let visible = readable(&state, &viewer).await?;
    let found = catalogs_io::pick(&visible, &key, Some(&edition)).ok_or_else(WebError::not_found)?;
    let c = found.catalog.as_ref();
    let n = c.node(&ref_id).ok_or_else(WebError::not_found)?;
    let t = viewer.tr();
    let lang = t.lang;
    let other = match lang {
        Lang::Ja => Lang::En,
        Lang::En => Lang::Ja,
    };
    let text = n.text.as_ref().map(|x| x.get(lang).to_string()).unwrap_or_default();
    let other_text = n.text.as_ref().map(|x| x.get(other).to_string()).filter(|o| *o != text).unwrap_or_default();
    let attributes =
        c.def().fields.iter().filter_map(|f| n.fields.get(&f.key).map(|v| (f.name.get(lang).to_string(), v.clone()))).collect();
    // A cited or mapped node links to its page when the viewer may read that catalog.
    let resolve = |catalog_key: &str, r: &str| -> (String, String) {
        match catalogs_io::pick(&visible, catalog_key, None).map(|v| v.catalog.as_ref()) {
            Some(other) => {
                let label = other.node(r).map(|x| Catalog::label(x, lang)).unwrap_or_else(|| r.to_string());
                let url = if other.node(r).is_some() { node_url(other, r) } else { String::new() };
                (label, url)
            }
            _ => (r.to_string(), String::new()),
        }
    };
    let cites = n
        .cites
        .iter()
        .map(|cite| {
            let (k, r) = cite.split_once(':').unwrap_or(("", cite));
            let (label, url) = resolve(k, r);
            (if url.is_empty() { cite.clone() } else { label }, url)
        })
        .collect();
    let links = links_of(state.library.mappings(), c.key(), &n.ref_id)
        .into_iter()
        .map(|l| {
            let (key, _) = parse_catalog_ref(&l.catalog);
            let (label, url) = resolve(key, &l.ref_id);
            let catalog = catalogs_io::pick(&visible, key, None)
                .map(|v| v.catalog.def().name.get(lang).to_string())
                .unwrap_or_else(|| key.to_string());
            LinkRow { relationship: l.relationship.text().get(lang).to_string(), label, url, catalog }
        })
        .collect();
    let page = NodePage {
        t,
        nav: Nav::new(&viewer, "catalogs"),
        catalog_name: c.def().name.get(lang).to_string(),
        catalog_url: catalog_url(c),
        badge: Badge::new(c.def().classification, lang),
        crumbs: c.ancestors(&n.ref_id).iter().map(|a| (node_url(c, &a.ref_id), Catalog::label(a, lang))).collect(),
        label: Catalog::label(n, lang),
        number: n.number.clone().unwrap_or_else(|| n.ref_id.clone()),
        title: n.title.as_ref().map(|x| x.get(lang).to_string()).unwrap_or_default(),
        text,
        other_text,
        target: n.answer_target.map(|a| a.text().get(lang).to_string()).unwrap_or_default(),
        attributes,
        criteria: n.criteria.iter().map(|k| (k.header.clone(), k.text.clone())).collect(),
        frequencies: n.frequencies.iter().map(|f| f.text().get(lang).to_string()).collect(),
        cites,
        flags: n.flags.iter().map(|f| f.text().get(lang).to_string()).collect(),
        notes: n.notes.as_ref().map(|x| x.get(lang).to_string()).unwrap_or_default(),
        children: c.children(&n.ref_id).map(|x| line(c, 0, x, lang, false)).collect(),
        links,
        used_by: if n.kind == NodeKind::Requirement { assessments_using(&state, &viewer, c, &n.ref_id).await? } else { Vec::new() },
    };
    Ok(render(&page))
}

#[derive(Debug, Deserialize)]
pub struct CompareQuery {
    #[serde(default)]
    old: String,
    #[serde(default)]
    new: String,
}

struct ChangeRow {
    url: String,
    label: String,
    parts: String,
}

#[derive(Template)]
#[template(path = "catalog_compare.html")]
struct ComparePage {
    t: Tr,
    nav: Nav,
    options: Vec<(String, String)>,
    old: String,
    new: String,
    compared: bool,
    old_name: String,
    new_name: String,
    added: Vec<ChangeRow>,
    removed: Vec<ChangeRow>,
    changed: Vec<ChangeRow>,
    unchanged: usize,
}

pub async fn compare(State(state): State<AppState>, viewer: Viewer, Query(query): Query<CompareQuery>) -> Result<Response, WebError> {
    viewer.authorize(Action::CatalogView, &Resource::Organisation(viewer.org()))?;
    let t = viewer.tr();
    let lang = t.lang;
    let visible = readable(&state, &viewer).await?;
    let options = options(&visible, lang);
    let pick = |name: &str| -> Result<Option<std::sync::Arc<Catalog>>, WebError> {
        if name.is_empty() {
            return Ok(None);
        }
        let (key, edition) = parse_catalog_ref(name);
        catalogs_io::pick(&visible, key, Some(edition.unwrap_or_default())).map(|v| Some(v.catalog.clone())).ok_or_else(WebError::not_found)
    };
    let mut page = ComparePage {
        t,
        nav: Nav::new(&viewer, "catalogs"),
        options,
        old: query.old.clone(),
        new: query.new.clone(),
        compared: false,
        old_name: String::new(),
        new_name: String::new(),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
    };
    if let (Some(a), Some(b)) = (pick(&query.old)?, pick(&query.new)?) {
        let (a, b) = (a.as_ref(), b.as_ref());
        let d = diff(a, b);
        let row = |c: &Catalog, r: &str, parts: String| ChangeRow {
            url: node_url(c, r),
            label: c.node(r).map(|n| Catalog::label(n, lang)).unwrap_or_else(|| r.to_string()),
            parts,
        };
        page.compared = true;
        page.old_name = format!("{} ({})", a.def().name.get(lang), a.edition());
        page.new_name = format!("{} ({})", b.def().name.get(lang), b.edition());
        page.added = d.added.iter().map(|r| row(b, r, String::new())).collect();
        page.removed = d.removed.iter().map(|r| row(a, r, String::new())).collect();
        page.changed = d
            .changed
            .iter()
            .map(|(r, parts)| row(b, r, parts.iter().map(|p| p.text().get(lang).to_string()).collect::<Vec<_>>().join("・")))
            .collect();
        page.unchanged = d.unchanged;
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "catalog_import.html")]
pub(super) struct ImportPage {
    t: Tr,
    nav: Nav,
    csrf: String,
    errors: Vec<String>,
    /// Catalogs a profile can be resolved against.
    bases: Vec<(String, String)>,
    format: String,
    base: String,
    edition: String,
    key: String,
    name: String,
}

pub(super) async fn import_page(
    state: &AppState,
    viewer: &Viewer,
    errors: Vec<String>,
    form: &std::collections::BTreeMap<String, String>,
) -> Result<ImportPage, WebError> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let lang = viewer.lang;
    let bases = options(&readable(state, viewer).await?, lang);
    Ok(ImportPage {
        t: viewer.tr(),
        nav: Nav::new(viewer, "catalogs"),
        csrf: viewer.csrf_token().to_string(),
        errors,
        bases,
        format: if field("format").is_empty() { "auto".to_string() } else { field("format") },
        base: field("base"),
        edition: field("edition"),
        key: field("key"),
        name: field("name"),
    })
}

pub async fn import_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.authorize(Action::CatalogImport, &Resource::Organisation(viewer.org()))?;
    Ok(render(&import_page(&state, &viewer, Vec::new(), &Default::default()).await?))
}

/// Imports an uploaded catalog as the organisation's and shows it; a table (xlsx or CSV other
/// than Mamori's own workbook and CISO Assistant's) goes to the mapping step first. A file that
/// cannot be read is shown again with its error and where it is, and nothing is written.
pub async fn import(State(state): State<AppState>, viewer: Viewer, multipart: axum::extract::Multipart) -> Result<Response, WebError> {
    use axum::response::IntoResponse;
    let upload = super::transfer::read_upload(multipart, state.config.max_import_bytes).await?;
    crate::csrf::check_form_token(&viewer, &upload.csrf)?;
    viewer.authorize(Action::CatalogImport, &Resource::Organisation(viewer.org()))?;
    let format_field = upload.fields.get("format").cloned().unwrap_or_else(|| "auto".into());
    let base_field = upload.fields.get("base").cloned().unwrap_or_default();
    let lang = viewer.lang;
    let limits = mamori_interop::CatalogImportLimits { max_bytes: state.config.max_import_bytes, ..Default::default() };
    let result = async {
        if upload.bytes.is_empty() {
            return Err(WebError::new(
                crate::error::ErrorKind::Invalid,
                mamori_core::Text::new("ファイルを選んでください。", "Choose a file."),
            ));
        }
        let format = match format_field.as_str() {
            "auto" | "" => catalogs_io::CatalogFormat::guess(&upload.filename, &upload.bytes),
            other => catalogs_io::CatalogFormat::parse(other),
        }
        .ok_or_else(|| {
            WebError::new(
                crate::error::ErrorKind::Unsupported,
                mamori_core::Text::new(
                    "ファイルの形式がわかりません。OSCAL（JSON）、CISO Assistant（YAML）、Excel（xlsx）または CSV を選んでください。",
                    "The file's format is not recognised: choose OSCAL (JSON), CISO Assistant (YAML), Excel (xlsx) or CSV.",
                ),
            )
        })?;
        let base = match (format, base_field.as_str()) {
            (catalogs_io::CatalogFormat::OscalProfile, name) if !name.is_empty() => {
                let (key, edition) = parse_catalog_ref(name);
                Some(catalogs_io::find_catalog(&state.store, &state.library, &viewer.actor, key, edition).await?.catalog)
            }
            _ => None,
        };
        if format == catalogs_io::CatalogFormat::Sheet
            && let Some(workbook) = catalogs_io::table_workbook(&upload.bytes, &limits)?
        {
            return super::catalog_mapping::start(&state, &viewer, &upload, &workbook).await;
        }
        let field = |k: &str| upload.fields.get(k).cloned().unwrap_or_default();
        let sheet = catalogs_io::SheetHeader { key: field("key"), edition: field("edition"), name: field("name") };
        let mut def = catalogs_io::read_catalog(format, &upload.bytes, base.as_ref().map(|b| b.def()), &sheet, &limits)?;
        def.set_edition(upload.fields.get("edition").map(String::as_str).unwrap_or_default());
        let stored = catalogs_io::import_catalog(&state.store, &state.library, &viewer.actor, def, &upload.filename, &limits).await?;
        Ok(axum::response::Redirect::to(&format!("{}?imported=1", catalog_url(&stored.catalog))).into_response())
    }
    .await;
    match result {
        Ok(response) => Ok(response),
        Err(e)
            if matches!(
                e.kind,
                crate::error::ErrorKind::Invalid | crate::error::ErrorKind::Unsupported | crate::error::ErrorKind::Stale
            ) =>
        {
            let page = import_page(&state, &viewer, vec![e.text.get(lang).to_string()], &upload.fields).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}
