/**
 * The activities of the app, built from the dependencies they are handed (as Temporal's `createActivities(clients)`):
 * nothing here reads app settings or keeps process-wide state, so two sets can live in one process.
 */
import type { BoundActivity } from "./binding";
import type { ActivityDeps } from "./deps";
import { addTemporarySubnet } from "./addTemporarySubnet";
import { beginPowerOperation } from "./beginPowerOperation";
import { beginSmtpProbe } from "./beginSmtpProbe";
import { classifySubscription } from "./classifySubscription";
import { discoverResources } from "./discoverResources";
import { listManagementGroupSubscriptions } from "./listManagementGroupSubscriptions";
import { listVmPages } from "./listVmPages";
import { observePowerState } from "./observePowerState";
import { readCanaryAgents } from "./readCanaryAgents";
import { readEffectiveRoutes } from "./readEffectiveRoutes";
import { readLastRun } from "./readLastRun";
import { readPowerEvents } from "./readPowerEvents";
import { readPowerState } from "./readPowerState";
import { readRun } from "./readRun";
import { readSmtpProbe } from "./readSmtpProbe";
import { readSubnetState } from "./readSubnetState";
import { recordCampaignCompleted } from "./recordCampaignCompleted";
import { recordCampaignStarted } from "./recordCampaignStarted";
import { recordLaneOutcomes } from "./recordLaneOutcomes";
import { recordNotification } from "./recordNotification";
import { recordReverification } from "./recordReverification";
import { recordRunCompleted } from "./recordRunCompleted";
import { recordRunStarted } from "./recordRunStarted";
import { relayCancel } from "./relayCancel";
import { removeTemporarySubnet } from "./removeTemporarySubnet";
import { sendNotification } from "./sendNotification";
import { signalRunEnded } from "./signalRunEnded";
import { startRun } from "./startRun";

const ACTIVITIES: readonly ((deps: ActivityDeps) => BoundActivity)[] = [
  addTemporarySubnet,
  beginPowerOperation,
  beginSmtpProbe,
  classifySubscription,
  discoverResources,
  listManagementGroupSubscriptions,
  listVmPages,
  observePowerState,
  readCanaryAgents,
  readEffectiveRoutes,
  readLastRun,
  readPowerEvents,
  readPowerState,
  readRun,
  readSmtpProbe,
  readSubnetState,
  recordCampaignCompleted,
  recordCampaignStarted,
  recordLaneOutcomes,
  recordNotification,
  recordReverification,
  recordRunCompleted,
  recordRunStarted,
  relayCancel,
  removeTemporarySubnet,
  sendNotification,
  signalRunEnded,
  startRun,
];

export function createActivities(deps: ActivityDeps): readonly BoundActivity[] {
  return ACTIVITIES.map((make) => make(deps));
}
