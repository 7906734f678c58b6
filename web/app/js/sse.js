/*
 * sse.js - job progress over server-sent events with the Bearer token. EventSource cannot send
 * an Authorization header, so the stream is read with fetch() and parsed here (event:/data:
 * lines, blank line = dispatch, ':' comments ignored). The server ends each stream after at most
 * 30 s with a "timeout" event; watchJob reconnects until "done" or "dead", and after a network
 * error it backs off and reconnects (the first event of a stream is always the current state).
 */
import { apiFetch } from './api.js';

export async function* readEvents(res) {
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let event = 'message';
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      let line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (data.length) yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
      } else if (line.startsWith(':')) {
        continue;
      } else {
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') event = val;
        else if (field === 'data') data.push(val);
      }
    }
  }
}

/* onEvent({event, job}) for every progress/done/dead event; resolves with the final job. */
export async function watchJob(jobId, onEvent, { signal } = {}) {
  let failures = 0;
  for (;;) {
    try {
      const res = await apiFetch(`/v1/jobs/${encodeURIComponent(jobId)}/events`, { raw: true, signal, headers: { Accept: 'text/event-stream' } });
      failures = 0;
      for await (const ev of readEvents(res)) {
        let job = null;
        try { job = JSON.parse(ev.data); } catch (_) { /* a non-JSON data line */ }
        if (ev.event === 'progress' || ev.event === 'done' || ev.event === 'dead') onEvent({ event: ev.event, job });
        if (ev.event === 'done' || ev.event === 'dead') return job;
      }
    } catch (e) {
      if (signal && signal.aborted) throw e;
      if (!(e instanceof TypeError) || ++failures > 20) throw e;
      await new Promise((r) => setTimeout(r, Math.min(10000, 500 * 2 ** failures)));
    }
  }
}
