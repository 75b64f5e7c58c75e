//! The `mamori` command: configuration, wiring and exit codes. It owns no rule.
//!
//! Exit status: 0 on success, 1 on a user error (message on stderr in Japanese and English),
//! 2 on misuse (clap's own usage errors).

mod catalogs;
mod checklist;
mod demo;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use mamori_core::ids::{OrgId, PersonId};
use mamori_core::library::{Library, RoleKey};
use mamori_core::person::{Email, RoleAssignment};
use mamori_store::{Ctx, Location, NewPerson, Store};
use mamori_web::{AppState, WebConfig};
use time::OffsetDateTime;

#[derive(Parser)]
#[command(name = "mamori", version, about = "Mamori (守り): a self-hosted ISMS platform / 情報セキュリティマネジメントシステム")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub(crate) struct DataArgs {
    /// Directory holding the embedded SQLite database and evidence files.
    #[arg(long, env = "MAMORI_DATA", default_value = "./mamori-data")]
    data: PathBuf,
    /// PostgreSQL URL (postgres://…); when given, used instead of --data.
    #[arg(long, env = "MAMORI_DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
}

impl DataArgs {
    fn location(&self) -> Location {
        match &self.database {
            Some(url) => Location::Postgres(url.clone()),
            None => Location::Directory(self.data.clone()),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Mark cookies Secure (when served behind TLS).
        #[arg(long)]
        secure_cookies: bool,
        /// SMTP relay for reminder e-mails (host:port, plain SMTP on the machine or the LAN).
        #[arg(long, env = "MAMORI_SMTP")]
        smtp: Option<String>,
        /// Sender of reminder e-mails, e.g. "Mamori <mamori@example.co.jp>".
        #[arg(long, env = "MAMORI_SMTP_FROM", default_value = "Mamori <mamori@localhost>")]
        smtp_from: String,
    },
    /// Create an organisation and its first administrator (情報セキュリティ責任者).
    Init {
        #[command(flatten)]
        data: DataArgs,
        /// Short code of the organisation, used in URLs and exports (a-z, 0-9, -).
        #[arg(long)]
        org_slug: String,
        /// Name of the organisation.
        #[arg(long)]
        org_name: String,
        /// E-mail address of the first administrator.
        #[arg(long)]
        admin_email: String,
        /// Display name of the first administrator.
        #[arg(long, default_value = "管理者")]
        admin_name: String,
        /// Initial password; when omitted one is generated and printed. Must be changed at first sign-in.
        #[arg(long, env = "MAMORI_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Create (or reuse) a demo organisation, print one login per role, and serve it.
    Demo {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Check every journal chain and the current state against it.
    Verify {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        json: bool,
    },
    /// Export or import a register (xlsx or CSV), as a person of an organisation.
    Register {
        #[command(subcommand)]
        command: RegisterCommand,
    },
    /// Catalogs: requirement sets such as customers' supplier standards and reference frameworks.
    Catalog {
        #[command(subcommand)]
        command: catalogs::CatalogCommand,
    },
    /// A customer's checklist workbook: import it, answer it from CSV, export it filled in.
    Checklist {
        #[command(subcommand)]
        command: checklist::ChecklistCommand,
    },
    /// Personal API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Write a consistent copy of the SQLite database while it may be in use.
    Backup {
        #[command(flatten)]
        data: DataArgs,
        /// The backup file to create (must not exist).
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Clone)]
struct ActingArgs {
    /// The person acting (e-mail address); their organisation, roles and rights apply.
    #[arg(long = "as", value_name = "EMAIL")]
    acting: String,
    /// The register type, e.g. information_assets.
    #[arg(long, default_value = "information_assets")]
    register: String,
    /// Language of headers, labels and messages.
    #[arg(long, default_value = "ja")]
    lang: String,
}

#[derive(Subcommand)]
enum RegisterCommand {
    /// Write the rows the person may see to an xlsx or CSV file (format from --format or the file name).
    Export {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        acting: ActingArgs,
        #[arg(long)]
        out: PathBuf,
        /// xlsx or csv.
        #[arg(long)]
        format: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Check a file's rows and, unless --dry-run, write them in one transaction (all or nothing).
    Import {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        acting: ActingArgs,
        /// The xlsx or CSV file.
        file: PathBuf,
        /// Only report what would happen.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a personal API token for a person and print it (shown once; stored hashed).
    Create {
        #[command(flatten)]
        data: DataArgs,
        /// The person's e-mail address.
        #[arg(long)]
        email: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        json: bool,
    },
}

/// A user error: printed on stderr in both languages, exit status 1.
pub(crate) struct UserError {
    ja: String,
    en: String,
}

impl UserError {
    pub(crate) fn new(ja: impl Into<String>, en: impl Into<String>) -> UserError {
        UserError { ja: ja.into(), en: en.into() }
    }

    pub(crate) fn from_text(text: &mamori_core::Text) -> UserError {
        UserError::new(text.ja.clone(), text.en.clone())
    }
}

impl From<mamori_store::StoreError> for UserError {
    fn from(e: mamori_store::StoreError) -> UserError {
        tracing::debug!(error = %e, "store error");
        let text = e.text();
        match e {
            mamori_store::StoreError::Database(_)
            | mamori_store::StoreError::Sqlite(_)
            | mamori_store::StoreError::Migrate(_)
            | mamori_store::StoreError::Corrupt(_) => UserError::new(format!("{} ({e})", text.ja), format!("{} ({e})", text.en)),
            _ => UserError::new(text.ja, text.en),
        }
    }
}

impl From<mamori_core::CoreError> for UserError {
    fn from(e: mamori_core::CoreError) -> UserError {
        let t = e.text();
        UserError::new(t.ja, t.en)
    }
}

impl From<mamori_web::error::WebError> for UserError {
    fn from(e: mamori_web::error::WebError) -> UserError {
        UserError::new(e.text.ja, e.text.en)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MAMORI_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("起動できません / Cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("エラー: {}\nError: {}", e.ja, e.en);
            ExitCode::from(1)
        }
    }
}

fn library() -> Result<Library, UserError> {
    Ok(Library::builtin()?)
}

/// `host:port` (port 25 when omitted) as SMTP settings.
fn smtp_settings(relay: &str, from: String) -> Result<mamori_web::mail::SmtpSettings, UserError> {
    let (host, port) = match relay.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .map_err(|_| UserError::new(format!("SMTP のポート番号が正しくありません: {p}"), format!("Invalid SMTP port: {p}")))?,
        ),
        None => (relay, 25),
    };
    if host.is_empty() {
        return Err(UserError::new("SMTP のホスト名を指定してください", "Give the SMTP host"));
    }
    Ok(mamori_web::mail::SmtpSettings { host: host.to_string(), port, from })
}

pub(crate) async fn open(data: &DataArgs) -> Result<Store, UserError> {
    let store = Store::open(&data.location()).await?;
    for register in library()?.registers() {
        store.ensure_layout(register).await?;
    }
    Ok(store)
}

async fn run(command: Command) -> Result<(), UserError> {
    match command {
        Command::Serve { data, listen, secure_cookies, smtp, smtp_from } => {
            let store = open(&data).await?;
            let smtp = smtp.map(|relay| smtp_settings(&relay, smtp_from)).transpose()?;
            let config = WebConfig { secure_cookies, smtp, ..WebConfig::default() };
            serve(store, config, listen).await
        }
        Command::Init { data, org_slug, org_name, admin_email, admin_name, admin_password, json } => {
            let store = open(&data).await?;
            let generated = admin_password.is_none();
            let password = match admin_password {
                Some(p) => p,
                None => generate_password()?,
            };
            let config = WebConfig::default();
            config.password_policy.check_new(&password, true, admin_email.split('@').next().unwrap_or_default())?;
            let (org, person) = init(&store, &config, &org_slug, &org_name, &admin_email, &admin_name, &password).await?;
            if json {
                let doc = serde_json::json!({
                    "organisation": {"id": org, "slug": org_slug},
                    "administrator": {"id": person, "email": admin_email, "password": if generated { Some(&password) } else { None }},
                });
                println!("{doc}");
            } else {
                println!("組織 {org_name}（{org_slug}）を作成しました / Created organisation {org_name} ({org_slug})");
                println!("管理者 / Administrator: {admin_email}");
                if generated {
                    println!("初期パスワード / Initial password: {password}");
                }
                println!("初回ログイン時にパスワードの変更が必要です / The password must be changed at first sign-in.");
            }
            Ok(())
        }
        Command::Catalog { command } => catalogs::run(&library()?, command).await,
        Command::Checklist { command } => checklist::run(&library()?, command).await,
        Command::Demo { data, listen } => {
            let store = open(&data).await?;
            let config = WebConfig::default();
            let logins = demo::ensure(&store, &config).await?;
            println!("Mamori デモ / demo: http://{listen}/login");
            println!("役割ごとのログイン / One login per role (password for all: {})", demo::PASSWORD);
            for (role, email) in &logins {
                println!("  {role:<44} {email}");
            }
            serve(store, config, listen).await
        }
        Command::Verify { data, json } => {
            let store = open(&data).await?;
            let report = store.verify().await?;
            if json {
                let orgs: Vec<serde_json::Value> = report
                    .organisations
                    .iter()
                    .map(|o| {
                        serde_json::json!({
                            "organisation": o.slug, "events": o.events, "records": o.records,
                            "intact": o.problem.is_none(),
                            "problem": o.problem.as_ref().map(|p| serde_json::json!({"seq": p.seq, "reason": p.reason})),
                        })
                    })
                    .collect();
                println!("{}", serde_json::json!({"intact": report.is_intact(), "organisations": orgs}));
            } else {
                for o in &report.organisations {
                    match &o.problem {
                        None => println!(
                            "OK  {}: {} events, {} records / 記録 {} 件・台帳 {} 件を検証しました",
                            o.slug, o.events, o.records, o.events, o.records
                        ),
                        Some(p) => println!("NG  {}: {}", o.slug, p.text().both()),
                    }
                }
            }
            if report.is_intact() {
                Ok(())
            } else {
                let first = report.organisations.iter().find_map(|o| o.problem.clone());
                let (ja, en) = first.map(|p| (p.text().ja, p.text().en)).unwrap_or_default();
                Err(UserError::new(ja, en))
            }
        }
        Command::Register { command } => register_command(command).await,
        Command::Token { command: TokenCommand::Create { data, email, name, json } } => {
            let store = open(&data).await?;
            let email = Email::parse(&email)?;
            let person = store.sign_in_record(&email).await?.ok_or_else(|| {
                UserError::new(format!("{email} の利用者は登録されていません"), format!("No person is registered with {email}"))
            })?;
            let person = person.person;
            let secret = format!("mmr_{}", mamori_web::auth::random_secret()?);
            let id = mamori_core::ids::TokenId::from_uuid(uuid_v7());
            let ctx = Ctx { org: person.org, actor: Some(person.id), role: None, at: OffsetDateTime::now_utc() };
            store.create_api_token(&ctx, id, &name, &mamori_web::auth::secret_hash(&secret)).await?;
            if json {
                println!("{}", serde_json::json!({"token": secret, "id": id, "person": person.id}));
            } else {
                println!("{secret}");
            }
            Ok(())
        }
        Command::Backup { data, out, json } => {
            let store = open(&data).await?;
            store.backup_to(&out).await?;
            if json {
                println!("{}", serde_json::json!({"backup": out.display().to_string()}));
            } else {
                println!("バックアップを作成しました / Backup written: {}", out.display());
            }
            Ok(())
        }
    }
}

async fn serve(store: Store, config: WebConfig, listen: SocketAddr) -> Result<(), UserError> {
    let state = AppState::new(store, library()?, config);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| UserError::new(format!("{listen} で待ち受けできません: {e}"), format!("Cannot listen on {listen}: {e}")))?;
    tracing::info!(%listen, "serving");
    mamori_web::serve(listener, state)
        .await
        .map_err(|e| UserError::new(format!("サーバーが停止しました: {e}"), format!("The server stopped: {e}")))
}

/// A random password that satisfies the privileged-account policy.
fn generate_password() -> Result<String, UserError> {
    let secret = mamori_web::auth::random_secret()?;
    Ok(format!("Mm-{}9!", &secret[..16]))
}

fn system_ctx(org: OrgId) -> Ctx {
    Ctx { org, actor: None, role: None, at: OffsetDateTime::now_utc() }
}

/// Creates an organisation and its first 情報セキュリティ責任者.
async fn init(
    store: &Store,
    config: &WebConfig,
    slug: &str,
    name: &str,
    email: &str,
    admin_name: &str,
    password: &str,
) -> Result<(OrgId, PersonId), UserError> {
    let valid_slug = !slug.is_empty() && slug.len() <= 40 && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_slug {
        return Err(UserError::new(
            format!("組織コード「{slug}」は英小文字・数字・ハイフンで 40 文字以内にしてください"),
            format!("The organisation code \"{slug}\" must be lower-case letters, digits and hyphens, at most 40 characters"),
        ));
    }
    let email = Email::parse(email)?;
    let org = OrgId::from_uuid(uuid_v7());
    store.create_organisation(&system_ctx(org), slug, name).await?;
    let person = PersonId::from_uuid(uuid_v7());
    let hash = mamori_web::auth::hash_password(config, password).await?;
    store
        .create_person(
            &system_ctx(org),
            &NewPerson {
                id: person,
                email,
                display_name: admin_name.to_string(),
                password_hash: hash,
                must_change_password: true,
                roles: vec![RoleAssignment { role: RoleKey::parse("ciso")?, unit: None }],
            },
        )
        .await?;
    Ok((org, person))
}

fn uuid_v7() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// The person named by `--as`, with their roles, as core's `Actor`.
/// The person with this e-mail address, with their organisation and roles.
pub(crate) async fn actor_by_email(store: &Store, email: &str) -> Result<mamori_core::person::Actor, UserError> {
    let email = Email::parse(email)?;
    let record = store
        .sign_in_record(&email)
        .await?
        .ok_or_else(|| UserError::new(format!("{email} の利用者は登録されていません"), format!("No person is registered with {email}")))?;
    let person = record.person;
    let roles = store.roles_of(person.org, person.id).await?;
    Ok(mamori_core::person::Actor { org: person.org, person: person.id, roles })
}

async fn acting(store: &Store, args: &ActingArgs) -> Result<(mamori_core::person::Actor, mamori_core::Lang), UserError> {
    let actor = actor_by_email(store, &args.acting).await?;
    let lang = mamori_core::Lang::parse(&args.lang).ok_or_else(|| {
        UserError::new(format!("言語「{}」は ja か en にしてください", args.lang), format!("Language \"{}\" must be ja or en", args.lang))
    })?;
    Ok((actor, lang))
}

async fn register_command(command: RegisterCommand) -> Result<(), UserError> {
    let library = library()?;
    match command {
        RegisterCommand::Export { data, acting: args, out, format, json } => {
            let store = open(&data).await?;
            let (actor, lang) = acting(&store, &args).await?;
            let register = library.register(&args.register)?;
            let table = mamori_web::registers_io::export_table(&store, &library, &actor, register, lang).await?;
            let format = format.or_else(|| out.extension().map(|e| e.to_string_lossy().to_lowercase())).unwrap_or_default();
            let bytes = match format.as_str() {
                "xlsx" => mamori_interop::register_export::export_xlsx(register.name().get(lang), &table)
                    .map_err(|e| UserError::new(e.text().ja, e.text().en))?,
                "csv" => mamori_interop::register_export::export_csv(&table),
                other => {
                    return Err(UserError::new(
                        format!("形式「{other}」には対応していません（xlsx または csv）"),
                        format!("The format \"{other}\" is not supported (xlsx or csv)"),
                    ));
                }
            };
            std::fs::write(&out, bytes).map_err(|e| {
                UserError::new(format!("{} に書き込めません: {e}", out.display()), format!("Cannot write {}: {e}", out.display()))
            })?;
            if json {
                println!("{}", serde_json::json!({"file": out.display().to_string(), "rows": table.rows.len()}));
            } else {
                println!(
                    "{} 件を {} に書き出しました / Wrote {} rows to {}",
                    table.rows.len(),
                    out.display(),
                    table.rows.len(),
                    out.display()
                );
            }
            Ok(())
        }
        RegisterCommand::Import { data, acting: args, file, dry_run, json } => {
            let store = open(&data).await?;
            let (actor, lang) = acting(&store, &args).await?;
            let register = library.register(&args.register)?;
            let bytes = std::fs::read(&file).map_err(|e| {
                UserError::new(format!("{} を読めません: {e}", file.display()), format!("Cannot read {}: {e}", file.display()))
            })?;
            let table = mamori_interop::register_import::read_table(&bytes, &mamori_interop::register_import::ImportLimits::default())
                .map_err(|e| UserError::new(e.text().ja, e.text().en))?;
            let rows = mamori_interop::register_import::map_to_register(register, &table).map_err(|problems| {
                let ja: Vec<String> = problems.iter().map(|p| p.text.ja.clone()).collect();
                let en: Vec<String> = problems.iter().map(|p| p.text.en.clone()).collect();
                UserError::new(ja.join("\n"), en.join("\n"))
            })?;
            let checked = mamori_web::registers_io::check_import(&store, &library, &actor, lang, register, &rows).await?;
            let problems: Vec<serde_json::Value> = checked
                .rows
                .iter()
                .filter(|r| !r.errors.is_empty())
                .map(|r| serde_json::json!({"row": r.number, "errors": r.errors}))
                .collect();
            let written = if checked.bad == 0 && !dry_run {
                let ctx = Ctx { org: actor.org, actor: Some(actor.person), role: None, at: OffsetDateTime::now_utc() };
                store.import_records(&ctx, register, &checked.writes, &file.display().to_string()).await?
            } else {
                0
            };
            if json {
                println!(
                    "{}",
                    serde_json::json!({"rows": checked.rows.len(), "bad": checked.bad, "written": written, "dry_run": dry_run, "problems": problems})
                );
            } else {
                for r in checked.rows.iter().filter(|r| !r.errors.is_empty()) {
                    println!("{} {}: {}", r.number, if lang == mamori_core::Lang::Ja { "行目" } else { "row" }, r.errors.join(" / "));
                }
                println!(
                    "{} 行中 {} 行に誤り、{} 件を書き込みました / {} rows, {} with errors, {} written",
                    checked.rows.len(),
                    checked.bad,
                    written,
                    checked.rows.len(),
                    checked.bad,
                    written
                );
            }
            if checked.bad > 0 {
                Err(UserError::new(
                    format!("{} 行に誤りがあるため、何も書き込んでいません", checked.bad),
                    format!("{} rows have errors; nothing was written", checked.bad),
                ))
            } else {
                Ok(())
            }
        }
    }
}
