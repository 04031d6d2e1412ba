/**
 * The `--html` page in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; .ci/run
 * installs it): the page loads with no network request, the charts render (SVG bars with real, proportional
 * widths), and every number on the page equals the `--json` report of the same run. Skipped, saying so, where
 * no browser is installed.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { startTestOss, ossClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';
import { KEY_A, KEY_B, mixedSpecs, upload } from './mixed-bucket';
import { auditCli } from './run-audit-cli';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
const describeBrowser = haveBrowser ? describe : describe.skip;
if (!haveBrowser) {
  // eslint-disable-next-line no-console
  console.warn(`test/audit/html.test.ts SKIPPED: no browser at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH); .ci/run installs it`);
}

interface Row { name: string; objects: number; encryptedObjects: number; plaintextObjects: number; unknownObjects: number; bytes: number; encryptedBytes: number; plaintextBytes: number; unknownBytes: number }
/** What the page's elements are used for here (the project compiles without the DOM lib). */
interface Boxed { getBoundingClientRect(): { width: number } }
const FIELDS = ['objects', 'encryptedObjects', 'plaintextObjects', 'unknownObjects', 'bytes', 'encryptedBytes', 'plaintextBytes'] as const;

describeBrowser(`audit --html in headless Chromium (${CHROMIUM})`, () => {
  jest.setTimeout(60_000);
  let oss: LocalOss;
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'audit-html-'));

  beforeAll(async () => {
    oss = await startTestOss({ buckets: ['html-audit'], kms: { keys: [{ id: KEY_A }, { id: KEY_B }] } });
    await upload(ossClient(oss, 'html-audit'), mixedSpecs());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await oss?.close();
  });

  async function check(args: string[], env: Record<string, string>, name: string): Promise<void> {
    const html = join(dir, `${name}.html`);
    const r = await auditCli([...args, '--json', '--html', html], env);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { totals: Row; byPrefix: Row[]; byStorageClass: Row[]; byAlgorithm: Row[] | null; byKmsKey: Row[] | null; estimate: { toEncrypt: number; archivedPlaintext: number; fromInventory: { requests: number }; fromListing: { requests: number } } };
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(pathToFileURL(html).href);
    expect(requests).toEqual([pathToFileURL(html).href]); // self-contained: nothing else fetched

    // Charts render: the donut's arcs and every prefix / class bar have a real size on screen.
    const arcs = await page.$$eval('#donut circle.arc', (els) => els.map((e) => (e as unknown as Boxed).getBoundingClientRect().width));
    expect(arcs.length).toBeGreaterThan(0);
    expect(arcs.every((w) => w > 0)).toBe(true);
    for (const [chart, rows] of [['#chart-prefix', report.byPrefix], ['#chart-class', report.byStorageClass]] as const) {
      const bars = await page.$$eval(`${chart} g.bar`, (gs) => gs.map((g) => ({
        name: g.getAttribute('data-name'),
        segs: [...g.querySelectorAll('rect.seg')].map((s) => ({ kind: s.getAttribute('data-kind'), w: (s as unknown as Boxed).getBoundingClientRect().width })),
      })));
      expect(bars.map((b) => b.name)).toEqual(rows.slice(0, 25).map((x) => x.name));
      for (const bar of bars) {
        const row = rows.find((x) => x.name === bar.name) as Row;
        const total = bar.segs.reduce((s, x) => s + x.w, 0);
        expect(total).toBeGreaterThan(100);
        const enc = bar.segs.find((s) => s.kind === 'encrypted')?.w ?? 0;
        // The drawn encrypted share is the reported one (within a pixel).
        expect(Math.abs(enc - (row.encryptedBytes / row.bytes) * total)).toBeLessThan(1);
      }
    }

    // Numbers on the page equal --json: every cell of every table, the totals and the estimate.
    const tables: Array<[string, Row[] | null]> = [['#by-prefix', report.byPrefix], ['#by-class', report.byStorageClass], ['#by-algorithm', report.byAlgorithm], ['#by-kms-key', report.byKmsKey]];
    for (const [id, rows] of tables) {
      if (!rows) {
        expect(await page.$(id)).toBeNull();
        continue;
      }
      const onPage = await page.$$eval(`${id} tbody tr`, (trs) => trs.map((tr) => ({
        name: tr.getAttribute('data-name'),
        cells: Object.fromEntries([...tr.querySelectorAll('td[data-field]')].map((td) => [td.getAttribute('data-field'), { value: td.getAttribute('data-value'), text: (td as unknown as { innerText: string }).innerText }])),
      })));
      expect(onPage.map((x) => x.name)).toEqual(rows.map((x) => x.name));
      for (const [i, row] of rows.entries()) {
        for (const f of FIELDS) {
          expect(Number(onPage[i]?.cells[f]?.value)).toBe(row[f]);
          if (f.endsWith('Objects') || f === 'objects') expect(onPage[i]?.cells[f]?.text).toBe(row[f].toLocaleString('en-US'));
        }
      }
    }
    const totals = await page.$$eval('#totals td[data-field]', (tds) => Object.fromEntries(tds.map((td) => [td.getAttribute('data-field'), Number(td.getAttribute('data-value'))])));
    for (const f of FIELDS) expect(totals[f]).toBe(report.totals[f]);
    const estimate = await page.$$eval('#estimate b[data-value]', (bs) => bs.map((b) => Number(b.getAttribute('data-value'))));
    expect(estimate).toEqual([report.estimate.toEncrypt, ...(report.estimate.archivedPlaintext > 0 ? [report.estimate.archivedPlaintext] : []), report.estimate.fromInventory.requests, report.estimate.fromListing.requests]);
    const shot = await page.screenshot({ fullPage: true });
    expect(shot.length).toBeGreaterThan(10_000);
    await page.close();
  }

  it('from an inventory: charts render and the numbers match --json', async () => {
    const inv = await oss.inventory('html-audit', { dir });
    await check(['--bucket', 'html-audit', '--manifest', inv.manifest], {}, 'inventory');
    expect(readFileSync(join(dir, 'inventory.html'), 'utf8')).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('from a listing (algorithm and KMS key tables too): charts render and the numbers match --json', async () => {
    const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret };
    await check(['--bucket', 'html-audit', '--region', oss.region, '--endpoint', oss.endpoint], env, 'listing');
  });
});
