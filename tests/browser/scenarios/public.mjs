// The public pages (no sign-in): the privacy notice, its version history, an archived version,
// and the unsubscribe pages (the button, the confirmation, an invalid link), in English and
// Swedish, each scanned by axe.

import { check } from '../scenario.mjs';

/** Scan the public pages in `language` ('en' or 'sv', from the browser's Accept-Language). */
export function publicPages(language) {
  return async function run(t, env) {
    const context = await t.newContext({ language });
    const page = t.on(await context.newPage());

    await t.step('the privacy notice', async () => {
      await t.visit(page, '/privacy');
      await t.axe(page, `/privacy (${language})`);
      await page.getByRole('link', { name: language === 'sv' ? /versionshistorik/i : /version history/i }).first().click();
      await page.waitForURL(/\/privacy\/versions/);
    });

    await t.step('the version history and an archived version', async () => {
      await t.axe(page, `/privacy/versions (${language})`);
      const history = await (await page.request.get(`${env.base}/privacy/versions?format=json`)).json();
      const version = history.versions[0].version;
      await t.visit(page, `/privacy/versions/${version}`);
      await t.axe(page, `/privacy/versions/{version} (${language})`);
    });

    await t.step('the unsubscribe page and its confirmation', async () => {
      await t.visit(page, env.unsubscribePath);
      await t.axe(page, `/unsubscribe (${language})`);
      await page.getByRole('button').click();
      await page.waitForLoadState();
      const heading = await page.getByRole('heading', { level: 1 }).textContent();
      check(heading && heading.length > 0, 'the confirmation page has no heading');
      await t.axe(page, `/unsubscribe, confirmed (${language})`);
    });

    await t.step('an invalid unsubscribe link', async () => {
      await t.visit(page, '/unsubscribe?token=not-a-token', { status: 422 });
      await page.getByRole('heading', { level: 1, name: language === 'sv' ? 'Länken är inte giltig' : 'This link is not valid' }).waitFor();
      await t.axe(page, `/unsubscribe, invalid link (${language})`);
    });
    await context.close();
  };
}
