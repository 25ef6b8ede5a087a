// The playground page: the stand-in's workspace drawn as Slack draws it, and
// what the person does sent back as Slack would send it. No framework: the
// page is redrawn from /api/state whenever /api/events says something changed.
import { escapeHtml, mrkdwn } from "/mrkdwn.js";

const $ = (selector) => document.querySelector(selector);
const ui = { user: undefined, channel: undefined, home: false, thread: undefined, modalId: undefined };
let state;

function names() {
  return {
    users: Object.fromEntries(state.users.map((u) => [u.id, u.name])),
    channels: Object.fromEntries(state.channels.map((c) => [c.id, c.name])),
  };
}

async function post(path, body) {
  const res = await fetch(`/api/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await res.json();
  if (!res.ok) toast(answer.error ?? `HTTP ${res.status}`);
  return answer;
}

function toast(text) {
  const el = document.createElement("div");
  el.className = "toast";
  el.dataset.testid = "toast";
  el.textContent = text;
  document.body.append(el);
  setTimeout(() => el.remove(), 4000);
}

function textOf(object) {
  if (!object) return "";
  return object.type === "mrkdwn" ? mrkdwn(object.text, names()) : escapeHtml(object.text ?? "");
}

// ── Block Kit ─────────────────────────────────────────────────────────────

function element(el, where) {
  switch (el.type) {
    case "button": {
      const style = el.style ? ` ${el.style}` : "";
      const data = `data-action-id="${escapeHtml(el.action_id ?? "")}" data-value="${escapeHtml(el.value ?? "")}"`;
      if (el.url)
        return `<a class="btn${style}" href="${escapeHtml(el.url)}" target="_blank" rel="noopener">${textOf(el.text)}</a>`;
      const confirm = el.confirm ? ` data-confirm="${escapeHtml(JSON.stringify(el.confirm))}"` : "";
      return `<button class="btn${style}" ${data}${confirm} data-block-id="${escapeHtml(where.blockId ?? "")}">${textOf(el.text)}</button>`;
    }
    case "checkboxes": {
      const ticked = new Set((el.initial_options ?? []).map((o) => o.value));
      return `<div class="checkboxes" data-action-id="${escapeHtml(el.action_id ?? "")}" data-block-id="${escapeHtml(where.blockId ?? "")}">${(
        el.options ?? []
      )
        .map(
          (o) =>
            `<label><input type="checkbox" value="${escapeHtml(o.value)}"${ticked.has(o.value) ? " checked" : ""}${where.modal ? "" : ' data-live="1"'}> ${textOf(o.text)}${o.description ? ` <span class="meta">${textOf(o.description)}</span>` : ""}</label>`,
        )
        .join("")}</div>`;
    }
    case "radio_buttons":
      return `<div class="radios">${(el.options ?? [])
        .map(
          (o) =>
            `<label><input type="radio" name="${escapeHtml(where.blockId)}" value="${escapeHtml(o.value)}"${el.initial_option?.value === o.value ? " checked" : ""}> ${textOf(o.text)}</label>`,
        )
        .join("<br>")}</div>`;
    case "static_select":
      return `<select data-action-id="${escapeHtml(el.action_id ?? "")}"><option value="">${escapeHtml(el.placeholder?.text ?? "Choose")}</option>${(
        el.options ?? []
      )
        .map(
          (o) =>
            `<option value="${escapeHtml(o.value)}"${el.initial_option?.value === o.value ? " selected" : ""}>${escapeHtml(o.text.text)}</option>`,
        )
        .join("")}</select>`;
    case "plain_text_input":
      return el.multiline
        ? `<textarea rows="3" placeholder="${escapeHtml(el.placeholder?.text ?? "")}">${escapeHtml(el.initial_value ?? "")}</textarea>`
        : `<input type="text" placeholder="${escapeHtml(el.placeholder?.text ?? "")}" value="${escapeHtml(el.initial_value ?? "")}">`;
    case "image":
      return `<img src="${escapeHtml(el.image_url)}" alt="${escapeHtml(el.alt_text ?? "")}">`;
    case "mrkdwn":
    case "plain_text":
      return `<span>${textOf(el)}</span>`;
    default:
      return `<span class="meta">[${escapeHtml(el.type)}]</span>`;
  }
}

function block(b, where) {
  const here = { ...where, blockId: b.block_id };
  switch (b.type) {
    case "header":
      return `<div class="block"><h3>${textOf(b.text)}</h3></div>`;
    case "section":
      return `<div class="block section"><div class="text">${b.text ? textOf(b.text) : ""}${
        b.fields ? `<div class="fields">${b.fields.map((f) => `<div>${textOf(f)}</div>`).join("")}</div>` : ""
      }</div>${b.accessory ? element(b.accessory, here) : ""}</div>`;
    case "context":
      return `<div class="block context">${(b.elements ?? []).map((e) => element(e, here)).join("")}</div>`;
    case "divider":
      return `<hr class="divider">`;
    case "actions":
      return `<div class="block actions">${(b.elements ?? []).map((e) => element(e, here)).join("")}</div>`;
    case "image":
      return `<div class="block">${element(b, here)}</div>`;
    case "input":
      return `<div class="block input" data-block-id="${escapeHtml(b.block_id)}" data-action-id="${escapeHtml(b.element?.action_id ?? "")}" data-type="${escapeHtml(b.element?.type ?? "")}"><label>${textOf(b.label)}${
        b.optional ? ' <span class="optional">(optional)</span>' : ""
      }</label>${element(b.element, here)}${b.hint ? `<div class="meta">${textOf(b.hint)}</div>` : ""}<div class="error"></div></div>`;
    default:
      return `<div class="block meta">[${escapeHtml(b.type)} block]</div>`;
  }
}

function blocks(list, where) {
  return (list ?? []).map((b) => block(b, where)).join("");
}

// ── messages ──────────────────────────────────────────────────────────────

function who(m) {
  if (m.botId || m.user === state.identity.botUserId) return { name: "Slipway", bot: true };
  return { name: names().users[m.user] ?? m.user, bot: false };
}

function clock(ts) {
  return new Date(Number(ts) * 1000).toLocaleTimeString(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

function message(m, { inThread = false, ephemeral = false } = {}) {
  const author = ephemeral ? { name: "Slipway", bot: true } : who(m);
  const content = m.blocks?.length ? blocks(m.blocks, { channel: m.channel, ts: m.ts }) : mrkdwn(m.text, names());
  const replies =
    !inThread && !ephemeral && m.replies?.length
      ? `<button class="replies" data-thread="${m.ts}" data-testid="open-thread">${m.replies.length} ${m.replies.length === 1 ? "reply" : "replies"}</button>`
      : "";
  return `<div class="message${ephemeral ? " ephemeral" : ""}" data-testid="${ephemeral ? "ephemeral" : "message"}" data-ts="${m.ts}" data-channel="${m.channel}">
    <div class="avatar${author.bot ? "" : " person"}">${escapeHtml(author.name.slice(0, 1).toUpperCase())}</div>
    <div class="body"><div class="who">${escapeHtml(author.name)}${author.bot ? '<span class="app">APP</span>' : ""}<time>${clock(m.ts)}</time>${
      m.edits?.length ? ' <span class="edited">(edited)</span>' : ""
    }</div>${ephemeral ? '<div class="only">Only visible to you</div>' : ""}${content}${replies}</div></div>`;
}

function mine(channel, threadTs) {
  return state.ephemerals.filter((e) => e.user === ui.user && e.channel === channel && e.threadTs === threadTs);
}

function byTs(a, b) {
  return Number(a.ts) - Number(b.ts);
}

function renderChannel() {
  const channel = state.channels.find((c) => c.id === ui.channel);
  $("#title").textContent = `# ${channel?.name ?? ui.channel}`;
  const roots = state.messages.filter((m) => m.channel === ui.channel && m.threadTs === undefined);
  const items = [
    ...roots.map((m) => ({ ts: m.ts, html: message(m) })),
    ...mine(ui.channel, undefined).map((e) => ({ ts: e.ts, html: message(e, { ephemeral: true }) })),
  ].sort(byTs);
  const pane = $("#pane");
  const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
  pane.innerHTML =
    items.map((i) => i.html).join("") ||
    '<p class="meta" style="padding: 0 20px">No messages yet. Type a command below.</p>';
  if (atBottom) pane.scrollTop = pane.scrollHeight;
  $("#composer").hidden = false;
}

function renderThread() {
  const pane = $("#thread");
  const root = ui.thread && state.messages.find((m) => m.channel === ui.thread.channel && m.ts === ui.thread.ts);
  if (!root) {
    pane.hidden = true;
    return;
  }
  const replies = state.messages.filter(
    (m) => m.channel === root.channel && m.threadTs === root.ts && m.ts !== root.ts,
  );
  const items = [
    ...replies.map((m) => ({ ts: m.ts, html: message(m, { inThread: true }) })),
    ...mine(root.channel, root.ts).map((e) => ({ ts: e.ts, html: message(e, { ephemeral: true }) })),
  ].sort(byTs);
  const list = pane.querySelector(".list");
  const keep = list ? list.scrollTop : 0;
  pane.hidden = false;
  pane.innerHTML = `<header>Thread <button data-close-thread title="Close">✕</button></header><div class="list">${message(root, { inThread: true })}<div class="count">${replies.length} ${replies.length === 1 ? "reply" : "replies"}</div>${items.map((i) => i.html).join("")}</div>`;
  pane.querySelector(".list").scrollTop = keep;
}

function renderHome() {
  $("#title").textContent = "🏠 Slipway — Home";
  const view = state.homes[ui.user];
  $("#pane").innerHTML = `<div class="home" data-testid="home">${
    view ? blocks(view.blocks, { home: true }) : '<p class="meta">Opening the Home tab…</p>'
  }</div>`;
  $("#composer").hidden = true;
}

function renderSidebar() {
  const picker = $("#user");
  if (picker.options.length !== state.users.length) {
    picker.innerHTML = state.users
      .map(
        (u) =>
          `<option value="${u.id}">${escapeHtml(u.name)}${u.roles.length ? ` (${escapeHtml(u.roles.join(", "))})` : ""}</option>`,
      )
      .join("");
  }
  picker.value = ui.user;
  $("#channels").innerHTML = state.channels
    .map(
      (c) =>
        `<button class="nav${!ui.home && c.id === ui.channel ? " active" : ""}" data-channel="${c.id}" data-testid="channel-${escapeHtml(c.name)}"># ${escapeHtml(c.name)}</button>`,
    )
    .join("");
  $("#home-nav").classList.toggle("active", ui.home);
  $("#plays").innerHTML = state.plays
    .map((p) => `<button data-play="${escapeHtml(p)}" data-testid="play">${escapeHtml(p)}</button>`)
    .join("");
}

// ── modals ────────────────────────────────────────────────────────────────

function renderModal() {
  const modal = state.modals.filter((m) => m.userId === ui.user).at(-1);
  const overlay = $("#overlay");
  if (!modal) {
    if (ui.modalId) overlay.hidden = true;
    ui.modalId = undefined;
    return;
  }
  if (ui.modalId === modal.id) return; // already shown: keep what the person typed
  ui.modalId = modal.id;
  const view = modal.view;
  overlay.hidden = false;
  overlay.innerHTML = `<form class="dialog" data-testid="modal" data-view-id="${modal.id}">
    <header>${textOf(view.title)}</header>
    <div class="content">${blocks(view.blocks, { modal: true })}</div>
    <footer><button type="button" class="btn" data-modal-close>${textOf(view.close ?? { text: "Cancel" })}</button>${
      view.submit ? `<button type="submit" class="btn primary">${textOf(view.submit)}</button>` : ""
    }</footer></form>`;
}

/** The modal's inputs as Slack's view.state.values. */
function modalValues(form) {
  const values = {};
  for (const input of form.querySelectorAll(".input")) {
    const { blockId, actionId, type } = input.dataset;
    let value;
    if (type === "plain_text_input") value = { type, value: input.querySelector("input, textarea").value || null };
    else if (type === "static_select") {
      const select = input.querySelector("select");
      const option = select.selectedOptions[0];
      value = {
        type,
        selected_option: select.value
          ? { text: { type: "plain_text", text: option.textContent }, value: select.value }
          : null,
      };
    } else if (type === "checkboxes") {
      value = {
        type,
        selected_options: [...input.querySelectorAll("input:checked")].map((box) => ({
          text: { type: "plain_text", text: box.parentElement.textContent.trim() },
          value: box.value,
        })),
      };
    } else if (type === "radio_buttons") {
      const chosen = input.querySelector("input:checked");
      value = {
        type,
        selected_option: chosen
          ? { text: { type: "plain_text", text: chosen.parentElement.textContent.trim() }, value: chosen.value }
          : null,
      };
    } else continue;
    values[blockId] = { [actionId]: value };
  }
  return values;
}

function confirmDialog(confirm) {
  return new Promise((resolve) => {
    const box = document.createElement("div");
    box.className = "overlay";
    box.innerHTML = `<div class="dialog" data-testid="confirm"><header>${textOf(confirm.title)}</header><div class="content">${textOf(confirm.text)}</div><footer><button class="btn" data-answer="no">${textOf(confirm.deny ?? { text: "Cancel" })}</button><button class="btn ${confirm.style ?? "primary"}" data-answer="yes">${textOf(confirm.confirm)}</button></footer></div>`;
    box.addEventListener("click", (event) => {
      const answer = event.target.closest("[data-answer]")?.dataset.answer;
      if (!answer) return;
      box.remove();
      resolve(answer === "yes");
    });
    document.body.append(box);
  });
}

// ── what the person does ─────────────────────────────────────────────────

document.addEventListener("click", async (event) => {
  const target = event.target;
  const channel = target.closest("[data-channel]");
  if (channel?.classList.contains("nav")) {
    Object.assign(ui, { channel: channel.dataset.channel, home: false, thread: undefined });
    return render();
  }
  if (target.closest("#home-nav")) {
    ui.home = true;
    ui.thread = undefined;
    render();
    return post("home", { userId: ui.user });
  }
  const thread = target.closest("[data-thread]");
  if (thread) {
    ui.thread = { channel: thread.closest(".message").dataset.channel, ts: thread.dataset.thread };
    return render();
  }
  if (target.closest("[data-close-thread]")) {
    ui.thread = undefined;
    return render();
  }
  const play = target.closest("[data-play]");
  if (play) return post("play", { name: play.dataset.play });
  if (target.closest("[data-modal-close]")) {
    const form = target.closest("form");
    $("#overlay").hidden = true;
    return post("close", { viewId: form.dataset.viewId });
  }
  const button = target.closest("button.btn[data-action-id]");
  if (!button) return;
  const host = button.closest(".message");
  if (!host) return;
  if (button.dataset.confirm && !(await confirmDialog(JSON.parse(button.dataset.confirm)))) return;
  button.disabled = true;
  await post("action", {
    userId: ui.user,
    channelId: host.dataset.channel,
    messageTs: host.dataset.ts,
    actionId: button.dataset.actionId,
    value: button.dataset.value,
    ...(button.dataset.blockId ? { blockId: button.dataset.blockId } : {}),
  });
  button.disabled = false;
});

document.addEventListener("change", async (event) => {
  const box = event.target;
  if (event.target.id === "user") {
    ui.user = event.target.value;
    ui.modalId = undefined;
    render();
    if (ui.home) post("home", { userId: ui.user });
    return;
  }
  if (!box.dataset?.live) return;
  const group = box.closest(".checkboxes");
  const host = box.closest(".message");
  await post("action", {
    userId: ui.user,
    channelId: host.dataset.channel,
    messageTs: host.dataset.ts,
    actionId: group.dataset.actionId,
    blockId: group.dataset.blockId,
    selectedValues: [...group.querySelectorAll("input:checked")].map((b) => b.value),
  });
});

document.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  if (form.id === "composer") {
    const input = $("#say");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    return post("command", { userId: ui.user, channelId: ui.channel, text });
  }
  if (form.dataset.testid === "modal") {
    const answer = await post("submit", { userId: ui.user, viewId: form.dataset.viewId, values: modalValues(form) });
    for (const error of form.querySelectorAll(".error")) error.textContent = "";
    const errors = answer.body?.response_action === "errors" ? answer.body.errors : undefined;
    if (!errors) {
      $("#overlay").hidden = true;
      ui.modalId = undefined;
      return;
    }
    for (const [blockId, text] of Object.entries(errors)) {
      const slot = form.querySelector(`.input[data-block-id="${CSS.escape(blockId)}"] .error`);
      if (slot) slot.textContent = text;
    }
  }
});

function render() {
  renderSidebar();
  if (ui.home) renderHome();
  else renderChannel();
  renderThread();
  renderModal();
}

async function refresh() {
  state = await (await fetch("/api/state")).json();
  ui.user ??= state.users[0]?.id;
  ui.channel ??= state.channels[0]?.id;
  render();
  document.body.dataset.ready = "1";
}

let refreshing = Promise.resolve();
new EventSource("/api/events").addEventListener("change", () => {
  refreshing = refreshing.then(refresh, refresh);
});
