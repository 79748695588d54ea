// A real gRPC peer for the interop tests: drives the gateway with @grpc/grpc-js and prints one
// JSON object with what it saw, so the C# test asserts on a client's view, not on ours.
//   node peer.js <host:port> <protos-dir> <scenario> [prompt] [maxTokens]
'use strict';
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [address, protosDir, scenario, prompt = 'Once upon a time', maxTokensArg = '32'] = process.argv.slice(2);
const maxTokens = Number(maxTokensArg);
const load = (file) => grpc.loadPackageDefinition(protoLoader.loadSync(file, {
  includeDirs: [protosDir], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true,
}));
const slm = load('slm/v1/inference.proto').slm.v1;
const health = load('grpc/health/v1/health.proto').grpc.health.v1;
const inference = new slm.Inference(address, grpc.credentials.createInsecure());
const healthClient = new health.Health(address, grpc.credentials.createInsecure());

const deadlineIn = (ms) => new Date(Date.now() + ms);
const errorOf = (err) => ({ code: grpc.status[err.code], details: err.details });
const request = (extra = {}) => ({ prompt, maxTokens, sampling: { temperature: 0 }, ...extra });

function unary(client, method, req, options = {}) {
  return new Promise((resolve) => {
    client[method](req, options, (err, res) => resolve(err ? { error: errorOf(err) } : { response: res }));
  });
}

function stream(req, options = {}, cancelAfterChunks = 0) {
  return new Promise((resolve) => {
    const call = inference.generateStream(req, options);
    const chunks = [];
    call.on('data', (chunk) => {
      chunks.push(chunk);
      if (cancelAfterChunks > 0 && chunks.length === cancelAfterChunks) call.cancel();
    });
    call.on('error', (err) => resolve({ chunks, error: errorOf(err) }));
    call.on('end', () => resolve({ chunks }));
  });
}

const scenarios = {
  health: () => unary(healthClient, 'check', { service: '' }),
  list: () => unary(inference, 'listModels', {}),
  generate: () => unary(inference, 'generate', request(), { deadline: deadlineIn(30000) }),
  stream: async () => {
    const r = await stream(request(), { deadline: deadlineIn(30000) });
    return { ...r, text: r.chunks.map((c) => c.text).join(''), last: r.chunks[r.chunks.length - 1] };
  },
  deadline: () => unary(inference, 'generate', request({ maxTokens: 4096 }), { deadline: deadlineIn(5) }),
  'cancel-then-serve': async () => {
    const cancelled = await stream(request({ maxTokens: 4096 }), {}, 1);
    const after = await unary(inference, 'generate', request(), { deadline: deadlineIn(30000) });
    return { cancelled: { chunks: cancelled.chunks.length, error: cancelled.error }, after };
  },
  'unknown-model': () => unary(inference, 'generate', request({ model: 'no-such-model' })),
};

const run = scenarios[scenario];
if (!run) { console.error(`unknown scenario ${scenario}`); process.exit(2); }
run().then((result) => {
  process.stdout.write(JSON.stringify(result) + '\n');
  inference.close(); healthClient.close();
}, (err) => { console.error(err); process.exit(1); });
