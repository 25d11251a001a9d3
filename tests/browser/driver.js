// Headless Chromium for the topology page's integration test, over the
// DevTools protocol (the `ws` package). Opens one page and then takes orders
// on a small HTTP control server, so the C++ test can inject faults and look
// at the DOM of the same page, without a reload:
//
//   node driver.js --chromium=/usr/bin/chromium --url=http://127.0.0.1:9856/ \
//                  --port=<control port> --profile=<temp dir>
//   POST /eval        body: a JS expression; 200 {"value": ...} (promises awaited)
//   POST /screenshot  body: a file path; the page as PNG
//   POST /quit
//
// Prints "driver ready" once the page has loaded.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const WebSocket = require('ws');

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split(/=(.*)/s).slice(0, 2)));

function launch() {
  const flags = ['--headless=new', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--disable-background-networking', '--disable-dev-shm-usage',
    '--window-size=1400,1000', '--remote-debugging-port=0', `--user-data-dir=${args.profile}`,
    'about:blank'];
  // Chromium's sandbox cannot start as root (CI runs as root).
  if (process.getuid && process.getuid() === 0) flags.unshift('--no-sandbox');
  const child = spawn(args.chromium, flags, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr.on('data', (chunk) => {
      seen += chunk;
      process.stderr.write(chunk);
      const m = seen.match(/DevTools listening on (ws:\/\/\S+)/);
      if (m) resolve({ child, endpoint: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`chromium exited with ${code}:\n${seen}`)));
  });
}

class Cdp {
  constructor(ws) {
    this.ws = ws;
    this.next = 1;
    this.pending = new Map();
    this.waiters = [];
    ws.on('message', (data) => {
      const msg = JSON.parse(data);
      if (msg.id && this.pending.has(msg.id)) {
        const { resolve, reject } = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) reject(new Error(JSON.stringify(msg.error))); else resolve(msg.result);
      } else if (msg.method) {
        this.waiters = this.waiters.filter((w) => !(w.method === msg.method && (w.resolve(msg.params), true)));
      }
    });
  }
  send(method, params = {}, sessionId) {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
  once(method) { return new Promise((resolve) => this.waiters.push({ method, resolve })); }
}

async function main() {
  const { child, endpoint } = await launch();
  const ws = new WebSocket(endpoint, { perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const cdp = new Cdp(ws);
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  await cdp.send('Page.enable', {}, sessionId);
  const loaded = cdp.once('Page.loadEventFired');
  await cdp.send('Page.navigate', { url: args.url }, sessionId);
  await loaded;
  const evaluate = async (expression) => {
    const r = await cdp.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId);
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description || r.exceptionDetails.text);
    return r.result.value;
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', async () => {
      try {
        let out = {};
        if (req.url === '/eval') out = { value: await evaluate(body) };
        else if (req.url === '/screenshot') {
          const shot = await cdp.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId);
          fs.writeFileSync(body, Buffer.from(shot.data, 'base64'));
        } else if (req.url === '/quit') {
          res.end('{}');
          child.kill('SIGTERM');
          process.exit(0);
        } else { res.statusCode = 404; }
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(out === undefined ? {} : out));
      } catch (e) {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: String(e.message || e) }));
      }
    });
  });
  // Chromium goes with the driver, however the driver is asked to stop.
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => { child.kill('SIGKILL'); process.exit(0); });
  }
  server.listen(Number(args.port), '127.0.0.1', () => console.log('driver ready'));
  child.on('exit', (code) => { console.error(`chromium exited with ${code}`); process.exit(1); });
}

main().catch((e) => { console.error(e); process.exit(1); });
