// The high-availability cluster's door: bring it up and down, ask who leads, and the drills' levers.
export {
  clusterDown, clusterStatus, clusterUp, startApiNode, startPatroni, waitFor, waitForApiNode, waitForHealthyCluster,
  apiNodeReady,
  type ClusterStatus,
} from './cluster.ts';
export { missingPackages, clusterTools } from './install-tools.ts';
export { membersOf, primariesOf, postmasterPidOf, type Member } from './patroni.ts';
export { childrenOf, isAlive, pidOf, signalGroup, stopProcess, sleep } from './processes.ts';
export { topologyOf, primaryUrlOf, apiUrlOf, type Topology, type DatabaseNode, type ApiNode } from './topology.ts';
export { haproxyConfigOf, patroniConfigOf } from './config-files.ts';
