export type { BuildOptions, BuildProgress, NetnsLab, ProgressListener, RebuildReport } from './builder.ts';
export { BuildError, buildLab } from './builder.ts';
export { BRIDGE, netnsName, portName, switchPorts } from './names.ts';
export type { EthernetConfig, NetplanFile, NetworkConfig } from './netplan.ts';
export {
  PersistentConfigError,
  parseNetplanFiles,
  parsePersistentConfig,
  renderNetworkConfig,
  renderPersistentConfig,
} from './netplan.ts';
export { nodeFilePath, nodeRoot, readPersistentConfig } from './node-files.ts';
export { hardwareNics, planNodeBringUp, planNodeReset } from './node-network.ts';
export { planTopology } from './plan.ts';
export { KERNEL_BOOT_DEFAULTS, planNodeSysctls } from './sysctl-conf.ts';
