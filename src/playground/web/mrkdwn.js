// Slack's mrkdwn, as the playground shows it: *bold*, _italic_, ~strike~, `code`,
// ```preformatted```, > quotes, links <url|text>, user and channel mentions
// <@U…> <#C…>, special mentions <!here>, and dates <!date^epoch^format|fallback>.
// Slack text arrives with &, < and > escaped; everything else is escaped here.

const ENTITY = /&(amp|lt|gt|quot|#39);/g;

export function escapeHtml(text) {
  return String(text)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** Slack's own escapes decoded, then escaped again for HTML. */
function plainHtml(text) {
  const decoded = text.replace(ENTITY, (_, name) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[name]);
  return escapeHtml(decoded);
}

function formatDate(epoch, format, fallback) {
  const at = new Date(Number(epoch) * 1000);
  if (Number.isNaN(at.getTime())) return fallback;
  const date = at.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
  const time = at.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return format
    .replaceAll("{date_num}", at.toISOString().slice(0, 10))
    .replace(/\{date(_short|_long)?(_pretty)?\}/g, date)
    .replaceAll("{time_secs}", at.toLocaleTimeString())
    .replaceAll("{time}", time);
}

/** One <…> token of Slack text as HTML. */
function token(inner, names) {
  const [target, label] = inner.split("|", 2);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return `<span class="mention" data-user="${escapeHtml(id)}">@${escapeHtml(names.users[id] ?? label ?? id)}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    return `<span class="mention channel">#${escapeHtml(names.channels[id] ?? label ?? id)}</span>`;
  }
  if (target.startsWith("!date^")) {
    const [, epoch, format] = target.split("^");
    return `<time title="${escapeHtml(label ?? "")}">${escapeHtml(formatDate(epoch, format ?? "{date}", label ?? ""))}</time>`;
  }
  if (target.startsWith("!subteam^")) return `<span class="mention">@${escapeHtml(label ?? target.slice(9))}</span>`;
  if (target.startsWith("!")) return `<span class="mention">@${escapeHtml(target.slice(1))}</span>`;
  const href = /^(https?:|mailto:)/.test(target) ? target : "#";
  return `<a href="${plainHtml(href)}" target="_blank" rel="noopener">${plainHtml(label ?? target)}</a>`;
}

function inline(text, names) {
  // Code spans and <…> tokens are set aside first, so formatting cannot reach into them.
  const kept = [];
  const keep = (html) => `\uE000${kept.push(html) - 1}\uE000`;
  const marked = text
    .replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${plainHtml(code)}</code>`))
    .replace(/<([^<>\n]+)>/g, (_, inner) => keep(token(inner, names)));
  return plainHtml(marked)
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?\uE000—-])/g, "$1<b>$2</b>")
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?\uE000—-])/g, "$1<i>$2</i>")
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?\uE000—-])/g, "$1<s>$2</s>")
    .replace(/\uE000(\d+)\uE000/g, (_, i) => kept[Number(i)]);
}

/** Slack mrkdwn → HTML. `names`: { users: {id: name}, channels: {id: name} }. */
export function mrkdwn(text, names) {
  const blocks = String(text ?? "").split(/```/);
  return blocks
    .map((chunk, i) => {
      if (i % 2 === 1) return `<pre>${plainHtml(chunk.replace(/^\n/, ""))}</pre>`;
      return chunk
        .split("\n")
        .map((line) => {
          if (line.startsWith("&gt; ") || line.startsWith("> ")) {
            return `<blockquote>${inline(line.replace(/^(&gt;|>) /, ""), names)}</blockquote>`;
          }
          const bullet = /^\s*[•-] (.*)$/.exec(line);
          if (bullet) return `<div class="bullet">• ${inline(bullet[1], names)}</div>`;
          return `<div class="line">${inline(line, names) || "&nbsp;"}</div>`;
        })
        .join("");
    })
    .join("");
}
