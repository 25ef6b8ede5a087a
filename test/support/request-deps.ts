import type { Redis } from "ioredis";
import { NO_USER_GROUPS } from "../../src/engine/authorize.js";
import { Notifications } from "../../src/engine/notifications.js";
import type { Queues } from "../../src/engine/queues.js";
import type { RequestDeps } from "../../src/engine/request-deployment.js";
import type { Catalog } from "../../src/manifests/catalog.js";
import { AuditLog } from "../../src/store/audit-log.js";
import { DeploymentStore } from "../../src/store/deployment-store.js";
import { LockStore } from "../../src/store/locks.js";
import { Waitlist } from "../../src/store/waitlist.js";

/** What the engine's operations need, on real Redis under `prefix`: nobody is in a user group. */
export function requestDeps(
  redis: Redis,
  prefix: string,
  catalog: Catalog,
  queues: Queues,
  options: { readonly newId?: () => string; readonly now?: () => number } = {},
): RequestDeps {
  let ids = 0;
  return {
    store: new DeploymentStore(redis, prefix),
    catalog,
    queues,
    notifications: new Notifications(queues.notify, queues.pipeline),
    audit: new AuditLog(redis, prefix),
    locks: new LockStore(redis, prefix),
    waitlist: new Waitlist(redis, prefix),
    directory: NO_USER_GROUPS,
    newId:
      options.newId ??
      (() => {
        ids += 1;
        return `d-test${String(ids).padStart(4, "0")}`;
      }),
    now: options.now ?? Date.now,
  };
}
