// A real gRPC server (@grpc/grpc-js) for the interop tests of the project's own client: it serves
// slm.v1.Inference with answers the C# test can predict, and prints the port it listens on.
//   node server.js <protos-dir>
'use strict';
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [protosDir] = process.argv.slice(2);
const slm = grpc.loadPackageDefinition(protoLoader.loadSync('slm/v1/inference.proto', {
  includeDirs: [protosDir], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true,
})).slm.v1;

const notFound = (model) => ({
  code: grpc.status.NOT_FOUND,
  details: `Model '${model}' is not served by this peer (größe ≠ size)`,
});

const server = new grpc.Server();
server.addService(slm.Inference.service, {
  // Text is "<prompt length>:" then max_tokens copies of "y": large answers on request.
  generate: (call, callback) => {
    const { model, prompt, maxTokens } = call.request;
    if (model === 'no-such-model') return callback(notFound(model));
    return callback(null, { text: `${prompt.length}:${'y'.repeat(maxTokens)}`, finishReason: 'LENGTH' });
  },
  // max_tokens chunks "piece <i> ", the last with usage; a header and a trailer the test looks for.
  generateStream: (call) => {
    const { model, prompt, maxTokens } = call.request;
    if (model === 'no-such-model') { call.emit('error', notFound(model)); return; }
    const headers = new grpc.Metadata();
    headers.set('x-peer', 'grpc-js');
    call.sendMetadata(headers);
    for (let i = 0; i < maxTokens - 1; i++) call.write({ text: `piece ${i} ` });
    call.write({ text: `piece ${maxTokens - 1} `, finishReason: 'LENGTH', usage: { promptTokens: prompt.length, completionTokens: maxTokens } });
    const trailers = new grpc.Metadata();
    trailers.set('x-trailer', `served ${maxTokens}`);
    call.end(trailers);
  },
  listModels: (call, callback) => callback(null, { models: [{ id: 'peer-model' }] }),
});

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) { console.error(err.message); process.exit(1); }
  console.log(port);
});
