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
  // Tools, and a history that sends a call (arguments an object, no id) and its result back, streamed.
  'chat-tools': async () => {
    const tools = [{
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'The weather in a city.',
        parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 10 }, unit: { enum: ['c', 'f'] } }, required: ['city', 'unit'] },
      },
    }];
    const messages = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris', unit: 'c' } } }] },
      { role: 'tool', tool_name: 'get_weather', content: '{"temp": 21}' },
      { role: 'user', content: 'And in Rome?' },
    ];
    let content = '';
    const calls = [];
    let last = null;
    for await (const part of await ollama.chat({ model, messages, tools, options: { temperature: 0, num_predict: 24 }, stream: true })) {
      content += part.message.content;
      calls.push(...(part.message.tool_calls ?? []));
      last = part;
    }
    const whole = await ollama.chat({ model, messages, tools, options: { temperature: 0, num_predict: 24 } });
    return { content, calls, last, whole: whole.message };
  },
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
