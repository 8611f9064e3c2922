// The consent banner on a company's website (issue 18): the example website (examples/website/)
// served from an origin of its own (`website.mjs`), with banner.js and banner.css from the Skydd
// under test, as a visitor meets it. Each choice must reach the consent ledger
// (GET /v1/banner/consents?browser=, with the admin token). The texts the steps click come from
// the server's own config, so the scenarios hold whatever the wording.
//
// Two parts: the runner starts `skydd serve` with the website's register (`SKYDD_SUITE=banner`),
// then again on the same data with a register whose cookie section differs
// (`SKYDD_SUITE=banner-changed`); the first part leaves a visitor's cookies in
// `SKYDD_BANNER_STATE` for the second, which must be asked again.

import { readFileSync, writeFileSync } from 'node:fs';

import { check } from '../scenario.mjs';

/** The banner's config as the server gives it, in `language`. */
async function config(env, language) {
  const response = await fetch(`${env.base}/v1/banner/config?lang=${language}`);
  check(response.ok, `GET /v1/banner/config answered ${response.status}`);
  return response.json();
}

/** The ledger's choices of `browser`, newest first, once there are at least `count`. */
async function ledger(env, browser, count) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await fetch(`${env.base}/v1/banner/consents?browser=${encodeURIComponent(browser)}`, {
      headers: { Authorization: `Bearer ${env.token}` },
    });
    check(response.ok, `GET /v1/banner/consents answered ${response.status}`);
    const body = await response.json();
    if (body.choices.length >= count || Date.now() > deadline) {
      check(body.choices.length >= count, `the ledger holds ${body.choices.length} choices of this browser, not ${count}: ${JSON.stringify(body)}`);
      return body.choices;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The website's `skydd_consent` cookie, read: `{ b, r, g, s }`. */
async function kept(context, env) {
  const cookie = (await context.cookies(env.website)).find((c) => c.name === 'skydd_consent');
  check(cookie, 'the website has no skydd_consent cookie');
  check(cookie.sameSite === 'Lax', `skydd_consent is SameSite=${cookie.sameSite}, not Lax`);
  const lifetime = cookie.expires - Date.now() / 1000;
  check(lifetime > 170 * 86400 && lifetime < 190 * 86400, `skydd_consent lives ${Math.round(lifetime / 86400)} days, not about 6 months`);
  return JSON.parse(decodeURIComponent(cookie.value));
}

/** The latest choice must be `action` giving exactly `given` (and refusing the rest). */
function expectChoice(choice, action, given, cfg) {
  check(choice.action === action, `the ledger's latest choice is ${choice.action}, not ${action}`);
  const all = cfg.categories.map((c) => c.id);
  const sorted = (list) => [...list].sort().join(',');
  check(sorted(choice.given) === sorted(given), `given ${choice.given}, expected ${given}`);
  check(sorted(choice.refused) === sorted(all.filter((id) => !given.includes(id))), `refused ${choice.refused}`);
  check(choice.revision === cfg.revision, `the choice was made under revision ${choice.revision}, not ${cfg.revision}`);
  check(choice.method === 'banner', `method ${choice.method}`);
}

const required = (cfg) => cfg.categories.filter((c) => c.required).map((c) => c.id);
const categoryName = (cfg, id) => cfg.categories.find((c) => c.id === id).name;

/** What a page in the scenarios shares: the page, its banner parts, its script errors. */
function site(t, page) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    page,
    banner: page.locator('.skydd-banner'),
    settings: page.locator('dialog.skydd-settings'),
    confirm: page.locator('dialog.skydd-confirm'),
    placeholder: page.locator('.skydd-ph'),
    /** Open a page of the website and wait until the banner has started. */
    async open(path = '/') {
      await page.goto(new URL(path, t.suite.env.website).href);
      await page.waitForFunction(() => window.skydd && window.skydd.ready === true);
    },
    /** The page's statistics flags: [the script in the page, the one added later]. */
    async analytics() {
      return page.evaluate(() => [window.exampleAnalytics ?? 0, window.exampleLateAnalytics === true]);
    },
    /** No script error so far. */
    clean() {
      check(errors.length === 0, `the page threw: ${errors.join('; ')}`);
    },
  };
}

/** Add a blocked statistics script to the page after it loaded, as a tag manager would. */
async function addLateScript(page) {
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.type = 'text/plain';
    script.dataset.category = 'analytics';
    script.src = 'late.js';
    document.body.append(script);
  });
}

/** Part one, English: blocked until "accept analytics", a service loaded, withdrawn again. */
export function blockedUntilAccepted() {
  return async function run(t, env) {
    const cfg = await config(env, 'en');
    const T = cfg.texts;
    const context = await t.newContext({ language: 'en' });
    // The page has Google's tag queue (as a site with gtag.js has): Consent Mode signals go there.
    await context.addInitScript(() => { window.dataLayer = []; });
    const s = site(t, t.on(await context.newPage()));
    const { page } = s;
    const consentMode = () => page.evaluate(() => window.dataLayer.filter((a) => a[0] === 'consent').map((a) => [a[1], a[2]]));

    await t.step('the first visit shows the banner and runs nothing', async () => {
      await s.open('/');
      await s.banner.getByRole('heading', { name: T.title }).waitFor();
      check(await s.banner.evaluate((b) => b.contains(document.activeElement)), 'focus is not in the banner');
      const [accept, reject] = [s.banner.getByRole('button', { name: T.accept_all }), s.banner.getByRole('button', { name: T.reject_all })];
      const [a, r] = [await accept.boundingBox(), await reject.boundingBox()];
      check(Math.abs(a.width - r.width) < 1 && Math.abs(a.height - r.height) < 1, 'accept all and reject all differ in size');
      const style = (l) => l.evaluate((e) => { const c = getComputedStyle(e); return [c.backgroundColor, c.color, c.fontSize, c.fontWeight].join(); });
      check((await style(accept)) === (await style(reject)), 'accept all and reject all differ in style');
      check(JSON.stringify(await s.analytics()) === '[0,false]', 'a blocked script ran before any choice');
      check((await page.locator('iframe[data-category]').getAttribute('src')) === null, 'the marketing iframe loaded before any choice');
      await s.placeholder.getByRole('button', { name: T.load_this }).waitFor();
      await addLateScript(page);
      await page.waitForTimeout(200);
      check(JSON.stringify(await s.analytics()) === '[0,false]', 'a script added later ran before any choice');
      const signals = await consentMode();
      check(signals.length === 1 && signals[0][0] === 'default' && signals[0][1].analytics_storage === 'denied' && signals[0][1].ad_storage === 'denied',
        `Consent Mode did not start denied: ${JSON.stringify(signals)}`);
      await t.axe(page, 'example website with the banner (en)');
      await t.shot(page, 'banner');
    });

    await t.step('customise: the categories with their services and cookies', async () => {
      await s.banner.getByRole('button', { name: T.customise }).click();
      await s.settings.waitFor();
      check(await s.settings.evaluate((d) => d.contains(document.activeElement)), 'focus did not move into the settings');
      const necessary = s.settings.getByRole('checkbox', { name: categoryName(cfg, 'necessary') });
      check((await necessary.isChecked()) && (await necessary.isDisabled()), 'the necessary category can be refused');
      for (const c of cfg.categories) {
        await s.settings.getByRole('checkbox', { name: c.name }).waitFor();
      }
      for (const summary of await s.settings.locator('summary').all()) {
        await summary.click();
      }
      await s.settings.getByRole('cell', { name: '_ga', exact: true }).waitFor();
      await t.axe(page, 'example website with the banner settings (en)');
      // The picture: the top of the dialog, with the statistics' services open.
      for (const details of await s.settings.locator('details').all()) {
        await details.evaluate((d) => { d.open = d.closest('li').querySelector('#skydd-c-analytics') !== null; });
      }
      await s.settings.evaluate((d) => { d.scrollTop = 0; });
      await t.shot(page, 'banner-settings');
    });

    let browser;
    await t.step('accept analytics: the scripts run, the iframe stays blocked, the ledger has it', async () => {
      await s.settings.getByRole('checkbox', { name: categoryName(cfg, 'analytics') }).check();
      await s.settings.getByRole('button', { name: T.save }).click();
      await s.settings.waitFor({ state: 'detached' });
      await s.banner.waitFor({ state: 'detached' });
      await page.waitForFunction(() => window.exampleAnalytics === 1 && window.exampleLateAnalytics === true);
      check((await page.locator('#analytics-status').textContent()) === 'loaded', 'the analytics script did not mark the page');
      check((await page.locator('iframe[data-category]').getAttribute('src')) === null, 'accepting analytics loaded the marketing iframe');
      const cookie = await kept(context, env);
      browser = cookie.b;
      check(/^[A-Za-z0-9_-]{22,64}$/.test(browser), `the browser id ${browser} is not 22..64 url-safe characters`);
      check(cookie.r === cfg.revision, 'the cookie holds another revision');
      const [choice] = await ledger(env, browser, 1);
      expectChoice(choice, 'custom', [...required(cfg), 'analytics'], cfg);
      check(choice.gpc === false && choice.dnt === false, 'a browser without GPC or DNT was logged with one');
      check(choice.notice_version === cfg.notice_version && choice.language === 'en', 'notice version or language not logged');
      const [, update] = (await consentMode()).at(-1);
      check(update.analytics_storage === 'granted' && update.ad_storage === 'denied', `Consent Mode update: ${JSON.stringify(update)}`);
      s.clean();
    });

    await t.step('the next page runs the scripts at once and asks nothing', async () => {
      await s.open('/');
      await page.waitForFunction(() => window.exampleAnalytics === 1);
      check(!(await s.banner.isVisible()), 'the banner asked again');
      await addLateScript(page);
      await page.waitForFunction(() => window.exampleLateAnalytics === true);
    });

    await t.step('"load this" loads the video and logs the service', async () => {
      await s.placeholder.getByRole('button', { name: T.load_this }).click();
      await page.waitForFunction(() => document.querySelector('iframe[data-category]').getAttribute('src') === 'video.html');
      check(!(await s.placeholder.isVisible()), 'the placeholder stayed');
      const [choice] = await ledger(env, browser, 2);
      expectChoice(choice, 'service', [...required(cfg), 'analytics'], cfg);
      check(choice.services.video === true, `services ${JSON.stringify(choice.services)}`);
      check((await kept(context, env)).s.video === true, 'the cookie does not keep the service');
    });

    await t.step('withdraw in one click from the settings: the cookies go, nothing runs', async () => {
      check((await context.cookies(env.website)).some((c) => c.name === '_ga'), 'the analytics script set no _ga cookie');
      await page.getByRole('link', { name: 'Cookie settings' }).click();
      await s.settings.waitFor();
      await s.settings.getByText(`${T.your_id}: ${browser}`).waitFor();
      await Promise.all([page.waitForEvent('load'), s.settings.getByRole('button', { name: T.withdraw }).click()]);
      await page.waitForFunction(() => window.skydd && window.skydd.ready === true);
      check(JSON.stringify(await s.analytics()) === '[0,false]', 'statistics ran after the withdrawal');
      check((await page.locator('iframe[data-category]').getAttribute('src')) === null, 'the video loaded after the withdrawal');
      const names = (await context.cookies(env.website)).map((c) => c.name);
      check(!names.includes('_ga') && !names.includes('_ga_EXAMPLE'), `the withdrawn service's cookies remain: ${names}`);
      check(!(await s.banner.isVisible()), 'the banner asked again after the withdrawal');
      const [choice] = await ledger(env, browser, 3);
      expectChoice(choice, 'withdraw', required(cfg), cfg);
      check(Object.keys(choice.services).length === 0, 'the withdrawal kept a service');
      s.clean();
    });
    await context.close();
  };
}

/**
 * Part one, Swedish: reject all is one click on the first layer. The browser sends Do Not
 * Track, which the website's register only logs (`dnt: ignore`): the visitor is still asked.
 */
export function rejectInOneClick() {
  return async function run(t, env) {
    const cfg = await config(env, 'sv');
    const T = cfg.texts;
    check(cfg.dnt === 'ignore', `the website's register honours DNT (${cfg.dnt})`);
    const context = await t.newContext({ language: 'sv' });
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' }));
    const s = site(t, t.on(await context.newPage()));
    await t.step('the Swedish page shows the banner in Swedish', async () => {
      await s.open('/sv.html');
      await s.banner.getByRole('heading', { name: T.title }).waitFor();
      check((await s.banner.getAttribute('lang')) === 'sv', 'the banner is not marked Swedish');
      await t.axe(s.page, 'example website with the banner (sv)', 'sv');
      await t.shot(s.page, 'banner-sv');
    });
    await t.step('reject all: one click, nothing runs, the ledger has it', async () => {
      await s.banner.getByRole('button', { name: T.reject_all }).click();
      await s.banner.waitFor({ state: 'detached' });
      check(JSON.stringify(await s.analytics()) === '[0,false]', 'statistics ran after reject all');
      const [choice] = await ledger(env, (await kept(context, env)).b, 1);
      expectChoice(choice, 'reject_all', required(cfg), cfg);
      check(choice.language === 'sv', 'the choice was not logged in Swedish');
      check(choice.dnt === true && choice.gpc === false, `signals logged as gpc=${choice.gpc} dnt=${choice.dnt}`);
      await s.open('/sv.html');
      check(!(await s.banner.isVisible()), 'the banner asked again after reject all');
      s.clean();
    });
    await t.step('the settings in Swedish', async () => {
      await s.page.getByRole('link', { name: 'Cookieinställningar' }).click();
      await s.settings.waitFor();
      await t.axe(s.page, 'example website with the banner settings (sv)', 'sv');
      await s.page.keyboard.press('Escape');
      await s.settings.waitFor({ state: 'detached' });
    });
    await context.close();
  };
}

/** Part one: a browser that sends Global Privacy Control starts refused; accepting is asked. */
export function globalPrivacyControl() {
  return async function run(t, env) {
    const cfg = await config(env, 'en');
    const T = cfg.texts;
    check(cfg.gpc === 'honour', `the register's banner does not honour GPC (${cfg.gpc})`);
    const context = await t.newContext({ language: 'en' });
    // Chromium has no GPC setting: the signal as Firefox and Brave send it, header and property.
    await context.setExtraHTTPHeaders({ 'Accept-Language': 'en-GB,en;q=0.9', 'Sec-GPC': '1' });
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
    const s = site(t, t.on(await context.newPage()));
    let browser;
    await t.step('the first visit is refused without asking, and logged with the signal', async () => {
      await s.open('/');
      check(!(await s.banner.isVisible()), 'a GPC browser was asked');
      check(JSON.stringify(await s.analytics()) === '[0,false]', 'statistics ran in a GPC browser');
      browser = (await kept(s.page.context(), env)).b;
      const [choice] = await ledger(env, browser, 1);
      expectChoice(choice, 'reject_all', required(cfg), cfg);
      check(choice.gpc === true, 'the GPC signal was not logged');
    });
    await t.step('accepting all in the settings is asked explicitly', async () => {
      await s.page.getByRole('link', { name: 'Cookie settings' }).click();
      await s.settings.getByText(T.gpc_notice).waitFor();
      await s.settings.getByRole('button', { name: T.accept_all }).click();
      await s.confirm.getByText(T.gpc_conflict).waitFor();
      await t.axe(s.page, 'example website, the GPC question (en)');
      await t.shot(s.page, 'banner-gpc');
      // Escape: the question goes, nothing changes.
      await s.page.keyboard.press('Escape');
      await s.confirm.waitFor({ state: 'detached' });
      check(JSON.stringify(await s.analytics()) === '[0,false]', 'statistics ran without an answer');
      await s.settings.getByRole('button', { name: T.accept_all }).click();
      await s.confirm.getByRole('button', { name: T.accept_all }).click();
      await s.page.waitForFunction(() => window.exampleAnalytics === 1);
      const [choice] = await ledger(env, browser, 2);
      expectChoice(choice, 'accept_all', cfg.categories.map((c) => c.id), cfg);
      check(choice.gpc === true, 'the GPC signal was not logged with the explicit choice');
      s.clean();
    });
    await context.close();
  };
}

/** Part one: every step by keyboard, focus in and back, Escape closes only the settings. */
export function keyboardOnly() {
  return async function run(t, env) {
    const cfg = await config(env, 'en');
    const T = cfg.texts;
    const context = await t.newContext({ language: 'en' });
    const s = site(t, t.on(await context.newPage()));
    const { page } = s;
    /** The focused element's name: its label's text for a checkbox, else its own text. */
    const focused = () => page.evaluate(() => {
      const e = document.activeElement;
      return e ? ((e.labels && e.labels[0]) || e).textContent.trim() : '';
    });
    /** Tab (forwards) until the focused element's text is `name`. */
    async function tabTo(name) {
      for (let i = 0; i < 40; i++) {
        if ((await focused()) === name) {
          const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
          check(outline !== 'none', `${name} has no visible focus`);
          return;
        }
        await page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached "${name}" (focus is on "${await focused()}")`);
    }
    await t.step('the banner takes focus; Escape does not close it', async () => {
      await s.open('/');
      await s.banner.waitFor();
      await page.keyboard.press('Escape');
      check(await s.banner.isVisible(), 'Escape closed the first layer, which must be answered');
    });
    await t.step('customise by keyboard; Escape closes the settings and focus comes back', async () => {
      await tabTo(T.customise);
      await page.keyboard.press('Enter');
      await s.settings.waitFor();
      await tabTo(categoryName(cfg, 'analytics'));
      await page.keyboard.press('Space');
      await page.keyboard.press('Escape');
      await s.settings.waitFor({ state: 'detached' });
      check((await focused()) === T.customise, `focus went to "${await focused()}", not back to ${T.customise}`);
      check(JSON.stringify(await s.analytics()) === '[0,false]', 'closing the settings gave consent');
    });
    await t.step('save a choice by keyboard', async () => {
      await page.keyboard.press('Enter');
      await s.settings.waitFor();
      await tabTo(categoryName(cfg, 'analytics'));
      await page.keyboard.press('Space');
      await tabTo(T.save);
      await page.keyboard.press('Enter');
      await s.banner.waitFor({ state: 'detached' });
      await page.waitForFunction(() => window.exampleAnalytics === 1);
      const [choice] = await ledger(env, (await kept(context, env)).b, 1);
      expectChoice(choice, 'custom', [...required(cfg), 'analytics'], cfg);
    });
    await t.step('reopen from the link by keyboard, and back to the link', async () => {
      await tabTo('Cookie settings');
      await page.keyboard.press('Enter');
      await s.settings.waitFor();
      await page.keyboard.press('Escape');
      await s.settings.waitFor({ state: 'detached' });
      check((await focused()) === 'Cookie settings', `focus went to "${await focused()}", not back to the link`);
      s.clean();
    });
    await context.close();
  };
}

/** Part one's last scenario: a visitor who accepted all, kept for part two. */
export function acceptForLater() {
  return async function run(t, env) {
    const cfg = await config(env, 'en');
    const context = await t.newContext({ language: 'en' });
    const s = site(t, t.on(await context.newPage()));
    await t.step('accept all and keep the cookies for after the register change', async () => {
      await s.open('/');
      await s.banner.getByRole('button', { name: cfg.texts.accept_all }).click();
      await s.page.waitForFunction(() => window.exampleAnalytics === 1);
      const [choice] = await ledger(env, (await kept(context, env)).b, 1);
      expectChoice(choice, 'accept_all', cfg.categories.map((c) => c.id), cfg);
      check(choice.gpc === false, 'a browser without GPC was logged with it');
      const browser = (await kept(context, env)).b;
      writeFileSync(env.bannerState, JSON.stringify({ storage: await context.storageState(), revision: cfg.revision, browser }));
    });
    await context.close();
  };
}

/** Part two: after a register change to the cookie section, the visitor is asked again. */
export function askedAgain() {
  return async function run(t, env) {
    const cfg = await config(env, 'en');
    const before = JSON.parse(readFileSync(env.bannerState, 'utf8'));
    check(before.revision !== cfg.revision, 'the changed register kept the banner revision');
    const context = await t.newContext({ language: 'en', storageState: before.storage });
    const s = site(t, t.on(await context.newPage()));
    const browser = (await kept(context, env)).b;
    await t.step('the banner asks again and runs nothing meanwhile', async () => {
      await s.open('/');
      await s.banner.waitFor();
      check(JSON.stringify(await s.analytics()) === '[0,false]', 'statistics ran under the old revision');
    });
    await t.step('the settings show the new service and the earlier choice', async () => {
      await s.banner.getByRole('button', { name: cfg.texts.customise }).click();
      for (const c of cfg.categories) {
        const box = s.settings.getByRole('checkbox', { name: c.name });
        check(await box.isChecked(), `${c.name} is not preset to the earlier choice`);
      }
      const added = cfg.categories.flatMap((c) => c.services).find((v) => v.id === 'chat');
      check(added, 'the changed register has no chat service');
      await s.settings.getByText(added.name).first().waitFor({ state: 'attached' });
    });
    await t.step('the new choice is logged under the new revision; the old one stays', async () => {
      await s.settings.getByRole('button', { name: cfg.texts.reject_all }).click();
      await s.banner.waitFor({ state: 'detached' });
      const choices = await ledger(env, browser, 2);
      expectChoice(choices[0], 'reject_all', required(cfg), cfg);
      check(choices[1].revision === before.revision && choices[1].action === 'accept_all', 'the earlier choice is not in the ledger');
      check((await kept(context, env)).b === browser, 'the browser id changed');
      s.clean();
    });
    await context.close();
  };
}
