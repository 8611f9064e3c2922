// Working a request from intake to completion: the subject's request (made through the API by
// the runner) is in the queue; the subject confirms it with the code from the letter; the DPO
// opens it, sees the identity check and the data found, fulfils it, and sees it completed with
// its letter.

import { check } from '../scenario.mjs';

export function request(session) {
  return async function run(t, env) {
    const context = await t.newContext({ storageState: session() });
    const page = t.on(await context.newPage());
    const id = env.requestId;

    await t.step('the request is in the queue, marked as waiting for verification', async () => {
      await t.visit(page, '/console/requests');
      await t.shot(page, 'requests');
      const link = page.getByRole('main').locator(`a[href$="${id}"]`).first();
      await link.click();
      await page.waitForURL((url) => url.pathname.endsWith(id));
      await page.getByRole('main').getByText(/verifying|awaiting verification/i).first().waitFor();
    });

    await t.step('the subject confirms the request with the code from the letter', async () => {
      const response = await fetch(`${env.base}/v1/requests/${id}/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: env.requestCode }),
      });
      check(response.ok, `POST /v1/requests/{id}/verify answered ${response.status}`);
      await page.reload();
      await page.getByRole('main').getByText(/verified/i).first().waitFor();
      await t.axe(page, '/console/requests/{id} (verified)');
    });

    await t.step('the data found is shown on demand', async () => {
      await page.getByRole('button', { name: /show the data|data found|show data/i }).first().click();
      await page.waitForLoadState();
      await page.getByRole('main').getByText('Anna Andersson').first().waitFor();
      await t.shot(page, 'request');
    });

    await t.step('fulfil it', async () => {
      await page.getByRole('button', { name: /fulfil/i }).first().click();
      await page.waitForLoadState();
      // A confirmation step, when the page has one.
      const confirm = page.getByRole('button', { name: /confirm/i });
      if (await confirm.count()) {
        await confirm.first().click();
        await page.waitForLoadState();
      }
    });

    await t.step('it is completed, with its letter', async () => {
      await page.getByRole('main').getByText(/completed/i).first().waitFor();
      await page.getByRole('main').getByText(/completion|your data|letter/i).first().waitFor();
      await t.axe(page, '/console/requests/{id} (completed)');
    });
    await context.close();
  };
}
