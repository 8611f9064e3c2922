// The axe-core accessibility scan of one page, and the report of what it found.
//
// The console's Content-Security-Policy allows no inline script (`script-src 'self'`), so
// `page.addScriptTag({ content })` would be refused. axe is put into the page with
// `page.evaluate` instead: that runs through the DevTools protocol, which the page's CSP does not
// govern, so the page is scanned under its real policy (no `bypassCSP` context needed).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The rules run: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** The impacts that fail the suite (the issue: zero serious violations). */
export const FAILING_IMPACTS = new Set(['serious', 'critical']);

/**
 * Scan the page `page` is on; every violation as `{ page, rule, impact, help, targets }`,
 * `label` naming the page (path and language) in the report.
 */
export async function scan(page, label) {
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) {
    await page.evaluate(AXE_SOURCE);
  }
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    TAGS,
  );
  return results.violations.map((violation) => ({
    page: label,
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(' ')),
  }));
}

/** One line per violation: impact, rule, page, what it means and where (the first targets). */
export function report(violations) {
  return violations
    .map((v) => {
      const shown = v.targets.slice(0, 5).join(', ');
      const more = v.targets.length > 5 ? ` (+${v.targets.length - 5} more)` : '';
      return `  ${v.impact} ${v.rule} on ${v.page}: ${v.help}; at ${shown}${more}`;
    })
    .join('\n');
}
