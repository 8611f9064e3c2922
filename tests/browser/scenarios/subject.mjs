// Looking up a subject by e-mail address (a POST form: the address never goes into a URL),
// seeing consents, preferences and objections, and reading the records under a purpose.

import { check } from '../scenario.mjs';

export function subject(session) {
  return async function run(t, env) {
    const context = await t.newContext({ storageState: session() });
    const page = t.on(await context.newPage());

    await t.step('look up the subject by e-mail address', async () => {
      await t.visit(page, '/console/subjects');
      const kind = page.getByLabel(/kind|identity type/i);
      if (await kind.count()) {
        await kind.selectOption('email');
      }
      await page.getByLabel(/value|identity|e-?mail/i).last().fill(env.subjectEmail);
      await page.getByRole('button', { name: /look up|find|search/i }).click();
      await page.waitForURL(/\/console\/subjects\/[0-9a-f]{32}/);
      check(!page.url().includes(env.subjectEmail.split('@')[0]), 'the e-mail address is in the URL');
    });

    await t.step('consents, preferences and objections are shown', async () => {
      const main = page.getByRole('main');
      await main.getByRole('heading', { name: /consents/i }).first().waitFor();
      await main.getByRole('heading', { name: /preferences/i }).first().waitFor();
      await main.getByRole('heading', { name: /objections/i }).first().waitFor();
      await t.axe(page, '/console/subjects/{id}');
      await t.shot(page, 'subject');
    });

    await t.step('read the records for a purpose', async () => {
      await page.getByLabel(/purpose/i).selectOption('service_delivery');
      await page.getByRole('button', { name: /read/i }).click();
      await page.waitForLoadState();
      await page.getByRole('main').getByText('Anna Andersson').first().waitFor();
      await t.axe(page, '/console/subjects/{id} (records read)');
    });
    await context.close();
  };
}
