// A deliberately small Markdown renderer for the mock backend only (the real one is
// pulldown-cmark + ammonia in Rust). It escapes everything first, so its output is
// as safe to insert as the backend's.

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${String(c.charCodeAt(0))};`);
}

function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" rel="noopener noreferrer">$1</a>')
    .replace(/(^|\s)(https?:\/\/[^\s<]+)/g, '$1<a href="$2" rel="noopener noreferrer">$2</a>');
}

function block(chunk: string): string {
  const lines = chunk.split("\n");
  const first = lines[0] ?? "";
  const heading = /^(#{1,6})\s+(.*)$/.exec(first);
  if (heading && lines.length === 1) {
    const level = String(heading[1]?.length ?? 1);
    return `<h${level}>${inline(heading[2] ?? "")}</h${level}>`;
  }
  if (lines.every((l) => /^\s*[-*]\s+/.test(l))) {
    const items = lines.map((l) => l.replace(/^\s*[-*]\s+/, ""));
    return `<ul>${items
      .map((item) => {
        const task = /^\[( |x)\]\s+(.*)$/.exec(item);
        return task
          ? `<li><input type="checkbox" disabled${task[1] === "x" ? " checked" : ""}> ${inline(task[2] ?? "")}</li>`
          : `<li>${inline(item)}</li>`;
      })
      .join("")}</ul>`;
  }
  if (lines.every((l) => /^\s*\d+\.\s+/.test(l))) {
    return `<ol>${lines.map((l) => `<li>${inline(l.replace(/^\s*\d+\.\s+/, ""))}</li>`).join("")}</ol>`;
  }
  if (first.startsWith("```")) {
    const code = lines.slice(1, lines.at(-1)?.startsWith("```") ? -1 : undefined).join("\n");
    return `<pre><code>${escapeHtml(code)}</code></pre>`;
  }
  if (heading) {
    return block(first) + block(lines.slice(1).join("\n"));
  }
  return `<p>${lines.map(inline).join("<br>")}</p>`;
}

export function renderMarkdown(text: string): string {
  return text
    .replace(/\r\n/g, "\n")
    .split(/\n{2,}/)
    .map((chunk) => chunk.trim())
    .filter((chunk) => chunk !== "")
    .map(block)
    .join("\n");
}
