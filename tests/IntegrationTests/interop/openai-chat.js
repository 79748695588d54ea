// The official OpenAI Node client (npm "openai") against the gateway's /v1/chat/completions: tool calls and
// response_format, whole and streamed. Runs one scenario and prints one JSON object with what the client saw.
//   node openai-chat.js <base url, e.g. http://127.0.0.1:8080/v1> <model> <scenario>
'use strict';
const OpenAI = require('openai').default ?? require('openai');

const [baseURL, model, scenario] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'not-checked', maxRetries: 0, timeout: 60000 });

const weather = {
  type: 'object',
  properties: { city: { type: 'string', maxLength: 10 }, unit: { enum: ['c', 'f'] } },
  required: ['city', 'unit'],
};
const tools = [{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city.', parameters: weather } }];
const person = {
  type: 'object',
  properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer', minimum: 0, maximum: 120 } },
  required: ['name', 'age'],
  additionalProperties: false,
};
const ask = (content) => ({ model, messages: [{ role: 'user', content }], temperature: 1, seed: 3, max_tokens: 200 });
const toolRequest = () => ({ ...ask('Weather in Paris?'), tools, tool_choice: 'required', parallel_tool_calls: false });
const schemaRequest = () => ({
  ...ask('A person:'),
  response_format: { type: 'json_schema', json_schema: { name: 'person', schema: person, strict: true } },
});

const scenarios = {
  tools: async () => {
    const completion = await client.chat.completions.create(toolRequest());
    const choice = completion.choices[0];
    return { finish: choice.finish_reason, content: choice.message.content, calls: choice.message.tool_calls };
  },
  // The client's own stream helper joins the deltas into the whole message, as an application would use it.
  'tools-stream': async () => {
    const stream = client.chat.completions.stream(toolRequest());
    let deltas = 0;
    stream.on('chunk', (chunk) => { deltas += chunk.choices[0]?.delta?.tool_calls?.length ?? 0; });
    const completion = await stream.finalChatCompletion();
    const choice = completion.choices[0];
    return { finish: choice.finish_reason, calls: choice.message.tool_calls, deltas };
  },
  // parse() reads the content as JSON for a json_schema response_format: it throws on JSON that does not parse.
  'json-schema': async () => {
    const completion = await client.chat.completions.parse(schemaRequest());
    const choice = completion.choices[0];
    return { finish: choice.finish_reason, content: choice.message.content, parsed: choice.message.parsed };
  },
  'json-schema-stream': async () => {
    const stream = client.chat.completions.stream(schemaRequest());
    const completion = await stream.finalChatCompletion();
    const choice = completion.choices[0];
    return { finish: choice.finish_reason, content: choice.message.content, parsed: choice.message.parsed };
  },
  'unknown-tool': async () => client.chat.completions.create({
    ...toolRequest(), tool_choice: { type: 'function', function: { name: 'get_time' } },
  }),
};

(async () => {
  let result;
  try {
    result = { response: await scenarios[scenario]() };
  } catch (err) {
    result = { error: { name: err.name, message: err.message, status: err.status ?? null, param: err.param ?? err.error?.param ?? null } };
  }
  console.log(JSON.stringify(result));
})();
