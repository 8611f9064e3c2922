// Skydd's console in real Chromium: the scenarios of issue 17 (sign-in with password and TOTP,
// a request worked to completion, an incident documented, a subject looked up, the audit chain
// verified, keyboard-only use of the queue) and an axe-core scan of every page in English and
// Swedish; and the consent banner on the example company website (issue 18). Run by `cargo test
// -p skydd-cli` (crates/skydd-cli/tests/cli/browser.rs), which starts a fresh `skydd serve`,
// creates the accounts and seeds the data; README.md says how.
//
// Environment (set by the runner):
//   SKYDD_SUITE                 which scenarios: `console` (the default), `banner` (the banner,
//                               part one) or `banner-changed` (part two, after a register change)
//   SKYDD_BASE_URL              the server, e.g. http://127.0.0.1:PORT
//   SKYDD_DPO_EMAIL/_PASSWORD   a DPO account that has not signed in yet (the first sign-in enrols)
//   SKYDD_ADMIN_EMAIL/_PASSWORD an admin account that has not signed in yet
//   SKYDD_API_TOKEN             an admin API token (for what a subject or a system does)
//   SKYDD_SUBJECT_EMAIL         a seeded subject's e-mail address (with records and a request)
//   SKYDD_SUBJECT_PHONE         the same subject's phone number (the Swedish privacy centre scan
//                               signs in with it, so each identity stays within the sign-in limit)
//   SKYDD_UNSUBSCRIBE_PATH      that subject's signed unsubscribe link (path and query)
//   SKYDD_REQUEST_ID/_CODE      the subject's access request waiting for its code, and the code
//   SKYDD_WEBSITE_PORT          (banner) the port the example website is served on, from
//                               http://localhost:PORT (the server allows that origin)
//   SKYDD_BANNER_STATE          (banner) the file part one leaves a visitor's cookies in for part two
//   SKYDD_FAILURES              where a failed step's screenshot goes (default: a new temp dir)
//   SKYDD_SCREENSHOTS           when set, PNGs of the main pages at 1280x800 are written there
//   SKYDD_SCENARIOS             when set, only the scenarios whose names contain one of these
//                               comma-separated words run (for working on one locally)
//   CHROMIUM                    the browser (default /usr/bin/chromium, Debian's package)

import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { FAILING_IMPACTS, report, scan } from './axe.mjs';
import { Scenario, StepFailure, check } from './scenario.mjs';
import { base32Decode, totp } from './totp.mjs';
import { serveWebsite } from './website.mjs';
import { crawl } from './scenarios/accessibility.mjs';
import { audit } from './scenarios/audit.mjs';
import { acceptForLater, askedAgain, blockedUntilAccepted, globalPrivacyControl, keyboardOnly, rejectInOneClick } from './scenarios/banner.mjs';
import { centre, centreScan } from './scenarios/centre.mjs';
import { incident } from './scenarios/incident.mjs';
import { keyboard } from './scenarios/keyboard.mjs';
import { publicPages } from './scenarios/public.mjs';
import { request } from './scenarios/request.mjs';
import { enrol, signIn } from './scenarios/sign-in.mjs';
import { subject } from './scenarios/subject.mjs';

/** What scenarios hand on: the accounts enrolled (secret, recovery codes, saved cookies). */
const kept = {};

/** The DPO's signed-in cookies, which the sign-in scenario leaves. */
function dpoSession() {
  check(kept.dpo, 'this scenario needs the DPO signed in by the scenario "sign in with password and TOTP", which failed or did not run');
  return kept.dpo.state;
}

/** The admin's signed-in cookies, which the admin's enrolment leaves. */
function adminSession() {
  check(kept.admin, 'this scenario needs the admin signed in by the scenario "an admin enrols", which failed or did not run');
  return kept.admin.state;
}

/** The admin's first sign-in (the accounts pages are the admin's). */
async function adminEnrols(t, env) {
  const context = await t.newContext();
  const page = t.on(await context.newPage());
  await t.step('open the sign-in page', () => t.visit(page, '/console/sign-in'));
  const admin = await enrol(t, page, env.admin);
  kept.admin = { ...admin, state: await context.storageState() };
  await context.close();
}

/**
 * The scenarios of each suite, in the order they run: later ones use the accounts earlier ones
 * enrolled (console), or the cookies earlier ones left (banner).
 */
const SUITES = {};

SUITES.console = [
  ['public pages in English', publicPages('en')],
  ['public pages in Swedish', publicPages('sv')],
  ['sign in with password and TOTP', signIn(kept)],
  ['work a request from intake to completion', request(dpoSession)],
  ['document an incident', incident(dpoSession)],
  ['look up a subject and read records for a purpose', subject(dpoSession)],
  ['verify the audit chain', audit(dpoSession)],
  ['keyboard only on the request queue', keyboard(dpoSession)],
  ['every page a DPO reaches, in English', crawl(dpoSession, 'en')],
  ['every page a DPO reaches, in Swedish', crawl(dpoSession, 'sv')],
  ['an admin enrols', adminEnrols],
  ['every page an admin reaches, in English', crawl(adminSession, 'en', ['/console/accounts'])],
  ['every page an admin reaches, in Swedish', crawl(adminSession, 'sv', ['/console/accounts'])],
  // The privacy centre (issue 18): the code is read from the DPO's outbox page.
  ['the privacy centre, keyboard only', centre(dpoSession)],
  ['every privacy centre page, in English', centreScan(dpoSession, 'en', 'email')],
  ['every privacy centre page, in Swedish', centreScan(dpoSession, 'sv', 'phone')],
];

SUITES.banner = [
  ['banner: a script stays blocked until analytics is accepted', blockedUntilAccepted()],
  ['banner: reject all with one click, in Swedish', rejectInOneClick()],
  ['banner: Global Privacy Control starts refused', globalPrivacyControl()],
  ['banner: keyboard only', keyboardOnly()],
  ['banner: a visitor accepts all before the register changes', acceptForLater()],
];

SUITES['banner-changed'] = [
  ['banner: a changed register asks again', askedAgain()],
];

/** The browser's size: also the size of the screenshots in docs/console/. */
const VIEWPORT = { width: 1280, height: 800 };

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the suite through \`cargo test -p skydd-cli browser\` (README.md, "The browser suite")`);
  }
  return value;
}

/** RFC 6238 appendix B (SHA-1): the TOTP here must agree with the server's before it is trusted. */
function checkTotp() {
  const secret = Buffer.from('12345678901234567890');
  for (const [at, code] of [[59, '287082'], [1111111109, '081804'], [2000000000, '279037']]) {
    check(totp(secret, at) === code, `totp.mjs disagrees with RFC 6238 at t=${at}`);
  }
  check(base32Decode('GEZDGNBVGY3TQOJQ').toString() === '1234567890', 'totp.mjs decodes base32 wrongly');
}

/** What every scenario shares: the browser, the environment and the accessibility findings. */
class Suite {
  constructor(browser, env) {
    this.browser = browser;
    this.env = env;
    this.violations = [];
    this.scanned = [];
    this.cspErrors = [];
    this.accounts = new Map();
  }

  /** A fresh browser context (its own cookies) in `language`, optionally with saved cookies. */
  async newContext({ language = 'en', storageState } = {}) {
    const context = await this.browser.newContext({
      viewport: VIEWPORT,
      locale: language === 'sv' ? 'sv-SE' : 'en-GB',
      extraHTTPHeaders: { 'Accept-Language': language === 'sv' ? 'sv-SE,sv;q=0.9' : 'en-GB,en;q=0.9' },
      storageState,
    });
    context.setDefaultTimeout(10_000);
    // `form[data-confirm]` asks with window.confirm before it is sent: the user says yes.
    context.on('dialog', (dialog) => dialog.accept());
    context.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) {
        this.cspErrors.push(`${message.page()?.url() ?? '?'}: ${message.text().split('. ')[0]}`);
      }
    });
    return context;
  }
}

/** A scenario's handle: its steps plus the suite's browser and checks. */
class Run extends Scenario {
  constructor(name, suite) {
    super(name, suite.env.failures);
    this.suite = suite;
  }

  /** A fresh context; its language is also the one `axe` expects pages in. */
  newContext(options = {}) {
    this.language = options.language ?? 'en';
    return this.suite.newContext(options);
  }

  /** Go to `path` on the server and require the answer's status (200 unless said). */
  async visit(page, path, { status = 200 } = {}) {
    const response = await page.goto(new URL(path, this.suite.env.base).href);
    check(response, `no response for ${path}`);
    check(response.status() === status, `${path} answered ${response.status()}, not ${status}`);
    return response;
  }

  /** With SKYDD_SCREENSHOTS set, a PNG of the page's viewport (1280x800) as `name`.png there. */
  async shot(page, name) {
    const dir = this.suite.env.screenshots;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, `${name}.png`) });
    }
  }

  /**
   * Scan the page with axe; violations are collected and judged at the end of the run. The page
   * must be in the language its context asked for (`<html lang>`), or the scan proves nothing.
   */
  async axe(page, label, language = this.language) {
    if (language) {
      const lang = await page.evaluate(() => document.documentElement.lang);
      check(lang.startsWith(language), `${label} is in '${lang}', not in '${language}'`);
    }
    this.suite.scanned.push(label);
    this.suite.violations.push(...(await scan(page, label)));
  }
}

async function main() {
  checkTotp();
  const only = (process.env.SKYDD_SCENARIOS ?? '').split(',').map((w) => w.trim()).filter(Boolean);
  const suiteName = process.env.SKYDD_SUITE || 'console';
  const scenarios = SUITES[suiteName];
  check(scenarios, `SKYDD_SUITE=${suiteName} is not one of ${Object.keys(SUITES).join(', ')}`);
  const env = {
    base: required('SKYDD_BASE_URL'),
    token: required('SKYDD_API_TOKEN'),
    failures: process.env.SKYDD_FAILURES || mkdtempSync(join(tmpdir(), 'skydd-browser-')),
    screenshots: process.env.SKYDD_SCREENSHOTS || null,
  };
  if (suiteName === 'console') {
    Object.assign(env, {
      dpo: { email: required('SKYDD_DPO_EMAIL'), password: required('SKYDD_DPO_PASSWORD') },
      admin: { email: required('SKYDD_ADMIN_EMAIL'), password: required('SKYDD_ADMIN_PASSWORD') },
      subjectEmail: required('SKYDD_SUBJECT_EMAIL'),
      subjectPhone: required('SKYDD_SUBJECT_PHONE'),
      requestId: required('SKYDD_REQUEST_ID'),
      requestCode: required('SKYDD_REQUEST_CODE'),
      unsubscribePath: required('SKYDD_UNSUBSCRIBE_PATH'),
    });
  } else {
    const port = Number(required('SKYDD_WEBSITE_PORT'));
    env.website = `http://localhost:${port}/`;
    env.bannerState = required('SKYDD_BANNER_STATE');
    env.websiteServer = await serveWebsite(port, env.base);
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const suite = new Suite(browser, env);
  const failures = [];
  try {
    for (const [name, scenario] of scenarios) {
      if (only.length > 0 && !only.some((word) => name.includes(word))) {
        continue;
      }
      const run = new Run(name, suite);
      const started = Date.now();
      try {
        await scenario(run, env);
        console.log(`ok   ${name} (${run.steps} steps, ${Date.now() - started} ms)`);
      } catch (error) {
        // A step's failure names its scenario; anything else (a missing sign-in) is named here.
        failures.push(error instanceof StepFailure ? error : new Error(`scenario "${name}": ${error.message}`));
        console.log(`FAIL ${name}`);
      }
    }
  } finally {
    await browser.close();
    env.websiteServer?.close();
  }

  const failing = suite.violations.filter((v) => FAILING_IMPACTS.has(v.impact));
  const other = suite.violations.filter((v) => !FAILING_IMPACTS.has(v.impact));
  if (other.length > 0) {
    console.log(`axe: ${other.length} moderate or minor violations (reported, not failing):\n${report(other)}`);
  }
  if (failing.length > 0) {
    failures.push(new Error(`axe: ${failing.length} serious or critical violations:\n${report(failing)}`));
  }
  if (suite.cspErrors.length > 0) {
    failures.push(new Error(`pages broke their own Content-Security-Policy:\n  ${suite.cspErrors.join('\n  ')}`));
  }
  console.log(`axe: ${suite.scanned.length} pages scanned, ${failing.length} serious or critical violations, ${other.length} others`);
  if (failures.length > 0) {
    console.error(`\n${failures.length} failure(s):\n\n${failures.map((f) => f.message).join('\n\n')}`);
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error.stack ?? error);
  process.exit(1);
});
