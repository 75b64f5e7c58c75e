//! `mamori catalog list | show | diff`: the catalogs of the library, read without a database.

use clap::Subcommand;
use mamori_core::Lang;
use mamori_core::catalog::{Catalog, NodeKind, diff, parse_catalog_ref};
use mamori_core::library::Library;
use serde_json::json;

use crate::UserError;

#[derive(Subcommand)]
pub(crate) enum CatalogCommand {
    /// List the catalogs with their editions and counts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one catalog (KEY or KEY@EDITION): its header and, with --tree, every group and requirement.
    Show {
        catalog: String,
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
        #[arg(long)]
        json: bool,
    },
}

fn find<'a>(library: &'a Library, name: &str) -> Result<&'a Catalog, UserError> {
    let (key, edition) = parse_catalog_ref(name);
    library.catalog(key, edition).map(|c| c.as_ref()).ok_or_else(|| {
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

pub(crate) fn run(library: &Library, command: CatalogCommand) -> Result<(), UserError> {
    match command {
        CatalogCommand::List { json } => {
            if json {
                let list: Vec<_> = library.catalogs().iter().map(|c| header(c)).collect();
                println!("{}", json!({ "catalogs": list }));
            } else {
                for c in library.catalogs() {
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
        CatalogCommand::Show { catalog, tree, lang, json } => {
            let c = find(library, &catalog)?;
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
        CatalogCommand::Diff { old, new, json } => {
            let (a, b) = (find(library, &old)?, find(library, &new)?);
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
                    println!("~ {r} ({})", parts.join(", "));
                }
            }
            Ok(())
        }
    }
}
