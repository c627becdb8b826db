/**
 * The private network the EFS-mounting Lambdas live in: two isolated subnets in two availability
 * zones, no NAT gateway (nothing here needs the internet), an S3 gateway endpoint so the
 * producer and consumer reach the bucket privately, and the two security groups
 * (SG-Lambda may open NFS, TCP 2049, to SG-EFS; nothing else may).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The VPC, its subnets and the two security groups. */
export class Network extends Construct {
  /** Two isolated private subnets in two AZs; no NAT, no internet gateway. */
  readonly vpc: ec2.Vpc;
  /** Attached to the producer and consumer functions. */
  readonly lambdaSecurityGroup: ec2.SecurityGroup;
  /** Attached to the EFS mount targets; admits TCP 2049 from {@link lambdaSecurityGroup} only. */
  readonly efsSecurityGroup: ec2.SecurityGroup;
  /** The subnets Lambda and the EFS mount targets use. */
  readonly privateSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

  constructor(scope: Construct, id: string) {
    super(scope, id);

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
      // Rejected-traffic records are what one needs to debug a mount that times out.
      flowLogs: {
        RejectedTraffic: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
      // Stripping the default security group's rules needs a custom-resource Lambda; nothing in
      // this stack uses the default group, so it is left as AWS creates it.
      restrictDefaultSecurityGroup: false,
    });

    this.lambdaSecurityGroup = new ec2.SecurityGroup(this, 'LambdaSecurityGroup', {
      vpc: this.vpc,
      description: 'SG-Lambda: producer and consumer functions that mount EFS',
      // Egress is listed, not open: NFS to SG-EFS (added below) and HTTPS, whose only route out
      // of the isolated subnets is the S3 gateway endpoint. (The S3 prefix-list ID is
      // region-specific and would need a lookup, which would make synth depend on an account.)
      allowAllOutbound: false,
    });
    this.lambdaSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to S3 via the gateway endpoint',
    );

    this.efsSecurityGroup = new ec2.SecurityGroup(this, 'EfsSecurityGroup', {
      vpc: this.vpc,
      description: 'SG-EFS: EFS mount targets, NFS from SG-Lambda only',
      allowAllOutbound: false,
    });
    this.efsSecurityGroup.addIngressRule(
      this.lambdaSecurityGroup,
      ec2.Port.tcp(2049),
      'NFS from SG-Lambda',
    );
    this.lambdaSecurityGroup.addEgressRule(this.efsSecurityGroup, ec2.Port.tcp(2049), 'NFS to SG-EFS');
  }
}
