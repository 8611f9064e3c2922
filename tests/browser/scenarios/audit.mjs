// The audit trail: search it for the console's own actions, verify the chain from the page,
// and write a checkpoint whose signature the page shows as valid.

import { check } from '../scenario.mjs';

export function audit(session) {
  return async function run(t, env) {
    const context = await t.newContext({ storageState: session() });
    const page = t.on(await context.newPage());
    const main = page.getByRole('main');

    await t.step('the trail lists the staff sign-ins, searched by action', async () => {
      await t.visit(page, '/console/audit');
      await t.shot(page, 'audit');
      await main.getByLabel('Action').fill('staff');
      await main.getByRole('button', { name: 'Search the trail' }).click();
      await page.waitForURL(/action=staff/);
      const rows = main.getByRole('table').first().getByRole('row');
      check((await rows.count()) > 1, 'searching the trail for staff actions found nothing');
      await t.axe(page, '/console/audit?action=staff');
    });

    await t.step('verify the chain from the page', async () => {
      await main.getByRole('link', { name: 'Verify the chain and see the checkpoints' }).click();
      await page.waitForURL(/\/console\/audit\/chain$/);
      await main.getByRole('button', { name: 'Verify now' }).click();
      await page.waitForLoadState();
      await page.getByRole('status').getByText('The audit trail is intact.').waitFor();
      const checked = await main.locator('dt', { hasText: 'Entries checked' }).locator('xpath=following-sibling::dd[1]').textContent();
      check(Number(checked.trim()) > 10, `the verification checked ${checked.trim()} entries`);
      await t.axe(page, '/console/audit/chain (verified)');
    });

    await t.step('write a checkpoint; its signature is valid', async () => {
      await main.getByRole('button', { name: 'Write a checkpoint now' }).click();
      await page.waitForLoadState();
      await main.getByRole('table').getByText('valid', { exact: true }).first().waitFor();
    });
    await context.close();
  };
}
