import type { LoadedManifest } from "../manifests/load.js";

/** The people and channels a set of manifests names: the stand-in's workspace for the demo. */
export interface DemoWorkspace {
  /** Deploy and incident channels, deploy channels first. */
  readonly channels: { id: string; name: string }[];
  /** User id → display name, in the order the manifests name them. */
  readonly users: Record<string, string>;
  /** The roles each user holds, for the playground's user picker. */
  readonly rolesOf: Record<string, string[]>;
}

/** The person the demo plays when the manifests name nobody. */
export const DEMO_USER = { id: "U0DEMO01", name: "ada" } as const;

/**
 * Channels are named after their service and purpose (`#example-deploys`,
 * `#example-incidents`); users after the first role that names them
 * (`approvers-2`), since manifests hold ids only. Known example people keep
 * their demo name.
 */
export function demoWorkspace(services: Iterable<LoadedManifest>): DemoWorkspace {
  const channels = new Map<string, string>();
  const incidents = new Map<string, string>();
  const users: Record<string, string> = {};
  const rolesOf: Record<string, string[]> = {};
  for (const { manifest } of services) {
    if (!channels.has(manifest.channels.deploy)) channels.set(manifest.channels.deploy, `${manifest.service}-deploys`);
    const incident = manifest.channels.incidents;
    if (incident && !channels.has(incident) && !incidents.has(incident)) {
      incidents.set(incident, `${manifest.service}-incidents`);
    }
    for (const [role, members] of Object.entries(manifest.roles ?? {})) {
      members.users.forEach((id, index) => {
        users[id] ??= id === DEMO_USER.id ? DEMO_USER.name : `${role}-${index + 1}`;
        // The same role name in two manifests is one entry for the user picker.
        rolesOf[id] = [...new Set([...(rolesOf[id] ?? []), role])];
      });
    }
  }
  if (Object.keys(users).length === 0) {
    users[DEMO_USER.id] = DEMO_USER.name;
    rolesOf[DEMO_USER.id] = [];
  }
  return {
    channels: [...channels, ...incidents].map(([id, name]) => ({ id, name })),
    users,
    rolesOf,
  };
}
