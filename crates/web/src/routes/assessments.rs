//! Assessments (assessment.*): the list, starting one from a catalog (or from last year's), the
//! checklist page with its score per group and gap list, one item with its answers, evidence,
//! assignment and approval, the state transitions, evidence downloads, and the comparison of two
//! assessments. An assessment the viewer may not see is "not found", like anything of another
//! organisation; one they may see but not change is "forbidden".

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::assessment::{AnswerInput, Answerer, ItemState, Transition};
use mamori_core::authz::{Action, AssessmentScope, Resource, assessment_scope};
use mamori_core::catalog::{AnswerTarget, Catalog, NodeKind, parse_catalog_ref};
use mamori_core::ids::{PersonId, UnitId};
use mamori_core::{Lang, Text};
use serde::Deserialize;

use super::FormFields;
use super::forms::{invalid, parse_date};
use crate::AppState;
use crate::assessments_io::{self as io, Loaded};
use crate::auth::Viewer;
use crate::catalogs_io;
use crate::csrf::check_form_token;
use crate::error::{ErrorKind, WebError};
use crate::i18n::Tr;
use crate::view::{Nav, path_segment as segment, render};

fn assessment_url(id: &str) -> String {
    format!("/assessments/{}", segment(id))
}

fn item_url(id: &str, ref_id: &str) -> String {
    format!("/assessments/{}/items/{}", segment(id), segment(ref_id))
}

fn percent(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".to_string())
}

// ---------------------------------------------------------------------------------------------
// The list.

struct ListRow {
    url: String,
    name: String,
    period: String,
    catalog: String,
    unit: String,
    state: String,
    state_key: &'static str,
    answered: usize,
    items: usize,
    score: String,
    mandatory_gaps: usize,
    updated: String,
    /// The customer that sent it, and its last reminder.
    requester: String,
    reminded: String,
}

#[derive(Template)]
#[template(path = "assessments.html")]
struct ListPage {
    t: Tr,
    nav: Nav,
    rows: Vec<ListRow>,
    may_create: bool,
    may_import: bool,
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.authorize(Action::AssessmentView, &Resource::Organisation(viewer.org()))?;
    let t = viewer.tr();
    let scope = assessment_scope(&state.library, &viewer.actor, Action::AssessmentView);
    let units = state.store.units(viewer.org()).await?;
    let unit_name = |u: Option<UnitId>| match u {
        None => t.get("assessment-whole-org"),
        Some(u) => units.iter().find(|x| x.id == u).map(|x| x.name.get(t.lang).to_string()).unwrap_or_default(),
    };
    let catalogs = catalogs_io::visible_catalogs(&state.store, &state.library, &viewer.actor).await.unwrap_or_default();
    let mut requesters: BTreeMap<mamori_core::ids::OrgId, String> = BTreeMap::new();
    let assessments = state.store.assessments(viewer.org(), &scope).await?;
    for a in &assessments {
        if let Some(r) = a.doc.requester
            && !requesters.contains_key(&r)
        {
            requesters.insert(r, state.store.organisation(r).await?.name);
        }
    }
    let rows = assessments
        .into_iter()
        .map(|a| ListRow {
            requester: a.doc.requester.and_then(|r| requesters.get(&r).cloned()).unwrap_or_default(),
            reminded: if a.doc.is_shared() { String::new() } else { a.reminded_at.map(crate::view::short_time).unwrap_or_default() },
            url: assessment_url(&a.id),
            name: a.doc.name.clone(),
            period: a.doc.period.clone(),
            catalog: catalogs_io::pick(&catalogs, &a.doc.catalog_key, Some(&a.doc.catalog_edition))
                .map(|c| format!("{} ({})", c.catalog.def().name.get(t.lang), a.doc.catalog_edition))
                .unwrap_or_else(|| format!("{} {}", a.doc.catalog_key, a.doc.catalog_edition)),
            unit: unit_name(a.doc.unit),
            state: a.doc.state.text().get(t.lang).to_string(),
            state_key: a.doc.state.as_str(),
            answered: a.summary.answered,
            items: a.summary.items,
            score: percent(a.summary.score),
            mandatory_gaps: a.summary.mandatory_gaps,
            updated: crate::view::short_time(a.updated_at),
        })
        .collect();
    let may_create = !assessment_scope(&state.library, &viewer.actor, Action::AssessmentManage).is_nothing();
    let may_import = may_create && viewer.may(Action::CatalogImport, &Resource::Organisation(viewer.org()));
    Ok(render(&ListPage { t, nav: Nav::new(&viewer, "assessments"), rows, may_create, may_import }))
}

// ---------------------------------------------------------------------------------------------
// Starting one.

#[derive(Template)]
#[template(path = "assessment_new.html")]
struct NewPage {
    t: Tr,
    nav: Nav,
    csrf: String,
    errors: Vec<String>,
    catalogs: Vec<(String, String)>,
    scales: Vec<(String, String)>,
    units: Vec<(String, String)>,
    previous: Vec<(String, String)>,
    form: BTreeMap<String, String>,
}

impl NewPage {
    fn value(&self, key: &str) -> &str {
        self.form.get(key).map(String::as_str).unwrap_or_default()
    }
}

async fn new_page(state: &AppState, viewer: &Viewer, errors: Vec<String>, form: BTreeMap<String, String>) -> Result<NewPage, WebError> {
    let t = viewer.tr();
    let catalogs = catalogs_io::visible_catalogs(&state.store, &state.library, &viewer.actor)
        .await?
        .iter()
        .filter(|v| v.catalog.stats().requirements > 0)
        .map(|v| {
            (
                format!("{}@{}", v.catalog.key(), v.catalog.edition()),
                format!("{} ({})", v.catalog.def().name.get(t.lang), v.catalog.edition()),
            )
        })
        .collect();
    let scales = state.library.scales().iter().map(|s| (s.key.clone(), s.name.get(t.lang).to_string())).collect();
    let manage = assessment_scope(&state.library, &viewer.actor, Action::AssessmentManage);
    let mut units: Vec<(String, String)> = Vec::new();
    if manage == AssessmentScope::All {
        units.push((String::new(), t.get("assessment-whole-org")));
    }
    for u in state.store.units(viewer.org()).await?.iter() {
        if manage.admits(Some(u.id)) {
            units.push((u.id.to_string(), u.name.get(t.lang).to_string()));
        }
    }
    let view = assessment_scope(&state.library, &viewer.actor, Action::AssessmentView);
    let previous = state
        .store
        .assessments(viewer.org(), &view)
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), format!("{} ({})", a.doc.name, a.doc.period)))
        .collect();
    Ok(NewPage {
        t,
        nav: Nav::new(viewer, "assessments"),
        csrf: viewer.csrf_token().to_string(),
        errors,
        catalogs,
        scales,
        units,
        previous,
        form,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, WebError> {
    viewer.authorize(Action::AssessmentManage, &Resource::Organisation(viewer.org()))?;
    let form: BTreeMap<String, String> = query.into_iter().filter(|(k, _)| k == "catalog" || k == "previous").collect();
    Ok(render(&new_page(&state, &viewer, Vec::new(), form).await?))
}

fn parse_unit(text: &str) -> Result<Option<UnitId>, WebError> {
    match text.trim() {
        "" => Ok(None),
        t => UnitId::parse(t).map(Some).map_err(|_| invalid("部門の指定が正しくありません。", "The unit is not valid.")),
    }
}

pub async fn create(State(state): State<AppState>, viewer: Viewer, form: FormFields) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::AssessmentManage, &Resource::Organisation(viewer.org()))?;
    let fields: BTreeMap<String, String> = form.0.iter().filter(|(k, _)| k != "csrf" && k != "group").cloned().collect();
    let result = async {
        let catalog_field = form.text("catalog");
        let (key, edition) = parse_catalog_ref(&catalog_field);
        let catalog = catalogs_io::find_catalog(&state.store, &state.library, &viewer.actor, key, edition).await?.catalog;
        let previous = Some(form.text("previous")).filter(|p| !p.trim().is_empty());
        let scale_key = form.text("scale");
        let scale = match scale_key.as_str() {
            "" => state.library.scale_for(&catalog),
            key => state.library.scale(key),
        }
        .cloned()
        .ok_or_else(|| invalid("回答尺度を選んでください。", "Choose an answer scale."))?;
        let groups: BTreeSet<String> = form.0.iter().filter(|(k, v)| k == "group" && !v.is_empty()).map(|(_, v)| v.clone()).collect();
        let new = io::NewAssessment {
            name: form.text("name"),
            period: form.text("period"),
            unit: parse_unit(&form.text("unit"))?,
            scale,
            scope: (!groups.is_empty()).then_some(groups),
            previous,
            due: parse_date(&form.text("due"))?,
            workbook: None,
            initial: BTreeMap::new(),
            catalog,
        };
        io::create(&state.store, &state.library, &viewer.actor, &viewer.ctx(Action::AssessmentManage), new).await
    }
    .await;
    match result {
        Ok(row) => Ok(Redirect::to(&assessment_url(&row.id)).into_response()),
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::NotFound) => {
            let page = new_page(&state, &viewer, vec![e.text.get(viewer.lang).to_string()], fields).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The customer's workbook.

#[derive(Template)]
#[template(path = "assessment_import.html")]
struct ImportPage {
    t: Tr,
    nav: Nav,
    csrf: String,
    errors: Vec<String>,
    units: Vec<(String, String)>,
    form: BTreeMap<String, String>,
}

impl ImportPage {
    fn value(&self, key: &str) -> &str {
        self.form.get(key).map(String::as_str).unwrap_or_default()
    }
}

async fn import_page(
    state: &AppState,
    viewer: &Viewer,
    errors: Vec<String>,
    form: BTreeMap<String, String>,
) -> Result<ImportPage, WebError> {
    let page = new_page(state, viewer, Vec::new(), BTreeMap::new()).await?;
    Ok(ImportPage {
        t: viewer.tr(),
        nav: Nav::new(viewer, "assessments"),
        csrf: viewer.csrf_token().to_string(),
        errors,
        units: page.units,
        form,
    })
}

pub async fn import_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.authorize(Action::AssessmentManage, &Resource::Organisation(viewer.org()))?;
    viewer.authorize(Action::CatalogImport, &Resource::Organisation(viewer.org()))?;
    Ok(render(&import_page(&state, &viewer, Vec::new(), BTreeMap::new()).await?))
}

/// Imports a customer's checklist workbook as a catalog and an assessment of it; a workbook
/// that cannot be read is shown again with its error and where it is, and nothing is written.
pub async fn import(State(state): State<AppState>, viewer: Viewer, multipart: axum::extract::Multipart) -> Result<Response, WebError> {
    let upload = super::transfer::read_upload(multipart, state.config.max_import_bytes).await?;
    check_form_token(&viewer, &upload.csrf)?;
    viewer.authorize(Action::AssessmentManage, &Resource::Organisation(viewer.org()))?;
    viewer.authorize(Action::CatalogImport, &Resource::Organisation(viewer.org()))?;
    let field = |k: &str| upload.fields.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let optional = |k: &str| Some(field(k)).filter(|v| !v.is_empty());
    let result = async {
        if upload.bytes.is_empty() {
            return Err(invalid("ファイルを選んでください。", "Choose a file."));
        }
        let period = field("period");
        if period.is_empty() {
            return Err(invalid("対象期間を入力してください。", "Enter the period."));
        }
        let mut options = mamori_interop::ChecklistOptions::new(field("key"), String::new());
        options.sheet = optional("sheet");
        options.answer_column = optional("answer_column");
        options.comment_column = optional("comment_column");
        let limits = mamori_interop::CatalogImportLimits { max_bytes: state.config.max_import_bytes, ..Default::default() };
        let ctx = viewer.ctx(Action::AssessmentManage);
        let unit = parse_unit(&field("unit"))?;
        io::import_checklist(
            &state.store,
            &state.library,
            &viewer.actor,
            &ctx,
            upload.bytes.clone(),
            &upload.filename,
            options,
            &period,
            unit,
            &limits,
        )
        .await
    }
    .await;
    match result {
        Ok(imported) => Ok(Redirect::to(&format!("{}?done=created", assessment_url(&imported.assessment.id))).into_response()),
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::Unsupported | ErrorKind::Stale | ErrorKind::NotFound) => {
            let form = upload.fields.iter().filter(|(k, _)| k.as_str() != "csrf").map(|(k, v)| (k.clone(), v.clone())).collect();
            let page = import_page(&state, &viewer, vec![e.text.get(viewer.lang).to_string()], form).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// The customer's workbook with the answers filled in.
pub async fn export_workbook(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentView).await?;
    let (name, bytes) = io::export_workbook(&state.store, &loaded).await?;
    let name = if name.to_lowercase().ends_with(".xlsx") { name } else { format!("{name}.xlsx") };
    Ok(crate::view::file_response(mamori_core::evidence::MediaType::Xlsx.mime(), false, &name, bytes))
}

/// The assessment as a PDF report (summary, score per group, gaps, evidence) with its Japanese
/// font embedded.
/// The signed submission package of a submitted assessment (for a customer that runs its own
/// Mamori): answers, evidence files, the filled customer workbook, a manifest with their hashes.
pub async fn package(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let ctx = viewer.ctx(Action::AssessmentManage);
    let (name, bytes) = crate::submissions_io::package(&state.store, &state.library, &viewer.actor, &ctx, &id).await?;
    Ok(crate::view::file_response("application/zip", false, &name, bytes))
}

pub async fn report_pdf(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentView).await?;
    let organisation = state.store.organisation(loaded.row.org).await?.name;
    let report = io::report(&state.store, &state.library, &loaded, &organisation, viewer.lang).await?;
    let fonts = state.report_fonts().await?;
    let pdf = tokio::task::spawn_blocking(move || mamori_report::render_pdf(&report, &fonts))
        .await
        .map_err(|e| WebError::internal(e.to_string()))?
        .map_err(|e| WebError { detail: Some(e.to_string()), ..WebError::new(ErrorKind::Internal, e.text()) })?;
    let name = format!("{}-{}.pdf", loaded.row.doc.name, loaded.row.doc.period);
    Ok(crate::view::file_response(mamori_core::evidence::MediaType::Pdf.mime(), true, &name, pdf))
}

// ---------------------------------------------------------------------------------------------
// The checklist page.

struct ItemLine {
    url: String,
    label: String,
    target: String,
    mandatory: bool,
    answer: String,
    meaning: &'static str,
    comment: String,
    assignee: String,
    due: String,
    evidence: usize,
    approved: bool,
    disagreement: bool,
    gap: bool,
}

struct GroupBlock {
    ref_id: String,
    label: String,
    score: String,
    answered: usize,
    items_count: usize,
    gaps: usize,
    items: Vec<ItemLine>,
}

struct Tally {
    label: String,
    items: usize,
    answered: usize,
    score: String,
    gaps: usize,
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct ChecklistPage {
    t: Tr,
    nav: Nav,
    csrf: String,
    url: String,
    name: String,
    period: String,
    catalog: String,
    catalog_url: String,
    unit: String,
    state: String,
    state_key: &'static str,
    version: i64,
    scale: String,
    due: String,
    tallies: Vec<Tally>,
    groups: Vec<GroupBlock>,
    gaps: Vec<(String, String, String)>,
    disagreements: usize,
    transitions: Vec<(&'static str, String)>,
    unanswered_mandatory: usize,
    filter: String,
    may_manage: bool,
    people: Vec<(String, String)>,
    group_options: Vec<(String, String)>,
    others: Vec<(String, String)>,
    notice: String,
    actions: Vec<ActionLine>,
    gaps_without_action: usize,
    may_plan: bool,
    may_package: bool,
    fingerprint: Option<String>,
    workbook: bool,
}

struct ActionLine {
    url: String,
    label: String,
    text: String,
    owner: String,
    due: String,
    status: String,
    done: bool,
    overdue: bool,
}

#[derive(Debug, Deserialize, Default)]
pub struct ChecklistQuery {
    #[serde(default)]
    filter: String,
    #[serde(default)]
    done: String,
}

fn names_of(people: &[mamori_store::Person]) -> BTreeMap<PersonId, String> {
    people.iter().map(|p| (p.id, p.display_name.clone())).collect()
}

fn label_of(catalog: &Catalog, ref_id: &str, lang: Lang) -> String {
    catalog.node(ref_id).map(|n| Catalog::label(n, lang)).unwrap_or_else(|| ref_id.to_string())
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<ChecklistQuery>,
) -> Result<Response, WebError> {
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentView).await?;
    let t = viewer.tr();
    let lang = t.lang;
    let doc = &loaded.row.doc;
    let catalog = loaded.catalog.as_ref();
    let nodes = loaded.nodes();
    let states = loaded.states();
    let score = mamori_core::assessment::score(catalog, &nodes, &doc.scale, &states, state.library.scoring());
    let people = state.store.people(viewer.org()).await?;
    let names = names_of(&people);
    let gap_refs: BTreeSet<&str> = score.gaps.iter().map(|g| g.ref_id.as_str()).collect();
    let filter = query.filter.clone();
    let mut groups: Vec<GroupBlock> = Vec::new();
    // The groups above the items (for bulk assignment), found once.
    let mut above: BTreeSet<&str> = BTreeSet::new();
    let unanswered = ItemState::default();
    for node in &nodes {
        let ancestors = catalog.ancestors(&node.ref_id);
        above.extend(ancestors.iter().map(|a| a.ref_id.as_str()));
        let item = states.get(&node.ref_id).unwrap_or(&unanswered);
        let value = item.value().and_then(|k| doc.scale.value(k));
        let gap = gap_refs.contains(node.ref_id.as_str());
        let keep = match filter.as_str() {
            "unanswered" => value.is_none(),
            "gaps" => gap,
            "mine" => item.assignee == Some(viewer.person.id),
            "disagreements" => item.disagreement(),
            "unapproved" => value.is_some() && item.approval.is_none(),
            _ => true,
        };
        let group = ancestors.first().map(|g| g.ref_id.clone()).unwrap_or_default();
        if groups.last().is_none_or(|g| g.ref_id != group) {
            let tally = score.groups.iter().find(|(g, _)| *g == group).map(|(_, t)| *t).unwrap_or_default();
            groups.push(GroupBlock {
                label: if group.is_empty() { String::new() } else { label_of(catalog, &group, lang) },
                ref_id: group,
                score: percent(tally.percent()),
                answered: tally.answered,
                items_count: tally.items,
                gaps: tally.gaps,
                items: Vec::new(),
            });
        }
        if !keep {
            continue;
        }
        let line = ItemLine {
            url: item_url(&loaded.row.id, &node.ref_id),
            label: Catalog::label(node, lang),
            target: node.answer_target.map(|a| a.text().get(lang).to_string()).unwrap_or_default(),
            mandatory: node.answer_target == Some(AnswerTarget::Mandatory),
            answer: value.map(|v| v.label.get(lang).to_string()).unwrap_or_default(),
            meaning: value.map_or("none", |v| v.meaning.as_str()),
            comment: item.comment().chars().take(120).collect(),
            assignee: item.assignee.and_then(|p| names.get(&p).cloned()).unwrap_or_default(),
            due: item.due.map(|d| d.to_string()).unwrap_or_default(),
            evidence: item.evidence.len(),
            approved: item.approval.is_some(),
            disagreement: item.disagreement(),
            gap,
        };
        if let Some(g) = groups.last_mut() {
            g.items.push(line);
        }
    }
    if !filter.is_empty() && !matches!(filter.as_str(), "all") {
        groups.retain(|g| !g.items.is_empty());
    }
    let tally = |label: String, t: &mamori_core::assessment::Tally| Tally {
        label,
        items: t.items,
        answered: t.answered,
        score: percent(t.percent()),
        gaps: t.gaps,
    };
    let mut tallies = vec![tally(t.get("assessment-overall"), &score.overall)];
    if score.mandatory.items > 0 {
        tallies.push(tally(t.get("mandatory"), &score.mandatory));
    }
    if score.optional.items > 0 {
        tallies.push(tally(t.get("optional"), &score.optional));
    }
    let gaps = score
        .gaps
        .iter()
        .map(|g| {
            let answer = g
                .value
                .as_deref()
                .and_then(|k| doc.scale.value(k))
                .map(|v| v.label.get(lang).to_string())
                .unwrap_or_else(|| t.get("assessment-unanswered"));
            (item_url(&loaded.row.id, &g.ref_id), label_of(catalog, &g.ref_id, lang), answer)
        })
        .collect();
    let transitions = Transition::from_state(doc.state)
        .filter(|tr| viewer.may(io::transition_action(*tr), &loaded.resource()))
        .map(|tr| (tr.as_str(), tr.text().get(lang).to_string()))
        .collect();
    let may_manage = viewer.may(Action::AssessmentManage, &loaded.resource()) && doc.state.answers_editable();
    let group_options = catalog
        .walk()
        .into_iter()
        .filter(|(_, n)| n.kind == NodeKind::Group && above.contains(n.ref_id.as_str()))
        .map(|(depth, n)| (n.ref_id.clone(), format!("{}{}", "　".repeat(depth), Catalog::label(n, lang))))
        .collect();
    let view = assessment_scope(&state.library, &viewer.actor, Action::AssessmentView);
    let others = state
        .store
        .assessments(viewer.org(), &view)
        .await?
        .into_iter()
        .filter(|a| a.id != loaded.row.id)
        .map(|a| (a.id.clone(), format!("{} ({})", a.doc.name, a.doc.period)))
        .collect();
    let unit = match doc.unit {
        None => t.get("assessment-whole-org"),
        Some(u) => {
            state.store.units(viewer.org()).await?.iter().find(|x| x.id == u).map(|x| x.name.get(lang).to_string()).unwrap_or_default()
        }
    };
    let notice = match query.done.as_str() {
        "created" => t.get("assessment-created"),
        "moved" => t.get("assessment-moved"),
        "assigned" => t.get("assessment-assigned"),
        "actions" => t.get("assessment-actions-planned"),
        _ => String::new(),
    };
    let today = crate::view::today();
    let actions: Vec<ActionLine> = nodes
        .iter()
        .filter_map(|n| loaded.items.get(&n.ref_id).and_then(|i| i.state.action.clone()).map(|a| (n, a)))
        .map(|(n, a)| ActionLine {
            url: item_url(&loaded.row.id, &n.ref_id),
            label: Catalog::label(n, lang),
            owner: a.owner.and_then(|p| names.get(&p).cloned()).unwrap_or_default(),
            due: a.due.map(|d| d.to_string()).unwrap_or_default(),
            status: a.status.text().get(lang).to_string(),
            done: a.status == mamori_core::assessment::ActionStatus::Done,
            overdue: a.is_overdue(today),
            text: a.text,
        })
        .collect();
    let gaps_without_action = score.gaps.iter().filter(|g| loaded.items.get(&g.ref_id).is_none_or(|i| i.state.action.is_none())).count();
    let may_plan = viewer.may(Action::AssessmentManage, &loaded.resource()) && mamori_core::assessment::actions_editable(doc.state);
    let may_package = crate::submissions_io::may_package(&state.library, &viewer.actor, &loaded);
    let fingerprint = if may_package { crate::submissions_io::fingerprint(&state.store, loaded.row.org).await? } else { None };
    let page = ChecklistPage {
        workbook: doc.workbook.is_some(),
        actions,
        gaps_without_action,
        may_plan,
        may_package,
        fingerprint,
        csrf: viewer.csrf_token().to_string(),
        nav: Nav::new(&viewer, "assessments"),
        url: assessment_url(&loaded.row.id),
        name: doc.name.clone(),
        period: doc.period.clone(),
        catalog: format!("{} ({})", catalog.def().name.get(lang), catalog.edition()),
        catalog_url: format!("/catalogs/{}/{}", segment(catalog.key()), segment(catalog.edition())),
        unit,
        state: doc.state.text().get(lang).to_string(),
        state_key: doc.state.as_str(),
        version: loaded.row.version,
        scale: doc.scale.values.iter().map(|v| v.label.get(lang).to_string()).collect::<Vec<_>>().join(" / "),
        due: doc.due.map(|d| d.to_string()).unwrap_or_default(),
        tallies,
        groups,
        gaps,
        disagreements: score.disagreements,
        transitions,
        unanswered_mandatory: mamori_core::assessment::unanswered_mandatory(&nodes, &states).len(),
        filter,
        may_manage,
        people: people.iter().filter(|p| p.active).map(|p| (p.id.to_string(), p.display_name.clone())).collect(),
        group_options,
        others,
        notice,
        t,
    };
    Ok(render(&page))
}

// ---------------------------------------------------------------------------------------------
// One item.

struct EntryView {
    label: String,
    answer: String,
    comment: String,
    by: String,
    at: String,
}

struct SuggestionView {
    source: String,
    requirement: String,
    relationship: String,
    answer: String,
    comment: String,
    value: String,
    from: String,
    evidence: Vec<(String, String)>,
}

struct EvidenceView {
    name: String,
    url: String,
    link: bool,
    size: String,
    by: String,
    at: String,
}

#[derive(Template)]
#[template(path = "assessment_item.html")]
struct ItemPage {
    t: Tr,
    nav: Nav,
    csrf: String,
    assessment_url: String,
    assessment_name: String,
    url: String,
    label: String,
    crumbs: Vec<String>,
    text: String,
    target: String,
    mandatory: bool,
    criteria: Vec<(String, String)>,
    attributes: Vec<(String, String)>,
    requirement_url: String,
    version: String,
    choices: Vec<(String, String)>,
    primary: String,
    primary_comment: String,
    second: String,
    second_comment: String,
    entries: Vec<EntryView>,
    disagreement: bool,
    approval: String,
    assignee: String,
    due: String,
    evidence: Vec<EvidenceView>,
    reusable: Vec<(String, String)>,
    may_answer: bool,
    may_review: bool,
    editable: bool,
    errors: Vec<String>,
    notice: String,
    prev_url: String,
    next_url: String,
    history: Vec<(String, String, String)>,
    max_mb: usize,
    suggestions: Vec<SuggestionView>,
    action_text: String,
    action_owner: String,
    action_due: String,
    action_status: String,
    has_action: bool,
    may_act: bool,
    people: Vec<(String, String)>,
}

/// Answers given to the same requirement, or to a mapped one, in the organisation's other
/// assessments (the 20 newest the viewer may see).
async fn suggestions_for(state: &AppState, viewer: &Viewer, loaded: &Loaded, ref_id: &str) -> Result<Vec<SuggestionView>, WebError> {
    use mamori_core::assessment::{AnsweredElsewhere, suggestions};
    let lang = viewer.lang;
    let scope = assessment_scope(&state.library, &viewer.actor, Action::AssessmentView);
    let mut others = Vec::new();
    for a in state.store.assessments(viewer.org(), &scope).await?.into_iter().filter(|a| a.id != loaded.row.id).take(20) {
        let items = state.store.assessment_items(a.org, &a.id).await?;
        let states: BTreeMap<String, mamori_core::assessment::ItemState> = items.into_iter().map(|(r, s)| (r, s.state)).collect();
        others.push((a, states));
    }
    let sources: Vec<AnsweredElsewhere<'_>> = others
        .iter()
        .map(|(a, states)| AnsweredElsewhere { assessment: &a.id, catalog_key: &a.doc.catalog_key, scale: &a.doc.scale, states })
        .collect();
    let links = mamori_core::catalog::links_of(state.library.mappings(), loaded.catalog.key(), ref_id);
    let found = suggestions(loaded.catalog.key(), ref_id, &links, &loaded.row.doc.scale, &sources);
    let mut out = Vec::new();
    for s in found {
        let Some((a, _)) = others.iter().find(|(a, _)| a.id == s.assessment) else { continue };
        let catalog = io::catalog_of(&state.store, &state.library, a.org, &a.doc.catalog_key, &a.doc.catalog_edition).await?;
        let evidence = state.store.evidence_many(viewer.org(), &s.evidence).await?.into_iter().map(|e| (e.id, e.name)).collect();
        out.push(SuggestionView {
            source: format!("{} ({})", a.doc.name, a.doc.period),
            requirement: format!("{} — {}", catalog.def().name.get(lang), label_of(&catalog, &s.ref_id, lang)),
            relationship: s.relationship.map(|r| r.text().get(lang).to_string()).unwrap_or_default(),
            answer: s.meaning.text().get(lang).to_string(),
            comment: s.comment,
            value: s.value.unwrap_or_default(),
            from: a.id.clone(),
            evidence,
        });
    }
    Ok(out)
}

#[derive(Debug, Deserialize, Default)]
pub struct ItemQuery {
    #[serde(default)]
    done: String,
}

async fn item_page(
    state: &AppState,
    viewer: &Viewer,
    loaded: &Loaded,
    ref_id: &str,
    errors: Vec<String>,
    notice: String,
) -> Result<ItemPage, WebError> {
    let t = viewer.tr();
    let lang = t.lang;
    let node = loaded.node(ref_id)?;
    let catalog = loaded.catalog.as_ref();
    let doc = &loaded.row.doc;
    let item = loaded.state_of(ref_id);
    let people = state.store.people(viewer.org()).await?;
    let names = names_of(&people);
    let name_of = |p: &PersonId| names.get(p).cloned().unwrap_or_default();
    let label_of_value = |k: Option<&str>| k.and_then(|k| doc.scale.value(k)).map(|v| v.label.get(lang).to_string()).unwrap_or_default();
    let entries = [Answerer::Primary, Answerer::Second]
        .into_iter()
        .filter_map(|a| item.entry(a).map(|e| (a, e)))
        .map(|(a, e)| EntryView {
            label: a.text().get(lang).to_string(),
            answer: label_of_value(e.value.as_deref()),
            comment: e.comment.clone(),
            by: name_of(&e.by),
            at: crate::view::short_time(e.at),
        })
        .collect();
    let mut evidence = Vec::new();
    for e in state.store.evidence_many(loaded.row.org, &item.evidence).await? {
        evidence.push(EvidenceView {
            url: match &e.url {
                Some(u) => u.clone(),
                None => format!("{}/evidence/{}", assessment_url(&loaded.row.id), segment(&e.id)),
            },
            link: e.url.is_some(),
            size: e.file.as_ref().map(|f| format_size(f.size)).unwrap_or_default(),
            by: e.created_by.as_ref().map(name_of).unwrap_or_default(),
            at: crate::view::short_time(e.created_at),
            name: e.name,
        });
    }
    // Evidence already attached to other items of this assessment, to reuse in one click.
    let mut seen: BTreeSet<String> = item.evidence.iter().cloned().collect();
    let mut reuse_ids = Vec::new();
    for s in loaded.items.values() {
        for e in &s.state.evidence {
            if seen.insert(e.clone()) {
                reuse_ids.push(e.clone());
            }
        }
    }
    let reusable = state.store.evidence_many(loaded.row.org, &reuse_ids).await?.into_iter().map(|e| (e.id, e.name)).collect();
    let nodes = loaded.nodes();
    let at = nodes.iter().position(|n| n.ref_id == ref_id).unwrap_or(0);
    let neighbour = |i: Option<usize>| i.and_then(|i| nodes.get(i)).map(|n| item_url(&loaded.row.id, &n.ref_id)).unwrap_or_default();
    let history = state
        .store
        .history(viewer.org(), "assessment_item", &format!("{}/{}", loaded.row.id, ref_id))
        .await?
        .into_iter()
        .rev()
        .take(20)
        .map(|h| {
            let change = h.payload.as_ref().and_then(|p| p.get("change")).and_then(|c| c.as_str()).unwrap_or_default();
            let what = match change {
                "answer" => t.get("assessment-history-answer"),
                "assign" => t.get("assessment-history-assign"),
                "approve" => t.get("assessment-history-approve"),
                "evidence" => t.get("assessment-history-evidence"),
                "action" => t.get("assessment-history-action"),
                _ => t.get("assessment-history-carry"),
            };
            let at = time::OffsetDateTime::parse(&h.header.at, &time::format_description::well_known::Rfc3339)
                .map(crate::view::short_time)
                .unwrap_or_default();
            (at, h.actor_name.unwrap_or_default(), what)
        })
        .collect();
    let suggestions = if doc.state.answers_editable() { suggestions_for(state, viewer, loaded, ref_id).await? } else { Vec::new() };
    let field_name = |key: &str| {
        catalog.def().fields.iter().find(|f| f.key == key).map(|f| f.name.get(lang).to_string()).unwrap_or_else(|| key.to_string())
    };
    Ok(ItemPage {
        csrf: viewer.csrf_token().to_string(),
        nav: Nav::new(viewer, "assessments"),
        assessment_url: assessment_url(&loaded.row.id),
        assessment_name: doc.name.clone(),
        url: item_url(&loaded.row.id, ref_id),
        label: Catalog::label(node, lang),
        crumbs: catalog.ancestors(ref_id).iter().map(|a| Catalog::label(a, lang)).collect(),
        text: node
            .text
            .as_ref()
            .map(|x| x.get(lang).to_string())
            .or_else(|| node.title.as_ref().map(|x| x.get(lang).to_string()))
            .unwrap_or_default(),
        target: node.answer_target.map(|a| a.text().get(lang).to_string()).unwrap_or_default(),
        mandatory: node.answer_target == Some(AnswerTarget::Mandatory),
        // The split criteria (【規則】【頻度】 …) replace the criteria column they come from.
        criteria: node
            .criteria
            .iter()
            .map(|c| (if c.header.is_empty() { t.get("catalog-criteria") } else { c.header.clone() }, c.text.clone()))
            .collect(),
        attributes: node
            .fields
            .iter()
            .filter(|(k, _)| node.criteria.is_empty() || k.as_str() != "criteria")
            .map(|(k, v)| (field_name(k), v.clone()))
            .collect(),
        requirement_url: format!("/catalogs/{}/{}/{}", segment(catalog.key()), segment(catalog.edition()), segment(ref_id)),
        version: loaded.items.get(ref_id).map(|s| s.version.to_string()).unwrap_or_default(),
        choices: doc.scale.values.iter().map(|v| (v.key.clone(), v.label.get(lang).to_string())).collect(),
        primary: item.primary.as_ref().and_then(|e| e.value.clone()).unwrap_or_default(),
        primary_comment: item.primary.as_ref().map(|e| e.comment.clone()).unwrap_or_default(),
        second: item.second.as_ref().and_then(|e| e.value.clone()).unwrap_or_default(),
        second_comment: item.second.as_ref().map(|e| e.comment.clone()).unwrap_or_default(),
        entries,
        disagreement: item.disagreement(),
        approval: item.approval.as_ref().map(|a| format!("{} {}", name_of(&a.by), crate::view::short_time(a.at))).unwrap_or_default(),
        assignee: item.assignee.as_ref().map(name_of).unwrap_or_default(),
        due: item.due.map(|d| d.to_string()).unwrap_or_default(),
        evidence,
        reusable,
        may_answer: viewer.may(Action::AssessmentAnswer, &loaded.resource()),
        may_review: viewer.may(Action::AssessmentReview, &loaded.resource()),
        editable: doc.state.answers_editable(),
        errors,
        notice,
        prev_url: neighbour(at.checked_sub(1)),
        next_url: neighbour(Some(at + 1)),
        history,
        max_mb: state.config.max_evidence_bytes / (1024 * 1024),
        suggestions,
        action_text: item.action.as_ref().map(|a| a.text.clone()).unwrap_or_default(),
        action_owner: item.action.as_ref().and_then(|a| a.owner).map(|p| p.to_string()).unwrap_or_default(),
        action_due: item.action.as_ref().and_then(|a| a.due).map(|d| d.to_string()).unwrap_or_default(),
        action_status: item.action.as_ref().map_or("open", |a| a.status.as_str()).to_string(),
        has_action: item.action.is_some(),
        may_act: viewer.may(Action::AssessmentAnswer, &loaded.resource()) && mamori_core::assessment::actions_editable(doc.state),
        people: people.iter().filter(|p| p.active).map(|p| (p.id.to_string(), p.display_name.clone())).collect(),
        t,
    })
}

fn format_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

pub async fn item(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, ref_id)): Path<(String, String)>,
    Query(query): Query<ItemQuery>,
) -> Result<Response, WebError> {
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentView).await?;
    let t = viewer.tr();
    let notice = match query.done.as_str() {
        "answered" => t.get("assessment-answered"),
        "evidence" => t.get("assessment-evidence-added"),
        "approved" => t.get("assessment-approved"),
        "action" => t.get("assessment-action-saved"),
        _ => String::new(),
    };
    Ok(render(&item_page(&state, &viewer, &loaded, &ref_id, Vec::new(), notice).await?))
}

/// Shows the item again with the error (422, 409), or passes other errors on.
async fn item_error(state: &AppState, viewer: &Viewer, id: &str, ref_id: &str, e: WebError) -> Result<Response, WebError> {
    if !matches!(e.kind, ErrorKind::Invalid | ErrorKind::Stale | ErrorKind::TooLarge | ErrorKind::Unsupported) {
        return Err(e);
    }
    let loaded = io::load(&state.store, &state.library, &viewer.actor, id, Action::AssessmentView).await?;
    let page = item_page(state, viewer, &loaded, ref_id, vec![e.text.get(viewer.lang).to_string()], String::new()).await?;
    Ok((e.kind.status(), render(&page)).into_response())
}

pub async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, ref_id)): Path<(String, String)>,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentAnswer).await?;
    let answerer = Answerer::parse(form.get("answerer").unwrap_or("primary")).ok_or_else(|| WebError::malformed("answerer"))?;
    let expected = match form.text("version").trim() {
        "" => None,
        v => Some(v.parse::<i64>().map_err(|_| WebError::malformed("version"))?),
    };
    let input = AnswerInput { answerer, value: form.text("value"), comment: form.text("comment") };
    let result = io::answer(&state.store, &state.library, &viewer.ctx(Action::AssessmentAnswer), &loaded, &ref_id, &input, expected).await;
    match result {
        Ok(_) => {
            // Straight on to the next item, as a person working down a checklist expects.
            let next = if form.get("next").is_some() {
                let nodes = loaded.nodes();
                nodes.iter().position(|n| n.ref_id == ref_id).and_then(|i| nodes.get(i + 1)).map(|n| item_url(&id, &n.ref_id))
            } else {
                None
            };
            Ok(Redirect::to(&next.unwrap_or_else(|| format!("{}?done=answered", item_url(&id, &ref_id)))).into_response())
        }
        Err(e) => item_error(&state, &viewer, &id, &ref_id, e).await,
    }
}

pub async fn approve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, ref_id)): Path<(String, String)>,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentReview).await?;
    match io::approve(&state.store, &state.library, &viewer.ctx(Action::AssessmentReview), &loaded, &ref_id).await {
        Ok(()) => Ok(Redirect::to(&format!("{}?done=approved", item_url(&id, &ref_id))).into_response()),
        Err(e) => item_error(&state, &viewer, &id, &ref_id, e).await,
    }
}

/// Adds evidence to an item: an uploaded file, a link, or evidence already attached elsewhere.
pub async fn add_evidence(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, ref_id)): Path<(String, String)>,
    multipart: axum::extract::Multipart,
) -> Result<Response, WebError> {
    let upload = super::transfer::read_upload(multipart, state.config.max_evidence_bytes).await;
    let upload = match upload {
        Ok(u) => u,
        Err(e) if e.kind == ErrorKind::TooLarge => {
            let mb = state.config.max_evidence_bytes / (1024 * 1024);
            let e = WebError::new(
                ErrorKind::TooLarge,
                Text::new(format!("ファイルが大きすぎます（上限 {mb} MB）。"), format!("The file is too large (limit {mb} MB).")),
            );
            return item_error(&state, &viewer, &id, &ref_id, e).await;
        }
        Err(e) => return Err(e),
    };
    check_form_token(&viewer, &upload.csrf)?;
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentAnswer).await?;
    let ctx = viewer.ctx(Action::AssessmentAnswer);
    let field = |k: &str| upload.fields.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let result = async {
        loaded.node(&ref_id)?;
        if !loaded.row.doc.state.answers_editable() {
            return Err(WebError::new(
                ErrorKind::Invalid,
                mamori_core::assessment::AssessmentError::NotEditable { state: loaded.row.doc.state }.text(),
            ));
        }
        let evidence_id = if !field("existing").is_empty() {
            let existing = field("existing");
            // Evidence of this assessment, or of another one the viewer may see (a suggestion).
            let reachable = match field("from").as_str() {
                "" => io::uses_evidence(&loaded, &existing),
                from => {
                    let source = io::load(&state.store, &state.library, &viewer.actor, from, Action::AssessmentView).await?;
                    source.row.org == loaded.row.org && io::uses_evidence(&source, &existing)
                }
            };
            if !reachable {
                return Err(WebError::not_found());
            }
            existing
        } else if !upload.bytes.is_empty() {
            let original = upload.fields.get("filename").cloned().filter(|n| !n.trim().is_empty()).unwrap_or(upload.raw_filename.clone());
            let (name, kind) =
                mamori_core::evidence::check_upload(&original, &upload.bytes, state.config.max_evidence_bytes).map_err(|e| {
                    WebError::new(
                        if matches!(e, mamori_core::evidence::EvidenceError::TooLarge { .. }) {
                            ErrorKind::TooLarge
                        } else {
                            ErrorKind::Invalid
                        },
                        e.text(),
                    )
                })?;
            state.store.add_evidence_file(&ctx, &name, kind, upload.bytes.clone()).await?.id
        } else if !field("url").is_empty() {
            let url = mamori_core::evidence::check_link(&field("url")).map_err(|e| WebError::new(ErrorKind::Invalid, e.text()))?;
            let title = Some(field("title")).filter(|t| !t.is_empty()).unwrap_or_else(|| url.clone());
            let title: String = title.chars().filter(|c| !c.is_control()).take(200).collect();
            state.store.add_evidence_link(&ctx, &title, &url).await?.id
        } else {
            return Err(invalid("ファイルを選ぶか、リンクを入力してください。", "Choose a file or enter a link."));
        };
        io::attach(&state.store, &state.library, &ctx, &loaded, &ref_id, &evidence_id).await
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{}?done=evidence", item_url(&id, &ref_id))).into_response()),
        Err(e) => item_error(&state, &viewer, &id, &ref_id, e).await,
    }
}

/// Downloads evidence attached to an item of the assessment, for those who may see it; the
/// content is checked against its hash first.
pub async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, evidence)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentView).await?;
    if !io::uses_evidence(&loaded, &evidence) {
        return Err(WebError::not_found());
    }
    // The assessment's organisation: a buyer reads a supplier's submitted evidence.
    let row = state.store.evidence(loaded.row.org, &evidence).await?.ok_or_else(WebError::not_found)?;
    let Some(file) = row.file else {
        return Ok(Redirect::to(row.url.as_deref().unwrap_or("/")).into_response());
    };
    let bytes = state.store.evidence_content(loaded.row.org, &file.sha256).await?;
    let mut response = crate::view::file_response(file.media_type.mime(), file.media_type.inline(), &row.name, bytes);
    // An uploaded file is the organisation's content, not Mamori's: it runs nothing.
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, axum::http::HeaderValue::from_static("sandbox; default-src 'none'"));
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Assignment and transitions.

pub async fn assign(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, form: FormFields) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentManage).await?;
    let assignee = match form.text("assignee").trim() {
        "" => None,
        p => {
            let person = PersonId::parse(p).map_err(|_| invalid("担当者の指定が正しくありません。", "The assignee is not valid."))?;
            state
                .store
                .person(viewer.org(), person)
                .await?
                .ok_or_else(|| invalid("担当者が見つかりません。", "The assignee was not found."))?;
            Some(person)
        }
    };
    let due = parse_date(&form.text("due"))?;
    io::assign(&state.store, &state.library, &viewer.ctx(Action::AssessmentManage), &loaded, &form.text("group"), assignee, due).await?;
    Ok(Redirect::to(&format!("{}?done=assigned", assessment_url(&id))).into_response())
}

pub async fn transition(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    let transition = Transition::parse(&form.text("transition")).ok_or_else(|| WebError::malformed("transition"))?;
    let action = io::transition_action(transition);
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, action).await?;
    let version = form.text("version").trim().parse::<i64>().map_err(|_| WebError::malformed("version"))?;
    io::transition(&state.store, &state.library, &viewer.ctx(action), &loaded, transition, version).await?;
    Ok(Redirect::to(&format!("{}?done=moved", assessment_url(&id))).into_response())
}

/// The gap list becomes corrective actions, owned and due as chosen.
pub async fn plan_actions(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentManage).await?;
    let owner = parse_person(&state, &viewer, &form.text("owner")).await?;
    let due = parse_date(&form.text("due"))?;
    let text = Some(form.text("text")).filter(|t| !t.trim().is_empty()).unwrap_or_else(|| viewer.tr().get("assessment-action-default"));
    io::plan_actions(&state.store, &state.library, &viewer.ctx(Action::AssessmentManage), &loaded, &text, owner, due).await?;
    Ok(Redirect::to(&format!("{}?done=actions#actions", assessment_url(&id))).into_response())
}

/// Sets one item's corrective action (its text, owner, due date and status).
pub async fn set_action(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, ref_id)): Path<(String, String)>,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    let loaded = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentAnswer).await?;
    let result = async {
        let action = mamori_core::assessment::CorrectiveAction {
            text: form.text("text"),
            owner: parse_person(&state, &viewer, &form.text("owner")).await?,
            due: parse_date(&form.text("due"))?,
            status: mamori_core::assessment::ActionStatus::parse(&form.text("status")).ok_or_else(|| WebError::malformed("status"))?,
        };
        io::set_action(&state.store, &state.library, &viewer.ctx(Action::AssessmentAnswer), &loaded, &ref_id, action).await
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{}?done=action", item_url(&id, &ref_id))).into_response()),
        Err(e) => item_error(&state, &viewer, &id, &ref_id, e).await,
    }
}

/// A person of the organisation chosen in a form (empty: nobody).
async fn parse_person(state: &AppState, viewer: &Viewer, text: &str) -> Result<Option<PersonId>, WebError> {
    match text.trim() {
        "" => Ok(None),
        p => {
            let person = PersonId::parse(p).map_err(|_| invalid("担当者の指定が正しくありません。", "The person is not valid."))?;
            state
                .store
                .person(viewer.org(), person)
                .await?
                .ok_or_else(|| invalid("担当者が見つかりません。", "The person was not found."))?;
            Ok(Some(person))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Year on year.

struct ChangeRow {
    url: String,
    label: String,
    before: String,
    after: String,
    direction: &'static str,
    comment_changed: bool,
}

#[derive(Template)]
#[template(path = "assessment_compare.html")]
struct ComparePage {
    t: Tr,
    nav: Nav,
    url: String,
    name: String,
    other_name: String,
    rows: Vec<ChangeRow>,
    better: usize,
    worse: usize,
}

#[derive(Debug, Deserialize)]
pub struct CompareQuery {
    #[serde(default)]
    with: String,
}

pub async fn compare(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<CompareQuery>,
) -> Result<Response, WebError> {
    let this = io::load(&state.store, &state.library, &viewer.actor, &id, Action::AssessmentView).await?;
    if query.with.trim().is_empty() {
        return Ok(Redirect::to(&assessment_url(&this.row.id)).into_response());
    }
    let other = io::load(&state.store, &state.library, &viewer.actor, &query.with, Action::AssessmentView).await?;
    let t = viewer.tr();
    let lang = t.lang;
    let (this_nodes, other_nodes) = (this.nodes(), other.nodes());
    let changes = mamori_core::assessment::compare(
        (&other.row.doc.scale, &other.states(), &other_nodes),
        (&this.row.doc.scale, &this.states(), &this_nodes),
    );
    let value = |l: &Loaded, v: &Option<String>| {
        v.as_deref().and_then(|k| l.row.doc.scale.value(k)).map(|v| v.label.get(lang).to_string()).unwrap_or_else(|| "—".to_string())
    };
    let rows: Vec<ChangeRow> = changes
        .iter()
        .map(|c| ChangeRow {
            url: item_url(&this.row.id, &c.ref_id),
            label: this
                .catalog
                .node(&c.ref_id)
                .or_else(|| other.catalog.node(&c.ref_id))
                .map(|n| Catalog::label(n, lang))
                .unwrap_or_else(|| c.ref_id.clone()),
            before: value(&other, &c.before_value),
            after: value(&this, &c.after_value),
            direction: match c.direction() {
                std::cmp::Ordering::Greater => "better",
                std::cmp::Ordering::Less => "worse",
                std::cmp::Ordering::Equal => "same",
            },
            comment_changed: c.comment_changed,
        })
        .collect();
    let better = rows.iter().filter(|r| r.direction == "better").count();
    let worse = rows.iter().filter(|r| r.direction == "worse").count();
    Ok(render(&ComparePage {
        nav: Nav::new(&viewer, "assessments"),
        url: assessment_url(&this.row.id),
        name: format!("{} ({})", this.row.doc.name, this.row.doc.period),
        other_name: format!("{} ({})", other.row.doc.name, other.row.doc.period),
        rows,
        better,
        worse,
        t,
    }))
}
