//! How commands reach the database, and group commit on SQLite.
//!
//! Every write is a closure run inside a transaction ([`Store::write`]). On PostgreSQL each
//! command gets its own transaction. On SQLite, where one writer at a time is the rule anyway
//! and every durable commit costs an fsync, one writer task takes the commands that are waiting,
//! runs each inside its own SAVEPOINT (a command that fails is rolled back alone and reports its
//! own error), commits them together with one fsync, and only then answers each caller. A
//! caller is never told "done" before its command is durable.
//!
//! While a group runs, the writer holds SQLite's write lock (`BEGIN IMMEDIATE`), so nobody else
//! can move a chain head: the group keeps the heads it has read or written in its [`GroupState`],
//! and commands after the first of an organisation seal their events without reading the head
//! again. The cache is emptied before each group, after each failed command (whose savepoint
//! rollback undid its appends) and after each commit.
//!
//! Commands come in two kinds. Most are async closures over sqlx's connection ([`Store::write`]).
//! The hottest (creating one record) is a *direct* command ([`Store::write_direct`]): a plain
//! function over the writer's own rusqlite connection to the same file, run on a blocking thread
//! a whole group at a time; direct commands must be small (see [`connect_direct`]). A statement
//! through sqlx's SQLite driver is a message to its connection thread and back (about 50 us on this 2-core machine, bench/README.md); a direct
//! statement is a function call. Consecutive commands of one kind form a group; the two
//! connections never hold a transaction at the same time, since this one writer runs both.
//!
//! Search terms (the FTS5 table `record_search`) are written once per group, after the last
//! command and before the commit, outside every savepoint: FTS5 flushes its pending terms to a new
//! index segment at each SAVEPOINT, which made a per-command insert cost about ten times a plain
//! one (and merged segments without end). Commands queue their changes in the [`GroupState`]; the
//! changes of a failed command are dropped with its savepoint. The terms are derived from the
//! index row, in the same transaction, so a reader never sees one without the other.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mamori_core::ids::OrgId;
use mamori_core::journal::ChainHead;
use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, Connection, Executor};
use tokio::sync::{mpsc, oneshot};

use crate::params::{Param, bind_all};
use crate::{Store, StoreError};

/// What a running group knows beyond the database (see the module comment): the chain heads
/// it holds the lock for, and the search-table changes its commands queued. Valid only inside
/// commands this writer runs.
#[derive(Clone, Default)]
pub(crate) struct GroupState(std::sync::Arc<std::sync::Mutex<GroupInner>>);

#[derive(Default)]
struct GroupInner {
    heads: std::collections::HashMap<OrgId, ChainHead>,
    search: Vec<SearchOp>,
}

impl GroupState {
    fn with<T>(&self, f: impl FnOnce(&mut GroupInner) -> T) -> Option<T> {
        self.0.lock().ok().map(|mut inner| f(&mut inner))
    }

    pub(crate) fn head(&self, org: OrgId) -> Option<ChainHead> {
        self.with(|g| g.heads.get(&org).cloned()).flatten()
    }

    pub(crate) fn set_head(&self, org: OrgId, head: ChainHead) {
        self.with(|g| g.heads.insert(org, head));
    }

    pub(crate) fn push_search(&self, op: SearchOp) {
        self.with(|g| g.search.push(op));
    }

    /// Where a command starts, to undo what it queued if it fails.
    fn mark(&self) -> usize {
        self.with(|g| g.search.len()).unwrap_or(0)
    }

    /// A command failed and its savepoint is rolled back: forget the heads (it may have moved
    /// some) and the search changes it queued after `mark`.
    fn command_failed(&self, mark: usize) {
        self.with(|g| {
            g.heads.clear();
            g.search.truncate(mark);
        });
    }

    /// Empties the state: before and after each group.
    fn reset(&self) {
        self.with(|g| *g = GroupInner::default());
    }

    fn take_search(&self) -> Vec<SearchOp> {
        self.with(|g| std::mem::take(&mut g.search)).unwrap_or_default()
    }
}

/// Most commands committed together.
const MAX_GROUP: usize = 512;

pub(crate) type BoxFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;
type Output = Result<Box<dyn Any + Send>, StoreError>;
type Job = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Output> + Send>;
type DirectJob = Box<dyn FnOnce(&rusqlite::Connection, &GroupState) -> Output + Send>;
type Reply = oneshot::Sender<Output>;

/// A command of either kind (see the module comment).
enum Work {
    Async(Job),
    Direct(DirectJob),
}

struct Pending {
    work: Work,
    reply: Reply,
}

impl Pending {
    fn is_direct(&self) -> bool {
        matches!(self.work, Work::Direct(_))
    }
}

enum Message {
    Command(Pending),
    /// Close the writer's connection (it opens again at the next command); answered when done.
    Close(oneshot::Sender<()>),
}

/// What the group writer has done since the store was opened: how many groups, how large, and
/// where their time went. The benchmarks print it (`appends`); nothing decides on it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WriterStats {
    pub groups: u64,
    pub commands: u64,
    pub largest_group: u64,
    /// Taking a connection and `BEGIN IMMEDIATE`.
    pub begin_time: Duration,
    /// The commands themselves, their savepoints included.
    pub commands_time: Duration,
    /// The search-table changes written at the end of each group.
    pub search_time: Duration,
    /// `COMMIT`: the WAL write, its fsync, and any checkpoint SQLite runs then.
    pub commit_time: Duration,
}

/// The handle of the SQLite writer task.
#[derive(Clone)]
pub(crate) struct GroupWriter {
    queue: mpsc::Sender<Message>,
    /// Valid only inside commands that this writer runs.
    pub(crate) group: GroupState,
    stats: Arc<Mutex<WriterStats>>,
}

impl GroupWriter {
    /// Starts the writer task. It keeps one connection of its own, opened with `options` and
    /// set up by `setup` (the store's durability settings and the writer's page cache), so the
    /// index pages it changes stay in its cache from one group to the next.
    /// Direct commands get a second connection of its own, to `path`, set up the same way.
    pub(crate) fn start(options: AnyConnectOptions, path: PathBuf, setup: &'static str) -> GroupWriter {
        let (queue, receiver) = mpsc::channel(4 * MAX_GROUP);
        let group = GroupState::default();
        let stats = Arc::new(Mutex::new(WriterStats::default()));
        let connections = Connections { options, path, setup, conn: None, direct: None };
        tokio::spawn(run(connections, receiver, group.clone(), stats.clone()));
        GroupWriter { queue, group, stats }
    }

    /// Closes the writer's connection, so that the last connection to close can checkpoint the
    /// WAL into the database file.
    pub(crate) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.queue.send(Message::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}

/// One change to the search table, queued by a command inside the group.
#[derive(Debug)]
pub(crate) enum SearchOp {
    Insert { rid: i64, terms: String },
    Delete { rid: i64 },
}

/// Rows per multi-row insert into the search table (two values each; far below SQLite's limit
/// of bound values per statement).
const SEARCH_ROWS_PER_INSERT: usize = 128;

/// A group's search-table changes as statements, in order: runs of inserts as multi-row
/// statements.
fn search_statements(ops: Vec<SearchOp>) -> Vec<(String, Vec<Param>)> {
    let mut statements = Vec::new();
    let mut inserts: Vec<Param> = Vec::new();
    let flush = |inserts: &mut Vec<Param>, statements: &mut Vec<(String, Vec<Param>)>| {
        if inserts.is_empty() {
            return;
        }
        let values: Vec<String> = (0..inserts.len() / 2).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect();
        statements.push((format!("INSERT INTO record_search (rowid, terms) VALUES {}", values.join(", ")), std::mem::take(inserts)));
    };
    for op in ops {
        match op {
            SearchOp::Insert { rid, terms } => {
                inserts.push(Param::Int(rid));
                inserts.push(Param::Text(Some(terms)));
                if inserts.len() == 2 * SEARCH_ROWS_PER_INSERT {
                    flush(&mut inserts, &mut statements);
                }
            }
            SearchOp::Delete { rid } => {
                flush(&mut inserts, &mut statements);
                statements.push(("DELETE FROM record_search WHERE rowid = $1".to_string(), vec![Param::Int(rid)]));
            }
        }
    }
    flush(&mut inserts, &mut statements);
    statements
}

async fn apply_search(conn: &mut AnyConnection, ops: Vec<SearchOp>) -> Result<(), sqlx::Error> {
    for (sql, params) in search_statements(ops) {
        bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params).execute(&mut *conn).await?;
    }
    Ok(())
}

fn apply_search_direct(conn: &rusqlite::Connection, ops: Vec<SearchOp>) -> Result<(), rusqlite::Error> {
    for (sql, params) in search_statements(ops) {
        conn.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(params))?;
    }
    Ok(())
}

/// The writer's two connections, each opened at its first command and after a failure.
struct Connections {
    options: AnyConnectOptions,
    path: PathBuf,
    setup: &'static str,
    conn: Option<AnyConnection>,
    direct: Option<rusqlite::Connection>,
}

impl Connections {
    async fn close(&mut self) {
        if let Some(c) = self.conn.take() {
            let _ = c.close().await;
        }
        if let Some(c) = self.direct.take() {
            // Closing may checkpoint the WAL: off the async threads.
            let _ = tokio::task::spawn_blocking(move || drop(c.close())).await;
        }
    }
}

async fn connect(options: &AnyConnectOptions, setup: &'static str) -> Result<AnyConnection, sqlx::Error> {
    let mut conn = AnyConnection::connect_with(options).await?;
    conn.execute(setup).await?;
    Ok(conn)
}

/// Opens the direct commands' connection with the same settings as the other, and with its
/// savepoint journals wholly in memory (`temp_store = MEMORY`). In WAL mode every page a command
/// changes is first copied to its savepoint's journal; SQLite keeps that journal in memory only up
/// to 64 KiB and a record's creation changes ≈ 20–35 pages, so on a temporary file the copies
/// were two `pwrite`s per page and ≈ 17 % of the process's samples (`perf`, bench/README.md). In memory
/// the journal is kept in 1 KiB pieces that SQLite walks from the start whenever a statement ends,
/// which is nothing for one record but quadratic in a command of thousands (an import), so
/// direct commands must stay small; imports run on the other connection, whose journals spill to
/// a file as usual.
fn connect_direct(path: &std::path::Path, setup: &str) -> Result<rusqlite::Connection, rusqlite::Error> {
    let conn = rusqlite::Connection::open(path)?;
    for pragma in setup.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        // Some pragmas answer with a row (journal_mode); read it and go on.
        let mut statement = conn.prepare(pragma)?;
        let mut rows = statement.raw_query();
        while rows.next()?.is_some() {}
    }
    conn.execute_batch("PRAGMA temp_store = MEMORY")?;
    // A command's statements, the savepoints' and the search inserts' of every length up to
    // SEARCH_ROWS_PER_INSERT stay prepared.
    conn.set_prepared_statement_cache_capacity(SEARCH_ROWS_PER_INSERT + 32);
    Ok(conn)
}

/// Takes the commands queued behind `first` that are of its kind, in the order they came, up to
/// [`MAX_GROUP`]; the first message of another kind (or a close) is handed back, to come next.
fn collect_group(receiver: &mut mpsc::Receiver<Message>, first: Pending) -> (Vec<Pending>, Option<Message>) {
    let direct = first.is_direct();
    let mut group = vec![first];
    while group.len() < MAX_GROUP {
        match receiver.try_recv() {
            Ok(Message::Command(p)) if p.is_direct() == direct => group.push(p),
            Ok(other) => return (group, Some(other)),
            Err(_) => break,
        }
    }
    (group, None)
}

async fn run(mut connections: Connections, mut receiver: mpsc::Receiver<Message>, state: GroupState, stats: Arc<Mutex<WriterStats>>) {
    let mut next: Option<Message> = None;
    loop {
        let message = match next.take() {
            Some(message) => message,
            None => match receiver.recv().await {
                Some(message) => message,
                None => break,
            },
        };
        let first = match message {
            Message::Command(pending) => pending,
            Message::Close(done) => {
                connections.close().await;
                let _ = done.send(());
                continue;
            }
        };
        let (group, after) = collect_group(&mut receiver, first);
        if group[0].is_direct() {
            match run_direct_groups(&mut connections, receiver, group, after, &state, &stats).await {
                Some((back, after)) => (receiver, next) = (back, after),
                None => break,
            }
        } else {
            next = after;
            let size = group.len();
            if let Some(phases) = run_group(&mut connections, group, &state).await {
                record(&stats, size, phases);
            }
        }
    }
}

fn record(stats: &Mutex<WriterStats>, size: usize, phases: Phases) {
    if let Ok(mut stats) = stats.lock() {
        stats.groups += 1;
        stats.commands += size as u64;
        stats.largest_group = stats.largest_group.max(size as u64);
        stats.begin_time += phases.begin;
        stats.commands_time += phases.commands;
        stats.search_time += phases.search;
        stats.commit_time += phases.commit;
    }
}

/// Runs a group of async commands on the sqlx connection; `None` when it could not run.
async fn run_group(connections: &mut Connections, group: Vec<Pending>, state: &GroupState) -> Option<Phases> {
    if connections.conn.is_none() {
        match connect(&connections.options, connections.setup).await {
            Ok(c) => connections.conn = Some(c),
            Err(e) => {
                fail_all(group.into_iter().map(|p| p.reply), &e.to_string());
                return None;
            }
        }
    }
    let conn = connections.conn.as_mut()?;
    state.reset();
    let (phases, healthy) = commit_group(conn, group, state).await;
    state.reset();
    if !healthy {
        // A connection that could not begin or end a transaction is not trusted again.
        connections.conn = None;
    }
    Some(phases)
}

/// Runs a group of direct commands on the rusqlite connection, on a blocking thread, and goes on
/// there with the direct commands queued meanwhile, a group at a time, until the queue is empty
/// or holds something else (`next`, handed back with the queue, to come next). Going back to the
/// async task between groups would make the writer wait for a turn behind the callers it has
/// just answered (about 6 ms per group of 150 on 2 cores, bench/README.md). `None` if the
/// blocking thread itself was lost (the runtime shutting down).
async fn run_direct_groups(
    connections: &mut Connections,
    mut receiver: mpsc::Receiver<Message>,
    group: Vec<Pending>,
    mut next: Option<Message>,
    state: &GroupState,
    stats: &Arc<Mutex<WriterStats>>,
) -> Option<(mpsc::Receiver<Message>, Option<Message>)> {
    let (path, setup, mut conn, state, stats) =
        (connections.path.clone(), connections.setup, connections.direct.take(), state.clone(), stats.clone());
    let done = tokio::task::spawn_blocking(move || {
        // A panic loses the group it happened in (its callers' replies are dropped with it and
        // they are told the writer stopped) and the connection, never the queue.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut group = group;
            loop {
                let c = match conn.take().map_or_else(|| connect_direct(&path, setup), Ok) {
                    Ok(c) => c,
                    Err(e) => return fail_all(group.into_iter().map(|p| p.reply), &e.to_string()),
                };
                let size = group.len();
                state.reset();
                let (phases, healthy) = commit_direct_group(&c, group, &state);
                state.reset();
                record(&stats, size, phases);
                if !healthy {
                    // A connection that could not begin or end a transaction is not trusted again.
                    return;
                }
                conn = Some(c);
                if next.is_some() {
                    return;
                }
                match receiver.try_recv() {
                    Ok(Message::Command(p)) if p.is_direct() => (group, next) = collect_group(&mut receiver, p),
                    Ok(other) => return next = Some(other),
                    Err(_) => return,
                }
            }
        }));
        (conn, receiver, next)
    })
    .await;
    let (conn, receiver, next) = done.ok()?;
    connections.direct = conn;
    Some((receiver, next))
}

/// Where one group's time went (see [`WriterStats`]).
#[derive(Default)]
struct Phases {
    begin: Duration,
    commands: Duration,
    search: Duration,
    commit: Duration,
}

/// What ends a command's savepoint, and opens the next one's unless it was the last.
fn savepoint_end(succeeded: bool, last: bool) -> &'static str {
    match (succeeded, last) {
        (true, true) => "RELEASE command",
        (true, false) => "RELEASE command; SAVEPOINT command",
        (false, true) => "ROLLBACK TO command; RELEASE command",
        (false, false) => "ROLLBACK TO command; RELEASE command; SAVEPOINT command",
    }
}

/// Answers a group's callers once its commit is known: each its own outcome when it committed;
/// otherwise the commit's error, except to a command that failed on its own.
fn answer(outcomes: Vec<(Reply, Output)>, committed: Result<(), String>) {
    for (reply, outcome) in outcomes {
        let _ = reply.send(match (&committed, outcome) {
            (Ok(()), outcome) => outcome,
            (Err(_), Err(own)) => Err(own),
            (Err(e), Ok(_)) => Err(StoreError::CommitFailed(e.clone())),
        });
    }
}

/// Runs and commits one group; false when the connection failed to begin or end the transaction.
async fn commit_group(conn: &mut AnyConnection, group: Vec<Pending>, state: &GroupState) -> (Phases, bool) {
    let mut phases = Phases::default();
    let started = Instant::now();
    if let Err(e) = conn.execute("BEGIN IMMEDIATE").await {
        fail_all(group.into_iter().map(|p| p.reply), &e.to_string());
        return (phases, false);
    }
    phases.begin = started.elapsed();
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(group.len());
    // Each command runs inside its own savepoint; ending one savepoint and opening the next is
    // one round trip.
    let mut open_savepoint = conn.execute("SAVEPOINT command").await.map(|_| ()).map_err(|e| e.to_string());
    let count = group.len();
    for (i, pending) in group.into_iter().enumerate() {
        let mark = state.mark();
        if let Err(e) = &open_savepoint {
            // The group is broken (below): the rest is not run.
            outcomes.push((pending.reply, Err(StoreError::CommitFailed(e.clone()))));
            continue;
        }
        let outcome = match pending.work {
            Work::Async(job) => job(&mut *conn).await,
            Work::Direct(_) => Err(StoreError::CommitFailed("a direct command in an async group".into())),
        };
        if outcome.is_err() {
            // Its savepoint is rolled back below, and with it any head it moved and any search
            // change it queued.
            state.command_failed(mark);
        }
        let outcome = match conn.execute(savepoint_end(outcome.is_ok(), i + 1 == count)).await {
            Ok(_) => outcome,
            Err(e) => {
                open_savepoint = Err(e.to_string());
                Err(StoreError::CommitFailed(e.to_string()))
            }
        };
        outcomes.push((pending.reply, outcome));
    }
    phases.commands = started.elapsed();
    // A savepoint that could not be ended or opened leaves the transaction in a state nobody
    // vouches for (a command half undone, or rolled back whole by SQLite itself): then nothing
    // more is written and the whole group fails.
    let committed = match open_savepoint {
        Err(e) => Err(e),
        Ok(()) => {
            let started = Instant::now();
            let searched = apply_search(&mut *conn, state.take_search()).await;
            phases.search = started.elapsed();
            let started = Instant::now();
            let committed = match searched {
                Ok(()) => conn.execute("COMMIT").await.map(|_| ()),
                Err(e) => Err(e),
            };
            phases.commit = started.elapsed();
            committed.map_err(|e| e.to_string())
        }
    };
    let healthy = committed.is_ok();
    if committed.is_err() {
        let _ = conn.execute("ROLLBACK").await;
    }
    answer(outcomes, committed);
    (phases, healthy)
}

/// Runs statements without values (transaction control), each prepared once per connection.
fn control(conn: &rusqlite::Connection, sql: &str) -> Result<(), rusqlite::Error> {
    for statement in sql.split("; ") {
        conn.prepare_cached(statement)?.execute([])?;
    }
    Ok(())
}

/// [`commit_group`] for direct commands, on the writer's rusqlite connection.
fn commit_direct_group(conn: &rusqlite::Connection, group: Vec<Pending>, state: &GroupState) -> (Phases, bool) {
    let mut phases = Phases::default();
    let started = Instant::now();
    if let Err(e) = control(conn, "BEGIN IMMEDIATE") {
        fail_all(group.into_iter().map(|p| p.reply), &e.to_string());
        return (phases, false);
    }
    phases.begin = started.elapsed();
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(group.len());
    let mut open_savepoint = control(conn, "SAVEPOINT command").map_err(|e| e.to_string());
    let count = group.len();
    for (i, pending) in group.into_iter().enumerate() {
        let mark = state.mark();
        if let Err(e) = &open_savepoint {
            // The group is broken (below): the rest is not run.
            outcomes.push((pending.reply, Err(StoreError::CommitFailed(e.clone()))));
            continue;
        }
        let outcome = match pending.work {
            Work::Direct(job) => job(conn, state),
            Work::Async(_) => Err(StoreError::CommitFailed("an async command in a direct group".into())),
        };
        if outcome.is_err() {
            state.command_failed(mark);
        }
        let outcome = match control(conn, savepoint_end(outcome.is_ok(), i + 1 == count)) {
            Ok(()) => outcome,
            Err(e) => {
                open_savepoint = Err(e.to_string());
                Err(StoreError::CommitFailed(e.to_string()))
            }
        };
        outcomes.push((pending.reply, outcome));
    }
    phases.commands = started.elapsed();
    // As in commit_group; and a transaction SQLite already ended on its own takes no more writes.
    let committed = match open_savepoint {
        Err(e) => Err(e),
        Ok(()) if conn.is_autocommit() => Err("the transaction ended before its commit".to_string()),
        Ok(()) => {
            let started = Instant::now();
            let searched = apply_search_direct(conn, state.take_search());
            phases.search = started.elapsed();
            let started = Instant::now();
            let committed = searched.and_then(|()| control(conn, "COMMIT"));
            phases.commit = started.elapsed();
            committed.map_err(|e| e.to_string())
        }
    };
    let healthy = committed.is_ok();
    if committed.is_err() {
        let _ = control(conn, "ROLLBACK");
    }
    answer(outcomes, committed);
    (phases, healthy)
}

fn fail_all(replies: impl Iterator<Item = Reply>, detail: &str) {
    for reply in replies {
        let _ = reply.send(Err(StoreError::CommitFailed(detail.to_string())));
    }
}

impl GroupWriter {
    /// Queues one command and waits for its answer, which comes after the group's commit.
    async fn submit<T: 'static>(&self, work: Work) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Message::Command(Pending { work, reply }))
            .await
            .map_err(|_| StoreError::CommitFailed("the writer has stopped".into()))?;
        let value = answer.await.map_err(|_| StoreError::CommitFailed("the writer has stopped".into()))??;
        value.downcast::<T>().map(|b| *b).map_err(|_| StoreError::CommitFailed("unexpected result type".into()))
    }
}

impl Store {
    /// The group writer's counters (SQLite only), for the benchmarks.
    pub fn writer_stats(&self) -> Option<WriterStats> {
        self.writer.as_ref().and_then(|w| w.stats.lock().ok().map(|s| *s))
    }

    /// Runs one command in a transaction: alone on PostgreSQL, grouped with others on SQLite.
    /// The closure gets the connection of that transaction; it must do all of the command's
    /// writes through it, starting with the chain-head lock if it appends to the journal.
    pub(crate) async fn write<T, F>(&self, command: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        match &self.writer {
            None => {
                let mut tx = self.pool().begin().await?;
                let value = command(&mut tx).await?;
                tx.commit().await?;
                Ok(value)
            }
            Some(writer) => {
                let job: Job =
                    Box::new(move |conn| Box::pin(async move { command(conn).await.map(|v| Box::new(v) as Box<dyn Any + Send>) }));
                writer.submit(Work::Async(job)).await
            }
        }
    }

    /// Runs one command as a direct command of the SQLite group writer (see the module comment):
    /// grouped like [`Store::write`], on the writer's own rusqlite connection, with the group's
    /// state for chain heads and search changes. Only on SQLite.
    pub(crate) async fn write_direct<T, F>(&self, command: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection, &GroupState) -> Result<T, StoreError> + Send + 'static,
    {
        let writer = self.writer.as_ref().ok_or(StoreError::Unsupported("a direct command without SQLite's group writer"))?;
        let job: DirectJob = Box::new(move |conn, group| command(conn, group).map(|v| Box::new(v) as Box<dyn Any + Send>));
        writer.submit(Work::Direct(job)).await
    }
}

#[cfg(test)]
mod tests {
    use crate::{Location, Store, StoreError};

    /// The blocking thread that runs direct groups holds the writer's queue while it runs them:
    /// a command that panics must lose only its own group, and the writer must go on with both
    /// kinds of command.
    #[tokio::test]
    async fn a_panicking_direct_command_loses_its_group_not_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Location::Directory(dir.path().to_path_buf())).await.unwrap();
        let failed = store.write_direct(|_conn, _group| -> Result<(), StoreError> { panic!("a defect in a command") }).await;
        assert!(matches!(failed, Err(StoreError::CommitFailed(_))), "{failed:?}");
        let direct: i64 = store.write_direct(|conn, _| Ok(conn.query_row("SELECT 41 + 1", [], |row| row.get(0))?)).await.unwrap();
        assert_eq!(direct, 42);
        let grouped: i64 =
            store.write(|conn| Box::pin(async move { Ok(sqlx::query_scalar::<_, i64>("SELECT 7").fetch_one(conn).await?) })).await.unwrap();
        assert_eq!(grouped, 7);
    }
}
