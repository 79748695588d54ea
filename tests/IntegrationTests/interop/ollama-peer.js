// The official `ollama` JavaScript client against the gateway's Ollama API: runs one scenario and prints one JSON
// object with what the client saw, so the C# test asserts on a client's view, not on ours.
//   node ollama-peer.js <http://host:port> <model> <scenario> [api-key]
'use strict';
const { Ollama } = require('ollama');

const [host, model, scenario, apiKey] = process.argv.slice(2);
const ollama = new Ollama({ host, headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {} });
const options = { temperature: 0, num_predict: 12 };

async function collect(stream) {
  const parts = [];
  let last = null;
  for await (const part of stream) {
    parts.push(part);
    last = part;
  }
  return { pieces: parts.length, last };
}

const scenarios = {
  list: async () => ollama.list(),
  show: async () => ollama.show({ model }),
  generate: async () => ollama.generate({ model, prompt: 'Once upon a time', raw: true, options }),
  'generate-stream': async () => {
    const { pieces, last } = await collect(await ollama.generate({ model, prompt: 'Once upon a time', raw: true, options, stream: true }));
    return { pieces, last, text: undefined };
  },
  'chat-stream': async () => {
    const parts = [];
    let last = null;
    for await (const part of await ollama.chat({ model, messages: [{ role: 'user', content: 'Once upon a time' }], options, stream: true })) {
      parts.push(part.message.content);
      last = part;
    }
    return { pieces: parts.length, text: parts.join(''), last };
  },
  format: async () => ollama.generate({
    model,
    prompt: 'A name:',
    raw: true,
    format: { type: 'object', properties: { name: { type: 'string', maxLength: 8 } }, required: ['name'] },
    options: { temperature: 0, num_predict: 40 },
  }),
  embed: async () => ollama.embed({ model, input: ['Once upon a time', 'Once upon a time', 'The cat sat on the mat.'] }),
  embeddings: async () => ollama.embeddings({ model, prompt: 'Once upon a time' }),
  'unknown-model': async () => ollama.generate({ model: 'no-such-model', prompt: 'Once upon a time' }),
};

(async () => {
  let result;
  try {
    result = { response: await scenarios[scenario]() };
  } catch (err) {
    result = { error: { name: err.name, message: err.message, status: err.status_code ?? null } };
  }
  console.log(JSON.stringify(result));
})();
