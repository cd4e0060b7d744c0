// Alarms on an (encrypted) SNS topic: function errors and throttles, messages
// in any dead-letter queue, 5xx answers of the API.
import { Duration } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { StageConfig } from './stage';

export interface ObservabilityProps {
  stage: StageConfig;
  key: kms.IKey;
  functions: Record<string, lambda.Function>;
  deadLetters: Record<string, sqs.IQueue>;
  api: apigwv2.HttpApi;
}

export class Observability extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', { topicName: `${props.stage.prefix}-alarms`, masterKey: props.key, enforceSSL: true });
    if (props.stage.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.stage.alarmEmail));
    const action = new actions.SnsAction(this.topic);
    const alarm = (name: string, metric: cloudwatch.IMetric, description: string) => {
      const a = new cloudwatch.Alarm(this, name, {
        alarmName: `${props.stage.prefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
    };
    const period = Duration.minutes(5);
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}-errors`, fn.metricErrors({ period, statistic: 'Sum' }), `${name} failed invocations`);
      alarm(`${name}-throttles`, fn.metricThrottles({ period, statistic: 'Sum' }), `${name} throttled invocations`);
    }
    for (const [name, q] of Object.entries(props.deadLetters)) {
      alarm(
        `${name}-dlq-depth`,
        q.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        `Events ${name} could not handle are waiting in ${name}-dlq`,
      );
    }
    alarm('api-5xx', props.api.metricServerError({ period, statistic: 'Sum' }), 'The API answered 5xx');
  }
}
