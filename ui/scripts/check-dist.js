// Fails the build when dist/ would break the app's CSP or ship the mock backend:
// no inline <script> or <style>, no style="" attributes, no eval, no mock.
// Runs after `vite build` (npm run build).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url).pathname;
const problems = [];

const html = readFileSync(join(dist, "index.html"), "utf8").replace(/<!--[\s\S]*?-->/g, "");
for (const tag of html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
  if (!/\bsrc=/.test(tag[0]) || tag[1].trim() !== "") {
    problems.push("index.html has an inline <script>");
  }
}
if (/<style\b/i.test(html)) {
  problems.push("index.html has a <style> element");
}
if (/\sstyle\s*=/i.test(html)) {
  problems.push("index.html has a style attribute");
}

const assets = join(dist, "assets");
for (const name of readdirSync(assets).filter((file) => file.endsWith(".js"))) {
  const code = readFileSync(join(assets, name), "utf8");
  if (code.includes("using the mock backend")) {
    problems.push(`${name} contains the mock backend`);
  }
  if (/\beval\(|new Function\(/.test(code)) {
    problems.push(`${name} uses eval`);
  }
  if (/setAttribute\(\s*["']style["']/.test(code)) {
    problems.push(`${name} sets style attributes`);
  }
}

if (problems.length > 0) {
  console.error(`dist/ breaks the CSP or ships test code:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
console.log("dist/: no inline scripts or styles, no eval, no mock backend");
