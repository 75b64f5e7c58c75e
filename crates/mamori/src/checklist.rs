//! `mamori checklist import | answer | export`: the customer's workbook round trip for scripts.
//! `import` makes the workbook's items the organisation's catalog and starts an assessment of
//! it; `answer` records answers from a CSV (requirement No., status, comment); `export` writes
//! the customer's workbook with the answers filled in. Each acts as `--as EMAIL`, with that
//! person's rights, through the same commands as the pages.

use std::path::PathBuf;

use clap::Subcommand;
use mamori_core::assessment::{AnswerInput, Answerer};
use mamori_core::authz::Action;
use mamori_core::library::Library;
use mamori_store::{Ctx, Store};
use mamori_web::assessments_io as io;
use serde_json::json;
use time::OffsetDateTime;

use crate::{DataArgs, UserError};

#[derive(Subcommand)]
pub(crate) enum ChecklistCommand {
    /// Import a customer's checklist workbook (xlsx): its catalog and an assessment of it.
    Import {
        file: PathBuf,
        /// The person importing (e-mail address); needs assessment.manage and catalog.import.
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
        #[command(flatten)]
        data: DataArgs,
        /// The period answered, e.g. 2026年度 (also the catalog's edition).
        #[arg(long)]
        period: String,
        /// The catalog's key (default: checklist- and the file's hash).
        #[arg(long)]
        key: Option<String>,
        /// The answered sheet (default: the first with a table and an answer column).
        #[arg(long)]
        sheet: Option<String>,
        /// The answer column, as a letter (F) or its header (回答欄).
        #[arg(long)]
        answer_column: Option<String>,
        /// The comment column, as a letter (G) or its header (備考).
        #[arg(long)]
        comment_column: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record answers from a CSV file: requirement No., status, comment (a header row is allowed).
    Answer {
        assessment: String,
        #[arg(long = "from", value_name = "FILE.csv")]
        from: PathBuf,
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        json: bool,
    },
    /// Write the customer's workbook with the answers and comments filled in.
    Export {
        assessment: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long = "as", value_name = "EMAIL")]
        acting: String,
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        json: bool,
    },
}

async fn context(store: &Store, library: &Library, email: &str, action: Action) -> Result<(mamori_core::person::Actor, Ctx), UserError> {
    let actor = crate::actor_by_email(store, email).await?;
    let role = actor
        .roles
        .iter()
        .find(|a| library.role(&a.role).is_some_and(|r| r.grants.iter().any(|g| g.action == action)))
        .map(|a| a.role.clone());
    let ctx = Ctx { org: actor.org, actor: Some(actor.person), role, at: OffsetDateTime::now_utc() };
    Ok((actor, ctx))
}

fn read_file(path: &PathBuf, limit: usize) -> Result<Vec<u8>, UserError> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > limit as u64 {
        return Err(UserError::new(
            format!("{} は大きすぎます（上限 {} MB）", path.display(), limit / (1024 * 1024)),
            format!("{} is too large (limit {} MB)", path.display(), limit / (1024 * 1024)),
        ));
    }
    std::fs::read(path)
        .map_err(|e| UserError::new(format!("{} を読み込めません: {e}", path.display()), format!("Cannot read {}: {e}", path.display())))
}

pub(crate) async fn run(library: &Library, command: ChecklistCommand) -> Result<(), UserError> {
    let limits = mamori_interop::CatalogImportLimits::default();
    match command {
        ChecklistCommand::Import { file, acting, data, period, key, sheet, answer_column, comment_column, json } => {
            let bytes = read_file(&file, limits.max_bytes)?;
            let store = crate::open(&data).await?;
            let (actor, ctx) = context(&store, library, &acting, Action::AssessmentManage).await?;
            let mut options = mamori_interop::ChecklistOptions::new(key.unwrap_or_default(), String::new());
            options.sheet = sheet;
            options.answer_column = answer_column;
            options.comment_column = comment_column;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "checklist.xlsx".into());
            let imported = io::import_checklist(&store, library, &actor, &ctx, bytes, &name, options, &period, None, &limits).await?;
            let c = &imported.checklist;
            let letter = mamori_interop::catalog_error::column_letters;
            if json {
                println!(
                    "{}",
                    json!({
                        "assessment": imported.assessment.id,
                        "catalog": {"key": imported.catalog.key(), "edition": imported.catalog.edition()},
                        "rows": imported.rows,
                        "sheet": c.sheet,
                        "header_row": c.header_row,
                        "answer_column": letter(c.columns.answer),
                        "comment_column": c.columns.comment.map(letter),
                        "choices": c.answer_choices,
                        "answered": imported.assessment.summary.answered,
                    })
                );
            } else {
                println!("評価を作成しました / Assessment created: {}", imported.assessment.id);
                println!("  カタログ / Catalog: {} {}", imported.catalog.key(), imported.catalog.edition());
                println!("  シート / Sheet: {}（見出し行 / header row {}）", c.sheet, c.header_row);
                println!(
                    "  回答欄 / Answer column: {}  備考欄 / Comment column: {}",
                    letter(c.columns.answer),
                    c.columns.comment.map(letter).unwrap_or_else(|| "—".into())
                );
                println!("  項目数 / Items: {}  選択肢 / Choices: {}", imported.rows, c.answer_choices.join(" / "));
            }
            Ok(())
        }
        ChecklistCommand::Answer { assessment, from, acting, data, json } => {
            let bytes = read_file(&from, limits.max_bytes)?;
            let sheet = mamori_interop::catalog_sheet::read_csv(&bytes, &mamori_interop::catalog_sheet::SheetLimits::default())
                .map_err(|e| UserError::from_text(&e.text()))?;
            let store = crate::open(&data).await?;
            let (actor, ctx) = context(&store, library, &acting, Action::AssessmentAnswer).await?;
            let loaded = io::load(&store, library, &actor, &assessment, Action::AssessmentAnswer).await?;
            let nodes = loaded.nodes();
            let rows = sheet.sheets.first().map(|s| s.rows.clone()).unwrap_or_default();
            let mut answers = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                let cell = |c: usize| row.get(c).map(|s| s.trim().to_string()).unwrap_or_default();
                let no = cell(0);
                if no.is_empty() {
                    continue;
                }
                // A first row that names no item is the header.
                if i == 0 && io::find_item(&nodes, &no).is_none() {
                    continue;
                }
                answers.push((no, AnswerInput { answerer: Answerer::Primary, value: cell(1), comment: cell(2) }));
            }
            match io::answer_many(&store, library, &ctx, &loaded, &answers).await {
                Ok((changed, summary)) => {
                    if json {
                        println!(
                            "{}",
                            json!({"assessment": assessment, "rows": answers.len(), "changed": changed, "answered": summary.answered, "items": summary.items})
                        );
                    } else {
                        println!(
                            "{} 行を読み込み、{changed} 項目を更新しました（回答済 {}/{}） / Read {} rows, updated {changed} items ({} of {} answered)",
                            answers.len(),
                            summary.answered,
                            summary.items,
                            answers.len(),
                            summary.answered,
                            summary.items
                        );
                    }
                    Ok(())
                }
                Err(problems) => {
                    let ja: Vec<String> = problems.iter().map(|(no, t)| format!("No. {no}: {}", t.ja)).collect();
                    let en: Vec<String> = problems.iter().map(|(no, t)| format!("No. {no}: {}", t.en)).collect();
                    Err(UserError::new(
                        format!("回答を記録できません（何も変更していません）:\n{}", ja.join("\n")),
                        format!("The answers were not recorded (nothing changed):\n{}", en.join("\n")),
                    ))
                }
            }
        }
        ChecklistCommand::Export { assessment, out, acting, data, json } => {
            let store = crate::open(&data).await?;
            let (actor, _) = context(&store, library, &acting, Action::AssessmentView).await?;
            let loaded = io::load(&store, library, &actor, &assessment, Action::AssessmentView).await?;
            let (_, bytes) = io::export_workbook(&store, &loaded).await?;
            std::fs::write(&out, &bytes).map_err(|e| {
                UserError::new(format!("{} に書き込めません: {e}", out.display()), format!("Cannot write {}: {e}", out.display()))
            })?;
            if json {
                println!("{}", json!({"file": out.display().to_string(), "bytes": bytes.len(), "answered": loaded.row.summary.answered}));
            } else {
                println!("{} に書き出しました / Written to {}", out.display(), out.display());
            }
            Ok(())
        }
    }
}
