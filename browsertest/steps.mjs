// A scenario of named steps run in order, stopping at the first that
// fails, and the waiting helpers its steps share. playwright-core has no
// test runner nor expect(): these are the little the scenario needs.
import { setTimeout as sleep } from 'node:timers/promises';

// Scenario runs steps one after the other; each depends on the last.
export class Scenario {
  #steps = [];

  step(name, fn) {
    this.#steps.push({ name, fn });
  }

  // run reports each step (TAP-like lines) and returns whether all
  // passed. onFailure tells what the browser showed when one failed.
  async run(onFailure) {
    const began = Date.now();
    for (const [i, { name, fn }] of this.#steps.entries()) {
      const start = Date.now();
      try {
        await fn();
      } catch (err) {
        console.log(`not ok ${i + 1} - ${name} (${Date.now() - start} ms)`);
        console.log(err.stack ?? String(err));
        await onFailure();
        return false;
      }
      console.log(`ok ${i + 1} - ${name} (${Date.now() - start} ms)`);
    }
    console.log(`all ${this.#steps.length} steps passed in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return true;
  }
}

// eventually polls fn until it returns a truthy value, and returns it.
export async function eventually(what, fn, { timeout = 15_000, interval = 250 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeout} ms${last ? `: ${last.message}` : ''}`);
    }
    await sleep(interval);
  }
}

// expectText waits until the locator's text matches pattern.
export async function expectText(locator, pattern, what, options) {
  let seen;
  try {
    await eventually(what, async () => {
      seen = await locator.innerText({ timeout: 2_000 });
      return pattern.test(seen);
    }, options);
  } catch (err) {
    throw new Error(`${err.message}; expected ${pattern}, saw ${JSON.stringify(seen)}`);
  }
  return seen;
}

// submit clicks a form's button and returns the answer to its POST
// (before any redirect is followed), once the next page has loaded.
export async function submit(page, button) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document'),
    button.click(),
  ]);
  await page.waitForLoadState('load');
  return response;
}
