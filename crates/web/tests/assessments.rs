//! The assessment flow end to end through HTTP: the CISO starts an assessment of Kubota's
//! standard for 営業部 (labels 1 and 2), assigns a label to the security officer, who answers
//! every item, attaches evidence (a file, a link, the same file again on another item), and asks
//! for review; the department head approves and submits; answers of a submitted assessment are
//! refused; the evidence downloads only for those who may see the assessment; next year's
//! assessment starts from these answers and the comparison lists what changed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

mod support;

use support::{TestApp, location};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

async fn form(client: &reqwest::Client, url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    client.post(url).form(fields).send().await.unwrap()
}

fn file_form(csrf: &str, name: &str, bytes: &[u8]) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .part("file", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()))
}

/// The item refs listed on a checklist page, in order.
fn item_refs(html: &str, id: &str) -> Vec<String> {
    let marker = format!("href=\"/assessments/{id}/items/");
    let items = html.split_once("<ul class=\"items\">").map_or("", |(_, rest)| rest);
    let mut refs: Vec<String> = items.split(&marker).skip(1).filter_map(|s| s.split('"').next()).map(str::to_string).collect();
    refs.dedup();
    refs
}

#[tokio::test]
async fn a_checklist_is_answered_with_evidence_reviewed_submitted_and_carried_into_next_year() {
    let app = TestApp::spawn().await;
    let (ciso, ciso_csrf) = app.login_as("ciso").await;
    let sales = app.sales.to_string();

    // Start: Kubota 2.0, labels 1 and 2, for 営業部.
    let page = ciso.get(app.url("/assessments/new")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let created = form(
        &ciso,
        &app.url("/assessments"),
        &[
            ("csrf", &ciso_csrf),
            ("catalog", "kubota-supplier@2.0"),
            ("name", "クボタ様 情報セキュリティ対策基準 回答"),
            ("period", "2026年度"),
            ("unit", &sales),
            ("group", "L1"),
            ("group", "L2"),
            ("due", "2027-01-31"),
        ],
    )
    .await;
    assert_eq!(created.status(), 303, "{:?}", created.text().await);
    let url = location(&created).unwrap();
    let id = url.trim_start_matches("/assessments/").to_string();
    let page = ciso.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    let refs = item_refs(&page, &id);
    assert!(refs.len() >= 4, "labels 1 and 2 hold several items: {refs:?}");
    assert!(refs.iter().all(|r| !r.contains('L')), "only requirements are items");
    assert!(page.contains("2027-01-31"));

    // A bad form is shown again with its error and nothing is created.
    let bad = form(
        &ciso,
        &app.url("/assessments"),
        &[("csrf", &ciso_csrf), ("catalog", "kubota-supplier@2.0"), ("name", ""), ("period", "2026年度")],
    )
    .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("評価の名前"));

    // Assign label 1 to the security officer of 営業部.
    let officer_id = app.people["officer"].id.to_string();
    let assigned = form(
        &ciso,
        &app.url(&format!("{url}/assign")),
        &[("csrf", &ciso_csrf), ("group", "L1"), ("assignee", &officer_id), ("due", "2027-01-15")],
    )
    .await;
    assert_eq!(assigned.status(), 303);

    // The officer sees their items and answers every one.
    let (officer, officer_csrf) = app.login_as("officer").await;
    let mine = officer.get(app.url(&format!("{url}?filter=mine"))).send().await.unwrap().text().await.unwrap();
    let my_refs = item_refs(&mine, &id);
    assert!(!my_refs.is_empty() && my_refs.len() < refs.len(), "label 1 only: {my_refs:?}");
    let version = |html: &str| {
        let v = html.split("name=\"version\" value=\"").nth(1).and_then(|s| s.split('"').next());
        v.unwrap_or_else(|| panic!("no version in {}", html.chars().take(3000).collect::<String>())).to_string()
    };
    for (i, r) in refs.iter().enumerate() {
        let value = if i == 1 { "not_done" } else { "done" };
        // Assigned items are at version 1 already; the form carries the version it was read at.
        let item = officer.get(app.url(&format!("{url}/items/{r}"))).send().await.unwrap().text().await.unwrap();
        let v = version(&item);
        let answered = form(
            &officer,
            &app.url(&format!("{url}/items/{r}/answer")),
            &[
                ("csrf", &officer_csrf),
                ("version", &v),
                ("answerer", "primary"),
                ("value", value),
                ("comment", "情報セキュリティ基本方針 第3条"),
            ],
        )
        .await;
        assert_eq!(answered.status(), 303, "item {r}: {:?}", answered.text().await);
    }
    // A form read before the last change (a stale version) is refused, not lost.
    let stale = form(
        &officer,
        &app.url(&format!("{url}/items/{}/answer", refs[0])),
        &[("csrf", &officer_csrf), ("version", "1"), ("value", "partial")],
    )
    .await;
    assert_eq!(stale.status(), 409);
    // A value outside the scale is a clear error.
    let wrong = form(
        &officer,
        &app.url(&format!("{url}/items/{}/answer", refs[0])),
        &[("csrf", &officer_csrf), ("version", "2"), ("value", "たぶん")],
    )
    .await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.unwrap().contains("回答の選択肢にありません"));

    // Evidence: a PDF on the first item, the same file on the second (one stored file), a link.
    let item0 = app.url(&format!("{url}/items/{}/evidence", refs[0]));
    let added = officer.post(&item0).multipart(file_form(&officer_csrf, "情報セキュリティ基本方針.pdf", PDF)).send().await.unwrap();
    assert_eq!(added.status(), 303, "{:?}", added.text().await);
    let item1 = app.url(&format!("{url}/items/{}/evidence", refs[1]));
    let again = officer.post(&item1).multipart(file_form(&officer_csrf, "情報セキュリティ基本方針.pdf", PDF)).send().await.unwrap();
    assert_eq!(again.status(), 303);
    let link = reqwest::multipart::Form::new()
        .text("csrf", officer_csrf.clone())
        .text("url", "https://intra.example.jp/policy")
        .text("title", "社内ポータルの方針ページ");
    assert_eq!(officer.post(&item0).multipart(link).send().await.unwrap().status(), 303);
    // Refused with a clear error: a program named .pdf, a PDF named .exe, an empty file, a name
    // with folders, a file over the limit.
    for (name, bytes, status, words) in [
        ("policy.pdf", b"MZ\x90\x00\x03\x00\x00\x00".as_slice(), 422, "受け付けられない種類"),
        ("policy.exe", PDF, 422, "拡張子"),
        ("empty.pdf", b"".as_slice(), 422, "ファイルを選ぶか"),
        ("../../etc/passwd.pdf", PDF, 422, "ファイル名"),
        ("..\\boot.pdf", PDF, 422, "ファイル名"),
    ] {
        let refused = officer.post(&item0).multipart(file_form(&officer_csrf, name, bytes)).send().await.unwrap();
        assert_eq!(refused.status(), status, "{name}");
        let body = refused.text().await.unwrap();
        assert!(body.contains(words), "{name}: {}", body.chars().take(400).collect::<String>());
    }
    let item_page = officer.get(app.url(&format!("{url}/items/{}", refs[0]))).send().await.unwrap().text().await.unwrap();
    let download =
        item_page.split(&format!("href=\"/assessments/{id}/evidence/")).nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    let evidence_url = app.url(&format!("/assessments/{id}/evidence/{download}"));
    let got = officer.get(&evidence_url).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert_eq!(got.bytes().await.unwrap().as_ref(), PDF);
    // Not for those who may not see the assessment: an employee, another organisation, nobody.
    for who in ["emp_sales", "emp_hr", "ciso_b", "nobody", "buyer"] {
        let (client, _) = app.login_as(who).await;
        let status = client.get(&evidence_url).send().await.unwrap().status();
        assert!(status == 404 || status == 403, "{who}: {status}");
        let status = client.get(app.url(&url)).send().await.unwrap().status();
        assert!(status == 404 || status == 403, "{who} sees the assessment: {status}");
    }

    // Review: the officer asks; the head approves an item and submits.
    let page = officer.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("ギャップ"), "the 必須 未実施 item is a gap");
    let v = version(&page);
    let moved = form(
        &officer,
        &app.url(&format!("{url}/transition")),
        &[("csrf", &officer_csrf), ("version", &v), ("transition", "request_review")],
    )
    .await;
    assert_eq!(moved.status(), 303);
    // The officer may not submit (and is offered no button for it).
    let page = officer.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("value=\"submit\""));
    let refused =
        form(&officer, &app.url(&format!("{url}/transition")), &[("csrf", &officer_csrf), ("version", "2"), ("transition", "submit")])
            .await;
    assert_eq!(refused.status(), 403);
    let (head, head_csrf) = app.login_as("head").await;
    let approved = form(&head, &app.url(&format!("{url}/items/{}/approve", refs[0])), &[("csrf", &head_csrf)]).await;
    assert_eq!(approved.status(), 303);
    // The officer cannot approve their own answer even as a reviewer would: the head can, once.
    let page = head.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("承認済"));
    let v = version(&page);
    let submitted =
        form(&head, &app.url(&format!("{url}/transition")), &[("csrf", &head_csrf), ("version", &v), ("transition", "submit")]).await;
    assert_eq!(submitted.status(), 303, "{:?}", submitted.text().await);
    let page = head.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("提出済"));
    // Submitted: answers are refused until it is reopened.
    let late = form(
        &officer,
        &app.url(&format!("{url}/items/{}/answer", refs[0])),
        &[("csrf", &officer_csrf), ("version", "4"), ("value", "partial")],
    )
    .await;
    assert_eq!(late.status(), 422);
    assert!(late.text().await.unwrap().contains("再開"));

    // The gap list becomes corrective actions, owned by the officer; the officer closes one.
    let planned = form(
        &ciso,
        &app.url(&format!("{url}/actions")),
        &[("csrf", &ciso_csrf), ("owner", &officer_id), ("due", "2027-03-31"), ("text", "方針の年次見直しを委員会の議題にする")],
    )
    .await;
    assert_eq!(planned.status(), 303);
    let page = ciso.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    let actions = page.split_once("id=\"actions\"").map_or("", |(_, rest)| rest).split_once("<h2").map_or("", |(a, _)| a);
    assert!(actions.contains("方針の年次見直しを委員会の議題にする") && actions.contains("2027-03-31"), "{actions}");
    let closed = form(
        &officer,
        &app.url(&format!("{url}/items/{}/action", refs[1])),
        &[
            ("csrf", &officer_csrf),
            ("text", "委員会で見直し済（2027年2月）"),
            ("owner", &officer_id),
            ("due", "2027-03-31"),
            ("status", "done"),
        ],
    )
    .await;
    assert_eq!(closed.status(), 303);
    let page = ciso.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("委員会で見直し済（2027年2月）"));

    // The requirement's catalog page names the assessments that answer it, with the answer.
    let requirement = ciso.get(app.url(&format!("/catalogs/kubota-supplier/2.0/{}", refs[1]))).send().await.unwrap().text().await.unwrap();
    let used = requirement.split_once("この要求事項に回答している評価").map_or("", |(_, rest)| rest);
    assert!(used.contains("クボタ様 情報セキュリティ対策基準 回答") && used.contains("未実施"), "{used}");

    // The list shows it with its score and gaps.
    let list = ciso.get(app.url("/assessments")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("クボタ様 情報セキュリティ対策基準 回答") && list.contains("提出済"));

    // Next year starts from these answers; the comparison lists the one change made.
    let next = form(
        &ciso,
        &app.url("/assessments"),
        &[
            ("csrf", &ciso_csrf),
            ("catalog", "kubota-supplier@2.0"),
            ("name", "クボタ様 回答"),
            ("period", "2027年度"),
            ("unit", &sales),
            ("group", "L1"),
            ("group", "L2"),
            ("previous", &id),
        ],
    )
    .await;
    assert_eq!(next.status(), 303);
    let next_url = location(&next).unwrap();
    let next_id = next_url.trim_start_matches("/assessments/").to_string();
    let page = ciso.get(app.url(&format!("{next_url}?filter=unanswered"))).send().await.unwrap().text().await.unwrap();
    assert!(item_refs(&page, &next_id).is_empty(), "every answer was carried");
    let same = ciso.get(app.url(&format!("{next_url}/compare?with={id}"))).send().await.unwrap().text().await.unwrap();
    assert!(same.contains("回答に違いはありません"));
    let improved = form(
        &ciso,
        &app.url(&format!("{next_url}/items/{}/answer", refs[1])),
        &[("csrf", &ciso_csrf), ("version", "1"), ("value", "done"), ("comment", "情報セキュリティ基本方針 第3条")],
    )
    .await;
    assert_eq!(improved.status(), 303);
    let diff = ciso.get(app.url(&format!("{next_url}/compare?with={id}"))).send().await.unwrap().text().await.unwrap();
    assert!(diff.contains("改善 1"), "{}", diff.chars().take(2000).collect::<String>());

    // Suggestions: the same requirement answered in last year's assessment, with its evidence,
    // which can be reused here in one click.
    let item = ciso.get(app.url(&format!("{next_url}/items/{}", refs[0]))).send().await.unwrap().text().await.unwrap();
    assert!(item.contains("他の評価での回答") && item.contains("この回答を使う"), "a suggestion is offered");
    let reuse = reqwest::multipart::Form::new().text("csrf", ciso_csrf.clone()).text("existing", download.clone()).text("from", id.clone());
    let reused = ciso.post(app.url(&format!("{next_url}/items/{}/evidence", refs[2]))).multipart(reuse).send().await.unwrap();
    assert_eq!(reused.status(), 303, "evidence of last year's assessment is attached");
    let unknown = "01900000-0000-7000-8000-000000000001";
    let forged = reqwest::multipart::Form::new().text("csrf", ciso_csrf.clone()).text("existing", unknown).text("from", id.clone());
    let status = ciso.post(app.url(&format!("{next_url}/items/{}/evidence", refs[3]))).multipart(forged).send().await.unwrap().status();
    assert_eq!(status, 404, "evidence the named assessment does not use is not reachable through it");

    // The PDF report embeds its Japanese font (checked by poppler in crates/report's tests).
    let pdf = ciso.get(app.url(&format!("{url}/report.pdf"))).send().await.unwrap();
    if std::path::Path::new(&app.config.report_font).exists() {
        assert_eq!(pdf.status(), 200);
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    } else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI requires the report font {}", app.config.report_font.display());
        eprintln!("SKIP report: {} is missing", app.config.report_font.display());
    }

    // Everything above is in the journal and verifies.
    assert!(app.store.verify().await.unwrap().is_intact());
}

fn sample_workbook() -> Option<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/checklists/supplier-checklist-sample.xlsx");
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => panic!("CI requires {}", path.display()),
        Err(_) => {
            eprintln!("SKIP: {} is missing", path.display());
            None
        }
    }
}

#[tokio::test]
async fn a_customers_workbook_comes_in_is_answered_and_goes_back_filled_in() {
    let Some(original) = sample_workbook() else { return };
    let app = TestApp::spawn().await;
    let (ciso, csrf) = app.login_as("ciso").await;
    assert_eq!(ciso.get(app.url("/assessments/import")).send().await.unwrap().status(), 200);
    let upload = |bytes: Vec<u8>| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("period", "2026年度")
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name("取引先チェックシート.xlsx"))
    };
    // A broken file is shown again with a clear error; nothing is created.
    let broken = ciso.post(app.url("/assessments/import")).multipart(upload(original[..original.len() / 2].to_vec())).send().await.unwrap();
    assert_eq!(broken.status(), 422);
    let body = broken.text().await.unwrap();
    assert!(body.contains("role=\"alert\""), "{}", body.chars().take(500).collect::<String>());
    let imported = ciso.post(app.url("/assessments/import")).multipart(upload(original.clone())).send().await.unwrap();
    assert_eq!(imported.status(), 303, "{:?}", imported.text().await);
    let url = location(&imported).unwrap().split('?').next().unwrap().to_string();
    let id = url.trim_start_matches("/assessments/").to_string();
    let page = ciso.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("○ / × / 該当なし"), "the workbook's drop-down is the scale");
    let refs = item_refs(&page, &id);
    assert!(refs.len() >= 30, "{}", refs.len());
    // The same file again is the same catalog edition: refused with a clear message.
    let again = ciso.post(app.url("/assessments/import")).multipart(upload(original.clone())).send().await.unwrap();
    assert_eq!(again.status(), 422);
    assert!(again.text().await.unwrap().contains("すでに取り込まれています"));

    // Answer the first and the last item, with comments.
    let (first, last) = (refs[0].clone(), refs[refs.len() - 1].clone());
    for (r, value, comment) in [(&first, "○", "情報セキュリティ基本方針"), (&last, "×", "手順書は作成中")] {
        let item = ciso.get(app.url(&format!("{url}/items/{r}"))).send().await.unwrap().text().await.unwrap();
        assert!(item.contains(&format!("value=\"{value}\"")), "the workbook's values are the choices");
        let done = form(
            &ciso,
            &app.url(&format!("{url}/items/{r}/answer")),
            &[("csrf", &csrf), ("version", ""), ("value", value), ("comment", comment)],
        )
        .await;
        assert_eq!(done.status(), 303, "{r}");
    }
    // The rest of the flow: every other item answered, evidence on the first, the officer's
    // review, submission; then the workbook goes back to the customer.
    for r in &refs[1..refs.len() - 1] {
        let done = form(&ciso, &app.url(&format!("{url}/items/{r}/answer")), &[("csrf", &csrf), ("version", ""), ("value", "○")]).await;
        assert_eq!(done.status(), 303, "{r}");
    }
    let evidence = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 policy".to_vec()).file_name("基本方針.pdf"));
    assert_eq!(ciso.post(app.url(&format!("{url}/items/{first}/evidence"))).multipart(evidence).send().await.unwrap().status(), 303);
    for (transition, version) in [("request_review", "1"), ("submit", "2")] {
        let moved =
            form(&ciso, &app.url(&format!("{url}/transition")), &[("csrf", &csrf), ("version", version), ("transition", transition)]).await;
        assert_eq!(moved.status(), 303, "{transition}");
    }
    let page = ciso.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("workbook.xlsx") && page.contains("提出済"));
    let exported = ciso.get(app.url(&format!("{url}/workbook.xlsx"))).send().await.unwrap();
    assert_eq!(exported.status(), 200);
    let filled = exported.bytes().await.unwrap().to_vec();
    // Read back: the answers are in the workbook as its drop-down spells them.
    let checklist = mamori_interop::read_checklist(&filled, &mamori_interop::ChecklistOptions::new("x", "1"), &Default::default()).unwrap();
    let by_no = |no: &str| checklist.items.iter().find(|i| i.number == no).unwrap().clone();
    assert_eq!((by_no(&first).answer.as_str(), by_no(&first).comment.as_str()), ("○", "情報セキュリティ基本方針"));
    assert_eq!((by_no(&last).answer.as_str(), by_no(&last).comment.as_str()), ("×", "手順書は作成中"));
    assert_eq!(checklist.items.iter().filter(|i| !i.answer.is_empty()).count(), refs.len(), "every item answered, nothing else");
    // Not for those who may not see it.
    let (other, _) = app.login_as("ciso_b").await;
    assert_eq!(other.get(app.url(&format!("{url}/workbook.xlsx"))).send().await.unwrap().status(), 404);
    assert!(app.store.verify().await.unwrap().is_intact());
}

#[tokio::test]
async fn evidence_over_the_size_limit_is_refused_with_its_limit() {
    let config = mamori_web::WebConfig { max_evidence_bytes: 1024 * 1024, ..Default::default() };
    let app = TestApp::spawn_with(config).await;
    let (ciso, csrf) = app.login_as("ciso").await;
    let created = form(
        &ciso,
        &app.url("/assessments"),
        &[("csrf", &csrf), ("catalog", "kubota-supplier@2.0"), ("name", "上限"), ("period", "2026年度"), ("group", "L1")],
    )
    .await;
    let url = location(&created).unwrap();
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(1024 * 1024 + 1, b'x');
    let refused =
        ciso.post(app.url(&format!("{url}/items/1/evidence"))).multipart(file_form(&csrf, "大きい.pdf", &big)).send().await.unwrap();
    assert_eq!(refused.status(), 413);
    assert!(refused.text().await.unwrap().contains("上限 1 MB"));
    let item = ciso.get(app.url(&format!("{url}/items/1"))).send().await.unwrap().text().await.unwrap();
    assert!(item.contains("証跡はまだありません"), "nothing was stored");
}
