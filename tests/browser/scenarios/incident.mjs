// Documenting a personal data breach: report it with the Art. 33(3) elements, see the 72-hour
// clock running and what is still to do, record the notification to the authority, and close.

import { check } from '../scenario.mjs';

/** `at` as a `datetime-local` value in Swedish time (the console's inputs are in it). */
function stockholmLocal(at) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(at).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

export function incident(session) {
  return async function run(t, env) {
    const context = await t.newContext({ storageState: session() });
    const page = t.on(await context.newPage());
    const main = page.getByRole('main');
    /** The value of the incident page's fact `term` (a `<dt>`). */
    const fact = (term) => main.locator('dt', { hasText: term }).first().locator('xpath=following-sibling::dd[1]');
    const nature = 'A support laptop with an export of support tickets was stolen from a car.';

    await t.step('report a breach with the Art. 33(3) elements', async () => {
      await t.visit(page, '/console/incidents');
      await main.getByRole('link', { name: 'Report a breach' }).click();
      await page.waitForURL(/\/console\/incidents\/new$/);
      await t.axe(page, '/console/incidents/new');
      // Two hours ago: the clock has 70 hours left.
      await main.getByLabel('Became aware').fill(stockholmLocal(new Date(Date.now() - 2 * 3600 * 1000)));
      await main.getByLabel('What happened').fill(nature);
      await main.getByRole('group', { name: 'Categories of personal data' }).getByRole('checkbox').first().check();
      await main.getByRole('group', { name: 'Categories of data subjects' }).getByRole('checkbox').first().check();
      await main.getByLabel('Approximate number of data subjects').fill('120');
      await main.getByLabel('Likely consequences').fill('Names and e-mail addresses of customers who contacted support may be read by the thief.');
      await main.getByLabel('Measures taken or proposed').fill('The laptop was wiped remotely; exports are no longer made to laptops.');
      await main.getByRole('group', { name: 'Risk' }).getByLabel('Likely to result in a risk', { exact: true }).check();
      await main.getByRole('button', { name: 'Document the breach' }).click();
      await page.waitForURL(/\/console\/incidents\/[0-9a-f]{8,}$/);
      await page.getByRole('status').getByText('The breach is documented; the 72-hour clock runs.').waitFor();
    });

    await t.step('the 72-hour clock runs and the notification is still to do', async () => {
      const clock = (await fact('72-hour clock').textContent()).trim();
      // Aware two hours ago: about 70 hours, shown as days, hours and minutes.
      check(/^2 d (21|22) h( \d+ min)? left$/.test(clock), `the clock reads "${clock}", not about 2 d 22 h left`);
      await main.getByText(/^Notify the supervisory authority \(Art\. 33\(1\)\) by /).waitFor();
      await t.axe(page, '/console/incidents/{id} (open)');
      await t.shot(page, 'incident');
    });

    await t.step('record the initial notification to the authority', async () => {
      const form = main.getByRole('region', { name: 'Record a notification to the authority' });
      await form.getByLabel('Phase').selectOption('initial');
      await form.getByLabel("Authority's reference").fill('IMY-2026-4711');
      await form.getByRole('button', { name: 'Record the notification' }).click();
      await page.waitForLoadState();
      await page.getByRole('status').getByText('The notification is recorded.').waitFor();
      await main.getByRole('table', { name: /phase/i }).or(main.getByRole('table').first()).getByRole('cell', { name: 'IMY-2026-4711' }).waitFor();
      await main.getByText('Nothing is outstanding.').first().waitFor();
    });

    await t.step('close the incident', async () => {
      const form = main.getByRole('region', { name: 'Close the incident' });
      await form.getByLabel('Summary').fill('Laptop wiped; no sign the export was opened. Exports now go to the encrypted share only.');
      await form.getByRole('button', { name: 'Close' }).click();
      await page.waitForLoadState();
      const state = (await fact('State').textContent()).trim();
      check(state === 'Closed', `after closing, the state reads "${state}"`);
      await t.axe(page, '/console/incidents/{id} (closed)');
    });

    await t.step('the closed incident is listed as closed', async () => {
      await t.visit(page, '/console/incidents');
      await main.getByRole('table', { name: 'Closed incidents' }).getByRole('link', { name: nature }).waitFor();
    });
    await context.close();
  };
}
