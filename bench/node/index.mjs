// Cold-start reference of `make bench`: a Node.js function that imports the
// DynamoDB and S3 clients of the AWS SDK v3, builds them at init (as a real
// handler would) and answers the event, speaking the Lambda Runtime API itself
// (the loop the managed Node.js runtime runs).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';

const dynamodb = new DynamoDBClient({});
const s3 = new S3Client({});

async function handler(event) {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ path: event.rawPath ?? null, clients: [typeof dynamodb.send, typeof s3.send] }),
  };
}

const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
for (;;) {
  const next = await fetch(`${api}/invocation/next`);
  const id = next.headers.get('lambda-runtime-aws-request-id');
  const event = await next.json();
  try {
    const result = await handler(event);
    await fetch(`${api}/invocation/${id}/response`, { method: 'POST', body: JSON.stringify(result) });
  } catch (e) {
    await fetch(`${api}/invocation/${id}/error`, {
      method: 'POST',
      body: JSON.stringify({ errorMessage: String(e), errorType: 'Error' }),
    });
  }
}
