import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { RpcError } from '../../runtime/protocol/errors';
import { type Channel, RpcPeer } from '../../runtime/protocol/rpc';
import { tensor, tensorProblem } from '../../runtime/protocol/tensor';

/** A real structured-clone transport (the same cloning rules as IPC 'advanced' and postMessage). */
function portChannel(port: MessagePort): Channel {
  return {
    post: (m) => port.postMessage(m),
    onMessage: (l) => { port.on('message', l); return () => port.off('message', l); },
  };
}

type ServerMethods = {
  sum: { params: { values: Float32Array }; result: { total: number; echoed: Float32Array } };
  slow: { params: { steps: number }; result: number };
};
type ServerEvents = { ping: { n: number } };
type ClientEvents = { pong: { n: number } };

function pair() {
  const { port1, port2 } = new MessageChannel();
  const seenCancel: number[] = [];
  const invalid: string[] = [];
  const server = new RpcPeer<ServerMethods, Record<never, never>, ServerEvents, ClientEvents>(portChannel(port2), {
    handlers: {
      sum: ({ values }) => ({ total: values.reduce((a, b) => a + b, 0), echoed: values }),
      slow: async ({ steps }, ctx) => {
        for (let i = 0; i < steps; i++) {
          if (ctx.signal.aborted) { seenCancel.push(i); throw new RpcError('cancelled', 'stopped'); }
          ctx.progress({ message: `step ${i + 1}`, fraction: (i + 1) / steps });
          await new Promise((r) => setTimeout(r, 5));
        }
        return steps;
      },
    },
    paramValidators: { sum: (p) => ((p as { values?: unknown }).values instanceof Float32Array ? null : 'values must be a Float32Array') },
    eventValidators: { ping: (b) => (Number.isInteger((b as { n?: unknown })?.n) ? null : 'n must be an integer') },
    onInvalid: (r) => invalid.push(r),
  });
  const client = new RpcPeer<Record<never, never>, ServerMethods, ClientEvents, ServerEvents>(portChannel(port1), {
    eventValidators: { pong: (b) => (Number.isInteger((b as { n?: unknown })?.n) ? null : 'n must be an integer') },
  });
  server.on('ping', ({ n }) => server.notify('pong', { n: n + 1 }));
  const close = () => { server.dispose(); client.dispose(); port1.close(); port2.close(); };
  return { server, client, seenCancel, invalid, close, port1 };
}

test('a request carries a typed array as bytes and resolves with the result', async () => {
  const { client, close } = pair();
  const values = Float32Array.from([0.5, 1.5, 2]);
  const r = await client.request('sum', { values });
  assert.equal(r.total, 4);
  assert.ok(r.echoed instanceof Float32Array);
  assert.deepEqual([...r.echoed], [0.5, 1.5, 2]);
  close();
});

test('invalid params come back as a bad-request RpcError naming the method', async () => {
  const { client, close } = pair();
  await assert.rejects(client.request('sum', { values: [1, 2] as unknown as Float32Array }), (e: RpcError) => e.code === 'bad-request' && /sum: values must be a Float32Array/.test(e.message));
  close();
});

test('an unknown method is refused with unknown-method', async () => {
  const { port1, close } = pair();
  const raw = new RpcPeer<Record<never, never>, { nope: { params: object; result: never } }, Record<never, never>, Record<never, never>>(portChannel(port1));
  await assert.rejects(raw.request('nope', {}), (e: RpcError) => e.code === 'unknown-method');
  raw.dispose();
  close();
});

test('progress reaches the caller in order and the result follows', async () => {
  const { client, close } = pair();
  const seen: string[] = [];
  const r = await client.request('slow', { steps: 3 }, { onProgress: (p) => seen.push(`${p.message}@${p.fraction?.toFixed(2)}`) });
  assert.equal(r, 3);
  assert.deepEqual(seen, ['step 1@0.33', 'step 2@0.67', 'step 3@1.00']);
  close();
});

test('cancelling rejects at once and aborts the handler on the far side', async () => {
  const { client, seenCancel, close } = pair();
  const ac = new AbortController();
  const p = client.request('slow', { steps: 200 }, { signal: ac.signal, onProgress: (pr) => { if (pr.fraction! >= 0.02) ac.abort(); } });
  await assert.rejects(p, (e: RpcError) => e.code === 'cancelled');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(seenCancel.length, 1);
  assert.ok(seenCancel[0] < 200);
  assert.equal(client.inFlight, 0);
  close();
});

test('events are validated: a good one is delivered, a bad one refused with a reason', async () => {
  const { client, invalid, close } = pair();
  const got = new Promise<number>((resolve) => client.on('pong', ({ n }) => resolve(n)));
  client.notify('ping', { n: 41 });
  assert.equal(await got, 42);
  client.notify('ping', { n: 'x' as unknown as number });
  (client as unknown as { channel: Channel }).channel.post({ kind: 'event', event: 'shout', body: {} });
  (client as unknown as { channel: Channel }).channel.post('garbage');
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(invalid, ['event ping: n must be an integer', 'unknown event shout', 'message is not an object with a kind']);
  close();
});

test('rejectAll fails every request in flight with the given error', async () => {
  const { client, close } = pair();
  const p = client.request('slow', { steps: 100 });
  client.rejectAll(new RpcError('runtime-crashed', 'gone'));
  await assert.rejects(p, (e: RpcError) => e.code === 'runtime-crashed' && e.message === 'gone');
  close();
});

test('tensors are checked against their shape and dtype', () => {
  assert.equal(tensorProblem(tensor(new Float32Array(6), [2, 3]), 'float32', 2), null);
  assert.throws(() => tensor(new Float32Array(5), [2, 3]), /holds 6 elements but the data has 5/);
  assert.match(tensorProblem({ shape: [2, 3], data: new Float32Array(5) }, 'float32')!, /needs 6 elements, data has 5/);
  assert.match(tensorProblem({ shape: [2], data: new Uint8Array(2) }, 'float32')!, /not a float32/);
  assert.match(tensorProblem({ shape: [-1], data: new Float32Array(0) }, 'float32')!, /no valid shape/);
  assert.match(tensorProblem({ shape: [4], data: new Float32Array(4) }, 'float32', 2)!, /rank 1, expected 2/);
});
