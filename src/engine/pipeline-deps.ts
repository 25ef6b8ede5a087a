import type { Catalog } from "../manifests/catalog.js";
import type { DeploymentStore } from "../store/deployment-store.js";
import type { Notifications } from "./notifications.js";
import type { Queues } from "./queues.js";

/** What the pipeline's jobs need: the store, the manifests, the queues, the notifier and the clock. */
export interface PipelineDeps {
  readonly store: DeploymentStore;
  readonly catalog: Catalog;
  readonly queues: Queues;
  readonly notifications: Notifications;
  readonly now: () => number;
}
