//! Flows through real HTTP against a spawned server: sign-in and lockout, the forced password
//! change, CSRF, register CRUD with history, lists, organisation and classification scope,
//! language, import and export, API tokens, and bad input.
//!
//! The file is longer than STYLE.md's 600 lines on purpose: every integration test file is a
//! binary that links the whole application, so the flows share one; each test stands alone
//! on its own server and data directory.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

mod support;

use mamori_core::ids::RecordId;
use mamori_core::journal::EventKind;
use mamori_core::library::RoleKey;
use mamori_core::person::RoleAssignment;
use serde_json::json;
use support::{PASSWORD, TestApp, asset_fields, asset_input, csrf_of, listed_names, location, next_link, with};

async fn person_events(app: &TestApp, who: &str) -> Vec<EventKind> {
    let p = &app.people[who];
    app.store.history(p.org, "person", &p.id.to_string()).await.unwrap().into_iter().map(|h| h.header.kind).collect()
}

/// The contents of a page's `role="alert"` block (errors), or "" when there is none.
fn alert_of(html: &str) -> &str {
    html.split_once("role=\"alert\"")
        .and_then(|(_, rest)| rest.split_once("</div>").or_else(|| rest.split_once("</p>")))
        .map_or("", |(a, _)| a)
}

/// Whether a response sets a non-empty session cookie.
fn sets_session(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with("mamori_session=") && !c.starts_with("mamori_session=;"))
}

async fn text_of(client: &reqwest::Client, url: String) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// Percent-encodes everything but unreserved characters, as browsers do in form bodies.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn form_body(fields: &[(String, String)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&")
}

#[tokio::test]
async fn sign_in_goes_to_next_and_a_failure_opens_no_session() {
    let app = TestApp::spawn().await;
    let email = app.people["ciso"].email.clone();
    // (next as submitted, where the browser is sent): only local paths are followed.
    let cases = [
        ("/registers/information_assets?sort=name", "/registers/information_assets?sort=name"),
        ("/account", "/account"),
        ("", "/"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ];
    for (next, expected) in cases {
        let client = app.client();
        let response = app.submit_login(&client, &email, PASSWORD, next).await;
        assert_eq!(response.status(), 303, "next {next:?}");
        assert_eq!(location(&response).as_deref(), Some(expected), "next {next:?}");
        assert!(sets_session(&response), "next {next:?}: a session cookie");
        assert_eq!(client.get(app.url("/registers")).send().await.unwrap().status(), 200, "next {next:?}: signed in");
    }
    assert!(person_events(&app, "ciso").await.contains(&EventKind::LoginSucceeded), "success journaled");

    // A wrong password or an unknown address: the form again, with the message in the
    // browser's language, and no session.
    let cases = [
        ("ja", "emp_sales@a.example", "メールアドレスまたはパスワードが正しくありません。"),
        ("en", "emp_sales@a.example", "The e-mail address or password is not correct."),
        ("ja", "no-such-person@a.example", "メールアドレスまたはパスワードが正しくありません。"),
        ("en", "not an address", "The e-mail address or password is not correct."),
    ];
    for (lang, email, message) in cases {
        let client = app.client_accepting(lang);
        let response = app.submit_login(&client, email, "Wrong-Password-1!", "/registers").await;
        assert_eq!(response.status(), 200, "{lang} {email}: the form again");
        assert!(!sets_session(&response), "{lang} {email}: no session cookie");
        let body = response.text().await.unwrap();
        assert!(alert_of(&body).contains(message), "{lang} {email}: {message}");
        assert!(body.contains(&format!("value=\"{email}\"")) || email == "not an address", "{lang} {email}: the address is kept");
        let after = client.get(app.url("/registers")).send().await.unwrap();
        assert_eq!(location(&after).as_deref(), Some("/login?next=/registers"), "{lang} {email}: still signed out");
    }
    assert_eq!(person_events(&app, "emp_sales").await.iter().filter(|k| **k == EventKind::LoginFailed).count(), 2);
}

#[tokio::test]
async fn repeated_failures_lock_general_and_privileged_accounts() {
    let app = TestApp::spawn().await;
    // (person, failures that lock): seed 003 sets 5 for general accounts, 3 for privileged ones.
    let cases = [("emp_sales", 5usize), ("officer", 5), ("ciso", 3), ("sysadmin", 3)];
    for (who, threshold) in cases {
        let email = app.people[who].email.clone();
        for attempt in 1..=threshold {
            let (_, response) = app.sign_in(&email, "Wrong-Password-1!").await;
            assert_eq!(response.status(), 200, "{who} attempt {attempt} re-shows the form");
            assert!(!sets_session(&response), "{who} attempt {attempt}: no session");
            let body = response.text().await.unwrap();
            let expected = if attempt == threshold { "ロックされています" } else { "正しくありません" };
            assert!(alert_of(&body).contains(expected), "{who} attempt {attempt}: {expected}");
        }
        let (client, response) = app.sign_in(&email, PASSWORD).await;
        assert_eq!(response.status(), 200, "{who}: attempt {} with the right password is refused while locked", threshold + 1);
        assert!(!sets_session(&response), "{who}: no session while locked");
        assert!(alert_of(&response.text().await.unwrap()).contains("ロックされています"), "{who}: the locked message");
        assert_eq!(client.get(app.url("/registers")).send().await.unwrap().status(), 303, "{who}: not signed in");
        let events = person_events(&app, who).await;
        assert_eq!(events.iter().filter(|k| **k == EventKind::LoginFailed).count(), threshold + 1, "{who}: every failure journaled");
        assert_eq!(events.iter().filter(|k| **k == EventKind::AccountLocked).count(), 1, "{who}: the lock journaled once");
        assert!(!events.contains(&EventKind::LoginSucceeded), "{who}: no success");
    }
    // One failure short of the threshold does not lock.
    for _ in 0..4 {
        app.sign_in(&app.people["emp_hr"].email, "Wrong-Password-1!").await;
    }
    let (_, response) = app.sign_in(&app.people["emp_hr"].email, PASSWORD).await;
    assert_eq!(response.status(), 303, "4 failures do not lock a general account");
    let events = person_events(&app, "emp_hr").await;
    assert!(events.contains(&EventKind::LoginSucceeded) && !events.contains(&EventKind::AccountLocked));
}

#[tokio::test]
async fn a_forced_password_change_comes_first_and_follows_the_policy() {
    let app = TestApp::spawn().await;
    let initial = "Initial-Pass-2026";
    let employee = RoleAssignment { role: RoleKey::parse("employee").unwrap(), unit: Some(app.sales) };
    let newcomer = app.add_person(app.org_a, "newcomer", initial, vec![employee], true).await;
    let (client, response) = app.sign_in(&newcomer.email, initial).await;
    assert_eq!(location(&response).as_deref(), Some("/account/password"), "sign-in leads to the password change");
    for path in ["/registers", "/registers/information_assets", "/account", "/", "/account/tokens"] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(location(&response).as_deref(), Some("/account/password"), "{path}: nothing else until the password is changed");
    }
    let page = text_of(&client, app.url("/account/password")).await;
    assert!(page.contains("初回ログインのため"), "the page says why");
    let csrf = csrf_of(&page);
    let change = |current: &str, new: &str| {
        let form = [("csrf", csrf.as_str()), ("current", current), ("new", new), ("confirm", new)];
        client.post(app.url("/account/password")).form(&form).send()
    };
    // (name, current, new, message): the rule is also printed on the page, so messages are
    // looked for in the error block only.
    let refused = [
        ("too short", initial, "Sh0rt-pw", "パスワードは 10 文字以上にしてください。"),
        ("no upper case", initial, "all-lower-case-2026", "英大文字・英小文字・数字・記号をそれぞれ含めてください。"),
        ("no symbol", initial, "NoSymbolsHere2026", "英大文字・英小文字・数字・記号をそれぞれ含めてください。"),
        ("contains the address", initial, "Newcomer-Pass-2026", "メールアドレスの一部をパスワードに含めないでください。"),
        ("the current one again", initial, initial, "過去 365 日以内に使ったパスワードは使えません。"),
        ("wrong current password", "Not-The-Current-1", "Brand-New-Pass-2026", "現在のパスワードが正しくありません。"),
    ];
    for (name, current, new, message) in refused {
        let response = change(current, new).await.unwrap();
        assert_eq!(response.status(), 422, "{name}");
        assert!(alert_of(&response.text().await.unwrap()).contains(message), "{name}: {message}");
        let still = client.get(app.url("/registers")).send().await.unwrap();
        assert_eq!(location(&still).as_deref(), Some("/account/password"), "{name}: still forced");
    }
    let response = change(initial, "Brand-New-Pass-2026").await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(client.get(app.url("/registers")).send().await.unwrap().status(), 200, "the registers are reachable now");
    // The old password may not come back within a year.
    let response = change("Brand-New-Pass-2026", initial).await.unwrap();
    assert_eq!(response.status(), 422, "reusing the old password");
    assert!(alert_of(&response.text().await.unwrap()).contains("過去 365 日以内に使ったパスワードは使えません。"));
    let (_, response) = app.sign_in(&newcomer.email, initial).await;
    assert_eq!(response.status(), 200, "the old password no longer signs in");
    assert_eq!(app.login(&newcomer.email, "Brand-New-Pass-2026").await.get(app.url("/registers")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_person_added_on_the_people_page_gets_a_one_time_password_to_change() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_as("ciso").await;
    let email = "added@a.example";
    let sales = app.sales.to_string();
    let page = client
        .post(app.url("/people"))
        .form(&[("csrf", csrf.as_str()), ("name", "新入 社員"), ("email", email), ("role", "employee"), ("unit", sales.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("初期パスワード").and_then(|i| page[i..].find("<code>").map(|j| i + j + "<code>".len())).expect("shown once");
    let initial: String = page[start..].chars().take_while(|c| *c != '<').collect();
    let (added, response) = app.sign_in(email, &initial).await;
    assert_eq!(location(&response).as_deref(), Some("/account/password"));
    assert_eq!(location(&added.get(app.url("/registers")).send().await.unwrap()).as_deref(), Some("/account/password"));
}

#[tokio::test]
async fn state_changes_need_the_form_token_and_the_same_origin() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_as("ciso").await;
    let url = app.url("/registers/information_assets");
    let fields = asset_fields("CSRF 試験", app.sales, 2);
    // (name, token, Origin header)
    let cases = [
        ("missing token", None, None),
        ("empty token", Some(""), None),
        ("wrong token", Some("forged"), None),
        ("another session's token", Some("SESSION_B"), None),
        ("other site", Some("OK"), Some("http://evil.example")),
        ("other port", Some("OK"), Some("http://127.0.0.1:1")),
        ("opaque origin", Some("OK"), Some("null")),
    ];
    let (_, other_csrf) = app.login_as("sysadmin").await;
    for (name, token, origin) in cases {
        let mut form = fields.clone();
        match token {
            Some("OK") => form.push(("csrf".into(), csrf.clone())),
            Some("SESSION_B") => form.push(("csrf".into(), other_csrf.clone())),
            Some(t) => form.push(("csrf".into(), t.into())),
            None => {}
        }
        let mut request = client.post(&url).form(&form);
        if let Some(o) = origin {
            request = request.header("origin", o);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403, "{name}");
        assert!(response.text().await.unwrap().contains("再読み込み"), "{name}: explained");
    }
    assert_eq!(app.assets(app.org_a).await.len(), 0, "nothing was created");
    let response = app.create_asset(&client, &csrf, &fields).await;
    assert_eq!(response.status(), 303, "the same form with its token and no Origin");
    let response = client.post(&url).header("origin", app.base.as_str()).form(&with(fields, &[("csrf", &csrf)])).send().await.unwrap();
    assert_eq!(response.status(), 303, "the same form with our own Origin");
    assert_eq!(app.assets(app.org_a).await.len(), 2);

    // Signing out needs the token too.
    let response = client.post(app.url("/logout")).form(&[("csrf", "forged")]).send().await.unwrap();
    assert_eq!(response.status(), 403, "logout with a wrong token");
    assert_eq!(client.get(app.url("/registers")).send().await.unwrap().status(), 200, "still signed in");

    // The sign-in form needs the cookie set with it, holding the same token.
    let email = app.people["ciso"].email.as_str();
    let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = bare.post(app.url("/login")).form(&[("csrf", "x"), ("email", email), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(response.status(), 403, "login without the login cookie");
    assert!(!sets_session(&response));
    let browser = app.client();
    let login_page = text_of(&browser, app.url("/login")).await;
    assert!(!csrf_of(&login_page).is_empty());
    let response =
        browser.post(app.url("/login")).form(&[("csrf", "forged"), ("email", email), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(response.status(), 403, "login with a token that does not match its cookie");
    assert!(!sets_session(&response));
}

#[tokio::test]
async fn create_edit_and_read_the_history_of_an_asset() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_as("head").await;
    let url = app.url("/registers/information_assets");
    // Missing fields: 422 with the form, a message at each field, in Japanese...
    let required = [
        ("business_category", "業務分類", "Business category"),
        ("managing_unit", "管理部署", "Managing unit"),
        ("personal_information", "個人情報の種類", "Personal information"),
        ("confidentiality", "機密性", "Confidentiality"),
        ("integrity", "完全性", "Integrity"),
        ("availability", "可用性", "Availability"),
        ("registered_on", "登録日", "Registered on"),
    ];
    let response = client.post(&url).form(&[("csrf", csrf.as_str()), ("name", "名前だけ")]).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    for (key, ja, _) in required {
        assert!(body.contains(&format!("id=\"err-{key}\">{ja}: 入力してください</p>")), "{key}: a Japanese message at the field");
        assert!(body.contains(&format!("id=\"field-{key}\"")), "{key}: the field is shown again");
    }
    assert!(!body.contains("id=\"err-name\""), "no message at a filled field");
    assert!(body.contains("value=\"名前だけ\""), "what was typed is kept");
    assert!(body.contains("入力内容を確認してください。"), "the summary");
    assert!(app.assets(app.org_a).await.is_empty(), "nothing created");
    // ...and in English once the person switches.
    let response = client.post(app.url("/account/language")).form(&[("csrf", csrf.as_str()), ("lang", "en")]).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let response = client.post(&url).form(&[("csrf", csrf.as_str()), ("name", "name only")]).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    for (key, _, en) in required {
        assert!(body.contains(&format!("id=\"err-{key}\">{en} is required</p>")), "{key}: an English message at the field");
    }
    assert!(body.contains("<html lang=\"en\""));
    client.post(app.url("/account/language")).form(&[("csrf", csrf.as_str()), ("lang", "ja")]).send().await.unwrap();

    // (name, C, I, A, badge, 重要度 = max(C, I, A))
    let cases = [
        ("公開・低", "1", "1", "1", "公開", "1"),
        ("公開・完全性", "1", "2", "1", "公開", "2"),
        ("公開・可用性", "1", "1", "2", "公開", "2"),
        ("社外秘", "2", "1", "1", "社外秘", "2"),
        ("設計図面", "3", "2", "1", "極秘", "3"),
    ];
    let mut record_path = String::new();
    for (name, c, i, a, badge, importance) in cases {
        let fields = with(asset_fields(name, app.sales, 1), &[("confidentiality", c), ("integrity", i), ("availability", a)]);
        let response = app.create_asset(&client, &csrf, &fields).await;
        assert_eq!(response.status(), 303, "{name}: created");
        let location = location(&response).unwrap();
        assert!(location.ends_with("?saved=1"), "{name}: to the record page");
        record_path = location.trim_end_matches("?saved=1").to_string();
        let page = text_of(&client, app.url(&location)).await;
        for shown in [
            format!("class=\"badge c{c}\">{badge}</span> {name}</h1>"),
            format!("<dt>重要度</dt><dd>{importance}</dd>"),
            format!("<dt>情報資産名称</dt><dd>{name}</dd>"),
            format!("<dt>機密性</dt><dd>{c} {badge}</dd>"),
            "<dt>業務分類</dt><dd>営業</dd>".to_string(),
            "<dt>管理部署</dt><dd>営業部</dd>".to_string(),
            "<dt>個人情報の種類</dt><dd>個人情報</dd>".to_string(),
            "<dt>登録日</dt><dd>2026-04-01</dd>".to_string(),
            "保存しました。".to_string(),
        ] {
            assert!(page.contains(&shown), "{name}: the record page shows {shown}");
        }
    }
    let list = text_of(&client, url.clone()).await;
    for (name, c, _, _, badge, _) in cases {
        assert!(list.contains(&format!("class=\"badge c{c}\">{badge}</span>")), "list badge {badge}");
        assert!(listed_names(&list).contains(&name.to_string()), "{name} listed");
    }

    // Edit the last (設計図面, 極秘): version 2, both events in the history with before → after.
    let form = text_of(&client, app.url(&format!("{record_path}/edit"))).await;
    assert!(form.contains("name=\"_version\" value=\"1\""), "the edit form carries the version");
    let edit = with(asset_fields("設計図面（第2版）", app.sales, 2), &[("csrf", &csrf), ("_version", "1")]);
    let response = client.post(app.url(&record_path)).form(&edit).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let id = RecordId::parse(record_path.rsplit('/').next().unwrap()).unwrap();
    assert_eq!(app.store.record(app.org_a, id).await.unwrap().unwrap().version, 2);
    let page = text_of(&client, app.url(&record_path)).await;
    assert!(page.contains("版 2"), "version 2 shown");
    let history = page.split("id=\"history\"").nth(1).unwrap();
    let updated = history.find("<strong>更新</strong>").expect("the update event");
    let created = history.find("<strong>登録</strong>").expect("the create event");
    assert!(updated < created, "newest first");
    for change in [
        "<th scope=\"row\">情報資産名称</th><td>設計図面</td><td>設計図面（第2版）</td>",
        "<th scope=\"row\">機密性</th><td>3 極秘</td><td>2 社外秘</td>",
        "<th scope=\"row\">重要度</th><td>3</td><td>2</td>",
    ] {
        assert!(history[updated..created].contains(change), "update shows {change}");
    }
    assert!(!history[updated..created].contains("<th scope=\"row\">業務分類</th>"), "unchanged fields are not listed");
    assert!(history[created..].contains("<td></td><td>設計図面</td>"), "the create event shows the first values");
    assert!(history.contains("head さん") && history.contains("部門長・部門責任者"), "who, in which role");
    // The same form submitted again is stale; nothing changes.
    let response = client.post(app.url(&record_path)).form(&edit).send().await.unwrap();
    assert_eq!(response.status(), 409, "stale _version");
    assert_eq!(app.store.record(app.org_a, id).await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn lists_filter_sort_search_and_page() {
    let app = TestApp::spawn().await;
    for i in 0..60 {
        app.asset(app.org_a, &asset_input(&format!("資産 {i:02}"), app.hr, 1 + (i % 3))).await;
    }
    app.asset(app.org_a, &asset_input("顧客アンケート", app.sales, 1)).await;
    app.asset(app.org_a, &asset_input("顧客名簿", app.sales, 2)).await;
    let mut with_notes = asset_input("取引先一覧", app.sales, 2);
    with_notes.insert("notes".into(), json!("顧客の連絡先を含む"));
    app.asset(app.org_a, &with_notes).await;
    let (client, _) = app.login_as("ciso").await;
    let list = |query: &str| text_of(&client, app.url(&format!("/registers/information_assets{query}")));

    // Paging through `next` by name, then by name descending: every row once, in order.
    for sort in ["name", "-name"] {
        let mut pages = Vec::new();
        let mut page = list(&format!("?sort={sort}")).await;
        loop {
            pages.push(listed_names(&page));
            match next_link(&page) {
                Some(next) => page = text_of(&client, app.url(&next)).await,
                None => break,
            }
        }
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![50, 13], "sort={sort}: 50 rows a page");
        let all: Vec<String> = pages.concat();
        let mut expected = all.clone();
        expected.sort();
        if sort == "-name" {
            expected.reverse();
        }
        assert_eq!(all, expected, "sort={sort}: in order, no row twice");
        let first = if sort == "name" { "取引先一覧" } else { "顧客名簿" };
        assert_eq!(all[0], first, "sort={sort}");
    }

    // (query, expected names or count): filters, search and both together.
    let secret = list("?f.confidentiality=3").await;
    assert_eq!(listed_names(&secret).len(), 20, "f.confidentiality=3");
    assert!(!secret.contains("class=\"badge c1\"") && !secret.contains("class=\"badge c2\""), "only 極秘 rows");
    let cases: [(&str, &[&str]); 4] = [
        ("?q=%E9%A1%A7%E5%AE%A2&sort=name", &["取引先一覧", "顧客アンケート", "顧客名簿"]),
        ("?q=%E9%A1%A7%E5%AE%A2&f.confidentiality=2&sort=name", &["取引先一覧", "顧客名簿"]),
        ("?q=%E3%82%A2%E3%83%B3%E3%82%B1%E3%83%BC%E3%83%88", &["顧客アンケート"]),
        ("?q=%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84", &[]),
    ];
    for (query, expected) in cases {
        assert_eq!(listed_names(&list(query).await), expected, "{query}");
    }
    let sales = list(&format!("?f.managing_unit={}&sort=-name", app.sales)).await;
    assert_eq!(listed_names(&sales), ["顧客名簿", "顧客アンケート", "取引先一覧"], "filter by unit");
}

/// One request of the scope test, its expected status, and its name for the failure message.
struct Probe {
    name: String,
    request: reqwest::RequestBuilder,
    expected: u16,
}

#[tokio::test]
async fn organisations_units_and_classifications_hide_records() {
    let app = TestApp::spawn().await;
    let emp_hr = app.people["emp_hr"].id;
    let mut owned = asset_input("人事さん所有の極秘資料", app.sales, 3);
    owned.insert("owner".into(), json!(emp_hr.to_string()));
    // (name, record, the 人事部 employee may see it)
    let records = [
        ("営業の社外秘資料", app.asset(app.org_a, &asset_input("営業の社外秘資料", app.sales, 2)).await, false),
        ("営業の極秘資料", app.asset(app.org_a, &asset_input("営業の極秘資料", app.sales, 3)).await, false),
        ("営業の公開資料", app.asset(app.org_a, &asset_input("営業の公開資料", app.sales, 1)).await, true),
        ("人事の社外秘資料", app.asset(app.org_a, &asset_input("人事の社外秘資料", app.hr, 2)).await, true),
        ("人事さん所有の極秘資料", app.asset(app.org_a, &owned).await, true),
    ];
    let (b, b_csrf) = app.login_as("ciso_b").await;
    let b_token = app.token("ciso_b").await;
    let (hr, hr_csrf) = app.login_as("emp_hr").await;
    let hr_token = app.token("emp_hr").await;
    let (officer, officer_csrf) = app.login_as("officer").await;
    let officer_token = app.token("officer").await;
    let page = |id: RecordId| app.url(&format!("/registers/information_assets/{id}"));
    let api = |id: RecordId| app.url(&format!("/api/registers/information_assets/records/{id}"));

    let mut probes = Vec::new();
    let mut probe = |name: String, request: reqwest::RequestBuilder, expected: u16| probes.push(Probe { name, request, expected });
    for (name, id, _) in &records {
        // Another organisation's ciso: every record of A is "not found", whatever the route.
        let update = with(asset_fields("乗っ取り", app.sales_b, 1), &[("csrf", &b_csrf), ("_version", "1")]);
        let body = json!({"fields": asset_input("乗っ取り", app.sales_b, 1), "version": 1});
        probe(format!("ciso_b GET {name}"), b.get(page(*id)), 404);
        probe(format!("ciso_b GET {name}/edit"), b.get(format!("{}/edit", page(*id))), 404);
        probe(format!("ciso_b POST {name}"), b.post(page(*id)).form(&update), 404);
        probe(format!("ciso_b API GET {name}"), app.client().get(api(*id)).bearer_auth(&b_token), 404);
        probe(format!("ciso_b API PUT {name}"), app.client().put(api(*id)).bearer_auth(&b_token).json(&body), 404);
        probe(format!("ciso_b API history {name}"), app.client().get(format!("{}/history", api(*id))).bearer_auth(&b_token), 404);
    }
    for (name, id, visible) in &records {
        // The 人事部 employee: 公開 everywhere, 社外秘 of their unit, 極秘 they own; nothing else.
        let status = if *visible { 200 } else { 404 };
        probe(format!("emp_hr GET {name}"), hr.get(page(*id)), status);
        probe(format!("emp_hr API GET {name}"), app.client().get(api(*id)).bearer_auth(&hr_token), status);
        let update = with(asset_fields(name, app.hr, 1), &[("csrf", &hr_csrf), ("_version", "1")]);
        probe(format!("emp_hr POST {name}"), hr.post(page(*id)).form(&update), if *visible { 403 } else { 404 });
    }
    // The 営業部 security officer: clearance 社外秘, in their unit only.
    let officer_creates = [
        ("極秘 in 営業部", app.sales, 3, 403),
        ("社外秘 in 人事部", app.hr, 2, 403),
        ("社外秘 in 営業部", app.sales, 2, 303),
        ("公開 in 営業部", app.sales, 1, 303),
    ];
    for (name, unit, c, status) in officer_creates {
        let fields = with(asset_fields(&format!("担当者の{name}"), unit, c), &[("csrf", &officer_csrf)]);
        probe(format!("officer creates {name}"), officer.post(app.url("/registers/information_assets")).form(&fields), status);
        let api_status = if status == 303 { 201 } else { status };
        let body = json!({"fields": asset_input(&format!("担当者の API {name}"), unit, c)});
        probe(
            format!("officer API creates {name}"),
            app.client().post(app.url("/api/registers/information_assets/records")).bearer_auth(&officer_token).json(&body),
            api_status,
        );
    }
    let (_, internal, _) = records[0];
    let (_, secret, _) = records[1];
    probe("officer GET 極秘 of 営業部".into(), officer.get(page(secret)), 404);
    probe("officer GET 社外秘 of 営業部".into(), officer.get(page(internal)), 200);
    let raise = with(asset_fields("営業の社外秘資料", app.sales, 3), &[("csrf", &officer_csrf), ("_version", "1")]);
    probe("officer raises 社外秘 to 極秘".into(), officer.post(page(internal)).form(&raise), 403);
    let away = with(asset_fields("営業の社外秘資料", app.hr, 2), &[("csrf", &officer_csrf), ("_version", "1")]);
    probe("officer moves 社外秘 to 人事部".into(), officer.post(page(internal)).form(&away), 403);
    // Another organisation's units and people are unknown in A, and A's in B.
    let (a, a_csrf) = app.login_as("ciso").await;
    let b_unit = with(asset_fields("B の部門", app.sales_b, 1), &[("csrf", &a_csrf)]);
    probe("ciso of A names B's 営業部".into(), a.post(app.url("/registers/information_assets")).form(&b_unit), 422);
    let a_unit = with(asset_fields("A の部門", app.sales, 1), &[("csrf", &b_csrf)]);
    probe("ciso of B names A's 営業部".into(), b.post(app.url("/registers/information_assets")).form(&a_unit), 422);
    let a_owner = with(asset_fields("A の人", app.sales_b, 1), &[("csrf", &b_csrf), ("owner", &app.people["ciso"].id.to_string())]);
    probe("ciso of B names A's ciso as owner".into(), b.post(app.url("/registers/information_assets")).form(&a_owner), 422);

    let total = probes.len();
    let mut failures = Vec::new();
    for Probe { name, request, expected } in probes {
        let got = request.send().await.unwrap().status().as_u16();
        if got != expected {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        }
    }

    // Lists, search, export and the API list of B show nothing of A.
    let b_list = text_of(&b, app.url("/registers/information_assets?q=%E8%B3%87%E6%96%99")).await;
    let b_csv = text_of(&b, app.url("/registers/information_assets/export.csv")).await;
    let b_api: serde_json::Value = app
        .client()
        .get(app.url("/api/registers/information_assets/records"))
        .bearer_auth(&b_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hr_list = listed_names(&text_of(&hr, app.url("/registers/information_assets?sort=name")).await);
    let lists = [
        ("ciso_b searches 資料", listed_names(&b_list).is_empty()),
        ("ciso_b exports", !b_csv.contains("資料")),
        ("ciso_b lists through the API", b_api["items"].as_array().is_some_and(Vec::is_empty)),
        (
            "emp_hr lists what they may see",
            hr_list
                == [
                    "人事さん所有の極秘資料",
                    "人事の社外秘資料",
                    "営業の公開資料",
                    "担当者の API 公開 in 営業部",
                    "担当者の公開 in 営業部",
                ],
        ),
    ];
    for (name, ok) in &lists {
        if !ok {
            failures.push(format!("{name}: shows something it should not (emp_hr sees {hr_list:?})"));
        }
    }
    eprintln!("scope probes: {} requests with an expected status, {} list checks", total, lists.len());
    assert!(failures.is_empty(), "{} of {} scope probes failed:\n{}", failures.len(), total + lists.len(), failures.join("\n"));
    for (name, id, _) in &records {
        let row = app.store.record(app.org_a, *id).await.unwrap().unwrap();
        assert_eq!((row.version, row.title.as_str()), (1, *name), "{name} unchanged");
    }
    assert_eq!(app.assets(app.org_a).await.len(), records.len() + 4, "only the officer's four records were added");
    assert!(app.assets(app.org_b).await.is_empty(), "nothing was created in B");
}

#[tokio::test]
async fn the_interface_speaks_the_browsers_language_until_the_person_chooses() {
    let app = TestApp::spawn().await;
    // (Accept-Language, language of the sign-in page)
    let cases = [
        (None, "ja"),
        (Some("en"), "en"),
        (Some("en-US,en;q=0.9"), "en"),
        (Some("fr, en;q=0.5"), "en"),
        (Some("ja,en;q=0.8"), "ja"),
        (Some("en;q=0.3, ja-JP;q=0.7"), "ja"),
        (Some("fr"), "ja"),
        (Some(";;;q=x,,"), "ja"),
    ];
    for (accept, lang) in cases {
        let client = app.client();
        let mut request = client.get(app.url("/login"));
        if let Some(a) = accept {
            request = request.header("accept-language", a);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{accept:?}");
        let page = response.text().await.unwrap();
        let heading = if lang == "en" { "<h1>Sign in</h1>" } else { "<h1>ログイン</h1>" };
        assert!(page.contains(&format!("<html lang=\"{lang}\"")) && page.contains(heading), "{accept:?}: {lang}");
    }
    // The switch on the sign-in page is remembered in a cookie.
    let client = app.client_accepting("ja");
    assert!(text_of(&client, app.url("/login?lang=en")).await.contains("<h1>Sign in</h1>"));
    assert!(text_of(&client, app.url("/login")).await.contains("<h1>Sign in</h1>"), "the choice sticks");

    // A person's saved language wins over the browser's after sign-in: (who, saved, browser, shown)
    let cases = [
        ("emp_sales", Some("en"), "ja", "en"),
        ("exec", Some("ja"), "en", "ja"),
        ("auditor", None, "en", "en"),
        ("head", None, "ja", "ja"),
    ];
    for (who, saved, browser, shown) in cases {
        if let Some(lang) = saved {
            let (client, csrf) = app.login_as(who).await;
            let response = client.post(app.url("/account/language")).form(&[("csrf", csrf.as_str()), ("lang", lang)]).send().await.unwrap();
            assert_eq!(response.status(), 303, "{who} saves {lang}");
        }
        let client = app.client_accepting(browser);
        let login_page = text_of(&client, app.url("/login")).await;
        assert!(login_page.contains(&format!("<html lang=\"{browser}\"")), "{who}: before sign-in, the browser's language");
        let response = app.submit_login(&client, &app.people[who].email, PASSWORD, "/registers").await;
        assert_eq!(response.status(), 303, "{who} signs in");
        for path in ["/registers", "/registers/information_assets", "/account"] {
            let page = text_of(&client, app.url(path)).await;
            assert!(page.contains(&format!("<html lang=\"{shown}\"")), "{who} (saved {saved:?}, browser {browser}) sees {path} in {shown}");
        }
        let api: serde_json::Value = app
            .client()
            .get(app.url("/api/me"))
            .bearer_auth(app.token(who).await)
            .header("accept-language", browser)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(api["lang"], shown, "{who}: the API reports the same language");
    }
    // An unknown language is refused, and the saved one stays.
    let (client, csrf) = app.login_as("emp_sales").await;
    let response = client.post(app.url("/account/language")).form(&[("csrf", csrf.as_str()), ("lang", "xx")]).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(text_of(&client, app.url("/registers")).await.contains("<html lang=\"en\""));
}

#[tokio::test]
async fn import_previews_every_row_then_commits_and_exports_round_trip() {
    let app = TestApp::spawn().await;
    let existing = app.asset(app.org_a, &asset_input("既存の資産", app.sales, 2)).await;
    let (client, csrf) = app.login_as("ciso").await;
    let upload = |csv: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("assets.csv"));
        client.post(app.url("/registers/information_assets/import")).multipart(form).send()
    };
    let header = "ID,業務分類,情報資産名称,管理部署,管理責任者,個人情報の種類,機密性,完全性,可用性,登録日\n";
    let before = app.store.journal_length(app.org_a).await.unwrap();
    let bad = format!(
        "{header}{existing},営業,既存の資産（改訂）,営業部,,含まない,2,1,1,2026-04-01\n,総務,新しい資産,人事部,ciso@a.example,個人情報,極秘,2,2,2026/05/01\n,総務,誤りのある行,存在しない部,,含まない,4,3,1,2026-13-01\n"
    );
    let response = upload(bad).await.unwrap();
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    for message in [
        "管理部署: この組織の部門を選んでください",
        "機密性: 1（公開）、2（社外秘）、3（極秘）のいずれか",
        "完全性: 次のいずれか",
        "登録日: 日付を",
    ] {
        assert!(body.contains(message), "{message}");
    }
    assert!(!body.contains("action=\"/registers/information_assets/import/"), "no confirm button while rows have errors");
    assert_eq!(app.store.journal_length(app.org_a).await.unwrap(), before, "a preview with errors writes nothing");

    let good = format!(
        "{header}{existing},営業,既存の資産（改訂）,営業部,,含まない,2,1,1,2026-04-01\n,総務,新しい資産,人事部,ciso@a.example,個人情報,極秘,2,2,2026/05/01\n"
    );
    let body = upload(good).await.unwrap().text().await.unwrap();
    assert_eq!(app.store.journal_length(app.org_a).await.unwrap(), before, "the preview writes nothing");
    let action = body
        .split("action=\"/registers/information_assets/import/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("confirm form")
        .to_string();
    let response = client
        .post(app.url(&format!("/registers/information_assets/import/{action}")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response).as_deref(), Some("/registers/information_assets?imported=2"));
    let updated = app.store.record(app.org_a, existing).await.unwrap().unwrap();
    assert_eq!((updated.version, updated.title.as_str()), (2, "既存の資産（改訂）"));
    // The batch is used up: confirming it again changes nothing.
    let again = client
        .post(app.url(&format!("/registers/information_assets/import/{action}")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404, "a batch commits once");
    assert_eq!(app.assets(app.org_a).await.len(), 2);

    let csv = client.get(app.url("/registers/information_assets/export.csv")).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(&csv[..3], &[0xEF, 0xBB, 0xBF], "UTF-8 with BOM");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.starts_with("ID,業務分類,情報資産名称"), "Japanese headers");
    assert!(text.contains("新しい資産") && text.contains("ciso さん") && text.contains("人事部") && text.contains("極秘"));
    let xlsx = client.get(app.url("/registers/information_assets/export.xlsx")).send().await.unwrap();
    assert!(xlsx.headers()["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''"));
    let bytes = xlsx.bytes().await.unwrap();
    let table = mamori_interop::register_import::read_table(&bytes, &Default::default()).unwrap();
    assert_eq!(table.rows.len(), 2, "the exported workbook opens and holds both rows");
}

#[tokio::test]
async fn api_tokens_work_until_revoked() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_as("officer").await;
    let page = client
        .post(app.url("/account/tokens"))
        .form(&[("csrf", csrf.as_str()), ("name", "スクリプト")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token: String = page.split("<code id=\"new-token\">").nth(1).unwrap().chars().take_while(|c| *c != '<').collect();
    let api = app.client();
    let me = api.get(app.url("/api/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<serde_json::Value>().await.unwrap()["email"], "officer@a.example");
    let created = api
        .post(app.url("/api/registers/information_assets/records"))
        .bearer_auth(&token)
        .json(&json!({"fields": asset_input("API の資産", app.sales, 2)}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = created.json().await.unwrap();
    let id = RecordId::parse(body["id"].as_str().unwrap()).unwrap();
    assert_eq!(body["computed"]["importance"], 2);
    let invalid = api
        .post(app.url("/api/registers/information_assets/records"))
        .bearer_auth(&token)
        .json(&json!({"fields": {"integrity": 3}}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let error: serde_json::Value = invalid.json().await.unwrap();
    assert!(
        error["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "integrity" && f["message_ja"].as_str().unwrap().contains("完全性"))
    );
    assert_eq!(
        app.store.record(app.org_a, id).await.unwrap().unwrap().created_by,
        Some(app.people["officer"].id),
        "journaled as the token's person"
    );
    // A session cookie does not open the API, and a token does not open the pages.
    assert_eq!(client.get(app.url("/api/me")).send().await.unwrap().status(), 401, "the API needs a token");
    let page = app.client().get(app.url("/registers")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(location(&page).as_deref(), Some("/login?next=/registers"), "pages need a session");

    // Another person cannot revoke it; its owner can.
    let tokens = text_of(&client, app.url("/account/tokens")).await;
    let revoke = tokens.split("action=\"/account/tokens/").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    let (other, other_csrf) = app.login_as("ciso").await;
    let response = other.post(app.url(&format!("/account/tokens/{revoke}"))).form(&[("csrf", other_csrf.as_str())]).send().await.unwrap();
    assert_eq!(response.status(), 404, "someone else's token");
    assert_eq!(api.get(app.url("/api/me")).bearer_auth(&token).send().await.unwrap().status(), 200, "still valid");
    let response = client.post(app.url(&format!("/account/tokens/{revoke}"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(api.get(app.url("/api/me")).bearer_auth(&token).send().await.unwrap().status(), 401, "revoked");
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    // The default limits: a 64 MiB body at most.
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_as("ciso").await;
    let token = app.token("ciso").await;
    let url = app.url("/registers/information_assets");
    let journal_before = app.store.journal_length(app.org_a).await.unwrap();
    let valid = with(asset_fields("入力試験", app.sales, 2), &[("csrf", &csrf)]);
    let form = |changes: &[(&str, &str)]| with(valid.clone(), changes);
    // A valid form body with one value replaced by raw (not re-encoded) bytes.
    let raw = |key: &str, value: &[u8]| {
        let mut body = form_body(&valid.iter().filter(|(k, _)| k != key).cloned().collect::<Vec<_>>()).into_bytes();
        body.extend_from_slice(format!("&{key}=").as_bytes());
        body.extend_from_slice(value);
        client.post(&url).header("content-type", "application/x-www-form-urlencoded").body(body)
    };
    let hundred_mb = 100 * 1024 * 1024;
    let long_name = "長".repeat(100_000);
    let other_org_unit = app.sales_b.to_string();
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        ("invalid percent-encoding", raw("name", b"%ZZ%"), 400, "形式が正しくありません"),
        ("percent-encoded bytes that are not UTF-8", raw("name", b"%FF%FE"), 400, "形式が正しくありません"),
        ("raw bytes that are not UTF-8", raw("name", b"\xff\xfe"), 400, "形式が正しくありません"),
        (
            "a 100 MB body",
            client.post(&url).header("content-type", "application/x-www-form-urlencoded").body(vec![b'a'; hundred_mb]),
            413,
            "大きすぎます",
        ),
        ("JSON to a form", client.post(&url).header("content-type", "application/json").body("{}"), 415, "フォーム形式"),
        ("no content type", client.post(&url).body(form_body(&valid)), 415, "フォーム形式"),
        (
            "multipart to a form",
            client.post(&url).multipart(reqwest::multipart::Form::new().text("csrf", csrf.clone())),
            415,
            "フォーム形式",
        ),
        (
            "unknown enum value",
            client.post(&url).form(&form(&[("personal_information", "secret-kind")])),
            422,
            "個人情報の種類: 次のいずれか",
        ),
        ("integrity 3", client.post(&url).form(&form(&[("integrity", "3")])), 422, "完全性: 次のいずれか"),
        ("confidentiality 4", client.post(&url).form(&form(&[("confidentiality", "4")])), 422, "機密性: 1（公開）、2（社外秘）、3（極秘）"),
        (
            "unknown unit id",
            client.post(&url).form(&form(&[("managing_unit", &uuid::Uuid::now_v7().to_string())])),
            422,
            "管理部署: この組織の部門",
        ),
        (
            "another organisation's unit",
            client.post(&url).form(&form(&[("managing_unit", &other_org_unit)])),
            422,
            "管理部署: この組織の部門",
        ),
        ("not a unit id", client.post(&url).form(&form(&[("managing_unit", "営業部")])), 422, "管理部署"),
        ("unknown owner", client.post(&url).form(&form(&[("owner", &uuid::Uuid::now_v7().to_string())])), 422, "管理責任者: この組織の人"),
        ("a 100 000-character name", client.post(&url).form(&form(&[("name", &long_name)])), 422, "情報資産名称: 200 文字以内"),
        ("not a date", client.post(&url).form(&form(&[("registered_on", "2026-13-45")])), 422, "登録日: 日付を"),
        ("an update of an unknown record", client.post(format!("{url}/{}", uuid::Uuid::now_v7())).form(&valid), 404, "見つかりません"),
        (
            "malformed JSON",
            app.client()
                .post(app.url("/api/registers/information_assets/records"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body("{\"fields\":"),
            400,
            "形式",
        ),
        (
            "an unknown JSON member",
            app.client()
                .post(app.url("/api/registers/information_assets/records"))
                .bearer_auth(&token)
                .json(&json!({"fields": asset_input("x", app.sales, 1), "extra": 1})),
            400,
            "形式",
        ),
        ("not a record id", client.get(app.url("/registers/information_assets/not-an-id")), 404, "見つかりません"),
        ("unknown register", client.get(app.url("/registers/no_such_register")), 404, "見つかりません"),
        ("unknown page", client.get(app.url("/no/such/page")), 404, "見つかりません"),
        (
            "broken xlsx",
            client.post(app.url("/registers/information_assets/import")).multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", csrf.clone())
                    .part("file", reqwest::multipart::Part::bytes(b"PK\x03\x04broken".to_vec()).file_name("x.xlsx")),
            ),
            422,
            "Excel ファイル（xlsx）として読み取れません",
        ),
        (
            "a 100 MB upload",
            client.post(app.url("/registers/information_assets/import")).multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", csrf.clone())
                    .part("file", reqwest::multipart::Part::bytes(vec![b'a'; hundred_mb]).file_name("big.csv")),
            ),
            413,
            "大きすぎます",
        ),
    ];
    let mut failures = Vec::new();
    for (name, request, status, message) in cases {
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: no response ({e})"));
                continue;
            }
        };
        let got = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        if got != status || !body.contains(message) {
            failures.push(format!("{name}: expected {status} with {message:?}, got {got}: {}", body.chars().take(300).collect::<String>()));
        }
    }
    // Odd list queries are ignored where they make no sense, never a server error; what is
    // echoed back is escaped.
    let odd_queries = [
        "/registers/information_assets?sort=-no_such_field&f.no_such_field=1",
        "/registers/information_assets?f.confidentiality=abc&f.registered_on=%ZZ",
        "/registers/information_assets?after=not-a-cursor",
        "/registers/information_assets?after=%FF%FE&sort=%FF",
        "/registers/information_assets?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/registers/information_assets?q=%25%25%25&q=_",
        "/api/registers/information_assets/records?limit=-1&after=x",
        "/api/registers/information_assets/records?limit=99999999999999999999",
    ];
    for path in odd_queries {
        let request =
            if path.starts_with("/api/") { app.client().get(app.url(path)).bearer_auth(&token) } else { client.get(app.url(path)) };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        if status != 200 || body.contains("<script>alert") {
            failures.push(format!("{path}: expected 200 with nothing unescaped, got {status}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(app.store.journal_length(app.org_a).await.unwrap(), journal_before, "nothing was written");
    assert!(app.assets(app.org_a).await.is_empty(), "nothing was created");
    // The same form, well formed, is accepted: the cases above failed for their one fault.
    assert_eq!(client.post(&url).form(&valid).send().await.unwrap().status(), 303);
}
