// page-test.mjs - drives Debian's chromium (puppeteer-core) against a live
// vitalsd's status page, for tests/integration/test_page.c.
//
//   node page-test.mjs BASE_URL OUT_DIR EXPECT_JSON PUSH_CHECK REFRESH_MS
//
// EXPECT_JSON maps every row's check name to its status word. The script
// checks the page as a person's browser sees it: no console error, no
// request leaving the origin, one row per check with the right words,
// worst first; the tag and status filters with JavaScript off; the
// auto-refresh showing PUSH_CHECK's change (this script PUTs a fail
// report) within two intervals without a reload, and stopping while the
// tab is hidden; contrast of at least 4.5:1 in both colour schemes; no
// horizontal scrolling at 360 px. It writes screenshots to OUT_DIR.
// Prints "ok" and exits 0, or prints each failure and exits 1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const [base, outDir, expectJson, pushCheck, refreshArg] = process.argv.slice(2);
const expect = JSON.parse(expectJson);
const refresh = Number(refreshArg);
const origin = new URL(base).origin;
const failures = [];
const fail = (msg) => failures.push(msg);
const order = { healthy: 0, degraded: 1, unhealthy: 2 };

const started = Date.now();
const lap = (what) => console.log(`${what}: ${Date.now() - started} ms`);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vitals-chromium-'));
const browser = await puppeteer.launch({
  executablePath: '/usr/bin/chromium',
  userDataDir: profile,
  // Without the background-networking flags Chromium reaches out to
  // Google's services, which this machine's closed network refuses.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
         '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});

// A page that records console errors and every request it makes.
async function openPage(js) {
  const page = await browser.newPage();
  page.requests = [];
  await page.setJavaScriptEnabled(js);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn')
      fail(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => fail(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    page.requests.push({ url: r.url(), t: Date.now() });
    if (u.protocol !== 'data:' && u.origin !== origin)
      fail(`a request left the origin: ${r.url()}`);
  });
  page.on('requestfailed', (r) => fail(`request failed: ${r.url()}`));
  return page;
}

// The rows as the DOM has them: name, status word, depth.
const rowsOf = (page) => page.$$eval('tbody tr[data-check]', (trs) =>
  trs.map((tr) => ({
    name: tr.getAttribute('data-check'),
    status: tr.getAttribute('data-status'),
    word: tr.querySelector('.pill').textContent.trim().toLowerCase(),
    member: !tr.classList.contains('m0'),
  })));

async function checkRows(page) {
  const rows = await rowsOf(page);
  const names = rows.map((r) => r.name).sort();
  const want = Object.keys(expect).sort();

  if (JSON.stringify(names) !== JSON.stringify(want))
    fail(`rows ${names.join(',')}, want ${want.join(',')}`);
  for (const r of rows) {
    if (r.status !== expect[r.name] || r.word !== expect[r.name])
      fail(`row ${r.name}: ${r.status}/${r.word}, want ${expect[r.name]}`);
  }
  const top = rows.filter((r) => !r.member);
  for (let i = 1; i < top.length; i++) {
    const a = top[i - 1], b = top[i];
    if (order[a.status] < order[b.status] ||
        (a.status === b.status && a.name > b.name))
      fail(`rows not worst first, then by name: ${a.name} before ${b.name}`);
  }
  return rows;
}

// Accessibility: landmarks, headers, labelled icons.
async function checkStructure(page) {
  const s = await page.evaluate(() => ({
    landmarks: ['header', 'main', 'nav', 'footer'].filter(
      (t) => !document.querySelector(t)),
    cols: document.querySelectorAll('thead th[scope=col]').length,
    rowHeaders: document.querySelectorAll('tbody th[scope=row]').length,
    rows: document.querySelectorAll('tbody tr[data-check]').length,
    unlabelled: [...document.querySelectorAll('svg.ic')].filter(
      (i) => !i.getAttribute('aria-label')).length,
    lang: document.documentElement.lang,
  }));
  if (s.landmarks.length) fail(`missing landmarks: ${s.landmarks}`);
  if (s.cols !== 6) fail(`${s.cols} column headers, want 6`);
  if (s.rowHeaders !== s.rows) fail('a row without a row header');
  if (s.unlabelled) fail(`${s.unlabelled} icons without aria-label`);
  if (s.lang !== 'en') fail('no lang on <html>');
}

// Every text element against its background: at least 4.5:1.
async function checkContrast(page, scheme) {
  const bad = await page.evaluate(() => {
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = (c) => {
      const [r, g, b] = rgb(c).slice(0, 3).map((v) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const bg = (el) => {
      for (; el; el = el.parentElement) {
        const v = rgb(getComputedStyle(el).backgroundColor);
        if (v.length === 3 || (v.length === 4 && v[3] > 0))
          return getComputedStyle(el).backgroundColor;
      }
      return 'rgb(255, 255, 255)';
    };
    const out = [];
    const sel = 'h1,.sub,.overall,.asof,nav a,nav .l,thead th,.pill,.nm,' +
                '.msg,.tag,td,small,.none,footer,.banner';
    for (const el of document.querySelectorAll(sel)) {
      if (!el.textContent.trim()) continue;
      const a = lum(getComputedStyle(el).color), b = lum(bg(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5)
        out.push(`${el.tagName}.${el.className} "${el.textContent
          .trim().slice(0, 20)}" ${ratio.toFixed(2)}`);
    }
    return out;
  });
  for (const b of bad) fail(`contrast below 4.5:1 (${scheme}): ${b}`);
}

// The filters are plain links: they work with JavaScript off.
async function checkFilters() {
  const page = await openPage(false);
  const top = async () => (await rowsOf(page)).filter((r) => !r.member);
  const click = (sel) => Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }), page.click(sel)]);

  await page.goto(base, { waitUntil: 'load' });
  await click('nav a[href="?status=unhealthy"]');
  let rows = await top();
  if (!rows.length || rows.some((r) => r.status !== 'unhealthy'))
    fail(`?status=unhealthy shows ${JSON.stringify(rows)}`);
  await click('nav a[href="?status=unhealthy&tag=db"]');
  rows = await top();
  if (rows.length !== 1 || rows[0].name !== 'db')
    fail(`?status=unhealthy&tag=db shows ${JSON.stringify(rows)}`);
  await click('nav a[href="?tag=db"]');
  if (!page.url().endsWith('/?tag=db'))
    fail(`the "All" status link went to ${page.url()}`);
  await page.close();
}

// Auto-refresh: a status change shows within two intervals, in place;
// a hidden tab polls nothing.
async function checkRefresh(page) {
  const word = () => page.$eval(`tr[data-check="${pushCheck}"]`,
                                (tr) => tr.getAttribute('data-status'));
  await page.evaluate(() => { window.loadedOnce = 1; });
  const put = await fetch(`${base.replace(/\/$/, '')}/health/${pushCheck}`, {
    method: 'PUT', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ status: 'fail', output: 'nightly backup failed' }),
  });
  if (put.status !== 204) fail(`PUT report: ${put.status}`);
  const t0 = Date.now();
  while (await word() !== 'unhealthy' && Date.now() - t0 < 4 * refresh)
    await new Promise((r) => setTimeout(r, 50));
  const took = Date.now() - t0;
  if (await word() !== 'unhealthy' || took > 2 * refresh)
    fail(`the change showed after ${took} ms (two intervals: ${2 * refresh})`);
  if (!(await page.evaluate(() => window.loadedOnce === 1)))
    fail('the page reloaded to show the change');
  console.log(`refresh showed the change after ${took} ms`);

  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true,
                                                get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await new Promise((r) => setTimeout(r, refresh / 2));
  const before = page.requests.length;
  await new Promise((r) => setTimeout(r, 1.5 * refresh));
  if (page.requests.length !== before)
    fail(`a hidden tab polled ${page.requests.length - before} times`);
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true,
                                                get: () => false });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await new Promise((r) => setTimeout(r, refresh / 2));
  if (page.requests.length === before)
    fail('a tab shown again does not poll at once');
}

async function shoot(page, name, width, height, scheme) {
  await page.setViewport({ width, height });
  await page.emulateMediaFeatures([
    { name: 'prefers-color-scheme', value: scheme }]);
  await page.goto(base, { waitUntil: 'load' });
  await checkContrast(page, scheme);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) fail(`${width} px wide: scrolls sideways by ${overflow}`);
  await page.screenshot({ path: path.join(outDir, name) });
}

try {
  fs.mkdirSync(outDir, { recursive: true });
  lap('chromium started');
  const page = await openPage(true);
  await page.goto(base, { waitUntil: 'load' });
  await checkRows(page);
  await checkStructure(page);
  await shoot(page, 'page-1280x800.png', 1280, 800, 'light');
  await shoot(page, 'page-360x740.png', 360, 740, 'light');
  await shoot(page, 'page-1280x800-dark.png', 1280, 800, 'dark');
  lap('screenshots taken');
  await page.setViewport({ width: 1280, height: 800 });
  await page.emulateMediaFeatures([
    { name: 'prefers-color-scheme', value: 'light' }]);
  await page.goto(base, { waitUntil: 'load' });
  await checkFilters();
  lap('filters checked');
  await checkRefresh(page);
  lap('auto-refresh checked');
  const json = page.requests.filter((r) => r.url.includes('format=json'));
  if (!json.length) fail('the page never fetched its JSON');
} catch (e) {
  fail(`exception: ${e.stack || e}`);
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
for (const f of failures) console.log(`FAIL ${f}`);
if (!failures.length) console.log('ok');
process.exit(failures.length ? 1 : 0);
