// The CDK app. `cdk deploy -c stage=prod` (see the README). The CLI refuses
// `-c aws:...`, so PRM_SKIP_BUNDLING=1 skips building the Rust functions
// (synth for linting and tests) through context set after the CLI's own.
import { App } from 'aws-cdk-lib';
import { PrmStack } from '../lib/prm-stack';

const skip = process.env.PRM_SKIP_BUNDLING === '1';
const app = new App(skip ? { postCliContext: { 'aws:cdk:bundling-stacks': [] } } : {});
const stage = app.node.tryGetContext('stage') ?? 'dev';
new PrmStack(app, `prm-${stage}`, {
  description: `Partner relationship management platform (${stage})`,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
