// Documenting a personal data breach: report it with the Art. 33(3) elements, see the 72-hour
// clock and what is outstanding, record the notification to the authority, and close it.

import { check } from '../scenario.mjs';

export function incident(session) {
  return async function run(t, env) {
    const context = await t.newContext({ storageState: session() });
    const page = t.on(await context.newPage());

    await t.step('report a breach', async () => {
      await t.visit(page, '/console/incidents');
      await page.getByRole('link', { name: /report|new incident/i }).first().click();
      await page.waitForURL(/\/console\/incidents\/new/);
      await t.axe(page, '/console/incidents/new');
      await page.getByLabel(/nature|what happened/i).fill('A support laptop with an export of support tickets was stolen from a car.');
      await page.getByLabel(/consequences/i).fill('Names and e-mail addresses of customers who contacted support may be read by the thief.');
      await page.getByLabel(/measures/i).fill('The laptop was wiped remotely; the export is no longer made to laptops.');
      await page.getByLabel(/approximate number of (data )?subjects|subjects affected/i).fill('120');
      await page.getByLabel(/risk/i).selectOption('risk');
      await page.getByRole('button', { name: /report|save|record/i }).click();
      await page.waitForURL(/\/console\/incidents\/[0-9a-f]{8,}/);
    });

    await t.step('the 72-hour clock and what is outstanding are shown', async () => {
      const main = page.getByRole('main');
      await main.getByText(/72/).first().waitFor();
      await main.getByText(/hours? left|time left|remaining/i).first().waitFor();
      await main.getByText(/outstanding/i).first().waitFor();
      await main.getByText(/notify the supervisory authority/i).first().waitFor();
      await t.axe(page, '/console/incidents/{id} (open)');
      await t.shot(page, 'incident');
    });

    await t.step('record the initial notification to the authority', async () => {
      const form = page.getByRole('form', { name: /notif/i });
      await form.getByLabel(/phase/i).selectOption('initial');
      await form.getByLabel(/reference/i).fill('IMY-2026-4711');
      await form.getByRole('button').click();
      await page.waitForLoadState();
      await page.getByRole('main').getByText('IMY-2026-4711').first().waitFor();
    });

    await t.step('close the incident', async () => {
      await page.getByRole('button', { name: /close/i }).click();
      await page.waitForLoadState();
      await page.getByRole('main').getByText(/closed/i).first().waitFor();
      await t.axe(page, '/console/incidents/{id} (closed)');
    });
    await context.close();
  };
}
