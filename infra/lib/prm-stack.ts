// The whole platform in one stack: data, auth, notifications, events,
// functions, API and observability, wired from resources.json and routes.json.
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Api } from './api';
import { Auth } from './auth';
import { Data } from './data';
import { loadResources, loadRoutes } from './definition';
import { Events } from './events';
import { Functions } from './functions';
import { Notifications } from './notifications';
import { Observability } from './observability';
import { Web } from './web';
import { stageConfig } from './stage';

export class PrmStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const resources = loadResources();
    const stage = stageConfig(this.node, resources.email.sender);

    const data = new Data(this, 'Data', { resources, stage });
    const auth = new Auth(this, 'Auth', { resources, stage });
    const notifications = new Notifications(this, 'Notifications', { stage });
    const events = new Events(this, 'Events', { stage });
    const api = new Api(this, 'Api', { stage, key: data.key, issuer: auth.issuer(this.region), audience: auth.client.userPoolClientId });
    const publicApiUrl = this.node.tryGetContext('publicApiUrl') || api.url;
    const functions = new Functions(this, 'Functions', {
      stage,
      data,
      auth,
      notifications,
      busName: events.bus.eventBusName,
      grantPutEvents: (fn) => events.grantPut(fn),
      publicApiUrl,
    });
    api.addRoutes(loadRoutes(), functions.byName);
    events.connect(resources, functions);
    new Observability(this, 'Observability', {
      stage,
      key: data.key,
      functions: functions.byName,
      deadLetters: functions.deadLetters,
      api: api.httpApi,
    });

    const web = new Web(this, 'Web', {
      stage,
      accessLogs: data.accessLogs,
      connectSources: [api.url, `https://cognito-idp.${this.region}.amazonaws.com`],
    });

    new CfnOutput(this, 'ApiUrl', { value: api.url });
    new CfnOutput(this, 'PortalBucketName', { value: web.bucket.bucketName });
    new CfnOutput(this, 'PortalDistributionId', { value: web.distribution.distributionId });
    new CfnOutput(this, 'PortalUrl', { value: `https://${web.distribution.distributionDomainName}` });
    new CfnOutput(this, 'Region', { value: this.region });
    new CfnOutput(this, 'UserPoolId', { value: auth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: auth.client.userPoolClientId });
    new CfnOutput(this, 'TableName', { value: data.table.tableName });
    new CfnOutput(this, 'BucketName', { value: data.bucket.bucketName });
    new CfnOutput(this, 'EventBusName', { value: events.bus.eventBusName });
  }
}
