//! The buyer's side end to end through HTTP: the buyer (委託元) registers two supplier
//! organisations with their first 取引先 accounts, sends them Kubota's standard; one supplier
//! answers every item and submits, the other does not; the dashboard shows both (score and gaps
//! only of the submitted one), the CSV export lists them, the buyer reads the submitted answers
//! but not the unsubmitted ones, reminds the overdue supplier (an e-mail through a local SMTP
//! server the test runs, and a notice in the supplier's list), and keeps findings in the
//! supplier's カルテ. Every supplier-facing route is tried with the other supplier's ids.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

mod support;

use std::sync::{Arc, Mutex};

use support::{TestApp, csrf_of, location};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The messages a sink received: envelope recipients and data.
type Inbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A minimal SMTP server on loopback that accepts every message and keeps it.
async fn smtp_sink() -> (u16, Inbox) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    let keep = inbox.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let keep = keep.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let (mut rcpt, mut data, mut in_data) = (Vec::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            keep.lock().unwrap().push((std::mem::take(&mut rcpt), std::mem::take(&mut data)));
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        rcpt.push(line[8..].trim().trim_matches(|c| c == '<' || c == '>').to_string());
                        b"250 ok\r\n"
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, inbox)
}

async fn post(client: &reqwest::Client, url: String, fields: &[(&str, &str)]) -> reqwest::Response {
    client.post(url).form(fields).send().await.unwrap()
}

/// Signs a new account in and replaces its initial password (the forced first change).
async fn first_sign_in(app: &TestApp, email: &str, password: &str) -> (reqwest::Client, String) {
    let (client, _) = app.sign_in(email, password).await;
    let page = client.get(app.url("/account/password")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&page);
    let new = "Supplier-Pass-2026!x";
    let changed =
        post(&client, app.url("/account/password"), &[("csrf", &csrf), ("current", password), ("new", new), ("confirm", new)]).await;
    assert!(changed.status().is_redirection() || changed.status().is_success(), "{}", changed.status());
    let client = app.login(email, new).await;
    let csrf = app.csrf(&client).await;
    (client, csrf)
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    html.split_once(start).and_then(|(_, rest)| rest.split_once(end)).map_or("", |(x, _)| x)
}

#[tokio::test]
async fn a_buyer_sends_a_checklist_follows_up_and_reads_only_what_was_submitted() {
    let (port, inbox) = smtp_sink().await;
    let smtp = mamori_web::mail::SmtpSettings { host: "127.0.0.1".into(), port, from: "Mamori <mamori@buyer.example>".into() };
    let app = TestApp::spawn_with(mamori_web::WebConfig { smtp: Some(smtp), ..Default::default() }).await;
    let (buyer, csrf) = app.login_as("buyer").await;

    // Register two suppliers; each gets a first account whose password is shown once.
    let mut accounts = Vec::new();
    for (name, slug, email) in
        [("東和精工株式会社", "towa-seiko", "it@towa.example"), ("北斗電子工業", "hokuto-denshi", "sec@hokuto.example")]
    {
        let page = post(
            &buyer,
            app.url("/suppliers"),
            &[("csrf", &csrf), ("name", name), ("slug", slug), ("contact", "情報システム課"), ("email", email)],
        )
        .await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let password = between(&html, "<code>", "</code>").to_string();
        assert!(password.len() >= 12, "the initial password is shown: {password:?}");
        accounts.push((email, password));
    }
    let taken =
        post(&buyer, app.url("/suppliers"), &[("csrf", &csrf), ("name", "重複"), ("slug", "towa-seiko"), ("email", "x@towa.example")])
            .await;
    assert_eq!(taken.status(), 422);

    // Send Kubota's standard, due in the past, so the one who does not answer is overdue.
    let sent = post(
        &buyer,
        app.url("/suppliers/distribute"),
        &[
            ("csrf", &csrf),
            ("catalog", "kubota-supplier@2.0"),
            ("name", "クボタ 取引先点検"),
            ("period", "2026年度"),
            ("due", "2026-06-30"),
        ],
    )
    .await;
    assert_eq!(sent.status(), 303);

    // Supplier 1 answers every item and submits.
    let (s1, s1_csrf) = first_sign_in(&app, accounts[0].0, &accounts[0].1).await;
    let list = s1.get(app.url("/assessments")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("クボタ 取引先点検") && list.contains("A 株式会社"), "the supplier sees what its customer sent");
    let a1 = between(&list, "<td><a href=\"/assessments/", "\"").to_string();
    let page = s1.get(app.url(&format!("/assessments/{a1}"))).send().await.unwrap().text().await.unwrap();
    let refs: Vec<String> = page
        .split(&format!("href=\"/assessments/{a1}/items/"))
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(refs.len(), 153);
    for r in &refs {
        let value = if r == "1" { "not_done" } else { "done" };
        let done =
            post(&s1, app.url(&format!("/assessments/{a1}/items/{r}/answer")), &[("csrf", &s1_csrf), ("version", ""), ("value", value)])
                .await;
        assert_eq!(done.status(), 303, "{r}");
    }
    for (transition, version) in [("request_review", "1"), ("submit", "2")] {
        let moved = post(
            &s1,
            app.url(&format!("/assessments/{a1}/transition")),
            &[("csrf", &s1_csrf), ("version", version), ("transition", transition)],
        )
        .await;
        assert_eq!(moved.status(), 303, "{transition}");
    }

    // Supplier 2 signs in and does nothing; it never sees supplier 1's assessment.
    let (s2, s2_csrf) = first_sign_in(&app, accounts[1].0, &accounts[1].1).await;
    let list2 = s2.get(app.url("/assessments")).send().await.unwrap().text().await.unwrap();
    let a2 = between(&list2, "<td><a href=\"/assessments/", "\"").to_string();
    assert_ne!(a1, a2);
    // Every supplier-facing route with the other supplier's ids: 404 or 403, every time.
    let evidence = "01900000-0000-7000-8000-000000000000";
    let mut probes = 0;
    for (who, client, token, other) in [("s2", &s2, &s2_csrf, &a1), ("s1", &s1, &s1_csrf, &a2)] {
        let base = format!("/assessments/{other}");
        let gets = [
            base.clone(),
            format!("{base}/compare?with={other}"),
            format!("{base}/items/1"),
            format!("{base}/evidence/{evidence}"),
            format!("{base}/workbook.xlsx"),
            format!("{base}/report.pdf"),
            format!("{base}/package.zip"),
        ];
        for path in gets {
            let status = client.get(app.url(&path)).send().await.unwrap().status().as_u16();
            assert!(status == 404 || status == 403, "{who} GET {path}: {status}");
            probes += 1;
        }
        let posts: [(String, Vec<(&str, &str)>); 6] = [
            (format!("{base}/items/1/answer"), vec![("csrf", token), ("version", ""), ("value", "done")]),
            (format!("{base}/items/1/approve"), vec![("csrf", token)]),
            (format!("{base}/items/1/action"), vec![("csrf", token), ("action", "規程を改訂する"), ("owner", ""), ("due", "2027-03-31")]),
            (format!("{base}/assign"), vec![("csrf", token), ("group", "L1"), ("assignee", "")]),
            (format!("{base}/actions"), vec![("csrf", token), ("owner", ""), ("due", "2027-03-31")]),
            (format!("{base}/transition"), vec![("csrf", token), ("version", "1"), ("transition", "request_review")]),
        ];
        for (path, fields) in posts {
            let status = post(client, app.url(&path), &fields).await.status().as_u16();
            assert!(status == 404 || status == 403, "{who} POST {path}: {status}");
            probes += 1;
        }
        let form = reqwest::multipart::Form::new().text("csrf", token.to_string()).text("url", "https://evil.example/");
        let status = client.post(app.url(&format!("{base}/items/1/evidence"))).multipart(form).send().await.unwrap().status().as_u16();
        assert!(status == 404 || status == 403, "{who} POST evidence: {status}");
        probes += 1;
        // The buyer's pages are not theirs either.
        for path in ["/suppliers", "/suppliers/export.csv"] {
            let status = client.get(app.url(path)).send().await.unwrap().status().as_u16();
            assert_eq!(status, 403, "{who} GET {path}");
            probes += 1;
        }
    }
    eprintln!("tenant isolation: {probes} probes of supplier-facing routes with the other supplier's ids, all refused");
    // Nothing changed on the other side.
    assert!(app.store.verify().await.unwrap().is_intact());

    // The dashboard: both suppliers; score and gaps only for the submitted one.
    let dashboard = buyer.get(app.url("/suppliers")).send().await.unwrap().text().await.unwrap();
    assert!(dashboard.contains("東和精工株式会社") && dashboard.contains("北斗電子工業"));
    assert!(dashboard.contains("提出済") && dashboard.contains("期限超過"));
    let towa = between(&dashboard, "東和精工株式会社</a>", "</tr>");
    assert!(towa.contains("%"), "the submitted one has a score: {towa}");
    let hokuto = between(&dashboard, "北斗電子工業</a>", "</tr>");
    assert!(!hokuto.contains('%'), "no score before it is submitted: {hokuto}");
    let overdue = buyer.get(app.url("/suppliers?overdue=1")).send().await.unwrap().text().await.unwrap();
    assert!(overdue.contains("北斗電子工業") && !overdue.contains("東和精工株式会社"), "the overdue filter");
    let csv = buyer.get(app.url("/suppliers/export.csv")).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let csv = csv.bytes().await.unwrap();
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 with BOM for Excel");
    let csv = String::from_utf8(csv.to_vec()).unwrap();
    assert!(csv.contains("東和精工株式会社") && csv.contains("北斗電子工業") && csv.lines().count() == 3);

    // The buyer reads the submitted answers, not the unsubmitted ones, and changes neither.
    assert_eq!(buyer.get(app.url(&format!("/assessments/{a1}"))).send().await.unwrap().status(), 200);
    assert_eq!(buyer.get(app.url(&format!("/assessments/{a1}/items/1"))).send().await.unwrap().status(), 200);
    assert_eq!(buyer.get(app.url(&format!("/assessments/{a2}"))).send().await.unwrap().status(), 404);
    let changed =
        post(&buyer, app.url(&format!("/assessments/{a1}/items/1/answer")), &[("csrf", &csrf), ("version", "1"), ("value", "done")]).await;
    assert_eq!(changed.status(), 403);

    // Reminders: the overdue supplier gets an e-mail and a notice; the one that submitted does not.
    let reminded = post(&buyer, app.url("/suppliers/remind"), &[("csrf", &csrf)]).await;
    assert_eq!(reminded.status(), 303);
    let mail = inbox.lock().unwrap().clone();
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0].0, vec!["sec@hokuto.example".to_string()]);
    assert!(mail[0].1.contains("Subject:"), "{}", mail[0].1);
    let list2 = s2.get(app.url("/assessments")).send().await.unwrap().text().await.unwrap();
    assert!(list2.contains("委託元から回答の督促があります"));

    // The カルテ: history with the submitted score, and a finding recorded.
    let karte_url = format!("/suppliers/{}", between(&dashboard, "<td><a href=\"/suppliers/", "\""));
    let karte = buyer.get(app.url(&karte_url)).send().await.unwrap().text().await.unwrap();
    assert!(karte.contains("クボタ 取引先点検") && karte.contains("カルテ"));
    let noted = post(
        &buyer,
        app.url(&format!("{karte_url}/findings")),
        &[("csrf", &csrf), ("kind", "finding"), ("on", "2026-11-20"), ("text", "USB メモリの持出し記録が未整備")],
    )
    .await;
    assert_eq!(noted.status(), 303);
    let karte = buyer.get(app.url(&karte_url)).send().await.unwrap().text().await.unwrap();
    assert!(karte.contains("USB メモリの持出し記録が未整備"));
    // A supplier that is not the buyer's is not found.
    let stranger = format!("/suppliers/{}", app.org_b);
    assert_eq!(buyer.get(app.url(&stranger)).send().await.unwrap().status(), 404);
    assert_eq!(location(&noted).as_deref(), Some(karte_url.as_str()));
    assert!(app.store.verify().await.unwrap().is_intact());
}

/// A large buyer: the dashboard shows fifty suppliers a page, counts all of them, keeps its
/// filters from page to page, and the CSV export has every supplier the filters keep.
#[tokio::test]
async fn the_dashboard_pages_its_suppliers_and_counts_them_all() {
    let app = TestApp::spawn().await;
    let (buyer, csrf) = app.login_as("buyer").await;
    for i in 1..=51 {
        let (name, slug, email) = (format!("取引先{i:03}"), format!("supplier-{i:03}"), format!("it@s{i:03}.example"));
        let page = post(&buyer, app.url("/suppliers"), &[("csrf", &csrf), ("name", &name), ("slug", &slug), ("email", &email)]).await;
        assert_eq!(page.status(), 200, "{name}");
    }
    let fields =
        [("csrf", csrf.as_str()), ("catalog", "kubota-supplier@2.0"), ("name", "年次点検"), ("period", "2026年度"), ("due", "2026-06-30")];
    assert_eq!(post(&buyer, app.url("/suppliers/distribute"), &fields).await.status(), 303);

    let first = buyer.get(app.url("/suppliers")).send().await.unwrap().text().await.unwrap();
    assert_eq!(first.matches("class=\"supplier-line\"").count(), 50, "one page");
    assert!(first.contains("取引先 51") && first.contains("期限超過 51"), "counts over all pages");
    assert!(first.contains("取引先001") && !first.contains("取引先051"), "by name");
    assert!(first.contains("1 / 2"));
    let before_next = first.split_once("\" rel=\"next\"").map_or("", |(head, _)| head);
    let next = before_next.rsplit_once("href=\"").map_or("", |(_, url)| url).replace("&#38;", "&").replace("&amp;", "&");
    assert!(next.starts_with("/suppliers?") && next.ends_with("page=2"), "{next}");
    let second = buyer.get(app.url(&next)).send().await.unwrap().text().await.unwrap();
    assert_eq!(second.matches("class=\"supplier-line\"").count(), 1);
    assert!(second.contains("取引先051") && second.contains("rel=\"prev\""));
    // Out of range pages show the last one; a filter keeps its words in the page links.
    let beyond = buyer.get(app.url("/suppliers?page=99")).send().await.unwrap().text().await.unwrap();
    assert!(beyond.contains("取引先051") && beyond.contains("2 / 2"));
    let filtered = buyer.get(app.url("/suppliers?q=%E5%8F%96%E5%BC%95%E5%85%8804")).send().await.unwrap().text().await.unwrap();
    assert_eq!(filtered.matches("class=\"supplier-line\"").count(), 10, "取引先040–049");
    assert!(!filtered.contains("rel=\"next\""), "one page of results");

    let csv = String::from_utf8(buyer.get(app.url("/suppliers/export.csv")).send().await.unwrap().bytes().await.unwrap().to_vec()).unwrap();
    assert_eq!(csv.lines().count(), 52, "a header and every supplier, not one page");
}

/// Rewrites the entry `name` of a zip with `f`, keeping every other entry (what an attacker
/// between the supplier and the buyer could do).
fn rewrite_entry(bytes: &[u8], name: &str, f: impl Fn(Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let entry_name = entry.name().unwrap().into_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        let content = if entry_name == name { f(content) } else { content };
        out.start_file(entry_name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

async fn send_package(client: &reqwest::Client, url: String, csrf: &str, package: &[u8], fingerprint: &str) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .text("fingerprint", fingerprint.to_string())
        .part("file", reqwest::multipart::Part::bytes(package.to_vec()).file_name("submission.zip"));
    client.post(url).multipart(form).send().await.unwrap()
}

/// A supplier that runs its own Mamori (organisation B of the test server stands for that other
/// instance) answers with evidence, submits and downloads its signed package; the buyer imports
/// it on the supplier's カルテ: the first import needs the key's fingerprint, a changed file or
/// another key is refused with nothing stored, and the verified answers, score and evidence
/// arrive as a submitted assessment of the supplier.
#[tokio::test]
async fn a_supplier_with_its_own_mamori_returns_a_signed_package_the_buyer_verifies() {
    let app = TestApp::spawn().await;
    let (own, own_csrf) = app.login_as("ciso_b").await;
    let created = post(
        &own,
        app.url("/assessments"),
        &[("csrf", &own_csrf), ("catalog", "kubota-supplier@2.0"), ("name", "A 株式会社様 取引先点検 回答"), ("period", "2026年度")],
    )
    .await;
    assert_eq!(created.status(), 303);
    let url = location(&created).unwrap();
    let id = url.trim_start_matches("/assessments/").to_string();
    let page = own.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    let refs: std::collections::BTreeSet<String> =
        page.split(&format!("href=\"{url}/items/")).skip(1).filter_map(|s| s.split('"').next()).map(str::to_string).collect();
    assert_eq!(refs.len(), 153);
    for r in &refs {
        let value = if r == "1" { "not_done" } else { "done" };
        let done = post(
            &own,
            app.url(&format!("{url}/items/{r}/answer")),
            &[("csrf", &own_csrf), ("version", ""), ("value", value), ("comment", "規程に基づき実施")],
        )
        .await;
        assert_eq!(done.status(), 303, "{r}");
    }
    let evidence = reqwest::multipart::Form::new()
        .text("csrf", own_csrf.clone())
        .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 security policy".to_vec()).file_name("情報セキュリティ規程.pdf"));
    assert_eq!(own.post(app.url(&format!("{url}/items/2/evidence"))).multipart(evidence).send().await.unwrap().status(), 303);
    let link = reqwest::multipart::Form::new()
        .text("csrf", own_csrf.clone())
        .text("url", "https://intra.example.jp/isms/edu")
        .text("title", "教育記録");
    assert_eq!(own.post(app.url(&format!("{url}/items/3/evidence"))).multipart(link).send().await.unwrap().status(), 303);
    // Not before it is submitted.
    assert_eq!(own.get(app.url(&format!("{url}/package.zip"))).send().await.unwrap().status(), 422);
    for (transition, version) in [("request_review", "1"), ("submit", "2")] {
        let moved =
            post(&own, app.url(&format!("{url}/transition")), &[("csrf", &own_csrf), ("version", version), ("transition", transition)])
                .await;
        assert_eq!(moved.status(), 303, "{transition}");
    }
    let download = own.get(app.url(&format!("{url}/package.zip"))).send().await.unwrap();
    assert_eq!(download.status(), 200);
    let package = download.bytes().await.unwrap().to_vec();
    let opened = mamori_interop::submission::open(&package, &Default::default()).unwrap();
    assert_eq!((opened.manifest.answers.len(), opened.manifest.assessment.id.as_str()), (153, id.as_str()));
    let page = own.get(app.url(&url)).send().await.unwrap().text().await.unwrap();
    let fingerprint = between(&page, "署名鍵のフィンガープリント: <code>", "</code>").to_string();
    assert_eq!(fingerprint, opened.fingerprint(), "the supplier reads the fingerprint to give its customer");

    // The buyer registers the supplier (its own Mamori elsewhere) and opens its カルテ.
    let (buyer, csrf) = app.login_as("buyer").await;
    let registered = post(
        &buyer,
        app.url("/suppliers"),
        &[("csrf", &csrf), ("name", "東和精工株式会社"), ("slug", "towa-own"), ("email", "it@towa-own.example")],
    )
    .await;
    assert_eq!(registered.status(), 200);
    let dashboard = buyer.get(app.url("/suppliers")).send().await.unwrap().text().await.unwrap();
    let karte = format!("/suppliers/{}", between(&dashboard, "<td><a href=\"/suppliers/", "\""));
    let import = app.url(&format!("{karte}/package"));
    let journal_before = app.store.verify().await.unwrap();
    assert!(journal_before.is_intact());

    // Refused, each with its reason on the カルテ, and nothing stored.
    let first = send_package(&buyer, import.clone(), &csrf, &package, "").await;
    assert_eq!(first.status(), 422);
    let text = first.text().await.unwrap();
    assert!(text.contains("初回の取り込み") && text.contains(&fingerprint), "the first import asks for the fingerprint");
    let wrong = send_package(&buyer, import.clone(), &csrf, &package, "0000-0000-0000-0000-0000-0000-0000-0000").await;
    assert_eq!(wrong.status(), 422);
    let evidence_path = opened.files.keys().find(|p| p.starts_with("evidence/")).unwrap().clone();
    let tampered = rewrite_entry(&package, &evidence_path, |mut c| {
        c.extend_from_slice(b" (changed)");
        c
    });
    let refused = send_package(&buyer, import.clone(), &csrf, &tampered, &fingerprint).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("改ざん"), "a changed evidence file");
    let answer_changed =
        rewrite_entry(&package, "manifest.json", |c| String::from_utf8(c).unwrap().replacen("\"not_done\"", "\"done\"", 1).into_bytes());
    let refused = send_package(&buyer, import.clone(), &csrf, &answer_changed, &fingerprint).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("署名がマニフェストと一致しません"), "a changed answer");
    let dashboard = buyer.get(app.url("/suppliers")).send().await.unwrap().text().await.unwrap();
    let line = between(&dashboard, "東和精工株式会社</a>", "</tr>");
    assert!(!line.is_empty() && !line.contains("提出済") && !line.contains('%'), "nothing was imported: {line}");

    // Verified: the answers arrive submitted, with score, evidence and the pinned key.
    let imported = send_package(&buyer, import.clone(), &csrf, &package, &fingerprint.to_lowercase().replace('-', " ")).await;
    assert_eq!(imported.status(), 303);
    let assessment = location(&imported).unwrap();
    let view = buyer.get(app.url(&assessment)).send().await.unwrap().text().await.unwrap();
    assert!(view.contains("A 株式会社様 取引先点検 回答") && view.contains("提出済"));
    let item = buyer.get(app.url(&format!("{assessment}/items/2"))).send().await.unwrap().text().await.unwrap();
    assert!(item.contains("規程に基づき実施") && item.contains("情報セキュリティ規程.pdf"), "{}", &item[item.find("<main").unwrap_or(0)..]);
    let file_url = between(&item, "href=\"", "\">情報セキュリティ規程.pdf").rsplit("href=\"").next().unwrap().to_string();
    let file = buyer.get(app.url(&file_url)).send().await.unwrap();
    assert_eq!(file.status(), 200, "{file_url}");
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"%PDF-1.4 security policy");
    let item3 = buyer.get(app.url(&format!("{assessment}/items/3"))).send().await.unwrap().text().await.unwrap();
    assert!(item3.contains("https://intra.example.jp/isms/edu"), "the link evidence");
    let dashboard = buyer.get(app.url("/suppliers")).send().await.unwrap().text().await.unwrap();
    let line = between(&dashboard, "東和精工株式会社</a>", "</tr>");
    assert!(line.contains("提出済") && line.contains('%'), "{line}");
    let karte_page = buyer.get(app.url(&karte)).send().await.unwrap().text().await.unwrap();
    assert!(karte_page.contains(&fingerprint), "the pinned key is shown");

    // A package signed with another key is refused once a key is pinned.
    let other_key = mamori_interop::submission::generate_key().unwrap();
    let files = opened.manifest.files.iter().map(|f| (f.clone(), opened.files[&f.path].clone())).collect();
    let resigned = mamori_interop::submission::build(opened.manifest.clone(), files, &other_key).unwrap();
    let refused = send_package(&buyer, import.clone(), &csrf, &resigned, "").await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("登録済みの鍵と異なります"));
    assert!(app.store.verify().await.unwrap().is_intact());
}
