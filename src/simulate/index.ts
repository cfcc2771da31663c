// `anfu simulate`: seeded PaySim-like traffic with labelled attacks driven through the payments API of
// an in-process app, and the report of how the rule set fared (issue 12, item 5; docs/risk.md).
export { runSimulation, simulationStart, type SimulationApp, type SimulationOptions } from './run-simulation.ts';
export type { SimulationReport, AttackReport, Outcome } from './report.ts';
export { attackTypes, planTraffic, type AttackType, type TrafficOptions } from './traffic.ts';
