// SES: the sender identity every email goes from, with a configuration set
// that keeps reputation metrics and suppresses bounces and complaints.
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { StageConfig } from './stage';

export class Notifications extends Construct {
  readonly identity: ses.EmailIdentity;
  readonly configurationSet: ses.ConfigurationSet;
  readonly sender: string;

  constructor(scope: Construct, id: string, props: { stage: StageConfig }) {
    super(scope, id);
    this.sender = props.stage.senderEmail;
    this.configurationSet = new ses.ConfigurationSet(this, 'Mail', {
      configurationSetName: props.stage.prefix,
      reputationMetrics: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    });
    // The address must be verified (its owner clicks the link SES sends); in
    // the SES sandbox every recipient must be verified too (see the README).
    this.identity = new ses.EmailIdentity(this, 'Sender', {
      identity: ses.Identity.email(this.sender),
      configurationSet: this.configurationSet,
    });
  }

  /** Lets `grantee` send as the sender (through the default configuration set). */
  grantSend(grantee: iam.IGrantable): void {
    const { region, account, partition } = Stack.of(this);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['ses:SendEmail', 'ses:SendRawEmail'],
      resourceArns: [
        `arn:${partition}:ses:${region}:${account}:identity/${this.sender}`,
        `arn:${partition}:ses:${region}:${account}:configuration-set/${this.configurationSet.configurationSetName}`,
      ],
    });
  }
}
