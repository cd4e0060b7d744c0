// The portal in a real browser (Debian's chromium driven by playwright-core)
// against a running stack: PRM_DEV_JSON names its dev.json (users, api_url).
// Screenshots of the pages go to PRM_SCREENSHOTS (default ../.local/screenshots).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';

const dev = JSON.parse(readFileSync(process.env.PRM_DEV_JSON ?? '../.local/dev.json', 'utf8'));
const base = dev.api_url;
const shots = process.env.PRM_SCREENSHOTS ?? '../.local/screenshots';
mkdirSync(shots, { recursive: true });
const user = (email) => dev.users.find((u) => u.email === email);

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
});
after(async () => {
  await browser?.close();
});

async function page(width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const p = await context.newPage();
  p.on('pageerror', (e) => {
    throw e;
  });
  return p;
}

async function signIn(p, email) {
  await p.goto(`${base}/`);
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill(user(email).password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** A token for setting up data through the API, as the portal gets it. */
async function token(email) {
  const res = await fetch(`${base}/_cognito`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
    body: JSON.stringify({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: dev.client_id,
      AuthParameters: { USERNAME: email, PASSWORD: user(email).password },
    }),
  });
  return (await res.json()).AuthenticationResult.IdToken;
}

describe('the portal', () => {
  it('refuses a wrong password with a clear message and signs in with the right one', async () => {
    const p = await page();
    await p.goto(`${base}/`);
    await p.screenshot({ path: `${shots}/sign-in.png` });
    await p.getByLabel('Email').fill('admin@northwind.example.com');
    await p.getByLabel('Password').fill('not the password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('alert').filter({ hasText: 'Incorrect email or password.' }).waitFor();
    await p.getByLabel('Password').fill(user('admin@northwind.example.com').password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Welcome, Northwind Traders' }).waitFor();
    await p.screenshot({ path: `${shots}/home-partner.png`, fullPage: true });
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByRole('heading', { name: 'Sign in' }).waitFor();
    await p.context().close();
  });

  it('registers a deal with a live conflict warning, and a channel manager approves it', async () => {
    const n = Date.now();
    const company = `Widget World ${n}`;
    const domain = `widget-world-${n}.com`;
    // Contoso registered the customer first (through the API).
    const contoso = await token('user@contoso.example.com');
    const first = await fetch(`${base}/v1/deals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${contoso}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Contoso sees it first', customer: { company_name: company, domain, country: 'DE' },
        contact: { name: 'Ann', email: `ann@${domain}` }, amount: { amount_minor: 100000, currency: 'EUR' },
        expected_close_date: '2027-06-30',
      }),
    });
    assert.equal(first.status, 201);

    const p = await page();
    await signIn(p, 'user@northwind.example.com');
    await p.getByRole('link', { name: 'Deals' }).click();
    await p.getByRole('link', { name: 'Register a deal' }).click();
    await p.getByLabel('Opportunity').fill(`Northwind firewall refresh ${n}`);
    await p.getByLabel('Company name').fill(company);
    await p.getByLabel('Web or email domain').fill(`https://www.${domain}/contact`);
    await p.getByLabel('Country (ISO code)').fill('DE');
    const warning = p.getByRole('status').filter({ hasText: 'Another partner already has an open registration' });
    await warning.waitFor();
    assert.match(await warning.textContent(), /same company domain/);
    assert.doesNotMatch(await p.content(), /Contoso/, 'the other partner is never named');
    await p.getByLabel('Contact name').fill('Bob Buyer');
    await p.getByLabel('Contact email').fill(`bob@${domain}`);
    await p.getByLabel('Amount').fill('25000');
    await p.getByLabel('Currency').fill('EUR');
    await p.getByLabel('Expected close date').fill('2027-03-31');
    await p.screenshot({ path: `${shots}/register-deal-conflict.png`, fullPage: true });
    await p.getByRole('button', { name: 'Register' }).click();
    await p.getByRole('heading', { name: new RegExp(`Northwind firewall refresh ${n}`) }).waitFor();
    assert.match(await p.textContent('main'), /Registered while another partner had an open registration/);
    await p.screenshot({ path: `${shots}/deal-detail.png`, fullPage: true });
    await p.getByRole('button', { name: 'Sign out' }).click();

    await signIn(p, 'channel@vendor.example.com');
    await p.getByRole('link', { name: 'Approvals' }).click();
    const approve = p.getByRole('button', { name: `Approve Northwind firewall refresh ${n}` });
    await approve.waitFor();
    await p.screenshot({ path: `${shots}/approvals.png`, fullPage: true });
    await approve.click();
    await approve.waitFor({ state: 'detached' });
    await p.getByRole('heading', { name: 'Fund requests' }).waitFor();
    await p.getByRole('link', { name: 'Deals' }).click();
    await p.getByLabel('Status').selectOption('approved');
    await p.getByRole('link', { name: `Northwind firewall refresh ${n}` }).click();
    await p.getByText('Protected until').waitFor();
    assert.match(await p.textContent('h1'), /approved/);
    await p.context().close();
  });

  it('lets a vendor upload an asset for gold partners, which a gold partner downloads byte for byte', async () => {
    const n = Date.now();
    const title = `Firewall battlecard ${n}`;
    const pdf = Buffer.from(`%PDF-1.7\n% battlecard ${n}\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n`);
    const p = await page();
    await signIn(p, 'admin@vendor.example.com');
    await p.getByRole('link', { name: 'Content' }).click();
    await p.getByLabel('Title').fill(title);
    await p.getByLabel('Description').fill('Objection handling for the FW range');
    await p.getByLabel('Tags (comma-separated)').fill('security, battlecard');
    await p.getByLabel('gold').check();
    await p.getByLabel('File').setInputFiles({ name: 'battlecard.pdf', mimeType: 'application/pdf', buffer: pdf });
    await p.getByRole('button', { name: 'Upload and publish' }).click();
    await p.getByRole('status').filter({ hasText: `"${title}" is published.` }).waitFor();
    await p.screenshot({ path: `${shots}/content-vendor.png`, fullPage: true });
    await p.getByRole('button', { name: 'Sign out' }).click();

    // Northwind is gold: it sees it; Contoso (silver) does not.
    await signIn(p, 'user@northwind.example.com');
    await p.getByRole('link', { name: 'Content' }).click();
    await p.getByLabel('Tag').fill('battlecard');
    const popup = p.waitForEvent('popup');
    await p.getByRole('button', { name: `Download ${title}` }).click();
    await (await popup).close();
    const link = p.getByTestId('ready-link');
    await link.waitFor();
    const bytes = Buffer.from(await (await fetch(await link.getAttribute('href'))).arrayBuffer());
    assert.deepEqual(bytes, pdf, 'the partner downloads what the vendor uploaded');
    await p.getByRole('button', { name: `Share ${title}` }).click();
    await p.getByRole('status').filter({ hasText: 'Share link' }).waitFor();
    await p.screenshot({ path: `${shots}/content-partner.png`, fullPage: true });
    await p.getByRole('button', { name: 'Sign out' }).click();
    await signIn(p, 'user@contoso.example.com');
    await p.getByRole('link', { name: 'Content' }).click();
    await p.getByText('No content matches.').or(p.locator('.assets li')).first().waitFor();
    assert.doesNotMatch(await p.textContent('main'), new RegExp(title));
    await p.context().close();
  });

  it('lets a vendor admin author and publish a course that a partner user passes, certified', async () => {
    const n = Date.now();
    const title = `Firewall sizing ${n}`;
    const p = await page();
    await signIn(p, 'admin@vendor.example.com');
    await p.getByRole('link', { name: 'Training' }).click();
    await p.getByRole('link', { name: 'New course' }).click();
    await p.locator('#course-title').fill(title);
    await p.getByLabel('Description').fill('Sizing the FW range for branch offices');
    await p.getByLabel('Module title').fill('Throughput first');
    await p.getByLabel('Content (Markdown)').fill('Size on **throughput**, then sessions.');
    await p.getByLabel('Question', { exact: true }).fill('What do you size first?');
    await p.getByLabel('Choices, one per line').fill('Colour\nThroughput\nSessions');
    await p.getByLabel('Right choices (numbers, comma-separated)').fill('2');
    await p.getByLabel('Certification name').fill(`FW Associate ${n}`);
    await p.getByRole('button', { name: 'Save draft' }).click();
    await p.getByRole('button', { name: 'Publish' }).click();
    await p.getByRole('button', { name: 'Publish' }).waitFor({ state: 'detached' });
    await p.getByRole('button', { name: 'Sign out' }).click();

    await signIn(p, 'user@northwind.example.com');
    await p.getByRole('link', { name: 'Training' }).click();
    await p.getByRole('link', { name: title }).click();
    await p.getByRole('button', { name: 'Enroll' }).click();
    await p.getByRole('button', { name: 'Mark module 1 done' }).click();
    await p.getByText('Done', { exact: true }).waitFor();
    await p.getByLabel('Throughput').check();
    await p.screenshot({ path: `${shots}/course-quiz.png`, fullPage: true });
    await p.getByRole('button', { name: 'Submit answers' }).click();
    const result = p.getByRole('status').filter({ hasText: 'Passed: 100 %' });
    await result.waitFor();
    assert.match(await result.textContent(), new RegExp(`Certified: FW Associate ${n}, valid until`));
    await p.getByRole('link', { name: 'Training' }).click();
    await p.getByRole('cell', { name: `FW Associate ${n}` }).waitFor();
    await p.screenshot({ path: `${shots}/training.png`, fullPage: true });
    await p.context().close();
  });

  it('funds a partner, which requests, is approved and claims with a proof file', async () => {
    const n = Date.now();
    const title = `Security roadshow ${n}`;
    const p = await page();
    await signIn(p, 'admin@vendor.example.com');
    await p.getByRole('link', { name: 'Funds' }).click();
    await p.getByText('Allocate funds').click();
    await p.getByLabel('Partner').selectOption({ label: 'Fabrikam Distribution' });
    await p.getByLabel('Amount to allocate').fill('10000');
    await p.getByRole('button', { name: 'Allocate', exact: true }).click();
    await p.getByRole('status').filter({ hasText: 'Allocated $10,000.00 to Fabrikam Distribution' }).waitFor();
    await p.getByRole('button', { name: 'Sign out' }).click();

    await signIn(p, 'user@fabrikam.example.com');
    await p.getByRole('link', { name: 'Funds' }).click();
    const balances = p.getByLabel('Balances');
    await balances.getByText('$10,000.00').first().waitFor();
    await p.getByText('Request funds').click();
    await p.getByLabel('Activity title').fill(title);
    await p.getByLabel('What you will do').fill('Three city roadshow with a customer panel');
    await p.getByLabel('Starts').fill('2026-10-05');
    await p.getByLabel('Ends').fill('2026-10-07');
    await p.getByLabel('Amount requested (USD)').fill('4000');
    await p.getByLabel('Expected leads').fill('40');
    await p.getByRole('button', { name: 'Submit request' }).click();
    await p.getByRole('cell', { name: new RegExp(title) }).waitFor();
    await p.getByRole('button', { name: 'Sign out' }).click();

    await signIn(p, 'channel@vendor.example.com');
    await p.getByRole('link', { name: 'Funds' }).click();
    await p.getByRole('button', { name: `Approve ${title}` }).click();
    await p.getByRole('button', { name: `Approve ${title}` }).waitFor({ state: 'detached' });
    await p.getByRole('button', { name: 'Sign out' }).click();

    await signIn(p, 'user@fabrikam.example.com');
    await p.getByRole('link', { name: 'Funds' }).click();
    await p.getByText('Claim', { exact: true }).click();
    await p.getByLabel('Amount claimed (USD)').fill('3000');
    await p.getByLabel('Leads generated').fill('52');
    await p.getByLabel('Attendees').fill('180');
    await p.getByLabel('Proof of performance').setInputFiles({
      name: 'attendance.pdf', mimeType: 'application/pdf', buffer: Buffer.from(`%PDF-1.4 attendance ${n}`),
    });
    await p.getByRole('button', { name: 'Submit claim' }).click();
    await p.getByRole('cell', { name: 'attendance.pdf' }).waitFor();
    await balances.getByText('$3,000.00').waitFor();
    await p.screenshot({ path: `${shots}/funds-partner.png`, fullPage: true });
    await p.context().close();
  });

  it('lets a vendor add a partner and invite its admin, distribute a lead that the partner accepts, and read the report', async () => {
    const n = Date.now();
    const p = await page();
    await signIn(p, 'admin@vendor.example.com');
    await p.getByRole('link', { name: 'Partners' }).click();
    await p.getByText('Add a partner').click();
    await p.getByLabel('Company name').fill(`Tailspin ${n}`);
    await p.locator('#partner-type').selectOption('msp');
    await p.locator('#partner-tier').selectOption('silver');
    await p.locator('#partner-region').fill('LATAM');
    await p.locator('#partner-country').fill('BR');
    await p.locator('#partner-email').fill(`ops@tailspin-${n}.com`);
    await p.getByRole('button', { name: 'Add partner' }).click();
    await p.getByRole('heading', { name: new RegExp(`Tailspin ${n}`) }).waitFor();
    await p.locator('#invite-email').fill(`admin@tailspin-${n}.com`);
    await p.locator('#invite-name').fill('Tia Admin');
    await p.locator('#invite-role').selectOption('partner-admin');
    await p.getByRole('button', { name: 'Send invitation' }).click();
    await p.getByRole('status').filter({ hasText: `admin@tailspin-${n}.com is invited` }).waitFor();
    await p.getByRole('cell', { name: `admin@tailspin-${n}.com` }).waitFor();

    await p.getByRole('link', { name: 'Leads' }).click();
    await p.getByText('Create a lead').click();
    await p.locator('#lead-company').fill(`Prospect ${n}`);
    await p.locator('#lead-domain').fill(`prospect-${n}.com`);
    await p.locator('#lead-region').fill('NA');
    await p.locator('#lead-interest').fill('firewall');
    await p.locator('#lead-contact').fill('Pat');
    await p.locator('#lead-email').fill(`pat@prospect-${n}.com`);
    await p.getByRole('button', { name: 'Create and distribute' }).click();
    await p.getByRole('status').filter({ hasText: `Prospect ${n} was assigned.` }).waitFor();
    await p.locator('li', { hasText: `Prospect ${n}` }).getByRole('button', { name: 'Why this partner?' }).click();
    await p.getByRole('cell', { name: 'Northwind Traders' }).first().waitFor();
    await p.screenshot({ path: `${shots}/leads-vendor.png`, fullPage: true });
    await p.getByRole('link', { name: 'Reports' }).click();
    await p.getByRole('heading', { name: 'Partners by tier' }).waitFor();
    await p.screenshot({ path: `${shots}/report.png`, fullPage: true });
    await p.getByRole('button', { name: 'Sign out' }).click();

    await signIn(p, 'admin@northwind.example.com');
    await p.getByRole('link', { name: 'Leads' }).click();
    await p.getByRole('button', { name: `Accept Prospect ${n}` }).click();
    await p.locator('li', { hasText: `Prospect ${n}` }).getByText('accepted').waitFor();
    await p.getByRole('link', { name: 'Notifications' }).click();
    const box = p.getByRole('checkbox', { name: 'DealApproved: email' });
    await box.waitFor();
    const was = await box.isChecked();
    await box.setChecked(!was);
    await p.getByRole('button', { name: 'Save preferences' }).click();
    await p.getByRole('status').filter({ hasText: 'Preferences saved.' }).waitFor();
    await p.reload();
    await p.getByRole('checkbox', { name: 'DealApproved: email' }).waitFor();
    assert.equal(await p.getByRole('checkbox', { name: 'DealApproved: email' }).isChecked(), !was);
    await p.screenshot({ path: `${shots}/notifications.png`, fullPage: true });
    await p.context().close();
  });

  it('lets an invited person sign in with the emailed temporary password and choose a new one', async () => {
    const n = Date.now();
    const email = `new.seller.${n}@northwind.example.com`;
    const p = await page();
    await signIn(p, 'admin@northwind.example.com');
    await p.getByRole('link', { name: 'Team' }).click();
    await p.locator('#invite-email').fill(email);
    await p.locator('#invite-name').fill('New Seller');
    await p.getByRole('button', { name: 'Send invitation' }).click();
    await p.getByRole('status').filter({ hasText: `${email} is invited` }).waitFor();
    await p.getByRole('button', { name: 'Sign out' }).click();
    // The invitation email, as the emulated SES accepted it.
    let temporary;
    for (let i = 0; i < 20 && !temporary; i += 1) {
      const data = await (await fetch(`${dev.endpoints.aws}/moto-api/data.json`)).json().catch(() => ({}));
      const mail = (data?.ses?.Message ?? []).find((m) => (m.destinations?.ToAddresses ?? []).includes(email));
      temporary = mail && /Temporary password: (?:<code>)?([^<\s]+)/.exec(mail.body)?.[1];
      if (!temporary) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(temporary, 'the invitation carries a temporary password');
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Password').fill(temporary);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await p.screenshot({ path: `${shots}/new-password.png` });
    await p.getByLabel('New password').fill(`Chosen-Passw0rd-${n}!`);
    await p.getByRole('button', { name: 'Set password and sign in' }).click();
    await p.getByRole('heading', { name: 'Welcome, Northwind Traders' }).waitFor();
    await p.context().close();
  });

  it('opens an email deep link on the right page', async () => {
    const p = await page();
    await signIn(p, 'user@northwind.example.com');
    await p.goto(`${base}/training/certifications`);
    await p.getByRole('heading', { name: 'Training' }).waitFor();
    assert.match(p.url(), /#\/training$/);
    await p.context().close();
  });

  it('shows the API problem when a registration is invalid, naming the field', async () => {
    const p = await page(390);
    await signIn(p, 'admin@northwind.example.com');
    await p.goto(`${base}/#/deals/new`);
    await p.getByLabel('Opportunity').fill('Bad one');
    await p.getByLabel('Company name').fill('Bad Customer');
    await p.getByLabel('Web or email domain').fill('not a domain');
    await p.getByLabel('Country (ISO code)').fill('ZZZ');
    await p.getByLabel('Contact name').fill('X');
    await p.getByLabel('Contact email').fill('x@bad-customer.com');
    await p.getByLabel('Amount').fill('10');
    await p.getByLabel('Expected close date').fill('2027-03-31');
    await p.getByRole('button', { name: 'Register' }).click();
    const problem = p.getByRole('alert');
    await problem.waitFor();
    assert.match(await problem.textContent(), /customer\.country/);
    await p.screenshot({ path: `${shots}/register-deal-problem-mobile.png`, fullPage: true });
    await p.context().close();
  });
});
