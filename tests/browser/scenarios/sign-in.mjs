// Signing in: e-mail and password, then TOTP. The first sign-in enrols: the secret is read from
// the page and the code computed in node (as an authenticator app would), and the recovery
// codes are shown once. Then sign out, and sign in again with a recovery code instead of TOTP.

import { check } from '../scenario.mjs';
import { base32Decode, secondsLeftInStep, totp } from '../totp.mjs';

/** Recovery codes as the page shows them: groups of base32 letters and digits joined by `-`. */
const RECOVERY_CODE = /\b[A-Z2-7]{4}(?:-[A-Z2-7]{4}){2,}\b/g;

/**
 * A TOTP code for `secret` that will still be valid when the server checks it: when the
 * current step is about to end, wait for the next one.
 */
async function freshCode(secret) {
  const now = Date.now() / 1000;
  if (secondsLeftInStep(now) < 3) {
    await new Promise((resolve) => setTimeout(resolve, secondsLeftInStep(now) * 1000 + 200));
  }
  return totp(secret, Date.now() / 1000);
}

/** Fill the sign-in form with `account`'s e-mail and password and send it. */
async function enterPassword(page, account) {
  await page.getByLabel(/e-?mail/i).fill(account.email);
  await page.getByLabel(/password|lösenord/i).fill(account.password);
  await page.getByRole('button', { name: /^(continue|fortsätt)$/i }).click();
  await page.waitForLoadState();
}

/**
 * Sign `account` in for the first time on `page` (which must be on the sign-in page): enrol
 * TOTP and keep the recovery codes. Returns `{ secret, recoveryCodes }`.
 */
export async function enrol(t, page, account) {
  await t.step('e-mail and password', async () => {
    await enterPassword(page, account);
    check(/\/console\/enrol/.test(page.url()), `a first sign-in goes to enrolment, not to ${page.url()}`);
  });
  const secret = await t.step('the enrolment page shows the secret', async () => {
    await t.axe(page, '/console/enrol');
    const uri = await page.getByRole('link', { name: /authenticator|otpauth/i }).getAttribute('href');
    check(uri?.startsWith('otpauth://totp/'), `the enrolment link is not an otpauth URI: ${uri}`);
    const secretText = new URL(uri).searchParams.get('secret');
    check(secretText, 'the otpauth URI has no secret');
    // The page also shows it as text (in groups, for typing by hand).
    const shown = (await page.getByRole('main').textContent()).replace(/\s+/g, '');
    check(shown.toUpperCase().includes(secretText.toUpperCase()), 'the key is not shown as text beside the link');
    return base32Decode(secretText);
  });
  const recoveryCodes = await t.step('a TOTP code confirms enrolment; the recovery codes are shown once', async () => {
    await page.getByLabel('Six-digit code').fill(await freshCode(secret));
    await page.getByRole('main').getByRole('button', { name: /confirm|bekräfta/i }).click();
    await page.waitForLoadState();
    const codes = (await page.getByRole('main').textContent()).match(RECOVERY_CODE) ?? [];
    check(codes.length === 10, `the recovery codes page shows ${codes.length} codes, not 10`);
    await t.axe(page, '/console recovery codes');
    await t.shot(page, 'recovery-codes');
    await page.getByRole('main').getByRole('link', { name: /continue|fortsätt/i }).click();
    await page.waitForLoadState();
    return codes;
  });
  return { secret, recoveryCodes };
}

/** The sign-in scenario; it leaves the DPO's signed-in cookies in `keep` for later scenarios. */
export function signIn(keep) {
  return async function run(t, env) {
    const context = await t.newContext();
    const page = t.on(await context.newPage());

    await t.step('an anonymous visit is sent to the sign-in page', async () => {
      await t.visit(page, '/console/account');
      check(/\/console\/sign-in/.test(page.url()), `an anonymous visit to /console/account ended at ${page.url()}`);
      await t.axe(page, '/console/sign-in');
      await t.shot(page, 'sign-in');
    });

    const dpo = await enrol(t, page, env.dpo);

    await t.step('signed in, the DPO is on the page first asked for, with the main navigation', async () => {
      check(new URL(page.url()).pathname === '/console/account', `after enrolment the DPO is at ${page.url()}, not /console/account`);
      await page.getByRole('navigation', { name: /main|huvudmeny/i }).getByRole('link', { name: /dashboard/i }).waitFor();
      await t.axe(page, '/console/account');
    });

    await t.step('sign out', async () => {
      await page.getByRole('button', { name: /sign out|logga ut/i }).first().click();
      await page.waitForLoadState();
      await t.visit(page, '/console/dashboard');
      check(/\/console\/sign-in/.test(page.url()), `after signing out the dashboard is still shown (${page.url()})`);
    });

    await t.step('sign in again with a recovery code instead of TOTP', async () => {
      await t.visit(page, '/console/sign-in');
      await enterPassword(page, env.dpo);
      check(/\/console\/sign-in\/code/.test(page.url()), `the second factor is asked at /console/sign-in/code, not ${page.url()}`);
      await t.axe(page, '/console/sign-in/code');
      await page.getByLabel('Code from your authenticator app, or a recovery code').fill(dpo.recoveryCodes[0]);
      await page.getByRole('main').getByRole('button', { name: /sign in|logga in/i }).click();
      await page.waitForLoadState();
      check(/\/console\/dashboard/.test(page.url()), `a recovery code did not sign in (at ${page.url()})`);
    });

    await t.step('a used recovery code is refused the second time', async () => {
      const other = await t.newContext();
      const again = t.on(await other.newPage());
      await t.visit(again, '/console/sign-in');
      await enterPassword(again, env.dpo);
      await again.getByLabel('Code from your authenticator app, or a recovery code').fill(dpo.recoveryCodes[0]);
      await again.getByRole('main').getByRole('button', { name: /sign in|logga in/i }).click();
      await again.waitForLoadState();
      check(!/\/console\/dashboard/.test(again.url()), 'a used recovery code signed in again');
      await other.close();
      t.on(page);
    });

    // Saved before the language switch below sets its cookie: later contexts choose their
    // language by Accept-Language.
    keep.dpo = { ...dpo, state: await context.storageState() };

    await t.step('the language switch shows the console in Swedish and back in English', async () => {
      const switcher = page.getByRole('navigation', { name: /language|språk/i });
      await switcher.getByRole('link', { name: 'Svenska' }).click();
      await page.waitForFunction(() => document.documentElement.lang === 'sv');
      await page.getByRole('navigation', { name: /huvudmeny/i }).getByRole('link', { name: /översikt/i }).waitFor();
      await switcher.getByRole('link', { name: 'English' }).click();
      await page.waitForFunction(() => document.documentElement.lang === 'en');
    });
    await context.close();
  };
}
