//! The buyer's side (supplier.oversee, held by 委託元): the dashboard of every supplier with the
//! status, score, open 必須 gaps and due date of what was sent to it (filterable, exportable as
//! CSV), registering a supplier organisation with its first 取引先 account, distributing a
//! catalog, reminders (in the supplier's pages and by e-mail), and a supplier's カルテ: its
//! assessment history, inspections and findings. Scores and gaps show once a supplier submits.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::assessment::AssessmentState;
use mamori_core::authz::{Action, Resource};
use mamori_core::catalog::parse_catalog_ref;
use mamori_core::ids::{OrgId, PersonId};
use mamori_core::library::RoleKey;
use mamori_core::person::{Email, RoleAssignment};
use mamori_store::{AssessmentRow, Ctx, NewPerson, Organisation, SentAssessment, SupplierOverview};

use super::FormFields;
use super::forms::{invalid, parse_date};
use crate::AppState;
use crate::assessments_io as io;
use crate::auth::{self, Viewer};
use crate::catalogs_io;
use crate::csrf::check_form_token;
use crate::error::{ErrorKind, WebError};
use crate::i18n::Tr;
use crate::view::today;
use crate::view::{Nav, path_segment as segment, render, short_time};

/// One line of the dashboard: a supplier and the latest assessment sent to it (of the chosen
/// period, when one is chosen).
struct Line {
    supplier: String,
    karte_url: String,
    assessment_url: String,
    assessment: String,
    period: String,
    state: String,
    state_key: &'static str,
    answered: usize,
    items: usize,
    score: String,
    mandatory_gaps: String,
    due: String,
    overdue: bool,
    reminded: String,
    assessment_id: String,
}

fn line(t: Tr, supplier: &Organisation, latest: Option<&SentAssessment>, today: time::Date) -> Line {
    let shared = latest.is_some_and(|a| a.state.is_shared());
    Line {
        supplier: supplier.name.clone(),
        karte_url: format!("/suppliers/{}", segment(&supplier.id.to_string())),
        assessment_url: latest.map(|a| format!("/assessments/{}", segment(&a.id))).unwrap_or_default(),
        assessment: latest.map(|a| a.name.clone()).unwrap_or_default(),
        period: latest.map(|a| a.period.clone()).unwrap_or_default(),
        state: latest.map(|a| a.state.text().get(t.lang).to_string()).unwrap_or_else(|| t.get("supplier-not-sent")),
        state_key: latest.map_or("none", |a| a.state.as_str()),
        answered: latest.map_or(0, |a| a.summary.answered),
        items: latest.map_or(0, |a| a.summary.items),
        score: match latest {
            Some(a) if shared => a.summary.score.map(|s| format!("{s:.1}%")).unwrap_or_else(|| "—".into()),
            _ => "—".into(),
        },
        mandatory_gaps: match latest {
            Some(a) if shared => a.summary.mandatory_gaps.to_string(),
            _ => "—".into(),
        },
        due: latest.and_then(|a| a.due).map(|d| d.to_string()).unwrap_or_default(),
        overdue: latest.is_some_and(|a| a.state.is_overdue(a.due, today)),
        reminded: latest.and_then(|a| a.reminded_at).map(short_time).unwrap_or_default(),
        assessment_id: latest.map(|a| a.id.clone()).unwrap_or_default(),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct DashboardQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    gaps: String,
    #[serde(default)]
    done: String,
    /// The page, from 1 (the dashboard shows PAGE_SIZE suppliers at a time).
    #[serde(default)]
    page: String,
}

/// Suppliers per dashboard page.
const PAGE_SIZE: usize = 50;

/// A supplier and the latest assessment sent to it (of the chosen period, when one is chosen).
type Standing<'a> = (&'a Organisation, Option<&'a SentAssessment>);

/// The suppliers the filters keep, by name, with the periods to choose from.
fn standings<'a>(overview: &'a SupplierOverview, query: &DashboardQuery, today: time::Date) -> (Vec<Standing<'a>>, Vec<String>) {
    // Newest first: the first match per supplier is its latest. Without a period the overview
    // already knows it.
    let mut of_period: HashMap<OrgId, &SentAssessment> = HashMap::new();
    if !query.period.is_empty() {
        for a in overview.sent.iter().filter(|a| a.period == query.period) {
            of_period.entry(a.org).or_insert(a);
        }
    }
    let latest = |position: usize, org: &OrgId| match query.period.is_empty() {
        true => overview.latest.get(position).copied().flatten().and_then(|i| overview.sent.get(i)),
        false => of_period.get(org).copied(),
    };
    let q = query.q.trim().to_lowercase();
    let kept = overview
        .suppliers
        .iter()
        .enumerate()
        .map(|(position, s)| (s, latest(position, &s.id)))
        .filter(|(s, _)| q.is_empty() || s.name.to_lowercase().contains(&q) || s.slug.contains(&q))
        .filter(|(_, a)| match query.state.as_str() {
            "" => true,
            "none" => a.is_none(),
            key => AssessmentState::parse(key).is_some_and(|st| a.is_some_and(|a| a.state == st)),
        })
        .filter(|(_, a)| query.overdue.is_empty() || a.is_some_and(|a| a.state.is_overdue(a.due, today)))
        .filter(|(_, a)| query.gaps.is_empty() || a.is_some_and(|a| a.state.is_shared() && a.summary.mandatory_gaps > 0))
        .collect();
    (kept, overview.periods.clone())
}

/// What the dashboard counts over every supplier the filters keep (not only the page shown).
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    total: usize,
    submitted: usize,
    overdue: usize,
}

fn counts(kept: &[Standing<'_>], today: time::Date) -> Counts {
    Counts {
        total: kept.len(),
        submitted: kept.iter().filter(|(_, a)| a.is_some_and(|a| a.state.is_shared())).count(),
        overdue: kept.iter().filter(|(_, a)| a.is_some_and(|a| a.state.is_overdue(a.due, today))).count(),
    }
}

fn overview_access(viewer: &Viewer) -> Result<(), WebError> {
    viewer.authorize(Action::SupplierOversee, &Resource::Organisation(viewer.org()))
}

#[derive(Template)]
#[template(path = "suppliers.html")]
struct DashboardPage {
    t: Tr,
    nav: Nav,
    csrf: String,
    lines: Vec<Line>,
    periods: Vec<String>,
    q: String,
    period: String,
    state: String,
    overdue: bool,
    gaps: bool,
    states: Vec<(&'static str, String)>,
    catalogs: Vec<(String, String)>,
    notice: String,
    errors: Vec<String>,
    new_account: Option<(String, String)>,
    export_url: String,
    total: usize,
    submitted: usize,
    overdue_count: usize,
    /// Labels repeated on every line, looked up once.
    overdue_label: String,
    remind_label: String,
    page: usize,
    pages: usize,
    previous_url: Option<String>,
    next_url: Option<String>,
}

async fn dashboard_page(
    state: &AppState,
    viewer: &Viewer,
    query: &DashboardQuery,
    errors: Vec<String>,
    new_account: Option<(String, String)>,
) -> Result<DashboardPage, WebError> {
    overview_access(viewer)?;
    let t = viewer.tr();
    let today = today();
    let overview = state.store.supplier_overview(viewer.org()).await?;
    let (kept, periods) = standings(&overview, query, today);
    let counts = counts(&kept, today);
    let pages = kept.len().div_ceil(PAGE_SIZE).max(1);
    let page = query.page.trim().parse::<usize>().unwrap_or(1).clamp(1, pages);
    let lines = kept.iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE).map(|(s, a)| line(t, s, *a, today)).collect();
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
    let mut states: Vec<(&'static str, String)> =
        AssessmentState::ALL.iter().map(|s| (s.as_str(), s.text().get(t.lang).to_string())).collect();
    states.push(("none", t.get("supplier-not-sent")));
    let notice = match query.done.as_str() {
        "distributed" => t.get("supplier-distributed"),
        "reminded" => t.get("supplier-reminded"),
        _ => String::new(),
    };
    let filters = format!(
        "q={}&period={}&state={}&overdue={}&gaps={}",
        crate::view::url_encode(&query.q),
        crate::view::url_encode(&query.period),
        crate::view::url_encode(&query.state),
        crate::view::url_encode(&query.overdue),
        crate::view::url_encode(&query.gaps)
    );
    let page_url = |n: usize| format!("/suppliers?{filters}&page={n}");
    Ok(DashboardPage {
        nav: Nav::new(viewer, "suppliers"),
        csrf: viewer.csrf_token().to_string(),
        total: counts.total,
        submitted: counts.submitted,
        overdue_count: counts.overdue,
        overdue_label: t.get("supplier-overdue"),
        remind_label: t.get("supplier-remind"),
        page,
        pages,
        previous_url: (page > 1).then(|| page_url(page - 1)),
        next_url: (page < pages).then(|| page_url(page + 1)),
        lines,
        periods,
        q: query.q.clone(),
        period: query.period.clone(),
        state: query.state.clone(),
        overdue: !query.overdue.is_empty(),
        gaps: !query.gaps.is_empty(),
        states,
        catalogs,
        notice,
        errors,
        new_account,
        export_url: format!("/suppliers/export.csv?{filters}"),
        t,
    })
}

pub async fn dashboard(State(state): State<AppState>, viewer: Viewer, Query(query): Query<DashboardQuery>) -> Result<Response, WebError> {
    Ok(render(&dashboard_page(&state, &viewer, &query, Vec::new(), None).await?))
}

/// The dashboard as CSV (UTF-8 with BOM, for Excel), with the same filters.
pub async fn export_csv(State(state): State<AppState>, viewer: Viewer, Query(query): Query<DashboardQuery>) -> Result<Response, WebError> {
    overview_access(&viewer)?;
    let t = viewer.tr();
    let today = today();
    let overview = state.store.supplier_overview(viewer.org()).await?;
    let (kept, _) = standings(&overview, &query, today);
    let lines: Vec<Line> = kept.iter().map(|(s, a)| line(t, s, *a, today)).collect();
    let mut writer = csv::WriterBuilder::new().from_writer(vec![0xEF, 0xBB, 0xBF]);
    let header = [
        "supplier-name",
        "assessment-name",
        "assessment-period",
        "assessment-state",
        "assessment-progress",
        "assessment-score",
        "assessment-mandatory-gaps",
        "assessment-due",
        "supplier-overdue",
        "supplier-reminded-at",
    ];
    writer.write_record(header.iter().map(|k| t.get(k))).map_err(|e| WebError::internal(e.to_string()))?;
    for l in &lines {
        let progress = format!("{}/{}", l.answered, l.items);
        let overdue = if l.overdue { t.get("supplier-overdue") } else { String::new() };
        writer
            .write_record([
                &l.supplier,
                &l.assessment,
                &l.period,
                &l.state,
                &progress,
                &l.score,
                &l.mandatory_gaps,
                &l.due,
                &overdue,
                &l.reminded,
            ])
            .map_err(|e| WebError::internal(e.to_string()))?;
    }
    let bytes = writer.into_inner().map_err(|e| WebError::internal(e.to_string()))?;
    Ok(crate::view::file_response("text/csv; charset=utf-8", false, "suppliers.csv", bytes))
}

/// Registers a supplier organisation with its first 取引先 account; the password is shown once.
pub async fn register(State(state): State<AppState>, viewer: Viewer, form: FormFields) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::SupplierOversee, &Resource::Organisation(viewer.org()))?;
    let result = async {
        let name: String = form.text("name").trim().chars().take(200).collect();
        let slug = form.text("slug").trim().to_lowercase();
        let slug_ok = (2..=40).contains(&slug.len()) && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(invalid("取引先の会社名を入力してください。", "Enter the supplier's company name."));
        }
        if !slug_ok {
            return Err(invalid(
                "識別子は英小文字・数字・ハイフンの 2〜40 文字にしてください。",
                "The identifier has 2 to 40 lowercase letters, digits or hyphens.",
            ));
        }
        let email = Email::parse(&form.text("email"))?;
        let contact: String = form.text("contact").trim().chars().take(100).collect();
        let supplier = OrgId::from_uuid(uuid::Uuid::now_v7());
        let now = time::OffsetDateTime::now_utc();
        let supplier_ctx = Ctx { org: supplier, actor: Some(viewer.person.id), role: None, at: now };
        state.store.create_organisation(&supplier_ctx, &slug, &name).await.map_err(|e| {
            if e.is_unique_violation() {
                invalid(format!("識別子「{slug}」はすでに使われています。"), format!("The identifier \"{slug}\" is taken."))
            } else {
                e.into()
            }
        })?;
        let password = format!("Mm-{}7!", &auth::random_secret()?[..16]);
        let person = NewPerson {
            id: PersonId::from_uuid(uuid::Uuid::now_v7()),
            email: email.clone(),
            display_name: if contact.is_empty() { email.as_str().to_string() } else { contact },
            password_hash: auth::hash_password(&state.config, &password).await?,
            must_change_password: true,
            roles: vec![RoleAssignment { role: RoleKey::parse("supplier")?, unit: None }],
        };
        state.store.create_person(&supplier_ctx, &person).await.map_err(|e| {
            if e.is_unique_violation() {
                invalid("このメールアドレスはすでに登録されています。", "This e-mail address is already registered.")
            } else {
                e.into()
            }
        })?;
        state.store.link_supplier(&viewer.ctx(Action::SupplierOversee), supplier).await?;
        Ok((email.as_str().to_string(), password))
    }
    .await;
    let query = DashboardQuery::default();
    match result {
        Ok(account) => Ok(render(&dashboard_page(&state, &viewer, &query, Vec::new(), Some(account)).await?)),
        Err(e) if e.kind == ErrorKind::Invalid => {
            let page = dashboard_page(&state, &viewer, &query, vec![e.text.get(viewer.lang).to_string()], None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Sends a catalog to every supplier (or the chosen ones) as an assessment to answer.
pub async fn distribute(State(state): State<AppState>, viewer: Viewer, form: FormFields) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::SupplierOversee, &Resource::Organisation(viewer.org()))?;
    let result = async {
        let field = form.text("catalog");
        let (key, edition) = parse_catalog_ref(&field);
        let catalog = catalogs_io::find_catalog(&state.store, &state.library, &viewer.actor, key, edition).await?.catalog;
        let scale = state.library.scale_for(&catalog).cloned().ok_or_else(|| invalid("回答尺度がありません。", "No answer scale."))?;
        let chosen: Vec<&str> = form.0.iter().filter(|(k, v)| k == "supplier" && !v.is_empty()).map(|(_, v)| v.as_str()).collect();
        let suppliers: Vec<OrgId> = if chosen.is_empty() {
            state.store.suppliers(viewer.org()).await?.into_iter().map(|o| o.id).collect()
        } else {
            chosen.iter().map(|s| OrgId::parse(s).map_err(|_| WebError::not_found())).collect::<Result<_, _>>()?
        };
        if suppliers.is_empty() {
            return Err(invalid(
                "送付先の取引先がありません。先に取引先を登録してください。",
                "There are no suppliers to send to: register them first.",
            ));
        }
        let what =
            io::Distribution { catalog, name: form.text("name"), period: form.text("period"), due: parse_date(&form.text("due"))?, scale };
        io::distribute(&state.store, &state.library, &viewer.actor, &suppliers, &what).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/suppliers?done=distributed").into_response()),
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::NotFound) => {
            let page = dashboard_page(&state, &viewer, &DashboardQuery::default(), vec![e.text.get(viewer.lang).to_string()], None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Reminds the suppliers of every overdue assessment (or the one named): an event in each
/// supplier's journal, a notice on its pages, and an e-mail to its 取引先 accounts when SMTP is
/// configured.
pub async fn remind(State(state): State<AppState>, viewer: Viewer, form: FormFields) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::SupplierOversee, &Resource::Organisation(viewer.org()))?;
    let one = form.text("assessment");
    let today = today();
    let sent = state.store.requested_assessments(viewer.org()).await?;
    let targets: Vec<&AssessmentRow> = if one.is_empty() {
        sent.iter().filter(|a| a.doc.is_overdue(today)).collect()
    } else {
        let found: Vec<&AssessmentRow> = sent.iter().filter(|a| a.id == one).collect();
        if found.is_empty() {
            return Err(WebError::not_found());
        }
        found
    };
    for a in targets {
        if a.doc.is_shared() {
            continue;
        }
        let ctx = Ctx {
            org: a.org,
            actor: Some(viewer.person.id),
            role: viewer.acting_role(Action::SupplierOversee),
            at: time::OffsetDateTime::now_utc(),
        };
        state.store.remind(&ctx, &a.id, viewer.org()).await?;
        if let Some(mailer) = &state.mailer {
            let people = state.store.people(a.org).await?;
            let roles = state.store.role_assignments(a.org).await?;
            let recipients: Vec<String> = people
                .iter()
                .filter(|p| p.active && roles.iter().any(|(id, r)| *id == p.id && r.role.as_str() == "supplier"))
                .map(|p| p.email.as_str().to_string())
                .collect();
            let subject = format!("【督促】{}（{}）のご回答のお願い / Reminder: please answer {}", a.doc.name, a.doc.period, a.doc.name);
            let due = a.doc.due.map(|d| d.to_string()).unwrap_or_default();
            let body = format!(
                "{buyer} より、情報セキュリティチェックリスト「{name}」（{period}）のご回答をお願いしております。\n回答期限: {due}\n\nMamori にログインしてご回答ください。\n\n{buyer} asks you to answer the information security checklist \"{name}\" ({period}).\nDue: {due}\n\nPlease sign in to Mamori to answer.\n",
                buyer = viewer.organisation.name,
                name = a.doc.name,
                period = a.doc.period,
            );
            for to in recipients {
                // A relay that refuses one message must not stop the others; the in-app
                // reminder above is already recorded.
                if let Err(e) = mailer.send(&to, &subject, &body).await {
                    tracing::warn!(error = %e, "reminder e-mail not sent");
                }
            }
        }
    }
    Ok(Redirect::to("/suppliers?done=reminded").into_response())
}

// ---------------------------------------------------------------------------------------------
// The カルテ.

struct HistoryLine {
    url: String,
    name: String,
    period: String,
    state: String,
    score: String,
    mandatory_gaps: String,
    answered: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "supplier.html")]
struct KartePage {
    t: Tr,
    nav: Nav,
    csrf: String,
    name: String,
    url: String,
    history: Vec<HistoryLine>,
    findings: Vec<(String, String, String, String)>,
    latest_score: String,
    latest_gaps: String,
    /// The fingerprint of the signing key pinned for the supplier's packages.
    pinned: Option<String>,
    errors: Vec<String>,
}

async fn karte_page(state: &AppState, viewer: &Viewer, id: &str, errors: Vec<String>) -> Result<KartePage, WebError> {
    viewer.authorize(Action::SupplierOversee, &Resource::Organisation(viewer.org()))?;
    let supplier = OrgId::parse(id).map_err(|_| WebError::not_found())?;
    if !state.store.is_supplier(viewer.org(), supplier).await? {
        return Err(WebError::not_found());
    }
    let t = viewer.tr();
    let org = state.store.organisation(supplier).await?;
    let today = today();
    let sent: Vec<AssessmentRow> =
        state.store.requested_assessments(viewer.org()).await?.into_iter().filter(|a| a.org == supplier).collect();
    let latest_shared = sent.iter().find(|a| a.doc.is_shared());
    let history = sent
        .iter()
        .map(|a| {
            let shared = a.doc.is_shared();
            HistoryLine {
                url: if shared { format!("/assessments/{}", segment(&a.id)) } else { String::new() },
                name: a.doc.name.clone(),
                period: a.doc.period.clone(),
                state: a.doc.state.text().get(t.lang).to_string(),
                score: if shared { a.summary.score.map(|s| format!("{s:.1}%")).unwrap_or_else(|| "—".into()) } else { "—".into() },
                mandatory_gaps: if shared { a.summary.mandatory_gaps.to_string() } else { "—".into() },
                answered: format!("{} / {}", a.summary.answered, a.summary.items),
                due: a.doc.due.map(|d| d.to_string()).unwrap_or_default(),
                overdue: a.doc.is_overdue(today),
            }
        })
        .collect();
    let people = state.store.people(viewer.org()).await?;
    let findings = state
        .store
        .findings(viewer.org(), supplier)
        .await?
        .into_iter()
        .map(|f| {
            let kind = if f.kind == "inspection" { t.get("supplier-inspection") } else { t.get("supplier-finding") };
            let by = f.created_by.and_then(|p| people.iter().find(|x| x.id == p)).map(|p| p.display_name.clone()).unwrap_or_default();
            (f.on.to_string(), kind, f.text, by)
        })
        .collect();
    let pinned = state.store.pinned_key(viewer.org(), supplier).await?.map(|k| mamori_interop::submission::fingerprint(&k));
    Ok(KartePage {
        nav: Nav::new(viewer, "suppliers"),
        csrf: viewer.csrf_token().to_string(),
        name: org.name,
        url: format!("/suppliers/{}", segment(id)),
        history,
        findings,
        pinned,
        errors,
        latest_score: latest_shared.and_then(|a| a.summary.score).map(|s| format!("{s:.1}%")).unwrap_or_else(|| "—".into()),
        latest_gaps: latest_shared.map(|a| a.summary.mandatory_gaps.to_string()).unwrap_or_else(|| "—".into()),
        t,
    })
}

pub async fn karte(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    Ok(render(&karte_page(&state, &viewer, &id, Vec::new()).await?))
}

/// Imports a supplier's signed submission package (a supplier that runs its own Mamori) onto
/// its カルテ; a refused package is shown on the カルテ with the reason, and nothing is stored.
pub async fn import_package(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: axum::extract::Multipart,
) -> Result<Response, WebError> {
    let supplier = OrgId::parse(&id).map_err(|_| WebError::not_found())?;
    crate::submissions_io::may_import(&state.store, &state.library, &viewer.actor, supplier).await?;
    let limit = crate::submissions_io::package_limits(state.config.max_evidence_bytes).max_bytes;
    let upload = super::transfer::read_upload(multipart, limit).await?;
    check_form_token(&viewer, &upload.csrf)?;
    let ctx = viewer.ctx(Action::SupplierOversee);
    let fingerprint = upload.fields.get("fingerprint").cloned().unwrap_or_default();
    let imported = crate::submissions_io::import_package(
        &state.store,
        &state.library,
        &viewer.actor,
        &ctx,
        &crate::submissions_io::PackageUpload { supplier, bytes: &upload.bytes, fingerprint: &fingerprint },
        state.config.max_evidence_bytes,
    )
    .await;
    match imported {
        Ok(row) => Ok(Redirect::to(&format!("/assessments/{}", segment(&row.id))).into_response()),
        Err(e) if e.kind == ErrorKind::Invalid => {
            let page = karte_page(&state, &viewer, &id, vec![e.text.get(viewer.tr().lang).to_string()]).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Records an inspection or a finding in the supplier's カルテ.
pub async fn add_finding(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::SupplierOversee, &Resource::Organisation(viewer.org()))?;
    let supplier = OrgId::parse(&id).map_err(|_| WebError::not_found())?;
    if !state.store.is_supplier(viewer.org(), supplier).await? {
        return Err(WebError::not_found());
    }
    let kind = match form.text("kind").as_str() {
        "inspection" => "inspection",
        "finding" => "finding",
        _ => return Err(WebError::malformed("kind")),
    };
    let on = parse_date(&form.text("on"))?.unwrap_or_else(today);
    let text: String = form.text("text").trim().to_string();
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(invalid("内容を入力してください（10,000 文字以内）。", "Enter the text (at most 10,000 characters)."));
    }
    state.store.record_finding(&viewer.ctx(Action::SupplierOversee), supplier, kind, on, &text).await?;
    Ok(Redirect::to(&format!("/suppliers/{}", segment(&id))).into_response())
}
