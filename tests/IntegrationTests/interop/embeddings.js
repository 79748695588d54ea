// The official OpenAI Node client (npm "openai") against the gateway's /v1/embeddings. Prints one JSON object.
//   node embeddings.js <base url, e.g. http://127.0.0.1:8080/v1> <model>
const OpenAI = require('openai').default ?? require('openai');

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'not-checked', maxRetries: 0 });

function cosine(a, b) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / Math.sqrt(na * nb);
}

(async () => {
  const texts = ['Lily went to the park.', 'Tom had a red ball.', 'Lily went to the park.'];
  // The client asks for base64 by default and decodes it: the float32 path of the wire shape.
  const batch = await client.embeddings.create({ model, input: texts });
  const alone = await client.embeddings.create({ model, input: texts[1], encoding_format: 'float' });
  const v = batch.data.map(d => d.embedding);
  let refused;
  try {
    await client.embeddings.create({ model, input: [] });
  } catch (e) {
    refused = { status: e.status, param: e.param ?? e.error?.param ?? null };
  }
  console.log(JSON.stringify({
    count: batch.data.length,
    indexes: batch.data.map(d => d.index),
    dimensions: v[0].length,
    promptTokens: batch.usage.prompt_tokens,
    identical: cosine(v[0], v[2]),
    different: cosine(v[0], v[1]),
    batchVsAlone: cosine(v[1], alone.data[0].embedding),
    refused,
  }));
})().catch(e => { console.error(e); process.exit(1); });
