//! Sign-in sessions and personal API tokens. Only SHA-256 hashes of the secrets are stored, so a
//! copy of the database grants no access.

use mamori_core::ids::{OrgId, PersonId, TokenId};
use mamori_core::journal::EventKind;
use mamori_core::person::RoleAssignment;
use serde_json::json;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Ctx, Store, StoreError, journal, time_text};

#[derive(Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Clone)]
pub struct SessionRow {
    pub org: OrgId,
    pub person: PersonId,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow").field("org", &self.org).field("person", &self.person).field("csrf_token", &"***").finish()
    }
}

/// A signed-in request's session, person, organisation and roles (`Store::signed_in`).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: SessionRow,
    pub person: crate::Person,
    pub organisation: crate::Organisation,
    pub roles: Vec<RoleAssignment>,
}

#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: TokenId,
    pub org: OrgId,
    pub person: PersonId,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
}

pub(crate) async fn insert_session(conn: &mut sqlx::AnyConnection, org: OrgId, person: PersonId, s: &NewSession) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sessions (token_hash, org_id, person_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(s.token_hash.clone())
        .bind(org.to_string())
        .bind(person.to_string())
        .bind(s.csrf_token.clone())
        .bind(time_text::to_text(OffsetDateTime::now_utc()))
        .bind(time_text::to_text(s.expires_at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn token_from_row(row: &sqlx::any::AnyRow) -> Result<ApiToken, StoreError> {
    let id: String = row.try_get("id")?;
    let org: String = row.try_get("org_id")?;
    let person: String = row.try_get("person_id")?;
    let created: String = row.try_get("created_at")?;
    let revoked: Option<String> = row.try_get("revoked_at")?;
    let used: Option<String> = row.try_get("last_used_at")?;
    Ok(ApiToken {
        id: TokenId::parse(&id)?,
        org: OrgId::parse(&org)?,
        person: PersonId::parse(&person)?,
        name: row.try_get("name")?,
        created_at: time_text::from_text(&created).ok_or_else(|| StoreError::Corrupt("token time".into()))?,
        revoked_at: revoked.as_deref().and_then(time_text::from_text),
        last_used_at: used.as_deref().and_then(time_text::from_text),
    })
}

impl Store {
    /// The live session with this token hash together with its person, their organisation and
    /// their roles, in one query (every signed-in request starts here): one row per role held,
    /// or one row with no role.
    pub async fn signed_in(&self, token_hash: &str, now: OffsetDateTime) -> Result<Option<SignedIn>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.csrf_token, s.expires_at, p.id AS id, p.org_id AS org_id, p.email, p.display_name, p.lang, p.must_change_password, \
             p.failed_attempts, p.locked_until, p.active, p.password_hash, o.slug AS o_slug, o.name AS o_name, o.settings AS o_settings, \
             ra.role AS ra_role, ra.unit_id AS ra_unit \
             FROM sessions s JOIN people p ON p.id = s.person_id AND p.org_id = s.org_id JOIN organisations o ON o.id = s.org_id \
             LEFT JOIN role_assignments ra ON ra.org_id = s.org_id AND ra.person_id = s.person_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 ORDER BY ra.role, ra.unit_id",
        )
        .bind(token_hash.to_string())
        .bind(time_text::to_text(now))
        .fetch_all(self.pool())
        .await?;
        let Some(row) = rows.first() else { return Ok(None) };
        let person = crate::people::person_from_row(row)?.person;
        let expires: String = row.try_get("expires_at")?;
        let settings: String = row.try_get("o_settings")?;
        let session = SessionRow {
            org: person.org,
            person: person.id,
            csrf_token: row.try_get("csrf_token")?,
            expires_at: time_text::from_text(&expires).ok_or_else(|| StoreError::Corrupt("session expiry".into()))?,
        };
        let organisation = crate::Organisation {
            id: person.org,
            slug: row.try_get("o_slug")?,
            name: row.try_get("o_name")?,
            settings: serde_json::from_str(&settings).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        };
        let mut roles = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(role) = row.try_get::<Option<String>, _>("ra_role")? else { continue };
            let unit: Option<String> = row.try_get("ra_unit")?;
            roles.push(crate::people::role_assignment(&role, unit.as_deref().unwrap_or_default())?);
        }
        Ok(Some(SignedIn { session, person, organisation, roles }))
    }

    /// The live session with this token hash, if any (expired sessions are treated as absent).
    pub async fn session(&self, token_hash: &str, now: OffsetDateTime) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query("SELECT org_id, person_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash.to_string())
            .bind(time_text::to_text(now))
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let org: String = row.try_get("org_id")?;
        let person: String = row.try_get("person_id")?;
        let expires: String = row.try_get("expires_at")?;
        Ok(Some(SessionRow {
            org: OrgId::parse(&org)?,
            person: PersonId::parse(&person)?,
            csrf_token: row.try_get("csrf_token")?,
            expires_at: time_text::from_text(&expires).ok_or_else(|| StoreError::Corrupt("session expiry".into()))?,
        }))
    }

    /// Ends a session (sign-out), journaled.
    pub async fn end_session(&self, ctx: &Ctx, token_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        if let Some(person) = ctx.actor {
            journal::append(&mut tx, vec![ctx.event(EventKind::Logout, "person", person, json!({}))], None).await?;
        }
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1 AND org_id = $2")
            .bind(token_hash.to_string())
            .bind(ctx.org.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of a person except one (after a password change).
    pub async fn end_other_sessions(&self, org: OrgId, person: PersonId, keep_token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND person_id = $2 AND token_hash <> $3")
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(keep_token_hash.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn create_api_token(&self, ctx: &Ctx, id: TokenId, name: &str, token_hash: &str) -> Result<(), StoreError> {
        let person = ctx.actor.ok_or(StoreError::NotFound("person"))?;
        let mut tx = self.pool().begin().await?;
        journal::append(
            &mut tx,
            vec![ctx.event(EventKind::TokenCreated, "api_token", id, json!({"after": {"name": name, "person": person}}))],
            None,
        )
        .await?;
        sqlx::query("INSERT INTO api_tokens (id, org_id, person_id, name, token_hash, created_at, revoked_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)")
            .bind(id.to_string())
            .bind(ctx.org.to_string())
            .bind(person.to_string())
            .bind(name.to_string())
            .bind(token_hash.to_string())
            .bind(time_text::to_text(ctx.at))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn api_tokens_of(&self, org: OrgId, person: PersonId) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query("SELECT id, org_id, person_id, name, created_at, revoked_at, last_used_at FROM api_tokens WHERE org_id = $1 AND person_id = $2 ORDER BY created_at DESC")
            .bind(org.to_string())
            .bind(person.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// The live (unrevoked) token with this hash, marking it used.
    pub async fn use_api_token(&self, token_hash: &str, now: OffsetDateTime) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query("SELECT id, org_id, person_id, name, created_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash.to_string())
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let token = token_from_row(&row)?;
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(token.id.to_string())
            .bind(time_text::to_text(now))
            .execute(self.pool())
            .await?;
        Ok(Some(token))
    }

    /// Revokes one of the acting person's own tokens, journaled.
    pub async fn revoke_api_token(&self, ctx: &Ctx, id: TokenId) -> Result<(), StoreError> {
        let person = ctx.actor.ok_or(StoreError::NotFound("person"))?;
        let mut tx = self.pool().begin().await?;
        journal::append(&mut tx, vec![ctx.event(EventKind::TokenRevoked, "api_token", id, json!({}))], None).await?;
        let done =
            sqlx::query("UPDATE api_tokens SET revoked_at = $4 WHERE id = $1 AND org_id = $2 AND person_id = $3 AND revoked_at IS NULL")
                .bind(id.to_string())
                .bind(ctx.org.to_string())
                .bind(person.to_string())
                .bind(time_text::to_text(ctx.at))
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("API token"));
        }
        tx.commit().await?;
        Ok(())
    }
}
