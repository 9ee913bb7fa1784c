/**
 * Shapes of the emrlab server's JSON (CONTRACTS.md section 4): what the panel reads, nothing more.
 */

export interface IAccount {
  regions: string[];
  profile: string | null;
  account_id: string | null;
}

export interface IPricesStamp {
  snapshot_date: string;
  estimate: boolean;
}

export interface ICostSplit {
  ec2: number;
  emr: number;
  ebs: number;
}

export interface IClusterCost {
  so_far: number | null;
  per_hour: number | null;
  projected: number | null;
  split?: ICostSplit;
  unpriced: string[];
  estimate: boolean;
  snapshot_date: string;
}

export interface ICluster {
  id: string;
  name: string;
  region: string;
  state: string;
  state_reason: string | null;
  created: string | null;
  ready: string | null;
  ended: string | null;
  uptime_seconds: number | null;
  idle_seconds: number | null;
  instance_count: number | null;
  release: string | null;
  cost: IClusterCost;
}

export interface IGroup {
  id: string;
  name: string;
  role: string;
  market: string;
  instance_types: string[];
  requested: number | null;
  running: number | null;
  ebs_gb: number | null;
  per_hour: number | null;
}

export interface IClusterDetail extends ICluster {
  applications: { name: string; version: string | null }[];
  tags: Record<string, string>;
  collection: string;
  auto_termination_idle_seconds: number | null;
  groups: IGroup[];
  links: {
    spark_history: string | null;
    spark_ui: string | null;
    yarn: string | null;
    console: string | null;
  };
  connect: string;
}

export interface IAppCost {
  per_hour: number | null;
  so_far: number | null;
  estimate: boolean;
  snapshot_date: string;
}

export interface IApplication {
  id: string;
  name: string;
  region: string;
  state: string;
  state_details: string | null;
  release: string | null;
  architecture: string | null;
  type: string | null;
  created: string | null;
  updated: string | null;
  uptime_seconds: number | null;
  livy: boolean | null;
  cost: IAppCost;
}

export interface IJobRunCost {
  billed: number | null;
  used: number | null;
  efficiency: number | null;
  estimate: boolean;
  snapshot_date: string;
}

export interface IJobRun {
  id: string;
  name: string | null;
  state: string;
  state_details: string | null;
  created: string | null;
  updated: string | null;
  elapsed_seconds: number | null;
  cost: IJobRunCost;
}

export interface IApplicationDetail extends IApplication {
  auto_stop_idle_minutes: number | null;
  initial_capacity: Record<string, unknown> | null;
  maximum_capacity: Record<string, unknown> | null;
  tags?: Record<string, string>;
  links?: { console?: string | null };
  connect: string;
  job_runs: IJobRun[];
}

interface IListing {
  account: IAccount;
  prices: IPricesStamp;
  next_page: string | null;
  fetched_at: string;
  cached: boolean;
  warnings?: string[];
}

export interface IClusterList extends IListing {
  clusters: ICluster[];
  totals: { per_hour: number | null; so_far: number | null; count: number };
}

export interface IApplicationList extends IListing {
  applications: IApplication[];
  totals: { per_hour: number | null; count: number };
}

export interface IActionResult {
  id: string;
  region?: string;
  state: string;
}

export interface IConvertResult {
  output: string;
  report: string;
  notebooks: number;
  findings: number;
  failed: number;
}

/** The panel's settings (schema/plugin.json). */
export interface IPanelSettings {
  regions: string[];
  profile: string | null;
  pollSeconds: number;
  idleWarningMinutes: number;
  budgetPerHour: number | null;
}

export const DEFAULT_SETTINGS: IPanelSettings = {
  regions: [],
  profile: null,
  pollSeconds: 30,
  idleWarningMinutes: 30,
  budgetPerHour: null
};
