// Working a request from intake to completion: the subject's request (made through the public
// API by the runner, as a web form would) is in the queue waiting for the code; the subject
// confirms it with the code from the letter; the DPO opens it from the queue, looks at the data
// found, fulfils it with the confirmation box ticked, and sees it completed with the completion
// letter queued.

import { check } from '../scenario.mjs';

export function request(session) {
  return async function run(t, env) {
    const context = await t.newContext({ storageState: session() });
    const page = t.on(await context.newPage());
    const id = env.requestId;
    const main = page.getByRole('main');
    /** The value of the request page's fact `term` (a `<dt>`), e.g. its state. */
    const fact = (term) => main.locator('dt', { hasText: term }).first().locator('xpath=following-sibling::dd[1]');

    await t.step('the request is in the queue; it is opened from there', async () => {
      await t.visit(page, '/console/requests');
      await t.axe(page, '/console/requests');
      await t.shot(page, 'requests');
      const row = main.getByRole('row').filter({ has: page.locator(`a[href="/console/requests/${id}"]`) });
      await row.getByRole('cell', { name: 'Verifying identity' }).waitFor();
      await row.getByRole('link').click();
      await page.waitForURL((url) => url.pathname === `/console/requests/${id}`);
      const state = await fact('State').textContent();
      check(state.trim() === 'Verifying identity', `the request's state reads "${state.trim()}"`);
      await main.getByText(/the subject has been asked for the one-time code/).waitFor();
      await main.getByText('The request can be fulfilled once the identity is verified.').waitFor();
    });

    await t.step('the subject confirms the request with the code from the letter', async () => {
      const response = await fetch(`${env.base}/v1/requests/${id}/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: env.requestCode }),
      });
      check(response.ok, `POST /v1/requests/{id}/verify answered ${response.status}`);
      await page.reload();
      const state = await fact('State').textContent();
      check(state.trim() === 'Identity verified', `after the code the state reads "${state.trim()}"`);
      await main.getByText('The identity has been verified.').waitFor();
      await t.axe(page, '/console/requests/{id} (verified)');
      await t.shot(page, 'request');
    });

    await t.step('the data found is shown on demand', async () => {
      await main.getByRole('link', { name: 'Show the data found in Skydd and the connected systems' }).click();
      await page.waitForURL((url) => url.pathname === `/console/requests/${id}/data`);
      await main.getByRole('cell', { name: 'Anna Andersson' }).first().waitFor();
      await main.getByRole('cell', { name: env.subjectEmail }).first().waitFor();
      await t.axe(page, '/console/requests/{id}/data');
      await main.getByRole('link', { name: 'Back to the request' }).click();
      await page.waitForURL((url) => url.pathname === `/console/requests/${id}`);
    });

    await t.step('fulfilling needs the confirmation box; ticked, it completes the request', async () => {
      const form = main.getByRole('group', { name: 'Fulfil' });
      await form.getByLabel('I have checked the request and want to complete it').check();
      await form.getByRole('button', { name: 'Fulfil the request' }).click();
      await page.waitForLoadState();
      await page.getByRole('status').getByText('The request is completed and the letter queued.').waitFor();
    });

    await t.step('it is completed, with its letter', async () => {
      const state = await fact('State').textContent();
      check(state.trim() === 'Completed', `after fulfilment the state reads "${state.trim()}"`);
      const letters = main.getByRole('table', { name: 'Letters to the subject and to recipients about this request' });
      await letters.getByRole('rowheader', { name: 'completed' }).waitFor();
      await t.axe(page, '/console/requests/{id} (completed)');
    });
    await context.close();
  };
}
