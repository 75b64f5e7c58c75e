//! `mamori catalog list | show | diff | import | export`. Without `--as`, the built-in catalogs,
//! read without a database; with `--as EMAIL`, also that person's organisation's own, and only
//! what that person may read (or import).

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use mamori_core::Lang;
use mamori_core::catalog::{Catalog, NodeKind, diff, parse_catalog_ref};
use mamori_core::library::Library;
use mamori_interop::CatalogImportLimits;
use mamori_web::catalogs_io::{CatalogFormat, ExportFormat};
use serde_json::json;

use crate::{DataArgs, UserError};

/// Who reads: without `--as`, the built-in library alone.
#[derive(Args, Clone)]
pub(crate) struct Reader {
    /// Read as this person (e-mail address): their organisation's catalogs too, and their rights.
    #[arg(long = "as", value_name = "EMAIL")]
    acting: Option<String>,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Subcommand)]
pub(crate) enum CatalogCommand {
    /// List the catalogs with their editions and counts.
    List {
        #[command(flatten)]
        reader: Reader,
        #[arg(long)]
        json: bool,
    },
    /// Show one catalog (KEY or KEY@EDITION): its header and, with --tree, every group and requirement.
    Show {
        catalog: String,
        #[command(flatten)]
        reader: Reader,
        #[arg(long)]
        tree: bool,
        /// Language of titles (ja or en).
        #[arg(long, default_value = "ja")]
        lang: String,
        #[arg(long)]
        json: bool,
    },
    /// Compare two editions (OLD and NEW, each KEY or KEY@EDITION): added, removed, changed requirements.
    Diff {
        old: String,
        new: String,
        #[command(flatten)]
        reader: Reader,
        #[arg(long)]
        json: bool,
    },
    /// Import a catalog file as the organisation's own (OSCAL catalog or profile, CISO Assistant YAML).
    Import {
        file: PathBuf,
        /// The person importing (e-mail address); needs the catalog.import right.
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
        #[command(flatten)]
        data: DataArgs,
        /// oscal, oscal-profile, ciso, xlsx or csv; guessed from the file when omitted.
        #[arg(long)]
        format: Option<String>,
        /// For a table (xlsx or CSV): the catalog's key.
        #[arg(long)]
        key: Option<String>,
        /// For a table: the catalog's name.
        #[arg(long)]
        name: Option<String>,
        /// For a profile: the catalog it selects from (KEY@EDITION).
        #[arg(long)]
        profile_catalog: Option<String>,
        /// Import under this edition instead of the file's own.
        #[arg(long)]
        edition: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write a catalog (KEY or KEY@EDITION) as OSCAL JSON, CISO Assistant YAML or xlsx.
    Export {
        catalog: String,
        #[command(flatten)]
        reader: Reader,
        /// oscal, ciso or xlsx.
        #[arg(long, default_value = "oscal")]
        format: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

/// The catalogs a reader sees, last edition last.
async fn visible(library: &Library, reader: &Reader) -> Result<Vec<Arc<Catalog>>, UserError> {
    match &reader.acting {
        None => Ok(library.catalogs().to_vec()),
        Some(email) => {
            let store = crate::open(&reader.data).await?;
            let actor = crate::actor_by_email(&store, email).await?;
            let list = mamori_web::catalogs_io::visible_catalogs(&store, library, &actor).await?;
            Ok(list.into_iter().map(|v| v.catalog).collect())
        }
    }
}

fn pick<'a>(catalogs: &'a [Arc<Catalog>], name: &str) -> Result<&'a Catalog, UserError> {
    let (key, edition) = parse_catalog_ref(name);
    mamori_web::catalogs_io::pick(catalogs, key, edition).map(|c| c.as_ref()).ok_or_else(|| {
        UserError::new(
            format!("カタログ「{name}」はありません（mamori catalog list で一覧を表示）"),
            format!("There is no catalog \"{name}\" (mamori catalog list shows them)"),
        )
    })
}

fn header(c: &Catalog) -> serde_json::Value {
    let s = c.stats();
    json!({
        "key": c.key(), "edition": c.edition(), "urn": c.def().urn,
        "name": c.def().name, "publisher": c.def().publisher,
        "classification": c.def().classification.level(), "source": c.def().source,
        "groups": s.groups, "requirements": s.requirements, "mandatory": s.mandatory, "optional": s.optional,
    })
}

pub(crate) async fn run(library: &Library, command: CatalogCommand) -> Result<(), UserError> {
    match command {
        CatalogCommand::List { reader, json } => {
            let catalogs = visible(library, &reader).await?;
            if json {
                let list: Vec<_> = catalogs.iter().map(|c| header(c)).collect();
                println!("{}", json!({ "catalogs": list }));
            } else {
                for c in &catalogs {
                    let s = c.stats();
                    println!(
                        "{:<28} {:<24} {:>4} groups {:>4} requirements  {}",
                        c.key(),
                        c.edition(),
                        s.groups,
                        s.requirements,
                        c.def().name.get(Lang::Ja)
                    );
                }
            }
            Ok(())
        }
        CatalogCommand::Show { catalog, reader, tree, lang, json } => {
            let catalogs = visible(library, &reader).await?;
            let c = pick(&catalogs, &catalog)?;
            let lang = Lang::parse(&lang).unwrap_or_default();
            if json {
                let mut doc = header(c);
                if tree {
                    doc["nodes"] = serde_json::to_value(c.nodes()).unwrap_or_default();
                }
                println!("{doc}");
                return Ok(());
            }
            let s = c.stats();
            println!("{} ({} {})", c.def().name.get(lang), c.key(), c.edition());
            println!("  urn: {}", c.def().urn);
            println!(
                "  {} groups, {} requirements ({} 必須 / mandatory, {} 任意 / optional)",
                s.groups, s.requirements, s.mandatory, s.optional
            );
            println!("  classification: {}", c.def().classification.label().both());
            if let Some(source) = &c.def().source {
                println!("  source: {source}");
            }
            if tree {
                for (depth, node) in c.walk() {
                    let mark = if node.kind == NodeKind::Group { "▸" } else { "-" };
                    println!("{}{mark} {}", "  ".repeat(depth + 1), Catalog::label(node, lang));
                }
            }
            Ok(())
        }
        CatalogCommand::Diff { old, new, reader, json } => {
            let catalogs = visible(library, &reader).await?;
            let (a, b) = (pick(&catalogs, &old)?, pick(&catalogs, &new)?);
            let d = diff(a, b);
            if json {
                let changed: Vec<_> = d.changed.iter().map(|(r, parts)| json!({"ref": r, "parts": parts})).collect();
                println!(
                    "{}",
                    json!({"old": header(a), "new": header(b), "added": d.added, "removed": d.removed, "changed": changed, "unchanged": d.unchanged})
                );
            } else {
                println!(
                    "追加 / added {}, 削除 / removed {}, 変更 / changed {}, 同一 / unchanged {}",
                    d.added.len(),
                    d.removed.len(),
                    d.changed.len(),
                    d.unchanged
                );
                for r in &d.added {
                    println!("+ {r}");
                }
                for r in &d.removed {
                    println!("- {r}");
                }
                for (r, parts) in &d.changed {
                    println!("~ {r} ({})", parts.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "));
                }
            }
            Ok(())
        }
        CatalogCommand::Import { file, acting, data, format, key, name: catalog_name, profile_catalog, edition, json } => {
            let store = crate::open(&data).await?;
            let actor = crate::actor_by_email(&store, &acting).await?;
            let bytes = std::fs::read(&file).map_err(|e| {
                UserError::new(format!("{} を読み込めません: {e}", file.display()), format!("Cannot read {}: {e}", file.display()))
            })?;
            let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let format = match format.as_deref() {
                Some(f) => CatalogFormat::parse(f).ok_or_else(|| {
                    UserError::new(
                        format!("形式「{f}」には対応していません（oscal / oscal-profile / ciso / xlsx / csv）"),
                        format!("The format \"{f}\" is not supported (oscal / oscal-profile / ciso / xlsx / csv)"),
                    )
                })?,
                None => CatalogFormat::guess(&name, &bytes).ok_or_else(|| {
                    UserError::new(
                        "ファイルの形式がわかりません。--format で指定してください",
                        "The file's format is not recognised: give --format",
                    )
                })?,
            };
            let base = match &profile_catalog {
                Some(name) => {
                    let (key, edition) = parse_catalog_ref(name);
                    Some(mamori_web::catalogs_io::find_catalog(&store, library, &actor, key, edition).await?.catalog)
                }
                None => None,
            };
            let limits = CatalogImportLimits::default();
            let sheet = mamori_web::catalogs_io::SheetHeader {
                key: key.unwrap_or_default(),
                edition: edition.clone().unwrap_or_default(),
                name: catalog_name.unwrap_or_default(),
            };
            let mut def = mamori_web::catalogs_io::read_catalog(format, &bytes, base.as_ref().map(|b| b.def()), &sheet, &limits)?;
            drop(bytes);
            def.set_edition(edition.as_deref().unwrap_or_default());
            let stored = mamori_web::catalogs_io::import_catalog(&store, library, &actor, def, &name, &limits).await?;
            let s = stored.catalog.stats();
            if json {
                println!(
                    "{}",
                    json!({"id": stored.id, "key": stored.catalog.key(), "edition": stored.catalog.edition(),
                           "groups": s.groups, "requirements": s.requirements})
                );
            } else {
                println!(
                    "取り込みました / Imported: {} {} ({} groups, {} requirements)",
                    stored.catalog.key(),
                    stored.catalog.edition(),
                    s.groups,
                    s.requirements
                );
            }
            Ok(())
        }
        CatalogCommand::Export { catalog, reader, format, out, json } => {
            let catalogs = visible(library, &reader).await?;
            let c = pick(&catalogs, &catalog)?;
            let format = ExportFormat::parse(&format).ok_or_else(|| {
                UserError::new(
                    format!("形式「{format}」には対応していません（oscal / ciso / xlsx）"),
                    format!("The format \"{format}\" is not supported (oscal / ciso / xlsx)"),
                )
            })?;
            let bytes = mamori_web::catalogs_io::export_catalog(c, format)?;
            std::fs::write(&out, &bytes).map_err(|e| {
                UserError::new(format!("{} に書き込めません: {e}", out.display()), format!("Cannot write {}: {e}", out.display()))
            })?;
            if json {
                println!("{}", json!({"file": out.display().to_string(), "key": c.key(), "edition": c.edition(), "bytes": bytes.len()}));
            } else {
                println!("書き出しました / Written: {}", out.display());
            }
            Ok(())
        }
    }
}
