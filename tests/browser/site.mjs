// Drives Debian's Chromium over a rendered litops site:
//   node site.mjs BASE_URL SCREENSHOT
// Checks the index lists the runbooks, search finds "rollout undo" and
// leads to its step, the copy button copies the step's command, and every
// in-page anchor resolves. Prints one JSON line; exits 1 on a failure.
import { chromium } from "playwright-core";

const [base, screenshot] = process.argv.slice(2);
const failures = [];
const facts = {};
function check(ok, what) {
  if (!ok) failures.push(what);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(base).origin });
  const page = await context.newPage();
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));

  await page.goto(base + "index.html");
  const titles = await page.$$eval("ul.runbooks a", (links) => links.map((a) => a.textContent));
  facts.index = titles;
  check(titles.includes("Kubernetes Operations Runbook"), "the index lists the seed runbook");
  check(titles.some((t) => t.startsWith("PostgreSQL")), "the index lists the PostgreSQL runbook");

  await page.fill("#search", "rollout undo");
  await page.waitForSelector("#results li a", { timeout: 5000 });
  const results = await page.$$eval("#results li a", (links) => links.map((a) => [a.textContent, a.getAttribute("href")]));
  facts.search = results;
  const hit = results.find(([text]) => text.includes("rollout undo"));
  check(hit, "search finds a command with \"rollout undo\"");
  if (hit) {
    await page.click(`#results li a[href="${hit[1]}"]`);
    await page.waitForLoadState("load");
    const hash = decodeURIComponent(new URL(page.url()).hash.slice(1));
    facts.landed = hash;
    const found = await page.evaluate((id) => !!document.getElementById(id), hash);
    check(found, `the search result's anchor #${hash} exists`);
    const step = await page.evaluate((id) => {
      const el = document.getElementById(id);
      const card = el && (el.classList.contains("step") ? el : el.parentElement.querySelector(".step, h2 ~ .step"));
      return card ? card.textContent : "";
    }, hash);
    check(step.length > 0, "the anchor leads to a step");
  }

  // On the seed's page, the copy button of the rollback step copies its command.
  await page.goto(base + "kubernetes-operations.html");
  const button = page.locator('.step[data-step$="rollback-deployment"] button.copy').first();
  const expected = await button.getAttribute("data-copy");
  await button.click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  facts.copied = copied;
  check(copied === expected && copied.includes("kubectl rollout undo"), "the copy button copies the step's command");
  check((await button.textContent()) === "Copied", "the button says it copied");

  // Every in-page anchor resolves.
  const broken = await page.$$eval('a[href^="#"]', (links) =>
    links
      .map((a) => decodeURIComponent(a.getAttribute("href").slice(1)))
      .filter((id) => id && !document.getElementById(id)));
  facts.anchors = await page.$$eval('a[href^="#"]', (links) => links.length);
  check(broken.length === 0, `anchors without a target: ${broken.slice(0, 5).join(", ")}`);

  // Nothing left the machine.
  const external = requests.filter((u) => !u.startsWith(base));
  check(external.length === 0, `requests outside the site: ${external.join(", ")}`);

  await page.screenshot({ path: screenshot, fullPage: false });
} finally {
  await browser.close();
}
console.log(JSON.stringify({ ok: failures.length === 0, failures, facts }));
process.exit(failures.length === 0 ? 0 : 1);
