// Keyboard only: on the request queue the skip link comes first and moves focus to the main
// content, Tab reaches the first request and Enter opens it, and every element that takes focus
// on the way shows it (a computed outline or box shadow, not the browser default removed).

import { check } from '../scenario.mjs';

/** How the focused element shows focus, or `null` with what is wrong; runs in the page. */
function describeFocus() {
  const element = document.activeElement;
  if (!element || element === document.body) {
    return { ok: false, what: 'nothing has focus' };
  }
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const box = element.getBoundingClientRect();
  const label = `<${element.tagName.toLowerCase()}> "${(element.textContent || element.getAttribute('aria-label') || element.name || '').trim().slice(0, 40)}"`;
  return {
    ok: (outline || shadow) && box.width > 0 && box.height > 0,
    what: `${label} (outline ${style.outlineStyle} ${style.outlineWidth}, box-shadow ${style.boxShadow}, ${Math.round(box.width)}x${Math.round(box.height)})`,
    href: element.getAttribute('href'),
    inMain: Boolean(element.closest('main')),
  };
}

/** Press Tab once; the newly focused element, which must show its focus (the privacy centre's
 * keyboard-only scenario uses it too). */
export async function tab(page) {
  await page.keyboard.press('Tab');
  const focus = await page.evaluate(describeFocus);
  check(focus.ok, `focus is not visible on ${focus.what}`);
  return focus;
}

/** The keyboard-only scenario; `session` is a signed-in DPO's saved cookies. */
export function keyboard(session) {
  return async function run(t, env) {
    const context = await t.newContext({ storageState: session() });
    const page = t.on(await context.newPage());

    await t.step('the skip link is the first stop and moves focus to the main content', async () => {
      await t.visit(page, '/console/requests');
      const first = await tab(page);
      check(first.href === '#main', `the first Tab stop is ${first.what}, not the skip link to #main`);
      await page.keyboard.press('Enter');
      // The fragment changes after the key event is handled: wait for it, do not sample it.
      const moved = await page
        .waitForURL((url) => url.hash === '#main', { timeout: 5000 })
        .then(() => true, () => false);
      check(moved, `Enter on the skip link left the page at ${page.url()}`);
      const next = await tab(page);
      check(next.inMain, `after the skip link, Tab went to ${next.what}, outside <main>`);
    });

    await t.step('Tab reaches the first request with visible focus, and Enter opens it', async () => {
      await t.visit(page, '/console/requests');
      // The queue's table: its first link is the first request.
      const firstRequest = await page.getByRole('main').getByRole('table').first().getByRole('link').first().getAttribute('href');
      check(firstRequest, 'the queue lists no request to open');
      let focus = null;
      for (let stops = 0; stops < 80; stops += 1) {
        focus = await tab(page);
        if (focus.href === firstRequest) {
          break;
        }
      }
      check(focus?.href === firstRequest, `80 Tab stops did not reach the first request (${firstRequest})`);
      const target = new URL(firstRequest, page.url()).pathname;
      await Promise.all([page.waitForURL((url) => url.pathname === target), page.keyboard.press('Enter')]);
      await page.getByRole('heading', { level: 1 }).waitFor();
    });

    await t.step('on the request page, Tab stops show focus too', async () => {
      for (let stops = 0; stops < 15; stops += 1) {
        await tab(page);
      }
    });
    await context.close();
  };
}
