// End to end in headless Chromium at a phone's width (375 px): sign in, create an asset, find
// it in the list, edit it, and read both changes in its history. Every page visited must pass
// axe-core with no serious or critical violation.
//
// Needs Debian's chromium (/usr/bin/chromium, or CHROMIUM=path) and the mamori binary
// (MAMORI_BIN, default ../target/debug/mamori). Missing either: skipped with a message, except
// under CI=true, where that is a failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const MAMORI = resolve(process.env.MAMORI_BIN || '../target/debug/mamori');
const PASSWORD = 'Mamori-Demo-2026!';
const missing = [CHROMIUM, MAMORI].filter((p) => !existsSync(p));
if (missing.length && process.env.CI === 'true') {
  throw new Error(`e2e: missing ${missing.join(', ')} (required in CI)`);
}
const skip = missing.length ? `missing ${missing.join(', ')}` : false;
if (skip) console.log(`SKIP e2e: ${skip}`);

let server, dataDir, base, browser;

function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

async function waitForServer(url, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer`);
}

before(async () => {
  if (skip) return;
  dataDir = mkdtempSync(join(tmpdir(), 'mamori-e2e-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(MAMORI, ['demo', '--listen', `127.0.0.1:${port}`, '--data', dataDir], { stdio: 'ignore' });
  await waitForServer(`${base}/login`, 60);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Runs axe-core on the page; fails on any serious or critical violation. */
async function checkAccessibility(page, where) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')}`);
  assert.deepEqual(summary, [], `axe on ${where}`);
}

test('sign in, create an asset, find it, edit it, read its history (375 px)', { skip }, async () => {
  // bypassCSP lets the test inject axe-core; the app's own CSP forbids inline scripts.
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'ja-JP', hasTouch: true, bypassCSP: true });
  const page = await context.newPage();
  const name = `E2E 顧客アンケート ${Date.now()}`;

  await page.goto(`${base}/login`);
  await checkAccessibility(page, 'login');
  await page.getByLabel('メールアドレス').fill('sales-head@demo.mamori.example');
  await page.getByLabel('パスワード').fill(PASSWORD);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL(`${base}/registers`);
  await checkAccessibility(page, 'registers');

  await page.getByRole('link', { name: '情報資産管理台帳' }).click();
  await checkAccessibility(page, 'asset list');
  await page.getByRole('link', { name: '新規登録' }).click();
  await checkAccessibility(page, 'new asset form');

  // Submitting with nothing filled shows field-level errors, reachable from the summary.
  await page.getByRole('button', { name: '保存' }).click();
  await assert.doesNotReject(page.getByRole('alert').waitFor());
  assert.match(await page.getByRole('alert').innerText(), /業務分類: 入力してください/);
  await checkAccessibility(page, 'form with errors');

  await page.getByLabel('業務分類').fill('営業');
  await page.getByLabel('情報資産名称').fill(name);
  await page.getByLabel('個人情報の種類').selectOption('personal');
  await page.getByLabel('機密性').selectOption('2');
  await page.getByLabel('完全性').selectOption('2');
  await page.getByLabel('可用性').selectOption('1');
  await page.getByRole('button', { name: '保存' }).click();
  await page.waitForURL(/\/registers\/information_assets\/[0-9a-f-]{36}\?saved=1$/);
  assert.match(await page.locator('h1').innerText(), /社外秘/);
  assert.match(await page.locator('dl.fields').innerText(), /重要度\s*2/);
  await checkAccessibility(page, 'record page');

  // Find it in the list by search.
  await page.goto(`${base}/registers/information_assets`);
  await page.getByLabel('検索').fill('顧客アンケート');
  await page.getByRole('button', { name: '絞り込む' }).click();
  await assert.doesNotReject(page.getByRole('link', { name }).waitFor());
  await checkAccessibility(page, 'searched list');

  // Edit it; the history shows who changed what.
  await page.getByRole('link', { name }).click();
  await page.getByRole('link', { name: '編集' }).click();
  await page.getByLabel('機密性').selectOption('3');
  await page.getByRole('button', { name: '保存' }).click();
  await page.waitForURL(/\?saved=1$/);
  const history = await page.locator('ol.history').innerText();
  assert.match(history, /更新/);
  assert.match(history, /登録/);
  assert.match(history, /田中 浩/);
  assert.match(history, /2 社外秘\s+3 極秘/);
  await checkAccessibility(page, 'record page after edit');
  await context.close();
});

test('English interface after switching language', { skip }, async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'ja-JP', bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('メールアドレス').fill('employee@demo.mamori.example');
  await page.getByLabel('パスワード').fill(PASSWORD);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.getByRole('button', { name: 'English' }).click();
  await page.waitForURL(`${base}/registers`);
  await assert.doesNotReject(page.getByRole('link', { name: 'Information asset register' }).waitFor());
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await checkAccessibility(page, 'registers (English)');
  await context.close();
});

test('catalogs on a phone: find a requirement by search and follow a mapping (375 px)', { skip }, async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'ja-JP', hasTouch: true, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('メールアドレス').fill('sales-head@demo.mamori.example');
  await page.getByLabel('パスワード').fill(PASSWORD);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL(`${base}/registers`);
  await page.getByRole('link', { name: 'カタログ' }).click();
  await checkAccessibility(page, 'catalog list');
  await page.getByRole('link', { name: /クボタグループ/ }).click();
  await page.getByLabel('検索').fill('パターンファイル');
  await page.getByRole('button', { name: '検索' }).click();
  await page.waitForURL(/q=/);
  await checkAccessibility(page, 'catalog search');
  await page.locator('a[href="/catalogs/kubota-supplier/2.0/137"]').click();
  assert.match(await page.locator('main').innerText(), /起動し利用する日ごとに1回 以上/);
  await checkAccessibility(page, 'requirement page');
  await page.goto(`${base}/catalogs/iso27001-2013/2013/A.7.1.1`);
  await page.locator('a[href="/catalogs/iso27001-2022/2022/6.1"]').click();
  await page.waitForURL(`${base}/catalogs/iso27001-2022/2022/6.1`);
  await checkAccessibility(page, 'mapped requirement');
  await page.goto(`${base}/catalogs/compare?old=iso27001-2013@2013&new=iso27001-2022@2022`);
  await checkAccessibility(page, 'edition comparison');
  await context.close();
});

test('a supplier answers an item and attaches evidence on a phone (375 px)', { skip }, async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'ja-JP', hasTouch: true, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('メールアドレス').fill('supplier@demo.mamori.example');
  await page.getByLabel('パスワード').fill(PASSWORD);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL(`${base}/registers`);
  await page.getByRole('link', { name: '評価・チェックリスト' }).click();
  await checkAccessibility(page, 'assessment list');
  await page.getByRole('link', { name: '委託先チェックリスト' }).click();
  await checkAccessibility(page, 'checklist page');

  // The first item: answer ○ with a comment, save and stay.
  await page.locator('ul.items a').first().click();
  await checkAccessibility(page, 'item page');
  await page.getByRole('radio', { name: '○' }).check();
  await page.getByLabel('コメント・根拠').first().fill('委託契約書 第12条で秘密保持を規定');
  await page.getByRole('button', { name: '保存', exact: true }).first().click();
  await page.waitForURL(/done=answered/);
  assert.match(await page.getByRole('status').innerText(), /回答を保存しました/);

  // Attach a PDF as evidence; it is listed and downloads as the same bytes.
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
  await page.getByLabel('ファイル').setInputFiles({ name: '秘密保持契約書.pdf', mimeType: 'application/pdf', buffer: pdf });
  await page.getByRole('button', { name: '証跡を追加' }).click();
  await page.waitForURL(/done=evidence/);
  const link = page.getByRole('link', { name: '秘密保持契約書.pdf' });
  await assert.doesNotReject(link.waitFor());
  const href = await link.getAttribute('href');
  const download = await page.request.get(`${base}${href}`);
  assert.equal(download.status(), 200);
  assert.deepEqual(Buffer.from(await download.body()), pdf);
  await checkAccessibility(page, 'item page with evidence');

  // A file that is not what its name says is refused with a clear message.
  await page.getByLabel('ファイル').setInputFiles({ name: 'invoice.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00 not a pdf') });
  await page.getByRole('button', { name: '証跡を追加' }).click();
  assert.match(await page.getByRole('alert').innerText(), /受け付けられない種類/);

  // Back on the checklist, the item shows its answer.
  await page.getByRole('link', { name: '一覧に戻る' }).click();
  assert.match(await page.locator('ul.items li').first().innerText(), /○/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `no horizontal scrolling on a phone (page is ${width} px wide)`);
  await context.close();
});
