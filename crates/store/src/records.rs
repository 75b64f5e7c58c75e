//! Register records: the current-state table, the index slots lists read, and search terms.
//!
//! A write journals `record.created` / `record.updated` with the before and after documents and
//! the computed values, and updates `records`, `record_index` and the search terms in the same
//! transaction. Lists read `record_index` only (filtered by core's visibility predicate, sorted
//! and paged by key) and then fetch the page's records in one query: a page costs a fixed number
//! of queries whatever its length.

use std::collections::BTreeSet;

use mamori_core::CoreError;
use mamori_core::authz::Visibility;
use mamori_core::classification::Confidentiality;
use mamori_core::ids::{OrgId, PersonId, RecordId, UnitId};
use mamori_core::journal::{EventDraft, EventKind, PreparedEvent};
use mamori_core::register::{IndexValue, NUMBER_SLOTS, RegisterType, Slot, TEXT_SLOTS, ValidRecord};
use serde_json::{Map, Value, json};
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments, Row};
use time::OffsetDateTime;

use crate::journal::person_id;
use crate::params::{Param, bind_all};
use crate::writer::{GroupState, SearchOp};
use crate::{Backend, Ctx, Store, StoreError, journal, time_text};

/// A record as the current-state table holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub id: RecordId,
    pub org: OrgId,
    pub register: String,
    pub version: i64,
    pub title: String,
    pub classification: Confidentiality,
    pub unit: Option<UnitId>,
    pub owner: Option<PersonId>,
    pub fields: Map<String, Value>,
    pub computed: Map<String, Value>,
    pub created_at: OffsetDateTime,
    pub created_by: Option<PersonId>,
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<PersonId>,
}

/// One row of an import: a new record, or an update of the version the preview saw.
#[derive(Debug, Clone)]
pub enum ImportRow {
    Create { id: RecordId, valid: ValidRecord },
    Update { id: RecordId, version: i64, valid: ValidRecord },
}

/// An equality filter on an indexed field.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub slot: Slot,
    pub value: IndexValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Ascending,
    Descending,
}

/// Where the previous page ended: the sort slot's value and the row's index key (`rid`).
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub value: Option<IndexValue>,
    pub rid: i64,
}

impl Cursor {
    /// An opaque text form for URLs.
    pub fn encode(&self) -> String {
        let value = match &self.value {
            None => Value::Null,
            Some(IndexValue::Text(t)) => json!({ "t": t }),
            Some(IndexValue::Number(n)) => json!({ "n": n }),
        };
        json!([value, self.rid]).to_string()
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let v: Value = serde_json::from_str(text).ok()?;
        let arr = v.as_array()?;
        let rid = arr.get(1)?.as_i64()?;
        let value = match arr.first()? {
            Value::Null => None,
            Value::Object(o) => match (o.get("t"), o.get("n")) {
                (Some(Value::String(t)), None) => Some(IndexValue::Text(t.clone())),
                (None, Some(n)) => Some(IndexValue::Number(n.as_f64()?)),
                _ => return None,
            },
            _ => return None,
        };
        Some(Cursor { value, rid })
    }
}

/// One page request. The visibility comes from `core::authz::visibility`, never from a caller's
/// own idea of who may see what.
#[derive(Debug, Clone)]
pub struct ListQuery<'a> {
    pub visibility: &'a Visibility,
    pub register: &'a str,
    pub filters: Vec<Filter>,
    /// `None`: newest first.
    pub sort: Option<(Slot, SortOrder)>,
    /// Search terms from `core::search::term_list`, already split by word.
    pub search: Vec<Vec<String>>,
    pub after: Option<Cursor>,
    pub limit: u32,
}

#[derive(Debug, Clone)]
pub struct Page<T = RecordRow> {
    pub rows: Vec<T>,
    pub next: Option<Cursor>,
}

/// What a list page shows of a record: its id, its classification and the values of the
/// columns asked for. Reading it decodes 3 columns instead of a whole `RecordRow`'s 13 and
/// skips the document's other values, which is most of a list page's cost.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordSummary {
    pub id: RecordId,
    pub classification: Confidentiality,
    pub fields: Map<String, Value>,
    pub computed: Map<String, Value>,
}

/// Builds a statement's text and arguments together so placeholders always match their values.
struct SqlBuilder {
    sql: String,
    args: AnyArguments,
    n: usize,
}

impl SqlBuilder {
    fn new(start: &str) -> SqlBuilder {
        SqlBuilder { sql: start.to_string(), args: AnyArguments::default(), n: 0 }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    fn bind_text(&mut self, value: String) -> &mut Self {
        self.n += 1;
        let _ = self.args.add(value);
        self.sql.push_str(&format!("${}", self.n));
        self
    }

    fn bind_num(&mut self, value: f64) -> &mut Self {
        self.n += 1;
        let _ = self.args.add(value);
        self.sql.push_str(&format!("${}", self.n));
        self
    }

    fn bind_int(&mut self, value: i64) -> &mut Self {
        self.n += 1;
        let _ = self.args.add(value);
        self.sql.push_str(&format!("${}", self.n));
        self
    }

    fn bind_value(&mut self, value: &IndexValue) -> &mut Self {
        match value {
            IndexValue::Text(t) => self.bind_text(t.clone()),
            IndexValue::Number(n) => self.bind_num(*n),
        }
    }
}

fn visibility_sql(b: &mut SqlBuilder, visibility: &Visibility) {
    b.push("(");
    for (i, clause) in visibility.clauses.iter().enumerate() {
        if i > 0 {
            b.push(" OR ");
        }
        b.push("(ri.classification <= ").bind_int(clause.max_classification.level());
        if let Some(units) = &clause.units {
            b.push(" AND ri.unit_id IN (");
            for (j, u) in units.iter().enumerate() {
                if j > 0 {
                    b.push(", ");
                }
                b.bind_text(u.to_string());
            }
            b.push(")");
        }
        if let Some(owner) = clause.owner {
            b.push(" AND ri.owner_id = ").bind_text(owner.to_string());
        }
        b.push(")");
    }
    b.push(")");
}

/// Quotes a search term for FTS5 (a phrase) or a tsquery (a lexeme).
fn fts_phrase(terms: &[String]) -> String {
    format!("\"{}\"", terms.iter().map(|t| t.replace('"', "\"\"")).collect::<Vec<_>>().join(" "))
}

fn tsquery_phrase(terms: &[String]) -> String {
    terms.iter().map(|t| format!("'{}'", t.replace('\'', "''").replace('\\', ""))).collect::<Vec<_>>().join(" <-> ")
}

fn row_to_record(row: &sqlx::any::AnyRow) -> Result<RecordRow, StoreError> {
    let id: String = row.try_get("id")?;
    let org: String = row.try_get("org_id")?;
    let unit: Option<String> = row.try_get("unit_id")?;
    let owner: Option<String> = row.try_get("owner_id")?;
    let document: &str = row.try_get("document")?;
    let mut doc: Map<String, Value> = serde_json::from_str(document).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut take = |key: &str| match doc.remove(key) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let (fields, computed) = (take("fields"), take("computed"));
    let created_at: String = row.try_get("created_at")?;
    let updated_at: String = row.try_get("updated_at")?;
    let classification: i64 = row.try_get("classification")?;
    Ok(RecordRow {
        id: RecordId::parse(&id)?,
        org: OrgId::parse(&org)?,
        register: row.try_get("register")?,
        version: row.try_get("version")?,
        title: row.try_get("title")?,
        classification: Confidentiality::from_level(classification).ok_or_else(|| StoreError::Corrupt("classification".into()))?,
        unit: unit.map(|u| UnitId::parse(&u)).transpose()?,
        owner: owner.map(|o| PersonId::parse(&o)).transpose()?,
        fields,
        computed,
        created_at: time_text::from_text(&created_at).ok_or_else(|| StoreError::Corrupt("created_at".into()))?,
        created_by: person_id(row.try_get("created_by")?),
        updated_at: time_text::from_text(&updated_at).ok_or_else(|| StoreError::Corrupt("updated_at".into()))?,
        updated_by: person_id(row.try_get("updated_by")?),
    })
}

/// A document's field values and computed values.
type FieldsAndComputed = (Map<String, Value>, Map<String, Value>);

/// The values of `keys` in a stored document (`{"fields": {…}, "computed": {…}}`), as field and
/// computed values; every other value is skipped as it is read, not built and dropped.
fn document_values(document: &str, keys: &[String]) -> Result<FieldsAndComputed, StoreError> {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

    /// An object key, borrowed from the document when it holds no escape.
    struct Key<'de>(std::borrow::Cow<'de, str>);
    impl<'de> serde::Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct KeyVisitor;
            impl<'de> Visitor<'de> for KeyVisitor {
                type Value = Key<'de>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a key")
                }
                fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                    Ok(Key(std::borrow::Cow::Borrowed(v)))
                }
                fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                    Ok(Key(std::borrow::Cow::Owned(v.to_string())))
                }
            }
            d.deserialize_str(KeyVisitor)
        }
    }

    /// One of the document's objects, keeping only `keys`.
    struct Picked<'k>(&'k [String]);
    impl<'de> DeserializeSeed<'de> for Picked<'_> {
        type Value = Map<String, Value>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Picked<'_> {
        type Value = Map<String, Value>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of values")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Map::new();
            while let Some(Key(key)) = map.next_key()? {
                if self.0.iter().any(|k| *k == key) {
                    out.insert(key.into_owned(), map.next_value()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }

    /// The document: its `fields` and `computed` objects picked, anything else skipped.
    struct Document<'k>(&'k [String]);
    impl<'de> Visitor<'de> for Document<'_> {
        type Value = FieldsAndComputed;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a record document")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let (mut fields, mut computed) = (Map::new(), Map::new());
            while let Some(Key(key)) = map.next_key()? {
                match key.as_ref() {
                    "fields" => fields = map.next_value_seed(Picked(self.0))?,
                    "computed" => computed = map.next_value_seed(Picked(self.0))?,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok((fields, computed))
        }
    }

    let mut de = serde_json::Deserializer::from_str(document);
    let values = de.deserialize_map(Document(keys)).and_then(|v| de.end().map(|()| v));
    values.map_err(|e| StoreError::Corrupt(e.to_string()))
}

const RECORD_COLUMNS: &str =
    "id, org_id, register, version, title, classification, unit_id, owner_id, document, created_at, created_by, updated_at, updated_by";

/// Takes the organisation's chain-head lock for the rest of the transaction (see journal::append).
/// Inside the SQLite group writer (`group` given) the group already holds the write lock.
async fn lock_head(conn: &mut AnyConnection, ctx: &Ctx, group: Option<&GroupState>) -> Result<(), StoreError> {
    if group.is_some() {
        return Ok(());
    }
    sqlx::query("UPDATE journal_heads SET seq = seq WHERE org_id = $1").bind(ctx.org.to_string()).execute(&mut *conn).await?;
    Ok(())
}

/// A record's index slot values, in slot order.
fn slots(valid: &ValidRecord) -> ([Option<String>; TEXT_SLOTS], [Option<f64>; NUMBER_SLOTS]) {
    let mut text: [Option<String>; TEXT_SLOTS] = Default::default();
    let mut number: [Option<f64>; NUMBER_SLOTS] = Default::default();
    for (slot, value) in &valid.index {
        match (slot, value) {
            (Slot::Text(i), IndexValue::Text(t)) if *i < TEXT_SLOTS => text[*i] = Some(t.clone()),
            (Slot::Number(i), IndexValue::Number(n)) if *i < NUMBER_SLOTS => number[*i] = Some(*n),
            _ => {}
        }
    }
    (text, number)
}

/// Inserts a new record's current state: ten values ([`record_params`]) as `$1`..`$10`.
const INSERT_RECORD: &str = "INSERT INTO records (id, org_id, register, version, title, classification, unit_id, owner_id, document, created_at, created_by, updated_at, updated_by) \
     VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $9, $10)";

/// A statement with every `$N` placeholder moved up by `by`, so that it can follow another
/// statement's values in one multi-statement SQLite call.
fn shift_placeholders(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            match digits.parse::<usize>() {
                Ok(n) => out.push_str(&(n + by).to_string()),
                Err(_) => out.push_str(&digits),
            }
        }
    }
    out
}

/// A new index row on SQLite: id, scope, classification, unit and owner, text slots
/// `$6`..`$13`, numbers `$14`..`$19` ([`index_params`]); its rowid comes back for the search terms.
const INSERT_INDEX_SQLITE: &str = "INSERT INTO record_index (id, scope, classification, unit_id, owner_id, t1, t2, t3, t4, t5, t6, t7, t8, n1, n2, n3, n4, n5, n6) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING rid";

/// [`INSERT_INDEX_SQLITE`] on PostgreSQL, where the search terms (`$20`) live in the index row.
const INSERT_INDEX_POSTGRES: &str = "INSERT INTO record_index (id, scope, classification, unit_id, owner_id, t1, t2, t3, t4, t5, t6, t7, t8, n1, n2, n3, n4, n5, n6, terms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, to_tsvector('simple', $20)) RETURNING rid";

/// A new record's ten values for [`INSERT_RECORD`], in order.
fn record_params(ctx: &Ctx, register: &RegisterType, id: RecordId, valid: &ValidRecord, doc: &Value, at: &str) -> Vec<Param> {
    vec![
        Param::text(id),
        Param::text(ctx.org),
        Param::text(register.key()),
        Param::text(&valid.title),
        Param::Int(valid.classification.level()),
        Param::opt_text(valid.unit),
        Param::opt_text(valid.owner),
        Param::text(doc),
        Param::text(at),
        Param::opt_text(ctx.actor),
    ]
}

/// An index row's nineteen values for [`INSERT_INDEX_SQLITE`] (PostgreSQL adds the search terms).
fn index_params(scope: i64, id: RecordId, valid: &ValidRecord) -> Vec<Param> {
    let (text, number) = slots(valid);
    let mut params = vec![
        Param::text(id),
        Param::Int(scope),
        Param::Int(valid.classification.level()),
        Param::opt_text(valid.unit),
        Param::opt_text(valid.owner),
    ];
    params.extend(text.into_iter().map(Param::Text));
    params.extend(number.into_iter().map(Param::Real));
    params
}

/// A change to the SQLite search table: queued for the end of the group when the command runs
/// inside the group writer (`group` given, writer.rs), else written at once.
async fn write_search(conn: &mut AnyConnection, op: SearchOp, group: Option<&GroupState>) -> Result<(), StoreError> {
    if let Some(group) = group {
        group.push_search(op);
        return Ok(());
    }
    match op {
        SearchOp::Insert { rid, terms } => {
            sqlx::query("INSERT INTO record_search (rowid, terms) VALUES ($1, $2)").bind(rid).bind(terms).execute(&mut *conn).await?
        }
        SearchOp::Delete { rid } => sqlx::query("DELETE FROM record_search WHERE rowid = $1").bind(rid).execute(&mut *conn).await?,
    };
    Ok(())
}

/// The event of a new record (`RecordCreated`, or the kind an import gives).
fn created_event(ctx: &Ctx, register: &RegisterType, id: RecordId, valid: &ValidRecord, kind: EventKind, doc: &Value) -> EventDraft {
    ctx.event(
        kind,
        "record",
        id,
        json!({"register": register.key(), "version": 1, "before": Value::Null, "after": doc, "facts": facts(valid)}),
    )
}

/// A record's creation as a direct command of the SQLite group writer (writer.rs), worked out
/// before it is queued: the event prepared (its payload encoded and digested) and the values of
/// the record's and its index row's statements, so that the one writer only seals the event's
/// header and runs the statements.
struct DirectCreate {
    event: PreparedEvent,
    record: Vec<Param>,
    index: Vec<Param>,
    terms: String,
}

impl DirectCreate {
    fn new(ctx: &Ctx, register: &RegisterType, scope: i64, id: RecordId, valid: &ValidRecord) -> Result<DirectCreate, StoreError> {
        let doc = document(valid);
        let at = time_text::to_text(ctx.at);
        Ok(DirectCreate {
            event: created_event(ctx, register, id, valid, EventKind::RecordCreated, &doc).prepare()?,
            record: record_params(ctx, register, id, valid, &doc, &at),
            index: index_params(scope, id, valid),
            terms: valid.search_terms.clone(),
        })
    }

    /// The same statements and values as [`Store::insert_record`], on the writer's own
    /// connection, with the search terms queued for the end of the group.
    fn run(self, conn: &rusqlite::Connection, group: &GroupState) -> Result<(), StoreError> {
        let sealed = journal::seal_at_head_direct(conn, vec![self.event], group)?;
        let event = sealed.first().ok_or_else(|| StoreError::Corrupt("no event sealed".to_string()))?;
        conn.prepare_cached(journal::INSERT_EVENT)?.execute(rusqlite::params_from_iter(journal::event_params(event)))?;
        conn.prepare_cached(INSERT_RECORD)?.execute(rusqlite::params_from_iter(self.record))?;
        let rid: i64 = conn.prepare_cached(INSERT_INDEX_SQLITE)?.query_row(rusqlite::params_from_iter(self.index), |row| row.get(0))?;
        group.push_search(SearchOp::Insert { rid, terms: self.terms });
        Ok(())
    }
}

/// The document stored for a record and in its journal events.
pub(crate) fn document(valid: &ValidRecord) -> Value {
    json!({"fields": valid.fields, "computed": valid.computed})
}

fn facts(valid: &ValidRecord) -> Value {
    json!({"classification": valid.classification.level(), "unit": valid.unit, "owner": valid.owner, "title": valid.title})
}

impl Store {
    /// The group writer's state, for commands that run inside it (SQLite).
    pub(crate) fn group(&self) -> Option<&GroupState> {
        self.writer.as_ref().map(|w| &w.group)
    }

    /// Creates a record (validated by core beforehand) and journals it.
    pub async fn create_record(
        &self,
        ctx: &Ctx,
        register: &RegisterType,
        id: RecordId,
        valid: &ValidRecord,
    ) -> Result<RecordRow, StoreError> {
        let scope = self.scope(ctx.org, register.key()).await?;
        if self.backend() == Backend::Sqlite {
            // Directly on the group writer's own connection (writer.rs): no hand-over per statement.
            let create = DirectCreate::new(ctx, register, scope, id, valid)?;
            self.write_direct(move |conn, group| create.run(conn, group)).await?;
        } else {
            let (this, c, reg, v) = (self.clone(), ctx.clone(), register.clone(), valid.clone());
            self.write(move |conn| {
                Box::pin(async move { this.insert_record(conn, &c, &reg, scope, id, &v, EventKind::RecordCreated).await })
            })
            .await?;
        }
        // The row as written, without reading it back.
        let at = time_text::from_text(&time_text::to_text(ctx.at)).unwrap_or(ctx.at);
        Ok(RecordRow {
            id,
            org: ctx.org,
            register: register.key().to_string(),
            version: 1,
            title: valid.title.clone(),
            classification: valid.classification,
            unit: valid.unit,
            owner: valid.owner,
            fields: valid.fields.clone(),
            computed: valid.computed.clone(),
            created_at: at,
            created_by: ctx.actor,
            updated_at: at,
            updated_by: ctx.actor,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_record(
        &self,
        conn: &mut AnyConnection,
        ctx: &Ctx,
        register: &RegisterType,
        scope: i64,
        id: RecordId,
        valid: &ValidRecord,
        kind: EventKind,
    ) -> Result<(), StoreError> {
        let doc = document(valid);
        let sealed = journal::seal_at_head(conn, vec![created_event(ctx, register, id, valid, kind, &doc)], self.group()).await?;
        let event = sealed.first().ok_or_else(|| StoreError::Corrupt("no event sealed".to_string()))?;
        let at = time_text::to_text(ctx.at);
        if self.backend() == Backend::Sqlite {
            // One round trip: the event, the record and its index row; the search terms follow
            // at the end of the group (writer.rs).
            let sql = format!(
                "{}; {}; {}",
                journal::INSERT_EVENT,
                shift_placeholders(INSERT_RECORD, 10),
                shift_placeholders(INSERT_INDEX_SQLITE, 20)
            );
            let mut params = journal::event_params(event);
            params.extend(record_params(ctx, register, id, valid, &doc, &at));
            params.extend(index_params(scope, id, valid));
            // fetch_all: sqlx's fetch_one stops at the first statement's (empty) result.
            let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params).fetch_all(&mut *conn).await?;
            let rid: i64 = rows.first().ok_or(StoreError::NotFound("index row"))?.try_get("rid")?;
            return write_search(conn, SearchOp::Insert { rid, terms: valid.search_terms.clone() }, self.group()).await;
        }
        journal::bind_event(sqlx::query(journal::INSERT_EVENT), event).execute(&mut *conn).await?;
        bind_all(sqlx::query(INSERT_RECORD), record_params(ctx, register, id, valid, &doc, &at)).execute(&mut *conn).await?;
        self.write_index(conn, scope, id, valid, true, self.group()).await
    }

    /// Writes the index row and search terms of a record (insert, or replace on update).
    /// `group` is the group writer's state for commands that run inside it.
    async fn write_index(
        &self,
        conn: &mut AnyConnection,
        scope: i64,
        id: RecordId,
        valid: &ValidRecord,
        is_new: bool,
        group: Option<&GroupState>,
    ) -> Result<(), StoreError> {
        if !is_new {
            let old = sqlx::query("SELECT rid FROM record_index WHERE id = $1").bind(id.to_string()).fetch_optional(&mut *conn).await?;
            if let (Some(row), Backend::Sqlite) = (old, self.backend()) {
                let rid: i64 = row.try_get("rid")?;
                write_search(conn, SearchOp::Delete { rid }, group).await?;
            }
            sqlx::query("DELETE FROM record_index WHERE id = $1").bind(id.to_string()).execute(&mut *conn).await?;
        }
        let mut params = index_params(scope, id, valid);
        let sql = match self.backend() {
            Backend::Sqlite => INSERT_INDEX_SQLITE,
            Backend::Postgres => {
                params.push(Param::text(&valid.search_terms));
                INSERT_INDEX_POSTGRES
            }
        };
        let q = bind_all(sqlx::query(sql), params);
        let row = q.fetch_one(&mut *conn).await?;
        if self.backend() == Backend::Sqlite {
            let rid: i64 = row.try_get("rid")?;
            write_search(conn, SearchOp::Insert { rid, terms: valid.search_terms.clone() }, group).await?;
        }
        Ok(())
    }

    /// Updates a record if it is still at `expected_version`; journals before and after.
    pub async fn update_record(
        &self,
        ctx: &Ctx,
        register: &RegisterType,
        id: RecordId,
        expected_version: i64,
        valid: &ValidRecord,
    ) -> Result<RecordRow, StoreError> {
        let scope = self.scope(ctx.org, register.key()).await?;
        let (this, c, reg, v) = (self.clone(), ctx.clone(), register.clone(), valid.clone());
        self.write(move |conn| {
            Box::pin(async move {
                // Lock the chain head first so that the read in update_in sees the latest
                // committed version and no other command changes the record before this commits.
                lock_head(conn, &c, this.group()).await?;
                this.update_in(conn, &c, &reg, scope, id, expected_version, &v).await
            })
        })
        .await?;
        self.record(ctx.org, id).await?.ok_or(StoreError::NotFound("record"))
    }

    /// The body of an update, inside a transaction that already holds the chain-head lock.
    #[allow(clippy::too_many_arguments)]
    async fn update_in(
        &self,
        tx: &mut AnyConnection,
        ctx: &Ctx,
        register: &RegisterType,
        scope: i64,
        id: RecordId,
        expected_version: i64,
        valid: &ValidRecord,
    ) -> Result<(), StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM records WHERE org_id = $1 AND id = $2");
        let current = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ctx.org.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("record"))?;
        let current = row_to_record(&current)?;
        if current.register != register.key() {
            return Err(StoreError::NotFound("record"));
        }
        if current.version != expected_version {
            return Err(CoreError::StaleVersion { expected: expected_version, found: current.version }.into());
        }
        let version = current.version + 1;
        let before = json!({"fields": current.fields, "computed": current.computed});
        let after = document(valid);
        journal::append(
            tx,
            vec![ctx.event(
                EventKind::RecordUpdated,
                "record",
                id,
                json!({"register": register.key(), "version": version, "before": before, "after": after, "facts": facts(valid)}),
            )],
            self.group(),
        )
        .await?;
        sqlx::query(
            "UPDATE records SET version = $3, title = $4, classification = $5, unit_id = $6, owner_id = $7, document = $8, updated_at = $9, updated_by = $10 \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(ctx.org.to_string())
        .bind(id.to_string())
        .bind(version)
        .bind(valid.title.clone())
        .bind(valid.classification.level())
        .bind(valid.unit.map(|u| u.to_string()))
        .bind(valid.owner.map(|o| o.to_string()))
        .bind(after.to_string())
        .bind(time_text::to_text(ctx.at))
        .bind(ctx.actor.map(|a| a.to_string()))
        .execute(&mut *tx)
        .await?;
        self.write_index(tx, scope, id, valid, false, self.group()).await
    }

    /// Creates and updates many records in one transaction (an import): all or nothing, one
    /// event each plus one `records.imported` summary. An update whose record changed since the
    /// preview fails the whole import with `StaleVersion`.
    pub async fn import_records(&self, ctx: &Ctx, register: &RegisterType, rows: &[ImportRow], source: &str) -> Result<usize, StoreError> {
        let scope = self.scope(ctx.org, register.key()).await?;
        let (this, c, reg, rows, source) = (self.clone(), ctx.clone(), register.clone(), rows.to_vec(), source.to_string());
        self.write(move |conn| {
            Box::pin(async move {
                lock_head(conn, &c, this.group()).await?;
                for row in &rows {
                    match row {
                        ImportRow::Create { id, valid } => {
                            this.insert_record(conn, &c, &reg, scope, *id, valid, EventKind::RecordCreated).await?
                        }
                        ImportRow::Update { id, version, valid } => this.update_in(conn, &c, &reg, scope, *id, *version, valid).await?,
                    }
                }
                journal::append(
                    conn,
                    vec![c.event(EventKind::RecordsImported, "register", reg.key(), json!({"count": rows.len(), "source": source}))],
                    this.group(),
                )
                .await?;
                Ok(rows.len())
            })
        })
        .await
    }

    /// One record of an organisation, whatever its register.
    pub async fn record(&self, org: OrgId, id: RecordId) -> Result<Option<RecordRow>, StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM records WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.to_string()).bind(id.to_string()).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_to_record).transpose()
    }

    /// A page of records that the visibility admits, filtered, searched, sorted and paged by key.
    pub async fn list_records(&self, q: &ListQuery<'_>) -> Result<Page, StoreError> {
        self.list_page(q, RECORD_COLUMNS, row_to_record).await
    }

    /// The same page as `list_records`, as summaries holding only the values of `keys` (the
    /// columns a list shows).
    pub async fn list_summaries(&self, q: &ListQuery<'_>, keys: &[String]) -> Result<Page<RecordSummary>, StoreError> {
        self.list_page(q, "id, classification, document", |row| {
            let id: String = row.try_get("id")?;
            let classification: i64 = row.try_get("classification")?;
            let document: &str = row.try_get("document")?;
            let (fields, computed) = document_values(document, keys)?;
            Ok(RecordSummary {
                id: RecordId::parse(&id)?,
                classification: Confidentiality::from_level(classification).ok_or_else(|| StoreError::Corrupt("classification".into()))?,
                fields,
                computed,
            })
        })
        .await
    }

    async fn list_page<T>(
        &self,
        q: &ListQuery<'_>,
        columns: &str,
        decode: impl Fn(&sqlx::any::AnyRow) -> Result<T, StoreError>,
    ) -> Result<Page<T>, StoreError> {
        if q.visibility.is_nothing() {
            return Ok(Page { rows: Vec::new(), next: None });
        }
        let Some(scope) = self.existing_scope(q.visibility.org, q.register).await? else {
            return Ok(Page { rows: Vec::new(), next: None });
        };
        let limit = q.limit.clamp(1, 500);
        // One query: the index page joined to its records, so the rows arrive in index order.
        let mut b = SqlBuilder::new("SELECT ri.rid AS rid");
        let sort_col = q.sort.map(|(slot, _)| format!("ri.{}", slot.column()));
        let sort_col = sort_col.as_deref();
        if let Some(col) = sort_col {
            b.push(", ").push(col).push(" AS sort_value");
        }
        for column in columns.split(", ") {
            b.push(&format!(", r.{column} AS {column}"));
        }
        b.push(" FROM record_index ri JOIN records r ON r.id = ri.id WHERE ri.scope = ").bind_int(scope);
        b.push(" AND ");
        visibility_sql(&mut b, q.visibility);
        for f in &q.filters {
            b.push(" AND ri.").push(f.slot.column()).push(" = ").bind_value(&f.value);
        }
        for word in q.search.iter().filter(|w| !w.is_empty()) {
            match self.backend() {
                Backend::Sqlite => {
                    b.push(" AND ri.rid IN (SELECT rowid FROM record_search WHERE record_search MATCH ")
                        .bind_text(fts_phrase(word))
                        .push(")");
                }
                Backend::Postgres => {
                    b.push(" AND ri.terms @@ to_tsquery('simple', ").bind_text(tsquery_phrase(word)).push(")");
                }
            }
        }
        let descending = match q.sort {
            Some((_, SortOrder::Descending)) | None => true,
            Some((_, SortOrder::Ascending)) => false,
        };
        if let Some(cursor) = &q.after {
            match (sort_col, &cursor.value) {
                (None, _) => {
                    b.push(if descending { " AND ri.rid < " } else { " AND ri.rid > " }).bind_int(cursor.rid);
                }
                (Some(col), None) => {
                    if descending {
                        b.push(&format!(" AND ({col} IS NULL AND ri.rid < ")).bind_int(cursor.rid).push(")");
                    } else {
                        b.push(&format!(" AND (({col} IS NULL AND ri.rid > "))
                            .bind_int(cursor.rid)
                            .push(&format!(") OR {col} IS NOT NULL)"));
                    }
                }
                (Some(col), Some(v)) => {
                    let op = if descending { "<" } else { ">" };
                    b.push(&format!(" AND ({col} {op} ")).bind_value(v);
                    b.push(&format!(" OR ({col} = ")).bind_value(v).push(&format!(" AND ri.rid {op} ")).bind_int(cursor.rid).push(")");
                    if descending {
                        b.push(&format!(" OR {col} IS NULL"));
                    }
                    b.push(")");
                }
            }
        }
        let (nulls_asc, nulls_desc) = match self.backend() {
            Backend::Sqlite => ("", ""),
            Backend::Postgres => (" NULLS FIRST", " NULLS LAST"),
        };
        match sort_col {
            Some(col) if descending => b.push(&format!(" ORDER BY {col} DESC{nulls_desc}, ri.rid DESC")),
            Some(col) => b.push(&format!(" ORDER BY {col} ASC{nulls_asc}, ri.rid ASC")),
            None => b.push(" ORDER BY ri.rid DESC"),
        };
        b.push(&format!(" LIMIT {}", limit + 1));

        let SqlBuilder { sql, args, .. } = b;
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), args).fetch_all(self.pool()).await?;
        let mut records = Vec::with_capacity(rows.len());
        let mut last = None;
        for row in rows.iter().take(limit as usize) {
            let rid: i64 = row.try_get("rid")?;
            let value = match q.sort.map(|(s, _)| s) {
                Some(Slot::Text(_)) => row.try_get::<Option<String>, _>("sort_value")?.map(IndexValue::Text),
                Some(Slot::Number(_)) => row.try_get::<Option<f64>, _>("sort_value")?.map(IndexValue::Number),
                None => None,
            };
            last = Some(Cursor { value, rid });
            records.push(decode(row)?);
        }
        let next = if rows.len() > limit as usize { last } else { None };
        Ok(Page { rows: records, next })
    }

    /// Every record of a register that the visibility admits, in pages, for export.
    pub async fn all_records(&self, visibility: &Visibility, register: &str, max: usize) -> Result<Vec<RecordRow>, StoreError> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .list_records(&ListQuery { visibility, register, filters: Vec::new(), sort: None, search: Vec::new(), after, limit: 500 })
                .await?;
            out.extend(page.rows);
            match page.next {
                Some(next) if out.len() < max => after = Some(next),
                _ => break,
            }
        }
        out.truncate(max);
        Ok(out)
    }

    /// Ids of the organisation's units and people, for core's validation `Directory`.
    pub async fn directory(&self, org: OrgId) -> Result<crate::records::OrgDirectory, StoreError> {
        let units = self.units(org).await?.into_iter().map(|u| u.id).collect();
        let rows = sqlx::query("SELECT id FROM people WHERE org_id = $1").bind(org.to_string()).fetch_all(self.pool()).await?;
        let people = rows
            .iter()
            .map(|r| r.try_get::<String, _>("id").map_err(StoreError::from).and_then(|s| Ok(PersonId::parse(&s)?)))
            .collect::<Result<_, _>>()?;
        Ok(OrgDirectory { org, units, people, store: self.clone() })
    }

    /// Re-indexes a register whose index layout changed (library update). Runs at start.
    pub async fn ensure_layout(&self, register: &RegisterType) -> Result<bool, StoreError> {
        let fingerprint = register.layout_fingerprint();
        let row = sqlx::query("SELECT fingerprint FROM register_layouts WHERE register = $1")
            .bind(register.key().to_string())
            .fetch_optional(self.pool())
            .await?;
        let stored: Option<String> = row.map(|r| r.try_get("fingerprint")).transpose()?;
        if stored.as_deref() == Some(fingerprint.as_str()) {
            return Ok(false);
        }
        let mut tx = self.pool().begin().await?;
        if stored.is_some() {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {RECORD_COLUMNS} FROM records WHERE register = $1")))
                .bind(register.key().to_string())
                .fetch_all(&mut *tx)
                .await?;
            for row in rows {
                let record = row_to_record(&row)?;
                let valid = register.reindex(&record.fields, &record.computed, record.classification, record.unit, record.owner);
                // Every record's scope was created before its first write; only read it here,
                // since this transaction already holds the write lock.
                let scope = self.existing_scope(record.org, register.key()).await?.ok_or(StoreError::NotFound("register scope"))?;
                self.write_index(&mut tx, scope, record.id, &valid, false, None).await?;
            }
        }
        sqlx::query("DELETE FROM register_layouts WHERE register = $1").bind(register.key().to_string()).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO register_layouts (register, fingerprint) VALUES ($1, $2)")
            .bind(register.key().to_string())
            .bind(fingerprint)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(stored.is_some())
    }
}

impl Store {
    /// The scope number of an organisation's register, creating it on first use. Created in a
    /// statement of its own (committed before any command uses it), so the cache only ever
    /// holds scopes that exist; never call it from inside a command's transaction.
    pub(crate) async fn scope(&self, org: OrgId, register: &str) -> Result<i64, StoreError> {
        if let Some(scope) = self.existing_scope(org, register).await? {
            return Ok(scope);
        }
        sqlx::query("INSERT INTO register_scopes (org_id, register) VALUES ($1, $2) ON CONFLICT (org_id, register) DO NOTHING")
            .bind(org.to_string())
            .bind(register.to_string())
            .execute(self.pool())
            .await?;
        self.existing_scope(org, register).await?.ok_or(StoreError::NotFound("register scope"))
    }

    async fn existing_scope(&self, org: OrgId, register: &str) -> Result<Option<i64>, StoreError> {
        let key = (org, register.to_string());
        if let Some(scope) = self.scopes.lock().ok().and_then(|cache| cache.get(&key).copied()) {
            return Ok(Some(scope));
        }
        let row = sqlx::query("SELECT scope FROM register_scopes WHERE org_id = $1 AND register = $2")
            .bind(org.to_string())
            .bind(register.to_string())
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let scope: i64 = row.try_get("scope")?;
        if let Ok(mut cache) = self.scopes.lock() {
            cache.insert(key, scope);
        }
        Ok(Some(scope))
    }
}

/// The facts validation needs about one organisation, loaded once per command.
pub struct OrgDirectory {
    org: OrgId,
    units: BTreeSet<UnitId>,
    people: BTreeSet<PersonId>,
    store: Store,
}

impl OrgDirectory {
    /// Checks references to other records (loaded on demand; rare).
    pub async fn load_references(&self, ids: &[(String, RecordId)]) -> Result<BTreeSet<(String, RecordId)>, StoreError> {
        let mut found = BTreeSet::new();
        for (register, id) in ids {
            if let Some(r) = self.store.record(self.org, *id).await?
                && &r.register == register
            {
                found.insert((register.clone(), *id));
            }
        }
        Ok(found)
    }
}

impl mamori_core::register::Directory for OrgDirectory {
    fn has_person(&self, person: PersonId) -> bool {
        self.people.contains(&person)
    }

    fn has_unit(&self, unit: UnitId) -> bool {
        self.units.contains(&unit)
    }

    fn has_record(&self, _register: &str, _record: RecordId) -> bool {
        // No built-in register has reference fields yet; references are refused until the
        // directory loads them (see load_references).
        false
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::{document_values, shift_placeholders};

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-z\\\"\u{3042}-\u{3093} ]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(2, 8, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-c\\\"]{1,3}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn picked(object: &Map<String, Value>, keys: &[String]) -> Map<String, Value> {
        object.iter().filter(|(k, _)| keys.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    proptest! {
        /// A summary's values are exactly the asked-for keys of the whole document, whatever the
        /// values (nested, escaped keys and strings) and whichever keys are asked for.
        #[test]
        fn summary_values_are_the_documents_own(
            fields in prop::collection::btree_map("[a-e\\\"]{1,2}", value(), 0..8),
            computed in prop::collection::btree_map("[a-e]{1,2}", value(), 0..3),
            extra in value(),
            keys in prop::collection::vec("[a-e\\\"]{1,2}", 0..6),
        ) {
            let fields: Map<String, Value> = fields.into_iter().collect();
            let computed: Map<String, Value> = computed.into_iter().collect();
            let document = json!({"computed": computed, "extra": extra, "fields": fields}).to_string();
            let (f, c) = document_values(&document, &keys).unwrap();
            prop_assert_eq!(f, picked(&fields, &keys));
            prop_assert_eq!(c, picked(&computed, &keys));
        }
    }

    #[test]
    fn a_broken_document_is_corrupt_not_a_panic() {
        let keys = vec!["name".to_string()];
        for broken in ["", "[]", "{\"fields\": [1]}", "{\"fields\": {\"name\": }", "{} trailing", "{\"fields\": {\"name\": \"x\"}"] {
            assert!(document_values(broken, &keys).is_err(), "{broken:?}");
        }
        assert_eq!(document_values("{}", &keys).unwrap(), (Map::new(), Map::new()));
    }

    #[test]
    fn placeholders_shift_and_repeat() {
        assert_eq!(shift_placeholders("VALUES ($1, $2, 1, $9, $10, $9)", 10), "VALUES ($11, $12, 1, $19, $20, $19)");
        assert_eq!(shift_placeholders("'$' || $", 3), "'$' || $", "a bare $ stays");
    }
}
