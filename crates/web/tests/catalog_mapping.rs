//! Spreadsheet catalog imports through HTTP: CISO Assistant's framework workbook imports as it
//! is; a table laid out like seed 004's (built from `../shared/analysis/seed-004-requirements.json`,
//! with ラベル, 目的 and 要求事項 merged over their rows as customers send it) goes through the
//! mapping step, where a changed role shows in the imported catalog, the mapping is saved for
//! the layout and proposed again for the next file of that layout; bad choices are refused on
//! the page with nothing stored, and an upload is its uploader's only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

mod support;

use std::path::PathBuf;

use rust_xlsxwriter::{Format, Workbook};
use serde_json::Value;
use support::{TestApp, hidden_value as hidden, location, selected_roles};

/// A file of `../shared/`, or `None` (after saying so) when the shared data is not there. In CI
/// it must be.
fn shared(relative: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(relative);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => panic!("CI requires ../shared/{relative}"),
        Err(_) => {
            eprintln!("SKIP: ../shared/{relative} is missing");
            None
        }
    }
}

fn s<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}

/// Seed 004's table as customers send it: a title row, the header in row 4, the data from row 5;
/// ラベル, 目的 and 要求事項 merged over the rows they cover.
fn kubota_workbook(rows: &[Value]) -> Vec<u8> {
    const FIRST: u32 = 4; // 0-based row of the first data row (Excel row 5)
    let mut book = Workbook::new();
    let merged = Format::new().set_text_wrap();
    let sheet = book.add_worksheet();
    sheet.set_name("対策基準").unwrap();
    sheet.merge_range(0, 0, 0, 6, "クボタグループ お取引先様向け 情報セキュリティ対策基準", &merged).unwrap();
    for (j, h) in ["ラベル", "目的", "要求事項", "No.", "回答対象", "達成条件", "達成基準"].iter().enumerate() {
        sheet.write_string(3, j as u16, *h).unwrap();
    }
    // Runs of consecutive rows with the same value (within the same label), merged.
    for (col, key) in [(0u16, "label"), (1, "purpose"), (2, "requirement")] {
        let value = |r: &Value| format!("{}\u{1}{}", s(r, "label").unwrap_or_default(), s(r, key).unwrap_or_default());
        let mut start = 0;
        for i in 1..=rows.len() {
            if i < rows.len() && value(&rows[i]) == value(&rows[start]) {
                continue;
            }
            let text = s(&rows[start], key).unwrap_or_default();
            if i - 1 == start {
                if !text.is_empty() {
                    sheet.write_string(FIRST + start as u32, col, text).unwrap();
                }
            } else {
                sheet.merge_range(FIRST + start as u32, col, FIRST + i as u32 - 1, col, text, &merged).unwrap();
            }
            start = i;
        }
    }
    for (i, r) in rows.iter().enumerate() {
        let row = FIRST + i as u32;
        sheet.write_number(row, 3, r["no"].as_u64().unwrap() as f64).unwrap();
        sheet.write_string(row, 4, s(r, "answer_target").unwrap()).unwrap();
        if let Some(condition) = s(r, "condition") {
            sheet.write_string(row, 5, condition).unwrap();
        }
        sheet.write_string(row, 6, s(r, "criteria").unwrap_or_default()).unwrap();
    }
    book.save_to_buffer().unwrap()
}

fn seed_004() -> Option<Vec<Value>> {
    let rows: Vec<Value> = serde_json::from_slice(&shared("analysis/seed-004-requirements.json")?).unwrap();
    assert_eq!(rows.len(), 153);
    Some(rows)
}

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    name: &str,
    bytes: Vec<u8>,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf.to_string()).text("format", "auto");
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    client.post(app.url("/catalogs/import")).multipart(form).send().await.unwrap()
}

/// A refused confirmation: the roles, the fields besides the catalog's, the message expected.
type Refusal<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

async fn get(client: &reqwest::Client, url: String) -> (u16, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Confirms a mapping page with these roles (by column, from 1) and catalog fields.
async fn confirm(
    app: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    url: &str,
    page: &str,
    roles: &[&str],
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(String, String)> =
        vec![("csrf".into(), csrf.into()), ("sheet".into(), hidden(page, "sheet")), ("header_row".into(), hidden(page, "header_row"))];
    form.extend(roles.iter().enumerate().map(|(j, r)| (format!("role-{}", j + 1), r.to_string())));
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    // The page's own sheet and header row unless the caller gives others.
    form.reverse();
    let mut seen = std::collections::HashSet::new();
    form.retain(|(k, _)| seen.insert(k.clone()));
    client.post(app.url(url)).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn ciso_assistants_example_framework_imports_without_a_mapping_step() {
    let Some(bytes) = shared("testdata/ciso-assistant/example_framework.xlsx") else { return };
    let app = TestApp::spawn().await;
    let (ciso, csrf) = app.login_as("ciso").await;
    let response = upload(&app, &ciso, &csrf, "example_framework.xlsx", bytes, &[]).await;
    assert_eq!(response.status(), 303, "CISO Assistant's workbook is recognised and imported at once");
    let to = location(&response).unwrap();
    assert_eq!(to, "/catalogs/my-framework-example-1/1?imported=1");
    let (status, tree) = get(&ciso, app.url(&to)).await;
    assert_eq!(status, 200);
    assert!(tree.contains("要求事項 27") && tree.contains("グループ 11"), "{}", &tree[..tree.len().min(2000)]);
    assert!(tree.contains("Example Framework"));
    assert!(app.store.sheet_mappings(app.org_a).await.unwrap().is_empty(), "no mapping is saved for it");
}

#[tokio::test]
async fn a_table_like_seed_004s_is_mapped_imported_and_its_mapping_proposed_again() {
    let Some(rows) = seed_004() else { return };
    let app = TestApp::spawn().await;
    let (ciso, csrf) = app.login_as("ciso").await;
    let fields = [("key", "kubota-sheet"), ("name", "クボタ対策基準（取引先から受領）"), ("edition", "2.0")];
    let response = upload(&app, &ciso, &csrf, "kubota.xlsx", kubota_workbook(&rows), &fields).await;
    assert_eq!(response.status(), 303, "a table goes to the mapping step: {}", response.text().await.unwrap());
    let step = location(&response).unwrap();
    assert!(step.starts_with("/catalog-imports/"), "{step}");
    assert!(app.store.catalogs(app.org_a).await.unwrap().is_empty(), "nothing is imported before the person confirms");

    // The step: the sheet, the header row, the first rows, the guessed roles.
    let (status, page) = get(&ciso, app.url(&step)).await;
    assert_eq!(status, 200);
    assert!(page.contains("見出しから推測した対応付けです"), "{}", &page[..page.len().min(3000)]);
    assert!(page.contains("<option value=\"対策基準\" selected>"));
    assert_eq!(hidden(&page, "header_row"), "4");
    assert!(page.contains("1 方針") && page.contains("自社の情報セキュリティ対応方針(ポリシー)を策定している"), "the preview");
    assert!(page.contains("value=\"kubota-sheet\""), "the catalog's key as given on upload");
    let guessed = selected_roles(&page);
    assert_eq!(guessed, ["group", "purpose", "group", "ref", "answer_target", "text", "criteria"]);

    // Refused with a clear message, nothing stored: no requirement column, a role given twice,
    // a header row outside the sheet, an unknown sheet.
    let before = app.store.journal_length(app.org_a).await.unwrap();
    let cases: [Refusal; 4] = [
        (&["group", "purpose", "group", "ignore", "answer_target", "ignore", "criteria"], &fields, "要求事項を読み取る列がありません"),
        (&["group", "purpose", "group", "ref", "answer_target", "ref", "criteria"], &fields, "列 D と列 F の両方が「No.（番号）」"),
        (&["group", "purpose", "group", "ref", "answer_target", "text", "criteria"], &[("header_row", "999")], "範囲外"),
        (&["group", "purpose", "group", "ref", "answer_target", "text", "criteria"], &[("sheet", "ない")], "シート「ない」がありません"),
    ];
    for (roles, extra, message) in cases {
        let mut all = fields.to_vec();
        all.extend_from_slice(extra);
        let refused = confirm(&app, &ciso, &csrf, &step, &page, roles, &all).await;
        assert_eq!(refused.status(), 422, "{message}");
        let body = refused.text().await.unwrap();
        assert!(body.contains(message) && body.contains("何も保存していません"), "{message}: {}", &body[..body.len().min(3000)]);
    }
    for (query, message) in
        [("?sheet=%E5%AF%BE%E7%AD%96%E5%9F%BA%E6%BA%96&header_row=999", "範囲外"), ("?sheet=nope", "シート「nope」がありません")]
    {
        let (status, body) = get(&ciso, app.url(&format!("{step}{query}"))).await;
        assert_eq!(status, 422, "{query}");
        assert!(body.contains(message), "{query}");
    }
    assert!(app.store.catalogs(app.org_a).await.unwrap().is_empty());
    assert!(app.store.sheet_mappings(app.org_a).await.unwrap().is_empty());
    assert_eq!(app.store.journal_length(app.org_a).await.unwrap(), before, "nothing journaled");

    // Another row as the header: nothing recognised there, every column starts as ignored.
    let (_, title_row) = get(&ciso, app.url(&format!("{step}?sheet=%E5%AF%BE%E7%AD%96%E5%9F%BA%E6%BA%96&header_row=1"))).await;
    assert!(title_row.contains("見出し行を認識できませんでした"));
    assert!(selected_roles(&title_row).iter().all(|r| r == "ignore"));

    // Another person, of either organisation, cannot use this upload.
    let (other, other_csrf) = app.login_as("ciso_b").await;
    let (status, body) = get(&other, app.url(&step)).await;
    assert_eq!(status, 404);
    assert!(body.contains("アップロードしたファイルが見つからないか"));
    let (head, _) = app.login_as("head").await;
    assert_eq!(get(&head, app.url(&step)).await.0, 403, "no right to import");

    // Confirmed with one role changed: 目的 not read.
    let changed = ["group", "ignore", "group", "ref", "answer_target", "text", "criteria"];
    let imported = confirm(&app, &ciso, &csrf, &step, &page, &changed, &fields).await;
    assert_eq!(imported.status(), 303, "{}", imported.text().await.unwrap());
    assert_eq!(location(&imported).unwrap(), "/catalogs/kubota-sheet/2.0?imported=1");
    let catalog = app.store.catalog_edition(app.org_a, "kubota-sheet", "2.0").await.unwrap().expect("imported");
    let stats = catalog.stats();
    assert_eq!((stats.groups, stats.requirements, stats.mandatory, stats.optional), (61, 153, 129, 24));
    assert!(catalog.def().fields.is_empty(), "no 目的 attribute: the column was not read");
    assert!(catalog.node("1").unwrap().fields.is_empty());
    assert_eq!(catalog.def().name.ja.as_deref(), Some("クボタ対策基準（取引先から受領）"));
    let (_, requirement) = get(&ciso, app.url("/catalogs/kubota-sheet/2.0/72")).await;
    assert!(requirement.contains("原典に達成条件の記載なし"), "No. 72 keeps its flag");

    // The mapping is saved for the layout, journaled with the import, and the upload is gone.
    let saved = app.store.sheet_mappings(app.org_a).await.unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].mapping["header_row"], 4);
    assert!(saved[0].mapping.get("attributes").is_none(), "{}", saved[0].mapping);
    assert_eq!(saved[0].updated_by, Some(app.people["ciso"].id));
    let history = app.store.history(app.org_a, "sheet_mapping", &saved[0].layout).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].payload.as_ref().unwrap()["mapping"], saved[0].mapping);
    assert!(app.store.verify().await.unwrap().is_intact());
    assert_eq!(get(&ciso, app.url(&step)).await.0, 404, "a confirmed upload is not kept");

    // The next file of the same layout (fewer rows) starts from the saved mapping.
    let again = upload(&app, &ciso, &csrf, "kubota-part.xlsx", kubota_workbook(&rows[..40]), &[("key", "kubota-sheet")]).await;
    let next = location(&again).unwrap();
    let (status, page) = get(&ciso, app.url(&next)).await;
    assert_eq!(status, 200);
    assert!(page.contains("保存済みの対応付けを使用しています"), "{}", &page[..page.len().min(3000)]);
    assert_eq!(selected_roles(&page), changed);
    // The same edition again is refused on the page; another edition imports.
    let same = confirm(&app, &ciso, &csrf, &next, &page, &changed, &[("key", "kubota-sheet"), ("edition", "2.0")]).await;
    assert_eq!(same.status(), 422);
    assert!(same.text().await.unwrap().contains("すでに取り込まれています"));
    let part = confirm(&app, &ciso, &csrf, &next, &page, &changed, &[("key", "kubota-sheet"), ("edition", "part")]).await;
    assert_eq!(part.status(), 303);
    assert_eq!(app.store.catalog_edition(app.org_a, "kubota-sheet", "part").await.unwrap().unwrap().stats().requirements, 40);
    assert_eq!(app.store.sheet_mappings(app.org_a).await.unwrap().len(), 1, "one mapping per layout");

    // Organisation B's mapping step does not see A's mapping.
    let theirs = upload(&app, &other, &other_csrf, "kubota.xlsx", kubota_workbook(&rows[..10]), &[]).await;
    let (_, page) = get(&other, app.url(&location(&theirs).unwrap())).await;
    assert!(page.contains("見出しから推測した対応付けです"));
    assert_eq!(selected_roles(&page), guessed);
}

/// A CSV whose header nobody recognises is mapped by hand; a key is required.
#[tokio::test]
async fn a_table_without_known_headers_is_mapped_by_hand() {
    let app = TestApp::spawn().await;
    let (ciso, csrf) = app.login_as("ciso").await;
    let csv = "項目コード,確認する内容,メモ\nA-1,鍵を管理している,\nA-2,入退室を記録している,要確認\n";
    let response = upload(&app, &ciso, &csrf, "rules.csv", csv.as_bytes().to_vec(), &[]).await;
    assert_eq!(response.status(), 303);
    let step = location(&response).unwrap();
    let (_, page) = get(&ciso, app.url(&step)).await;
    assert!(page.contains("見出し行を認識できませんでした"));
    assert_eq!(selected_roles(&page), ["ignore", "ignore", "ignore"]);
    let no_key = confirm(&app, &ciso, &csrf, &step, &page, &["ref", "text", "ignore"], &[]).await;
    assert_eq!(no_key.status(), 422);
    assert!(no_key.text().await.unwrap().contains("カタログのキーを指定してください"));
    let done = confirm(&app, &ciso, &csrf, &step, &page, &["ref", "text", "ignore"], &[("key", "house-rules")]).await;
    assert_eq!(done.status(), 303);
    let catalog = app.store.catalog_edition(app.org_a, "house-rules", "1").await.unwrap().unwrap();
    assert_eq!(catalog.node("A-2").unwrap().text.as_ref().and_then(|t| t.ja.as_deref()), Some("入退室を記録している"));
    // An unknown upload id is a clear error, not a crash.
    let (status, body) = get(&ciso, app.url("/catalog-imports/00000000000000000000000000000000")).await;
    assert_eq!(status, 404);
    assert!(body.contains("もう一度ファイルを選んでください"));
    let gone = confirm(&app, &ciso, &csrf, "/catalog-imports/unknown", &page, &["ref", "text"], &[("key", "x")]).await;
    assert_eq!(gone.status(), 404);
}
