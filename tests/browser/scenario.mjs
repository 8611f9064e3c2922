// Scenarios and their steps: each failure names the scenario and the step, and leaves a
// screenshot of the page as it was at that moment (its path is printed).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** A step that failed: its message names the scenario, the step and the screenshot. */
export class StepFailure extends Error {
  constructor(scenario, step, cause, screenshot) {
    const where = screenshot ? `\n  screenshot of the page: ${screenshot}` : '';
    super(`scenario "${scenario}", step "${step}": ${cause?.message ?? cause}${where}`);
    this.scenario = scenario;
    this.step = step;
    this.cause = cause;
  }
}

/** File-name-safe words of `text`. */
function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/**
 * One scenario's run: `step(name, fn)` runs `fn`, and when it throws, screenshots `page` (the
 * page the scenario is on; set it with `on(page)`) into `failures` and throws a `StepFailure`.
 */
export class Scenario {
  constructor(name, failures) {
    this.name = name;
    this.failures = failures;
    this.page = null;
    this.steps = 0;
  }

  /** The page later failures are screenshotted from. */
  on(page) {
    this.page = page;
    return page;
  }

  async step(name, fn) {
    this.steps += 1;
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StepFailure) {
        throw error;
      }
      let screenshot = null;
      if (this.page && !this.page.isClosed()) {
        mkdirSync(this.failures, { recursive: true });
        screenshot = join(this.failures, `${slug(this.name)}--${this.steps}-${slug(name)}.png`);
        try {
          await this.page.screenshot({ path: screenshot, fullPage: true, timeout: 5000 });
        } catch (shotError) {
          screenshot = `(none: ${shotError.message.split('\n')[0]})`;
        }
      }
      throw new StepFailure(this.name, name, error, screenshot);
    }
  }
}

/** Throw with `message` unless `condition` holds. */
export function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}
