// Lambdock console: a small SPA over the platform's own AWS-compatible APIs
// (Lambda REST, ECR and CloudWatch Logs JSON) plus /console/api/{metrics,costs}.
const view = document.getElementById('view');
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const fmtBytes = (n) => (n >= 1 << 30 ? (n / (1 << 30)).toFixed(2) + ' GiB' : n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + ' MiB' : n >= 1024 ? (n / 1024).toFixed(1) + ' KiB' : n + ' B');
const fmtTime = (t) => (t ? new Date(t).toLocaleString() : '—');
let timers = [];
const every = (ms, fn) => { fn(); timers.push(setInterval(fn, ms)); };

// ---- SigV4: the console is an ordinary AWS client and signs every request (WebCrypto).
// Open loopback mode accepts any well-formed signature; otherwise set real keys in Settings.
const creds = () => ({ id: localStorage.getItem('lambdock.accessKeyId') || 'console', secret: localStorage.getItem('lambdock.secretAccessKey') || 'console' });
const enc = new TextEncoder();
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (data) => hex(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? enc.encode(data) : data));
const hmac = async (key, data) => crypto.subtle.sign('HMAC', await crypto.subtle.importKey('raw', typeof key === 'string' ? enc.encode(key) : key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']), enc.encode(data));
const uriEncode = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
async function signedFetch(service, path, { method = 'GET', headers = {}, body = '' } = {}) {
  const url = new URL(path, location.origin);
  const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const region = 'us-east-1';
  const payloadHash = await sha256(body);
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  Object.assign(h, { host: url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash });
  const names = Object.keys(h).sort();
  const canonicalUri = url.pathname.split('/').map((seg) => uriEncode(seg)).join('/');
  const query = [...url.searchParams].map(([k, v]) => [uriEncode(k), uriEncode(v)]).sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
  const canonical = [method, canonicalUri, query, names.map((n) => `${n}:${h[n]}\n`).join(''), names.join(';'), payloadHash].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, await sha256(canonical)].join('\n');
  const c = creds();
  let key = await hmac('AWS4' + c.secret, day);
  for (const part of [region, service, 'aws4_request']) key = await hmac(key, part);
  const signature = hex(await hmac(key, toSign));
  const sent = { ...headers, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash, authorization: `AWS4-HMAC-SHA256 Credential=${c.id}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` };
  return fetch(url, { method, headers: sent, body: method === 'GET' || method === 'HEAD' ? undefined : body });
}

async function lambda(path, init = {}) {
  const res = await signedFetch('lambda', path, init);
  const text = await res.text();
  if (!res.ok) {
    let msg = text;
    try { const j = JSON.parse(text); msg = j.Message || j.message || text; } catch {}
    throw new Error(`${res.headers.get('x-amzn-errortype') || res.status}: ${msg}`);
  }
  return { res, text, json: () => (text ? JSON.parse(text) : {}) };
}
async function awsJson(target, body, version = '1.1') {
  const service = target.startsWith('Logs_') ? 'logs' : 'ecr';
  const res = await signedFetch(service, '/', { method: 'POST', headers: { 'content-type': `application/x-amz-json-${version}`, 'x-amz-target': target }, body: JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${json.__type || res.status}: ${json.message || json.Message || ''}`);
  return json;
}
const api = {
  functions: async () => {
    const out = [];
    let marker;
    do {
      const j = (await lambda(`/2015-03-31/functions/?MaxItems=50${marker ? '&Marker=' + encodeURIComponent(marker) : ''}`)).json();
      out.push(...(j.Functions || []));
      marker = j.NextMarker;
    } while (marker);
    return out;
  },
  fn: async (name) => (await lambda(`/2015-03-31/functions/${encodeURIComponent(name)}`)).json(),
  versions: async (name) => (await lambda(`/2015-03-31/functions/${encodeURIComponent(name)}/versions`)).json().Versions || [],
  aliases: async (name) => (await lambda(`/2015-03-31/functions/${encodeURIComponent(name)}/aliases`)).json().Aliases || [],
  invoke: async (name, payload) => {
    const { res, text } = await lambda(`/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, { method: 'POST', headers: { 'x-amz-log-type': 'Tail' }, body: payload });
    const log = res.headers.get('x-amz-log-result');
    return { status: res.status, error: res.headers.get('x-amz-function-error'), version: res.headers.get('x-amz-executed-version'), body: text, log: log ? atob(log) : '' };
  },
  logs: (name, startTime) => awsJson('Logs_20140328.FilterLogEvents', { logGroupName: `/aws/lambda/${name}`, startTime, interleaved: true, limit: 500 }),
  metrics: async (name, minutes = 60) => (await lambda(`/console/api/metrics?minutes=${minutes}${name ? '&function=' + encodeURIComponent(name) : ''}`)).json(),
  costs: async () => (await lambda('/console/api/costs')).json(),
  repos: () => awsJson('AmazonEC2ContainerRegistry_V20150921.DescribeRepositories', {}),
  images: (repositoryName) => awsJson('AmazonEC2ContainerRegistry_V20150921.DescribeImages', { repositoryName }),
  batchGet: (repositoryName, imageIds) => awsJson('AmazonEC2ContainerRegistry_V20150921.BatchGetImage', { repositoryName, imageIds }),
};

// ---- charts: small canvas line charts, no library needed
function drawChart(canvas, series, { stacked = false } = {}) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = w * dpr; canvas.height = h * dpr;
  const g = canvas.getContext('2d');
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, h);
  const pts = series.flatMap((s) => s.values);
  const max = Math.max(1, ...pts.filter((v) => Number.isFinite(v)));
  const n = Math.max(...series.map((s) => s.values.length), 2);
  const pad = { l: 36, r: 6, t: 6, b: 16 };
  g.strokeStyle = '#263040'; g.fillStyle = '#8b98a8'; g.font = '10px system-ui'; g.lineWidth = 1;
  for (let i = 0; i <= 2; i++) {
    const y = pad.t + ((h - pad.t - pad.b) * i) / 2;
    g.beginPath(); g.moveTo(pad.l, y); g.lineTo(w - pad.r, y); g.stroke();
    const v = max * (1 - i / 2);
    g.fillText(v >= 100 ? v.toFixed(0) : v.toFixed(v < 10 ? 1 : 0), 2, y + 3);
  }
  for (const s of series) {
    g.strokeStyle = s.color; g.lineWidth = 1.6; g.beginPath();
    s.values.forEach((v, i) => {
      const x = pad.l + ((w - pad.l - pad.r) * i) / (n - 1);
      const y = h - pad.b - ((h - pad.t - pad.b) * (Number.isFinite(v) ? v : 0)) / max;
      i ? g.lineTo(x, y) : g.moveTo(x, y);
    });
    g.stroke();
  }
  canvas.dataset.points = String(pts.reduce((a, v) => a + (Number.isFinite(v) ? v : 0), 0));
}

function chartBlock(id, title, legend) {
  return `<div class="chart"><div class="title"><span>${esc(title)}</span><span>${legend.map((l) => `<span style="color:${l[1]}">● ${esc(l[0])}</span>`).join(' ')}</span></div><canvas id="${id}" data-testid="${id}"></canvas></div>`;
}

function renderCharts(m) {
  const b = m.buckets || [];
  const col = (k) => b.map((x) => x[k] ?? 0);
  const charts = [
    ['c-invocations', [{ values: col('invocations'), color: '#58a6ff' }]],
    ['c-errors', [{ values: col('errors'), color: '#f85149' }, { values: col('throttles'), color: '#d29922' }]],
    ['c-duration', [{ values: col('p50'), color: '#3fb950' }, { values: col('p90'), color: '#d29922' }, { values: col('p99'), color: '#f85149' }]],
    ['c-concurrency', [{ values: col('concurrency'), color: '#a371f7' }, { values: col('coldStarts'), color: '#ff9900' }]],
  ];
  for (const [id, s] of charts) { const c = document.getElementById(id); if (c) drawChart(c, s); }
}
const chartsHtml = () => `<div class="charts">
  ${chartBlock('c-invocations', 'Invocations / min', [['invocations', '#58a6ff']])}
  ${chartBlock('c-errors', 'Errors and throttles / min', [['errors', '#f85149'], ['throttles', '#d29922']])}
  ${chartBlock('c-duration', 'Duration (ms)', [['p50', '#3fb950'], ['p90', '#d29922'], ['p99', '#f85149']])}
  ${chartBlock('c-concurrency', 'Concurrency and cold starts', [['concurrency', '#a371f7'], ['cold starts', '#ff9900']])}
</div>`;

// ---- pages
async function functionsPage() {
  view.innerHTML = `<h1>Functions</h1><div id="list">Loading…</div><h2>All functions, last hour</h2>${chartsHtml()}`;
  every(3000, async () => {
    try {
      const [fns, costs] = await Promise.all([api.functions(), api.costs().catch(() => ({ functions: [] }))]);
      const last = Object.fromEntries((costs.functions || []).map((f) => [f.name, f]));
      document.getElementById('list').innerHTML = fns.length === 0
        ? `<div class="empty">No functions yet. Deploy one with <code>npx lambdock deploy DIR</code> or <code>aws lambda create-function</code>.</div>`
        : `<table data-testid="functions"><thead><tr><th>Name</th><th>State</th><th>Image</th><th>Memory</th><th>Timeout</th><th>Invocations</th><th>Last invoke</th></tr></thead><tbody>${fns.map((f) => `
          <tr data-function="${esc(f.FunctionName)}"><td><a href="#/functions/${encodeURIComponent(f.FunctionName)}">${esc(f.FunctionName)}</a></td>
          <td><span class="badge ${esc(f.State)}">${esc(f.State)}</span></td><td class="muted"><code>${esc((f.CodeSha256 || '').slice(0, 12))}</code></td>
          <td>${f.MemorySize} MB</td><td>${f.Timeout} s</td><td>${last[f.FunctionName]?.requests ?? 0}</td><td>${fmtTime(last[f.FunctionName]?.lastInvoke)}</td></tr>`).join('')}</tbody></table>`;
      renderCharts(await api.metrics(undefined, 60));
    } catch (e) { document.getElementById('list').innerHTML = `<p class="err">${esc(e.message)}</p>`; }
  });
}

async function functionPage(name) {
  view.innerHTML = `<h1>${esc(name)} <span id="state"></span></h1>
    <div class="tabs">${['overview', 'invoke', 'logs', 'metrics'].map((t) => `<button data-tab="${t}">${t[0].toUpperCase() + t.slice(1)}</button>`).join('')}</div>
    <section id="tab"></section>`;
  const tabs = {
    overview: async (el) => {
      const [fn, versions, aliases] = await Promise.all([api.fn(name), api.versions(name).catch(() => []), api.aliases(name).catch(() => [])]);
      const c = fn.Configuration;
      document.getElementById('state').innerHTML = `<span class="badge ${esc(c.State)}">${esc(c.State)}</span>`;
      const cards = [['Image', fn.Code?.ImageUri], ['Resolved image', fn.Code?.ResolvedImageUri], ['Memory', c.MemorySize + ' MB'], ['Timeout', c.Timeout + ' s'],
        ['Ephemeral storage', (c.EphemeralStorage?.Size ?? 512) + ' MB'], ['Architecture', (c.Architectures || []).join(', ')], ['Last modified', c.LastModified],
        ['Last update', c.LastUpdateStatus], ['ARN', c.FunctionArn], ['Handler (CMD)', (c.ImageConfigResponse?.ImageConfig?.Command || []).join(' ') || 'from image']];
      const env = Object.entries(c.Environment?.Variables || {});
      el.innerHTML = `<div class="grid">${cards.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v ?? '—')}</div></div>`).join('')}</div>
        <h2>Environment</h2>${env.length ? `<table><tbody>${env.map(([k, v]) => `<tr><td><code>${esc(k)}</code></td><td><code>${esc(v)}</code></td></tr>`).join('')}</tbody></table>` : '<p class="muted">none</p>'}
        <h2>Versions</h2><table><thead><tr><th>Version</th><th>Code</th><th>Description</th><th>Modified</th></tr></thead><tbody>${versions.map((v) => `<tr><td>${esc(v.Version)}</td><td><code>${esc((v.CodeSha256 || '').slice(0, 12))}</code></td><td>${esc(v.Description)}</td><td>${esc(v.LastModified)}</td></tr>`).join('')}</tbody></table>
        <h2>Aliases</h2>${aliases.length ? `<table><thead><tr><th>Alias</th><th>Version</th><th>Routing</th></tr></thead><tbody>${aliases.map((a) => `<tr><td>${esc(a.Name)}</td><td>${esc(a.FunctionVersion)}</td><td>${esc(JSON.stringify(a.RoutingConfig?.AdditionalVersionWeights || {}))}</td></tr>`).join('')}</tbody></table>` : '<p class="muted">none</p>'}`;
    },
    invoke: async (el) => {
      el.innerHTML = `<div class="row"><button class="primary" id="invoke" data-testid="invoke">Invoke</button><span id="status" class="muted"></span></div>
        <h2>Event (JSON)</h2><textarea id="payload" data-testid="payload" spellcheck="false">{\n  "key": "value"\n}</textarea>
        <h2>Result</h2><pre id="result" data-testid="result" class="muted">—</pre><h2>Log tail</h2><pre id="log" data-testid="log">—</pre>`;
      document.getElementById('invoke').onclick = async () => {
        const btn = document.getElementById('invoke');
        const payload = document.getElementById('payload').value;
        try { JSON.parse(payload); } catch (e) { document.getElementById('status').textContent = 'Invalid JSON: ' + e.message; return; }
        btn.disabled = true;
        const t0 = performance.now();
        try {
          const r = await api.invoke(name, payload);
          const resEl = document.getElementById('result');
          let body = r.body;
          try { body = JSON.stringify(JSON.parse(r.body), null, 2); } catch {}
          resEl.textContent = body;
          resEl.className = r.error ? 'error' : '';
          document.getElementById('log').textContent = r.log || '(no log)';
          document.getElementById('status').textContent = `${r.error ? 'Function error' : 'Succeeded'} · version ${r.version} · ${(performance.now() - t0).toFixed(0)} ms round trip`;
        } catch (e) { document.getElementById('result').textContent = e.message; document.getElementById('result').className = 'error'; }
        btn.disabled = false;
      };
    },
    logs: async (el) => {
      el.innerHTML = `<p class="muted">Live: new lines appear as the function logs them.</p><pre id="logs" data-testid="logs" style="max-height:600px"></pre>`;
      let since = Date.now() - 3600e3;
      const seen = new Set();
      every(1500, async () => {
        try {
          const r = await api.logs(name, since);
          const pre = document.getElementById('logs');
          if (!pre) return;
          for (const e of r.events || []) {
            if (seen.has(e.eventId)) continue;
            seen.add(e.eventId);
            pre.textContent += `${new Date(e.timestamp).toISOString()} ${e.message.replace(/\n$/, '')}\n`;
            since = Math.max(since, e.timestamp);
          }
          pre.scrollTop = pre.scrollHeight;
        } catch (e) { document.getElementById('logs').textContent = e.message; }
      });
    },
    metrics: async (el) => {
      el.innerHTML = chartsHtml();
      every(2000, async () => renderCharts(await api.metrics(name, 60)));
    },
  };
  const show = async (t) => {
    timers.forEach(clearInterval); timers = [];
    document.querySelectorAll('.tabs button').forEach((b) => b.classList.toggle('active', b.dataset.tab === t));
    const el = document.getElementById('tab');
    el.innerHTML = 'Loading…';
    try { await tabs[t](el); } catch (e) { el.innerHTML = `<p class="err">${esc(e.message)}</p>`; }
  };
  document.querySelectorAll('.tabs button').forEach((b) => (b.onclick = () => show(b.dataset.tab)));
  api.fn(name).then((fn) => (document.getElementById('state').innerHTML = `<span class="badge ${esc(fn.Configuration.State)}">${esc(fn.Configuration.State)}</span>`)).catch(() => {});
  await show(location.hash.split('?tab=')[1] || 'overview');
}

async function registryPage() {
  view.innerHTML = `<h1>Registry</h1><div id="repos">Loading…</div>`;
  try {
    const { repositories = [] } = await api.repos();
    if (!repositories.length) { document.getElementById('repos').innerHTML = `<div class="empty">No repositories. Push with <code>docker push localhost:5000/NAME:TAG</code>.</div>`; return; }
    const layerUse = new Map();
    const blocks = [];
    for (const r of repositories) {
      const { imageDetails = [] } = await api.images(r.repositoryName);
      const ids = imageDetails.map((d) => ({ imageDigest: d.imageDigest }));
      const got = ids.length ? await api.batchGet(r.repositoryName, ids).catch(() => ({ images: [] })) : { images: [] };
      for (const img of got.images || []) {
        try { for (const l of JSON.parse(img.imageManifest).layers || []) { const u = layerUse.get(l.digest) || { size: l.size, images: new Set() }; u.images.add(r.repositoryName + '@' + img.imageId.imageDigest); layerUse.set(l.digest, u); } } catch {}
      }
      blocks.push(`<h2>${esc(r.repositoryName)} <span class="muted">${esc(r.repositoryUri)}</span></h2>
        <table data-testid="repo"><thead><tr><th>Digest</th><th>Tags</th><th>Size</th><th>Pushed</th><th>Type</th></tr></thead><tbody>${imageDetails.map((d) => `<tr><td><code>${esc(d.imageDigest.slice(0, 19))}</code></td><td>${esc((d.imageTags || []).join(', ') || '—')}</td><td>${fmtBytes(d.imageSizeInBytes || 0)}</td><td>${fmtTime((d.imagePushedAt || 0) * 1000)}</td><td class="muted">${esc(d.imageManifestMediaType || '')}</td></tr>`).join('')}</tbody></table>`);
    }
    const shared = [...layerUse.entries()].filter(([, u]) => u.images.size > 1);
    const saved = shared.reduce((a, [, u]) => a + u.size * (u.images.size - 1), 0);
    document.getElementById('repos').innerHTML = `<div class="grid"><div class="card"><div class="k">Repositories</div><div class="v">${repositories.length}</div></div>
      <div class="card"><div class="k">Distinct layers</div><div class="v">${layerUse.size}</div></div>
      <div class="card"><div class="k">Shared layers</div><div class="v" data-testid="shared">${shared.length} (saves ${fmtBytes(saved)})</div></div></div>` + blocks.join('');
  } catch (e) { document.getElementById('repos').innerHTML = `<p class="err">${esc(e.message)}</p>`; }
}

async function costsPage() {
  view.innerHTML = `<h1>Costs</h1><div id="costs">Loading…</div>`;
  every(5000, async () => {
    const c = await api.costs();
    const p = c.prices || {};
    document.getElementById('costs').innerHTML = `<p class="muted">Priced at $${p.perGbSecond} per GB-second and $${p.perMillionRequests} per million requests (${esc(p.source || 'configurable price table')}).</p>
      <table data-testid="costs"><thead><tr><th>Function</th><th>Requests</th><th>GB-seconds</th><th>Request cost</th><th>Compute cost</th><th>Total</th></tr></thead><tbody>
      ${(c.functions || []).map((f) => `<tr><td>${esc(f.name)}</td><td>${f.requests}</td><td>${f.gbSeconds.toFixed(4)}</td><td>$${f.requestCost.toFixed(8)}</td><td>$${f.computeCost.toFixed(8)}</td><td>$${f.totalCost.toFixed(8)}</td></tr>`).join('')}
      </tbody></table>`;
  });
}

function settingsPage() {
  const c = creds();
  view.innerHTML = `<h1>Settings</h1><p class="muted">The console signs its requests with AWS Signature V4. In the open loopback default any keys work; when Lambdock runs with credentials, enter them here (kept in this browser only).</p>
    <div class="row"><label>Access key id <input id="ak" value="${esc(c.id)}"></label><label>Secret access key <input id="sk" type="password" value="${esc(c.secret)}"></label><button class="primary" id="save">Save</button><span id="saved" class="muted"></span></div>`;
  document.getElementById('save').onclick = () => {
    localStorage.setItem('lambdock.accessKeyId', document.getElementById('ak').value.trim());
    localStorage.setItem('lambdock.secretAccessKey', document.getElementById('sk').value);
    document.getElementById('saved').textContent = 'saved';
  };
}

function route() {
  timers.forEach(clearInterval); timers = [];
  const h = location.hash || '#/functions';
  const [, page, arg] = h.split('?')[0].split('/');
  document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle('active', a.dataset.nav === page));
  if (page === 'functions' && arg) return functionPage(decodeURIComponent(arg));
  if (page === 'registry') return registryPage();
  if (page === 'costs') return costsPage();
  if (page === 'settings') return settingsPage();
  return functionsPage();
}
window.addEventListener('hashchange', route);
route();
