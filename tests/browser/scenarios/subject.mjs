// Looking up a subject by e-mail address (a POST form: the address never goes into a URL),
// seeing consents, objections and preferences, and reading the records under a purpose, with
// what another purpose may not use listed as withheld.

import { check } from '../scenario.mjs';

export function subject(session) {
  return async function run(t, env) {
    const context = await t.newContext({ storageState: session() });
    const page = t.on(await context.newPage());
    const main = page.getByRole('main');
    const table = (caption) => main.getByRole('table', { name: caption });

    await t.step('look up the subject by e-mail address', async () => {
      await t.visit(page, '/console/subjects');
      await t.axe(page, '/console/subjects');
      await main.getByLabel('Kind of identity').selectOption('email');
      await main.getByLabel('Value').fill(env.subjectEmail);
      await main.getByRole('button', { name: 'Find' }).click();
      await page.waitForURL(/\/console\/subjects\/[0-9a-f]{32}$/);
      check(!page.url().includes(env.subjectEmail.split('@')[0]), 'the e-mail address is in the URL');
      await table('Identities').getByRole('cell', { name: env.subjectEmail }).waitFor();
    });

    await t.step('consents, objections and preferences are shown', async () => {
      // The runner adds a newsletter on consent to the bundled register, and Anna gave it.
      await table('Consents as they stand').getByRole('rowheader', { name: 'Newsletter about new services' }).waitFor();
      await table('Objections in force (Art. 21)').getByRole('rowheader', { name: 'All direct marketing' }).waitFor();
      const email = table('Marketing preferences').getByRole('row').filter({ hasText: 'email' });
      await email.getByRole('cell', { name: 'Opted out' }).waitFor();
      await t.axe(page, '/console/subjects/{id}');
      await t.shot(page, 'subject');
    });

    await t.step('read the records for a purpose', async () => {
      await main.getByLabel('Purpose').selectOption('service_delivery');
      await main.getByRole('button', { name: 'Read the records' }).click();
      await page.waitForLoadState();
      await table('Records the purpose may use').getByText('Anna Andersson').waitFor();
      await t.axe(page, '/console/subjects/{id} (records read)');
    });

    await t.step('a purpose that may not use them lists them as withheld, with the reason', async () => {
      await main.getByLabel('Purpose').selectOption('support');
      await main.getByRole('button', { name: 'Read the records' }).click();
      await page.waitForLoadState();
      const allowed = await table('Records the purpose may use').textContent();
      check(!allowed.includes('Anna Andersson'), 'the support purpose was shown the customer identity record');
      await main.getByRole('table', { name: /withheld/i }).getByText(/does not process/).waitFor();
    });
    await context.close();
  };
}
