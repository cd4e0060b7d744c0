// The EventBridge bus, the rules that route domain events to their consumers
// and the schedules of the sweeps, all from `resources.json`. Each target has
// a retry policy and the consumer's dead-letter queue.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { Resources } from './definition';
import { Functions } from './functions';
import { StageConfig } from './stage';

export class Events extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: { stage: StageConfig }) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: props.stage.prefix });
  }

  grantPut(grantee: iam.IGrantable): void {
    this.bus.grantPutEventsTo(grantee);
  }

  /** The rules and schedules of `resources`, to `functions`. */
  connect(resources: Resources, functions: Functions): void {
    const target = (name: string) => {
      const fn = functions.byName[name];
      if (!fn) throw new Error(`resources.json targets ${name}, which is not a function`);
      return new targets.LambdaFunction(fn, {
        deadLetterQueue: functions.deadLetters[name],
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
      });
    };
    for (const r of resources.rules) {
      const source = (r.event_pattern.source ?? []).flatMap((s) =>
        typeof s === 'string' ? [s] : events.Match.prefix((s as { prefix: string }).prefix),
      );
      new events.Rule(this, r.name, {
        eventBus: this.bus,
        description: r.description,
        eventPattern: { source, detailType: r.event_pattern['detail-type'] },
        targets: [target(r.target)],
      });
    }
    for (const s of resources.schedules) {
      new events.Rule(this, s.name, {
        description: s.description,
        schedule: events.Schedule.rate(Duration.minutes(s.rate_minutes)),
        targets: [target(s.target)],
      });
    }
  }
}
