// axe-core on every console page a role can reach, in English and Swedish: the pages are found
// by following the console's own links from the dashboard (so a new page is scanned without
// being listed here), plus the pages only a form leads to, which the other scenarios scan.

import { check } from '../scenario.mjs';

/** Pages every DPO crawl must reach (the main navigation), or the crawl proves little. */
const REQUIRED = ['/console/dashboard', '/console/requests', '/console/incidents', '/console/subjects', '/console/register', '/console/audit', '/console/outbox'];

/** The pages of README's screenshots that no other scenario shoots, by their kind (the DPO's view). */
const SHOTS = { '/console/dashboard': 'dashboard', '/console/register': 'register' };

/** The most distinct pages one crawl visits (a guard against a link that makes new pages). */
const MAX_PAGES = 80;

/** `pathname` with its ids (hex, digits) as `{id}`: one scan per kind of page, not per row. */
export function pattern(pathname) {
  return pathname
    .split('/')
    .map((part) => (/^(?:[0-9a-f]{12,}|\d+|[0-9a-f-]{36})$/i.test(part) ? '{id}' : part))
    .join('/');
}

/** Same-origin console links of the page, without fragments; assets and sign-out left out. */
async function consoleLinks(page, base) {
  const hrefs = await page.getByRole('link').evaluateAll((links) => links.map((a) => a.href));
  return hrefs
    .map((href) => new URL(href))
    .filter((url) => url.origin === new URL(base).origin && url.pathname.startsWith('/console'))
    .filter((url) => !url.pathname.startsWith('/console/assets/') && !url.searchParams.has('lang'))
    .map((url) => {
      url.hash = '';
      return url;
    });
}

/**
 * Crawl the console as the account whose cookies `session()` gives, in `language`; scan each
 * kind of page once. `required` pages must be among those reached.
 */
export function crawl(session, language, required = REQUIRED) {
  return async function run(t, env) {
    const context = await t.newContext({ language, storageState: session() });
    const page = t.on(await context.newPage());
    const seen = new Set();
    const queue = [new URL('/console/dashboard', env.base)];
    while (queue.length > 0 && seen.size < MAX_PAGES) {
      const url = queue.shift();
      const kind = pattern(url.pathname);
      if (seen.has(kind)) {
        continue;
      }
      seen.add(kind);
      await t.step(`scan ${kind} (${language})`, async () => {
        // Downloads (the Art. 30 record in any format) are not pages.
        const head = await page.request.get(url.href);
        const type = head.headers()['content-type'] ?? '';
        const attachment = /attachment/i.test(head.headers()['content-disposition'] ?? '');
        if (!type.startsWith('text/html') || attachment) {
          return;
        }
        // A link to a page that refuses (an error page) is scanned too, and named in the output.
        if (head.status() !== 200) {
          console.log(`note: ${url.pathname} (${language}) answered ${head.status()}`);
        }
        await t.visit(page, url.pathname + url.search, { status: head.status() });
        await t.axe(page, `${kind} (${language})`);
        if (language === 'en' && required === REQUIRED && SHOTS[kind]) {
          await t.shot(page, SHOTS[kind]);
        }
        queue.push(...(await consoleLinks(page, env.base)));
      });
    }
    await t.step('every page of the main navigation was reached', async () => {
      const missing = required.filter((path) => !seen.has(path));
      check(missing.length === 0, `the crawl did not reach ${missing.join(', ')} (reached: ${[...seen].join(', ')})`);
    });
    await context.close();
  };
}
