// The privacy centre (issue 18): a person opens it, asks for a code with their e-mail address,
// types the code from the message (read here from the DPO's console outbox, as the operator of a
// test instance would), downloads their data, withdraws a consent, asks for erasure and sees its
// status, all with the keyboard only; and an axe scan of every centre page in English and
// Swedish (the Swedish crawl signs in with the phone number, so each identity stays within the
// sign-in limit).

import { check } from '../scenario.mjs';
import { tab } from './keyboard.mjs';

/** What `document.activeElement` is, for matching a Tab stop; runs in the page. */
function focused() {
  const element = document.activeElement;
  return {
    tag: element?.tagName.toLowerCase() ?? '',
    id: element?.id ?? '',
    type: element?.getAttribute('type') ?? '',
    text: (element?.textContent ?? '').trim().replace(/\s+/g, ' '),
    href: element?.getAttribute('href') ?? '',
  };
}

/** Tab (each stop showing its focus) until `wanted(focus)` holds; at most `limit` stops. */
async function tabTo(page, what, wanted, limit = 120) {
  for (let stops = 0; stops < limit; stops += 1) {
    await tab(page);
    const focus = await page.evaluate(focused);
    if (wanted(focus)) {
      return focus;
    }
  }
  throw new Error(`${limit} Tab stops did not reach ${what}`);
}

/** The newest centre message in the outbox, read by the DPO: its code and its link's path. */
async function newestMessage(t, session) {
  // The DPO's own context: not the person's, and not the language the person's pages are in.
  const context = await t.suite.newContext({ storageState: session() });
  const page = t.on(await context.newPage());
  await t.visit(page, '/console/outbox?kind=centre_sign_in');
  const main = page.getByRole('main');
  // The outbox lists the newest message first.
  await main.getByRole('button', { name: /^Show address and text/ }).first().click();
  await page.waitForLoadState();
  const text = await main.locator('pre').first().textContent();
  await context.close();
  const code = text.match(/\b(\d{8})\b/)?.[1];
  const link = text.match(/\/privacy-centre\/link\/[A-Za-z0-9_-]+/)?.[0];
  check(code && link, 'the newest centre message has no 8-digit code or no link');
  return { code, link };
}

/** The person's whole visit, keyboard only; `session` is the signed-in DPO's saved cookies. */
export function centre(session) {
  return async function run(t, env) {
    const context = await t.newContext();
    const page = t.on(await context.newPage());
    const main = page.getByRole('main');

    await t.step('the start page: what the centre offers, and the form', async () => {
      await t.visit(page, '/privacy-centre');
      await t.axe(page, '/privacy-centre (en)');
      await t.shot(page, 'centre-start');
      const first = await tab(page);
      check(first.href === '#main', `the first Tab stop is ${first.what}, not the skip link`);
    });

    await t.step('ask for a code with the keyboard: e-mail address, then Enter', async () => {
      await tabTo(page, 'the e-mail field', (f) => f.id === 'email');
      await page.keyboard.type(env.subjectEmail);
      await tabTo(page, 'the send button', (f) => f.tag === 'button' && f.text === 'Send me a code');
      await Promise.all([page.waitForURL(/\/privacy-centre\/verify\/[0-9a-f]{32}$/), page.keyboard.press('Enter')]);
      await main.getByText('If we hold data about you, we have sent a message').waitFor();
      await t.axe(page, '/privacy-centre/verify/{challenge} (en)');
      await t.shot(page, 'centre-code');
    });

    await t.step('type the code from the message', async () => {
      const { code } = await newestMessage(t, session);
      await tabTo(page, 'the code field', (f) => f.id === 'code');
      await page.keyboard.type(code);
      await Promise.all([page.waitForURL((url) => url.pathname === '/privacy-centre/me'), page.keyboard.press('Enter')]);
      await page.getByRole('heading', { level: 1, name: 'Your data' }).waitFor();
      await main.getByRole('cell', { name: 'Anna Andersson' }).first().waitFor();
      await t.axe(page, '/privacy-centre/me (en)');
      await t.shot(page, 'centre-personal');
    });

    await t.step('download the data as JSON', async () => {
      await tabTo(page, 'the JSON download', (f) => f.href === '/privacy-centre/me/download/json');
      const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
      const chunks = [];
      for await (const chunk of await download.createReadStream()) {
        chunks.push(chunk);
      }
      const body = Buffer.concat(chunks).toString('utf8');
      check(body.includes('Anna Andersson'), 'the JSON download does not hold the record');
      JSON.parse(body);
    });

    await t.step('withdraw a consent with one key press', async () => {
      await tabTo(page, 'a withdraw button', (f) => f.tag === 'button' && f.text.startsWith('Withdraw consent'));
      await Promise.all([page.waitForURL(/\/privacy-centre\/me/), page.keyboard.press('Enter')]);
      await page.getByRole('status').getByText('Your consent is withdrawn, from now on.').waitFor();
      await main.getByText('Withdrawn', { exact: true }).first().waitFor();
    });

    await t.step('ask for erasure, confirming it', async () => {
      await tabTo(page, 'the erasure form', (f) => f.href === '/privacy-centre/me/ask/erasure');
      await Promise.all([page.waitForURL(/\/privacy-centre\/me\/ask\/erasure$/), page.keyboard.press('Enter')]);
      await t.axe(page, '/privacy-centre/me/ask/erasure (en)');
      await tabTo(page, 'the confirmation box', (f) => f.id === 'confirm');
      await page.keyboard.press('Space');
      await tabTo(page, 'the send button', (f) => f.tag === 'button' && f.text === 'Send the request');
      await Promise.all([page.waitForURL(/\/privacy-centre\/me\/requests\/[0-9a-f]{32}$/), page.keyboard.press('Enter')]);
      await page.getByRole('status').getByText('Your request is received. Here is your receipt.').waitFor();
    });

    await t.step('the request page shows its status and its statutory due date', async () => {
      const fact = (term) => main.locator('dt', { hasText: term }).first().locator('xpath=following-sibling::dd[1]');
      const type = (await fact('Request').textContent()).trim();
      check(type === 'Erasure', `the request reads "${type}"`);
      const due = (await fact('Answer due by').textContent()).trim();
      check(/^\d{1,2} [A-Z][a-z]+ \d{4}$/.test(due), `the due date reads "${due}" (British: 7 January 2027)`);
      await t.axe(page, '/privacy-centre/me/requests/{id} (en)');
      await t.shot(page, 'centre-request');
      await t.visit(page, '/privacy-centre/me');
      await main.getByRole('link', { name: 'Erasure' }).first().waitFor();
    });

    await t.step('sign out', async () => {
      await tabTo(page, 'the sign-out button', (f) => f.tag === 'button' && f.text === 'Sign out', 10);
      await Promise.all([page.waitForURL((url) => url.pathname === '/privacy-centre'), page.keyboard.press('Enter')]);
      await page.getByRole('status').getByText('You are signed out.').waitFor();
      await t.visit(page, '/privacy-centre/me');
      check(new URL(page.url()).pathname === '/privacy-centre', 'the personal page opened after signing out');
    });
    await context.close();
  };
}

/** The pages of the centre scanned by axe in `language`; signs in with the seeded subject's
 * `identity` (`email` or `phone`). */
export function centreScan(session, language, identity) {
  return async function run(t, env) {
    const context = await t.newContext({ language });
    const page = t.on(await context.newPage());
    const scanned = async (path, status = 200) => {
      await t.visit(page, path, { status });
      await t.axe(page, `${path.replace(/[0-9a-f]{32}/g, '{id}')} (${language})`);
    };

    await t.step('the start page, and the form with a problem', async () => {
      await scanned('/privacy-centre');
      await page.getByRole('button', { name: language === 'sv' ? 'Skicka en kod till mig' : 'Send me a code' }).click();
      await page.getByRole('alert').waitFor();
      await t.axe(page, `/privacy-centre, a problem (${language})`);
    });

    let link;
    await t.step('the code page, and a wrong code', async () => {
      await page.locator(`#${identity}`).fill(identity === 'email' ? env.subjectEmail : env.subjectPhone);
      await page.getByRole('button', { name: language === 'sv' ? 'Skicka en kod till mig' : 'Send me a code' }).click();
      await page.waitForURL(/\/privacy-centre\/verify\//);
      await t.axe(page, `/privacy-centre/verify/{challenge} (${language})`);
      const message = await newestMessage(t, session);
      link = message.link;
      await page.locator('#code').fill('00000000');
      await page.locator('#code').press('Enter');
      await page.getByRole('alert').waitFor();
      await t.axe(page, `/privacy-centre/verify/{challenge}, a wrong code (${language})`);
      await page.locator('#code').fill(message.code);
      await Promise.all([page.waitForURL(/\/privacy-centre\/me$/), page.locator('#code').press('Enter')]);
    });

    await t.step('the link opened in another browser', async () => {
      const other = await t.suite.newContext({ language });
      const elsewhere = t.on(await other.newPage());
      await t.visit(elsewhere, link, { status: 403 });
      await t.axe(elsewhere, `/privacy-centre/link/{token}, another browser (${language})`, language);
      await other.close();
    });

    await t.step('the personal page, every request form, a receipt', async () => {
      await scanned('/privacy-centre/me');
      const href = await page.getByRole('main').locator('a[href^="/privacy-centre/me/requests/"]').first().getAttribute('href');
      check(href, 'the personal page lists no request');
      for (const type of ['access', 'portability', 'rectification', 'erasure', 'restriction', 'objection', 'withdraw_consent', 'marketing_opt_out']) {
        await scanned(`/privacy-centre/me/ask/${type}`);
      }
      await scanned(href);
      await scanned('/privacy-centre/nowhere', 404);
    });
    await context.close();
  };
}
