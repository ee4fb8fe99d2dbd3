// The console as a customer uses it, in Debian's Chromium driven by
// playwright-core: sign in, create a webhook, download its verification
// file onto the receiver, verify, send a test, Check now, see an open in
// the delivery log, pause and resume, sign out; and what must be refused
// (a forged or missing CSRF token, another account's webhook by URL).
//
// Run through `go test ./browsertest`, which starts "hookflow dev" and the
// receiver and passes their addresses in HOOKFLOW_* variables. Elements are
// found by role and accessible name, as /work/notes/console-contract.md
// (the console's contract) names them.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { Scenario, eventually, expectText, submit } from './steps.mjs';

function setting(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through "go test ./browsertest"`);
  return value;
}

const consoleURL = setting('HOOKFLOW_CONSOLE_URL');
const apiURL = setting('HOOKFLOW_API_URL');
const apiKey = setting('HOOKFLOW_API_KEY');
const databaseID = setting('HOOKFLOW_DATABASE_ID');
const pendingWebhookID = setting('HOOKFLOW_PENDING_WEBHOOK_ID');
const openURL = setting('HOOKFLOW_OPEN_URL');
const webUIURL = setting('HOOKFLOW_WEBUI_URL');
const receiverURL = setting('HOOKFLOW_RECEIVER_URL');
const receiverDir = setting('HOOKFLOW_RECEIVER_DIR');
const secretFile = setting('HOOKFLOW_SECRET_FILE');
const otherWebhookID = setting('HOOKFLOW_OTHER_WEBHOOK_ID');
const otherWebhookURL = setting('HOOKFLOW_OTHER_WEBHOOK_URL');
const screenshots = process.env.HOOKFLOW_SCREENSHOTS ?? '';

const webhookURL = `${receiverURL}/hooks/handler.php`;
const desktop = { width: 1280, height: 900 };
const forgedPage = /The form has expired or was forged/;

// Debian's Chromium as this machine and CI need it: headless, no sandbox
// (we run as root), nothing that reaches out to Google's services (the
// network is closed), and a fresh, empty profile (--user-data-dir).
const userDataDir = await mkdtemp(path.join(tmpdir(), 'hookflow-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.HOOKFLOW_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  chromiumSandbox: false,
  args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  acceptDownloads: true,
  viewport: desktop,
  timeout: 30_000,
});
context.setDefaultTimeout(15_000);
const page = context.pages()[0] ?? await context.newPage();

// api calls hookflow's API as Acme, to check what the pages claim.
async function api(method, route) {
  const response = await fetch(apiURL + route, { method, headers: { Authorization: `Bearer ${apiKey}` } });
  assert.ok(response.ok, `${method} ${route} answered ${response.status}`);
  return response.json();
}

async function shot(name, options = {}) {
  if (!screenshots) return;
  await page.screenshot({ path: path.join(screenshots, name), fullPage: true, animations: 'disabled', ...options });
}

async function webhookStatus() {
  return (await page.locator('#webhook-status').innerText()).trim();
}

const button = (name) => page.getByRole('button', { name, exact: true });
const link = (name) => page.getByRole('link', { name, exact: true });
const heading = (name) => page.getByRole('heading', { name, exact: true });

const s = new Scenario();
let webhookID;
let manageURL;
let verificationFile;

s.step('signed out, /console leads to the sign-in page, with the security headers', async () => {
  const response = await page.goto(consoleURL);
  await page.waitForURL(`${consoleURL}/login`);
  await page.getByLabel('API key', { exact: true }).waitFor();
  const headers = response.headers();
  assert.match(headers['content-security-policy'] ?? '', /default-src 'none'/);
  assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'same-origin');
});

s.step('a wrong API key is refused (401) with a message', async () => {
  await page.getByLabel('API key', { exact: true }).fill('hfk_not_a_key');
  const response = await submit(page, button('Sign in'));
  assert.equal(response.status(), 401);
  await page.getByLabel('API key', { exact: true }).waitFor();
  assert.equal((await context.cookies()).filter((c) => c.name === 'hookflow_console').length, 0, 'no session');
});

s.step('sign in with the API key', async () => {
  await page.getByLabel('API key', { exact: true }).fill(apiKey);
  await submit(page, button('Sign in'));
  await page.waitForURL(`${consoleURL}/webhooks`);
  await heading('Webhooks').waitFor();
  const [cookie] = (await context.cookies()).filter((c) => c.name === 'hookflow_console');
  assert.ok(cookie, 'a hookflow_console session cookie');
  assert.equal(cookie.httpOnly, true, 'HttpOnly');
  assert.equal(cookie.sameSite, 'Strict', 'SameSite=Strict');
  assert.ok(cookie.expires > Date.now() / 1000, 'it expires');
});

s.step('create a webhook for opens and clicks in the Newsletter database', async () => {
  await link('New webhook').click();
  await heading('New webhook').waitFor();
  for (const type of ['open', 'click']) {
    await page.getByLabel(type, { exact: true }).check();
  }
  await page.getByLabel('Callback URL', { exact: true }).fill(webhookURL);
  await page.getByLabel('Database', { exact: true }).selectOption(databaseID);
  await page.getByLabel('Format', { exact: true }).selectOption('json');
  await page.getByLabel('Callback URL', { exact: true }).blur();
  await shot('console-new.png');
  await submit(page, button('Create webhook'));
  await page.waitForURL(/\/console\/webhooks\/[^/]+\/verify$/);
  webhookID = new URL(page.url()).pathname.split('/').at(-2);
  manageURL = `${consoleURL}/webhooks/${webhookID}`;
  await heading('Verify ownership').waitFor();
  const created = await api('GET', `/v1/webhooks/${webhookID}`);
  assert.equal(created.url, webhookURL);
  assert.deepEqual([...created.events].sort(), ['click', 'open']);
  assert.equal(created.database_id, databaseID);
  assert.equal(created.status, 'unverified');
});

s.step('the secret is shown once, and signs what the receiver gets', async () => {
  const secret = (await page.locator('#secret').innerText()).trim();
  assert.match(secret, /^whsec_[A-Za-z0-9+/=]+$/);
  // Written whole, then renamed: the receiver reads it on every request.
  await writeFile(`${secretFile}.new`, secret);
  await rename(`${secretFile}.new`, secretFile);
  await shot('console-verify.png', { mask: [page.locator('#secret')] });
  await page.goto(`${manageURL}/verify`);
  assert.equal(await page.locator('#secret').count(), 0, 'the secret is not shown again');
});

s.step('Verify before the file is placed shows a reason per location', async () => {
  await submit(page, button('Verify'));
  const reasons = page.locator('#verification-reasons').getByRole('listitem');
  await eventually('two reasons', async () => (await reasons.count()) === 2);
  assert.equal((await api('GET', `/v1/webhooks/${webhookID}`)).status, 'unverified');
});

s.step('download the verification file and place it on the receiver', async () => {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    link('Download verification file').click(),
  ]);
  verificationFile = download.suggestedFilename();
  assert.match(verificationFile, /^hookflow-[A-Za-z0-9_-]+\.txt$/);
  await download.saveAs(path.join(receiverDir, verificationFile));
  const content = await readFile(path.join(receiverDir, verificationFile), 'utf8');
  assert.ok(content.trim().length > 0, 'the file has content');
  // Both places it may go are spelled out.
  const locations = await page.locator('#verification-locations').innerText();
  assert.ok(locations.includes(`${receiverURL}/hooks/${verificationFile}`), `beside the script: ${locations}`);
  assert.ok(locations.includes(`${receiverURL}/${verificationFile}`), `at the web root: ${locations}`);
});

s.step('Verify: the webhook is verified and active', async () => {
  await submit(page, button('Verify'));
  await page.getByText(/\bVerified\b/).first().waitFor();
  assert.equal((await api('GET', `/v1/webhooks/${webhookID}`)).status, 'active');
  await link('Manage').click();
  await page.waitForURL(manageURL);
  await heading(webhookURL).waitFor();
  await expectText(page.locator('#webhook-status'), /\bactive\b/, 'status');
});

s.step('the testing tool sends a signed click and shows request and response', async () => {
  await page.getByLabel('Event type', { exact: true }).selectOption('click');
  await submit(page, button('Send test'));
  await expectText(page.locator('#test-request'), new RegExp(`POST[\\s\\S]*${escape(webhookURL)}`), 'the request');
  await expectText(page.locator('#test-request'), /webhook-signature/i, 'its signature header');
  await expectText(page.locator('#test-response'), /\b204\b/, 'the receiver\'s answer');
});

s.step('Check now: passed, and the receiver enforces signatures', async () => {
  await page.goto(`${consoleURL}/webhooks`);
  const row = page.getByRole('row').filter({ hasText: webhookURL });
  await expectText(row.first(), /\bactive\b/, 'the webhook listed as active');
  const manageLinks = page.getByRole('link', { name: /^Manage\b/ });
  const listed = await manageLinks.evaluateAll((links) => links.map((a) => a.getAttribute('href')).sort());
  assert.deepEqual(listed, [webhookID, pendingWebhookID].map((id) => `/console/webhooks/${id}`).sort(),
    'Acme\'s two webhooks are listed, no other account\'s');
  await submit(page, button('Check now'));
  await heading('Check results').waitFor({ timeout: 60_000 });
  const result = page.getByRole('row').filter({ hasText: webhookURL }).filter({ hasText: /Enforces signatures/ });
  await expectText(result, /\bpassed\b/, 'the check passed');
  await expectText(result, /Enforces signatures: yes/, 'the forged requests were refused');
  await shot('console-webhooks.png');
});

s.step('after an open, the delivery log shows its delivery and attempts', async () => {
  const pixel = await fetch(openURL, { headers: { 'User-Agent': 'Mozilla/5.0 (browser test)' } });
  assert.equal(pixel.status, 200);
  await pixel.arrayBuffer();
  await page.goto(manageURL);
  await heading('Deliveries').waitFor();
  // Each row of the log links its delivery by its event type.
  const delivery = page.getByRole('row').getByRole('link', { name: 'open', exact: true });
  await eventually('the open in the delivery log', async () => {
    if (await delivery.count() > 0) return true;
    await page.reload();
    return false;
  }, { timeout: 60_000, interval: 1_000 });
  await page.getByRole('img', { name: /^Deliveries/ }).waitFor();
  await shot('console-manage.png');
  // The Status filter: the open is among the succeeded, not the failed.
  for (const [status, shown] of [['failed', 0], ['succeeded', 1]]) {
    await page.getByLabel('Status', { exact: true }).selectOption(status);
    await button('Filter').click();
    await page.waitForURL(new RegExp(`[?&]status=${status}`));
    assert.equal(await delivery.count(), shown, `deliveries shown with status ${status}`);
  }
  await delivery.first().click();
  await page.waitForURL(/\/console\/deliveries\/[^/]+$/);
  await expectText(page.getByRole('table').first(), /\b204\b/, 'the attempt the receiver answered');
  const webUI = await link('Open in Temporal Web UI').getAttribute('href');
  assert.ok(webUI.startsWith(webUIURL), `the Web UI link ${webUI} points at ${webUIURL}`);
  await button('Resend').waitFor();
  await shot('console-delivery.png');
});

s.step('Databases and collections lists the webhooks linked to each', async () => {
  await link('Databases and collections').click();
  await heading('Databases and collections').waitFor();
  for (const [url, id] of [[webhookURL, webhookID], [`${receiverURL}/shop/hooks.php`, pendingWebhookID]]) {
    const linked = page.getByRole('link', { name: url, exact: true }).first();
    assert.equal(await linked.getAttribute('href'), `/console/webhooks/${id}`);
  }
  await page.getByText(/\bCustomers\b/).first().waitFor();
  await shot('console-databases.png');
});

s.step('on a phone, the Webhooks page fits the screen', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await page.goto(`${consoleURL}/webhooks`);
    await heading('Webhooks').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
    await shot('console-phone.png');
  } finally {
    await page.setViewportSize(desktop);
  }
});

s.step('a forged CSRF token is refused (403) and nothing changes', async () => {
  await page.goto(manageURL);
  const pause = button('Pause');
  await pause.locator('xpath=ancestor::form').locator('input[name="csrf"]')
    .evaluate((input) => { input.value = `forged${input.value.slice(6)}x`; });
  const response = await submit(page, pause);
  assert.equal(response.status(), 403);
  await page.getByText(forgedPage).waitFor();
  assert.equal((await api('GET', `/v1/webhooks/${webhookID}`)).status, 'active', 'not paused');
  await page.goto(manageURL);
  await expectText(page.locator('#webhook-status'), /\bactive\b/, 'status');
});

s.step('a form without its CSRF token is refused (403): Sign out keeps the session', async () => {
  const signOut = button('Sign out');
  await signOut.locator('xpath=ancestor::form').locator('input[name="csrf"]').evaluate((input) => input.remove());
  const response = await submit(page, signOut);
  assert.equal(response.status(), 403);
  await page.getByText(forgedPage).waitFor();
  await page.goto(`${consoleURL}/webhooks`);
  await heading('Webhooks').waitFor();
});

s.step('pause and resume', async () => {
  await page.goto(manageURL);
  await submit(page, button('Pause'));
  await expectText(page.locator('#webhook-status'), /\bpaused\b/, 'status after Pause');
  assert.equal((await api('GET', `/v1/webhooks/${webhookID}`)).status, 'paused');
  assert.equal(await button('Pause').count(), 0, 'no Pause on a paused webhook');
  await submit(page, button('Resume'));
  await expectText(page.locator('#webhook-status'), /\bactive\b/, 'status after Resume');
  assert.equal((await api('GET', `/v1/webhooks/${webhookID}`)).status, 'active');
});

s.step('another account\'s webhook is not reachable by URL (404)', async () => {
  for (const route of ['', '/verify', '/verification-file']) {
    const response = await page.goto(`${consoleURL}/webhooks/${otherWebhookID}${route}`).catch((err) => {
      // A download would abort the navigation: that would be a leak too.
      throw new Error(`/console/webhooks/${otherWebhookID}${route}: ${err.message}`);
    });
    assert.equal(response.status(), 404, `/console/webhooks/{theirs}${route}`);
    const body = await response.text();
    assert.ok(!body.includes(otherWebhookURL), 'nothing of theirs is shown');
  }
});

s.step('sign out ends the session', async () => {
  await page.goto(`${consoleURL}/webhooks`);
  await submit(page, button('Sign out'));
  await page.waitForURL(`${consoleURL}/login`);
  assert.equal((await context.cookies()).filter((c) => c.name === 'hookflow_console').length, 0, 'the cookie is gone');
  await page.goto(manageURL);
  await page.waitForURL(`${consoleURL}/login`);
  await page.getByLabel('API key', { exact: true }).waitFor();
});

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// When a step fails: where the browser was and what it showed.
async function describePage() {
  try {
    console.log(`page: ${page.url()}`);
    console.log((await page.locator('body').innerText({ timeout: 2_000 })).slice(0, 4_000));
  } catch (err) {
    console.log(`(page not readable: ${err.message})`);
  }
}

let passed = false;
try {
  passed = await s.run(describePage);
} finally {
  await context.close();
  await rm(userDataDir, { recursive: true, force: true });
}
process.exitCode = passed ? 0 : 1;
