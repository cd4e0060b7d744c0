// After `cdk deploy`: uploads the built portal (web/dist) to its bucket with
// the right content types and caching, writes the page's config.json from the
// stack's outputs, and invalidates CloudFront. usage: tsx scripts/deploy-web.ts STAGE
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const stage = process.argv[2] ?? 'dev';
const dist = join(__dirname, '..', '..', 'web', 'dist');
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

async function main() {
  const stack = (await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: `prm-${stage}` }))).Stacks?.[0];
  const out = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  for (const k of ['PortalBucketName', 'PortalDistributionId', 'ApiUrl', 'UserPoolClientId', 'Region']) {
    if (!out[k]) throw new Error(`stack prm-${stage} has no output ${k}: deploy it first`);
  }
  const s3 = new S3Client({});
  for (const path of files(dist)) {
    const key = relative(dist, path).split('\\').join('/');
    await s3.send(
      new PutObjectCommand({
        Bucket: out.PortalBucketName,
        Key: key,
        Body: readFileSync(path),
        ContentType: types[extname(path)] ?? 'application/octet-stream',
        // Hashed file names never change; index.html must be fresh.
        CacheControl: key.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      }),
    );
    console.log(`uploaded ${key}`);
  }
  const config = {
    api_url: out.ApiUrl,
    cognito_url: `https://cognito-idp.${out.Region}.amazonaws.com/`,
    client_id: out.UserPoolClientId,
    region: out.Region,
    program_name: process.env.PROGRAM_NAME ?? 'Partner Program',
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: out.PortalBucketName,
      Key: 'config.json',
      Body: JSON.stringify(config),
      ContentType: 'application/json',
      CacheControl: 'no-store',
    }),
  );
  await new CloudFrontClient({}).send(
    new CreateInvalidationCommand({
      DistributionId: out.PortalDistributionId,
      InvalidationBatch: { CallerReference: `${Date.now()}`, Paths: { Quantity: 1, Items: ['/*'] } },
    }),
  );
  console.log(`portal deployed: ${out.PortalUrl}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
