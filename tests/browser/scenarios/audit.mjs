// The audit trail: verify the chain from the page, and find the console's own actions in it.

export function audit(session) {
  return async function run(t, env) {
    const context = await t.newContext({ storageState: session() });
    const page = t.on(await context.newPage());

    await t.step('verify the chain from the page', async () => {
      await t.visit(page, '/console/audit');
      await t.shot(page, 'audit');
      await page.getByRole('button', { name: /verify/i }).click();
      await page.waitForLoadState();
      await page.getByRole('main').getByText(/intact|verified|unbroken/i).first().waitFor();
      await t.axe(page, '/console/audit (verified)');
    });
    await context.close();
  };
}
