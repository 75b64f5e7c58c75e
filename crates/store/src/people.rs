//! People, their role assignments, passwords and sign-in state.

use mamori_core::Lang;
use mamori_core::ids::{OrgId, PersonId, UnitId};
use mamori_core::journal::{EventDraft, EventKind};
use mamori_core::library::RoleKey;
use mamori_core::password::LockoutState;
use mamori_core::person::{Email, RoleAssignment};
use serde_json::json;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Ctx, Store, StoreError, journal, time_text};

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: PersonId,
    pub org: OrgId,
    pub email: Email,
    pub display_name: String,
    pub lang: Option<Lang>,
    pub must_change_password: bool,
    pub lockout: LockoutState,
    pub active: bool,
}

/// What signing in needs: the person and their password hash. Never logged.
pub struct SignInRecord {
    pub person: Person,
    pub password_hash: String,
}

impl std::fmt::Debug for SignInRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRecord").field("person", &self.person).field("password_hash", &"***").finish()
    }
}

#[derive(Clone)]
pub struct NewPerson {
    pub id: PersonId,
    pub email: Email,
    pub display_name: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub roles: Vec<RoleAssignment>,
}

const PERSON_COLUMNS: &str =
    "id, org_id, email, display_name, lang, must_change_password, failed_attempts, locked_until, active, password_hash";

/// A role assignment as `role_assignments` stores it: an empty unit is organisation-wide.
pub(crate) fn role_assignment(role: &str, unit: &str) -> Result<RoleAssignment, StoreError> {
    Ok(RoleAssignment { role: RoleKey::parse(role)?, unit: if unit.is_empty() { None } else { Some(UnitId::parse(unit)?) } })
}

pub(crate) fn person_from_row(row: &sqlx::any::AnyRow) -> Result<SignInRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let org: String = row.try_get("org_id")?;
    let email: String = row.try_get("email")?;
    let lang: Option<String> = row.try_get("lang")?;
    let locked_until: Option<String> = row.try_get("locked_until")?;
    let failed: i64 = row.try_get("failed_attempts")?;
    Ok(SignInRecord {
        person: Person {
            id: PersonId::parse(&id)?,
            org: OrgId::parse(&org)?,
            email: Email::parse(&email)?,
            display_name: row.try_get("display_name")?,
            lang: lang.as_deref().and_then(Lang::parse),
            must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
            lockout: LockoutState {
                failed_attempts: u32::try_from(failed).unwrap_or(u32::MAX),
                locked_until: locked_until.as_deref().and_then(time_text::from_text),
            },
            active: row.try_get::<i64, _>("active")? != 0,
        },
        password_hash: row.try_get("password_hash")?,
    })
}

fn draft(ctx: &Ctx, kind: EventKind, person: PersonId, payload: serde_json::Value) -> EventDraft {
    ctx.event(kind, "person", person, payload)
}

fn role_payload(a: &RoleAssignment) -> serde_json::Value {
    json!({"role": a.role, "unit": a.unit})
}

impl Store {
    /// Adds a person with their first roles. The password hash never enters the journal.
    pub async fn create_person(&self, ctx: &Ctx, p: &NewPerson) -> Result<Person, StoreError> {
        let mut tx = self.pool().begin().await?;
        let mut drafts = vec![draft(
            ctx,
            EventKind::PersonCreated,
            p.id,
            json!({"after": {"email": p.email, "display_name": p.display_name, "must_change_password": p.must_change_password}}),
        )];
        drafts.extend(p.roles.iter().map(|a| draft(ctx, EventKind::RoleGranted, p.id, json!({"after": role_payload(a)}))));
        journal::append(&mut tx, drafts, None).await?;
        let at = time_text::to_text(ctx.at);
        let inserted = sqlx::query(
            "INSERT INTO people (id, org_id, email, display_name, lang, password_hash, must_change_password, failed_attempts, locked_until, active, created_at) \
             VALUES ($1, $2, $3, $4, NULL, $5, $6, 0, NULL, 1, $7)",
        )
        .bind(p.id.to_string())
        .bind(ctx.org.to_string())
        .bind(p.email.to_string())
        .bind(p.display_name.clone())
        .bind(p.password_hash.clone())
        .bind(i64::from(p.must_change_password))
        .bind(at.clone())
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            let e = StoreError::from(e);
            return Err(if e.is_unique_violation() { StoreError::Duplicate("e-mail address") } else { e });
        }
        sqlx::query("INSERT INTO password_history (person_id, org_id, password_hash, set_at) VALUES ($1, $2, $3, $4)")
            .bind(p.id.to_string())
            .bind(ctx.org.to_string())
            .bind(p.password_hash.clone())
            .bind(at.clone())
            .execute(&mut *tx)
            .await?;
        for a in &p.roles {
            insert_role(&mut tx, ctx, p.id, a, &at).await?;
        }
        tx.commit().await?;
        Ok(Person {
            id: p.id,
            org: ctx.org,
            email: p.email.clone(),
            display_name: p.display_name.clone(),
            lang: None,
            must_change_password: p.must_change_password,
            lockout: LockoutState { failed_attempts: 0, locked_until: None },
            active: true,
        })
    }

    /// Grants a role (a permission change, journaled).
    pub async fn grant_role(&self, ctx: &Ctx, person: PersonId, assignment: &RoleAssignment) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        journal::append(&mut tx, vec![draft(ctx, EventKind::RoleGranted, person, json!({"after": role_payload(assignment)}))], None)
            .await?;
        self.person_in(&mut tx, ctx.org, person).await?;
        insert_role(&mut tx, ctx, person, assignment, &time_text::to_text(ctx.at)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Withdraws a role (a permission change, journaled).
    pub async fn withdraw_role(&self, ctx: &Ctx, person: PersonId, assignment: &RoleAssignment) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        journal::append(&mut tx, vec![draft(ctx, EventKind::RoleWithdrawn, person, json!({"before": role_payload(assignment)}))], None)
            .await?;
        let done = sqlx::query("DELETE FROM role_assignments WHERE org_id = $1 AND person_id = $2 AND role = $3 AND unit_id = $4")
            .bind(ctx.org.to_string())
            .bind(person.to_string())
            .bind(assignment.role.to_string())
            .bind(assignment.unit.map(|u| u.to_string()).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("role assignment"));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn person_in(&self, conn: &mut sqlx::AnyConnection, org: OrgId, person: PersonId) -> Result<(), StoreError> {
        sqlx::query("SELECT id FROM people WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(person.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .map(|_| ())
            .ok_or(StoreError::NotFound("person"))
    }

    /// The person signing in with this e-mail address, in whichever organisation.
    pub async fn sign_in_record(&self, email: &Email) -> Result<Option<SignInRecord>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE email = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(email.to_string()).fetch_optional(self.pool()).await?;
        row.as_ref().map(person_from_row).transpose()
    }

    pub async fn person(&self, org: OrgId, id: PersonId) -> Result<Option<Person>, StoreError> {
        Ok(self.sign_in_record_by_id(org, id).await?.map(|r| r.person))
    }

    pub async fn sign_in_record_by_id(&self, org: OrgId, id: PersonId) -> Result<Option<SignInRecord>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.to_string()).bind(id.to_string()).fetch_optional(self.pool()).await?;
        row.as_ref().map(person_from_row).transpose()
    }

    pub async fn people(&self, org: OrgId) -> Result<Vec<Person>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE org_id = $1 ORDER BY display_name, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.to_string()).fetch_all(self.pool()).await?;
        rows.iter().map(|r| person_from_row(r).map(|s| s.person)).collect()
    }

    pub async fn roles_of(&self, org: OrgId, person: PersonId) -> Result<Vec<RoleAssignment>, StoreError> {
        let rows = sqlx::query("SELECT role, unit_id FROM role_assignments WHERE org_id = $1 AND person_id = $2 ORDER BY role, unit_id")
            .bind(org.to_string())
            .bind(person.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let role: String = row.try_get("role")?;
                let unit: String = row.try_get("unit_id")?;
                role_assignment(&role, &unit)
            })
            .collect()
    }

    /// Every role assignment of an organisation, as (person, assignment) pairs.
    pub async fn role_assignments(&self, org: OrgId) -> Result<Vec<(PersonId, RoleAssignment)>, StoreError> {
        let rows = sqlx::query("SELECT person_id, role, unit_id FROM role_assignments WHERE org_id = $1 ORDER BY person_id, role")
            .bind(org.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let person: String = row.try_get("person_id")?;
                let role: String = row.try_get("role")?;
                let unit: String = row.try_get("unit_id")?;
                Ok((PersonId::parse(&person)?, role_assignment(&role, &unit)?))
            })
            .collect()
    }

    /// Records a failed sign-in of a known person: the new lockout state and the journal events.
    pub async fn record_sign_in_failure(
        &self,
        ctx: &Ctx,
        person: PersonId,
        state: &LockoutState,
        locked_now: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let mut drafts = vec![draft(ctx, EventKind::LoginFailed, person, json!({"failed_attempts": state.failed_attempts}))];
        if locked_now {
            let until = state.locked_until.map(time_text::to_text);
            drafts.push(draft(ctx, EventKind::AccountLocked, person, json!({"locked_until": until})));
        }
        journal::append(&mut tx, drafts, None).await?;
        sqlx::query("UPDATE people SET failed_attempts = $3, locked_until = $4 WHERE org_id = $1 AND id = $2")
            .bind(ctx.org.to_string())
            .bind(person.to_string())
            .bind(i64::from(state.failed_attempts))
            .bind(state.locked_until.map(time_text::to_text))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a successful sign-in: resets the failure count and creates the session, in one
    /// transaction with the journal event.
    pub async fn record_sign_in_success(&self, ctx: &Ctx, person: PersonId, session: &crate::NewSession) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        journal::append(&mut tx, vec![draft(ctx, EventKind::LoginSucceeded, person, json!({}))], None).await?;
        sqlx::query("UPDATE people SET failed_attempts = 0, locked_until = NULL WHERE org_id = $1 AND id = $2")
            .bind(ctx.org.to_string())
            .bind(person.to_string())
            .execute(&mut *tx)
            .await?;
        crate::sessions::insert_session(&mut tx, ctx.org, person, session).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Password hashes this person set at or after `since` (for the no-reuse rule).
    pub async fn password_hashes_since(&self, org: OrgId, person: PersonId, since: OffsetDateTime) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT password_hash FROM password_history WHERE org_id = $1 AND person_id = $2 AND set_at >= $3")
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(time_text::to_text(since))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok(r.try_get("password_hash")?)).collect()
    }

    /// Sets a new password (already checked against the policy and hashed), journaled without it.
    pub async fn set_password(&self, ctx: &Ctx, person: PersonId, password_hash: &str, must_change: bool) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        journal::append(&mut tx, vec![draft(ctx, EventKind::PasswordChanged, person, json!({"must_change_password": must_change}))], None)
            .await?;
        let at = time_text::to_text(ctx.at);
        let done = sqlx::query("UPDATE people SET password_hash = $3, must_change_password = $4, failed_attempts = 0, locked_until = NULL WHERE org_id = $1 AND id = $2")
            .bind(ctx.org.to_string())
            .bind(person.to_string())
            .bind(password_hash.to_string())
            .bind(i64::from(must_change))
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("person"));
        }
        sqlx::query("INSERT INTO password_history (person_id, org_id, password_hash, set_at) VALUES ($1, $2, $3, $4)")
            .bind(person.to_string())
            .bind(ctx.org.to_string())
            .bind(password_hash.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a person's interface language (`None`: follow the browser).
    pub async fn set_language(&self, ctx: &Ctx, person: PersonId, lang: Option<Lang>) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        journal::append(&mut tx, vec![draft(ctx, EventKind::PreferenceChanged, person, json!({"after": {"lang": lang}}))], None).await?;
        sqlx::query("UPDATE people SET lang = $3 WHERE org_id = $1 AND id = $2")
            .bind(ctx.org.to_string())
            .bind(person.to_string())
            .bind(lang.map(|l| l.as_str().to_string()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn insert_role(conn: &mut sqlx::AnyConnection, ctx: &Ctx, person: PersonId, a: &RoleAssignment, at: &str) -> Result<(), StoreError> {
    let inserted = sqlx::query("INSERT INTO role_assignments (org_id, person_id, role, unit_id, granted_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(ctx.org.to_string())
        .bind(person.to_string())
        .bind(a.role.to_string())
        .bind(a.unit.map(|u| u.to_string()).unwrap_or_default())
        .bind(at.to_string())
        .execute(&mut *conn)
        .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = StoreError::from(e);
            Err(if e.is_unique_violation() { StoreError::Duplicate("role assignment") } else { e })
        }
    }
}

impl Store {
    /// Display names of the given people of one organisation, in one query.
    pub async fn person_names(&self, org: OrgId, ids: &[PersonId]) -> Result<std::collections::HashMap<PersonId, String>, StoreError> {
        let mut out = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!("SELECT id, display_name FROM people WHERE org_id = $1 AND id IN ({})", placeholders.join(", "));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.to_string());
        for id in ids {
            q = q.bind(id.to_string());
        }
        for row in q.fetch_all(self.pool()).await? {
            let id: String = row.try_get("id")?;
            out.insert(PersonId::parse(&id)?, row.try_get("display_name")?);
        }
        Ok(out)
    }
}
