//! People and roles: the list (people.view), adding a person and granting or withdrawing roles
//! (people.manage). Every permission change is journaled by the store.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::authz::{Action, Resource};
use mamori_core::ids::{PersonId, UnitId};
use mamori_core::library::RoleKey;
use mamori_core::person::{Email, RoleAssignment};
use mamori_store::NewPerson;

use crate::AppState;
use crate::auth::{self, Viewer};
use crate::csrf::check_form_token;
use crate::error::WebError;
use crate::i18n::Tr;
use crate::routes::FormFields;
use crate::view::{Nav, render};

struct RoleRow {
    role: String,
    unit: String,
    label: String,
}

struct PersonRow {
    id: String,
    name: String,
    email: String,
    roles: Vec<RoleRow>,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    t: Tr,
    nav: Nav,
    people: Vec<PersonRow>,
    role_options: Vec<(String, String)>,
    unit_options: Vec<(String, String)>,
    may_manage: bool,
    errors: Vec<String>,
    created_password: Option<String>,
}

async fn page(state: &AppState, viewer: &Viewer, errors: Vec<String>, created_password: Option<String>) -> Result<PeoplePage, WebError> {
    let t = viewer.tr();
    let org = viewer.org();
    let units = state.store.units(org).await?;
    let assignments = state.store.role_assignments(org).await?;
    let unit_name = |id: Option<UnitId>| id.and_then(|u| units.iter().find(|x| x.id == u)).map(|u| t.text(&u.name).to_string());
    let people = state
        .store
        .people(org)
        .await?
        .into_iter()
        .map(|p| PersonRow {
            id: p.id.to_string(),
            name: p.display_name.clone(),
            email: p.email.to_string(),
            roles: assignments
                .iter()
                .filter(|(id, _)| *id == p.id)
                .map(|(_, a)| {
                    let name = state.library.role(&a.role).map(|r| t.text(&r.name).to_string()).unwrap_or_else(|| a.role.to_string());
                    RoleRow {
                        role: a.role.to_string(),
                        unit: a.unit.map(|u| u.to_string()).unwrap_or_default(),
                        label: match unit_name(a.unit) {
                            Some(u) => format!("{name}（{u}）"),
                            None => name,
                        },
                    }
                })
                .collect(),
        })
        .collect();
    Ok(PeoplePage {
        t,
        nav: Nav::new(viewer, "people"),
        people,
        role_options: state.library.roles().iter().map(|r| (r.key.to_string(), t.text(&r.name).to_string())).collect(),
        unit_options: units.iter().map(|u| (u.id.to_string(), t.text(&u.name).to_string())).collect(),
        may_manage: viewer.may(Action::PeopleManage, &Resource::Organisation(org)),
        errors,
        created_password,
    })
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.authorize(Action::PeopleView, &Resource::Organisation(viewer.org()))?;
    Ok(render(&page(&state, &viewer, Vec::new(), None).await?))
}

/// Parses the role and unit of a form into an assignment that fits the role's scope.
async fn assignment(state: &AppState, viewer: &Viewer, form: &FormFields) -> Result<RoleAssignment, WebError> {
    let role = RoleKey::parse(&form.text("role")).map_err(|_| WebError::malformed("role"))?;
    let def = state.library.role(&role).ok_or_else(|| WebError::malformed("role"))?;
    let unit = match form.text("unit").as_str() {
        "" => None,
        text => {
            let id = UnitId::parse(text).map_err(|_| WebError::malformed("unit"))?;
            if !state.store.units(viewer.org()).await?.iter().any(|u| u.id == id) {
                return Err(WebError::malformed("unit"));
            }
            Some(id)
        }
    };
    def.check_assignment(unit)?;
    Ok(RoleAssignment { role, unit })
}

async fn invalid(state: &AppState, viewer: &Viewer, error: WebError) -> Result<Response, WebError> {
    let message = error.text.get(viewer.lang).to_string();
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page(state, viewer, vec![message], None).await?)).into_response())
}

pub async fn create(State(state): State<AppState>, viewer: Viewer, form: FormFields) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::PeopleManage, &Resource::Organisation(viewer.org()))?;
    let name = form.text("name").trim().chars().take(100).collect::<String>();
    let email = match Email::parse(&form.text("email")) {
        Ok(e) if !name.is_empty() => e,
        Ok(_) => return invalid(&state, &viewer, WebError::malformed("name")).await,
        Err(e) => return invalid(&state, &viewer, e.into()).await,
    };
    let role = match assignment(&state, &viewer, &form).await {
        Ok(a) => a,
        Err(e) => return invalid(&state, &viewer, e).await,
    };
    let password = format!("Mm-{}7!", &auth::random_secret()?[..16]);
    let hash = auth::hash_password(&state.config, &password).await?;
    let person = NewPerson {
        id: PersonId::from_uuid(uuid::Uuid::now_v7()),
        email,
        display_name: name,
        password_hash: hash,
        must_change_password: true,
        roles: vec![role],
    };
    match state.store.create_person(&viewer.ctx(Action::PeopleManage), &person).await {
        Ok(_) => Ok(render(&page(&state, &viewer, Vec::new(), Some(password)).await?)),
        Err(e) if e.is_unique_violation() => invalid(&state, &viewer, e.into()).await,
        Err(e) => Err(e.into()),
    }
}

async fn person_of_org(state: &AppState, viewer: &Viewer, id: &str) -> Result<PersonId, WebError> {
    let id = PersonId::parse(id).map_err(|_| WebError::not_found())?;
    state.store.person(viewer.org(), id).await?.map(|p| p.id).ok_or_else(WebError::not_found)
}

pub async fn grant(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>, form: FormFields) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::PeopleManage, &Resource::Organisation(viewer.org()))?;
    let person = person_of_org(&state, &viewer, &id).await?;
    let a = match assignment(&state, &viewer, &form).await {
        Ok(a) => a,
        Err(e) => return invalid(&state, &viewer, e).await,
    };
    match state.store.grant_role(&viewer.ctx(Action::PeopleManage), person, &a).await {
        Ok(()) => Ok(Redirect::to("/people").into_response()),
        Err(e) if e.is_unique_violation() => invalid(&state, &viewer, e.into()).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn withdraw(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::PeopleManage, &Resource::Organisation(viewer.org()))?;
    let person = person_of_org(&state, &viewer, &id).await?;
    let a = assignment(&state, &viewer, &form).await?;
    state.store.withdraw_role(&viewer.ctx(Action::PeopleManage), person, &a).await?;
    Ok(Redirect::to("/people").into_response())
}
