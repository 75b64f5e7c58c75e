//! Catalog pages through HTTP: the list, a tree and its search, a requirement with its mappings
//! read from both sides, the comparison of editions, and what external roles do not see.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

mod support;

use support::TestApp;

async fn page(client: &reqwest::Client, url: String) -> (u16, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn a_security_officer_reads_catalogs_and_follows_mappings() {
    let app = TestApp::spawn().await;
    let (ciso, _) = app.login_as("ciso").await;

    let (status, list) = page(&ciso, app.url("/catalogs")).await;
    assert_eq!(status, 200);
    assert!(list.contains("クボタグループ お取引先様向け 情報セキュリティ対策基準"), "Kubota's standard is listed");
    assert!(list.contains("必須 129 / 任意 24"), "with its counts");
    assert!(list.contains("href=\"/catalogs/abs-operation-rules/2025%E5%B9%B4%E5%BA%A6%E7%89%88\""), "editions are encoded in links");
    assert!(list.contains("<span class=\"badge c2\">社外秘</span>"), "the ABS rules show their classification");

    // The tree, and a search that finds one row by a word of its criteria.
    let (status, tree) = page(&ciso, app.url("/catalogs/kubota-supplier/2.0")).await;
    assert_eq!(status, 200);
    assert_eq!(tree.matches("<li class=\"d2\">").count(), 153, "every row of the standard, under its label and requirement");
    assert!(tree.contains("原典に達成条件の記載なし"), "No. 72 is flagged");
    let (_, found) = page(&ciso, app.url("/catalogs/kubota-supplier/2.0?q=パターンファイル")).await;
    assert!(found.contains("href=\"/catalogs/kubota-supplier/2.0/137\""), "{}", &found[..found.len().min(300)]);
    assert!(!found.contains("href=\"/catalogs/kubota-supplier/2.0/1\""), "only matching rows");

    // A requirement page: its texts and criteria, verbatim.
    let (status, row) = page(&ciso, app.url("/catalogs/kubota-supplier/2.0/137")).await;
    assert_eq!(status, 200);
    assert!(row.contains("【パターンファイルの更新頻度】") && row.contains("起動し利用する日ごとに1回 以上"));

    // Mappings, from the 2013 side and back from the 2022 side.
    let (_, a711) = page(&ciso, app.url("/catalogs/iso27001-2013/2013/A.7.1.1")).await;
    assert!(a711.contains("href=\"/catalogs/iso27001-2022/2022/6.1\""), "A.7.1.1 links to 6.1");
    assert!(a711.contains("同等"), "with its relationship");
    let (_, c61) = page(&ciso, app.url("/catalogs/iso27001-2022/2022/6.1")).await;
    assert!(c61.contains("href=\"/catalogs/iso27001-2013/2013/A.7.1.1\""), "and back");
    // A regulation of seed 001 links the ISO controls it cites.
    let (_, regulation) = page(&ciso, app.url("/catalogs/company-isms-regulations/sample/system-admin.4.1.4")).await;
    assert!(regulation.contains("href=\"/catalogs/iso27001-2013/2013/A.9.2.3\""));

    // Comparing two editions.
    let (status, diff) = page(&ciso, app.url("/catalogs/compare?old=iso27001-2013@2013&new=iso27001-2022@2022")).await;
    assert_eq!(status, 200);
    assert!(diff.contains("追加 97") && diff.contains("削除 163"), "{}", &diff[..diff.len().min(500)]);

    // In English: the English titles; a text the source gives in Japanese only stays Japanese.
    let (english, csrf) = app.login_as("auditor").await;
    english.post(app.url("/account/language")).form(&[("csrf", csrf.as_str()), ("lang", "en")]).send().await.unwrap();
    let (_, csf) = page(&english, app.url("/catalogs/nist-csf/2.0/RS.AN-08")).await;
    assert!(csf.contains("magnitude is estimated and validated"), "{}", &csf[..csf.len().min(500)]);
    let (_, iso) = page(&english, app.url("/catalogs/iso27001-2013/2013/A.12.3.1")).await;
    assert!(iso.contains("Taking and testing backups"));
    let (_, kubota) = page(&english, app.url("/catalogs/kubota-supplier/2.0/1")).await;
    assert!(kubota.contains("自社の情報セキュリティ対応方針(ポリシー)を策定している") && kubota.contains("Mandatory"));

    // Unknown catalogs, editions and refs are not found, never a server error.
    for path in
        ["/catalogs/nope/1", "/catalogs/kubota-supplier/9.9", "/catalogs/kubota-supplier/2.0/9999", "/catalogs/compare?old=x@1&new=y@2"]
    {
        assert_eq!(page(&ciso, app.url(path)).await.0, 404, "{path}");
    }
}

#[tokio::test]
async fn a_supplier_does_not_see_a_confidential_catalog() {
    let app = TestApp::spawn().await;
    let (supplier, _) = app.login_as("supplier").await;
    let (status, list) = page(&supplier, app.url("/catalogs")).await;
    assert_eq!(status, 200);
    assert!(list.contains("クボタグループ"), "public catalogs are listed");
    assert!(!list.contains("abs-operation-rules"), "the 社外秘 ABS rules are not, not even as a choice to compare");
    assert_eq!(page(&supplier, app.url("/catalogs/abs-operation-rules/2025年度版")).await.0, 404);
    assert_eq!(page(&supplier, app.url("/catalogs/compare?old=abs-operation-rules@2025年度版&new=kubota-supplier@2.0")).await.0, 404);
}
