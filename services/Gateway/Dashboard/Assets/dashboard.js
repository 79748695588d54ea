// The dashboard: polls /api/stats every second and turns the gateway's running totals into rates; the playground
// streams an answer from the gateway's own OpenAI endpoint. Plain JS, no build step.
'use strict';

const $ = (id) => document.getElementById(id);
const history = { rps: [], tps: [], agreement: [], saved: [] };
const HISTORY = 60;
let previous = null;
let modelsShown = '';

function usd(value) {
  if (!isFinite(value)) return '–';
  if (Math.abs(value) >= 1) return '$' + value.toFixed(2);
  if (value === 0) return '$0';
  return '$' + value.toPrecision(3);
}

function ms(value) {
  if (value == null) return '–';
  return value >= 1000 ? (value / 1000).toFixed(2) + ' s' : value.toFixed(value < 10 ? 1 : 0) + ' ms';
}

function duration(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

function text(id, value) {
  const element = $(id);
  if (element.textContent !== String(value)) element.textContent = value;
}

function cell(row, value, className) {
  const td = document.createElement('td');
  td.textContent = value;
  if (className) td.className = className;
  row.appendChild(td);
}

function spark(canvasId, values) {
  const canvas = $(canvasId);
  const context = canvas.getContext('2d');
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  if (values.length < 2) return;
  const max = Math.max(...values, 1e-9);
  context.strokeStyle = '#4fb3ff';
  context.lineWidth = 2;
  context.beginPath();
  values.forEach((v, i) => {
    const x = (i / (HISTORY - 1)) * width;
    const y = height - 2 - (v / max) * (height - 4);
    if (i === 0) context.moveTo(x, y); else context.lineTo(x, y);
  });
  context.stroke();
}

function push(series, value) {
  series.push(value);
  if (series.length > HISTORY) series.shift();
}

function renderWorkers(workers) {
  const body = $('workers').tBodies[0];
  body.replaceChildren();
  if (workers.length === 0) {
    const row = body.insertRow();
    cell(row, 'no workers known', 'muted');
    row.cells[0].colSpan = 10;
    return;
  }
  for (const w of workers) {
    const row = body.insertRow();
    row.className = 'worker';
    cell(row, w.id);
    cell(row, w.model || '–');
    cell(row, w.adapters && w.adapters.length > 0 ? w.adapters.join(', ') : '–');
    cell(row, w.device || '–');
    cell(row, w.state, 'state-' + w.state);
    cell(row, String(w.load));
    cell(row, w.slots > 0 ? String(w.slots) : '–');
    cell(row, w.activations > 0 ? String(w.activations) : '–');
    cell(row, w.status_round_trip_ms ? w.status_round_trip_ms.p50.toFixed(2) + ' ms' : '–');
    cell(row, w.address, 'muted');
  }
}

// A table's body made again from items: one row each, of the class given, its cells filled by fill(row, item).
function fillTable(tableId, items, className, fill) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren();
  for (const item of items) {
    const row = body.insertRow();
    if (className) row.className = className;
    fill(row, item);
  }
}

// Requests, tokens and cost under each LoRA adapter; the section shows only once a request ran under one.
function renderAdapters(adapters) {
  $('adapters').hidden = !adapters || adapters.length === 0;
  if (!adapters) return;
  fillTable('adapter-totals', adapters, 'adapter', (row, a) => {
    cell(row, a.adapter);
    cell(row, a.model);
    cell(row, String(a.requests));
    cell(row, String(a.errors));
    cell(row, String(a.prompt_tokens));
    cell(row, String(a.completion_tokens));
    cell(row, usd(a.cost_usd));
  });
}

function renderApis(stats) {
  fillTable('apis', stats.reference_apis, null, (row, api) => {
    cell(row, api.name + (api.id === stats.default_api ? ' (default)' : ''));
    cell(row, '$' + api.input_per_million.toFixed(2));
    cell(row, '$' + api.output_per_million.toFixed(2));
    cell(row, usd(api.cost_usd));
    cell(row, usd(api.cost_usd - stats.totals.cost_usd));
  });
}

// Each cascade route: how often it escalated, which tier answered, and its cost against sending everything to its last tier.
function renderCascade(routes) {
  $('cascade').hidden = !routes || routes.length === 0;
  if (!routes) return;
  fillTable('routes', routes, 'route', (row, r) => {
    cell(row, r.route);
    cell(row, String(r.requests));
    cell(row, r.requests > 0 ? (100 * r.escalation_rate).toFixed(1) + ' %' : '–');
    cell(row, r.tiers.map(t => `${t.name}: ${t.accepted}`).join(' · '));
    cell(row, usd(r.cost_usd));
    cell(row, usd(r.last_tier_cost_usd));
    cell(row, usd(r.saved_usd), 'saved');
  });
}

// Agreement with the reference (shadow comparison) and money saved, one point per poll: both lines scaled to the
// chart, agreement from 0 to 1 and money from 0 to its largest value shown.
function qualityChart() {
  const canvas = $('quality-chart');
  const context = canvas.getContext('2d');
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const line = (values, max, color) => {
    if (values.length < 2) return;
    context.strokeStyle = color;
    context.lineWidth = 2;
    context.beginPath();
    values.forEach((v, i) => {
      const x = (i / (HISTORY - 1)) * width;
      const y = height - 2 - (Math.max(0, v) / max) * (height - 4);
      if (i === 0) context.moveTo(x, y); else context.lineTo(x, y);
    });
    context.stroke();
  };
  line(history.agreement, 1, '#ffb347');
  line(history.saved, Math.max(...history.saved, 1e-9), '#5fd38d');
}

function mean(agreement, metric) {
  return agreement && agreement[metric] != null ? agreement[metric].toFixed(3) : '–';
}

// Each shadowed route or model: its shadows by outcome, mean agreement by metric and by answering tier, the reference's cost.
function renderShadows(stats) {
  const targets = stats.shadow || [];
  $('quality').hidden = targets.length === 0;
  if (targets.length === 0) return;
  const scored = targets.reduce((n, t) => n + t.scored, 0);
  const f1 = scored > 0 ? targets.reduce((sum, t) => sum + (t.agreement.f1 ?? 0) * t.scored, 0) / scored : null;
  text('agreement', f1 == null ? '–' : (100 * f1).toFixed(1) + ' %');
  text('pairs', scored);
  text('shadow-cost', usd(targets.reduce((sum, t) => sum + t.reference_cost_usd, 0)));
  push(history.agreement, f1 ?? 0);
  push(history.saved, stats.saved_usd);
  qualityChart();
  fillTable('shadows', targets, 'shadow', (row, t) => {
    cell(row, t.route);
    cell(row, t.reference);
    cell(row, (100 * t.rate).toFixed(1) + ' %');
    cell(row, String(t.scored));
    cell(row, String(t.shed));
    cell(row, String(t.failed));
    cell(row, mean(t.agreement, 'exact_match'));
    cell(row, mean(t.agreement, 'f1'));
    cell(row, mean(t.agreement, 'rouge_l'));
    cell(row, t.tiers.map(x => `${x.tier} (${x.model}): ${mean(x.agreement, 'f1')}`).join(' · ') || '–');
    cell(row, usd(t.reference_cost_usd));
  });
}

function renderModels(models) {
  const key = models.join('\n');
  if (key === modelsShown) return;
  modelsShown = key;
  const select = $('model');
  const chosen = select.value;
  select.replaceChildren();
  for (const model of models) {
    const option = document.createElement('option');
    option.value = option.textContent = model;
    select.appendChild(option);
  }
  if (models.includes(chosen)) select.value = chosen;
}

function render(stats) {
  const t = stats.totals;
  const tokens = t.prompt_tokens + t.completion_tokens;
  if (previous) {
    const seconds = Math.max(1e-3, t.uptime_seconds - previous.uptime_seconds);
    const rps = Math.max(0, (t.requests - previous.requests) / seconds);
    const tps = Math.max(0, (t.completion_tokens - previous.completion_tokens) / seconds);
    push(history.rps, rps);
    push(history.tps, tps);
    text('rps', rps.toFixed(rps < 10 ? 2 : 0));
    text('tps', tps.toFixed(tps < 10 ? 1 : 0));
    spark('rps-chart', history.rps);
    spark('tps-chart', history.tps);
  }
  previous = t;

  text('uptime', duration(t.uptime_seconds));
  text('requests', t.requests);
  text('errors', t.errors);
  text('tokens', tokens);
  const l = t.latency_ms;
  text('latency', l ? `${ms(l.p50)} / ${ms(l.p90)} / ${ms(l.p99)}` : '–');
  text('ttft', t.time_to_first_token_ms ? ms(t.time_to_first_token_ms.p50) : '–');
  const lookups = t.cache_hits + t.cache_misses;
  text('cache-ratio', lookups > 0 ? (100 * t.cache_hits / lookups).toFixed(1) + ' %' : '–');
  text('cache-hits', t.cache_hits);
  text('cache-misses', t.cache_misses);
  text('cost', usd(t.cost_usd));
  text('default-api', stats.default_api_name);
  text('reference-cost', usd(stats.reference_cost_usd));
  text('saved', usd(stats.saved_usd));
  renderWorkers(stats.workers);
  renderAdapters(stats.adapters);
  renderApis(stats);
  renderCascade(stats.cascade);
  renderShadows(stats);
  renderModels(stats.models);
}

async function poll() {
  try {
    const response = await fetch('/api/stats', { cache: 'no-store' });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    render(await response.json());
    $('connection').textContent = 'live';
    $('connection').className = 'badge ok';
  } catch (e) {
    $('connection').textContent = 'gateway unreachable';
    $('connection').className = 'badge down';
  } finally {
    setTimeout(poll, 1000);
  }
}

// Reads server-sent events from a fetch response, calling onEvent(name, data) for each.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(name, data.join('\n'));
    }
  }
}

async function send(event) {
  event.preventDefault();
  const output = $('output');
  const status = $('playground-status');
  const button = $('send');
  output.textContent = '';
  output.dataset.pieces = '0';
  status.textContent = 'generating…';
  delete status.dataset.state;
  button.disabled = true;
  const started = performance.now();
  let firstToken = null;
  let cost = null;
  let usage = null;
  let finish = null;
  try {
    const headers = { 'Content-Type': 'application/json' };
    const key = $('api-key').value.trim();
    if (key) headers.Authorization = 'Bearer ' + key;
    // A schema, when given, goes as OpenAI's response_format: the gateway decodes the answer under its grammar.
    const schemaText = $('schema').value.trim();
    let responseFormat;
    if (schemaText) {
      let schema;
      try {
        schema = JSON.parse(schemaText);
      } catch (e) {
        throw new Error('the JSON Schema is not JSON: ' + e.message);
      }
      responseFormat = { type: 'json_schema', json_schema: { name: 'playground', schema } };
    }
    const response = await fetch('/v1/completions', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: $('model').value || undefined,
        prompt: $('prompt').value,
        max_tokens: Number($('max-tokens').value) || 64,
        temperature: Number($('temperature').value),
        response_format: responseFormat,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      throw new Error(body?.error?.message ?? 'HTTP ' + response.status);
    }
    await readEvents(response, (name, data) => {
      if (data === '[DONE]') return;
      const message = JSON.parse(data);
      if (name === 'error') throw new Error(message.error?.message ?? 'the stream failed');
      const piece = message.choices?.[0]?.text;
      if (piece) {
        firstToken ??= performance.now() - started;
        output.textContent += piece;
        output.dataset.pieces = String(Number(output.dataset.pieces) + 1);
      }
      if (message.slm_cost) cost = message.slm_cost;
      if (message.usage) usage = message.usage;
      finish = message.choices?.[0]?.finish_reason ?? finish;
    });
    const parts = ['done in ' + ms(performance.now() - started)];
    if (responseFormat) parts.push(finish === 'length' ? 'cut at max tokens: the JSON is incomplete' : 'JSON that follows the schema');
    if (firstToken != null) parts.push('first token ' + ms(firstToken));
    if (usage) parts.push(usage.completion_tokens + ' tokens');
    if (cost) parts.push((cost.cache_hit ? 'cache hit, ' : '') + 'cost ' + usd(cost.cost_usd) + ' vs ' + usd(cost.reference_api_cost_usd) + ' at ' + cost.reference_api);
    status.textContent = parts.join(' · ');
    status.dataset.state = 'done';
  } catch (e) {
    status.textContent = 'error: ' + e.message;
    status.dataset.state = 'error';
  } finally {
    button.disabled = false;
  }
}

$('playground-form').addEventListener('submit', send);
poll();
